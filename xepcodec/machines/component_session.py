"""A component's stream (XEP-0114, ``jabber:component:accept``), from either end.

:meth:`ComponentSession.connect` is the component: it opens the stream to its domain,
reads the server's header and stream id, sends the handshake and waits for the empty
``<handshake/>`` that lets it in.  :meth:`ComponentSession.accept` is the server: it
reads the component's header, refuses a namespace other than
``jabber:component:accept`` (``invalid-namespace``), a domain it has no secret for
(``host-unknown``) or one already connected (``conflict``), answers with its header
and the stream id the caller chose, checks the handshake (``not-authorized`` when it
is wrong) and acknowledges it.  Each refusal is a stream error, written after the
server's header as RFC 6120 §4.7.1 asks, followed by the end of the stream.

The session owns its stream reader and writer: bytes from the socket go to
:meth:`~ComponentSession.receive_data`, which returns events; what to write to the
socket comes from :meth:`~ComponentSession.data_to_send`.  Once ready, each stanza
arrives as a :class:`Received` event and :meth:`~ComponentSession.send` queues one;
:meth:`~ComponentSession.close` ends the stream.  No clock, no randomness, no I/O: the
stream id is the caller's, and so are the secrets and the list of connected domains.

There is no snapshot: the session is the state of one live connection, which does
not survive the process (a component reconnects and authenticates anew).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from typing import Final, NamedTuple

from lxml import etree

from xepcodec.api import StreamReader, StreamWriter
from xepcodec.core.namespaces import COMPONENT, STREAMS
from xepcodec.core.stanzas import Iq, Message, Presence
from xepcodec.core.streams import StreamCondition, StreamError
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError
from xepcodec.machines.base import Event, Ignored, Transitions
from xepcodec.protocols.component import Handshake, check_handshake
from xepcodec.xml import (
    DEFAULT_LIMITS,
    BrokenStreamError,
    Limits,
    StanzaFailed,
    StanzaReceived,
    StreamClosed,
    StreamOpened,
)

__all__ = [
    "SESSION",
    "Authenticated",
    "AuthenticationFailed",
    "ComponentInput",
    "ComponentRole",
    "ComponentSession",
    "ComponentSessionEvent",
    "ComponentState",
    "Received",
    "StreamEnded",
]

#: What a secret is looked up with: a mapping of domain to secret, or a function that
#: returns the secret of a domain (None for a domain it does not serve).
Secrets = Mapping[str, str] | Callable[[str], str | None]
#: The domains already connected: a container, or a function saying whether one is.
Connected = Container[str] | Callable[[str], bool]


# -- events ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComponentSessionEvent(Event):
    """The base of the component session's own events."""


@dataclass(frozen=True, slots=True)
class Authenticated(ComponentSessionEvent):
    """The handshake succeeded: the component (``domain``) is in, stanzas may flow."""

    domain: str
    stream_id: str


@dataclass(frozen=True, slots=True)
class AuthenticationFailed(ComponentSessionEvent):
    """The stream ended before the handshake succeeded, with ``condition``: the server's
    stream error as the component read it, or the one the server sent.  A
    :class:`StreamEnded` follows."""

    condition: StreamCondition
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Received(ComponentSessionEvent):
    """A stanza arrived on the ready stream: a message, presence or iq, or the reader's
    :class:`~xepcodec.xml.StanzaFailed` for one it refused (a
    :class:`~xepcodec.machines.router.Router` answers both)."""

    stanza: Message | Presence | Iq | StanzaFailed = field(hash=False)


@dataclass(frozen=True, slots=True)
class StreamEnded(ComponentSessionEvent):
    """The stream is over.  ``condition`` is None when it was closed in good order;
    otherwise the stream error received (``by_peer``) or found by this side (sent when
    its closing tag was not written yet).  Once
    :meth:`ComponentSession.data_to_send` is drained the caller closes the socket."""

    condition: StreamCondition | None
    by_peer: bool
    text: str | None = None


# -- the table -------------------------------------------------------------------------------


class ComponentRole(enum.Enum):
    COMPONENT = "component"
    SERVER = "server"


