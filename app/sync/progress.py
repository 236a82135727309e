"""What a run tells those who carry it out (app/runs): its progress, its
summary, and the ways it can be stopped from outside."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from app.models import RunStatus, Stage

StopReason = Literal["cancel", "shutdown"]
STOPPED: dict[StopReason, tuple[RunStatus, str]] = {
    "cancel": (RunStatus.CANCELLED, "dibatalkan oleh admin"),
    "shutdown": (
        RunStatus.INTERRUPTED,
        "layanan dihentikan saat run berjalan; run berikutnya melanjutkan dari checkpoint",
    ),
}


class RunCancelled(Exception):
    """An admin asked the run to stop."""


class RunStopped(Exception):
    """The process is shutting down; the run stops where the next run can resume."""


@dataclass(frozen=True)
class Progress:
    run_id: int
    stage: Stage
    page: int
    pulled: int
    counts: dict[str, int]


@dataclass
class RunSummary:
    run_id: int
    status: RunStatus
    pulled: int
    counts: dict[str, int]
    error: str | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)


class Superseded(Exception):
    """Another process has taken the run over (the fence said so): this one writes
    nothing more, and the run is marked interrupted by the one that took it."""
