"""The operations pushed to E-Planning and its answers to them, as plain data.

An `Operation` carries its idempotency key, so sending it again after a
dropped connection or a 5xx is safe (docs/design.md, promise 2): E-Planning replays the
first answer instead of applying the change twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

RECORDS_PATH = "/api/v1/renja-sub-kegiatan"
MAX_IDEMPOTENCY_KEY = 255
KEY_FIELDS = ("tahun_anggaran", "tahap", "kode_sub_skpd", "kode_sub_kegiatan")


@dataclass(frozen=True)
class Operation:
    """One push: put (create or replace) or delete (deactivate) one record.

    `key` is the natural key ``{tahun_anggaran, tahap, kode_sub_skpd,
    kode_sub_kegiatan}``; a delete sends it, a put sends `record`. `if_match` is the
    ``versi`` the push replaces, or None to skip the check.
    """

    op: Literal["put", "delete"]
    idempotency_key: str
    key: dict[str, Any]
    record: dict[str, Any] | None = None
    if_match: int | None = None

    def __post_init__(self) -> None:
        if not 0 < len(self.idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            raise ValueError(f"idempotency_key must have 1..{MAX_IDEMPOTENCY_KEY} characters")
        missing = [name for name in KEY_FIELDS if self.key.get(name) in (None, "")]
        if missing:
            raise ValueError(f"key lacks {', '.join(missing)}")
        if self.op == "put":
            if self.record is None:
                raise ValueError("a put needs a record")
            # Callers match answers by `key` and a put sends `record`: they must agree.
            differing = [n for n in KEY_FIELDS if self.record.get(n) != self.key[n]]
            if differing:
                raise ValueError(f"key and record differ in {', '.join(differing)}")

    def to_json(self) -> dict[str, Any]:
        """The operation as the batch endpoint expects it."""
        body: dict[str, Any] = {"op": self.op, "idempotency_key": self.idempotency_key}
        if self.if_match is not None:
            body["if_match"] = self.if_match
        if self.op == "put":
            body["record"] = self.record
        else:
            body["key"] = self.key
        return body


@dataclass(frozen=True)
class OperationResult:
    """E-Planning's answer to one operation.

    2xx: `record` is the stored record (``berubah`` False when nothing
    changed). 4xx: `errors` as sent; on a 409 ``versi_berubah`` `current`
    holds the stored record that a person changed.
    """

    status: int
    record: dict[str, Any] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    current: dict[str, Any] | None = None
    berubah: bool | None = None

    @property
    def error_codes(self) -> list[str]:
        """The ``code`` of each error, e.g. ``["versi_berubah"]``."""
        return [e["code"] for e in self.errors if isinstance(e.get("code"), str)]

    @property
    def retryable(self) -> bool:
        """Worth sending again with the same key: 429, 5xx, or still being processed.

        ``sedang_diproses`` means our own earlier attempt (one that timed out,
        say) is still running; the retry will get its replayed answer.
        """
        return (
            self.status == 429
            or self.status >= 500
            or (self.status == 409 and "sedang_diproses" in self.error_codes)
        )

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> OperationResult:
        """From one ``results`` item of a batch answer."""
        status: int = item["status"]
        return cls._build(status, item.get("record"), item)

    @classmethod
    def _build(cls, status: int, record: Any, body: dict[str, Any]) -> OperationResult:
        record = record if isinstance(record, dict) else None
        errors = body.get("errors")
        current = body.get("current")
        berubah = body.get("berubah", record.get("berubah") if record else None)
        return cls(
            status=status,
            record=record,
            errors=[e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else [],
            current=current if isinstance(current, dict) else None,
            berubah=berubah if isinstance(berubah, bool) else None,
        )
