"""How a finding's values read on the pages: indicators as a small table,
sumber dana as Rupiah lines, field paths as labels, E-Planning's reason codes
as words, and the differing part of two names marked. Pure: text in, a
:class:`Tampilan` (or escaped markup) out."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from markupsafe import Markup, escape

from app.report import is_money_field, rupiah, rupiah_text


@dataclass(frozen=True)
class Indikator:
    """One indicator as a row: its level, name (tolok ukur), target and satuan."""

    jenis: str
    nama: str
    target: str
    satuan: str


@dataclass(frozen=True)
class Dana:
    """One sumber dana: its code, name and pagu (in Rupiah when it reads as money)."""

    kode: str
    nama: str
    pagu: str


@dataclass(frozen=True)
class Tampilan:
    """A value shaped for the page: ``bentuk`` says which of the parts to show."""

    bentuk: str  # "kosong", "teks", "uang", "indikator", "dana", "daftar"
    teks: str = ""
    indikator: tuple[Indikator, ...] = ()
    dana: tuple[Dana, ...] = ()
    total: str = ""
    daftar: tuple[str, ...] = ()


# The four levels of indicators E-Planning holds, by E-Planning's jenis and by
# the E-Program list and field stem they come from.
_JENIS = {
    "capaian_program": "Capaian program",
    "keluaran_kegiatan": "Keluaran kegiatan",
    "hasil_kegiatan": "Hasil kegiatan",
    "keluaran_sub_kegiatan": "Keluaran sub kegiatan",
}
_DAFTAR_INDIKATOR = {
    "capaian_prog_sub_keg": ("capaian program", "capaian"),
    "output_giat": ("keluaran kegiatan", "output"),
    "sub_keg_indikator_hasil": ("hasil kegiatan", "hasil"),
    "sub_keg_indikator": ("keluaran sub kegiatan", "output"),
}
_STEMS = ("capaian", "output", "hasil")
_STEM_JENIS = {"capaian": "Capaian program", "hasil": "Hasil kegiatan", "output": "Keluaran"}


def tampilan(value: str | None, field: str | None = None) -> Tampilan:
    """``value`` (as a finding keeps it) shaped for the page."""
    if value is None or value.strip() == "":
        return Tampilan("kosong", "-")
    text = value.strip()
    if is_money_field(field) and rupiah_text(text) != text:
        return Tampilan("uang", rupiah_text(text))
    if text[0] in "[{":
        try:
            parsed = json.loads(text)
        except ValueError:
            return Tampilan("teks", value)
        shaped = _terstruktur(parsed)
        if shaped is not None:
            return shaped
    return Tampilan("teks", value)


def _terstruktur(parsed: Any) -> Tampilan | None:
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items:
        return Tampilan("kosong", "daftar kosong")
    if all(isinstance(i, dict) for i in items):
        if all(_is_indikator(i) for i in items):
            return Tampilan("indikator", indikator=tuple(_indikator(i) for i in items))
        if all(_is_dana(i) for i in items):
            dana = tuple(_dana(i) for i in items)
            return Tampilan("dana", dana=dana, total=_total_dana(items))
        return Tampilan("daftar", daftar=tuple(_pasangan(i) for i in items))
    if all(not isinstance(i, (dict, list)) for i in items):
        return Tampilan("daftar", daftar=tuple(_teks(i) for i in items))
    return None


def _is_indikator(item: Mapping[str, Any]) -> bool:
    return "tolok_ukur" in item or any(f"{stem}teks" in item for stem in _STEMS)


def _indikator(item: Mapping[str, Any]) -> Indikator:
    if "tolok_ukur" in item:
        jenis = _JENIS.get(str(item.get("jenis") or ""), _teks(item.get("jenis")))
        target = item.get("target")
        if target in (None, ""):
            target = item.get("target_teks")
        return Indikator(jenis, _teks(item["tolok_ukur"]), _teks(target), _teks(item.get("satuan")))
    stem = next(s for s in _STEMS if f"{s}teks" in item)
    target = item.get(f"target{stem}")
    if target in (None, ""):
        target = item.get(f"target{stem}teks")
    return Indikator(
        _STEM_JENIS[stem],
        _teks(item.get(f"{stem}teks")),
        _teks(target),
        _teks(item.get(f"satuan{stem}")),
    )


def _is_dana(item: Mapping[str, Any]) -> bool:
    return "pagu_dana" in item or ("pagu" in item and ("nama" in item or "kode" in item))


def _dana(item: Mapping[str, Any]) -> Dana:
    pagu = item.get("pagu_dana", item.get("pagu"))
    return Dana(
        _teks(item.get("kode_dana", item.get("kode"))),
        _teks(item.get("nama_dana", item.get("nama"))),
        rupiah_text(str(pagu)) if pagu is not None else "-",
    )


def _total_dana(items: list[dict[str, Any]]) -> str:
    total = Decimal(0)
    for item in items:
        try:
            total += Decimal(str(item.get("pagu_dana", item.get("pagu"))).strip())
        except InvalidOperation:
            return ""  # one unreadable amount: no total rather than a wrong one
    return rupiah(total)


def _pasangan(item: Mapping[str, Any]) -> str:
    return ", ".join(f"{label_isian(str(k))}: {_teks(v)}" for k, v in item.items())


def _teks(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# -- field paths as labels ---------------------------------------------------

_PATH = re.compile(r"^(?P<list>[a-z_]+)\[(?P<index>\d+)\](?:\.(?P<leaf>[a-z_]+))?$")
_LABELS = {
    "": "Seluruh data",
    "id": "ID data E-Program",
    "tahun_anggaran": "Tahun anggaran",
    "tahap": "Tahap",
    "kode_skpd": "Kode perangkat daerah",
    "nama_skpd": "Nama perangkat daerah",
    "kode_sub_skpd": "Kode sub unit",
    "nama_sub_skpd": "Nama sub unit",
    "kode_sub_giat": "Kode sub kegiatan",
    "kode_sub_kegiatan": "Kode sub kegiatan",
    "nama_sub_giat": "Nama sub kegiatan",
    "nama_sub_kegiatan": "Nama sub kegiatan",
    "pagu": "Pagu",
    "pagu_n_depan": "Pagu tahun depan",
    "pagu_tahun_depan": "Pagu tahun depan",
    "waktu_awal": "Bulan mulai",
    "bulan_mulai": "Bulan mulai",
    "waktu_akhir": "Bulan selesai",
    "bulan_selesai": "Bulan selesai",
    "active": "Status aktif",
    "aktif": "Status aktif",
    "update_at": "Waktu pembaruan",
    "indikator": "Indikator",
    "sub_keg_indikator": "Indikator keluaran sub kegiatan",
    "sub_keg_indikator_hasil": "Indikator hasil kegiatan",
    "capaian_prog_sub_keg": "Indikator capaian program",
    "output_giat": "Indikator keluaran kegiatan",
    "sumber_dana": "Sumber dana",
    "lokasi_sub_keg": "Lokasi",
    "lokasi": "Lokasi",
    "sumber": "Asal data",
    "kode_dana": "Kode sumber dana",
    "nama_dana": "Nama sumber dana",
    "pagu_dana": "Pagu sumber dana",
    "kode": "Kode",
    "nama": "Nama",
    "jenis": "Jenis",
    "tolok_ukur": "Tolok ukur",
    "target": "Target",
    "target_teks": "Target (teks)",
    "satuan": "Satuan",
    "daerahteks": "Daerah",
    "camatteks": "Kecamatan",
    "lurahteks": "Desa/kelurahan",
}


def label_isian(field: str | None) -> str:
    """An E-Program or E-Planning field path as a planner reads it:
    ``capaian_prog_sub_keg[0].targetcapaian`` → "Target capaian program (indikator ke-1)".
    A path it does not know is shown as it is."""
    if field is None:
        return "-"
    path = field.strip()
    match = _PATH.match(path)
    if path in _LABELS or match is None:
        return _LABELS.get(path, path)
    daftar, ke, leaf = match["list"], int(match["index"]) + 1, match["leaf"]
    if daftar in _DAFTAR_INDIKATOR:
        found = _label_indikator(daftar, ke, leaf)
    elif daftar == "indikator":
        found = f"{_LABELS.get(leaf or 'indikator', leaf or '')} indikator ke-{ke}"
    else:
        found = _label_item(daftar, ke, leaf)
    return found or path


def _label_indikator(daftar: str, ke: int, leaf: str | None) -> str | None:
    tingkat, stem = _DAFTAR_INDIKATOR[daftar]
    bagian = {
        None: "Indikator",
        f"{stem}teks": "Indikator",
        f"target{stem}": "Target",
        f"satuan{stem}": "Satuan",
        f"target{stem}teks": "Target (teks)",
    }.get(leaf)
    return None if bagian is None else f"{bagian} {tingkat} (indikator ke-{ke})"


_ITEM = {"sumber_dana": "sumber dana", "lokasi_sub_keg": "lokasi", "lokasi": "lokasi"}


def _label_item(daftar: str, ke: int, leaf: str | None) -> str | None:
    induk = _ITEM.get(daftar)
    if induk is None:
        return None
    if leaf is None:
        return f"{induk.capitalize()} ke-{ke}"
    bagian = _LABELS.get(leaf)
    if bagian is None:
        return None
    return f"{bagian.removesuffix(' sumber dana')} {induk} ke-{ke}"


# -- E-Planning's reason codes as words --------------------------------------

ALASAN = {
    "tidak_ada_di_nomenklatur": "kode sub kegiatan tidak ada di nomenklatur",
    "format_kode": "format kode salah",
    "skpd_tidak_dikenal": "perangkat daerah atau sub unit tidak dikenal",
    "indikator_wajib": "indikator wajib belum lengkap",
    "sumber_dana_tidak_sama": "jumlah sumber dana tidak sama dengan pagu",
    "format_nilai": "nilai tidak sesuai format",
    "bulan": "bulan mulai/selesai tidak valid",
    "None": "tanpa kode alasan",
}
_CODE = re.compile(r"\((" + "|".join(ALASAN) + r")\)")


def kalimat(keterangan: str | None) -> str:
    """A finding's note with E-Planning's reason codes written as words:
    "Ditolak E-Planning (indikator_wajib): …" → "Ditolak E-Planning (indikator
    wajib belum lengkap): …"."""
    if not keterangan:
        return ""
    return _CODE.sub(lambda m: f"({ALASAN[m.group(1)]})", keterangan)


# -- the differing part of two names -----------------------------------------

_BEDA_MAX = 2_000
_WORDS = re.compile(r"\s+|[^\s]+")


def tandai_beda(a: str, b: str) -> tuple[Markup, Markup]:
    """Both texts escaped, with the words of each that the other lacks in <mark>."""
    left, right = _WORDS.findall(a), _WORDS.findall(b)
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    marked_a: list[str] = []
    marked_b: list[str] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        for marked, parts in ((marked_a, left[i1:i2]), (marked_b, right[j1:j2])):
            if not parts:
                continue
            text = "".join(parts)
            if op == "equal" or not text.strip():
                marked.append(str(escape(text)))
                continue
            core = text.strip()
            before, after = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
            marked.append(f"{escape(before)}<mark>{escape(core)}</mark>{escape(after)}")
    return Markup("".join(marked_a)), Markup("".join(marked_b))


def dibandingkan(a: str | None, b: str | None, field: str | None) -> bool:
    """Whether two values are plain texts worth comparing word by word (names,
    codes), not money, lists or long text."""
    if not a or not b or a == b or max(len(a), len(b)) > _BEDA_MAX:
        return False
    return tampilan(a, field).bentuk == "teks" and tampilan(b, field).bentuk == "teks"
