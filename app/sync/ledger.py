"""A page's ledger: what one page's decisions and push answers leave to record
(outcomes, mismatches, dead letters, the push state), written in one
transaction. Pure: each function returns an entry; the page decisions
(app/sync/decisions.py) add it with :meth:`Ledger.add`, the only way in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from typing import Any, Protocol

from app.mismatches.temuan import MismatchRow
from app.models import DeadLetter, DeadLetterStatus, Outcome
from app.repositories.outcomes import OutcomeRow
from app.repositories.push_state import Write
from app.sync.copies import Copy
from app.sync.push import PlannedWrite, PushResult
from app.sync.reconcile import Action, RemoteEntry, compact_json, entry_of, remote_entry
from app.vocabulary import Kategori
from mappings.eplanning import NaturalKey, RenjaSubKegiatan, StoredRenjaSubKegiatan, changed_fields
from mappings.nomenklatur import Nomenklatur, check
from mappings.problems import as_nilai
from mappings.subkegiatan import Mapped, Unmappable

# E-Planning's 422 codes → the mismatch categories planners see (docs/design.md, Mismatches).
REJECTION_CATEGORY = {
    "tidak_ada_di_nomenklatur": Kategori.KODE_TIDAK_DI_NOMENKLATUR,
    "format_kode": Kategori.FORMAT_KODE,
    "skpd_tidak_dikenal": Kategori.SKPD_TIDAK_DIKENAL,
    "indikator_wajib": Kategori.INDIKATOR_TIDAK_LENGKAP,
    "sumber_dana_tidak_sama": Kategori.SUMBER_DANA_TIDAK_SAMA,
}


@dataclass(frozen=True)
class Entry:
    """What one decision about one record adds to the ledger."""

    outcome: OutcomeRow | None = None
    mismatches: tuple[MismatchRow, ...] = ()
    written: Write | None = None
    dead_letter: DeadLetter | None = None
    attempt: tuple[str, int] | None = None  # (idempotency key, HTTP status)
    superseded: tuple[str, str] | None = None  # (loser id, winner id): an earlier page's outcome
    replaced: tuple[str, RenjaSubKegiatan] | None = None  # (source id, content in its place)
    outranked: tuple[str, ...] = ()  # copies of earlier runs it outranks
    held: RemoteEntry | None = None  # E-Planning's copy after a push, when it sent one
    seen: str | None = None  # a source id pulled in this page
    source: Mapped | None = None  # a mapped record as pulled, for source_record
    unmappable: Unmappable | None = None
    states: tuple[dict[str, Any], ...] = ()  # record_state rows


class Ledger:
    """Everything one page leaves behind, written in one transaction.

    :meth:`add` is the only way in: what a page leaves is read through the
    properties, which give views nobody can append to.
    """

    def __init__(self) -> None:
        self._outcomes: list[OutcomeRow] = []
        self._mismatches: list[MismatchRow] = []
        self._dead_letters: list[DeadLetter] = []
        self._written: list[Write] = []
        self._superseded: list[tuple[str, str]] = []
        self._attempts: dict[str, int] = {}
        self._source_ids: set[str] = set()
        self._sources: list[Mapped] = []
        self._unmappable: list[Unmappable] = []
        self._replaced: dict[str, RenjaSubKegiatan] = {}
        self._outranked: set[str] = set()
        self._states: list[dict[str, Any]] = []

    def add(self, entry: Entry) -> None:
        if entry.outcome is not None:
            self._outcomes.append(entry.outcome)
        self._mismatches.extend(entry.mismatches)
        if entry.written is not None:
            self._written.append(entry.written)
        if entry.dead_letter is not None:
            self._dead_letters.append(entry.dead_letter)
        if entry.attempt is not None:
            key, status = entry.attempt
            self._attempts[key] = status
        if entry.superseded is not None:
            self._superseded.append(entry.superseded)
        if entry.replaced is not None:
            source_id, content = entry.replaced
            self._replaced[source_id] = content
        self._outranked.update(entry.outranked)
        if entry.seen is not None:
            self._source_ids.add(entry.seen)
        if entry.source is not None:
            self._sources.append(entry.source)
        if entry.unmappable is not None:
            self._unmappable.append(entry.unmappable)
        self._states.extend(entry.states)

    def revise(self, rows: Callable[[Sequence[MismatchRow]], list[MismatchRow]]) -> None:
        """Restate the page's report rows by a rule that reads them all (a retired
        code naming its successor): rows are restated, never added, here."""
        revised = rows(self._mismatches)
        if len(revised) != len(self._mismatches):
            raise ValueError("revisi baris laporan mengubah jumlahnya")
        self._mismatches = revised

    @property
    def outcomes(self) -> Sequence[OutcomeRow]:
        return self._outcomes

    @property
    def mismatches(self) -> Sequence[MismatchRow]:
        return self._mismatches

    @property
    def dead_letters(self) -> Sequence[DeadLetter]:
        return self._dead_letters

    @property
    def written(self) -> Sequence[Write]:
        return self._written

    @property
    def superseded(self) -> Sequence[tuple[str, str]]:
        """(loser id, winner id): copies recorded on an earlier page of the run."""
        return self._superseded

    @property
    def attempts(self) -> Mapping[str, int]:
        """Idempotency key → E-Planning's last status for it."""
        return self._attempts

    @property
    def source_ids(self) -> AbstractSet[str]:
        """Pulled in this page, counted once."""
        return self._source_ids

    @property
    def sources(self) -> Sequence[Mapped]:
        """As pulled, for source_record."""
        return self._sources

    @property
    def unmappable(self) -> Sequence[Unmappable]:
        return self._unmappable

    @property
    def replaced(self) -> Mapping[str, RenjaSubKegiatan]:
        """Pulled records whose key another copy now speaks for (source id → the
        content that went to E-Planning in its place); not counted in the summary."""
        return self._replaced

    @property
    def outranked(self) -> AbstractSet[str]:
        """Copies of earlier runs the page's records outrank; not counted either."""
        return self._outranked

    @property
    def states(self) -> Sequence[dict[str, Any]]:
        """record_state rows: where each record of the page stands."""
        return self._states


