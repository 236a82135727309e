"""Built-in perangkat daerah of Kabupaten Kepulauan Meranti, in the E-Program shape.

Codes follow the nomenclature: `kode_skpd` is three urusan.bidang pairs, the OPD
number and the unit number (`1.02.0.00.0.00.01.0000`); the first pair is the
OPD's main bidang urusan. Unit `0000` is the OPD itself, which is also the
sub-unit of its own sub kegiatan.
"""

from __future__ import annotations

URUSAN: dict[str, str] = {
    "1": "URUSAN PEMERINTAHAN WAJIB YANG BERKAITAN DENGAN PELAYANAN DASAR",
    "2": "URUSAN PEMERINTAHAN WAJIB YANG TIDAK BERKAITAN DENGAN PELAYANAN DASAR",
    "3": "URUSAN PEMERINTAHAN PILIHAN",
    "4": "UNSUR PENDUKUNG URUSAN PEMERINTAHAN",
    "5": "UNSUR PENUNJANG URUSAN PEMERINTAHAN",
    "6": "UNSUR PENGAWASAN URUSAN PEMERINTAHAN",
    "7": "UNSUR KEWILAYAHAN",
    "8": "UNSUR PEMERINTAHAN UMUM",
}

# Names as the SIPD nomenclature export spells them (TA 2027, KABKOT rows).
BIDANG_URUSAN: dict[str, str] = {
    "1.01": "URUSAN PEMERINTAHAN BIDANG PENDIDIKAN",
    "1.02": "URUSAN PEMERINTAHAN BIDANG KESEHATAN",
    "1.03": "URUSAN PEMERINTAHAN BIDANG PEKERJAAN UMUM DAN PENATAAN RUANG",
    "1.04": "URUSAN PEMERINTAHAN BIDANG PERUMAHAN DAN KAWASAN PERMUKIMAN",
    "1.05": "URUSAN PEMERINTAHAN BIDANG KETENTERAMAN DAN KETERTIBAN UMUM SERTA "
    "PERLINDUNGAN MASYARAKAT",
    "1.06": "URUSAN PEMERINTAHAN BIDANG SOSIAL",
    "2.07": "URUSAN PEMERINTAHAN BIDANG TENAGA KERJA",
    "2.08": "URUSAN PEMERINTAHAN BIDANG PEMBERDAYAAN PEREMPUAN DAN PERLINDUNGAN ANAK",
    "2.09": "URUSAN PEMERINTAHAN BIDANG PANGAN",
    "2.10": "URUSAN PEMERINTAHAN BIDANG PERTANAHAN",
    "2.11": "URUSAN PEMERINTAHAN BIDANG LINGKUNGAN HIDUP",
    "2.12": "URUSAN PEMERINTAHAN BIDANG ADMINISTRASI KEPENDUDUKAN DAN PENCATATAN SIPIL",
    "2.13": "URUSAN PEMERINTAHAN BIDANG PEMBERDAYAAN MASYARAKAT DAN DESA",
    "2.14": "URUSAN PEMERINTAHAN BIDANG PENGENDALIAN PENDUDUK DAN KELUARGA BERENCANA",
    "2.15": "URUSAN PEMERINTAHAN BIDANG PERHUBUNGAN",
    "2.16": "URUSAN PEMERINTAHAN BIDANG KOMUNIKASI DAN INFORMATIKA",
    "2.17": "URUSAN PEMERINTAHAN BIDANG KOPERASI, USAHA KECIL, DAN MENENGAH",
    "2.18": "URUSAN PEMERINTAHAN BIDANG PENANAMAN MODAL",
    "2.19": "URUSAN PEMERINTAHAN BIDANG KEPEMUDAAN DAN OLAHRAGA",
    "2.20": "URUSAN PEMERINTAHAN BIDANG STATISTIK",
    "2.21": "URUSAN PEMERINTAHAN BIDANG PERSANDIAN",
    "2.22": "URUSAN PEMERINTAHAN BIDANG KEBUDAYAAN",
    "2.23": "URUSAN PEMERINTAHAN BIDANG PERPUSTAKAAN",
    "2.24": "URUSAN PEMERINTAHAN BIDANG KEARSIPAN",
    "3.25": "URUSAN PEMERINTAHAN BIDANG KELAUTAN DAN PERIKANAN",
    "3.26": "URUSAN PEMERINTAHAN BIDANG PARIWISATA",
    "3.27": "URUSAN PEMERINTAHAN BIDANG PERTANIAN",
    "3.28": "URUSAN PEMERINTAHAN BIDANG KEHUTANAN",
    "3.29": "URUSAN PEMERINTAHAN BIDANG ENERGI DAN SUMBER DAYA MINERAL",
    "3.30": "URUSAN PEMERINTAHAN BIDANG PERDAGANGAN",
    "3.31": "URUSAN PEMERINTAHAN BIDANG PERINDUSTRIAN",
    "3.32": "URUSAN PEMERINTAHAN BIDANG TRANSMIGRASI",
    "4.01": "SEKRETARIAT DAERAH",
    "4.02": "SEKRETARIAT DPRD",
    "5.01": "PERENCANAAN",
    "5.02": "KEUANGAN",
    "5.03": "KEPEGAWAIAN",
    "5.04": "PENDIDIKAN DAN PELATIHAN",
    "5.05": "PENELITIAN DAN PENGEMBANGAN",
    "6.01": "INSPEKTORAT DAERAH",
    "7.01": "KECAMATAN",
    "8.01": "KESATUAN BANGSA DAN POLITIK",
}