class ComponentState(enum.StrEnum):
    """Where the stream stands.  The component goes ``connecting`` → ``handshaking`` →
    ``ready``; the server ``awaiting-header`` → ``awaiting-handshake`` → ``ready``."""

    #: the component sent its header and waits for the server's
    CONNECTING = "connecting"
    #: the component sent its handshake and waits for the answer
    HANDSHAKING = "handshaking"
    #: the server's header carries no stream id: the stream error refusing the
    #: component follows (servers send one such header before their error)
    UNIDENTIFIED = "unidentified"
    #: the server waits for the component's header
    AWAITING_HEADER = "awaiting-header"
    #: the server sent its header and waits for the handshake
    AWAITING_HANDSHAKE = "awaiting-handshake"
    #: authenticated: stanzas flow both ways
    READY = "ready"
    #: this side closed the stream and waits for the peer to close its own
    CLOSING = "closing"
    #: the end was reported (a stream error); the peer's closing tag may still come
    ENDED = "ended"
    #: both sides closed
    CLOSED = "closed"


class ComponentInput(enum.Enum):
    HEADER = "an acceptable stream header"
    HEADER_REFUSED = "a stream header that is refused"
    HEADER_WITHOUT_ID = "a stream header without a stream id"
    HANDSHAKE = "a handshake that is accepted"
    HANDSHAKE_REFUSED = "a handshake that is refused"
    STANZA = "a stanza"
    MISADDRESSED = "a stanza without the addresses a component stream needs"
    OTHER = "another element"
    STREAM_ERROR = "a stream error"
    FOOTER = "the end of the peer's stream"
    BROKEN = "bytes that break the stream"
    SEND = "send()"
    CLOSE = "close()"


class _Act(enum.Enum):
    SEND_HANDSHAKE = "send the handshake"
    ANSWER_HEADER = "answer with the server's header"
    ACKNOWLEDGE = "acknowledge the handshake"
    AUTHENTICATED = "report the component authenticated"
    REFUSE = "send a stream error during negotiation and end the stream"
    FAIL = "send a stream error and end the stream"
    REFUSED = "report the peer's stream error during negotiation"
    ERROR_RECEIVED = "report the peer's stream error"
    PEER_CLOSED = "close in turn"
    CLOSED = "report the stream closed"
    DELIVER = "report the stanza"
    IGNORE = "ignore it"
    NOTHING = "nothing to do"
    BROKEN = "report the stream broken after this side closed it"
    WRITE = "write the stanza"
    CLOSE = "close the stream"


_C, _I, _A = ComponentState, ComponentInput, _Act
# The rows every open state shares: the peer's stream error and closing tag, broken
# bytes, and the caller closing.
_OPEN: Final = {
    _I.STREAM_ERROR: (_A.ERROR_RECEIVED, _C.ENDED),
    _I.FOOTER: (_A.PEER_CLOSED, _C.CLOSED),
    _I.BROKEN: (_A.FAIL, _C.ENDED),
    _I.CLOSE: (_A.CLOSE, _C.CLOSING),
}
# Before the handshake succeeded, a stream error or anything unexpected is a failed
# authentication.
_NEGOTIATING: Final = {
    **_OPEN,
    _I.STREAM_ERROR: (_A.REFUSED, _C.ENDED),
    _I.BROKEN: (_A.REFUSE, _C.ENDED),
    _I.STANZA: (_A.REFUSE, _C.ENDED),
    _I.MISADDRESSED: (_A.REFUSE, _C.ENDED),
    _I.OTHER: (_A.REFUSE, _C.ENDED),
}

_HEADERS: Final = (_I.HEADER, _I.HEADER_REFUSED, _I.HEADER_WITHOUT_ID)

