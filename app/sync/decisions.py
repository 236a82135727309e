"""The page decisions, pure: what becomes of each record of a page.

The pipeline hands in the page's mapped records and what the database knows of
their keys (:class:`Known`); each decision goes into the page's ledger through
:meth:`Ledger.add`, and what must be pushed comes back. In order:

1. :func:`contest`: of two copies of one key in the run, the better goes on
   (app/sync/copies.py says which is better).
2. :func:`reconcile`: against the copies earlier runs kept and E-Planning's
   copy, create, update, switch off, leave alone, or file a conflict
   (app/sync/reconcile.py decides one record).
3. :func:`decide_again`: a write answered 409 versi_berubah, decided once more
   against the copy E-Planning sent back.
4. :func:`after_push`: E-Planning's answers into the ledger, and what the page
   leaves for the planners (pagu that differs, where each record stands).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.sync import copies, ledger, standing
from app.sync.copies import Copy, Winners
from app.sync.ledger import Entry, Ledger
from app.sync.push import PlannedWrite, PushResult
from app.sync.reconcile import Action, LastWrite, RemoteEntry, decide, remote_entry, sync_hash
from app.sync.scope import Scope
from mappings.eplanning import NaturalKey
from mappings.nomenklatur import Nomenklatur
from mappings.subkegiatan import Mapped, Unmappable


@dataclass(frozen=True)
class Rules:
    """The settings the decisions follow."""

    service_user: str  # SINKRON_EPLANNING_USER: a write by this name is the service's own
    source_wins: bool  # SINKRON_CONFLICT_POLICY=source_wins: a planner's edit is overwritten


@dataclass
class Known:
    """What the database knows of one page's keys: E-Planning's copies (the
    mirror, kept current as pushes are answered), what the service last wrote,
    and the copy that speaks for each key on the run's earlier pages."""

    remote: dict[NaturalKey, RemoteEntry]
    last: dict[NaturalKey, LastWrite]
    earlier: dict[NaturalKey, Copy]


def contest(
    scope: Scope,
    results: Sequence[Mapped | Unmappable],
    book: Ledger,
    known: Known,
    nomenklatur: Nomenklatur | None,
) -> list[Mapped]:
    """File each pulled record; of two copies of one key the better goes on.
    Returns the page's winners, in the order they were pulled."""
    winners = Winners(dict(known.earlier))
    page_winners: dict[str, Mapped] = {}
    for result in results:
        book.add(ledger.pulled(result))
        if isinstance(result, Unmappable):
            book.add(ledger.unmappable(result, tahun=scope.tahun_anggaran, tahap=scope.tahap))
            continue
        book.add(ledger.notes(result, nomenklatur))
        contest = winners.enter(result)
        if contest.lost_to is not None:
            book.add(ledger.duplicate(result, contest.lost_to))
            continue
        if contest.beat is not None:
            in_page = page_winners.pop(contest.beat.source_id, None)
            if in_page is not None:
                book.add(ledger.duplicate(in_page, result.source_id))
            else:  # already recorded on an earlier page
                book.add(ledger.superseded(contest.beat, result.source_id))
        page_winners[result.source_id] = result
    return list(page_winners.values())


