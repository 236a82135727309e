"""Dead letters: pushes that outlived their retries, and replaying them
(the use case is app.dead_letter_replay's; this module only answers)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from app.api.schemas import DeadLetterOut, DeadLetterPage, RetryOut
from app.dead_letter_replay import (
    LeaseTaken,
    LetterClosed,
    LetterMissing,
    Replayed,
    RunBusy,
    replay_one,
    replay_open,
)
from app.http.deps import PrincipalDep, SessionDep, SessionFactoryDep, SettingsDep, audit_action
from app.http.errors import Conflict, NotFound
from app.http.inputs import Id
from app.http.pagination import Cursor, Limit, cut, decode_cursor
from app.models import DeadLetterStatus
from app.report import DEAD_LETTER_STATUS_LABELS
from app.repositories import dead_letters

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


def _answer(replayed: Replayed) -> RetryOut:
    return RetryOut(
        dikirim_ulang=len(replayed.letters),
        terkirim=replayed.count(DeadLetterStatus.RESOLVED),
        masih_terbuka=replayed.count(DeadLetterStatus.OPEN),
        ditolak=replayed.count(DeadLetterStatus.REJECTED),
        items=[DeadLetterOut.model_validate(d) for d in replayed.letters],
    )


@contextmanager
def _refusals() -> Iterator[None]:
    """The replay's refusals as the API answers them."""
    try:
        yield
    except RunBusy:
        raise Conflict(
            "run sedang berjalan; kirim ulang setelah run selesai", code="run_berjalan"
        ) from None
    except LeaseTaken:
        raise Conflict("lease diambil proses lain; coba lagi", code="run_berjalan") from None


@router.post("/retry", response_model=RetryOut, summary="Kirim ulang semua (200 per panggilan)")
def retry_all(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    sessions: SessionFactoryDep,
) -> RetryOut:
    with _refusals():
        asked, replayed = replay_open(settings, sessions)
    outcome = _answer(replayed)
    audit_action(
        request,
        session,
        action="dead_letter.kirim_ulang",
        target=f"{asked} operasi",
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
    try:
        with _refusals():
            replayed = replay_one(settings, sessions, letter_id)
    except LetterMissing:
        raise NotFound(f"dead letter {letter_id} tidak ada") from None
    except LetterClosed as closed:
        state = DEAD_LETTER_STATUS_LABELS.get(closed.status, closed.status)
        raise Conflict(f"dead letter {letter_id} sudah {state}", code="sudah_selesai") from None
    outcome = _answer(replayed)
    audit_action(
        request,
        session,
        action="dead_letter.kirim_ulang",
        target=f"dead letter {letter_id}",
        status_code=200,
        detail={"status": outcome.items[0].status if outcome.items else DeadLetterStatus.OPEN},
    )
    return outcome