#: (state, input) -> (action, next state), for both roles.
SESSION: Final = Transitions[ComponentState, ComponentInput, "tuple[_Act, ComponentState]"](
    "component session", {
        # The component.
        **{(_C.CONNECTING, i): row for i, row in _NEGOTIATING.items()},
        (_C.CONNECTING, _I.HEADER): (_A.SEND_HANDSHAKE, _C.HANDSHAKING),
        (_C.CONNECTING, _I.HEADER_REFUSED): (_A.REFUSE, _C.ENDED),
        (_C.CONNECTING, _I.HEADER_WITHOUT_ID): (_A.NOTHING, _C.UNIDENTIFIED),
        **{(_C.UNIDENTIFIED, i): row for i, row in _NEGOTIATING.items()},
        (_C.UNIDENTIFIED, _I.HANDSHAKE_REFUSED): (_A.REFUSE, _C.ENDED),
        **{(_C.HANDSHAKING, i): row for i, row in _NEGOTIATING.items()},
        (_C.HANDSHAKING, _I.HANDSHAKE): (_A.AUTHENTICATED, _C.READY),
        (_C.HANDSHAKING, _I.HANDSHAKE_REFUSED): (_A.REFUSE, _C.ENDED),
        # The server.
        **{(_C.AWAITING_HEADER, i): row for i, row in _NEGOTIATING.items()},
        (_C.AWAITING_HEADER, _I.HEADER): (_A.ANSWER_HEADER, _C.AWAITING_HANDSHAKE),
        (_C.AWAITING_HEADER, _I.HEADER_REFUSED): (_A.REFUSE, _C.ENDED),
        **{(_C.AWAITING_HANDSHAKE, i): row for i, row in _NEGOTIATING.items()},
        (_C.AWAITING_HANDSHAKE, _I.HANDSHAKE): (_A.ACKNOWLEDGE, _C.READY),
        (_C.AWAITING_HANDSHAKE, _I.HANDSHAKE_REFUSED): (_A.REFUSE, _C.ENDED),
        # Both, once in.
        **{(_C.READY, i): row for i, row in _OPEN.items()},
        (_C.READY, _I.STANZA): (_A.DELIVER, _C.READY),
        (_C.READY, _I.MISADDRESSED): (_A.FAIL, _C.ENDED),
        (_C.READY, _I.HANDSHAKE): (_A.IGNORE, _C.READY),
        (_C.READY, _I.HANDSHAKE_REFUSED): (_A.IGNORE, _C.READY),
        (_C.READY, _I.OTHER): (_A.IGNORE, _C.READY),
        (_C.READY, _I.SEND): (_A.WRITE, _C.READY),
        # This side closed: what the peer still sends is read until it closes too
        # (its header among it, when this side closed before the header came).
        **{(_C.CLOSING, i): (_A.IGNORE, _C.CLOSING) for i in _HEADERS},
        (_C.CLOSING, _I.STANZA): (_A.DELIVER, _C.CLOSING),
        (_C.CLOSING, _I.MISADDRESSED): (_A.IGNORE, _C.CLOSING),
        (_C.CLOSING, _I.HANDSHAKE): (_A.IGNORE, _C.CLOSING),
        (_C.CLOSING, _I.HANDSHAKE_REFUSED): (_A.IGNORE, _C.CLOSING),
        (_C.CLOSING, _I.OTHER): (_A.IGNORE, _C.CLOSING),
        (_C.CLOSING, _I.STREAM_ERROR): (_A.ERROR_RECEIVED, _C.ENDED),
        (_C.CLOSING, _I.FOOTER): (_A.CLOSED, _C.CLOSED),
        (_C.CLOSING, _I.BROKEN): (_A.BROKEN, _C.CLOSED),
        # The end is reported; the rest is the peer catching up.
        **{(_C.ENDED, i): (_A.IGNORE, _C.ENDED) for i in _HEADERS},
        (_C.ENDED, _I.STANZA): (_A.IGNORE, _C.ENDED),
        (_C.ENDED, _I.MISADDRESSED): (_A.IGNORE, _C.ENDED),
        (_C.ENDED, _I.HANDSHAKE): (_A.IGNORE, _C.ENDED),
        (_C.ENDED, _I.HANDSHAKE_REFUSED): (_A.IGNORE, _C.ENDED),
        (_C.ENDED, _I.OTHER): (_A.IGNORE, _C.ENDED),
        (_C.ENDED, _I.STREAM_ERROR): (_A.IGNORE, _C.ENDED),
        (_C.ENDED, _I.FOOTER): (_A.NOTHING, _C.CLOSED),
        (_C.ENDED, _I.BROKEN): (_A.NOTHING, _C.CLOSED),
    })


