"""The `sinkron` command."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError

from app import migrate
from app.config import ConfigError, Settings, get_settings
from app.db import make_engine, make_session_factory, session_scope
from app.models import RunStatus
from app.nomenklatur import reader, store
from app.report import OUTCOME_LABELS, STATUS_LABELS, angka, outcome_table
from app.sync.pipeline import Progress
from app.sync.runner import create_run, execute_run
from app.sync.scope import TAHAP, Scope

cli = typer.Typer(
    help="Sinkron: sinkronisasi E-Program → E-Planning (program, kegiatan, sub kegiatan).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_cli = typer.Typer(help="Basis data Sinkron (migrasi Alembic).", no_args_is_help=True)
nomenklatur_cli = typer.Typer(help="Nomenklatur sub kegiatan resmi.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(nomenklatur_cli, name="nomenklatur")


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"galat: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def print_progress(event: Progress) -> None:
    counts = " · ".join(
        f"{OUTCOME_LABELS[k]} {angka(v)}" for k, v in sorted(event.counts.items()) if v
    )
    if event.stage == "tarik":
        typer.echo(
            f"[run {event.run_id}] halaman {event.page}: {angka(event.pulled)} data ditarik"
            + (f" · {counts}" if counts else ""),
            err=True,
        )
    elif event.stage != "selesai":
        typer.echo(f"[run {event.run_id}] tahap: {event.stage}", err=True)


def run_sync(settings: Settings, scope: Scope, *, trigger: str = "cli") -> int:
    """Create and carry out one run, print its outcome table; returns the exit code."""
    engine = make_engine(settings.database_url)
    try:
        if not migrate.is_at_head(engine):
            raise fail("basis data belum dimigrasi ke versi terbaru: jalankan `sinkron db upgrade`")
        factory = make_session_factory(engine)
        run_id = create_run(factory, scope, trigger=trigger)
        typer.echo(
            f"[run {run_id}] sinkronisasi {scope} "
            f"{'penuh' if scope.full else 'inkremental'} dimulai",
            err=True,
        )
        summary = asyncio.run(
            execute_run(run_id, settings=settings, session_factory=factory, progress=print_progress)
        )
    finally:
        engine.dispose()
    typer.echo(f"\nRun {summary.run_id} · {scope} · {STATUS_LABELS[summary.status]}")
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

    Kode keluar 0 bila run berhasil, 1 bila gagal atau dibatalkan, 2 bila konfigurasi salah.
    """
    if tahap not in TAHAP:
        raise fail(f"tahap '{tahap}' tidak dikenal; pilih salah satu: {', '.join(TAHAP)}")
    settings = get_settings()
    try:
        settings.require_secrets()
        code = run_sync(settings, Scope(tahun, tahap, tuple(opd or ()), full))
    except ConfigError as exc:
        raise fail(str(exc)) from None
    except OperationalError as exc:
        raise fail(
            f"basis data tidak dapat dihubungi ({settings.database_url}): {exc.orig}"
        ) from None
    raise typer.Exit(code)


@db_cli.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Revisi tujuan.")] = "head",
) -> None:
    """Terapkan migrasi Alembic ke basis data SINKRON_DATABASE_URL."""
    settings = get_settings()
    try:
        migrate.upgrade(settings.database_url, revision)
    except OperationalError as exc:
        raise fail(f"basis data tidak dapat dihubungi: {exc.orig}") from None
    typer.echo(f"basis data {settings.database_url} pada revisi {revision}")


@nomenklatur_cli.command("import")
def nomenklatur_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Berkas .xlsx.")],
    tahun: Annotated[int, typer.Option(help="Tahun anggaran yang memakai nomenklatur ini.")],
    label: Annotated[str | None, typer.Option(help="Nama versi, mis. 'TA 2027'.")] = None,
) -> None:
    """Impor nomenklatur sub kegiatan dari ekspor SIPD atau daftar kab/kota 900."""
    try:
        source_format, entries = reader.read(file)
    except reader.NomenklaturFormatError as exc:
        raise fail(str(exc)) from None
    engine = make_engine(get_settings().database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
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
    finally:
        engine.dispose()


@nomenklatur_cli.command("list")
def nomenklatur_list() -> None:
    """Daftar versi nomenklatur yang sudah diimpor."""
    from sqlalchemy import select

    from app.models import NomenklaturVersion

    engine = make_engine(get_settings().database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            versions = session.scalars(select(NomenklaturVersion).order_by(NomenklaturVersion.id))
            for v in versions:
                typer.echo(
                    f"{v.id:>3}  TA {v.tahun_anggaran}  {angka(v.item_count):>6} item  "
                    f"{v.label}  ({v.source_file})"
                )
    finally:
        engine.dispose()


@cli.command()
def demo(
    once: Annotated[
        bool, typer.Option("--once", help="Jalankan satu sinkronisasi lalu keluar.")
    ] = False,
    size: Annotated[int, typer.Option(help="Jumlah sub kegiatan di E-Program tiruan.")] = 3000,
    seed: Annotated[
        int, typer.Option(help="Benih data tiruan (hasil sama untuk benih sama).")
    ] = 2026,
    tahun: Annotated[int, typer.Option(help="Tahun anggaran.")] = 2027,
    tahap: Annotated[str, typer.Option(help="Tahap.")] = "renja",
    port: Annotated[int, typer.Option(help="Port layanan Sinkron.")] = 8000,
) -> None:
    """Jalankan E-Program dan E-Planning tiruan, layanan Sinkron, dan satu sinkronisasi penuh."""
    from app.demo import run_demo

    raise typer.Exit(run_demo(once=once, size=size, seed=seed, tahun=tahun, tahap=tahap, port=port))


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        typer.echo("\ndihentikan", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
