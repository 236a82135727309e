"""The harness scenarios build on: a stack, `sinkron sync` and `sinkron serve` as processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from reliability.harness import free_port, stack, stop


@pytest.mark.slow
def test_a_stack_syncs_serves_and_stops(tmp_path: Path) -> None:
    with stack(50, tmp_path, page_size="20") as s:
        log = tmp_path / "sync.log"
        assert s.start_sync(output=log).wait(timeout=120) == 0
        assert "berhasil" in log.read_text()
        assert len(s.holdings()) == 50
        assert s.stats("eplanning")["created"] == 50
        served = s.control("eprogram", "pages")["pages"]
        assert sum(1 for key in served if key.split("|")[2] == "20") == 3

        again = s.sync(full=False)
        assert again.returncode == 0, again.output
        assert [run["status"] for run in s.runs()] == ["succeeded", "succeeded"]

        port = free_port()
        service = s.serve(port)
        try:
            assert s.client.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        finally:
            stop(service)
        assert service.returncode is not None
