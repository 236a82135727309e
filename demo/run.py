"""Both stand-ins seeded, the service started, one full sync, and where to look."""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import typer
from pydantic import SecretStr

from app import clock, migrate
from app.access import keys
from app.access.keys import Role
from app.cli import run_sync
from app.config import Settings, get_settings
from app.db import make_engine, make_session_factory, session_scope
from app.digests import baca
from app.digests.alamat import PEMDA
from app.digests.layanan import Pengantar
from app.main import create_app
from app.mismatches.kategori import KATEGORI
from app.mismatches.tindak_lanjut import StatusTindakLanjut
from app.models import Trigger
from app.nomenklatur import store
from app.report import angka
from app.repositories import outcomes, ringkasan, runs
from app.sync.scope import Scope
from demo import tindak_lanjut
from mappings.eplanning import format_money
from mappings.subkegiatan import Mapped, map_sub_kegiatan
from standins import eplanning, eprogram, nomenklatur
from standins import seed as before_sync
from standins.dataset import EProgramDataset
from standins.generator import generate
from standins.server import ServerThread, stop_on_signals
from standins.surel import KotakSurat

# The demo's scope: the built-in nomenclature sample is of TA 2027, and every
# example in the README is for this scope (tests/e2e/test_readme.py).
TAHUN, TAHAP = 2027, "renja"
DEMO_API_KEY = "eprogram-dev-key"
DEMO_TOKEN = "eplanning-dev-token"
PLANNER_TOKEN = "perencana-dev-token"  # a planner of the Bappeda, in E-Planning's own screens


def _nomenclature(settings: Settings, tahun: int) -> tuple[str, list[dict[str, Any]]]:
    """The imported version for the year; when there is none, the built-in sample,
    imported as that version so that Sinkron judges names and successors by it."""
    sample = nomenklatur.load_sample()
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            version = store.current_version(session, tahun)
            if version is None:
                version = store.save_items(
                    session,
                    tahun_anggaran=tahun,
                    label=str(sample["versi"]),
                    source=nomenklatur.SAMPLE_PATH,
                    items=sample["items"],
                )
                typer.echo(f"nomenklatur contoh diimpor untuk TA {tahun}", err=True)
            if version.source_file == nomenklatur.SAMPLE_PATH.name:
                # the sample itself: it also names programs and kegiatan
                return version.label, list(sample["items"])
            return version.label, store.items_as_reference(session, version.id)
    finally:
        engine.dispose()


def _seed_eplanning(
    url: str, dataset: EProgramDataset, items: list[dict[str, Any]], tahun: int, tahap: str
) -> set[tuple[str, str]]:
    """What planners did in E-Planning before this sync: a few sub kegiatan typed in
    by hand that E-Program lacks, and one record Sinkron will push entered and then
    edited there with another pagu."""
    bodies = before_sync.hand_entered(dataset, items, tahun_anggaran=tahun, tahap=tahap)
    edited = _planners_copy(dataset)
    headers = {"Authorization": f"Bearer {PLANNER_TOKEN}"}
    with httpx.Client(base_url=url, headers=headers) as client:
        for body in [*bodies, *edited]:
            path = (
                f"/api/v1/renja-sub-kegiatan/{body['tahun_anggaran']}/{body['tahap']}/"
                f"{body['kode_sub_skpd']}/{body['kode_sub_kegiatan']}"
            )
            client.put(path, json=body, headers={"Idempotency-Key": uuid4().hex}).raise_for_status()
    return {(b["kode_sub_skpd"], b["kode_sub_kegiatan"]) for b in [*bodies, *edited]}


def _planners_copy(dataset: EProgramDataset) -> list[dict[str, Any]]:
    """A clean E-Program record as a planner entered it, then changed its pagu."""
    keys = Counter(before_sync.four_digit(r) for r in dataset.records)
    for raw in dataset.records:
        mapped = map_sub_kegiatan(raw)
        if not isinstance(mapped, Mapped) or mapped.notes or keys[before_sync.four_digit(raw)] > 1:
            continue
        record = mapped.record
        if not (record.aktif and record.pagu > 0 and record.sumber_dana):
            continue
        entered = {**record.to_api(), "sumber": None}
        pagu = format_money(record.pagu + 25_000_000)
        dana = [{**entered["sumber_dana"][0], "pagu": pagu}]
        return [entered, {**entered, "pagu": pagu, "sumber_dana": dana}]
    return []


