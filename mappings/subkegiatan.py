"""From a raw E-Program sub kegiatan to an E-Planning record, or the reasons it cannot be.

The rules follow "What real records look like" in the E-Program contract.
Only what can be judged from the record itself is judged here; what only
E-Planning knows (the nomenclature, the known sub-units, sumber dana adding
up to pagu, a required keluaran indicator) is left to its 422 answers.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import Any, Literal

from mappings.eplanning import JenisIndikator, NaturalKey, RenjaSubKegiatan
from mappings.eprogram import SUB_KEGIATAN_DATA, RawSubKegiatan, SubKegiatanData
from mappings.normalise import (
    clean_name,
    clean_text,
    parse_active,
    parse_money,
    parse_money_optional,
    parse_month,
    parse_target,
    parse_wib,
    resolve_bidang_placeholder,
    strip_tag,
    widen_kode_sub_kegiatan,
)
from mappings.problems import CATATAN, MappingProblem, ProblemCollector, at_least_one
from mappings.vocabulary import Kategori, Tahap

__all__ = ["Mapped", "MappingProblem", "Unmappable", "map_sub_kegiatan"]


@dataclass(frozen=True)
class Mapped:
    """A record ready for E-Planning.

    ``notes`` are non-fatal: kategori "catatan" for what the mapping repaired
    (a widened code, a resolved X.XX), "indikator_tidak_lengkap" for a kept
    indicator whose target is empty or not a number (E-Planning accepts it,
    but the planners' report lists it).
    """

    record: RenjaSubKegiatan
    source_id: str
    updated_at: datetime
    notes: tuple[MappingProblem, ...]
    nama_skpd: str | None = None  # the OPD's name as E-Program has it, for the summary
    # The program's and kegiatan's names as E-Program has them, for the summary.
    nama_program: str | None = None
    nama_kegiatan: str | None = None


@dataclass(frozen=True)
class Unmappable:
    """A record that cannot go to E-Planning, with every reason found (at least one)."""

    source_id: str | None
    problems: tuple[MappingProblem, ...]
    natural_key: NaturalKey | None
    updated_at: datetime | None
    # What could be read, so the report and the summary can file it under its OPD.
    kode_skpd: str | None = None
    nama_skpd: str | None = None
    nama_sub_kegiatan: str | None = None
    pagu: Decimal | None = None
    nama_program: str | None = None
    nama_kegiatan: str | None = None


_LABELS = {
    "": "Rekaman",
    "id": "ID",
    "tahun_anggaran": "Tahun anggaran",
    "tahap": "Tahap",
    "kode_skpd": "Kode SKPD",
    "kode_sub_skpd": "Kode sub SKPD",
    "nama_skpd": "Nama SKPD",
    "nama_sub_skpd": "Nama sub SKPD",
    "kode_sub_giat": "Kode sub kegiatan",
    "nama_sub_giat": "Nama sub kegiatan",
    "pagu": "Pagu",
    "pagu_n_depan": "Pagu tahun depan",
    "waktu_awal": "Bulan mulai",
    "waktu_akhir": "Bulan selesai",
    "active": "Status aktif",
    "update_at": "Waktu pembaruan",
    "sub_keg_indikator": "Indikator keluaran sub kegiatan",
    "sub_keg_indikator_hasil": "Indikator hasil kegiatan",
    "capaian_prog_sub_keg": "Indikator capaian program",
    "output_giat": "Indikator keluaran kegiatan",
    "sumber_dana": "Sumber dana",
    "sumber_dana.pagu_dana": "Pagu sumber dana",
    "lokasi_sub_keg": "Lokasi",
}

# Kegiatan levels (4th code segment) that exist only for provinces in the
# TA 2027 nomenclature; kabupaten/kota codes use 2, 3, 4, 5 and 7.
_PROV_LEVELS = frozenset({"1", "6", "8"})

# (E-Program list, jenis, field stem: "output" names outputteks, targetoutput,
# satuanoutput, targetoutputteks). The order of this table is the order of
# E-Planning's indikator list: order is content (it enters the hash), so it
# must come from here, never from the feed.
_IndikatorList = Literal[
    "capaian_prog_sub_keg", "output_giat", "sub_keg_indikator_hasil", "sub_keg_indikator"
]
_INDIKATOR_SOURCES: tuple[tuple[_IndikatorList, JenisIndikator, str], ...] = (
    ("capaian_prog_sub_keg", "capaian_program", "capaian"),
    ("output_giat", "keluaran_kegiatan", "output"),
    ("sub_keg_indikator_hasil", "hasil_kegiatan", "hasil"),
    ("sub_keg_indikator", "keluaran_sub_kegiatan", "output"),
)

# The item's fields per stem (tolok ukur, target, satuan, target teks), read
# in one call rather than four lookups per indicator.
_INDIKATOR_FIELDS = {
    stem: itemgetter(f"{stem}teks", f"target{stem}", f"satuan{stem}", f"target{stem}teks")
    for _, _, stem in _INDIKATOR_SOURCES
}
_SUMBER_DANA_PARTS = itemgetter("kode_dana", "nama_dana", "pagu_dana")
_LOKASI_PARTS = itemgetter("daerahteks", "camatteks", "lurahteks")


def map_sub_kegiatan(
    raw: Mapping[str, Any], *, jenis_pemda: Literal["KABKOT", "PROV"] = "KABKOT"
) -> Mapped | Unmappable:
    """Map one raw E-Program sub kegiatan; never raises.

    Every problem of the record is collected in one pass. ``jenis_pemda``
    decides which code levels are allowed (a kabupaten cannot hold a
    provincial sub kegiatan).
    """
    try:
        return _map(raw, jenis_pemda)
    except Exception as exc:
        # Bad data is handled above; this is the net for a bug in the mapping
        # itself, so that one record lands in the report instead of the run
        # stopping (docs/design.md, promise 7).
        alasan = f"Kesalahan tak terduga saat memetakan ({exc!r})"
        return Unmappable(
            None, (MappingProblem(Kategori.DATA_TIDAK_VALID, "", None, alasan),), None, None
        )


def _map(raw: Mapping[str, Any], jenis_pemda: str) -> Mapped | Unmappable:
    col = ProblemCollector(_LABELS)
    if not isinstance(raw, Mapping):
        col.problem(Kategori.DATA_TIDAK_VALID, "", raw, "Rekaman bukan objek JSON")
        return Unmappable(None, tuple(col.problems), None, None)
    rec = col.raw(RawSubKegiatan, raw, SUB_KEGIATAN_DATA)

    col.take("_id", "id", rec["id"], clean_text)
    col.take("_updated_at", "update_at", rec["update_at"], parse_wib)
    col.take("tahun_anggaran", "tahun_anggaran", rec["tahun_anggaran"], _parse_tahun)
    col.take("tahap", "tahap", rec["tahap"], _parse_tahap)
    col.take("kode_skpd", "kode_skpd", rec["kode_skpd"], clean_text)
    _sub_skpd(col, rec)
    _kode_sub_kegiatan(col, rec, jenis_pemda)
    nama = clean_name(rec["nama_sub_giat"], rec["kode_sub_giat"])
    col.put("nama_sub_kegiatan", "nama_sub_giat", rec["nama_sub_giat"], nama)
    col.take("pagu", "pagu", rec["pagu"], parse_money)
    col.take(
        "pagu_tahun_depan",
        "pagu_n_depan",
        rec["pagu_n_depan"],
        parse_money_optional,
        required=False,
    )
    col.take("bulan_mulai", "waktu_awal", rec["waktu_awal"], parse_month)
    col.take("bulan_selesai", "waktu_akhir", rec["waktu_akhir"], parse_month)
    col.take("aktif", "active", rec["active"], parse_active)
    col.values["indikator"] = _indikator(col, rec)
    col.values["sumber_dana"] = _sumber_dana(col, rec)
    col.values["lokasi"] = _lokasi(rec)

    source_id: str | None = col.values.pop("_id", None)
    updated_at: datetime | None = col.values.pop("_updated_at", None)
    if source_id is not None and updated_at is not None:
        col.values["sumber"] = {"id": source_id, "diperbarui_pada": updated_at}
    record = col.build(RenjaSubKegiatan, {"kode_sub_kegiatan": Kategori.FORMAT_KODE})
    nama_skpd = clean_name(rec["nama_skpd"]) or None
    nama_program = clean_name(rec["nama_program"], rec["kode_program"]) or None
    nama_kegiatan = clean_name(rec["nama_giat"], rec["kode_giat"]) or None
    if record is None or col.problems or source_id is None or updated_at is None:
        return Unmappable(
            source_id,
            at_least_one(col.problems),
            _natural_key(col.values),
            updated_at,
            kode_skpd=clean_text(rec["kode_skpd"]) or None,
            nama_skpd=nama_skpd,
            nama_sub_kegiatan=nama or None,
            pagu=col.values.get("pagu"),
            nama_program=nama_program,
            nama_kegiatan=nama_kegiatan,
        )
    return Mapped(
        record, source_id, updated_at, tuple(col.notes), nama_skpd, nama_program, nama_kegiatan
    )


_TAHUN = re.compile(r"[0-9]{4}", re.ASCII)
_TAHAP_SEPARATORS = re.compile(r"[\s-]+")


def _parse_tahun(text: str) -> int:
    if not _TAHUN.fullmatch(text.strip()):
        raise ValueError("bukan tahun empat digit")
    return int(text)


def _parse_tahap(text: str) -> Tahap:
    known = Tahap.of(text)  # already normal: nothing to rewrite
    if known is None:
        known = Tahap.of(_TAHAP_SEPARATORS.sub("_", text.strip().casefold()))
    if known is None:
        raise ValueError(f"tidak dikenal (harus salah satu dari {', '.join(Tahap)})")
    return known


def _sub_skpd(col: ProblemCollector, rec: SubKegiatanData) -> None:
    # A record with the sub-unit fields left empty belongs to the OPD itself.
    if clean_text(rec["kode_sub_skpd"]):
        col.take("kode_sub_skpd", "kode_sub_skpd", rec["kode_sub_skpd"], clean_text)
    else:
        col.take("kode_sub_skpd", "kode_skpd", rec["kode_skpd"], clean_text)
    nama = clean_name(rec["nama_sub_skpd"])
    field, nilai = (
        ("nama_sub_skpd", rec["nama_sub_skpd"]) if nama else ("nama_skpd", rec["nama_skpd"])
    )
    col.put("nama_sub_skpd", field, nilai, nama or clean_name(rec["nama_skpd"]))


def _kode_sub_kegiatan(col: ProblemCollector, rec: SubKegiatanData, jenis_pemda: str) -> None:
    raw = rec["kode_sub_giat"]
    col.origin(("kode_sub_kegiatan",), "kode_sub_giat", raw)
    text = clean_text(raw)
    if not text:
        col.problem(Kategori.DATA_TIDAK_VALID, "kode_sub_giat", raw, "Kode sub kegiatan kosong")
        return
    try:
        resolved, kode = _normal_kode(text, clean_text(rec["kode_skpd"]))
    except ValueError as exc:
        col.problem(Kategori.FORMAT_KODE, "kode_sub_giat", raw, f"Kode sub kegiatan {exc}")
        return
    if resolved != text:
        alasan = f"Bidang X.XX diganti dengan {resolved[:4]} dari kode SKPD"
        col.note(CATATAN, "kode_sub_giat", raw, alasan)
    if kode != resolved:
        alasan = f"Nomor sub kegiatan dua digit diperluas menjadi {kode}"
        col.note(CATATAN, "kode_sub_giat", raw, alasan)
    level = kode.split(".")[3]
    if jenis_pemda == "KABKOT" and level in _PROV_LEVELS:
        alasan = f"Kode {kode} adalah kode provinsi (tingkat {level}), bukan kabupaten/kota"
        col.problem(Kategori.FORMAT_KODE, "kode_sub_giat", raw, alasan)
    col.values["kode_sub_kegiatan"] = kode


@lru_cache(maxsize=4096)
def _normal_kode(kode: str, kode_skpd: str) -> tuple[str, str]:
    # Cached: an OPD has each of its codes on many records, and every OPD the
    # nomenclature's. Only the answers are kept; a refusal raises every time.
    resolved = resolve_bidang_placeholder(kode, kode_skpd)
    return resolved, widen_kode_sub_kegiatan(resolved)


def _indikator(col: ProblemCollector, rec: SubKegiatanData) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for list_field, jenis, stem in _INDIKATOR_SOURCES:
        fields = _INDIKATOR_FIELDS[stem]
        for index, item in enumerate(rec[list_field]):
            teks, raw_target, raw_satuan, target_teks = fields(item)
            tolok_ukur = clean_text(teks)
            if not tolok_ukur:
                continue  # an empty row of the entry form, not an indicator
            satuan = clean_text(raw_satuan)
            target, shown = parse_target(raw_target, satuan, target_teks)
            where = f"{list_field}[{index}]"
            if target is None:
                alasan = "Target kosong" if not clean_text(raw_target) else "Target bukan angka"
                col.note(
                    Kategori.INDIKATOR_TIDAK_LENGKAP, f"{where}.target{stem}", raw_target, alasan
                )
            col.origin(("indikator", len(result)), where, None)
            result.append(
                {
                    "jenis": jenis,
                    "tolok_ukur": tolok_ukur,
                    "target": target,
                    "target_teks": shown,
                    "satuan": satuan,
                }
            )
    return result


def _sumber_dana(col: ProblemCollector, rec: SubKegiatanData) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for index, item in enumerate(rec["sumber_dana"]):
        kode, nama, pagu_dana = _SUMBER_DANA_PARTS(item)
        kode, nama = clean_text(kode), strip_tag(nama)
        if not (kode or nama or (pagu_dana and not pagu_dana.isspace())):
            continue  # an empty row of the entry form
        field = f"sumber_dana[{index}].pagu_dana"
        try:
            pagu = parse_money(pagu_dana)
        except ValueError as exc:
            col.problem(Kategori.DATA_TIDAK_VALID, field, pagu_dana, f"Pagu sumber dana {exc}")
            continue
        col.origin(("sumber_dana", len(result)), f"sumber_dana[{index}]", None)
        col.origin(("sumber_dana", len(result), "pagu"), field, pagu_dana)
        result.append({"kode": kode, "nama": nama, "pagu": pagu})
    return result


def _lokasi(rec: SubKegiatanData) -> list[str]:
    result = []
    for item in rec["lokasi_sub_keg"]:
        place = ", ".join(part for part in map(clean_text, _LOKASI_PARTS(item)) if part)
        if place:
            result.append(place)
    return result


def _natural_key(values: Mapping[str, Any]) -> NaturalKey | None:
    parts: list[Any] = [values.get(name) for name in NaturalKey._fields]
    if any(part is None or part == "" for part in parts):
        return None
    return NaturalKey(*parts)
