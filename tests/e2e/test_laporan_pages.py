"""The planners' report pages over HTTP: sign-in, the session cookie, CSRF,
OPD scope, escaping, Rupiah and WIB, and decisions kept in the history."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import openpyxl
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.access import keys
from app.access.keys import Role, hash_key
from app.access.policy import POLICY, SESI
from app.config import Settings
from app.db import session_scope
from app.main import create_app
from app.mismatches import ditemukan
from app.mismatches.temuan import MismatchRow
from app.models import AuditEvent, Mismatch, MismatchEvent, WebSession
from app.web import ROUTERS
from tests.e2e.laporan_halaman_data import BAPPEDA, DINKES, NAMA, PU, TAHAP, TAHUN, seed

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Site:
    client: TestClient
    sessions: sessionmaker[Session]
    keys: dict[str, str]
    settings: Settings

    def sign_in(self, who: str = "admin", *, lanjut: str = "") -> str:
        """Sign in with a key; returns where the form sent the browser."""
        form = self.client.get("/laporan/masuk")
        assert form.status_code == 200
        answer = self.client.post(
            "/laporan/masuk",
            data={"csrf": token_in(form.text), "kunci": self.keys[who], "lanjut": lanjut},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        return str(answer.headers["location"])

    def found(self, *rows: dict[str, object]) -> None:
        """Mismatches found by a run, beyond the seeded ones (unset values are None)."""
        empty = dict.fromkeys(("field", "nilai_eprogram", "nilai_eplanning", "keterangan"))
        with session_scope(self.sessions) as session:
            ditemukan.record(
                session,
                1,
                [MismatchRow(tahun_anggaran=TAHUN, tahap=TAHAP, **{**empty, **r}) for r in rows],
            )

    def mismatch(self, kategori: str, opd: str = PU) -> Mismatch:
        with session_scope(self.sessions) as session:
            found = session.scalars(
                select(Mismatch).where(Mismatch.kategori == kategori, Mismatch.kode_skpd == opd)
            ).one()
            session.expunge(found)
            return found

    def decide(self, mismatch_id: int, keputusan: str, **fields: str) -> httpx.Response:
        page = self.client.get(f"/laporan/mismatch/{mismatch_id}")
        return self.client.post(
            f"/laporan/mismatch/{mismatch_id}/{keputusan}",
            data={"csrf": token_in(page.text), **fields},
            follow_redirects=False,
        )


def token_in(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the form"
    return found.group(1)


def make_site(
    engine: Engine, database_url: str, *, base_url: str = "http://testserver", **settings: object
) -> Iterator[Site]:
    sessions = sessionmaker(engine, expire_on_commit=False)
    seed(sessions)
    with session_scope(sessions) as session:
        made = {
            "admin": keys.create(session, name="admin-bappeda", role=Role.ADMIN),
            "planner": keys.create(session, name="perencana-bappeda", role=Role.PLANNER),
            "pu": keys.create(session, name="operator-pupr", role=Role.PLANNER, kode_skpd=[PU]),
            "dua": keys.create(
                session, name="operator-dua", role=Role.PLANNER, kode_skpd=[PU, DINKES]
            ),
        }
    config = Settings(_env_file=None, database_url=database_url, **settings)
    with TestClient(create_app(config, engine), base_url=base_url) as client:
        yield Site(client, sessions, made, config)


@pytest.fixture
def site(engine: Engine, database_url: str) -> Iterator[Site]:
    yield from make_site(engine, database_url)


def test_pages_ask_for_a_sign_in_first(site: Site) -> None:
    answer = site.client.get(f"/laporan/opd/{PU}?status=semua", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        "/laporan/masuk?lanjut=%2Flaporan%2Fopd%2F1.03.0.00.0.00.01.0000%3Fstatus%3Dsemua"
    )
    # After signing in, the browser goes back where it was going.
    assert site.sign_in(lanjut=f"/laporan/opd/{PU}?status=semua") == (
        f"/laporan/opd/{PU}?status=semua"
    )
    # ...but never to another site.
    site.client.cookies.clear()
    assert site.sign_in(lanjut="//evil.example/laporan") == "/laporan"


def test_the_session_cookie_is_strict_httponly_and_only_its_hash_is_stored(site: Site) -> None:
    form = site.client.get("/laporan/masuk")
    answer = site.client.post(
        "/laporan/masuk",
        data={"csrf": token_in(form.text), "kunci": site.keys["planner"]},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/laporan"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("sinkron_sesi="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path", "samesite"} <= attributes
    assert "samesite=strict" in cookie.lower() and "path=/laporan" in cookie.lower()
    # A session cookie: gone when the browser closes; the server bounds it too.
    assert "max-age" not in attributes and "expires" not in attributes
    assert "secure" not in attributes  # only when the setting says so (next test)
    token = cookie.split(";")[0].split("=", 1)[1]
    with session_scope(site.sessions) as session:
        row = session.scalars(select(WebSession)).one()
        assert row.token_hash == hash_key(token) and token not in row.token_hash
        lifetime = row.expires_at - row.created_at
        assert timedelta(hours=7.9) < lifetime <= timedelta(hours=8)

    # Signing in again (another key) replaces the browser's session.
    assert site.sign_in("admin") == "/laporan"
    with session_scope(site.sessions) as session:
        assert [r.token_hash == hash_key(token) for r in session.scalars(select(WebSession))] == [
            False
        ]
    overview = site.client.get("/laporan")
    assert overview.status_code == 200
    assert "Masuk sebagai" in overview.text and "admin-bappeda" in overview.text
    assert overview.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in overview.headers["content-security-policy"]

    signed_out = site.client.post(
        "/laporan/keluar", data={"csrf": token_in(overview.text)}, follow_redirects=False
    )
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/laporan/masuk"
    with session_scope(site.sessions) as session:
        assert session.scalars(select(WebSession)).all() == []
    # The old token opens nothing any more, even if a browser kept it.
    site.client.cookies.set("sinkron_sesi", token, path="/laporan")
    assert site.client.get("/laporan", follow_redirects=False).status_code == 303


def test_the_cookie_is_secure_when_the_setting_says_so(engine: Engine, database_url: str) -> None:
    # Secure cookies travel over HTTPS only: the browser here speaks it.
    for site in make_site(
        engine,
        database_url,
        base_url="https://testserver",
        laporan_cookie_secure=True,
        laporan_session_hours=2,
    ):
        form = site.client.get("/laporan/masuk")
        answer = site.client.post(
            "/laporan/masuk",
            data={"csrf": token_in(form.text), "kunci": site.keys["admin"]},
            follow_redirects=False,
        )
        cookie = next(
            c for c in answer.headers.get_list("set-cookie") if c.startswith("sinkron_sesi=")
        )
        assert "; secure" in cookie.lower()
        with session_scope(site.sessions) as session:
            row = session.scalars(select(WebSession)).one()
            assert row.expires_at - row.created_at <= timedelta(hours=2)


def test_a_wrong_key_is_refused_and_audited(site: Site) -> None:
    form = site.client.get("/laporan/masuk")
    answer = site.client.post(
        "/laporan/masuk", data={"csrf": token_in(form.text), "kunci": "skr_salah"}
    )
    assert answer.status_code == 401
    assert "Kunci tidak dikenal atau sudah dicabut" in answer.text
    with session_scope(site.sessions) as session:
        assert session.scalars(select(WebSession)).all() == []
        denied = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "akses.ditolak")
        ).all()
        assert [(e.target, e.status_code) for e in denied] == [("POST /laporan/masuk", 401)]
        assert "skr_salah" not in repr([e.detail for e in denied])


def test_forged_csrf_tokens_are_refused_with_a_clear_page(site: Site) -> None:
    # Sign-in from another page: its token is not this browser's.
    site.client.get("/laporan/masuk")
    forged_sign_in = site.client.post(
        "/laporan/masuk", data={"csrf": "dari-situs-lain", "kunci": site.keys["admin"]}
    )
    assert forged_sign_in.status_code == 403
    assert "token keamanan tidak cocok" in forged_sign_in.text

    site.sign_in()
    target = site.mismatch("pagu_berbeda")
    for forged in ("palsu", ""):
        answer = site.client.post(
            f"/laporan/mismatch/{target.id}/akui",
            data={"csrf": forged, "catatan": "dipalsukan"},
            follow_redirects=False,
        )
        assert answer.status_code == 403
        assert "Formulir ditolak" in answer.text and "<html" in answer.text
    assert site.mismatch("pagu_berbeda").status == "baru"
    refused_sign_out = site.client.post("/laporan/keluar", data={"csrf": "palsu"})
    assert refused_sign_out.status_code == 403
    assert site.client.get("/laporan").status_code == 200  # still signed in
    with session_scope(site.sessions) as session:
        denied = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "akses.ditolak", AuditEvent.status_code == 403
            )
        ).all()
        # Folded per address and actor: one row each, with a count.
        assert sorted((e.actor, e.count) for e in denied) == [
            ("admin-bappeda", 3),
            ("anonim", 1),
        ]


def test_a_scoped_key_lands_on_its_opd_and_sees_no_other(site: Site) -> None:
    assert site.sign_in("pu") == f"/laporan/opd/{PU}"
    page = site.client.get(f"/laporan/opd/{PU}")
    assert page.status_code == 200 and NAMA[PU] in page.text

    overview = site.client.get("/laporan")
    assert NAMA[PU] in overview.text
    assert NAMA[DINKES] not in overview.text and NAMA[BAPPEDA] not in overview.text

    other = site.mismatch("pagu_berbeda", DINKES)
    for path in (f"/laporan/opd/{DINKES}", f"/laporan/mismatch/{other.id}", "/laporan/opd/-"):
        answer = site.client.get(path)
        assert answer.status_code == 404, path
        assert "Halaman tidak ditemukan" in answer.text and NAMA[DINKES] not in answer.text
    assert site.client.get(f"/laporan/opd/{DINKES}/ekspor.csv").status_code == 404
    decided = site.decide(other.id, "akui", catatan="bukan milik saya")
    assert decided.status_code == 404
    assert site.mismatch("pagu_berbeda", DINKES).status == "baru"


def test_a_key_with_several_opds_lands_on_the_overview_of_those(site: Site) -> None:
    assert site.sign_in("dua") == "/laporan"
    overview = site.client.get("/laporan").text
    assert NAMA[PU] in overview and NAMA[DINKES] in overview and NAMA[BAPPEDA] not in overview


def test_a_revoked_key_or_an_expired_session_signs_the_browser_out(site: Site) -> None:
    site.sign_in("planner")
    assert site.client.get("/laporan").status_code == 200
    with session_scope(site.sessions) as session:
        keys.revoke(session, "perencana-bappeda")
    answer = site.client.get("/laporan", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/laporan/masuk")

    site.client.cookies.clear()
    site.sign_in("admin")
    with session_scope(site.sessions) as session:
        session.execute(
            update(WebSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert site.client.get("/laporan", follow_redirects=False).status_code == 303
    # A form posted after the session ended is refused, not carried out.
    target = site.mismatch("nama_berbeda")
    late = site.client.post(
        f"/laporan/mismatch/{target.id}/akui", data={"csrf": "x"}, follow_redirects=False
    )
    assert late.status_code == 401 and "silakan masuk lagi" in late.text


def test_names_are_escaped(site: Site) -> None:
    site.found(
        {
            "source_id": "xss-1",
            "kategori": "nama_berbeda",
            "field": "nama_sub_kegiatan",
            "nilai_eprogram": "<script>alert('E-Program')</script>",
            "nilai_eplanning": "<img src=x onerror=alert(1)>",
            "keterangan": "<b>tebal</b>",
            "kode_skpd": PU,
            "kode_sub_kegiatan": "1.03.02.2.01.0099",
            "nama_sub_kegiatan": "<script>alert('nama')</script>",
        }
    )
    site.sign_in()
    for path in (f"/laporan/opd/{PU}?q=2.01.0099", f"/laporan/opd/{PU}?kategori=nama_berbeda"):
        html = site.client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>tebal" not in html
        assert "&lt;script&gt;alert(&#39;nama&#39;)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # A search term is echoed back escaped too.
    html = site.client.get(f"/laporan/opd/{PU}", params={"q": '"><script>x</script>'}).text
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


def test_problems_filed_under_no_opd_have_a_page_for_unscoped_keys(site: Site) -> None:
    site.found(
        {
            "source_id": "tanpa-opd-1",
            "kategori": "data_tidak_valid",
            "field": "kode_skpd",
            "nilai_eprogram": "1.0X.0.00",
            "keterangan": "kode perangkat daerah tidak terbaca",
        }
    )
    site.sign_in()
    overview = site.client.get("/laporan").text
    assert "Tanpa perangkat daerah" in overview
    assert overview.count("<polyline") == 4  # no line of its own (it has no snapshots)
    page = site.client.get("/laporan/opd/-")
    assert page.status_code == 200
    assert "1.0X.0.00" in page.text and page.text.count('<tr id="m-') == 1


def test_a_long_table_comes_in_pages_that_keep_the_filters(site: Site) -> None:
    site.found(
        *(
            {
                "source_id": f"banyak-{i}",
                "kategori": "indikator_tidak_lengkap",
                "field": "indikator[0].satuan",
                "nilai_eplanning": "Dokumen",
                "keterangan": "satuan kosong",
                "kode_skpd": PU,
            }
            for i in range(60)
        )
    )
    site.sign_in()
    first = site.client.get(f"/laporan/opd/{PU}", params={"kategori": "indikator_tidak_lengkap"})
    assert first.text.count('<tr id="m-') == 50
    assert "61 baris" in first.text and "Halaman 1 dari 2" in first.text
    numbered = re.search(r'href="([^"]+halaman=2)"[^>]*>2</a>', first.text)
    assert numbered and "kategori=indikator_tidak_lengkap" in numbered.group(1)
    second = site.client.get(numbered.group(1).replace("&amp;", "&"))
    assert second.text.count('<tr id="m-') == 11
    assert "Halaman 2 dari 2" in second.text
    # Sorted on the server: newest id first, kept across the pages.
    newest = site.client.get(
        f"/laporan/opd/{PU}", params={"kategori": "indikator_tidak_lengkap", "urut": "-id"}
    )
    ids = [int(i) for i in re.findall(r'<tr id="m-(\d+)"', newest.text)]
    assert ids == sorted(ids, reverse=True) and len(ids) == 50
    assert 'aria-sort="descending"' in newest.text
    assert "urut=-id" in re.search(r'href="([^"]+halaman=2)"', newest.text).group(1)
    assert site.client.get(f"/laporan/opd/{PU}?halaman=abc").status_code == 400
    assert site.client.get(f"/laporan/opd/{PU}?urut=nilai_eprogram").status_code == 400


def test_pagu_reads_in_rupiah_and_times_in_wib(site: Site) -> None:
    pagu = site.mismatch("pagu_berbeda")
    with session_scope(site.sessions) as session:
        session.execute(
            update(Mismatch)
            .where(Mismatch.id == pagu.id)
            .values(first_seen_at=datetime(2026, 12, 2, 1, 15, tzinfo=UTC))
        )
    site.sign_in()
    html = site.client.get(f"/laporan/opd/{PU}").text
    row = html[html.index(f'id="m-{pagu.id}"') :]
    row = row[: row.index("</tr>")]
    assert "Rp 1.250.000.000" in row and "Rp 1.150.000.000" in row
    assert "pertama ditemukan 2 Desember 2026 08.15 WIB" in row
    # A pagu that cannot be read stays as it was written.
    assert "12O.000.000" in html
    # The OPD's own totals and its program roll-up, in Rupiah.
    assert "Rp 7.650.000.000" in html  # pagu E-Program of the six sub kegiatan
    assert "Rp 100.000.000" in html  # the difference on program 1.03.02
    rollup = html[html.index("Selisih pagu per program") :]
    assert '1.03.02</span> — <span class="nama">PROGRAM PENGELOLAAN SUMBER DAYA AIR (SDA)' in rollup

    detail = site.client.get(f"/laporan/mismatch/{pagu.id}").text
    assert "Rp 1.250.000.000" in detail and "Rp 1.150.000.000" in detail


def test_the_overview_ranks_opds_with_totals_and_trend_lines(site: Site) -> None:
    site.sign_in()
    html = site.client.get(f"/laporan?tahun_anggaran={TAHUN}&tahap={TAHAP}").text
    # PU has five open mismatches, Dinkes two, Bappeda none (its duplicate is gone).
    assert html.index(NAMA[PU]) < html.index(NAMA[DINKES]) < html.index(NAMA[BAPPEDA])
    assert "Total pemda" in html
    assert html.count("<polyline") == 4  # three OPDs and the pemda
    assert "Rp 178.050.000.000" in html  # pagu E-Program of the pemda
    assert "Kesiapan SAKIP" in html and "66,7%" in html
    # An unknown tahap is a clear 400 page, not a crash.
    wrong = site.client.get("/laporan?tahap=tahunan")
    assert wrong.status_code == 400 and "tahap &#39;tahunan&#39; tidak dikenal" in wrong.text


def test_filters_narrow_the_table_and_travel_with_the_export_links(site: Site) -> None:
    site.sign_in()
    html = site.client.get(
        f"/laporan/opd/{PU}", params={"kategori": "pagu_berbeda", "q": "1.03.02"}
    ).text
    assert "1 baris" in html
    assert html.count('<tr id="m-') == 1
    assert (
        f"/laporan/opd/{PU}/ekspor.xlsx?tahun_anggaran={TAHUN}&amp;tahap={TAHAP}"
        "&amp;kategori=pagu_berbeda&amp;status=terbuka&amp;q=1.03.02"
    ) in html
    wrong = site.client.get(f"/laporan/opd/{PU}?kategori=bukan_kategori")
    assert wrong.status_code == 400 and "kategori" in wrong.text
    # Bad input is answered by a page, never the API's JSON.
    for path, status in (
        (f"/laporan/opd/{PU}?q={'x' * 500}", 400),
        (f"/laporan/opd/{PU}?tahun_anggaran=dua-ribu", 400),
        (f"/laporan/opd/{PU}?status=hilang", 400),
        ("/laporan/mismatch/abc", 404),
        ("/laporan/mismatch/99999999999999999999999", 404),
    ):
        answer = site.client.get(path)
        assert answer.status_code == status, path
        assert answer.headers["content-type"].startswith("text/html"), path

    export = site.client.get(
        f"/laporan/opd/{PU}/ekspor.xlsx",
        params={"tahun_anggaran": TAHUN, "tahap": TAHAP, "kategori": "pagu_berbeda"},
    )
    assert export.status_code == 200
    assert "attachment" in export.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(export.content))
    assert book.sheetnames == ["Ringkasan", "Pagu berbeda"]

    csv = site.client.get(f"/laporan/opd/{PU}/ekspor.csv", params={"status": "semua"})
    assert csv.status_code == 200 and csv.content.startswith("\ufeff".encode())
    lines = csv.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + 5  # the header and PU's five mismatches
    assert all(PU in line for line in lines[1:])


def test_decisions_with_notes_are_kept_as_events_and_audited(site: Site) -> None:
    site.sign_in("planner")
    pagu = site.mismatch("pagu_berbeda")
    back = f"/laporan/opd/{PU}?status=semua#m-{pagu.id}"
    answer = site.decide(pagu.id, "akui", catatan="sedang dicek bidang anggaran", kembali=back)
    assert answer.status_code == 303
    # Back where it was, told what was saved.
    assert (
        answer.headers["location"]
        == f"/laporan/opd/{PU}?status=semua&diputuskan={pagu.id}#m-{pagu.id}"
    )
    told = site.client.get(answer.headers["location"]).text
    assert (
        f'ketidaksesuaian <a href="#m-{pagu.id}">#{pagu.id}</a> (Pagu berbeda) kini berstatus'
        in told
    )
    assert f'action="/laporan/mismatch/{pagu.id}/buka-kembali" class="sebaris urungkan"' in told

    nama = site.mismatch("nama_berbeda")
    refused = site.decide(nama.id, "kecualikan", alasan="  ")
    assert refused.status_code == 409
    assert "alasan wajib diisi" in refused.text
    excepted = site.decide(nama.id, "kecualikan", alasan="nama lama dipakai sampai APBD-P")
    assert excepted.status_code == 303
    reopened = site.decide(pagu.id, "buka-kembali", catatan="ternyata belum beres")
    assert reopened.status_code == 303
    again = site.decide(nama.id, "akui")
    assert again.status_code == 409
    assert site.decide(nama.id, "hapus").status_code == 404

    with session_scope(site.sessions) as session:
        events = session.scalars(
            select(MismatchEvent)
            .where(MismatchEvent.oleh == "perencana-bappeda")
            .order_by(MismatchEvent.id)
        ).all()
        assert [(e.mismatch_id, e.dari, e.ke, e.catatan) for e in events] == [
            (pagu.id, "baru", "diakui", "sedang dicek bidang anggaran"),
            (nama.id, "baru", "dikecualikan", "nama lama dipakai sampai APBD-P"),
            (pagu.id, "diakui", "baru", "ternyata belum beres"),
        ]
        audited = session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("mismatch.%")).order_by(AuditEvent.id)
        ).all()
        assert [(a.action, a.actor, a.target) for a in audited] == [
            ("mismatch.akui", "perencana-bappeda", f"mismatch {pagu.id}"),
            ("mismatch.kecualikan", "perencana-bappeda", f"mismatch {nama.id}"),
            ("mismatch.buka-kembali", "perencana-bappeda", f"mismatch {pagu.id}"),
        ]
        assert audited[1].detail is not None
        assert audited[1].detail["catatan"] == "nama lama dipakai sampai APBD-P"

    history = site.client.get(f"/laporan/mismatch/{pagu.id}").text
    assert "sedang dicek bidang anggaran" in history and "ternyata belum beres" in history
    assert history.count("perencana-bappeda") >= 2
    # The excepted one leaves the default (open) table and shows under its status.
    opd = site.client.get(f"/laporan/opd/{PU}").text
    assert f'id="m-{nama.id}"' not in opd
    assert f'id="m-{nama.id}"' in site.client.get(f"/laporan/opd/{PU}?status=dikecualikan").text


def test_assets_are_served_by_the_service(site: Site) -> None:
    css = site.client.get("/laporan/aset/laporan.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "size: A4 landscape" in css.text
    assert site.client.get("/laporan/aset/laporan.js").status_code == 200
    assert site.client.get("/laporan/aset/..%2F..%2Fconfig.py").status_code == 404
    assert site.client.get("/laporan/aset/rahasia.txt").status_code == 404
    site.sign_in()
    html = site.client.get("/laporan").text
    assert "http://" not in html and "https://" not in html  # nothing from outside


def test_every_report_route_has_a_policy_row_that_says_how_it_is_guarded() -> None:
    # The pages are left out of the OpenAPI document, which the service's
    # policy test walks; this one walks their routers.
    routes = {
        (method, route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    rows = {key for key in POLICY if key[1].startswith("/laporan")}
    assert {r for r in routes if r[1].startswith("/laporan")} == rows
    # The bare address and the API's documentation pages: before any session.
    assert {r: POLICY[r].who for r in routes - rows} == dict.fromkeys(
        {("GET", "/"), ("GET", "/docs"), ("GET", "/redoc"), ("GET", "/docs/aset/{berkas}")},
        "publik",
    )
    public = {key for key in rows if POLICY[key].who != SESI}
    assert public == {
        ("GET", "/laporan/masuk"),
        ("POST", "/laporan/masuk"),
        ("GET", "/laporan/aset/{nama}"),
    }
