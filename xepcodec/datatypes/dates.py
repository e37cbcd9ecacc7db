"""XEP-0082: XMPP Date and Time Profiles.

Three profiles of ISO 8601 as XML Schema writes them: Date (``CCYY-MM-DD``), DateTime
(``CCYY-MM-DDThh:mm:ss[.sss]TZD``, the zone is mandatory) and Time
(``hh:mm:ss[.sss][TZD]``).  The older ``CCYYMMDDThh:mm:ss`` form, which the XEP
tells receivers of ``jabber:iq:time`` and ``jabber:x:delay`` to tolerate, is read
by :func:`parse_legacy_datetime` only, so that no modern field accepts it by accident.

Python keeps microseconds: fractions with more digits are truncated on parse, and
formatting writes no fraction, milliseconds or microseconds, whichever is exact.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

__all__ = [
    "format_date",
    "format_datetime",
    "format_time",
    "parse_date",
    "parse_datetime",
    "parse_legacy_datetime",
    "parse_time",
]

_ZONE = r"(?P<zone>Z|[+-]\d{2}:\d{2})"
_CLOCK = r"(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})(?:\.(?P<fraction>\d+))?"
_DAY = r"(?P<year>\d{4,})-(?P<month>\d{2})-(?P<day>\d{2})"

_DATE_RE = re.compile(_DAY)
_DATETIME_RE = re.compile(f"{_DAY}T{_CLOCK}{_ZONE}")
_TIME_RE = re.compile(f"{_CLOCK}{_ZONE}?")
# The usual shape of a DateTime, which datetime.fromisoformat reads to the same value as
# the groups of _DATETIME_RE do below, many times faster: ASCII digits, at most six
# digits of fraction, a zone of at most 23:59.  Anything else is read the long way.
_PLAIN_DATETIME_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)
_LEGACY_RE = re.compile(
    r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})T"
    r"(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})"
)


def _zone(text: str) -> timezone:
    if text == "Z":
        return UTC
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError(f"time zone offset {text!r} is out of range")
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if text[0] == "-" else offset)


def _micro(fraction: str | None) -> int:
    return int((fraction or "0")[:6].ljust(6, "0"))


def _match(pattern: re.Pattern[str], text: str, profile: str) -> re.Match[str]:
    found = pattern.fullmatch(text)
    if found is None:
        raise ValueError(f"{text!r} is not an XEP-0082 {profile}")
    return found


def parse_date(text: str) -> date:
    """Read a Date profile value (``CCYY-MM-DD``)."""
    m = _match(_DATE_RE, text, "Date (CCYY-MM-DD)")
    return date(int(m["year"]), int(m["month"]), int(m["day"]))


def parse_datetime(text: str) -> datetime:
    """Read a DateTime profile value; the result always carries its zone."""
    if _PLAIN_DATETIME_RE.fullmatch(text) is not None:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass  # a part out of range: read below, which says which one
    m = _match(_DATETIME_RE, text, "DateTime (CCYY-MM-DDThh:mm:ss[.sss]TZD)")
    return datetime(
        int(m["year"]), int(m["month"]), int(m["day"]),
        int(m["hour"]), int(m["minute"]), int(m["second"]), _micro(m["fraction"]),
        tzinfo=_zone(m["zone"]),
    )


def parse_time(text: str) -> time:
    """Read a Time profile value (``hh:mm:ss[.sss][TZD]``); the zone is optional."""
    m = _match(_TIME_RE, text, "Time (hh:mm:ss[.sss][TZD])")
    zone = _zone(m["zone"]) if m["zone"] else None
    return time(int(m["hour"]), int(m["minute"]), int(m["second"]), _micro(m["fraction"]),
                tzinfo=zone)


def parse_legacy_datetime(text: str) -> datetime:
    """Read the legacy ``CCYYMMDDThh:mm:ss`` form, which is always UTC."""
    m = _match(_LEGACY_RE, text, "legacy date-time (CCYYMMDDThh:mm:ss)")
    return datetime(int(m["year"]), int(m["month"]), int(m["day"]),
                    int(m["hour"]), int(m["minute"]), int(m["second"]), tzinfo=UTC)


def _format_zone(offset: timedelta | None) -> str:
    if offset is None:
        return ""
    if not offset:
        return "Z"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    if abs(offset) % timedelta(minutes=1):
        raise ValueError("XEP-0082 time zones are whole minutes")
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _format_clock(value: datetime | time) -> str:
    clock = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    micro = value.microsecond
    if micro % 1000 == 0:
        return clock if micro == 0 else f"{clock}.{micro // 1000:03d}"
    return f"{clock}.{micro:06d}"


def format_date(value: date) -> str:
    """Write a Date profile value."""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def format_datetime(value: datetime) -> str:
    """Write a DateTime profile value; a naive datetime is refused, as the profile has no
    form without a zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("an XEP-0082 DateTime needs a time zone; this datetime is naive")
    return f"{format_date(value)}T{_format_clock(value)}{_format_zone(value.utcoffset())}"


def format_time(value: time) -> str:
    """Write a Time profile value, with its zone when it has one."""
    return f"{_format_clock(value)}{_format_zone(value.utcoffset())}"
