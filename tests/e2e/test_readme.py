"""The README's examples work as printed against `make demo`: they name the demo's
tahun and tahap, and its curl and `sinkron` lines, pasted into a shell after the
demo started, answer with data."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from demo.run import DEMO_API_KEY, DEMO_TOKEN, TAHAP, TAHUN
from tests.conftest import SERVICE_TIMEOUT

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent


def example_commands() -> list[str]:
    """Every command of the README's shell blocks, continuation lines joined,
    comments dropped, alternatives (`a | b` in the synopsis) apart."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            bare = re.sub(r"\s+#.*$", "", line).strip()
            commands += [part.strip() for part in bare.split(" | ") if part.strip()]
    return commands


COMMANDS = example_commands()
CURLS = [c for c in COMMANDS if c.startswith("curl ")]
SINKRONS = [c for c in COMMANDS if c.startswith("sinkron ")]

TAHUN_SAID = re.compile(
    r"--tahun (\d+)|tahun(?:_anggaran)?=(\d+)|\"tahun_anggaran\": (\d+)|\b(\d{4}):[a-z]|"
    r"tahun anggaran (\d+)"
)
TAHAP_SAID = re.compile(r"--tahap (\w+)|tahap=(\w+)|\"tahap\": \"(\w+)\"")


def said(pattern: re.Pattern[str], text: str) -> list[str]:
    return [next(g for g in m.groups() if g) for m in pattern.finditer(text)]


def test_every_tahun_in_the_readme_is_the_demos() -> None:
    years = said(TAHUN_SAID, README)

    assert len(years) >= 14  # the examples, the configuration table, the demo's text
    assert set(years) == {str(TAHUN)}


def test_every_example_command_names_the_demos_tahap() -> None:
    tahap = [t for command in CURLS + SINKRONS for t in said(TAHAP_SAID, command)]

    assert len(tahap) >= 10
    assert set(tahap) == {TAHAP}


@dataclass
class Demo:
    url: str
    key: str
    eprogram: str
    eplanning: str
    database_url: str
    smtp: str


