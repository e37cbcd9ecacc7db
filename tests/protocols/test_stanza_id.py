"""Tests for xepcodec.protocols.stanza_id (XEP-0359 Unique and Stable Stanza IDs).

The XML below is written for these tests.
"""

from __future__ import annotations

import pytest
from lxml import etree
from payloads import rejects, typed

from xepcodec.core.stanzas import Message
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError
from xepcodec.model import decode, encode
from xepcodec.protocols.stanza_id import (
    NS_SID,
    OriginId,
    ReferencedStanza,
    StanzaId,
    check_stanza_ids,
    stanza_id_by,
)


def test_the_elements() -> None:
    assert typed(f"<stanza-id xmlns='{NS_SID}' id='a1' by='room@muc.example.org'/>") == \
        StanzaId(id="a1", by=JID.parse("room@muc.example.org"))
    assert typed(f"<origin-id xmlns='{NS_SID}' id='b2'/>") == OriginId(id="b2")
    assert typed(f"<referenced-stanza xmlns='{NS_SID}' id='c3'/>") == ReferencedStanza(id="c3")
    assert encode(StanzaId(id="a1", by=JID.parse("example.org"))) == (
        b'<stanza-id xmlns="urn:xmpp:sid:0" id="a1" by="example.org"/>')


@pytest.mark.parametrize(("xml", "words", "condition"), [
    (f"<stanza-id xmlns='{NS_SID}' by='example.org'/>", ["stanza-id", "'id'"], "bad-request"),
    (f"<stanza-id xmlns='{NS_SID}' id='a1'/>", ["stanza-id", "'by'"], "bad-request"),
    (f"<stanza-id xmlns='{NS_SID}' id='a1' by='a@@b'/>", [], "jid-malformed"),
    (f"<origin-id xmlns='{NS_SID}'/>", ["origin-id", "'id'"], "bad-request"),
    (f"<origin-id xmlns='{NS_SID}' id='b2' by='example.org'/>", ["by"], "bad-request"),
    (f"<origin-id xmlns='{NS_SID}' id='b2'>text</origin-id>", ["no text"], "bad-request"),
    (f"<stanza-id xmlns='{NS_SID}' id='a1' by='example.org'><x xmlns='urn:x'/></stanza-id>",
     ["stanza-id"], "bad-request"),
    (f"<referenced-stanza xmlns='{NS_SID}' by='example.org'/>", ["'id'"], "bad-request"),
])
def test_rejections(xml: str, words: list[str], condition: str) -> None:
    rejects(xml, *words, condition=condition)


def _message(*ids: str) -> Message:
    message = decode(etree.fromstring(
        ("<message xmlns='jabber:client' to='room@muc.example.org' type='groupchat'>"
         "<body>hi</body>" + "".join(ids) + "</message>").encode()))
    assert isinstance(message, Message)
    return message


def test_ids_in_a_message() -> None:
    message = _message(f"<stanza-id xmlns='{NS_SID}' id='s1' by='room@muc.example.org'/>",
                       f"<stanza-id xmlns='{NS_SID}' id='s2' by='juliet@example.com'/>",
                       f"<origin-id xmlns='{NS_SID}' id='o1'/>")
    check_stanza_ids(message)
    assert stanza_id_by(message, "room@muc.example.org") == "s1"
    assert stanza_id_by(message, JID.parse("juliet@example.com")) == "s2"
    assert stanza_id_by(message, "example.org") is None
    assert message.find(OriginId) == OriginId(id="o1")


def test_two_stanza_ids_by_one_entity_are_refused() -> None:
    message = _message(f"<stanza-id xmlns='{NS_SID}' id='s1' by='room@muc.example.org'/>",
                       f"<stanza-id xmlns='{NS_SID}' id='s2' by='Room@muc.example.org'/>")
    with pytest.raises(ParseError) as caught:
        check_stanza_ids(message)
    assert caught.value.condition == "bad-request"
    assert "room@muc.example.org" in caught.value.message
    assert "at most one" in caught.value.message
    assert caught.value.path == "/message/stanza-id"
