"""Tests for xepcodec.protocols.last_activity (XEP-0012 Last Activity).

The XML below is written for these tests.
"""

from __future__ import annotations

import pytest
from lxml import etree
from payloads import rejects, schema_accepts, typed

from xepcodec.core.stanzas import IqType
from xepcodec.errors import ArgumentValueError, ParseError
from xepcodec.model import encode
from xepcodec.protocols.last_activity import (
    NS_LAST,
    LastActivity,
    check_last_result,
    last_answer,
    last_request,
)


def _query(inner: str = "", attrs: str = "") -> str:
    return f"<query xmlns='{NS_LAST}'{attrs}>{inner}</query>"


def test_request_and_answers() -> None:
    assert typed(_query()) == LastActivity()
    assert typed(_query()).is_request
    assert typed(_query("\n  ")).is_request  # an indented request is still empty
    uptime = typed(_query(attrs=" seconds='123456'"))
    assert uptime == LastActivity(seconds=123456)
    assert typed(_query(attrs=f" seconds='{2**64 - 1}'")).seconds == 2**64 - 1
    away = typed(_query("Gone fishing", " seconds='0'"))
    assert away == LastActivity(seconds=0, status="Gone fishing")
    check_last_result(away)
    assert encode(away) == b'<query xmlns="jabber:iq:last" seconds="0">Gone fishing</query>'


@pytest.mark.parametrize(("xml", "words", "path"), [
    (_query("Gone fishing"), ["status text", "'seconds'", "XEP-0012"], "/query"),
    (_query(attrs=" seconds='-1'"), ["seconds", "minimum"], "/query/@seconds"),
    (_query(attrs=" seconds='soon'"), ["seconds", "integer"], "/query/@seconds"),
    (_query(attrs=f" seconds='{2**64}'"), ["seconds", "maximum"], "/query/@seconds"),
    (_query(attrs=" idle='1'"), ["idle"], "/query/@idle"),
    (_query("<status>x</status>", " seconds='1'"), ["status"], "/query/status"),
])
def test_rejections(xml: str, words: list[str], path: str) -> None:
    error = rejects(xml, *words)
    assert error.path == path


def test_construction_applies_the_rule() -> None:
    with pytest.raises(ArgumentValueError, match="status text"):
        LastActivity(status="Gone fishing")
    with pytest.raises(ArgumentValueError, match="minimum"):
        LastActivity(seconds=-5)


def test_check_last_result_refuses_an_empty_answer() -> None:
    with pytest.raises(ParseError, match="'seconds'") as caught:
        check_last_result(LastActivity())
    assert caught.value.condition == "bad-request"


def test_request_and_answer_builders() -> None:
    request = last_request(id="l1")
    assert encode(request) == (b'<iq xmlns="jabber:client" type="get" id="l1">'
                               b'<query xmlns="jabber:iq:last"/></iq>')
    answer = last_answer(request, seconds=903, status="Heading out")
    assert answer.type == IqType.RESULT
    assert answer.payload == LastActivity(seconds=903, status="Heading out")
    with pytest.raises(ArgumentValueError, match="last activity request"):
        last_answer(answer, seconds=1)


def test_a_status_without_seconds_is_a_rule_only_the_model_checks(
        schema: etree.XMLSchema) -> None:
    xml = _query("Gone fishing")
    assert schema_accepts(schema, xml)
    with pytest.raises(ParseError):
        typed(xml)
