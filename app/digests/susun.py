"""A digest composed: subject, plain text, HTML and the webhook's JSON (pure).

Everything a digest says is in its input (:class:`IsiOpd`, :class:`IsiPemda`);
nothing here reads the database, the clock or the network, so the words are
tested with tables of cases. Bahasa Indonesia, Rupiah as ``Rp 1.250.000.000``,
times in WIB, as the pages write them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from app.mismatches import kategori
from app.report import angka, is_money_field, rupiah_text, tahap_label, waktu_wib

# At most this many new findings are listed one by one; the rest are counted.
DAFTAR_MAKS = 20


class Jenis(enum.StrEnum):
    """Which digest: an OPD's after a run, the weekly ones (OPDs' and the pemda's),
    or those sent by hand (`sinkron digest kirim`)."""

    HARIAN = "harian"
    MINGGUAN = "mingguan"
    SEKARANG = "sekarang"


STATUS_LABEL = {
    "belum_menindaklanjuti": "Belum menindaklanjuti",
    "sedang_menindaklanjuti": "Sedang menindaklanjuti",
    "tuntas": "Tuntas",
}


def status_label(status: str | None) -> str:
    return "-" if status is None else STATUS_LABEL.get(status, status)


@dataclass(frozen=True)
class Temuan:
    """One new finding, as the digest lists it."""

    id: int
    kategori: str
    kode_sub_kegiatan: str | None
    nama_sub_kegiatan: str | None
    field: str | None
    nilai_eprogram: str | None
    nilai_eplanning: str | None


@dataclass(frozen=True)
class IsiOpd:
    """What one OPD's digest says."""

    jenis: Jenis
    pemda: str
    tahun_anggaran: int
    tahap: str
    kode_skpd: str
    nama_skpd: str | None
    dibuat: datetime
    # the last digest this OPD got (None: this is its first)
    sejak: datetime | None
    baru: tuple[Temuan, ...]
    baru_jumlah: int
    lewat_batas: int
    lewat_batas_tertua_hari: int | None
    batas_hari: int
    belum_ditanggapi: int
    diakui_terbuka: int
    status: str | None
    peringkat: int | None
    jumlah_opd: int
    tautan: str
    # the scope's latest run held this OPD's writes for an admin, since then
    ditahan_sejak: datetime | None = None


@dataclass(frozen=True)
class BarisPeringkat:
    peringkat: int
    kode_skpd: str
    nama_skpd: str | None
    status: str
    belum_ditanggapi: int
    belum_ditanggapi_tertua_hari: int | None
    diakui_terbuka: int


@dataclass(frozen=True)
class IsiPemda:
    """What the pemda's summary says."""

    jenis: Jenis
    pemda: str
    tahun_anggaran: int
    tahap: str
    dibuat: datetime
    batas_hari: int
    peringkat: tuple[BarisPeringkat, ...]
    tautan: str


@dataclass(frozen=True)
class Surat:
    """A digest ready to go: by e-mail (text and HTML) and as JSON to the webhook."""

    subjek: str
    teks: str
    html: str
    data: dict[str, Any]


def nilai(value: str | None, field: str | None) -> str:
    """A finding's value: pagu in Rupiah when it is a number, the rest as written."""
    if value is None or value == "":
        return "-"
    return rupiah_text(value) if is_money_field(field) else value


def _nama(kode: str, nama: str | None) -> str:
    return f"{nama} ({kode})" if nama else kode


def _cakupan(tahun: int, tahap: str) -> str:
    return f"{tahap_label(tahap)} TA {tahun}"


def _hari(n: int | None) -> str:
    return "-" if n is None else f"{angka(n)} hari"


