"""Tests for the XEP-0045 join element (xepcodec.protocols.muc.core) and the muc#user
namespace (xepcodec.protocols.muc.user).

The XML below is written for these tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import permutations

import pytest
from lxml import etree
from payloads import rejects, schema_accepts, typed

import xepcodec
from xepcodec.core.stanzas import Message, Presence
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError
from xepcodec.protocols.muc.core import NS_MUC, NS_MUC_USER, Affiliation, History, MucJoin, Role
from xepcodec.protocols.muc.user import (
    Actor,
    Continue,
    Decline,
    Invite,
    Status,
    StatusCode,
    UserDestroy,
    UserItem,
    UserX,
)

X = f"<x xmlns='{NS_MUC_USER}'>"

# The registry of XEP-0045 §15.6, code by code.
REGISTRY = {
    100: StatusCode.NON_ANONYMOUS,
    101: StatusCode.AFFILIATION_CHANGED,
    102: StatusCode.SHOWS_UNAVAILABLE,
    103: StatusCode.HIDES_UNAVAILABLE,
    104: StatusCode.CONFIG_CHANGED,
    110: StatusCode.SELF_PRESENCE,
    170: StatusCode.LOGGING_ENABLED,
    171: StatusCode.LOGGING_DISABLED,
    172: StatusCode.NOW_NON_ANONYMOUS,
    173: StatusCode.NOW_SEMI_ANONYMOUS,
    201: StatusCode.ROOM_CREATED,
    210: StatusCode.NICK_ASSIGNED,
    301: StatusCode.BANNED,
    303: StatusCode.NICK_CHANGED,
    307: StatusCode.KICKED,
    321: StatusCode.REMOVED_AFFILIATION_CHANGE,
    322: StatusCode.REMOVED_MEMBERS_ONLY,
    332: StatusCode.REMOVED_SHUTDOWN,
    333: StatusCode.REMOVED_ERROR,
}


def stanza(xml: str) -> Presence | Message:
    """A whole stanza, parsed, accepted by validate, and a fixed point of a round trip."""
    parsed = xepcodec.parse(xml)
    assert isinstance(parsed, Presence | Message)
    assert xepcodec.validate(xml).errors == ()
    written = xepcodec.serialize(parsed)
    assert xepcodec.parse(written) == parsed
    assert xepcodec.serialize(xepcodec.parse(written)) == written
    return parsed


def user_x(parsed: Presence | Message) -> UserX:
    found = parsed.find(UserX)
    assert found is not None
    return found


# --- status codes -----------------------------------------------------------------------

def test_the_enum_is_the_registry() -> None:
    assert {int(member): member for member in StatusCode} == REGISTRY


@pytest.mark.parametrize(("number", "member"), REGISTRY.items())
def test_every_registered_code_parses_to_its_name(number: int, member: StatusCode) -> None:
    status = typed(f"<status xmlns='{NS_MUC_USER}' code='{number}'/>")
    assert status.code is member
    assert status.known is member
    assert status == Status(code=number) == Status(code=member)
    assert xepcodec.serialize(Status(code=member)) == (
        f'<status xmlns="{NS_MUC_USER}" code="{number}"/>'.encode())


def test_an_unregistered_three_digit_code_is_kept_as_a_number() -> None:
    status = typed(f"<status xmlns='{NS_MUC_USER}' code='399'/>")
    assert status.code == 399
    assert not isinstance(status.code, StatusCode)
    assert status.known is None
    assert xepcodec.serialize(status) == f'<status xmlns="{NS_MUC_USER}" code="399"/>'.encode()
    assert Status(code=399).known is None


@pytest.mark.parametrize("code", ["99", "1000", "-110", "abc", ""])
def test_a_code_is_three_digits(code: str, schema: etree.XMLSchema) -> None:
    xml = f"<status xmlns='{NS_MUC_USER}' code='{code}'/>"
    rejects(xml, "code")
    assert not schema_accepts(schema, xml)


def test_a_status_needs_a_code() -> None:
    rejects(f"<status xmlns='{NS_MUC_USER}'/>", "code")


def test_a_constructed_code_is_three_digits() -> None:
    with pytest.raises(ArgumentValueError, match=r"Status\.code"):
        Status(code=42)
    with pytest.raises(ArgumentValueError, match=r"Status\.code"):
        Status(code=1000)


def test_the_codes_of_an_x() -> None:
    x = typed(f"{X}<status code='110'/><status code='303'/><status code='345'/></x>")
    assert x.codes == frozenset({StatusCode.SELF_PRESENCE, StatusCode.NICK_CHANGED, 345})
    assert x.is_self and x.is_nick_change
    assert not x.is_room_created and not x.is_removal
    assert UserX().codes == frozenset()
    assert not UserX().is_self
    assert UserX().item is None


# --- the rules the XEP states -----------------------------------------------------------

@pytest.mark.parametrize(("xml", "words"), [
    (f"{X}<invite><reason>come</reason></invite></x>", ["<invite/>", "'from'", "'to'"]),
    (f"{X}<decline/></x>", ["<decline/>", "'from'", "'to'"]),
    (f"{X}<password>a</password><item role='none'/><password>b</password></x>",
     ["password"]),
    (f"{X}<decline to='ann@example.org'/><decline to='ann@example.org'/></x>", ["decline"]),
    (f"{X}<destroy/><status code='110'/><destroy/></x>", ["destroy"]),
    (f"{X}<item nick=''/></x>", ["nick"]),
    (f"{X}<item><actor nick=''/></item></x>", ["nick"]),
    (f"{X}<item role='chair'/></x>", ["role"]),
    (f"{X}<item affiliation='guest'/></x>", ["affiliation"]),
    (f"{X}<item><reason>a</reason><reason>b</reason></item></x>", ["reason"]),
    (f"{X}<item><actor nick='a'>text</actor></item></x>", []),
    (f"{X}<subject/></x>", ["subject"]),
])
def test_refused_by_parse_and_by_the_schema(xml: str, words: list[str],
                                            schema: etree.XMLSchema) -> None:
    error = rejects(xml, *words)
    assert error.path is not None and error.path.startswith("/x")
    assert xepcodec.validate(xml).errors
    # The party rule is the one a schema cannot state about attributes.
    if "<invite>" not in xml and "<decline/>" not in xml:
        assert not schema_accepts(schema, xml)


@pytest.mark.parametrize("attribute", ["jid='@example.org'", "jid=''"])
def test_a_jid_is_a_jid(attribute: str) -> None:
    rejects(f"{X}<item {attribute}/></x>", condition="jid-malformed")


def test_constructors_apply_the_party_rule() -> None:
    with pytest.raises(ArgumentValueError, match="Invite"):
        Invite(reason="come in")
    with pytest.raises(ArgumentValueError, match="Decline"):
        Decline()
    assert Invite(to=JID.parse("ann@example.org")).from_ is None
    assert Decline(from_=JID.parse("ann@example.org")).to is None


def test_the_children_of_x_come_in_any_order(schema: etree.XMLSchema) -> None:
    parts = ["<item role='none' affiliation='none'/>", "<status code='110'/>",
             "<invite from='bo@example.org'/>", "<decline to='cy@example.org'/>",
             "<destroy jid='other@rooms.example.org'/>", "<password>pw</password>"]
    expected = UserX(
        items=(UserItem(role=Role.NONE, affiliation=Affiliation.NONE),),
        statuses=(Status(code=110),),
        invites=(Invite(from_=JID.parse("bo@example.org")),),
        decline=Decline(to=JID.parse("cy@example.org")),
        destroy=UserDestroy(jid=JID.parse("other@rooms.example.org")),
        password="pw")
    for order in permutations(parts):
        xml = X + "".join(order) + "</x>"
        assert typed(xml) == expected
        assert schema_accepts(schema, xml), xml


def test_repeated_children_may_interleave_with_the_others(schema: etree.XMLSchema) -> None:
    xml = (f"{X}<status code='100'/><password>pw</password><status code='110'/>"
           "<item role='visitor'/><destroy/><item role='participant'/></x>")
    assert schema_accepts(schema, xml)
    x = typed(xml)
    assert [item.role for item in x.items] == [Role.VISITOR, Role.PARTICIPANT]
    assert x.codes == {StatusCode.NON_ANONYMOUS, StatusCode.SELF_PRESENCE}


def test_item_children_in_any_order(schema: etree.XMLSchema) -> None:
    xml = (f"{X}<item role='none'><reason>spam</reason><continue thread='t1'/>"
           "<actor jid='mod@example.org/desk'/></item></x>")
    assert schema_accepts(schema, xml)
    item = typed(xml).item
    assert item == UserItem(role=Role.NONE, reason="spam", continue_=Continue(thread="t1"),
                            actor=Actor(jid=JID.parse("mod@example.org/desk")))


# --- the join element -------------------------------------------------------------------

def test_joining_with_a_password_and_history_limits() -> None:
    presence = stanza(
        "<presence xmlns='jabber:client' from='dana@example.org/tablet' "
        "to='lobby@rooms.example.org/Dana'>"
        f"<x xmlns='{NS_MUC}'><history maxstanzas='25' seconds='600' "
        "since='2031-04-01T09:30:00+02:00'/><password>open sesame</password></x>"
        "</presence>")
    join = presence.find(MucJoin)
    assert join is not None
    assert join.password == "open sesame"
    assert join.history == History(
        maxstanzas=25, seconds=600,
        since=datetime(2031, 4, 1, 9, 30, tzinfo=timezone(timedelta(hours=2))))
    assert join.history.maxchars is None


def test_a_plain_join_and_no_history() -> None:
    assert typed(f"<x xmlns='{NS_MUC}'/>") == MucJoin()
    assert xepcodec.serialize(MucJoin(history=History.none())) == (
        f'<x xmlns="{NS_MUC}"><history maxchars="0"/></x>'.encode())


@pytest.mark.parametrize(("xml", "words"), [
    (f"<x xmlns='{NS_MUC}'><history maxchars='-1'/></x>", ["maxchars"]),
    (f"<x xmlns='{NS_MUC}'><history maxstanzas='ten'/></x>", ["maxstanzas"]),
    (f"<x xmlns='{NS_MUC}'><history seconds='1.5'/></x>", ["seconds"]),
    (f"<x xmlns='{NS_MUC}'><history since='2031-04-01T09:30:00'/></x>", ["since"]),
    (f"<x xmlns='{NS_MUC}'><history since='yesterday'/></x>", ["since"]),
    (f"<x xmlns='{NS_MUC}'><history/><history/></x>", ["history"]),
    (f"<x xmlns='{NS_MUC}'><password>a</password><password>b</password></x>", ["password"]),
    (f"<x xmlns='{NS_MUC}'><item/></x>", ["item"]),
    (f"<x xmlns='{NS_MUC}'><history>some</history></x>", []),
])
def test_join_refusals(xml: str, words: list[str], schema: etree.XMLSchema) -> None:
    rejects(xml, *words)
    assert not schema_accepts(schema, xml)


def test_history_limits_are_not_negative() -> None:
    with pytest.raises(ArgumentValueError, match=r"History\.seconds"):
        History(seconds=-5)
    with pytest.raises(ArgumentValueError, match=r"History\.since"):
        History(since=datetime(2031, 4, 1))  # naive: no zone
    assert History(since=datetime(2031, 4, 1, tzinfo=UTC)).since is not None


# --- stanzas as rooms send them ---------------------------------------------------------

def test_the_creator_enters_a_new_room() -> None:
    presence = stanza(
        "<presence xmlns='jabber:client' from='bakery@rooms.example.org/Eve' "
        "to='eve@example.org/laptop'>"
        f"{X}<item affiliation='owner' role='moderator'/>"
        "<status code='110'/><status code='201'/></x></presence>")
    x = user_x(presence)
    assert x.is_self and x.is_room_created and not x.is_removal
    assert x.item == UserItem(affiliation=Affiliation.OWNER, role=Role.MODERATOR)


def test_every_occupant_presence_with_a_real_jid_as_prosody_sends_it() -> None:
    presence = stanza(
        "<presence xmlns='jabber:client' from='bakery@rooms.example.org/Finn' "
        "to='eve@example.org/laptop'><show>away</show>"
        f"{X}<item affiliation='owner' role='moderator' jid='finn@example.net/phone'/>"
        "</x></presence>")
    x = user_x(presence)
    assert x.item is not None and x.item.jid == JID.parse("finn@example.net/phone")
    assert not x.is_self and x.codes == frozenset()


def test_a_mediated_invitation_there_and_on() -> None:
    sent = stanza(
        "<message xmlns='jabber:client' from='eve@example.org/laptop' "
        "to='bakery@rooms.example.org' id='inv1'>"
        f"{X}<invite to='gil@example.com'><reason>Bread talk at noon</reason>"
        "<continue thread='crumbs-42'/></invite></x></message>")
    invite = user_x(sent).invites[0]
    assert invite.to == JID.parse("gil@example.com") and invite.from_ is None
    assert invite.continue_ == Continue(thread="crumbs-42")

    passed_on = stanza(
        "<message xmlns='jabber:client' from='bakery@rooms.example.org' "
        "to='gil@example.com' id='inv1'>"
        f"{X}<invite from='eve@example.org/laptop'><reason>Bread talk at noon</reason>"
        "</invite><password>rye</password></x></message>")
    x = user_x(passed_on)
    assert x.invites == (Invite(from_=JID.parse("eve@example.org/laptop"),
                                reason="Bread talk at noon"),)
    assert x.password == "rye"


def test_a_declined_invitation() -> None:
    answer = stanza(
        "<message xmlns='jabber:client' from='gil@example.com/home' "
        "to='bakery@rooms.example.org' id='no1'>"
        f"{X}<decline to='eve@example.org'><reason>Gluten, alas</reason></decline></x>"
        "</message>")
    assert user_x(answer).decline == Decline(to=JID.parse("eve@example.org"),
                                             reason="Gluten, alas")
    relayed = stanza(
        "<message xmlns='jabber:client' from='bakery@rooms.example.org' "
        "to='eve@example.org/laptop' id='no1'>"
        f"{X}<decline from='gil@example.com'/></x></message>")
    assert user_x(relayed).decline == Decline(from_=JID.parse("gil@example.com"))


def test_a_kicked_occupant_learns_who_and_why() -> None:
    presence = stanza(
        "<presence xmlns='jabber:client' from='bakery@rooms.example.org/Hal' "
        "to='hal@example.net/pc' type='unavailable'>"
        f"{X}<item affiliation='none' role='none'><actor nick='Eve'/>"
        "<reason>Flooding the room</reason></item>"
        "<status code='110'/><status code='307'/></x></presence>")
    x = user_x(presence)
    assert x.is_self and x.is_removal
    assert StatusCode.KICKED in x.codes
    assert x.item is not None
    assert x.item.actor == Actor(nick="Eve")
    assert x.item.reason == "Flooding the room"
    assert x.item.role is Role.NONE


def test_a_renamed_occupant() -> None:
    presence = stanza(
        "<presence xmlns='jabber:client' from='bakery@rooms.example.org/Ida' "
        "to='eve@example.org/laptop' type='unavailable'>"
        f"{X}<item affiliation='member' role='participant' nick='Ida the Baker'/>"
        "<status code='303'/></x></presence>")
    x = user_x(presence)
    assert x.is_nick_change and not x.is_removal
    assert x.item is not None and x.item.nick == "Ida the Baker"


def test_the_room_is_destroyed_with_an_alternate_venue() -> None:
    presence = stanza(
        "<presence xmlns='jabber:client' from='bakery@rooms.example.org/Eve' "
        "to='eve@example.org/laptop' type='unavailable'>"
        f"{X}<item affiliation='none' role='none'/>"
        "<destroy jid='patisserie@rooms.example.org'><reason>Moving next door</reason>"
        "<password>croissant</password></destroy><status code='110'/></x></presence>")
    x = user_x(presence)
    assert x.destroy == UserDestroy(jid=JID.parse("patisserie@rooms.example.org"),
                                    reason="Moving next door", password="croissant")
    assert x.is_removal and x.is_self
