"""Tests for xepcodec.protocols.delay (XEP-0203 Delayed Delivery).

The XML below is written for these tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from lxml import etree
from payloads import rejects, schema_accepts, typed

from xepcodec.core.stanzas import Message, Presence
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError
from xepcodec.model import decode, encode
from xepcodec.protocols.delay import NS_DELAY, Delay, delay_added_by


def test_the_element() -> None:
    got = typed(f"<delay xmlns='{NS_DELAY}' from='example.com' "
                "stamp='2031-04-01T08:15:00.250Z'>Stored while you were away</delay>")
    assert got == Delay(stamp=datetime(2031, 4, 1, 8, 15, 0, 250000, tzinfo=UTC),
                        from_=JID.parse("example.com"), reason="Stored while you were away")
    bare = typed(f"<delay xmlns='{NS_DELAY}' stamp='2031-04-01T08:15:00+00:00'/>")
    assert bare.from_ is None
    assert bare.reason == ""
    assert bare.stamp == datetime(2031, 4, 1, 8, 15, tzinfo=UTC)
    assert encode(Delay(stamp=datetime(2031, 4, 1, 8, 15, tzinfo=UTC))) == (
        b'<delay xmlns="urn:xmpp:delay" stamp="2031-04-01T08:15:00Z"/>')


@pytest.mark.parametrize(("xml", "words", "condition"), [
    (f"<delay xmlns='{NS_DELAY}'/>", ["delay", "stamp"], "bad-request"),
    (f"<delay xmlns='{NS_DELAY}' stamp='2031-04-01T08:15:00'/>", ["stamp", "XEP-0082"],
     "bad-request"),
    (f"<delay xmlns='{NS_DELAY}' stamp='20310401T08:15:00'/>", ["stamp", "XEP-0082"],
     "bad-request"),
    (f"<delay xmlns='{NS_DELAY}' stamp='2031-04-01T10:15:00+02:00'/>",
     ["in UTC", "XEP-0203", "2031-04-01T10:15:00+02:00"], "bad-request"),
    (f"<delay xmlns='{NS_DELAY}' stamp='2031-04-01T08:15:00Z' from='@example.com'/>", [],
     "jid-malformed"),
    (f"<delay xmlns='{NS_DELAY}' stamp='2031-04-01T08:15:00Z' reason='x'/>", ["reason"],
     "bad-request"),
    (f"<delay xmlns='{NS_DELAY}' stamp='2031-04-01T08:15:00Z'><b xmlns='urn:x'/></delay>",
     ["delay"], "bad-request"),
])
def test_rejections(xml: str, words: list[str], condition: str) -> None:
    error = rejects(xml, *words, condition=condition)
    assert error.path is not None and error.path.startswith("/delay")


def test_construction_needs_a_stamp_in_utc() -> None:
    with pytest.raises(ArgumentValueError, match="time zone"):
        Delay(stamp=datetime(2031, 4, 1))
    with pytest.raises(ArgumentValueError, match="in UTC"):
        Delay(stamp=datetime(2031, 4, 1, tzinfo=timezone(-timedelta(hours=5))))


def test_a_stamp_elsewhere_than_utc_is_refused_by_the_schema_too(
        schema: etree.XMLSchema) -> None:
    assert not schema_accepts(
        schema, f"<delay xmlns='{NS_DELAY}' stamp='2031-04-01T10:15:00+02:00'/>")
    assert schema_accepts(schema, f"<delay xmlns='{NS_DELAY}' stamp='2031-04-01T08:15:00-00:00'/>")


def test_an_offline_message_carries_typed_delays() -> None:
    message = decode(etree.fromstring(
        b"<message xmlns='jabber:client' from='romeo@example.net/orchard' "
        b"to='juliet@example.com' type='chat'><body>Hello</body>"
        b"<delay xmlns='urn:xmpp:delay' from='example.net' stamp='2031-04-01T08:15:00Z'/>"
        b"<delay xmlns='urn:xmpp:delay' from='example.com' stamp='2031-04-01T08:15:02Z'>"
        b"Offline storage</delay></message>"))
    assert isinstance(message, Message)
    first, second = message.find_all(Delay)
    assert delay_added_by(message, "example.com") == second
    assert second.reason == "Offline storage"
    assert delay_added_by(message, JID.parse("example.net")) == first
    assert delay_added_by(message, "example.org") is None


def test_a_last_presence_carries_its_delay() -> None:
    presence = decode(etree.fromstring(
        b"<presence xmlns='jabber:client' from='romeo@example.net/orchard'>"
        b"<delay xmlns='urn:xmpp:delay' from='romeo@example.net/orchard' "
        b"stamp='2031-04-01T12:00:00Z'/></presence>"))
    assert isinstance(presence, Presence)
    delay = presence.find(Delay)
    assert delay is not None
    assert delay.stamp == datetime(2031, 4, 1, 12, tzinfo=UTC)
