"""The XEP-0301 machines: what the sender sends and when, what the receiver shows and when,
the XEP's examples replayed, and the two wired together over a lossy wire."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from lxml import etree

from tests.conformance.examples import SpecExample, parse_example, specs_dir
from xepcodec import parse, serialize
from xepcodec.core.stanzas import Body, Message, MessageType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ProtocolError
from xepcodec.machines.base import Event, Ignored, Machine, Send
from xepcodec.machines.rtt import (
    Activated,
    Cancelled,
    Completed,
    Desynchronised,
    MessageFinished,
    Resynchronised,
    RttReceiver,
    RttReceiverEvent,
    RttSender,
    RttSenderEvent,
    RttTiming,
    SenderState,
    StreamState,
    TextShown,
)
from xepcodec.protocols.correction import Replace, read_correction
from xepcodec.protocols.rtt import (
    MAX_SEQ,
    NS_RTT,
    Erase,
    Insert,
    Rtt,
    RttEvent,
    Wait,
    apply_actions,
    read_rtt,
    rtt_message,
)

T0 = datetime(2026, 5, 4, 18, 30, tzinfo=UTC)
ALICE = JID.parse("alice@example.com/home")
OTHER = JID.parse("alice@example.com/phone")
BOB = JID.parse("bob@example.com")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def sent(events: Sequence[Event]) -> list[Message]:
    """The messages among ``events``."""
    return [event.stanza for event in events if isinstance(event, Send)]


def only_rtt(events: Sequence[Event]) -> Rtt:
    """The one ``<rtt/>`` ``events`` send, in a message with no body."""
    (message,) = sent(events)
    assert message.to == BOB and message.type is MessageType.CHAT and message.body is None
    rtt = read_rtt(message)
    assert rtt is not None
    return rtt


def waits(rtt: Rtt) -> list[int]:
    return [action.milliseconds for action in rtt.actions if isinstance(action, Wait)]


def wire(message: Message, sender: JID = ALICE) -> Message:
    """``message`` as the peer reads it: stamped with its sender, written and read back."""
    return parse(serialize(dataclasses.replace(message, from_=sender)))


def incoming(rtt: Rtt, *, body: str | None = None, sender: JID = ALICE) -> Message:
    return wire(rtt_message(BOB, rtt, body=body), sender)


def shown(events: Sequence[Event]) -> list[str]:
    return [event.text for event in events if isinstance(event, TextShown)]


def typed(sender: RttSender, steps: Sequence[tuple[float, str]]) -> list[Event]:
    events: list[Event] = []
    for seconds, text in steps:
        events += sender.edit(text, now=at(seconds))
    return events


# -- the sender: batching and pauses --------------------------------------------------------------


def test_the_edits_of_one_interval_go_as_one_rtt_with_their_pauses() -> None:
    sender = RttSender(BOB, seq=5)
    assert typed(sender, [(0, "H"), (0.1, "He"), (0.25, "Hey")]) == []
    assert sender.state is SenderState.COMPOSING
    assert sender.next_deadline() == at(0.7)
    assert sender.expire(at(0.69)) == []
    rtt = only_rtt(sender.expire(at(0.7)))
    assert rtt == Rtt(seq=5, event=RttEvent.NEW, actions=(
        Insert(text="H"), Wait(milliseconds=100), Insert(text="e"), Wait(milliseconds=150),
        Insert(text="y"), Wait(milliseconds=450)))
    assert sender.next_deadline() is None
    assert sender.transmitted == "Hey" and sender.expire(at(5)) == []


def test_while_typing_goes_on_transmissions_keep_the_interval_and_their_pauses_fill_it() -> None:
    sender = RttSender(BOB, seq=5)
    typed(sender, [(0, "a"), (0.3, "ab")])
    sender.expire(at(0.7))
    typed(sender, [(0.9, "abc"), (1.2, "abcd")])
    assert sender.next_deadline() == at(1.4)
    rtt = only_rtt(sender.expire(at(1.4)))
    assert rtt.seq == 6 and rtt.event is None and rtt.kind is RttEvent.EDIT
    assert rtt.actions == (Wait(milliseconds=200), Insert(text="c"), Wait(milliseconds=300),
                           Insert(text="d"), Wait(milliseconds=200))
    assert sum(waits(rtt)) == 700


def test_after_a_silence_the_silence_is_not_played_back() -> None:
    sender = RttSender(BOB)
    typed(sender, [(0, "a")])
    sender.expire(at(0.7))
    typed(sender, [(3, "ab")])
    assert sender.next_deadline() == at(3.7)
    assert only_rtt(sender.expire(at(3.7))).actions == (Insert(text="b"),
                                                         Wait(milliseconds=700))


def test_an_unchanged_text_sends_nothing() -> None:
    sender = RttSender(BOB)
    assert sender.edit("", now=at(0)) == [] and sender.state is SenderState.IDLE
    typed(sender, [(0, "same")])
    sender.expire(at(0.7))
    assert sender.edit("same", now=at(1)) == [] and sender.next_deadline() is None


def test_typing_then_undoing_it_within_an_interval_still_sends_the_keystrokes() -> None:
    sender = RttSender(BOB)
    typed(sender, [(0, "ok")])
    sender.expire(at(0.7))
    typed(sender, [(0.8, "okay"), (1.0, "ok")])
    rtt = only_rtt(sender.expire(at(1.4)))
    assert apply_actions("ok", rtt.actions) == "ok" and Erase(position=None, count=2) in rtt.actions


def test_a_late_call_sends_what_fell_due_as_it_was_then() -> None:
    sender = RttSender(BOB)
    typed(sender, [(0, "a")])
    events = sender.edit("ab", now=at(2))  # no expire() at 0.7
    assert only_rtt(events).actions == (Insert(text="a"), Wait(milliseconds=700))
    assert sender.next_deadline() == at(2.7)
    assert only_rtt(sender.expire(at(9))).actions == (Insert(text="b"), Wait(milliseconds=700))


def test_code_points_are_what_the_actions_count() -> None:
    sender = RttSender(BOB)
    face = "\N{GRINNING FACE}"
    typed(sender, [(0, f"a{face}b")])
    sender.expire(at(0.7))
    typed(sender, [(3, "ab")])
    assert only_rtt(sender.expire(at(3.7))).actions[0] == Erase(position=2)


# -- the sender: seq, refresh, finish ---------------------------------------------------------


def test_seq_counts_on_across_messages_from_the_number_given() -> None:
    sender = RttSender(BOB, seq=41)
    typed(sender, [(0, "a")])
    assert only_rtt(sender.expire(at(0.7))).seq == 41
    sender.finish(now=at(1))
    typed(sender, [(2, "b")])
    second = only_rtt(sender.expire(at(2.7)))
    assert second.seq == 42 and second.event is RttEvent.NEW


def test_a_random_source_starts_each_new_message_at_a_random_seq() -> None:
    draws = iter([bytes([0x80, 0, 0x30, 0x39]), bytes([0, 0, 0, 9])])
    asked: list[int] = []

    def random(size: int) -> bytes:
        asked.append(size)
        return next(draws)

    sender = RttSender(BOB, random=random)
    typed(sender, [(0, "a")])
    assert only_rtt(sender.expire(at(0.7))).seq == 12345  # the top bit is dropped: 31 bits
    typed(sender, [(1, "ab")])
    assert only_rtt(sender.expire(at(1.7))).seq == 12346  # within a message: one more
    sender.finish(now=at(2))
    typed(sender, [(3, "c")])
    assert only_rtt(sender.expire(at(3.7))).seq == 9
    assert asked == [4, 4]


def test_when_seq_runs_out_the_next_transmission_is_a_reset_from_zero() -> None:
    sender = RttSender(BOB, seq=MAX_SEQ)
    typed(sender, [(0, "ab")])
    assert only_rtt(sender.expire(at(0.7))).seq == MAX_SEQ
    typed(sender, [(1, "abc")])
    rtt = only_rtt(sender.expire(at(1.7)))
    assert (rtt.seq, rtt.event) == (0, RttEvent.RESET)
    assert apply_actions("", rtt.actions) == "abc"


def test_the_whole_text_is_refreshed_every_period_while_typing_and_never_while_idle() -> None:
    sender = RttSender(BOB, timing=RttTiming(interval=0.5, refresh=3))
    events: list[Event] = []
    text = ""
    for step in range(25):  # a key every 0.4 s: a transmission every 0.5 s until 10 s
        text += "xyz"[step % 3]
        events += sender.edit(text, now=at(step * 0.4))
    events += sender.expire(at(10))
    rtts = [only_rtt([event]) for event in events]
    # new at 0.5 s, then a reset every 3 s: at 3.5, 6.5 and 9.5 s
    assert [index for index, rtt in enumerate(rtts) if rtt.kind is not RttEvent.EDIT] == [
        0, 6, 12, 18]
    assert [rtt.seq for rtt in rtts] == list(range(len(rtts)))
    on_wire = ""
    for rtt in rtts:
        start = rtt.kind in (RttEvent.NEW, RttEvent.RESET)
        on_wire = apply_actions("" if start else on_wire, rtt.actions)
        assert on_wire == text[:len(on_wire)]
        if rtt.kind is RttEvent.RESET:
            assert isinstance(rtt.actions[0], Insert) and len(rtt.actions[0].text) > 5
    assert on_wire == text
    assert sender.next_deadline() is None and sender.expire(at(60)) == []


def test_finish_sends_the_pending_rtt_and_the_body_in_one_message() -> None:
    sender = RttSender(BOB, seq=3)
    typed(sender, [(0, "Hi"), (0.2, "Hi!")])
    events = sender.finish(now=at(0.5))
    (message,) = sent(events)
    assert message.body == "Hi!" and message.id == "rtt-1"
    rtt = read_rtt(message)
    assert rtt == Rtt(seq=3, event=RttEvent.NEW, actions=(
        Insert(text="Hi"), Wait(milliseconds=200), Insert(text="!")))  # no trailing pause
    assert events[-1] == MessageFinished(BOB, "rtt-1", "Hi!", None)
    assert isinstance(events[-1], RttSenderEvent)
    assert sender.state is SenderState.IDLE and sender.text == "" and sender.next_deadline() is None
    typed(sender, [(1, "Next")])
    assert only_rtt(sender.expire(at(1.7))) == Rtt(seq=4, event=RttEvent.NEW, actions=(
        Insert(text="Next"), Wait(milliseconds=700)))


def test_finish_with_nothing_pending_sends_the_body_alone() -> None:
    sender = RttSender(BOB)
    typed(sender, [(0, "Hi")])
    sender.expire(at(0.7))
    (message,) = sent(sender.finish(now=at(1)))
    assert message.body == "Hi" and read_rtt(message) is None and message.extensions == ()


def test_finish_needs_a_message_with_text() -> None:
    sender = RttSender(BOB)
    with pytest.raises(ProtocolError, match="'idle'"):
        sender.finish(now=at(0))
    typed(sender, [(0, "oops"), (0.1, "")])
    with pytest.raises(ProtocolError, match="empty"):
        sender.finish(now=at(0.2))
    assert sender.state is SenderState.COMPOSING


# -- the sender: cancel, init, corrections ---------------------------------------------------


def test_cancel_stops_the_real_time_text_and_activate_sends_the_text_whole() -> None:
    sender = RttSender(BOB, seq=10)
    typed(sender, [(0, "secret")])
    cancel = only_rtt(sender.cancel(now=at(0.3)))
    assert cancel.kind is RttEvent.CANCEL and cancel.actions == () and cancel.id is None
    assert sender.state is SenderState.OFF and sender.next_deadline() is None
    assert typed(sender, [(1, "secret plan")]) == [] and sender.next_deadline() is None
    with pytest.raises(ProtocolError, match="'cancel' is not allowed in state 'off'"):
        sender.cancel(now=at(1))
    init = only_rtt(sender.activate(now=at(2)))
    assert init.kind is RttEvent.INIT and init.actions == ()
    reset = only_rtt(sender.expire(at(2.7)))
    assert reset.kind is RttEvent.RESET and apply_actions("", reset.actions) == "secret plan"
    with pytest.raises(ProtocolError, match="'activate' is not allowed in state 'composing'"):
        sender.activate(now=at(3))


def test_a_message_finished_while_off_goes_as_a_body_alone() -> None:
    sender = RttSender(BOB)
    sender.cancel(now=at(0))
    typed(sender, [(1, "quiet")])
    events = sender.finish(now=at(2))
    (message,) = sent(events)
    assert message.body == "quiet" and read_rtt(message) is None
    assert sender.state is SenderState.OFF
    assert sent(sender.activate(now=at(3)))[0].find(Rtt) is not None
    assert sender.state is SenderState.IDLE and sender.next_deadline() is None


def test_a_correction_resets_with_the_id_and_its_body_carries_replace_apart() -> None:
    sender = RttSender(BOB)
    typed(sender, [(0, "Helo")])
    finished = sender.finish(now=at(0.5))[-1]
    assert isinstance(finished, MessageFinished)
    assert sender.correct(finished.message_id, "Helo", now=at(5)) == []
    assert sender.corrects == finished.message_id
    typed(sender, [(5.2, "Hello")])
    reset = only_rtt(sender.expire(at(5.7)))
    assert reset.kind is RttEvent.RESET and reset.id == finished.message_id
    assert apply_actions("", reset.actions) == "Hello"
    typed(sender, [(6, "Hello!")])
    events = sender.finish(now=at(6.1))
    last_rtt, body = sent(events)
    rtt = read_rtt(last_rtt)
    assert rtt is not None and rtt.id == finished.message_id and last_rtt.body is None
    assert body.body == "Hello!" and read_rtt(body) is None
    assert body.extensions == (Replace(id=finished.message_id),)
    assert read_correction(body) == finished.message_id and body.id != finished.message_id
    assert events[-1] == MessageFinished(BOB, body.id or "", "Hello!", finished.message_id)
    typed(sender, [(7, "New")])
    fresh = only_rtt(sender.expire(at(7.7)))
    assert fresh.kind is RttEvent.NEW and fresh.id is None


def test_correcting_while_composing_puts_the_draft_aside() -> None:
    sender = RttSender(BOB)
    typed(sender, [(0, "draft")])
    sender.expire(at(0.7))
    sender.correct("m1", "Old text", now=at(1))
    assert sender.text == "Old text" and sender.transmitted == ""
    reset = only_rtt(sender.expire(at(1.7)))
    assert reset.id == "m1" and apply_actions("", reset.actions) == "Old text"


def test_the_sender_refuses_what_it_cannot_send() -> None:
    sender = RttSender(BOB)
    with pytest.raises(ArgumentValueError, match=r"XML 1\.0"):
        sender.edit("bell\x07", now=at(0))
    with pytest.raises(ArgumentValueError, match="no zone"):
        sender.edit("a", now=datetime(2026, 1, 1))
    with pytest.raises(ArgumentTypeError):
        sender.edit(b"a", now=at(0))  # type: ignore[arg-type]
    with pytest.raises(ArgumentValueError, match="non-empty"):
        sender.correct("", "a", now=at(0))
    for bad in (0, -1, float("inf"), True):
        with pytest.raises(ArgumentValueError, match="interval"):
            RttTiming(interval=bad)
    with pytest.raises(ArgumentValueError, match="seq"):
        RttSender(BOB, seq=MAX_SEQ + 1)
    with pytest.raises(ArgumentValueError, match="error"):
        RttSender(BOB, type="error")
    assert sender.state is SenderState.IDLE


def test_the_sender_goes_on_after_a_snapshot_as_before() -> None:
    def run(machine: RttSender) -> list[Event]:
        return [*typed(machine, [(1.0, "Hello wor"), (1.3, "Hello world")]),
                *machine.expire(at(2)), *machine.finish(now=at(3))]

    sender = RttSender(BOB, seq=77, timing=RttTiming(interval=0.5, refresh=4))
    typed(sender, [(0, "Hel"), (0.2, "Hello")])
    sender.expire(at(0.5))
    typed(sender, [(0.6, "Hello w")])
    saved = json.loads(json.dumps(sender.snapshot()))
    copy = RttSender.restore(saved)
    assert (copy.state, copy.text, copy.transmitted, copy.next_deadline()) == (
        sender.state, sender.text, sender.transmitted, sender.next_deadline())
    assert run(copy) == run(sender)
    assert sender.snapshot() == copy.snapshot()
    with pytest.raises(ArgumentValueError, match="rtt-sender"):
        RttSender.restore({**saved, "draft": {**saved["draft"], "text": "other"}})
    with pytest.raises(ArgumentValueError, match="rtt-sender"):
        RttSender.restore({**saved, "format": "xepcodec.self-ping"})


# -- the receiver -------------------------------------------------------------------------------


def receiver_with(*rtts: Rtt, now: datetime = T0) -> RttReceiver:
    receiver = RttReceiver()
    for rtt in rtts:
        receiver.receive(incoming(rtt), now=now)
    return receiver


def test_edits_apply_in_seq_order_and_the_text_is_shown() -> None:
    receiver = RttReceiver()
    events = receiver.receive(incoming(Rtt(seq=9, event=RttEvent.NEW,
                                           actions=(Insert(text="Hi"),))), now=at(0))
    assert events == [TextShown(ALICE, "Hi", None, at(0))]
    assert isinstance(events[0], RttReceiverEvent)
    events = receiver.receive(incoming(Rtt(seq=10, actions=(Insert(text=" you"),))), now=at(1))
    assert shown(events) == ["Hi you"]
    assert receiver.state(ALICE) is StreamState.IN_SYNC and receiver.text(ALICE) == "Hi you"


@pytest.mark.parametrize("seq", [12, 10, 11, 5])
def test_an_edit_out_of_turn_puts_the_message_out_of_sync_until_a_reset(seq: int) -> None:
    receiver = receiver_with(Rtt(seq=10, event=RttEvent.NEW, actions=(Insert(text="ab"),)),
                             Rtt(seq=11, actions=(Insert(text="c"),)))
    events = receiver.receive(incoming(Rtt(seq=seq, actions=(Insert(text="X"),))), now=at(1))
    assert events == [Desynchronised(ALICE, 12, seq)] if seq != 12 else shown(events) == ["abcX"]
    if seq == 12:
        return
    assert receiver.state(ALICE) is StreamState.OUT_OF_SYNC and receiver.text(ALICE) == "abc"
    ignored = receiver.receive(incoming(Rtt(seq=12, actions=(Insert(text="d"),))), now=at(2))
    assert [type(event) for event in ignored] == [Ignored] and receiver.text(ALICE) == "abc"
    back = receiver.receive(incoming(Rtt(seq=20, event=RttEvent.RESET,
                                         actions=(Insert(text="abcde"),))), now=at(3))
    assert back == [Resynchronised(ALICE), TextShown(ALICE, "abcde", None, at(3))]
    assert shown(receiver.receive(incoming(Rtt(seq=21, actions=(Erase(),))), now=at(4))) \
        == ["abcd"]


def test_an_edit_with_no_message_is_out_of_sync() -> None:
    receiver = RttReceiver()
    events = receiver.receive(incoming(Rtt(seq=3, actions=(Insert(text="lo"),))), now=T0)
    assert events == [Desynchronised(ALICE, None, 3)]
    assert receiver.state(ALICE) is StreamState.OUT_OF_SYNC and receiver.text(ALICE) == ""


def test_an_edit_of_another_message_means_its_reset_was_lost() -> None:
    receiver = receiver_with(Rtt(seq=1, event=RttEvent.NEW, actions=(Insert(text="new"),)))
    events = receiver.receive(incoming(Rtt(seq=2, id="m7", actions=(Insert(text="!"),))),
                              now=T0)
    assert events == [Desynchronised(ALICE, 2, 2)]
    receiver.receive(incoming(Rtt(seq=3, event=RttEvent.RESET, id="m7",
                                  actions=(Insert(text="old"),))), now=at(1))
    events = receiver.receive(incoming(Rtt(seq=4, id="m7", actions=(Insert(text="!"),))),
                              now=at(2))
    assert events == [TextShown(ALICE, "old!", "m7", at(2))]


def test_new_and_reset_replace_the_text_whatever_their_seq() -> None:
    receiver = receiver_with(Rtt(seq=500, event=RttEvent.NEW, actions=(Insert(text="one"),)))
    receiver.receive(incoming(Rtt(seq=7, event=RttEvent.NEW, actions=(Insert(text="two"),))),
                     now=T0)
    assert receiver.text(ALICE) == "two"
    assert receiver.receive(incoming(Rtt(seq=8, event=RttEvent.RESET,
                                         actions=(Insert(text="two"),))), now=T0) == []


def test_the_body_completes_the_message_and_says_whether_the_text_agreed() -> None:
    receiver = receiver_with(Rtt(seq=1, event=RttEvent.NEW, actions=(Insert(text="Hi"),)))
    message = wire(Message(type=MessageType.CHAT, to=BOB, id="m1", bodies=(Body(text="Hi"),)))
    assert receiver.accepts(message)
    assert receiver.receive(message, now=T0) == [Completed(ALICE, "Hi", True, "m1", None)]
    assert receiver.state(ALICE) is StreamState.IDLE and receiver.senders == ()
    assert not receiver.accepts(message)
    assert [type(event) for event in receiver.receive(message, now=T0)] == [Ignored]
    receiver = receiver_with(Rtt(seq=1, event=RttEvent.NEW, actions=(Insert(text="Hi"),)),
                             Rtt(seq=5, actions=(Insert(text="!"),)))
    assert receiver.receive(message, now=T0) == [Completed(ALICE, "Hi", True, "m1", None)]
    events = receiver.receive(incoming(Rtt(seq=1, event=RttEvent.NEW,
                                           actions=(Insert(text="Hey"),)), body="Hey you"),
                              now=T0)
    assert events[-1] == Completed(ALICE, "Hey you", False, None, None)


def test_a_correction_body_names_the_message_it_replaces() -> None:
    receiver = receiver_with(Rtt(seq=1, event=RttEvent.RESET, id="m1",
                                 actions=(Insert(text="Fixed"),)))
    body = wire(Message(type=MessageType.CHAT, to=BOB, id="m2", bodies=(Body(text="Fixed"),),
                        extensions=(Replace(id="m1"),)))
    assert receiver.receive(body, now=T0) == [Completed(ALICE, "Fixed", True, "m2", "m1")]


@pytest.mark.parametrize(("attrs", "replaces", "words"), [
    (" id='m2'", "<replace id='m1' xmlns='urn:xmpp:message-correct:0'/>" * 2, "2 <replace/>"),
    ("", "<replace id='m1' xmlns='urn:xmpp:message-correct:0'/>", "no id of its own"),
    (" id='m1'", "<replace id='m1' xmlns='urn:xmpp:message-correct:0'/>", "new id"),
])
def test_a_malformed_correction_is_ignored_and_the_message_goes_on(
        attrs: str, replaces: str, words: str) -> None:
    receiver = receiver_with(Rtt(seq=1, event=RttEvent.RESET, id="m1",
                                 actions=(Insert(text="Fixed"),)))
    body = parse(f"<message xmlns='jabber:client' from='{ALICE}' to='{BOB}' type='chat'"
                 f"{attrs}><body>Fixed</body>{replaces}</message>".encode())
    (event,) = receiver.receive(body, now=T0)
    assert isinstance(event, Ignored) and words in event.reason and "XEP-0308" in event.reason
    assert receiver.state(ALICE) is StreamState.IN_SYNC and receiver.text(ALICE) == "Fixed"


def test_cancel_and_init() -> None:
    receiver = receiver_with(Rtt(seq=1, event=RttEvent.NEW, actions=(Insert(text="half"),)))
    assert receiver.receive(incoming(Rtt(seq=2, event=RttEvent.CANCEL)), now=T0) == [
        Cancelled(ALICE, "half", None)]
    assert receiver.state(ALICE) is StreamState.CANCELLED and receiver.text(ALICE) == ""
    for late in (Rtt(seq=2, actions=(Insert(text="x"),)), Rtt(seq=3, event=RttEvent.CANCEL)):
        assert [type(event) for event in receiver.receive(incoming(late), now=T0)] == [Ignored]
    body = wire(Message(type=MessageType.CHAT, to=BOB, bodies=(Body(text="half done"),)))
    assert [type(event) for event in receiver.receive(body, now=T0)] == [Ignored]
    assert receiver.receive(incoming(Rtt(seq=9, event=RttEvent.INIT)), now=T0) == [
        Activated(ALICE)]
    assert receiver.state(ALICE) is StreamState.IDLE


def test_an_rtt_of_an_unknown_event_is_ignored_and_changes_nothing() -> None:
    receiver = receiver_with(Rtt(seq=1, event=RttEvent.NEW, actions=(Insert(text="ab"),)))
    before = receiver.snapshot()
    stanza = incoming(Rtt(seq=2, event="rewind", actions=(Erase(), Insert(text="X"))))
    assert receiver.accepts(stanza)
    events = receiver.receive(stanza, now=at(1))
    assert [type(event) for event in events] == [Ignored]
    assert isinstance(events[0], Ignored) and "'rewind'" in events[0].reason \
        and "§4.2.2" in events[0].reason
    assert receiver.snapshot() == before
    # the seq it carried was not taken: the next edit still follows the last known one
    assert shown(receiver.receive(incoming(Rtt(seq=2, actions=(Insert(text="c"),))),
                                  now=at(2))) == ["abc"]


def test_the_body_beside_an_rtt_of_an_unknown_event_is_still_read() -> None:
    receiver = receiver_with(Rtt(seq=1, event=RttEvent.NEW, actions=(Insert(text="Hi"),)))
    events = receiver.receive(incoming(Rtt(seq=2, event="future", actions=(Insert(text="?"),)),
                                       body="Hi"), now=T0)
    assert [type(event) for event in events] == [Ignored, Completed]
    assert events[1] == Completed(ALICE, "Hi", True, None, None)
    assert receiver.state(ALICE) is StreamState.IDLE
    # with no message in progress, the body has nothing to complete, as without the <rtt/>
    events = RttReceiver().receive(incoming(Rtt(seq=1, event="future"), body="Hello"), now=T0)
    assert [type(event) for event in events] == [Ignored, Ignored]


def test_waits_become_a_schedule_of_texts() -> None:
    receiver = RttReceiver()
    rtt = Rtt(seq=1, event=RttEvent.NEW, actions=(
        Insert(text="a"), Wait(milliseconds=100), Insert(text="b"), Erase(),
        Wait(milliseconds=200), Insert(text="c"), Insert(text="d"), Wait(milliseconds=300)))
    assert receiver.receive(incoming(rtt), now=at(0)) == [TextShown(ALICE, "a", None, at(0))]
    assert receiver.text(ALICE) == "acd" and receiver.shown(ALICE) == "a"
    assert receiver.next_deadline() == at(0.3)  # "ab" then erased: the same text, not shown
    assert receiver.expire(at(0.29)) == []
    assert receiver.expire(at(0.3)) == [TextShown(ALICE, "acd", None, at(0.3))]
    assert receiver.next_deadline() is None and receiver.shown(ALICE) == "acd"


def test_an_rtt_arriving_during_the_playback_is_queued_behind_it_within_the_lag() -> None:
    receiver = RttReceiver(lag=0.7)
    receiver.receive(incoming(Rtt(seq=1, event=RttEvent.NEW, actions=(
        Insert(text="a"), Wait(milliseconds=400), Insert(text="b"), Wait(milliseconds=300)))),
        now=at(0))
    events = receiver.receive(incoming(Rtt(seq=2, actions=(Insert(text="c"),))), now=at(0.2))
    assert events == []  # its turn comes after the playback of the first, at 0.7
    assert receiver.expire(at(1)) == [TextShown(ALICE, "ab", None, at(0.4)),
                                      TextShown(ALICE, "abc", None, at(0.7))]


def test_beyond_the_lag_what_is_queued_is_shown_at_once() -> None:
    for lag in (0.5, 0):
        receiver = RttReceiver(lag=lag)
        receiver.receive(incoming(Rtt(seq=1, event=RttEvent.NEW, actions=(
            Insert(text="a"), Wait(milliseconds=900), Insert(text="b")))), now=at(0))
        events = receiver.receive(incoming(Rtt(seq=2, actions=(Insert(text="c"),))),
                                  now=at(0.2 if lag else 0.8))
        moment = at(0.2 if lag else 0.8)
        assert events == [TextShown(ALICE, "ab", None, moment),
                          TextShown(ALICE, "abc", None, moment)]
        assert receiver.next_deadline() is None


def test_the_body_shows_at_once_and_drops_the_rest_of_the_playback() -> None:
    receiver = RttReceiver()
    events = receiver.receive(incoming(Rtt(seq=1, event=RttEvent.NEW, actions=(
        Insert(text="H"), Wait(milliseconds=300), Insert(text="i"))), body="Hi"), now=T0)
    assert events == [TextShown(ALICE, "H", None, T0), Completed(ALICE, "Hi", True, None, None)]
    assert receiver.next_deadline() is None and receiver.expire(at(1)) == []


def test_each_full_jid_has_its_own_message() -> None:
    receiver = RttReceiver()
    receiver.receive(incoming(Rtt(seq=1, event=RttEvent.NEW, actions=(
        Insert(text="x"), Wait(milliseconds=200), Insert(text="y")))), now=T0)
    receiver.receive(incoming(Rtt(seq=1, event=RttEvent.NEW, actions=(
        Insert(text="p"), Wait(milliseconds=100), Insert(text="q"))), sender=OTHER), now=T0)
    assert receiver.senders == (ALICE, OTHER)
    assert receiver.expire(at(1)) == [TextShown(OTHER, "pq", None, at(0.1)),
                                      TextShown(ALICE, "xy", None, at(0.2))]
    receiver.forget(OTHER)
    assert receiver.senders == (ALICE,) and receiver.text(OTHER) == ""


def test_what_the_receiver_does_not_take() -> None:
    receiver = RttReceiver()
    no_sender = rtt_message(BOB, Rtt(seq=1, event=RttEvent.NEW))
    plain = wire(Message(type=MessageType.CHAT, to=BOB, bodies=(Body(text="hello"),)))
    for stanza in (no_sender, plain, wire(Message(to=BOB)), "not a stanza"):
        assert not receiver.accepts(stanza)
        assert [type(event) for event in receiver.receive(stanza, now=T0)] == [Ignored]
    assert receiver.accepts(incoming(Rtt(seq=1, event=RttEvent.NEW)))
    with pytest.raises(ArgumentValueError, match="now="):
        receiver.receive(plain)
    assert isinstance(receiver, Machine) and receiver.disco_features() == (NS_RTT,)
    with pytest.raises(ArgumentValueError, match="lag"):
        RttReceiver(lag=-1)


def test_the_receiver_goes_on_after_a_snapshot_as_before() -> None:
    receiver = RttReceiver(lag=0.4)
    receiver.receive(incoming(Rtt(seq=1, event=RttEvent.NEW, id="m1", actions=(
        Insert(text="a"), Wait(milliseconds=200), Insert(text="b")))), now=T0)
    receiver.receive(incoming(Rtt(seq=4, actions=(Insert(text="c"),)), sender=OTHER), now=T0)
    saved = json.loads(json.dumps(receiver.snapshot()))
    copy = RttReceiver.restore(saved)
    assert copy.snapshot() == receiver.snapshot() and copy.lag == 0.4
    assert copy.expire(at(1)) == receiver.expire(at(1)) == [
        TextShown(ALICE, "ab", "m1", at(0.2))]
    assert copy.state(OTHER) is StreamState.OUT_OF_SYNC
    broken = json.loads(json.dumps(saved))
    broken["streams"][0]["expected"] = None
    with pytest.raises(ArgumentValueError, match="rtt-receiver"):
        RttReceiver.restore(broken)


# -- the XEP's examples, replayed ---------------------------------------------------------------


def spec_messages(anchor: str) -> Iterator[list[Message]]:
    """The messages of each example of the section ``anchor`` of XEP-0301, read from the
    specification beside the checkout, one list per example."""
    tree = etree.parse(str(specs_dir() / "xep-0301.xml"),
                       etree.XMLParser(load_dtd=False, resolve_entities=False, no_network=True))
    (section,) = tree.xpath("//*[@anchor=$anchor]", anchor=anchor)
    blocks = [code.text for code in section.iter("code") if "<message" in (code.text or "")]
    assert blocks, anchor
    for number, text in enumerate(blocks, start=1):
        example = SpecExample(xep=301, number=number, caption=anchor, text=text)
        yield [parse(element) for element in parse_example(example).elements]


def replay(messages: Sequence[Message], *, step: float = 0.7) -> tuple[RttReceiver, list[Event]]:
    """The messages received one ``step`` apart, the playback run to its end."""
    receiver = RttReceiver()
    events: list[Event] = []
    for index, message in enumerate(messages):
        events += receiver.expire(at(index * step))
        events += receiver.receive(message, now=at(index * step))
    events += receiver.expire(at(len(messages) * step + 60))
    return receiver, events


def completed(events: Sequence[Event]) -> list[tuple[str, bool]]:
    return [(event.body, event.agreed) for event in events if isinstance(event, Completed)]


@pytest.mark.parametrize(("anchor", "text"), [
    ("introductory_examples_of_realtime_text", "HELLO"),
    ("deleting_text_from_message", "Hello, this is Alice!"),
    ("inserting_text_into_message", "Hello Bob, this is Alice!"),
    ("deleting_and_replacing_text_in_message", "Hello Bob, this is Alice!"),
    ("multiple_message_edits", "Hello there, World"),
    ("comparison_with_and_without_intervals", "HELLO"),
    ("simple_realtime_text", "Hello there!"),
])
def test_the_xep_examples_end_with_the_text_the_xep_states(anchor: str, text: str) -> None:
    for messages in spec_messages(anchor):
        receiver, events = replay(messages)
        sender = messages[0].from_
        assert sender is not None and receiver.text(sender) == text
        assert shown(events)[-1] == text and receiver.state(sender) is StreamState.IN_SYNC
        assert not any(isinstance(event, (Ignored, Desynchronised)) for event in events)


def test_the_xep_messages_with_bodies_complete_in_agreement() -> None:
    (intro,) = spec_messages("rtt_element")
    _, events = replay(intro)
    assert completed(events) == [("Hello, my Juliet!", True)]
    (three,) = spec_messages("example_of_multiple_messages")
    _, events = replay(three)
    assert completed(events) == [("Hello Alice", True), ("This is Bob", True),
                                 ("How are you?", True)]


def test_the_xep_key_press_intervals_play_back_at_the_typists_pace() -> None:
    *_, paced = spec_messages("comparison_with_and_without_intervals")
    _, events = replay(paced)
    assert [(event.text, event.at) for event in events if isinstance(event, TextShown)] == [
        ("H", at(0)), ("HE", at(0.101)), ("HEL", at(0.211)), ("HELL", at(0.336)),
        ("HELLO", at(0.439))]


def test_the_xep_full_typing_example_shows_the_typo_then_the_fix() -> None:
    (typing,) = spec_messages("full_message_including_key_press_intervals")
    _, events = replay(typing)
    texts = shown(events)
    assert "Hello tehre!" in texts and texts.index("Hello tehre!") < texts.index("Hello there!")
    assert completed(events) == [("Hello there!", True)]
    assert not any(isinstance(event, (Ignored, Desynchronised)) for event in events)


# -- sender and receiver over a lossy wire ---------------------------------------------------------

#: Any text XML carries: letters, emoji and other astral characters, combining marks,
#: joiners, line ends.
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"),
                             exclude_characters="\ufffe\uffff")
               | st.sampled_from("\n\t\r\u0301\u0308\u200d\N{GRINNING FACE}\N{WOMAN}"),
               max_size=12)


class RttOverTheWire(RuleBasedStateMachine):
    """A sender and a receiver joined by a wire that loses, repeats and reorders.

    After each step: every text shown and every body completed is one the sender had;
    whenever the receiver is in sync it holds the text the sender had when it sent the
    last ``<rtt/>`` applied, and without loss, repetition or reordering it is never out of
    sync and every body agrees."""

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.sender = RttSender(BOB, seq=1000, timing=RttTiming(interval=0.7, refresh=3))
        self.receiver = RttReceiver(lag=0.7)
        self.flight: list[bytes] = []
        self.history: set[str] = {""}
        self.after: dict[int, str] = {}  # seq -> the sender's text once it is applied
        self.on_wire = ""  # the text of the <rtt/> sent so far, applied in order
        self.clean = True
        self.finished: tuple[str, str] | None = None

    def _send(self, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, MessageFinished):
                self.finished = (event.message_id, event.text)
            if not isinstance(event, Send):
                continue
            rtt = read_rtt(event.stanza)
            if rtt is not None and rtt.kind not in (RttEvent.INIT, RttEvent.CANCEL):
                start = rtt.kind in (RttEvent.NEW, RttEvent.RESET)
                self.on_wire = apply_actions("" if start else self.on_wire, rtt.actions)
                assert rtt.seq not in self.after
                self.after[rtt.seq] = self.on_wire
            self.flight.append(serialize(dataclasses.replace(event.stanza, from_=ALICE)))
        if self.sender.state is not SenderState.OFF:
            assert self.on_wire == self.sender.transmitted or self.sender.transmitted == ""

    def _show(self, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, TextShown):
                assert event.text in self.history, event
            elif isinstance(event, Completed):
                assert event.body in self.history
                assert event.agreed or not self.clean
            elif isinstance(event, Desynchronised):
                assert not self.clean

    def _type(self, text: str) -> None:
        self.history.add(text)
        self._send(self.sender.edit(text, now=self.now))

    @rule(at=st.integers(0, 20), cut=st.integers(0, 4), text=TEXT)
    def splice(self, at: int, cut: int, text: str) -> None:
        old = self.sender.text
        self._type(old[:at] + text + old[at + cut:])

    @rule(text=TEXT)
    def retype(self, text: str) -> None:
        self._type(text)

    @rule(seconds=st.sampled_from([0.05, 0.15, 0.3, 0.7, 1.1, 4.0]))
    def wait(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self._send(self.sender.expire(self.now))
        self._show(self.receiver.expire(self.now))

    @precondition(lambda self: self.sender.state is not SenderState.IDLE and self.sender.text)
    @rule()
    def finish(self) -> None:
        self._send(self.sender.finish(now=self.now))

    @precondition(lambda self: self.finished is not None)
    @rule()
    def correct(self) -> None:
        assert self.finished is not None
        message_id, text = self.finished
        self._send(self.sender.correct(message_id, text, now=self.now))

    @rule(dice=st.integers(0, 3))
    def switch(self, dice: int) -> None:
        # One rule for both, turning off one time in four, so that real-time text is on
        # most of the time.
        if self.sender.state is SenderState.OFF:
            self._send(self.sender.activate(now=self.now))
        elif dice == 0:
            self._send(self.sender.cancel(now=self.now))

    @precondition(lambda self: bool(self.flight))
    @rule(pick=st.integers(0, 3))
    def deliver(self, pick: int) -> None:
        index = pick % len(self.flight)
        self.clean = self.clean and index == 0
        message = parse(self.flight.pop(index))
        self._show(self.receiver.receive(message, now=self.now))
        rtt = read_rtt(message)
        if rtt is not None and rtt.seq in self.after and message.body is None and \
                rtt.kind not in (RttEvent.INIT, RttEvent.CANCEL) and \
                self.receiver.state(ALICE) is StreamState.IN_SYNC:
            assert self.receiver.text(ALICE) == self.after[rtt.seq]
        if self.clean:
            assert self.receiver.state(ALICE) is not StreamState.OUT_OF_SYNC

    @precondition(lambda self: bool(self.flight))
    @rule(pick=st.integers(0, 3))
    def repeat(self, pick: int) -> None:
        self.clean = False
        self.flight.append(self.flight[pick % len(self.flight)])

    @precondition(lambda self: bool(self.flight))
    @rule(pick=st.integers(0, 3))
    def lose(self, pick: int) -> None:
        self.clean = False
        del self.flight[pick % len(self.flight)]

    @rule()
    def restart(self) -> None:
        self.sender = RttSender.restore(json.loads(json.dumps(self.sender.snapshot())))
        self.receiver = RttReceiver.restore(json.loads(json.dumps(self.receiver.snapshot())))

    @invariant()
    def the_display_reaches_the_text(self) -> None:
        if self.receiver.next_deadline() is None:
            assert self.receiver.shown(ALICE) == self.receiver.text(ALICE)

    @invariant()
    def all_delivered_in_order_is_the_senders_text(self) -> None:
        if self.clean and not self.flight \
                and self.receiver.state(ALICE) is StreamState.IN_SYNC:
            assert self.receiver.text(ALICE) == self.on_wire


TestRttOverTheWire = RttOverTheWire.TestCase
TestRttOverTheWire.settings = settings(max_examples=100, stateful_step_count=30, deadline=None)
