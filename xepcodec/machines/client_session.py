"""A client's XMPP session (RFC 6120), sans-IO: bytes in, events and bytes out.

The session owns its stream reader and writer.  The caller moves bytes and reacts to
events::

    session = ClientSession("juliet@example.org", password=secret, random=os.urandom,
                            resource="balcony")
    session.start()
    sock.sendall(session.data_to_send())
    while True:
        for event in session.receive_data(sock.recv(65536)):
            match event:
                case WrapTransport():
                    sock = context.wrap_socket(sock, server_hostname="example.org")
                    session.tls_established()
                case Ready(jid=jid): ...                      # send(), stanzas arrive
                case Received(stanza=stanza): ...
                case SessionFailed(reason=why): ...            # then Closed
                case Closed(): ...
        sock.sendall(session.data_to_send())

The flow: the stream header, the features, STARTTLS (:class:`WrapTransport` asks the
caller to run the TLS handshake, :meth:`ClientSession.tls_established` says it is done,
and the stream restarts), SASL (SCRAM-SHA-256, SCRAM-SHA-1, or PLAIN where allowed; see
:mod:`xepcodec.sasl`), a restart, resource binding, the legacy session when the server
still requires it, XEP-0198 stream management when asked for and offered, and
:class:`Ready`.  From then on :meth:`ClientSession.send` writes stanzas and each stanza
that arrives is a :class:`Received` event; with stream management on, inbound stanzas
are counted (``<r/>`` is answered), outbound ones are kept until acknowledged
(:class:`Acked`), and :meth:`ClientSession.request_ack` asks for an acknowledgement.

The machine follows ``docs/machines.md``, but as it is the transport's end rather
than one more service behind an address, it writes its own bytes
(:meth:`ClientSession.data_to_send`) instead of returning
:class:`~xepcodec.machines.base.Send` events, it is not routable (a
:class:`~xepcodec.machines.router.Router` sits on top of it, fed with the stanzas of
its :class:`Received` events), and it has no snapshot: a session lives and dies with
its connection.  What outlives a broken connection is the XEP-0198
:meth:`ClientSession.resumption`, handed to a new session as ``resume=``: the new
session resumes the old one after SASL (:class:`SessionResumed`, the unacknowledged
stanzas written again) or, when the server cannot, binds a new one
(:class:`ResumptionFailed`, with the stanzas that may be lost).

Every failure is an event deriving from :class:`SessionFailed`, followed by
:class:`Closed` once the stream is over: the server's SASL ``<failure/>`` and a server
that did not prove it knows the password (:class:`AuthenticationFailed`), a server
that does not offer what the session needs (:class:`NegotiationFailed`), the server's
stream error (:class:`StreamErrorReceived`), and what the session refused with a
stream error of its own (:class:`StreamRefused`).  The password is kept only until the
SASL mechanism is built, and the mechanism keeps it only until it has used it.
"""

from __future__ import annotations

import base64
import enum
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from lxml import etree

from xepcodec.api import StreamReader, StreamWriter
from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanzas import Iq, IqType, Message, Presence
from xepcodec.core.streams import StreamCondition, StreamError
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ProtocolError
from xepcodec.machines.base import Event, IdCounter, Ignored, Transitions, as_jid
from xepcodec.protocols.bind import Bind, bind_request
from xepcodec.protocols.sasl import (
    Abort,
    Auth,
    Challenge,
    Response,
    SaslFailure,
    Success,
)
from xepcodec.protocols.session import Session
from xepcodec.protocols.starttls import Proceed, StartTls, TlsFailure
from xepcodec.protocols.stream_features import StreamFeatures
from xepcodec.protocols.stream_management import (
    A,
    Enable,
    Enabled,
    Failed,
    R,
    Resume,
    Resumed,
    h_add,
    h_since,
)
from xepcodec.sasl import (
    MECHANISMS,
    Mechanism,
    SaslError,
    check_preference,
    choose_mechanism,
    client_mechanism,
)
from xepcodec.xml.stream import (
    BrokenStreamError,
    StanzaFailed,
    StanzaReceived,
    StreamClosed,
    StreamOpened,
)

__all__ = [
    "Acked",
    "Authenticated",
    "AuthenticationFailed",
    "ClientSession",
    "ClientSessionEvent",
    "Closed",
    "NegotiationFailed",
    "PlainPolicy",
    "Ready",
    "Received",
    "Resumption",
    "ResumptionFailed",
    "SessionFailed",
    "SessionInput",
    "SessionResumed",
    "SessionState",
    "StanzaUnreadable",
    "StreamErrorReceived",
    "StreamManagementEnabled",
    "StreamManagementRefused",
    "StreamRefused",
    "TlsPolicy",
    "WrapTransport",
]

# -- policies -------------------------------------------------------------------------------


class TlsPolicy(enum.StrEnum):
    """Whether the session runs STARTTLS."""

    #: run STARTTLS; a server that does not offer it is a failure
    REQUIRED = "required"
    #: run STARTTLS when the server offers it
    IF_OFFERED = "if-offered"
    #: the transport is TLS already (XEP-0368 direct TLS): no STARTTLS
    DIRECT = "direct"
    #: never run STARTTLS (a test server on loopback); a server requiring it is a failure
    NEVER = "never"


class PlainPolicy(enum.StrEnum):
    """When the session may authenticate with PLAIN, which sends the password itself
    (the SCRAM mechanisms are always preferred)."""

    NEVER = "never"
    #: only over TLS, from STARTTLS or :attr:`TlsPolicy.DIRECT`
    OVER_TLS = "over-tls"
    #: even in the clear (a test server on loopback)
    ALWAYS = "always"


