"""Tests for xepcodec.protocols.muc.unique (unique room names: XEP-0045 1.21 to 1.24,
XEP-0307).

The XML below is written for these tests.
"""

from __future__ import annotations

import pytest
from lxml import etree
from payloads import rejects, schema_accepts, typed

import xepcodec
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ParseError
from xepcodec.model import decode, encode
from xepcodec.protocols.muc.unique import NS_MUC_UNIQUE, Unique, check_unique_iq, unique_request

SERVICE = JID.parse("rooms.example.org")
NAME = "k3v9qz2m8x"


def _iq(type_: str, inner: str) -> Iq:
    xml = (f"<iq xmlns='jabber:client' type='{type_}' id='u1' from='rooms.example.org'"
           f" to='ada@example.com/desk'>{inner}</iq>")
    iq = decode(etree.fromstring(xml.encode()))
    assert isinstance(iq, Iq)
    return iq


def test_the_request_and_the_answer() -> None:
    request = unique_request(SERVICE, id="u1")
    assert encode(request) == (
        b'<iq xmlns="jabber:client" type="get" id="u1" to="rooms.example.org">'
        b'<unique xmlns="http://jabber.org/protocol/muc#unique"/></iq>')
    assert xepcodec.validate(encode(request)).ok
    assert xepcodec.parse(encode(request)) == request
    assert check_unique_iq(request) == Unique()
    answer = _iq("result", f"<unique xmlns='{NS_MUC_UNIQUE}'>{NAME}</unique>")
    got = check_unique_iq(answer)
    assert got is not None and got.name == NAME


def test_an_empty_name_is_no_name() -> None:
    # Written back as an empty element, an empty name would read as none: refused.
    with pytest.raises(ArgumentValueError):
        Unique(name="")
    assert typed(f"<unique xmlns='{NS_MUC_UNIQUE}'></unique>") == Unique()


def test_the_element_holds_text_only(schema: etree.XMLSchema) -> None:
    xml = f"<unique xmlns='{NS_MUC_UNIQUE}'><name>x</name></unique>"
    assert not schema_accepts(schema, xml)
    rejects(xml, "name")


@pytest.mark.parametrize(("type_", "inner", "words"), [
    ("get", f"<unique xmlns='{NS_MUC_UNIQUE}'>{NAME}</unique>", ["empty", NAME]),
    ("result", f"<unique xmlns='{NS_MUC_UNIQUE}'/>", ["holds the room name"]),
    ("set", f"<unique xmlns='{NS_MUC_UNIQUE}'/>", ["iq get"]),
    ("get", "<ping xmlns='urn:xmpp:ping'/>", [NS_MUC_UNIQUE]),
])
def test_check_unique_iq_refusals(type_: str, inner: str, words: list[str]) -> None:
    with pytest.raises(ParseError) as caught:
        check_unique_iq(_iq(type_, inner))
    assert caught.value.condition == "bad-request"
    for word in words:
        assert word in caught.value.message, caught.value.message


def test_an_error_answer_passes() -> None:
    refusal = _iq("error", "<error type='cancel'><feature-not-implemented "
                           "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>")
    assert refusal.type == IqType.ERROR
    assert check_unique_iq(refusal) is None
