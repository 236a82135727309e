"""A key is a person's (issue 20.5): made with a name and an e-mail on the
command line, and what is done with it is recorded and shown under that
person, on the finding's page and in the audit log, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings, get_settings
from app.db import session_scope
from app.main import create_app
from app.models import ApiKey, Mismatch
from standins.server import ServerThread
from tests.conftest import SERVICE_TIMEOUT
from tests.e2e.laporan_data import OPD_A, seed

SITI = "siti.aminah@bappeda.merantikab.go.id"


@pytest.fixture
def cli_db(database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SINKRON_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def keys(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["keys", *args])
    return result.exit_code, result.output


def test_a_key_is_made_for_a_person_with_a_checked_e_mail(
    cli_db: None, session_factory: sessionmaker[Session]
) -> None:
    code, made = keys(
        "create", "--name", "  Siti   Aminah ", "--email", " Siti.Aminah@Bappeda.Merantikab.go.id",
        "--role", "planner", "--opd", OPD_A,
    )  # fmt: skip
    assert code == 0, made
    assert made.splitlines()[0].startswith("skr_")
    assert "kunci 'Siti Aminah' (planner, OPD 1.02.0.00.0.00.01.0000) dibuat" in made
    assert "tanpa --email" not in made
    with session_scope(session_factory) as session:
        row = session.scalars(select(ApiKey)).one()
        assert (row.name, row.email) == ("Siti Aminah", SITI)
    listed = keys("list")[1]
    assert "Siti Aminah" in listed and SITI in listed

    for email, said in (
        ("siti.aminah", "'siti.aminah' bukan alamat e-mail yang sah"),
        ("siti@bappeda", "'siti@bappeda' bukan alamat e-mail yang sah"),
        ("siti aminah@bappeda.go.id", "bukan alamat e-mail yang sah"),
        ("a@b@c.go.id", "bukan alamat e-mail yang sah"),
        ("   ", "alamat e-mail pemegang kunci tidak boleh kosong"),
        ("x" * 250 + "@a.go.id", "alamat e-mail terlalu panjang"),
    ):
        code, output = keys("create", "--name", "Budi", "--email", email, "--role", "planner")
        assert code == 2 and output.startswith("galat: ") and said in output, (email, output)
    code, output = keys("create", "--name", "sistem", "--email", SITI, "--role", "planner")
    assert code == 2 and "dipakai layanan untuk dirinya sendiri" in output
    code, output = keys("create", "--name", "Siti Aminah", "--email", SITI, "--role", "admin")
    assert code == 2 and "nama 'Siti Aminah' sudah dipakai kunci lain" in output

    # As before: a key made with no e-mail still works, and is told it names no one.
    code, output = keys("create", "--name", "operator-lama", "--role", "admin")
    assert code == 0 and "peringatan: kunci tanpa --email" in output
    with session_scope(session_factory) as session:
        assert (
            session.scalars(select(ApiKey.email).where(ApiKey.name == "operator-lama")).one()
            is None
        )


def test_decisions_are_shown_under_the_person_on_the_pages_and_in_the_audit_log(
    cli_db: None, engine: Engine, session_factory: sessionmaker[Session], database_url: str
) -> None:
    seed(session_factory)
    key = keys("create", "--name", "Siti Aminah", "--email", SITI, "--role", "planner")[1]
    key = key.splitlines()[0]
    admin = keys("create", "--name", "Rahmat Hidayat", "--email", "r@meranti.go.id",
                 "--role", "admin")[1].splitlines()[0]  # fmt: skip
    with session_scope(session_factory) as session:
        mid = session.scalars(select(Mismatch.id).where(Mismatch.kode_skpd == OPD_A)).first()
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    with (
        ServerThread(create_app(settings, engine)) as server,
        httpx.Client(base_url=server.url, timeout=30) as browser,
    ):
        masuk = browser.get("/laporan/masuk").text
        assert "dicatat atas nama Anda, pemegang kunci ini" in masuk
        token = masuk.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        signed = browser.post("/laporan/masuk", data={"csrf": token, "kunci": key})
        assert signed.status_code == 303, signed.text

        page = browser.get(f"/laporan/mismatch/{mid}").text
        assert f'Masuk sebagai <strong title="{SITI}">Siti Aminah</strong>' in page
        form = page.split(f'action="/laporan/mismatch/{mid}/akui"', 1)[1]
        csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        decided = browser.post(
            f"/laporan/mismatch/{mid}/akui", data={"csrf": csrf, "catatan": "dibahas"}
        )
        assert decided.status_code == 303, decided.text

        history = browser.get(f"/laporan/mismatch/{mid}").text.split("<h2>Riwayat</h2>", 1)[1]
        assert f'Siti Aminah<br><a class="email" href="mailto:{SITI}">{SITI}</a>' in history
        audit = httpx.get(
            f"{server.url}/api/v1/audit", headers={"X-API-Key": admin}, timeout=SERVICE_TIMEOUT
        ).json()
        akui = next(e for e in audit["items"] if e["action"] == "mismatch.akui")
        assert (akui["actor"], akui["actor_email"]) == ("Siti Aminah", SITI)
        made = next(e for e in audit["items"] if e["action"] == "kunci.buat")
        assert made["actor"] == "cli" and made["detail"]["email"] == "r@meranti.go.id"
