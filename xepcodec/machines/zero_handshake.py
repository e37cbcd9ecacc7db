"""A zero-handshake server-to-server link (XEP-0361), the same at either end.

Both servers hold an :class:`~xepcodec.protocols.zero_handshake.Agreement` (their own
domains and the peer's), so nothing is negotiated: the session writes no stream
header, and stanzas flow from the first byte in both directions, read as if a
``jabber:server`` stream had been opened (XEP-0361 §4.1).  Each stanza that arrives is
judged as a standard s2s stream would judge it (see
:meth:`~xepcodec.protocols.zero_handshake.Agreement.refusal`): one with no ``to`` or
``from`` ends the stream with ``improper-addressing``, one from a domain the peer does
not serve with ``invalid-from``, one to a domain this side does not serve with
``host-unknown``, one of another content namespace with ``invalid-namespace``.  A
stanza the reader could not type (:class:`~xepcodec.xml.StanzaFailed`) is judged by
its addresses too, then handed over for a stanza error.

The session owns its stream reader and writer (``docs/machines.md``, rule 9; the
plumbing and the end of the stream are :class:`~xepcodec.machines.wire.WireSession`'s,
shared with the component session): bytes from the link go to
:meth:`~ZeroHandshakeSession.receive_data`, which returns events; what to write comes
from :meth:`~ZeroHandshakeSession.data_to_send`.  Each stanza arrives as a
:class:`Received` event; :meth:`~ZeroHandshakeSession.send` queues one;
:meth:`~ZeroHandshakeSession.close` writes the closing tag, which XEP-0361 asks both
sides to exchange.  A stream error, received or sent, ends the stream as on any other
stream (:class:`StreamEnded`).  The session sends no whitespace keep-alives: over
XEP-0365's radio links they are not recommended, and the caller decides if ever.

Over STANAG 5066 (XEP-0365) the link is compressed (SLEP's compression is
mandatory there): the session's bytes are the uncompressed XML, and the caller
compresses :meth:`~ZeroHandshakeSession.data_to_send` and decompresses what it hands
to :meth:`~ZeroHandshakeSession.receive_data`, as it would encrypt them.  The
optimiser that thins traffic before it is sent is
:func:`xepcodec.protocols.stanag5066.optimise`.

Nothing else is run here: who the peer is (source address, pinned certificate) is
the transport's business, and XEP-0198 is not part of the session.  A peer that writes
a stream header anyway (as XEP-0361 0.1 did, or a server expecting a standard s2s
stream) is not speaking this protocol: the first bytes are looked at before the reader
takes them, and a header there (after an XML declaration or not) is refused with
``unsupported-stanza-type`` (read in the implied stream, it would be a first-level
element the stream does not carry).  The header itself is dropped, so what the peer
sends after it, up to its closing tag, is still read in good order.

There is no snapshot: the session is the state of one live link.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Final

from lxml import etree

from xepcodec.core.namespaces import STANZA_NAMESPACES
from xepcodec.core.stanzas import Iq, Message, Presence
from xepcodec.core.streams import StreamCondition
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, JIDError
from xepcodec.machines.base import Event, Transitions
from xepcodec.machines.wire import (
    WireAction,
    WireInput,
    WireSession,
    WireTerms,
    peer_ending,
    wind_down,
)
from xepcodec.protocols.zero_handshake import (
    IMPLIED_NAMESPACE,
    Agreement,
    Refusal,
    implied_header,
)
from xepcodec.xml import (
    DEFAULT_LIMITS,
    Limits,
    StanzaFailed,
    StanzaReceived,
    StreamOpened,
)

__all__ = [
    "LINK",
    "Received",
    "StreamEnded",
    "ZeroHandshakeEvent",
    "ZeroHandshakeInput",
    "ZeroHandshakeSession",
    "ZeroHandshakeState",
]


# -- events ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ZeroHandshakeEvent(Event):
    """The base of the zero-handshake session's own events."""


@dataclass(frozen=True, slots=True)
class Received(ZeroHandshakeEvent):
    """A stanza arrived from the peer, addressed as the agreement allows: a message,
    presence or iq, or the reader's :class:`~xepcodec.xml.StanzaFailed` for one it
    could not type (a :class:`~xepcodec.machines.router.Router` answers both)."""

    stanza: Message | Presence | Iq | StanzaFailed = field(hash=False)


@dataclass(frozen=True, slots=True)
class StreamEnded(ZeroHandshakeEvent):
    """The link is over.  ``condition`` is None when it was closed in good order;
    otherwise the stream error received (``by_peer``) or found by this side (sent
    when its closing tag was not written yet).  Once
    :meth:`ZeroHandshakeSession.data_to_send` is drained the caller closes the
    connection."""

    condition: StreamCondition | None
    by_peer: bool
    text: str | None = None


# -- the table -------------------------------------------------------------------------------


