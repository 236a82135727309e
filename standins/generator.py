"""A reproducible E-Program dataset: sub kegiatan of Meranti's sub-units, untidy like real ones.

`generate()` draws (sub-unit, sub kegiatan) pairs from a nomenclature, builds
one RECORD of the E-Program contract per pair and, when asked, dresses a
seeded share of them in every untidiness the contract lists. A small share
(`problem_rate`) is genuinely bad so a demo run shows every outcome.
"""

from __future__ import annotations

import random
from collections import defaultdict
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from standins import opd
from standins.dataset import TIME_FORMAT, EProgramDataset, Record

__all__ = ["PROBLEMS", "EProgramDataset", "generate"]

SUPPORT = "X.XX"
FIRST_RECORD_ID = 8000
COPY_RATE = 0.01
# seconds between two records: operators save in bursts, bulk imports share a second
CLOCK_STEPS = (0, 0, 1, 1, 2, 3, 5, 8, 30, 60, 240, 900)
PROBLEMS = (
    "kode_tidak_ada",
    "sumber_dana_beda",
    "pagu_rusak",
    "tanpa_keluaran",
    "nonaktif",
    # what the planners' report must show beyond the outcomes
    "nama_lain",  # a name that is not the nomenclature's: nama_berbeda
    "kode_provinsi",  # a provincial sub kegiatan in a kabupaten: format_kode
    "dana_tanpa_kode",  # a sumber dana without its code: a 422 no category explains (ditolak)
)
GARBAGE_PAGU = ("Rp. satu juta", "tiga ratus juta", "1,5 M", "Rp 250.000.000,-- (revisi)")
ODD_TARGETS = ("100", "8,5", "100 %", "12 Bulan", "", "Ada")
SUMBER_DANA = (
    ("1.1", "[DANA UMUM] - PENDAPATAN ASLI DAERAH (PAD)"),
    ("1.2", "[DANA UMUM] - DANA ALOKASI UMUM (DAU)"),
    ("1.3", "[DANA UMUM] - DANA BAGI HASIL PAJAK (DBH)"),
    ("2.1", "[DAK FISIK] - DANA ALOKASI KHUSUS FISIK"),
    ("2.2", "[DAK NON FISIK] - BANTUAN OPERASIONAL KESEHATAN (BOK)"),
    ("3.1", "[DBH MIGAS] - DANA BAGI HASIL MINYAK BUMI DAN GAS BUMI"),
    ("4.1", "[BANKEU] - BANTUAN KEUANGAN PROVINSI RIAU"),
)
SASARAN = (
    "Aparatur Perangkat Daerah",
    "Masyarakat Kabupaten Kepulauan Meranti",
    "Aparatur Kecamatan, Kelurahan, Desa dan Masyarakat",
    "Pelaku Usaha dan Masyarakat",
    "Pegawai ASN dan Non ASN",
)
EXTRA_FIELDS: tuple[tuple[str, Any], ...] = (
    ("id_label_kokab", "0"),
    ("is_locked", "0"),
    ("nama_pptk", "Drs. H. Zulkifli, M.Si"),
    ("catatan", ""),
    ("tag_tematik", ["KEMISKINAN EKSTREM"]),
    ("kode_dana_lama", None),
)


BIDANG_IDS = {kode: n for n, kode in enumerate(sorted(opd.BIDANG_URUSAN))}


@dataclass(frozen=True)
class _Unit:
    """A sub-unit that owns sub kegiatan (an OPD is the sub-unit of its own)."""

    opd: dict[str, str]
    sub: dict[str, str]
    bidang: tuple[str, ...]
    kecamatan: str | None


