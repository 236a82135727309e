"""A run's plan on a page: what a preview or a held run would write, OPD by
OPD and record by record, and an admin's approval or rejection of it (the same
use case as the API's, app.runs.persetujuan)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from app import clock, rencana_tampil
from app.access.keys import Role
from app.access.opd_scope import OpdScope
from app.http.deps import SessionDep, SettingsDep, WakeDep, audit_action
from app.http.errors import ApiError
from app.http.export_answer import EksporAnswer, EksporRencana
from app.http.inputs import BlankIsNone, Id, Text, TextRule
from app.http.pagination import Cursor, decode_cursor, encode_cursor
from app.laporan.rencana_xlsx import Pilihan
from app.models import Rencana, RunStatus, SyncRun, Trigger
from app.report import STATUS_LABELS, TRIGGER_LABELS
from app.repositories import rencana, runs
from app.runs import persetujuan
from app.sync.reconcile import Action
from app.sync.scope import KODE_SKPD
from app.web.ekspor import SlotDep
from app.web.errors import HalamanGalat, TidakDitemukan
from app.web.forms import Form
from app.web.render import page
from app.web.scope import opd_scope, url
from app.web.sessions import OpdHalamanDep, PenggunaDep, check_csrf

router = APIRouter(prefix="/laporan", include_in_schema=False)

PAGE_SIZE = 50
RunId = Annotated[Id, Path()]
KodeOpd = Annotated[Annotated[str, TextRule(40, pattern=KODE_SKPD)] | None, BlankIsNone, Query()]
Aksi = Annotated[Action | None, BlankIsNone, Query()]
# What the page says after a decision: which one, and the run that applies it.
Diputuskan = Annotated[Literal["setujui", "tolak"] | None, BlankIsNone, Query()]
Penerapan = Annotated[Id | None, BlankIsNone, Query()]

# Why a plan cannot be decided on (persetujuan.Refused.code), as the page says it.
ALASAN_DITOLAK: dict[str, str] = {
    "tidak_menunggu_persetujuan": (
        "Run ini tidak punya rencana yang menunggu persetujuan: hanya pratinjau yang selesai "
        "atau run yang berstatus menunggu persetujuan yang dapat disetujui atau ditolak."
    ),
    "rencana_sudah_diputuskan": (
        "Rencana ini sudah diputuskan sebelumnya; keputusan tidak dapat diubah."
    ),
    "rencana_digantikan": (
        "Rencana ini sudah digantikan oleh run yang lebih baru; buka rencana run itu."
    ),
    "rencana_kedaluwarsa": (
        "Rencana ini sudah kedaluwarsa: E-Planning mungkin sudah berubah sejak rencana dibuat. "
        "Buat pratinjau baru lalu setujui yang baru."
    ),
    "rencana_usang": (
        "Sejak rencana ini dibuat, run lain sudah menulis ke E-Planning, jadi rencana ini tidak "
        "lagi sesuai keadaan E-Planning. Buat pratinjau baru."
    ),
    "run_berjalan": ("Masih ada run yang berjalan. Tunggu sampai selesai, lalu setujui lagi."),
    "rencana_sudah_diterapkan": (
        "Rencana ini sudah diterapkan seluruhnya; tidak ada lagi yang perlu dikirim."
    ),
    "rencana_tanpa_kiriman": (
        "Rencana ini tidak berisi kiriman ke E-Planning (semua data tetap atau konflik); "
        "tidak ada yang perlu disetujui."
    ),
}


@dataclass(frozen=True)
class Perubahan:
    """One field a row would change: its name and both values as page text."""

    field: str
    sebelum: str | None
    sesudah: str | None


def teks_nilai(value: Any) -> str | None:
    """A plan's JSON value as the pages' value macro reads it (lists as JSON text)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, str):
        return value
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def perubahan(row: Rencana) -> list[Perubahan]:
    return [
        Perubahan(
            str(c.get("field", "")), teks_nilai(c.get("sebelum")), teks_nilai(c.get("sesudah"))
        )
        for c in row.perubahan or ()
    ]


