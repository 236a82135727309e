"""When digests go: the weekly schedule read as the run schedule is, naming its own
variable, and the wait between tries after a failed send."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.config import Settings
from app.digests.layanan import jadwal_mingguan, tunggu
from app.runs.schedule import ScheduleError
from mappings.normalise import WIB


def settings(**values: str) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg,arg-type]


def test_the_weekly_schedule_is_cron_in_wib_over_the_sync_scopes() -> None:
    jadwal = jadwal_mingguan(settings(digest_schedule="0 7 * * 1", sync_scopes="2027:renja"))
    assert jadwal.scopes == ((2027, "renja"),)
    assert jadwal.next_after(datetime(2026, 12, 7, 8, 0, tzinfo=WIB)) == datetime(
        2026, 12, 14, 7, 0, tzinfo=WIB
    )


@pytest.mark.parametrize(
    ("expression", "said"),
    [
        ("0 7 * *", "berisi 4 kolom, seharusnya 5"),
        ("61 7 * * 1", "kolom menit salah"),
        ("0 7 * * senin", "kolom hari salah"),
    ],
)
def test_a_bad_weekly_schedule_names_its_own_variable(expression: str, said: str) -> None:
    with pytest.raises(ScheduleError, match=f"^SINKRON_DIGEST_SCHEDULE: .*{said}"):
        jadwal_mingguan(settings(digest_schedule=expression))


@pytest.mark.parametrize(
    ("percobaan", "menit"),
    [(0, 1), (1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (50, 60)],
)
def test_a_failed_send_waits_longer_each_time_at_most_an_hour(percobaan: int, menit: int) -> None:
    assert tunggu(percobaan) == timedelta(minutes=menit)
