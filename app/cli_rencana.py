"""`sinkron rencana`: a run's plan (a preview's, or the writes the guard held)
read, approved and carried out here, or rejected (app.runs.persetujuan).

Only typer at import, as app/cli.py: each command imports what it uses when it runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.cli_base import Sinkron, cli_principal, fail
from app.sync.scope import KODE_SKPD

if TYPE_CHECKING:
    from app.models import Rencana, SyncRun

rencana_cli = Sinkron(
    help="Rencana run: apa yang akan dikirim pratinjau atau run yang ditahan penjaga; "
    "setujui untuk mengirimnya, tolak agar tidak ada yang dikirim.",
    no_args_is_help=True,
)

# The plan's actions as an admin reads them, in the order the table shows them.
AKSI_LABELS = {
    "create": "dibuat",
    "update": "diperbarui",
    "deactivate": "dinonaktifkan",
    "unchanged": "tidak berubah",
    "conflict": "konflik",
}
RUN_ID = Annotated[int, typer.Argument(metavar="RUN_ID", help="Nomor run yang rencananya dibaca.")]
ROWS_SHOWN = 50


def register(cli: typer.Typer) -> None:
    """Add `rencana` to the `sinkron` command."""
    cli.add_typer(rencana_cli, name="rencana")


def plan_table(counts: Mapping[tuple[str, str, str], int]) -> str:
    """(kode_skpd, aksi, status) → rows, as a table of OPD × action (rows a later
    decision replaced left out), with the sum of every OPD last."""
    from app.report import angka
    from app.vocabulary import PlanStatus

    table: dict[str, dict[str, int]] = {}
    for (kode, aksi, status), n in counts.items():
        if status != PlanStatus.DIGANTIKAN:
            table.setdefault(kode, {})
            table[kode][aksi] = table[kode].get(aksi, 0) + n
    if not table:
        return "rencana kosong: tidak ada data yang diputuskan"
    width = max(len("kode_skpd"), *(len(k) for k in table))
    head = f"{'kode_skpd'.ljust(width)}" + "".join(f"  {v:>13}" for v in AKSI_LABELS.values())
    lines = [head, "-" * len(head)]
    total = dict.fromkeys(AKSI_LABELS, 0)
    for kode, per_aksi in sorted(table.items()):
        cells = "".join(f"  {angka(per_aksi.get(a, 0)):>13}" for a in AKSI_LABELS)
        lines.append(f"{kode.ljust(width)}{cells}")
        for a in AKSI_LABELS:
            total[a] += per_aksi.get(a, 0)
    lines.append("-" * len(head))
    lines.append(
        f"{'semua OPD'.ljust(width)}" + "".join(f"  {angka(n):>13}" for n in total.values())
    )
    return "\n".join(lines)


def next_steps(run_id: int) -> str:
    """How to decide on a run's plan, as the commands are typed."""
    return (
        f"lihat rinciannya: sinkron rencana tampil {run_id}\n"
        f"setujui (kirim ke E-Planning): sinkron rencana setujui {run_id}\n"
        f'tolak: sinkron rencana tolak {run_id} --alasan "..."'
    )


def _value(value: Any) -> str:
    return "-" if value is None or value == "" else str(value)


def _row_lines(row: Rencana) -> list[str]:
    label = AKSI_LABELS.get(row.aksi, row.aksi)
    nama = f" {row.nama_sub_kegiatan}" if row.nama_sub_kegiatan else ""
    lines = [f"{label:<13} {row.kode_sub_skpd} {row.kode_sub_kegiatan}{nama} [{row.status}]"]
    lines += [
        f"    {c['field']}: {_value(c.get('sebelum'))} → {_value(c.get('sesudah'))}"
        for c in row.perubahan or ()
    ]
    return lines


def _heading(run: SyncRun) -> list[str]:
    from app.report import STATUS_LABELS, waktu_wib

    jenis = "pratinjau" if run.pratinjau else "run"
    lines = [
        f"Run {run.id} · {run.tahun_anggaran}/{run.tahap} · {jenis} · "
        f"{STATUS_LABELS.get(run.status, run.status)} · selesai {waktu_wib(run.finished_at)}"
    ]
    for kode, alasan in sorted((run.ditahan or {}).items()):
        lines.append(f"ditahan: {kode}: {alasan}")
    if run.keputusan:
        oleh = f" oleh {run.diputuskan_oleh}" if run.diputuskan_oleh else ""
        pada = f" pada {waktu_wib(run.diputuskan_pada)}" if run.diputuskan_pada else ""
        alasan = f": {run.alasan}" if run.alasan else ""
        lines.append(f"keputusan: {run.keputusan}{oleh}{pada}{alasan}")
    return lines