class ZeroHandshakeState(enum.StrEnum):
    """Where the link stands.  It starts ``open``: there is nothing to negotiate."""

    #: stanzas flow both ways
    OPEN = "open"
    #: this side closed the stream and waits for the peer to close its own
    CLOSING = "closing"
    #: the end was reported (a stream error); the peer's closing tag may still come
    ENDED = "ended"
    #: both sides closed
    CLOSED = "closed"


class ZeroHandshakeInput(enum.Enum):
    STANZA = "a stanza from the peer's domains to this side's"
    HEADER = "a stream header (a zero-handshake stream has none)"
    REFUSED = "a stanza the agreement refuses"
    OTHER = "an element that is not a stanza"
    STREAM_ERROR = "a stream error"
    FOOTER = "the end of the peer's stream"
    BROKEN = "bytes that break the stream"
    SEND = "send()"
    CLOSE = "close()"


_S, _I, _A = ZeroHandshakeState, ZeroHandshakeInput, WireAction
_WIRE: Final = WireTerms(
    "link", closing=_S.CLOSING, ended=_S.ENDED, closed=_S.CLOSED,
    stream_error=_I.STREAM_ERROR, footer=_I.FOOTER, broken=_I.BROKEN, close=_I.CLOSE,
    received=Received, stream_ended=StreamEnded)

#: (state, input) -> (action, next state).  Every action is a wire session's.
LINK: Final = Transitions[ZeroHandshakeState, ZeroHandshakeInput,
                          tuple[WireAction, ZeroHandshakeState]]("zero-handshake session", {
    (_S.OPEN, _I.STANZA): (_A.DELIVER, _S.OPEN),
    (_S.OPEN, _I.REFUSED): (_A.FAIL, _S.ENDED),
    (_S.OPEN, _I.HEADER): (_A.FAIL, _S.ENDED),
    (_S.OPEN, _I.OTHER): (_A.IGNORE, _S.OPEN),
    **{(_S.OPEN, i): row for i, row in peer_ending(_WIRE).items()},
    (_S.OPEN, _I.SEND): (_A.WRITE, _S.OPEN),
    (_S.OPEN, _I.CLOSE): (_A.CLOSE, _S.CLOSING),
    # Closing (this side closed) and ended, as on any stream.
    **wind_down(_WIRE, (_I.STANZA, _I.REFUSED, _I.HEADER, _I.OTHER), stanza=_I.STANZA),
})

# The inputs' type, for annotations: inputs are built with WireInput itself (calling the
# subscripted alias costs a microsecond an input).
_Input = WireInput[ZeroHandshakeInput]


# -- the session ----------------------------------------------------------------------------


