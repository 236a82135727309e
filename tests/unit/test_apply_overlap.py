"""The apply stage records a page in a thread while the next one is pushed
(app.sync.apply): a stop that comes meanwhile must not leave that recording
running behind the run's end, nor cut it short."""

from __future__ import annotations

import asyncio
import threading

import pytest

from app.sync.apply import _whole


def test_a_stop_waits_for_the_page_being_recorded_to_end() -> None:
    started, release = threading.Event(), threading.Event()
    ended: list[str] = []

    def record(name: str) -> None:
        started.set()
        release.wait(10)
        ended.append(name)

    async def run() -> None:
        recording = asyncio.ensure_future(_whole(record, "halaman 1"))
        await asyncio.to_thread(started.wait, 10)
        recording.cancel()  # the run is stopped while the page is being recorded
        await asyncio.sleep(0.05)
        assert not recording.done(), "the stop went on while the page was being recorded"
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await recording

    asyncio.run(run())
    assert ended == ["halaman 1"]


def test_a_recording_that_fails_fails_the_stage() -> None:
    def record() -> None:
        raise RuntimeError("lease hilang")

    with pytest.raises(RuntimeError, match="lease hilang"):
        asyncio.run(_whole(record))
