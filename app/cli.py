"""The `sinkron` command."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app import cli_digest, cli_rencana
from app.cli_base import Sinkron, cli_principal, fail
from app.cli_database import (
    bidang,
    database_place,
    open_database,
    require_sqlite_file,
    settings_or_exit,
    shown_url,
)
from app.cli_database import command_session as _session
from app.cli_database import unknown_opd as _unknown_opd
from app.cli_run import ProgressLines, durasi, settings_for_run, start_logging
from app.sync.scope import KODE_SKPD
from app.vocabulary import Role, RunStatus, StatusFilter, Tahap, Trigger

# Only typer and the vocabulary at import: `sinkron <cmd> --help` shows the options
# without loading pydantic-settings, SQLAlchemy's ORM or the models; each command
# imports what it uses when it runs.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.config import Settings
    from app.mismatches.daftar import MismatchFilter
    from app.sync.scope import Scope


cli = Sinkron(
    help="Sinkron: sinkronisasi E-Program → E-Planning (program, kegiatan, sub kegiatan).",
    epilog="Konfigurasi dibaca dari variabel lingkungan SINKRON_* (mis. SINKRON_DATABASE_URL, "
    "SINKRON_EPROGRAM_API_KEY, SINKRON_EPLANNING_TOKEN); daftarnya ada di README.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_cli = Sinkron(help="Basis data Sinkron (migrasi Alembic, cadangan).", no_args_is_help=True)
nomenklatur_cli = Sinkron(help="Nomenklatur sub kegiatan resmi.", no_args_is_help=True)
keys_cli = Sinkron(
    help="Kunci API layanan (peran admin atau planner), satu kunci untuk satu orang.",
    no_args_is_help=True,
)
runs_cli = Sinkron(help="Riwayat run sinkronisasi.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(nomenklatur_cli, name="nomenklatur")
cli.add_typer(keys_cli, name="keys")
cli.add_typer(runs_cli, name="runs")
cli_digest.register(cli)  # `sinkron opd kontak`, `sinkron digest`
cli_rencana.register(cli)  # `sinkron rencana`


TAHAP_HELP = Tahap.spelled() + "."
OPD_HELP = "Hanya OPD ini (kode_skpd); boleh diulang."


def expected_records(settings: Settings, scope: Scope) -> int | None:
    """What the last successful full run of this scope pulled, for a full run; else None."""
    if not scope.full:
        return None
    from sqlalchemy.exc import SQLAlchemyError

    from app.db import make_engine, make_session_factory, session_scope
    from app.repositories import runs

    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            recent = runs.page(
                session,
                limit=20,
                status=RunStatus.SUCCEEDED,
                tahun_anggaran=scope.tahun_anggaran,
                tahap=scope.tahap,
            )
            for run in recent:
                if run.full and sorted(run.kode_skpd or ()) == sorted(scope.kode_skpd):
                    return run.records_pulled or None
    except SQLAlchemyError:
        return None  # not migrated or not reachable: the run itself says so, in its words
    finally:
        engine.dispose()
    return None


def run_sync(
    settings: Settings,
    scope: Scope,
    *,
    trigger: Trigger = Trigger.CLI,
    pratinjau: bool = False,
    paksa: bool = False,
) -> int:
    """Create and carry out one run, print its outcome table (a preview's or a
    held run's plan too); returns the exit code."""
    from app.report import STATUS_LABELS, outcome_table
    from app.runs import oneshot
    from app.runs.worker import Busy

    jenis = "pratinjau" if pratinjau else "penuh" if scope.full else "inkremental"
    typer.echo(f"sinkronisasi {scope} {jenis} dimulai", err=True)
    progress = ProgressLines(expected=expected_records(settings, scope))
    started = time.monotonic()
    try:
        done = oneshot.run_once(
            settings, scope, trigger=trigger, principal=cli_principal(), progress=progress,
            pratinjau=pratinjau, paksa=paksa,
        )  # fmt: skip
    except oneshot.NotMigrated as exc:
        raise fail(str(exc)) from None
    except Busy as exc:
        raise fail(str(exc), code=1) from None
    summary = done.summary
    took = durasi(time.monotonic() - started)
    typer.echo(f"\nRun {summary.run_id} · {scope} · {STATUS_LABELS[summary.status]} · {took}")
    typer.echo(outcome_table(summary.counts, summary.pulled))
    if summary.error:
        typer.secho(f"\nketerangan: {summary.error}", fg=typer.colors.YELLOW)
    if done.peringatan:
        typer.secho(f"\nperingatan: {done.peringatan}", fg=typer.colors.YELLOW)
    waiting = summary.status is RunStatus.HELD or (
        pratinjau and summary.status is RunStatus.SUCCEEDED
    )
    if waiting:
        _say_plan(settings, summary.run_id, held=not pratinjau)
    return 0 if summary.status is RunStatus.SUCCEEDED else 1


def _say_plan(settings: Settings, run_id: int, *, held: bool) -> None:
    """A preview's or a held run's plan per OPD × action, and how to decide on it."""
    from app.cli_rencana import next_steps, plan_table
    from app.db import make_engine, make_session_factory, session_scope
    from app.repositories import rencana, runs

    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            counts = rencana.counts(session, run_id)
            run = runs.get(session, run_id)
            ditahan = dict(run.ditahan or {}) if run else {}
    finally:
        engine.dispose()
    if held:
        typer.secho(
            "\nPenjaga menahan OPD berikut; data OPD lain sudah dikirim:", fg=typer.colors.YELLOW
        )
        for kode, alasan in sorted(ditahan.items()):
            typer.echo(f"  {kode}: {alasan}")
        counts = {k: n for k, n in counts.items() if k[0] in ditahan}
    typer.echo(f"\nRencana run {run_id} per OPD dan aksi:")
    typer.echo(plan_table(counts))
    typer.echo("\n" + next_steps(run_id))


@cli.command()
def sync(
    tahun: Annotated[int, typer.Option(metavar="TAHUN", help="Tahun anggaran, mis. 2027.")],
    tahap: Annotated[str, typer.Option(metavar="TAHAP", help=TAHAP_HELP)],
    full: Annotated[
        bool, typer.Option("--full", help="Tarik semua data, bukan hanya yang berubah.")
    ] = False,
    opd: Annotated[list[str] | None, typer.Option(metavar="KODE_SKPD", help=OPD_HELP)] = None,
    pratinjau: Annotated[
        bool,
        typer.Option(
            "--pratinjau",
            help="Pratinjau: tarik, bandingkan dan putuskan tanpa menulis apa pun ke "
            "E-Planning; rencananya disimpan untuk disetujui (`sinkron rencana setujui`). "
            "Selalu penuh.",
        ),
    ] = False,
    paksa: Annotated[
        bool,
        typer.Option(
            "--paksa",
            help="Lewati penjaga (ambang SINKRON_AMBANG_*): kirim juga OPD yang perubahannya "
            "melewati ambang. Dicatat di audit.",
        ),
    ] = False,
) -> None:
    """Sinkronkan satu tahun/tahap dari E-Program ke E-Planning dan cetak ringkasannya.

    Kemajuan dicetak per halaman E-Program: jumlah data, data/detik, dan pada run penuh
    perkiraan sisa waktu (dari jumlah data run penuh terakhir).

    Penjaga menahan OPD yang perubahannya melewati ambang (SINKRON_AMBANG_NONAKTIF_PERSEN,
    SINKRON_AMBANG_UBAH_PERSEN): OPD lain tetap dikirim, run berakhir menunggu persetujuan
    dan rencananya dicetak. Dengan --pratinjau tidak ada yang dikirim.

    Kode keluar 0 bila run berhasil, 1 bila gagal, dibatalkan atau menunggu persetujuan,
    2 bila konfigurasi salah.
    """
    from sqlalchemy.exc import OperationalError

    from app.sync.scope import Scope

    _check_tahap(tahap)
    kode_skpd = _checked_opd(opd)
    if pratinjau and paksa:
        raise fail("--pratinjau dan --paksa tidak dapat dipakai bersama: pratinjau tidak menulis")
    settings = settings_for_run()
    try:
        # A preview compares everything: it reads E-Planning's whole scope.
        scope = Scope(tahun, tahap, tuple(kode_skpd), full or pratinjau)
        code = run_sync(settings, scope, pratinjau=pratinjau, paksa=paksa)
    except OperationalError as exc:
        place = database_place(settings.database_url)
        raise fail(f"basis data di {place} tidak dapat dihubungi: {exc.orig}") from None
    raise typer.Exit(code)


@cli.command()
def laporan(
    tahun: Annotated[int, typer.Option(metavar="TAHUN", help="Tahun anggaran, mis. 2027.")],
    tahap: Annotated[str, typer.Option(metavar="TAHAP", help=TAHAP_HELP)],
    opd: Annotated[list[str] | None, typer.Option(metavar="KODE_SKPD", help=OPD_HELP)] = None,
    status: Annotated[
        StatusFilter | None,
        typer.Option(
            metavar="STATUS",
            help="Hanya mismatch berstatus ini: baru, diakui, selesai, dikecualikan, "
            "atau terbuka (baru dan diakui).",
        ),
    ] = None,
    xlsx: Annotated[
        Path | None, typer.Option(metavar="BERKAS", help="Tulis laporan Excel ke berkas ini.")
    ] = None,
    csv: Annotated[
        Path | None, typer.Option(metavar="BERKAS", help="Tulis CSV (UTF-8, ';') ke berkas ini.")
    ] = None,
) -> None:
    """Tulis laporan mismatch (Excel dan/atau CSV), sama dengan unduhan di layanan.

    Kode keluar 0 bila berkas ditulis, 1 bila cakupan ini belum pernah berisi data,
    2 bila opsi atau konfigurasi salah.
    """
    from app.laporan import csv_file, export  # XlsxWriter: only this command needs it
    from app.mismatches import daftar
    from app.models import utcnow
    from app.report import angka

    _check_tahap(tahap)
    if xlsx is None and csv is None:
        raise fail("sebutkan --xlsx BERKAS dan/atau --csv BERKAS")
    for target in (xlsx, csv):
        if target is not None:
            _can_write(target)
    kode_skpd = _checked_opd(opd)
    f = daftar.MismatchFilter(
        tahun_anggaran=tahun,
        tahap=tahap,
        status=status,
        opd=frozenset(kode_skpd) if kode_skpd else None,
    )
    settings = settings_or_exit()
    with _session() as session:
        _require_data(session, f)
        _say_freshness(session, f, schedule=settings.schedule)
        if xlsx is not None:
            written = export.write_xlsx(
                session,
                f,
                xlsx,
                pemda=settings.pemda,
                schedule=settings.schedule,
                made_at=utcnow(),
                progress=lambda n: typer.echo(f"… {angka(n)} baris", err=True),
            )
            typer.echo(
                f"{xlsx}: {angka(written.rows)} ketidaksesuaian, lembar {', '.join(written.sheets)}"
            )
        if csv is not None:
            rows = daftar.count(session, f)
            with csv.open("wb") as out:
                for chunk in csv_file.csv_chunks(session, f):
                    out.write(chunk)
            typer.echo(f"{csv}: {angka(rows)} ketidaksesuaian")


def _can_write(target: Path) -> None:
    """A report file can be written there, checked before a long export starts."""
    import os

    if target.is_dir():
        raise fail(f"{target} adalah direktori; sebutkan nama berkas")
    folder = target.parent
    if not folder.is_dir():
        raise fail(f"{target} tidak dapat ditulis: direktori {folder} tidak ada")
    if not os.access(folder, os.W_OK):
        raise fail(f"{target} tidak dapat ditulis: direktori {folder} tidak boleh ditulisi")


def _say_freshness(session: Session, f: MismatchFilter, *, schedule: str) -> None:
    """When the scope last synced (WIB), and a warning when that may be stale."""
    from app import clock
    from app.mismatches.tindak_lanjut_baca import sinkron_terakhir_lingkup
    from app.report import sinkron_terakhir_teks

    fresh = sinkron_terakhir_lingkup(session, f, schedule=schedule, sekarang=clock.now())
    line, warning = sinkron_terakhir_teks(fresh.berhasil_pada, fresh.gagal_terakhir, fresh.alasan)
    typer.echo(line)
    if warning:
        typer.echo(warning, err=True)


def _require_data(session: Session, f: MismatchFilter) -> None:
    """A scope Sinkron has no record and no finding of is not an empty report but
    most often a wrong year or tahap: say so, and which scopes do have data."""
    from dataclasses import replace

    from app.mismatches import daftar
    from app.repositories import ringkasan

    assert f.tahun_anggaran is not None and f.tahap is not None
    if ringkasan.has_records(
        session, tahun_anggaran=f.tahun_anggaran, tahap=f.tahap, opd=f.opd
    ) or daftar.count(session, replace(f, status=None)):
        return
    asked = f"tahun anggaran {f.tahun_anggaran} tahap {f.tahap}"
    if f.opd:
        asked += f" OPD {', '.join(sorted(f.opd))}"
    known = [f"{t}/{p}" for t, p in ringkasan.scopes(session)]
    there = (
        f"data yang ada: {', '.join(known)}"
        if known
        else "basis data ini belum berisi data satu run pun; jalankan `sinkron sync` dulu"
    )
    raise fail(f"belum ada data untuk {asked}: tidak ada laporan yang ditulis; {there}", code=1)


@db_cli.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(metavar="REVISI", help="Revisi tujuan.")] = "head",
) -> None:
    """Terapkan migrasi Alembic ke basis data SINKRON_DATABASE_URL."""
    from sqlalchemy.exc import OperationalError

    from app import migrate

    settings = settings_or_exit()
    try:
        migrate.upgrade(settings.database_url, revision)
    except OperationalError as exc:
        place = database_place(settings.database_url)
        raise fail(f"basis data di {place} tidak dapat dihubungi: {exc.orig}") from None
    typer.echo(f"basis data {shown_url(settings.database_url)} pada revisi {revision}")


