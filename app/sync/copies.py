"""Which of several E-Program copies of one sub kegiatan speaks for it. Pure.

An operator's copy of a sub kegiatan for the same sub-unit has the same
natural key as the real one. An active copy beats one switched off (switching
a copy off is how an operator removes it, and that must not take the real
record with it); among copies alike in that, the later ``update_at`` wins, as
the E-Program contract says; on a tie (one-second resolution makes them common)
the larger numeric source id wins. Any fixed tie-break would do, but it must
give the same answer on every run and in either order, or the record would
flip between two copies night after night.

The rule is applied against three kinds of earlier copy: one seen earlier in
the same run, one kept from an earlier run (table source_record), and the one
E-Planning names as its source when no source record knows it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from app.sync.reconcile import RemoteEntry
from mappings.eplanning import NaturalKey, RenjaSubKegiatan
from mappings.subkegiatan import Mapped

Rank = tuple[bool, datetime, int, int, str]


def rank(aktif: bool, updated_at: datetime, source_id: str) -> Rank:
    """The order in which copies of one natural key supersede each other; usable
    on what is left of a record seen earlier.

    An active copy beats an inactive one: switching a copy off is how an
    operator removes it, and that must not take the real record with it. Among
    copies alike in that, the later ``updated_at`` wins, as the E-Program
    contract says. On a tie (one-second resolution makes them common for
    operator copies) the larger numeric source id wins: any fixed rule would
    do, but it must give the same answer on every run and in either argument
    order, or the record would flip between the two copies night after night.
    """
    numeric = source_id.isascii() and source_id.isdigit()
    return (aktif, updated_at, int(numeric), int(source_id) if numeric else 0, source_id)


@dataclass(frozen=True, slots=True)
class Copy:
    """One E-Program record of a natural key: enough to rank it and to file a
    report row under it, without holding the whole record for the run.

    ``body`` is the record's content as last stored (JSON), for a copy kept
    from an earlier run: its content may go to E-Planning in another's place.
    """

    source_id: str
    updated_at: datetime
    aktif: bool
    tahun_anggaran: int
    tahap: str
    kode_skpd: str
    kode_sub_skpd: str
    kode_sub_kegiatan: str
    nama_sub_skpd: str
    nama_sub_kegiatan: str
    body: str | None = None

    @classmethod
    def of(cls, item: Mapped) -> Copy:
        return cls.of_record(item.source_id, item.updated_at, item.record)

    @classmethod
    def of_record(
        cls, source_id: str, updated_at: datetime, r: RenjaSubKegiatan, body: str | None = None
    ) -> Copy:
        return cls(
            source_id,
            updated_at,
            r.aktif,
            r.tahun_anggaran,
            r.tahap,
            r.kode_skpd,
            r.kode_sub_skpd,
            r.kode_sub_kegiatan,
            r.nama_sub_skpd,
            r.nama_sub_kegiatan,
            body,
        )

    @classmethod
    def stored(cls, source_id: str, updated_at: datetime, aktif: bool, body: str) -> Copy:
        """A copy kept from an earlier run; its content is validated only if used."""
        r = json.loads(body)
        return cls(
            source_id,
            updated_at,
            aktif,
            int(r["tahun_anggaran"]),
            str(r["tahap"]),
            str(r["kode_skpd"]),
            str(r["kode_sub_skpd"]),
            str(r["kode_sub_kegiatan"]),
            str(r["nama_sub_skpd"]),
            str(r["nama_sub_kegiatan"]),
            body,
        )

    @property
    def rank(self) -> Rank:
        return rank(self.aktif, self.updated_at, self.source_id)

    def record(self) -> RenjaSubKegiatan:
        """The stored content (a copy kept from an earlier run)."""
        if self.body is None:
            raise ValueError(f"salinan {self.source_id} tidak membawa isinya")
        return RenjaSubKegiatan.model_validate(json.loads(self.body))


def rank_of(item: Mapped) -> Rank:
    return rank(item.record.aktif, item.updated_at, item.source_id)


# -- within one run ----------------------------------------------------------


@dataclass(frozen=True)
class Contest:
    """How a record fared against the copy of its key seen earlier in the run."""

    lost_to: str | None = None  # the winner's id: the record in hand is the duplicate
    beat: Copy | None = None  # the earlier winner it displaced


@dataclass
class Winners:
    """The copy that speaks for each natural key so far in one run."""

    by_key: dict[NaturalKey, Copy] = field(default_factory=dict)

    def enter(self, item: Mapped) -> Contest:
        """Rank a mapped record against the key's winner so far; it becomes the
        winner unless that one outranks it. The same source id seen again (it
        changed during the run) simply takes its own place."""
        key = item.record.natural_key()
        earlier = self.by_key.get(key)
        if earlier is not None and earlier.source_id != item.source_id:
            if earlier.rank >= rank_of(item):
                return Contest(lost_to=earlier.source_id)
            self.by_key[key] = Copy.of(item)
            return Contest(beat=earlier)
        self.by_key[key] = Copy.of(item)
        return Contest()


# -- against earlier runs and E-Planning -------------------------------------


@dataclass(frozen=True)
class Verdict:
    """Where a record stands among the copies of its key that earlier runs kept
    and the source E-Planning names. At most one of the fields is set."""

    replaced_by: Copy | None = None  # a kept copy outranks it and goes in its place
    duplicate_of: str | None = None  # E-Planning's source outranks it
    outranks: tuple[Copy, ...] = ()  # kept copies it now speaks for


def judge(item: Mapped, kept: Sequence[Copy], current: RemoteEntry | None) -> Verdict:
    """Rank the record in hand against the copies of its key kept from earlier
    runs (its own among them or not) and E-Planning's current source."""
    others = [c for c in kept if c.source_id != item.source_id]
    best = max(others, key=lambda c: c.rank, default=None)
    if best is not None and best.rank > rank_of(item):
        return Verdict(replaced_by=best)
    if current is not None and _older_than_remote_source(item, current, others):
        return Verdict(duplicate_of=current.sumber_id or "?")
    return Verdict(outranks=tuple(others))


def in_place_of(item: Mapped, winner: Copy) -> Mapped:
    """The winner's content under the record in hand: its outcome is what the
    winner's content does."""
    return Mapped(
        record=winner.record(),
        source_id=item.source_id,
        updated_at=item.updated_at,
        notes=(),
        nama_skpd=item.nama_skpd,
        nama_program=item.nama_program,
        nama_kegiatan=item.nama_kegiatan,
    )


def _older_than_remote_source(item: Mapped, current: RemoteEntry, known: Sequence[Copy]) -> bool:
    """E-Planning holds this key from another E-Program id that no kept copy
    knows (written before they were kept). The older of the two is the duplicate."""
    if current.sumber_id is None or current.sumber_diperbarui_pada is None:
        return False
    if current.sumber_id == item.source_id or any(c.source_id == current.sumber_id for c in known):
        return False
    theirs = rank(current.aktif, current.sumber_diperbarui_pada, current.sumber_id)
    return rank_of(item) < theirs
