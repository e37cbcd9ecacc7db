"""Tests for xepcodec.protocols.roster (the RFC 6121 roster, with versioning).

The XML below is written for these tests.
"""

from __future__ import annotations

import pytest
from lxml import etree
from payloads import rejects, schema_accepts, typed

from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ParseError
from xepcodec.model import decode, encode
from xepcodec.protocols.roster import (
    NS_ROSTER,
    Ask,
    RosterItem,
    RosterQuery,
    Subscription,
    check_roster_iq,
    is_roster_push,
    roster_remove,
    roster_request,
    roster_set,
)

USER = JID.parse("juliet@example.com/balcony")


def _query(inner: str = "", attrs: str = "") -> str:
    return f"<query xmlns='{NS_ROSTER}'{attrs}>{inner}</query>"


def _iq(type_: str, inner: str, attrs: str = "") -> Iq:
    xml = f"<iq xmlns='jabber:client' type='{type_}' id='r1'{attrs}>{inner}</iq>"
    iq = decode(etree.fromstring(xml.encode()))
    assert isinstance(iq, Iq)
    return iq


def test_a_versioned_roster_result_with_every_attribute() -> None:
    got = typed(_query(
        "<item jid='romeo@example.net' name='Romeo' subscription='both' approved='true'>"
        "<group>Friends</group><group>Verona</group></item>"
        "<item jid='mercutio@example.com' subscription='from'/>"
        "<item jid='benvolio@example.net' ask='subscribe'/>",
        " ver='ver11'"))
    assert isinstance(got, RosterQuery)
    assert got.ver == "ver11"
    romeo, mercutio, benvolio = got.items
    assert romeo == RosterItem(jid=JID.parse("romeo@example.net"), name="Romeo",
                               subscription=Subscription.BOTH, approved=True,
                               groups=("Friends", "Verona"))
    assert mercutio.state == Subscription.FROM
    assert benvolio.subscription is None
    assert benvolio.state == Subscription.NONE
    assert benvolio.ask == Ask.SUBSCRIBE
    assert got.item("Romeo@Example.NET") == romeo
    assert got.item("tybalt@example.org") is None


def test_an_item_is_written_back_as_read() -> None:
    xml = (f'<query xmlns="{NS_ROSTER}" ver=""><item jid="nurse@example.com" name="Nurse">'
           '<group>Servants</group></item></query>')
    assert encode(typed(xml)) == xml.encode()


@pytest.mark.parametrize(("xml", "words", "condition"), [
    (_query("<item/>"), ["item", "jid"], "bad-request"),
    (_query("<item jid='@example.com'/>"), [], "jid-malformed"),
    (_query("<item jid='a@example.com' subscription='pending'/>"),
     ["subscription", "none, to, from, both, remove"], "bad-request"),
    (_query("<item jid='a@example.com' ask='unsubscribe'/>"), ["ask", "subscribe"],
     "bad-request"),
    (_query("<item jid='a@example.com' approved='maybe'/>"), ["approved", "boolean"],
     "bad-request"),
    (_query("<item jid='a@example.com'><group/></item>"), ["group", "empty"], "bad-request"),
    (_query("<item jid='a@example.com'><group>A</group><group>A</group></item>"),
     ["group 'A' twice", "RFC 6121"], "bad-request"),
    (_query("<item jid='a@example.com'/><item jid='A@example.com'/>"),
     ["a@example.com", "listed twice"], "bad-request"),
    (_query("<item jid='a@example.com'><note xmlns='urn:example:note'/></item>"),
     ["note"], "bad-request"),
    (_query("<item jid='a@example.com'>text</item>"), ["no text"], "bad-request"),
    (_query("<group>A</group>"), ["group"], "bad-request"),
    (_query("words"), ["no text"], "bad-request"),
    (_query(attrs=" version='1'"), ["version"], "bad-request"),
])
def test_rejections(xml: str, words: list[str], condition: str) -> None:
    error = rejects(xml, *words, condition=condition)
    assert error.path is not None and error.path.startswith("/query")


def test_construction_applies_the_element_rules() -> None:
    with pytest.raises(ArgumentValueError, match="twice"):
        RosterItem(jid=JID.parse("a@example.com"), groups=("A", "A"))
    with pytest.raises(ArgumentValueError, match="listed twice"):
        RosterQuery(items=(RosterItem(jid=JID.parse("a@example.com")),
                           RosterItem(jid=JID.parse("a@example.com"), name="A")))
    with pytest.raises(ArgumentValueError, match="empty"):
        RosterItem(jid=JID.parse("a@example.com"), groups=("",))


