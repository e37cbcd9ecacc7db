"""Tests for xepcodec.protocols.correction (XEP-0308 last message correction).

The XML below is written for these tests; the XEP's own examples run in the conformance
test.
"""

from __future__ import annotations

import dataclasses

import pytest
from payloads import rejects, typed

import xepcodec
from xepcodec.core.stanza_errors import StanzaError
from xepcodec.core.stanzas import Body, Message, MessageType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.model import encode
from xepcodec.protocols.correction import (
    NS_CORRECTION,
    Replace,
    correction,
    corrects,
    read_correction,
)

REPLACE = f"<replace xmlns='{NS_CORRECTION}' id='m1'/>"
CHAT = ("<message xmlns='jabber:client' from='romeo@example.net/orchard' "
        "to='juliet@example.com/balcony' type='chat'{}><body>window</body>{}</message>")


def _message(inner: str, *, id: str | None = "m2") -> Message:
    stanza = xepcodec.parse(CHAT.format("" if id is None else f" id='{id}'", inner))
    assert isinstance(stanza, Message)
    return stanza


def _sent(text: str, id: str, *, sender: str = "romeo@example.net/orchard",
          type: MessageType = MessageType.CHAT) -> Message:
    return Message(type=type, from_=JID.parse(sender), to=JID.parse("juliet@example.com"),
                   id=id, bodies=(Body(text=text),))


# -- the element ------------------------------------------------------------------------------


def test_the_element_is_typed_and_written_back() -> None:
    read = typed(REPLACE)
    assert read == Replace(id="m1")
    assert encode(read) == b'<replace xmlns="urn:xmpp:message-correct:0" id="m1"/>'


@pytest.mark.parametrize(("xml", "words"), [
    (f"<replace xmlns='{NS_CORRECTION}'/>", ["'id'"]),
    (f"<replace xmlns='{NS_CORRECTION}' id=''/>", ["id", "empty"]),
    (f"<replace xmlns='{NS_CORRECTION}' id='m1'>airlock</replace>", ["text"]),
    (f"<replace xmlns='{NS_CORRECTION}' id='m1'><body/></replace>", []),
])
def test_a_malformed_replace_is_refused_by_parse_and_schema(xml: str, words: list[str]) -> None:
    error = rejects(xml, *words)
    assert error.path is not None and error.path.startswith("/replace")
    assert not xepcodec.validate(xml.encode()).ok


def test_construction_refuses_an_empty_id() -> None:
    with pytest.raises(ArgumentValueError, match=r"Replace\.id"):
        Replace(id="")


# -- one message ------------------------------------------------------------------------------


def test_a_correction_names_the_message_it_replaces() -> None:
    message = _message(REPLACE)
    assert message.extensions == (Replace(id="m1"),)
    assert read_correction(message) == "m1"
    assert read_correction(_message("")) is None
    data = xepcodec.serialize(message)
    assert xepcodec.validate(data).ok and xepcodec.parse(data) == message


@pytest.mark.parametrize(("inner", "id", "words", "path"), [
    (REPLACE + REPLACE.replace("m1", "m0"), "m2", "2 <replace/>", "/message/replace"),
    (REPLACE, None, "no id of its own", "/message/@id"),
    (REPLACE, "m1", "new id", "/message/@id"),
])
def test_a_malformed_correction_is_refused_when_read(inner: str, id: str | None, words: str,
                                                     path: str) -> None:
    message = _message(inner, id=id)
    with pytest.raises(ParseError, match=words) as caught:
        read_correction(message)
    assert caught.value.condition == "bad-request" and caught.value.path == path
    assert "XEP-0308" in caught.value.message


def test_read_correction_reads_messages_only() -> None:
    with pytest.raises(ArgumentTypeError, match="Message"):
        read_correction(Replace(id="m1"))  # type: ignore[arg-type]


