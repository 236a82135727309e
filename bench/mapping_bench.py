"""Mapping alone: records/s of ``map_sub_kegiatan`` over the generator's untidy dataset, one core.

    .venv/bin/python bench/mapping_bench.py [--size 3000] [--rounds 5]

Prints the best of ``--rounds`` passes (the least disturbed by other work on
the machine) and the median, in records/s and microseconds per record. Each
pass starts with the mapping's caches empty, as one sync does.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

# standins/ lives in the source tree, not in the installed package: run from
# any directory, as `make bench` does, the checkout must be importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mappings import normalise, subkegiatan
from mappings.subkegiatan import map_sub_kegiatan
from standins.generator import generate
from standins.nomenklatur import load_sample


def records(size: int, seed: int = 2026) -> list[dict[str, Any]]:
    items = load_sample()["items"]
    return generate(items, tahun_anggaran=2027, tahap="renja", size=size, seed=seed).records


# The mapping caches what repeats across records (names, codes, targets). A
# sync maps each record once, so every pass starts with them empty: a cache
# earns only what the data's own repetition gives it, never a second pass.
CACHES = (
    normalise.clean_name,
    normalise.parse_target,
    normalise.strip_tag,
    subkegiatan._normal_kode,
)


def measure(size: int = 3000, rounds: int = 5) -> dict[str, float]:
    """{"best": records/s, "median": records/s, "us_per_record": at the best pass}."""
    data = records(size)
    for raw in data[:100]:  # warm up: first imports, pydantic's lazy set-up
        map_sub_kegiatan(raw)
    rates = []
    for _ in range(rounds):
        for cache in CACHES:
            cache.cache_clear()
        start = time.process_time()
        for raw in data:
            map_sub_kegiatan(raw)
        rates.append(len(data) / (time.process_time() - start))
    best = max(rates)
    return {"best": best, "median": statistics.median(rates), "us_per_record": 1e6 / best}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="one JSON line instead of text")
    args = parser.parse_args()
    result = measure(args.size, args.rounds)
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"mapping {args.size} untidy records: {result['best']:,.0f} records/s best, "
        f"{result['median']:,.0f} median ({result['us_per_record']:.0f} us a record)"
    )


if __name__ == "__main__":
    main()
