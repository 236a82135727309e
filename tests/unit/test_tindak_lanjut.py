"""The follow-up rules (app.mismatches.tindak_lanjut), table by table: a
finding's age and whether it was answered, an OPD's status, the ranking, the
period's figures, one cause counted once, and stale figures."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from app.mismatches import tindak_lanjut as tl
from app.mismatches.tindak_lanjut import OpdDasar, StatusTindakLanjut, Temuan
from app.report import waktu_wib
from app.vocabulary import MismatchStatus as S

NOW = datetime(2026, 12, 20, 3, 0, tzinfo=UTC)
SEJAK = NOW - timedelta(days=30)
BELUM, SEDANG, TUNTAS = StatusTindakLanjut


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def finding(
    status: str = S.BARU,
    found_days_ago: float = 1,
    *,
    opd: str | None = "A",
    answered: float | None = None,
    settled: float | None = None,
    excepted: float | None = None,
    cause: int | None = None,
    ident: int = 1,
) -> Temuan:
    return Temuan(
        id=ident,
        kode_skpd=opd,
        status=status,
        ditemukan_pada=ago(found_days_ago),
        ditanggapi_pada=None if answered is None else ago(answered),
        selesai_pada=None if settled is None else ago(settled),
        dikecualikan_pada=None if excepted is None else ago(excepted),
        penyebab_id=cause,
    )


@pytest.mark.parametrize(
    ("found", "now", "days"),
    [
        (NOW, NOW, 0),
        (ago(0.99), NOW, 0),
        (ago(1), NOW, 1),
        (ago(14.5), NOW, 14),
        (ago(15), NOW, 15),
        (NOW + timedelta(hours=1), NOW, 0),  # a clock behind: never negative
    ],
)
def test_age_is_whole_days_since_first_found(found: datetime, now: datetime, days: int) -> None:
    assert tl.umur_hari(found, now) == days


@pytest.mark.parametrize(
    ("row", "open_", "untouched"),
    [
        (finding(S.BARU), True, True),
        (finding(S.BARU, answered=2), True, False),  # reopened by a person
        (finding(S.DIAKUI, answered=2), True, False),
        (finding(S.DIKECUALIKAN, answered=2), False, False),
        (finding(S.SELESAI, settled=1), False, False),
    ],
)
def test_untouched_is_baru_with_no_answer(row: Temuan, open_: bool, untouched: bool) -> None:
    assert (row.terbuka, row.belum_ditanggapi) == (open_, untouched)


@pytest.mark.parametrize(
    ("open_", "oldest_untouched", "status"),
    [
        (0, None, TUNTAS),
        (3, None, SEDANG),  # all acknowledged
        (3, 0, SEDANG),
        (3, 14, SEDANG),  # at the limit, not beyond it
        (3, 15, BELUM),
        (1, 400, BELUM),
    ],
)
def test_status_of_an_opd(open_: int, oldest_untouched: int | None, status: str) -> None:
    assert (
        tl.status_opd(terbuka=open_, belum_ditanggapi_tertua_hari=oldest_untouched, batas_hari=14)
        == status
    )


def opd_of(*rows: Temuan, jumlah: int = 10) -> tl.TindakLanjutOpd:
    return tl.satu_opd(
        OpdDasar("A", "Dinas A", jumlah), rows, sekarang=NOW, sejak=SEJAK, batas_hari=14
    )


def test_the_figures_of_one_opd() -> None:
    figures = opd_of(
        finding(S.BARU, 20, ident=1),
        finding(S.BARU, 3, ident=2),
        finding(S.DIAKUI, 9, answered=8, ident=3),
        finding(S.SELESAI, 12, settled=2, ident=4),  # 10 days to fix
        finding(S.SELESAI, 40, settled=36, ident=5),  # before the period
        finding(S.SELESAI, 5, settled=1, ident=6),  # 4 days to fix
        finding(S.DIKECUALIKAN, 7, answered=6, excepted=6, ident=7),
        finding(S.DIKECUALIKAN, 70, answered=60, excepted=60, ident=8),  # before the period
    )
    assert (figures.belum_ditanggapi, figures.belum_ditanggapi_tertua_hari) == (2, 20)
    assert (figures.diakui_terbuka, figures.diakui_tertua_hari) == (1, 9)
    assert (figures.selesai_sejak, figures.median_hari_selesai) == (2, 7.0)
    assert figures.dikecualikan_sejak == 1
    assert (figures.terbuka, figures.terbuka_per_100) == (3, 30.0)
    assert figures.status is BELUM


def test_a_consequence_is_left_out_of_every_count() -> None:
    alone = opd_of(finding(S.BARU, 2, ident=1))
    with_consequences = opd_of(
        finding(S.BARU, 2, ident=1),
        finding(S.BARU, 30, cause=1, ident=2),
        finding(S.BARU, 30, cause=1, ident=3),
        finding(S.SELESAI, 30, settled=1, cause=1, ident=4),
    )
    assert with_consequences.akibat == 2
    assert (with_consequences.terbuka, with_consequences.status) == (alone.terbuka, alone.status)
    assert with_consequences.belum_ditanggapi_tertua_hari == 2
    assert with_consequences.selesai_sejak == 0


def test_only_accepted_exceptions_left_is_tuntas() -> None:
    figures = opd_of(finding(S.DIKECUALIKAN, 40, answered=39, excepted=39))
    assert (figures.status, figures.terbuka, figures.terbuka_per_100) == (TUNTAS, 0, 0.0)


@pytest.mark.parametrize(
    ("open_", "jumlah", "per_100"),
    [(0, 10, 0.0), (11, 40, 27.5), (1, 3, 33.3), (5, 0, None)],
)
def test_open_per_100_sub_kegiatan(open_: int, jumlah: int, per_100: float | None) -> None:
    assert tl.per_100(open_, jumlah) == per_100


def test_ranking_by_status_then_oldest_untouched_then_per_100_never_raw_count() -> None:
    dasar = {
        "big": OpdDasar("big", "Besar", 400),  # many open, few per 100
        "small": OpdDasar("small", "Kecil", 10),
        "old": OpdDasar("old", "Lama", 100),
        "done": OpdDasar("done", "Tuntas", 50),
        "ack": OpdDasar("ack", "Diakui", 10),
    }
    rows = [
        *(finding(S.BARU, 5, opd="big", ident=i) for i in range(1, 41)),  # 40 open, 10/100
        *(finding(S.BARU, 5, opd="small", ident=100 + i) for i in range(3)),  # 3 open, 30/100
        finding(S.BARU, 16, opd="old", ident=200),  # untouched past the limit
        finding(S.DIAKUI, 90, opd="ack", answered=80, ident=300),
    ]
    opd, pemda = tl.hitung(rows, dasar, sekarang=NOW, sejak=SEJAK, batas_hari=14)
    assert [(o.kode_skpd, o.status, o.peringkat) for o in opd] == [
        ("old", BELUM, 1),
        ("small", SEDANG, 2),  # same oldest untouched (5 days) as big, more per 100
        ("big", SEDANG, 3),
        ("ack", SEDANG, 4),  # nothing untouched
        ("done", TUNTAS, 5),
    ]
    assert (pemda.kode_skpd, pemda.peringkat, pemda.terbuka, pemda.jumlah_sub_kegiatan) == (
        None,
        None,
        45,
        570,
    )
    assert pemda.status is BELUM


def test_findings_under_no_opd_count_for_the_pemda_only() -> None:
    opd, pemda = tl.hitung(
        [finding(S.BARU, 20, opd=None)],
        {"A": OpdDasar("A")},
        sekarang=NOW,
        sejak=SEJAK,
        batas_hari=14,
    )
    assert [(o.kode_skpd, o.status) for o in opd] == [("A", TUNTAS)]
    assert (pemda.terbuka, pemda.status) == (1, BELUM)


@pytest.mark.parametrize(
    ("success", "failure", "stale", "why"),
    [
        (None, None, True, "belum pernah berhasil disinkronkan"),
        (ago(0.5), None, False, None),
        (ago(0.5), ago(1), False, None),  # failed before the last success
        (ago(0.5), ago(0.1), True, "sinkronisasi terakhir gagal"),
        (NOW - timedelta(hours=27), None, True, "sinkronisasi berhasil terakhir 27 jam yang lalu"),
        (NOW - timedelta(hours=25), None, False, None),
    ],
)
def test_stale_figures(
    success: datetime | None, failure: datetime | None, stale: bool, why: str | None
) -> None:
    fresh = tl.kesegaran(
        berhasil_pada=success, gagal_terakhir=failure, sekarang=NOW, batas=timedelta(hours=26)
    )
    assert (fresh.basi, fresh.alasan) == (stale, why)


@pytest.mark.parametrize(
    ("cron", "limit"),
    [
        ("0 1 * * *", timedelta(hours=26)),  # nightly
        ("0 */6 * * *", timedelta(hours=8)),
        ("0 1 * * 1", timedelta(days=7, hours=2)),  # weekly
    ],
)
def test_the_schedule_sets_how_old_figures_may_be(cron: str, limit: timedelta) -> None:
    assert tl.batas_basi(cron, NOW) == limit


def test_the_rules_load_no_database_and_no_http() -> None:
    pure = ("app.mismatches.tindak_lanjut", "app.mismatches.sebab", "app.clock")
    probe = f"import sys\nfor m in {pure!r}: __import__(m)\nprint(' '.join(sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout.split()
    heavy = ("sqlalchemy", "fastapi", "starlette", "openpyxl", "jinja2", "pydantic")
    assert [m for m in loaded if m.split(".")[0] in heavy] == []


@pytest.mark.parametrize(
    ("held", "one", "why"),
    [
        ({"1.02.0.00.0.00.01.0000"}, True, "data OPD ini belum dikirim ke E-Planning"),
        ({"1.02.0.00.0.00.01.0000", "2.07.0.00.0.00.01.0000"}, False,
         "data OPD 1.02.0.00.0.00.01.0000, 2.07.0.00.0.00.01.0000 belum dikirim ke E-Planning"),
        (set(), True, None),
    ],
)  # fmt: skip
def test_a_held_opd_is_said_to_wait_for_an_admin(
    held: set[str], one: bool, why: str | None
) -> None:
    fresh = tl.kesegaran(
        berhasil_pada=ago(0.5), gagal_terakhir=None, sekarang=NOW, batas=timedelta(hours=26),
        ditahan=held, ditahan_sejak=ago(0.5), satu_opd=one,
    )  # fmt: skip
    assert fresh.basi is (why is not None)
    if why is None:
        assert fresh.alasan is None and fresh.ditahan_sejak is None
    else:
        assert fresh.alasan is not None and fresh.alasan.startswith(why)
        assert fresh.alasan.endswith(": menunggu persetujuan admin sejak " + waktu_wib(ago(0.5)))
        assert fresh.ditahan_sejak == ago(0.5)


def test_a_failure_after_the_held_run_is_said_first() -> None:
    fresh = tl.kesegaran(
        berhasil_pada=ago(1), gagal_terakhir=ago(0.5), sekarang=NOW, batas=timedelta(hours=26),
        ditahan={"1.02.0.00.0.00.01.0000"}, ditahan_sejak=ago(1), satu_opd=True,
    )  # fmt: skip
    assert fresh.alasan == "sinkronisasi terakhir gagal"
