"""Each OPD told what is waiting (issue 19.5), through real scheduled runs against
the stand-ins, with the service's own wiring (`app.service.Background`: the
worker's hook after a run, the loop's tick) and a real SMTP server in this
process (`standins.surel`, aiosmtpd) on a port the OS picks. On SQLite and
PostgreSQL; a fake clock (`app.clock`) lives through the days and weeks."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app import clock
from app.access.keys import Principal, Role
from app.cli import cli
from app.clock import JamPalsu
from app.config import Settings, get_settings
from app.db import session_scope
from app.digests import baca
from app.digests.alamat import PEMDA
from app.digests.layanan import Pengantar
from app.mismatches.keputusan import Pemutus, decide_one
from app.mismatches.siklus import Keputusan
from app.models import OPEN_MISMATCH, AuditEvent, DigestOutbox, Mismatch, RunStatus
from app.runs.schedule import create_scheduled_run
from app.runs.service import Background
from app.sync.progress import RunSummary
from standins.dataset import EProgramDataset
from standins.generator import generate
from standins.surel import KotakSurat
from tests.e2e.conftest import TAHAP, TAHUN, World, make_world

BASE = "https://sinkron.meranti.go.id"


def background(settings: Settings, sessions: sessionmaker[Session]) -> Background:
    """The service's background work as create_app assembles it."""
    return Background(settings, sessions, after_runs=Pengantar(settings, sessions))


PEMDA_LIST = ["kepala@bappeda.meranti.go.id", "bupati@meranti.go.id"]
PEMDA_TO = ", ".join(sorted(PEMDA_LIST))  # a list is kept in order of address
# Monday 2 November 2026, 01:00 WIB: the nightly run's time.
MULAI = datetime(2026, 11, 1, 18, 0, tzinfo=UTC)


@pytest.fixture
def dataset(sample_items: list[dict[str, Any]]) -> EProgramDataset:
    """200 tidy records of which a fifth carry a problem: findings in several OPDs."""
    return generate(
        sample_items,
        tahun_anggaran=TAHUN,
        tahap=TAHAP,
        size=200,
        seed=11,
        untidy=False,
        problem_rate=0.2,
    )


@pytest.fixture
def world(
    session_factory: sessionmaker[Session], database_url: str, dataset: EProgramDataset
) -> Iterator[World]:
    yield from make_world(session_factory, database_url, dataset)


@pytest.fixture
def jam() -> Iterator[JamPalsu]:
    fake = JamPalsu(MULAI)
    with clock.using(fake):
        yield fake


@pytest.fixture
def kotak() -> Iterator[KotakSurat]:
    with KotakSurat() as mailbox:
        yield mailbox


def with_mail(world: World, kotak: KotakSurat, **more: Any) -> Settings:
    return world.settings.model_copy(
        update={
            "smtp_host": kotak.host,
            "smtp_port": kotak.port,
            "smtp_starttls": False,
            "smtp_from": "Sinkron <sinkron@meranti.go.id>",
            "base_url": BASE,
            "sync_scopes": f"{TAHUN}:{TAHAP}",
            "digest_schedule": "0 7 * * 1",
            **more,
        }
    )


def address(kode: str) -> str:
    return f"perencanaan.{kode.replace('.', '-')}@meranti.go.id"


def every_opd(dataset: EProgramDataset) -> list[str]:
    return sorted({str(r["kode_skpd"]) for r in dataset.records})


def set_contacts(world: World, kode: list[str], *, pemda: bool = False) -> None:
    with session_scope(world.sessions) as session:
        for k in kode:
            baca.kontak_set(session, k, [address(k)])
        if pemda:
            baca.kontak_set(session, PEMDA, PEMDA_LIST)


def scheduled(bg: Background, world: World, jam: JamPalsu) -> RunSummary:
    """A nightly run as the service carries it out: created for the cron time by
    the schedule, claimed and run by the worker, whose hook makes the digests."""
    finished: list[RunSummary] = []
    hook = bg.worker.on_finished
    bg.worker.on_finished = lambda summary: (finished.append(summary), hook(summary))[1]
    with session_scope(world.sessions) as session:
        run_id = create_scheduled_run(session, (TAHUN, TAHAP), scheduled_for=jam()).id
    assert bg.worker.run_next()
    bg.worker.on_finished = hook
    [summary] = finished
    assert summary.run_id == run_id
    return summary


