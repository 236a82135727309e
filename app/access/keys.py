"""API keys: generated once, shown once, stored as a SHA-256.

A key is a person's: it carries its holder's name and e-mail, and what is done
with it (a decision on a mismatch, an export, a run started) is recorded under
that person, so one key per person, never shared."""

from __future__ import annotations

import hashlib
import re
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
    """Who is calling: a key's holder (name and e-mail) and role, or the nightly job.

    ``opd`` limits a planner key to some OPDs (kode_skpd); None for all.
    ``email`` is None for the service itself and for a key made without one.
    """

    name: str
    role: Role | None
    opd: frozenset[str] | None = None
    key_id: int | None = None
    email: str | None = None

    def can(self, needed: Role) -> bool:
        if self.role is None:
            return False
        return self.role is Role.ADMIN or self.role is needed


SYSTEM = Principal("sistem-terjadwal", Role.ADMIN)
ANONYMOUS = Principal("anonim", None)


class KeyProblem(ValueError):
    """A key cannot be created or revoked; the message says why."""


# The names the service records its own doings under: no person's key takes one.
RESERVED_NAMES = frozenset({"sistem", "sistem-terjadwal", "cli", "anonim"})
NAME_MAX = 100
EMAIL_MAX = 254
# One address, as people type it: no spaces, one @, a domain with a dot.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def checked_email(email: str) -> str:
    """``email`` trimmed and lower-cased, or KeyProblem saying what is wrong."""
    address = email.strip().lower()
    if not address:
        raise KeyProblem("alamat e-mail pemegang kunci tidak boleh kosong")
    if len(address) > EMAIL_MAX:
        raise KeyProblem(f"alamat e-mail terlalu panjang (paling banyak {EMAIL_MAX} karakter)")
    if not _EMAIL.fullmatch(address):
        raise KeyProblem(
            f"'{email.strip()}' bukan alamat e-mail yang sah; tulis seperti nama@merantikab.go.id"
        )
    return address


def checked_name(name: str) -> str:
    """A holder's name trimmed, or KeyProblem saying what is wrong."""
    nama = " ".join(name.split())
    if not nama:
        raise KeyProblem("nama pemegang kunci tidak boleh kosong")
    if len(nama) > NAME_MAX:
        raise KeyProblem(f"nama pemegang kunci terlalu panjang (paling banyak {NAME_MAX} karakter)")
    if nama.lower() in RESERVED_NAMES:
        raise KeyProblem(f"nama '{nama}' dipakai layanan untuk dirinya sendiri; pilih nama orang")
    return nama


def hash_key(key: str) -> str:
    # Keys are long and random, so a fast hash is enough; no salt needed.
    return hashlib.sha256(key.encode()).hexdigest()


def create(
    session: Session,
    *,
    name: str,
    role: Role,
    kode_skpd: Sequence[str] = (),
    email: str | None = None,
) -> str:
    """Store a new key for the person ``name`` (``email``) and return it in
    clear: the only time it is ever shown.

    ``kode_skpd`` limits a planner key to those OPDs; an admin sees everything.
    """
    name = checked_name(name)
    address = checked_email(email) if email is not None else None
    if kode_skpd and role is not Role.PLANNER:
        raise KeyProblem("hanya kunci planner yang dapat dibatasi ke OPD tertentu")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name,
        email=address,
        role=role.value,
        key_hash=hash_key(key),
        prefix=key[:10],
        kode_skpd=sorted(set(kode_skpd)) or None,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise KeyProblem(
            f"nama '{name}' sudah dipakai kunci lain; bila orangnya lain, bedakan namanya "
            f"(mis. '{name} (Bappeda)')"
        ) from None
    return key


def authenticate(session: Session, key: str) -> Principal | None:
    row = session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_key(key))).first()
    if row is None or row.revoked_at is not None:
        return None
    return principal_of(row)


def principal_of(row: ApiKey) -> Principal:
    opd = frozenset(row.kode_skpd) if row.kode_skpd else None
    return Principal(row.name, Role(row.role), opd=opd, key_id=row.id, email=row.email)


def revoke(session: Session, name: str) -> ApiKey:
    row = session.scalars(select(ApiKey).where(ApiKey.name == name)).first()
    if row is None:
        raise KeyProblem(f"tidak ada kunci bernama '{name}'")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def all_keys(session: Session) -> Sequence[ApiKey]:
    return session.scalars(select(ApiKey).order_by(ApiKey.id)).all()
