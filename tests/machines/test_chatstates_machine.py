"""Tests for xepcodec.machines.chatstates: the XEP-0085 machine of one conversation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import xepcodec
from xepcodec.core.stanzas import Body, Message, MessageType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ProtocolError
from xepcodec.machines.base import Event, Ignored, Machine, Send
from xepcodec.machines.chatstates import ChatStates, PeerStateChanged, Support, Timing
from xepcodec.protocols.chatstates import NS_CHATSTATES, ChatState, chat_state

PEER = "lovelace@engine.example"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def content(text: str = "The numbers are in.") -> Message:
    return Message(type=MessageType.CHAT, to=JID.parse(PEER), bodies=(Body(text=text),))


def from_peer(inner: str) -> Message:
    stanza = xepcodec.parse(f"<message xmlns='jabber:client' type='chat' "
                            f"from='{PEER}/desk' to='babbage@engine.example'>{inner}</message>")
    assert isinstance(stanza, Message)
    return stanza


def states(events: list[Event]) -> list[ChatState | None]:
    """The chat state of each message sent."""
    return [chat_state(event.stanza) for event in events if isinstance(event, Send)]


def supported() -> ChatStates:
    machine = ChatStates(PEER)
    assert machine.peer_features(["http://jabber.org/protocol/disco#info", NS_CHATSTATES]) == []
    assert machine.support is Support.SUPPORTED
    return machine


def test_until_support_is_known_only_content_messages_carry_active() -> None:
    machine = ChatStates(PEER)
    assert machine.support is Support.UNKNOWN
    assert machine.typed(now=at(0)) == []  # no standalone notification yet (§5.1)
    sent = machine.send(content(), now=at(5))
    assert states(sent) == [ChatState.ACTIVE]
    assert sent[0].stanza.body == "The numbers are in."
    assert machine.disco_features() == (NS_CHATSTATES,)
    assert isinstance(machine, Machine)  # a router can take it


def test_a_reply_with_a_state_shows_support_and_one_without_ends_it() -> None:
    machine = ChatStates(PEER)
    machine.send(content(), now=at(0))
    events = machine.receive(from_peer(f"<body>Go on.</body><active xmlns='{NS_CHATSTATES}'/>"))
    assert events == [PeerStateChanged(JID.parse(f"{PEER}/desk"), ChatState.ACTIVE)]
    assert machine.support is Support.SUPPORTED
    assert states(machine.typed(now=at(10))) == [ChatState.COMPOSING]
    # A reply without a state: nothing is sent any more, not even on content (§5.1 rule 2).
    assert machine.receive(from_peer("<body>Quietly now.</body>")) == []
    assert machine.support is Support.UNSUPPORTED
    assert machine.typed(now=at(20)) == []
    assert states(machine.send(content(), now=at(25))) == [None]


def test_features_without_chat_states_mean_no_support() -> None:
    machine = ChatStates(PEER)
    machine.peer_features(["urn:xmpp:ping"])
    assert machine.support is Support.UNSUPPORTED
    assert states(machine.send(content(), now=at(0))) == [None]


def test_typing_on_sends_one_composing_and_the_clock_moves_the_state_on() -> None:
    machine = supported()
    assert states(machine.typed(now=at(0))) == [ChatState.COMPOSING]
    assert machine.typed(now=at(3)) == [] and machine.typed(now=at(9)) == []  # §5.3
    assert machine.next_deadline() == at(9 + 30)
    assert machine.expire(at(38)) == []
    assert states(machine.expire(at(39))) == [ChatState.PAUSED]
    assert machine.next_deadline() == at(9 + 120)
    assert states(machine.expire(at(9 + 120))) == [ChatState.INACTIVE]
    assert states(machine.expire(at(9 + 600))) == [ChatState.GONE]
    assert machine.state is ChatState.GONE and machine.next_deadline() is None
    # Coming back: active again.
    assert states(machine.focused(now=at(700))) == [ChatState.ACTIVE]


def test_a_late_expire_sends_only_the_state_reached() -> None:
    machine = supported()
    machine.typed(now=at(0))
    assert states(machine.expire(at(3600))) == [ChatState.GONE]


def test_content_messages_tell_active_so_no_standalone_active_follows() -> None:
    machine = supported()
    machine.typed(now=at(0))
    assert states(machine.send(content(), now=at(4))) == [ChatState.ACTIVE]
    assert machine.focused(now=at(6)) == []  # active was told by the content message
    assert states(machine.typed(now=at(8))) == [ChatState.COMPOSING]


def test_closing_is_gone_once() -> None:
    machine = supported()
    sent = machine.closed(now=at(0))
    assert states(sent) == [ChatState.GONE]
    data = xepcodec.serialize(sent[0].stanza)
    assert xepcodec.validate(data).ok
    with pytest.raises(ProtocolError, match="chat state"):
        machine.closed(now=at(1))


def test_the_peer_state_is_reported_when_it_changes() -> None:
    machine = ChatStates(PEER)
    composing = from_peer(f"<composing xmlns='{NS_CHATSTATES}'/>")
    assert len(machine.receive(composing)) == 1 and machine.peer_state is ChatState.COMPOSING
    assert machine.receive(composing) == []
    assert machine.support is Support.SUPPORTED  # a standalone notification shows support


def test_what_is_not_the_peers_or_is_malformed_is_ignored() -> None:
    machine = ChatStates(PEER)
    other = xepcodec.parse(f"<message xmlns='jabber:client' type='chat' from='x@y.example'>"
                           f"<composing xmlns='{NS_CHATSTATES}'/></message>")
    assert not machine.accepts(other)
    assert isinstance(machine.receive(other)[0], Ignored)
    two = from_peer(f"<active xmlns='{NS_CHATSTATES}'/><gone xmlns='{NS_CHATSTATES}'/>")
    [ignored] = machine.receive(two)
    assert isinstance(ignored, Ignored) and "at most one chat state" in ignored.reason
    assert machine.support is Support.UNKNOWN and machine.peer_state is None


def test_send_takes_content_messages_of_this_conversation_only() -> None:
    machine = ChatStates(PEER)
    with pytest.raises(ArgumentValueError, match="content message"):
        machine.send(Message(type=MessageType.CHAT, to=JID.parse(PEER)), now=at(0))
    with pytest.raises(ArgumentValueError, match="content message"):
        machine.send(Message(type=MessageType.CHAT, to=JID.parse("x@y.example"),
                             bodies=(Body(text="hi"),)), now=at(0))


def test_timing_refuses_delays_out_of_order() -> None:
    with pytest.raises(ArgumentValueError, match="in order"):
        Timing(paused=300, inactive=120)
    with pytest.raises(ArgumentValueError, match="positive"):
        Timing(gone=0)


def test_a_snapshot_restores_the_same_conversation() -> None:
    machine = supported()
    machine.typed(now=at(0))
    machine.receive(from_peer(f"<paused xmlns='{NS_CHATSTATES}'/>"))
    saved = machine.snapshot()
    again = ChatStates.restore(saved)
    assert (again.state, again.support, again.peer_state, again.next_deadline()) == (
        machine.state, machine.support, machine.peer_state, machine.next_deadline())
    assert again.typed(now=at(1)) == []  # composing was told before the snapshot
    [paused] = again.expire(at(31))
    assert isinstance(paused, Send) and paused.stanza.id == "chatstate-2"
    with pytest.raises(ArgumentValueError, match="state: 'typing'"):
        ChatStates.restore({**saved, "state": "typing"})