def open_per_opd(world: World, *, first_run: int | None = None) -> dict[str, list[Mismatch]]:
    with session_scope(world.sessions) as session:
        stmt = select(Mismatch).where(
            Mismatch.status.in_(OPEN_MISMATCH),
            Mismatch.kode_skpd.is_not(None),
            Mismatch.penyebab_id.is_(None),
        )
        if first_run is not None:
            stmt = stmt.where(Mismatch.first_run_id == first_run)
        found: dict[str, list[Mismatch]] = {}
        for m in session.scalars(stmt.order_by(Mismatch.id)):
            found.setdefault(str(m.kode_skpd), []).append(m)
        session.expunge_all()
        return found


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def by_recipient(mails: list[EmailMessage]) -> dict[str, EmailMessage]:
    found: dict[str, EmailMessage] = {}
    for mail in mails:
        assert mail["To"] not in found, f"two digests to {mail['To']}"
        found[str(mail["To"])] = mail
    return found


def fakta(mail: EmailMessage) -> dict[str, str]:
    """The digest's figures, as its text lists them ('Label   value')."""
    rows = (re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in text_of(mail).splitlines())
    return {row[0]: row[1] for row in rows if len(row) == 2}


def since_last(facts: dict[str, str]) -> str:
    [value] = [v for k, v in facts.items() if k.startswith("Temuan baru sejak ringkasan terakhir")]
    return value


def link(kode: str) -> str:
    return f"{BASE}/laporan/opd/{kode}?tahun_anggaran={TAHUN}&tahap={TAHAP}"


def edit_a_record_of(world: World, kode: str, pagu: int, *, nth: int = 0) -> None:
    """A planner changes the ``nth`` record of this OPD in E-Planning: a new finding."""
    records = world.eplanning_records()
    keys = [k for k, r in sorted(records.items()) if r["kode_skpd"] == kode and r["aktif"]]
    world.manual_edit(keys[nth], {"pagu": f"{pagu}.00"})


def digest_audit(world: World) -> list[dict[str, Any]]:
    with session_scope(world.sessions) as session:
        return [
            dict(e.detail or {})
            for e in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "digest.kirim")
                .order_by(AuditEvent.id)
            )
        ]


def test_each_opd_gets_its_counts_and_link_once_a_day_and_what_is_new_since(
    world: World, kotak: KotakSurat, jam: JamPalsu
) -> None:
    bg = background(with_mail(world, kotak), world.sessions)
    set_contacts(world, every_opd(world.dataset), pemda=True)

    world.sync(full=True)  # a run by hand: nobody is told
    assert kotak.surat == []
    with session_scope(world.sessions) as session:
        session.execute(Mismatch.__table__.delete())  # so the scheduled run finds them anew

    first = scheduled(bg, world, jam)
    assert first.status == RunStatus.SUCCEEDED
    found = open_per_opd(world)
    assert len(found) >= 3
    mails = by_recipient(kotak.tunggu(len(found)))
    # only the OPDs it found something for; the pemda's summary is weekly
    assert sorted(mails) == sorted(address(k) for k in found)
    for kode, findings in found.items():
        mail = mails[address(kode)]
        assert mail.get_content_type() == "multipart/alternative"
        facts = fakta(mail)
        assert facts["Temuan terbuka (ringkasan pertama)"] == str(len(findings))
        assert facts["Belum ditanggapi seluruhnya"] == str(len(findings))
        # every OPD of the scope is ranked; those with findings before the tuntas ones
        rank, total = re.fullmatch(r"(\d+) dari (\d+) OPD", facts["Peringkat"]).groups()  # type: ignore[union-attr]
        assert int(rank) <= len(found) and int(total) == len(every_opd(world.dataset))
        assert facts["Status tindak lanjut"] == "Sedang menindaklanjuti"
        assert f"Lihat dan tanggapi: {link(kode)}" in text_of(mail)
        assert f'href="{link(kode)}"' in html_of(mail).replace("&amp;", "&")
        assert "per 2 November 2026 01.00 WIB" in text_of(mail)
    assert len(kotak.surat) == len(found)

    # Later the same day: a planner's edit gives an OPD something new; the
    # second scheduled run sends nothing twice.
    kode, other = sorted(found)[:2]
    jam.maju(jam=12)
    edit_a_record_of(world, kode, 1_111_111)
    second = scheduled(bg, world, jam)
    assert open_per_opd(world, first_run=second.run_id).get(kode)
    assert bg.after_runs is not None
    bg.after_runs.tick()
    assert len(kotak.surat) == len(found)

    # The next night: something new for two OPDs; each is told what came since
    # its last digest, the finding of the day before included.
    jam.maju(hari=1)
    edit_a_record_of(world, kode, 3_333_333, nth=1)
    edit_a_record_of(world, other, 2_222_222)
    third = scheduled(bg, world, jam)
    news = open_per_opd(world, first_run=third.run_id)
    assert {kode, other} <= set(news)
    later = by_recipient(kotak.tunggu(len(found) + len(news))[len(found) :])
    assert sorted(later) == sorted(address(k) for k in news)
    for k in (kode, other):
        came = [
            m for m in open_per_opd(world)[k] if m.first_run_id in (second.run_id, third.run_id)
        ]
        assert since_last(fakta(later[address(k)])) == str(len(came))
    assert len(came) >= 1
    assert len(kotak.surat) == len(found) + len(news)
    assert [d["hasil"] for d in digest_audit(world)] == ["terkirim"] * len(kotak.surat)


