"""XEP-0410 self-ping, as a sans-IO machine: is this client still in its rooms?

:class:`SelfPing` watches the multi-user chat rooms a client says it joined.  Every
message or presence a room sends (:meth:`~SelfPing.receive`) restarts that room's
silence; once a room has been silent for :attr:`Timing.silence`, :meth:`~SelfPing.expire`
sends a self-ping (:func:`~xepcodec.protocols.selfping.self_ping`) and the answer,
read by :func:`~xepcodec.protocols.selfping.verdict`, becomes :class:`Joined`,
:class:`NickChanged`, :class:`RejoinNeeded` or :class:`Undecided`.

**One ping per service.**  The rooms of one service domain that are silent at the same
time share one ping: it goes to the occupant JID of the room among them whose own last
self-ping is the oldest (a room never pinged first, then the one silent longest, then
by address), so that over successive rounds each room is pinged itself.  Its answer
is applied to every room it covers:

* joined: the service is reachable and keeps the user, so each covered room is
  presumed joined, its silence restarts, and it gets a :class:`Joined` whose ``ping``
  went to the other room (:attr:`Joined.vouched`);
* not joined and nick changed are the pinged room's own: it gets :class:`RejoinNeeded`
  (and is no longer pinged until :meth:`~SelfPing.joined` says it is back) or
  :class:`NickChanged`; the other rooms stay silent and share the next ping, sent by the
  next :meth:`~SelfPing.expire`.  A nick changed vouches for nothing because a service
  answers a ping to a room that no longer exists with the same ``item-not-found``
  (Prosody does), and after a restart of the service every room may be in that case;
* undecided (an error that decides nothing, or no answer by :attr:`Timing.timeout`):
  each covered room gets :class:`Undecided`, and the service's next ping waits a
  back-off that starts at :attr:`Timing.backoff` and doubles with each undecided
  outcome in a row, up to :attr:`Timing.max_backoff`.  Hearing from any room of the
  service ends the back-off.

A room leaves a ping's cover when it is heard from (fresh evidence wins over the
answer still to come), left, joined again, or its nick changes; a ping that covers
nothing any more is forgotten, and its answer is ignored.  There is never more than one ping in
flight per service, so never more than one per room.

**When not to ping** (XEP-0410 §4): a room whose nick change is pending
(:meth:`~SelfPing.nick_change_started` until :meth:`~SelfPing.nick_change_ended`) is
not pinged, and nothing is sent while the session is hibernated (XEP-0198,
:meth:`~SelfPing.hibernated` until :meth:`~SelfPing.resumed`): pings that fall due
meanwhile are deferred, and the pings in flight get a whole :attr:`Timing.timeout`
again from the resumption, as their answers can only come after it.

Whether a room answers self-pings itself (``muc#self-ping-optimization`` in its
disco#info) is for the caller to find out and say (``optimized``); the verdict of
the answer depends on it.  The machine answers no request: the pings the service
reflects to this client are answered by the caller's XEP-0199 ``pong`` handler (a
:class:`~xepcodec.machines.router.Router` handler).

Pings are sent by :meth:`~SelfPing.expire` alone; :meth:`~SelfPing.next_deadline` says
when to call it, and may change after any call.  ``docs/machines.md`` is the
convention.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Final

from xepcodec.core.stanzas import Iq, IqType, Message, MessageType, Presence, PresenceType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ProtocolError
from xepcodec.machines.base import (
    Event,
    IdSource,
    Ignored,
    Send,
    SnapshotFormat,
    Transitions,
    as_jid,
    from_json,
    to_json,
)
from xepcodec.protocols.muc.addresses import occupant_jid
from xepcodec.protocols.selfping import Verdict, self_ping, verdict

__all__ = [
    "DomainState",
    "Joined",
    "NickChanged",
    "RejoinNeeded",
    "RoomState",
    "SelfPing",
    "SelfPingEvent",
    "SessionState",
    "Timing",
    "Undecided",
]

_SNAPSHOT: Final = SnapshotFormat("xepcodec.self-ping", 1)


# -- configuration ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timing:
    """The machine's delays, in seconds.

    ``silence``: how long a room may say nothing before it is pinged (the XEP's
    example: 15 minutes).  ``timeout``: how long an answer is waited for before the
    ping counts as undecided.  ``backoff``: the wait before pinging a service again
    after an undecided outcome, doubled after each further one in a row, up to
    ``max_backoff``."""

    silence: float = 15 * 60
    timeout: float = 60
    backoff: float = 30
    max_backoff: float = 15 * 60

    def __post_init__(self) -> None:
        for each in dataclasses.fields(self):
            value = getattr(self, each.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not value > 0 or value == float("inf"):
                raise ArgumentValueError(f"{each.name} is a positive number of seconds, "
                                         f"not {value!r}")
        if self.max_backoff < self.backoff:
            raise ArgumentValueError(f"max_backoff ({self.max_backoff}) is less than backoff "
                                     f"({self.backoff})")

    def wait(self, attempts: int) -> timedelta:
        """The back-off after ``attempts`` undecided outcomes in a row (1 or more)."""
        return timedelta(seconds=min(self.backoff * 2.0 ** min(attempts - 1, 64),
                                     self.max_backoff))


# -- states and their tables ------------------------------------------------------------------


class RoomState(enum.StrEnum):
    """Where one room stands."""

    #: joined; pinged once silent for :attr:`Timing.silence`
    LISTENING = "listening"
    #: covered by the self-ping in flight for its service
    PINGED = "pinged"
    #: a nick change is pending: not pinged
    NICK_CHANGING = "nick-changing"
    #: told not joined (:class:`RejoinNeeded`): not pinged until joined again
    REJOIN_NEEDED = "rejoin-needed"


class DomainState(enum.StrEnum):
    """Where the pinging of one service domain stands."""

    #: no ping in flight, no back-off
    IDLE = "idle"
    #: one ping in flight
    PROBING = "probing"
    #: the last ping was undecided: the next waits until the back-off ends
    BACKING_OFF = "backing-off"


class SessionState(enum.StrEnum):
    """Whether the client's session can send (XEP-0198 hibernation)."""

    ACTIVE = "active"
    HIBERNATED = "hibernated"


