"""The pagu tables of an OPD's page name each program and kegiatan beside its
code, with the names a real run read from E-Program (stand-ins over HTTP)."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.access import keys
from app.access.keys import Role
from app.config import Settings
from app.db import session_scope
from app.main import create_app
from tests.e2e.conftest import TAHAP, TAHUN, World
from tests.e2e.test_laporan_pages import token_in
from tests.e2e.test_sync import key_of, with_pagu

TAG = re.compile(r"<[^>]+>")


def _text(fragment: str) -> str:
    """What a reader sees of some HTML: tags gone, entities read, spaces single."""
    return " ".join(html.unescape(TAG.sub(" ", fragment)).split())


def _section(page: str, judul: str) -> str:
    start = page.index(f"Selisih pagu per {judul}")
    end = page.find("</section>", start)
    return _text(page[start:end])


def test_a_runs_pagu_tables_show_the_program_and_kegiatan_names_from_eprogram(
    world: World, engine: Engine, database_url: str
) -> None:
    world.sync(full=True)
    raw = world.dataset.records[5]
    # A planner changes the pagu in E-Planning, then E-Program changes it too:
    # a conflict, so the two pagu differ for this program and kegiatan.
    world.manual_edit(key_of(raw), {"pagu": "999000000.00"})
    world.dataset.touch(raw["id"], **with_pagu(raw, 777_000_000))
    assert world.sync().counts == {"conflict": 1}

    with session_scope(world.sessions) as session:
        kunci = keys.create(session, name="Budi Santoso", role=Role.PLANNER)
    config = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    with TestClient(create_app(config, engine)) as client:
        form = client.get("/laporan/masuk")
        client.post("/laporan/masuk", data={"csrf": token_in(form.text), "kunci": kunci})
        page = client.get(
            f"/laporan/opd/{raw['kode_skpd']}",
            params={"tahun_anggaran": TAHUN, "tahap": TAHAP},
        )
        assert page.status_code == 200, page.text
        api = client.get(
            f"/api/v1/ringkasan/{raw['kode_skpd']}/pagu",
            params={"tahun_anggaran": TAHUN, "tahap": TAHAP, "tingkat": "kegiatan"},
            headers={"X-API-Key": kunci},
        )

    nama_program = " ".join(raw["nama_program"].split())
    nama_giat = " ".join(raw["nama_giat"].split())
    assert nama_program and nama_giat
    program, kegiatan = _section(page.text, "program"), _section(page.text, "kegiatan")
    # Other sub kegiatan may share the program or kegiatan; only this one differs.
    for section, kode, nama in (
        (program, raw["kode_program"], nama_program),
        (kegiatan, raw["kode_giat"], nama_giat),
    ):
        row = re.search(rf"{re.escape(f'{kode} — {nama}')} [0-9]+ Rp .*?-Rp 222\.000\.000", section)
        assert row, section

    assert api.status_code == 200, api.text
    [item] = api.json()["items"]
    assert (item["kode"], item["nama"], item["selisih_pagu"]) == (
        raw["kode_giat"],
        nama_giat,
        "-222000000.00",
    )
