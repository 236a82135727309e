"""Structured logs: JSON lines when nobody watches a terminal, every line of a run with its id,
and no key or token in any line.

`configure` installs one handler on the root logger; `bind_run` marks what a run logs;
`register_secret` adds the service's own credentials to what `RedactSecrets` masks.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import quote

from mappings.normalise import WIB

MASK = "***"

run_id_var: ContextVar[int | None] = ContextVar("sinkron_run_id", default=None)
"""The run whose work is being logged; None outside a run."""

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}

# Credentials in text the service itself writes: header dumps, reprs, URLs.
_PATTERNS = (
    # X-API-Key: abc · 'X-API-Key': 'abc' · x-api-key=abc
    re.compile(r"""(x-api-key['"]?\s*[:=,]\s*['"]?)[^\s'",;}&]+""", re.IGNORECASE),
    # Authorization: Bearer abc · Authorization: Basic abc · 'authorization': 'abc'
    re.compile(
        r"""(authorization['"]?\s*[:=,]\s*['"]?(?:(?:bearer|basic|token)\s+)?)[^\s'",;}]+""",
        re.IGNORECASE,
    ),
    # a bare "Bearer abc", e.g. from a tuple of header pairs
    re.compile(r"""(\bbearer\s+)[^\s'",;}]+""", re.IGNORECASE),
    # ?api_key=abc&token=def&key=ghi
    re.compile(r"""([?&](?:api_key|apikey|access_token|token|key)=)[^&\s'"#]+""", re.IGNORECASE),
)


class _Secrets:
    """The exact values to mask. The pattern is swapped whole, so readers need no lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: frozenset[str] = frozenset()
        self.pattern: re.Pattern[str] | None = None

    def add(self, value: str) -> None:
        with self._lock:
            self._values |= {value, quote(value, safe="")}
            # Longest first, so a secret that contains another is masked whole.
            ordered = sorted(self._values, key=len, reverse=True)
            self.pattern = re.compile("|".join(re.escape(v) for v in ordered))


_SECRETS = _Secrets()


def register_secret(value: str) -> None:
    """Mask every later occurrence of `value` (and its URL-encoded form) in log lines.

    The service registers its E-Program key and E-Planning token at start, so a
    secret is masked even where no pattern would recognise it (an error message
    echoing a URL, a dumped config).
    """
    value = value.strip()
    if value:
        _SECRETS.add(value)


def redact(text: str) -> str:
    """`text` with registered secrets and credential-looking values replaced by ``***``."""
    pattern = _SECRETS.pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    for credential in _PATTERNS:
        text = credential.sub(rf"\g<1>{MASK}", text)
    return text


class RedactSecrets(logging.Filter):
    """Masks secrets in a record's message, its traceback and its string `extra` fields.

    The message is rendered here (args merged in) and the record rewritten, so every
    formatter and handler after this filter sees the masked text. Put it on the
    handler: a logger's filter does not see records propagated from its children.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            # Format and arguments do not match. Logging's own error report would print
            # both as they are, so show them, masked, instead of the message.
            message = f"{record.msg} (argumen log tidak cocok: {record.args!r})"
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in extra_fields(record).items():
            if isinstance(value, str):
                setattr(record, name, redact(value))
        return True


@contextlib.contextmanager
def bind_run(run_id: int) -> Iterator[None]:
    """Log everything inside the block as part of run `run_id`.

    Asyncio tasks created inside inherit it, and so do threads started with
    `asyncio.to_thread`, `anyio.to_thread.run_sync` or `contextvars.copy_context().run`;
    a bare `threading.Thread` starts with an empty context and does not.
    """
    token = run_id_var.set(run_id)
    try:
        yield
    finally:
        run_id_var.reset(token)


def current_run_id(record: logging.LogRecord) -> int | None:
    """The run a record belongs to: an explicit ``extra={"run_id": ...}``, else the bound run."""
    explicit = getattr(record, "run_id", None)
    return explicit if isinstance(explicit, int) else run_id_var.get()


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """What the caller passed as ``extra=``, minus ``run_id`` (shown on its own)."""
    return {k: v for k, v in record.__dict__.items() if k not in _RECORD_ATTRS and k != "run_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, run_id when
    bound, the caller's `extra` fields, and ``exc`` with the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        run_id = current_run_id(record)
        if run_id is not None:
            line["run_id"] = run_id
        for name, value in extra_fields(record).items():
            line.setdefault(name, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For a person at a terminal: ``2026-05-01 01:00:02 WIB INFO app.sync [run 7] message``."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, WIB).strftime("%Y-%m-%d %H:%M:%S WIB")
        run_id = current_run_id(record)
        run = f" [run {run_id}]" if run_id is not None else ""
        extras = "".join(f" {k}={v}" for k, v in extra_fields(record).items())
        text = f"{when} {record.levelname:<7} {record.name}{run} {record.getMessage()}{extras}"
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            text = f"{text}\n{record.exc_text}"
        if record.stack_info:
            text = f"{text}\n{self.formatStack(record.stack_info)}"
        return text


class _SinkronHandler(logging.StreamHandler[TextIO]):
    """Ours, so `configure` can find and replace it instead of adding a second one."""


# Chatty at INFO: httpx logs every request, uvicorn every access.
_QUIET = ("httpx", "httpcore", "uvicorn.access")


def configure(level: str = "INFO", *, json_output: bool | None = None) -> None:
    """Send all logs to stderr through one redacting handler; safe to call again.

    JSON when `json_output` is True, or when it is None and stderr is not a terminal
    (a service under systemd or in a container); readable text otherwise.
    """
    if json_output is None:
        json_output = not _is_terminal(sys.stderr)
    handler = _SinkronHandler(sys.stderr)
    handler.addFilter(RedactSecrets())
    handler.setFormatter(JsonFormatter() if json_output else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _SinkronHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