class ZeroHandshakeSession(WireSession[ZeroHandshakeState, ZeroHandshakeInput]):
    """One end of a zero-handshake link, configured by ``agreement``.  See the module
    documentation."""

    __slots__ = ("_agreement", "_opening")
    _TERMS = _WIRE
    _TABLE = LINK

    def __init__(self, agreement: Agreement, *, limits: Limits = DEFAULT_LIMITS) -> None:
        if not isinstance(agreement, Agreement):
            raise ArgumentTypeError(f"a zero-handshake session takes an Agreement, not "
                                    f"{type(agreement).__name__}")
        super().__init__(ZeroHandshakeState.OPEN, limits=limits)
        self._agreement = agreement
        # Both ends take the stream as opened: the reader is given the implied header
        # and the writer opened on it, and neither header goes on the wire.
        opened = self._reader.feed(implied_header())
        assert [type(each) for each in opened] == [StreamOpened]
        self._writer.open(namespace=IMPLIED_NAMESPACE, version=None)
        # The peer's first bytes, held until they show whether a stream header starts
        # them (None once that is known).
        self._opening: bytearray | None = bytearray()

    # -- what the caller reads --------------------------------------------------------------

    @property
    def agreement(self) -> Agreement:
        return self._agreement

    # -- the two ways in (close() and data_to_send() are the wire session's) ---------------

    def receive_data(self, data: bytes) -> list[Event]:
        """Take bytes read from the link (decompressed), split anywhere; return the
        events they complete."""
        events: list[Event] = []
        if self._opening is not None:
            self._opening += data
            found = _header_end(self._opening)
            if found is None:
                return events
            data, self._opening = bytes(self._opening), None
            if found:
                header, data = data[:found], data[found:]
                events += self._step(WireInput(
                    ZeroHandshakeInput.HEADER, header, StreamCondition.UNSUPPORTED_STANZA_TYPE,
                    "a stream header: a zero-handshake stream (XEP-0361) is taken as open "
                    "and carries none"))
        return events + self._read(data)

    def send(self, stanza: Message | Presence | Iq) -> list[Event]:
        """Queue ``stanza`` on the open link.  It is in ``jabber:server`` and goes from
        one of this side's domains to one of the peer's, as the agreement says (the
        peer would refuse anything else).  Returns no events."""
        self._check_sendable(stanza, on="a zero-handshake link", namespace=IMPLIED_NAMESPACE,
                             constant="SERVER")
        agreement = self._agreement
        if stanza.from_ is None or stanza.to is None:
            raise ArgumentValueError("send(): a stanza between servers carries both 'from' "
                                     "and 'to' (the peer refuses it with improper-addressing)")
        if not agreement.serves(stanza.from_):
            raise ArgumentValueError(f"send(): 'from' {stanza.from_} is not at a domain this "
                                     "side serves on the link (the peer refuses it with "
                                     "invalid-from)")
        if not agreement.is_peer(stanza.to):
            raise ArgumentValueError(f"send(): 'to' {stanza.to} is not at a domain the peer "
                                     "serves on the link (the peer refuses it with "
                                     "host-unknown)")
        return self._step(WireInput(ZeroHandshakeInput.SEND, stanza))

    # -- classifying what arrives ------------------------------------------------------------

    def _classify_arrival(self, event: object) -> _Input:
        match event:
            case StanzaReceived(stanza=Message() | Presence() | Iq() as stanza):
                return self._judged(stanza, self._agreement.refusal(stanza))
            case StanzaFailed(element=etree._Element() as element) if _is_stanza(element):
                return self._judged(event, self._failed_refusal(element))
            case StanzaFailed() | StanzaReceived():
                return WireInput(ZeroHandshakeInput.OTHER, getattr(event, "stanza", event))
        raise AssertionError(f"the stream reader gave {event!r}")  # pragma: no cover

    @staticmethod
    def _judged(item: object, refusal: Refusal | None) -> _Input:
        if refusal is None:
            return WireInput(ZeroHandshakeInput.STANZA, item)
        return WireInput(ZeroHandshakeInput.REFUSED, item, refusal.condition, refusal.text)

    def _failed_refusal(self, element: etree._Element) -> Refusal | None:
        """The refusal of a stanza the reader could not type, read from its tag and
        raw addresses (a malformed address is improper addressing between servers)."""
        namespace = etree.QName(element).namespace
        if namespace != IMPLIED_NAMESPACE:
            return Refusal(StreamCondition.INVALID_NAMESPACE,
                           f"a zero-handshake stream carries {IMPLIED_NAMESPACE} stanzas, "
                           f"not {namespace} ones")
        addresses: list[JID | None] = []
        for name in ("from", "to"):
            value = element.get(name)
            try:
                addresses.append(None if value is None else JID.parse(value))
            except JIDError as error:
                return Refusal(StreamCondition.IMPROPER_ADDRESSING,
                               f"'{name}' is not an XMPP address: {error.message}")
        return self._agreement.address_refusal(*addresses)

    def __repr__(self) -> str:
        local = ",".join(sorted(str(domain) for domain in self._agreement.local))
        peer = ",".join(sorted(str(domain) for domain in self._agreement.peer))
        return f"<ZeroHandshakeSession {local} <-> {peer} {self._state.value}>"


#: How many of the peer's first bytes are held at most to look for a stream header; a
#: header is far shorter, and past this the bytes go to the reader as they are.
_OPENING_LIMIT: Final = 4096
_SPACE: Final = re.compile(rb"[ \t\r\n]*")
_NAME: Final = re.compile(rb"[^ \t\r\n/>]*")
_STANZA_NAMES: Final = frozenset({"message", "presence", "iq"})


def _header_end(head: bytearray) -> int | None:
    """Where a stream header that starts ``head`` ends (0 when ``head`` starts with
    anything else), or None while the bytes so far cannot tell.  An XML declaration
    before the header goes with it."""
    undecided = None if len(head) < _OPENING_LIMIT else 0
    at = _skip_space(head, 0)
    if head.startswith(b"<?", at) or head[at:] == b"<":
        end = head.find(b"?>", at)
        if end < 0:
            return undecided
        at = _skip_space(head, end + 2)
    if at == len(head):
        return undecided
    if head[at:at + 1] != b"<":
        return 0
    name = _NAME.match(head, at + 1)
    assert name is not None  # (the empty name matches too)
    if name.end() == len(head):
        return undecided
    if name[0].rpartition(b":")[2] != b"stream":
        return 0
    end = head.find(b">", name.end())
    return undecided if end < 0 else end + 1


def _skip_space(head: bytearray, at: int) -> int:
    space = _SPACE.match(head, at)
    assert space is not None  # (it matches no space too)
    return space.end()


def _is_stanza(element: etree._Element) -> bool:
    """Whether the element is a message, presence or iq of any stanza namespace."""
    name = etree.QName(element)
    return name.localname in _STANZA_NAMES and name.namespace in (*STANZA_NAMESPACES, None)
