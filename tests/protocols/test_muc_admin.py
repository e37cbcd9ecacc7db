"""Tests for xepcodec.protocols.muc.admin (XEP-0045 muc#admin: role and affiliation
changes and lists).

The XML below is written for these tests.
"""

from __future__ import annotations

import pytest
from lxml import etree
from payloads import rejects, schema_accepts, through_the_wire, typed

import xepcodec
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ParseError
from xepcodec.model import decode, encode
from xepcodec.protocols.muc.admin import (
    AdminActor,
    AdminItem,
    AdminQuery,
    check_admin_iq,
    kick,
    list_request,
    read_list,
    set_affiliation,
    set_role,
)
from xepcodec.protocols.muc.core import NS_MUC_ADMIN, Affiliation, Role

ROOM = JID.parse("lounge@rooms.example.org")


def _query(inner: str = "") -> str:
    return f"<query xmlns='{NS_MUC_ADMIN}'>{inner}</query>"


def _iq(type_: str, inner: str) -> Iq:
    xml = (f"<iq xmlns='jabber:client' type='{type_}' id='a1' from='lounge@rooms.example.org'"
           f" to='ada@example.com/desk'>{inner}</iq>")
    iq = decode(etree.fromstring(xml.encode()))
    assert isinstance(iq, Iq)
    return iq



# -- the elements -------------------------------------------------------------------------


def test_a_voice_list_as_a_moderated_room_sends_it() -> None:
    got = typed(_query(
        "<item affiliation='none' role='participant' jid='grace@example.net/phone' "
        "nick='grace'/>"
        "<item affiliation='member' role='participant' nick='alan'/>"))
    assert isinstance(got, AdminQuery)
    grace, alan = got.items
    assert grace == AdminItem(affiliation=Affiliation.NONE, role=Role.PARTICIPANT,
                              jid=JID.parse("grace@example.net/phone"), nick="grace")
    assert alan.jid is None  # a semi-anonymous room keeps real JIDs to itself
    assert alan.affiliation == Affiliation.MEMBER


def test_actor_and_reason_come_in_either_order(schema: etree.XMLSchema) -> None:
    first = _query("<item affiliation='outcast' jid='troll@example.net'>"
                   "<actor nick='ada'/><reason>spam</reason></item>")
    second = _query("<item affiliation='outcast' jid='troll@example.net'>"
                    "<reason>spam</reason><actor nick='ada'/></item>")
    assert typed(first) == typed(second)
    assert typed(first).items[0].actor == AdminActor(nick="ada")
    assert schema_accepts(schema, first) and schema_accepts(schema, second)


def test_an_item_without_affiliation_or_role_is_refused(schema: etree.XMLSchema) -> None:
    xml = _query("<item jid='grace@example.net'/>")
    # XSD 1.0 cannot ask for one of two attributes: the model does.
    assert schema_accepts(schema, xml)
    rejects(xml, "'affiliation' or a 'role'")
    assert not xepcodec.validate(xml).ok
    with pytest.raises(ArgumentValueError, match="'affiliation' or a 'role'"):
        AdminItem(jid=JID.parse("grace@example.net"), reason="why not")


@pytest.mark.parametrize(("xml", "words", "condition"), [
    (_query("<item affiliation='guest' jid='a@example.com'/>"), ["affiliation"],
     "bad-request"),
    (_query("<item role='speaker' nick='a'/>"), ["role"], "bad-request"),
    (_query("<item role='none' nick='a'><reason>a</reason><reason>b</reason></item>"),
     ["reason"], "bad-request"),
    (_query("<item role='none' nick='a'><actor nick='b'>me</actor></item>"), ["actor"],
     "bad-request"),
    (_query("<item role='none' nick='a'><status code='307'/></item>"), ["status"],
     "bad-request"),
    (_query("<reason>stray</reason>"), ["reason"], "bad-request"),
])
def test_rules_both_check(schema: etree.XMLSchema, xml: str, words: list[str],
                          condition: str) -> None:
    assert not schema_accepts(schema, xml)
    rejects(xml, *words, condition=condition)


def test_a_malformed_jid_is_jid_malformed() -> None:
    for inner in ("<item affiliation='member' jid='@example.com'/>",
                  "<item role='none' nick='a'><actor jid='a@b@example.com'/></item>"):
        rejects(_query(inner), condition="jid-malformed")


