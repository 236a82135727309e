"""E-Planning's renja sub kegiatan: strict, typed, and serialised as its contract shows.

Validation messages are in Bahasa Indonesia because a failure here ends up in
the mismatch report a planner reads.
"""

import functools
import hashlib
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, NamedTuple

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    ValidationInfo,
    field_validator,
)

from mappings import json_text
from mappings.normalise import WIB
from mappings.vocabulary import Tahap

JenisIndikator = Literal[
    "capaian_program", "keluaran_kegiatan", "hasil_kegiatan", "keluaran_sub_kegiatan"
]

_CENT = Decimal("0.01")
# Far above any APBD; it keeps quantize() inside the default 28-digit context.
_MONEY_LIMIT = Decimal(10) ** 18
_KODE_SUB_KEGIATAN = re.compile(r"[0-9]\.[0-9]{2}\.[0-9]{2}\.[0-9]\.[0-9]{2}\.[0-9]{4}", re.ASCII)


class NaturalKey(NamedTuple):
    """What identifies a record in E-Planning (and in its URL)."""

    tahun_anggaran: int
    tahap: str
    kode_sub_skpd: str
    kode_sub_kegiatan: str

    @classmethod
    def of(cls, source: Mapping[str, Any] | object) -> "NaturalKey":
        """The key a body carries as items, or a row (a stored push, source
        record or dead letter) as attributes."""
        values = (
            source
            if isinstance(source, Mapping)
            else {name: getattr(source, name) for name in cls._fields}
        )
        return cls(
            int(values["tahun_anggaran"]),
            str(values["tahap"]),
            str(values["kode_sub_skpd"]),
            str(values["kode_sub_kegiatan"]),
        )

    def as_dict(self) -> dict[str, Any]:
        return dict(self._asdict())

    def __str__(self) -> str:
        return "/".join(str(part) for part in self)


