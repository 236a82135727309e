"""`sinkron demo`: both stand-ins, the service and one full sync on this machine."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime
from types import FrameType
from typing import Any

import httpx
import typer
from pydantic import SecretStr

from app import migrate
from app.access import keys
from app.access.keys import Role
from app.api.main import create_app
from app.cli import run_sync
from app.config import Settings, get_settings
from app.db import make_engine, make_session_factory, session_scope
from app.nomenklatur import store
from app.report import angka
from app.repositories import outcomes, runs
from app.sync.scope import Scope
from standins import eplanning, eprogram, nomenklatur
from standins.generator import generate
from standins.server import ServerThread

DEMO_API_KEY = "eprogram-dev-key"
DEMO_TOKEN = "eplanning-dev-token"


def _nomenclature(settings: Settings, tahun: int) -> tuple[str, list[dict[str, Any]]]:
    """The imported version for the year when there is one, else the built-in sample."""
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            version = store.current_version(session, tahun)
            if version is not None:
                return version.label, store.items_as_reference(session, version.id)
    finally:
        engine.dispose()
    sample = nomenklatur.load_sample()
    return str(sample["versi"]), list(sample["items"])


def _eplanning_holdings(url: str, tahun: int, tahap: str) -> tuple[int, int]:
    total = active = 0
    cursor: str | None = None
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {DEMO_TOKEN}"}) as client:
        while True:
            params: dict[str, Any] = {"tahun_anggaran": tahun, "tahap": tahap, "limit": 1000}
            if cursor:
                params["cursor"] = cursor
            body = client.get("/api/v1/renja-sub-kegiatan", params=params).json()
            total += len(body["items"])
            active += sum(1 for item in body["items"] if item["aktif"])
            cursor = body.get("next_cursor")
            if not cursor:
                return total, active


def _expected_in_eplanning(settings: Settings) -> int:
    """Records E-Planning should hold after the run: every key the run wrote, or
    found already right there."""
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            latest = runs.page(session, limit=1)[0]
            return sum(
                1
                for o in outcomes.for_run(session, latest.id)
                if o.outcome in ("created", "updated", "deactivated")
                or (o.outcome == "unchanged" and o.versi is not None)
            )
    finally:
        engine.dispose()


def _demo_key(settings: Settings) -> str:
    """A fresh admin key for this demo session, so the API can be tried at once."""
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            name = f"demo-{datetime.now(UTC):%Y%m%d-%H%M%S}"
            return keys.create(session, name=name, role=Role.ADMIN)
    finally:
        engine.dispose()


def run_demo(*, once: bool, size: int, seed: int, tahun: int, tahap: str, port: int) -> int:
    settings = get_settings()
    migrate.upgrade(settings.database_url)
    label, items = _nomenclature(settings, tahun)
    typer.echo(f"nomenklatur: {label} ({angka(len(items))} sub kegiatan)", err=True)
    dataset = generate(items, tahun_anggaran=tahun, tahap=tahap, size=size, seed=seed)
    typer.echo(
        f"E-Program tiruan: {angka(len(dataset.records))} sub kegiatan, "
        f"{angka(len(dataset.perangkat_daerah))} perangkat daerah/sub unit",
        err=True,
    )
    source = eprogram.create_app(dataset, api_key=DEMO_API_KEY)
    target = eplanning.create_app(
        nomenklatur={tahun: items},
        perangkat_daerah=dataset.eplanning_perangkat_daerah(),
        nomenklatur_versi=label,
    )
    with ServerThread(source) as source_server, ServerThread(target) as target_server:
        settings = settings.model_copy(
            update={
                "eprogram_url": source_server.url,
                "eprogram_api_key": SecretStr(DEMO_API_KEY),
                "eplanning_url": target_server.url,
                "eplanning_token": SecretStr(DEMO_TOKEN),
            }
        )
        engine = make_engine(settings.database_url)
        try:
            service = ServerThread(create_app(settings, engine, background=True), port=port)
            service.start()
        except OSError as exc:
            engine.dispose()
            typer.secho(
                f"galat: port {port} tidak dapat dipakai ({exc}); coba --port lain",
                fg="red",
                err=True,
            )
            return 2
        try:
            code = run_sync(settings, Scope(tahun, tahap, full=True), trigger="demo")
            total, active = _eplanning_holdings(target_server.url, tahun, tahap)
            expected = _expected_in_eplanning(settings)
            verdict = "cocok" if total == expected else f"TIDAK cocok (harusnya {angka(expected)})"
            typer.echo(
                f"\nE-Planning tiruan kini memuat {angka(total)} sub kegiatan "
                f"({angka(active)} aktif): {verdict} dengan hasil run."
            )
            key = _demo_key(settings)
            typer.echo(
                "\nLihat di:\n"
                f"  layanan Sinkron   {service.url}/docs   (kunci admin demo: {key})\n"
                f"                    curl -H 'X-API-Key: {key}' {service.url}/api/v1/status\n"
                f"  E-Program tiruan  {source_server.url}/api/v1/sub-kegiatan"
                f"?tahun_anggaran={tahun}&tahap={tahap}   (X-API-Key: {DEMO_API_KEY})\n"
                f"  E-Planning tiruan {target_server.url}/api/v1/renja-sub-kegiatan"
                f"?tahun_anggaran={tahun}&tahap={tahap}   (Authorization: Bearer {DEMO_TOKEN})\n"
                f"  basis data        {settings.database_url}"
            )
            if not once:
                typer.echo("\nTekan Ctrl-C untuk berhenti.")
                _wait_for_interrupt()
            return code
        finally:
            service.stop()
            engine.dispose()


def _wait_for_interrupt() -> None:
    stop = threading.Event()

    def _handler(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)
    stop.wait()