# -- events ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientSessionEvent(Event):
    """The base of the events of :class:`ClientSession`."""


@dataclass(frozen=True, slots=True)
class WrapTransport(ClientSessionEvent):
    """The server agreed to STARTTLS: run the TLS handshake on the transport (nothing
    is to be read or written in the clear any more), then call
    :meth:`ClientSession.tls_established`."""


@dataclass(frozen=True, slots=True)
class Authenticated(ClientSessionEvent):
    """SASL succeeded with ``mechanism`` (and, for SCRAM, the server proved itself)."""

    mechanism: str


@dataclass(frozen=True, slots=True)
class StreamManagementEnabled(ClientSessionEvent):
    """XEP-0198 is on: stanzas are counted and acknowledged from now on."""

    enabled: Enabled


@dataclass(frozen=True, slots=True)
class StreamManagementRefused(ClientSessionEvent):
    """The server refused to enable XEP-0198; the session goes on without it."""

    failed: Failed


@dataclass(frozen=True, slots=True)
class SessionResumed(ClientSessionEvent):
    """XEP-0198 resumed the earlier session: ``acked`` are the stanzas of the old
    stream the server had handled, ``resent`` the others, written again."""

    acked: tuple[Any, ...]
    resent: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ResumptionFailed(ClientSessionEvent):
    """The earlier session could not be resumed (``failed`` is the server's refusal;
    None when it no longer offers stream management): a new session is bound instead,
    and ``unacked`` are the stanzas of the old stream that may never have arrived,
    for the caller to send again or give up."""

    failed: Failed | None
    unacked: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Ready(ClientSessionEvent):
    """The session is established as ``jid``: :meth:`ClientSession.send` may be used."""

    jid: JID


@dataclass(frozen=True, slots=True)
class Received(ClientSessionEvent):
    """A stanza (or another top-level element the session does not handle itself)."""

    stanza: Any


@dataclass(frozen=True, slots=True)
class StanzaUnreadable(ClientSessionEvent):
    """A stanza the reader refused with a stanza-level condition; answer it with
    ``error_reply(failed)`` unless it is itself an error or a result."""

    failed: StanzaFailed


@dataclass(frozen=True, slots=True)
class Acked(ClientSessionEvent):
    """The server acknowledged ``stanzas`` (oldest first); ``h`` is its count."""

    h: int
    stanzas: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Closed(ClientSessionEvent):
    """The stream is over on both sides: close the transport."""


@dataclass(frozen=True, slots=True)
class SessionFailed(ClientSessionEvent):
    """The base of the failures; the session closes after any of them."""

    reason: str


@dataclass(frozen=True, slots=True)
class AuthenticationFailed(SessionFailed):
    """SASL failed: the server's ``<failure/>`` (its ``condition`` and ``text``), or
    the mechanism refused what the server sent (a wrong server signature…)."""

    condition: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class NegotiationFailed(SessionFailed):
    """The server does not offer what the session needs (TLS, a usable mechanism,
    binding) or refused it (STARTTLS, binding, the legacy session); ``stanza`` is the
    server's refusal, when there is one."""

    stanza: Any = None


@dataclass(frozen=True, slots=True)
class StreamErrorReceived(SessionFailed):
    """The server ended the stream with ``error``."""

    error: StreamError | None = None


@dataclass(frozen=True, slots=True)
class StreamRefused(SessionFailed):
    """The session ended the stream with a stream error of ``condition``: the server
    sent what cannot be read or is out of place."""

    condition: str = StreamCondition.UNDEFINED_CONDITION


# -- the table ------------------------------------------------------------------------------


class SessionState(enum.StrEnum):
    """Where the session stands."""

    IDLE = "idle"
    #: our header is sent; the server's is awaited, then its features
    OPENING = "opening"
    NEGOTIATING = "negotiating"
    #: <starttls/> is sent
    STARTING_TLS = "starting-tls"
    #: the caller runs the TLS handshake
    WRAPPING = "wrapping"
    OPENING_SECURED = "opening-secured"
    NEGOTIATING_SECURED = "negotiating-secured"
    #: <auth/> is sent; challenges are answered
    AUTHENTICATING = "authenticating"
    OPENING_AUTHENTICATED = "opening-authenticated"
    NEGOTIATING_AUTHENTICATED = "negotiating-authenticated"
    #: <resume/> is sent
    RESUMING = "resuming"
    BINDING = "binding"
    #: the legacy session iq is sent
    STARTING_SESSION = "starting-session"
    #: <enable/> is sent
    ENABLING = "enabling"
    READY = "ready"
    #: ready, with XEP-0198 on
    MANAGED = "managed"
    #: our </stream:stream> is sent; the server's is awaited
    CLOSING = "closing"
    CLOSED = "closed"