def _check_money(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("bukan angka")
    if value < 0:
        raise ValueError("tidak boleh negatif")
    if value >= _MONEY_LIMIT:
        raise ValueError("terlalu besar")
    cents = value.quantize(_CENT)
    if cents != value:
        raise ValueError("memiliki lebih dari dua angka desimal")
    return cents.copy_abs() if cents == 0 else cents  # no "-0.00"


def _check_target(value: Decimal | None) -> Decimal | None:
    if value is not None and (not value.is_finite() or abs(value) >= _MONEY_LIMIT):
        raise ValueError("bukan angka yang wajar")
    return value


Money = Annotated[Decimal, AfterValidator(_check_money)]


def format_money(value: Decimal) -> str:
    """Money as E-Planning writes it: a decimal string with two decimals."""
    return format(value.quantize(_CENT), "f")


def format_target(value: Decimal | None) -> str | None:
    """A target without trailing zeros or exponent: 8.50 → "8.5", 1E+2 → "100"."""
    if value is None:
        return None
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Indikator(_Strict):
    jenis: JenisIndikator
    tolok_ukur: str
    target: Annotated[Decimal | None, AfterValidator(_check_target)]
    target_teks: str
    satuan: str

    def to_api(self) -> dict[str, Any]:
        return {
            "jenis": self.jenis,
            "tolok_ukur": self.tolok_ukur,
            "target": format_target(self.target),
            "target_teks": self.target_teks,
            "satuan": self.satuan,
        }


class SumberDana(_Strict):
    kode: str
    nama: str
    pagu: Money

    def to_api(self) -> dict[str, Any]:
        return {"kode": self.kode, "nama": self.nama, "pagu": format_money(self.pagu)}


class Sumber(_Strict):
    """Where the record came from; E-Planning keeps it for tracing."""

    sistem: Literal["e-program"] = "e-program"
    id: str
    diperbarui_pada: AwareDatetime

    def to_api(self) -> dict[str, Any]:
        return {
            "sistem": self.sistem,
            "id": self.id,
            "diperbarui_pada": self.diperbarui_pada.astimezone(WIB).isoformat(),
        }


class RenjaSubKegiatan(_Strict):
    """One renja sub kegiatan as the service sends it to E-Planning.

    ``sumber`` is typed optional because stored records made by hand in
    E-Planning have none (see :class:`StoredRenjaSubKegiatan`); on this class
    it is required, which a validator enforces.
    """

    _sumber_wajib: ClassVar[bool] = True

    tahun_anggaran: int
    tahap: Tahap
    kode_skpd: str
    kode_sub_skpd: str
    nama_sub_skpd: str
    kode_sub_kegiatan: str
    nama_sub_kegiatan: str
    pagu: Money
    pagu_tahun_depan: Money | None
    bulan_mulai: int
    bulan_selesai: int
    indikator: list[Indikator]
    sumber_dana: list[SumberDana]
    lokasi: list[str]
    aktif: bool
    sumber: Sumber | None

    @field_validator("tahun_anggaran")
    @classmethod
    def _tahun(cls, value: int) -> int:
        if not 2000 <= value <= 2100:
            raise ValueError("di luar rentang 2000 sampai 2100")
        return value

    @field_validator("kode_skpd", "kode_sub_skpd", "nama_sub_kegiatan")
    @classmethod
    def _wajib(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("wajib diisi")
        return value

    @field_validator("kode_sub_kegiatan")
    @classmethod
    def _kode(cls, value: str) -> str:
        if not _KODE_SUB_KEGIATAN.fullmatch(value):
            raise ValueError("harus berbentuk empat digit lengkap, mis. 1.02.02.2.01.0001")
        return value

    @field_validator("bulan_mulai", "bulan_selesai")
    @classmethod
    def _bulan(cls, value: int, info: ValidationInfo) -> int:
        if not 1 <= value <= 12:
            raise ValueError("harus 1 sampai 12")
        # A field validator rather than a model validator, so that this is
        # reported together with other fields' problems, not only after them.
        mulai = info.data.get("bulan_mulai")
        if info.field_name == "bulan_selesai" and mulai is not None and value < mulai:
            raise ValueError("lebih awal dari bulan mulai")
        return value

    @field_validator("sumber")
    @classmethod
    def _sumber(cls, value: Sumber | None) -> Sumber | None:
        if value is None and cls._sumber_wajib:
            raise ValueError("wajib diisi")
        return value

    def natural_key(self) -> NaturalKey:
        return NaturalKey(
            self.tahun_anggaran, self.tahap, self.kode_sub_skpd, self.kode_sub_kegiatan
        )

    # A sync needs the body of one record several times (its content hash, the
    # push, the source record); the model is frozen, so it is built once.
    # Read-only: whoever needs to change it takes to_api(), a fresh copy.
    @functools.cached_property
    def api_body(self) -> dict[str, Any]:
        """:meth:`to_api`, built once per instance; never modify it."""
        return self.to_api()

    @functools.cached_property
    def content_digest(self) -> str:
        """:func:`content_hash` of this record, computed once per instance."""
        return hashlib.sha256(json_text.canonical(_content(self))).hexdigest()

    @functools.cached_property
    def sync_digest(self) -> str:
        """The content hash with the source id, computed once per instance: what
        the service remembers it wrote (``app.sync.reconcile.sync_hash``). The
        source timestamp is left out, so a record E-Program merely touched is
        unchanged; the source id is kept, so that when an operator's copy loses
        to the real record, E-Planning ends up pointing at the real one."""
        source_id = self.sumber.id if self.sumber is not None else ""
        return hashlib.sha256(f"{self.content_digest}|{source_id}".encode()).hexdigest()

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Any:
        copied = super().model_copy(update=update, deep=deep)
        if update:
            # What was computed from the old fields must not outlive them.
            for name in _CACHED:
                copied.__dict__.pop(name, None)
        return copied

    def to_api(self) -> dict[str, Any]:
        """The JSON body of a PUT, field for field as the E-Planning contract shows."""
        pagu_tahun_depan = self.pagu_tahun_depan
        return {
            "tahun_anggaran": self.tahun_anggaran,
            "tahap": self.tahap,
            "kode_skpd": self.kode_skpd,
            "kode_sub_skpd": self.kode_sub_skpd,
            "nama_sub_skpd": self.nama_sub_skpd,
            "kode_sub_kegiatan": self.kode_sub_kegiatan,
            "nama_sub_kegiatan": self.nama_sub_kegiatan,
            "pagu": format_money(self.pagu),
            "pagu_tahun_depan": None
            if pagu_tahun_depan is None
            else format_money(pagu_tahun_depan),
            "bulan_mulai": self.bulan_mulai,
            "bulan_selesai": self.bulan_selesai,
            "indikator": [item.to_api() for item in self.indikator],
            "sumber_dana": [item.to_api() for item in self.sumber_dana],
            "lokasi": list(self.lokasi),
            "aktif": self.aktif,
            "sumber": None if self.sumber is None else self.sumber.to_api(),
        }


class StoredRenjaSubKegiatan(RenjaSubKegiatan):
    """A record as E-Planning stores it: the body plus read-only fields."""

    _sumber_wajib: ClassVar[bool] = False

    sumber: Sumber | None = None
    versi: int
    diperbarui_oleh: str
    diperbarui_pada: AwareDatetime

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> "StoredRenjaSubKegiatan":
        """Read a STORED_RECORD from E-Planning's JSON.

        Fields this model does not know (``berubah`` on a PUT answer, anything
        E-Planning adds later) are dropped, at the top level and inside
        indikator, sumber_dana and sumber. Raises pydantic's ``ValidationError``
        (a ``ValueError``) when a known field is unusable.
        """
        body = _known(cls, data)
        for key, model in _NESTED.items():
            value = body.get(key)
            if isinstance(value, list):
                body[key] = [_known(model, item) for item in value]
            elif isinstance(value, Mapping):
                body[key] = _known(model, value)
        return cls.model_validate(body)


_CACHED = ("api_body", "content_digest", "sync_digest")

_NESTED: dict[str, type[BaseModel]] = {
    "indikator": Indikator,
    "sumber_dana": SumberDana,
    "sumber": Sumber,
}


def _known(model: type[BaseModel], data: Any) -> Any:
    if not isinstance(data, Mapping):
        return data  # let pydantic say what is wrong with it
    names = _field_names(model)
    return {key: value for key, value in data.items() if key in names}


@functools.cache
def _field_names(model: type[BaseModel]) -> frozenset[str]:
    # Looked up once per model: reading model_fields on the class each time
    # costs more than the filtering itself.
    return frozenset(model.model_fields)


def _content(record: RenjaSubKegiatan) -> dict[str, Any]:
    # sumber says where and when, not what: two copies of the same content
    # from different source ids or times are the same record for E-Planning.
    return {key: value for key, value in record.api_body.items() if key != "sumber"}


def content_hash(record: RenjaSubKegiatan) -> str:
    """SHA-256 of the record's business content in canonical JSON.

    Built from :meth:`RenjaSubKegiatan.to_api` (money with two decimals,
    normalised targets) without ``sumber`` and the stored-only fields, so a
    stored record and a freshly mapped one with the same content hash equal.
    The order of indikator, sumber_dana and lokasi counts as content.
    """
    return record.content_digest


def changed_fields(new: RenjaSubKegiatan, old: RenjaSubKegiatan) -> list[str]:
    """Top-level fields whose content differs, sorted; ``sumber`` never counts."""
    before = _content(old)
    return sorted(key for key, value in _content(new).items() if before[key] != value)