def generate(
    nomenklatur: list[dict[str, Any]],
    *,
    tahun_anggaran: int,
    tahap: str,
    size: int = 3000,
    seed: int = 2026,
    untidy: bool = True,
    problem_rate: float = 0.02,
    copy_rate: float = COPY_RATE,
) -> EProgramDataset:
    """A dataset of exactly `size` records, the same for the same arguments.

    Every (kode_sub_skpd, four-digit sub kegiatan code) pair is unique apart
    from operator copies (`copy_rate`, 1 %, when `untidy`). When the built-in sub-units do not
    offer `size` pairs, synthetic sub-units ("UPT <OPD> <n>") are added to the
    perangkat daerah list.
    """
    rng = random.Random(seed)
    catalogue = _Catalogue(nomenklatur)
    perangkat_daerah = opd.perangkat_daerah()
    copies = round(size * copy_rate) if untidy else 0
    pairs = _choose_pairs(catalogue, perangkat_daerah, size - copies, rng)
    rng.shuffle(pairs)  # operators of all OPDs work at the same time
    problems = _assign_problems(len(pairs), problem_rate, rng)
    builder = _RecordBuilder(catalogue, str(tahun_anggaran), tahap, untidy=untidy, rng=rng)
    records = [builder.build(unit, item, problems.get(i)) for i, (unit, item) in enumerate(pairs)]
    sequence = _with_operator_copies(records, copies, rng)
    clock_start = f"{tahun_anggaran - 1}-01-05 08:00:00"
    dataset = EProgramDataset(perangkat_daerah, clock_start=clock_start)
    _stamp(sequence, datetime.strptime(clock_start, TIME_FORMAT), rng)
    for record in sequence:
        dataset.add(record)
    return dataset


