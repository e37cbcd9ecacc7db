"""XEP-0085 chat state notifications for one conversation, as a sans-IO machine.

:class:`ChatStates` follows one one-to-one chat with ``peer``: the user's own state,
which it announces, and the peer's, which it reads.  The caller reports what the user
does (:meth:`~ChatStates.typed`, :meth:`~ChatStates.focused`, :meth:`~ChatStates.closed`),
passes each content message to send through :meth:`~ChatStates.send`, and calls
:meth:`~ChatStates.expire` when :meth:`~ChatStates.next_deadline` falls due; the user's
state follows the XEP's chart (§3), with the suggested triggers of §2 as the timing:
composing turns paused after :attr:`Timing.paused` without typing, active or paused
turns inactive after :attr:`Timing.inactive` without any interaction, inactive turns gone
after :attr:`Timing.gone`.

**Only to a peer that takes them** (§5.1).  Until the peer showed support, a content
message carries ``<active/>`` (that is how support is asked for) and no standalone
notification is sent.  Support is shown by the peer's disco#info or entity
capabilities, which the caller reads and reports (:meth:`~ChatStates.peer_features`),
or by a message of the peer carrying a chat state; a content message of the peer
without one means no support, and nothing is sent any more, not even on content
messages, until the peer shows support again.  Messages from the peer go through
:meth:`~ChatStates.receive`: each state it announces becomes :class:`PeerStateChanged`.

**No repetition** (§5.3).  A standalone notification goes out only when the user's
state differs from the last one the peer was told (by a standalone notification or by
the ``<active/>`` of a content message), so typing on and on sends one
``<composing/>``.

Left to the caller: whether the user wants notifications sent at all (§5.2: a client
lets its user choose; a caller that does not want them does not use the machine),
threads (§5.7), and rooms (§5.5).  ``docs/machines.md`` is the convention.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import Any, ClassVar, Final

from xepcodec.core.stanzas import Message, MessageType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
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
from xepcodec.protocols.chatstates import NS_CHATSTATES, ChatState, chat_state, with_chat_state

__all__ = [
    "ChatStates",
    "ChatStatesEvent",
    "PeerStateChanged",
    "Support",
    "Timing",
]

_SNAPSHOT: Final = SnapshotFormat("xepcodec.chat-states", 1)


@dataclass(frozen=True, slots=True)
class Timing:
    """How long, in seconds, the user may do nothing before the state moves on (the
    XEP's suggested triggers, §2): ``paused`` after the last keystroke, ``inactive``
    and ``gone`` after the last interaction of any kind."""

    paused: float = 30
    inactive: float = 2 * 60
    gone: float = 10 * 60

    def __post_init__(self) -> None:
        for each in dataclasses.fields(self):
            value = getattr(self, each.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not value > 0 or not math.isfinite(value):
                raise ArgumentValueError(f"{each.name} is a positive number of seconds, "
                                         f"not {value!r}")
        if not self.paused <= self.inactive <= self.gone:
            raise ArgumentValueError(f"the delays come in order, paused <= inactive <= gone, "
                                     f"not {self.paused}, {self.inactive}, {self.gone}")


# -- the states and their tables ----------------------------------------------------------------


class Support(StrEnum):
    """What is known of the peer's support for chat states (§5.1)."""

    #: nothing yet: content messages carry ``<active/>`` to ask, nothing else is sent
    UNKNOWN = "unknown"
    #: the peer takes them: every state change is announced
    SUPPORTED = "supported"
    #: the peer does not: nothing is sent
    UNSUPPORTED = "unsupported"


class _Do(Enum):
    """What the user or the clock does to the user's state."""

    TYPE = "type"
    SEND = "send a content message"
    FOCUS = "focus"
    CLOSE = "close"
    PAUSE = "pause"  # no keystroke for Timing.paused
    IDLE = "idle"  # no interaction for Timing.inactive
    LEAVE = "leave"  # no interaction for Timing.gone


class _Peer(Enum):
    """What the peer shows of its support."""

    FEATURE = "advertises the feature"
    NO_FEATURE = "does not advertise the feature"
    STATE = "sends a chat state"
    CONTENT_WITHOUT_STATE = "sends a content message without a chat state"


_A, _C, _P, _I, _G = (ChatState.ACTIVE, ChatState.COMPOSING, ChatState.PAUSED,
                      ChatState.INACTIVE, ChatState.GONE)

# §3's chart, plus what it allows besides: every state may turn gone, and a user coming
# back to the conversation is active again (or composing, when typing).
_USER: Final = Transitions("chat state", {
    **{(state, _Do.TYPE): _C for state in ChatState},
    **{(state, _Do.SEND): _A for state in ChatState},
    **{(state, _Do.CLOSE): _G for state in (_A, _C, _P, _I)},
    (_A, _Do.FOCUS): _A,
    (_C, _Do.FOCUS): _C,
    (_P, _Do.FOCUS): _P,
    (_I, _Do.FOCUS): _A,
    (_G, _Do.FOCUS): _A,
    (_C, _Do.PAUSE): _P,
    (_A, _Do.IDLE): _I,
    (_P, _Do.IDLE): _I,
    (_I, _Do.LEAVE): _G,
})

_U, _S, _N = Support.UNKNOWN, Support.SUPPORTED, Support.UNSUPPORTED

# §5.1: a chat state from the peer, or its feature, says yes; a reply without one, or
# no feature, says no.  The latest word wins: capabilities change, so do clients.
_SUPPORT: Final = Transitions("chat state support", {
    **{(state, _Peer.FEATURE): _S for state in Support},
    **{(state, _Peer.STATE): _S for state in Support},
    **{(state, _Peer.NO_FEATURE): _N for state in Support},
    **{(state, _Peer.CONTENT_WITHOUT_STATE): _N for state in Support},
})

#: The clock's input in each state, and which delay of :class:`Timing` it waits.
_TIMERS: Final[Mapping[ChatState, tuple[_Do, str]]] = {
    _C: (_Do.PAUSE, "paused"),
    _A: (_Do.IDLE, "inactive"),
    _P: (_Do.IDLE, "inactive"),
    _I: (_Do.LEAVE, "gone"),
}


# -- events ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatStatesEvent(Event):
    """The base of this machine's own events."""


@dataclass(frozen=True, slots=True)
class PeerStateChanged(ChatStatesEvent):
    """The peer (``sender``, a full JID) announced ``state``, another than before."""

    sender: JID
    state: ChatState


@dataclass(frozen=True, slots=True)
class _Saved:
    peer: JID
    timing: Timing
    state: ChatState
    support: Support
    told: ChatState | None
    since: datetime | None
    peer_state: ChatState | None
    next_id: int | None


# -- the machine ------------------------------------------------------------------------------


class ChatStates:
    """The chat states of one conversation with ``peer`` (see the module documentation).

    ``timing``: the delays of the clock's transitions.  ``ids``: the source of the
    standalone notifications' ids (by default ``chatstate-1``, ``chatstate-2``…, saved
    with the snapshot).  The user starts active (§3)."""

    payloads: ClassVar[tuple[type, ...]] = ()

    __slots__ = ("_ids", "_peer", "_peer_state", "_since", "_state", "_support", "_timing",
                 "_told")

    def __init__(self, peer: JID | str, *, timing: Timing | None = None,
                 ids: Callable[[], str] | None = None) -> None:
        if timing is not None and not isinstance(timing, Timing):
            raise ArgumentTypeError(f"timing is a Timing, not {type(timing).__name__}")
        self._peer = as_jid(peer, "peer")
        self._timing = timing if timing is not None else Timing()
        self._ids = IdSource(ids, "chatstate")
        self._state = ChatState.ACTIVE
        self._support = Support.UNKNOWN
        self._told: ChatState | None = None
        self._since: datetime | None = None
        self._peer_state: ChatState | None = None

    # -- reading ------------------------------------------------------------------------------

    @property
    def peer(self) -> JID:
        return self._peer

    @property
    def state(self) -> ChatState:
        """The user's state."""
        return self._state

    @property
    def support(self) -> Support:
        return self._support

    @property
    def peer_state(self) -> ChatState | None:
        """The peer's last announced state, None before any."""
        return self._peer_state

    def next_deadline(self) -> datetime | None:
        """When :meth:`expire` moves the user's state on, or None (gone, or no
        interaction reported yet)."""
        timer = _TIMERS.get(self._state)
        if timer is None or self._since is None:
            return None
        return self._since + timedelta(seconds=getattr(self._timing, timer[1]))

    def disco_features(self) -> tuple[str, ...]:
        """The feature a client using chat states advertises (§4)."""
        return (NS_CHATSTATES,)

    # -- what the user does -----------------------------------------------------------------------

    def typed(self, *, now: datetime) -> list[Event]:
        """The user typed in the conversation's input area at ``now``."""
        return self._step(_Do.TYPE, _time(now))

    def focused(self, *, now: datetime) -> list[Event]:
        """The user looked at or otherwise interacted with the conversation at ``now``."""
        return self._step(_Do.FOCUS, _time(now))

    def closed(self, *, now: datetime) -> list[Event]:
        """The user closed the conversation at ``now``: the state is gone.  A
        :class:`~xepcodec.errors.ProtocolError` when it is gone already."""
        return self._step(_Do.CLOSE, _time(now))

    def send(self, message: Message, *, now: datetime) -> list[Event]:
        """Send the content message ``message`` (a ``chat`` to the peer, with a body) at
        ``now``: it carries ``<active/>`` unless the peer does not take chat states."""
        now = _time(now)
        if not isinstance(message, Message):
            raise ArgumentTypeError(f"send takes a Message, not {type(message).__name__}")
        if message.type is not MessageType.CHAT or message.body is None \
                or message.to is None or message.to.bare != self._peer.bare:
            raise ArgumentValueError(f"a content message of this conversation is a chat "
                                     f"with a body to {self._peer}")
        self._state = _USER(self._state, _Do.SEND)
        self._since = now
        if self._support is Support.UNSUPPORTED:
            return [Send(message)]
        self._told = ChatState.ACTIVE
        return [Send(with_chat_state(message, ChatState.ACTIVE))]

    # -- what the peer shows ------------------------------------------------------------------

    def peer_features(self, features: Iterable[str]) -> list[Event]:
        """The peer's disco#info features (or those its entity capabilities stand for):
        whether :data:`~xepcodec.protocols.chatstates.NS_CHATSTATES` is among them
        decides support (§4, §5.1)."""
        if isinstance(features, str):
            raise ArgumentTypeError("features is an iterable of feature names, not one str")
        shown = NS_CHATSTATES in set(features)
        self._support = _SUPPORT(self._support, _Peer.FEATURE if shown else _Peer.NO_FEATURE)
        return []

    def accepts(self, stanza: object) -> bool:
        """Whether ``stanza`` is a message of the peer in this conversation."""
        return isinstance(stanza, Message) and stanza.from_ is not None \
            and stanza.from_.bare == self._peer.bare and stanza.type is not MessageType.ERROR

    def receive(self, stanza: object, *, now: datetime | None = None) -> list[Event]:
        """Take one message of the peer: its chat state, and what it shows of support."""
        if not self.accepts(stanza):
            return [Ignored(stanza, f"not a message of {self._peer.bare} in this "
                                    "conversation")]
        assert isinstance(stanza, Message) and stanza.from_ is not None
        try:
            state = chat_state(stanza)
        except ParseError as error:
            return [Ignored(stanza, error.message)]
        if state is None:
            if stanza.body is None and not stanza.subjects:
                return [Ignored(stanza, "neither a chat state nor content")]
            self._support = _SUPPORT(self._support, _Peer.CONTENT_WITHOUT_STATE)
            return []
        self._support = _SUPPORT(self._support, _Peer.STATE)
        if state is self._peer_state:
            return []
        self._peer_state = state
        return [PeerStateChanged(stanza.from_, state)]

    # -- time ---------------------------------------------------------------------------------

    def expire(self, now: datetime) -> list[Event]:
        """Move the user's state on as the delays ran out by ``now``: the notification
        of the last state reached, if the peer takes them."""
        now = _time(now)
        moved = False
        while (deadline := self.next_deadline()) is not None and deadline <= now:
            self._state = _USER(self._state, _TIMERS[self._state][0])
            moved = True
        return self._announce() if moved else []

    # -- the steps ----------------------------------------------------------------------------

    def _step(self, what: _Do, now: datetime) -> list[Event]:
        self._state = _USER(self._state, what)
        self._since = now
        return self._announce()

    def _announce(self) -> list[Event]:
        """The standalone notification of the current state, when the peer takes them
        and was told another state last (§5.3)."""
        if self._support is not Support.SUPPORTED or self._state is self._told:
            return []
        self._told = self._state
        return [Send(with_chat_state(Message(type=MessageType.CHAT, to=self._peer,
                                             id=self._ids()), self._state))]

    # -- persistence ----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything the machine knows, as a JSON-safe dict."""
        saved = _Saved(peer=self._peer, timing=self._timing, state=self._state,
                       support=self._support, told=self._told, since=self._since,
                       peer_state=self._peer_state, next_id=self._ids.saved)
        return _SNAPSHOT.seal(to_json(saved))

    @classmethod
    def restore(cls, data: Mapping[str, Any], *,
                ids: Callable[[], str] | None = None) -> ChatStates:
        """A machine with the state of a :meth:`snapshot`; ``ids`` as for the constructor.
        A damaged snapshot raises :class:`~xepcodec.errors.ArgumentValueError`."""
        with _SNAPSHOT.reading():
            _, state = _SNAPSHOT.open(data)
            saved: _Saved = from_json(_Saved, state)
            if saved.since is not None:
                _time(saved.since)
            machine = cls(saved.peer, timing=saved.timing, ids=ids)
            machine._ids.resume(saved.next_id)
            machine._state = saved.state
            machine._support = saved.support
            machine._told = saved.told
            machine._since = saved.since
            machine._peer_state = saved.peer_state
            return machine

    def __repr__(self) -> str:
        return f"<ChatStates with {self._peer}, {self._state}, peer {self._support}>"


def _time(value: object) -> datetime:
    # Aware datetimes only: times are compared with the saved ones, which carry a zone.
    if not isinstance(value, datetime):
        raise ArgumentTypeError(f"now is a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ArgumentValueError("now has no zone; give an aware datetime (datetime.now(UTC))")
    return value
