"""The follow-up scenario (issue 19, "Done when") as a world tests can drive:
a fake clock, real runs against the stand-ins, the API over real HTTP, and
three OPDs with findings. OPD A acknowledges and fixes, B only acknowledges,
C does nothing; each step is a method, so a test can add its own (digests
after a scheduled run, a mail server that is down) between them.

    with skenario(session_factory, database_url, engine, sample_items) as s:
        s.mulai()                  # day 0: a name differs for 2 records of each OPD
        s.maju(hari=2); s.akui("A"); s.akui("B")
        s.maju(hari=3); s.perbaiki("A"); s.sync()
        s.maju(hari=10); s.sync()  # day 15
        s.tindak_lanjut()          # GET /api/v1/tindak-lanjut, as JSON
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.access import keys
from app.access.keys import Role
from app.api.main import create_app
from app.db import session_scope
from app.sync.pipeline import RunSummary
from app.vocabulary import RunStatus
from standins.server import ServerThread
from tests.e2e.conftest import TAHAP, TAHUN, World, make_world, tidy
from tests.e2e.test_findings import import_sample

# 01:00 WIB, the nightly schedule's hour.
MULAI = datetime(2026, 11, 1, 18, 0, tzinfo=UTC)
LABEL = ("A", "B", "C")
TEMUAN_PER_OPD = 2


@dataclass
class Skenario:
    world: World
    jam: clock.JamPalsu
    api: httpx.Client
    kunci: dict[str, str]  # "admin", and a key scoped to each OPD by its label
    opd: dict[str, str]  # label → kode_skpd
    rekaman: dict[str, list[dict[str, Any]]]  # label → the records given a finding
    runs: list[RunSummary] = field(default_factory=list)

    def maju(self, *, hari: float = 0, jam: float = 0) -> datetime:
        """Let time pass."""
        return self.jam.maju(hari=hari, jam=jam)

    def sync(self, *, full: bool = True) -> RunSummary:
        """A run against the stand-ins, at the clock's time; it must succeed."""
        summary = self.world.sync(full=full)
        assert summary.status is RunStatus.SUCCEEDED, summary.error
        self.runs.append(summary)
        return summary

    def mulai(self) -> RunSummary:
        """Day 0: the nomenclature imported, a name other than the
        nomenclature's for two records of each OPD, and the first run."""
        import_sample(self.world)
        for records in self.rekaman.values():
            for raw in records:
                self.world.dataset.touch(raw["id"], nama_sub_giat=f"{raw['nama_sub_giat']} (ubah)")
        return self.sync()

    def perbaiki(self, label: str) -> None:
        """The OPD puts the names back in E-Program (the next run finds them fixed)."""
        for raw in self.rekaman[label]:
            self.world.dataset.touch(raw["id"], nama_sub_giat=raw["nama_sub_giat"])

    def get(self, path: str, *, siapa: str = "admin", **params: Any) -> httpx.Response:
        return self.api.get(path, params=params, headers={"X-API-Key": self.kunci[siapa]})

    def temuan(self, label: str, *, siapa: str | None = None) -> list[dict[str, Any]]:
        """The OPD's open findings, as its own key lists them."""
        answer = self.get(
            "/api/v1/mismatches",
            siapa=siapa or label,
            tahun_anggaran=TAHUN,
            tahap=TAHAP,
            kode_skpd=self.opd[label],
            status="terbuka",
        )
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])

    def akui(self, label: str) -> int:
        """The OPD acknowledges every open finding with its own key; how many."""
        ids = [m["id"] for m in self.temuan(label)]
        answer = self.api.post(
            "/api/v1/mismatches/keputusan",
            json={"keputusan": "akui", "ids": ids, "catatan": "dibahas di rapat"},
            headers={"X-API-Key": self.kunci[label]},
        )
        assert answer.status_code == 200, answer.text
        return int(answer.json()["diubah"])

    def tindak_lanjut(self, *, siapa: str = "admin", **params: Any) -> dict[str, Any]:
        answer = self.get(
            "/api/v1/tindak-lanjut", siapa=siapa, tahun_anggaran=TAHUN, tahap=TAHAP, **params
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def status(self, *, siapa: str = "admin") -> dict[str, tuple[str, int]]:
        """label → (status_tindak_lanjut, peringkat) of the three OPDs."""
        by_kode = {o["kode_skpd"]: o for o in self.tindak_lanjut(siapa=siapa)["opd"]}
        return {
            label: (by_kode[kode]["status_tindak_lanjut"], by_kode[kode]["peringkat"])
            for label, kode in self.opd.items()
            if kode in by_kode
        }


def _three_opds(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Three OPDs with enough records, and the records each will get a finding on."""
    per_opd: dict[str, list[dict[str, Any]]] = {}
    for raw in records:
        per_opd.setdefault(raw["kode_skpd"], []).append(dict(raw))
    chosen = [kode for kode in sorted(per_opd) if len(per_opd[kode]) > TEMUAN_PER_OPD][:3]
    assert len(chosen) == 3, "the tidy world has fewer than three OPDs"
    return {kode: per_opd[kode][:TEMUAN_PER_OPD] for kode in chosen}


@contextmanager
def skenario(
    session_factory: sessionmaker[Session],
    database_url: str,
    engine: Engine,
    sample_items: list[dict[str, Any]],
) -> Iterator[Skenario]:
    """The world at day 0 (nothing synced yet), the API serving it, the clock
    stopped at :data:`MULAI` until the scenario moves it."""
    dataset = tidy(sample_items)
    picked = _three_opds(dataset.records)
    opd = dict(zip(LABEL, picked, strict=True))
    jam = clock.JamPalsu(MULAI)
    with clock.using(jam):
        with session_scope(session_factory) as session:
            kunci = {"admin": keys.create(session, name="admin", role=Role.ADMIN)}
            for label, kode in opd.items():
                kunci[label] = keys.create(
                    session, name=f"perencana-{label}", role=Role.PLANNER, kode_skpd=[kode]
                )
        for world in make_world(session_factory, database_url, dataset):
            with (
                ServerThread(create_app(world.settings, engine)) as server,
                httpx.Client(base_url=server.url, timeout=30) as api,
            ):
                yield Skenario(
                    world, jam, api, kunci, opd, {label: picked[opd[label]] for label in LABEL}
                )