class SessionInput(enum.Enum):
    START = "start()"
    DATA = "receive_data()"
    TLS_ESTABLISHED = "tls_established()"
    SEND = "send()"
    REQUEST_ACK = "request_ack()"
    CLOSE = "close()"
    HEADER = "the server's stream header"
    BAD_HEADER = "a stream header of another namespace or version"
    OFFER_TLS = "features with STARTTLS to run"
    OFFER_SASL = "features with a usable SASL mechanism"
    OFFER_BIND = "features with resource binding"
    OFFER_RESUME = "features with stream management, a session to resume"
    OFFER_BIND_ONLY = "features with resource binding, without the stream management " \
        "a session to resume needs"
    UNUSABLE = "features without what the session needs"
    PROCEED = "<proceed/>"
    TLS_FAILURE = "the TLS <failure/>"
    CHALLENGE = "a <challenge/> the mechanism answers"
    MECHANISM_ERROR = "a <challenge/> the mechanism refuses"
    SUCCESS = "a <success/> the mechanism accepts"
    SUCCESS_UNVERIFIED = "a <success/> the mechanism refuses (the server did not prove itself)"
    SASL_FAILURE = "the SASL <failure/>"
    BOUND = "the result of binding"
    BOUND_THEN_SESSION = "the result of binding, the legacy session required"
    BOUND_THEN_ENABLE = "the result of binding, stream management to enable"
    SESSION_STARTED = "the result of the legacy session"
    SESSION_STARTED_THEN_ENABLE = "the result of the legacy session, stream management " \
        "to enable"
    REFUSED = "an error answering binding or the legacy session"
    ENABLED = "<enabled/>"
    SM_FAILED = "the stream management <failed/>"
    RESUMED = "<resumed/>"
    RESUMED_TOO_HIGH = "<resumed/> acknowledging more than was sent"
    ACK_REQUEST = "<r/>"
    ACK = "<a/>"
    ACK_TOO_HIGH = "<a/> acknowledging more than was sent"
    STANZA = "a stanza"
    UNREADABLE = "a stanza the reader refused"
    STREAM_ERROR = "a stream error"
    STREAM_CLOSED = "</stream:stream>"
    MALFORMED = "bytes that are no XMPP stream"


class SessionAction(enum.Enum):
    NOTHING = "nothing"
    IGNORE = "ignore what arrived"
    OPEN = "write the stream header"
    STARTTLS = "send <starttls/>"
    WRAP = "restart the reader, ask the caller to wrap the transport"
    AUTH = "choose a mechanism, send <auth/>"
    RESPOND = "send <response/>"
    RESTART = "restart the stream, authenticated"
    BIND = "send the bind iq"
    BIND_INSTEAD = "report the resumption failed, send the bind iq"
    RESUME = "send <resume/>"
    RESUMED = "drop what was acknowledged, resend the rest, report the session resumed"
    SESSION = "send the legacy session iq"
    ENABLE = "send <enable/>"
    READY = "report the session ready"
    MANAGED = "report stream management on and the session ready"
    UNMANAGED = "report stream management refused and the session ready"
    DELIVER = "report the stanza"
    DELIVER_COUNTED = "count the stanza, report it"
    UNREADABLE = "report the refused stanza"
    UNREADABLE_COUNTED = "count the refused stanza, report it"
    WRITE = "write a stanza"
    WRITE_COUNTED = "write a stanza, keep it until acknowledged"
    ANSWER_ACK = "send <a/>"
    TAKE_ACK = "drop what was acknowledged, report it"
    REQUEST_ACK = "send <r/>"
    FAIL = "report the failure, close the stream"
    ABORT = "report the failure, send <abort/>, close the stream"
    STREAM_ERROR = "report the server's stream error, close the stream"
    REFUSE = "send a stream error, close the stream"
    CLOSE = "close the stream"
    PEER_CLOSED = "close the stream, report it closed"
    FINISH = "report the stream closed"


_S, _I, _A = SessionState, SessionInput, SessionAction
#: The inputs that are the caller's calls; the others are what the server sent.
_CALLS: Final = frozenset({_I.START, _I.DATA, _I.TLS_ESTABLISHED, _I.SEND, _I.REQUEST_ACK,
                           _I.CLOSE})
#: Our stream is open (closing it is allowed)...
_OPEN_STATES: Final = frozenset(set(SessionState) - {_S.IDLE, _S.CLOSING, _S.CLOSED})
#: ... and bytes are read (not while the caller wraps the transport in TLS)...
_READING: Final = _OPEN_STATES - {_S.WRAPPING}
#: ... and the server's stream is open too (its header came).
_STREAMING: Final = _READING - {_S.OPENING, _S.OPENING_SECURED, _S.OPENING_AUTHENTICATED}
#: Where a stanza is not for the session, which is still negotiating: ignored.
_NEGOTIATION: Final = _STREAMING - {_S.ENABLING, _S.READY, _S.MANAGED}