def _baris_temuan(t: Temuan) -> str:
    sub = " ".join(p for p in (t.kode_sub_kegiatan, t.nama_sub_kegiatan) if p) or "-"
    line = f"#{t.id} {kategori.label(t.kategori)}: {sub}"
    # the two amounts of a pagu finding; other values are on the OPD's page
    if is_money_field(t.field) and (t.nilai_eprogram or t.nilai_eplanning):
        line += (
            f" (E-Program {nilai(t.nilai_eprogram, t.field)}, "
            f"E-Planning {nilai(t.nilai_eplanning, t.field)})"
        )
    return line


def _fakta_opd(isi: IsiOpd) -> list[tuple[str, str]]:
    peringkat = (
        f"{isi.peringkat} dari {angka(isi.jumlah_opd)} OPD" if isi.peringkat is not None else "-"
    )
    lewat = angka(isi.lewat_batas)
    if isi.lewat_batas and isi.lewat_batas_tertua_hari is not None:
        lewat += f" (tertua {_hari(isi.lewat_batas_tertua_hari)})"
    return [
        ("Status tindak lanjut", status_label(isi.status)),
        ("Peringkat", peringkat),
        (
            f"Temuan baru sejak ringkasan terakhir ({waktu_wib(isi.sejak)})"
            if isi.sejak
            else "Temuan terbuka (ringkasan pertama)",
            angka(isi.baru_jumlah),
        ),
        (f"Belum ditanggapi lebih dari {isi.batas_hari} hari", lewat),
        ("Belum ditanggapi seluruhnya", angka(isi.belum_ditanggapi)),
        ("Diakui, masih terbuka", angka(isi.diakui_terbuka)),
    ]


def subjek_opd(isi: IsiOpd) -> str:
    nama = isi.nama_skpd or isi.kode_skpd
    bagian = []
    if isi.baru_jumlah:
        bagian.append(f"{angka(isi.baru_jumlah)} temuan {'baru' if isi.sejak else 'terbuka'}")
    if isi.lewat_batas:
        bagian.append(f"{angka(isi.lewat_batas)} belum ditanggapi > {isi.batas_hari} hari")
    if not bagian:
        bagian.append(status_label(isi.status).lower() if isi.status else "tidak ada temuan")
    awal = "Ringkasan mingguan" if isi.jenis == Jenis.MINGGUAN else "Ringkasan"
    return (
        f"[Sinkron] {awal} {nama}: {', '.join(bagian)} ({_cakupan(isi.tahun_anggaran, isi.tahap)})"
    )


PENUTUP = (
    "Pesan ini dikirim otomatis oleh Sinkron (sinkronisasi E-Program → E-Planning). "
    "Tanggapi setiap temuan di halaman OPD: akui bila sedang diperbaiki, kecualikan "
    "dengan alasan bila memang benar."
)


def _ditahan(isi: IsiOpd) -> str | None:
    if isi.ditahan_sejak is None:
        return None
    return (
        "Perhatian: perubahan dari E-Program untuk OPD ini belum dikirim ke E-Planning: "
        f"menunggu persetujuan admin sejak {waktu_wib(isi.ditahan_sejak)}. Angka di E-Planning "
        "belum memuatnya."
    )


