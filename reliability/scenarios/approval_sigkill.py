"""SIGKILL of the service while it applies an approved plan, approved again
until the plan is applied (docs/design.md, "Preview, approval and the guard").

A preview of a first sync plans every record as a create; an admin approves
it over REST; the service is killed with SIGKILL at moments spread over the
pushes (by E-Planning's count of applied writes), started again, and the
admin approves again, which continues the approval: the rows already pushed
stay pushed, the rest are pushed with the same idempotency keys. What must
hold: E-Planning ends exactly as E-Program says, no write has a duplicate
effect, and no approved row is left unpushed.
"""

from __future__ import annotations

import os
import random
import signal
from pathlib import Path
from typing import Any

import httpx

from reliability import oracle
from reliability.harness import TAHAP, TAHUN, Stack, stack
from reliability.rows import Row, Size
from reliability.services import Service, admin_key, ended, query, wait_for

NAME = "approval_sigkill"
RECORDS = {"small": 1500, "full": 50_000}
KILLS = {"small": 3, "full": 10}
PAGE_SIZE = {"small": 100, "full": 500}
# Paced so that the pushes take long enough to be killed in the middle.
SETTINGS = {
    "worker_poll_seconds": "0.2",
    "sync_scopes": "",
    "push_batch_size": "50",
    "eplanning_requests_per_second": "8",
}
SEED = 21
TIMEOUT = {"small": 300.0, "full": 3600.0}


def run(size: Size, workdir: Path) -> list[Row]:
    records, kills = RECORDS[size], KILLS[size]
    rng = random.Random(SEED)
    targets = sorted(rng.randrange(1, records) for _ in range(kills))
    with stack(records, workdir, page_size=str(PAGE_SIZE[size])) as s:
        key = admin_key(s)
        service = Service.start(s, **SETTINGS)
        try:
            preview = _post(service, key, "/api/v1/runs", json=_scope(pratinjau=True))["id"]
            done = wait_for(lambda: ended(s.db_url, preview), TIMEOUT[size], "the preview")
            if done["status"] != "succeeded":
                raise RuntimeError(f"the preview ended {done['status']}: {done['error']}")
            approvals = [_approve(service, key, preview)]
            killed = 0
            for target in targets:

                def reached(t: int = target) -> bool:
                    return _applied(s) >= t or ended(s.db_url, approvals[-1]) is not None

                wait_for(reached, TIMEOUT[size], f"{target} writes applied", every=0.05)
                if ended(s.db_url, approvals[-1]):
                    break  # it finished before this kill
                # The service and the worker process it started die together, as
                # in a crash of the machine: the worker would otherwise finish the
                # page in hand and stop in order once it sees its service gone.
                for worker in service.workers():
                    os.kill(worker, signal.SIGKILL)
                service.process.send_signal(signal.SIGKILL)
                service.process.wait()
                killed += 1
                service = Service.start(s, **SETTINGS)
                approvals.append(_approve(service, key, preview))
            wait_for(lambda: ended(s.db_url, approvals[-1]), TIMEOUT[size], "the approval")
        finally:
            service.stop()
        expected = oracle.expected_holdings(s.source_records(), tahun_anggaran=TAHUN, tahap=TAHAP)
        found = oracle.diff(expected, s.holdings())
        duplicates = s.control("eplanning", "applied")["duplicate_effects"]
        left = query(
            s.db_url,
            "SELECT count(*) AS n FROM rencana WHERE run_id = :id AND status = 'disetujui'",
            id=preview,
        )[0]["n"]
        statuses = [
            str(row["status"])
            for row in query(
                s.db_url,
                "SELECT status FROM sync_run WHERE menerapkan_run_id = :id ORDER BY id",
                id=preview,
            )
        ]
    scope = (
        f"{killed} SIGKILLs of `sinkron serve` and its worker process while it applies an "
        f"approved preview of {records:,} creates, approved again after each restart"
    )
    return [
        Row(
            scope,
            "records lost: 0; final state exact",
            f"approval runs: {', '.join(statuses)}; E-Planning: {found.summary()}",
            found.exact and bool(statuses) and statuses[-1] == "succeeded",
        ),
        Row(scope, "duplicate effects in E-Planning: 0", f"{duplicates}", duplicates == 0),
        Row(scope, "approved rows left unpushed: 0", f"{left}", left == 0),
    ]


def _scope(**extra: Any) -> dict[str, Any]:
    return {"tahun_anggaran": TAHUN, "tahap": TAHAP, **extra}


def _post(service: Service, key: str, path: str, **kw: Any) -> dict[str, Any]:
    answer = httpx.post(f"{service.url}{path}", headers={"X-API-Key": key}, timeout=60, **kw)
    if answer.status_code >= 300:
        raise RuntimeError(f"POST {path}: {answer.status_code} {answer.text}")
    body: dict[str, Any] = answer.json()
    return body


def _approve(service: Service, key: str, preview: int) -> int:
    """Approve (or continue approving) the preview; the id of the run that applies it."""

    def approved() -> int | None:
        answer = httpx.post(
            f"{service.url}/api/v1/runs/{preview}/setujui",
            headers={"X-API-Key": key},
            timeout=60,
        )
        if answer.status_code == 409 and answer.json().get("error") == "run_berjalan":
            return None  # the killed approval is still shown running until it is closed
        if answer.status_code != 202:
            raise RuntimeError(f"setujui: {answer.status_code} {answer.text}")
        return int(answer.json()["run_penerapan"]["id"])

    return wait_for(approved, 60, "the approval to be accepted", every=0.3)


def _applied(s: Stack) -> int:
    return int(s.stats("eplanning")["writes_applied"])
