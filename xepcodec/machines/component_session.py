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
The plumbing and the end of the stream are shared with the zero-handshake session
(:class:`~xepcodec.machines.wire.WireSession`); the handshake and its checks are here.

There is no snapshot: the session is the state of one live connection, which does
not survive the process (a component reconnects and authenticates anew).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Final

from xepcodec.core.namespaces import COMPONENT
from xepcodec.core.stanzas import Iq, Message, Presence
from xepcodec.core.streams import StreamCondition
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError
from xepcodec.machines.base import Event, Transitions
from xepcodec.machines.wire import (
    WireAction,
    WireInput,
    WireSession,
    WireTerms,
    peer_ending,
    wind_down,
)
from xepcodec.protocols.component import Handshake, check_handshake
from xepcodec.xml import DEFAULT_LIMITS, Limits, StanzaFailed, StanzaReceived, StreamOpened

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
    """The component session's own actions, besides the shared :class:`WireAction`."""

    SEND_HANDSHAKE = "send the handshake"
    ANSWER_HEADER = "answer with the server's header"
    ACKNOWLEDGE = "acknowledge the handshake"
    AUTHENTICATED = "report the component authenticated"
    REFUSE = "send a stream error during negotiation and end the stream"
    REFUSED = "report the peer's stream error during negotiation"


_C, _I, _A, _W = ComponentState, ComponentInput, _Act, WireAction
_Row = tuple[_Act | WireAction, ComponentState]
_WIRE: Final = WireTerms(
    "stream", closing=_C.CLOSING, ended=_C.ENDED, closed=_C.CLOSED,
    stream_error=_I.STREAM_ERROR, footer=_I.FOOTER, broken=_I.BROKEN, close=_I.CLOSE,
    received=Received, stream_ended=StreamEnded)
# The rows every open state shares: the peer's stream error and closing tag, broken
# bytes, and the caller closing.
_OPEN: Final = {**peer_ending(_WIRE), _I.CLOSE: (_W.CLOSE, _C.CLOSING)}
# Before the handshake succeeded, a stream error or anything unexpected is a failed
# authentication.
_NEGOTIATING: Final[dict[ComponentInput, _Row]] = {
    **_OPEN,
    _I.STREAM_ERROR: (_A.REFUSED, _C.ENDED),
    _I.BROKEN: (_A.REFUSE, _C.ENDED),
    _I.STANZA: (_A.REFUSE, _C.ENDED),
    _I.MISADDRESSED: (_A.REFUSE, _C.ENDED),
    _I.OTHER: (_A.REFUSE, _C.ENDED),
}

# What the peer may still send once the stream is ending (its header among it, when this
# side closed before the header came), in the order the rows list it.
_ARRIVALS: Final = (_I.HEADER, _I.HEADER_REFUSED, _I.HEADER_WITHOUT_ID, _I.STANZA,
                    _I.MISADDRESSED, _I.HANDSHAKE, _I.HANDSHAKE_REFUSED, _I.OTHER)

#: (state, input) -> (action, next state), for both roles.
SESSION: Final = Transitions[ComponentState, ComponentInput, _Row](
    "component session", {
        # The component.
        **{(_C.CONNECTING, i): row for i, row in _NEGOTIATING.items()},
        (_C.CONNECTING, _I.HEADER): (_A.SEND_HANDSHAKE, _C.HANDSHAKING),
        (_C.CONNECTING, _I.HEADER_REFUSED): (_A.REFUSE, _C.ENDED),
        (_C.CONNECTING, _I.HEADER_WITHOUT_ID): (_W.NOTHING, _C.UNIDENTIFIED),
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
        (_C.READY, _I.STANZA): (_W.DELIVER, _C.READY),
        (_C.READY, _I.MISADDRESSED): (_W.FAIL, _C.ENDED),
        (_C.READY, _I.HANDSHAKE): (_W.IGNORE, _C.READY),
        (_C.READY, _I.HANDSHAKE_REFUSED): (_W.IGNORE, _C.READY),
        (_C.READY, _I.OTHER): (_W.IGNORE, _C.READY),
        (_C.READY, _I.SEND): (_W.WRITE, _C.READY),
        # Closing (this side closed) and ended, as on any stream.
        **wind_down(_WIRE, _ARRIVALS, stanza=_I.STANZA),
    })

