"""XEP-0082 date and time profiles (xepcodec.datatypes.dates, found by xep(82) too)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import xepcodec
from xepcodec.datatypes import dates
from xepcodec.datatypes.dates import (
    format_date,
    format_datetime,
    format_time,
    parse_date,
    parse_datetime,
    parse_legacy_datetime,
    parse_time,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("1969-07-21T02:56:15Z", datetime(1969, 7, 21, 2, 56, 15, tzinfo=UTC)),
    ("1969-07-20T21:56:15-05:00",
     datetime(1969, 7, 20, 21, 56, 15, tzinfo=timezone(-timedelta(hours=5)))),
    ("2002-09-10T23:41:07.123Z", datetime(2002, 9, 10, 23, 41, 7, 123000, tzinfo=UTC)),
    ("2002-09-10T23:41:07.1234567891Z", datetime(2002, 9, 10, 23, 41, 7, 123456, tzinfo=UTC)),
])
def test_datetimes_read(text: str, expected: datetime) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("text", [
    "1969-07-21T02:56:15",  # no zone: the DateTime profile requires one
    "1969-07-21 02:56:15Z",
    "1969-7-21T02:56:15Z",
    "1969-07-21T02:56:15+5:00",
    "1969-13-21T02:56:15Z",
    "1969-07-21T02:56:15+24:00",
    "19690721T02:56:15",  # the legacy form is only read by its own function
])
def test_malformed_datetimes_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"XEP-0082|out of range|month|hour"):
        parse_datetime(text)


def test_dates_times_and_the_legacy_form() -> None:
    assert parse_date("1776-07-04") == date(1776, 7, 4)
    assert parse_time("16:00:00") == time(16, 0)
    assert parse_time("16:00:00.5+01:00") == time(16, 0, 0, 500000,
                                                  tzinfo=timezone(timedelta(hours=1)))
    assert parse_legacy_datetime("20020910T23:41:07") == datetime(2002, 9, 10, 23, 41, 7,
                                                                  tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_date("1776-07-04Z")


def test_formatting_chooses_the_shortest_exact_fraction() -> None:
    moment = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert format_datetime(moment) == "2020-01-02T03:04:05Z"
    assert format_datetime(moment.replace(microsecond=250000)) == "2020-01-02T03:04:05.250Z"
    assert format_datetime(moment.replace(microsecond=1)) == "2020-01-02T03:04:05.000001Z"
    assert format_time(time(1, 2, 3)) == "01:02:03"
    assert format_date(date(999, 1, 1)) == "0999-01-01"


def test_a_naive_datetime_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_datetime(datetime(2020, 1, 1))


def test_seconds_in_a_zone_offset_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="whole minutes"):
        format_datetime(datetime(2020, 1, 1, tzinfo=timezone(timedelta(seconds=30))))


_ZONES = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=_ZONES))
def test_datetimes_round_trip(moment: datetime) -> None:
    again = parse_datetime(format_datetime(moment))
    assert again == moment and again.utcoffset() == moment.utcoffset()


@given(st.dates())
def test_dates_round_trip(day: date) -> None:
    assert parse_date(format_date(day)) == day


@given(st.times(timezones=st.none() | _ZONES))
def test_times_round_trip(moment: time) -> None:
    again = parse_time(format_time(moment))
    assert again == moment and again.utcoffset() == moment.utcoffset()


def test_the_protocol_module_by_number_is_these_functions() -> None:
    by_number = xepcodec.xep(82)
    assert by_number.__all__ == dates.__all__
    for name in dates.__all__:
        assert getattr(by_number, name) is getattr(dates, name), name