def status_run(run: SyncRun) -> str:
    if run.status == RunStatus.HELD:
        return "menunggu persetujuan"
    return STATUS_LABELS.get(run.status, run.status)


def run_of(session: SessionDep, run_id: int, lingkup: OpdScope) -> SyncRun:
    """The run, or a 404 page when it does not exist or covered none of the reader's OPDs."""
    run = runs.get(session, run_id)
    if run is None or not lingkup.shows_run(run.kode_skpd):
        raise TidakDitemukan(f"run #{run_id} tidak ada dalam laporan Anda")
    return run


def cursor_id(cursor: str) -> int | None:
    try:
        return decode_cursor(cursor, big=True)
    except ApiError:
        raise HalamanGalat(
            "alamat halaman berikutnya tidak valid; mulai dari halaman pertama"
        ) from None


@router.get("/pratinjau/{run_id}", response_class=HTMLResponse)
def rencana_page(
    request: Request,
    *,
    run_id: RunId,
    session: SessionDep,
    settings: SettingsDep,
    pengguna: PenggunaDep,
    lingkup: OpdHalamanDep,
    kode_skpd: KodeOpd = None,
    aksi: Aksi = None,
    cursor: Cursor = "",
    diputuskan: Diputuskan = None,
    penerapan: Penerapan = None,
) -> HTMLResponse:
    run = run_of(session, run_id, lingkup)
    if kode_skpd is not None:
        opd_scope(lingkup, kode_skpd)
    rows = rencana.rows_of_run(
        session,
        run_id,
        kode_skpd=kode_skpd,
        aksi=aksi,
        opd=lingkup.opd,
        after_id=cursor_id(cursor),
        limit=PAGE_SIZE + 1,
    )
    shown = list(rows[:PAGE_SIZE])
    per_opd = rencana_tampil.per_opd(
        rencana.counts(session, run_id), run.ditahan or {}, lingkup.opd
    )
    path = f"/laporan/pratinjau/{run_id}"
    saringan = {k: v for k, v in (("kode_skpd", kode_skpd), ("aksi", aksi)) if v}
    berlaku = rencana_tampil.berlaku_sampai(run, settings.pratinjau_berlaku_jam)
    admin = pengguna.principal.can(Role.ADMIN)
    menunggu = persetujuan.waits(run) and run.keputusan is None
    penghalang = (
        persetujuan.obstacle(session, run, settings.pratinjau_berlaku_jam) if menunggu else None
    )
    return page(
        request,
        "pratinjau.html",
        run=run,
        status_run=status_run(run),
        pemicu=TRIGGER_LABELS.get(run.trigger, run.trigger),
        cakupan_opd=lingkup.cut(run.kode_skpd),
        berlaku_sampai=berlaku,
        kedaluwarsa=penghalang is not None and penghalang.code == "rencana_kedaluwarsa",
        dapat_diputuskan=admin and menunggu,
        penghalang=ALASAN_DITOLAK[penghalang.code] if penghalang else None,
        per_opd=per_opd,
        jumlah_semua=rencana_tampil.jumlah_semua(per_opd),
        label_aksi=rencana_tampil.LABEL_AKSI,
        rows=[(row, perubahan(row)) for row in shown],
        saringan=saringan,
        kode_skpd=kode_skpd or "",
        aksi=aksi or "",
        path=path,
        opd_url=lambda kode: url(path, {**saringan, "kode_skpd": kode}),
        aksi_url=lambda kode, code: url(path, {"kode_skpd": kode, "aksi": code}),
        berikut_url=url(path, saringan, {"cursor": encode_cursor(shown[-1].id)})
        if len(rows) > PAGE_SIZE
        else None,
        awal_url=url(path, saringan) if cursor else None,
        ekspor_url=url(f"{path}/ekspor.xlsx", saringan),
        diputuskan=diputuskan,
        penerapan=penerapan,
        sekarang=clock.now(),
    )