@db_cli.command("backup")
def db_backup(
    file: Annotated[Path, typer.Argument(metavar="BERKAS", help="Berkas cadangan baru.")],
) -> None:
    """Cadangkan basis data Sinkron: SQLite lewat backup API, PostgreSQL lewat pg_dump."""
    from app import backup
    from app.report import angka

    _can_write(file)
    settings = settings_or_exit()
    require_sqlite_file(settings)
    try:
        done = backup.backup(settings.database_url, file)
    except backup.BackupProblem as exc:
        raise fail(str(exc), code=1) from None
    typer.echo(
        f"cadangan {shown_url(settings.database_url)} ditulis ke {done.path} "
        f"({angka(done.size)} bita, {done.method})"
    )


@db_cli.command("restore")
def db_restore(
    file: Annotated[
        Path, typer.Argument(metavar="BERKAS", help="Berkas dari `sinkron db backup`.")
    ],
) -> None:
    """Kembalikan basis data Sinkron dari cadangan; hentikan layanan dan sync dulu."""
    from app import backup

    settings = settings_or_exit()
    try:
        backup.restore(settings.database_url, file)
    except backup.BackupProblem as exc:
        raise fail(str(exc), code=1) from None
    typer.echo(
        f"basis data {shown_url(settings.database_url)} dikembalikan dari {file}; "
        "jalankan `sinkron db upgrade` bila cadangan dari versi lama"
    )


