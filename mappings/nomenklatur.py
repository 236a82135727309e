"""A mapped record against the nomenclature imported for its tahun anggaran. Pure.

What E-Planning does not check but planners must see: a name that is not the
nomenclature's, a keluaran satuan that is not the nomenclature's, no keluaran
indicator at all; and, for a code the nomenclature dropped, the code that
replaced it (``kode_sebelumnya``).
"""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from mappings.eplanning import JenisIndikator, RenjaSubKegiatan
from mappings.normalise import clean_name, clean_text
from mappings.vocabulary import Kategori

SUPPORT = "X.XX"
KELUARAN = "keluaran_sub_kegiatan"


@dataclass(frozen=True, slots=True)
class Referensi:
    """One sub kegiatan of the nomenclature, as far as the checks need it."""

    kode: str
    nama: str
    satuan: str | None
    kode_sebelumnya: str | None


@dataclass(frozen=True)
class Nomenklatur:
    """A version's items by code, and which code replaced which."""

    label: str
    items: Mapping[str, Referensi]
    pengganti: Mapping[str, str]  # kode_sebelumnya → kode

    @classmethod
    def of(cls, label: str, items: list[Referensi]) -> "Nomenklatur":
        pengganti = {i.kode_sebelumnya: i.kode for i in items if i.kode_sebelumnya}
        return cls(label, {i.kode: i for i in items}, pengganti)

    def find(self, kode: str) -> Referensi | None:
        """The item of a resolved code; a support sub kegiatan is listed under X.XX."""
        return self.items.get(kode) or self.items.get(_as_support(kode))

    def successor(self, kode: str) -> str | None:
        """The code that replaced ``kode``, in the record's own bidang for a support one."""
        found = self.pengganti.get(kode) or self.pengganti.get(_as_support(kode))
        if found is None:
            return None
        return kode[:4] + found[4:] if found.startswith(SUPPORT + ".") else found


def _as_support(kode: str) -> str:
    return SUPPORT + kode[4:]


@dataclass(frozen=True)
class Temuan:
    """A difference between a record and the nomenclature, for the planners' report."""

    kategori: str
    field: str
    nilai_eprogram: str | None
    nilai_nomenklatur: str | None
    keterangan: str


# Spacing around punctuation is typing, not naming: "DPA- SKPD" is "DPA-SKPD".
_AROUND_PUNCT = re.compile(r"\s*([-/,.;:()&])\s*")
_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-"})


def normalise_name(name: str | None) -> str:
    """A name reduced to what people mean by it: no code in front, no line breaks,
    no doubled spaces, no spacing around punctuation, no trailing full stop, and
    case-insensitive."""
    text = _normalise_once(clean_text(name))
    # One pass can uncover what another takes: a dropped full stop leaves a bare
    # code ("1.02.02."), NFKC turns full-width digits into one. Repeat until
    # nothing changes, so that a normalised name normalises to itself (each
    # pass only removes or canonicalises; the bound is a guard, never reached).
    for _ in range(8):
        again = _normalise_once(text)
        if again == text:
            break
        text = again
    return text


def _normalise_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", clean_name(text)).translate(_DASHES)
    text = _AROUND_PUNCT.sub(r"\1", text).strip().rstrip(".")
    return text.casefold()


def same_name(eprogram: str | None, nomenklatur: str | None) -> bool:
    """True when two names differ only cosmetically."""
    return normalise_name(eprogram) == normalise_name(nomenklatur)


def _same_satuan(a: str | None, b: str | None) -> bool:
    return clean_text(a).casefold() == clean_text(b).casefold()


def keluaran(record: RenjaSubKegiatan) -> list[str]:
    """The satuan of each keluaran sub kegiatan indicator."""
    return [i.satuan for i in record.indikator if i.jenis == KELUARAN]


# The four indicator levels E-Planning holds, each of which SAKIP reads.
TINGKAT_SAKIP: tuple[JenisIndikator, ...] = (
    "capaian_program",
    "keluaran_kegiatan",
    "hasil_kegiatan",
    "keluaran_sub_kegiatan",
)


def siap_per_tingkat(record: RenjaSubKegiatan) -> dict[JenisIndikator, bool]:
    """Per level: at least one indicator with a name (tolok ukur), a numeric
    target and a satuan."""
    ready = {
        i.jenis
        for i in record.indikator
        if clean_text(i.tolok_ukur) and i.target is not None and clean_text(i.satuan)
    }
    return {tingkat: tingkat in ready for tingkat in TINGKAT_SAKIP}


def siap_sakip(record: RenjaSubKegiatan) -> bool:
    """Ready for SAKIP: every one of the four levels is (:func:`siap_per_tingkat`)."""
    return all(siap_per_tingkat(record).values())


def check(record: RenjaSubKegiatan, nomenklatur: Nomenklatur | None) -> list[Temuan]:
    """Every difference of ``record`` from ``nomenklatur`` (None: none imported,
    so only what needs no nomenclature is checked)."""
    found: list[Temuan] = []
    satuan = keluaran(record)
    if not satuan:
        found.append(
            Temuan(
                Kategori.INDIKATOR_TIDAK_LENGKAP,
                "indikator",
                None,
                None,
                "Tidak ada indikator keluaran sub kegiatan",
            )
        )
    item = nomenklatur.find(record.kode_sub_kegiatan) if nomenklatur else None
    if item is None:
        return found
    if not same_name(record.nama_sub_kegiatan, item.nama):
        found.append(
            Temuan(
                Kategori.NAMA_BERBEDA,
                "nama_sub_giat",
                record.nama_sub_kegiatan,
                item.nama,
                f"Nama sub kegiatan {record.kode_sub_kegiatan} di E-Program berbeda dengan "
                f"nama di nomenklatur {nomenklatur.label if nomenklatur else ''}".rstrip(),
            )
        )
    if satuan and clean_text(item.satuan) and not any(_same_satuan(s, item.satuan) for s in satuan):
        found.append(
            Temuan(
                Kategori.INDIKATOR_TIDAK_LENGKAP,
                "sub_keg_indikator.satuanoutput",
                ", ".join(s or "(kosong)" for s in satuan),
                item.satuan,
                "Satuan indikator keluaran berbeda dengan satuan di nomenklatur",
            )
        )
    return found
