"""The `sinkron` command."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.sync.scope import KODE_SKPD, TAHAP
from app.vocabulary import Role, RunStatus, Stage, StatusFilter, Trigger

# Only typer and the vocabulary at import: `sinkron <cmd> --help` shows the options
# without loading pydantic-settings, SQLAlchemy's ORM or the models; each command
# imports what it uses when it runs.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.access.keys import Principal
    from app.config import Settings
    from app.sync.pipeline import Progress
    from app.sync.scope import Scope


cli = typer.Typer(
    help="Sinkron: sinkronisasi E-Program → E-Planning (program, kegiatan, sub kegiatan).",
    epilog="Konfigurasi dibaca dari variabel lingkungan SINKRON_* (mis. SINKRON_DATABASE_URL, "
    "SINKRON_EPROGRAM_API_KEY, SINKRON_EPLANNING_TOKEN); daftarnya ada di README.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_cli = typer.Typer(help="Basis data Sinkron (migrasi Alembic, cadangan).", no_args_is_help=True)
nomenklatur_cli = typer.Typer(help="Nomenklatur sub kegiatan resmi.", no_args_is_help=True)
keys_cli = typer.Typer(help="Kunci API layanan (peran admin atau planner).", no_args_is_help=True)
runs_cli = typer.Typer(help="Riwayat run sinkronisasi.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(nomenklatur_cli, name="nomenklatur")
cli.add_typer(keys_cli, name="keys")
cli.add_typer(runs_cli, name="runs")


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"galat: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def cli_principal() -> Principal:
    """Who the run and the audit trail name for what this command does."""
    from app.access.keys import Principal

    return Principal("cli", Role.ADMIN)


def settings_or_exit() -> Settings:
    """The settings, or a clear message naming each bad SINKRON_ variable."""
    from pydantic import ValidationError

    from app.config import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"SINKRON_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        raise fail(f"konfigurasi tidak valid: {problems}") from None


def shown_url(url: str) -> str:
    """A database URL fit for a terminal or a log: the password masked."""
    from sqlalchemy import make_url

    from app.db import normalise_url

    return make_url(normalise_url(url)).render_as_string(hide_password=True)


def start_logging(settings: Settings) -> None:
    """Logs on stderr (JSON unless on a terminal), never showing the two credentials."""
    from app.observability import logs

    logs.configure(settings.log_level)
    logs.register_secret(settings.secret("eprogram_api_key"))
    logs.register_secret(settings.secret("eplanning_token"))


# The stages a run announces before their pages, as an admin reads them.
STAGE_LABELS = {
    Stage.BACA_EPLANNING: "membaca data yang sudah ada di E-Planning",
    Stage.TARIK: "menarik data dari E-Program, per halaman",
    Stage.KIRIM_ULANG: "mengirim ulang data yang sebelumnya gagal terkirim",
}


def durasi(seconds: float) -> str:
    """A duration as an admin says it: '40 detik', '12 menit', '2 jam 5 menit'."""
    if seconds < 90:
        return f"{max(round(seconds), 1)} detik"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} menit"
    return f"{minutes // 60} jam {minutes % 60} menit"


class ProgressLines:
    """One line on stderr per E-Program page: how many so far, how fast, and about how
    long is left when the size of the scope is known (E-Program gives no total; a full
    run expects what the last successful full run of the same scope pulled)."""

    def __init__(
        self, *, expected: int | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.expected = expected
        self.clock = clock
        self.pull_started = clock()

    def __call__(self, event: Progress) -> None:
        from app.report import OUTCOME_LABELS, angka

        if event.stage == Stage.TARIK and not event.page:
            self.pull_started = self.clock()
        if event.stage == Stage.TARIK and event.page:
            rate = event.pulled / max(self.clock() - self.pull_started, 1e-3)
            line = f"halaman {event.page}: {angka(event.pulled)}"
            if self.expected:
                line += f" dari ±{angka(self.expected)}"
            line += " data ditarik"
            if event.pulled:
                line += f" · {angka(round(rate))} data/detik"
            if self.expected and event.pulled < self.expected:
                line += f" · perkiraan sisa {durasi((self.expected - event.pulled) / rate)}"
            line += "".join(
                f" · {OUTCOME_LABELS[k]} {angka(v)}" for k, v in sorted(event.counts.items()) if v
            )
        elif event.stage != Stage.SELESAI:
            line = f"tahap: {STAGE_LABELS.get(event.stage, event.stage)}"
        else:
            return
        typer.echo(f"[run {event.run_id}] {line}", err=True)


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


def run_sync(settings: Settings, scope: Scope, *, trigger: Trigger = Trigger.CLI) -> int:
    """Create and carry out one run, print its outcome table; returns the exit code."""
    from app.report import STATUS_LABELS, outcome_table
    from app.sync import oneshot
    from app.sync.worker import Busy

    typer.echo(f"sinkronisasi {scope} {'penuh' if scope.full else 'inkremental'} dimulai", err=True)
    progress = ProgressLines(expected=expected_records(settings, scope))
    started = time.monotonic()
    try:
        summary = oneshot.run_once(
            settings, scope, trigger=trigger, principal=cli_principal(), progress=progress
        )
    except oneshot.NotMigrated as exc:
        raise fail(str(exc)) from None
    except Busy as exc:
        raise fail(str(exc), code=1) from None
    took = durasi(time.monotonic() - started)
    typer.echo(f"\nRun {summary.run_id} · {scope} · {STATUS_LABELS[summary.status]} · {took}")
    typer.echo(outcome_table(summary.counts, summary.pulled))
    if summary.error:
        typer.secho(f"\nketerangan: {summary.error}", fg=typer.colors.YELLOW)
    return 0 if summary.status is RunStatus.SUCCEEDED else 1


@cli.command()
def sync(
    tahun: Annotated[int, typer.Option(help="Tahun anggaran, mis. 2026.")],
    tahap: Annotated[str, typer.Option(help="renja, rkpd, kua_ppas, apbd atau apbd_perubahan.")],
    full: Annotated[
        bool, typer.Option("--full", help="Tarik semua data, bukan hanya yang berubah.")
    ] = False,
    opd: Annotated[
        list[str] | None, typer.Option(help="Hanya OPD ini (kode_skpd); boleh diulang.")
    ] = None,
) -> None:
    """Sinkronkan satu tahun/tahap dari E-Program ke E-Planning dan cetak ringkasannya.

    Kemajuan dicetak per halaman E-Program: jumlah data, data/detik, dan pada run penuh
    perkiraan sisa waktu (dari jumlah data run penuh terakhir).

    Kode keluar 0 bila run berhasil, 1 bila gagal atau dibatalkan, 2 bila konfigurasi salah.
    """
    from sqlalchemy.exc import OperationalError

    from app.config import ConfigError
    from app.sync.scope import Scope

    if tahap not in TAHAP:
        raise fail(f"tahap '{tahap}' tidak dikenal; pilih salah satu: {', '.join(TAHAP)}")
    kode_skpd = _checked_opd(opd)
    settings = settings_or_exit()
    try:
        settings.require_secrets()
        start_logging(settings)
        code = run_sync(settings, Scope(tahun, tahap, tuple(kode_skpd), full))
    except ConfigError as exc:
        raise fail(str(exc)) from None
    except OperationalError as exc:
        raise fail(
            f"basis data tidak dapat dihubungi ({shown_url(settings.database_url)}): {exc.orig}"
        ) from None
    raise typer.Exit(code)


@cli.command()
def laporan(
    tahun: Annotated[int, typer.Option(help="Tahun anggaran, mis. 2026.")],
    tahap: Annotated[str, typer.Option(help="renja, rkpd, kua_ppas, apbd atau apbd_perubahan.")],
    opd: Annotated[
        list[str] | None, typer.Option(help="Hanya OPD ini (kode_skpd); boleh diulang.")
    ] = None,
    status: Annotated[
        StatusFilter | None,
        typer.Option(help="Hanya mismatch berstatus ini; terbuka = baru dan diakui."),
    ] = None,
    xlsx: Annotated[Path | None, typer.Option(help="Tulis laporan Excel ke berkas ini.")] = None,
    csv: Annotated[Path | None, typer.Option(help="Tulis CSV (UTF-8, ';') ke berkas ini.")] = None,
) -> None:
    """Tulis laporan mismatch (Excel dan/atau CSV), sama dengan unduhan di layanan."""
    from app.laporan import export  # openpyxl: only this command needs it
    from app.models import utcnow
    from app.report import angka
    from app.repositories import mismatches

    if tahap not in TAHAP:
        raise fail(f"tahap '{tahap}' tidak dikenal; pilih salah satu: {', '.join(TAHAP)}")
    if xlsx is None and csv is None:
        raise fail("sebutkan --xlsx BERKAS dan/atau --csv BERKAS")
    kode_skpd = _checked_opd(opd)
    f = mismatches.MismatchFilter(
        tahun_anggaran=tahun,
        tahap=tahap,
        status=status,
        opd=frozenset(kode_skpd) if kode_skpd else None,
    )
    settings = settings_or_exit()
    with _session() as session:
        if xlsx is not None:
            written = export.write_xlsx(
                session,
                f,
                xlsx,
                pemda=settings.pemda,
                made_at=utcnow(),
                progress=lambda n: typer.echo(f"… {angka(n)} baris", err=True),
            )
            typer.echo(
                f"{xlsx}: {angka(written.rows)} mismatch, lembar {', '.join(written.sheets)}"
            )
        if csv is not None:
            rows = mismatches.count(session, f)
            with csv.open("wb") as out:
                for chunk in export.csv_chunks(session, f):
                    out.write(chunk)
            typer.echo(f"{csv}: {angka(rows)} mismatch")


@db_cli.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Revisi tujuan.")] = "head",
) -> None:
    """Terapkan migrasi Alembic ke basis data SINKRON_DATABASE_URL."""
    from sqlalchemy.exc import OperationalError

    from app import migrate

    settings = settings_or_exit()
    try:
        migrate.upgrade(settings.database_url, revision)
    except OperationalError as exc:
        raise fail(f"basis data tidak dapat dihubungi: {exc.orig}") from None
    typer.echo(f"basis data {shown_url(settings.database_url)} pada revisi {revision}")


@db_cli.command("backup")
def db_backup(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="Berkas cadangan baru.")],
) -> None:
    """Cadangkan basis data Sinkron: SQLite lewat backup API, PostgreSQL lewat pg_dump."""
    from app import backup
    from app.report import angka

    settings = settings_or_exit()
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
    file: Annotated[Path, typer.Argument(dir_okay=False, help="Berkas dari `sinkron db backup`.")],
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
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Berkas .xlsx.")],
    tahun: Annotated[int, typer.Option(help="Tahun anggaran yang memakai nomenklatur ini.")],
    label: Annotated[str | None, typer.Option(help="Nama versi, mis. 'TA 2027'.")] = None,
) -> None:
    """Impor nomenklatur sub kegiatan dari ekspor SIPD atau daftar kab/kota 900."""
    from app.nomenklatur import reader, store
    from app.report import angka

    try:
        source_format, entries = reader.read(file)
    except reader.NomenklaturFormatError as exc:
        raise fail(str(exc)) from None
    with _session() as session:
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
    host: Annotated[str, typer.Option(help="Alamat yang didengarkan.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Jalankan layanan: REST API, pekerja run di latar belakang, dan jadwal malam."""
    import uvicorn
    from sqlalchemy.exc import OperationalError

    from app import migrate
    from app.api.main import create_app
    from app.config import ConfigError
    from app.db import make_engine
    from app.sync import schedule

    settings = settings_or_exit()
    try:
        settings.require_secrets()
        schedule.Schedule.from_text(settings.schedule, settings.sync_scopes)
        start_logging(settings)
    except (ConfigError, schedule.ScheduleError) as exc:
        raise fail(str(exc)) from None
    engine = make_engine(settings.database_url)
    try:
        if not migrate.is_at_head(engine):
            raise fail("basis data belum dimigrasi ke versi terbaru: jalankan `sinkron db upgrade`")
    except OperationalError as exc:
        raise fail(f"basis data tidak dapat dihubungi: {exc.orig}") from None
    app = create_app(settings, engine, background=True)
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