@nomenklatur_cli.command("import")
def nomenklatur_import(
    file: Annotated[Path, typer.Argument(metavar="BERKAS", help="Berkas .xlsx.")],
    tahun: Annotated[
        int,
        typer.Option(metavar="TAHUN", help="Tahun anggaran yang memakai nomenklatur ini."),
    ],
    label: Annotated[
        str | None, typer.Option(metavar="LABEL", help="Nama versi, mis. 'TA 2027'.")
    ] = None,
) -> None:
    """Impor nomenklatur sub kegiatan dari ekspor SIPD atau daftar kab/kota 900."""
    from app.nomenklatur import reader, store
    from app.report import angka

    if not file.is_file():
        raise fail(f"berkas {file} tidak ada")
    with _session() as session:
        try:
            source_format, entries = reader.read(file)
        except reader.NomenklaturFormatError as exc:
            raise fail(str(exc)) from None
        version = store.save_version(
            session,
            tahun_anggaran=tahun,
            label=label or f"{file.stem} (TA {tahun})",
            source=file,
            source_format=source_format,
            entries=entries,
        )
        typer.echo(
            f"nomenklatur '{version.label}' ({source_format}) disimpan: "
            f"{angka(version.item_count)} sub kegiatan untuk tahun anggaran {tahun}"
        )


