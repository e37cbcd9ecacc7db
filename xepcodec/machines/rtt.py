"""XEP-0301 real-time text, as two sans-IO machines: one composing, one reading.

:class:`RttSender` is one message being composed for one peer.  The caller reports the
whole text of the input field whenever it changes (:meth:`~RttSender.edit`); the sender
diffs it against the text before (:func:`~xepcodec.protocols.rtt.diff_actions`), records
the pause since the previous change as a ``<w/>`` (the XEP's natural typing), and sends
what one transmission interval gathered as one ``<rtt/>`` when :meth:`~RttSender.expire`
finds it due.  A message starts with ``event='new'``; while it is typed, every
:attr:`RttTiming.refresh` the next transmission is a ``reset`` carrying the whole text
(the XEP's message refresh, which lets a receiver that lost a transmission catch up);
:meth:`~RttSender.finish` sends the ``<body/>``, in the same message as the last
``<rtt/>`` when one is pending, as the XEP allows.  :meth:`~RttSender.correct` composes a
XEP-0308 correction of a delivered message instead: its ``<rtt/>`` carry that message's
``id`` and start with a ``reset``, and its body goes with a ``<replace/>`` in a message of
its own, as a message never carries both (XEP-0301 §5.3).  :meth:`~RttSender.cancel` and
:meth:`~RttSender.activate` turn real-time text off and on (``cancel`` and ``init``).

:class:`RttReceiver` keeps one real-time message per sender full JID.  It applies
``new`` and ``reset`` from an empty text and each edit whose ``seq`` is one more than the
last one applied; anything else (a gap, a duplicate, an edit of another message, an edit
with no message) puts it out of sync, as the XEP requires: the text stays as it is and
edits are ignored until a ``new`` or ``reset`` arrives (:class:`Desynchronised`,
:class:`Resynchronised`).  The text updates are not shown at once but played back at the
sender's pace: each ``<w/>`` delays what follows it, and :meth:`~RttReceiver.expire`
releases the :class:`TextShown` events as they fall due.  A ``<body/>`` ends the message
(:class:`Completed`, saying whether the real-time text agreed with it).  An ``<rtt/>``
whose event XEP-0301 does not define is :class:`~xepcodec.machines.base.Ignored` and
changes nothing, as the XEP asks; the ``<body/>`` of its message is still read.

Neither machine keeps a clock or draws random numbers: times come in as ``now``, message
ids from ``ids``, a random start for ``seq`` from ``random``.  ``docs/machines.md`` is the
convention; ``docs/rtt.md`` the manual.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Final

from xepcodec.core.stanzas import Body, Message, MessageType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError, ProtocolError
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
from xepcodec.model.values import STRING
from xepcodec.protocols.correction import correction, read_correction
from xepcodec.protocols.rtt import (
    MAX_SEQ,
    NS_RTT,
    Action,
    Insert,
    Rtt,
    RttEvent,
    Wait,
    apply_actions,
    diff_actions,
    read_rtt,
    rtt_message,
)

__all__ = [
    "Activated",
    "Cancelled",
    "Completed",
    "Desynchronised",
    "MessageFinished",
    "Resynchronised",
    "RttReceiver",
    "RttReceiverEvent",
    "RttSender",
    "RttSenderEvent",
    "RttTiming",
    "SenderState",
    "StreamState",
    "TextShown",
]

_SENDER_SNAPSHOT: Final = SnapshotFormat("xepcodec.rtt-sender", 1)
_RECEIVER_SNAPSHOT: Final = SnapshotFormat("xepcodec.rtt-receiver", 1)

_MILLISECOND: Final = timedelta(milliseconds=1)


# -- configuration ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RttTiming:
    """The sender's pace, in seconds.

    ``interval``: the transmission interval, how long the changes of the text are
    gathered into one ``<rtt/>`` (the XEP recommends 0.7, and 0.3 to 1 when another is
    needed).  ``refresh``: how often, while the user types, a transmission is a
    ``reset`` carrying the whole text (the XEP recommends 10)."""

    interval: float = 0.7
    refresh: float = 10.0

    def __post_init__(self) -> None:
        for each in dataclasses.fields(self):
            _seconds(getattr(self, each.name), each.name)


def _seconds(value: object, what: str, *, zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not (value >= 0 if zero else value > 0) or not math.isfinite(value):
        least = "a non-negative" if zero else "a positive"
        raise ArgumentValueError(f"{what} is {least} number of seconds, not {value!r}")
    return float(value)


# -- the sender's states and table ------------------------------------------------------------


class SenderState(enum.StrEnum):
    """Where the composing of messages for one peer stands."""

    #: real-time text is on and no message is being composed
    IDLE = "idle"
    #: a message is being composed and its real-time text sent
    COMPOSING = "composing"
    #: real-time text is off (after :meth:`RttSender.cancel`): the text is followed but
    #: nothing is sent until :meth:`RttSender.activate`, only the finished body
    OFF = "off"


class _Say(enum.Enum):
    """What the caller or the clock does to the sender."""

    EDIT = "edit"
    TRANSMIT = "transmit"
    FINISH = "finish"
    CORRECT = "correct"
    CANCEL = "cancel"
    ACTIVATE = "activate"


_IDLE, _COMPOSING, _OFF = SenderState.IDLE, SenderState.COMPOSING, SenderState.OFF

_SENDING: Final = Transitions("real-time text sender", {
    (_IDLE, _Say.EDIT): _COMPOSING,
    (_COMPOSING, _Say.EDIT): _COMPOSING,
    (_OFF, _Say.EDIT): _OFF,
    (_COMPOSING, _Say.TRANSMIT): _COMPOSING,
    (_COMPOSING, _Say.FINISH): _IDLE,
    (_OFF, _Say.FINISH): _OFF,
    # Correcting a delivered message puts aside the one being composed, if any: the
    # peer's real-time message becomes the correction (the reset says so).
    (_IDLE, _Say.CORRECT): _COMPOSING,
    (_COMPOSING, _Say.CORRECT): _COMPOSING,
    (_OFF, _Say.CORRECT): _OFF,
    (_IDLE, _Say.CANCEL): _OFF,
    (_COMPOSING, _Say.CANCEL): _OFF,
    (_OFF, _Say.ACTIVATE): _IDLE,
})


# -- the sender's events ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RttSenderEvent(Event):
    """The base of the sender's own events."""