TRANSITIONS: Final = Transitions[SessionState, SessionInput,
                                 "tuple[SessionAction, SessionState]"]("client session", {
    (_S.IDLE, _I.START): (_A.OPEN, _S.OPENING),
    # The stream opens (at first, after TLS, after SASL); its features say what next.
    (_S.OPENING, _I.HEADER): (_A.NOTHING, _S.NEGOTIATING),
    (_S.NEGOTIATING, _I.OFFER_TLS): (_A.STARTTLS, _S.STARTING_TLS),
    (_S.NEGOTIATING, _I.OFFER_SASL): (_A.AUTH, _S.AUTHENTICATING),
    (_S.STARTING_TLS, _I.PROCEED): (_A.WRAP, _S.WRAPPING),
    (_S.STARTING_TLS, _I.TLS_FAILURE): (_A.FAIL, _S.CLOSING),
    (_S.WRAPPING, _I.TLS_ESTABLISHED): (_A.OPEN, _S.OPENING_SECURED),
    (_S.OPENING_SECURED, _I.HEADER): (_A.NOTHING, _S.NEGOTIATING_SECURED),
    (_S.NEGOTIATING_SECURED, _I.OFFER_SASL): (_A.AUTH, _S.AUTHENTICATING),
    (_S.AUTHENTICATING, _I.CHALLENGE): (_A.RESPOND, _S.AUTHENTICATING),
    (_S.AUTHENTICATING, _I.SUCCESS): (_A.RESTART, _S.OPENING_AUTHENTICATED),
    (_S.AUTHENTICATING, _I.SASL_FAILURE): (_A.FAIL, _S.CLOSING),
    (_S.AUTHENTICATING, _I.MECHANISM_ERROR): (_A.ABORT, _S.CLOSING),
    # The server says the client is in, yet never proved it knows the password: the
    # exchange is over, so there is nothing to abort, only the stream to end.
    (_S.AUTHENTICATING, _I.SUCCESS_UNVERIFIED): (_A.FAIL, _S.CLOSING),
    (_S.OPENING_AUTHENTICATED, _I.HEADER): (_A.NOTHING, _S.NEGOTIATING_AUTHENTICATED),
    (_S.NEGOTIATING_AUTHENTICATED, _I.OFFER_BIND): (_A.BIND, _S.BINDING),
    # XEP-0198 resumption, when a session to resume was handed in: a new one is bound
    # when it cannot be done.
    (_S.NEGOTIATING_AUTHENTICATED, _I.OFFER_RESUME): (_A.RESUME, _S.RESUMING),
    (_S.NEGOTIATING_AUTHENTICATED, _I.OFFER_BIND_ONLY): (_A.BIND_INSTEAD, _S.BINDING),
    (_S.RESUMING, _I.RESUMED): (_A.RESUMED, _S.MANAGED),
    (_S.RESUMING, _I.RESUMED_TOO_HIGH): (_A.REFUSE, _S.CLOSED),
    (_S.RESUMING, _I.SM_FAILED): (_A.BIND_INSTEAD, _S.BINDING),
    # Binding, then the legacy session if required, then stream management if wanted.
    (_S.BINDING, _I.BOUND): (_A.READY, _S.READY),
    (_S.BINDING, _I.BOUND_THEN_SESSION): (_A.SESSION, _S.STARTING_SESSION),
    (_S.BINDING, _I.BOUND_THEN_ENABLE): (_A.ENABLE, _S.ENABLING),
    (_S.BINDING, _I.REFUSED): (_A.FAIL, _S.CLOSING),
    (_S.STARTING_SESSION, _I.SESSION_STARTED): (_A.READY, _S.READY),
    (_S.STARTING_SESSION, _I.SESSION_STARTED_THEN_ENABLE): (_A.ENABLE, _S.ENABLING),
    (_S.STARTING_SESSION, _I.REFUSED): (_A.FAIL, _S.CLOSING),
    (_S.ENABLING, _I.ENABLED): (_A.MANAGED, _S.MANAGED),
    (_S.ENABLING, _I.SM_FAILED): (_A.UNMANAGED, _S.READY),
    # Ready.
    (_S.READY, _I.SEND): (_A.WRITE, _S.READY),
    (_S.READY, _I.STANZA): (_A.DELIVER, _S.READY),
    (_S.READY, _I.UNREADABLE): (_A.UNREADABLE, _S.READY),
    (_S.MANAGED, _I.SEND): (_A.WRITE_COUNTED, _S.MANAGED),
    (_S.MANAGED, _I.STANZA): (_A.DELIVER_COUNTED, _S.MANAGED),
    (_S.MANAGED, _I.UNREADABLE): (_A.UNREADABLE_COUNTED, _S.MANAGED),
    (_S.MANAGED, _I.ACK_REQUEST): (_A.ANSWER_ACK, _S.MANAGED),
    (_S.MANAGED, _I.ACK): (_A.TAKE_ACK, _S.MANAGED),
    (_S.MANAGED, _I.ACK_TOO_HIGH): (_A.REFUSE, _S.CLOSED),
    (_S.MANAGED, _I.REQUEST_ACK): (_A.REQUEST_ACK, _S.MANAGED),
    # Features without what the session needs, and a header it cannot take.
    **{(state, _I.UNUSABLE): (_A.FAIL, _S.CLOSING)
       for state in (_S.NEGOTIATING, _S.NEGOTIATING_SECURED, _S.NEGOTIATING_AUTHENTICATED)},
    **{(state, _I.BAD_HEADER): (_A.REFUSE, _S.CLOSED)
       for state in (_S.OPENING, _S.OPENING_SECURED, _S.OPENING_AUTHENTICATED)},
    # Stanzas while negotiating are not for the session (the server should not send
    # any); the stanzas of the server before <enabled/> are not counted.
    **{(state, _I.STANZA): (_A.IGNORE, state) for state in _NEGOTIATION},
    **{(state, _I.UNREADABLE): (_A.IGNORE, state) for state in _NEGOTIATION},
    (_S.ENABLING, _I.STANZA): (_A.DELIVER, _S.ENABLING),
    (_S.ENABLING, _I.UNREADABLE): (_A.UNREADABLE, _S.ENABLING),
    # Anywhere on an open stream.
    **{(state, _I.CLOSE): (_A.CLOSE, _S.CLOSING) for state in _OPEN_STATES},
    **{(state, _I.DATA): (_A.NOTHING, state) for state in _READING},
    **{(state, _I.MALFORMED): (_A.REFUSE, _S.CLOSED) for state in _READING},
    **{(state, _I.STREAM_ERROR): (_A.STREAM_ERROR, _S.CLOSED) for state in _STREAMING},
    **{(state, _I.STREAM_CLOSED): (_A.PEER_CLOSED, _S.CLOSED) for state in _STREAMING},
    # Closing: what the server still sends is reported or dropped until its end.
    (_S.CLOSING, _I.DATA): (_A.NOTHING, _S.CLOSING),
    (_S.CLOSING, _I.STANZA): (_A.DELIVER, _S.CLOSING),
    (_S.CLOSING, _I.STREAM_CLOSED): (_A.FINISH, _S.CLOSED),
    (_S.CLOSING, _I.STREAM_ERROR): (_A.STREAM_ERROR, _S.CLOSED),
    (_S.CLOSING, _I.MALFORMED): (_A.FINISH, _S.CLOSED),
    **{(_S.CLOSING, kind): (_A.IGNORE, _S.CLOSING) for kind in SessionInput
       if kind not in _CALLS and kind not in
       (_I.STANZA, _I.STREAM_ERROR, _I.STREAM_CLOSED, _I.MALFORMED)},
})