@nomenklatur_cli.command("list")
def nomenklatur_list() -> None:
    """Daftar versi nomenklatur yang sudah diimpor."""
    from app.nomenklatur import store
    from app.report import angka

    with _session() as session:
        for v in store.all_versions(session):
            typer.echo(
                f"{v.id:>3}  TA {v.tahun_anggaran}  {angka(v.item_count):>6} item  "
                f"{v.label}  ({v.source_file})"
            )


@cli.command()
def serve(
    host: Annotated[str, typer.Option(metavar="ALAMAT", help="Alamat yang didengarkan.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(metavar="PORT", help="Port.")] = 8000,
    tanpa_worker: Annotated[
        bool,
        typer.Option(
            "--tanpa-worker",
            help="Jangan jalankan pekerja run: run, jadwal, dan digest dikerjakan "
            "`sinkron worker` yang dijalankan terpisah.",
        ),
    ] = False,
) -> None:
    """Jalankan layanan: REST API, dan (kecuali --tanpa-worker) proses pekerja yang
    menjalankan run, jadwal malam, dan digest."""
    settings = _service_settings()
    if not tanpa_worker:
        _share_instruments()
    import uvicorn

    from app.main import create_app

    engine = open_database(settings)
    app = create_app(settings, engine, background=not tanpa_worker, scheduled=True)
    # proxy_headers off: uvicorn would believe X-Forwarded-For from 127.0.0.1;
    # the service's guard believes it only from SINKRON_TRUSTED_PROXIES.
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        timeout_graceful_shutdown=5,
    )


@cli.command()
def worker() -> None:
    """Jalankan pekerja run saja (di samping `sinkron serve --tanpa-worker`): run yang
    antre, jadwal malam, dan digest. Berhenti dengan rapi pada SIGTERM atau Ctrl-C."""
    from app import worker_main

    settings = _service_settings()
    open_database(settings).dispose()  # migrated, reachable: the same refusal as serve's
    raise typer.Exit(worker_main.run(settings))


def _share_instruments() -> None:
    """One folder for the instruments of the service and its worker process, so that
    /metrics shows the runs' latencies and retries (app.observability.metrics).
    Before prometheus_client is imported: it reads the folder then. One given
    in the environment is kept; the one made here goes when the service ends."""
    import atexit
    import os
    import shutil
    import tempfile

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR") or "prometheus_client" in sys.modules:
        return
    folder = tempfile.mkdtemp(prefix="sinkron-metrik-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    atexit.register(shutil.rmtree, folder, ignore_errors=True)


def _service_settings() -> Settings:
    """The settings `serve` and `worker` need, checked before anything starts."""
    from app.config import ConfigError
    from app.digests.layanan import jadwal_mingguan
    from app.runs import schedule

    settings = settings_or_exit()
    try:
        settings.require_secrets()
        schedule.Schedule.from_text(settings.schedule, settings.sync_scopes)
        jadwal_mingguan(settings)  # SINKRON_DIGEST_SCHEDULE
        start_logging(settings)
    except (ConfigError, schedule.ScheduleError) as exc:
        raise fail(str(exc)) from None
    return settings


@keys_cli.command("create")
def keys_create(
    name: Annotated[
        str,
        typer.Option(
            metavar="NAMA",
            help="Nama orang pemegang kunci, mis. 'Siti Aminah'; keputusan dan ekspor "
            "dicatat atas nama ini.",
        ),
    ],
    role: Annotated[
        Role,
        typer.Option(
            metavar="PERAN",
            help="admin: semua, termasuk memulai run dan dead letter; "
            "planner: melihat run, membaca dan memutuskan mismatch.",
        ),
    ],
    email: Annotated[
        str | None,
        typer.Option(
            metavar="EMAIL",
            help="E-mail orang pemegang kunci, mis. siti.aminah@merantikab.go.id; "
            "dicatat bersama namanya.",
        ),
    ] = None,
    opd: Annotated[
        list[str] | None,
        typer.Option(
            metavar="KODE_SKPD", help="Batasi kunci planner ke OPD ini (kode_skpd); boleh diulang."
        ),
    ] = None,
) -> None:
    """Buat kunci API untuk satu orang; kunci dicetak sekali ini saja (yang disimpan
    hanya hash-nya)."""
    from app.access import audit
    from app.access import keys as access_keys

    kode_skpd = _checked_opd(opd)
    try:
        name = access_keys.checked_name(name)
        address = access_keys.checked_email(email) if email is not None else None
    except access_keys.KeyProblem as exc:
        raise fail(str(exc)) from None
    with _session() as session:
        try:
            key = access_keys.create(
                session, name=name, role=role, kode_skpd=kode_skpd, email=address
            )
        except access_keys.KeyProblem as exc:
            raise fail(str(exc)) from None
        detail: dict[str, object] = {"role": role}
        if address is not None:
            detail["email"] = address
        if kode_skpd:
            detail["opd"] = sorted(set(kode_skpd))
        audit.record(
            session, principal=cli_principal(), action="kunci.buat", target=name, detail=detail
        )
        unknown = _unknown_opd(session, kode_skpd)
    typer.echo(key)
    scope = f", OPD {', '.join(sorted(set(kode_skpd)))}" if kode_skpd else ""
    typer.echo(
        f"kunci '{name}' ({role}{scope}) dibuat; simpan sekarang, tidak akan ditampilkan lagi",
        err=True,
    )
    if address is None:
        typer.secho(
            "peringatan: kunci tanpa --email; keputusan dengan kunci ini hanya tercatat atas "
            f"nama '{name}'. Buat satu kunci untuk setiap orang, dengan namanya dan --email, "
            "dan jangan dipakai bersama",
            fg=typer.colors.YELLOW,
            err=True,
        )
    for kode in unknown:
        typer.secho(
            f"peringatan: kode_skpd {kode} belum dikenal: tidak muncul di run mana pun dan "
            f"bidang urusan {bidang(kode)} tidak ada di nomenklatur yang diimpor; periksa "
            "kodenya (kunci tetap dibuat; cabut dengan `sinkron keys revoke` bila salah)",
            fg=typer.colors.YELLOW,
            err=True,
        )


def _check_tahap(tahap: str) -> None:
    if Tahap.of(tahap) is None:
        raise fail(f"tahap '{tahap}' tidak dikenal; pilih salah satu: {', '.join(Tahap)}")


def _checked_opd(opd: list[str] | None) -> list[str]:
    """The --opd values, each a kode_skpd (8 segmen), or a clear exit."""
    for kode in opd or ():
        if not re.fullmatch(KODE_SKPD, kode):
            raise fail(f"--opd '{kode}' bukan kode_skpd (8 segmen, mis. 1.02.0.00.0.00.01.0000)")
    return list(opd or ())


@keys_cli.command("list")
def keys_list() -> None:
    """Daftar kunci API (tanpa kuncinya): pemegangnya, perannya dan OPD yang boleh dilihatnya."""
    from app.access import keys as access_keys

    with _session() as session:
        for row in access_keys.all_keys(session):
            state = "dicabut" if row.revoked_at else "aktif"
            scope = ", ".join(row.kode_skpd) if row.kode_skpd else "semua OPD"
            email = row.email or "(tanpa e-mail)"
            typer.echo(
                f"{row.name:<30} {email:<32} {row.role:<8} {row.prefix}…  {state:<8} {scope}"
            )


@keys_cli.command("revoke")
def keys_revoke(
    name: Annotated[str, typer.Argument(metavar="NAMA", help="Nama pemegang kunci.")],
) -> None:
    """Cabut kunci API; permintaan dengan kunci itu ditolak (401) sejak saat ini."""
    from app.access import audit
    from app.access import keys as access_keys

    with _session() as session:
        try:
            access_keys.revoke(session, name)
        except access_keys.KeyProblem as exc:
            raise fail(str(exc)) from None
        audit.record(session, principal=cli_principal(), action="kunci.cabut", target=name)
    typer.echo(f"kunci '{name}' dicabut")


@runs_cli.command("list")
def runs_list(
    limit: Annotated[int, typer.Option(metavar="JUMLAH", help="Jumlah run.")] = 20,
) -> None:
    """Run terbaru, satu per baris."""
    from app.report import STATUS_LABELS, TRIGGER_LABELS, angka
    from app.repositories import runs
    from mappings.normalise import WIB

    with _session() as session:
        for run in runs.page(session, limit=limit)[:limit]:
            total = sum(run.outcome_counts.values())
            typer.echo(
                f"{run.id:>5}  {run.tahun_anggaran}/{run.tahap:<14} "
                f"{TRIGGER_LABELS.get(run.trigger, run.trigger):<9} "
                f"{STATUS_LABELS.get(run.status, run.status):<11} {angka(total):>7} data  "
                f"{run.created_at.astimezone(WIB):%Y-%m-%d %H:%M} WIB"
            )


@runs_cli.command("show")
def runs_show(run_id: Annotated[int, typer.Argument(metavar="ID", help="Nomor run.")]) -> None:
    """Rincian satu run: cakupan, waktu per tahap, hasil per data, peringatan."""
    from app.report import STATUS_LABELS, TRIGGER_LABELS, outcome_table, peringatan_run
    from app.repositories import runs
    from mappings.normalise import WIB

    with _session() as session:
        run = runs.get(session, run_id)
        if run is None:
            raise fail(f"run {run_id} tidak ada", code=1)
        typer.echo(f"Run {run.id} · {run.tahun_anggaran}/{run.tahap} · {STATUS_LABELS[run.status]}")
        jenis = "penuh" if run.full else "inkremental"
        pemicu = TRIGGER_LABELS.get(run.trigger, run.trigger)
        typer.echo(f"pemicu: {pemicu} ({run.triggered_by or '-'}), run {jenis}")
        for label, moment in (("mulai", run.started_at), ("selesai", run.finished_at)):
            if moment is not None:
                typer.echo(f"{label}: {moment.astimezone(WIB):%Y-%m-%d %H:%M:%S} WIB")
        for stage, seconds in run.stage_seconds.items():
            typer.echo(f"  {stage:<16} {seconds:8.1f} s")
        typer.echo(outcome_table(run.outcome_counts, run.records_pulled))
        if run.error:
            typer.echo(f"keterangan: {run.error}")
        warning = peringatan_run(run)
        if warning:
            typer.echo(f"peringatan: {warning}")


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        typer.echo("\ndihentikan", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
