"""The guard: an OPD whose plan would switch off or change too large a share
of its records in E-Planning is held for an admin (docs/design.md, "Preview,
approval and the guard"). Pure: the pipeline hands in the plan's counts and
each OPD's size; the OPDs to hold come back, each with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.sync.reconcile import Action


@dataclass(frozen=True)
class Thresholds:
    nonaktif_persen: float  # SINKRON_AMBANG_NONAKTIF_PERSEN
    ubah_persen: float  # SINKRON_AMBANG_UBAH_PERSEN
    min_data: int  # SINKRON_AMBANG_MIN_DATA: smaller OPDs are not guarded


def judge(
    planned: Mapping[str, Mapping[str, int]],
    sizes: Mapping[str, int],
    thresholds: Thresholds,
) -> dict[str, str]:
    """OPD → why it is held, for each OPD whose plan passes a threshold.

    ``planned``: per OPD, the plan's writes per action; ``sizes``: per OPD,
    the records E-Planning holds active (what the shares are of). An OPD with
    fewer than ``min_data`` records, or none yet, is not guarded: a first sync
    only creates.
    """
    held: dict[str, str] = {}
    for kode, actions in sorted(planned.items()):
        size = sizes.get(kode, 0)
        if size < thresholds.min_data or size == 0:
            continue
        off = actions.get(Action.DEACTIVATE, 0)
        changed = actions.get(Action.UPDATE, 0)
        reasons = []
        if 100 * off / size > thresholds.nonaktif_persen:
            reasons.append(
                f"{off} dari {size} data dinonaktifkan ({_persen(off, size)}), "
                f"ambang {_angka(thresholds.nonaktif_persen)}%"
            )
        if 100 * changed / size > thresholds.ubah_persen:
            reasons.append(
                f"{changed} dari {size} data diubah ({_persen(changed, size)}), "
                f"ambang {_angka(thresholds.ubah_persen)}%"
            )
        if reasons:
            held[kode] = "; ".join(reasons)
    return held


def _persen(part: int, whole: int) -> str:
    return f"{_angka(round(100 * part / whole, 1))}%"


def _angka(value: float) -> str:
    """10 → "10", 12.5 → "12,5": Indonesian decimals."""
    text = f"{value:g}"
    return text.replace(".", ",")
