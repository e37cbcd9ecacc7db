"""What the sessions that own their stream share (``docs/machines.md``, rule 9).

The component session (XEP-0114) and the zero-handshake session (XEP-0361) hold a
stream reader and writer, take bytes in (:meth:`WireSession.receive_data`) and give
bytes out (:meth:`WireSession.data_to_send`), and end a stream the same way: a
stream error or a closing tag from either side, bytes that break the stream, and the
closing tags that cross on the wire.  That part lives here once, in
:class:`WireSession`, its actions (:class:`WireAction`) and the rows of the table it
implies (:func:`peer_ending`, :func:`wind_down`); what each session negotiates and
checks stays in its own module.

A session names the states and inputs these rows use in its own enums, and its own
events, through :class:`WireTerms`: its states, inputs and events are its public
surface, and each machine's events derive from its own base (rule 5).
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Generic, NamedTuple, TypeVar

from lxml import etree

from xepcodec.api import StreamReader, StreamWriter
from xepcodec.core.namespaces import STREAMS
from xepcodec.core.stanzas import Iq, Message, Presence
from xepcodec.core.streams import StreamCondition, StreamError
from xepcodec.errors import ArgumentTypeError, ArgumentValueError
from xepcodec.machines.base import Event, Ignored, Transitions
from xepcodec.xml import (
    BrokenStreamError,
    Limits,
    StanzaFailed,
    StanzaReceived,
    StreamClosed,
)

__all__ = [
    "WireAction",
    "WireInput",
    "WireSession",
    "WireTerms",
    "peer_ending",
    "wind_down",
]

S = TypeVar("S", bound=enum.Enum)
K = TypeVar("K", bound=enum.Enum)


class WireAction(enum.Enum):
    """The actions every session on the wire has; a session adds its own in an enum of
    its own (an enum with members cannot be extended)."""

    DELIVER = "report the stanza"
    FAIL = "send a stream error and end the stream"
    ERROR_RECEIVED = "report the peer's stream error"
    PEER_CLOSED = "close in turn"
    CLOSED = "report the stream closed"
    BROKEN = "report the stream broken after this side closed it"
    IGNORE = "ignore it"
    NOTHING = "nothing to do"
    WRITE = "write the stanza"
    CLOSE = "close the stream"


class WireInput(NamedTuple, Generic[K]):
    """One input classified: its kind (a member of the session's input enum), the item,
    and for a refusal the stream error condition and text to send."""

    kind: K
    item: object = None
    condition: StreamCondition | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class WireTerms(Generic[S, K]):
    """A session's own names for what every session on the wire has: the states in
    which its stream ends, the inputs that end it, its events for a stanza that
    arrived and for the end, and what the stream is called in an ``Ignored`` reason."""

    #: what the stream is called ("stream", "link")
    called: str
    #: this side closed the stream and waits for the peer to close its own
    closing: S
    #: the end was reported; the peer's closing tag may still come
    ended: S
    #: both sides closed
    closed: S
    #: the inputs for the peer's stream error, its closing tag, broken bytes, close()
    stream_error: K
    footer: K
    broken: K
    close: K
    #: the session's events: ``received(stanza)``, ``stream_ended(condition, by_peer,
    #: text)``
    received: Callable[[Message | Presence | Iq | StanzaFailed], Event]
    stream_ended: Callable[[StreamCondition | None, bool, str | None], Event]


#: The rows' type: (state, input) -> (action, next state).
Rows = dict[tuple[S, K], tuple[WireAction, S]]


def peer_ending(terms: WireTerms[S, K]) -> dict[K, tuple[WireAction, S]]:
    """How the peer ends a stream this side has not closed: its stream error and its
    closing tag (closed in turn), or bytes that break the stream (answered with a
    stream error).  Keyed by input, for a session to lay over each open state."""
    return {
        terms.stream_error: (WireAction.ERROR_RECEIVED, terms.ended),
        terms.footer: (WireAction.PEER_CLOSED, terms.closed),
        terms.broken: (WireAction.FAIL, terms.ended),
    }


def wind_down(terms: WireTerms[S, K], arrivals: Iterable[K], *, stanza: K) -> Rows[S, K]:
    """The rows of the two states in which a stream ends.  ``arrivals`` are the
    session's other inputs from the peer, in the order its table lists them; of them,
    ``stanza`` is still delivered after this side closed.

    Closing: what the peer still sends is read until it closes too, and a refusal can
    no longer be a stream error (the closing tag is written).  Ended: the end is
    reported; the rest is the peer catching up."""
    arrivals = tuple(arrivals)
    closing, ended, closed = terms.closing, terms.ended, terms.closed
    rows: Rows[S, K] = {
        (closing, kind): (WireAction.DELIVER if kind is stanza else WireAction.IGNORE,
                          closing)
        for kind in arrivals}
    rows[closing, terms.stream_error] = (WireAction.ERROR_RECEIVED, ended)
    rows[closing, terms.footer] = (WireAction.CLOSED, closed)
    rows[closing, terms.broken] = (WireAction.BROKEN, closed)
    for kind in (*arrivals, terms.stream_error):
        rows[ended, kind] = (WireAction.IGNORE, ended)
    rows[ended, terms.footer] = (WireAction.NOTHING, closed)
    rows[ended, terms.broken] = (WireAction.NOTHING, closed)
    return rows


class WireSession(ABC, Generic[S, K]):
    """The reader and writer plumbing of a session and its shared actions.

    A session class sets ``_TERMS``, ``_TABLE`` (its transitions) and, when it has
    actions of its own, ``_ACTIONS`` (this class's merged with its own), and
    classifies what its reader gives in :meth:`_classify_arrival`.  The shared actions
    are found through ``_ACTIONS``, so a subclass does not override them: it adapts
    them through :meth:`_header_owed`."""

    __slots__ = ("_buffer", "_reader", "_state", "_writer")

    # Set by each session class.  (A ClassVar cannot hold S or K, hence the Any.)
    _TERMS: ClassVar[WireTerms[Any, Any]]
    _TABLE: ClassVar[Transitions[Any, Any, Any]]
    # _ACTIONS (action -> function) ends the class, once the functions exist; a session
    # with actions of its own merges this one into its own.

    def __init__(self, state: S, *, limits: Limits) -> None:
        self._state = state
        self._reader = StreamReader(limits=limits)
        self._writer = StreamWriter()
        self._buffer = bytearray()

    @property
    def state(self) -> S:
        """Where the stream stands."""
        return self._state

    # -- the two ways in -----------------------------------------------------------------

    def receive_data(self, data: bytes) -> list[Event]:
        """Take bytes read from the socket, split anywhere; return the events they
        complete."""
        return self._read(data)

    def close(self) -> list[Event]:
        """End the stream: its closing tag is queued, and the session reads on until
        the peer closes its own (then its ``StreamEnded``)."""
        return self._step(WireInput(self._TERMS.close))

    def data_to_send(self) -> bytes:
        """The bytes queued for the socket since the last call, in order (compressed
        or encrypted by the caller where its transport wants that)."""
        data = bytes(self._buffer)
        self._buffer.clear()
        return data

    def _check_sendable(self, stanza: object, *, on: str, namespace: str,
                        constant: str) -> None:
        """What every session checks of a stanza the caller sends: a message, presence
        or iq in the stream's ``namespace`` (``constant`` is its name in
        :mod:`xepcodec.core.namespaces`); ``on`` names the stream in the error."""
        if not isinstance(stanza, Message | Presence | Iq):
            raise ArgumentTypeError(f"send() takes a message, presence or iq, not "
                                    f"{type(stanza).__name__}")
        if stanza.namespace != namespace:
            raise ArgumentValueError(f"{on} carries {namespace} stanzas, not "
                                     f"{stanza.namespace} ones: build it with "
                                     f"namespace={constant}")

    def _read(self, data: bytes) -> list[Event]:
        broken: BrokenStreamError | None = None
        try:
            read = self._reader.feed(data)
        except BrokenStreamError as error:
            # What arrived whole before the fault is taken first, then the fault.
            read, broken = list(error.events), error
        events: list[Event] = []
        for each in read:
            events += self._step(self._classify(each))
        # (Bytes after the peer's closing tag end nothing more.)
        if broken is not None and not any(isinstance(each, StreamClosed) for each in read):
            events += self._step(WireInput(self._TERMS.broken, broken,
                                           _condition(broken.condition), broken.message))
        return events

    # -- classifying what arrives --------------------------------------------------------

    def _classify(self, event: object) -> WireInput[K]:
        """The input of one event of the reader: the peer's closing tag or stream error
        here, anything else as the session judges it (:meth:`_classify_arrival`)."""
        terms = self._TERMS
        match event:
            case StanzaReceived(stanza=Message() | Presence() | Iq()):
                # The common case first: a stanza ends nothing, and its element's tag is
                # not worth reading.
                return self._classify_arrival(event)
            case StreamClosed():
                return WireInput(terms.footer)
            case StanzaReceived(stanza=StreamError() as error):
                text = error.description.text if error.description is not None else None
                return WireInput(terms.stream_error, error, error.condition, text)
            case StanzaReceived(element=etree._Element() as raw) | StanzaFailed(
                    element=etree._Element() as raw) if raw.tag == _STREAM_ERROR:
                # A stream error the model could not read is an error all the same.
                return WireInput(terms.stream_error, raw, StreamCondition.UNDEFINED_CONDITION)
        return self._classify_arrival(event)

    @abstractmethod
    def _classify_arrival(self, event: object) -> WireInput[K]:
        """The input of an event of the reader that is neither the peer's closing tag
        nor a stream error: each session classifies its own (handshake, agreement)."""

    # -- the step: one table lookup, one action --------------------------------------------

    def _step(self, given: WireInput[K]) -> list[Event]:
        action, after = self._TABLE(self._state, given.kind)
        events = self._ACTIONS[action](self, given)
        self._state = after
        return events

    def _header_owed(self, given: WireInput[K]) -> None:
        """Write what must precede this side's stream error or closing tag: nothing
        here; a session that may end the stream before its header was sent writes it
        (RFC 6120 §4.7.1)."""

    def _end_writing(self, given: WireInput[K]) -> None:
        self._header_owed(given)
        self._buffer += self._writer.close()

    def _deliver(self, given: WireInput[K]) -> list[Event]:
        stanza = given.item
        assert isinstance(stanza, Message | Presence | Iq | StanzaFailed)
        return [self._TERMS.received(stanza)]

    def _fail(self, given: WireInput[K]) -> list[Event]:
        condition = given.condition or StreamCondition.UNDEFINED_CONDITION
        self._header_owed(given)
        self._buffer += self._writer.send(StreamError.of(condition, text=given.text))
        self._buffer += self._writer.close()
        return [self._TERMS.stream_ended(condition, False, given.text)]

    def _error_received(self, given: WireInput[K]) -> list[Event]:
        if self._state is not self._TERMS.closing:  # else the closing tag is sent
            self._end_writing(given)
        return [self._TERMS.stream_ended(given.condition, True, given.text)]

    def _peer_closed(self, given: WireInput[K]) -> list[Event]:
        self._end_writing(given)
        return [self._TERMS.stream_ended(None, True, None)]

    def _closed(self, given: WireInput[K]) -> list[Event]:
        return [self._TERMS.stream_ended(None, False, None)]

    def _broken(self, given: WireInput[K]) -> list[Event]:
        # The closing tag is written: no stream error can follow it.
        return [self._TERMS.stream_ended(given.condition, False, given.text)]

    def _ignore(self, given: WireInput[K]) -> list[Event]:
        return [Ignored(given.item, f"{given.kind.value} is not taken while the "
                                    f"{self._TERMS.called} is {self._state.value}")]

    def _nothing(self, given: WireInput[K]) -> list[Event]:
        return []

    def _write(self, given: WireInput[K]) -> list[Event]:
        self._buffer += self._writer.send(given.item)
        return []

    def _close(self, given: WireInput[K]) -> list[Event]:
        self._end_writing(given)
        return []

    _ACTIONS: ClassVar[Mapping[enum.Enum, Callable[[Any, WireInput[Any]], list[Event]]]] = {
        WireAction.DELIVER: _deliver,
        WireAction.FAIL: _fail,
        WireAction.ERROR_RECEIVED: _error_received,
        WireAction.PEER_CLOSED: _peer_closed,
        WireAction.CLOSED: _closed,
        WireAction.BROKEN: _broken,
        WireAction.IGNORE: _ignore,
        WireAction.NOTHING: _nothing,
        WireAction.WRITE: _write,
        WireAction.CLOSE: _close,
    }


_STREAM_ERROR: Final = f"{{{STREAMS}}}error"


def _condition(name: str) -> StreamCondition:
    """The stream condition the reader named, or ``undefined-condition``."""
    try:
        return StreamCondition(name)
    except ValueError:
        return StreamCondition.UNDEFINED_CONDITION