@dataclass(frozen=True, slots=True)
class MessageFinished(RttSenderEvent):
    """The message to ``to`` was sent with its body ``text`` as the message
    ``message_id`` (the id to give :meth:`RttSender.correct` to correct it later);
    ``corrects`` is the id of the message it corrects, None for a new message."""

    to: JID
    message_id: str
    text: str
    corrects: str | None


# -- the sender's memory ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Draft:
    """The message being composed.

    ``text``: the input field as last reported; ``transmitted``: the text the peer holds
    once every transmission so far arrived; ``batch``: the actions not yet sent, which
    turn ``transmitted`` into ``text``; ``opening``: the event of the next transmission
    (``new`` or ``reset`` starts the peer's message over, None edits it); ``corrects``:
    the id of the message corrected.  ``last``: where the next ``<w/>`` counts from (the
    last change or transmission); ``due``: when the batch goes out; ``refreshed``: the
    last ``new`` or ``reset`` sent."""

    text: str = ""
    transmitted: str = ""
    batch: tuple[Action, ...] = ()
    opening: RttEvent | None = RttEvent.NEW
    corrects: str | None = None
    last: datetime | None = None
    due: datetime | None = None
    refreshed: datetime | None = None


@dataclass(frozen=True, slots=True)
class _SenderSaved:
    to: JID
    type: MessageType
    timing: RttTiming
    state: SenderState
    seq: int
    draft: _Draft
    next_id: int | None


# -- the sender -------------------------------------------------------------------------------


