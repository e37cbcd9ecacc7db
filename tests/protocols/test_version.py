"""Tests for xepcodec.protocols.version (XEP-0092 Software Version).

The XML below is written for these tests.
"""

from __future__ import annotations

import pytest
from lxml import etree
from payloads import rejects, schema_accepts, typed

import xepcodec
from xepcodec.core.stanzas import IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ParseError
from xepcodec.model import encode
from xepcodec.protocols.ping import ping_request
from xepcodec.protocols.version import (
    NS_VERSION,
    VersionQuery,
    check_version_result,
    version_answer,
    version_request,
)


def _query(inner: str = "") -> str:
    return f"<query xmlns='{NS_VERSION}'>{inner}</query>"


def test_request_and_answer() -> None:
    assert typed(_query()) == VersionQuery()
    assert typed(_query()).is_request
    answer = typed(_query("<name>Quill</name><version>2.1</version><os>Plan 9</os>"))
    assert answer == VersionQuery(name="Quill", version="2.1", os="Plan 9")
    assert not answer.is_request
    # The XEP writes name, version, os; another order means the same.
    assert typed(_query("<version>2.1</version><name>Quill</name>")) == \
        VersionQuery(name="Quill", version="2.1")
    check_version_result(answer)


@pytest.mark.parametrize(("inner", "words"), [
    ("<name>Quill</name>", ["lacks <version/>", "XEP-0092"]),
    ("<version>2.1</version>", ["lacks <name/>"]),
    ("<os>Plan 9</os>", ["lacks <name/> and <version/>"]),
    ("<name>a</name><name>b</name><version>1</version>", ["only one <name/>"]),
    ("<name>a</name><version>1</version><kernel>x</kernel>", ["kernel", "own namespace"]),
    ("<name><b/></name><version>1</version>", ["text only"]),
    ("free text", ["no text"]),
])
def test_rejections(inner: str, words: list[str]) -> None:
    error = rejects(_query(inner), *words)
    assert error.path is not None and error.path.startswith("/query")


def test_construction_applies_the_rule() -> None:
    with pytest.raises(ArgumentValueError, match="lacks <version/>"):
        VersionQuery(name="Quill")


def test_check_version_result_refuses_an_empty_answer() -> None:
    with pytest.raises(ParseError, match="empty") as caught:
        check_version_result(VersionQuery())
    assert caught.value.condition == "bad-request"


def test_request_and_answer_builders() -> None:
    request = version_request(id="v1", to=JID.parse("example.com"),
                              from_=JID.parse("juliet@example.com/balcony"))
    assert encode(request) == (b'<iq xmlns="jabber:client" type="get" id="v1" '
                               b'to="example.com" from="juliet@example.com/balcony">'
                               b'<query xmlns="jabber:iq:version"/></iq>')
    answer = version_answer(request, name="Quill", version="2.1")
    assert answer.type == IqType.RESULT
    assert answer.to == JID.parse("juliet@example.com/balcony")
    assert answer.payload == VersionQuery(name="Quill", version="2.1")
    with pytest.raises(ArgumentValueError, match="software version request"):
        version_answer(answer, name="Quill", version="2.1")
    with pytest.raises(ArgumentValueError, match="software version request"):
        version_answer(ping_request(id="p"), name="Quill", version="2.1")


def test_elements_of_other_namespaces_extend_the_query() -> None:
    got = typed(_query("<name>Quill</name><version>2.1</version>"
                       "<evil xmlns='http://jabber.org/protocol/evil'/><x xmlns='urn:example:x'/>"))
    assert got.name == "Quill"
    assert [type(item).__name__ for item in got.extensions] == ["Evil", "XmlFragment"]
    assert typed(encode(got).decode()) == got


@pytest.mark.parametrize(("xml", "valid"), [
    (_query("<os>x</os><version>1</version><name>Quill</name>"), True),
    (_query("<kernel>x</kernel>"), False),
    (_query("<name>a</name><version>1</version><b xmlns=''/>"), False),
])
def test_schema_and_model_agree(schema: etree.XMLSchema, xml: str, valid: bool) -> None:
    assert schema_accepts(schema, xml) is valid
    if valid:
        typed(xml)
    else:
        with pytest.raises(ParseError):
            typed(xml)


@pytest.mark.parametrize("xml", [
    _query("<name>Quill</name>"),
    _query("<name>a</name><name>b</name><version>1</version>"),
])
def test_rules_only_the_model_checks(schema: etree.XMLSchema, xml: str) -> None:
    assert schema_accepts(schema, xml)
    with pytest.raises(ParseError):
        typed(xml)
    assert not xepcodec.validate(xml).ok
