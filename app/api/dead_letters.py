"""Dead letters: pushes that outlived their retries, and replaying them."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy.orm import Session, sessionmaker

from app.api.deps import PrincipalDep, SessionDep, SessionFactoryDep, SettingsDep, audit_action
from app.api.errors import Conflict, NotFound
from app.api.inputs import Id
from app.api.pagination import Cursor, Limit, cut, decode_cursor
from app.api.schemas import DeadLetterOut, DeadLetterPage, RetryOut
from app.config import Settings
from app.db import session_scope
from app.models import DeadLetter, DeadLetterStatus, utcnow
from app.report import DEAD_LETTER_STATUS_LABELS
from app.repositories import dead_letters
from app.runs import lease
from app.sync import contacts, replay

router = APIRouter(prefix="/api/v1/dead-letters", tags=["dead-letters"])


@router.get("", response_model=DeadLetterPage, summary="Operasi yang gagal dikirim")
def list_dead_letters(
    session: SessionDep,
    _principal: PrincipalDep,
    status: Annotated[DeadLetterStatus | None, Query()] = DeadLetterStatus.OPEN,
    limit: Limit = 100,
    cursor: Cursor = "",
) -> DeadLetterPage:
    rows = dead_letters.page(
        session,
        status=status,
        after_id=decode_cursor(cursor),
        limit=limit + 1,
    )
    page, next_cursor = cut(rows, limit)
    return DeadLetterPage(
        items=[DeadLetterOut.model_validate(r) for r in page], next_cursor=next_cursor
    )


LetterId = Annotated[Id, Path()]


def _retry(
    settings: Settings, sessions: sessionmaker[Session], letters: list[DeadLetter]
) -> RetryOut:
    """Send, then record: no transaction is open while E-Planning is called, and
    the replay holds the run lease like any run, so it never races a run."""
    holder, ttl = lease.holder_id(), timedelta(seconds=settings.lease_ttl_seconds)
    with session_scope(sessions) as session:
        token = lease.acquire(session, holder=holder, ttl=ttl, now=utcnow())
    if token is None:
        raise Conflict("run sedang berjalan; kirim ulang setelah run selesai", code="run_berjalan")
    try:
        results = asyncio.run(replay.send(settings, letters)) if letters else []
        if results:
            failure = next((r.error for r in results if r.result is None and r.error), None)
            contacts.note(sessions, "eplanning", ok=failure is None, detail=failure)
        with session_scope(sessions) as session:
            lease.renew(session, token=token, ttl=ttl, now=utcnow())
            recorded = replay.apply(session, letters, results)
    except lease.LeaseLost:
        raise Conflict("lease diambil proses lain; coba lagi", code="run_berjalan") from None
    finally:
        with session_scope(sessions) as session:
            lease.release(session, token=token)
    return RetryOut(
        dikirim_ulang=len(recorded),
        terkirim=sum(1 for d in recorded if d.status == DeadLetterStatus.RESOLVED),
        masih_terbuka=sum(1 for d in recorded if d.status == DeadLetterStatus.OPEN),
        ditolak=sum(1 for d in recorded if d.status == DeadLetterStatus.REJECTED),
        items=[DeadLetterOut.model_validate(d) for d in recorded],
    )


@router.post("/retry", response_model=RetryOut, summary="Kirim ulang semua (200 per panggilan)")
def retry_all(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    sessions: SessionFactoryDep,
) -> RetryOut:
    letters = list(dead_letters.open_letters(session, limit=200))
    session.commit()  # end the read before E-Planning is called
    outcome = _retry(settings, sessions, letters)
    audit_action(
        request,
        session,
        action="dead_letter.kirim_ulang",
        target=f"{len(letters)} operasi",
        status_code=200,
        detail={"terkirim": outcome.terkirim, "masih_terbuka": outcome.masih_terbuka},
    )
    return outcome


@router.post("/{letter_id}/retry", response_model=RetryOut, summary="Kirim ulang satu operasi")
def retry_one(
    letter_id: LetterId,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    sessions: SessionFactoryDep,
) -> RetryOut:
    letter = dead_letters.get(session, letter_id)
    if letter is None:
        raise NotFound(f"dead letter {letter_id} tidak ada")
    if letter.status != DeadLetterStatus.OPEN:
        state = DEAD_LETTER_STATUS_LABELS.get(letter.status, letter.status)
        raise Conflict(f"dead letter {letter_id} sudah {state}", code="sudah_selesai")
    session.commit()  # end the read before E-Planning is called
    outcome = _retry(settings, sessions, [letter])
    audit_action(
        request,
        session,
        action="dead_letter.kirim_ulang",
        target=f"dead letter {letter_id}",
        status_code=200,
        detail={"status": outcome.items[0].status if outcome.items else letter.status},
    )
    return outcome
