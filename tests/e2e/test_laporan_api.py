"""The planners' report over real HTTP: mismatches, decisions, the summary, the files,
and keys scoped to OPDs. The data is stored the way a run stores it
(ditemukan.record, ringkasan.save_states, ringkasan.snapshot)."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import openpyxl
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.access import keys
from app.access.keys import Role
from app.config import Settings
from app.db import session_scope
from app.laporan.cells import RUPIAH
from app.main import create_app
from app.mismatches import ditemukan
from app.mismatches.kategori import KATEGORI
from app.mismatches.temuan import MismatchRow
from app.models import SyncRun
from app.vocabulary import Kategori
from mappings.normalise import WIB
from standins.server import ServerThread
from tests.e2e.laporan_data import NAMA, OPD_A, OPD_B, TAHAP, TAHUN, seed


@dataclass
class Report:
    client: httpx.Client
    keys: dict[str, str]
    sessions: sessionmaker[Session]

    def get(self, who: str, path: str, **params: Any) -> Any:
        return self.client.get(path, params=params, headers={"X-API-Key": self.keys[who]})

    def post(self, who: str, path: str, body: Any = None) -> Any:
        return self.client.post(path, json=body, headers={"X-API-Key": self.keys[who]})

    def all_items(self, who: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            extra = {"cursor": cursor} if cursor else {}
            page = self.get(who, "/api/v1/mismatches", limit=7, **params, **extra)
            assert page.status_code == 200, page.text
            items += page.json()["items"]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                return items


BUDI = "budi.santoso@bappeda.merantikab.go.id"
NUR = "nur.aini@dinkes.merantikab.go.id"


@pytest.fixture
def report(
    engine: Engine, session_factory: sessionmaker[Session], database_url: str
) -> Iterator[Report]:
    seed(session_factory)
    with session_scope(session_factory) as session:
        made = {
            # A key made before keys named people: a label, no e-mail.
            "admin": keys.create(session, name="admin", role=Role.ADMIN),
            "planner": keys.create(session, name="Budi Santoso", email=BUDI, role=Role.PLANNER),
            "opd_a": keys.create(
                session, name="Nur Aini", email=NUR, role=Role.PLANNER, kode_skpd=[OPD_A]
            ),
        }
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    with (
        ServerThread(create_app(settings, engine)) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        yield Report(client, made, session_factory)


def _ids(report: Report, kode: str, kategori: str | None = None) -> list[int]:
    params = {"kode_skpd": kode} | ({"kategori": kategori} if kategori else {})
    return [m["id"] for m in report.all_items("admin", **params)]


# -- the list ---------------------------------------------------------------------


def test_the_list_pages_through_every_mismatch_with_its_values_side_by_side(
    report: Report,
) -> None:
    items = report.all_items("planner")

    assert len(items) == 11
    assert len({m["id"] for m in items}) == 11
    pagu = next(m for m in items if m["kategori"] == "pagu_berbeda")
    assert pagu["kategori_label"] == "Pagu berbeda"
    assert pagu["saran"] == KATEGORI[Kategori.PAGU_BERBEDA].saran
    assert (pagu["nilai_eprogram"], pagu["nilai_eplanning"]) == ("1250000000.00", "1000000000.00")
    assert pagu["kode_skpd"] == OPD_A and pagu["status"] == "baru"
    assert pagu["kode_sub_kegiatan"].startswith("1.02.02.2.01.")
    assert pagu["keputusan_terakhir"] is None
    assert pagu["first_seen_at"] and pagu["last_seen_at"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kategori": "nama_berbeda"}, 7),
        ({"kode_skpd": OPD_B}, 5),
        ({"kode_skpd": OPD_B, "kategori": "duplikat"}, 1),
        ({"status": "terbuka"}, 11),
        ({"status": "selesai"}, 0),
        ({"tahun_anggaran": TAHUN, "tahap": TAHAP}, 11),
        ({"tahun_anggaran": 2027}, 0),
        ({"q": " SUB KEGIATAN 1 "}, 2),  # "Sub kegiatan 1 <script>", in either OPD
        ({"q": "1.02.02.2.01.0003"}, 2),
        ({"q": "2.07.0"}, 5),
        ({"q": "100%"}, 0),  # % is a character, not a wildcard
    ],
)
def test_filters_narrow_the_list(report: Report, params: dict[str, Any], expected: int) -> None:
    assert len(report.all_items("admin", **params)) == expected


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        (
            {"kategori": "salah_ketik"},
            "kategori: harus salah satu dari 'kode_tidak_di_nomenklatur'",
        ),
        ({"status": "tutup"}, "status: harus salah satu dari 'baru', 'diakui'"),
        ({"tahap": "final"}, "tahap: harus salah satu dari 'renja'"),
        ({"kode_skpd": "1.02"}, "kode_skpd: format tidak sesuai"),
        ({"q": "x" * 101}, "q: terlalu panjang"),
        ({"limit": 501}, "limit: paling besar 500"),
        ({"tahun_anggaran": "dua ribu"}, "tahun_anggaran: harus bilangan bulat"),
    ],
)
def test_bad_filters_are_refused_with_what_is_allowed(
    report: Report, params: dict[str, Any], detail: str
) -> None:
    answer = report.get("planner", "/api/v1/mismatches", **params)

    assert answer.status_code == 422
    assert answer.json()["error"] == "validasi"
    assert answer.json()["detail"].startswith(detail), answer.json()


def test_a_garbage_cursor_is_a_clear_400(report: Report) -> None:
    answer = report.get("planner", "/api/v1/mismatches", cursor="bukan-kursor")

    assert answer.status_code == 400
    assert answer.json() == {"error": "cursor_tidak_valid", "detail": "cursor tidak valid"}


# -- decisions ----------------------------------------------------------------------


def test_decisions_move_a_mismatch_and_its_history_keeps_who_when_and_why(
    report: Report,
) -> None:
    mid = _ids(report, OPD_A, "nama_berbeda")[0]
    base = f"/api/v1/mismatches/{mid}"

    akui = report.post("opd_a", f"{base}/akui", {"catatan": "  sedang diperbaiki  "})
    again = report.post("opd_a", f"{base}/akui", {"catatan": "dua kali"})
    blank = report.post("opd_a", f"{base}/kecualikan", {"alasan": "   "})
    missing = report.post("opd_a", f"{base}/kecualikan", {})
    extra = report.post("opd_a", f"{base}/kecualikan", {"alasan": "x", "oleh": "orang lain"})
    kecualikan = report.post("planner", f"{base}/kecualikan", {"alasan": "nama lama di SK"})
    buka = report.post("admin", f"{base}/buka-kembali")

    assert akui.status_code == 200, akui.text
    assert akui.json()["status"] == "diakui"
    assert akui.json()["keputusan_terakhir"]["oleh"] == "Nur Aini"
    assert akui.json()["keputusan_terakhir"]["catatan"] == "sedang diperbaiki"
    assert again.status_code == 409
    assert again.json() == {
        "error": "keputusan_ditolak",
        "detail": f"mismatch {mid} berstatus 'diakui'; 'akui' hanya untuk status baru",
    }
    assert blank.status_code == 422 and blank.json()["detail"] == "alasan: tidak boleh kosong"
    assert missing.status_code == 422 and missing.json()["detail"] == "alasan: wajib diisi"
    assert extra.status_code == 422 and extra.json()["detail"] == "oleh: field tidak dikenal"
    assert kecualikan.json()["status"] == "dikecualikan"
    assert buka.status_code == 200 and buka.json()["status"] == "baru"

    detail = report.get("opd_a", base).json()
    steps = [
        (e["oleh"], e["oleh_email"], e["dari"], e["ke"], e["catatan"]) for e in detail["riwayat"]
    ]
    assert steps == [
        ("Nur Aini", NUR, "baru", "diakui", "sedang diperbaiki"),
        ("Budi Santoso", BUDI, "diakui", "dikecualikan", "nama lama di SK"),
        ("admin", None, "dikecualikan", "baru", None),
    ]
    assert all(e["at"] for e in detail["riwayat"])
    audit = report.get("admin", "/api/v1/audit").json()["items"]
    decided = [
        (e["action"], e["actor"], e["actor_email"], e["target"])
        for e in audit
        if e["action"].startswith("m")
    ]
    assert decided == [
        ("mismatch.buka-kembali", "admin", None, f"mismatch {mid}"),
        ("mismatch.kecualikan", "Budi Santoso", BUDI, f"mismatch {mid}"),
        ("mismatch.akui", "Nur Aini", NUR, f"mismatch {mid}"),
    ]


def test_unknown_and_impossible_ids_are_clear_4xx(report: Report) -> None:
    assert report.get("admin", "/api/v1/mismatches/424242").json() == {
        "error": "tidak_ditemukan",
        "detail": "mismatch 424242 tidak ada",
    }
    # No mismatch can have these ids: they name nothing, as an absent one.
    for path in ("/api/v1/mismatches/0", f"/api/v1/mismatches/{2**31}", "/api/v1/mismatches/x"):
        answer = report.get("admin", path)
        assert (answer.status_code, answer.json()["error"]) == (404, "tidak_ditemukan"), path
    assert report.get("admin", f"/api/v1/mismatches/{2**31}").json()["detail"] == (
        "mismatch_id: paling besar 2147483647"
    )
    # "keputusan" stays the POST route's.
    wrong_method = report.get("admin", "/api/v1/mismatches/keputusan")
    assert (wrong_method.status_code, wrong_method.headers["allow"]) == (405, "POST")
    assert report.post("admin", f"/api/v1/mismatches/{2**40}/akui").status_code == 404


def test_a_decision_on_many_by_filter_counts_what_changed_and_what_was_skipped(
    report: Report,
) -> None:
    first = _ids(report, OPD_B, "nama_berbeda")[0]
    report.post("admin", f"/api/v1/mismatches/{first}/kecualikan", {"alasan": "sudah benar"})

    answer = report.post(
        "planner",
        "/api/v1/mismatches/keputusan",
        {
            "keputusan": "akui",
            "catatan": "dibahas rapat 2 Des",
            "tahun_anggaran": TAHUN,
            "tahap": TAHAP,
            "kode_skpd": OPD_B,
        },
    )

    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "keputusan": "akui",
        "cocok": 5,
        "diubah": 4,
        "dilewati": 1,
        "dilewati_per_status": {"dikecualikan": 1},
    }
    statuses = Counter(m["status"] for m in report.all_items("admin", kode_skpd=OPD_B))
    assert statuses == {"diakui": 4, "dikecualikan": 1}
    history = report.get("admin", f"/api/v1/mismatches/{_ids(report, OPD_B)[1]}").json()
    assert history["riwayat"][-1]["catatan"] == "dibahas rapat 2 Des"
    audit = report.get("admin", "/api/v1/audit").json()["items"][0]
    assert audit["action"] == "mismatch.keputusan_massal"
    assert audit["detail"]["diubah"] == 4


def test_a_decision_on_many_by_ids_and_its_bounds(
    report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _ids(report, OPD_A)
    url = "/api/v1/mismatches/keputusan"

    by_ids = report.post("planner", url, {"keputusan": "kecualikan", "alasan": "ok", "ids": ids})
    no_reason = report.post("planner", url, {"keputusan": "kecualikan", "ids": ids})
    unknown = report.post("planner", url, {"keputusan": "akui", "ids": [*ids, 999999]})
    both = report.post("planner", url, {"keputusan": "akui", "ids": ids, "tahap": TAHAP})
    neither = report.post("planner", url, {"keputusan": "akui", "kode_skpd": OPD_A})
    too_long = report.post("planner", url, {"keputusan": "akui", "ids": list(range(1, 5002))})
    negative = report.post("planner", url, {"keputusan": "akui", "ids": [-1]})
    bad = report.post("planner", url, {"keputusan": "setujui", "ids": ids})
    monkeypatch.setattr("app.api.mismatches.BULK_MAX", 3)
    many = report.post(
        "planner", url, {"keputusan": "akui", "tahun_anggaran": TAHUN, "tahap": TAHAP}
    )

    assert by_ids.json()["diubah"] == 6
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"] == "alasan: wajib diisi untuk 'kecualikan'"
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "mismatch tidak ada: 999999; tidak ada yang diubah"
    assert both.status_code == 422 and "tidak keduanya" in both.json()["detail"]
    assert neither.status_code == 422 and "tahun_anggaran dan tahap" in neither.json()["detail"]
    assert too_long.status_code == 422 and "ids: terlalu banyak isinya" in too_long.json()["detail"]
    assert negative.status_code == 422 and "ids.0: paling kecil 1" in negative.json()["detail"]
    assert bad.status_code == 422 and "keputusan: harus salah satu dari" in bad.json()["detail"]
    assert many.status_code == 422 and many.json()["error"] == "terlalu_banyak"
    assert "cocok dengan 11 mismatch; paling banyak 3" in many.json()["detail"]
    # Nothing changed by the refused calls: only the six excepted ones moved.
    statuses = Counter(m["status"] for m in report.all_items("admin"))
    assert statuses == {"dikecualikan": 6, "baru": 5}


# -- keys scoped to OPDs -------------------------------------------------------------


def test_a_scoped_key_sees_and_decides_only_its_opds(report: Report) -> None:
    theirs = _ids(report, OPD_B)
    url = "/api/v1/mismatches"

    listed = report.all_items("opd_a")
    asked_b = report.get("opd_a", url, kode_skpd=OPD_B)
    detail = report.get("opd_a", f"{url}/{theirs[0]}")
    decide = report.post("opd_a", f"{url}/{theirs[0]}/akui")
    bulk_ids = report.post("opd_a", f"{url}/keputusan", {"keputusan": "akui", "ids": theirs})
    bulk_filter = report.post(
        "opd_a", f"{url}/keputusan", {"keputusan": "akui", "tahun_anggaran": TAHUN, "tahap": TAHAP}
    )

    assert {m["kode_skpd"] for m in listed} == {OPD_A} and len(listed) == 6
    # Asking for another OPD by name answers as if it did not exist.
    assert asked_b.status_code == 404
    assert asked_b.json()["detail"] == "perangkat daerah ini tidak ada dalam cakupan kunci Anda"
    assert detail.status_code == 404
    assert detail.json() == {
        "error": "tidak_ditemukan",
        "detail": f"mismatch {theirs[0]} tidak ada",
    }
    assert decide.status_code == 404 and decide.json() == detail.json()
    assert bulk_ids.status_code == 404
    assert bulk_filter.json()["diubah"] == 6
    assert {m["status"] for m in report.all_items("admin", kode_skpd=OPD_B)} == {"baru"}

    summary = report.get("opd_a", "/api/v1/ringkasan", tahun_anggaran=TAHUN, tahap=TAHAP).json()
    assert [o["kode_skpd"] for o in summary["opd"]] == [OPD_A]
    assert summary["total"]["jumlah"] == 10
    assert [p["jumlah"] for p in summary["total"]["tren"]] == [10, 10]
    pagu_b = report.get(
        "opd_a", f"/api/v1/ringkasan/{OPD_B}/pagu", tahun_anggaran=TAHUN, tahap=TAHAP
    )
    assert pagu_b.status_code == 404
    params = {"tahun_anggaran": TAHUN, "tahap": TAHAP}
    rows = _csv(report.get("opd_a", f"{url}/export.csv", **params).content)
    assert {r["Kode SKPD"] for r in rows} == {OPD_A}
    book = _xlsx(report.get("opd_a", f"{url}/export.xlsx", **params).content)
    assert OPD_B not in repr([list(ws.values) for ws in book.worksheets])
    # ...and so does a file of another OPD, whose name would name it.
    for ext in ("csv", "xlsx"):
        other = report.get("opd_a", f"{url}/export.{ext}", kode_skpd=OPD_B, **params)
        assert other.status_code == 404 and OPD_B not in other.text


# -- the summary ----------------------------------------------------------------------


def test_the_summary_adds_up_to_the_detail_rows(report: Report) -> None:
    for kategori in ("ditolak", "pagu_berbeda"):
        first = _ids(report, OPD_A, kategori)[0]
        report.post("admin", f"/api/v1/mismatches/{first}/kecualikan", {"alasan": "diterima"})

    summary = report.get("planner", "/api/v1/ringkasan", tahun_anggaran=TAHUN, tahap=TAHAP)

    assert summary.status_code == 200
    body = summary.json()
    by_opd = {o["kode_skpd"]: o for o in body["opd"]}
    assert list(by_opd) == [OPD_B, OPD_A]  # ranked by open mismatches: B 5, A 6-2
    for kode, opd in by_opd.items():
        listed = Counter(
            m["kategori"] for m in report.all_items("admin", kode_skpd=kode, status="terbuka")
        )
        assert {k: n for k, n in opd["mismatch_per_kategori"].items() if n} == dict(listed)
        assert opd["mismatch_terbuka"] == sum(listed.values())
        assert set(opd["mismatch_per_kategori"]) == set(KATEGORI)
    a = by_opd[OPD_A]
    assert (a["nama_skpd"], a["jumlah"], a["tepat"], a["siap_sakip"]) == (NAMA[OPD_A], 10, 6, 5)
    assert a["kesiapan_sakip"] == 0.5
    assert a["pagu_eprogram"] == "12500000005.00"
    assert a["pagu_eplanning"] == "12000000004.00"
    assert a["selisih_pagu"] == "500000001.00"
    total = body["total"]
    assert total["kode_skpd"] is None
    assert total["jumlah"] == sum(o["jumlah"] for o in body["opd"]) == 16
    assert total["mismatch_terbuka"] == 9
    assert Decimal(total["selisih_pagu"]) == sum(Decimal(o["selisih_pagu"]) for o in body["opd"])
    # The trend: one point per run, oldest first; the second run found the mismatches.
    assert [p["mismatch_terbuka"] for p in a["tren"]] == [0, 6]
    assert [p["mismatch_terbuka"] for p in total["tren"]] == [0, 11]


def test_the_summary_says_how_fresh_it_is_and_when_there_is_no_data(report: Report) -> None:
    summary = report.get("opd_a", "/api/v1/ringkasan", tahun_anggaran=TAHUN, tahap=TAHAP).json()
    empty = report.get("planner", "/api/v1/ringkasan", tahun_anggaran=TAHUN + 3, tahap=TAHAP)

    # The seeded runs never finished: nothing says the figures are fresh.
    assert summary["ada_data"] is True
    assert summary["sinkron_terakhir"] == {
        "berhasil_pada": None,
        "gagal_terakhir": None,
        "basi": True,
        "peringatan": "belum pernah berhasil disinkronkan",
    }
    [a] = summary["opd"]
    assert set(a["kesiapan_per_tingkat"]) == {
        "capaian_program",
        "keluaran_kegiatan",
        "hasil_kegiatan",
        "keluaran_sub_kegiatan",
    }
    assert "keempat tingkat indikator" in summary["aturan_kesiapan"]
    assert empty.status_code == 200
    assert (empty.json()["ada_data"], empty.json()["opd"]) == (False, [])


def test_the_follow_up_ranks_the_opds_a_scoped_key_sees_its_own(report: Report) -> None:
    every = report.get("planner", "/api/v1/tindak-lanjut", tahun_anggaran=TAHUN, tahap=TAHAP)
    mine = report.get("opd_a", "/api/v1/tindak-lanjut", tahun_anggaran=TAHUN, tahap=TAHAP)

    assert every.status_code == mine.status_code == 200
    assert [(o["kode_skpd"], o["peringkat"]) for o in every.json()["opd"]] == [
        (OPD_B, 1),  # the same age: 5 open of 6 sub kegiatan before 6 of 10
        (OPD_A, 2),
    ]
    assert [o["kode_skpd"] for o in mine.json()["opd"]] == [OPD_A]
    assert mine.json()["total"]["terbuka"] == 6
    assert every.json()["total"]["terbuka"] == 11


def test_the_summary_and_the_follow_up_show_a_decision_at_once(report: Report) -> None:
    """Both are kept between requests (app.mismatches.ikhtisar); a decision is
    never hidden by what was kept, whoever reads next."""
    scope = {"tahun_anggaran": TAHUN, "tahap": TAHAP}
    summary = report.get("planner", "/api/v1/ringkasan", **scope).json()
    follow_up = report.get("planner", "/api/v1/tindak-lanjut", **scope).json()
    first = _ids(report, OPD_A, "pagu_berbeda")[0]
    excepted = report.post("opd_a", f"/api/v1/mismatches/{first}/kecualikan", {"alasan": "ok"})
    assert excepted.status_code == 200, excepted.text

    summary_after = report.get("planner", "/api/v1/ringkasan", **scope).json()
    follow_up_after = report.get("planner", "/api/v1/tindak-lanjut", **scope).json()
    assert summary_after["total"]["mismatch_terbuka"] == summary["total"]["mismatch_terbuka"] - 1
    assert follow_up_after["total"]["terbuka"] == follow_up["total"]["terbuka"] - 1
    [a] = [o for o in follow_up_after["opd"] if o["kode_skpd"] == OPD_A]
    assert a["dikecualikan_sejak"] == 1
    assert a["aktivitas_terakhir"]["oleh"] == "Nur Aini"


def test_pagu_rolls_up_per_program_and_kegiatan(report: Report) -> None:
    url = f"/api/v1/ringkasan/{OPD_A}/pagu"

    program = report.get("planner", url, tahun_anggaran=TAHUN, tahap=TAHAP).json()
    kegiatan = report.get("planner", url, tahun_anggaran=TAHUN, tahap=TAHAP, tingkat="kegiatan")
    bad_level = report.get("planner", url, tahun_anggaran=TAHUN, tahap=TAHAP, tingkat="opd")
    bad_code = report.get(
        "planner", "/api/v1/ringkasan/1.02/pagu", tahun_anggaran=TAHUN, tahap=TAHAP
    )
    no_year = report.get("planner", "/api/v1/ringkasan", tahap=TAHAP)
    unknown = report.get(
        "planner",
        "/api/v1/ringkasan/9.99.0.00.0.00.01.0000/pagu",
        tahun_anggaran=TAHUN,
        tahap=TAHAP,
    )

    # Records 0 and 1 differ, one in each program (i % 2).
    assert program["tingkat"] == "program"
    assert [(r["kode"], r["jumlah"], r["selisih_pagu"]) for r in program["items"]] == [
        ("1.02.01", 5, "250000000.50"),
        ("1.02.02", 5, "250000000.50"),
    ]
    assert [r["kode"] for r in kegiatan.json()["items"]] == ["1.02.01.2.01", "1.02.02.2.01"]
    assert bad_level.status_code == 422
    assert bad_code.status_code == 404  # a code of no OPD, as an unknown one
    assert no_year.status_code == 422 and no_year.json()["detail"] == "tahun_anggaran: wajib diisi"
    assert unknown.status_code == 404


# -- the files ------------------------------------------------------------------------


def _csv(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def _xlsx(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def _today() -> str:
    return f"{datetime.now(WIB):%Y-%m-%d}"


def test_the_xlsx_has_a_summary_and_one_sheet_per_kategori_with_formats(report: Report) -> None:
    answer = report.get(
        "planner", "/api/v1/mismatches/export.xlsx", tahun_anggaran=TAHUN, tahap=TAHAP
    )

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert re.search(
        r'filename="ketidaksesuaian-2026-renja-20\d\d-\d\d-\d\d\.xlsx"',
        answer.headers["content-disposition"],
    )
    book = _xlsx(answer.content)
    assert book.sheetnames == [
        "Ringkasan",
        KATEGORI[Kategori.NAMA_BERBEDA].lembar,
        KATEGORI[Kategori.PAGU_BERBEDA].lembar,
        KATEGORI[Kategori.DUPLIKAT].lembar,
        KATEGORI[Kategori.DITOLAK].lembar,
    ]
    assert all(len(info.lembar) <= 31 for info in KATEGORI.values())

    summary = book["Ringkasan"]
    titles = [summary.cell(row=r, column=1).value for r in range(1, 7)]
    assert titles[0] == "Laporan ketidaksesuaian data E-Program → E-Planning"
    assert titles[1] == "Kabupaten Kepulauan Meranti"
    assert titles[2] == "Tahun anggaran 2026 · tahap Renja"
    assert titles[3].startswith("Dibuat ") and titles[3].endswith(" WIB")
    # The figures' freshness, said in every file (the seed records no run).
    assert titles[5] == (
        "Sinkron berhasil terakhir: - · PERINGATAN: data mungkin tidak terkini: "
        + titles[5].split("tidak terkini: ", 1)[-1]
    )
    header = [c.value for c in summary[9]]
    assert header[:3] == ["Kode SKPD", "Perangkat daerah", "Sub kegiatan"]
    assert summary.freeze_panes == "A10"
    assert summary.auto_filter.ref == "A9:V11"
    opd_rows = {summary.cell(row=r, column=1).value: r for r in (10, 11)}
    row_a = opd_rows[OPD_A]
    pagu_cell = summary.cell(row=row_a, column=header.index("Pagu E-Program") + 1)
    assert pagu_cell.value == 12500000005
    assert pagu_cell.number_format == RUPIAH
    assert summary.cell(row=row_a, column=header.index("Kesiapan SAKIP") + 1).value == 0.5
    assert summary.cell(row=13, column=1).value == "Total"
    assert summary.cell(row=13, column=header.index("Sub kegiatan") + 1).value == 16
    assert summary.column_dimensions["B"].width >= len("Perangkat daerah")

    names = book[KATEGORI[Kategori.NAMA_BERBEDA].lembar]
    assert names.freeze_panes == "A11"
    assert names.auto_filter.ref == "A10:P17"  # header + 7 rows
    head = [c.value for c in names[10]]
    assert head[:6] == [
        "No",
        "Nomor temuan",
        "Kode SKPD",
        "Kode sub unit",
        "Kode sub kegiatan",
        "Nama sub kegiatan",
    ]
    first = [c.value for c in names[11]]
    assert first[0] == 1 and first[2] == OPD_A
    # E-Program text that looks like a formula stays text.
    formula_like = names.cell(row=11, column=head.index("Nilai E-Planning / nomenklatur") + 1)
    assert formula_like.value == "=SUM(A1:A2)" and formula_like.data_type == "s"
    nama = names.cell(row=11, column=head.index("Nama sub kegiatan") + 1)
    assert nama.value == "Sub kegiatan 0 <script>" and nama.alignment.wrap_text
    assert names.column_dimensions["F"].width >= len("Sub kegiatan 0 <script>")
    seen = names.cell(row=11, column=head.index("Pertama ditemukan (WIB)") + 1)
    assert isinstance(seen.value, datetime) and seen.number_format == "d mmmm yyyy hh.mm"

    pagu = book[KATEGORI[Kategori.PAGU_BERBEDA].lembar]
    values = [(c.value, c.number_format) for c in pagu[11][7:9]]
    assert values == [(1250000000, RUPIAH), (1000000000, RUPIAH)]
    assert pagu.cell(row=8, column=1).value == f"Saran: {KATEGORI[Kategori.PAGU_BERBEDA].saran}"
    rows_per_sheet = {ws.title: ws.max_row - 10 for ws in book.worksheets[1:]}
    assert rows_per_sheet == {
        "Nama berbeda": 7,
        "Pagu berbeda": 2,
        "Data ganda": 1,
        "Ditolak E-Planning": 1,
    }


def test_the_xlsx_follows_the_filter(report: Report) -> None:
    answer = report.get(
        "admin",
        "/api/v1/mismatches/export.xlsx",
        tahun_anggaran=TAHUN,
        tahap=TAHAP,
        kode_skpd=OPD_B,
        kategori="duplikat",
    )

    book = _xlsx(answer.content)
    assert (
        f'filename="ketidaksesuaian-2026-renja-dinas-perdagangan-{_today()}.xlsx"'
        in answer.headers["content-disposition"]
    )
    assert book.sheetnames == ["Ringkasan", "Data ganda"]
    assert book["Ringkasan"].cell(row=5, column=1).value == (
        f"Filter: OPD {OPD_B}, kategori Data ganda"
    )
    assert book["Ringkasan"].cell(row=10, column=1).value == OPD_B
    assert book["Data ganda"].max_row == 11


def test_the_csv_has_a_bom_semicolons_and_one_row_per_mismatch(report: Report) -> None:
    answer = report.get(
        "planner",
        "/api/v1/mismatches/export.csv",
        tahun_anggaran=TAHUN,
        tahap=TAHAP,
        status="terbuka",
    )

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        f'filename="ketidaksesuaian-2026-renja-{_today()}.csv"'
        in (answer.headers["content-disposition"])
    )
    first_line = answer.content.decode("utf-8-sig").splitlines()[0]
    assert first_line.startswith("Nomor temuan;Kode SKPD;Kode sub unit;Kode sub kegiatan;")
    rows = _csv(answer.content)
    assert len(rows) == 11
    assert Counter(r["Kode kategori"] for r in rows) == {
        "nama_berbeda": 7,
        "pagu_berbeda": 2,
        "ditolak": 1,
        "duplikat": 1,
    }
    pagu = next(r for r in rows if r["Kode kategori"] == "pagu_berbeda")
    assert pagu["Kategori"] == "Pagu berbeda"
    assert pagu["Nilai E-Program"] == "1250000000"  # whole Rupiah
    # Excel would run this as a formula; the CSV keeps it as text.
    nama = next(r for r in rows if r["Kode kategori"] == "nama_berbeda")
    assert nama["Nilai E-Planning / nomenklatur"] == "'=SUM(A1:A2)"


def test_exports_need_a_tahun_and_tahap(report: Report) -> None:
    for ext in ("xlsx", "csv"):
        answer = report.get("planner", f"/api/v1/mismatches/export.{ext}", tahap=TAHAP)
        assert answer.status_code == 422
        assert answer.json()["detail"] == "tahun_anggaran: wajib diisi"


# Words of English a planner would meet in a header (issue 20.6); "Status" and
# "Total" are Indonesian too.
ENGLISH = {
    "field", "id", "mismatch", "value", "values", "name", "code", "date", "time", "first",
    "last", "seen", "found", "by", "note", "notes", "category", "open", "decided", "amount",
    "budget", "source", "sub", "unit", "row",
}  # fmt: skip
ENGLISH -= {"sub", "unit"}  # "sub kegiatan", "sub unit": the nomenclature's own words
SUMBER_DANA = (
    '[{"kode": "1.1.01", "nama": "DAU", "pagu": "1000000000.00"}, '
    '{"kode": "1.1.02", "nama": "DAK Fisik", "pagu": "250000000.50"}]'
)


def _header_rows(book: openpyxl.Workbook) -> dict[str, list[str]]:
    """Each sheet's header row: the first whose first cell is a header's."""
    found = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            if row and row[0] in {"No", "Kode SKPD"}:
                found[sheet.title] = [str(v) for v in row if v is not None]
                break
    return found


def _add_sumber_dana(report: Report) -> None:
    """A sumber dana that does not add up, as E-Planning's refusal leaves it."""
    with session_scope(report.sessions) as session:
        run = SyncRun(
            tahun_anggaran=TAHUN, tahap=TAHAP, full=True, trigger="test", status="succeeded"
        )
        session.add(run)
        session.flush()
        row = MismatchRow(
            tahun_anggaran=TAHUN, tahap=TAHAP, source_id="sd-1",
            kategori="sumber_dana_tidak_sama", field="sumber_dana", nilai_eprogram=SUMBER_DANA,
            nilai_eplanning=None, keterangan="Ditolak E-Planning (sumber_dana_tidak_sama)",
            kode_skpd=OPD_A, kode_sub_skpd=OPD_A[:-4] + "0001",
            kode_sub_kegiatan="1.02.02.2.01.0099", nama_sub_kegiatan="Sub kegiatan sumber dana",
        )  # fmt: skip
        ditemukan.record(session, run.id, [row])