class _Room(enum.Enum):
    """What happens to a room."""

    JOIN = "join"
    HEAR = "hear"
    PING = "ping"
    NICK_START = "nick change started"
    NICK_END = "nick change ended"
    JOINED = "joined"
    NICK_CHANGED = "nick changed"
    NOT_JOINED = "not joined"
    #: its ping ended without deciding for it (undecided, or another room not joined)
    RELEASE = "release"


class _Clock(enum.Enum):
    """What a room's transition does to its silence."""

    RESTART = "restart"
    KEEP = "keep"


_L, _P, _N, _R = (RoomState.LISTENING, RoomState.PINGED, RoomState.NICK_CHANGING,
                  RoomState.REJOIN_NEEDED)
_RESTART, _KEEP = _Clock.RESTART, _Clock.KEEP

_ROOMS: Final = Transitions("self-ping room", {
    # Joining (again) starts over, whatever stood before.
    **{(state, _Room.JOIN): (_RESTART, _L) for state in RoomState},
    # Hearing from a room restarts its silence and takes it out of a ping's cover.
    (_L, _Room.HEAR): (_RESTART, _L),
    (_P, _Room.HEAR): (_RESTART, _L),
    (_N, _Room.HEAR): (_RESTART, _N),
    (_R, _Room.HEAR): (_RESTART, _R),
    (_L, _Room.PING): (_KEEP, _P),
    # XEP-0410 §4: no ping between asking for a new nick and the service's answer.
    (_L, _Room.NICK_START): (_KEEP, _N),
    (_P, _Room.NICK_START): (_KEEP, _N),
    # The answer to one's own change, or a change another client made (seen in presence).
    (_N, _Room.NICK_END): (_RESTART, _L),
    (_L, _Room.NICK_END): (_RESTART, _L),
    (_P, _Room.NICK_END): (_RESTART, _L),
    (_P, _Room.JOINED): (_RESTART, _L),
    (_P, _Room.NICK_CHANGED): (_RESTART, _L),
    (_P, _Room.NOT_JOINED): (_KEEP, _R),
    (_P, _Room.RELEASE): (_KEEP, _L),
})