@keys_cli.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Nama pemegang kunci, mis. 'operator-diskominfo'.")],
    role: Annotated[
        Role,
        typer.Option(
            help="admin: semua, termasuk memulai run dan dead letter; "
            "planner: melihat run, membaca dan memutuskan mismatch."
        ),
    ],
    opd: Annotated[
        list[str] | None,
        typer.Option(help="Batasi kunci planner ke OPD ini (kode_skpd); boleh diulang."),
    ] = None,
) -> None:
    """Buat kunci API; kunci dicetak sekali ini saja (yang disimpan hanya hash-nya)."""
    from app.access import audit
    from app.access import keys as access_keys

    kode_skpd = _checked_opd(opd)
    with _session() as session:
        try:
            key = access_keys.create(session, name=name, role=role, kode_skpd=kode_skpd)
        except access_keys.KeyProblem as exc:
            raise fail(str(exc)) from None
        detail: dict[str, object] = {"role": role}
        if kode_skpd:
            detail["opd"] = sorted(set(kode_skpd))
        audit.record(
            session, principal=cli_principal(), action="kunci.buat", target=name, detail=detail
        )
    typer.echo(key)
    scope = f", OPD {', '.join(sorted(set(kode_skpd)))}" if kode_skpd else ""
    typer.echo(
        f"kunci '{name}' ({role}{scope}) dibuat; simpan sekarang, tidak akan ditampilkan lagi",
        err=True,
    )