def test_correction_adds_replace_to_the_whole_message() -> None:
    original = _sent("airlock", "bad1")
    fixed = dataclasses.replace(original, id="good1", bodies=(Body(text="window"),))
    built = correction(fixed, replaces="bad1")
    assert built == dataclasses.replace(fixed, extensions=(Replace(id="bad1"),))
    assert read_correction(built) == "bad1"
    data = xepcodec.serialize(built)
    assert xepcodec.validate(data).ok and xepcodec.parse(data) == built


@pytest.mark.parametrize(("message", "replaces", "words"), [
    (_sent("window", "good1"), "", "non-empty"),
    (dataclasses.replace(_sent("window", "good1"), id=None), "bad1", "id of its own"),
    (_sent("window", "bad1"), "bad1", "other than 'bad1'"),
    (correction(_sent("window", "good1"), replaces="bad1"), "bad0", "already carries"),
    (Message(type=MessageType.ERROR, id="good1", error=StanzaError.of("not-acceptable")),
     "bad1", "error message"),
])
def test_correction_refuses_what_no_reader_would_take(message: Message, replaces: str,
                                                      words: str) -> None:
    with pytest.raises(ArgumentValueError, match=words):
        correction(message, replaces=replaces)


def test_correction_builds_from_messages_only() -> None:
    with pytest.raises(ArgumentTypeError, match="Message"):
        correction("window", replaces="bad1")  # type: ignore[arg-type]


# -- two messages -----------------------------------------------------------------------------


def test_a_direct_chat_correction_comes_from_the_same_bare_jid() -> None:
    original = _sent("airlock", "bad1")
    assert corrects(correction(_sent("window", "good1"), replaces="bad1"), original)
    # another client of the same account may correct it (XEP-0308 §4)
    other_client = _sent("window", "good1", sender="romeo@example.net/garden")
    assert corrects(correction(other_client, replaces="bad1"), original)
    stranger = _sent("window", "good1", sender="tybalt@example.net/orchard")
    assert not corrects(correction(stranger, replaces="bad1"), original)
    # no 'from' is the account itself, which is no other sender
    own = dataclasses.replace(original, from_=None)
    unstamped = correction(dataclasses.replace(_sent("window", "good1"), from_=None),
                           replaces="bad1")
    assert corrects(unstamped, own)
    assert not corrects(unstamped, original) and not corrects(
        correction(_sent("window", "good1"), replaces="bad1"), own)


def test_in_a_room_the_full_jid_must_match() -> None:
    room = "lounge@rooms.example.org"
    original = _sent("airlock", "bad1", sender=f"{room}/romeo", type=MessageType.GROUPCHAT)
    again = _sent("window", "good1", sender=f"{room}/romeo", type=MessageType.GROUPCHAT)
    assert corrects(correction(again, replaces="bad1"), original)
    other = _sent("window", "good1", sender=f"{room}/tybalt", type=MessageType.GROUPCHAT)
    assert not corrects(correction(other, replaces="bad1"), original)
    # a private message from an occupant: the caller says so
    private = _sent("airlock", "bad2", sender=f"{room}/romeo")
    from_another = correction(_sent("window", "good2", sender=f"{room}/tybalt"),
                              replaces="bad2")
    assert corrects(from_another, private)
    assert not corrects(from_another, private, occupant=True)


def test_a_correction_names_the_original_and_keeps_its_type() -> None:
    original = _sent("airlock", "bad1")
    first = correction(_sent("doorway", "good1"), replaces="bad1")
    second = correction(_sent("window", "good2"), replaces="bad1")
    assert corrects(first, original) and corrects(second, original)
    assert not corrects(second, first)  # a chain names the original, not the correction
    assert not corrects(_sent("window", "good1"), original)  # no <replace/>
    normal = correction(_sent("window", "good1", type=MessageType.NORMAL), replaces="bad1")
    assert not corrects(normal, original)
    # no type is the normal type
    untyped = correction(dataclasses.replace(_sent("window", "good1"), type=None),
                         replaces="bad1")
    assert corrects(untyped, _sent("airlock", "bad1", type=MessageType.NORMAL))
    with pytest.raises(ArgumentTypeError, match="Message"):
        corrects(first, "bad1")  # type: ignore[arg-type]