class _Domain(enum.Enum):
    """What happens to a service domain."""

    SEND = "send"
    DECIDED = "decided"
    UNDECIDED = "undecided"
    #: every room its ping covered left the cover
    DROP = "drop"
    HEAR = "hear"


_DOMAINS: Final = Transitions("self-ping service", {
    (DomainState.IDLE, _Domain.SEND): DomainState.PROBING,
    (DomainState.BACKING_OFF, _Domain.SEND): DomainState.PROBING,
    (DomainState.PROBING, _Domain.DECIDED): DomainState.IDLE,
    (DomainState.PROBING, _Domain.UNDECIDED): DomainState.BACKING_OFF,
    (DomainState.PROBING, _Domain.DROP): DomainState.IDLE,
    (DomainState.IDLE, _Domain.HEAR): DomainState.IDLE,
    (DomainState.PROBING, _Domain.HEAR): DomainState.PROBING,
    # The service is reachable: the reason to back off is gone.
    (DomainState.BACKING_OFF, _Domain.HEAR): DomainState.IDLE,
})


class _Session(enum.Enum):
    HIBERNATE = "hibernated"
    RESUME = "resumed"


_SESSION: Final = Transitions("self-ping session", {
    (SessionState.ACTIVE, _Session.HIBERNATE): SessionState.HIBERNATED,
    (SessionState.HIBERNATED, _Session.RESUME): SessionState.ACTIVE,
})


# -- events -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SelfPingEvent(Event):
    """The base of the self-ping machine's own events."""


@dataclass(frozen=True, slots=True)
class Joined(SelfPingEvent):
    """``room`` still holds the user as ``nick``, as the answer to ``ping`` says; its
    silence starts again."""

    room: JID
    nick: str
    ping: Iq

    @property
    def vouched(self) -> bool:
        """Whether ``ping`` went to another room of the same service, whose answer
        vouches for this one (see the module documentation)."""
        return self.ping.to is None or self.ping.to.bare != self.room


@dataclass(frozen=True, slots=True)
class NickChanged(SelfPingEvent):
    """The answer to ``ping`` says the user is still an occupant of ``room``, but no
    longer as ``nick``: another client of the user changed it.  Tell the machine the
    new nick (:meth:`SelfPing.nick_change_ended`); a caller that cannot name it should
    rejoin, as a service also answers so for a room that no longer exists.  Until then
    the next ping goes to the old nick again."""

    room: JID
    nick: str
    ping: Iq
    reply: Iq


@dataclass(frozen=True, slots=True)
class RejoinNeeded(SelfPingEvent):
    """The user is not (any more) an occupant of ``room``: rejoin it, then call
    :meth:`SelfPing.joined` (or :meth:`SelfPing.left` to stop watching it)."""

    room: JID
    nick: str
    ping: Iq
    reply: Iq


@dataclass(frozen=True, slots=True)
class Undecided(SelfPingEvent):
    """Nothing can be told of ``room``: ``reply`` decides nothing, or (None) no answer
    came in time.  The service is pinged again from ``retry_at`` on."""

    room: JID
    nick: str
    ping: Iq
    reply: Iq | None
    retry_at: datetime


# -- memory -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Watched:
    """A room and what the machine knows of it.  ``heard``: when its silence began;
    ``pinged``: when its own last self-ping was sent (None: never)."""

    room: JID
    nick: str
    optimized: bool
    state: RoomState
    heard: datetime
    pinged: datetime | None = None

    @property
    def occupant(self) -> JID:
        return self.room.with_resource(self.nick)