def _eplanning_holdings(url: str, tahun: int, tahap: str) -> tuple[int, int]:
    total = active = 0
    cursor: str | None = None
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {DEMO_TOKEN}"}) as client:
        while True:
            params: dict[str, Any] = {"tahun_anggaran": tahun, "tahap": tahap, "limit": 1000}
            if cursor:
                params["cursor"] = cursor
            body = client.get("/api/v1/renja-sub-kegiatan", params=params).json()
            total += len(body["items"])
            active += sum(1 for item in body["items"] if item["aktif"])
            cursor = body.get("next_cursor")
            if not cursor:
                return total, active


def _expected_in_eplanning(settings: Settings, seeded: set[tuple[str, str]]) -> int:
    """Records E-Planning should hold after the run: every key the run wrote, found
    already right there or left to a planner (a conflict), and what planners
    entered there themselves."""
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            latest = runs.page(session, limit=1)[0]
            held = {
                (o.kode_sub_skpd or "", o.kode_sub_kegiatan or "")
                for o in outcomes.for_run(session, latest.id)
                if o.outcome in ("created", "updated", "deactivated", "conflict")
                or (o.outcome == "unchanged" and o.versi is not None)
            }
            return len(held | seeded)
    finally:
        engine.dispose()


# The demo's people: a key is a person's, and what is done with it is recorded
# under their name (the history of a finding, the audit log).
DEMO_PEOPLE = {
    Role.ADMIN: ("Rahmat Hidayat", "rahmat.hidayat@contoh.merantikab.go.id"),
    Role.PLANNER: ("Siti Aminah", "siti.aminah@contoh.merantikab.go.id"),
}


def _demo_key(settings: Settings, role: Role) -> tuple[str, str]:
    """A fresh personal key for this demo session, so the API and the report can
    be tried at once: the key and the name of the person it belongs to."""
    nama, email = DEMO_PEOPLE[role]
    # Names are unique among keys; a demo run again on the same database adds the time.
    name = f"{nama} (demo {datetime.now(UTC):%Y%m%d-%H%M%S})"
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            return keys.create(session, name=name, role=role, email=email), name
    finally:
        engine.dispose()


def _findings(settings: Settings, tahun: int, tahap: str) -> str:
    """Open mismatches per category, every category listed, as planners name them."""
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            counts = ringkasan.total(
                ringkasan.per_opd(session, tahun_anggaran=tahun, tahap=tahap)
            ).mismatch
    finally:
        engine.dispose()
    width = max(len(info.label) for info in KATEGORI.values())
    lines = [
        f"{info.label.ljust(width)}  {angka(counts.get(kode, 0)):>6}"
        for kode, info in KATEGORI.items()
    ]
    lines.append(f"{'total'.ljust(width)}  {angka(sum(counts.values())):>6}")
    return "\n".join(lines)


