"""Contacts' e-mail addresses and OPD codes, checked before they are stored (pure)."""

from __future__ import annotations

import re

from app.sync.scope import KODE_SKPD

# The pemda-wide list (the Bappeda head, the Bupati's office) is stored under this name.
PEMDA = "pemda"
EMAIL_MAX = 254
# A practical address: one @, a local part without spaces, a domain of labels with a dot.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


class AlamatSalah(ValueError):
    """An address or a code that cannot be stored; the message says why, in Indonesian."""


def email(text: str) -> str:
    """The address, trimmed and with its domain in lower case, or AlamatSalah."""
    value = text.strip()
    if not value:
        raise AlamatSalah("alamat surel kosong")
    if len(value) > EMAIL_MAX:
        raise AlamatSalah(f"alamat surel '{value[:40]}…' lebih dari {EMAIL_MAX} karakter")
    local, at, domain = value.rpartition("@")
    if not at or not _EMAIL.fullmatch(value) or local.startswith(".") or ".." in local:
        raise AlamatSalah(
            f"'{value}' bukan alamat surel yang sah (contoh: perencanaan@dinkes.meranti.go.id)"
        )
    return f"{local}@{domain.lower()}"


def kode_skpd(text: str) -> str:
    """A kode_skpd (8 segmen), or AlamatSalah."""
    value = text.strip()
    if not re.fullmatch(KODE_SKPD, value):
        raise AlamatSalah(
            f"'{value}' bukan kode_skpd (8 segmen, mis. 1.02.0.00.0.00.01.0000); "
            "untuk daftar pemda pakai --pemda"
        )
    return value


def daftar(emails: list[str]) -> list[str]:
    """The addresses checked, each once, in the order given."""
    seen: dict[str, None] = {}
    for raw in emails:
        seen.setdefault(email(raw), None)
    return list(seen)