def decide_all(world: World, kode: str, keputusan: Keputusan) -> int:
    pemutus = Pemutus(Principal("perencana.opd", Role.PLANNER), None, None, 200)
    with session_scope(world.sessions) as session:
        ids = list(
            session.scalars(
                select(Mismatch.id).where(
                    Mismatch.kode_skpd == kode, Mismatch.status.in_(OPEN_MISMATCH)
                )
            )
        )
        for mismatch_id in ids:
            catatan = "sudah sesuai SK" if keputusan == Keputusan.KECUALIKAN else "diperbaiki"
            decide_one(session, mismatch_id, keputusan, catatan, pemutus=pemutus)
    return len(ids)


def test_the_weekly_digests_give_each_status_and_the_pemda_the_opds_that_did_not_follow_up(
    world: World, kotak: KotakSurat, jam: JamPalsu
) -> None:
    bg = background(with_mail(world, kotak), world.sessions)
    assert bg.after_runs is not None
    bg.after_runs.tick()  # the service starts: a new install sends nothing for the past week
    first = scheduled(bg, world, jam)
    assert first.status == RunStatus.SUCCEEDED
    found = open_per_opd(world)
    a, b, c = sorted(found, key=lambda k: (-len(found[k]), k))[:3]
    assert kotak.surat == []  # nobody had contacts yet
    set_contacts(world, [a, b, c], pemda=True)

    # A excepts what it holds to be right, B acknowledges, C does nothing; the
    # other OPDs acknowledge theirs, so only C is left untouched.
    jam.maju(hari=2)
    assert decide_all(world, a, Keputusan.KECUALIKAN)
    for kode in set(found) - {a, c}:
        assert decide_all(world, kode, Keputusan.AKUI)

    jam.maju(hari=13)  # Tuesday 17 November, 01:00 WIB: Monday's 07:00 WIB has come
    assert bg.after_runs is not None
    bg.after_runs.tick()
    mails = by_recipient(kotak.tunggu(4))
    assert sorted(mails) == sorted([address(a), address(b), address(c), PEMDA_TO])

    status = {k: fakta(mails[address(k)])["Status tindak lanjut"] for k in (a, b, c)}
    assert status == {
        a: "Tuntas",
        b: "Sedang menindaklanjuti",
        c: "Belum menindaklanjuti",
    }
    late = fakta(mails[address(c)])
    assert late["Peringkat"] == f"1 dari {len(every_opd(world.dataset))} OPD"
    assert late["Belum ditanggapi lebih dari 14 hari"] == f"{len(found[c])} (tertua 15 hari)"
    assert mails[address(c)]["Subject"].startswith("[Sinkron] Ringkasan mingguan")
    assert f"Lihat dan tanggapi: {link(c)}" in text_of(mails[address(c)])
    assert fakta(mails[address(b)])["Diakui, masih terbuka"] == str(len(found[b]))

    summary = mails[PEMDA_TO]
    assert summary["Subject"] == (
        f"[Sinkron] Ringkasan mingguan pemda: 1 OPD belum menindaklanjuti (Renja TA {TAHUN})"
    )
    waiting, _, ranking = text_of(summary).partition("Peringkat tindak lanjut:")
    assert c in waiting and a not in waiting and b not in waiting
    ranked = [line.split(" | ") for line in ranking.strip().splitlines() if " | " in line]
    assert ranked[0][0] == "1" and c in ranked[0][1] and ranked[0][2] == "Belum menindaklanjuti"
    assert {row[1].rsplit("(", 1)[1].rstrip(")") for row in ranked} >= {a, b, c}
    assert "belum menindaklanjuti" in html_of(summary)

    assert bg.after_runs is not None
    bg.after_runs.tick()  # the same week: nothing again
    jam.maju(jam=1)
    assert bg.after_runs is not None
    bg.after_runs.tick()
    assert len(kotak.surat) == 4


