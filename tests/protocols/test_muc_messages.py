"""Tests for xepcodec.protocols.muc.messages: the message builders of a MUC client (and
room), and read_message telling the room's message shapes apart.

The stanzas below are written for these tests; the forwarded invitation and the status
notice have the shapes Prosody's mod_muc gives them (a body and a jabber:x:conference
<x/> added to the invitation, a groupchat message from the room holding only codes).
"""

from __future__ import annotations

from typing import Any

import pytest

import xepcodec
from xepcodec.core.stanzas import Message, MessageType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.protocols.dataforms import FormType
from xepcodec.protocols.muc.core import Role
from xepcodec.protocols.muc.features import Anonymity
from xepcodec.protocols.muc.forms import VoiceRequestForm
from xepcodec.protocols.muc.messages import (
    DeclinedInvitation,
    GroupchatMessage,
    Invitation,
    PrivateMessage,
    RoomNotice,
    SubjectChange,
    VoiceRequest,
    change_subject,
    decline,
    forwarded_invite,
    groupchat,
    invite,
    private_message,
    read_message,
    room_notice,
    voice_request,
)
from xepcodec.protocols.muc.user import Continue, Invite, StatusCode, UserX

ROOM = JID.parse("lounge@rooms.example.org")
ADA = JID.parse("ada@example.org/laptop")
CHARLES = JID.parse("charles@example.net")
USER_NS = "http://jabber.org/protocol/muc#user"


def _read_back(message: Message) -> Message:
    """The message written out, checked by validate, and parsed again."""
    data = xepcodec.serialize(message)
    report = xepcodec.validate(data)
    assert report.ok, report.errors
    parsed = xepcodec.parse(data)
    assert parsed == message
    assert isinstance(parsed, Message)
    return parsed


def _message(inner: str, *, sender: str = "lounge@rooms.example.org/charles",
             to: str = str(ADA), type_: str | None = "groupchat") -> Message:
    kind = f" type='{type_}'" if type_ else ""
    stanza = xepcodec.parse(f"<message xmlns='jabber:client' from='{sender}' to='{to}'"
                            f"{kind} id='m1'>{inner}</message>")
    assert isinstance(stanza, Message)
    return stanza


# -- builders, read back ----------------------------------------------------------------


def test_a_groupchat_message_goes_to_the_bare_room() -> None:
    built = _read_back(groupchat(ROOM, "the engine runs", id="g1", lang="en"))
    assert (built.type, built.to, built.body, built.lang) == (
        MessageType.GROUPCHAT, ROOM, "the engine runs", "en")
    reading = read_message(built)
    assert reading == GroupchatMessage(room=ROOM, nick=None, body="the engine runs",
                                       message=built)


def test_a_subject_change_holds_only_the_subject_and_may_clear_it() -> None:
    built = _read_back(change_subject(ROOM, "Notes on the engine"))
    assert built.bodies == () and built.thread is None
    assert read_message(built) == SubjectChange(room=ROOM, nick=None,
                                                subject="Notes on the engine", message=built)
    cleared = _read_back(change_subject(ROOM, ""))
    assert b"<subject/>" in xepcodec.serialize(cleared)
    reading = read_message(cleared)
    assert isinstance(reading, SubjectChange) and reading.subject == ""


def test_a_private_message_is_chat_to_the_occupant_with_the_empty_user_x() -> None:
    built = _read_back(private_message(ROOM, "charles", "a word?", id="p1"))
    assert built.type == MessageType.CHAT
    assert built.to == ROOM.with_resource("charles")
    assert built.extensions == (UserX(),)
    assert read_message(built) == PrivateMessage(room=ROOM, nick="charles", body="a word?",
                                                 message=built)


def test_a_mediated_invitation_goes_to_the_room() -> None:
    built = _read_back(invite(ROOM, CHARLES, reason="come and see", from_=ADA))
    assert built.to == ROOM and built.type is None
    assert built.extensions == (UserX(invites=(Invite(to=CHARLES, reason="come and see"),)),)
    reading = read_message(built)
    assert reading == Invitation(room=ROOM, inviter=ADA, invitees=(CHARLES,),
                                 forwarded=False, reason="come and see", message=built)