def _lines(stream: object, into: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        into.put(line)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`make demo` as a new user starts it (a port of its own, a database of its own);
    one for this module's tests, which each leave it as a new user would find it."""
    tmp_path = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINKRON_")}
    env["SINKRON_DATABASE_URL"] = database_url = f"sqlite:///{tmp_path / 'sinkron.db'}"
    with (tmp_path / "demo.err").open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "demo", "--port", "0"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True).start()
    shown = ""
    deadline = time.monotonic() + 300
    try:
        while "Tekan Ctrl-C" not in shown:
            assert process.poll() is None, (tmp_path / "demo.err").read_text()[-2000:]
            try:
                shown += lines.get(timeout=max(deadline - time.monotonic(), 0.1))
            except queue.Empty:
                raise AssertionError(f"the demo did not come up: {shown[-2000:]}") from None

        def found(pattern: str) -> str:
            match = re.search(pattern, shown)
            assert match, f"{pattern} not in {shown}"
            return match.group(1)

        yield Demo(
            url=found(r"layanan Sinkron\s+(http://\S+)/docs"),
            key=found(r"kunci admin demo: (skr_[\w-]+)"),
            eprogram=found(r"E-Program tiruan\s+(http://[^/\s]+)"),
            eplanning=found(r"E-Planning tiruan\s+(http://[^/\s]+)"),
            database_url=database_url,
            smtp=found(r"kotak surat demo\s+smtp://(\S+)"),
        )
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def paste(command: str, *, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """One README line in bash, as pasted (uuidgen is not on every machine)."""
    fallback = f'command -v uuidgen >/dev/null || uuidgen() {{ "{sys.executable}" -c "import uuid; print(uuid.uuid4())"; }}\n'  # noqa: E501
    return subprocess.run(
        ["bash", "-c", fallback + command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def wait_until_idle(demo: Demo) -> None:
    """What a person does after starting a run: look at the status until it is done."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = httpx.get(
            f"{demo.url}/api/v1/status", headers={"X-API-Key": demo.key}, timeout=SERVICE_TIMEOUT
        ).json()
        if status["current_run"] is None:
            return
        time.sleep(0.2)
    raise AssertionError(f"the run did not finish: {status}")


def test_the_readme_curl_examples_answer_with_data_from_the_demo(
    demo: Demo, tmp_path: Path
) -> None:
    env = {**os.environ, "KEY": demo.key, "S": demo.url, "J": "Content-Type: application/json"}
    here = tmp_path / "curl"
    here.mkdir()
    assert len(CURLS) >= 20
    for command in CURLS:
        done = paste(command.replace("curl ", "curl -sS -w '\\n%{http_code}' ", 1),
                     env=env, cwd=here)  # fmt: skip
        body, _, code = done.stdout.rpartition("\n")
        status = int(code)
        if "/cancel" in command:
            expected = {202, 409}  # 409 once the run it names has finished
        elif re.search(r"/dead-letters/\d+/retry", command):
            expected = {200, 404}  # the demo has no dead letter
        elif re.search(r"/api/v1/runs/\d+/(setujui|tolak)$", command):
            expected = {200, 202, 409}  # 409 once the plan it names is decided
        elif "-X POST" in command and re.search(r"/api/v1/runs$", command):
            expected = {202}
        else:
            expected = set(range(200, 300))
        assert status in expected, (command, status, body)
        if status == 202 and "/api/v1/runs" in command:
            wait_until_idle(demo)
        if body.startswith("{") and "/dead-letters" not in command:
            answer = json.loads(body)
            if "items" in answer:
                assert answer["items"], f"no data for {command}"
            if "opd" in answer:
                assert answer["opd"], f"no OPD for {command}"
            assert answer.get("peringatan") is None, (command, answer)
    downloads = sorted(p.suffix for p in here.iterdir() if p.stat().st_size > 0)
    assert downloads == [".csv", ".xlsx"]


# A decision needs a plan that waits (tests/e2e/test_cli_rencana.py decides on them).
NOT_HERE = (
    "sinkron serve",
    "sinkron worker",
    "sinkron db restore",
    "sinkron nomenklatur import",
    "sinkron rencana setujui",
    "sinkron rencana tolak",
)


def runnable(command: str, folder: Path) -> str:
    """A synopsis line with its placeholders filled in and its options all given."""
    text = command.replace("[", "").replace("]", "").replace(" ...", "")
    text = text.replace("admin|planner", "planner").replace("/cadangan/", f"{folder}/")
    text = re.sub(r"--xlsx BERKAS", f"--xlsx {folder}/laporan.xlsx", text)
    text = re.sub(r"--csv BERKAS", f"--csv {folder}/laporan.csv", text)
    text = re.sub(r"\bBERKAS\b", f"{folder}/cadangan-readme.backup", text)
    text = re.sub(r"\bNAMA\b", "contoh-readme", text)
    text = re.sub(r"\bEMAIL\b", "contoh.readme@merantikab.go.id", text)
    text = re.sub(r"\bKODE_SKPD\b", "1.02.0.00.0.00.01.0000", text)
    return re.sub(r"\bID\b", "1", text)


def test_the_readme_sinkron_examples_run_against_the_demo(demo: Demo, tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SINKRON_")},
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "SINKRON_DATABASE_URL": demo.database_url,
        "SINKRON_EPROGRAM_URL": demo.eprogram,
        "SINKRON_EPROGRAM_API_KEY": DEMO_API_KEY,
        "SINKRON_EPLANNING_URL": demo.eplanning,
        "SINKRON_EPLANNING_TOKEN": DEMO_TOKEN,
        # `sinkron digest kirim` sends to the demo's own mailbox
        "SINKRON_SMTP_HOST": demo.smtp.rpartition(":")[0],
        "SINKRON_SMTP_PORT": demo.smtp.rpartition(":")[2],
        "SINKRON_SMTP_STARTTLS": "false",
    }
    folder = tmp_path / "berkas"
    folder.mkdir()
    ran = []
    for command in SINKRONS:
        if command.startswith(NOT_HERE):
            continue  # a server or worker of its own, a restore under the running demo, a SIPD file
        line = runnable(command, folder)
        done = paste(line, env=env, cwd=folder)
        assert done.returncode == 0, (line, done.stdout, done.stderr)
        assert "galat" not in done.stderr and "peringatan" not in done.stdout, (line, done)
        ran.append(line.split()[1:3])
    assert ["sync", "--tahun"] in ran and ["laporan", "--tahun"] in ran
    assert (folder / "laporan.xlsx").stat().st_size > 0
    assert (folder / "laporan.csv").stat().st_size > 0