# -- what the iq around the query decides --------------------------------------------------

ONE = "<item jid='romeo@example.net' subscription='both'/>"
TWO = ONE + "<item jid='nurse@example.com'/>"
REMOVE = "<item jid='romeo@example.net' subscription='remove'/>"


@pytest.mark.parametrize(("type_", "inner"), [
    ("get", _query()),
    ("get", _query(attrs=" ver=''")),
    ("result", _query(TWO, " ver='v2'")),
    ("result", _query()),
    ("result", ""),  # versioning: the cached copy is current, or pushes follow
    ("set", _query(ONE)),
    ("set", _query(REMOVE)),
])
def test_check_roster_iq_accepts(type_: str, inner: str) -> None:
    iq = _iq(type_, inner)
    assert check_roster_iq(iq) == iq.payload


@pytest.mark.parametrize(("type_", "inner", "words"), [
    ("get", _query(ONE), ["roster get", "empty"]),
    ("set", _query(TWO), ["exactly one <item/>", "not 2"]),
    ("set", _query(), ["exactly one <item/>", "not 0"]),
    ("result", _query(REMOVE), ["'remove'", "roster set only", "romeo@example.net"]),
    ("get", "<ping xmlns='urn:xmpp:ping'/>", ["jabber:iq:roster"]),
])
def test_check_roster_iq_refusals(type_: str, inner: str, words: list[str]) -> None:
    with pytest.raises(ParseError) as caught:
        check_roster_iq(_iq(type_, inner))
    assert caught.value.condition == "bad-request"
    for word in words:
        assert word in caught.value.message


def test_roster_push_sources() -> None:
    push = _query(ONE, " ver='v3'")
    assert is_roster_push(_iq("set", push), USER)
    assert is_roster_push(_iq("set", push, " from='juliet@example.com'"), USER)
    # A push from anyone else (even the user's own full JID) may be a spoof.
    assert not is_roster_push(_iq("set", push, " from='juliet@example.com/balcony'"), USER)
    assert not is_roster_push(_iq("set", push, " from='example.com'"), USER)
    assert not is_roster_push(_iq("set", push, " from='mallory@example.org'"), USER)
    assert not is_roster_push(_iq("set", _query(TWO)), USER)
    assert not is_roster_push(_iq("result", push), USER)


def test_builders() -> None:
    request = roster_request(id="r1", ver="")
    assert encode(request) == (b'<iq xmlns="jabber:client" type="get" id="r1">'
                               b'<query xmlns="jabber:iq:roster" ver=""/></iq>')
    assert roster_request(id="r2").payload == RosterQuery()
    item = RosterItem(jid=JID.parse("nurse@example.com"), name="Nurse", groups=("Servants",))
    added = roster_set(item, id="r3")
    assert added.type == IqType.SET
    assert check_roster_iq(added) == RosterQuery(items=(item,))
    removed = roster_remove(JID.parse("nurse@example.com"), id="r4")
    assert encode(removed) == (b'<iq xmlns="jabber:client" type="set" id="r4">'
                               b'<query xmlns="jabber:iq:roster"><item jid="nurse@example.com"'
                               b' subscription="remove"/></query></iq>')


@pytest.mark.parametrize("xml", [
    # Rules the schema cannot say; the model refuses them.
    _query("<item jid='a@example.com'><group>A</group><group>A</group></item>"),
    _query("<item jid='a@example.com'/><item jid='a@example.com'/>"),
])
def test_rules_only_the_model_checks(schema: etree.XMLSchema, xml: str) -> None:
    assert schema_accepts(schema, xml)
    with pytest.raises(ParseError):
        typed(xml)


@pytest.mark.parametrize("xml", [
    _query("<item jid='a@example.com'><group/></item>"),
    _query("<item jid='a@example.com' ask='unsubscribe'/>"),
    _query("<item jid='a@example.com' subscription='pending'/>"),
    _query("<item/>"),
])
def test_rules_both_check(schema: etree.XMLSchema, xml: str) -> None:
    assert not schema_accepts(schema, xml)
    with pytest.raises(ParseError):
        typed(xml)
