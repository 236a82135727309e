"""From a raw E-Program perangkat daerah (OPD or sub-unit) to a typed one."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from mappings.eprogram import RawPerangkatDaerah
from mappings.normalise import clean_name, clean_text, parse_active, parse_wib
from mappings.problems import DATA_TIDAK_VALID, ProblemCollector, at_least_one
from mappings.subkegiatan import Unmappable

_LABELS = {
    "": "Rekaman",
    "id_skpd": "ID SKPD",
    "kode_skpd": "Kode SKPD",
    "nama_skpd": "Nama SKPD",
    "id_unit": "ID unit induk",
    "is_skpd": "Penanda SKPD",
    "active": "Status aktif",
    "update_at": "Waktu pembaruan",
}


class PerangkatDaerah(BaseModel):
    """An OPD (``is_skpd``) or one of its sub-units, as E-Program lists it.

    ``id_induk`` is the ``id_skpd`` of the OPD a sub-unit belongs to (E-Program's
    ``id_unit``); turning it into a kode needs the whole list, not one record.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kode: str
    nama: str
    id_induk: str | None
    is_skpd: bool
    aktif: bool
    diperbarui_pada: AwareDatetime


def map_perangkat_daerah(raw: Mapping[str, Any]) -> PerangkatDaerah | Unmappable:
    """Map one record of ``GET /api/v1/perangkat-daerah``; never raises for bad data."""
    col = ProblemCollector(_LABELS)
    if not isinstance(raw, Mapping):
        col.problem(DATA_TIDAK_VALID, "", raw, "Rekaman bukan objek JSON")
        return Unmappable(None, tuple(col.problems), None, None)
    rec = col.raw(RawPerangkatDaerah, raw)
    col.take("id", "id_skpd", rec.id_skpd, clean_text)
    col.take("kode", "kode_skpd", rec.kode_skpd, clean_text)
    col.take("nama", "nama_skpd", rec.nama_skpd, clean_name)
    col.take("id_induk", "id_unit", rec.id_unit, clean_text, required=False)
    col.take("is_skpd", "is_skpd", rec.is_skpd, parse_active)
    col.take("aktif", "active", rec.active, parse_active)
    col.take("diperbarui_pada", "update_at", rec.update_at, parse_wib)
    opd = col.build(PerangkatDaerah, {})
    if opd is None or col.problems:
        updated_at: datetime | None = col.values.get("diperbarui_pada")
        return Unmappable(col.values.get("id"), at_least_one(col.problems), None, updated_at)
    return opd
