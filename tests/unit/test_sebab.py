"""One cause, counted once (app.mismatches.sebab): which finding of a record
follows from which, case by case."""

from __future__ import annotations

import pytest

from app.mismatches.sebab import Calon, penyebab


def c(ident: int, kategori: str, field: str | None = None, rekaman: str = "r1") -> Calon:
    return Calon(ident, rekaman, kategori, field)


@pytest.mark.parametrize(
    ("found", "causes"),
    [
        # A pagu difference alone (a dead letter) is its own cause.
        ([c(1, "pagu_berbeda", "pagu")], {1: None}),
        # The sub unit E-Planning does not know: the pagu follows from it.
        (
            [c(1, "skpd_tidak_dikenal", "kode_sub_skpd"), c(2, "pagu_berbeda", "pagu")],
            {1: None, 2: 1},
        ),
        # Any refusal.
        ([c(1, "pagu_berbeda", "pagu"), c(2, "ditolak", None)], {1: 2, 2: None}),
        # One hand edit of two fields: three findings, one cause.
        (
            [
                c(5, "diubah_manual", "pagu"),
                c(3, "diubah_manual", "nama_sub_kegiatan"),
                c(4, "pagu_berbeda", "pagu"),
            ],
            {3: None, 5: 3, 4: 3},
        ),
        # Refused on two fields, one of them the sub unit: the sub unit first.
        (
            [
                c(1, "ditolak", "lokasi"),
                c(2, "ditolak", "waktu"),
                c(3, "skpd_tidak_dikenal", "kode_sub_skpd"),
                c(4, "pagu_berbeda", "pagu"),
            ],
            {1: None, 2: 1, 3: None, 4: 3},
        ),
        # Problems of their own stay on their own, beside a cause.
        (
            [
                c(1, "nama_berbeda", "nama_sub_giat"),
                c(2, "indikator_tidak_lengkap", "indikator"),
                c(3, "indikator_tidak_lengkap", "satuan"),
                c(4, "diubah_manual", "pagu"),
            ],
            {1: None, 2: None, 3: None, 4: None},
        ),
        # Only findings of the same record are linked.
        (
            [c(1, "skpd_tidak_dikenal", rekaman="a"), c(2, "pagu_berbeda", rekaman="b")],
            {1: None, 2: None},
        ),
    ],
    ids=[
        "dead-letter",
        "unknown-sub-unit",
        "refused",
        "hand-edit",
        "refused-twice",
        "independent",
        "other-record",
    ],
)
def test_each_finding_and_its_cause(found: list[Calon], causes: dict[int, int | None]) -> None:
    assert penyebab(found) == causes
