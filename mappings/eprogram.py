"""Raw E-Program records: liberal models that keep every value as text.

E-Program sends numbers as strings, now and then as JSON numbers or booleans,
``null`` or ``""`` for lists, and fields nobody told us about. These models
accept all of that without interpreting anything: every scalar becomes
``str | None`` (numbers and booleans turned into their text), unknown fields
are ignored. Reading the text (money, months, flags) is the mapping's job, so
that one bad value becomes one mismatch row instead of a failed record.
"""

from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictStr, create_model


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


# --- the tidy case, fast ---------------------------------------------------
#
# Most values arrive as text or null. The liberal types above send every
# value through a Python callback; the tidy twins below let pydantic's core
# take text and null as they are and call back only for the rest (numbers,
# booleans, a null list), with the same result. When the tidy twin refuses a
# record, the liberal model validates it again, so that the problems name
# each bad field exactly as before.

# null before the callback: a null needs no Python call either.
_TidyText = Annotated[StrictStr | None | Text, Field(union_mode="left_to_right")]  # noqa: RUF036


def _tidy(model: type[_Raw], lists: dict[str, type[_Raw]]) -> type[_Raw]:
    fields: dict[str, Any] = {}
    for name in model.model_fields:
        item = lists.get(name)
        if item is None:
            fields[name] = (_TidyText, None)
        else:
            tidy_list = Annotated[list[item] | RawList[item], Field(union_mode="left_to_right")]  # type: ignore[valid-type]
            fields[name] = (tidy_list, [])
    return create_model(f"Tidy{model.__name__}", __base__=model, **fields)


_TIDY_OUTPUT = _tidy(RawIndikatorOutput, {})
TidyRawSubKegiatan: type[RawSubKegiatan] = _tidy(  # type: ignore[assignment]
    RawSubKegiatan,
    {
        "sub_keg_indikator": _TIDY_OUTPUT,
        "sub_keg_indikator_hasil": _tidy(RawIndikatorHasil, {}),
        "capaian_prog_sub_keg": _tidy(RawCapaian, {}),
        "output_giat": _TIDY_OUTPUT,
        "sumber_dana": _tidy(RawSumberDana, {}),
        "lokasi_sub_keg": _tidy(RawLokasi, {}),
    },
)
"""Validates like :class:`RawSubKegiatan` (its instances are ones), faster on text."""