def surat_opd(isi: IsiOpd) -> Surat:
    """One OPD's digest."""
    fakta = _fakta_opd(isi)
    lebih = isi.baru_jumlah - len(isi.baru)
    judul = (
        f"Tindak lanjut temuan {_nama(isi.kode_skpd, isi.nama_skpd)}, "
        f"{_cakupan(isi.tahun_anggaran, isi.tahap)}, per {waktu_wib(isi.dibuat)}"
    )
    teks = [f"Yth. {isi.nama_skpd or 'perangkat daerah'} ({isi.kode_skpd}),", "", judul, ""]
    lebar = max(len(k) for k, _ in fakta)
    teks += [f"{k.ljust(lebar)}  {v}" for k, v in fakta]
    ditahan = _ditahan(isi)
    if ditahan:
        teks += ["", ditahan]
    daftar = "Temuan baru" if isi.sejak else "Temuan terbuka"
    if isi.baru:
        teks += ["", f"{daftar}:"]
        teks += [f"- {_baris_temuan(t)}" for t in isi.baru]
        if lebih > 0:
            teks.append(f"  … dan {angka(lebih)} lainnya")
    teks += ["", f"Lihat dan tanggapi: {isi.tautan}", "", PENUTUP, ""]

    html = [
        f"<p>Yth. {escape(isi.nama_skpd or 'perangkat daerah')} ({escape(isi.kode_skpd)}),</p>",
        f"<h2>{escape(judul)}</h2>",
        "<table>",
        *(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in fakta),
        "</table>",
    ]
    if ditahan:
        html.append(f"<p><strong>{escape(ditahan)}</strong></p>")
    if isi.baru:
        html.append(f"<h3>{daftar}</h3><ul>")
        html += [f"<li>{escape(_baris_temuan(t))}</li>" for t in isi.baru]
        html.append("</ul>")
        if lebih > 0:
            html.append(f"<p>… dan {angka(lebih)} lainnya</p>")
    html += [
        f'<p><a href="{escape(isi.tautan, quote=True)}">Lihat dan tanggapi di halaman OPD</a></p>',
        f"<p><small>{escape(PENUTUP)}</small></p>",
    ]
    data = {
        "jenis": str(isi.jenis),
        "daftar": "opd",
        "pemda": isi.pemda,
        "tahun_anggaran": isi.tahun_anggaran,
        "tahap": isi.tahap,
        "kode_skpd": isi.kode_skpd,
        "nama_skpd": isi.nama_skpd,
        "dibuat_pada": isi.dibuat.isoformat(),
        "sejak": isi.sejak.isoformat() if isi.sejak else None,
        "status_tindak_lanjut": isi.status,
        "peringkat": isi.peringkat,
        "jumlah_opd": isi.jumlah_opd,
        "temuan_baru": isi.baru_jumlah,
        "belum_ditanggapi_lewat_batas": isi.lewat_batas,
        "belum_ditanggapi_lewat_batas_tertua_hari": isi.lewat_batas_tertua_hari,
        "batas_hari": isi.batas_hari,
        "belum_ditanggapi": isi.belum_ditanggapi,
        "diakui_terbuka": isi.diakui_terbuka,
        "temuan": [
            {"id": t.id, "kategori": t.kategori, "kode_sub_kegiatan": t.kode_sub_kegiatan}
            for t in isi.baru
        ],
        "tautan": isi.tautan,
        "menunggu_persetujuan_sejak": isi.ditahan_sejak.isoformat() if isi.ditahan_sejak else None,
    }
    return Surat(subjek_opd(isi), "\n".join(teks), _dokumen(judul, html), data)


