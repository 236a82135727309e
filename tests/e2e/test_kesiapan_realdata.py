"""SAKIP readiness per indicator level on real data: the DPUPR's Renja/DPA
sheet synced (as tests/e2e/test_realdata.py serves it), the figures of
/api/v1/ringkasan's source compared with this test's own count, read from
the sheet with nothing of the app's mapping.

A level is ready when it has an indicator with a name (tolok ukur), a numeric
target and a satuan. The sheet carries capaian, keluaran and hasil; it has no
keluaran kegiatan column, so no sub kegiatan of it is ready at that level,
and none is ready for SAKIP. Run with ``pytest -s`` to see the figures.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from app.db import session_scope
from app.repositories import ringkasan
from tests.e2e.conftest import TAHAP, World
from tests.e2e.test_realdata import DPUPR, RENJA, TAHUN, real

__all__ = ["real"]

# The sheet's columns of each level: (tolok ukur, target "angka satuan").
COLUMNS = {
    "capaian_program": ("TOLAK UKUR CAPAIAN KEG.", "TARGET KINERJA CAPAIAN KEG."),
    "keluaran_kegiatan": ("TOLAK UKUR KELUARAN KEGIATAN", "TARGET KINERJA KELUARAN KEGIATAN"),
    "hasil_kegiatan": ("TOLAK UKUR HASIL", "TARGET KINERJA HASIL"),
    "keluaran_sub_kegiatan": ("TOLAK UKUR KELUARAN", "TARGET KINERJA KELUARAN"),
}
NUMBER_THEN_UNIT = re.compile(r"\s*[0-9]+(?:[.,][0-9]+)*\s+\S.*", re.DOTALL)


def ready(name: Any, target: Any) -> bool:
    """A name, and a target that is a number followed by a unit ("12 Dokumen")."""
    if name is None or not str(name).strip():
        return False
    return bool(NUMBER_THEN_UNIT.fullmatch(str(target or "")))


def own_count(path: Path) -> tuple[int, dict[str, int], int]:
    """Sub kegiatan, those ready per level, and those ready at all four."""
    sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    head = {str(c).strip(): i for i, c in enumerate(next(rows)) if c is not None}
    per_level = dict.fromkeys(COLUMNS, 0)
    total = all_four = 0
    for row in rows:
        if not str(row[head["KODE SUB KEGIATAN"]] or "").strip():
            continue
        total += 1
        levels = {
            level: name in head and ready(row[head[name]], row[head[target]])
            for level, (name, target) in COLUMNS.items()
        }
        for level, ok in levels.items():
            per_level[level] += ok
        all_four += all(levels.values())
    return total, per_level, all_four


def test_readiness_per_level_is_the_sheets_own_count(real: World, shared_data: Path) -> None:
    total, per_level, all_four = own_count(shared_data / RENJA)

    real.sync(full=True)

    with session_scope(real.sessions) as session:
        [dpupr] = ringkasan.per_opd(session, tahun_anggaran=TAHUN, tahap=TAHAP)
    print(
        f"\nKesiapan SAKIP DPUPR: {dpupr.siap_sakip}/{dpupr.jumlah} (dihitung sendiri "
        f"{all_four}/{total}); per tingkat {dpupr.siap_tingkat} (dihitung sendiri {per_level})"
    )
    assert dpupr.kode_skpd == DPUPR["kode_skpd"]
    assert dpupr.jumlah == total == 44
    assert dpupr.siap_tingkat == per_level
    assert dpupr.siap_sakip == all_four
    # The sheet does say something at three levels.
    assert all(per_level[level] > 0 for level in COLUMNS if level != "keluaran_kegiatan")
