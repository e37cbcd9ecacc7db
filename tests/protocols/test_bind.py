"""Tests for xepcodec.protocols.bind (RFC 6120 §7) and xepcodec.protocols.session (RFC
3921 §3).  The XML is written for these tests."""

from __future__ import annotations

import pytest

from xepcodec import parse, serialize
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ParseError
from xepcodec.protocols.bind import NS_BIND, Bind, bind_request
from xepcodec.protocols.session import NS_SESSION, Session

NS = f"xmlns='{NS_BIND}'"


def test_bind_in_its_three_places() -> None:
    assert parse(f"<bind {NS}/>") == Bind()
    assert parse(f"<bind {NS}><required/></bind>") == Bind(required=True)
    assert parse(f"<bind {NS}><resource>balcony</resource></bind>").resource == "balcony"
    result = parse(f"<iq xmlns='jabber:client' type='result' id='b1'><bind {NS}>"
                   "<jid>juliet@example.com/balcony</jid></bind></iq>")
    assert result.payload.jid == JID.parse("juliet@example.com/balcony")


def test_bind_request() -> None:
    request = bind_request(id="b1", resource="balcony")
    assert request.type == IqType.SET and request.payload == Bind(resource="balcony")
    assert serialize(request) == (
        f'<iq xmlns="jabber:client" type="set" id="b1"><bind xmlns="{NS_BIND}">'
        '<resource>balcony</resource></bind></iq>').encode()
    assert parse(serialize(request)) == request
    assert isinstance(bind_request(id="b2"), Iq) and bind_request(id="b2").payload == Bind()


@pytest.mark.parametrize(("xml", "condition"), [
    (f"<bind {NS}><resource>r</resource><jid>a@b/c</jid></bind>", "bad-request"),
    (f"<bind {NS}><resource/></bind>", "bad-request"),
    (f"<bind {NS}><resource>a</resource><resource>b</resource></bind>", "bad-request"),
    (f"<bind {NS}><jid>@@</jid></bind>", "jid-malformed"),
    (f"<bind {NS}><required/><required/></bind>", "bad-request"),
    (f"<bind {NS}><optional/></bind>", "bad-request"),
])
def test_bind_refused(xml: str, condition: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(xml)
    assert caught.value.condition == condition


def test_bind_constructor() -> None:
    with pytest.raises(ArgumentValueError):
        Bind(resource="r", jid=JID.parse("a@b/c"))
    assert Bind(jid="a@b/c").jid == JID.parse("a@b/c")


def test_session() -> None:
    ns = f"xmlns='{NS_SESSION}'"
    assert parse(f"<session {ns}/>") == Session()
    assert parse(f"<session {ns}><optional/></session>") == Session(optional=True)
    assert serialize(Session(optional=True)) == (
        f'<session xmlns="{NS_SESSION}"><optional/></session>').encode()
    with pytest.raises(ParseError):
        parse(f"<session {ns}><required/></session>")
