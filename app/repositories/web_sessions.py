"""Sign-ins on the report pages: a row per browser session, found by the
SHA-256 of the cookie's token, valid while unexpired and its key unrevoked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models import ApiKey, WebSession


def create(
    session: Session, *, token_hash: str, api_key_id: int, csrf_token: str, expires_at: datetime
) -> None:
    session.add(
        WebSession(
            token_hash=token_hash,
            api_key_id=api_key_id,
            csrf_token=csrf_token,
            expires_at=expires_at,
        )
    )
    session.flush()


def find(session: Session, token_hash: str, *, now: datetime) -> tuple[WebSession, ApiKey] | None:
    """The live session and its key; None when unknown, expired or the key is revoked."""
    row = session.execute(
        select(WebSession, ApiKey)
        .join(ApiKey, ApiKey.id == WebSession.api_key_id)
        .where(
            WebSession.token_hash == token_hash,
            WebSession.expires_at > now,
            ApiKey.revoked_at.is_(None),
        )
    ).first()
    return None if row is None else (row[0], row[1])


def remove(session: Session, token_hash: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == token_hash))


def remove_expired(session: Session, *, now: datetime) -> None:
    """Forget sessions nobody can use any more (called on each sign-in, so the
    table stays as small as the number of people signed in)."""
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
