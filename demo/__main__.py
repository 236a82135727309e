"""``python -m demo``: the stand-ins, the service and one full sync; ``--once`` exits after it."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from demo.run import TAHAP, TAHUN, run_demo

cli = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@cli.command()
def demo(
    once: Annotated[
        bool, typer.Option("--once", help="Jalankan satu sinkronisasi lalu keluar.")
    ] = False,
    size: Annotated[int, typer.Option(help="Jumlah sub kegiatan di E-Program tiruan.")] = 3000,
    seed: Annotated[
        int, typer.Option(help="Benih data tiruan (hasil sama untuk benih sama).")
    ] = 2026,
    tahun: Annotated[int, typer.Option(help="Tahun anggaran.")] = TAHUN,
    tahap: Annotated[str, typer.Option(help="Tahap.")] = TAHAP,
    port: Annotated[int, typer.Option(help="Port layanan Sinkron.")] = 8000,
) -> None:
    """Jalankan E-Program dan E-Planning tiruan, layanan Sinkron, dan satu sinkronisasi penuh."""
    raise typer.Exit(run_demo(once=once, size=size, seed=seed, tahun=tahun, tahap=tahap, port=port))


def main() -> None:
    try:
        cli(prog_name="python -m demo")
    except KeyboardInterrupt:
        typer.echo("\ndihentikan", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