def test_an_invitation_continuing_a_chat_names_its_thread() -> None:
    built = _read_back(invite(ROOM, CHARLES, thread="e0ffe42b28561960c6b12b944a092794b9683a38"))
    x = built.find(UserX)
    assert x is not None
    assert x.invites[0].continue_ == Continue(thread="e0ffe42b28561960c6b12b944a092794b9683a38")
    reading = read_message(built)
    assert isinstance(reading, Invitation) and reading.continues
    assert reading.thread == "e0ffe42b28561960c6b12b944a092794b9683a38"
    plain = read_message(_read_back(invite(ROOM, CHARLES, continues=True)))
    assert isinstance(plain, Invitation) and plain.continues and plain.thread is None


def test_the_forwarded_invitation_comes_from_the_room_with_its_password() -> None:
    built = _read_back(forwarded_invite(ROOM, CHARLES, ADA, reason="come and see",
                                        password="s3cret"))
    assert (built.from_, built.to) == (ROOM, CHARLES)
    reading = read_message(built)
    assert reading == Invitation(room=ROOM, inviter=ADA, invitees=(CHARLES,), forwarded=True,
                                 reason="come and see", password="s3cret", message=built)


def test_a_decline_goes_to_the_room_naming_the_inviter() -> None:
    built = _read_back(decline(ROOM, ADA.bare, reason="not tonight",
                               from_=CHARLES.with_resource("phone")))
    reading = read_message(built)
    assert reading == DeclinedInvitation(room=ROOM, decliner=CHARLES.with_resource("phone"),
                                         inviter=ADA.bare, forwarded=False,
                                         reason="not tonight", message=built)


def test_a_voice_request_is_the_submitted_request_form() -> None:
    built = _read_back(voice_request(ROOM, id="v1"))
    reading = read_message(built)
    assert isinstance(reading, VoiceRequest)
    assert reading.form == VoiceRequestForm(role=Role.PARTICIPANT)
    (form,) = built.extensions
    assert form.type == FormType.SUBMIT


def test_a_room_notice_holds_only_status_codes() -> None:
    built = _read_back(room_notice(ROOM, [StatusCode.CONFIG_CHANGED], to=ADA))
    assert (built.type, built.from_, built.bodies) == (MessageType.GROUPCHAT, ROOM, ())
    assert read_message(built) == RoomNotice(room=ROOM,
                                             codes=frozenset({StatusCode.CONFIG_CHANGED}),
                                             message=built)
    with pytest.raises(ArgumentValueError, match="at least one status code"):
        room_notice(ROOM, [])


@pytest.mark.parametrize("room", [JID.parse("rooms.example.org"),
                                  JID.parse("lounge@rooms.example.org/ada")])
def test_builders_want_a_bare_room_jid(room: JID) -> None:
    with pytest.raises(ArgumentValueError, match="bare JID room@service"):
        groupchat(room, "hello")
    with pytest.raises(ArgumentValueError, match="bare JID room@service"):
        invite(room, CHARLES)
    with pytest.raises(ArgumentValueError, match="bare JID room@service"):
        voice_request(str(room))  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="the room is a JID or a str"):
        voice_request(7)  # type: ignore[arg-type]


# -- reading what a room sends ------------------------------------------------------------


def test_history_and_live_messages_name_the_sender() -> None:
    reading = read_message(_message(
        "<body>first!</body><delay xmlns='urn:xmpp:delay' from='lounge@rooms.example.org' "
        "stamp='2026-01-02T03:04:05Z'/>"))
    assert isinstance(reading, GroupchatMessage)
    assert (reading.room, reading.nick, reading.body) == (ROOM, "charles", "first!")


