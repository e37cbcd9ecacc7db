"""Tests for xepcodec.protocols.occupant_id (XEP-0421 occupant identifiers).

The XML below is written for these tests, in the shapes Prosody's mod_muc sends.
"""

from __future__ import annotations

import pytest
from payloads import rejects, typed

import xepcodec
from xepcodec.core.stanzas import Iq, Message, Presence
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.model import encode
from xepcodec.protocols.occupant_id import MAX_LENGTH, NS_OCCUPANT_ID, OccupantId, occupant_id

ROOM_MESSAGE = (
    "<message xmlns='jabber:client' from='lounge@rooms.example.org/ada' "
    "to='charles@example.org/desk' type='groupchat' id='m1'><body>hello</body>{}</message>")


def _message(inner: str) -> Message:
    stanza = xepcodec.parse(ROOM_MESSAGE.format(inner))
    assert isinstance(stanza, Message)
    return stanza


def test_the_element_is_typed_and_written_back() -> None:
    read = typed(f"<occupant-id xmlns='{NS_OCCUPANT_ID}' id='dGhlLW9jY3VwYW50'/>")
    assert read == OccupantId(id="dGhlLW9jY3VwYW50")
    assert encode(read) == b'<occupant-id xmlns="urn:xmpp:occupant-id:0" id="dGhlLW9jY3VwYW50"/>'


def test_a_room_message_carries_its_senders_occupant_id() -> None:
    message = _message(f"<occupant-id xmlns='{NS_OCCUPANT_ID}' id='abc'/>")
    assert occupant_id(message) == "abc"
    assert occupant_id(_message("")) is None
    data = xepcodec.serialize(message)
    assert xepcodec.validate(data).ok and xepcodec.parse(data) == message


def test_the_id_is_opaque_up_to_its_length() -> None:
    longest = "x" * MAX_LENGTH
    assert OccupantId(id=longest).id == longest
    assert OccupantId(id=" +/= ").id == " +/= "  # opaque: any characters count
    rejects(f"<occupant-id xmlns='{NS_OCCUPANT_ID}' id='{longest}y'/>", "id", "128")
    with pytest.raises(ArgumentValueError, match="128"):
        OccupantId(id=longest + "y")


@pytest.mark.parametrize(("xml", "words"), [
    (f"<occupant-id xmlns='{NS_OCCUPANT_ID}'/>", ["occupant-id", "'id'"]),
    (f"<occupant-id xmlns='{NS_OCCUPANT_ID}' id=''/>", ["id", "empty"]),
    (f"<occupant-id xmlns='{NS_OCCUPANT_ID}' id='a'>text</occupant-id>", ["text"]),
    (f"<occupant-id xmlns='{NS_OCCUPANT_ID}' id='a'><x/></occupant-id>", []),
    (f"<occupant-id xmlns='{NS_OCCUPANT_ID}' id='a' by='room'/>", ["by"]),
])
def test_malformed_occupant_ids_are_refused_by_parse_and_schema(xml: str,
                                                                  words: list[str]) -> None:
    rejects(xml, *words)
    assert not xepcodec.validate(xml.encode()).ok


def test_two_occupant_ids_in_a_stanza_are_refused_when_read() -> None:
    twice = _message(f"<occupant-id xmlns='{NS_OCCUPANT_ID}' id='a'/>"
                     f"<occupant-id xmlns='{NS_OCCUPANT_ID}' id='b'/>")
    with pytest.raises(ParseError, match="at most one") as caught:
        occupant_id(twice)
    assert caught.value.condition == "bad-request"
    assert caught.value.path == "/message/occupant-id"


def test_occupant_id_reads_messages_and_presence_only() -> None:
    presence = xepcodec.parse(
        "<presence xmlns='jabber:client' from='lounge@rooms.example.org/ada'>"
        f"<occupant-id xmlns='{NS_OCCUPANT_ID}' id='p'/></presence>")
    assert isinstance(presence, Presence) and occupant_id(presence) == "p"
    iq = xepcodec.parse("<iq xmlns='jabber:client' type='result' id='q'/>")
    assert isinstance(iq, Iq)
    with pytest.raises(ArgumentTypeError, match="not Iq"):
        occupant_id(iq)  # type: ignore[arg-type]
