"""API keys: generated once, shown once, stored as a SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import ApiKey, utcnow

# Re-exported (X as X for mypy strict); defined with no ORM import for `sinkron --help`.
from app.vocabulary import Role as Role  # noqa: PLC0414

KEY_PREFIX = "skr_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key's name and role, or the nightly job.

    ``opd`` limits a planner key to some OPDs (kode_skpd); None for all.
    """

    name: str
    role: Role | None
    opd: frozenset[str] | None = None
    key_id: int | None = None

    def can(self, needed: Role) -> bool:
        if self.role is None:
            return False
        return self.role is Role.ADMIN or self.role is needed


SYSTEM = Principal("sistem-terjadwal", Role.ADMIN)
ANONYMOUS = Principal("anonim", None)


class KeyProblem(ValueError):
    """A key cannot be created or revoked; the message says why."""


def hash_key(key: str) -> str:
    # Keys are long and random, so a fast hash is enough; no salt needed.
    return hashlib.sha256(key.encode()).hexdigest()


def create(session: Session, *, name: str, role: Role, kode_skpd: Sequence[str] = ()) -> str:
    """Store a new key and return it in clear: the only time it is ever shown.

    ``kode_skpd`` limits a planner key to those OPDs; an admin sees everything.
    """
    if kode_skpd and role is not Role.PLANNER:
        raise KeyProblem("hanya kunci planner yang dapat dibatasi ke OPD tertentu")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name,
        role=role.value,
        key_hash=hash_key(key),
        prefix=key[:10],
        kode_skpd=sorted(set(kode_skpd)) or None,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise KeyProblem(f"nama kunci '{name}' sudah dipakai") from None
    return key


def authenticate(session: Session, key: str) -> Principal | None:
    row = session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_key(key))).first()
    if row is None or row.revoked_at is not None:
        return None
    return principal_of(row)


def principal_of(row: ApiKey) -> Principal:
    opd = frozenset(row.kode_skpd) if row.kode_skpd else None
    return Principal(row.name, Role(row.role), opd=opd, key_id=row.id)


def revoke(session: Session, name: str) -> ApiKey:
    row = session.scalars(select(ApiKey).where(ApiKey.name == name)).first()
    if row is None:
        raise KeyProblem(f"tidak ada kunci bernama '{name}'")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def all_keys(session: Session) -> Sequence[ApiKey]:
    return session.scalars(select(ApiKey).order_by(ApiKey.id)).all()