def test_the_subject_on_entering_comes_from_the_room_or_its_setter() -> None:
    by_charles = read_message(_message("<subject>Engines</subject>"))
    assert isinstance(by_charles, SubjectChange)
    assert (by_charles.nick, by_charles.subject) == ("charles", "Engines")
    by_room = read_message(_message("<subject/>", sender=str(ROOM)))
    assert isinstance(by_room, SubjectChange)
    assert (by_room.room, by_room.nick, by_room.subject) == (ROOM, None, "")


@pytest.mark.parametrize("inner", [
    "<subject>Engines</subject><body>and a message</body>",
    "<subject>Engines</subject><thread>t1</thread><body>x</body>",
])
def test_a_subject_with_a_body_is_a_message_not_a_subject_change(inner: str) -> None:
    reading = read_message(_message(inner))
    assert isinstance(reading, GroupchatMessage)


def test_a_subject_with_only_a_thread_is_neither() -> None:
    assert read_message(_message("<subject>Engines</subject><thread>t1</thread>")) is None


PROSODY_INVITATION = (
    "<body>ada@example.org/laptop invited you to the room lounge@rooms.example.org "
    "(come and see)</body>"
    f"<x xmlns='{USER_NS}'><invite from='ada@example.org/laptop'>"
    "<reason>come and see</reason></invite><password>s3cret</password></x>"
    "<x xmlns='jabber:x:conference' jid='lounge@rooms.example.org'>come and see</x>")


def test_prosodys_forwarded_invitation_with_its_body_is_an_invitation() -> None:
    reading = read_message(_message(PROSODY_INVITATION, sender=str(ROOM), to=str(CHARLES),
                                    type_=None))
    assert isinstance(reading, Invitation)
    assert (reading.room, reading.inviter, reading.invitees, reading.forwarded) == (
        ROOM, ADA, (CHARLES,), True)
    assert (reading.reason, reading.password) == ("come and see", "s3cret")


def test_an_invitation_to_the_room_may_name_several_invitees() -> None:
    reading = read_message(_message(
        f"<x xmlns='{USER_NS}'><invite to='charles@example.net'/>"
        "<invite to='mary@example.com'/></x>", sender=str(ADA), to=str(ROOM), type_=None))
    assert isinstance(reading, Invitation) and not reading.forwarded
    assert reading.invitees == (CHARLES, JID.parse("mary@example.com"))
    assert (reading.room, reading.inviter) == (ROOM, ADA)


def test_the_forwarded_decline_names_the_decliner() -> None:
    message = _message(f"<x xmlns='{USER_NS}'><decline from='charles@example.net'>"
                       "<reason>not tonight</reason></decline></x>", sender=str(ROOM),
                       type_=None)
    assert read_message(message) == DeclinedInvitation(
        room=ROOM, decliner=CHARLES, inviter=ADA, forwarded=True, reason="not tonight",
        message=message)


def test_the_rooms_approval_form_for_a_voice_request() -> None:
    reading = read_message(_message(
        "<x xmlns='jabber:x:data' type='form'><title>Voice request</title>"
        "<field var='FORM_TYPE' type='hidden'>"
        "<value>http://jabber.org/protocol/muc#request</value></field>"
        "<field var='muc#role' type='list-single' label='Requested role'>"
        "<value>participant</value><option><value>visitor</value></option>"
        "<option><value>participant</value></option></field>"
        "<field var='muc#jid' type='jid-single'><value>charles@example.net/phone</value>"
        "</field><field var='muc#roomnick' type='text-single'><value>charles</value></field>"
        "<field var='muc#request_allow' type='boolean'><value>0</value></field></x>",
        sender=str(ROOM), type_=None))
    assert isinstance(reading, VoiceRequest)
    assert reading.form.role is Role.PARTICIPANT
    assert reading.form.jid == CHARLES.with_resource("phone")
    assert (reading.form.roomnick, reading.form.request_allow) == ("charles", False)