class RttSender:
    """The real-time text of the messages composed for ``to`` (see the module
    documentation).

    ``type``: the messages' type (``chat``; ``groupchat`` in a room that allows the
    extension).  ``timing``: the transmission interval and the refresh period.  ``seq``:
    the first ``<rtt/>``'s sequence number, each later one the next (a message starting
    after another goes on counting); with ``random`` (``os.urandom``), each new message
    starts at a random number instead, as the XEP recommends where several of the
    user's clients may type at once.  ``ids``: the source of the messages' ids (by
    default ``rtt-1``, ``rtt-2``…, saved with the snapshot)."""

    __slots__ = ("_draft", "_ids", "_random", "_seq", "_state", "_timing", "_to", "_type")

    def __init__(self, to: JID | str, *, type: MessageType | str = MessageType.CHAT,
                 timing: RttTiming | None = None, seq: int = 0,
                 random: Callable[[int], bytes] | None = None,
                 ids: Callable[[], str] | None = None) -> None:
        if timing is not None and not isinstance(timing, RttTiming):
            raise ArgumentTypeError(f"timing is an RttTiming, not {timing.__class__.__name__}")
        self._to = as_jid(to, "to")
        self._type = _message_type(type)
        self._timing = timing if timing is not None else RttTiming()
        self._seq = _seq(seq)
        self._random = random
        self._ids = IdSource(ids, "rtt")
        self._state = SenderState.IDLE
        self._draft = _Draft()

    # -- reading ------------------------------------------------------------------------------

    @property
    def to(self) -> JID:
        return self._to

    @property
    def timing(self) -> RttTiming:
        return self._timing

    @property
    def state(self) -> SenderState:
        return self._state

    @property
    def text(self) -> str:
        """The message being composed, as last reported."""
        return self._draft.text

    @property
    def transmitted(self) -> str:
        """The text the peer holds once every transmission sent so far has arrived
        (empty while real-time text is off)."""
        return self._draft.transmitted

    @property
    def corrects(self) -> str | None:
        """The id of the message being corrected, None while composing a new one."""
        return self._draft.corrects

    def next_deadline(self) -> datetime | None:
        """When :meth:`expire` has a transmission to send, or None: nothing changed
        since the last one."""
        return self._draft.due

    # -- what the caller says -----------------------------------------------------------------

    def edit(self, text: str, *, now: datetime) -> list[Event]:
        """The input field holds ``text`` at ``now``.  What changed is added to the
        next transmission, after a ``<w/>`` of the pause since the previous change.
        Gives what :meth:`expire` would have sent first, had it been called at ``now``."""
        now = _time(now)
        _check_text(text, "text")
        events = self.expire(now)
        actions = diff_actions(self._draft.text, text)
        if not actions:
            return events
        state = _SENDING(self._state, _Say.EDIT)
        if state is SenderState.OFF:
            self._draft = dataclasses.replace(self._draft, text=text)
        else:
            self._draft = self._record(self._draft, text, actions, now)
        self._state = state
        return events

    def correct(self, message_id: str, text: str, *, now: datetime) -> list[Event]:
        """Start correcting (XEP-0308) the delivered message ``message_id``, whose text
        is ``text``: what the peer sees becomes that text, marked with the id, and
        further edits change it until :meth:`finish` sends the corrected body.  For a
        message already corrected, ``message_id`` is still the original's, as XEP-0308
        asks.  The message being composed, if any, is put aside."""
        now = _time(now)
        if not isinstance(message_id, str) or not message_id:
            raise ArgumentValueError(f"the id of the message corrected is a non-empty str, "
                                     f"not {message_id!r}")
        _check_text(text, "text")
        events = self.expire(now)
        state = _SENDING(self._state, _Say.CORRECT)
        # A message other than the one the peer saw last: it starts over with a reset
        # (XEP-0301 §5.3), from an empty text.
        draft = _Draft(opening=RttEvent.RESET, corrects=message_id)
        if state is SenderState.OFF or not text:
            self._draft = dataclasses.replace(draft, text=text)
        else:
            self._draft = self._record(draft, text, diff_actions("", text), now)
        self._state = state
        return events

    def finish(self, *, now: datetime) -> list[Event]:
        """Send the message: its ``<body/>`` holds the text as last reported, with the
        pending ``<rtt/>`` in the same message (in a message before it for a
        correction, whose body carries XEP-0308's ``<replace/>`` instead).  The next
        edit starts a new message.  A :class:`ProtocolError` when nothing is being
        composed or the text is empty."""
        now = _time(now)
        events = self.expire(now)
        state = _SENDING(self._state, _Say.FINISH)
        draft = self._draft
        if not draft.text:
            raise ProtocolError("real-time text sender: the message is empty, and an empty "
                                "body is not sent")
        final: Rtt | None = None
        if self._state is SenderState.COMPOSING and draft.batch:
            final, _ = self._transmit(draft, now, trailing=False)
        if final is not None and draft.corrects is not None:
            events.append(Send(rtt_message(self._to, final, type=self._type, id=self._ids())))
            final = None
        message_id = self._ids()
        if final is not None:
            events.append(Send(rtt_message(self._to, final, body=draft.text, type=self._type,
                                           id=message_id)))
        else:
            body = Message(type=self._type, to=self._to, id=message_id,
                           bodies=(Body(text=draft.text),))
            if draft.corrects is not None:
                body = correction(body, replaces=draft.corrects)
            events.append(Send(body))
        events.append(MessageFinished(self._to, message_id, draft.text, draft.corrects))
        self._draft = _Draft()
        self._state = state
        return events

    def cancel(self, *, now: datetime) -> list[Event]:
        """Turn real-time text off: send ``<rtt event='cancel'/>`` and drop what was not
        sent.  The text is still followed, and :meth:`finish` still sends the body."""
        now = _time(now)
        events = self.expire(now)
        state = _SENDING(self._state, _Say.CANCEL)
        # The receiver ignores the seq of a cancel; this one takes the next number
        # without using it up.
        events.append(self._send(Rtt(seq=min(self._seq, MAX_SEQ), event=RttEvent.CANCEL)))
        self._draft = _Draft(text=self._draft.text, corrects=self._draft.corrects)
        self._state = state
        return events

    def activate(self, *, now: datetime) -> list[Event]:
        """Turn real-time text on again: send ``<rtt event='init'/>``.  A message being
        composed meanwhile goes to the peer whole, as a reset, with the next
        transmission."""
        now = _time(now)
        state = _SENDING(self._state, _Say.ACTIVATE)
        events: list[Event] = [self._send(Rtt(seq=min(self._seq, MAX_SEQ),
                                              event=RttEvent.INIT))]
        draft = self._draft
        self._state = state
        if draft.text:
            self._state = _SENDING(state, _Say.EDIT)
            self._draft = self._record(
                _Draft(opening=RttEvent.RESET, corrects=draft.corrects), draft.text,
                diff_actions("", draft.text), now)
        return events

    # -- time ---------------------------------------------------------------------------------

    def expire(self, now: datetime) -> list[Event]:
        """The transmission due at ``now``, if any: a :class:`~xepcodec.machines.base.Send`
        of one message holding one ``<rtt/>``.  It is made as of the time it fell due,
        so a late call sends the same thing."""
        now = _time(now)
        draft = self._draft
        if draft.due is None or draft.due > now:
            return []
        self._state = _SENDING(self._state, _Say.TRANSMIT)
        rtt, self._draft = self._transmit(draft, draft.due, trailing=True)
        return [self._send(rtt)]

    # -- the steps ----------------------------------------------------------------------------

    def _record(self, draft: _Draft, text: str, actions: tuple[Action, ...],
                now: datetime) -> _Draft:
        """``draft`` with the change to ``text`` (``actions``) made at ``now`` added to
        its batch, after the pause since the previous change."""
        interval = timedelta(seconds=self._timing.interval)
        gap = None if draft.last is None else now - draft.last
        due = draft.due
        if due is None:
            # Typing goes on: the transmissions keep their rhythm, one interval apart,
            # so that the pauses of one <rtt/> add up to the interval (XEP-0301 §6.2).
            # After a longer silence the first change opens a new interval, and the
            # silence is not played back.
            if gap is None or gap >= interval:
                gap = None
                due = now + interval
            else:
                assert draft.last is not None
                due = draft.last + interval
        pause = () if gap is None else _pause(gap)
        return dataclasses.replace(draft, text=text, batch=(*draft.batch, *pause, *actions),
                                   last=now, due=due)

    def _transmit(self, draft: _Draft, at: datetime, *, trailing: bool) -> tuple[Rtt, _Draft]:
        """The ``<rtt/>`` sending ``draft``'s batch at ``at``, and the draft after it."""
        opening = draft.opening
        if opening is None and draft.refreshed is not None \
                and at - draft.refreshed >= timedelta(seconds=self._timing.refresh):
            opening = RttEvent.RESET  # the periodic message refresh (XEP-0301 §4.7.3)
        seq = self._seq
        if seq > MAX_SEQ:
            # The numbers ran out: a reset may start anywhere (XEP-0301 §4.3).
            opening = RttEvent.RESET
            seq = self._start()
        elif opening is RttEvent.NEW and self._random is not None:
            seq = self._start()
        actions = draft.batch
        if trailing and draft.last is not None:
            actions = (*actions, *_pause(at - draft.last))
        if opening is RttEvent.RESET and draft.transmitted:
            actions = (Insert(text=draft.transmitted), *actions)
        rtt = Rtt(seq=seq, event=opening, id=draft.corrects, actions=actions)
        self._seq = seq + 1
        after = dataclasses.replace(
            draft, transmitted=draft.text, batch=(), opening=None, last=at, due=None,
            refreshed=at if opening is not None else draft.refreshed)
        return rtt, after

    def _start(self) -> int:
        """The first seq of a message starting over."""
        if self._random is None:
            return 0 if self._seq > MAX_SEQ else self._seq
        return int.from_bytes(self._random(4), "big") & MAX_SEQ

    def _send(self, rtt: Rtt) -> Send:
        return Send(rtt_message(self._to, rtt, type=self._type, id=self._ids()))

    # -- persistence ----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything the sender knows, the batch not yet sent included, as a JSON-safe
        dict."""
        saved = _SenderSaved(to=self._to, type=self._type, timing=self._timing,
                             state=self._state, seq=self._seq, draft=self._draft,
                             next_id=self._ids.saved)
        return _SENDER_SNAPSHOT.seal(to_json(saved))

    @classmethod
    def restore(cls, data: Mapping[str, Any], *, random: Callable[[int], bytes] | None = None,
                ids: Callable[[], str] | None = None) -> RttSender:
        """A sender with the state of a :meth:`snapshot`; ``random`` and ``ids`` as for
        the constructor (the saved id counter goes on when ``ids`` is None).  A damaged
        snapshot raises :class:`~xepcodec.errors.ArgumentValueError`."""
        with _SENDER_SNAPSHOT.reading():
            _, state = _SENDER_SNAPSHOT.open(data)
            saved: _SenderSaved = from_json(_SenderSaved, state)
            if not 0 <= saved.seq <= MAX_SEQ + 1:
                raise ValueError(f"seq {saved.seq} is out of range")
            _check_draft(saved.state, saved.draft)
            sender = cls(saved.to, type=saved.type, timing=saved.timing, random=random,
                         ids=ids)
            sender._ids.resume(saved.next_id)
            sender._seq = saved.seq
            sender._state = saved.state
            sender._draft = saved.draft
            return sender

    def __repr__(self) -> str:
        return f"<RttSender to {self._to}, {self._state}, next seq {self._seq}>"


def _check_draft(state: SenderState, draft: _Draft) -> None:
    """A saved draft whose parts agree with the state (ValueError if not)."""
    _check_text(draft.text, "the saved text")
    pending = draft.due is not None
    if pending != bool(draft.batch) or (pending and state is not SenderState.COMPOSING) \
            or draft.opening not in (None, RttEvent.NEW, RttEvent.RESET) \
            or (pending and draft.last is None):
        raise ValueError(f"the saved message does not agree with the state {state}")
    # While real-time text is off the text is followed and nothing is sent.
    if state is not SenderState.OFF \
            and apply_actions(draft.transmitted, draft.batch) != draft.text:
        raise ValueError("the saved batch does not turn the transmitted text into the text")


def _pause(gap: timedelta) -> tuple[Wait, ...]:
    milliseconds = round(gap / _MILLISECOND)
    return (Wait(milliseconds=milliseconds),) if milliseconds > 0 else ()


def _check_text(text: object, what: str) -> None:
    if not isinstance(text, str):
        raise ArgumentTypeError(f"{what} is a str, not {type(text).__name__}")
    try:
        STRING.format(text)
    except ValueError as error:
        raise ArgumentValueError(f"{what}: {error}") from None


def _seq(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEQ:
        raise ArgumentValueError(f"seq is an int from 0 to {MAX_SEQ}, not {value!r}")
    return value


def _message_type(value: object) -> MessageType:
    if not isinstance(value, str):
        raise ArgumentTypeError(f"type is a MessageType or a str, not {value.__class__.__name__}")
    try:
        kind = MessageType(value)
    except ValueError:
        raise ArgumentValueError(f"{value!r} is not a message type") from None
    if kind is MessageType.ERROR:
        raise ArgumentValueError("real-time text does not travel in error messages")
    return kind


# -- the receiver's states and table ----------------------------------------------------------


class StreamState(enum.StrEnum):
    """Where the real-time message of one sender stands."""

    #: no real-time message (none yet, or its body arrived)
    IDLE = "idle"
    #: a real-time message is being received, every edit in turn
    IN_SYNC = "in-sync"
    #: an edit was missed: edits are ignored until a ``new`` or ``reset``
    OUT_OF_SYNC = "out-of-sync"
    #: the sender turned real-time text off (``cancel``)
    CANCELLED = "cancelled"


class _Got(enum.Enum):
    """What arrives from a sender, sorted."""

    #: ``new`` or ``reset``
    START = "start"
    #: an edit with the seq expected, of the message being received
    EDIT = "edit"
    #: an edit that does not follow: another seq, another message, or no message
    STRAY = "stray edit"
    BODY = "body"
    CANCEL = "cancel"
    INIT = "init"


class _Do(enum.Enum):
    """What the receiver does with it."""

    SHOW = "show"
    #: show, and say the message is in sync again
    RECOVER = "recover"
    LOSE = "lose"
    IGNORE = "ignore"
    COMPLETE = "complete"
    CANCEL = "cancel"
    ACTIVATE = "activate"


_I, _S, _O, _C = (StreamState.IDLE, StreamState.IN_SYNC, StreamState.OUT_OF_SYNC,
                  StreamState.CANCELLED)

_RECEIVING: Final = Transitions("real-time text receiver", {
    # new and reset start the message over from anything (XEP-0301 §4.3, §4.7.2).
    (_I, _Got.START): (_Do.SHOW, _S),
    (_S, _Got.START): (_Do.SHOW, _S),
    (_O, _Got.START): (_Do.RECOVER, _S),
    (_C, _Got.START): (_Do.SHOW, _S),
    (_S, _Got.EDIT): (_Do.SHOW, _S),
    # An edit that does not follow, or with no message to edit, is a loss of sync; the
    # text stays as it is (§4.7.2).
    (_S, _Got.STRAY): (_Do.LOSE, _O),
    (_I, _Got.STRAY): (_Do.LOSE, _O),
    (_O, _Got.STRAY): (_Do.IGNORE, _O),
    (_C, _Got.STRAY): (_Do.IGNORE, _C),
    # The body supersedes the real-time message, in sync or not (§4.4).
    (_S, _Got.BODY): (_Do.COMPLETE, _I),
    (_O, _Got.BODY): (_Do.COMPLETE, _I),
    (_I, _Got.BODY): (_Do.IGNORE, _I),
    (_C, _Got.BODY): (_Do.IGNORE, _C),
    (_I, _Got.CANCEL): (_Do.CANCEL, _C),
    (_S, _Got.CANCEL): (_Do.CANCEL, _C),
    (_O, _Got.CANCEL): (_Do.CANCEL, _C),
    (_C, _Got.CANCEL): (_Do.IGNORE, _C),
    (_I, _Got.INIT): (_Do.ACTIVATE, _I),
    (_S, _Got.INIT): (_Do.ACTIVATE, _S),
    (_O, _Got.INIT): (_Do.ACTIVATE, _O),
    (_C, _Got.INIT): (_Do.ACTIVATE, _I),
})


# -- the receiver's events --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RttReceiverEvent(Event):
    """The base of the receiver's own events."""