# -- what the iq type decides -------------------------------------------------------------


@pytest.mark.parametrize(("type_", "inner"), [
    ("get", _query("<item affiliation='outcast'/>")),
    ("get", _query("<item role='moderator'/>")),
    ("set", _query("<item nick='alan' role='none'><reason>Off topic</reason></item>")),
    # The delta of a member list: one added, one removed, one reserved nick unset.
    ("set", _query("<item affiliation='member' jid='alan@example.com' nick='alan'/>"
                   "<item affiliation='none' jid='grace@example.net'/>"
                   "<item affiliation='member' jid='ada@example.com' nick=''/>")),
    ("set", _query("<item affiliation='outcast' jid='spam.example'>"
                   "<reason>a domain of bots</reason></item>")),
    ("result", _query("<item affiliation='owner' jid='ada@example.com'/>")),
    ("result", _query()),  # an empty list
    ("result", ""),  # the answer to a change
    ("error", _query("<item role='none' nick='ada'/>")
     + "<error type='cancel'><not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
       "</error>"),
])
def test_check_admin_iq_accepts(type_: str, inner: str) -> None:
    iq = _iq(type_, inner)
    assert check_admin_iq(iq) == iq.payload


@pytest.mark.parametrize(("type_", "inner", "words", "path"), [
    ("get", _query(), ["one list", "not 0"], "/iq/query"),
    ("get", _query("<item affiliation='member'/><item affiliation='admin'/>"),
     ["not 2"], "/iq/query"),
    ("get", _query("<item affiliation='member' role='participant'/>"),
     ["by affiliation or by role"], "/iq/query/item"),
    ("get", _query("<item affiliation='member' jid='ada@example.com'/>"),
     ["'jid'"], "/iq/query/item/@jid"),
    ("get", _query("<item role='participant' nick='ada'/>"), ["'nick'"],
     "/iq/query/item/@nick"),
    ("get", _query("<item affiliation='outcast'><reason>why</reason></item>"),
     ["<reason/>"], "/iq/query/item/reason"),
    ("get", _query("<item affiliation='none'/>"), ["'none'", "not a list"],
     "/iq/query/item"),
    ("get", _query("<item role='none'/>"), ["'none'"], "/iq/query/item"),
    ("set", _query(), ["at least one"], "/iq/query"),
    ("set", _query("<item nick='alan' role='visitor' affiliation='member'/>"),
     ["not both"], "/iq/query/item"),
    ("set", _query("<item jid='alan@example.com' role='visitor'/>"),
     ["by a 'nick'", "role 'visitor'"], "/iq/query/item/@nick"),
    ("set", _query("<item nick='' role='none'/>"), ["by a 'nick'"],
     "/iq/query/item/@nick"),
    ("set", _query("<item nick='alan' affiliation='outcast'/>"),
     ["by a 'jid'", "affiliation 'outcast'"], "/iq/query/item/@jid"),
    ("result", _query("<item affiliation='member'/>"), ["names no one"], "/iq/query/item"),
    ("get", "<ping xmlns='urn:xmpp:ping'/>", [NS_MUC_ADMIN], "/iq"),
    ("set", "<ping xmlns='urn:xmpp:ping'/>", [NS_MUC_ADMIN], "/iq"),
])
def test_check_admin_iq_refusals(type_: str, inner: str, words: list[str],
                                 path: str) -> None:
    with pytest.raises(ParseError) as caught:
        check_admin_iq(_iq(type_, inner))
    assert caught.value.condition == "bad-request"
    assert caught.value.path == path
    for word in words:
        assert word in caught.value.message, caught.value.message


# -- lists --------------------------------------------------------------------------------

BAN_LIST = _query("<item affiliation='outcast' jid='troll@example.net'>"
                  "<reason>flooding</reason></item>"
                  "<item affiliation='outcast' jid='spam.example'/>")


