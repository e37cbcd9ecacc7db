"""Tests for xepcodec.protocols.pubsub.pep (XEP-0163): publishing to the user's own PEP
service, and reading a contact's PEP notifications.

The stanzas below are written for these tests; the tune payload has the shape of
XEP-0118's, kept raw as the library does not declare its namespace.
"""

from __future__ import annotations

import pytest
from lxml import etree

import xepcodec
from xepcodec.core.stanzas import Iq, IqType, Message
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError
from xepcodec.model import XmlFragment
from xepcodec.protocols.dataforms import Field, Form, FormType
from xepcodec.protocols.pubsub import client
from xepcodec.protocols.pubsub.base import PubSub
from xepcodec.protocols.pubsub.core import NS_PUBSUB, NS_PUBSUB_EVENT
from xepcodec.protocols.pubsub.pep import pep_publish, read_pep_event

TUNE = "http://jabber.org/protocol/tune"
CONTACT = JID.parse("bob@example.net")
TUNE_XML = f"<tune xmlns='{TUNE}'><artist>Ella</artist><title>Misty</title></tune>"


def _tune() -> XmlFragment:
    return XmlFragment(TUNE_XML.encode())


def test_a_pep_publication_goes_to_the_users_own_account() -> None:
    iq = pep_publish(TUNE, _tune(), id="t1")
    assert iq.to is None and iq.type == IqType.SET
    data = xepcodec.serialize(iq)
    assert xepcodec.validate(data).ok
    assert xepcodec.parse(data) == iq
    element = etree.fromstring(data)
    assert element.get("to") is None
    publish = element.find(f"{{{NS_PUBSUB}}}pubsub/{{{NS_PUBSUB}}}publish")
    assert publish is not None and publish.get("node") == TUNE
    assert publish[0][0].tag == f"{{{TUNE}}}tune"


def test_a_pep_publication_with_options_configures_the_node_it_creates() -> None:
    options = Form(type=FormType.SUBMIT, fields=(
        Field.of("FORM_TYPE", f"{NS_PUBSUB}#publish-options", type="hidden"),
        Field.of("pubsub#access_model", "presence")))
    iq = pep_publish(TUNE, _tune(), item_id="current", options=options, id="t2")
    back = xepcodec.parse(xepcodec.serialize(iq))
    assert isinstance(back, Iq) and isinstance(back.payload, PubSub)
    assert back.payload.publish is not None and back.payload.publish.item is not None
    assert back.payload.publish.item.id == "current"
    assert back.payload.publish_options is not None
    assert back.payload.publish_options.form.values()["pubsub#access_model"] == "presence"


def _notification(sender: str | None) -> Message:
    origin = f" from='{sender}'" if sender is not None else ""
    xml = (f"<message xmlns='jabber:client'{origin} to='ada@example.org/laptop'"
           f" type='headline' id='pep1'><event xmlns='{NS_PUBSUB_EVENT}'>"
           f"<items node='{TUNE}'><item id='current'>{TUNE_XML}</item></items>"
           "</event></message>")
    parsed = xepcodec.parse(xml.encode())
    assert isinstance(parsed, Message)
    return parsed


def test_a_contacts_pep_event_names_the_contact() -> None:
    event = read_pep_event(_notification("bob@example.net"))
    assert isinstance(event, client.ItemsEvent)
    assert event.service == CONTACT
    assert event.node == TUNE
    assert event.items[0].payload == _tune()


def test_a_pep_event_comes_from_a_bare_jid() -> None:
    with pytest.raises(ParseError, match=r"not the full JID bob@example\.net/phone"):
        read_pep_event(_notification("bob@example.net/phone"))
    with pytest.raises(ParseError, match="not no address"):
        read_pep_event(_notification(None))


def test_a_message_without_an_event_is_not_a_pep_event() -> None:
    chat = xepcodec.parse(b"<message xmlns='jabber:client' from='bob@example.net/phone'>"
                          b"<body>hi</body></message>")
    assert isinstance(chat, Message)
    assert read_pep_event(chat) is None
