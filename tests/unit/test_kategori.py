"""The words of the report: one entry per Kategori and per Tahap, each read the
same everywhere it is shown."""

from __future__ import annotations

import re

from app.mismatches import kategori
from app.mismatches.kategori import KATEGORI
from app.report import TAHAP_LABELS, tahap_label
from app.vocabulary import Kategori, Tahap
from mappings.vocabulary import Kategori as KategoriOfMappings
from standins import eplanning_rules, eprogram

# Excel refuses a sheet name longer than 31 characters or with any of these.
SHEET_NAME = re.compile(r"[^\[\]:*?/\\]{1,31}")


def test_every_category_has_one_entry_in_the_order_of_the_design() -> None:
    assert list(KATEGORI) == list(Kategori)
    assert [k.value for k in Kategori] == [
        "kode_tidak_di_nomenklatur",
        "format_kode",
        "nama_berbeda",
        "pagu_berbeda",
        "sumber_dana_tidak_sama",
        "indikator_tidak_lengkap",
        "skpd_tidak_dikenal",
        "duplikat",
        "hanya_di_eplanning",
        "diubah_manual",
        "ditolak",
        "data_tidak_valid",
    ]
    assert Kategori is KategoriOfMappings  # the mappings and the service name the same list


def test_every_entry_has_a_label_advice_and_a_sheet_name_excel_accepts() -> None:
    for info in KATEGORI.values():
        assert info.label and info.saran.endswith(".")
        assert SHEET_NAME.fullmatch(info.lembar), info.lembar
    assert len({info.lembar for info in KATEGORI.values()}) == len(KATEGORI)
    assert {k for k, info in KATEGORI.items() if info.uang} == {
        Kategori.PAGU_BERBEDA,
        Kategori.SUMBER_DANA_TIDAK_SAMA,
    }


def test_a_code_this_version_does_not_know_reads_as_its_code() -> None:
    assert kategori.label("pagu_berbeda") == "Pagu berbeda"
    assert kategori.label("kategori_baru") == "kategori_baru"
    assert kategori.saran("kategori_baru") == ""
    assert kategori.info("kategori_baru") is None
    assert kategori.urut(["zz", "ditolak", "aa", "format_kode", "ditolak"]) == [
        "format_kode",
        "ditolak",
        "aa",
        "zz",
    ]


def test_every_tahap_has_a_label() -> None:
    assert list(TAHAP_LABELS) == list(Tahap)
    labels = ["Renja", "RKPD", "KUA-PPAS", "APBD", "APBD Perubahan"]
    assert [tahap_label(t) for t in Tahap] == labels
    assert tahap_label("lain") == "lain"
    assert Tahap.spelled() == "renja, rkpd, kua_ppas, apbd atau apbd_perubahan"
    assert Tahap.of("kua_ppas") is Tahap.KUA_PPAS and Tahap.of("KUA_PPAS") is None


def test_the_stand_ins_know_the_same_tahap_as_the_service() -> None:
    # The stand-ins model E-Program and E-Planning, which import nothing of
    # Sinkron: they keep their own list, and it must be the same one.
    assert tuple(eprogram.TAHAP) == tuple(Tahap)
    assert tuple(eplanning_rules.TAHAP) == tuple(Tahap)
