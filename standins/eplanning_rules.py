"""E-Planning's own strict checks of a renja sub kegiatan body (the 422 table of the contract).

Written from the contract alone, independently of Sinkron's models, so a
mapping bug in Sinkron shows up here as a 422 instead of being agreed with.
Beyond the contract's table, a value of the wrong type or shape (money
without two decimals, a month as a string, an unknown field) is reported as
`format_nilai`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from standins.opd import BIDANG_URUSAN

TAHAP = ("renja", "rkpd", "kua_ppas", "apbd", "apbd_perubahan")
JENIS_INDIKATOR = (
    "capaian_program",
    "keluaran_kegiatan",
    "hasil_kegiatan",
    "keluaran_sub_kegiatan",
)
KODE_SUB_KEGIATAN = re.compile(r"\d\.\d{2}\.\d{2}\.\d\.\d{2}\.\d{4}")
KODE_SKPD = re.compile(r"\d\.\d{2}\.\d\.\d{2}\.\d\.\d{2}\.\d{2}\.\d{4}")
MONEY = re.compile(r"-?\d+\.\d{2}")
NUMBER = re.compile(r"-?\d+(\.\d+)?")
SUPPORT = "X.XX"

REQUIRED = (
    "tahun_anggaran",
    "tahap",
    "kode_skpd",
    "kode_sub_skpd",
    "nama_sub_skpd",
    "kode_sub_kegiatan",
    "nama_sub_kegiatan",
    "pagu",
    "bulan_mulai",
    "bulan_selesai",
    "indikator",
    "aktif",
)
OPTIONAL = ("pagu_tahun_depan", "sumber_dana", "lokasi", "sumber")
READ_ONLY = ("versi", "diperbarui_oleh", "diperbarui_pada", "berubah")
INDIKATOR_FIELDS = ("jenis", "tolok_ukur", "target", "target_teks", "satuan")
SUMBER_DANA_FIELDS = ("kode", "nama", "pagu")
SUMBER_FIELDS = ("sistem", "id", "diperbarui_pada")

Error = dict[str, Any]
Key = tuple[int, str, str, str]


def error(field: str | None, code: str, message: str) -> Error:
    return {"field": field, "code": code, "message": message}


class Nomenclature:
    """The sub kegiatan codes valid per tahun anggaran (or one list for every year)."""

    def __init__(
        self, nomenklatur: dict[int, list[dict[str, Any]]] | list[dict[str, Any]], versi: str
    ) -> None:
        self.versi = versi
        if isinstance(nomenklatur, dict):
            self.by_year: dict[int, list[dict[str, Any]]] | None = {
                int(year): list(items) for year, items in nomenklatur.items()
            }
            self.every_year: list[dict[str, Any]] = []
        else:
            self.by_year = None
            self.every_year = list(nomenklatur)
        self._codes: dict[int | None, set[str]] = {}

    def items(self, tahun: int) -> list[dict[str, Any]]:
        if self.by_year is None:
            return self.every_year
        return self.by_year.get(tahun, [])

    def known(self, tahun: int, kode: str) -> bool:
        """In the list itself, or a support code (`X.XX...`) resolved to a real bidang."""
        codes = self._codes_for(tahun)
        if kode in codes:
            return True
        bidang = kode[:4]
        real_bidang = bidang in BIDANG_URUSAN or any(c.startswith(bidang + ".") for c in codes)
        return real_bidang and f"{SUPPORT}{kode[4:]}" in codes

    def _codes_for(self, tahun: int) -> set[str]:
        slot = None if self.by_year is None else tahun
        if slot not in self._codes:
            self._codes[slot] = {
                str(i["kode"]) for i in self.items(tahun) if i.get("jenis_pemda") != "PROV"
            }
        return self._codes[slot]


def natural_key(record: dict[str, Any]) -> Key | None:
    """(tahun_anggaran, tahap, kode_sub_skpd, kode_sub_kegiatan), or None when not well-formed."""
    tahun = record.get("tahun_anggaran")
    parts = [record.get(f) for f in ("tahap", "kode_sub_skpd", "kode_sub_kegiatan")]
    if not isinstance(tahun, int) or isinstance(tahun, bool):
        return None
    if not all(isinstance(p, str) and p for p in parts):
        return None
    return (tahun, str(parts[0]), str(parts[1]), str(parts[2]))


def validate(body: Any, *, nomenclature: Nomenclature, units: dict[str, str | None]) -> list[Error]:
    """Every problem of a PUT body; `units` maps each known kode to its kode_induk."""
    if not isinstance(body, dict):
        return [error(None, "format_nilai", "body harus berupa objek JSON")]
    errors = _unknown(body, (*REQUIRED, *OPTIONAL, *READ_ONLY), prefix="")
    errors += [error(f, "wajib", f"{f} wajib diisi") for f in REQUIRED if _empty(body.get(f))]
    errors += _check_types({f: v for f, v in body.items() if not _empty(v)})
    if errors:
        return errors
    return _check_rules(body, nomenclature=nomenclature, units=units)


def _check_types(body: dict[str, Any]) -> list[Error]:
    errors: list[Error] = []
    tahun = body.get("tahun_anggaran")
    if tahun is not None and not (is_int(tahun) and 2000 <= tahun <= 2100):
        errors.append(
            error("tahun_anggaran", "format_nilai", "tahun_anggaran harus bilangan bulat")
        )
    tahap = body.get("tahap")
    if tahap is not None and tahap not in TAHAP:
        errors.append(
            error("tahap", "format_nilai", f"tahap harus salah satu dari {', '.join(TAHAP)}")
        )
    for field in ("kode_skpd", "kode_sub_skpd"):
        value = body.get(field)
        if value is not None and not _matches(KODE_SKPD, value):
            errors.append(
                error(field, "format_kode", f"{field} harus berbentuk 1.02.0.00.0.00.01.0000")
            )
    kode = body.get("kode_sub_kegiatan")
    if isinstance(kode, str) and kode.startswith(SUPPORT):
        errors.append(
            error(
                "kode_sub_kegiatan",
                "format_kode",
                "kode_sub_kegiatan masih memakai X.XX; ganti dengan bidang urusan perangkat daerah",
            )
        )
    elif kode is not None and not _matches(KODE_SUB_KEGIATAN, kode):
        errors.append(
            error(
                "kode_sub_kegiatan",
                "format_kode",
                "kode_sub_kegiatan harus berbentuk 1.02.02.2.01.0001 (nomor empat digit)",
            )
        )
    for field in ("nama_sub_skpd", "nama_sub_kegiatan"):
        if body.get(field) is not None and not isinstance(body[field], str):
            errors.append(error(field, "format_nilai", f"{field} harus berupa teks"))
    errors += _money(body, "pagu", required=True)
    errors += _money(body, "pagu_tahun_depan", required=False)
    for field in ("bulan_mulai", "bulan_selesai"):
        value = body.get(field)
        if value is not None and not is_int(value):
            errors.append(error(field, "format_nilai", f"{field} harus bilangan bulat 1..12"))
    if body.get("aktif") is not None and not isinstance(body["aktif"], bool):
        errors.append(error("aktif", "format_nilai", "aktif harus true atau false"))
    errors += _check_indikator(body.get("indikator"))
    errors += _check_sumber_dana(body.get("sumber_dana"))
    lokasi = body.get("lokasi")
    if lokasi is not None and not (
        isinstance(lokasi, list) and all(isinstance(x, str) for x in lokasi)
    ):
        errors.append(error("lokasi", "format_nilai", "lokasi harus daftar teks"))
    errors += _check_sumber(body.get("sumber"))
    return errors


def _check_indikator(indikator: Any) -> list[Error]:
    if indikator is None:
        return []
    if not isinstance(indikator, list):
        return [error("indikator", "format_nilai", "indikator harus berupa daftar")]
    errors: list[Error] = []
    for n, item in enumerate(indikator):
        at = f"indikator[{n}]"
        if not isinstance(item, dict):
            errors.append(error(at, "format_nilai", f"{at} harus berupa objek"))
            continue
        errors += _unknown(item, INDIKATOR_FIELDS, prefix=f"{at}.")
        if item.get("jenis") not in JENIS_INDIKATOR:
            errors.append(
                error(
                    f"{at}.jenis",
                    "format_nilai",
                    f"{at}.jenis harus salah satu dari {', '.join(JENIS_INDIKATOR)}",
                )
            )
        if not isinstance(item.get("tolok_ukur"), str) or not item["tolok_ukur"].strip():
            errors.append(error(f"{at}.tolok_ukur", "wajib", f"{at}.tolok_ukur wajib diisi"))
        target = item.get("target")
        if target is not None and not _matches(NUMBER, target):
            errors.append(
                error(
                    f"{at}.target",
                    "format_nilai",
                    f'{at}.target harus angka desimal dalam teks (contoh "8.5") atau null',
                )
            )
        for field in ("target_teks", "satuan"):
            if item.get(field) is not None and not isinstance(item[field], str):
                errors.append(error(f"{at}.{field}", "format_nilai", f"{at}.{field} harus teks"))
    return errors


def _check_sumber_dana(sumber_dana: Any) -> list[Error]:
    if sumber_dana is None:
        return []
    if not isinstance(sumber_dana, list):
        return [error("sumber_dana", "format_nilai", "sumber_dana harus berupa daftar")]
    errors: list[Error] = []
    for n, item in enumerate(sumber_dana):
        at = f"sumber_dana[{n}]"
        if not isinstance(item, dict):
            errors.append(error(at, "format_nilai", f"{at} harus berupa objek"))
            continue
        errors += _unknown(item, SUMBER_DANA_FIELDS, prefix=f"{at}.")
        if not isinstance(item.get("kode"), str) or not item["kode"].strip():
            errors.append(error(f"{at}.kode", "wajib", f"{at}.kode wajib diisi"))
        if item.get("nama") is not None and not isinstance(item["nama"], str):
            errors.append(error(f"{at}.nama", "format_nilai", f"{at}.nama harus teks"))
        errors += _money(item, "pagu", required=True, prefix=f"{at}.")
    return errors


def _check_sumber(sumber: Any) -> list[Error]:
    if sumber is None:
        return []
    if not isinstance(sumber, dict):
        return [error("sumber", "format_nilai", "sumber harus berupa objek")]
    errors = _unknown(sumber, SUMBER_FIELDS, prefix="sumber.")
    for field in ("sistem", "id"):
        if sumber.get(field) is not None and not isinstance(sumber[field], str):
            errors.append(error(f"sumber.{field}", "format_nilai", f"sumber.{field} harus teks"))
    stamp = sumber.get("diperbarui_pada")
    if stamp is not None and not _is_aware_time(stamp):
        errors.append(
            error(
                "sumber.diperbarui_pada",
                "format_nilai",
                "sumber.diperbarui_pada harus ISO 8601 dengan zona waktu, contoh "
                "2026-01-05T10:22:33+07:00",
            )
        )
    return errors


def _check_rules(
    body: dict[str, Any], *, nomenclature: Nomenclature, units: dict[str, str | None]
) -> list[Error]:
    """The contract's 422 rules, on a body whose types are right."""
    errors = _check_skpd(body["kode_skpd"], body["kode_sub_skpd"], units)
    if not nomenclature.known(body["tahun_anggaran"], body["kode_sub_kegiatan"]):
        errors.append(
            error(
                "kode_sub_kegiatan",
                "tidak_ada_di_nomenklatur",
                f"kode sub kegiatan {body['kode_sub_kegiatan']} tidak ada di nomenklatur "
                f"tahun {body['tahun_anggaran']}",
            )
        )
    return errors + _check_months(body) + _check_money(body)