def surat_pemda(isi: IsiPemda) -> Surat:
    """The pemda's weekly summary: the ranking, and who has not followed up."""
    belum = [b for b in isi.peringkat if b.status == "belum_menindaklanjuti"]
    cakupan = _cakupan(isi.tahun_anggaran, isi.tahap)
    judul = f"Tindak lanjut temuan per OPD, {isi.pemda}, {cakupan}, per {waktu_wib(isi.dibuat)}"
    awal = "Ringkasan mingguan" if isi.jenis == Jenis.MINGGUAN else "Ringkasan"
    subjek = f"[Sinkron] {awal} pemda: {angka(len(belum))} OPD belum menindaklanjuti ({cakupan})"
    kepala = ("#", "OPD", "Status", "Belum ditanggapi", "Tertua", "Diakui terbuka")

    def sel(b: BarisPeringkat) -> tuple[str, ...]:
        return (
            str(b.peringkat),
            _nama(b.kode_skpd, b.nama_skpd),
            status_label(b.status),
            angka(b.belum_ditanggapi),
            _hari(b.belum_ditanggapi_tertua_hari),
            angka(b.diakui_terbuka),
        )

    teks = [judul, ""]
    if belum:
        teks.append(
            f"{angka(len(belum))} OPD belum menindaklanjuti (ada temuan yang belum ditanggapi "
            f"lebih dari {isi.batas_hari} hari):"
        )
        teks += [f"- {_nama(b.kode_skpd, b.nama_skpd)}" for b in belum]
    else:
        teks.append(
            f"Tidak ada OPD dengan temuan yang belum ditanggapi lebih dari {isi.batas_hari} hari."
        )
    teks += ["", "Peringkat tindak lanjut:"]
    teks += [" | ".join(sel(b)) for b in isi.peringkat] or ["(belum ada data)"]
    teks += ["", f"Laporan lengkap: {isi.tautan}", "", PENUTUP, ""]

    html = [f"<h2>{escape(judul)}</h2>"]
    if belum:
        html.append(
            f"<p>{angka(len(belum))} OPD <strong>belum menindaklanjuti</strong> (ada temuan "
            f"yang belum ditanggapi lebih dari {isi.batas_hari} hari):</p><ul>"
        )
        html += [f"<li>{escape(_nama(b.kode_skpd, b.nama_skpd))}</li>" for b in belum]
        html.append("</ul>")
    else:
        html.append(
            f"<p>Tidak ada OPD dengan temuan yang belum ditanggapi lebih dari "
            f"{isi.batas_hari} hari.</p>"
        )
    html.append("<h3>Peringkat tindak lanjut</h3><table>")
    html.append("<tr>" + "".join(f"<th>{escape(k)}</th>" for k in kepala) + "</tr>")
    html += [
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in sel(b)) + "</tr>" for b in isi.peringkat
    ]
    html += [
        "</table>",
        f'<p><a href="{escape(isi.tautan, quote=True)}">Laporan lengkap</a></p>',
        f"<p><small>{escape(PENUTUP)}</small></p>",
    ]
    data = {
        "jenis": str(isi.jenis),
        "daftar": "pemda",
        "pemda": isi.pemda,
        "tahun_anggaran": isi.tahun_anggaran,
        "tahap": isi.tahap,
        "dibuat_pada": isi.dibuat.isoformat(),
        "batas_hari": isi.batas_hari,
        "belum_menindaklanjuti": [b.kode_skpd for b in belum],
        "peringkat": [
            {
                "peringkat": b.peringkat,
                "kode_skpd": b.kode_skpd,
                "nama_skpd": b.nama_skpd,
                "status_tindak_lanjut": b.status,
                "belum_ditanggapi": b.belum_ditanggapi,
                "belum_ditanggapi_tertua_hari": b.belum_ditanggapi_tertua_hari,
                "diakui_terbuka": b.diakui_terbuka,
            }
            for b in isi.peringkat
        ],
        "tautan": isi.tautan,
    }
    return Surat(subjek, "\n".join(teks), _dokumen(judul, html), data)


def _dokumen(judul: str, isi: list[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="id"><head><meta charset="utf-8">'
        f"<title>{escape(judul)}</title></head><body>\n" + "\n".join(isi) + "\n</body></html>\n"
    )


def tautan_opd(base_url: str | None, kode_skpd: str, tahun_anggaran: int, tahap: str) -> str:
    """The OPD's page, as the digest links it (relative when no base URL is set)."""
    return f"{base_url or ''}/laporan/opd/{kode_skpd}?tahun_anggaran={tahun_anggaran}&tahap={tahap}"


def tautan_ringkasan(base_url: str | None, tahun_anggaran: int, tahap: str) -> str:
    return f"{base_url or ''}/laporan?tahun_anggaran={tahun_anggaran}&tahap={tahap}"


def kunci(jenis: Jenis, tahun_anggaran: int, tahap: str, daftar: str, periode: str) -> str:
    """The outbox key: the kind, the scope, whose list, the period; unique, so a
    digest is recorded once however many replicas compose it."""
    return f"{jenis}:{tahun_anggaran}:{tahap}:{daftar}:{periode}"
