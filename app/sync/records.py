"""Turn one page's decisions and push answers into rows to record: outcomes,
mismatches, dead letters and the push state. Pure: no I/O."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from app.models import DeadLetter, Outcome
from app.repositories.mismatches import MismatchRow
from app.repositories.outcomes import OutcomeRow
from app.repositories.push_state import Write
from app.repositories.source_records import Copy
from app.sync.push import PlannedWrite, PushResult
from app.sync.reconcile import Action, RemoteEntry
from mappings.eplanning import RenjaSubKegiatan, StoredRenjaSubKegiatan
from mappings.nomenklatur import Nomenklatur, check
from mappings.subkegiatan import Mapped, Unmappable

# E-Planning's 422 codes → the mismatch categories planners see (docs/design.md, Mismatches).
REJECTION_CATEGORY = {
    "tidak_ada_di_nomenklatur": "kode_tidak_di_nomenklatur",
    "format_kode": "format_kode",
    "skpd_tidak_dikenal": "skpd_tidak_dikenal",
    "indikator_wajib": "indikator_tidak_lengkap",
    "sumber_dana_tidak_sama": "sumber_dana_tidak_sama",
}


@dataclass(frozen=True, slots=True)
class Seen:
    """What a run keeps of a record it already recorded, to settle a later copy."""

    source_id: str
    updated_at: datetime
    tahun_anggaran: int
    tahap: str
    kode_skpd: str
    kode_sub_skpd: str
    kode_sub_kegiatan: str
    nama_sub_skpd: str
    aktif: bool
    nama_sub_kegiatan: str

    @classmethod
    def of(cls, item: Mapped) -> Seen:
        return cls.of_record(item.source_id, item.updated_at, item.record)

    @classmethod
    def of_record(cls, source_id: str, updated_at: datetime, r: RenjaSubKegiatan) -> Seen:
        return cls(
            source_id,
            updated_at,
            r.tahun_anggaran,
            r.tahap,
            r.kode_skpd,
            r.kode_sub_skpd,
            r.kode_sub_kegiatan,
            r.nama_sub_skpd,
            r.aktif,
            r.nama_sub_kegiatan,
        )


@dataclass
class PageRecord:
    """Everything one page leaves behind, written in one transaction."""

    outcomes: list[OutcomeRow] = field(default_factory=list)
    mismatches: list[MismatchRow] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    written: list[Write] = field(default_factory=list)
    superseded: list[tuple[str, str]] = field(default_factory=list)  # (loser id, winner id)
    attempts: dict[str, int] = field(default_factory=dict)  # idempotency key → last status
    source_ids: set[str] = field(default_factory=set)  # pulled in this page, counted once
    sources: list[Mapped] = field(default_factory=list)  # as pulled, for source_record
    unmappable: list[Unmappable] = field(default_factory=list)
    # Pulled records whose key another copy now speaks for (source id → the
    # content that went to E-Planning in its place), and copies of earlier runs
    # the page's records outrank: neither counts in the summary.
    replaced: dict[str, RenjaSubKegiatan] = field(default_factory=dict)
    outranked: set[str] = field(default_factory=set)
    states: list[dict[str, Any]] = field(default_factory=list)  # record_state rows

    def outcome(self, row: OutcomeRow) -> None:
        self.outcomes.append(row)


def display(value: Any) -> str | None:
    """A field value as planners will read it in the report."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


class _Keyed(Protocol):
    """A mapped record or what a run keeps of one: enough to file a row under."""

    @property
    def tahun_anggaran(self) -> int: ...
    @property
    def tahap(self) -> str: ...
    @property
    def kode_skpd(self) -> str: ...
    @property
    def kode_sub_skpd(self) -> str: ...
    @property
    def kode_sub_kegiatan(self) -> str: ...
    @property
    def nama_sub_kegiatan(self) -> str: ...


def row_for(
    on: _Keyed,
    source_id: str,
    kategori: str,
    field: str | None,
    *,
    nilai_eprogram: str | None = None,
    nilai_eplanning: str | None = None,
    keterangan: str | None = None,
) -> MismatchRow:
    """A report row filed under a record (or what a run keeps of one)."""
    return MismatchRow(
        tahun_anggaran=on.tahun_anggaran,
        tahap=on.tahap,
        source_id=source_id,
        kategori=kategori,
        field=field,
        nilai_eprogram=nilai_eprogram,
        nilai_eplanning=nilai_eplanning,
        keterangan=keterangan,
        kode_skpd=on.kode_skpd,
        kode_sub_skpd=on.kode_sub_skpd,
        kode_sub_kegiatan=on.kode_sub_kegiatan,
        nama_sub_kegiatan=on.nama_sub_kegiatan,
    )


