"""`sinkron opd kontak` (who is told what waits for an OPD) and `sinkron digest`
(the digests: a preview as .eml files, or sent now).

Only typer at import, as app/cli.py: each command imports what it uses when it runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli_base import CliError, Sinkron

if TYPE_CHECKING:
    from app.config import Settings
    from app.digests.layanan import Pengantar
    from app.runs.schedule import ScopeKey

opd_cli = Sinkron(help="Perangkat daerah (OPD): kontak penerima ringkasan.", no_args_is_help=True)
kontak_cli = Sinkron(
    help="Alamat surel yang diberi tahu apa yang menunggu tiap OPD (dan daftar pemda).",
    no_args_is_help=True,
)
opd_cli.add_typer(kontak_cli, name="kontak")
digest_cli = Sinkron(
    help="Ringkasan untuk OPD dan pemda: pratinjau sebagai berkas .eml, atau kirim sekarang.",
    invoke_without_command=True,
)

KODE_HELP = "kode_skpd OPD, mis. 1.02.0.00.0.00.01.0000."
PEMDA_HELP = "Daftar pemda (kepala Bappeda, kantor Bupati), bukan satu OPD."
TAHUN_HELP = "Tahun anggaran; bawaan: cakupan di SINKRON_SYNC_SCOPES."
TAHAP_HELP = "Tahap (renja, rkpd, kua_ppas, apbd, apbd_perubahan); bersama --tahun."


def register(cli: typer.Typer) -> None:
    """Add `opd` and `digest` to the `sinkron` command."""
    cli.add_typer(opd_cli, name="opd")
    cli.add_typer(digest_cli, name="digest")


def _daftar(kode_skpd: str | None, pemda: bool) -> str:
    """Whose list: an OPD's code, checked, or the pemda's."""
    from app.digests import alamat

    if pemda and kode_skpd:
        raise CliError("sebutkan KODE_SKPD atau --pemda, tidak keduanya")
    if pemda:
        return alamat.PEMDA
    if not kode_skpd:
        raise CliError("sebutkan KODE_SKPD OPD, atau --pemda untuk daftar pemda")
    try:
        return alamat.kode_skpd(kode_skpd)
    except alamat.AlamatSalah as exc:
        raise CliError(str(exc)) from None


def _nama_daftar(daftar: str) -> str:
    from app.digests.alamat import PEMDA

    return "daftar pemda" if daftar == PEMDA else f"OPD {daftar}"


@kontak_cli.command("set")
def kontak_set(
    kode_skpd: Annotated[
        str | None, typer.Argument(metavar="KODE_SKPD", help=KODE_HELP, show_default=False)
    ] = None,
    email: Annotated[
        list[str] | None,
        typer.Option("--email", metavar="ALAMAT", help="Alamat surel; boleh diulang."),
    ] = None,
    pemda: Annotated[bool, typer.Option("--pemda", help=PEMDA_HELP)] = False,
) -> None:
    """Setel alamat surel sebuah OPD (atau daftar pemda); yang lama diganti."""
    from app.access import audit
    from app.cli_base import cli_principal
    from app.cli_database import command_session as _session
    from app.cli_database import unknown_opd as _unknown_opd
    from app.digests import alamat, baca

    daftar = _daftar(kode_skpd, pemda)
    if not email:
        raise CliError("sebutkan paling sedikit satu --email ALAMAT")
    try:
        emails = alamat.daftar(email)
    except alamat.AlamatSalah as exc:
        raise CliError(str(exc)) from None
    with _session() as session:
        baca.kontak_set(session, daftar, emails)
        audit.record(
            session,
            principal=cli_principal(),
            action="kontak.setel",
            target=daftar,
            detail={"email": emails},
        )
        unknown = [] if daftar == alamat.PEMDA else _unknown_opd(session, [daftar])
    typer.echo(f"kontak {_nama_daftar(daftar)}: {', '.join(emails)}")
    if unknown:
        typer.echo(
            f"peringatan: OPD {daftar} belum pernah terlihat pada run mana pun dan bidang "
            "urusannya tidak ada di nomenklatur; periksa kodenya",
            err=True,
        )


@kontak_cli.command("list")
def kontak_list() -> None:
    """Daftar kontak: satu baris per OPD, daftar pemda lebih dulu."""
    from app.cli_database import command_session as _session
    from app.digests import alamat, baca

    with _session() as session:
        semua = baca.kontak_semua(session)
        nama = baca.nama_opd(session, [k for k in semua if k != alamat.PEMDA])
    if not semua:
        typer.echo(
            "belum ada kontak; tambahkan dengan `sinkron opd kontak set KODE_SKPD --email A`"
        )
        return
    urut = sorted(semua, key=lambda k: (k != alamat.PEMDA, k))
    for daftar in urut:
        label = "pemda" if daftar == alamat.PEMDA else daftar
        keterangan = f"  ({nama[daftar]})" if daftar in nama else ""
        typer.echo(f"{label:<24} {', '.join(semua[daftar])}{keterangan}")


@kontak_cli.command("hapus")
def kontak_hapus(
    kode_skpd: Annotated[
        str | None, typer.Argument(metavar="KODE_SKPD", help=KODE_HELP, show_default=False)
    ] = None,
    email: Annotated[
        list[str] | None,
        typer.Option(
            "--email", metavar="ALAMAT", help="Hapus alamat ini saja; tanpa --email: semuanya."
        ),
    ] = None,
    pemda: Annotated[bool, typer.Option("--pemda", help=PEMDA_HELP)] = False,
) -> None:
    """Hapus kontak sebuah OPD (atau daftar pemda)."""
    from app.access import audit
    from app.cli_base import cli_principal
    from app.cli_database import command_session as _session
    from app.digests import alamat, baca

    daftar = _daftar(kode_skpd, pemda)
    try:
        emails = alamat.daftar(email or [])
    except alamat.AlamatSalah as exc:
        raise CliError(str(exc)) from None
    with _session() as session:
        removed = baca.kontak_hapus(session, daftar, emails)
        if not removed:
            raise CliError(
                f"{_nama_daftar(daftar)} tidak punya kontak"
                + (f" {', '.join(emails)}" if emails else ""),
                code=1,
            )
        audit.record(
            session,
            principal=cli_principal(),
            action="kontak.hapus",
            target=daftar,
            detail={"email": emails or "semua", "dihapus": removed},
        )
    typer.echo(f"{removed} kontak {_nama_daftar(daftar)} dihapus")


@contextmanager
def _pengantar(settings: Settings) -> Iterator[Pengantar]:
    from app.cli_database import open_database
    from app.db import make_session_factory
    from app.digests.layanan import Pengantar
    from app.runs.schedule import ScheduleError

    engine = open_database(settings)
    try:
        try:
            pengantar = Pengantar(settings, make_session_factory(engine))
        except ScheduleError as exc:
            raise CliError(str(exc)) from None
        yield pengantar
    finally:
        engine.dispose()


def _scopes(settings: Settings, tahun: int | None, tahap: str | None) -> list[ScopeKey]:
    from app.runs.schedule import ScheduleError, parse_scopes
    from app.vocabulary import Tahap

    if (tahun is None) != (tahap is None):
        raise CliError("sebutkan --tahun dan --tahap bersama-sama")
    if tahun is not None and tahap is not None:
        if Tahap.of(tahap) is None:
            raise CliError(f"tahap '{tahap}' tidak dikenal; pilih salah satu: {', '.join(Tahap)}")
        return [(tahun, tahap)]
    try:
        scopes = parse_scopes(settings.sync_scopes)
    except ScheduleError as exc:
        raise CliError(str(exc)) from None
    if not scopes:
        raise CliError("sebutkan --tahun dan --tahap, atau setel SINKRON_SYNC_SCOPES")
    return scopes


@digest_cli.callback()
def digest(
    ctx: typer.Context,
    pratinjau: Annotated[
        Path | None,
        typer.Option(
            "--pratinjau",
            metavar="FOLDER",
            help="Tulis setiap ringkasan sebagai berkas .eml di FOLDER; tidak ada yang dikirim.",
        ),
    ] = None,
    tahun: Annotated[int | None, typer.Option(metavar="TAHUN", help=TAHUN_HELP)] = None,
    tahap: Annotated[str | None, typer.Option(metavar="TAHAP", help=TAHAP_HELP)] = None,
) -> None:
    """Ringkasan untuk OPD dan pemda: `--pratinjau FOLDER` atau `kirim`."""
    from app.cli_database import settings_or_exit

    if ctx.invoked_subcommand is not None:
        if pratinjau is not None:
            raise CliError("--pratinjau tidak dipakai bersama `kirim`")
        ctx.obj = (tahun, tahap)
        return
    if pratinjau is None:
        typer.echo(ctx.get_help())
        return
    settings = settings_or_exit()
    scopes = _scopes(settings, tahun, tahap)
    with _pengantar(settings) as pengantar:
        written = pengantar.pratinjau(scopes, pratinjau)
    if not written:
        typer.echo(
            "tidak ada ringkasan: belum ada kontak; tambahkan dengan "
            "`sinkron opd kontak set KODE_SKPD --email A`"
        )
        return
    for path in written:
        typer.echo(str(path))
    typer.echo(f"{len(written)} ringkasan ditulis ke {pratinjau}; tidak ada yang dikirim")


@digest_cli.command("kirim")
def digest_kirim(
    ctx: typer.Context,
    tahun: Annotated[int | None, typer.Option(metavar="TAHUN", help=TAHUN_HELP)] = None,
    tahap: Annotated[str | None, typer.Option(metavar="TAHAP", help=TAHAP_HELP)] = None,
) -> None:
    """Buat dan kirim ringkasan setiap OPD yang punya kontak dan ringkasan pemda sekarang."""
    from app.cli_database import settings_or_exit

    before = ctx.obj if isinstance(ctx.obj, tuple) else (None, None)
    settings = settings_or_exit()
    if not (settings.smtp_host or settings.webhook_url):
        raise CliError(
            "SINKRON_SMTP_HOST (atau SINKRON_WEBHOOK_URL) belum disetel: tidak ada jalan untuk "
            "mengirim; `sinkron digest --pratinjau FOLDER` menulis ringkasannya tanpa mengirim"
        )
    scopes = _scopes(settings, tahun if tahun is not None else before[0], tahap or before[1])
    with _pengantar(settings) as pengantar:
        made, hasil = pengantar.sekarang(scopes)
    typer.echo(f"{made} ringkasan dibuat; {hasil.terkirim} terkirim, {hasil.gagal} gagal")
    if hasil.gagal:
        raise CliError(
            f"{hasil.gagal} ringkasan belum terkirim (lihat `galat_terakhir` di audit); "
            "layanan mencobanya lagi nanti",
            code=1,
        )
