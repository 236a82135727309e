"""The guard's thresholds per OPD (app/sync/guard.py)."""

from __future__ import annotations

import pytest

from app.sync.guard import Thresholds, judge

DEFAULT = Thresholds(nonaktif_persen=10, ubah_persen=50, min_data=20)


@pytest.mark.parametrize(
    ("planned", "sizes", "held"),
    [
        # 40 % switched off: held, with the figures
        (
            {"A": {"deactivate": 8}},
            {"A": 20},
            {"A": "8 dari 20 data dinonaktifkan (40%), ambang 10%"},
        ),
        # exactly at the threshold is not past it
        ({"A": {"deactivate": 2}}, {"A": 20}, {}),
        (
            {"A": {"deactivate": 3}},
            {"A": 20},
            {"A": "3 dari 20 data dinonaktifkan (15%), ambang 10%"},
        ),
        # updates: more than half
        ({"A": {"update": 10}}, {"A": 20}, {}),
        ({"A": {"update": 11}}, {"A": 20}, {"A": "11 dari 20 data diubah (55%), ambang 50%"}),
        # both reasons at once
        (
            {"A": {"update": 15, "deactivate": 5}},
            {"A": 20},
            {
                "A": "5 dari 20 data dinonaktifkan (25%), ambang 10%; "
                "15 dari 20 data diubah (75%), ambang 50%"
            },
        ),
        # a small OPD is not guarded, nor a first sync (nothing active yet)
        ({"A": {"deactivate": 19}}, {"A": 19}, {}),
        ({"A": {"create": 500}}, {}, {}),
        # creates never count
        ({"A": {"create": 500, "deactivate": 1}}, {"A": 100}, {}),
        # one OPD held, the other not
        (
            {"A": {"deactivate": 50}, "B": {"deactivate": 1}},
            {"A": 100, "B": 100},
            {"A": "50 dari 100 data dinonaktifkan (50%), ambang 10%"},
        ),
    ],
)
def test_judge(
    planned: dict[str, dict[str, int]], sizes: dict[str, int], held: dict[str, str]
) -> None:
    assert judge(planned, sizes, DEFAULT) == held


def test_shares_use_indonesian_decimals() -> None:
    thresholds = Thresholds(nonaktif_persen=12.5, ubah_persen=50, min_data=0)
    assert judge({"A": {"deactivate": 1}}, {"A": 3}, thresholds) == {
        "A": "1 dari 3 data dinonaktifkan (33,3%), ambang 12,5%"
    }
