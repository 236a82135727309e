"""ServerThread serves over real HTTP and stops cleanly; `python -m standins` runs and exits."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import httpx
import pytest

from standins.dataset import EProgramDataset
from standins.eprogram import create_app
from standins.server import ServerThread


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_server_thread_serves_on_a_free_port_and_stops() -> None:
    server = ServerThread(create_app(EProgramDataset()))
    with server:
        assert server.url == f"http://127.0.0.1:{server.port}" and server.port > 0
        assert httpx.get(f"{server.url}/_standin/stats").status_code == 200
    assert not server.thread.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/_standin/stats")


def test_server_thread_uses_the_port_it_is_given() -> None:
    port = free_port()
    with ServerThread(create_app(EProgramDataset()), port=port) as server:
        assert server.url == f"http://127.0.0.1:{port}"
        assert httpx.get(f"{server.url}/_standin/faults").status_code == 200


def test_cli_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "standins", "--help"],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0
    for option in ("--size", "--seed", "--tahun", "--tahap", "--nomenklatur"):
        assert option in result.stdout


# A signal whose handler runs while the main thread is in a finalizer (a
# collection of garbage the server threads left): a KeyboardInterrupt raised
# there is printed as ignored and lost, and the CLI served on after Ctrl-C.
_SIGNAL_IN_A_FINALIZER = """
import os, signal
from standins.server import stop_on_signals
stop = stop_on_signals()
class Finalized:
    def __del__(self):
        os.kill(os.getpid(), signal.SIG{name})
        for _ in range(1000):  # the handler runs in here
            pass
Finalized()
print("berhenti" if stop.wait(5) else "jalan terus")
"""


@pytest.mark.parametrize("name", ["INT", "TERM"])
def test_a_signal_that_arrives_in_a_finalizer_still_stops_the_cli(name: str) -> None:
    script = _SIGNAL_IN_A_FINALIZER.format(name=name)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.stdout.strip() == "berhenti", done.stderr
    assert "Exception ignored" not in done.stderr


def test_cli_serves_both_stand_ins_until_ctrl_c() -> None:
    command = [sys.executable, "-m", "standins", "--size", "300"]
    command += ["--eprogram-port", str(free_port()), "--eplanning-port", str(free_port())]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(2)]
        eprogram_url = banner[0].split()[2]
        eplanning_url = banner[1].split()[2]
        page = httpx.get(
            f"{eprogram_url}/api/v1/sub-kegiatan",
            params={"tahun_anggaran": 2027, "tahap": "renja", "limit": 1000},
            headers={"X-API-Key": "eprogram-dev-key"},
        ).json()
        assert len(page["data"]) == 300
        units = httpx.get(
            f"{eplanning_url}/api/v1/referensi/perangkat-daerah",
            params={"tahun_anggaran": 2027},
            headers={"Authorization": "Bearer eplanning-dev-token"},
        ).json()["items"]
        assert {r["kode_sub_skpd"] for r in page["data"]} <= {u["kode"] for u in units}
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "Traceback" not in err
    assert "Berhenti" in out
