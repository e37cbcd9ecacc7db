"""Tests for xepcodec.protocols.ping (XEP-0199 XMPP Ping).

The XML below is written for these tests; none of it is taken from the XEP.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from lxml import etree

from xepcodec.core.namespaces import SERVER
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError
from xepcodec.model import decode, encode
from xepcodec.protocols.ping import NS_PING, Ping, is_ping, ping_request, pong
from xepcodec.testing.strategies import for_class


@given(ping=for_class(Ping))
def test_generated_pings_are_schema_valid_and_round_trip(schema: etree.XMLSchema,
                                                         ping: Ping) -> None:
    document = etree.fromstring(encode(ping))
    assert schema.validate(document), schema.error_log
    assert decode(document) == ping


def test_the_element() -> None:
    assert NS_PING == "urn:xmpp:ping"
    assert encode(Ping()) == b'<ping xmlns="urn:xmpp:ping"/>'
    assert decode(etree.fromstring(b"<ping xmlns='urn:xmpp:ping'>\n  </ping>")) == Ping()


@pytest.mark.parametrize(("xml", "words"), [
    (b"<ping xmlns='urn:xmpp:ping' seq='1'/>", ["seq"]),
    (b"<ping xmlns='urn:xmpp:ping'>hello</ping>", ["no text"]),
    (b"<ping xmlns='urn:xmpp:ping'><x xmlns='urn:other'/></ping>", ["does not allow"]),
])
def test_rejections(xml: bytes, words: list[str]) -> None:
    with pytest.raises(ParseError) as caught:
        decode(etree.fromstring(xml))
    assert caught.value.condition == "bad-request"
    for word in words:
        assert word in str(caught.value)


def test_ping_request() -> None:
    iq = ping_request(id="p1", to=JID.parse("capulet.example"),
                      from_=JID.parse("juliet@capulet.example/balcony"))
    assert iq.type == IqType.GET
    assert iq.payload == Ping()
    xml = encode(iq)
    assert xml == (b'<iq xmlns="jabber:client" type="get" id="p1" to="capulet.example" '
                   b'from="juliet@capulet.example/balcony"><ping xmlns="urn:xmpp:ping"/></iq>')
    assert decode(etree.fromstring(xml)) == iq


def test_server_to_server_ping_keeps_its_namespace() -> None:
    iq = ping_request(id="s2s", to=JID.parse("a.example"), from_=JID.parse("b.example"),
                      namespace=SERVER)
    assert encode(iq).startswith(b'<iq xmlns="jabber:server"')


def test_is_ping() -> None:
    assert is_ping(ping_request(id="p1"))
    assert is_ping(decode(etree.fromstring(
        b"<iq xmlns='jabber:client' type='get' id='p2'><ping xmlns='urn:xmpp:ping'/></iq>")))
    # A set carrying a ping is not a ping request, nor is a result, nor another payload.
    assert not is_ping(Iq(type=IqType.SET, id="x", extensions=(Ping(),)))
    assert not is_ping(Iq(type=IqType.RESULT, id="x"))
    assert not is_ping(decode(etree.fromstring(
        b"<iq xmlns='jabber:client' type='get' id='p3'><q xmlns='urn:other'/></iq>")))
    assert not is_ping(Ping())


def test_pong() -> None:
    request = ping_request(id="p1", to=JID.parse("capulet.example"),
                           from_=JID.parse("juliet@capulet.example/balcony"))
    answer = pong(request)
    assert answer.type == IqType.RESULT
    assert answer.id == "p1"
    assert answer.payload is None
    assert answer.to == JID.parse("juliet@capulet.example/balcony")
    assert answer.from_ == JID.parse("capulet.example")
    assert encode(answer) == (b'<iq xmlns="jabber:client" type="result" id="p1" '
                              b'to="juliet@capulet.example/balcony" from="capulet.example"/>')


def test_pong_refuses_what_is_not_a_ping() -> None:
    with pytest.raises(ValueError, match="ping request"):
        pong(Iq(type=IqType.RESULT, id="x"))
