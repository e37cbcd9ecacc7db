"""Tests for xepcodec.protocols.entity_time (XEP-0202 Entity Time).

The XML below is written for these tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from payloads import rejects, schema_accepts, typed

from xepcodec.core.stanzas import IqType
from xepcodec.errors import ArgumentValueError, ParseError
from xepcodec.model import encode
from xepcodec.protocols.entity_time import (
    NS_TIME,
    EntityTime,
    check_time_result,
    time_answer,
    time_request,
)


def _time(inner: str = "") -> str:
    return f"<time xmlns='{NS_TIME}'>{inner}</time>"


def test_request_and_answer() -> None:
    assert typed(_time()) == EntityTime()
    assert typed(_time()).is_request
    assert typed(_time()).local is None
    answer = typed(_time("<tzo>-06:00</tzo><utc>2031-04-01T17:58:35Z</utc>"))
    assert answer == EntityTime(tzo="-06:00", utc=datetime(2031, 4, 1, 17, 58, 35, tzinfo=UTC))
    assert answer.zone == timezone(-timedelta(hours=6))
    assert answer.local == datetime(2031, 4, 1, 11, 58, 35, tzinfo=timezone(-timedelta(hours=6)))
    assert answer.local is not None and answer.local.hour == 11
    check_time_result(answer)


@pytest.mark.parametrize("tzo", ["Z", "+00:00", "-00:00", "+05:45"])
def test_the_zone_offset_is_written_back_as_read(tzo: str) -> None:
    xml = f'<time xmlns="{NS_TIME}"><tzo>{tzo}</tzo><utc>2031-04-01T17:58:35Z</utc></time>'
    assert encode(typed(xml)) == xml.encode()


@given(moment=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1),
                           timezones=st.sampled_from([UTC, timezone(timedelta(hours=9)),
                                                      timezone(-timedelta(hours=3,
                                                                          minutes=30))])))
def test_at_keeps_the_instant_and_the_zone(moment: datetime) -> None:
    element = EntityTime.at(moment)
    assert element.tzo is not None and element.tzo[0] in "+-"  # numeric, never Z
    assert element.utc == moment
    assert element.utc is not None and element.utc.utcoffset() == timedelta(0)
    assert element.zone is not None
    assert element.zone.utcoffset(None) == moment.utcoffset()
    assert element.local == moment


@pytest.mark.parametrize(("inner", "words"), [
    ("<tzo>+01:00</tzo>", ["lacks <utc/>", "XEP-0202"]),
    ("<utc>2031-04-01T17:58:35Z</utc>", ["lacks <tzo/>"]),
    ("<tzo>+01:00</tzo><utc>2031-04-01T18:58:35+01:00</utc>", ["in UTC", "+01:00"]),
    ("<tzo>+1:00</tzo><utc>2031-04-01T17:58:35Z</utc>", ["tzo", "pattern"]),
    ("<tzo>+24:00</tzo><utc>2031-04-01T17:58:35Z</utc>", ["tzo", "pattern"]),
    ("<tzo>UTC</tzo><utc>2031-04-01T17:58:35Z</utc>", ["tzo", "pattern"]),
    ("<tzo>Z</tzo><utc>2031-04-01T17:58:35</utc>", ["utc", "XEP-0082"]),
    ("<tzo>Z</tzo><utc>2031-04-01T17:58:35Z</utc><dst/>", ["dst"]),
])
def test_rejections(inner: str, words: list[str]) -> None:
    error = rejects(_time(inner), *words)
    assert error.path is not None and error.path.startswith("/time")


def test_utc_is_written_as_a_numeric_offset() -> None:
    element = EntityTime.at(datetime(2031, 4, 1, 17, 58, 35, tzinfo=UTC))
    assert element.tzo == "+00:00"
    assert element.zone == UTC


def test_construction_applies_the_rules() -> None:
    with pytest.raises(ArgumentValueError, match="lacks <utc/>"):
        EntityTime(tzo="Z")
    with pytest.raises(ArgumentValueError, match="in UTC"):
        EntityTime(tzo="+02:00", utc=datetime(2031, 4, 1, tzinfo=timezone(timedelta(hours=2))))
    with pytest.raises(ArgumentValueError, match="aware"):
        EntityTime.at(datetime(2031, 4, 1))
    with pytest.raises(ArgumentValueError, match="whole minutes"):
        EntityTime.at(datetime(2031, 4, 1, tzinfo=timezone(timedelta(seconds=30))))


def test_check_time_result_refuses_an_empty_answer() -> None:
    with pytest.raises(ParseError, match="empty") as caught:
        check_time_result(EntityTime())
    assert caught.value.condition == "bad-request"


def test_request_and_answer_builders() -> None:
    request = time_request(id="t1")
    assert encode(request) == (b'<iq xmlns="jabber:client" type="get" id="t1">'
                               b'<time xmlns="urn:xmpp:time"/></iq>')
    now = datetime(2031, 4, 1, 19, 58, 35, tzinfo=timezone(timedelta(hours=2)))
    answer = time_answer(request, now)
    assert answer.type == IqType.RESULT
    assert encode(answer.payload) == (b'<time xmlns="urn:xmpp:time"><tzo>+02:00</tzo>'
                                      b'<utc>2031-04-01T17:58:35Z</utc></time>')
    with pytest.raises(ArgumentValueError, match="entity time request"):
        time_answer(answer, now)


@pytest.mark.parametrize(("xml", "valid"), [
    (_time("<utc>2031-04-01T17:58:35Z</utc><tzo>Z</tzo>"), True),
    (_time("<tzo>Z</tzo>"), False),
    (_time("<tzo>Z</tzo><utc>2031-04-01T17:58:35+01:00</utc>"), False),
])
def test_schema_and_model_agree(schema: etree.XMLSchema, xml: str, valid: bool) -> None:
    assert schema_accepts(schema, xml) is valid
    if valid:
        typed(xml)
    else:
        with pytest.raises(ParseError):
            typed(xml)