@dataclass(frozen=True, slots=True)
class TextShown(RttReceiverEvent):
    """Show ``text`` as ``sender``'s real-time message, as of ``at``.  ``corrects``: the
    id of the delivered message it corrects (XEP-0308), None for a new message."""

    sender: JID
    text: str
    corrects: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Desynchronised(RttReceiverEvent):
    """An edit from ``sender`` did not follow: ``received`` is its seq, ``expected`` the
    seq awaited (None: there was no message to edit).  The real-time message stays as it
    is until a ``new`` or ``reset`` arrives; a client may show that it is stalled."""

    sender: JID
    expected: int | None
    received: int


@dataclass(frozen=True, slots=True)
class Resynchronised(RttReceiverEvent):
    """A ``new`` or ``reset`` from ``sender`` put its real-time message back in sync."""

    sender: JID


@dataclass(frozen=True, slots=True)
class Completed(RttReceiverEvent):
    """``sender``'s message is finished: ``body`` is its text, shown in place of the
    real-time message.  ``agreed``: whether the real-time text received was the same.
    ``message_id``: the id of the message carrying the body; ``corrects``: the id of the
    message it corrects (its XEP-0308 ``<replace/>``), None for a new message."""

    sender: JID
    body: str
    agreed: bool
    message_id: str | None
    corrects: str | None


