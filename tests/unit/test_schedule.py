"""The nightly schedule's pure parts: scopes, cron validation, fire times in WIB."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from app.config import ConfigError
from app.runs.schedule import WIB, Schedule, ScheduleError, parse_scopes


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


# -- SINKRON_SYNC_SCOPES --------------------------------------------------------


def test_parse_scopes_reads_the_documented_example() -> None:
    assert parse_scopes("2026:renja,2026:apbd") == [(2026, "renja"), (2026, "apbd")]


def test_parse_scopes_tolerates_whitespace_case_and_a_trailing_comma() -> None:
    text = "  2026 : renja ,\n 2027:APBD_PERUBAHAN, 2026:kua_ppas ,"
    assert parse_scopes(text) == [(2026, "renja"), (2027, "apbd_perubahan"), (2026, "kua_ppas")]


@pytest.mark.parametrize("text", ["", "   ", " , ,"])
def test_parse_scopes_empty_is_no_scope(text: str) -> None:
    assert parse_scopes(text) == []


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2026", "bukan cakupan berbentuk 'tahun:tahap'"),
        ("2026-renja", "bukan cakupan berbentuk 'tahun:tahap'"),
        (":renja", "bukan cakupan berbentuk 'tahun:tahap'"),
        ("2026:", "bukan cakupan berbentuk 'tahun:tahap'"),
        ("dua ribu:renja", "tahun anggaran 'dua ribu'"),
        ("26:renja", "antara 2000 dan 2100"),
        ("2026:renja,2026:apdb", "tahap 'apdb' pada '2026:apdb' tidak dikenal"),
        ("2026:perubahan", "renja, rkpd, kua_ppas, apbd, apbd_perubahan"),
        ("2026:renja, 2026:RENJA", "lebih dari sekali"),
    ],
)
def test_parse_scopes_bad_input_names_the_variable(text: str, fragment: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_scopes(text)
    message = str(caught.value)
    assert message.startswith("SINKRON_SYNC_SCOPES: ")
    assert fragment in message


def test_schedule_error_is_a_config_error_and_a_value_error() -> None:
    with pytest.raises(ConfigError):
        parse_scopes("2026:x")
    with pytest.raises(ValueError, match="SINKRON_SYNC_SCOPES"):
        Schedule.from_text("0 1 * * *", "2026:x")


# -- SINKRON_SCHEDULE -----------------------------------------------------------


def test_from_text_normalises_whitespace_and_keeps_the_scopes() -> None:
    schedule = Schedule.from_text("  0  1 * *\t* ", "2026:renja,2026:apbd")
    assert schedule.expression == "0 1 * * *"
    assert schedule.scopes == ((2026, "renja"), (2026, "apbd"))


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("", "berisi 0 kolom, seharusnya 5"),
        ("0 1 * *", "berisi 4 kolom, seharusnya 5"),
        ("0 0 1 * * *", "berisi 6 kolom, seharusnya 5"),
        ("@daily", "berisi 1 kolom, seharusnya 5"),
        ("60 1 * * *", "kolom menit salah"),
        ("0 24 * * *", "kolom jam salah"),
        ("0 1 32 * *", "kolom tanggal salah"),
        ("0 1 30 2 *", "kolom tanggal salah"),
        ("0 1 * 13 *", "kolom bulan salah"),
        ("0 1 * * 8", "kolom hari salah"),
        ("*/0 * * * *", "kolom menit salah"),
        ("satu 1 * * *", "kolom menit salah"),
    ],
)
def test_bad_cron_expression_names_the_variable(expression: str, reason: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        Schedule.from_text(expression, "2026:renja")
    message = str(caught.value)
    assert message.startswith("SINKRON_SCHEDULE: ")
    assert reason in message
    assert "'0 1 * * *'" in message  # shows an example that works


def test_direct_construction_validates_too() -> None:
    with pytest.raises(ScheduleError, match="SINKRON_SCHEDULE"):
        Schedule("tiap malam")


@pytest.mark.parametrize(
    "expression", ["0 1 * * *", "*/5 * * * *", "30 23 * * MON-FRI", "0 0 L * *"]
)
def test_good_expressions_are_accepted(expression: str) -> None:
    assert Schedule.from_text(expression, "").expression == expression


# -- next_after -------------------------------------------------------------------


def test_next_after_is_read_in_wib_across_midnight_and_a_month_end() -> None:
    schedule = Schedule("0 1 * * *")
    # 2026-11-28T18:30Z is 01:30 WIB on the 29th: today's 01:00 has passed.
    fire = schedule.next_after(utc(2026, 11, 28, 18, 30))
    assert fire == wib(2026, 11, 30, 1, 0)
    assert fire.tzinfo is WIB
    assert fire.astimezone(UTC) == utc(2026, 11, 29, 18, 0)
    # 17:59Z on the 30th is 00:59 WIB on 1 December.
    assert schedule.next_after(utc(2026, 11, 30, 17, 59)) == wib(2026, 12, 1, 1, 0)
    # Across the year's end.
    assert schedule.next_after(utc(2026, 12, 31, 18, 0)) == wib(2027, 1, 2, 1, 0)


def test_next_after_is_strictly_after() -> None:
    schedule = Schedule("0 1 * * *")
    at_fire = wib(2026, 11, 29, 1, 0)
    assert schedule.next_after(at_fire) == wib(2026, 11, 30, 1, 0)
    assert schedule.next_after(at_fire - timedelta(microseconds=1)) == at_fire
    assert schedule.next_after(at_fire + timedelta(microseconds=500)) == wib(2026, 11, 30, 1, 0)


def test_next_after_month_ends_and_leap_days() -> None:
    last_day = Schedule("0 1 L * *")
    assert last_day.next_after(wib(2027, 2, 1)) == wib(2027, 2, 28, 1, 0)
    assert last_day.next_after(wib(2028, 2, 1)) == wib(2028, 2, 29, 1, 0)
    thirty_first = Schedule("0 1 31 * *")
    # November has no 31st: the next one is in December.
    assert thirty_first.next_after(wib(2026, 11, 1)) == wib(2026, 12, 31, 1, 0)


def test_next_after_every_five_minutes() -> None:
    schedule = Schedule("*/5 * * * *")
    assert schedule.next_after(wib(2026, 11, 29, 23, 58, 10)) == wib(2026, 11, 30, 0, 0)


def test_next_after_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        Schedule("0 1 * * *").next_after(datetime(2026, 11, 29, 1, 0))


# -- latest_at_or_before ------------------------------------------------------------


def test_latest_at_or_before_includes_the_moment_itself() -> None:
    schedule = Schedule("0 1 * * *")
    fire = wib(2026, 11, 29, 1, 0)
    assert schedule.latest_at_or_before(fire) == fire
    assert schedule.latest_at_or_before(fire + timedelta(microseconds=1)) == fire
    assert schedule.latest_at_or_before(fire - timedelta(microseconds=1)) == wib(2026, 11, 28, 1, 0)
    assert schedule.latest_at_or_before(fire + timedelta(hours=23, minutes=59)) == fire


def test_latest_at_or_before_in_wib_from_utc_and_across_a_month_start() -> None:
    schedule = Schedule("0 1 * * *")
    # 2026-11-30T17:00Z is 00:00 WIB on 1 December: the latest was 30 November.
    latest = schedule.latest_at_or_before(utc(2026, 11, 30, 17, 0))
    assert latest == wib(2026, 11, 30, 1, 0)
    assert latest is not None
    assert latest.tzinfo is WIB
    # 18:00Z on 30 November is 01:00 WIB on 1 December: that one.
    assert schedule.latest_at_or_before(utc(2026, 11, 30, 18, 0)) == wib(2026, 12, 1, 1, 0)


def test_latest_at_or_before_every_five_minutes() -> None:
    schedule = Schedule("*/5 * * * *")
    assert schedule.latest_at_or_before(wib(2026, 12, 1, 0, 3, 59)) == wib(2026, 12, 1, 0, 0)
    assert schedule.latest_at_or_before(wib(2026, 12, 1, 0, 0)) == wib(2026, 12, 1, 0, 0)
    assert schedule.latest_at_or_before(wib(2026, 11, 30, 23, 59)) == wib(2026, 11, 30, 23, 55)


def test_latest_at_or_before_reaches_far_back_quickly() -> None:
    leap_day = Schedule("0 1 29 2 *")
    started = time.perf_counter()
    assert leap_day.latest_at_or_before(wib(2031, 1, 1)) == wib(2028, 2, 29, 1, 0)
    assert Schedule("0 1 * * *").latest_at_or_before(wib(2026, 1, 1)) == wib(2025, 12, 31, 1, 0)
    assert time.perf_counter() - started < 0.5


def test_latest_and_next_bracket_any_moment() -> None:
    schedule = Schedule("0 1 * * *")
    moment = utc(2026, 11, 28, 18, 30)
    latest = schedule.latest_at_or_before(moment)
    assert latest is not None
    assert latest <= moment < schedule.next_after(moment)
    assert schedule.next_after(latest) == schedule.next_after(moment)
