"""Raw E-Program records: liberal models that keep every value as text.

E-Program sends numbers as strings, now and then as JSON numbers or booleans,
``null`` or ``""`` for lists, and fields nobody told us about. These models
accept all of that without interpreting anything: every scalar becomes
``str | None`` (numbers and booleans turned into their text), unknown fields
are ignored. Reading the text (money, months, flags) is the mapping's job, so
that one bad value becomes one mismatch row instead of a failed record.
"""

from decimal import Decimal
from typing import Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictStr, TypeAdapter
from typing_extensions import TypedDict


def _as_text(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Through str(), never Decimal(float): 0.1 stays "0.1"; format "f"
        # so that 1e+20 still reads as digits.
        return format(Decimal(str(value)), "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    # Anything else (a dict, a list) is left for pydantic to refuse, which
    # the mapping reports against the field.
    return value


def _as_list(value: object) -> object:
    if value is None or (isinstance(value, str) and not value.strip()):
        return []
    return value


_T = TypeVar("_T")
Text = Annotated[str | None, BeforeValidator(_as_text)]
RawList = Annotated[list[_T], BeforeValidator(_as_list)]


class _Raw(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class RawIndikatorOutput(_Raw):
    """An output indicator: ``sub_keg_indikator`` and ``output_giat`` items."""

    outputteks: Text = None
    targetoutput: Text = None
    satuanoutput: Text = None
    targetoutputteks: Text = None


class RawIndikatorHasil(_Raw):
    hasilteks: Text = None
    targethasil: Text = None
    satuanhasil: Text = None
    targethasilteks: Text = None


class RawCapaian(_Raw):
    capaianteks: Text = None
    targetcapaian: Text = None
    satuancapaian: Text = None
    targetcapaianteks: Text = None


class RawSumberDana(_Raw):
    kode_dana: Text = None
    nama_dana: Text = None
    pagu_dana: Text = None


class RawLokasi(_Raw):
    daerahteks: Text = None
    camatteks: Text = None
    lurahteks: Text = None


class RawSubKegiatan(_Raw):
    """One sub kegiatan of one sub-unit, as ``GET /api/v1/sub-kegiatan`` sends it."""

    id: Text = None
    kode_sbl: Text = None
    tahun_anggaran: Text = None
    tahap: Text = None
    id_skpd: Text = None
    kode_skpd: Text = None
    nama_skpd: Text = None
    id_sub_skpd: Text = None
    kode_sub_skpd: Text = None
    nama_sub_skpd: Text = None
    kode_urusan: Text = None
    nama_urusan: Text = None
    kode_bidang_urusan: Text = None
    nama_bidang_urusan: Text = None
    kode_program: Text = None
    nama_program: Text = None
    kode_giat: Text = None
    nama_giat: Text = None
    kode_sub_giat: Text = None
    nama_sub_giat: Text = None
    pagu: Text = None
    pagu_n_depan: Text = None
    waktu_awal: Text = None
    waktu_akhir: Text = None
    sasaran: Text = None
    sub_keg_indikator: RawList[RawIndikatorOutput] = []
    sub_keg_indikator_hasil: RawList[RawIndikatorHasil] = []
    capaian_prog_sub_keg: RawList[RawCapaian] = []
    output_giat: RawList[RawIndikatorOutput] = []
    sumber_dana: RawList[RawSumberDana] = []
    lokasi_sub_keg: RawList[RawLokasi] = []
    active: Text = None
    update_at: Text = None


# --- what the mapping reads: plain dicts, validated fast ---------------------
#
# The same fields as the models above, as TypedDicts. The mapping reads these:
# validating into dicts costs a third less than building model instances, and
# reading a dict key a fraction of reading a model attribute. Text and null
# are taken in pydantic's core as they are (left to right: the first type that
# fits wins); only numbers, booleans and null lists call back into
# ``_as_text``/``_as_list``, so the result is the liberal model's, field for
# field (tests/property/test_raw_records.py holds them to it). What these
# refuse, the liberal models validate again, to name each problem.

_TidyText = Annotated[
    StrictStr | None | Text,  # noqa: RUF036 (null before the callback: no Python call for it)
    Field(union_mode="left_to_right", default=None),
]
_TidyList = Annotated[
    list[_T] | RawList[_T], Field(union_mode="left_to_right", default_factory=list)
]


class IndikatorOutputData(TypedDict):
    outputteks: _TidyText
    targetoutput: _TidyText
    satuanoutput: _TidyText
    targetoutputteks: _TidyText


class IndikatorHasilData(TypedDict):
    hasilteks: _TidyText
    targethasil: _TidyText
    satuanhasil: _TidyText
    targethasilteks: _TidyText


class CapaianData(TypedDict):
    capaianteks: _TidyText
    targetcapaian: _TidyText
    satuancapaian: _TidyText
    targetcapaianteks: _TidyText


class SumberDanaData(TypedDict):
    kode_dana: _TidyText
    nama_dana: _TidyText
    pagu_dana: _TidyText


class LokasiData(TypedDict):
    daerahteks: _TidyText
    camatteks: _TidyText
    lurahteks: _TidyText


class SubKegiatanData(TypedDict):
    """:class:`RawSubKegiatan` as a dict: every field present, text or None, lists of dicts."""

    id: _TidyText
    kode_sbl: _TidyText
    tahun_anggaran: _TidyText
    tahap: _TidyText
    id_skpd: _TidyText
    kode_skpd: _TidyText
    nama_skpd: _TidyText
    id_sub_skpd: _TidyText
    kode_sub_skpd: _TidyText
    nama_sub_skpd: _TidyText
    kode_urusan: _TidyText
    nama_urusan: _TidyText
    kode_bidang_urusan: _TidyText
    nama_bidang_urusan: _TidyText
    kode_program: _TidyText
    nama_program: _TidyText
    kode_giat: _TidyText
    nama_giat: _TidyText
    kode_sub_giat: _TidyText
    nama_sub_giat: _TidyText
    pagu: _TidyText
    pagu_n_depan: _TidyText
    waktu_awal: _TidyText
    waktu_akhir: _TidyText
    sasaran: _TidyText
    sub_keg_indikator: _TidyList[IndikatorOutputData]
    sub_keg_indikator_hasil: _TidyList[IndikatorHasilData]
    capaian_prog_sub_keg: _TidyList[CapaianData]
    output_giat: _TidyList[IndikatorOutputData]
    sumber_dana: _TidyList[SumberDanaData]
    lokasi_sub_keg: _TidyList[LokasiData]
    active: _TidyText
    update_at: _TidyText


SUB_KEGIATAN_DATA = TypeAdapter(SubKegiatanData)