@dataclass(frozen=True, slots=True)
class Cancelled(RttReceiverEvent):
    """``sender`` turned real-time text off.  ``text`` is the unfinished real-time
    message, for the client to clear or keep; the XEP asks a client to stop sending its
    own real-time text in a one-to-one chat too."""

    sender: JID
    text: str
    corrects: str | None


@dataclass(frozen=True, slots=True)
class Activated(RttReceiverEvent):
    """``sender`` turned real-time text on (``init``); nothing is shown yet."""

    sender: JID


# -- the receiver's memory --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Due:
    """A text to show at ``at``."""

    at: datetime
    text: str
    corrects: str | None


@dataclass(frozen=True, slots=True)
class _Stream:
    """One sender's real-time message.  ``text``: as received, all actions applied;
    ``expected``: the seq of the next edit (in sync only); ``shown``: the last text
    released for display; ``queue``: the texts still to show; ``until``: when the
    playback of what was received ends, trailing pauses included."""

    sender: JID
    state: StreamState = StreamState.IDLE
    text: str = ""
    expected: int | None = None
    corrects: str | None = None
    shown: str = ""
    queue: tuple[_Due, ...] = ()
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class _ReceiverSaved:
    lag: float
    streams: tuple[_Stream, ...]


# -- the receiver -----------------------------------------------------------------------------