def _outcome(item: Mapped, outcome: Outcome, **extra: Any) -> OutcomeRow:
    record = item.record
    return OutcomeRow(
        source_id=item.source_id,
        outcome=outcome,
        source_updated_at=item.updated_at,
        kode_skpd=record.kode_skpd,
        kode_sub_skpd=record.kode_sub_skpd,
        kode_sub_kegiatan=record.kode_sub_kegiatan,
        **extra,
    )


def unmappable_rows(page: PageRecord, item: Unmappable, *, tahun: int, tahap: str) -> None:
    key = item.natural_key
    source_id = item.source_id or "?"
    reasons = "; ".join(f"{p.field}: {p.alasan}" for p in item.problems)
    page.unmappable.append(item)
    page.outcome(
        OutcomeRow(
            source_id=source_id,
            outcome=Outcome.UNMAPPABLE,
            source_updated_at=item.updated_at,
            kode_skpd=item.kode_skpd,
            kode_sub_skpd=key.kode_sub_skpd if key else None,
            kode_sub_kegiatan=key.kode_sub_kegiatan if key else None,
            message=reasons,
        )
    )
    for problem in item.problems:
        page.mismatches.append(
            MismatchRow(
                tahun_anggaran=tahun,
                tahap=tahap,
                source_id=source_id,
                kategori=problem.kategori,
                field=problem.field,
                nilai_eprogram=problem.nilai,
                nilai_eplanning=None,
                keterangan=problem.alasan,
                kode_skpd=item.kode_skpd,
                kode_sub_skpd=key.kode_sub_skpd if key else None,
                kode_sub_kegiatan=key.kode_sub_kegiatan if key else None,
                nama_sub_kegiatan=item.nama_sub_kegiatan,
            )
        )


def note_rows(page: PageRecord, item: Mapped) -> None:
    """Problems that do not stop a record (an indicator without a numeric target)
    still belong in the planners' report."""
    page.mismatches.extend(
        row_for(
            item.record,
            item.source_id,
            note.kategori,
            note.field,
            nilai_eprogram=note.nilai,
            keterangan=note.alasan,
        )
        for note in item.notes
        if note.kategori != "catatan"
    )


def nomenklatur_rows(page: PageRecord, item: Mapped, nomenklatur: Nomenklatur | None) -> None:
    """What the record lacks against the nomenclature imported for its year."""
    page.mismatches.extend(
        row_for(
            item.record,
            item.source_id,
            temuan.kategori,
            temuan.field,
            nilai_eprogram=temuan.nilai_eprogram,
            nilai_eplanning=temuan.nilai_nomenklatur,
            keterangan=temuan.keterangan,
        )
        for temuan in check(item.record, nomenklatur)
    )


def duplicate_rows(page: PageRecord, loser: Mapped, winner_id: str) -> None:
    message = f"salinan; yang dipakai data E-Program id {winner_id}"
    page.outcome(_outcome(loser, Outcome.DUPLICATE, message=message))
    page.mismatches.append(_duplicate_mismatch(Seen.of(loser), winner_id))


def _duplicate_mismatch(loser: Seen, winner_id: str) -> MismatchRow:
    return row_for(
        loser,
        loser.source_id,
        "duplikat",
        "id",
        nilai_eprogram=loser.source_id,
        nilai_eplanning=winner_id,
        keterangan=(
            f"Sub kegiatan {loser.kode_sub_kegiatan} untuk {loser.nama_sub_skpd} ada lebih "
            f"dari sekali; yang dipakai id {winner_id}, salinan id {loser.source_id}"
        ),
    )


def superseded_by_copy_rows(page: PageRecord, pulled: Mapped, winner: RenjaSubKegiatan) -> None:
    """The record in hand lost to a copy seen on an earlier run, whose content now
    goes to E-Planning in its place."""
    winner_id = winner.sumber.id if winner.sumber else "?"
    page.replaced[pulled.source_id] = winner
    page.mismatches.append(_duplicate_mismatch(Seen.of(pulled), winner_id))


def outranked_rows(page: PageRecord, others: Iterable[Copy], winner_id: str) -> None:
    """Copies seen on earlier runs that the record in hand now outranks."""
    for other in others:
        page.outranked.add(other.source_id)
        loser = Seen.of_record(other.source_id, other.updated_at, other.record())
        page.mismatches.append(_duplicate_mismatch(loser, winner_id))


def superseded_rows(page: PageRecord, loser: Seen, winner_id: str) -> None:
    page.superseded.append((loser.source_id, winner_id))
    page.outranked.add(loser.source_id)
    page.mismatches.append(_duplicate_mismatch(loser, winner_id))


def conflict_rows(
    page: PageRecord,
    mapped: Mapped,
    remote: RemoteEntry,
    changed: list[str],
    reason: str,
) -> None:
    page.outcome(
        _outcome(
            mapped, Outcome.CONFLICT, versi=remote.versi, changed_fields=changed, message=reason
        )
    )
    ours = mapped.record.to_api()
    theirs = remote.api_body()
    fields: list[str | None] = list(changed) or [None]
    page.mismatches.extend(
        row_for(
            mapped.record,
            mapped.source_id,
            "diubah_manual",
            name,
            nilai_eprogram=display(ours.get(name)) if name else None,
            nilai_eplanning=display(theirs.get(name)) if name else None,
            keterangan=reason,
        )
        for name in fields
    )