@rencana_cli.command("tampil")
def tampil(
    run_id: RUN_ID,
    opd: Annotated[
        str | None, typer.Option("--opd", metavar="KODE_SKPD", help="Hanya OPD ini.")
    ] = None,
    aksi: Annotated[
        str | None,
        typer.Option(
            "--aksi",
            metavar="AKSI",
            help="Hanya satu aksi: create, update, deactivate, unchanged, conflict.",
        ),
    ] = None,
    semua: Annotated[
        bool, typer.Option("--semua", help=f"Cetak semua baris, bukan {ROWS_SHOWN} pertama.")
    ] = False,
) -> None:
    """Rencana satu run: jumlah per OPD × aksi, lalu per data isian yang berubah
    (sebelum → sesudah).

    Kode keluar 0; 1 bila run tidak ada; 2 bila pilihan salah.
    """
    import re

    from app.cli_database import command_session
    from app.repositories import rencana, runs
    from app.runs import persetujuan

    if opd is not None and not re.fullmatch(KODE_SKPD, opd):
        raise fail(f"--opd: format kode_skpd tidak sesuai: {opd}")
    if aksi is not None and aksi not in AKSI_LABELS:
        raise fail(f"--aksi: harus salah satu dari {', '.join(AKSI_LABELS)}")
    with command_session() as session:
        run = runs.get(session, run_id)
        if run is None:
            raise fail(f"run {run_id} tidak ada", code=1)
        for line in _heading(run):
            typer.echo(line)
        counts = rencana.counts(session, run_id)
        if opd is not None:
            counts = {k: n for k, n in counts.items() if k[0] == opd}
        typer.echo("")
        typer.echo(plan_table(counts))
        rows = rencana.rows_of_run(
            session, run_id, kode_skpd=opd, aksi=aksi, limit=None if semua else ROWS_SHOWN + 1
        )
        if rows:
            typer.echo("")
        for row in rows[:ROWS_SHOWN] if not semua else rows:
            for line in _row_lines(row):
                typer.echo(line)
        if not semua and len(rows) > ROWS_SHOWN:
            typer.echo("… baris berikutnya: tambahkan --semua (atau --opd / --aksi)")
        if persetujuan.waits(run) and run.keputusan is None:
            typer.echo("")
            typer.echo(next_steps(run_id))


@rencana_cli.command("setujui")
def setujui(run_id: RUN_ID) -> None:
    """Setujui rencana pratinjau atau run yang ditahan, lalu kirim persis rencana
    itu ke E-Planning di proses ini (seperti `sinkron sync`, di bawah lease).

    Data yang diubah perencana sejak rencana dibuat menjadi konflik, tidak
    ditimpa. Rencana yang lebih tua dari SINKRON_PRATINJAU_BERLAKU_JAM, atau
    yang sudah didahului run lain yang menulis, ditolak: buat pratinjau baru.

    Kode keluar 0 bila terkirim; 1 bila rencana tidak dapat disetujui, run
    lain berjalan, atau pengiriman gagal; 2 bila konfigurasi salah.
    """
    from app.cli_run import ProgressLines, settings_for_run
    from app.report import STATUS_LABELS, outcome_table
    from app.runs import oneshot, persetujuan
    from app.runs.worker import Busy
    from app.vocabulary import RunStatus

    settings = settings_for_run()
    try:
        done = oneshot.approve_once(
            settings, run_id, principal=cli_principal(), progress=ProgressLines()
        )
    except LookupError as exc:
        raise fail(str(exc), code=1) from None
    except persetujuan.Refused as exc:
        raise fail(exc.detail, code=1) from None
    except oneshot.NotMigrated as exc:
        raise fail(str(exc)) from None
    except Busy as exc:
        raise fail(str(exc), code=1) from None
    summary = done.summary
    typer.echo(
        f"\nRun {summary.run_id} · menerapkan rencana run {run_id} · "
        f"{STATUS_LABELS[summary.status]}"
    )
    typer.echo(outcome_table(summary.counts, summary.pulled))
    if summary.error:
        typer.secho(f"\nketerangan: {summary.error}", fg=typer.colors.YELLOW)
    if done.peringatan:
        typer.secho(f"\nperingatan: {done.peringatan}", fg=typer.colors.YELLOW)
    raise typer.Exit(0 if summary.status is RunStatus.SUCCEEDED else 1)


@rencana_cli.command("tolak")
def tolak(
    run_id: RUN_ID,
    alasan: Annotated[
        str,
        typer.Option(
            "--alasan", metavar="TEKS", help="Mengapa rencana ditolak (dicatat di audit)."
        ),
    ],
) -> None:
    """Tolak rencana pratinjau atau run yang ditahan: tidak ada yang dikirim.
    Run berikutnya memutuskan lagi (dan menahan lagi bila E-Program belum berubah).

    Kode keluar 0; 1 bila run tidak ada atau rencananya tidak menunggu; 2 bila
    alasan kosong.
    """
    from app.access import audit
    from app.cli_database import command_session, settings_or_exit
    from app.runs import persetujuan

    text = alasan.strip()
    if len(text) < 3:
        raise fail("--alasan: tuliskan alasannya, paling sedikit 3 karakter")
    if len(text) > 2000:
        raise fail("--alasan: terlalu panjang (paling banyak 2000 karakter)")
    hours = settings_or_exit().pratinjau_berlaku_jam
    principal = cli_principal()
    with command_session() as session:
        try:
            decided = persetujuan.reject(
                session, run_id, by=principal.name, alasan=text, valid_hours=hours
            )
        except LookupError as exc:
            raise fail(str(exc), code=1) from None
        except persetujuan.Refused as exc:
            raise fail(exc.detail, code=1) from None
        audit.record(
            session, principal=principal, action="rencana.tolak", target=f"run {run_id}",
            detail={"baris": decided.rows, "alasan": text},
        )  # fmt: skip
    typer.echo(f"rencana run {run_id} ditolak: {decided.rows} data tidak dikirim")