def test_an_smtp_server_that_is_down_fails_no_run_and_the_digest_goes_out_once_back(
    world: World, jam: JamPalsu
) -> None:
    with KotakSurat(hidup=False) as kotak:
        bg = background(with_mail(world, kotak), world.sessions)
        set_contacts(world, every_opd(world.dataset))
        summary = scheduled(bg, world, jam)
        assert summary.status == RunStatus.SUCCEEDED
        found = open_per_opd(world)
        assert kotak.surat == []
        # one try, which failed; the rest wait rather than time out one by one
        [failed] = digest_audit(world)
        assert failed["hasil"] == "gagal" and "server SMTP" in failed["galat"]

        kotak.hidupkan()
        assert bg.after_runs is not None
        bg.after_runs.tick()  # the others go; the one that failed waits a minute
        assert len(kotak.tunggu(len(found) - 1)) == len(found) - 1
        jam.maju(menit=2)
        assert bg.after_runs is not None
        bg.after_runs.tick()
        mails = by_recipient(kotak.tunggu(len(found)))
        assert sorted(mails) == sorted(address(k) for k in found)
        jam.maju(menit=30)
        assert bg.after_runs is not None
        bg.after_runs.tick()
        assert len(kotak.surat) == len(found)
        assert [d["hasil"] for d in digest_audit(world)[1:]] == ["terkirim"] * len(found)
        with session_scope(world.sessions) as session:
            rows = list(session.scalars(select(DigestOutbox).order_by(DigestOutbox.id)))
            assert [(r.percobaan, r.galat_terakhir) for r in rows] == [(2, None)] + [(1, None)] * (
                len(found) - 1
            )
            assert all(r.terkirim_pada is not None for r in rows)


