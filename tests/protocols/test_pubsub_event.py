"""Tests for xepcodec.protocols.pubsub.event (XEP-0060 pubsub#event: the notifications
a service sends).

The XML below is written for these tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree
from payloads import rejects, schema_accepts, typed

import xepcodec
from xepcodec.core.stanzas import Message
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError
from xepcodec.model import XmlFragment, encode
from xepcodec.protocols.dataforms import Form, FormType
from xepcodec.protocols.pubsub.core import NS_PUBSUB_EVENT, SubscriptionState
from xepcodec.protocols.pubsub.event import (
    EventConfiguration,
    EventDelete,
    EventItem,
    EventItems,
    EventNotification,
    EventPurge,
    EventRedirect,
    EventRetract,
    EventSubscription,
)

ATOM = "http://www.w3.org/2005/Atom"
ENTRY = (f"<entry xmlns='{ATOM}'><title>Tomatoes are in</title>"
         "<id>tag:example.org,2026:garden-12</id></entry>")
SHIM = ("<headers xmlns='http://jabber.org/protocol/shim'>"
        "<header name='SubID'>s-2</header><header name='SubID'>s-3</header></headers>")


def _event(inner: str) -> str:
    return f"<event xmlns='{NS_PUBSUB_EVENT}'>{inner}</event>"


def _message(inner: str, extra: str = "") -> str:
    return ("<message xmlns='jabber:client' from='pubsub.example.org' "
            f"to='grace@example.com' id='n1'>{_event(inner)}{extra}</message>")


def _read(xml: str) -> Message:
    """The message ``xml`` spells, after checking that validate accepts it and that the
    message writes back to what it reads as."""
    report = xepcodec.validate(xml)
    assert report.ok, report.errors
    message = xepcodec.parse(xml)
    assert isinstance(message, Message)
    data = encode(message)
    assert xepcodec.validate(data).ok
    assert xepcodec.parse(data) == message and encode(xepcodec.parse(data)) == data
    return message


def _content(message: Message) -> object:
    event = message.extensions[0]
    assert isinstance(event, EventNotification)
    return event.content


# -- items --------------------------------------------------------------------------------


def test_an_items_notification_with_a_payload() -> None:
    message = _read(_message(
        "<items node='garden-log' ver='v7'>"
        "<item id='garden-12' publisher='ada@example.com/desk'>" + ENTRY + "</item>"
        "</items>", SHIM))
    items = _content(message)
    assert isinstance(items, EventItems)
    assert items.node == "garden-log" and items.ver == "v7"
    (item,) = items.items
    assert item.id == "garden-12"
    assert item.publisher == JID.parse("ada@example.com/desk")
    # The Atom entry is no namespace xepcodec declares: it stays raw, whole.
    assert isinstance(item.payload, XmlFragment)
    entry = item.payload.element()
    assert entry.tag == f"{{{ATOM}}}entry"
    assert entry.findtext(f"{{{ATOM}}}title") == "Tomatoes are in"
    assert items.retracted == ()
    # The SHIM headers beside the event are the message's, untouched.
    headers = message.extensions[1]
    assert isinstance(headers, XmlFragment)
    assert headers.namespace == "http://jabber.org/protocol/shim" and b"s-3" in headers.xml


def test_a_payload_of_a_declared_namespace_is_typed() -> None:
    form = ("<x xmlns='jabber:x:data' type='result'>"
            "<field var='humidity'><value>61</value></field></x>")
    items = _content(_read(_message(f"<items node='sensors'><item id='h1'>{form}</item>"
                                    "</items>")))
    assert isinstance(items, EventItems)
    payload = items.items[0].payload
    assert isinstance(payload, Form) and payload.type == FormType.RESULT
    assert payload.values()["humidity"] == "61"


def test_a_notification_without_payloads() -> None:
    items = _content(_read(_message("<items node='garden-log'><item id='garden-12'/>"
                                    "<item id='garden-13'/></items>")))
    assert isinstance(items, EventItems)
    assert [(item.id, item.payload) for item in items.items] == [
        ("garden-12", None), ("garden-13", None)]
    # A transient, notification-only node sends its items element empty (§4.3).
    empty = _content(_read(_message("<items node='doorbell'/>")))
    assert empty == EventItems(node="doorbell")


def test_retractions_and_publications_in_order() -> None:
    items = _content(_read(_message(
        "<items node='garden-log'><retract id='garden-3'/><retract id='garden-4'/></items>")))
    assert isinstance(items, EventItems)
    assert items.retracted == ("garden-3", "garden-4") and items.items == ()

    mixed = _content(_read(_message(
        "<items node='garden-log'><retract id='garden-3'/>"
        "<item id='garden-13'/><retract id='garden-4'/></items>")))
    assert isinstance(mixed, EventItems)
    assert mixed.entries == (EventRetract(id="garden-3"), EventItem(id="garden-13"),
                             EventRetract(id="garden-4"))
    assert mixed.retracted == ("garden-3", "garden-4")


def test_an_item_carries_at_most_one_payload(schema: etree.XMLSchema) -> None:
    xml = _event(f"<items node='n'><item id='a'>{ENTRY}{ENTRY}</item></items>")
    assert not schema_accepts(schema, xml)
    error = rejects(xml, "at most one payload", "'a'", "carries 2")
    assert error.path == "/event/items/item"
    entry = XmlFragment.from_element(etree.fromstring(ENTRY))
    with pytest.raises(ArgumentValueError, match="at most one payload"):
        EventItem(id="a", extensions=(entry, entry))


# -- purge, delete, configuration ---------------------------------------------------------


def test_a_purge() -> None:
    assert _content(_read(_message("<purge node='garden-log'/>"))) == EventPurge(
        node="garden-log")


def test_a_deletion_with_a_redirect() -> None:
    moved = "xmpp:greenhouse.example.org?;node=garden-log"
    deleted = _content(_read(_message(f"<delete node='garden-log'><redirect uri='{moved}'/>"
                                      "</delete>")))
    assert deleted == EventDelete(node="garden-log", redirect=EventRedirect(uri=moved))
    with pytest.raises(ArgumentValueError, match="not an absolute URI"):
        EventRedirect(uri="greenhouse")


def test_a_configuration_change() -> None:
    bare = _content(_read(_message("<configuration node='garden-log'/>")))
    assert bare == EventConfiguration(node="garden-log")
    full = _content(_read(_message(
        "<configuration node='garden-log'><x xmlns='jabber:x:data' type='result'>"
        "<field var='FORM_TYPE' type='hidden'>"
        "<value>http://jabber.org/protocol/pubsub#node_config</value></field>"
        "<field var='pubsub#title'><value>Garden diary</value></field></x>"
        "</configuration>")))
    assert isinstance(full, EventConfiguration) and full.form is not None
    assert full.form.values()["pubsub#title"] == "Garden diary"


# -- subscriptions ------------------------------------------------------------------------


def test_a_subscription_approved_and_one_cancelled() -> None:
    approved = _content(_read(_message(
        "<subscription node='garden-log' jid='grace@example.com' subscription='subscribed'/>")))
    assert approved == EventSubscription(node="garden-log", jid=JID.parse("grace@example.com"),
                                         subscription=SubscriptionState.SUBSCRIBED)
    cancelled = _content(_read(_message(
        "<subscription node='garden-log' jid='grace@example.com' subscription='none'/>")))
    assert isinstance(cancelled, EventSubscription)
    assert cancelled.subscription == SubscriptionState.NONE and cancelled.expiry is None


def test_a_lease_ending() -> None:
    notice = _content(_read(_message(
        "<subscription node='garden-log' jid='grace@example.com' subscription='subscribed' "
        "subid='s-2' expiry='2026-12-31T18:30:00+02:00'/>")))
    assert isinstance(notice, EventSubscription)
    assert notice.subid == "s-2"
    assert notice.expiry == datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    assert notice.expiry.utcoffset() == timedelta(hours=2)
    written = EventSubscription(jid=JID.parse("grace@example.com"),
                                subscription=SubscriptionState.SUBSCRIBED,
                                expiry=datetime(2027, 1, 1, tzinfo=UTC))
    assert b'expiry="2027-01-01T00:00:00Z"' in encode(written)


def test_an_expiry_without_a_time_zone_is_refused(schema: etree.XMLSchema) -> None:
    xml = _event("<subscription jid='grace@example.com' subscription='subscribed' "
                 "expiry='2026-12-31T18:30:00'/>")
    assert not schema_accepts(schema, xml)
    rejects(xml, "expiry")


# -- what any notification obeys ----------------------------------------------------------


@pytest.mark.parametrize(("xml", "words"), [
    (_event(""), ["lacks its required child"]),
    (_event("<purge node='a'/><purge node='b'/>"), ["only one <purge/>"]),
    (_event("<purge node='a'/><delete node='a'/>"), ["delete"]),
    (_event("<items/>"), ["node"]),
    (_event("<items node=''/>"), ["node", "empty"]),
    (_event("<purge/>"), ["node"]),
    (_event("<delete/>"), ["node"]),
    (_event("<items node='n'><retract/></items>"), ["id"]),
    (_event("<items node='n'><retract id=''/></items>"), ["id", "empty"]),
    (_event("<items node='n'><item id=''/></items>"), ["id", "empty"]),
    (_event("<items node='n'><item><item/></item></items>"), ["item"]),
    (_event("<items node='n'><item><payload/></item></items>"), ["payload"]),
    (_event("<delete node='n'><redirect uri='garden-log'/></delete>"),
     ["not an absolute URI"]),
    (_event("<subscription subscription='subscribed'/>"), ["jid"]),
    (_event("<subscription jid='grace@example.com'/>"), ["subscription"]),
    (_event("<subscription jid='grace@example.com' subscription='maybe'/>"),
     ["subscription"]),
    (_event("<collection node='n'><associate node='m'/></collection>"), ["collection"]),
    (_event("<items node='n'><item id='a' node='m'/></items>"), ["node"]),
])
def test_rules_both_check(schema: etree.XMLSchema, xml: str, words: list[str]) -> None:
    assert not schema_accepts(schema, xml)
    rejects(xml, *words)


def test_a_malformed_publisher_is_jid_malformed() -> None:
    rejects(_event("<items node='n'><item publisher='ada@@example.com'/></items>"),
            condition="jid-malformed")


def test_construction() -> None:
    with pytest.raises(xepcodec.XepCodecError, match="content"):
        EventNotification()  # type: ignore[call-arg]
    with pytest.raises(ArgumentValueError, match=r"EventRetract\.id"):
        EventRetract(id="")
    made = EventNotification(content=EventItems(node="garden-log", entries=(
        EventRetract(id="garden-3"), EventItem(id="garden-13"))))
    assert typed(encode(made).decode()) == made