def pulled(item: Mapped | Unmappable) -> Entry:
    """A record the page pulled, whatever becomes of it."""
    if isinstance(item, Unmappable):
        return Entry(seen=item.source_id or "?", unmappable=item)
    return Entry(seen=item.source_id, source=item)


def ours(key: NaturalKey, current: RemoteEntry, source_id: str) -> Entry:
    """E-Planning holds the service's own write at a versi the push state does
    not know yet (an answer lost to a crash, say): remember it."""
    return Entry(written=Write(key, current.sync_hash, current.versi, current.aktif, source_id))


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


def unmappable(item: Unmappable, *, tahun: int, tahap: str) -> Entry:
    """A record the mapping refused: its outcome and one row per problem."""
    key = item.natural_key
    source_id = item.source_id or "?"
    reasons = "; ".join(f"{p.field}: {p.alasan}" for p in item.problems)
    outcome = OutcomeRow(
        source_id=source_id,
        outcome=Outcome.UNMAPPABLE,
        source_updated_at=item.updated_at,
        kode_skpd=item.kode_skpd,
        kode_sub_skpd=key.kode_sub_skpd if key else None,
        kode_sub_kegiatan=key.kode_sub_kegiatan if key else None,
        message=reasons,
    )
    rows = tuple(
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
        for problem in item.problems
    )
    return Entry(outcome=outcome, mismatches=rows)