def test_replicas_composing_the_same_digests_at_once_send_each_once(
    world: World, kotak: KotakSurat, jam: JamPalsu
) -> None:
    settings = with_mail(world, kotak)
    bg = background(settings, world.sessions)
    bg.worker.on_finished = lambda _summary: None  # the replicas below do it
    set_contacts(world, every_opd(world.dataset))
    summary = scheduled(bg, world, jam)
    found = open_per_opd(world)
    # What each replica's Background calls after a run and on each tick.
    replicas = [Pengantar(settings, world.sessions) for _ in range(3)]
    start = threading.Barrier(len(replicas))

    def after_the_run(replica: Pengantar) -> None:
        start.wait()
        replica.setelah_run(summary.run_id)

    threads = [threading.Thread(target=after_the_run, args=(r,)) for r in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for replica in replicas:
        replica.tick()
    mails = by_recipient(kotak.tunggu(len(found)))
    assert sorted(mails) == sorted(address(k) for k in found)
    assert len(kotak.surat) == len(found)


class Webhook:
    """A tiny HTTP server that keeps every JSON body POSTed to it."""

    def __init__(self) -> None:
        received: list[dict[str, Any]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/kirim"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_webhook_receives_each_digest_as_json(
    world: World, kotak: KotakSurat, jam: JamPalsu
) -> None:
    hook = Webhook()
    try:
        bg = background(with_mail(world, kotak, webhook_url=hook.url), world.sessions)
        set_contacts(world, every_opd(world.dataset))
        scheduled(bg, world, jam)
        found = open_per_opd(world)
        assert len(kotak.tunggu(len(found))) == len(found)
        got = {d["kode_skpd"]: d for d in hook.received}
        assert sorted(got) == sorted(found)
        for kode, data in got.items():
            assert data["jenis"] == "harian"
            assert data["temuan_baru"] == len(found[kode])
            assert data["tautan"] == link(kode)
            assert data["status_tindak_lanjut"] == "sedang_menindaklanjuti"
            assert data["tahun_anggaran"] == TAHUN and data["tahap"] == TAHAP
        audit = digest_audit(world)
        assert {(d["surel"], d["webhook"]) for d in audit} == {("terkirim", "terkirim")}
    finally:
        hook.close()


@pytest.fixture
def env(world: World, kotak: KotakSurat, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    values = {
        "SINKRON_DATABASE_URL": world.settings.database_url,
        "SINKRON_SMTP_HOST": kotak.host,
        "SINKRON_SMTP_PORT": str(kotak.port),
        "SINKRON_SMTP_STARTTLS": "false",
        "SINKRON_BASE_URL": BASE,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def sinkron(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_contacts_on_the_command_line_and_the_preview_that_sends_nothing(
    world: World, kotak: KotakSurat, env: None, tmp_path: Path
) -> None:
    world.sync(full=True)
    found = open_per_opd(world)
    kode = sorted(found)[0]

    code, out = sinkron("opd", "kontak", "set", kode, "--email", "A@Dinas.Meranti.GO.ID",
                        "--email", "b@dinas.meranti.go.id")  # fmt: skip
    assert code == 0, out
    assert sinkron("opd", "kontak", "set", "--pemda", "--email", PEMDA_LIST[0])[0] == 0
    code, out = sinkron("opd", "kontak", "list")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].split() == ["pemda", PEMDA_LIST[0]]
    assert (
        lines[1].startswith(f"{kode} ")
        and "A@dinas.meranti.go.id, b@dinas.meranti.go.id" in lines[1]
    )

    for args, said in [
        (("set", kode, "--email", "dinas.go.id"), "'dinas.go.id' bukan alamat surel yang sah"),
        (("set", "1.02", "--email", "a@b.id"), "'1.02' bukan kode_skpd"),
        (("set", kode), "sebutkan paling sedikit satu --email"),
        (("set", kode, "--pemda", "--email", "a@b.id"), "sebutkan KODE_SKPD atau --pemda, tidak"),
        (("hapus", kode, "--email", "x@y.id"), f"OPD {kode} tidak punya kontak x@y.id"),
    ]:  # fmt: skip
        code, out = sinkron("opd", "kontak", *args)
        assert code in (1, 2), (args, out)
        assert f"galat: {said}" in out, (args, out)

    preview = tmp_path / "pratinjau"
    code, out = sinkron("digest", "--pratinjau", str(preview), "--tahun", str(TAHUN),
                        "--tahap", TAHAP)  # fmt: skip
    assert code == 0, out
    files = sorted(preview.glob("*.eml"))
    assert [f.name for f in files] == [f"{TAHUN}-{TAHAP}-{kode}.eml", f"{TAHUN}-{TAHAP}-pemda.eml"]
    opd_mail = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert isinstance(opd_mail, EmailMessage)
    assert opd_mail["To"] == "A@dinas.meranti.go.id, b@dinas.meranti.go.id"
    assert fakta(opd_mail)["Temuan terbuka (ringkasan pertama)"] == str(len(found[kode]))
    assert f"Lihat dan tanggapi: {link(kode)}" in text_of(opd_mail)
    assert kotak.surat == []
    with session_scope(world.sessions) as session:
        assert list(session.scalars(select(DigestOutbox))) == []

    code, out = sinkron("digest", "kirim", "--tahun", str(TAHUN), "--tahap", TAHAP)
    assert code == 0, out
    assert "2 ringkasan dibuat; 2 terkirim, 0 gagal" in out
    assert sorted(str(m["To"]) for m in kotak.tunggu(2)) == sorted(
        ["A@dinas.meranti.go.id, b@dinas.meranti.go.id", PEMDA_LIST[0]]
    )

    code, out = sinkron("opd", "kontak", "hapus", kode)
    assert (code, out.strip()) == (0, f"2 kontak OPD {kode} dihapus")
    assert sinkron("opd", "kontak", "hapus", "--pemda")[0] == 0
    assert sinkron("opd", "kontak", "list")[1].startswith("belum ada kontak")