class RttReceiver:
    """The real-time messages of the peers, one per sender full JID (see the module
    documentation).

    ``lag``, in seconds, bounds how far the display may trail what was received: an
    ``<rtt/>`` arriving while the previous one is still playing back is queued behind
    it (the XEP's recommendation, which smooths the network's jitter) when that
    playback ends within ``lag``; otherwise what is still queued is shown at once and
    the new one starts playing.  0 always shows the rest at once."""

    #: The receiver answers no request.
    payloads: ClassVar[tuple[type, ...]] = ()

    __slots__ = ("_lag", "_streams")

    def __init__(self, *, lag: float = 0.7) -> None:
        self._lag = _seconds(lag, "lag", zero=True)
        self._streams: dict[JID, _Stream] = {}

    # -- reading ------------------------------------------------------------------------------

    @property
    def lag(self) -> float:
        return self._lag

    @property
    def senders(self) -> tuple[JID, ...]:
        """The senders with a real-time message, a cancellation or a playback in
        progress, in the order first heard."""
        return tuple(self._streams)

    def state(self, sender: JID | str) -> StreamState:
        return self._stream(sender).state

    def text(self, sender: JID | str) -> str:
        """``sender``'s real-time message as received (what the display reaches once
        the playback is over)."""
        return self._stream(sender).text

    def shown(self, sender: JID | str) -> str:
        """The text of ``sender``'s real-time message the last :class:`TextShown` gave."""
        return self._stream(sender).shown

    def next_deadline(self) -> datetime | None:
        """When :meth:`expire` has a text to show, or None."""
        return min((stream.queue[0].at for stream in self._streams.values() if stream.queue),
                   default=None)

    # -- what arrives -------------------------------------------------------------------------

    def accepts(self, stanza: object) -> bool:
        """Whether ``stanza`` is for the receiver: a message from someone carrying an
        ``<rtt/>``, or the body of a real-time message in progress."""
        if not isinstance(stanza, Message) or stanza.from_ is None \
                or stanza.type is MessageType.ERROR:
            return False
        if stanza.find(Rtt) is not None:
            return True
        stream = self._streams.get(stanza.from_)
        return stanza.body is not None and stream is not None \
            and stream.state in (StreamState.IN_SYNC, StreamState.OUT_OF_SYNC)

    def receive(self, stanza: object, *, now: datetime | None = None) -> list[Event]:
        """Take one message read at ``now``: its ``<rtt/>`` first, then its ``<body/>``.
        The texts due at once come back as :class:`TextShown`, the others from
        :meth:`expire`."""
        if now is None:
            raise ArgumentValueError("the real-time text receiver keeps time: receive "
                                     "needs now=")
        now = _time(now)
        if not isinstance(stanza, Message):
            return [Ignored(stanza, f"not a message: {type(stanza).__name__}")]
        if stanza.type is MessageType.ERROR:
            return [Ignored(stanza, "an error message carries no real-time text")]
        sender = stanza.from_
        if sender is None:
            return [Ignored(stanza, "a message with no sender: whose real-time text?")]
        try:
            rtt = read_rtt(stanza)
            corrects = read_correction(stanza)
        except ParseError as error:
            return [Ignored(stanza, error.message)]
        body = stanza.body
        if rtt is None and body is None:
            return [Ignored(stanza, "neither <rtt/> nor <body/>")]
        events: list[Event] = []
        if rtt is not None and rtt.kind is None:
            # A later version's event: the <rtt/> is ignored, the body is not (§4.2.2).
            events.append(Ignored(stanza, f"an <rtt/> of the unknown event {rtt.event!r} "
                                          f"(seq {rtt.seq} from {sender}), which "
                                          "XEP-0301 §4.2.2 asks a recipient to ignore"))
        elif rtt is not None:
            events += self._take(sender, rtt, stanza, now)
        if body is not None:
            events += self._complete(sender, body, stanza, corrects)
        return events

    def _take(self, sender: JID, rtt: Rtt, stanza: Message, now: datetime) -> list[Event]:
        stream = self._streams.get(sender) or _Stream(sender)
        got = _sort(stream, rtt)
        action, state = _RECEIVING(stream.state, got)
        events: list[Event] = []
        if action in (_Do.SHOW, _Do.RECOVER):
            if action is _Do.RECOVER:
                events.append(Resynchronised(sender))
            base = "" if got is _Got.START else stream.text
            shown, stream = self._play(stream, base, rtt, now)
            events += shown
            stream = dataclasses.replace(stream, state=state, expected=rtt.seq + 1)
        elif action is _Do.LOSE:
            events.append(Desynchronised(sender, stream.expected, rtt.seq))
            stream = dataclasses.replace(stream, state=state, expected=None)
        elif action is _Do.IGNORE:
            why = "real-time text is off" if state is StreamState.CANCELLED else \
                "out of sync: edits wait for a new or reset"
            events.append(Ignored(stanza, f"{why} (seq {rtt.seq} from {sender})"))
        elif action is _Do.CANCEL:
            events.append(Cancelled(sender, stream.text, stream.corrects))
            stream = _Stream(sender, state)
        else:
            events.append(Activated(sender))
            stream = dataclasses.replace(stream, state=state)
        self._put(stream)
        return events

    def _complete(self, sender: JID, body: str, stanza: Message,
                  corrects: str | None) -> list[Event]:
        stream = self._streams.get(sender) or _Stream(sender)
        action, state = _RECEIVING(stream.state, _Got.BODY)
        if action is _Do.IGNORE:
            return [Ignored(stanza, f"a body, but no real-time message from {sender} to "
                                    "complete")]
        # The body shows at once, whatever was still to play back (XEP-0301 §6.3).
        self._put(_Stream(sender, state))
        return [Completed(sender, body, stream.text == body, stanza.id, corrects)]

    def _play(self, stream: _Stream, base: str, rtt: Rtt,
              now: datetime) -> tuple[list[Event], _Stream]:
        """Schedule the texts ``rtt``'s actions make of ``base``, one after each run of
        actions up to a ``<w/>``, and show those due at ``now``."""
        events: list[Event] = []
        start = now
        if stream.until is not None and stream.until > now:
            if stream.until - now <= timedelta(seconds=self._lag):
                start = stream.until
            else:
                events, stream = _release(stream, stream.until, at=now)
        queue = list(stream.queue)
        last = (queue[-1].text, queue[-1].corrects) if queue else (stream.shown,
                                                                   stream.corrects)
        at, text = start, base
        for action in rtt.actions:
            if isinstance(action, Wait):
                if (text, rtt.id) != last:
                    queue.append(_Due(at, text, rtt.id))
                    last = (text, rtt.id)
                at += action.milliseconds * _MILLISECOND
            else:
                text = apply_actions(text, (action,))
        if (text, rtt.id) != last:
            queue.append(_Due(at, text, rtt.id))
        stream = dataclasses.replace(stream, text=text, corrects=rtt.id, queue=tuple(queue),
                                     until=at)
        shown, stream = _release(stream, now)
        return events + shown, stream

    # -- time ---------------------------------------------------------------------------------

    def expire(self, now: datetime) -> list[Event]:
        """The :class:`TextShown` due at ``now``, in the order they fell due."""
        now = _time(now)
        released: list[tuple[datetime, str, int, Event]] = []
        for sender, stream in list(self._streams.items()):
            events, stream = _release(stream, now)
            released += [(event.at, str(sender), index, event)
                         for index, event in enumerate(events) if isinstance(event, TextShown)]
            self._put(stream)
        return [event for *_, event in sorted(released, key=lambda item: item[:3])]

    # -- the caller's own store ---------------------------------------------------------------

    def forget(self, sender: JID | str) -> None:
        """Drop ``sender``'s real-time message, for a client that clears stale ones (the
        XEP leaves when to the client)."""
        self._streams.pop(as_jid(sender, "sender"), None)

    def disco_features(self) -> tuple[str, ...]:
        """XEP-0301's feature: this client shows real-time text."""
        return (NS_RTT,)

    # -- lookups ------------------------------------------------------------------------------

    def _stream(self, sender: JID | str) -> _Stream:
        key = as_jid(sender, "sender")
        return self._streams.get(key) or _Stream(key)

    def _put(self, stream: _Stream) -> None:
        # A sender with nothing in progress takes no room.
        if stream.state is StreamState.IDLE and not stream.queue:
            self._streams.pop(stream.sender, None)
        else:
            self._streams[stream.sender] = stream

    # -- persistence ----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Every sender's real-time message and what is still to show, as a JSON-safe
        dict."""
        saved = _ReceiverSaved(lag=self._lag, streams=tuple(self._streams.values()))
        return _RECEIVER_SNAPSHOT.seal(to_json(saved))

    @classmethod
    def restore(cls, data: Mapping[str, Any]) -> RttReceiver:
        """A receiver with the state of a :meth:`snapshot`.  A damaged snapshot raises
        :class:`~xepcodec.errors.ArgumentValueError`."""
        with _RECEIVER_SNAPSHOT.reading():
            _, state = _RECEIVER_SNAPSHOT.open(data)
            saved: _ReceiverSaved = from_json(_ReceiverSaved, state)
            receiver = cls(lag=saved.lag)
            for stream in saved.streams:
                _check_stream(stream)
                if stream.sender in receiver._streams:
                    raise ValueError(f"the sender {stream.sender} is saved twice")
                receiver._streams[stream.sender] = stream
            return receiver

    def __repr__(self) -> str:
        return f"<RttReceiver {len(self._streams)} senders>"


def _sort(stream: _Stream, rtt: Rtt) -> _Got:
    kind = rtt.kind
    if kind in (RttEvent.NEW, RttEvent.RESET):
        return _Got.START
    if kind is RttEvent.INIT:
        return _Got.INIT
    if kind is RttEvent.CANCEL:
        return _Got.CANCEL
    # An edit of another message than the one being received means its reset was missed
    # (a sender starts over whenever the id changes, XEP-0301 §5.3).
    follows = stream.state is StreamState.IN_SYNC and rtt.seq == stream.expected \
        and rtt.id == stream.corrects
    return _Got.EDIT if follows else _Got.STRAY


def _release(stream: _Stream, until: datetime, *,
             at: datetime | None = None) -> tuple[list[Event], _Stream]:
    """Show what of ``stream``'s queue falls due by ``until`` (as of ``at`` when given,
    for a queue cut short)."""
    due = [item for item in stream.queue if item.at <= until]
    if not due:
        return [], stream
    events: list[Event] = [TextShown(stream.sender, item.text, item.corrects,
                                     item.at if at is None else at) for item in due]
    return events, dataclasses.replace(stream, shown=due[-1].text,
                                       queue=stream.queue[len(due):])


def _check_stream(stream: _Stream) -> None:
    """A saved stream whose parts agree (ValueError if not)."""
    in_sync = stream.state is StreamState.IN_SYNC
    if (stream.expected is not None) != in_sync or (
            stream.expected is not None and not 0 <= stream.expected <= MAX_SEQ + 1):
        raise ValueError(f"the stream of {stream.sender} is saved {stream.state} with a seq "
                         "that does not agree")
    times = [item.at for item in stream.queue]
    if times != sorted(times) or (times and (stream.until is None or times[-1] > stream.until)):
        raise ValueError(f"the playback saved for {stream.sender} is out of order")
    for text in (stream.text, stream.shown, *(item.text for item in stream.queue)):
        _check_text(text, "a saved text")


def _time(value: object) -> datetime:
    # Aware datetimes only: times are compared with the saved ones, which carry a zone.
    if not isinstance(value, datetime):
        raise ArgumentTypeError(f"now is a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ArgumentValueError("now has no zone; give an aware datetime (datetime.now(UTC))")
    return value