class _Catalogue:
    """The nomenclature rows a kabupaten can use, indexed for the generator."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        rows = [i for i in items if i.get("jenis_pemda", "KABKOT") != "PROV" and _six(i["kode"])]
        self.codes = {str(i["kode"]) for i in rows}
        self.support = [i for i in rows if str(i["kode"]).startswith(SUPPORT + ".")]
        self.by_bidang: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in rows:
            if not str(item["kode"]).startswith(SUPPORT + "."):
                self.by_bidang[str(item["kode"])[:4]].append(item)
        self.index = {str(i["kode"]): n for n, i in enumerate(rows)}
        kegiatan = sorted({str(i["kode"])[:12] for i in rows})
        self.kegiatan_index = {k: n for n, k in enumerate(kegiatan)}

    def candidates(self, bidang: tuple[str, ...]) -> tuple[list[Any], list[Any]]:
        """(own-bidang rows, support rows) a sub-unit of these bidang can hold."""
        own = [item for b in bidang for item in self.by_bidang.get(b, [])]
        return own, self.support

    def known(self, kode: str) -> bool:
        return kode in self.codes or f"{SUPPORT}{kode[4:]}" in self.codes


def _six(kode: Any) -> bool:
    return isinstance(kode, str) and len(kode.split(".")) == 6


def _units(perangkat_daerah: list[dict[str, str]]) -> list[_Unit]:
    by_id = {e["id_skpd"]: e for e in perangkat_daerah}
    units = []
    for entry in perangkat_daerah:
        parent = by_id[entry["id_unit"]]
        name = parent["nama_skpd"]
        kecamatan = name.removeprefix("Kecamatan ") if name.startswith("Kecamatan ") else None
        units.append(_Unit(parent, entry, tuple(opd.bidang_of(parent["kode_skpd"])), kecamatan))
    return units


def _choose_pairs(
    catalogue: _Catalogue,
    perangkat_daerah: list[dict[str, str]],
    wanted: int,
    rng: random.Random,
) -> list[tuple[_Unit, dict[str, Any]]]:
    """`wanted` distinct (sub-unit, row) pairs: own-bidang rows first, then support rows."""
    own_pairs: list[tuple[_Unit, dict[str, Any]]] = []
    support_pairs: list[tuple[_Unit, dict[str, Any]]] = []

    def offer(unit: _Unit) -> None:
        own, support = catalogue.candidates(unit.bidang)
        own_pairs.extend((unit, item) for item in own)
        support_pairs.extend((unit, item) for item in support)

    units = _units(perangkat_daerah)
    for unit in units:
        offer(unit)
    opd_units = [u for u in units if u.sub is u.opd and any(catalogue.candidates(u.bidang))]
    if not opd_units and wanted:
        raise ValueError("nomenklatur tidak memuat sub kegiatan untuk perangkat daerah mana pun")
    next_id = max(int(e["id_skpd"]) for e in perangkat_daerah) + 1
    extra = 0
    while len(own_pairs) + len(support_pairs) < wanted:
        parent = opd_units[extra % len(opd_units)].opd
        number = 100 + extra // len(opd_units)
        seg = parent["kode_skpd"].split(".")
        entry = opd.entry(
            str(next_id),
            ".".join([*seg[:7], f"{number:04d}"]),
            f"UPT {parent['nama_skpd']} {number - 99}",
            id_unit=parent["id_skpd"],
            is_skpd=False,
        )
        perangkat_daerah.append(entry)
        offer(_units([parent, entry])[1])
        next_id += 1
        extra += 1
    rng.shuffle(own_pairs)
    rng.shuffle(support_pairs)
    return (own_pairs + support_pairs)[:wanted]


def _assign_problems(count: int, rate: float, rng: random.Random) -> dict[int, str]:
    """Which records are genuinely bad; the kinds take turns so each one shows up."""
    how_many = min(count, round(count * rate))
    chosen = rng.sample(range(count), how_many)
    return {index: PROBLEMS[n % len(PROBLEMS)] for n, index in enumerate(chosen)}


def _with_operator_copies(records: list[Record], copies: int, rng: random.Random) -> list[Record]:
    """Insert copies of some records at earlier places in the feed (so with earlier update_at)."""
    sequence = list(records)
    originals = rng.sample(range(1, len(records)), min(copies, max(len(records) - 1, 0)))
    for index in sorted(originals, reverse=True):
        original = records[index]
        copy = {**deepcopy(original), "_copy_of": id(original)}
        sequence.insert(rng.randrange(0, index), copy)
    return sequence


def _stamp(sequence: list[Record], clock: datetime, rng: random.Random) -> None:
    """Give ids and update_at in feed order; a copy is strictly older than its original."""
    copied_at: dict[int, datetime] = {}
    for n, record in enumerate(sequence):
        clock += timedelta(seconds=rng.choice(CLOCK_STEPS))
        original = record.pop("_copy_of", None)
        if original is not None:
            copied_at[original] = clock
        elif id(record) in copied_at and clock <= copied_at[id(record)]:
            clock = copied_at[id(record)] + timedelta(seconds=1)
        record["id"] = str(FIRST_RECORD_ID + n)
        record["update_at"] = clock.strftime(TIME_FORMAT)


class _RecordBuilder:
    """Builds one RECORD of the E-Program contract for a (sub-unit, nomenclature row)."""

    def __init__(
        self, catalogue: _Catalogue, tahun: str, tahap: str, *, untidy: bool, rng: random.Random
    ) -> None:
        self.catalogue = catalogue
        self.tahun = tahun
        self.tahap = tahap
        self.untidy = untidy
        self.rng = rng
        self.used: set[tuple[str, str]] = set()

    def chance(self, p: float) -> bool:
        return self.untidy and self.rng.random() < p

    def build(self, unit: _Unit, item: dict[str, Any], problem: str | None) -> Record:
        rng = self.rng
        support = str(item["kode"]).startswith(SUPPORT + ".")
        bidang = unit.bidang[0] if support else str(item["kode"])[:4]
        kode = bidang + str(item["kode"])[4:]
        if problem == "kode_tidak_ada":
            kode = self.missing_code(item, unit, bidang)
        self.used.add((unit.sub["kode_skpd"], kode))
        shown_bidang = SUPPORT if support and self.chance(0.35) else bidang
        seg = kode.split(".")
        shown = [*shown_bidang.split("."), *seg[2:]]
        kode_program, kode_giat = ".".join(shown[:3]), ".".join(shown[:5])
        kode_sub_giat = ".".join(shown)
        if self.chance(0.08):
            kode_sub_giat = ".".join([*shown[:5], f"{int(seg[5]):02d}"])
        nama_program = str(item.get("nama_program") or f"PROGRAM {kode_program}")
        nama_giat = str(item.get("nama_kegiatan") or f"Kegiatan {kode_giat}")

        pagu = rng.randrange(10_000, 3_000_000) * 500
        if problem is None and self.chance(0.01):
            pagu = 0
        record: Record = {
            "id": "",
            "kode_sbl": self.kode_sbl(unit, item, bidang),
            "tahun_anggaran": self.tahun,
            "tahap": self.tahap,
            "id_skpd": unit.opd["id_skpd"],
            "kode_skpd": unit.opd["kode_skpd"],
            "nama_skpd": self.name(unit.opd["nama_skpd"], None),
            "id_sub_skpd": unit.sub["id_skpd"],
            "kode_sub_skpd": unit.sub["kode_skpd"],
            "nama_sub_skpd": self.name(unit.sub["nama_skpd"], None),
            "kode_urusan": shown[0],
            "nama_urusan": opd.URUSAN.get(shown[0], ""),
            "kode_bidang_urusan": shown_bidang,
            "nama_bidang_urusan": opd.BIDANG_URUSAN.get(
                shown_bidang, "URUSAN PEMERINTAHAN BIDANG XX"
            ),
            "kode_program": kode_program,
            "nama_program": self.name(nama_program, kode_program),
            "kode_giat": kode_giat,
            "nama_giat": self.name(nama_giat, kode_giat),
            "kode_sub_giat": kode_sub_giat,
            "nama_sub_giat": self.name(str(item["nama"]), kode_sub_giat),
            "pagu": self.money(pagu),
            "pagu_n_depan": "" if self.chance(0.1) else self.money(self.next_year(pagu)),
            **self.months(),
            "sasaran": rng.choice(SASARAN),
            **self.indicators(item, nama_program, nama_giat),
            "sumber_dana": self.sumber_dana(pagu),
            "lokasi_sub_keg": self.lokasi(unit),
            "active": self.active(),
            "update_at": "",
        }
        for name, value in EXTRA_FIELDS:
            if self.chance(0.04):
                record[name] = value
        self.spoil(record, problem, pagu)
        return record

    def spoil(self, record: Record, problem: str | None, pagu: int) -> None:
        """Make a record genuinely bad in the way `problem` names."""
        seg = str(record["kode_sub_giat"]).split(".")
        if problem == "nama_lain":
            record["nama_sub_giat"] = f"{record['nama_sub_giat'].strip()} Tahun {self.tahun}"
        elif problem == "kode_provinsi":
            record["kode_sub_giat"] = ".".join([*seg[:3], "1", *seg[4:]])
        elif problem == "dana_tanpa_kode":
            record["sumber_dana"][0]["kode_dana"] = ""
        elif problem == "sumber_dana_beda":
            first = record["sumber_dana"][0]
            first["pagu_dana"] = self.money(pagu + self.rng.randrange(1, 50) * 1000)
        elif problem == "pagu_rusak":
            record["pagu"] = self.rng.choice(GARBAGE_PAGU)
        elif problem == "tanpa_keluaran":
            record["sub_keg_indikator"] = []
        elif problem == "nonaktif":
            record["active"] = self.active(0)

    def missing_code(self, item: dict[str, Any], unit: _Unit, bidang: str) -> str:
        """A code the nomenclature lacks: a dropped predecessor, else a made-up one."""
        kode_unit = unit.sub["kode_skpd"]
        # The row's own predecessor, else another of its bidang's: a code the
        # nomenclature replaced, so the report can name its successor.
        neighbours = self.catalogue.by_bidang.get(bidang, [])
        for row in (item, *neighbours):
            previous = row.get("kode_sebelumnya")
            if not (isinstance(previous, str) and _six(previous)):
                continue
            candidate = bidang + previous[4:] if previous.startswith(SUPPORT) else previous
            if not self.catalogue.known(candidate) and (kode_unit, candidate) not in self.used:
                return candidate
        base = ".".join((bidang + str(item["kode"])[4:]).split(".")[:5])
        for number in range(9999, 0, -1):
            candidate = f"{base}.{number:04d}"
            if not self.catalogue.known(candidate) and (kode_unit, candidate) not in self.used:
                return candidate
        raise ValueError(f"no free code under {base}")

    def kode_sbl(self, unit: _Unit, item: dict[str, Any], bidang: str) -> str:
        bidang_id = 100 + BIDANG_IDS.get(bidang, -1)
        giat_id = 3000 + self.catalogue.kegiatan_index.get(str(item["kode"])[:12], 0)
        sub_giat_id = 13000 + self.catalogue.index.get(str(item["kode"]), 0)
        return f"{unit.opd['id_skpd']}.{unit.sub['id_skpd']}.{bidang_id}.{giat_id}.{sub_giat_id}"

    def name(self, name: str, code: str | None) -> str:
        """A name as operators type it: code prefix, line breaks, doubled and trailing spaces."""
        if code is not None and self.chance(0.25):
            name = f"{code} {name}"
        words = name.split(" ")
        if len(words) > 2 and self.chance(0.08):
            at = self.rng.randrange(1, len(words))
            words[at] = "\n\n" + words[at]
        if len(words) > 2 and self.chance(0.1):
            at = self.rng.randrange(1, len(words))
            words[at] = " " + words[at]
        name = " ".join(words).replace(" \n\n", "\n\n")
        if self.chance(0.1):
            name += self.rng.choice((" ", "  "))
        return name

    def money(self, amount: int) -> str | int:
        """Rupiah as E-Program writes it: plain, with decimals, Indonesian grouping, JSON number."""
        style = self.rng.choice(("plain", "plain", "decimal", "grouped", "number"))
        if not self.untidy or style == "plain":
            return str(amount)
        if style == "decimal":
            return f"{amount}.00"
        if style == "grouped":
            return f"{amount:,}".replace(",", ".") + ",00"
        return amount

    def next_year(self, pagu: int) -> int:
        return pagu * self.rng.randrange(95, 126) // 100 // 1000 * 1000

    def months(self) -> dict[str, str]:
        if self.rng.random() < 0.85:
            return {"waktu_awal": "1", "waktu_akhir": "12"}
        start = self.rng.randrange(1, 7)
        return {"waktu_awal": str(start), "waktu_akhir": str(self.rng.randrange(start + 3, 13))}

    def target(self, tidy: str) -> str:
        return self.rng.choice(ODD_TARGETS) if self.chance(0.12) else tidy

    def indicators(self, item: dict[str, Any], program: str, giat: str) -> dict[str, Any]:
        """The four kinds; the keluaran tolok ukur and satuan come from the nomenclature row."""
        rng = self.rng
        satuan = str(item.get("satuan") or "Dokumen")
        keluaran = self.target(str(rng.choice((1, 1, 2, 4, 12, 25, 100, 350))))
        hasil = self.target(rng.choice(("100", "95", "90")))
        capaian = self.target(rng.choice(("100", "85", "80")))
        output = self.target(str(rng.randrange(1, 30)))
        program_text = program.removeprefix("PROGRAM ").title()
        return {
            "sub_keg_indikator": [
                {
                    "outputteks": str(item.get("indikator") or f"Jumlah {item['nama']}"),
                    "targetoutput": keluaran,
                    "satuanoutput": satuan,
                    "targetoutputteks": f"{keluaran} {satuan}".strip(),
                }
            ],
            "sub_keg_indikator_hasil": [
                {
                    "hasilteks": f"Persentase Terlaksananya {giat}",
                    "targethasil": hasil,
                    "satuanhasil": "%",
                    "targethasilteks": f"{hasil} %".strip(),
                }
            ],
            "capaian_prog_sub_keg": [
                {
                    "capaianteks": f"Persentase Capaian {program_text}",
                    "targetcapaian": capaian,
                    "satuancapaian": "%",
                    "targetcapaianteks": f"{capaian} %".strip(),
                }
            ],
            "output_giat": [
                {
                    "outputteks": f"Jumlah Dokumen Hasil {giat}",
                    "targetoutput": output,
                    "satuanoutput": "Dokumen",
                    "targetoutputteks": f"{output} Dokumen".strip(),
                }
            ],
        }

    def sumber_dana(self, pagu: int) -> list[dict[str, Any]]:
        """One to three sources whose pagu_dana add up to the pagu exactly."""
        if pagu == 0:
            return []
        count = min(self.rng.choice((1, 1, 1, 2, 2, 3)), pagu // 500)
        cuts = sorted(self.rng.sample(range(1, pagu // 500), count - 1)) if count > 1 else []
        bounds = [0, *(c * 500 for c in cuts), pagu]
        sources = self.rng.sample(SUMBER_DANA, count)
        return [
            {"kode_dana": kode, "nama_dana": nama, "pagu_dana": self.money(high - low)}
            for (kode, nama), low, high in zip(sources, bounds, bounds[1:], strict=False)
        ]

    def lokasi(self, unit: _Unit) -> list[dict[str, str]]:
        kecamatan = unit.kecamatan or self.rng.choice((*opd.KECAMATAN, "Semua Kecamatan"))
        return [
            {
                "daerahteks": "Kab. Kepulauan Meranti",
                "camatteks": kecamatan,
                "lurahteks": "Semua Kelurahan" if kecamatan == "Tebing Tinggi" else "Semua Desa",
            }
        ]

    def active(self, value: int = 1) -> str | int | bool:
        """`"1"`/`"0"`, sometimes as a JSON number, a JSON `true` or the text "true"."""
        if self.chance(0.05):
            return value
        if value and self.chance(0.04):
            return self.rng.choice((True, "true"))
        return str(value)
