"""app.observability.logs: one JSON object per line, the run id on every line of a run and on
no other, tracebacks kept, and no key or token in any line."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from app.observability.logs import RedactSecrets, bind_run, configure, register_secret

log = logging.getLogger("sinkron.test")
_QUIETED = ("httpx", "httpcore", "uvicorn.access")


class Stderr:
    """What `configure`'s handler wrote to stderr (pytest's capture of it)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self._text = ""

    def getvalue(self) -> str:
        self._text += self._capsys.readouterr().err
        return self._text


@pytest.fixture
def stderr(capsys: pytest.CaptureFixture[str]) -> Iterator[Stderr]:
    """Captured stderr; the root logger and the quieted loggers are put back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quieted = {name: logging.getLogger(name).level for name in _QUIETED}
    yield Stderr(capsys)
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    for name, old in quieted.items():
        logging.getLogger(name).setLevel(old)


def lines(buffer: Stderr) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_json_lines_carry_the_run_id_only_inside_bind_run(stderr: Stderr) -> None:
    configure(json_output=True)
    log.info("sebelum run")
    with bind_run(41):
        log.info("halaman %d ditarik", 3)
    log.info("sesudah run")

    before, during, after = lines(stderr)
    assert "run_id" not in before and "run_id" not in after
    assert during["run_id"] == 41
    assert during["message"] == "halaman 3 ditarik"
    assert during["level"] == "INFO"
    assert during["logger"] == "sinkron.test"
    when = datetime.fromisoformat(during["time"])
    assert when.utcoffset() == timedelta(0)


def test_run_id_follows_into_tasks_and_threads_started_inside(stderr: Stderr) -> None:
    configure(json_output=True)

    def in_thread(where: str) -> None:
        log.info(where)

    async def in_task() -> None:
        log.info("task")

    async def main() -> None:
        await asyncio.create_task(in_task())
        await asyncio.to_thread(in_thread, "to_thread")

    with bind_run(42):
        asyncio.run(main())
        thread = threading.Thread(
            target=contextvars.copy_context().run, args=(in_thread, "copied context")
        )
        thread.start()
        thread.join()
    asyncio.run(main())  # outside the run: no id

    got = [(line["message"], line.get("run_id")) for line in lines(stderr)]
    assert got == [
        ("task", 42),
        ("to_thread", 42),
        ("copied context", 42),
        ("task", None),
        ("to_thread", None),
    ]


def test_concurrent_runs_keep_their_own_ids(stderr: Stderr) -> None:
    configure(json_output=True)

    async def run(run_id: int) -> None:
        with bind_run(run_id):
            for page in (1, 2):
                log.info("run %d halaman %d", run_id, page)
                await asyncio.sleep(0)

    async def both() -> None:
        await asyncio.gather(run(1), run(2))

    asyncio.run(both())
    got = lines(stderr)
    assert len(got) == 4
    assert {line["message"]: line["run_id"] for line in got} == {
        "run 1 halaman 1": 1,
        "run 1 halaman 2": 1,
        "run 2 halaman 1": 2,
        "run 2 halaman 2": 2,
    }


def test_exception_and_extra_fields_are_in_the_line(stderr: Stderr) -> None:
    configure(json_output=True)
    try:
        raise ValueError("pagu bukan angka")
    except ValueError:
        log.exception("data dilewati — Dinas Pekerjaan Umum", extra={"halaman": 3})

    (line,) = lines(stderr)
    assert line["level"] == "ERROR"
    assert line["halaman"] == 3
    assert "Traceback" in line["exc"]
    assert "ValueError: pagu bukan angka" in line["exc"]
    # ensure_ascii=False: Indonesian text and punctuation stay readable.
    assert "— Dinas" in stderr.getvalue()


def test_secrets_never_reach_the_log(stderr: Stderr) -> None:
    eprogram_key = "ep-key-7f3a9c2e51"
    eplanning_token = "tok/with+odd=chars"
    register_secret(eprogram_key)
    register_secret(eplanning_token)
    configure(json_output=True)

    log.info("kunci dipakai: %s", eprogram_key)
    log.info("token dalam URL: https://eplanning.test/x?t=%s", quote(eplanning_token, safe=""))
    log.info("headers: Authorization: Bearer unregistered.jwt-value")
    log.info("headers: %s", {"X-API-Key": "unregistered-api-key", "Accept": "application/json"})
    log.info("GET /api/v1/sub-kegiatan?tahun_anggaran=2026&api_key=qs-secret-1&limit=500")
    log.warning("tercatat", extra={"url": "https://ep.test/?token=qs-secret-2"})
    try:
        raise RuntimeError(f"ditolak dengan kunci {eprogram_key}")
    except RuntimeError:
        log.exception("gagal")

    text = stderr.getvalue()
    for secret in (
        eprogram_key,
        eplanning_token,
        quote(eplanning_token, safe=""),
        "unregistered.jwt-value",
        "unregistered-api-key",
        "qs-secret-1",
        "qs-secret-2",
    ):
        assert secret not in text
    messages = [line["message"] for line in lines(stderr)]
    assert messages[0] == "kunci dipakai: ***"
    assert messages[2] == "headers: Authorization: Bearer ***"
    # Only the credential goes; the rest of the line stays useful.
    assert messages[4] == "GET /api/v1/sub-kegiatan?tahun_anggaran=2026&api_key=***&limit=500"
    assert "application/json" in messages[3]
    assert lines(stderr)[-1]["exc"].endswith("RuntimeError: ditolak dengan kunci ***")


def test_a_call_with_too_few_arguments_is_still_redacted() -> None:
    """Logging reports such a mistake with the raw arguments; the filter masks them first."""
    register_secret("short-args-secret-9")
    record = logging.LogRecord(
        "sinkron.test", logging.INFO, __file__, 1, "kunci %s dan %s", ("short-args-secret-9",), None
    )
    assert RedactSecrets().filter(record)
    assert record.getMessage() == "kunci %s dan %s (argumen log tidak cocok: ('***',))"


def test_text_output_shows_the_run_and_is_redacted(stderr: Stderr) -> None:
    register_secret("text-secret-0042")
    configure(json_output=False)
    with bind_run(7):
        log.warning("kunci %s ditolak", "text-secret-0042")
    log.warning("di luar run")

    inside, outside = stderr.getvalue().splitlines()
    assert "[run 7]" in inside
    assert "WARNING sinkron.test [run 7] kunci *** ditolak" in inside
    assert "[run" not in outside
    assert "text-secret-0042" not in stderr.getvalue()


def test_configure_twice_installs_one_handler(stderr: Stderr) -> None:
    root = logging.getLogger()
    before = len(root.handlers)
    configure(json_output=False)
    configure("DEBUG", json_output=True)
    assert len(root.handlers) == before + 1
    assert root.level == logging.DEBUG

    log.debug("sekali")
    (line,) = lines(stderr)  # JSON, the second call's choice, and only one copy
    assert line["message"] == "sekali"


def test_json_when_stderr_is_not_a_terminal_and_noisy_loggers_quiet(stderr: Stderr) -> None:
    configure()  # pytest's captured stderr is not a TTY
    logging.getLogger("httpx").info("HTTP Request: GET https://eprogram.test/ 200 OK")
    logging.getLogger("uvicorn.access").info("GET /healthz 200")
    log.info("terlihat")
    assert [line["message"] for line in lines(stderr)] == ["terlihat"]
