"""Dead letters: pushes that outlived their retries, and replaying them."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.api.deps import PrincipalDep, SessionDep, audit_action
from app.api.errors import Conflict, NotFound
from app.api.pagination import Limit, cut, decode_cursor
from app.api.schemas import DeadLetterOut, DeadLetterPage, RetryOut
from app.models import DeadLetter
from app.repositories import dead_letters
from app.sync import replay

router = APIRouter(prefix="/api/v1/dead-letters", tags=["dead-letters"])


@router.get("", response_model=DeadLetterPage, summary="Operasi yang gagal dikirim")
def list_dead_letters(
    session: SessionDep,
    _principal: PrincipalDep,
    status: Annotated[str | None, Query(description="open, resolved, rejected")] = "open",
    limit: Limit = 100,
    cursor: Annotated[str | None, Query()] = None,
) -> DeadLetterPage:
    rows = dead_letters.page(
        session, status=status, after_id=decode_cursor(cursor), limit=limit + 1
    )
    page, next_cursor = cut(rows, limit)
    return DeadLetterPage(
        items=[DeadLetterOut.model_validate(r) for r in page], next_cursor=next_cursor
    )


def _retry(request: Request, session: SessionDep, letters: list[DeadLetter]) -> RetryOut:
    settings = request.app.state.settings
    results = asyncio.run(replay.send(settings, letters)) if letters else []
    replay.apply(session, letters, results)
    return RetryOut(
        retried=len(letters),
        resolved=sum(1 for d in letters if d.status == "resolved"),
        still_open=sum(1 for d in letters if d.status == "open"),
        rejected=sum(1 for d in letters if d.status == "rejected"),
        items=[DeadLetterOut.model_validate(d) for d in letters],
    )


@router.post("/retry", response_model=RetryOut, summary="Kirim ulang semua (200 per panggilan)")
def retry_all(request: Request, session: SessionDep, principal: PrincipalDep) -> RetryOut:
    letters = list(dead_letters.open_letters(session, limit=200))
    outcome = _retry(request, session, letters)
    audit_action(
        request,
        session,
        action="dead_letter.kirim_ulang",
        target=f"{len(letters)} operasi",
        status_code=200,
        detail={"resolved": outcome.resolved, "still_open": outcome.still_open},
    )
    return outcome


@router.post("/{letter_id}/retry", response_model=RetryOut, summary="Kirim ulang satu operasi")
def retry_one(
    letter_id: int, request: Request, session: SessionDep, principal: PrincipalDep
) -> RetryOut:
    letter = dead_letters.get(session, letter_id)
    if letter is None:
        raise NotFound(f"dead letter {letter_id} tidak ada")
    if letter.status != "open":
        raise Conflict(f"dead letter {letter_id} sudah {letter.status}", code="sudah_selesai")
    outcome = _retry(request, session, [letter])
    audit_action(
        request,
        session,
        action="dead_letter.kirim_ulang",
        target=f"dead letter {letter_id}",
        status_code=200,
        detail={"status": letter.status},
    )
    return outcome
