"""Push planned writes to E-Planning in batches, idempotently (docs/design.md, promise 2)."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from app.sync.reconcile import Action
from connectors.eplanning import EPlanningClient, Operation, OperationResult, PartialBatchError
from connectors.http import TransientError
from mappings.eplanning import NaturalKey, RenjaSubKegiatan


def idempotency_key(key: NaturalKey, op: str, content: str, base_versi: int | None) -> str:
    """Derived, not random: the same write gets the same key after a crash.

    The versi it replaces is part of it, so a record whose content changes back to
    an earlier value is a new write, not a replay of the old answer.
    """
    material = f"{key}|{op}|{content}|{base_versi if base_versi is not None else '-'}"
    return "sinkron-" + hashlib.sha256(material.encode()).hexdigest()[:56]


@dataclass(frozen=True)
class PlannedWrite:
    source_id: str
    key: NaturalKey
    action: Action
    record: RenjaSubKegiatan
    sync_hash: str
    if_match: int | None
    changed: list[str]

    @functools.cached_property
    def operation(self) -> Operation:
        """Built once: the ledger remembers its key before the push sends it."""
        op: Literal["put", "delete"] = "delete" if self.action is Action.DEACTIVATE else "put"
        return Operation(
            op=op,
            idempotency_key=idempotency_key(self.key, op, self.sync_hash, self.if_match),
            key=self.key.as_dict(),
            record=self.record.api_body if op == "put" else None,
            if_match=self.if_match,
        )


@dataclass(frozen=True)
class PushResult:
    write: PlannedWrite
    operation: Operation
    result: OperationResult | None  # None: outlived its retries
    error: str | None = None
    # True when E-Planning gave no answer at all (the request itself failed):
    # an outage, not a record failing on its own.
    unanswered: bool = False
    cause: TransientError | None = None


async def push_writes(client: EPlanningClient, writes: Sequence[PlannedWrite]) -> list[PushResult]:
    """Send every write in batches and pair each with E-Planning's answer.

    The client retries whole requests and items answered with a transient status
    (same idempotency keys). An item still answered with a transient status comes
    back with ``result=None`` (a dead letter); an operation whose request got no
    answer at all comes back ``unanswered`` for the caller to send again or to
    call an outage.
    """
    operations = [w.operation for w in writes]
    cause: TransientError | None
    try:
        results = await client.batch(operations)
    except PartialBatchError as exc:
        results, cause = exc.results, exc
    except TransientError as exc:
        results, cause = [], exc
    else:
        cause = None
    done: list[PushResult] = []
    for index, (write, op) in enumerate(zip(writes, operations, strict=True)):
        if index >= len(results):
            error = "E-Planning tidak menjawab kiriman ini"
            done.append(PushResult(write, op, None, error, unanswered=True, cause=cause))
        elif results[index].retryable:
            status = results[index].status
            codes = results[index].error_codes
            error = f"E-Planning masih menjawab {status} {codes} setelah dicoba ulang"
            done.append(PushResult(write, op, None, error))
        else:
            done.append(PushResult(write, op, results[index]))
    return done