def run_demo(*, once: bool, size: int, seed: int, tahun: int, tahap: str, port: int) -> int:
    settings = get_settings()
    migrate.upgrade(settings.database_url)
    label, items = _nomenclature(settings, tahun)
    typer.echo(f"nomenklatur: {label} ({angka(len(items))} sub kegiatan)", err=True)
    dataset = generate(items, tahun_anggaran=tahun, tahap=tahap, size=size, seed=seed)
    typer.echo(
        f"E-Program tiruan: {angka(len(dataset.records))} sub kegiatan, "
        f"{angka(len(dataset.perangkat_daerah))} perangkat daerah/sub unit",
        err=True,
    )
    source = eprogram.create_app(dataset, api_key=DEMO_API_KEY)
    # One sub-unit goes by another code in E-Planning (renamed there): its
    # records come back as skpd_tidak_dikenal.
    renamed = before_sync.renamed_unit(dataset)
    target = eplanning.create_app(
        nomenklatur={tahun: items},
        perangkat_daerah=[u for u in dataset.eplanning_perangkat_daerah() if u["kode"] != renamed],
        nomenklatur_versi=label,
    )
    mail_folder = Path(tempfile.mkdtemp(prefix="sinkron-surel-"))
    with (
        ServerThread(source) as source_server,
        ServerThread(target) as target_server,
        KotakSurat(mail_folder) as mailbox,
    ):
        settings = settings.model_copy(
            update={
                "eprogram_url": source_server.url,
                "eprogram_api_key": SecretStr(DEMO_API_KEY),
                "eplanning_url": target_server.url,
                "eplanning_token": SecretStr(DEMO_TOKEN),
                # the digests go to the demo's own mailbox, which writes them to a folder
                "smtp_host": mailbox.host,
                "smtp_port": mailbox.port,
                "smtp_starttls": False,
                "smtp_from": "Sinkron Demo <sinkron@demo.meranti.go.id>",
            }
        )
        engine = make_engine(settings.database_url)
        try:
            service = ServerThread(create_app(settings, engine, background=True), port=port)
            service.start()
        except OSError as exc:
            engine.dispose()
            typer.secho(
                f"galat: port {port} tidak dapat dipakai ({exc}); coba --port lain",
                fg="red",
                err=True,
            )
            return 2
        try:
            seeded = _seed_eplanning(target_server.url, dataset, items, tahun, tahap)
            code = run_sync(settings, Scope(tahun, tahap, full=True), trigger=Trigger.DEMO)
            total, active = _eplanning_holdings(target_server.url, tahun, tahap)
            expected = _expected_in_eplanning(settings, seeded)
            verdict = "cocok" if total == expected else f"TIDAK cocok (harusnya {angka(expected)})"
            typer.echo(
                f"\nE-Planning tiruan kini memuat {angka(total)} sub kegiatan "
                f"({angka(active)} aktif): {verdict} dengan hasil run."
            )
            typer.echo(f"\nTemuan terbuka untuk perencana:\n{_findings(settings, tahun, tahap)}")
            typer.echo(f"\n{tindak_lanjut.cerita(settings, tahun, tahap)}")
            digests = _digests(settings, service.url, tahun, tahap, mailbox)
            key, admin = _demo_key(settings, Role.ADMIN)
            planner, perencana = _demo_key(settings, Role.PLANNER)
            typer.echo(
                "\nLihat di:\n"
                f"  laporan perencana {service.url}/laporan   (kunci perencana demo: {planner}, "
                f"milik {perencana})\n"
                f"  layanan Sinkron   {service.url}/docs   (kunci admin demo: {key}, "
                f"milik {admin})\n"
                f"                    curl -H 'X-API-Key: {key}' {service.url}/api/v1/status\n"
                f"  E-Program tiruan  {source_server.url}/api/v1/sub-kegiatan"
                f"?tahun_anggaran={tahun}&tahap={tahap}   (X-API-Key: {DEMO_API_KEY})\n"
                f"  E-Planning tiruan {target_server.url}/api/v1/renja-sub-kegiatan"
                f"?tahun_anggaran={tahun}&tahap={tahap}   (Authorization: Bearer {DEMO_TOKEN})\n"
                f"  basis data        {settings.database_url}\n"
                f"  kotak surat demo  smtp://{mailbox.host}:{mailbox.port}   "
                f"(surel ditulis ke {mail_folder})"
            )
            typer.echo(digests)
            if not once:
                typer.echo("\nTekan Ctrl-C untuk berhenti.")
                _wait_for_interrupt()
            return code
        finally:
            service.stop()
            engine.dispose()


# The pemda list gets the summary; the addresses are the demo's own.
PEMDA_CONTACTS = ("kepala@bappeda.meranti.go.id", "bupati@meranti.go.id")


def _digests(settings: Settings, url: str, tahun: int, tahap: str, mailbox: KotakSurat) -> str:
    """Contacts for one OPD of each follow-up status (the first ranked) and for the
    pemda, then every digest sent now to the demo's mailbox: what it says and where."""
    engine = make_engine(settings.database_url)
    try:
        sessions = make_session_factory(engine)
        with session_scope(sessions) as session:
            figures = baca.tindak_lanjut(
                session,
                tahun_anggaran=tahun,
                tahap=tahap,
                sekarang=clock.now(),
                batas_hari=settings.tindak_lanjut_hari,
            )
            ranked = sorted(figures.items(), key=lambda kv: kv[1].peringkat or 0)
            chosen = [
                next(kode for kode, o in ranked if o.status == status)
                for status in StatusTindakLanjut
                if any(o.status == status for _, o in ranked)
            ]
            for i, kode in enumerate(chosen, start=1):
                baca.kontak_set(session, kode, [f"perencanaan.opd{i}@meranti.go.id"])
            baca.kontak_set(session, PEMDA, list(PEMDA_CONTACTS))
        pengantar = Pengantar(settings.model_copy(update={"base_url": url}), sessions)
        made, hasil = pengantar.sekarang([(tahun, tahap)])
    finally:
        engine.dispose()
    mails = mailbox.tunggu(hasil.terkirim)
    lines = [
        f"\nRingkasan untuk {len(chosen)} OPD (satu per status) dan pemda "
        f"(`sinkron opd kontak list`): {hasil.terkirim} dari {made} terkirim ke kotak surat demo:"
    ]
    lines += [f"  {path.name}  {mail['To']}: {str(mail['Subject']).strip()}" for path, mail in
              zip(mailbox.berkas, mails, strict=True)]  # fmt: skip
    return "\n".join(lines)


def _wait_for_interrupt() -> None:
    stop_on_signals().wait()