KECAMATAN: list[str] = [
    "Tebing Tinggi",
    "Tebing Tinggi Barat",
    "Tebing Tinggi Timur",
    "Rangsang",
    "Rangsang Barat",
    "Rangsang Pesisir",
    "Merbau",
    "Pulau Merbau",
    "Tasik Putri Puyu",
]

# (bidang pairs, OPD number, name, sub-unit names)
_OPD: list[tuple[tuple[str, ...], int, str, tuple[str, ...]]] = [
    (
        ("1.01", "2.22"),
        1,
        "Dinas Pendidikan dan Kebudayaan",
        ("UPTD Satuan Pendidikan SKB Selatpanjang", "UPTD Taman Budaya Selatpanjang"),
    ),
    (
        ("1.02",),
        1,
        "Dinas Kesehatan",
        (
            "Puskesmas Selatpanjang",
            "Puskesmas Alahair",
            "Puskesmas Tanjung Samak",
            "Puskesmas Sungai Tohor",
            "Puskesmas Teluk Belitung",
            "Puskesmas Kedabu Rapat",
            "Puskesmas Topang",
            "Puskesmas Alai",
            "UPTD Laboratorium Kesehatan Daerah",
        ),
    ),
    (("1.02",), 2, "RSUD Kepulauan Meranti", ()),
    (
        ("1.03",),
        1,
        "Dinas Pekerjaan Umum dan Penataan Ruang",
        ("UPT Peralatan dan Perbengkelan",),
    ),
    (
        ("1.04", "2.11"),
        1,
        "Dinas Perumahan Rakyat, Kawasan Permukiman dan Lingkungan Hidup",
        ("UPT Pengelolaan Sampah",),
    ),
    (("1.05",), 1, "Satuan Polisi Pamong Praja dan Pemadam Kebakaran", ()),
    (("1.05",), 2, "Badan Penanggulangan Bencana Daerah", ()),
    (("1.06",), 1, "Dinas Sosial", ()),
    (("2.07", "3.32"), 1, "Dinas Tenaga Kerja dan Transmigrasi", ()),
    (
        ("2.08", "2.14"),
        1,
        "Dinas Pemberdayaan Perempuan, Perlindungan Anak, Pengendalian Penduduk "
        "dan Keluarga Berencana",
        (),
    ),
    (("2.09",), 1, "Dinas Ketahanan Pangan", ()),
    (("2.12",), 1, "Dinas Kependudukan dan Pencatatan Sipil", ()),
    (("2.13",), 1, "Dinas Pemberdayaan Masyarakat dan Desa", ()),
    (("2.15",), 1, "Dinas Perhubungan", ("UPT Pelabuhan Selatpanjang",)),
    (
        ("2.16", "2.20", "2.21"),
        1,
        "Dinas Komunikasi, Informatika, Statistik dan Persandian",
        (),
    ),
    (
        ("2.17", "3.30", "3.31"),
        1,
        "Dinas Koperasi, Usaha Kecil dan Menengah, Perindustrian dan Perdagangan",
        ("UPT Pasar Selatpanjang",),
    ),
    (
        ("2.18",),
        1,
        "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
        (),
    ),
    (("2.19", "3.26"), 1, "Dinas Kepemudaan, Olahraga dan Pariwisata", ()),
    (("2.23", "2.24"), 1, "Dinas Perpustakaan dan Arsip", ()),
    (("3.25",), 1, "Dinas Perikanan", ("UPT Pelabuhan Perikanan Tanjung Samak",)),
    (("3.27",), 1, "Dinas Pertanian", ("UPT Balai Benih Induk",)),
    (
        ("4.01",),
        1,
        "Sekretariat Daerah",
        (
            "Bagian Tata Pemerintahan",
            "Bagian Hukum",
            "Bagian Kesejahteraan Rakyat",
            "Bagian Perekonomian dan Sumber Daya Alam",
            "Bagian Administrasi Pembangunan",
            "Bagian Pengadaan Barang dan Jasa",
            "Bagian Umum",
            "Bagian Organisasi",
            "Bagian Protokol dan Komunikasi Pimpinan",
        ),
    ),
    (("4.02",), 1, "Sekretariat DPRD", ()),
    (
        ("5.01", "5.05"),
        1,
        "Badan Perencanaan Pembangunan, Riset dan Inovasi Daerah",
        (),
    ),
    (("5.02",), 1, "Badan Pengelolaan Keuangan dan Aset Daerah", ()),
    (("5.02",), 2, "Badan Pendapatan Daerah", ()),
    (
        ("5.03", "5.04"),
        1,
        "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        (),
    ),
    (("6.01",), 1, "Inspektorat Daerah", ()),
    (("8.01",), 1, "Badan Kesatuan Bangsa dan Politik", ()),
]

