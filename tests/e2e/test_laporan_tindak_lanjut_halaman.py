"""The follow-up on the pages: the overview's statuses, ages and sorting, the
cross-OPD page of a category, the print for the meeting with every open
finding, and every page saying when its data last synced (and warning when
that is stale or failed, or that there is no data at all)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select, update

from app.db import session_scope
from app.models import Mismatch, RunStatus, SyncRun, utcnow
from app.repositories import runs
from tests.e2e.laporan_halaman_data import BAPPEDA, DINKES, NAMA, PU, TAHAP, TAHUN
from tests.e2e.test_laporan_pages import Site, make_site

SCOPE = {"tahun_anggaran": str(TAHUN), "tahap": TAHAP}


@pytest.fixture
def site(engine: Engine, database_url: str) -> Iterator[Site]:
    yield from make_site(engine, database_url)


def _many(site: Site, n: int, kode_skpd: str = DINKES) -> None:
    site.found(
        *(
            {
                "source_id": f"banyak-{kode_skpd[:4]}-{i}",
                "kategori": "indikator_tidak_lengkap",
                "field": "sub_keg_indikator[0].satuanoutput",
                "keterangan": "satuan kosong",
                "kode_skpd": kode_skpd,
                "kode_sub_kegiatan": f"1.02.02.2.02.{i + 100:04d}",
            }
            for i in range(n)
        )
    )


def test_the_overview_shows_each_opds_follow_up_and_sorts_every_column(site: Site) -> None:
    # PU's findings are 20 days old and untouched: past the 14-day limit.
    with session_scope(site.sessions) as session:
        session.execute(
            update(Mismatch)
            .where(Mismatch.kode_skpd == PU)
            .values(first_seen_at=utcnow() - timedelta(days=20))
        )
    site.sign_in()
    html = site.client.get("/laporan", params=SCOPE).text
    rows = re.findall(r'<tr class="tl-(\w+)">.*?<a href="[^"]+">([^<]+)</a>', html, re.S)
    assert rows == [
        ("belum_menindaklanjuti", NAMA[PU]),
        ("sedang_menindaklanjuti", NAMA[DINKES]),
        ("tuntas", NAMA[BAPPEDA]),
    ]
    assert '<td class="angka" data-label="Tertua belum ditanggapi">20</td>' in html
    assert "Sinkronisasi berhasil terakhir" in html and "kesegaran basi" not in html
    # Every column sorts on the server, both ways.
    for key in ("peringkat", "nama", "status", "belum", "belum_umur", "diakui", "selesai",
                "dikecualikan", "median", "per100", "kesiapan", "aktivitas"):  # fmt: skip
        for urut in (key, f"-{key}"):
            answer = site.client.get("/laporan", params={**SCOPE, "urut": urut})
            assert answer.status_code == 200, urut
            assert answer.text.count('<tr class="tl-') == 3
    by_name = site.client.get("/laporan", params={**SCOPE, "urut": "-nama"}).text
    names = re.findall(
        r'<td class="opd" data-label="Perangkat daerah">\s*<a href="[^"]+">([^<]+)', by_name
    )
    assert names == sorted(names, key=str.lower, reverse=True)
    assert site.client.get("/laporan", params={"urut": "jumlah"}).status_code == 400
    assert site.client.get("/laporan", params={"sejak": "2026-02-30"}).status_code == 400
    # The pemda's category badges, ordered by count, lead to a page across OPDs.
    badges = re.findall(r'href="/laporan/kategori/(\w+)\?[^"]*">[^<]+: (\d+)</a>', html)
    counts = [int(n) for _, n in badges]
    assert counts == sorted(counts, reverse=True) and len(badges) >= 5


def test_a_category_across_every_opd(site: Site) -> None:
    _many(site, 3, DINKES)
    _many(site, 2, BAPPEDA)
    site.sign_in()
    html = site.client.get("/laporan/kategori/indikator_tidak_lengkap", params=SCOPE).text
    per_opd = re.findall(
        r'data-label="Perangkat daerah"><a href="[^"]+">([^<]+)</a></td>'
        r'<td class="angka" data-label="Terbuka">(\d+)',
        html,
    )
    assert per_opd == [(NAMA[DINKES], "3"), (NAMA[BAPPEDA], "2"), (NAMA[PU], "1")]
    assert html.count('<tr id="m-') == 6
    # A key of one OPD sees that OPD only.
    site.client.cookies.clear()
    site.sign_in("pu")
    mine = site.client.get("/laporan/kategori/indikator_tidak_lengkap", params=SCOPE).text
    assert mine.count('<tr id="m-') == 1 and NAMA[DINKES] not in mine
    assert site.client.get("/laporan/kategori/entah", params=SCOPE).status_code == 404


def test_the_meeting_print_holds_every_open_finding_grouped_by_opd_and_category(
    site: Site,
) -> None:
    _many(site, 120, DINKES)
    site.sign_in()
    html = site.client.get("/laporan/cetak", params=SCOPE).text
    with session_scope(site.sessions) as session:
        open_ids = set(
            session.scalars(select(Mismatch.id).where(Mismatch.status.in_(["baru", "diakui"])))
        )
    printed = {int(i) for i in re.findall(r'<tr class="temuan" data-id="(\d+)">', html)}
    assert printed == open_ids and len(printed) == 120 + 7
    # The pemda's totals once, after the OPDs; each OPD's table names it in the
    # header row its table repeats on every printed page.
    assert html.count("Total pemda") == 1
    heads = re.findall(r'<th colspan="6" class="kepala-cetak">([^<]+)<span', html)
    assert [h.strip() for h in heads] == [NAMA[DINKES], NAMA[PU]]
    dinkes = html[html.index(f'data-kode="{DINKES}"') : html.index(f'data-kode="{PU}"')]
    assert "Indikator/target tidak lengkap · 120 temuan" in dinkes
    assert "Lengkapi indikator keluaran" in dinkes  # the saran once per group
    assert dinkes.count("Lengkapi indikator keluaran") == 1
    # A key of one OPD prints its own.
    site.client.cookies.clear()
    site.sign_in("pu")
    own = site.client.get("/laporan/cetak", params=SCOPE).text
    assert len(re.findall(r'<tr class="temuan"', own)) == 5 and NAMA[DINKES] not in own
    other = site.client.get("/laporan/cetak", params={**SCOPE, "kode_skpd": DINKES})
    assert other.status_code == 404
    # From an OPD's page: every open finding of that OPD, not the 50 on screen.
    site.client.cookies.clear()
    site.sign_in()
    opd_page = site.client.get(f"/laporan/opd/{DINKES}", params=SCOPE).text
    link = re.search(r'<a href="([^"]+)" class="tombol">Cetak semua yang terbuka</a>', opd_page)
    assert link
    one = site.client.get(link.group(1).replace("&amp;", "&")).text
    assert len(re.findall(r'<tr class="temuan"', one)) == 122 and NAMA[PU] not in one


def test_every_page_says_when_the_data_last_synced_and_warns_when_stale(site: Site) -> None:
    site.sign_in()
    pages = ["/laporan", f"/laporan/opd/{PU}", "/laporan/kategori/pagu_berbeda", "/laporan/cetak"]
    with session_scope(site.sessions) as session:
        one = session.scalars(select(Mismatch.id).where(Mismatch.kode_skpd == PU)).first()
    pages.append(f"/laporan/mismatch/{one}")
    for path in pages:
        html = site.client.get(path, params=SCOPE).text
        assert "Sinkronisasi berhasil terakhir: <strong>" in html, path
        assert "data mungkin tidak mutakhir" not in html, path
    # A run that failed after the last success: said plainly on every page.
    with session_scope(site.sessions) as session:
        failed = runs.create(session, tahun_anggaran=TAHUN, tahap=TAHAP, full=True, trigger="uji")
        runs.finish(session, failed.id, status=RunStatus.FAILED, counts={}, error="E-Planning mati")
    for path in pages:
        html = site.client.get(path, params=SCOPE).text
        assert "data mungkin tidak mutakhir — sinkronisasi terakhir gagal" in html, path
    # The last success two days ago under a nightly schedule: stale.
    with session_scope(site.sessions) as session:
        session.execute(update(SyncRun).values(finished_at=utcnow() - timedelta(hours=50)))
        session.execute(
            update(SyncRun)
            .where(SyncRun.id == failed.id)
            .values(finished_at=utcnow() - timedelta(hours=60))
        )
    html = site.client.get("/laporan", params=SCOPE).text
    assert "sinkronisasi berhasil terakhir 50 jam yang lalu" in html


def test_a_scope_with_no_data_says_so_and_never_that_all_is_well(site: Site) -> None:
    site.sign_in()
    html = site.client.get("/laporan", params={"tahun_anggaran": "2031", "tahap": "renja"}).text
    assert "<strong>Belum ada data</strong>" in html
    assert "Rp 0" not in html and "Tuntas" not in html
    assert "Belum pernah ada sinkronisasi yang berhasil untuk cakupan ini" in html
    opd = site.client.get(f"/laporan/opd/{PU}", params={"tahun_anggaran": "2031"}).text
    assert "Belum ada data" in opd
    assert "sama di E-Program dan E-Planning" not in opd
    with session_scope(site.sessions) as session:
        assert session.scalar(select(func.count()).select_from(SyncRun)) == 3


def test_readiness_per_level_with_its_rule_and_a_consequence_under_its_cause(site: Site) -> None:
    with session_scope(site.sessions) as session:
        cause, follows = session.scalars(
            select(Mismatch.id).where(Mismatch.kode_skpd == PU).order_by(Mismatch.id).limit(2)
        ).all()
        session.execute(update(Mismatch).where(Mismatch.id == follows).values(penyebab_id=cause))
    site.sign_in()
    html = site.client.get(f"/laporan/opd/{PU}", params=SCOPE).text
    for tingkat in (
        "Capaian program",
        "Keluaran kegiatan",
        "Hasil kegiatan",
        "Keluaran sub kegiatan",
    ):
        assert f"<dt>{tingkat}</dt>" in html
    assert "keempat tingkat indikatornya" in html  # the rule beside the figure
    row = html[html.index(f'id="m-{follows}"') :]
    assert (
        f'akibat dari <a href="/laporan/mismatch/{cause}">#{cause}</a>' in row[: row.index("</tr>")]
    )
    detail = site.client.get(f"/laporan/mismatch/{follows}").text
    assert f'Akibat dari <a href="/laporan/mismatch/{cause}">#{cause}</a>' in detail


def _belum(html: str, nama: str) -> int:
    row = re.search(
        rf'>{re.escape(nama)}</a>.*?data-label="Belum ditanggapi">([\d.]+)</td>', html, re.S
    )
    assert row is not None, nama
    return int(row.group(1).replace(".", ""))


def test_the_overview_shows_a_decision_at_the_next_load(site: Site) -> None:
    """The overview keeps its figures between loads (app.mismatches.ikhtisar);
    a planner's decision is never hidden by them."""
    site.sign_in("planner")
    before = site.client.get("/laporan", params=SCOPE).text
    assert site.client.get("/laporan", params=SCOPE).text.count('<tr class="tl-') == 3
    untouched = _belum(before, NAMA[PU])
    assert untouched >= 1
    pagu = site.mismatch("pagu_berbeda")
    assert site.decide(pagu.id, "akui", catatan="dicek bidang anggaran").status_code == 303
    after = site.client.get("/laporan", params=SCOPE).text
    assert _belum(after, NAMA[PU]) == untouched - 1
    assert "perencana-bappeda" in after  # the OPD's last activity names who decided
