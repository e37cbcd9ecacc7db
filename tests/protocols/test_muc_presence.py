"""Tests for xepcodec.protocols.muc.presence: the presence a MUC client sends, and its
readings of the presence a room sends back.

The stanzas below are written for these tests, in the shapes Prosody's mod_muc sends
(an occupant presence with the real JID in a non-anonymous room, XEP-0115 caps and an
XEP-0421 occupant id beside the muc#user <x/>).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import xepcodec
from xepcodec.core.stanza_errors import Condition, ErrorType
from xepcodec.core.stanzas import Presence, PresenceType, Show
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.protocols.muc.core import Affiliation, History, MucJoin, Role
from xepcodec.protocols.muc.presence import (
    Departure,
    JoinFailure,
    Occupant,
    Refusal,
    change_nick,
    change_status,
    join,
    join_failure,
    leave,
    occupant,
)
from xepcodec.protocols.muc.user import StatusCode, UserX

ROOM = JID.parse("lounge@rooms.example.org")
ME = JID.parse("ada@example.org/laptop")
USER_NS = "http://jabber.org/protocol/muc#user"


def _read_back(presence: Presence) -> Presence:
    """The presence written out, checked by validate, and parsed again."""
    data = xepcodec.serialize(presence)
    report = xepcodec.validate(data)
    assert report.ok, report.errors
    parsed = xepcodec.parse(data)
    assert parsed == presence
    assert isinstance(parsed, Presence)
    return parsed


def _presence(inner: str, *, sender: str = "lounge@rooms.example.org/ada",
              type_: str | None = None) -> Presence:
    kind = f" type='{type_}'" if type_ else ""
    stanza = xepcodec.parse(f"<presence xmlns='jabber:client' from='{sender}' "
                            f"to='{ME}'{kind}>{inner}</presence>")
    assert isinstance(stanza, Presence)
    return stanza


# -- builders ---------------------------------------------------------------------------


def test_join_carries_the_muc_x_with_password_and_history() -> None:
    since = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    built = _read_back(join(ROOM, "ada", password="s3cret",
                            history=History(maxstanzas=20, since=since), id="j1",
                            from_=ME, show=Show.DND, status="busy"))
    assert built.to == JID.parse("lounge@rooms.example.org/ada")
    assert built.type is None and built.id == "j1" and built.show == Show.DND
    assert built.status == "busy"
    (x,) = built.extensions
    assert x == MucJoin(password="s3cret", history=History(maxstanzas=20, since=since))


def test_a_plain_join_is_an_empty_muc_x_and_other_payloads_follow_it() -> None:
    caps = xepcodec.parse("<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
                          "node='https://example.org/client' "
                          "ver='QgayPKawpkPSDYmwT/WM94uAlu0='/>")
    built = _read_back(join(ROOM, "ada", history=History.none(), extensions=[caps]))
    assert built.extensions == (MucJoin(history=History(maxchars=0)), caps)
    assert b"<history maxchars=\"0\"/>" in xepcodec.serialize(built)


def test_nick_and_status_changes_carry_no_muc_x() -> None:
    # A presence with the muc <x/> to a room one is in asks for a full re-join (§17.3).
    renamed = _read_back(change_nick(ROOM, "countess", id="n1"))
    assert renamed.to == ROOM.with_resource("countess")
    assert renamed.type is None and renamed.extensions == ()
    away = _read_back(change_status(ROOM, "ada", show=Show.AWAY, status="tea",
                                    priority=5))
    assert (away.to, away.show, away.status, away.priority) == (
        ROOM.with_resource("ada"), Show.AWAY, "tea", 5)
    assert away.find(MucJoin) is None


def test_leave_is_unavailable_presence_with_an_optional_exit_message() -> None:
    gone = _read_back(leave(ROOM, "ada", status="off to the engine"))
    assert gone.type == PresenceType.UNAVAILABLE
    assert gone.to == ROOM.with_resource("ada") and gone.status == "off to the engine"
    assert _read_back(leave(ROOM, "ada")).statuses == ()


@pytest.mark.parametrize("room", [
    JID.parse("rooms.example.org"),          # a service, not a room
    JID.parse("lounge@rooms.example.org/x"),  # already an occupant JID
])
def test_builders_want_a_bare_room_jid(room: JID) -> None:
    with pytest.raises(ArgumentValueError, match="bare JID room@service"):
        join(room, "ada")
    with pytest.raises(ArgumentValueError, match="bare JID room@service"):
        change_nick(room, "ada")
    with pytest.raises(ArgumentValueError, match="bare JID room@service"):
        leave(room, "ada")


@pytest.mark.parametrize("nick", ["", "   "])
def test_a_nick_is_neither_empty_nor_blank(nick: str) -> None:
    with pytest.raises(ArgumentValueError, match="empty nor only spaces"):
        join(ROOM, nick)


def test_builders_name_a_wrong_argument_type() -> None:
    # A room given as a str is read as a JID, as elsewhere in the library.
    assert join("lounge@rooms.example.org", "ada") == join(ROOM, "ada")  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="the room is a JID or a str, not int"):
        join(7, "ada")  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="the nick is a str"):
        join(ROOM, 7)  # type: ignore[arg-type]


# -- reading occupant presence ----------------------------------------------------------

PROSODY_SELF = (
    "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://example.org/c' "
    "ver='QgayPKawpkPSDYmwT/WM94uAlu0='/>"
    "<occupant-id xmlns='urn:xmpp:occupant-id:0' id='dGhlLW9jY3VwYW50'/>"
    f"<x xmlns='{USER_NS}'><status code='201'/>"
    "<item jid='ada@example.org/laptop' affiliation='owner' role='moderator'/>"
    "<status code='110'/><status code='100'/></x>")


def test_a_room_creators_self_presence_as_prosody_sends_it() -> None:
    me = occupant(_presence(PROSODY_SELF))
    assert me == Occupant(room=ROOM, nick="ada", role=Role.MODERATOR,
                          affiliation=Affiliation.OWNER, jid=ME,
                          codes=frozenset({StatusCode.ROOM_CREATED,
                                           StatusCode.SELF_PRESENCE,
                                           StatusCode.NON_ANONYMOUS}),
                          occupant_id="dGhlLW9jY3VwYW50")
    assert me.is_self and me.created and me.non_anonymous and me.available
    assert not me.nick_assigned and not me.logged and me.departure is None
    assert me.occupant_jid == JID.parse("lounge@rooms.example.org/ada")


def test_another_occupant_in_a_semi_anonymous_room_has_no_real_jid() -> None:
    other = occupant(_presence(
        f"<show>away</show><status>reading</status><x xmlns='{USER_NS}'>"
        "<item affiliation='none' role='visitor'/></x>",
        sender="lounge@rooms.example.org/charles"))
    assert (other.nick, other.jid, other.role, other.affiliation) == (
        "charles", None, Role.VISITOR, Affiliation.NONE)
    assert (other.show, other.status) == (Show.AWAY, "reading")
    assert not other.is_self and not other.created
    assert other.occupant_id is None  # a room without XEP-0421 adds none


def test_the_occupant_id_follows_the_user_across_a_rename() -> None:
    marker = "<occupant-id xmlns='urn:xmpp:occupant-id:0' id='c2FtZS11c2Vy'/>"
    leaving = occupant(_presence(
        f"{marker}<x xmlns='{USER_NS}'><item affiliation='none' role='participant' "
        "nick='charlie'/><status code='303'/></x>",
        sender="lounge@rooms.example.org/charles", type_="unavailable"))
    back = occupant(_presence(
        f"<x xmlns='{USER_NS}'><item affiliation='none' role='participant'/></x>{marker}",
        sender="lounge@rooms.example.org/charlie"))
    assert leaving.nick != back.nick
    assert leaving.occupant_id == back.occupant_id == "c2FtZS11c2Vy"


def test_a_presence_with_two_occupant_ids_is_refused() -> None:
    twice = ("<occupant-id xmlns='urn:xmpp:occupant-id:0' id='one'/>"
             "<occupant-id xmlns='urn:xmpp:occupant-id:0' id='two'/>")
    with pytest.raises(ParseError, match="at most one <occupant-id/>") as caught:
        occupant(_presence(f"{twice}<x xmlns='{USER_NS}'><item affiliation='none' "
                           "role='participant'/></x>"))
    assert caught.value.condition == "bad-request"


def test_an_assigned_nick_and_a_logged_room_are_told_on_entering() -> None:
    me = occupant(_presence(
        f"<x xmlns='{USER_NS}'><item affiliation='member' role='participant'/>"
        "<status code='110'/><status code='170'/><status code='210'/></x>"))
    assert me.nick_assigned and me.logged and me.is_self


def test_leaving_is_unavailable_with_role_none() -> None:
    gone = occupant(_presence(
        f"<status>bye</status><x xmlns='{USER_NS}'>"
        "<item affiliation='member' role='none' jid='ada@example.org/laptop'/>"
        "<status code='110'/></x>", type_="unavailable"))
    assert not gone.available and gone.departure is Departure.LEFT
    assert gone.role is Role.NONE and gone.status == "bye" and gone.is_self


def test_a_rename_names_the_new_nick() -> None:
    renamed = occupant(_presence(
        f"<x xmlns='{USER_NS}'><item affiliation='member' role='participant' "
        "jid='ada@example.org/laptop' nick='countess'/><status code='303'/>"
        "<status code='110'/></x>", type_="unavailable"))
    assert renamed.departure is Departure.NICK_CHANGED
    assert (renamed.nick, renamed.new_nick) == ("ada", "countess")


def test_a_rename_without_the_new_nick_is_refused() -> None:
    with pytest.raises(ParseError, match="names the new nick") as caught:
        occupant(_presence(f"<x xmlns='{USER_NS}'><item affiliation='member' "
                           "role='participant'/><status code='303'/></x>",
                           type_="unavailable"))
    assert caught.value.condition == "bad-request"
    assert caught.value.path == "/presence/x/item/@nick"


def test_a_kick_gives_the_actor_and_the_reason() -> None:
    kicked = occupant(_presence(
        f"<x xmlns='{USER_NS}'><item affiliation='none' role='none'>"
        "<actor nick='charles'/><reason>too many questions</reason></item>"
        "<status code='110'/><status code='307'/></x>", type_="unavailable"))
    assert kicked.departure is Departure.KICKED
    assert kicked.actor is not None and kicked.actor.nick == "charles"
    assert kicked.reason == "too many questions" and kicked.is_self


@pytest.mark.parametrize(("codes", "departure"), [
    ((301,), Departure.BANNED),
    ((321,), Departure.AFFILIATION_CHANGED),
    ((322,), Departure.MEMBERS_ONLY),
    ((332,), Departure.SHUTDOWN),
    ((333,), Departure.ERROR),
    # Some services add a kick to a removal after an error; the XEP says to read 333.
    ((307, 333), Departure.ERROR),
    ((110, 307, 333), Departure.ERROR),
    ((307,), Departure.KICKED),
    ((110,), Departure.LEFT),
    ((), Departure.LEFT),
])
def test_each_removal_code_is_its_departure(codes: tuple[int, ...],
                                            departure: Departure) -> None:
    statuses = "".join(f"<status code='{code}'/>" for code in codes)
    affiliation = "outcast" if 301 in codes else "none"
    gone = occupant(_presence(
        f"<x xmlns='{USER_NS}'><item affiliation='{affiliation}' role='none'/>{statuses}</x>",
        type_="unavailable"))
    assert gone.departure is departure


def test_the_destruction_notice_gives_the_venue_and_the_reason() -> None:
    gone = occupant(_presence(
        f"<x xmlns='{USER_NS}'><item affiliation='owner' role='none'/>"
        "<destroy jid='parlour@rooms.example.org'><reason>moving house</reason>"
        "<password>new-s3cret</password></destroy><status code='110'/></x>",
        type_="unavailable"))
    assert gone.departure is Departure.DESTROYED
    assert gone.destroyed is not None
    assert gone.destroyed.jid == JID.parse("parlour@rooms.example.org")
    assert gone.destroyed.password == "new-s3cret"
    assert gone.reason == "moving house"


def test_the_destruction_counts_before_any_status_code() -> None:
    gone = occupant(_presence(
        f"<x xmlns='{USER_NS}'><item affiliation='none' role='none'/><destroy/>"
        "<status code='307'/></x>", type_="unavailable"))
    assert gone.departure is Departure.DESTROYED and gone.reason is None


def test_an_available_presence_has_no_departure_whatever_its_codes() -> None:
    # 303 only means a rename on the unavailable presence of the old nick.
    here = occupant(_presence(f"<x xmlns='{USER_NS}'><item affiliation='none' "
                              "role='participant' nick='ada'/><status code='303'/></x>"))
    assert here.available and here.departure is None and here.new_nick is None


@pytest.mark.parametrize(("inner", "sender", "words", "path"), [
    ("", "lounge@rooms.example.org/ada", "one muc#user <x/>, not 0", "/presence/x"),
    (f"<x xmlns='{USER_NS}'/><x xmlns='{USER_NS}'/>", "lounge@rooms.example.org/ada",
     "not 2", "/presence/x"),
    (f"<x xmlns='{USER_NS}'><status code='110'/></x>", "lounge@rooms.example.org/ada",
     "gives the affiliation and the role", "/presence/x/item"),
    (f"<x xmlns='{USER_NS}'><item role='participant'/></x>", "lounge@rooms.example.org/ada",
     "gives the affiliation and the role", "/presence/x/item"),
    (f"<x xmlns='{USER_NS}'><item affiliation='none' role='participant'/></x>",
     "lounge@rooms.example.org", "occupant JID", "/presence/@from"),
])
def test_what_is_not_an_occupant_presence_is_refused(inner: str, sender: str, words: str,
                                                     path: str) -> None:
    with pytest.raises(ParseError, match=words) as caught:
        occupant(_presence(inner, sender=sender))
    assert caught.value.condition == "bad-request" and caught.value.path == path


def test_an_occupant_presence_needs_a_sender() -> None:
    stanza = Presence(extensions=(UserX(),))
    with pytest.raises(ParseError, match="not nobody"):
        occupant(stanza)


def test_occupant_reads_only_available_and_unavailable_presence() -> None:
    with pytest.raises(ArgumentValueError, match="join_failure"):
        occupant(_presence("<error type='cancel'><conflict "
                           "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
                           type_="error"))
    with pytest.raises(ArgumentValueError, match="not subscribe"):
        occupant(_presence("", type_="subscribe"))
    with pytest.raises(ArgumentTypeError, match="reads a Presence"):
        occupant(xepcodec.parse("<message xmlns='jabber:client'/>"))


# -- refusals ------------------------------------------------------------------------------


def _refusal(condition: str, type_: str) -> Presence:
    return _presence(
        "<x xmlns='http://jabber.org/protocol/muc'/>"
        f"<error by='lounge@rooms.example.org' type='{type_}'>"
        f"<{condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
        type_="error")


@pytest.mark.parametrize(("condition", "type_", "refusal"), [
    ("not-authorized", "auth", Refusal.PASSWORD_REQUIRED),
    ("forbidden", "auth", Refusal.BANNED),
    ("item-not-found", "cancel", Refusal.ROOM_NOT_FOUND),
    ("not-allowed", "cancel", Refusal.CREATION_RESTRICTED),
    ("not-acceptable", "cancel", Refusal.RESERVED_NICK_REQUIRED),
    ("registration-required", "auth", Refusal.MEMBERS_ONLY),
    ("conflict", "cancel", Refusal.NICK_CONFLICT),
    ("service-unavailable", "wait", Refusal.ROOM_FULL),
    ("jid-malformed", "modify", Refusal.NO_NICK),
    ("internal-server-error", "wait", Refusal.OTHER),
])
def test_each_refusal_of_the_table(condition: str, type_: str, refusal: Refusal) -> None:
    failure = join_failure(_refusal(condition, type_))
    assert failure.refusal is refusal
    assert failure.condition == Condition(condition)
    assert failure.error.type == ErrorType(type_)
    assert (failure.room, failure.nick) == (ROOM, "ada")


def test_a_refusal_keeps_the_rooms_text_and_matches_by_pattern() -> None:
    failure = join_failure(_presence(
        "<error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
        "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>That nickname is already in use by "
        "another occupant</text></error>", type_="error"))
    match failure:
        case JoinFailure(refusal=Refusal.NICK_CONFLICT, nick="ada"):
            pass
        case _:
            pytest.fail(f"not matched: {failure}")
    assert failure.text == "That nickname is already in use by another occupant"


def test_a_refusal_from_the_bare_room_has_no_nick() -> None:
    failure = join_failure(_presence(
        "<error type='modify'><jid-malformed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
        "</error>", sender="lounge@rooms.example.org", type_="error"))
    assert failure.refusal is Refusal.NO_NICK
    assert (failure.room, failure.nick) == (ROOM, None)


def test_join_failure_reads_only_error_presence() -> None:
    with pytest.raises(ArgumentValueError, match="only an error presence"):
        join_failure(_presence(PROSODY_SELF))
    with pytest.raises(ArgumentTypeError, match="reads a Presence"):
        join_failure(Occupant(room=ROOM, nick="a", role=Role.NONE,  # type: ignore[arg-type]
                              affiliation=Affiliation.NONE))