# The inputs' type, for annotations: inputs are built with WireInput itself (calling the
# subscripted alias costs a microsecond an input).
_Input = WireInput[ComponentInput]


# -- the session ----------------------------------------------------------------------------


class ComponentSession(WireSession[ComponentState, ComponentInput]):
    """One component stream, from the component's end (:meth:`connect`) or the
    server's (:meth:`accept`).  See the module documentation."""

    __slots__ = ("_connected", "_domain", "_role", "_secret", "_secrets", "_stream_id")
    _TERMS = _WIRE
    _TABLE = SESSION

    def __init__(self, role: ComponentRole, state: ComponentState, *, domain: str | None,
                 secret: str | None, stream_id: str | None, secrets: Secrets | None,
                 connected: Connected, limits: Limits) -> None:
        # Reached through connect() and accept(), which check their arguments.
        super().__init__(state, limits=limits)
        self._role = role
        self._domain = domain
        self._secret = secret
        self._stream_id = stream_id
        self._secrets = secrets
        self._connected = connected

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
    def domain(self) -> str | None:
        """The component's domain (on the server, once its header has arrived)."""
        return self._domain

    @property
    def stream_id(self) -> str | None:
        """The stream id (on the component, once the server's header has arrived)."""
        return self._stream_id

    # -- the two ways in (receive_data() and close() are the wire session's) ---------------

    def send(self, stanza: Message | Presence | Iq) -> list[Event]:
        """Queue ``stanza`` on the ready stream.  It must be in the stream's namespace,
        ``jabber:component:accept``; a component's must carry ``from`` and ``to``
        (XEP-0114 §3).  Returns no events."""
        self._check_sendable(stanza, on="a component stream", namespace=COMPONENT,
                             constant="COMPONENT")
        if self._role is ComponentRole.COMPONENT and (stanza.from_ is None or stanza.to is None):
            raise ArgumentValueError("a stanza a component sends carries both 'from' and "
                                     "'to' (XEP-0114 §3)")
        return self._step(WireInput(ComponentInput.SEND, stanza))

    # -- classifying what arrives ------------------------------------------------------------

    def _classify_arrival(self, event: object) -> _Input:
        match event:
            case StreamOpened():
                return self._classify_header(event)
            case StanzaReceived(stanza=Handshake() as handshake):
                return self._classify_handshake(handshake)
            case StanzaReceived(stanza=Message() | Presence() | Iq() as stanza):
                return self._classify_stanza(stanza)
            case StanzaFailed(element=element) if element is not None \
                    and element.tag == _HANDSHAKE:
                return WireInput(ComponentInput.HANDSHAKE_REFUSED, event,
                                 *self._bad_handshake("the handshake is not a digest"))
            case StanzaFailed():
                return WireInput(ComponentInput.STANZA, event, *self._unexpected())
            case StanzaReceived(stanza=item):
                return WireInput(ComponentInput.OTHER, item, *self._unexpected())
        raise AssertionError(f"the stream reader gave {event!r}")  # pragma: no cover

    def _classify_header(self, header: StreamOpened) -> _Input:
        refused = ComponentInput.HEADER_REFUSED
        if header.namespace != COMPONENT:
            return WireInput(refused, header, StreamCondition.INVALID_NAMESPACE,
                             f"this is a {COMPONENT} stream, not {header.namespace}")
        if self._role is ComponentRole.COMPONENT:
            stream_id = header.attributes.get("id")
            if not stream_id:
                return WireInput(ComponentInput.HEADER_WITHOUT_ID, header)
            return WireInput(ComponentInput.HEADER, stream_id)
        domain = header.attributes.get("to", "")
        secret = self._secret_of(domain) if domain else None
        if secret is None:
            return WireInput(refused, domain, StreamCondition.HOST_UNKNOWN,
                             f"no component {domain!r} is served here" if domain else
                             "the stream header names no component ('to')")
        connected = self._connected
        if connected(domain) if callable(connected) else domain in connected:
            return WireInput(refused, domain, StreamCondition.CONFLICT,
                             f"the component {domain} is connected already")
        return WireInput(ComponentInput.HEADER, domain)

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
                return WireInput(ComponentInput.HANDSHAKE_REFUSED, handshake, *self._unexpected())
            if handshake.is_acknowledgement:
                return WireInput(ComponentInput.HANDSHAKE, handshake)
            return WireInput(ComponentInput.HANDSHAKE_REFUSED, handshake,
                             StreamCondition.BAD_FORMAT,
                             "the server's <handshake/> acknowledging ours is empty")
        domain, stream_id = self._domain, self._stream_id
        secret = self._secret_of(domain) if domain is not None else None
        if domain is None or stream_id is None or secret is None:
            return WireInput(ComponentInput.HANDSHAKE_REFUSED, handshake,
                             *self._bad_handshake("the component is not known"))
        if not check_handshake(handshake, stream_id, secret):
            return WireInput(ComponentInput.HANDSHAKE_REFUSED, handshake,
                             *self._bad_handshake("the handshake does not match the secret"))
        return WireInput(ComponentInput.HANDSHAKE, handshake)

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
                return WireInput(ComponentInput.MISADDRESSED, stanza,
                                 StreamCondition.IMPROPER_ADDRESSING,
                                 "a component's stanza carries both 'from' and 'to'")
            if not _at(stanza.from_, self._domain):
                return WireInput(ComponentInput.MISADDRESSED, stanza,
                                 StreamCondition.INVALID_FROM,
                                 f"{stanza.from_} is not at the component's domain "
                                 f"{self._domain}")
        return WireInput(ComponentInput.STANZA, stanza, *self._unexpected())

    # -- the component's own actions (the shared ones are the wire session's) -----------------

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

    def _header_owed(self, given: _Input) -> None:
        # RFC 6120 §4.7.1: the server answers even a header it refuses with its own, and
        # a closing tag needs its opening one.
        if self._state is ComponentState.AWAITING_HEADER:
            if isinstance(given.item, str) and given.kind is ComponentInput.HEADER_REFUSED:
                self._domain = given.item or None
            self._write_header()

    def _acknowledge(self, given: _Input) -> list[Event]:
        self._buffer += self._writer.send(Handshake())
        return self._authenticated(given)

    def _authenticated(self, given: _Input) -> list[Event]:
        assert self._domain is not None and self._stream_id is not None
        return [Authenticated(self._domain, self._stream_id)]

    def _refuse(self, given: _Input) -> list[Event]:
        condition = given.condition or StreamCondition.UNDEFINED_CONDITION
        return [AuthenticationFailed(condition, given.text), *self._fail(given)]

    def _refused(self, given: _Input) -> list[Event]:
        condition = given.condition or StreamCondition.UNDEFINED_CONDITION
        return [AuthenticationFailed(condition, given.text), *self._error_received(given)]

    _ACTIONS: ClassVar[Mapping[enum.Enum, Callable[[ComponentSession, _Input], list[Event]]]] = {
        **WireSession._ACTIONS,
        _Act.SEND_HANDSHAKE: _send_handshake,
        _Act.ANSWER_HEADER: _answer_header,
        _Act.ACKNOWLEDGE: _acknowledge,
        _Act.AUTHENTICATED: _authenticated,
        _Act.REFUSE: _refuse,
        _Act.REFUSED: _refused,
    }

    def __repr__(self) -> str:
        return (f"<ComponentSession {self._role.value} {self._domain or '?'} "
                f"{self._state.value}>")


_HANDSHAKE: Final = f"{{{COMPONENT}}}handshake"


def _at(address: JID, domain: str | None) -> bool:
    return domain is not None and address.domain == JID.parse(domain).domain


def _text(value: object, name: str, *, nonempty: bool = False) -> None:
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{name} must be a str, not {type(value).__name__}")
    if nonempty and not value:
        raise ArgumentValueError(f"{name} must not be empty")