def test_a_form_of_another_type_is_not_a_voice_request() -> None:
    assert read_message(_message(
        "<x xmlns='jabber:x:data' type='form'><field var='FORM_TYPE' type='hidden'>"
        "<value>urn:example:poll</value></field></x>", type_=None)) is None


@pytest.mark.parametrize(("codes", "changed", "logging", "anonymity"), [
    ((104,), True, None, None),
    ((170,), False, True, None),
    ((171, 104), True, False, None),
    ((172,), False, None, Anonymity.NON_ANONYMOUS),
    ((173,), False, None, Anonymity.SEMI_ANONYMOUS),
    ((174,), False, None, Anonymity.FULLY_ANONYMOUS),
])
def test_the_rooms_notices(codes: tuple[int, ...], changed: bool, logging: bool | None,
                           anonymity: Anonymity | None) -> None:
    statuses = "".join(f"<status code='{code}'/>" for code in codes)
    reading = read_message(_message(f"<x xmlns='{USER_NS}'>{statuses}</x>",
                                    sender=str(ROOM)))
    assert isinstance(reading, RoomNotice) and reading.room == ROOM
    assert reading.codes == frozenset(codes)
    assert (reading.config_changed, reading.logging, reading.anonymity) == (
        changed, logging, anonymity)


def test_a_notice_with_a_body_for_older_clients_is_still_a_notice() -> None:
    reading = read_message(_message(
        f"<body>The room configuration changed.</body><x xmlns='{USER_NS}'>"
        "<status code='104'/></x>", sender=str(ROOM)))
    assert isinstance(reading, RoomNotice) and reading.config_changed


def test_status_codes_from_an_occupant_are_no_notice() -> None:
    reading = read_message(_message(f"<body>hi</body><x xmlns='{USER_NS}'>"
                                    "<status code='104'/></x>"))
    assert isinstance(reading, GroupchatMessage)
    assert read_message(_message(f"<x xmlns='{USER_NS}'><status code='104'/></x>")) is None


def test_an_affiliation_change_while_away_is_a_normal_notice() -> None:
    reading = read_message(_message(
        f"<x xmlns='{USER_NS}'><item affiliation='member' jid='ada@example.org'/>"
        "<status code='101'/></x>", sender=str(ROOM), type_=None))
    assert isinstance(reading, RoomNotice)
    assert reading.codes == {StatusCode.AFFILIATION_CHANGED}


def test_a_received_private_message() -> None:
    reading = read_message(_message(f"<body>psst</body><x xmlns='{USER_NS}'/>",
                                    type_="chat"))
    assert isinstance(reading, PrivateMessage)
    assert (reading.room, reading.nick, reading.body) == (ROOM, "charles", "psst")


@pytest.mark.parametrize(("inner", "type_", "sender"), [
    # A private message without the <x/> looks like any chat.
    ("<body>psst</body>", "chat", "lounge@rooms.example.org/charles"),
    # A chat from a contact.
    ("<body>hello</body>", "chat", "charles@example.net/phone"),
    # An error the room returns.
    ("<subject>x</subject><error type='auth'><forbidden "
     "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>", "error",
     "lounge@rooms.example.org"),
    # A groupchat message with nothing to read.
    ("<active xmlns='http://jabber.org/protocol/chatstates'/>", "groupchat",
     "lounge@rooms.example.org/charles"),
])
def test_what_is_no_room_message_reads_as_none(inner: str, type_: str, sender: str) -> None:
    assert read_message(_message(inner, type_=type_, sender=sender)) is None


def test_a_groupchat_message_from_no_room_is_refused() -> None:
    with pytest.raises(ParseError, match="comes from a room") as caught:
        read_message(_message("<body>hi</body>", sender="example.org"))
    assert caught.value.condition == "bad-request"
    assert caught.value.path == "/message/@from"


def test_read_message_reads_messages() -> None:
    thing: Any = xepcodec.parse("<presence xmlns='jabber:client'/>")
    with pytest.raises(ArgumentTypeError, match="reads a Message"):
        read_message(thing)
