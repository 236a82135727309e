"""Report exports over real HTTP (uvicorn in a thread), API and pages alike:
each is one audit row (who, the filter, the rows, how it ended); one whose
client walks away stops within a second; a key or an address has at most
SINKRON_EXPORT_CONCURRENT going at once (docs/design.md, promise 9)."""

from __future__ import annotations

import csv
import io
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import httpx
import openpyxl
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.access import keys
from app.access.keys import Role
from app.config import Settings
from app.db import session_scope
from app.main import create_app
from app.models import AuditEvent, utcnow
from standins.server import ServerThread
from tests.conftest import SERVICE_TIMEOUT
from tests.e2e.export_data import BESAR, KECIL, TAHAP, TAHUN, seed

ROWS = 30_000  # an XLSX of these takes several seconds, a CSV more than the socket buffers
FEW = 7
QUERY = f"tahun_anggaran={TAHUN}&tahap={TAHAP}"
T = TypeVar("T")


@dataclass
class Service:
    server: ServerThread
    sessions: sessionmaker[Session]
    keys: dict[str, str]

    def url(self, path: str) -> str:
        return f"{self.server.url}{path}"

    def exports(self) -> list[AuditEvent]:
        with session_scope(self.sessions) as session:
            return list(
                session.scalars(
                    select(AuditEvent)
                    .where(AuditEvent.action == "laporan.ekspor")
                    .order_by(AuditEvent.id)
                )
            )

    def page_cookie(self, who: str) -> str:
        """A signed-in browser's session cookie, made over HTTP."""
        with httpx.Client(base_url=self.server.url, timeout=SERVICE_TIMEOUT) as browser:
            form = browser.get("/laporan/masuk").text
            token = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            answer = browser.post("/laporan/masuk", data={"csrf": token, "kunci": self.keys[who]})
            assert answer.status_code == 303, answer.text
            return f"sinkron_sesi={browser.cookies['sinkron_sesi']}"


@pytest.fixture
def service(engine: Engine, database_url: str) -> Iterator[Service]:
    seed(engine, kode_skpd=BESAR, rows=ROWS)
    seed(engine, kode_skpd=KECIL, rows=FEW)
    sessions = sessionmaker(engine, expire_on_commit=False)
    with session_scope(sessions) as session:
        made = {
            "perencana": keys.create(session, name="perencana-bappeda", role=Role.PLANNER),
            "lain": keys.create(session, name="perencana-lain", role=Role.PLANNER),
        }
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        # The tests speak for several addresses through the loopback "proxy".
        trusted_proxies="127.0.0.1",
        rate_limit_per_minute=6000,
    )
    with ServerThread(create_app(settings, engine)) as server:
        yield Service(server, sessions, made)


