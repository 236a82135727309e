"""The outage policy (app/sync/outage.py): pushes without an answer counted across
a run, the pause between them, giving up after SINKRON_OUTAGE_BATCHES, and what
an admin reads. A fake E-Planning client; no network, no database, no waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr

from app.config import Settings
from app.sync.outage import Outage, UpstreamUnavailable, explain, outage, pause
from app.sync.push import PlannedWrite
from connectors.eplanning import Operation, OperationResult, PartialBatchError
from connectors.http import AuthError, PermanentError, TransientError
from tests.unit.samples import mapped, planned

URL = "http://eplanning.internal:8102"
DOWN = TransientError("connection refused", request="POST /api/v1/batch")
BUSY = TransientError("503", request="POST /api/v1/batch", status_code=503)
REVOKED = AuthError(
    "401", request="POST /api/v1/batch", status_code=401, body="", credential_hint="token"
)


def settings(outage_batches: int = 3) -> Settings:
    return Settings(
        _env_file=None,
        eprogram_api_key=SecretStr("kunci"),
        eplanning_token=SecretStr("token"),
        eplanning_url=URL,
        outage_batches=outage_batches,
        retry_initial_wait=0.5,
        retry_max_wait=3.0,
    )


@dataclass
class Watch:
    """An Outage with its notes and pauses kept, instead of the database and the clock."""

    outage: Outage
    notes: list[tuple[str, bool]]
    pauses: list[float]


def watch(outage_batches: int = 3) -> Watch:
    notes: list[tuple[str, bool]] = []
    pauses: list[float] = []

    def note(system: Any, *, ok: bool, detail: str | None = None) -> None:
        notes.append((system, ok))

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    return Watch(Outage(settings(outage_batches), note, sleep=sleep), notes, pauses)


# -- the count, the pause, giving up -------------------------------------------


@dataclass(frozen=True)
class Case:
    batches: int  # SINKRON_OUTAGE_BATCHES
    events: str  # "s": a push without any answer, "a": an answer
    stops_at: int | None  # the event (1-based) that stops the run, or None
    pauses: tuple[float, ...]


CASES = {
    "three silent pushes in a row stop the run": Case(3, "sss", 3, (0.5, 1.0)),
    "an answer starts the count again": Case(3, "ssass", None, (0.5, 1.0, 0.5, 1.0)),
    "...and the third in a row after it stops": Case(3, "ssasss", 6, (0.5, 1.0, 0.5, 1.0)),
    "one allowed: the first silence stops": Case(1, "s", 1, ()),
    "the pause doubles up to the longest wait": Case(9, "ssssss", None,
                                                     (0.5, 1.0, 2.0, 3.0, 3.0, 3.0)),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_silent_pushes_are_counted_until_the_run_gives_up(case: Case) -> None:
    w = watch(case.batches)

    async def go() -> int | None:
        for number, event in enumerate(case.events, start=1):
            if event == "a":
                w.outage.answered()
                continue
            try:
                await w.outage.silent(BUSY)
            except UpstreamUnavailable:
                return number
        return None

    assert asyncio.run(go()) == case.stops_at
    assert tuple(w.pauses) == case.pauses
    assert [ok for _system, ok in w.notes] == [e == "a" for e in case.events]


def test_the_pause_is_capped() -> None:
    assert [pause(n, initial=1.0, longest=5.0) for n in range(1, 6)] == [1, 2, 4, 5, 5]


# -- pushes and replays --------------------------------------------------------


class FakeEPlanning:
    """Answers each batch from a script: an exception to raise, or how many of
    the operations to answer 201 before the request is cut (None: all)."""

    def __init__(self, *script: Exception | int | None) -> None:
        self.script = list(script)
        self.sent: list[list[str]] = []

    async def batch(self, operations: Sequence[Operation]) -> list[OperationResult]:
        self.sent.append([op.idempotency_key for op in operations])
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        answered = [OperationResult(201, record={"versi": 1}) for _ in operations]
        if step is None:
            return answered
        raise PartialBatchError(BUSY, answered[:step])


def push(w: Watch, client: FakeEPlanning, writes: list[PlannedWrite]) -> Any:
    return asyncio.run(w.outage.push(client, writes))  # type: ignore[arg-type]


def test_what_got_no_answer_is_sent_again_with_the_same_keys() -> None:
    w = watch()
    writes = [planned(mapped("1")), planned(mapped("2")), planned(mapped("3"))]
    client = FakeEPlanning(1, DOWN, None)

    done = push(w, client, writes)

    assert [d.write.source_id for d in done] == ["1", "2", "3"]
    keys = [w.operation.idempotency_key for w in writes]
    assert client.sent == [keys, keys[1:], keys[1:]]
    # The cut request answered some (the count starts again, then one silent
    # push); the dropped one none (two in a row); the last all (back to zero).
    assert w.pauses == [0.5, 1.0] and w.outage.silent_in_a_row == 0
    assert [ok for _system, ok in w.notes] == [True, False, False, True]


def test_an_outage_stops_the_run_with_what_to_check() -> None:
    w = watch(outage_batches=2)
    client = FakeEPlanning(DOWN, DOWN, None)

    with pytest.raises(UpstreamUnavailable) as stopped:
        push(w, client, [planned(mapped("1"))])

    assert len(client.sent) == 2
    message = str(stopped.value)
    assert f"E-Planning di {URL} gagal menerima 2 kiriman berturut-turut" in message
    assert "run berikutnya melanjutkan dari checkpoint" in message
    assert w.notes[-1] == ("eplanning", False)


def test_a_refusal_stops_at_once() -> None:
    w = watch()
    with pytest.raises(UpstreamUnavailable) as stopped:
        push(w, FakeEPlanning(REVOKED), [planned(mapped("1"))])
    assert "periksa SINKRON_EPLANNING_TOKEN" in str(stopped.value)
    assert w.pauses == [] and w.notes == [("eplanning", False)]


def test_a_replay_batch_counts_toward_the_same_outage() -> None:
    w = watch(outage_batches=3)
    client = FakeEPlanning(DOWN, DOWN)
    push(w, FakeEPlanning(DOWN, None), [planned(mapped("1"))])  # one silent push, then answered
    assert w.outage.silent_in_a_row == 0

    async def send() -> list[OperationResult]:
        return await client.batch([planned(mapped("1")).operation])

    asyncio.run(w.outage.silent(DOWN))  # a page's push went unanswered
    with pytest.raises(UpstreamUnavailable):
        asyncio.run(w.outage.until_answered(send))
    assert w.outage.silent_in_a_row == 3 and len(client.sent) == 2


def test_a_replay_batch_answered_after_a_silence() -> None:
    w = watch()
    client = FakeEPlanning(DOWN, None)

    async def send() -> list[OperationResult]:
        return await client.batch([planned(mapped("1")).operation])

    results = asyncio.run(w.outage.until_answered(send))
    assert [r.status for r in results] == [201]
    assert w.notes == [("eplanning", False), ("eplanning", True)]


# -- reads ---------------------------------------------------------------------


def test_a_read_that_outlived_its_retries_stops_the_run() -> None:
    w = watch()

    async def fails() -> None:
        raise DOWN

    with pytest.raises(UpstreamUnavailable) as stopped:
        asyncio.run(w.outage.read("eprogram", fails()))
    assert stopped.value.system == "eprogram"
    assert "E-Program di http://127.0.0.1:8101 tidak dapat dihubungi" in str(stopped.value)
    assert w.notes == [("eprogram", False)]


# -- the messages --------------------------------------------------------------

MESSAGES = {
    "no connection": (DOWN, "tidak dapat dihubungi (koneksi gagal, terputus atau waktu habis)"),
    "5xx": (BUSY, "terus menjawab galat HTTP 503"),
    "429": (TransientError("429", request="r", status_code=429), "terus membatasi permintaan"),
    "a token refused": (REVOKED, "menolak kredensial Sinkron (HTTP 401)"),
    "refused for good": (
        PermanentError("400", request="r", status_code=400, body=""),
        "menolak permintaan Sinkron (HTTP 400)",
    ),
}


@pytest.mark.parametrize("exc, says", MESSAGES.values(), ids=MESSAGES.keys())
def test_what_an_admin_reads(exc: Exception, says: str) -> None:
    assert isinstance(exc, TransientError | PermanentError)
    message = explain("eplanning", URL, exc)
    assert message.startswith(f"E-Planning di {URL} ")
    assert says in message
    assert "(rincian teknis: " in message


def test_the_outage_message_names_the_last_answer() -> None:
    assert "jawaban terakhir HTTP 503" in outage("eplanning", URL, BUSY, batches=3)
    assert "tidak ada jawaban" in outage("eplanning", URL, DOWN, batches=3)
    assert "tidak ada jawaban" in outage("eplanning", URL, None, batches=3)
