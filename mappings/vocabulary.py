"""The words both systems and the report share: the tahap of a planning cycle
and the mismatch categories. Pure, with nothing but the standard library, so
that every layer can name them (``app.vocabulary`` re-exports both for the
service; the mappings file their problems under them).

Members are the codes as E-Program, E-Planning and the report's files write
them; ``str(member)`` and JSON give the code itself.
"""

from __future__ import annotations

import enum
from typing import Self


class _Words(enum.StrEnum):
    """A closed list of codes, in the order people read them."""

    @classmethod
    def of(cls, text: str) -> Self | None:
        """The member spelled ``text``; None for any other text."""
        try:
            return cls(text)
        except ValueError:
            return None

    @classmethod
    def spelled(cls, last: str = " atau ") -> str:
        """Every code in a sentence: ``"renja, rkpd, …, apbd atau apbd_perubahan"``."""
        codes = [member.value for member in cls]
        return ", ".join(codes[:-1]) + last + codes[-1]


class Tahap(_Words):
    """The stage of the planning cycle a record belongs to."""

    RENJA = "renja"
    RKPD = "rkpd"
    KUA_PPAS = "kua_ppas"
    APBD = "apbd"
    APBD_PERUBAHAN = "apbd_perubahan"


class Kategori(_Words):
    """What kind of problem a mismatch is (docs/design.md, Mismatches), in the
    order the report lists them."""

    KODE_TIDAK_DI_NOMENKLATUR = "kode_tidak_di_nomenklatur"
    FORMAT_KODE = "format_kode"
    NAMA_BERBEDA = "nama_berbeda"
    PAGU_BERBEDA = "pagu_berbeda"
    SUMBER_DANA_TIDAK_SAMA = "sumber_dana_tidak_sama"
    INDIKATOR_TIDAK_LENGKAP = "indikator_tidak_lengkap"
    SKPD_TIDAK_DIKENAL = "skpd_tidak_dikenal"
    DUPLIKAT = "duplikat"
    HANYA_DI_EPLANNING = "hanya_di_eplanning"
    DIUBAH_MANUAL = "diubah_manual"
    DITOLAK = "ditolak"
    DATA_TIDAK_VALID = "data_tidak_valid"
