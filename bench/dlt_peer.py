"""The peer: dlt's REST API source loading the same E-Program pages into SQLite.

dlt (https://dlthub.com) pages through ``GET /api/v1/sub-kegiatan`` with its
cursor paginator and loads the records through its sqlalchemy destination
into a SQLite file. Nested lists are kept as JSON columns
(``max_table_nesting=0``), dlt's fastest setting for this shape: no child
tables. Prints one JSON line: rows loaded, seconds of ``pipeline.run`` (dlt's
import and set-up excluded) and seconds in all.

    .venv/bin/python bench/dlt_peer.py --eprogram URL
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time

START = time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eprogram", required=True)
    parser.add_argument("--tahun", type=int, default=2027)
    parser.add_argument("--tahap", default="renja")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("DLT_DATA_DIR", tmp)
        os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
        import dlt
        from dlt.sources.rest_api import rest_api_source

        source = rest_api_source(
            {
                "client": {
                    "base_url": args.eprogram,
                    "auth": {
                        "type": "api_key",
                        "name": "X-API-Key",
                        "api_key": "eprogram-dev-key",
                        "location": "header",
                    },
                    "paginator": {
                        "type": "cursor",
                        "cursor_path": "next_after",
                        "cursor_param": "after",
                    },
                },
                "resources": [
                    {
                        "name": "sub_kegiatan",
                        "endpoint": {
                            "path": "api/v1/sub-kegiatan",
                            "params": {
                                "tahun_anggaran": args.tahun,
                                "tahap": args.tahap,
                                "limit": 1000,
                            },
                            "data_selector": "data",
                        },
                    }
                ],
            },
            max_table_nesting=0,
        )
        database = f"{tmp}/dlt.db"
        pipeline = dlt.pipeline(
            pipeline_name="eprogram_bench",
            pipelines_dir=f"{tmp}/pipelines",
            destination=dlt.destinations.sqlalchemy(credentials=f"sqlite:///{database}"),
            dataset_name="main",
        )
        run_start = time.perf_counter()
        pipeline.run(source)
        run_seconds = time.perf_counter() - run_start
        with sqlite3.connect(database) as conn:
            rows = conn.execute("SELECT count(*) FROM sub_kegiatan").fetchone()[0]
    total = time.perf_counter() - START
    print(json.dumps({"rows": rows, "seconds": run_seconds, "total_seconds": total}))


if __name__ == "__main__":
    main()