def reconcile(
    mapped: Sequence[Mapped],
    kept: Mapping[NaturalKey, list[Copy]],
    known: Known,
    book: Ledger,
    rules: Rules,
) -> list[PlannedWrite]:
    """Each winner against the copies of its key earlier runs kept (``kept``)
    and E-Planning's copy: what is filed goes into the ledger, what must be
    pushed comes back."""
    writes: list[PlannedWrite] = []
    for pulled in mapped:
        key = pulled.record.natural_key()
        current = known.remote.get(key)
        verdict = copies.judge(pulled, kept.get(key, []), current)
        item = pulled
        if verdict.replaced_by is not None:
            item = copies.in_place_of(pulled, verdict.replaced_by)
            book.add(ledger.replaced_by_copy(pulled, item.record))
        elif verdict.duplicate_of is not None:
            book.add(ledger.duplicate(pulled, verdict.duplicate_of))
            continue
        else:
            book.add(ledger.outranked(verdict.outranks, pulled.source_id))
        wanted = sync_hash(item.record)
        ours = known.last.get(key)
        decision = decide(
            item.record,
            current,
            ours,
            service_user=rules.service_user,
            source_wins=rules.source_wins,
            wanted=wanted,
        )
        if decision.action is Action.UNCHANGED:
            book.add(ledger.unchanged(item, current.versi if current else None, decision.reason))
            if _ours_unrecorded(current, ours, rules):
                assert current is not None
                book.add(ledger.ours(key, current, item.source_id))
        elif decision.action is Action.CONFLICT:
            assert current is not None
            book.add(ledger.conflict(item, current, decision.changed, decision.reason or ""))
        else:
            writes.append(
                PlannedWrite(
                    source_id=item.source_id,
                    key=key,
                    action=decision.action,
                    record=item.record,
                    sync_hash=wanted,
                    if_match=decision.if_match,
                    changed=decision.changed,
                )
            )
    return writes


def _ours_unrecorded(current: RemoteEntry | None, ours: LastWrite | None, rules: Rules) -> bool:
    """E-Planning holds the service's own write at a versi the push state lacks."""
    if current is None or current.diperbarui_oleh != rules.service_user:
        return False
    return ours is None or ours.versi != current.versi


def decide_again(
    pushed: Sequence[PushResult],
    known: Known,
    book: Ledger,
    by_source: Mapping[str, Mapped],
    rules: Rules,
) -> tuple[list[PlannedWrite], list[PushResult]]:
    """A write answered 409 versi_berubah carries E-Planning's copy: the
    mirror was behind. Decide once more against that copy: a planner's edit
    stays a conflict (unless the source wins), the service's own newer write
    or content already there is not one, anything else is sent again with
    the versi it now replaces. Returns (to send again, answers that stand)."""
    again: list[PlannedWrite] = []
    done: list[PushResult] = []
    for answer in pushed:
        result = answer.result
        if result is None or result.status != 409 or result.current is None:
            done.append(answer)
            continue
        try:
            current = remote_entry(result.current)
        except ValueError:
            done.append(answer)
            continue
        write = answer.write
        decision = decide(
            write.record,
            current,
            known.last.get(write.key),
            service_user=rules.service_user,
            source_wins=rules.source_wins,
        )
        if decision.action in (Action.UPDATE, Action.DEACTIVATE):
            again.append(
                dataclasses.replace(
                    write,
                    action=decision.action,
                    if_match=decision.if_match,
                    changed=decision.changed,
                )
            )
        elif decision.action is Action.UNCHANGED:
            known.remote[write.key] = current
            book.add(ledger.unchanged(by_source[write.source_id], current.versi, None))
        else:
            done.append(answer)
    return again, done


def after_push(
    pushed: Sequence[PushResult],
    known: Known,
    book: Ledger,
    by_source: Mapping[str, Mapped],
    *,
    scope: Scope,
    run_id: int,
    nomenklatur: Nomenklatur | None,
) -> dict[NaturalKey, RemoteEntry]:
    """E-Planning's answers into the ledger, then what E-Planning now holds
    against what E-Program says. Returns the copies E-Planning sent back, for
    the mirror."""
    held: dict[NaturalKey, RemoteEntry] = {}
    for answer in pushed:
        entry = ledger.pushed(answer, by_source[answer.write.source_id], run_id)
        book.add(entry)
        if entry.held is not None:
            known.remote[answer.write.key] = held[answer.write.key] = entry.held
    book.revise(lambda rows: standing.with_successors(rows, nomenklatur))
    book.add(Entry(mismatches=tuple(standing.pagu_rows(book, known.remote))))
    states = standing.state_rows(
        book, known.remote, tahun_anggaran=scope.tahun_anggaran, tahap=scope.tahap, run_id=run_id
    )
    book.add(Entry(states=tuple(states)))
    return held
