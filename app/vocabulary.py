"""The service's words: a run's status, trigger and stage, a record's outcome, a
mismatch's status and category, a tahap, a key's role.

Plain enums with no ORM import: the `sinkron` command names some of them in its
options, and its ``--help`` should not have to load SQLAlchemy's ORM and every
model to show them. app.models re-exports the ones it stores. ``Tahap`` and
``Kategori`` are defined in mappings.vocabulary, because the mappings, which
import nothing of app, name them too.
"""

from __future__ import annotations

import enum

# Re-exported (X as X for mypy strict): the one list of each, for the service.
from mappings.vocabulary import Kategori as Kategori  # noqa: PLC0414
from mappings.vocabulary import Tahap as Tahap  # noqa: PLC0414


class RunStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    # The run pushed every OPD but the ones whose plan passed the guard's
    # thresholds; their writes wait in the plan for an admin (app/sync/guard.py).
    HELD = "menunggu_persetujuan"


class Trigger(enum.StrEnum):
    """Who or what started a run."""

    CLI = "cli"
    API = "api"
    SCHEDULE = "schedule"
    DEMO = "demo"


class Stage(enum.StrEnum):
    """Where a run is (sync_run.stage), and the stage its seconds are counted
    under (stage_seconds): a page of ``tarik`` is mapped (``petakan``),
    compared (``bandingkan``), pushed (``kirim``) and recorded (``catat``)."""

    MULAI = "mulai"
    BACA_EPLANNING = "baca_eplanning"
    TARIK = "tarik"
    PETAKAN = "petakan"
    BANDINGKAN = "bandingkan"
    KIRIM = "kirim"
    CATAT = "catat"
    KIRIM_ULANG = "kirim_ulang"
    SELESAI = "selesai"


class DeadLetterStatus(enum.StrEnum):
    """``open`` until a replay or a later run settles it: ``resolved`` (it
    landed), ``rejected`` (E-Planning refused it for good) or ``superseded`` (a
    later outcome for the same record made it moot)."""

    OPEN = "open"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DEACTIVATED = "deactivated"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    REJECTED = "rejected"
    UNMAPPABLE = "unmappable"
    DUPLICATE = "duplicate"
    DEAD_LETTER = "dead_letter"
    # A preview's write: decided, not sent (app/sync/rencana.py).
    PLANNED = "direncanakan"
    # A write the guard held for an admin's approval.
    HELD = "ditahan"


class PlanStatus(enum.StrEnum):
    """Status satu baris rencana run (tabel rencana).

    tertunda: diputuskan run yang menulis, dikirim pada tahap penerapannya;
    pratinjau: diputuskan pratinjau, menunggu admin; ditahan: ditahan penjaga,
    menunggu admin; disetujui: disetujui, dikirim run persetujuan; diterapkan:
    sudah dikirim dan dicatat; ditolak: ditolak admin; digantikan: keputusan
    atau run yang lebih baru menggantikannya.
    """

    TERTUNDA = "tertunda"
    PRATINJAU = "pratinjau"
    DITAHAN = "ditahan"
    DISETUJUI = "disetujui"
    DITERAPKAN = "diterapkan"
    DITOLAK = "ditolak"
    DIGANTIKAN = "digantikan"


class MismatchStatus(enum.StrEnum):
    """The life of a mismatch: found, acknowledged, then gone or accepted."""

    BARU = "baru"
    DIAKUI = "diakui"
    SELESAI = "selesai"
    DIKECUALIKAN = "dikecualikan"


class Role(enum.StrEnum):
    PLANNER = "planner"
    ADMIN = "admin"


class StatusFilter(enum.StrEnum):
    """A status a planner may filter on, or ``terbuka`` (baru and diakui)."""

    BARU = MismatchStatus.BARU.value
    DIAKUI = MismatchStatus.DIAKUI.value
    SELESAI = MismatchStatus.SELESAI.value
    DIKECUALIKAN = MismatchStatus.DIKECUALIKAN.value
    TERBUKA = "terbuka"