@dataclass(frozen=True, slots=True)
class _Probe:
    """The self-ping in flight for a service, and the rooms it answers for."""

    ping: Iq
    optimized: bool
    rooms: tuple[JID, ...]
    deadline: datetime


@dataclass(frozen=True, slots=True)
class _Service:
    """A service domain that is not idle: its ping in flight, or its back-off."""

    domain: str
    state: DomainState
    attempts: int = 0
    retry_at: datetime | None = None
    probe: _Probe | None = None


@dataclass(frozen=True, slots=True)
class _Saved:
    timing: Timing
    session: SessionState
    rooms: tuple[_Watched, ...]
    services: tuple[_Service, ...]
    next_id: int | None


# -- the machine --------------------------------------------------------------------------------


class SelfPing:
    """Self-pings for the rooms one client joined (see the module documentation).

    ``timing`` sets the delays; ``ids`` is the source of the pings' ids (by default a
    counter ``self-ping-1``, ``self-ping-2``… saved with the snapshot)."""

    #: The machine answers no request (a reflected ping is a ``pong`` handler's).
    payloads: ClassVar[tuple[type, ...]] = ()

    __slots__ = ("_ids", "_rooms", "_services", "_session", "_timing")

    def __init__(self, *, timing: Timing | None = None,
                 ids: Callable[[], str] | None = None) -> None:
        if timing is not None and not isinstance(timing, Timing):
            raise ArgumentTypeError(f"timing is a Timing, not {type(timing).__name__}")
        self._timing = timing if timing is not None else Timing()
        self._ids = IdSource(ids, "self-ping")
        self._session = SessionState.ACTIVE
        self._rooms: dict[JID, _Watched] = {}
        self._services: dict[str, _Service] = {}

    # -- reading ------------------------------------------------------------------------------

    @property
    def timing(self) -> Timing:
        return self._timing

    @property
    def session(self) -> SessionState:
        return self._session

    @property
    def rooms(self) -> tuple[JID, ...]:
        """The rooms watched, in the order they were joined."""
        return tuple(self._rooms)

    def state(self, room: JID | str) -> RoomState:
        """Where ``room`` stands; ProtocolError when it is not watched."""
        return self._room(room).state

    def occupant(self, room: JID | str) -> JID:
        """The occupant JID the machine pings in ``room``."""
        return self._room(room).occupant

    def service_state(self, domain: str) -> DomainState:
        """Where the pinging of the service ``domain`` stands."""
        service = self._services.get(domain)
        return DomainState.IDLE if service is None else service.state

    @property
    def pending(self) -> tuple[Iq, ...]:
        """The self-pings in flight, one per service at most."""
        return tuple(service.probe.ping for service in self._services.values()
                     if service.probe is not None)

    def next_deadline(self) -> datetime | None:
        """When :meth:`expire` next has something to do (a ping to time out or to
        send), or None: nothing is watched, or the session is hibernated."""
        if self._session is SessionState.HIBERNATED:
            return None
        silence = timedelta(seconds=self._timing.silence)
        times: list[datetime] = []
        for domain, rooms in self._by_domain().items():
            service = self._services.get(domain)
            if service is not None and service.probe is not None:
                times.append(service.probe.deadline)
                continue
            quiet = [room.heard + silence for room in rooms if room.state is RoomState.LISTENING]
            if quiet:
                due = min(quiet)
                if service is not None and service.retry_at is not None:
                    due = max(due, service.retry_at)
                times.append(due)
        return min(times, default=None)

    # -- what the caller says -------------------------------------------------------------------

    def joined(self, room: JID | str, nick: str, *, now: datetime,
               optimized: bool = False) -> None:
        """The client joined ``room`` (a bare room JID) as ``nick`` at ``now``, or joined
        it again: its silence starts.  ``optimized``: the room advertises the self-ping
        optimization."""
        now = _time(now)
        target = occupant_jid(room, nick)
        key = target.bare
        _flag(optimized, "optimized")
        if key in self._rooms:
            self._move(key, _Room.JOIN, now)
            self._rooms[key] = dataclasses.replace(self._rooms[key], nick=str(target.resource),
                                                   optimized=optimized)
        else:
            self._rooms[key] = _Watched(key, str(target.resource), optimized,
                                        RoomState.LISTENING, now)
        self._hear_service(key.domain)

    def left(self, room: JID | str) -> None:
        """The client left ``room`` (or gave up rejoining it): it is no longer watched."""
        key = self._room(room).room
        self._uncover(key)
        del self._rooms[key]
        service = self._services.get(key.domain)
        if service is not None and service.probe is None and key.domain not in self._by_domain():
            del self._services[key.domain]

    def set_optimized(self, room: JID | str, optimized: bool) -> None:
        """Whether ``room`` advertises the self-ping optimization (from its disco#info)."""
        watched = self._room(room)
        self._rooms[watched.room] = dataclasses.replace(
            watched, optimized=_flag(optimized, "optimized"))

    def nick_change_started(self, room: JID | str) -> None:
        """The client asked ``room`` for a new nick: no ping until
        :meth:`nick_change_ended`."""
        self._move(self._room(room).room, _Room.NICK_START, None)

    def nick_change_ended(self, room: JID | str, nick: str | None = None, *,
                          now: datetime) -> None:
        """The nick change in ``room`` is over at ``now``: ``nick`` is the nick now held
        (None: the change was refused, the old one stays).  Also for a change another
        client of the user made, seen in the room's presence."""
        now = _time(now)
        watched = self._room(room)
        target = occupant_jid(watched.room, nick) if nick is not None else watched.occupant
        self._move(watched.room, _Room.NICK_END, now)
        self._rooms[watched.room] = dataclasses.replace(self._rooms[watched.room],
                                                        nick=str(target.resource))

    def hibernated(self) -> None:
        """The session is hibernated (XEP-0198): nothing is sent until :meth:`resumed`."""
        self._session = _SESSION(self._session, _Session.HIBERNATE)

    def resumed(self, now: datetime) -> None:
        """The session is resumed at ``now``: the pings in flight wait a whole timeout
        from now; the pings that fell due are sent by the next :meth:`expire`."""
        now = _time(now)
        self._session = _SESSION(self._session, _Session.RESUME)
        deadline = now + timedelta(seconds=self._timing.timeout)
        for domain, service in self._services.items():
            if service.probe is not None:
                self._services[domain] = dataclasses.replace(
                    service, probe=dataclasses.replace(service.probe, deadline=deadline))

    # -- what arrives ------------------------------------------------------------------------

    def accepts(self, stanza: object) -> bool:
        """Whether ``stanza`` is for this machine: the answer to a self-ping in flight,
        or a message or presence from a watched room."""
        if isinstance(stanza, Iq):
            return stanza.type in (IqType.RESULT, IqType.ERROR) \
                and self._probe_of(stanza.id) is not None
        return isinstance(stanza, (Message, Presence)) and stanza.from_ is not None \
            and stanza.from_.bare in self._rooms

    def receive(self, stanza: object, *, now: datetime | None = None) -> list[Event]:
        """Take one stanza read at ``now``: the answer to a self-ping gives its verdict's
        events; a message or presence from a watched room restarts its silence (and
        gives nothing).  Errors from a room prove nothing and are :class:`Ignored`, as
        is the room's word that one's own occupant is unavailable (that is for the
        caller to turn into :meth:`left` or :meth:`nick_change_ended`)."""
        if now is None:
            raise ArgumentValueError("the self-ping machine keeps time: receive needs now=")
        now = _time(now)
        if isinstance(stanza, Iq):
            return self._answer(stanza, now)
        if not isinstance(stanza, (Message, Presence)):
            return [Ignored(stanza, f"not a stanza: {type(stanza).__name__}")]
        sender = stanza.from_
        watched = self._rooms.get(sender.bare) if sender is not None else None
        if sender is None or watched is None:
            return [Ignored(stanza, "not from a room being watched")]
        if stanza.type in (MessageType.ERROR, PresenceType.ERROR):
            return [Ignored(stanza, "an error from the room says nothing of being joined")]
        if stanza.type is PresenceType.UNAVAILABLE and sender == watched.occupant:
            return [Ignored(stanza, "the room says this occupant is leaving, not staying; "
                                    "the caller decides between left() and "
                                    "nick_change_ended()")]
        self._move(watched.room, _Room.HEAR, now)
        self._hear_service(watched.room.domain)
        return []

    def _answer(self, iq: Iq, now: datetime) -> list[Event]:
        if iq.type not in (IqType.RESULT, IqType.ERROR):
            return [Ignored(iq, "a request: a reflected ping is answered by a pong handler")]
        found = self._probe_of(iq.id)
        if found is None:
            return [Ignored(iq, f"an answer to no self-ping in flight ({iq.id!r})")]
        domain, probe = found
        if iq.from_ != probe.ping.to:
            # RFC 6120 §8.1.2.1: the answer comes from the address pinged.
            return [Ignored(iq, f"an answer to {iq.id!r} from {iq.from_}, not from "
                                f"{probe.ping.to}")]
        if self._session is SessionState.ACTIVE and now >= probe.deadline:
            # As if expire() had run first: the outcome does not depend on the order of
            # the caller's calls.
            return [*self._undecided(domain, probe, None, probe.deadline),
                    Ignored(iq, f"the answer to {iq.id!r} came after its deadline")]
        outcome = verdict(iq, optimized=probe.optimized)
        if outcome is Verdict.UNDECIDED:
            return self._undecided(domain, probe, iq, now)
        return self._decided(domain, probe, iq, outcome, now)

    # -- time ----------------------------------------------------------------------------------

    def expire(self, now: datetime) -> list[Event]:
        """What is due at ``now``: an :class:`Undecided` for each room covered by a ping
        whose answer is late, then a :class:`~xepcodec.machines.base.Send` of each ping
        due (services in the order of their names).  Nothing while hibernated."""
        now = _time(now)
        if self._session is SessionState.HIBERNATED:
            return []
        events: list[Event] = []
        late = sorted(((service.probe.deadline, domain) for domain, service
                       in self._services.items()
                       if service.probe is not None and service.probe.deadline <= now))
        for deadline, domain in late:
            probe = self._services[domain].probe
            assert probe is not None
            events += self._undecided(domain, probe, None, deadline)
        silence = timedelta(seconds=self._timing.silence)
        for domain, rooms in sorted(self._by_domain().items()):
            service = self._services.get(domain)
            if service is not None and (service.probe is not None or (
                    service.retry_at is not None and service.retry_at > now)):
                continue
            due = [room for room in rooms
                   if room.state is RoomState.LISTENING and now - room.heard >= silence]
            if due:
                events.append(self._send(domain, due, now))
        return events

    # -- the steps -----------------------------------------------------------------------------

    def _send(self, domain: str, due: list[_Watched], now: datetime) -> Send:
        target = min(due, key=_turn)
        ping = self_ping(target.occupant, id=self._ids())
        if self._probe_of(ping.id) is not None:
            raise ProtocolError(f"the id source gave {ping.id!r} again while it is in flight")
        service = self._services.get(domain) or _Service(domain, DomainState.IDLE)
        state = _DOMAINS(service.state, _Domain.SEND)
        for room in due:
            self._move(room.room, _Room.PING, now)
        self._rooms[target.room] = dataclasses.replace(self._rooms[target.room], pinged=now)
        probe = _Probe(ping, target.optimized, tuple(room.room for room in due),
                       now + timedelta(seconds=self._timing.timeout))
        self._services[domain] = dataclasses.replace(service, state=state, probe=probe)
        return Send(ping)

    def _decided(self, domain: str, probe: _Probe, reply: Iq, outcome: Verdict,
                 now: datetime) -> list[Event]:
        _DOMAINS(self._services[domain].state, _Domain.DECIDED)
        del self._services[domain]
        pinged = probe.ping.to.bare if probe.ping.to is not None else None
        events: list[Event] = []
        for key in probe.rooms:
            nick = self._rooms[key].nick
            if key != pinged:
                if outcome is Verdict.JOINED:
                    self._move(key, _Room.JOINED, now)
                    events.append(Joined(key, nick, probe.ping))
                else:
                    # Said of the pinged room alone: the others share the next ping.
                    self._move(key, _Room.RELEASE, now)
            elif outcome is Verdict.JOINED:
                self._move(key, _Room.JOINED, now)
                events.append(Joined(key, nick, probe.ping))
            elif outcome is Verdict.NICK_CHANGED:
                self._move(key, _Room.NICK_CHANGED, now)
                events.append(NickChanged(key, nick, probe.ping, reply))
            else:
                self._move(key, _Room.NOT_JOINED, now)
                events.append(RejoinNeeded(key, nick, probe.ping, reply))
        return events

    def _undecided(self, domain: str, probe: _Probe, reply: Iq | None,
                   at: datetime) -> list[Event]:
        service = self._services[domain]
        attempts = service.attempts + 1
        retry_at = at + self._timing.wait(attempts)
        self._services[domain] = dataclasses.replace(
            service, state=_DOMAINS(service.state, _Domain.UNDECIDED), attempts=attempts,
            retry_at=retry_at, probe=None)
        events: list[Event] = []
        for key in probe.rooms:
            self._move(key, _Room.RELEASE, at)
            events.append(Undecided(key, self._rooms[key].nick, probe.ping, reply, retry_at))
        return events

    def _move(self, key: JID, what: _Room, now: datetime | None) -> None:
        """The one place a room's state changes: by the table."""
        watched = self._rooms[key]
        clock, state = _ROOMS(watched.state, what)
        if watched.state is RoomState.PINGED and state is not RoomState.PINGED:
            self._uncover(key)
        heard = watched.heard
        if clock is _Clock.RESTART:
            assert now is not None
            heard = now
        self._rooms[key] = dataclasses.replace(watched, state=state, heard=heard)

    def _uncover(self, key: JID) -> None:
        """Take ``key`` out of the cover of its service's ping; a ping that covers
        nothing any more is forgotten."""
        service = self._services.get(key.domain)
        if service is None or service.probe is None or key not in service.probe.rooms:
            return
        rooms = tuple(room for room in service.probe.rooms if room != key)
        if rooms:
            self._services[key.domain] = dataclasses.replace(
                service, probe=dataclasses.replace(service.probe, rooms=rooms))
            return
        _DOMAINS(service.state, _Domain.DROP)
        del self._services[key.domain]

    def _hear_service(self, domain: str) -> None:
        service = self._services.get(domain)
        if service is None:
            return
        if _DOMAINS(service.state, _Domain.HEAR) is DomainState.IDLE:
            del self._services[domain]

    # -- lookups -------------------------------------------------------------------------------

    def _room(self, room: JID | str) -> _Watched:
        key = as_jid(room, "a room")
        watched = self._rooms.get(key)
        if watched is None:
            raise ProtocolError(f"{key} is not a room the self-ping machine watches "
                                "(joined() was not called for it)")
        return watched

    def _probe_of(self, ping_id: str) -> tuple[str, _Probe] | None:
        for domain, service in self._services.items():
            if service.probe is not None and service.probe.ping.id == ping_id:
                return domain, service.probe
        return None

    def _by_domain(self) -> dict[str, list[_Watched]]:
        groups: dict[str, list[_Watched]] = {}
        for watched in self._rooms.values():
            groups.setdefault(watched.room.domain, []).append(watched)
        return groups

    # -- routing --------------------------------------------------------------------------------

    def disco_features(self) -> tuple[str, ...]:
        """None: the feature of XEP-0410 is the room's, and the client's ping support
        is the pong handler's."""
        return ()

    # -- persistence ------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything the machine knows, pings in flight included, as a JSON-safe dict."""
        saved = _Saved(timing=self._timing, session=self._session,
                       rooms=tuple(self._rooms.values()),
                       services=tuple(self._services.values()), next_id=self._ids.saved)
        return _SNAPSHOT.seal(to_json(saved))

    @classmethod
    def restore(cls, data: Mapping[str, Any], *,
                ids: Callable[[], str] | None = None) -> SelfPing:
        """A machine with the state of a :meth:`snapshot`; ``ids`` replaces the id source
        (the saved counter goes on when None).  A snapshot that is not one, or is
        damaged, raises :class:`~xepcodec.errors.ArgumentValueError`."""
        with _SNAPSHOT.reading():
            _, state = _SNAPSHOT.open(data)
            saved: _Saved = from_json(_Saved, state)
            machine = cls(timing=saved.timing, ids=ids)
            machine._ids.resume(saved.next_id)
            machine._session = saved.session
            for watched in saved.rooms:
                if watched.room.local is None or not watched.room.is_bare \
                        or watched.room in machine._rooms:
                    raise ValueError(f"the room {watched.room} is not a bare room JID, or "
                                     "is saved twice")
                watched.room.with_resource(watched.nick)  # a valid nick, or JIDError
                machine._rooms[watched.room] = watched
            for service in saved.services:
                _check_service(service, machine._rooms)
                if service.domain in machine._services:
                    raise ValueError(f"the service {service.domain} is saved twice")
                machine._services[service.domain] = service
            covered = {room for service in saved.services if service.probe is not None
                       for room in service.probe.rooms}
            pinged = {key for key, watched in machine._rooms.items()
                      if watched.state is RoomState.PINGED}
            if covered != pinged:
                raise ValueError("the rooms pinged are not the rooms the pings in flight "
                                 "cover")
            return machine

    def __repr__(self) -> str:
        return (f"<SelfPing {len(self._rooms)} rooms, {len(self.pending)} pings in flight, "
                f"{self._session}>")