def unchanged_row(page: PageRecord, mapped: Mapped, versi: int | None, reason: str | None) -> None:
    page.outcome(_outcome(mapped, Outcome.UNCHANGED, versi=versi, message=reason))


def push_rows(
    page: PageRecord, pushed: PushResult, mapped: Mapped, run_id: int
) -> dict[str, Any] | None:
    """Record one push answer; returns E-Planning's new copy when there is one."""
    write, op, result = pushed.write, pushed.operation, pushed.result
    base = _outcome(
        mapped,
        Outcome.DEAD_LETTER,
        idempotency_key=op.idempotency_key,
        changed_fields=write.changed or None,
    )
    if result is None:
        page.outcome(_with(base, message=pushed.error))
        page.dead_letters.append(_dead_letter(write, pushed, run_id))
        return None
    page.attempts[op.idempotency_key] = result.status
    if result.status in (200, 201) and result.record is not None:
        stored = StoredRenjaSubKegiatan.from_api(result.record)
        outcome = _success_outcome(write, result.status, stored, result.berubah)
        page.outcome(_with(base, outcome=outcome, versi=stored.versi))
        page.written.append(
            Write(write.key, write.sync_hash, stored.versi, stored.aktif, write.source_id)
        )
        return result.record
    if result.status == 404 and write.action is Action.DEACTIVATE:
        page.outcome(_with(base, outcome=Outcome.UNCHANGED, message="tidak ada di E-Planning"))
        return None
    if result.status == 409:
        current = result.current
        versi = current.get("versi") if current else None
        page.outcome(
            _with(
                base,
                outcome=Outcome.CONFLICT,
                versi=versi,
                message="versi di E-Planning berubah sejak dibaca (409 versi_berubah)",
            )
        )
        if current is not None:
            stored = StoredRenjaSubKegiatan.from_api(current)
            page.mismatches.append(
                row_for(
                    write.record,
                    write.source_id,
                    "diubah_manual",
                    None,
                    nilai_eplanning=f"versi {stored.versi} oleh {stored.diperbarui_oleh}",
                    keterangan="Data diubah di E-Planning saat sinkronisasi berjalan",
                )
            )
            return current
        return None
    _rejected(page, base, write, result.status, result.errors)
    return None


def _success_outcome(
    write: PlannedWrite, status: int, stored: StoredRenjaSubKegiatan, berubah: bool | None
) -> Outcome:
    if status == 201:
        return Outcome.CREATED
    # E-Planning's "berubah": false, or a 200 that did not move the versi.
    if berubah is False or (write.if_match is not None and stored.versi == write.if_match):
        return Outcome.UNCHANGED
    return Outcome.DEACTIVATED if write.action is Action.DEACTIVATE else Outcome.UPDATED


def _rejected(
    page: PageRecord,
    base: OutcomeRow,
    write: PlannedWrite,
    status: int,
    errors: list[dict[str, Any]],
) -> None:
    body = write.record.to_api()
    messages = (
        "; ".join(f"{e.get('field') or '-'}: {e.get('code')} ({e.get('message')})" for e in errors)
        or f"E-Planning menjawab {status}"
    )
    page.outcome(_with(base, outcome=Outcome.REJECTED, message=messages))
    for error in errors or [{"field": None, "code": None, "message": messages}]:
        name = error.get("field")
        page.mismatches.append(
            row_for(
                write.record,
                write.source_id,
                REJECTION_CATEGORY.get(str(error.get("code")), "ditolak"),
                name,
                nilai_eprogram=display(_lookup(body, name)) if name else None,
                keterangan=f"Ditolak E-Planning ({error.get('code')}): {error.get('message')}",
            )
        )


def _lookup(body: dict[str, Any], name: str) -> Any:
    """Follow a field path like ``sumber_dana`` or ``indikator[0].target``."""
    value: Any = body
    for part in name.replace("]", "").replace("[", ".").split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _dead_letter(write: PlannedWrite, pushed: PushResult, run_id: int) -> DeadLetter:
    op = pushed.operation
    return DeadLetter(
        run_id=run_id,
        source_id=write.source_id,
        tahun_anggaran=write.key.tahun_anggaran,
        tahap=write.key.tahap,
        kode_sub_skpd=write.key.kode_sub_skpd,
        kode_sub_kegiatan=write.key.kode_sub_kegiatan,
        op=op.op,
        idempotency_key=op.idempotency_key,
        if_match=op.if_match,
        payload=op.to_json(),
        error=pushed.error or "tidak diketahui",
        status="open",
    )


def _with(row: OutcomeRow, **changes: Any) -> OutcomeRow:
    return replace(row, **changes)