@router.get("/pratinjau/{run_id}/ekspor.xlsx")
def ekspor_rencana(
    request: Request,
    *,
    run_id: RunId,
    session: SessionDep,
    lingkup: OpdHalamanDep,
    slot: SlotDep,
    kode_skpd: KodeOpd = None,
    aksi: Aksi = None,
) -> EksporAnswer:
    """The plan as the page shows it (the reader's OPDs, the filters), as an XLSX."""
    run_of(session, run_id, lingkup)
    if kode_skpd is not None:
        opd_scope(lingkup, kode_skpd)
    pilihan = Pilihan(run_id, lingkup.opd, kode_skpd, aksi)
    return EksporAnswer(EksporRencana.of(request, pilihan), slot)


class FormulirRencana(BaseModel):
    """The approve and reject forms of a plan's page."""

    csrf: Text = ""
    alasan: Annotated[str, TextRule(2000, multiline=True, strip=True)] = ""


FormDep = Annotated[FormulirRencana, Depends(Form(FormulirRencana))]


@contextmanager
def _deciding(run_id: int, judul: str) -> Iterator[None]:
    """A decision's refusals as the pages answer them: a 404 page for a run
    that is not there, a 409 page that says why in words."""
    try:
        yield
    except LookupError:
        raise TidakDitemukan(f"run #{run_id} tidak ada") from None
    except persetujuan.Refused as exc:
        pesan = ALASAN_DITOLAK.get(exc.code, "Rencana ini tidak dapat diputuskan.")
        raise HalamanGalat(f"{pesan} ({exc.detail})", status_code=409, judul=judul) from None


def _back(run_id: int, parts: dict[str, str]) -> RedirectResponse:
    return RedirectResponse(url(f"/laporan/pratinjau/{run_id}", parts), status_code=303)


@router.post("/pratinjau/{run_id}/setujui")
def setujui(
    request: Request,
    *,
    run_id: RunId,
    after: BackgroundTasks,
    session: SessionDep,
    settings: SettingsDep,
    wake: WakeDep,
    pengguna: PenggunaDep,
    form: FormDep,
) -> RedirectResponse:
    check_csrf(request, pengguna.csrf, form.csrf)
    with _deciding(run_id, "Rencana tidak dapat disetujui"):
        decided = persetujuan.approve(
            session, run_id, by=pengguna.principal.name, trigger=Trigger.API,
            valid_hours=settings.pratinjau_berlaku_jam,
        )  # fmt: skip
    applying = decided.applying
    audit_action(
        request, session, action="rencana.setujui", target=f"run {run_id}", status_code=303,
        detail={
            "baris": decided.rows, "run_penerapan": applying.id if applying else None,
            "lewat": "laporan",
        },
    )  # fmt: skip
    if wake is not None:
        after.add_task(wake)
    said = {"diputuskan": "setujui"}
    if applying is not None:
        said["penerapan"] = str(applying.id)
    return _back(run_id, said)


@router.post("/pratinjau/{run_id}/tolak")
def tolak(
    request: Request,
    *,
    run_id: RunId,
    session: SessionDep,
    settings: SettingsDep,
    pengguna: PenggunaDep,
    form: FormDep,
) -> RedirectResponse:
    check_csrf(request, pengguna.csrf, form.csrf)
    if len(form.alasan) < 3:
        raise HalamanGalat(
            "Tulis alasan penolakan (paling sedikit 3 karakter): alasan dicatat di jejak audit.",
            judul="Rencana tidak dapat ditolak",
        )
    with _deciding(run_id, "Rencana tidak dapat ditolak"):
        decided = persetujuan.reject(
            session, run_id, by=pengguna.principal.name, alasan=form.alasan,
            valid_hours=settings.pratinjau_berlaku_jam,
        )  # fmt: skip
    audit_action(
        request, session, action="rencana.tolak", target=f"run {run_id}", status_code=303,
        detail={"baris": decided.rows, "alasan": form.alasan, "lewat": "laporan"},
    )  # fmt: skip
    return _back(run_id, {"diputuskan": "tolak"})