# -- what the session remembers -------------------------------------------------------------


@dataclass(slots=True)
class Acks:
    """XEP-0198's counts while stream management is on."""

    #: stanzas handled from the server (the ``h`` this side reports)
    handled: int = 0
    #: the server's last count of the stanzas it handled from this side
    acknowledged: int = 0
    #: stanzas sent and not yet acknowledged, oldest first
    unacked: deque[Any] = field(default_factory=deque)
    #: the server's answer turning stream management on (None: resumed)
    enabled: Enabled | None = None
    #: the session id to resume with, when the server allows resumption
    resume_id: str | None = None
    location: str | None = None


@dataclass(frozen=True, slots=True)
class Resumption:
    """What a new session needs to resume a broken one (XEP-0198 §5): the server's
    session id, the count of stanzas handled from the server, the server's last count
    of this side's stanzas and those sent since, and the full JID.  ``location`` is
    where the server asked to be reconnected to, if it did."""

    previd: str
    handled: int
    acknowledged: int
    unacked: tuple[Any, ...]
    jid: JID
    location: str | None = None


@dataclass(frozen=True, slots=True)
class _Arrival:
    """What arrived, with what the action needs of it."""

    stanza: Any = None
    reason: str = ""
    condition: str = StreamCondition.UNDEFINED_CONDITION


_STANZA_NAMES: Final = frozenset({"message", "presence", "iq"})


def _is_stanza(value: object) -> bool:
    """Whether XEP-0198 counts ``value``: a message, presence or iq, typed, refused by
    the reader, or an lxml element."""
    if isinstance(value, Message | Presence | Iq):
        return True
    element = value.element if isinstance(value, StanzaFailed) else value
    return isinstance(element, etree._Element) and isinstance(element.tag, str) \
        and etree.QName(element).localname in _STANZA_NAMES