_KELURAHAN_TEBING_TINGGI = (
    "Kelurahan Selatpanjang Kota",
    "Kelurahan Selatpanjang Barat",
    "Kelurahan Selatpanjang Timur",
    "Kelurahan Selatpanjang Selatan",
    "Kelurahan Alahair",
)

FIRST_ID = 500
UPDATE_AT = "2026-01-05 10:00:00"


def kode_skpd(bidang: tuple[str, ...], opd: int, unit: int = 0) -> str:
    """Build an 8-segment `kode_skpd` from up to three bidang pairs."""
    pairs = [*bidang, "0.00", "0.00"][:3]
    return f"{'.'.join(pairs)}.{opd:02d}.{unit:04d}"


def _all_opd() -> list[tuple[tuple[str, ...], int, str, tuple[str, ...]]]:
    kecamatan: list[tuple[tuple[str, ...], int, str, tuple[str, ...]]] = [
        (
            ("7.01",),
            number,
            f"Kecamatan {name}",
            _KELURAHAN_TEBING_TINGGI if name == "Tebing Tinggi" else (),
        )
        for number, name in enumerate(KECAMATAN, start=1)
    ]
    return _OPD + kecamatan


def perangkat_daerah() -> list[dict[str, str]]:
    """Every OPD followed by its sub-units, as GET /api/v1/perangkat-daerah lists them."""
    entries: list[dict[str, str]] = []
    next_id = FIRST_ID
    for bidang, number, name, sub_units in _all_opd():
        opd_id = str(next_id)
        next_id += 1
        entries.append(entry(opd_id, kode_skpd(bidang, number), name, id_unit=opd_id, is_skpd=True))
        for unit, sub_name in enumerate(sub_units, start=1):
            entries.append(
                entry(
                    str(next_id),
                    kode_skpd(bidang, number, unit),
                    sub_name,
                    id_unit=opd_id,
                    is_skpd=False,
                )
            )
            next_id += 1
    return entries


def entry(id_skpd: str, kode: str, nama: str, *, id_unit: str, is_skpd: bool) -> dict[str, str]:
    """One perangkat daerah in the E-Program shape."""
    return {
        "id_skpd": id_skpd,
        "kode_skpd": kode,
        "nama_skpd": nama,
        "id_unit": id_unit,
        "is_skpd": "1" if is_skpd else "0",
        "active": "1",
        "update_at": UPDATE_AT,
    }


def bidang_of(kode: str) -> list[str]:
    """The bidang pairs of a `kode_skpd`, main bidang first (`0.00` pairs dropped)."""
    seg = kode.split(".")
    pairs = [f"{seg[0]}.{seg[1]}", f"{seg[2]}.{seg[3]}", f"{seg[4]}.{seg[5]}"]
    return [p for p in pairs if p != "0.00"]


def to_eplanning(entries: list[dict[str, str]]) -> list[dict[str, str | None]]:
    """The same list in the E-Planning shape: `kode`, `nama`, `kode_induk`."""
    kode_by_id = {e["id_skpd"]: e["kode_skpd"] for e in entries}
    return [
        {
            "kode": e["kode_skpd"],
            "nama": e["nama_skpd"],
            "kode_induk": None if e["is_skpd"] == "1" else kode_by_id.get(e["id_unit"]),
        }
        for e in entries
    ]
