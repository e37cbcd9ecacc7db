"""The XEP-0410 self-ping machine: when it pings, whom, and what the answers do."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from xepcodec.core.stanza_errors import Condition
from xepcodec.core.stanzas import (
    Body,
    Iq,
    IqType,
    Message,
    MessageType,
    Presence,
    PresenceType,
    error_reply,
)
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ProtocolError
from xepcodec.machines.base import Event, Ignored, Send
from xepcodec.machines.router import Router
from xepcodec.machines.selfping import (
    DomainState,
    Joined,
    NickChanged,
    RejoinNeeded,
    RoomState,
    SelfPing,
    SelfPingEvent,
    SessionState,
    Timing,
    Undecided,
)
from xepcodec.protocols.disco import Identity
from xepcodec.protocols.ping import Ping, is_ping, pong

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ME = JID.parse("juliet@capulet.lit/balcony")
ROOM = JID.parse("characters@chat.shakespeare.lit")
OTHER = JID.parse("lovers@chat.shakespeare.lit")
ELSEWHERE = JID.parse("garden@muc.verona.lit")
TIMING = Timing(silence=900, timeout=60, backoff=30, max_backoff=200)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def pings(events: Sequence[Event]) -> list[Iq]:
    """The self-pings among ``events``, checked to be ping requests."""
    sent = [event.stanza for event in events if isinstance(event, Send)]
    assert all(is_ping(iq) for iq in sent), sent
    return sent


def only_ping(events: Sequence[Event]) -> Iq:
    assert len(events) == 1, events
    (ping,) = pings(events)
    return ping


def groupchat(room: JID, nick: str = "romeo") -> Message:
    return Message(type=MessageType.GROUPCHAT, from_=room.with_resource(nick), to=ME,
                   bodies=(Body(text="hi"),))


def refused(ping: Iq, condition: Condition) -> Iq:
    return error_reply(ping, condition)


def machine(*rooms: JID, timing: Timing = TIMING) -> SelfPing:
    watcher = SelfPing(timing=timing)
    for room in rooms:
        watcher.joined(room, "JuliC", now=T0)
    return watcher


# -- scheduling ---------------------------------------------------------------------------------


def test_a_room_is_pinged_once_silent_for_the_silence_and_not_before() -> None:
    watcher = machine(ROOM)
    assert watcher.next_deadline() == at(900)
    assert watcher.expire(at(899)) == []
    ping = only_ping(watcher.expire(at(900)))
    assert ping.to == ROOM.with_resource("JuliC") and ping.type is IqType.GET
    assert isinstance(ping.payload, Ping)
    assert watcher.state(ROOM) is RoomState.PINGED
    assert watcher.pending == (ping,)
    assert watcher.next_deadline() == at(960)
    assert watcher.expire(at(959)) == []  # in flight: no second ping


def test_the_default_silence_is_fifteen_minutes() -> None:
    watcher = SelfPing()
    watcher.joined(ROOM, "JuliC", now=T0)
    assert watcher.next_deadline() == T0 + timedelta(minutes=15)


def test_what_the_room_says_restarts_its_silence() -> None:
    watcher = machine(ROOM)
    assert watcher.receive(groupchat(ROOM), now=at(600)) == []
    assert watcher.expire(at(900)) == []
    presence = Presence(from_=ROOM.with_resource("nurse"), to=ME)
    assert watcher.receive(presence, now=at(1400)) == []
    assert watcher.next_deadline() == at(2300)


@pytest.mark.parametrize("stanza", [
    error_reply(Message(from_=ME, to=ROOM), Condition.NOT_ACCEPTABLE),
    Presence(type=PresenceType.UNAVAILABLE, from_=ROOM.with_resource("JuliC"), to=ME),
    groupchat(OTHER),
    Message(to=ME),
], ids=["error", "own-unavailable", "unwatched-room", "no-sender"])
def test_what_proves_nothing_is_ignored_and_the_silence_goes_on(stanza: object) -> None:
    watcher = machine(ROOM)
    events = watcher.receive(stanza, now=at(600))
    assert [type(event) for event in events] == [Ignored]
    assert watcher.next_deadline() == at(900)


def test_receive_needs_the_time() -> None:
    with pytest.raises(ArgumentValueError, match="now="):
        machine(ROOM).receive(groupchat(ROOM))
    with pytest.raises(ArgumentValueError, match="zone"):
        machine(ROOM).expire(datetime(2026, 1, 1))


# -- one ping per service -----------------------------------------------------------------------


def test_silent_rooms_of_one_service_share_one_ping_and_its_result() -> None:
    watcher = machine(ROOM, OTHER, ELSEWHERE)
    sent = pings(watcher.expire(at(900)))
    assert [ping.to.bare for ping in sent if ping.to] == [ROOM, ELSEWHERE]
    assert watcher.state(OTHER) is RoomState.PINGED
    assert watcher.service_state("chat.shakespeare.lit") is DomainState.PROBING
    events = watcher.receive(pong(sent[0]), now=at(901))
    assert events == [Joined(ROOM, "JuliC", sent[0]), Joined(OTHER, "JuliC", sent[0])]
    assert [event.vouched for event in events if isinstance(event, Joined)] == [False, True]
    assert watcher.state(OTHER) is RoomState.LISTENING
    # The next round pings the room that was only vouched for.
    assert watcher.receive(pong(sent[1]), now=at(901)) == [Joined(ELSEWHERE, "JuliC", sent[1])]
    again = pings(watcher.expire(at(1801)))
    assert [ping.to.bare for ping in again if ping.to] == [OTHER, ELSEWHERE]


def test_a_room_silent_while_its_service_is_pinged_waits_for_the_answer() -> None:
    watcher = machine(ROOM)
    watcher.joined(OTHER, "JuliC", now=at(10))
    ping = only_ping(watcher.expire(at(900)))
    assert watcher.state(OTHER) is RoomState.LISTENING
    assert watcher.expire(at(950)) == []  # silent since 940 s, but its service is pinged
    assert watcher.receive(pong(ping), now=at(955)) == [Joined(ROOM, "JuliC", ping)]
    assert watcher.next_deadline() == at(910)
    assert only_ping(watcher.expire(at(955))).to == OTHER.with_resource("JuliC")


def test_not_joined_is_the_pinged_rooms_alone_and_the_others_are_pinged_next() -> None:
    watcher = machine(ROOM, OTHER)
    ping = only_ping(watcher.expire(at(900)))
    reply = refused(ping, Condition.NOT_ACCEPTABLE)
    assert watcher.receive(reply, now=at(901)) == [RejoinNeeded(ROOM, "JuliC", ping, reply)]
    assert watcher.state(ROOM) is RoomState.REJOIN_NEEDED
    assert watcher.state(OTHER) is RoomState.LISTENING
    assert watcher.next_deadline() == at(900)  # still silent: due at once
    second = only_ping(watcher.expire(at(901)))
    assert second.to == OTHER.with_resource("JuliC")
    assert watcher.receive(pong(second), now=at(902)) == [Joined(OTHER, "JuliC", second)]
    # A room to rejoin is not pinged until it is joined again.
    assert [ping.to for ping in pings(watcher.expire(at(5000)))] == [OTHER.with_resource("JuliC")]
    watcher.joined(ROOM, "JuliC", now=at(6000))
    assert watcher.state(ROOM) is RoomState.LISTENING


def test_a_rejoin_needed_room_is_not_pinged() -> None:
    watcher = machine(ROOM)
    ping = only_ping(watcher.expire(at(900)))
    watcher.receive(refused(ping, Condition.NOT_ALLOWED), now=at(901))
    assert watcher.expire(at(10_000)) == []
    assert watcher.next_deadline() is None
    watcher.left(ROOM)
    assert watcher.rooms == ()


def test_a_nick_changed_names_the_lost_nick_and_vouches_for_no_other_room() -> None:
    # A service answers item-not-found for a room that is gone as well: no proof that
    # the user is still in the others.
    watcher = machine(ROOM, OTHER)
    ping = only_ping(watcher.expire(at(900)))
    reply = refused(ping, Condition.ITEM_NOT_FOUND)
    assert watcher.receive(reply, now=at(901)) == [NickChanged(ROOM, "JuliC", ping, reply)]
    assert watcher.state(ROOM) is RoomState.LISTENING
    assert only_ping(watcher.expire(at(901))).to == OTHER.with_resource("JuliC")
    watcher.nick_change_ended(ROOM, "Juliet", now=at(902))
    assert watcher.occupant(ROOM) == ROOM.with_resource("Juliet")


# -- when not to ping ---------------------------------------------------------------------------


def test_no_ping_while_a_nick_change_is_pending() -> None:
    watcher = machine(ROOM)
    watcher.nick_change_started(ROOM)
    assert watcher.expire(at(5000)) == []
    assert watcher.next_deadline() is None
    watcher.nick_change_ended(ROOM, "Jules", now=at(5000))
    assert watcher.state(ROOM) is RoomState.LISTENING
    ping = only_ping(watcher.expire(at(5900)))
    assert ping.to == ROOM.with_resource("Jules")


def test_a_refused_nick_change_keeps_the_old_nick() -> None:
    watcher = machine(ROOM)
    watcher.nick_change_started(ROOM)
    watcher.nick_change_ended(ROOM, now=at(10))
    assert watcher.occupant(ROOM) == ROOM.with_resource("JuliC")
    watcher.nick_change_started(ROOM)
    with pytest.raises(ProtocolError, match="'nick-changing'"):
        watcher.nick_change_started(ROOM)


def test_a_nick_change_during_a_ping_takes_the_room_out_of_its_cover() -> None:
    watcher = machine(ROOM, OTHER)
    ping = only_ping(watcher.expire(at(900)))
    watcher.nick_change_started(ROOM)
    assert watcher.receive(pong(ping), now=at(901)) == [Joined(OTHER, "JuliC", ping)]
    assert watcher.state(ROOM) is RoomState.NICK_CHANGING


def test_a_ping_whose_rooms_all_left_its_cover_is_forgotten() -> None:
    watcher = machine(ROOM)
    ping = only_ping(watcher.expire(at(900)))
    watcher.receive(groupchat(ROOM), now=at(910))
    assert watcher.pending == ()
    assert watcher.service_state(ROOM.domain) is DomainState.IDLE
    assert [type(e) for e in watcher.receive(pong(ping), now=at(911))] == [Ignored]


def test_nothing_is_sent_while_hibernated_and_what_fell_due_goes_at_resumption() -> None:
    watcher = machine(ROOM, ELSEWHERE)
    watcher.hibernated()
    assert watcher.session is SessionState.HIBERNATED
    assert watcher.expire(at(5000)) == []
    assert watcher.next_deadline() is None
    with pytest.raises(ProtocolError, match="not allowed in state 'hibernated'"):
        watcher.hibernated()
    watcher.resumed(at(5000))
    assert len(pings(watcher.expire(at(5000)))) == 2


def test_a_ping_in_flight_gets_a_whole_timeout_after_resumption() -> None:
    watcher = machine(ROOM)
    ping = only_ping(watcher.expire(at(900)))
    watcher.hibernated()
    assert watcher.expire(at(2000)) == []
    # An answer read while hibernated is an answer, late or not.
    watcher.resumed(at(3000))
    assert watcher.next_deadline() == at(3060)
    assert watcher.expire(at(3059)) == []
    assert watcher.receive(pong(ping), now=at(3059)) == [Joined(ROOM, "JuliC", ping)]


def test_resuming_an_active_session_is_refused() -> None:
    with pytest.raises(ProtocolError, match="self-ping session"):
        machine(ROOM).resumed(at(1))


# -- undecided outcomes and back-off ------------------------------------------------------------


def test_no_answer_backs_off_doubling_up_to_the_cap() -> None:
    watcher = machine(ROOM)
    now = at(900)
    waits = []
    ping = only_ping(watcher.expire(now))
    for _ in range(5):
        deadline = now + timedelta(seconds=60)
        (event,) = watcher.expire(deadline)
        assert isinstance(event, Undecided) and event.reply is None and event.ping == ping
        assert watcher.service_state(ROOM.domain) is DomainState.BACKING_OFF
        waits.append((event.retry_at - deadline).total_seconds())
        assert watcher.next_deadline() == event.retry_at
        assert watcher.expire(event.retry_at - timedelta(seconds=1)) == []
        now = event.retry_at
        ping = only_ping(watcher.expire(now))
    assert waits == [30, 60, 120, 200, 200]


@pytest.mark.parametrize("condition", [Condition.REMOTE_SERVER_NOT_FOUND,
                                       Condition.REMOTE_SERVER_TIMEOUT])
def test_an_error_that_decides_nothing_backs_off_too(condition: Condition) -> None:
    watcher = machine(ROOM, OTHER)
    ping = only_ping(watcher.expire(at(900)))
    reply = refused(ping, condition)
    events = watcher.receive(reply, now=at(910))
    assert events == [Undecided(ROOM, "JuliC", ping, reply, at(940)),
                      Undecided(OTHER, "JuliC", ping, reply, at(940))]
    assert watcher.expire(at(939)) == []
    second = only_ping(watcher.expire(at(940)))
    assert second.id != ping.id
    assert watcher.receive(pong(second), now=at(941))[0] == Joined(ROOM, "JuliC", second)
    assert watcher.service_state(ROOM.domain) is DomainState.IDLE


def test_hearing_from_the_service_ends_its_back_off() -> None:
    watcher = machine(ROOM)
    watcher.joined(OTHER, "JuliC", now=at(500))
    ping = only_ping(watcher.expire(at(900)))
    watcher.receive(refused(ping, Condition.REMOTE_SERVER_TIMEOUT), now=at(900))
    watcher.receive(groupchat(OTHER), now=at(905))
    assert watcher.service_state(ROOM.domain) is DomainState.IDLE
    assert only_ping(watcher.expire(at(905))).to == ROOM.with_resource("JuliC")


def test_an_answer_after_its_deadline_counts_as_none() -> None:
    watcher = machine(ROOM)
    ping = only_ping(watcher.expire(at(900)))
    events = watcher.receive(pong(ping), now=at(960))
    assert [type(event) for event in events] == [Undecided, Ignored]
    assert events[0] == Undecided(ROOM, "JuliC", ping, None, at(990))
    assert [type(e) for e in watcher.receive(pong(ping), now=at(961))] == [Ignored]


def test_an_answer_from_another_address_is_ignored() -> None:
    watcher = machine(ROOM)
    ping = only_ping(watcher.expire(at(900)))
    forged = Iq(type=IqType.RESULT, id=ping.id, from_=ROOM.with_resource("Tybalt"))
    assert not watcher.accepts(Iq(type=IqType.RESULT, id="other", from_=ping.to))
    assert watcher.accepts(forged)
    (event,) = watcher.receive(forged, now=at(901))
    assert isinstance(event, Ignored) and "not from" in event.reason
    assert watcher.pending == (ping,)


# -- the room's optimization ---------------------------------------------------------------------


@pytest.mark.parametrize(("optimized", "expected"), [(False, Joined), (True, RejoinNeeded)])
def test_the_optimization_changes_what_service_unavailable_means(
        optimized: bool, expected: type[SelfPingEvent]) -> None:
    watcher = machine(ROOM)
    watcher.set_optimized(ROOM, optimized)
    ping = only_ping(watcher.expire(at(900)))
    (event,) = watcher.receive(refused(ping, Condition.SERVICE_UNAVAILABLE), now=at(901))
    assert type(event) is expected


# -- calls the caller should not make ------------------------------------------------------------


def test_an_unwatched_room_is_a_protocol_error() -> None:
    watcher = machine(ROOM)
    for call in (lambda: watcher.left(OTHER), lambda: watcher.nick_change_started(OTHER),
                 lambda: watcher.state(OTHER)):
        with pytest.raises(ProtocolError, match=r"lovers@chat\.shakespeare\.lit is not a room"):
            call()


def test_a_room_is_a_bare_jid_and_a_nick_a_resourcepart() -> None:
    watcher = SelfPing()
    with pytest.raises(ArgumentValueError, match="bare JID"):
        watcher.joined(ROOM.with_resource("x"), "JuliC", now=T0)
    with pytest.raises(ArgumentTypeError):
        watcher.joined(ROOM, "JuliC", now=T0, optimized="yes")  # type: ignore[arg-type]
    assert watcher.rooms == ()


@pytest.mark.parametrize("fields", [{"silence": 0}, {"timeout": -1}, {"backoff": True},
                                    {"backoff": 60, "max_backoff": 30},
                                    {"silence": float("nan")}])
def test_timing_is_positive_seconds(fields: dict[str, float]) -> None:
    with pytest.raises(ArgumentValueError):
        Timing(**fields)


# -- the snapshot --------------------------------------------------------------------------------


def test_a_snapshot_mid_flight_carries_the_ping_and_its_back_off() -> None:
    watcher = machine(ROOM, OTHER, ELSEWHERE)
    first = pings(watcher.expire(at(900)))
    watcher.receive(refused(first[1], Condition.REMOTE_SERVER_TIMEOUT), now=at(901))
    watcher.nick_change_started(OTHER)
    saved = json.loads(json.dumps(watcher.snapshot()))
    restored = SelfPing.restore(saved)
    assert restored.snapshot() == saved
    assert restored.pending == watcher.pending == (first[0],)
    assert restored.state(OTHER) is RoomState.NICK_CHANGING
    assert restored.service_state(ELSEWHERE.domain) is DomainState.BACKING_OFF
    assert restored.receive(pong(first[0]), now=at(902)) == [Joined(ROOM, "JuliC", first[0])]
    # The ids go on where they stood.
    assert only_ping(restored.expire(at(931))).id == "self-ping-3"


def test_a_hibernated_machine_stays_hibernated_across_a_restore() -> None:
    watcher = machine(ROOM)
    watcher.hibernated()
    restored = SelfPing.restore(watcher.snapshot())
    assert restored.session is SessionState.HIBERNATED and restored.expire(at(9999)) == []


@pytest.mark.parametrize("damage", [
    lambda s: s.update(format="xepcodec.cookie-jar"),
    lambda s: s["rooms"][0].update(state="pinged"),
    lambda s: s["rooms"][0].update(room="characters@chat.shakespeare.lit/x"),
    lambda s: s["services"].append({"domain": "x", "state": "idle"}),
    lambda s: s["services"].append({"domain": ROOM.domain, "state": "backing-off"}),
    lambda s: s.update(rooms=s["rooms"] * 2),
    lambda s: s["rooms"][0].update(nick=""),
    lambda s: s["timing"].update(silence=-5),
])
def test_a_damaged_snapshot_is_one_clear_error(damage: object) -> None:
    saved = machine(ROOM).snapshot()
    damage(saved)  # type: ignore[operator]
    with pytest.raises(ArgumentValueError, match=r"not a usable xepcodec\.self-ping snapshot"):
        SelfPing.restore(saved)


# -- behind a router -----------------------------------------------------------------------------


def test_a_router_hands_the_room_and_the_answers_to_the_machine() -> None:
    router = Router(ME, [Identity(category="client", type="pc")])
    watcher = machine(ROOM)
    router.register(watcher)
    router.handle(Ping, pong)
    assert watcher.disco_features() == () and SelfPing.payloads == ()
    router.receive(groupchat(ROOM), now=at(100))
    assert watcher.next_deadline() == at(1000)
    ping = only_ping(watcher.expire(at(1000)))
    # The room reflects the ping to this client: the pong handler answers it.
    reflected = Iq(type=IqType.GET, id="c0ffee", from_=ping.to, to=ME, extensions=(Ping(),))
    (answer,) = router.receive(reflected, now=at(1001))
    assert isinstance(answer, Send) and answer.stanza.type is IqType.RESULT
    result = Iq(type=IqType.RESULT, id=ping.id, from_=ping.to, to=ME)
    assert router.receive(result, now=at(1002)) == [Joined(ROOM, "JuliC", ping)]


# -- any sequence of events ----------------------------------------------------------------------

ROOMS = (ROOM, OTHER, ELSEWHERE)
NICKS = ("JuliC", "Jules")
ANSWERS = (None, Condition.SERVICE_UNAVAILABLE, Condition.ITEM_NOT_FOUND,
           Condition.REMOTE_SERVER_TIMEOUT, Condition.NOT_ACCEPTABLE, Condition.FORBIDDEN)


class SelfPingRun(RuleBasedStateMachine):
    """Random joins, leaves, chatter, nick changes, hibernations, answers, timeouts and
    restores.  After each step: never two pings in flight for one room or one service,
    no ping sent while hibernated or to a room not silent for the silence, changing its
    nick or to rejoin; every ping in flight was sent and is unanswered."""

    def __init__(self) -> None:
        super().__init__()
        self.machine = SelfPing(timing=TIMING)
        self.now = T0
        self.sent: dict[str, Iq] = {}
        self.answered: set[str] = set()
        self.heard: dict[JID, datetime] = {}

    def _check(self, events: list[Event], *, before: dict[JID, RoomState]) -> None:
        released: set[JID] = set()  # rooms whose ping timed out earlier in this step
        for event in events:
            if isinstance(event, Send):
                ping = event.stanza
                assert is_ping(ping) and ping.to is not None
                room = ping.to.bare
                assert self.machine.session is SessionState.ACTIVE
                assert before.get(room) is RoomState.LISTENING or room in released, \
                    (room, before.get(room))
                assert self.machine.occupant(room) == ping.to
                assert self.now - self.heard[room] >= timedelta(seconds=TIMING.silence)
                assert ping.id not in self.sent
                self.sent[ping.id] = ping
            elif isinstance(event, (Joined, NickChanged)):
                self.heard[event.room] = self.now
            elif isinstance(event, Undecided) and event.reply is None:
                self.answered.add(event.ping.id)
                released.add(event.room)

    def _states(self) -> dict[JID, RoomState]:
        return {room: self.machine.state(room) for room in self.machine.rooms}

    @rule(room=st.sampled_from(ROOMS), nick=st.sampled_from(NICKS))
    def join(self, room: JID, nick: str) -> None:
        self.machine.joined(room, nick, now=self.now)
        self.heard[room] = self.now

    @precondition(lambda self: bool(self.machine.rooms))
    @rule(data=st.data())
    def leave(self, data: st.DataObject) -> None:
        self.machine.left(data.draw(st.sampled_from(self.machine.rooms)))

    @rule(room=st.sampled_from(ROOMS))
    def chatter(self, room: JID) -> None:
        before = self._states()
        events = self.machine.receive(groupchat(room), now=self.now)
        self._check(events, before=before)
        if room in before:
            assert events == []
            self.heard[room] = self.now

    @precondition(lambda self: bool(self.machine.rooms))
    @rule(data=st.data(), nick=st.sampled_from((*NICKS, None)))
    def change_nick(self, data: st.DataObject, nick: str | None) -> None:
        room = data.draw(st.sampled_from(self.machine.rooms))
        state = self.machine.state(room)
        if state in (RoomState.LISTENING, RoomState.PINGED):
            self.machine.nick_change_started(room)
            assert self.machine.state(room) is RoomState.NICK_CHANGING
        elif state is RoomState.NICK_CHANGING:
            self.machine.nick_change_ended(room, nick, now=self.now)
            self.heard[room] = self.now
        else:
            with pytest.raises(ProtocolError):
                self.machine.nick_change_started(room)

    @rule()
    def hibernate_or_resume(self) -> None:
        if self.machine.session is SessionState.ACTIVE:
            self.machine.hibernated()
        else:
            self.machine.resumed(self.now)

    @rule(seconds=st.sampled_from((1, 29, 30, 59, 60, 300, 899, 900, 1800)))
    def wait(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)
        before = self._states()
        deadline = self.machine.next_deadline()
        events = self.machine.expire(self.now)
        if deadline is None or deadline > self.now:
            assert events == []
        self._check(events, before=before)

    @precondition(lambda self: bool(self.machine.pending))
    @rule(data=st.data(), condition=st.sampled_from(ANSWERS))
    def answer(self, data: st.DataObject, condition: Condition | None) -> None:
        ping = data.draw(st.sampled_from(self.machine.pending))
        reply = pong(ping) if condition is None else refused(ping, condition)
        before = self._states()
        events = self.machine.receive(reply, now=self.now)
        self._check(events, before=before)
        self.answered.add(ping.id)
        assert ping not in self.machine.pending
        assert all(isinstance(event, (SelfPingEvent, Ignored)) for event in events)

    @rule()
    def restart(self) -> None:
        saved = json.loads(json.dumps(self.machine.snapshot()))
        restored = SelfPing.restore(saved)
        assert restored.snapshot() == saved
        assert restored.pending == self.machine.pending
        self.machine = restored

    @invariant()
    def one_ping_per_room_and_service(self) -> None:
        targets = [ping.to for ping in self.machine.pending if ping.to is not None]
        assert len({jid.bare for jid in targets}) == len(targets)
        assert len({jid.domain for jid in targets}) == len(targets)

    @invariant()
    def the_pings_in_flight_were_sent_and_are_unanswered(self) -> None:
        for ping in self.machine.pending:
            assert self.sent.get(ping.id) == ping and ping.id not in self.answered

    @invariant()
    def pinged_rooms_belong_to_a_ping_in_flight(self) -> None:
        pinged = [room for room in self.machine.rooms
                  if self.machine.state(room) is RoomState.PINGED]
        probing = {ping.to.domain for ping in self.machine.pending if ping.to is not None}
        assert {room.domain for room in pinged} <= probing

    @invariant()
    def nothing_is_due_while_hibernated(self) -> None:
        if self.machine.session is SessionState.HIBERNATED:
            assert self.machine.next_deadline() is None


TestSelfPingRun = SelfPingRun.TestCase
TestSelfPingRun.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
