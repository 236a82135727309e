"""One cause, counted once (docs/design.md, "Satu sebab, sekali dihitung"). Pure.

Some findings follow from another finding of the same record, and counting
them apart would inflate an OPD's figures with consequences:

- a ``pagu_berbeda`` on a record that did not land because E-Planning refused
  it (its sub unit unknown, or any refusal) or because a planner edited it by
  hand there: E-Planning holds another pagu *because* of that finding;
- the several findings one event makes: one ``diubah_manual`` per field a
  hand edit changed, one refusal finding per field E-Planning named.

Such a finding is linked to its cause (``penyebab_id``), shown under it, and
left out of counts and rankings. Everything else stands on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from app.vocabulary import Kategori

# What a pagu difference follows from, first match wins: a refusal (the sub
# unit not known first, the plainest to fix), then a hand edit in E-Planning.
PENYEBAB_PAGU: tuple[Kategori, ...] = (
    Kategori.SKPD_TIDAK_DIKENAL,
    Kategori.DITOLAK,
    Kategori.KODE_TIDAK_DI_NOMENKLATUR,
    Kategori.FORMAT_KODE,
    Kategori.SUMBER_DANA_TIDAK_SAMA,
    Kategori.INDIKATOR_TIDAK_LENGKAP,
    Kategori.DIUBAH_MANUAL,
)
# Categories one event writes once per field: a hand edit, a refusal.
SATU_KEJADIAN = frozenset({Kategori.DIUBAH_MANUAL, Kategori.DITOLAK, Kategori.SKPD_TIDAK_DIKENAL})


@dataclass(frozen=True)
class Calon:
    """A finding a run found now, as the rule reads it; ``rekaman`` names its
    record (the E-Program id, or E-Planning's key)."""

    id: int
    rekaman: str
    kategori: str
    field: str | None = None


def _first(rows: list[Calon]) -> Calon:
    return min(rows, key=lambda c: (c.field or "", c.id))


def penyebab(temuan: Iterable[Calon]) -> dict[int, int | None]:
    """Each finding's cause (its id), or None when it stands on its own."""
    per_record: dict[str, list[Calon]] = defaultdict(list)
    for calon in temuan:
        per_record[calon.rekaman].append(calon)
    found: dict[int, int | None] = {}
    for rows in per_record.values():
        found.update(_of_record(rows))
    return found


def _of_record(rows: list[Calon]) -> dict[int, int | None]:
    causes: dict[int, int | None] = {c.id: None for c in rows}
    by_kategori: dict[str, list[Calon]] = defaultdict(list)
    for c in rows:
        by_kategori[c.kategori].append(c)
    first_of: dict[str, Calon] = {}
    for kategori, same in by_kategori.items():
        first = first_of[kategori] = _first(same)
        if kategori in SATU_KEJADIAN:
            for c in same:
                if c.id != first.id:
                    causes[c.id] = first.id
    cause = next((first_of[k] for k in PENYEBAB_PAGU if k in first_of), None)
    if cause is not None:
        for c in by_kategori.get(Kategori.PAGU_BERBEDA, []):
            causes[c.id] = cause.id
    return causes