class _Input(NamedTuple):
    """One input classified: its kind, the item, and for a refusal the stream error
    condition and text to send."""

    kind: ComponentInput
    item: object = None
    condition: StreamCondition | None = None
    text: str | None = None


# -- the session ----------------------------------------------------------------------------


class ComponentSession:
    """One component stream, from the component's end (:meth:`connect`) or the
    server's (:meth:`accept`).  See the module documentation."""

    __slots__ = ("_buffer", "_connected", "_domain", "_reader", "_role", "_secret",
                 "_secrets", "_state", "_stream_id", "_writer")

    def __init__(self, role: ComponentRole, state: ComponentState, *, domain: str | None,
                 secret: str | None, stream_id: str | None, secrets: Secrets | None,
                 connected: Connected, limits: Limits) -> None:
        # Reached through connect() and accept(), which check their arguments.
        self._role = role
        self._state = state
        self._domain = domain
        self._secret = secret
        self._stream_id = stream_id
        self._secrets = secrets
        self._connected = connected
        self._reader = StreamReader(limits=limits)
        self._writer = StreamWriter()
        self._buffer = bytearray()

    @classmethod
    def connect(cls, domain: str, secret: str, *,
                limits: Limits = DEFAULT_LIMITS) -> ComponentSession:
        """The component ``domain`` connecting with ``secret``: its stream header is
        queued at once (read it with :meth:`data_to_send` once the socket is open).
        The secret is kept only until the handshake is sent."""
        _text(domain, "domain", nonempty=True)
        _text(secret, "secret")
        session = cls(ComponentRole.COMPONENT, ComponentState.CONNECTING, domain=domain,
                      secret=secret, stream_id=None, secrets=None, connected=(),
                      limits=limits)
        # XEP-0114 streams carry no version: a component stream has no features.
        session._buffer += session._writer.open(to=domain, namespace=COMPONENT,
                                                version=None)
        return session

    @classmethod
    def accept(cls, *, stream_id: str, secrets: Secrets, connected: Connected = (),
               limits: Limits = DEFAULT_LIMITS) -> ComponentSession:
        """The server's end of a component connecting to it.  ``stream_id`` is the id
        its header will carry (the caller's: unpredictable and unique per stream);
        ``secrets`` gives the secret of each domain it serves; ``connected`` says which
        domains are connected already (refused with ``conflict``)."""
        _text(stream_id, "stream_id", nonempty=True)
        if not (isinstance(secrets, Mapping) or callable(secrets)):
            raise ArgumentTypeError("secrets must be a mapping of domain to secret or a "
                                    f"function, not {type(secrets).__name__}")
        if not (isinstance(connected, Container) or callable(connected)):
            raise ArgumentTypeError("connected must be a container of domains or a "
                                    f"function, not {type(connected).__name__}")
        return cls(ComponentRole.SERVER, ComponentState.AWAITING_HEADER, domain=None,
                   secret=None, stream_id=stream_id, secrets=secrets, connected=connected,
                   limits=limits)

    # -- what the caller reads --------------------------------------------------------------

    @property
    def role(self) -> ComponentRole:
        return self._role

    @property
    def state(self) -> ComponentState:
        return self._state

    @property
    def domain(self) -> str | None:
        """The component's domain (on the server, once its header has arrived)."""
        return self._domain

    @property
    def stream_id(self) -> str | None:
        """The stream id (on the component, once the server's header has arrived)."""
        return self._stream_id

    # -- the two ways in -------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> list[Event]:
        """Take bytes read from the socket, split anywhere; return the events they
        complete."""
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
            events += self._step(_Input(ComponentInput.BROKEN, broken,
                                        _condition(broken.condition), broken.message))
        return events

    def send(self, stanza: Message | Presence | Iq) -> list[Event]:
        """Queue ``stanza`` on the ready stream.  It must be in the stream's namespace,
        ``jabber:component:accept``; a component's must carry ``from`` and ``to``
        (XEP-0114 §3).  Returns no events."""
        if not isinstance(stanza, Message | Presence | Iq):
            raise ArgumentTypeError(f"send() takes a message, presence or iq, not "
                                    f"{type(stanza).__name__}")
        if stanza.namespace != COMPONENT:
            raise ArgumentValueError(f"a component stream carries {COMPONENT} stanzas, not "
                                     f"{stanza.namespace} ones: build it with "
                                     "namespace=COMPONENT")
        if self._role is ComponentRole.COMPONENT and (stanza.from_ is None or stanza.to is None):
            raise ArgumentValueError("a stanza a component sends carries both 'from' and "
                                     "'to' (XEP-0114 §3)")
        return self._step(_Input(ComponentInput.SEND, stanza))

    def close(self) -> list[Event]:
        """End the stream: its closing tag is queued, and the session reads on until
        the peer closes its own (then :class:`StreamEnded`)."""
        return self._step(_Input(ComponentInput.CLOSE))

    def data_to_send(self) -> bytes:
        """The bytes queued for the socket since the last call, in order."""
        data = bytes(self._buffer)
        self._buffer.clear()
        return data

    # -- classifying what arrives ------------------------------------------------------------

    def _classify(self, event: object) -> _Input:
        match event:
            case StreamOpened():
                return self._classify_header(event)
            case StreamClosed():
                return _Input(ComponentInput.FOOTER)
            case StanzaReceived(stanza=Handshake() as handshake):
                return self._classify_handshake(handshake)
            case StanzaReceived(stanza=Message() | Presence() | Iq() as stanza):
                return self._classify_stanza(stanza)
            case StanzaReceived(stanza=StreamError() as error):
                text = error.description.text if error.description is not None else None
                return _Input(ComponentInput.STREAM_ERROR, error, error.condition, text)
            case StanzaReceived(element=etree._Element() as raw) | StanzaFailed(
                    element=etree._Element() as raw) if raw.tag == _STREAM_ERROR:
                # A stream error the model could not read is an error all the same.
                return _Input(ComponentInput.STREAM_ERROR, raw,
                              StreamCondition.UNDEFINED_CONDITION)
            case StanzaFailed(element=element) if element is not None \
                    and element.tag == _HANDSHAKE:
                return _Input(ComponentInput.HANDSHAKE_REFUSED, event,
                              *self._bad_handshake("the handshake is not a digest"))
            case StanzaFailed():
                return _Input(ComponentInput.STANZA, event, *self._unexpected())
            case StanzaReceived(stanza=item):
                return _Input(ComponentInput.OTHER, item, *self._unexpected())
        raise AssertionError(f"the stream reader gave {event!r}")  # pragma: no cover

    def _classify_header(self, header: StreamOpened) -> _Input:
        refused = ComponentInput.HEADER_REFUSED
        if header.namespace != COMPONENT:
            return _Input(refused, header, StreamCondition.INVALID_NAMESPACE,
                          f"this is a {COMPONENT} stream, not {header.namespace}")
        if self._role is ComponentRole.COMPONENT:
            stream_id = header.attributes.get("id")
            if not stream_id:
                return _Input(ComponentInput.HEADER_WITHOUT_ID, header)
            return _Input(ComponentInput.HEADER, stream_id)
        domain = header.attributes.get("to", "")
        secret = self._secret_of(domain) if domain else None
        if secret is None:
            return _Input(refused, domain, StreamCondition.HOST_UNKNOWN,
                          f"no component {domain!r} is served here" if domain else
                          "the stream header names no component ('to')")
        connected = self._connected
        if connected(domain) if callable(connected) else domain in connected:
            return _Input(refused, domain, StreamCondition.CONFLICT,
                          f"the component {domain} is connected already")
        return _Input(ComponentInput.HEADER, domain)

    def _secret_of(self, domain: str) -> str | None:
        secrets = self._secrets
        secret = secrets(domain) if callable(secrets) else (secrets or {}).get(domain)
        if secret is not None and not isinstance(secret, str):
            raise ArgumentTypeError(f"the secret of {domain} is a {type(secret).__name__}, "
                                    "not a str")
        return secret

    def _classify_handshake(self, handshake: Handshake) -> _Input:
        if self._role is ComponentRole.COMPONENT:
            if self._state is ComponentState.UNIDENTIFIED:
                return _Input(ComponentInput.HANDSHAKE_REFUSED, handshake, *self._unexpected())
            if handshake.is_acknowledgement:
                return _Input(ComponentInput.HANDSHAKE, handshake)
            return _Input(ComponentInput.HANDSHAKE_REFUSED, handshake,
                          StreamCondition.BAD_FORMAT,
                          "the server's <handshake/> acknowledging ours is empty")
        domain, stream_id = self._domain, self._stream_id
        secret = self._secret_of(domain) if domain is not None else None
        if domain is None or stream_id is None or secret is None:
            return _Input(ComponentInput.HANDSHAKE_REFUSED, handshake,
                          *self._bad_handshake("the component is not known"))
        if not check_handshake(handshake, stream_id, secret):
            return _Input(ComponentInput.HANDSHAKE_REFUSED, handshake,
                          *self._bad_handshake("the handshake does not match the secret"))
        return _Input(ComponentInput.HANDSHAKE, handshake)

    @staticmethod
    def _bad_handshake(text: str) -> tuple[StreamCondition, str]:
        return StreamCondition.NOT_AUTHORIZED, text

    def _unexpected(self) -> tuple[StreamCondition, str]:
        # RFC 6120 §4.9.3.12: anything but the handshake before authentication is
        # not-authorized, from the server; the component finds the server's stream
        # out of order.
        if self._role is ComponentRole.SERVER:
            return StreamCondition.NOT_AUTHORIZED, "the stream is not authenticated yet"
        if self._state is ComponentState.UNIDENTIFIED:
            return StreamCondition.INVALID_XML, "the server's stream header carries no id"
        return StreamCondition.BAD_FORMAT, "an element other than <handshake/> before it"

    def _classify_stanza(self, stanza: Message | Presence | Iq) -> _Input:
        if self._role is ComponentRole.SERVER:
            # XEP-0114 §3: a component's stanzas carry 'from' and 'to', and 'from' is at
            # its own domain.
            if stanza.from_ is None or stanza.to is None:
                return _Input(ComponentInput.MISADDRESSED, stanza,
                              StreamCondition.IMPROPER_ADDRESSING,
                              "a component's stanza carries both 'from' and 'to'")
            if not _at(stanza.from_, self._domain):
                return _Input(ComponentInput.MISADDRESSED, stanza,
                              StreamCondition.INVALID_FROM,
                              f"{stanza.from_} is not at the component's domain "
                              f"{self._domain}")
        return _Input(ComponentInput.STANZA, stanza, *self._unexpected())

    # -- the step: one table lookup, one action ----------------------------------------------

    def _step(self, given: _Input) -> list[Event]:
        action, after = SESSION(self._state, given.kind)
        events = self._ACTIONS[action](self, given)
        self._state = after
        return events

    def _send_handshake(self, given: _Input) -> list[Event]:
        stream_id = str(given.item)
        secret, self._secret = self._secret, None  # not kept once used
        assert secret is not None  # the component holds it until this step
        self._stream_id = stream_id
        self._buffer += self._writer.send(Handshake.of(stream_id, secret))
        return []

    def _answer_header(self, given: _Input) -> list[Event]:
        self._domain = str(given.item)
        self._write_header()
        return []

    def _write_header(self) -> None:
        self._buffer += self._writer.open(from_=self._domain, id=self._stream_id,
                                          namespace=COMPONENT, version=None)

    def _acknowledge(self, given: _Input) -> list[Event]:
        self._buffer += self._writer.send(Handshake())
        return self._authenticated(given)

    def _authenticated(self, given: _Input) -> list[Event]:
        assert self._domain is not None and self._stream_id is not None
        return [Authenticated(self._domain, self._stream_id)]

    def _refuse(self, given: _Input) -> list[Event]:
        condition = given.condition or StreamCondition.UNDEFINED_CONDITION
        return [AuthenticationFailed(condition, given.text), *self._fail(given)]

    def _fail(self, given: _Input) -> list[Event]:
        condition = given.condition or StreamCondition.UNDEFINED_CONDITION
        if self._state is ComponentState.AWAITING_HEADER:
            # RFC 6120 §4.7.1: a stream error about the header still follows a header.
            if isinstance(given.item, str) and given.kind is ComponentInput.HEADER_REFUSED:
                self._domain = given.item or None
            self._write_header()
        self._buffer += self._writer.send(StreamError.of(condition, text=given.text))
        self._buffer += self._writer.close()
        return [StreamEnded(condition, by_peer=False, text=given.text)]

    def _refused(self, given: _Input) -> list[Event]:
        condition = given.condition or StreamCondition.UNDEFINED_CONDITION
        return [AuthenticationFailed(condition, given.text), *self._error_received(given)]

    def _error_received(self, given: _Input) -> list[Event]:
        if self._state is not ComponentState.CLOSING:  # else the closing tag is sent
            self._close_writer()
        return [StreamEnded(given.condition, by_peer=True, text=given.text)]

    def _peer_closed(self, given: _Input) -> list[Event]:
        self._close_writer()
        return [StreamEnded(None, by_peer=True)]

    def _closed(self, given: _Input) -> list[Event]:
        return [StreamEnded(None, by_peer=False)]

    def _close_writer(self) -> None:
        if self._state is ComponentState.AWAITING_HEADER:
            self._write_header()  # a closing tag needs its opening one
        self._buffer += self._writer.close()

    def _deliver(self, given: _Input) -> list[Event]:
        stanza = given.item
        assert isinstance(stanza, Message | Presence | Iq | StanzaFailed)
        return [Received(stanza)]

    def _ignore(self, given: _Input) -> list[Event]:
        return [Ignored(given.item, f"{given.kind.value} is not taken while the stream is "
                                    f"{self._state.value}")]

    def _nothing(self, given: _Input) -> list[Event]:
        return []

    def _broken(self, given: _Input) -> list[Event]:
        # The closing tag is written: no stream error can follow it.
        return [StreamEnded(given.condition, by_peer=False, text=given.text)]

    def _write(self, given: _Input) -> list[Event]:
        self._buffer += self._writer.send(given.item)
        return []

    def _close(self, given: _Input) -> list[Event]:
        self._close_writer()
        return []

    _ACTIONS: Final[Mapping[_Act, Callable[[ComponentSession, _Input], list[Event]]]] = {
        _Act.SEND_HANDSHAKE: _send_handshake,
        _Act.ANSWER_HEADER: _answer_header,
        _Act.ACKNOWLEDGE: _acknowledge,
        _Act.AUTHENTICATED: _authenticated,
        _Act.REFUSE: _refuse,
        _Act.FAIL: _fail,
        _Act.REFUSED: _refused,
        _Act.ERROR_RECEIVED: _error_received,
        _Act.PEER_CLOSED: _peer_closed,
        _Act.CLOSED: _closed,
        _Act.DELIVER: _deliver,
        _Act.IGNORE: _ignore,
        _Act.NOTHING: _nothing,
        _Act.BROKEN: _broken,
        _Act.WRITE: _write,
        _Act.CLOSE: _close,
    }

    def __repr__(self) -> str:
        return (f"<ComponentSession {self._role.value} {self._domain or '?'} "
                f"{self._state.value}>")


_STREAM_ERROR: Final = f"{{{STREAMS}}}error"
_HANDSHAKE: Final = f"{{{COMPONENT}}}handshake"


def _condition(name: str) -> StreamCondition:
    try:
        return StreamCondition(name)
    except ValueError:
        return StreamCondition.UNDEFINED_CONDITION


def _at(address: JID, domain: str | None) -> bool:
    return domain is not None and address.domain == JID.parse(domain).domain


def _text(value: object, name: str, *, nonempty: bool = False) -> None:
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{name} must be a str, not {type(value).__name__}")
    if nonempty and not value:
        raise ArgumentValueError(f"{name} must not be empty")