def wait_for(found: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    """Poll the database until ``found`` sees what the service wrote."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value is not None:
            return value
        time.sleep(0.02)
    raise AssertionError(f"not seen within {timeout} s: {what}")


def started(service: Service, before: int) -> Callable[[], AuditEvent | None]:
    def new_row() -> AuditEvent | None:
        rows = service.exports()
        return rows[before] if len(rows) > before else None

    return new_row


def concluded(service: Service, event_id: int) -> Callable[[], AuditEvent | None]:
    def ended() -> AuditEvent | None:
        row = next(r for r in service.exports() if r.id == event_id)
        return row if (row.detail or {}).get("hasil") != "berjalan" else None

    return ended


def open_request(service: Service, path: str, headers: dict[str, str]) -> socket.socket:
    """A GET sent on a socket of its own that reads slowly (a small receive
    buffer), so the test decides when the client goes away."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
    sock.connect((service.server.host, service.server.port))
    lines = [f"GET {path} HTTP/1.1", f"Host: {service.server.host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def test_an_abandoned_export_stops_within_a_second_of_its_client_leaving(
    service: Service,
) -> None:
    api = {"X-API-Key": service.keys["perencana"]}
    page = {"Cookie": service.page_cookie("perencana")}
    for path, headers in (
        (f"/api/v1/mismatches/export.xlsx?{QUERY}", api),
        (f"/api/v1/mismatches/export.csv?{QUERY}", api),
        (f"/laporan/opd/{BESAR}/ekspor.xlsx?{QUERY}", page),
        (f"/laporan/opd/{BESAR}/ekspor.csv?{QUERY}", page),
    ):
        before = len(service.exports())
        client = open_request(service, path, headers)
        row = wait_for(started(service, before), f"the audit row of {path}")
        if path.split("?")[0].endswith(".csv"):
            assert client.recv(4096).startswith(b"HTTP/1.1 200")  # streaming already
        else:
            time.sleep(1)  # well into its rows (the file is sent only when made)
        closed_at = utcnow()
        client.close()

        ended = wait_for(concluded(service, row.id), f"the end of {path}")

        assert ended.detail is not None
        assert ended.detail["hasil"] == "dibatalkan", (path, ended.detail)
        assert ended.detail["baris"] < ROWS, (path, ended.detail)
        assert ended.last_at is not None
        assert ended.last_at - closed_at < timedelta(seconds=1), (path, ended.last_at - closed_at)


def test_every_export_is_one_audit_row_with_who_the_filter_and_the_rows(
    service: Service,
) -> None:
    key = {"X-API-Key": service.keys["perencana"]}
    xlsx = httpx.get(
        service.url(f"/api/v1/mismatches/export.xlsx?{QUERY}&kode_skpd={KECIL}"),
        headers=key,
        timeout=SERVICE_TIMEOUT,
    )
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["Nama berbeda"]
    assert sum(1 for row in sheet.iter_rows(values_only=True) if row[2] == KECIL) == FEW
    answer = httpx.get(
        service.url(f"/api/v1/mismatches/export.csv?{QUERY}&kode_skpd={KECIL}&status=baru"),
        headers=key,
        timeout=SERVICE_TIMEOUT,
    )
    assert answer.status_code == 200
    lines = csv.DictReader(io.StringIO(answer.text.lstrip("\ufeff")), delimiter=";")
    assert [line["Kode SKPD"] for line in lines] == [KECIL] * FEW
    page = httpx.get(
        service.url(f"/laporan/opd/{KECIL}/ekspor.csv?{QUERY}"),
        headers={"Cookie": service.page_cookie("lain")},
        timeout=SERVICE_TIMEOUT,
    )
    assert page.status_code == 200

    rows = service.exports()

    assert [(r.actor, r.target, r.status_code, r.client) for r in rows] == [
        ("perencana-bappeda", "/api/v1/mismatches/export.xlsx", 200, "127.0.0.1"),
        ("perencana-bappeda", "/api/v1/mismatches/export.csv", 200, "127.0.0.1"),
        ("perencana-lain", f"/laporan/opd/{KECIL}/ekspor.csv", 200, "127.0.0.1"),
    ]
    details: list[dict[str, Any]] = [r.detail or {} for r in rows]
    assert [(d["format"], d["baris"], d["hasil"]) for d in details] == [
        ("xlsx", FEW, "selesai"),
        ("csv", FEW, "selesai"),
        ("csv", FEW, "selesai"),
    ]
    assert [d["filter"] for d in details] == [
        f"OPD {KECIL}",
        f"OPD {KECIL}, status baru",
        f"OPD {KECIL}, status terbuka",
    ]
    assert {(d["tahun_anggaran"], d["tahap"]) for d in details} == {(TAHUN, TAHAP)}


def test_a_third_export_at_once_is_refused_per_key_and_per_address(service: Service) -> None:
    def headers(who: str, address: str) -> dict[str, str]:
        return {"X-API-Key": service.keys[who], "X-Forwarded-For": address}

    big = f"/api/v1/mismatches/export.xlsx?{QUERY}"
    small = f"/api/v1/mismatches/export.csv?{QUERY}&kode_skpd={KECIL}"
    running = []
    for n in range(2):
        client = open_request(service, big, headers("perencana", "10.0.0.1"))
        running.append((client, wait_for(started(service, n), "a running export")))

    same_key = httpx.get(
        service.url(small), headers=headers("perencana", "10.0.0.2"), timeout=SERVICE_TIMEOUT
    )
    same_address = httpx.get(
        service.url(small), headers=headers("lain", "10.0.0.1"), timeout=SERVICE_TIMEOUT
    )
    page = httpx.get(
        service.url(f"/laporan/opd/{KECIL}/ekspor.xlsx?{QUERY}"),
        headers={"Cookie": service.page_cookie("perencana"), "X-Forwarded-For": "10.0.0.3"},
        timeout=SERVICE_TIMEOUT,
    )
    elsewhere = httpx.get(
        service.url(small), headers=headers("lain", "10.0.0.3"), timeout=SERVICE_TIMEOUT
    )

    for refused, whose in ((same_key, "kunci ini"), (same_address, "alamat ini")):
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["error"] == "terlalu_banyak_permintaan"
        assert f"sudah ada 2 ekspor yang sedang dibuat untuk {whose}" in refused.json()["detail"]
    assert page.status_code == 429 and "Retry-After" in page.headers
    assert "<html" in page.text and "ekspor yang sedang dibuat" in page.text
    assert elsewhere.status_code == 200  # another key from another address is not held up

    for client, row in running:
        client.close()
        wait_for(concluded(service, row.id), "the end of an abandoned export")
    again = httpx.get(
        service.url(small), headers=headers("perencana", "10.0.0.1"), timeout=SERVICE_TIMEOUT
    )
    assert again.status_code == 200  # the slots were given back