def _check_service(service: _Service, rooms: Mapping[JID, _Watched]) -> None:
    """A saved service whose parts agree with its state (ValueError if not)."""
    probing = service.state is DomainState.PROBING
    if service.state is DomainState.IDLE or (service.probe is not None) != probing \
            or (service.retry_at is not None) != (service.attempts > 0) \
            or (service.state is DomainState.BACKING_OFF and service.attempts < 1):
        raise ValueError(f"the service {service.domain} is saved {service.state} with "
                         "parts that do not agree")
    if service.probe is not None and (
            not service.probe.rooms or service.probe.ping.to is None
            or any(room not in rooms or room.domain != service.domain
                   for room in service.probe.rooms)):
        raise ValueError(f"the ping in flight for {service.domain} covers rooms that are "
                         "not its service's watched rooms")


def _turn(room: _Watched) -> tuple[int, datetime, str]:
    """Which silent room of a service is pinged: one never pinged (the longest silent
    first), then the one whose own ping is the oldest."""
    if room.pinged is None:
        return (0, room.heard, str(room.room))
    return (1, room.pinged, str(room.room))


def _time(value: object) -> datetime:
    # Aware datetimes only: times are compared with the saved ones, which carry a zone.
    if not isinstance(value, datetime):
        raise ArgumentTypeError(f"now is a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ArgumentValueError("now has no zone; give an aware datetime (datetime.now(UTC))")
    return value


def _flag(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise ArgumentTypeError(f"{what} is a bool, not {type(value).__name__}")
    return value