def test_read_list_gives_the_items() -> None:
    items = read_list(_iq("result", BAN_LIST), Affiliation.OUTCAST)
    assert [item.jid for item in items] == [JID.parse("troll@example.net"),
                                           JID.parse("spam.example")]
    assert items[0].reason == "flooding"
    assert read_list(_iq("result", BAN_LIST)) == items
    assert read_list(_iq("result", ""), Role.MODERATOR) == ()
    voices = _query("<item role='participant' nick='alan' affiliation='none'/>")
    assert read_list(_iq("result", voices), Role.PARTICIPANT)[0].nick == "alan"


@pytest.mark.parametrize(("inner", "asked", "words"), [
    (BAN_LIST, Affiliation.MEMBER, ["'member' list", "affiliation 'outcast'"]),
    (_query("<item affiliation='member' nick='alan'/>"), Affiliation.MEMBER,
     ["'jid'", "jid None"]),
    (_query("<item role='participant' jid='alan@example.com/desk'/>"), Role.PARTICIPANT,
     ["'nick'", "nick None"]),
    (_query("<item role='visitor' nick='alan'/>"), Role.PARTICIPANT, ["role 'visitor'"]),
    (_query("<item affiliation='member' jid='alan@example.com'/>"), Role.MODERATOR,
     ["role 'moderator'"]),
])
def test_read_list_holds_the_room_to_its_request(inner: str, asked: Affiliation | Role,
                                                  words: list[str]) -> None:
    with pytest.raises(ParseError) as caught:
        read_list(_iq("result", inner), asked)
    for word in words:
        assert word in caught.value.message, caught.value.message


def test_read_list_takes_a_result_only() -> None:
    refusal = _iq("error", "<error type='auth'><forbidden "
                           "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>")
    with pytest.raises(ArgumentValueError, match="not an iq of type 'error'"):
        read_list(refusal)


# -- requests -----------------------------------------------------------------------------


def test_kick_as_sent() -> None:
    iq = kick(ROOM, "alan", id="k1", reason="Off topic")
    assert encode(iq) == (
        b'<iq xmlns="jabber:client" type="set" id="k1" to="lounge@rooms.example.org">'
        b'<query xmlns="http://jabber.org/protocol/muc#admin">'
        b'<item role="none" nick="alan"><reason>Off topic</reason></item></query></iq>')
    back = through_the_wire(iq)
    assert check_admin_iq(back) == AdminQuery(items=(
        AdminItem(role=Role.NONE, nick="alan", reason="Off topic"),))


def test_set_role_and_set_affiliation() -> None:
    voice = through_the_wire(set_role(ROOM, "grace", Role.PARTICIPANT, id="v1"))
    assert voice.type == IqType.SET and voice.to == ROOM
    assert check_admin_iq(voice) == AdminQuery(items=(
        AdminItem(role=Role.PARTICIPANT, nick="grace"),))
    troll = JID.parse("troll@example.net")
    ban = through_the_wire(set_affiliation(ROOM, troll, Affiliation.OUTCAST, id="b1",
                                      reason="flooding"))
    assert check_admin_iq(ban) == AdminQuery(items=(
        AdminItem(affiliation=Affiliation.OUTCAST, jid=troll, reason="flooding"),))
    member = through_the_wire(set_affiliation(ROOM, JID.parse("alan@example.com"),
                                         Affiliation.MEMBER, id="m1", nick="alan"))
    item = member.payload.items[0]
    assert (item.affiliation, item.nick, item.role) == (Affiliation.MEMBER, "alan", None)
    with pytest.raises(ArgumentValueError, match="non-empty nick"):
        set_role(ROOM, "", Role.VISITOR, id="v2")


@pytest.mark.parametrize("of", [Affiliation.OWNER, Affiliation.ADMIN, Affiliation.MEMBER,
                                Affiliation.OUTCAST, Role.MODERATOR, Role.PARTICIPANT])
def test_list_request(of: Affiliation | Role) -> None:
    iq = through_the_wire(list_request(ROOM, of, id="l1"))
    assert iq.type == IqType.GET
    query = check_admin_iq(iq)
    assert query is not None
    (item,) = query.items
    assert (item.affiliation if isinstance(of, Affiliation) else item.role) == of
    assert (item.role if isinstance(of, Affiliation) else item.affiliation) is None


def test_list_request_of_none_is_refused() -> None:
    for of in (Affiliation.NONE, Role.NONE):
        with pytest.raises(ArgumentValueError, match="other than 'none'"):
            list_request(ROOM, of, id="l2")