class ClientSession:
    """One client session over one connection (see the module documentation).

    ``jid`` is the account (its localpart the SASL username, its domain the server);
    ``password`` is kept only until SASL starts; ``random(n)`` gives ``n`` random bytes
    (``os.urandom``) for the SCRAM client nonce; ``resource`` is asked for when binding
    (None: the server picks one); ``mechanisms`` are the SASL mechanisms the session
    may use, in order of preference (by default all, strongest first; PLAIN only as
    ``plain`` allows); ``stream_management`` enables XEP-0198 when the
    server offers it, asking to be able to resume it if ``resumable``; ``resume`` is
    the :meth:`resumption` of a broken session, resumed instead of binding a new one
    when the server allows it; ``ids`` names the session's iqs.
    """

    def __init__(self, jid: JID | str, *, password: str, random: Callable[[int], bytes],
                 resource: str | None = None, tls: TlsPolicy = TlsPolicy.REQUIRED,
                 plain: PlainPolicy = PlainPolicy.OVER_TLS,
                 mechanisms: tuple[str, ...] = MECHANISMS, stream_management: bool = False,
                 resumable: bool = False, resume: Resumption | None = None,
                 ids: Callable[[], str] | None = None, lang: str | None = None) -> None:
        account = as_jid(jid, "ClientSession: jid")
        if account.local is None:
            raise ArgumentValueError(f"ClientSession: {account} has no localpart to log in with")
        self._account = account.bare
        self._password: str | None = password
        self._random = random
        self._resource = resource
        self._tls = TlsPolicy(tls)
        self._plain = PlainPolicy(plain)
        self._mechanisms = check_preference(mechanisms)
        if resumable and not stream_management:
            raise ArgumentValueError("ClientSession: resumable needs stream_management")
        self._want_sm = stream_management
        self._resumable = resumable
        self._resume = resume
        self._ids = ids or IdCounter("session")
        self._lang = lang
        self._state = SessionState.IDLE
        self._reader = StreamReader()
        self._writer = StreamWriter()
        self._out = bytearray()
        self._mechanism: Mechanism | None = None
        self._after_auth: StreamFeatures | None = None  # the features after SASL
        self._pending_id: str | None = None  # the bind or session iq in flight
        self._jid: JID | None = None
        self._acks: Acks | None = None

    # -- what the caller reads ------------------------------------------------------------

    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def jid(self) -> JID | None:
        """The full JID bound, once bound."""
        return self._jid

    @property
    def unacked(self) -> tuple[Any, ...]:
        """With stream management on, the stanzas sent and not yet acknowledged."""
        return tuple(self._acks.unacked) if self._acks is not None else ()

    def resumption(self) -> Resumption | None:
        """What resumes this session on a new connection, once its transport broke:
        None unless stream management is on and the server allowed resumption (a
        stream that was closed or ended with an error cannot be resumed)."""
        acks = self._acks
        if self._state is not SessionState.MANAGED or acks is None or acks.resume_id is None \
                or self._jid is None:
            return None
        return Resumption(acks.resume_id, acks.handled, acks.acknowledged,
                          tuple(acks.unacked), self._jid, acks.location)

    def data_to_send(self) -> bytes:
        """The bytes written since the last call, for the transport."""
        data, self._out = bytes(self._out), bytearray()
        return data

    # -- what the caller asks -------------------------------------------------------------

    def start(self) -> list[Event]:
        """Open the stream: the header is in :meth:`data_to_send`."""
        return self._go(SessionInput.START, _Arrival())

    def tls_established(self) -> list[Event]:
        """The TLS handshake asked for by :class:`WrapTransport` is done: the stream
        restarts over it."""
        return self._go(SessionInput.TLS_ESTABLISHED, _Arrival())

    def send(self, stanza: Any) -> list[Event]:
        """Write a stanza (once :class:`Ready`)."""
        return self._go(SessionInput.SEND, _Arrival(stanza))

    def request_ack(self) -> list[Event]:
        """Ask the server for its count (stream management on): ``<r/>``."""
        return self._go(SessionInput.REQUEST_ACK, _Arrival())

    def close(self) -> list[Event]:
        """End the stream; :class:`Closed` follows the server's ``</stream:stream>``."""
        return self._go(SessionInput.CLOSE, _Arrival())

    def receive_data(self, data: bytes) -> list[Event]:
        """Read what the transport received; the events it makes, in order."""
        self._go(SessionInput.DATA, _Arrival())
        broken: BrokenStreamError | None = None
        try:
            items = self._reader.feed(data)
        except BrokenStreamError as error:
            # What arrived whole before the fault is taken first, then the fault.
            items, broken = list(error.events), error
        events: list[Event] = []
        for item in items:
            if self._state is SessionState.CLOSED:
                break  # the server's bytes after the stream ended mean nothing
            kind, arrival = self._classify(item)
            try:
                events += self._go(kind, arrival)
            except ProtocolError as refused:
                # The server sent what the session's state does not allow.
                events += self._go(SessionInput.MALFORMED, _Arrival(
                    item, reason=str(refused), condition="unsupported-stanza-type"))
        if broken is not None and self._state is not SessionState.CLOSED:
            events += self._go(SessionInput.MALFORMED, _Arrival(
                reason=f"the server's stream cannot be read: {broken}",
                condition=broken.condition))
        return events

    # -- what arrived, as an input of the table -------------------------------------------

    def _classify(self, item: object) -> tuple[SessionInput, _Arrival]:
        match item:
            case StreamOpened():
                return self._header(item)
            case StreamClosed():
                return SessionInput.STREAM_CLOSED, _Arrival()
            case StanzaFailed():
                return SessionInput.UNREADABLE, _Arrival(item)
            case StanzaReceived(stanza=stanza):
                return self._element(stanza)
        raise AssertionError(f"the reader made a {type(item).__name__}")

    def _header(self, opened: StreamOpened) -> tuple[SessionInput, _Arrival]:
        version = opened.attributes.get("version", "")
        if opened.namespace != CLIENT:
            return SessionInput.BAD_HEADER, _Arrival(
                reason=f"the server opened a stream of {opened.namespace!r}",
                condition="invalid-namespace")
        if not version.startswith("1."):
            return SessionInput.BAD_HEADER, _Arrival(
                reason=f"the server speaks XMPP version {version or 'before 1.0'}",
                condition="unsupported-version")
        return SessionInput.HEADER, _Arrival()

    def _element(self, stanza: object) -> tuple[SessionInput, _Arrival]:
        match stanza:
            case StreamFeatures():
                return self._features(stanza)
            case StreamError():
                return SessionInput.STREAM_ERROR, _Arrival(
                    stanza, reason=f"the server ended the stream: {stanza.condition}")
            case Proceed():
                return SessionInput.PROCEED, _Arrival(stanza)
            case TlsFailure():
                return SessionInput.TLS_FAILURE, _Arrival(stanza,
                                                          reason="the server refused STARTTLS")
            case Challenge():
                return self._challenge(stanza)
            case Success():
                return self._success(stanza)
            case SaslFailure():
                return SessionInput.SASL_FAILURE, _Arrival(
                    stanza, reason="the server refused the credentials: "
                    f"{stanza.condition or 'no condition given'}")
            case Iq() if self._pending_id is not None and stanza.id == self._pending_id:
                return self._answer(stanza)
            case Enabled():
                return SessionInput.ENABLED, _Arrival(stanza)
            case Failed():
                return SessionInput.SM_FAILED, _Arrival(stanza)
            case Resumed():
                return self._resumed(stanza)
            case R():
                return SessionInput.ACK_REQUEST, _Arrival(stanza)
            case A():
                return self._ack(stanza)
        return SessionInput.STANZA, _Arrival(stanza)

    def _features(self, features: StreamFeatures) -> tuple[SessionInput, _Arrival]:
        if self._state is SessionState.NEGOTIATING_AUTHENTICATED:
            if features.bind is None:
                return SessionInput.UNUSABLE, _Arrival(
                    features, reason="the server does not offer resource binding")
            if self._resume is None:
                return SessionInput.OFFER_BIND, _Arrival(features)
            if features.sm is None:
                return SessionInput.OFFER_BIND_ONLY, _Arrival(features)
            return SessionInput.OFFER_RESUME, _Arrival(features)
        if self._state is SessionState.NEGOTIATING:
            starttls = features.starttls
            if starttls is not None and self._tls in (TlsPolicy.REQUIRED, TlsPolicy.IF_OFFERED):
                return SessionInput.OFFER_TLS, _Arrival(features)
            if starttls is None and self._tls is TlsPolicy.REQUIRED:
                return SessionInput.UNUSABLE, _Arrival(
                    features, reason="the server does not offer STARTTLS")
            if starttls is not None and starttls.required:
                return SessionInput.UNUSABLE, _Arrival(
                    features, reason="the server requires STARTTLS, which the session "
                    f"does not run (TLS policy {self._tls.value!r})")
        secure = self._state is SessionState.NEGOTIATING_SECURED or \
            self._tls is TlsPolicy.DIRECT
        allow_plain = self._plain is PlainPolicy.ALWAYS or \
            (self._plain is PlainPolicy.OVER_TLS and secure)
        try:
            name = choose_mechanism(features.mechanism_names, allow_plain=allow_plain,
                                    preference=self._mechanisms)
        except SaslError as error:
            return SessionInput.UNUSABLE, _Arrival(features, reason=str(error))
        return SessionInput.OFFER_SASL, _Arrival(name)

    def _challenge(self, challenge: Challenge) -> tuple[SessionInput, _Arrival]:
        if self._mechanism is None or self._state is not SessionState.AUTHENTICATING:
            return SessionInput.CHALLENGE, _Arrival(challenge)  # for the table to refuse
        try:
            answer = self._mechanism.challenge(challenge.data or b"")
        except SaslError as error:
            return SessionInput.MECHANISM_ERROR, _Arrival(challenge, reason=str(error))
        return SessionInput.CHALLENGE, _Arrival(answer)

    def _success(self, success: Success) -> tuple[SessionInput, _Arrival]:
        if self._mechanism is None or self._state is not SessionState.AUTHENTICATING:
            return SessionInput.SUCCESS, _Arrival(success)  # for the table to refuse
        try:
            self._mechanism.success(success.data or b"")
        except SaslError as error:
            return SessionInput.SUCCESS_UNVERIFIED, _Arrival(success, reason=str(error))
        return SessionInput.SUCCESS, _Arrival(self._mechanism.name)

    def _answer(self, iq: Iq) -> tuple[SessionInput, _Arrival]:
        """The answer to the bind or the legacy session iq."""
        binding = self._state is SessionState.BINDING
        if iq.type is not IqType.RESULT:
            condition = iq.error.condition if iq.error is not None else "no condition"
            return SessionInput.REFUSED, _Arrival(
                iq, reason=f"the server refused {'binding' if binding else 'the session'}: "
                f"{condition}")
        features = self._after_auth
        enable = self._want_sm and features is not None and features.sm is not None
        if not binding:
            return (SessionInput.SESSION_STARTED_THEN_ENABLE if enable
                    else SessionInput.SESSION_STARTED), _Arrival(iq)
        bound = iq.find(Bind)
        if bound is None or bound.jid is None:
            return SessionInput.REFUSED, _Arrival(
                iq, reason="the server's answer to binding names no JID")
        self._jid = bound.jid
        # RFC 3921's session, which RFC 6121 dropped: only when not marked optional.
        session = features.session if features is not None else None
        if session is not None and not session.optional:
            return SessionInput.BOUND_THEN_SESSION, _Arrival(iq)
        return (SessionInput.BOUND_THEN_ENABLE if enable else SessionInput.BOUND), \
            _Arrival(iq)

    def _resumed(self, resumed: Resumed) -> tuple[SessionInput, _Arrival]:
        old = self._resume
        if old is not None and h_since(old.acknowledged, resumed.h) > len(old.unacked):
            return SessionInput.RESUMED_TOO_HIGH, _Arrival(
                resumed, reason=f"the server resumed having handled {resumed.h} stanzas, more "
                "than were sent", condition="undefined-condition")
        return SessionInput.RESUMED, _Arrival(resumed)

    def _ack(self, ack: A) -> tuple[SessionInput, _Arrival]:
        acks = self._acks
        if acks is not None and h_since(acks.acknowledged, ack.h) > len(acks.unacked):
            return SessionInput.ACK_TOO_HIGH, _Arrival(
                ack, reason=f"the server acknowledged {ack.h} stanzas, more than were sent",
                condition="undefined-condition")
        return SessionInput.ACK, _Arrival(ack)

    # -- the transitions ------------------------------------------------------------------

    def _go(self, kind: SessionInput, arrival: _Arrival) -> list[Event]:
        """Take the transition of ``kind`` and carry out its action."""
        action, after = TRANSITIONS(self._state, kind)
        before, self._state = self._state, after
        match action:
            case SessionAction.NOTHING:
                return []
            case SessionAction.IGNORE:
                return [Ignored(arrival.stanza, f"not for the session in state {before.value!r}")]
            case SessionAction.OPEN:
                self._open()
                return []
            case SessionAction.STARTTLS:
                self._write(StartTls())
                return []
            case SessionAction.WRAP:
                self._reader.restart()
                return [WrapTransport()]
            case SessionAction.AUTH:
                return self._auth(arrival.stanza)
            case SessionAction.RESPOND:
                self._write(Response(data=arrival.stanza))
                return []
            case SessionAction.RESTART:
                self._mechanism = None
                self._reader.restart()
                self._open()
                return [Authenticated(arrival.stanza)]
            case SessionAction.BIND:
                self._after_auth = arrival.stanza  # what binding leads to depends on it
                self._pending_id = self._ids()
                self._write(bind_request(id=self._pending_id, resource=self._resource))
                return []
            case SessionAction.BIND_INSTEAD:
                assert self._resume is not None
                failed = arrival.stanza if isinstance(arrival.stanza, Failed) else None
                old, self._resume = self._resume, None
                unacked = old.unacked
                if failed is not None and failed.h is not None:
                    # XEP-0198 §5: the server may say what it handled of the old stream.
                    unacked = unacked[min(h_since(old.acknowledged, failed.h), len(unacked)):]
                if self._after_auth is None:
                    self._after_auth = arrival.stanza
                self._pending_id = self._ids()
                self._write(bind_request(id=self._pending_id, resource=self._resource))
                return [ResumptionFailed(failed, unacked)]
            case SessionAction.RESUME:
                assert self._resume is not None
                self._after_auth = arrival.stanza
                self._write(Resume(h=self._resume.handled, previd=self._resume.previd))
                return []
            case SessionAction.RESUMED:
                return self._resumed_session(arrival.stanza)
            case SessionAction.SESSION:
                self._pending_id = self._ids()
                self._write(Iq(type=IqType.SET, id=self._pending_id, extensions=(Session(),)))
                return []
            case SessionAction.ENABLE:
                self._pending_id = None
                self._acks = Acks()  # the server counts what follows <enable/>
                self._write(Enable(resume=True if self._resumable else None))
                return []
            case SessionAction.READY:
                self._pending_id = None
                return [self._ready()]
            case SessionAction.MANAGED:
                enabled = arrival.stanza
                assert self._acks is not None and isinstance(enabled, Enabled)
                self._acks.enabled = enabled
                if enabled.resume and enabled.id is not None:
                    self._acks.resume_id, self._acks.location = enabled.id, enabled.location
                return [StreamManagementEnabled(arrival.stanza), self._ready()]
            case SessionAction.UNMANAGED:
                self._acks = None
                return [StreamManagementRefused(arrival.stanza), self._ready()]
            case SessionAction.DELIVER:
                return [Received(arrival.stanza)]
            case SessionAction.DELIVER_COUNTED:
                self._count_inbound(arrival.stanza)
                return [Received(arrival.stanza)]
            case SessionAction.UNREADABLE:
                return [StanzaUnreadable(arrival.stanza)]
            case SessionAction.UNREADABLE_COUNTED:
                self._count_inbound(arrival.stanza)
                return [StanzaUnreadable(arrival.stanza)]
            case SessionAction.WRITE:
                self._write(arrival.stanza)
                return []
            case SessionAction.WRITE_COUNTED:
                self._write(arrival.stanza)
                if _is_stanza(arrival.stanza):
                    assert self._acks is not None
                    self._acks.unacked.append(arrival.stanza)
                return []
            case SessionAction.ANSWER_ACK:
                assert self._acks is not None
                self._write(A(h=self._acks.handled))
                return []
            case SessionAction.TAKE_ACK:
                return self._take_ack(arrival.stanza)
            case SessionAction.REQUEST_ACK:
                self._write(R())
                return []
            case SessionAction.FAIL | SessionAction.ABORT:
                failure = self._failure(before, arrival)
                if action is SessionAction.ABORT:
                    self._write(Abort())
                self._end_own_stream(before)
                return [failure]
            case SessionAction.STREAM_ERROR:
                self._end_own_stream(before)
                return [StreamErrorReceived(arrival.reason, arrival.stanza), Closed()]
            case SessionAction.REFUSE:
                self._refuse(before, arrival)
                return [StreamRefused(arrival.reason, arrival.condition), Closed()]
            case SessionAction.CLOSE:
                self._end_own_stream(before)
                return []
            case SessionAction.PEER_CLOSED:
                self._end_own_stream(before)
                return [Closed()]
            case SessionAction.FINISH:
                return [Closed()]
        raise AssertionError(action)

    # -- the actions' pieces --------------------------------------------------------------

    def _open(self) -> None:
        self._out += self._writer.open(to=self._account.domain, lang=self._lang,
                                       namespace=CLIENT)

    def _write(self, element: object) -> None:
        self._out += self._writer.send(element)

    def _auth(self, name: str) -> list[Event]:
        password, self._password = self._password, None
        assert password is not None  # SASL runs once: the table leads here once
        nonce = base64.b64encode(self._random(24)).decode("ascii")
        assert self._account.local is not None
        self._mechanism = client_mechanism(name, username=self._account.local,
                                           password=password, nonce=nonce)
        self._write(Auth(mechanism=name, data=self._mechanism.initial_response()))
        return []

    def _ready(self) -> Ready:
        assert self._jid is not None
        return Ready(self._jid)

    def _resumed_session(self, resumed: Resumed) -> list[Event]:
        old = self._resume
        assert old is not None
        self._resume = None
        newly = h_since(old.acknowledged, resumed.h)
        acked, resent = old.unacked[:newly], old.unacked[newly:]
        self._jid = old.jid
        # The same session goes on: its counts too, and its id for a later resumption.
        self._acks = Acks(handled=old.handled, acknowledged=resumed.h, unacked=deque(resent),
                          resume_id=old.previd, location=old.location)
        for stanza in resent:
            self._write(stanza)
        return [SessionResumed(acked, resent), self._ready()]

    def _count_inbound(self, stanza: object) -> None:
        assert self._acks is not None
        if _is_stanza(stanza):
            self._acks.handled = h_add(self._acks.handled)

    def _take_ack(self, ack: A) -> list[Event]:
        acks = self._acks
        assert acks is not None  # only MANAGED takes acks
        newly = h_since(acks.acknowledged, ack.h)
        acks.acknowledged = ack.h
        stanzas = tuple(acks.unacked.popleft() for _ in range(newly))
        return [Acked(ack.h, stanzas)]

    def _failure(self, before: SessionState, arrival: _Arrival) -> SessionFailed:
        stanza = arrival.stanza
        if isinstance(stanza, SaslFailure):
            return AuthenticationFailed(arrival.reason, stanza.condition, stanza.text)
        if before is SessionState.AUTHENTICATING:
            return AuthenticationFailed(arrival.reason)
        return NegotiationFailed(arrival.reason, stanza)

    def _refuse(self, before: SessionState, arrival: _Arrival) -> None:
        """End the stream with a stream error, unless this side ended it already."""
        if before is not SessionState.CLOSING:
            self._write(StreamError.of(arrival.condition, text=arrival.reason))
            self._end_own_stream(before)

    def _end_own_stream(self, before: SessionState) -> None:
        if before not in (SessionState.CLOSING, SessionState.IDLE):
            self._out += self._writer.close()

