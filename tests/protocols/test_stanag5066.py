"""Tests for xepcodec.protocols.stanag5066: the XEP-0365 traffic optimiser, each rule on
and off, and what it never touches.

The XML below is written for these tests; none of it is taken from the XEPs.
"""

from __future__ import annotations

import pytest

from xepcodec import parse, serialize
from xepcodec.core.stanzas import Iq, Message, Presence
from xepcodec.errors import ArgumentTypeError
from xepcodec.protocols.chatstates import ChatState, chat_state
from xepcodec.protocols.stanag5066 import (
    NS_CHATSTATES,
    NS_MARKUP,
    NS_XHTML_IM,
    TrafficPolicy,
    optimise,
)

ADDRESSES = "xmlns='jabber:server' from='captain@frigate.example/bridge' " \
            "to='pilot@harbour.example'"
ALL_OFF = TrafficPolicy(drop_chat_states=False, strip_chat_states=False,
                        strip_presentation=False)
STATE = f"<composing xmlns='{NS_CHATSTATES}'/>"
ACTIVE = f"<active xmlns='{NS_CHATSTATES}'/>"
XHTML = (f"<html xmlns='{NS_XHTML_IM}'><body xmlns='http://www.w3.org/1999/xhtml'>"
         "<p><strong>Berth four</strong></p></body></html>")
MARKUP = f"<markup xmlns='{NS_MARKUP}'><emphasis start='0' end='5'/></markup>"
RECEIPT_REQUEST = "<request xmlns='urn:xmpp:receipts'/>"


def message(inner: str, kind: str = "chat") -> Message:
    stanza = parse(f"<message {ADDRESSES} type='{kind}'>{inner}</message>")
    assert isinstance(stanza, Message)
    return stanza


def payload_namespaces(stanza: Message | Presence) -> list[str]:
    return [getattr(item, "namespace", "") for item in stanza.extensions]


def test_every_rule_is_on_by_default_and_takes_only_booleans() -> None:
    assert TrafficPolicy() == TrafficPolicy(True, True, True)
    with pytest.raises(ArgumentTypeError, match=r"TrafficPolicy\.strip_presentation"):
        TrafficPolicy(strip_presentation="yes")  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="TrafficPolicy"):
        optimise(message(STATE), policy={"drop_chat_states": True})  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="message, presence or iq"):
        optimise(parse("<ping xmlns='urn:xmpp:ping'/>"))


# -- drop_chat_states ------------------------------------------------------------------------


@pytest.mark.parametrize("inner", [STATE, ACTIVE, f"<thread>t-7</thread>{STATE}"])
def test_a_standalone_chat_state_is_dropped(inner: str) -> None:
    assert optimise(message(inner)) is None
    assert optimise(message(inner, "groupchat")) is None
    kept = message(inner)
    assert optimise(kept, TrafficPolicy(drop_chat_states=False)) is kept


@pytest.mark.parametrize("inner", [
    f"{STATE}{RECEIPT_REQUEST}",                        # another payload: not only a state
    f"{STATE}<unknown xmlns='urn:example:mystery'/>",  # anything unknown stays
    f"<subject>Tides</subject>{STATE}",                # a subject is content
])
def test_a_chat_state_beside_anything_else_is_no_standalone_notification(inner: str) -> None:
    kept = optimise(message(inner))
    assert kept is not None
    assert chat_state(kept) is ChatState.COMPOSING


def test_an_error_message_carrying_a_chat_state_is_kept_whole() -> None:
    error = message(f"{STATE}<error type='cancel'><service-unavailable "
                    "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>", "error")
    assert optimise(error) is error


# -- strip_chat_states -----------------------------------------------------------------------


def test_a_chat_state_is_stripped_from_a_message_with_a_body() -> None:
    original = message(f"<body>Berth four.</body>{ACTIVE}{RECEIPT_REQUEST}")
    thinned = optimise(original)
    assert thinned is not None
    assert payload_namespaces(thinned) == ["urn:xmpp:receipts"]
    assert thinned.bodies == original.bodies and thinned.id == original.id
    assert serialize(thinned).count(b"chatstates") == 0
    assert optimise(original, TrafficPolicy(strip_chat_states=False)) is original


# -- strip_presentation ----------------------------------------------------------------------


@pytest.mark.parametrize("presentation", [XHTML, MARKUP])
def test_presentation_is_stripped_from_a_message_with_a_body(presentation: str) -> None:
    original = message(f"<body>Berth four</body>{presentation}{RECEIPT_REQUEST}")
    thinned = optimise(original)
    assert thinned is not None
    assert payload_namespaces(thinned) == ["urn:xmpp:receipts"]
    assert thinned.body == "Berth four"
    assert optimise(original, TrafficPolicy(strip_presentation=False)) is original


def test_presentation_without_the_text_it_styles_is_kept() -> None:
    # Without a body the XHTML may be all the message says: it is not presentation.
    alone = message(XHTML)
    assert optimise(alone) is alone


def test_xhtml_is_stripped_from_a_presence_with_a_status() -> None:
    presence = parse(f"<presence {ADDRESSES}><status>At sea</status>{XHTML}</presence>")
    assert isinstance(presence, Presence)
    thinned = optimise(presence)
    assert thinned is not None and thinned.extensions == ()
    assert thinned.status == "At sea"
    assert optimise(presence, TrafficPolicy(strip_presentation=False)) is presence
    bare = parse(f"<presence {ADDRESSES}>{XHTML}</presence>")
    assert optimise(bare) is bare


# -- what is never touched -------------------------------------------------------------------


@pytest.mark.parametrize("xml", [
    f"<iq {ADDRESSES} type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>",
    f"<iq {ADDRESSES} type='result' id='p1'/>",
    f"<iq {ADDRESSES} type='set' id='x1'>{XHTML}</iq>",
])
def test_iqs_pass_untouched_whatever_they_carry(xml: str) -> None:
    iq = parse(xml)
    assert isinstance(iq, Iq)
    assert optimise(iq) is iq


@pytest.mark.parametrize("inner", [
    "<body>Berth four.</body>",
    "<body>Berth four.</body><received xmlns='urn:xmpp:receipts' id='m1'/>",
    "<received xmlns='urn:xmpp:receipts' id='m1'/>",
    "<subject>Tides</subject>",
    "<body>Berth four.</body><delay xmlns='urn:xmpp:delay' stamp='2026-03-01T06:00:00Z'/>",
])
def test_messages_with_nothing_to_strip_are_the_same_object(inner: str) -> None:
    original = message(inner)
    assert optimise(original) is original


def test_typed_payloads_are_judged_by_their_namespace() -> None:
    # The delay is typed (xepcodec.protocols.delay): it stays, the chat state goes.
    original = message("<body>late</body><delay xmlns='urn:xmpp:delay' "
                       f"stamp='2026-03-01T06:00:00Z'/>{ACTIVE}")
    thinned = optimise(original)
    assert thinned is not None
    assert [type(item).__name__ for item in thinned.extensions] == ["Delay"]


def test_with_every_rule_off_nothing_changes() -> None:
    for inner in (STATE, f"<body>b</body>{ACTIVE}{XHTML}{MARKUP}"):
        original = message(inner)
        assert optimise(original, ALL_OFF) is original
