"""Replay dead letters with their original idempotency keys.

Send first, record after: nothing holds a database transaction open while
E-Planning is called and retried. Callers hold the run lease, as any run does:
a run replays its scope's open letters after its pull pass
(:func:`open_letters`); an admin replays one by hand through the API.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import session_scope
from app.models import DeadLetter, DeadLetterStatus, PushKey, utcnow
from app.repositories import dead_letters as dead_letter_repo
from app.repositories import push_state
from app.sync import clients
from app.sync.outage import Outage, explain
from app.sync.scope import Scope
from connectors.eplanning import EPlanningClient, Operation, OperationResult
from connectors.http import ConnectorError
from mappings.eplanning import NaturalKey

BATCH = 200  # letters sent in one request, and read in one transaction


@dataclass(frozen=True)
class ReplayResult:
    letter_id: int
    result: OperationResult | None
    error: str | None


def operation_of(letter: DeadLetter) -> Operation:
    payload = letter.payload or {}
    key = NaturalKey.of(letter)
    return Operation(
        op="delete" if letter.op == "delete" else "put",
        idempotency_key=letter.idempotency_key,
        key=key.as_dict(),
        record=payload.get("record") if letter.op == "put" else None,
        if_match=letter.if_match,
    )


async def send_with(client: EPlanningClient, letters: Sequence[DeadLetter]) -> list[ReplayResult]:
    """One batch; raises the ConnectorError when E-Planning gave no answer at all."""
    results = await client.batch([operation_of(letter) for letter in letters])
    return [ReplayResult(letter.id, r, None) for letter, r in zip(letters, results, strict=True)]


async def send(settings: Settings, letters: Sequence[DeadLetter]) -> list[ReplayResult]:
    """One batch to E-Planning; a whole-request failure leaves every letter open."""
    async with clients.eplanning(settings) as client:
        try:
            return await send_with(client, letters)
        except ConnectorError as exc:
            # Transient or not (a rotated token, say): every letter stays open
            # with the reason, and the admin sees it in the answer.
            reason = explain("eplanning", settings.eplanning_url, exc)
            return [ReplayResult(letter.id, None, reason) for letter in letters]


async def open_letters(
    eplanning: EPlanningClient,
    sessions: sessionmaker[Session],
    outage: Outage,
    *,
    run_id: int,
    scope: Scope,
    fence: Callable[[Session], None],
    check_stop: Callable[[], None],
) -> None:
    """Send the scope's dead letters of earlier runs again, with their own keys,
    so E-Planning comes right with no admin action (docs/design.md, promise 8).
    Sent first and recorded after, in short transactions, under the run's lease;
    no answer at all counts toward the run's outage (app/sync/outage.py)."""
    after_id = 0
    while True:
        check_stop()
        with session_scope(sessions) as session:
            letters = list(
                dead_letter_repo.open_of_scope(
                    session,
                    tahun_anggaran=scope.tahun_anggaran,
                    tahap=scope.tahap,
                    before_run=run_id,
                    after_id=after_id,
                    limit=BATCH,
                )
            )
        if not letters:
            return
        after_id = letters[-1].id
        results = await outage.until_answered(functools.partial(send_with, eplanning, letters))
        with session_scope(sessions) as session:
            fence(session)
            apply(session, letters, results)


def apply(
    session: Session, letters: Sequence[DeadLetter], results: Sequence[ReplayResult]
) -> list[DeadLetter]:
    """Record what E-Planning said: resolved, still open, or rejected for good.

    ``letters`` may come from an earlier, finished transaction: each is read
    again here, and one that another replay closed meanwhile is left alone.
    Returns the letters as recorded.
    """
    recorded: list[DeadLetter] = []
    by_id = {letter.id: letter for letter in letters}
    for item in results:
        letter = session.get(DeadLetter, by_id[item.letter_id].id)
        if letter is None:
            continue
        recorded.append(letter)
        if letter.status != DeadLetterStatus.OPEN:
            continue
        letter.attempts += 1
        result = item.result
        if result is None or result.retryable:
            letter.error = item.error or f"E-Planning masih menjawab {result and result.status}"
            continue
        if 200 <= result.status < 300 or (result.status == 404 and letter.op == "delete"):
            letter.status = DeadLetterStatus.RESOLVED
            letter.resolved_at = utcnow()
            _remember(session, letter, result)
        else:
            letter.status = DeadLetterStatus.REJECTED
            letter.resolved_at = utcnow()
            letter.error = f"E-Planning menjawab {result.status}: {result.error_codes}"
    session.flush()
    return recorded


def _remember(session: Session, letter: DeadLetter, result: OperationResult) -> None:
    record = result.record
    if record is None:
        return
    pushed = session.scalars(
        select(PushKey).where(PushKey.idempotency_key == letter.idempotency_key)
    ).first()
    if pushed is None:
        return
    key = NaturalKey.of(letter)
    push_state.record_writes(
        session,
        [
            push_state.Write(
                key,
                pushed.content_hash,
                int(record["versi"]),
                bool(record.get("aktif", True)),
                letter.source_id,
            )
        ],
        run_id=letter.run_id,
    )
