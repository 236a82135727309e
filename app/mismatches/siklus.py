"""The life of a mismatch (docs/design.md, "Life cycle"): its states, the
decisions each state allows and what they do, and what a run's finding does to
each state. Pure: no database, no HTTP; the run's writes, the decide service and
the pages ask it rather than repeat it.

```
baru ──akui──> diakui ──kecualikan──> dikecualikan
  │              │                        │
  └──────────────┴──(not found by a later run)──> selesai
```

A decision (``buka-kembali`` included) is a person's; finding and not finding
are a run's. Every change of status is a :class:`Perpindahan`, kept in the
mismatch's history with who and when.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from app.vocabulary import MismatchStatus as Status


class Keputusan(enum.StrEnum):
    """A planner's decision on a mismatch."""

    AKUI = "akui"
    KECUALIKAN = "kecualikan"
    BUKA_KEMBALI = "buka-kembali"


@dataclass(frozen=True)
class Aturan:
    """What a decision does: from which states, to which, and whether it needs
    a reason (an exception does; the others take an optional note)."""

    dari: frozenset[Status]
    ke: Status
    alasan_wajib: bool = False


ATURAN: dict[Keputusan, Aturan] = {
    Keputusan.AKUI: Aturan(frozenset({Status.BARU}), Status.DIAKUI),
    Keputusan.KECUALIKAN: Aturan(
        frozenset({Status.BARU, Status.DIAKUI}), Status.DIKECUALIKAN, alasan_wajib=True
    ),
    Keputusan.BUKA_KEMBALI: Aturan(frozenset({Status.DIAKUI, Status.DIKECUALIKAN}), Status.BARU),
}

# Where every mismatch starts: a problem a run found for the first time.
AWAL = Status.BARU
# What a run can settle: whatever it no longer finds and is not settled yet.
MASIH_ADA = frozenset({Status.BARU, Status.DIAKUI, Status.DIKECUALIKAN})


@dataclass(frozen=True)
class Perpindahan:
    """One change of status, as the history keeps it."""

    dari: str | None
    ke: Status
    catatan: str | None


class DecisionRefused(ValueError):
    """The decision does not apply to the mismatch as it stands; says why."""


def allowed(status: str) -> tuple[Keputusan, ...]:
    """The decisions a mismatch in ``status`` offers, in the order pages show them."""
    return tuple(k for k, aturan in ATURAN.items() if status in aturan.dari)


def note(keputusan: Keputusan, catatan: str | None) -> str | None:
    """The note a decision keeps: trimmed, None when blank. A decision that
    needs a reason and has none is refused."""
    kept = (catatan or "").strip() or None
    if kept is None and ATURAN[keputusan].alasan_wajib:
        raise DecisionRefused("alasan wajib diisi untuk mengecualikan")
    return kept


def decide(status: str, keputusan: Keputusan, catatan: str | None) -> Perpindahan | None:
    """What ``keputusan`` does to a mismatch in ``status``: the change, or None
    when the decision does not apply to that status. ``catatan`` as :func:`note`
    keeps it (and refuses a missing reason, whatever the status)."""
    kept = note(keputusan, catatan)
    aturan = ATURAN[keputusan]
    if status not in aturan.dari:
        return None
    return Perpindahan(status, aturan.ke, kept)


def refusal(keputusan: Keputusan, status: str) -> str:
    """Why ``keputusan`` does not apply to ``status``, as a person reads it."""
    dari = ", ".join(sorted(ATURAN[keputusan].dari))
    return f"berstatus '{status}'; '{keputusan}' hanya untuk status {dari}"


def found_again(
    status: str,
    before: tuple[str | None, str | None],
    now: tuple[str | None, str | None],
    *,
    run_id: int,
) -> Perpindahan | None:
    """What a run finding a known problem again does to it; ``before`` and
    ``now`` are its (E-Program, E-Planning) values. A settled problem opens
    again; an accepted exception stays quiet while both values stay the same
    and opens again when either changes; the rest stay as they are."""
    if status == Status.SELESAI:
        return Perpindahan(status, Status.BARU, f"ditemukan lagi pada run {run_id}")
    if status == Status.DIKECUALIKAN and before != now:
        (ep_before, epl_before), (ep_now, epl_now) = before, now
        return Perpindahan(
            status,
            Status.BARU,
            f"nilai berubah pada run {run_id}: E-Program {ep_before or '-'} → {ep_now or '-'}, "
            f"E-Planning {epl_before or '-'} → {epl_now or '-'}",
        )
    return None


def not_found(status: str, *, run_id: int) -> Perpindahan | None:
    """What a run that looked and did not find a problem again does to it."""
    if status not in MASIH_ADA:
        return None
    return Perpindahan(status, Status.SELESAI, f"tidak ditemukan lagi pada run {run_id}")
