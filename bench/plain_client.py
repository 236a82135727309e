"""The floor: a plain hand-written full sync, no database, as a new user would write it.

Pulls every E-Program page, maps each record with ``map_sub_kegiatan`` and
POSTs the mapped records to E-Planning in batches of 200 puts. No
reconciliation, no outcomes, no checkpoint: what a sync costs at the least.
Prints one JSON line: records pulled, records pushed, seconds.

    .venv/bin/python bench/plain_client.py --eprogram URL --eplanning URL
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from typing import Any

import httpx

from mappings.subkegiatan import Mapped, map_sub_kegiatan

BATCH = 200


def send(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request; a 429 waits for its Retry-After and goes again (the limits-on runs)."""
    while True:
        answer = client.request(method, url, **kwargs)
        if answer.status_code != 429:
            answer.raise_for_status()
            return answer
        time.sleep(float(answer.headers.get("retry-after", "1")))


def pull(client: httpx.Client, tahun: int, tahap: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    params: dict[str, Any] = {"tahun_anggaran": tahun, "tahap": tahap, "limit": 1000}
    while True:
        page = send(client, "GET", "/api/v1/sub-kegiatan", params=params).json()
        records.extend(page["data"])
        if not page["next_after"]:
            return records
        params["after"] = page["next_after"]


def operation(mapped: Mapped) -> dict[str, Any]:
    body = mapped.record.to_api()
    key = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return {"op": "put", "idempotency_key": key, "record": body}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eprogram", required=True)
    parser.add_argument("--eplanning", required=True)
    parser.add_argument("--key", default="eprogram-dev-key")
    parser.add_argument("--token", default="eplanning-dev-token")
    parser.add_argument("--tahun", type=int, default=2027)
    parser.add_argument("--tahap", default="renja")
    args = parser.parse_args()
    start = time.perf_counter()
    with (
        httpx.Client(base_url=args.eprogram, headers={"X-API-Key": args.key}, timeout=60) as src,
        httpx.Client(
            base_url=args.eplanning, headers={"Authorization": f"Bearer {args.token}"}, timeout=60
        ) as dst,
    ):
        raw = pull(src, args.tahun, args.tahap)
        mapped = [m for m in map(map_sub_kegiatan, raw) if isinstance(m, Mapped)]
        operations = [operation(m) for m in mapped]
        for at in range(0, len(operations), BATCH):
            batch = {"operations": operations[at : at + BATCH]}
            send(dst, "POST", "/api/v1/renja-sub-kegiatan/batch", json=batch)
    seconds = time.perf_counter() - start
    print(json.dumps({"pulled": len(raw), "pushed": len(operations), "seconds": seconds}))


if __name__ == "__main__":
    main()