def notes(item: Mapped, nomenklatur: Nomenklatur | None) -> Entry:
    """Problems that do not stop a record (an indicator without a numeric target)
    and what it lacks against the nomenclature imported for its year still
    belong in the planners' report."""
    kept = (
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
    found = (
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
    return Entry(mismatches=(*kept, *found))


def duplicate(loser: Mapped, winner_id: str) -> Entry:
    """A copy that lost to another one of its key in the page or in E-Planning."""
    message = f"salinan; yang dipakai data E-Program id {winner_id}"
    return Entry(
        outcome=_outcome(loser, Outcome.DUPLICATE, message=message),
        mismatches=(_duplicate_mismatch(Copy.of(loser), winner_id),),
    )


def _duplicate_mismatch(loser: Copy, winner_id: str) -> MismatchRow:
    return row_for(
        loser,
        loser.source_id,
        Kategori.DUPLIKAT,
        "id",
        nilai_eprogram=loser.source_id,
        nilai_eplanning=winner_id,
        keterangan=(
            f"Sub kegiatan {loser.kode_sub_kegiatan} untuk {loser.nama_sub_skpd} ada lebih "
            f"dari sekali; yang dipakai id {winner_id}, salinan id {loser.source_id}"
        ),
    )


def replaced_by_copy(pulled: Mapped, content: RenjaSubKegiatan) -> Entry:
    """The record in hand lost to a copy kept from an earlier run, whose content
    now goes to E-Planning in its place."""
    winner_id = content.sumber.id if content.sumber else "?"
    return Entry(
        replaced=(pulled.source_id, content),
        mismatches=(_duplicate_mismatch(Copy.of(pulled), winner_id),),
    )


def outranked(others: tuple[Copy, ...], winner_id: str) -> Entry:
    """Copies kept from earlier runs that the record in hand now outranks."""
    return Entry(
        outranked=tuple(other.source_id for other in others),
        mismatches=tuple(_duplicate_mismatch(other, winner_id) for other in others),
    )


def superseded(loser: Copy, winner_id: str) -> Entry:
    """A copy recorded on an earlier page of this run that a later one outranks."""
    return Entry(
        superseded=(loser.source_id, winner_id),
        outranked=(loser.source_id,),
        mismatches=(_duplicate_mismatch(loser, winner_id),),
    )


def conflict(mapped: Mapped, remote: RemoteEntry, changed: list[str], reason: str) -> Entry:
    """A planner's edit in E-Planning that the record in hand would overwrite."""
    return Entry(
        outcome=_outcome(
            mapped, Outcome.CONFLICT, versi=remote.versi, changed_fields=changed, message=reason
        ),
        mismatches=_conflict_rows(
            mapped.record, mapped.source_id, remote.api_body(), changed, reason
        ),
    )


def _conflict_rows(
    record: RenjaSubKegiatan,
    source_id: str,
    theirs: dict[str, Any],
    changed: list[str],
    reason: str,
) -> tuple[MismatchRow, ...]:
    """One diubah_manual row per field the planner's copy holds differently."""
    ours = record.api_body
    fields: list[str | None] = list(changed) or [None]
    return tuple(
        row_for(
            record,
            source_id,
            Kategori.DIUBAH_MANUAL,
            name,
            nilai_eprogram=as_nilai(ours.get(name)) if name else None,
            nilai_eplanning=as_nilai(theirs.get(name)) if name else None,
            keterangan=reason,
        )
        for name in fields
    )


def unchanged(mapped: Mapped, versi: int | None, reason: str | None) -> Entry:
    return Entry(outcome=_outcome(mapped, Outcome.UNCHANGED, versi=versi, message=reason))


def held(mapped: Mapped) -> Entry:
    """A write the guard holds for an admin (app/sync/guard.py)."""
    return Entry(outcome=_outcome(mapped, Outcome.HELD, message="menunggu persetujuan admin"))


def planned(write: PlannedWrite, mapped: Mapped) -> Entry:
    """A preview's write: decided, not sent."""
    return Entry(
        outcome=_outcome(
            mapped,
            Outcome.PLANNED,
            versi=write.if_match,
            changed_fields=write.changed or None,
            message=f"akan {_PLANNED[write.action]}",
        )
    )


_PLANNED = {Action.CREATE: "dibuat", Action.UPDATE: "diubah", Action.DEACTIVATE: "dinonaktifkan"}


def pushed(answer: PushResult, mapped: Mapped, run_id: int) -> Entry:
    """One push and E-Planning's answer; ``held`` is E-Planning's new copy when
    it sent one."""
    write, op, result = answer.write, answer.operation, answer.result
    base = _outcome(
        mapped,
        Outcome.DEAD_LETTER,
        idempotency_key=op.idempotency_key,
        changed_fields=write.changed or None,
    )
    if result is None:
        return Entry(
            outcome=replace(base, message=answer.error),
            dead_letter=_dead_letter(write, answer, run_id),
        )
    attempt = (op.idempotency_key, result.status)
    if result.status in (200, 201) and result.record is not None:
        held = _held_after(write, result.record)
        outcome = _success_outcome(write, result.status, held.versi, result.berubah)
        return Entry(
            outcome=replace(base, outcome=outcome, versi=held.versi),
            written=Write(write.key, write.sync_hash, held.versi, held.aktif, write.source_id),
            attempt=attempt,
            held=held,
        )
    if result.status == 404 and write.action is Action.DEACTIVATE:
        return Entry(
            outcome=replace(base, outcome=Outcome.UNCHANGED, message="tidak ada di E-Planning"),
            attempt=attempt,
        )
    if result.status == 409:
        return _conflict_409(base, write, result.current, attempt)
    return _rejected(base, write, result.status, result.errors, attempt)


def _held_after(write: PlannedWrite, body: dict[str, Any]) -> RemoteEntry:
    """E-Planning's copy after a 2xx answer. A put stores the content it was
    sent, so only the fields E-Planning adds are read from the answer (reading
    the whole record again costs more than the rest of the push); a delete, or
    an answer that does not look as expected, is read in full."""
    versi, who, aktif = body.get("versi"), body.get("diperbarui_oleh"), body.get("aktif")
    put = write.action is not Action.DEACTIVATE
    if put and type(versi) is int and isinstance(who, str) and aktif is write.record.aktif:
        sumber = write.record.sumber
        return RemoteEntry(
            versi=versi,
            diperbarui_oleh=who,
            aktif=aktif,
            sync_hash=write.sync_hash,
            sumber_id=sumber.id if sumber else None,
            sumber_diperbarui_pada=sumber.diperbarui_pada if sumber else None,
            raw=compact_json(body),
            kode_skpd=write.record.kode_skpd,
        )
    return remote_entry(body)


def _success_outcome(write: PlannedWrite, status: int, versi: int, berubah: bool | None) -> Outcome:
    if status == 201:
        return Outcome.CREATED
    # E-Planning's "berubah": false, or a 200 that did not move the versi.
    if berubah is False or (write.if_match is not None and versi == write.if_match):
        return Outcome.UNCHANGED
    return Outcome.DEACTIVATED if write.action is Action.DEACTIVATE else Outcome.UPDATED


def _conflict_409(
    base: OutcomeRow,
    write: PlannedWrite,
    current: dict[str, Any] | None,
    attempt: tuple[str, int],
) -> Entry:
    """E-Planning's versi was not the one the write replaces: someone edited the
    record since the service last read or wrote it. The copy E-Planning sends
    back is the planner's, filed like a conflict found before pushing."""
    if current is None:
        outcome = replace(
            base,
            outcome=Outcome.CONFLICT,
            message="versi di E-Planning berubah sejak dibaca (409 versi_berubah)",
        )
        return Entry(outcome=outcome, attempt=attempt)
    stored = StoredRenjaSubKegiatan.from_api(current)
    changed = changed_fields(write.record, stored) or list(write.changed)
    reason = (
        f"diubah langsung di E-Planning oleh {stored.diperbarui_oleh} "
        f"(versi {stored.versi}) sejak terakhir disinkronkan"
    )
    outcome = replace(
        base,
        outcome=Outcome.CONFLICT,
        versi=stored.versi,
        changed_fields=changed,
        message=f"{reason} (409 versi_berubah)",
    )
    rows = _conflict_rows(write.record, write.source_id, current, changed, reason)
    return Entry(outcome=outcome, mismatches=rows, attempt=attempt, held=entry_of(stored, current))


def _rejected(
    base: OutcomeRow,
    write: PlannedWrite,
    status: int,
    errors: list[dict[str, Any]],
    attempt: tuple[str, int],
) -> Entry:
    body = write.record.api_body
    messages = (
        "; ".join(f"{e.get('field') or '-'}: {e.get('code')} ({e.get('message')})" for e in errors)
        or f"E-Planning menjawab {status}"
    )
    rows = []
    for error in errors or [{"field": None, "code": None, "message": messages}]:
        name = error.get("field")
        rows.append(
            row_for(
                write.record,
                write.source_id,
                REJECTION_CATEGORY.get(str(error.get("code")), Kategori.DITOLAK),
                name,
                nilai_eprogram=as_nilai(_lookup(body, name)) if name else None,
                keterangan=f"Ditolak E-Planning ({error.get('code')}): {error.get('message')}",
            )
        )
    return Entry(
        outcome=replace(base, outcome=Outcome.REJECTED, message=messages),
        mismatches=tuple(rows),
        attempt=attempt,
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


def _dead_letter(write: PlannedWrite, answer: PushResult, run_id: int) -> DeadLetter:
    op = answer.operation
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
        error=answer.error or "tidak diketahui",
        status=DeadLetterStatus.OPEN,
    )
