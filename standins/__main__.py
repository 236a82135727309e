"""`python -m standins`: run both stand-ins on local ports until Ctrl-C."""

from __future__ import annotations

import argparse
import sys

from standins import eplanning, eprogram, nomenklatur, ratelimit
from standins.generator import COPY_RATE, generate
from standins.server import ServerThread, stop_on_signals


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m standins",
        description=(
            "Start the E-Program and E-Planning stand-in servers with a generated dataset "
            "and the built-in nomenclature sample (or your own)."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--eprogram-port", type=int, default=8801, help="E-Program port")
    parser.add_argument("--eplanning-port", type=int, default=8802, help="E-Planning port")
    parser.add_argument("--size", type=int, default=3000, help="number of sub kegiatan records")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the generated data")
    parser.add_argument("--tahun", type=int, default=2027, help="tahun anggaran")
    parser.add_argument(
        "--tahap",
        default="renja",
        choices=eprogram.TAHAP,
        help="tahap of the generated records",
    )
    parser.add_argument(
        "--nomenklatur",
        metavar="FILE.json",
        help='nomenclature JSON ({"versi", "items"} or a list); default: the built-in sample',
    )
    parser.add_argument("--tidy", action="store_true", help="generate tidy data only")
    parser.add_argument(
        "--problem-rate", type=float, default=0.02, help="share of genuinely bad records"
    )
    parser.add_argument(
        "--copy-rate",
        type=float,
        default=COPY_RATE,
        help="share of operator copies (same sub kegiatan twice) in untidy data",
    )
    parser.add_argument(
        "--rate-limits",
        action="store_true",
        default=ratelimit.enabled_by_env(),
        help=(
            "enforce the contracts' rate limits (E-Program 10/s per key, E-Planning 20/s "
            f"per token; 429 with Retry-After beyond them); also {ratelimit.ENV_SWITCH}=1"
        ),
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.nomenklatur:
        document = nomenklatur.read_file(args.nomenklatur)
    else:
        document = nomenklatur.load_sample()
    dataset = generate(
        document["items"],
        tahun_anggaran=args.tahun,
        tahap=args.tahap,
        size=args.size,
        seed=args.seed,
        untidy=not args.tidy,
        problem_rate=args.problem_rate,
        copy_rate=args.copy_rate,
    )
    limits = args.rate_limits
    source = eprogram.create_app(
        dataset, rate_limit=ratelimit.EPROGRAM_PER_SECOND if limits else None
    )
    target = eplanning.create_app(
        nomenklatur=document["items"],
        perangkat_daerah=dataset.eplanning_perangkat_daerah(),
        nomenklatur_versi=document["versi"] or "TA 2027",
        rate_limit=ratelimit.EPLANNING_PER_SECOND if limits else None,
    )
    stop = stop_on_signals()  # Ctrl-C and SIGTERM alike
    try:
        servers = [
            ServerThread(source, host=args.host, port=args.eprogram_port),
            ServerThread(target, host=args.host, port=args.eplanning_port),
        ]
    except OSError as exc:
        print(f"Port tidak bisa dipakai: {exc}", file=sys.stderr)
        return 2
    try:
        for server in servers:
            server.start()
        _print_banner(servers, args, len(dataset))
        while not stop.wait(0.5):
            if not all(s.thread.is_alive() for s in servers):
                return 1
        print("\nBerhenti.", flush=True)
        return 0
    finally:
        for server in servers:
            if server.thread.is_alive():
                server.stop()


def _print_banner(servers: list[ServerThread], args: argparse.Namespace, size: int) -> None:
    source, target = servers
    tokens = ", ".join(f"{token} ({user})" for token, user in eplanning.DEFAULT_TOKENS.items())
    print(
        f"E-Program  stand-in: {source.url}  (header X-API-Key: eprogram-dev-key)\n"
        f"E-Planning stand-in: {target.url}  (Authorization: Bearer <token>; {tokens})\n"
        f"Data: {size} sub kegiatan, tahun {args.tahun}, tahap {args.tahap}, seed {args.seed}\n"
        f"Batas laju: {'aktif' if args.rate_limits else 'tidak aktif'}\n"
        f"Kontrol: {source.url}/_standin/stats, {target.url}/_standin/stats\n"
        "Tekan Ctrl-C untuk berhenti.",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