def _check_skpd(skpd: str, sub: str, units: dict[str, str | None]) -> list[Error]:
    if sub not in units:
        return [error("kode_sub_skpd", "skpd_tidak_dikenal", f"sub unit {sub} tidak dikenal")]
    if skpd not in units or units[skpd] is not None:
        message = f"perangkat daerah {skpd} tidak dikenal"
        return [error("kode_skpd", "skpd_tidak_dikenal", message)]
    if sub != skpd and units[sub] != skpd:
        message = f"sub unit {sub} bukan bagian dari {skpd}"
        return [error("kode_skpd", "skpd_tidak_dikenal", message)]
    return []


def _check_months(body: dict[str, Any]) -> list[Error]:
    start, end = body["bulan_mulai"], body["bulan_selesai"]
    errors = [
        error(field, "bulan", f"{field} harus di antara 1 dan 12")
        for field, month in (("bulan_mulai", start), ("bulan_selesai", end))
        if not 1 <= month <= 12
    ]
    if not errors and start > end:
        message = "bulan_mulai tidak boleh setelah bulan_selesai"
        errors.append(error("bulan_mulai", "bulan", message))
    return errors


def _check_money(body: dict[str, Any]) -> list[Error]:
    """Money below zero, a pagu without keluaran indicator, sumber dana not adding up."""
    amounts = [(f, body.get(f)) for f in ("pagu", "pagu_tahun_depan")]
    sumber_dana = body.get("sumber_dana") or []
    amounts += [(f"sumber_dana[{n}].pagu", i["pagu"]) for n, i in enumerate(sumber_dana)]
    errors = [
        error(field, "negatif", f"{field} tidak boleh negatif")
        for field, amount in amounts
        if amount is not None and Decimal(amount) < 0
    ]
    pagu = Decimal(body["pagu"])
    if pagu > 0 and not any(i["jenis"] == "keluaran_sub_kegiatan" for i in body["indikator"]):
        message = "sub kegiatan dengan pagu wajib punya indikator keluaran_sub_kegiatan"
        errors.append(error("indikator", "indikator_wajib", message))
    total = sum((Decimal(i["pagu"]) for i in sumber_dana), Decimal(0))
    if sumber_dana and total != pagu:
        message = f"jumlah pagu sumber dana ({total}) tidak sama dengan pagu ({pagu})"
        errors.append(error("sumber_dana", "sumber_dana_tidak_sama", message))
    return errors