def _checked_opd(opd: list[str] | None) -> list[str]:
    """The --opd values, each a kode_skpd (8 segmen), or a clear exit."""
    for kode in opd or ():
        if not re.fullmatch(KODE_SKPD, kode):
            raise fail(f"--opd '{kode}' bukan kode_skpd (8 segmen, mis. 1.02.0.00.0.00.01.0000)")
    return list(opd or ())


@keys_cli.command("list")
def keys_list() -> None:
    """Daftar kunci API (tanpa kuncinya) dan OPD yang boleh dilihatnya."""
    from app.access import keys as access_keys

    with _session() as session:
        for row in access_keys.all_keys(session):
            state = "dicabut" if row.revoked_at else "aktif"
            scope = ", ".join(row.kode_skpd) if row.kode_skpd else "semua OPD"
            typer.echo(f"{row.name:<30} {row.role:<8} {row.prefix}…  {state:<8} {scope}")


@keys_cli.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="Nama kunci.")]) -> None:
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
    limit: Annotated[int, typer.Option(help="Jumlah run.")] = 20,
) -> None:
    """Run terbaru, satu per baris."""
    from app.report import STATUS_LABELS, angka
    from app.repositories import runs
    from mappings.normalise import WIB

    with _session() as session:
        for run in runs.page(session, limit=limit)[:limit]:
            total = sum(run.outcome_counts.values())
            typer.echo(
                f"{run.id:>5}  {run.tahun_anggaran}/{run.tahap:<14} {run.trigger:<9} "
                f"{STATUS_LABELS.get(run.status, run.status):<11} {angka(total):>7} data  "
                f"{run.created_at.astimezone(WIB):%Y-%m-%d %H:%M} WIB"
            )