def _amounts_checked(sheet: Any, head: list[str]) -> int:
    """Check a sheet's moments are dates and its amounts numbers; how many amounts."""
    amounts = 0
    start = next(r for r in range(1, 12) if sheet.cell(row=r, column=1).value == head[0])
    for r in range(start + 1, sheet.max_row + 1):
        for c, name in enumerate(head, 1):
            cell = sheet.cell(row=r, column=c)
            if cell.value is None:
                continue
            if name.endswith("(WIB)"):
                # Dates Excel sorts and filters, shown as the pages write them.
                assert isinstance(cell.value, datetime), (sheet.title, name, cell.value)
                assert cell.number_format == "d mmmm yyyy hh.mm"
            if name in {"Pagu E-Program", "Pagu E-Planning", "Selisih pagu"} or (
                name.startswith("Nilai") and sheet.title == "Pagu berbeda"
            ):
                assert isinstance(cell.value, int | float), (sheet.title, name, cell.value)
                assert cell.number_format == RUPIAH
                amounts += 1
            # No amount is left as text anywhere, in any sheet.
            if isinstance(cell.value, str):
                assert not re.fullmatch(r"-?\d+(\.\d+)?", cell.value), (sheet.title, name)
    return amounts


def test_the_files_read_back_with_dates_numbers_and_indonesian_headers(report: Report) -> None:
    # A sumber dana that does not add up, and a decision, so every moment column
    # has a value somewhere.
    _add_sumber_dana(report)
    pagu_id = _ids(report, OPD_A, "pagu_berbeda")[0]
    decided = report.post("planner", f"/api/v1/mismatches/{pagu_id}/akui", {"catatan": "ok"})
    assert decided.status_code == 200, decided.text
    query = {"tahun_anggaran": TAHUN, "tahap": TAHAP}

    book = _xlsx(report.get("planner", "/api/v1/mismatches/export.xlsx", **query).content)
    headers = _header_rows(book)
    assert set(headers) == set(book.sheetnames)
    assert book.properties.title.startswith("Laporan ketidaksesuaian data E-Program")
    assert book.properties.creator == "Sinkron · Kabupaten Kepulauan Meranti"
    for sheet in book.worksheets:
        # Printed landscape, one page wide, the header row on every page.
        assert sheet.page_setup.orientation == "landscape"
        # (fitToWidth left out means 1, the file format's default)
        assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        header_row = next(
            r[0].row for r in sheet.iter_rows() if r and r[0].value in {"No", "Kode SKPD"}
        )
        assert sheet.print_title_rows == f"${header_row}:${header_row}"
    amounts = sum(_amounts_checked(sheet, headers[sheet.title]) for sheet in book.worksheets)
    assert amounts >= 2 * 3 + 2 * 2  # the summary's pagu columns, the pagu sheet's values
    sumber = book[KATEGORI[Kategori.SUMBER_DANA_TIDAK_SAMA].lembar]
    cell = next(c for row in sumber.iter_rows() for c in row if c.value and "DAU" in str(c.value))
    assert cell.value == (
        "DAU (1.1.01): Rp 1.000.000.000\nDAK Fisik (1.1.02): Rp 250.000.000,50\n"
        "Jumlah: Rp 1.250.000.000,50"
    )
    assert cell.alignment.wrap_text

    content = report.get("planner", "/api/v1/mismatches/export.csv", **query).content
    rows = _csv(content)
    csv_header = list(rows[0])
    money = [r for r in rows if r["Kode kategori"] == "pagu_berbeda"]
    assert [(r["Nilai E-Program"], r["Nilai E-Planning / nomenklatur"]) for r in money] == [
        ("1250000000", "1000000000")
    ] * 2
    assert all(int(r["Nilai E-Program"]) for r in money)  # whole Rupiah, read as numbers
    sd = next(r for r in rows if r["Kode kategori"] == "sumber_dana_tidak_sama")
    assert sd["Nilai E-Program"].endswith("Jumlah: Rp 1.250.000.000,50")
    moments = [r["Diputuskan pada (WIB)"] for r in rows if r["Diputuskan pada (WIB)"]]
    assert len(moments) == 1 and re.fullmatch(r"20\d\d-\d\d-\d\d \d\d:\d\d", moments[0])

    # The same headers in both files: the CSV's are the sheets' but "No", and
    # the three a sheet says above its table.
    sheet_header = headers["Nama berbeda"]
    assert [h for h in csv_header if h not in {"Kode kategori", "Kategori", "Saran"}] == [
        h for h in sheet_header if h != "No"
    ]
    every = sorted({h for head in headers.values() for h in head} | set(csv_header))
    english = {h for h in every if "_" in h or ENGLISH & set(re.findall(r"[a-z]+", h.lower()))}
    assert not english, english
    assert "Isian" in every and "Terbuka" in every and "Nomor temuan" in every