def canonical(record: dict[str, Any]) -> dict[str, Any]:
    """The record's content for comparison: money and targets as numbers, row order ignored."""
    content = {f: record.get(f) for f in (*REQUIRED, *OPTIONAL)}
    for field in ("pagu", "pagu_tahun_depan"):
        content[field] = _number(content[field])
    content["indikator"] = _rows(
        {**i, "target": _number(i.get("target"))} for i in content["indikator"] or []
    )
    content["sumber_dana"] = _rows(
        {**i, "pagu": _number(i.get("pagu"))} for i in content["sumber_dana"] or []
    )
    content["lokasi"] = sorted(content["lokasi"] or [])
    sumber = content["sumber"]
    if isinstance(sumber, dict) and _is_aware_time(sumber.get("diperbarui_pada")):
        content["sumber"] = {
            **sumber,
            "diperbarui_pada": datetime.fromisoformat(sumber["diperbarui_pada"]),
        }
    return content


def with_defaults(body: dict[str, Any]) -> dict[str, Any]:
    """The body as stored: contract field order, optional fields present, read-only ones dropped."""
    return {
        **{f: body.get(f) for f in REQUIRED[:8]},
        "pagu_tahun_depan": body.get("pagu_tahun_depan"),
        "bulan_mulai": body["bulan_mulai"],
        "bulan_selesai": body["bulan_selesai"],
        "indikator": body["indikator"],
        "sumber_dana": body.get("sumber_dana") or [],
        "lokasi": body.get("lokasi") or [],
        "aktif": body["aktif"],
        "sumber": body.get("sumber"),
    }


def _rows(rows: Iterable[dict[str, Any]]) -> list[list[tuple[str, Any]]]:
    return sorted((sorted(row.items(), key=lambda kv: kv[0]) for row in rows), key=repr)


def _number(value: Any) -> Decimal | None:
    return Decimal(value).normalize() if isinstance(value, str) else None


def _money(body: dict[str, Any], field: str, *, required: bool, prefix: str = "") -> list[Error]:
    value = body.get(field)
    if value is None:
        if required and prefix:
            return [error(f"{prefix}{field}", "wajib", f"{prefix}{field} wajib diisi")]
        return []
    if not _matches(MONEY, value):
        return [
            error(
                f"{prefix}{field}",
                "format_nilai",
                f"{prefix}{field} harus teks desimal dengan dua angka di belakang titik, "
                f'contoh "296187500.00"',
            )
        ]
    return []


def _unknown(item: dict[str, Any], allowed: Iterable[str], *, prefix: str) -> list[Error]:
    allowed = set(allowed)
    return [
        error(f"{prefix}{f}", "format_nilai", f"field {prefix}{f} tidak dikenal")
        for f in item
        if f not in allowed
    ]


def _matches(pattern: re.Pattern[str], value: Any) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_aware_time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False