@runs_cli.command("show")
def runs_show(run_id: Annotated[int, typer.Argument(help="Nomor run.")]) -> None:
    """Rincian satu run: cakupan, waktu per tahap, hasil per data."""
    from app.report import STATUS_LABELS, outcome_table
    from app.repositories import runs
    from mappings.normalise import WIB

    with _session() as session:
        run = runs.get(session, run_id)
        if run is None:
            raise fail(f"run {run_id} tidak ada", code=1)
        typer.echo(f"Run {run.id} · {run.tahun_anggaran}/{run.tahap} · {STATUS_LABELS[run.status]}")
        typer.echo(f"pemicu: {run.trigger} ({run.triggered_by or '-'}), penuh: {run.full}")
        for label, moment in (("mulai", run.started_at), ("selesai", run.finished_at)):
            if moment is not None:
                typer.echo(f"{label}: {moment.astimezone(WIB):%Y-%m-%d %H:%M:%S} WIB")
        for stage, seconds in run.stage_seconds.items():
            typer.echo(f"  {stage:<16} {seconds:8.1f} s")
        typer.echo(outcome_table(run.outcome_counts, run.records_pulled))
        if run.error:
            typer.echo(f"keterangan: {run.error}")


@contextmanager
def _session() -> Iterator[Session]:
    from sqlalchemy.exc import OperationalError

    from app import migrate
    from app.db import make_engine, make_session_factory, session_scope

    engine = make_engine(settings_or_exit().database_url)
    try:
        if not migrate.is_at_head(engine):
            raise fail("basis data belum dimigrasi ke versi terbaru: jalankan `sinkron db upgrade`")
        with session_scope(make_session_factory(engine)) as session:
            yield session
    except OperationalError as exc:
        raise fail(f"basis data tidak dapat dihubungi: {exc.orig}") from None
    finally:
        engine.dispose()


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        typer.echo("\ndihentikan", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
