"""The naive baseline: one PUT per record, one after another, no batching.

Pulls E-Program page by page and, for each record that maps, PUTs it to
E-Planning on its own (the contract's single-record call) before looking at
the next. Stops after ``--records`` records so that large sizes stay short;
the figure that matters is records per second. Prints one JSON line.

    .venv/bin/python bench/naive_baseline.py --eprogram URL --eplanning URL --records 3000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from typing import Any

import httpx
from plain_client import send

from mappings.subkegiatan import Mapped, map_sub_kegiatan

PATH = "/api/v1/renja-sub-kegiatan/{tahun_anggaran}/{tahap}/{kode_sub_skpd}/{kode_sub_kegiatan}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eprogram", required=True)
    parser.add_argument("--eplanning", required=True)
    parser.add_argument("--records", type=int, default=3000, help="stop after this many")
    parser.add_argument("--tahun", type=int, default=2027)
    parser.add_argument("--tahap", default="renja")
    args = parser.parse_args()
    start = time.perf_counter()
    pulled = pushed = 0
    params: dict[str, Any] = {"tahun_anggaran": args.tahun, "tahap": args.tahap, "limit": 500}
    with (
        httpx.Client(base_url=args.eprogram, headers={"X-API-Key": "eprogram-dev-key"}) as src,
        httpx.Client(
            base_url=args.eplanning, headers={"Authorization": "Bearer eplanning-dev-token"}
        ) as dst,
    ):
        while pulled < args.records:
            page = send(src, "GET", "/api/v1/sub-kegiatan", params=params).json()
            for raw in page["data"][: args.records - pulled]:
                pulled += 1
                mapped = map_sub_kegiatan(raw)
                if not isinstance(mapped, Mapped):
                    continue
                body = mapped.record.to_api()
                key = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
                url = PATH.format(**mapped.record.natural_key().as_dict())
                answer = dst.put(url, json=body, headers={"Idempotency-Key": key})
                while answer.status_code == 429:
                    time.sleep(float(answer.headers.get("retry-after", "1")))
                    answer = dst.put(url, json=body, headers={"Idempotency-Key": key})
                pushed += 1
            if not page["next_after"]:
                break
            params["after"] = page["next_after"]
    seconds = time.perf_counter() - start
    print(json.dumps({"pulled": pulled, "pushed": pushed, "seconds": seconds}))


if __name__ == "__main__":
    main()
