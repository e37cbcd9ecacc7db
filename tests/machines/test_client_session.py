"""The client session against a scripted server: the server's bytes are written here as
RFC 6120's examples show a session, what the client writes is read back with the
library's own stream reader, and SCRAM's server side is an independent hashlib one.
Every failure ends in an event, never an exception, and the bytes may be split
anywhere."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scram_server import ScramServer

from xepcodec import StreamReader, serialize, validate
from xepcodec.core.stanzas import Iq, IqType, Message
from xepcodec.core.streams import StreamError
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ProtocolError
from xepcodec.machines.base import Event, Ignored
from xepcodec.machines.client_session import (
    TRANSITIONS,
    Acked,
    Authenticated,
    AuthenticationFailed,
    ClientSession,
    ClientSessionEvent,
    Closed,
    NegotiationFailed,
    PlainPolicy,
    Ready,
    Received,
    Resumption,
    ResumptionFailed,
    SessionFailed,
    SessionResumed,
    SessionState,
    StanzaUnreadable,
    StreamErrorReceived,
    StreamManagementEnabled,
    StreamManagementRefused,
    StreamRefused,
    TlsPolicy,
    WrapTransport,
)
from xepcodec.protocols.bind import Bind
from xepcodec.protocols.sasl import Abort, Auth, Response, SaslCondition
from xepcodec.protocols.session import Session
from xepcodec.protocols.starttls import StartTls
from xepcodec.protocols.stream_management import A, Enable, R, Resume
from xepcodec.xml.stream import StanzaReceived, StreamClosed, StreamOpened

PASSWORD = "r0m30myr0m30"
HEADER = ("<?xml version='1.0'?><stream:stream from='im.example.com' id='{id}' "
          "to='juliet@im.example.com' version='1.0' xml:lang='en' xmlns='jabber:client' "
          "xmlns:stream='http://etherx.jabber.org/streams'>")
TLS = "xmlns='urn:ietf:params:xml:ns:xmpp-tls'"
SASL = "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'"
SM = "xmlns='urn:xmpp:sm:3'"
FEATURES_TLS = f"<stream:features><starttls {TLS}><required/></starttls></stream:features>"
BIND_FEATURES = ("<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
                 "{more}</stream:features>")
FOOTER = "</stream:stream>"


def mechanisms(*names: str) -> str:
    listed = "".join(f"<mechanism>{name}</mechanism>" for name in names)
    return f"<stream:features><mechanisms {SASL}>{listed}</mechanisms></stream:features>"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode() if data else "="


def counting_random(n: int) -> bytes:
    return bytes(range(n))


def whole(data: bytes) -> list[bytes]:
    return [data]


@dataclass
class Wire:
    """The scripted server's end: ``sent()`` reads what the client wrote, ``serve()``
    feeds the client the server's bytes (cut by ``split``) and collects the events."""

    session: ClientSession
    split: Callable[[bytes], list[bytes]] = whole
    reader: StreamReader = field(default_factory=StreamReader)
    events: list[Event] = field(default_factory=list)
    written: bytearray = field(default_factory=bytearray)

    def sent(self) -> list[Any]:
        data = self.session.data_to_send()
        self.written += data
        out: list[Any] = []
        for item in self.reader.feed(data):
            match item:
                case StreamOpened():
                    out.append("header")
                case StreamClosed():
                    out.append("footer")
                case StanzaReceived(stanza=stanza):
                    # Whatever the client writes is valid against the shipped schemas.
                    report = validate(serialize(stanza))
                    assert report.ok, report.errors
                    out.append(stanza)
                case _:
                    raise AssertionError(item)
        return out

    def serve(self, text: str) -> list[Event]:
        events: list[Event] = []
        for chunk in self.split(text.encode()):
            events += self.session.receive_data(chunk)
        self.events += events
        return events

    def call(self, events: list[Event]) -> list[Event]:
        self.events += events
        return events


def new_session(**options: Any) -> ClientSession:
    options.setdefault("tls", TlsPolicy.REQUIRED)
    options.setdefault("resource", "balcony")
    return ClientSession("juliet@im.example.com", password=PASSWORD,
                         random=counting_random, **options)


def open_stream(wire: Wire, features: str, n: int = 1) -> list[Any]:
    """The client's header, the server's header and features; what the client
    answers."""
    assert wire.sent() == ["header"]
    wire.serve(HEADER.format(id=f"stream-{n}") + features)
    return wire.sent()


def starttls(wire: Wire) -> None:
    assert open_stream(wire, FEATURES_TLS) == [StartTls()]
    assert wire.serve(f"<proceed {TLS}/>") == [WrapTransport()]
    wire.reader.restart()
    assert wire.session.state is SessionState.WRAPPING
    assert wire.call(wire.session.tls_established()) == []


def plain(wire: Wire, n: int = 2) -> None:
    auth, = open_stream(wire, mechanisms("PLAIN"), n)
    assert auth == Auth(mechanism="PLAIN", data=b"\0juliet\0" + PASSWORD.encode())
    assert wire.serve(f"<success {SASL}/>") == [Authenticated("PLAIN")]
    wire.reader.restart()


def scram(wire: Wire, name: str, *, offered: tuple[str, ...] | None = None,
          final_as_challenge: bool = False, n: int = 2) -> None:
    server = ScramServer(name, PASSWORD, b"salt of the server", 4096, "3rfcNHYJY1ZVvWVs7j")
    auth, = open_stream(wire, mechanisms(*(offered or (name,))), n)
    assert isinstance(auth, Auth) and auth.mechanism == name and auth.data is not None
    assert wire.serve(f"<challenge {SASL}>{b64(server.first(auth.data))}</challenge>") == []
    response, = wire.sent()
    assert isinstance(response, Response) and response.data is not None
    final = server.final(response.data)
    if final_as_challenge:
        assert wire.serve(f"<challenge {SASL}>{b64(final)}</challenge>") == []
        assert wire.sent() == [Response(data=b"")]
        final = b""
    assert wire.serve(f"<success {SASL}>{b64(final)}</success>") == [Authenticated(name)]
    wire.reader.restart()


def bind(wire: Wire, *, more: str = "", jid: str = "juliet@im.example.com/balcony",
         resource: str | None = "balcony", n: int = 3) -> list[Any]:
    iq, = open_stream(wire, BIND_FEATURES.format(more=more), n)
    assert isinstance(iq, Iq) and iq.type is IqType.SET
    assert iq.find(Bind) == Bind(resource=resource)
    wire.serve(f"<iq id='{iq.id}' type='result'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
               f"<jid>{jid}</jid></bind></iq>")
    return wire.sent()


def log_in(wire: Wire, **bind_options: Any) -> None:
    starttls(wire)
    scram(wire, "SCRAM-SHA-256")
    assert bind(wire, **bind_options) == []


def failure_then_close(wire: Wire, kind: type[SessionFailed]) -> SessionFailed:
    """The last event is the failure; the client closes its stream; the server's
    footer ends it."""
    failure = wire.events[-1]
    assert isinstance(failure, kind)
    wire.sent()
    assert wire.written.endswith(FOOTER.encode())
    assert wire.session.state is SessionState.CLOSING
    assert wire.serve(FOOTER) == [Closed()]
    assert wire.session.state is SessionState.CLOSED
    return failure


# -- logging in -----------------------------------------------------------------------------


def test_plain_over_starttls_to_ready() -> None:
    wire = Wire(new_session())
    assert wire.call(wire.session.start()) == []
    starttls(wire)
    plain(wire)
    assert bind(wire) == []
    assert wire.events == [WrapTransport(), Authenticated("PLAIN"),
                           Ready(JID.parse("juliet@im.example.com/balcony"))]
    assert wire.session.state is SessionState.READY
    assert wire.session.jid == JID.parse("juliet@im.example.com/balcony")


@pytest.mark.parametrize("name", ["SCRAM-SHA-1", "SCRAM-SHA-256"])
@pytest.mark.parametrize("final_as_challenge", [False, True])
def test_scram_to_ready(name: str, final_as_challenge: bool) -> None:
    wire = Wire(new_session())
    wire.session.start()
    starttls(wire)
    scram(wire, name, final_as_challenge=final_as_challenge)
    assert bind(wire) == []
    assert wire.events[-2:] == [Authenticated(name),
                                Ready(JID.parse("juliet@im.example.com/balcony"))]


@pytest.mark.parametrize(("offered", "chosen"), [
    (("PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"), "SCRAM-SHA-256"),
    (("SCRAM-SHA-1-PLUS", "PLAIN", "SCRAM-SHA-1"), "SCRAM-SHA-1"),
])
def test_the_strongest_mechanism_is_used(offered: tuple[str, ...], chosen: str) -> None:
    wire = Wire(new_session())
    wire.session.start()
    starttls(wire)
    scram(wire, chosen, offered=offered)


@pytest.mark.parametrize("name", ["SCRAM-SHA-1", "PLAIN"])
def test_the_caller_may_ask_for_one_mechanism(name: str) -> None:
    wire = Wire(new_session(mechanisms=(name,)))
    wire.session.start()
    starttls(wire)
    if name == "PLAIN":
        auth, = open_stream(wire, mechanisms("SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"), 2)
        assert isinstance(auth, Auth) and auth.mechanism == "PLAIN"
    else:
        scram(wire, name, offered=("SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"))


def test_plaintext_plain_login_when_allowed() -> None:
    wire = Wire(new_session(tls=TlsPolicy.NEVER, plain=PlainPolicy.ALWAYS))
    wire.session.start()
    plain(wire, n=1)
    assert bind(wire, n=2) == []
    assert isinstance(wire.events[-1], Ready)


def test_starttls_if_offered_goes_on_without_it() -> None:
    wire = Wire(new_session(tls=TlsPolicy.IF_OFFERED))
    wire.session.start()
    scram(wire, "SCRAM-SHA-1", n=1)
    assert bind(wire, n=2) == []


def test_direct_tls_allows_plain() -> None:
    wire = Wire(new_session(tls=TlsPolicy.DIRECT))
    wire.session.start()
    plain(wire, n=1)


def test_the_server_assigns_the_resource() -> None:
    wire = Wire(new_session(resource=None))
    wire.session.start()
    log_in(wire, resource=None, jid="juliet@im.example.com/4db06f06")
    assert wire.events[-1] == Ready(JID.parse("juliet@im.example.com/4db06f06"))


def test_a_required_legacy_session_is_established() -> None:
    wire = Wire(new_session())
    wire.session.start()
    starttls(wire)
    scram(wire, "SCRAM-SHA-256")
    iq, = bind(wire, more="<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>")
    assert isinstance(iq, Iq) and iq.find(Session) == Session()
    assert wire.session.state is SessionState.STARTING_SESSION
    assert wire.serve(f"<iq type='result' id='{iq.id}'/>") == [
        Ready(JID.parse("juliet@im.example.com/balcony"))]


def test_stream_management_is_enabled_after_a_legacy_session() -> None:
    wire = Wire(new_session(stream_management=True))
    wire.session.start()
    starttls(wire)
    scram(wire, "SCRAM-SHA-256")
    iq, = bind(wire, more=f"<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/><sm {SM}/>")
    assert wire.serve(f"<iq type='result' id='{iq.id}'/>") == []
    assert wire.sent() == [Enable()]
    assert [type(e) for e in wire.serve(f"<enabled {SM}/>")] == [StreamManagementEnabled,
                                                                  Ready]


def test_an_optional_legacy_session_is_skipped() -> None:
    wire = Wire(new_session())
    wire.session.start()
    log_in(wire, more="<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/>"
                      "</session>")
    assert isinstance(wire.events[-1], Ready)


def test_the_session_is_not_stored_credentials() -> None:
    wire = Wire(new_session())
    wire.session.start()
    starttls(wire)
    assert PASSWORD in repr(vars(wire.session))  # until SASL starts
    auth, = open_stream(wire, mechanisms("SCRAM-SHA-256"), 2)
    server = ScramServer("SCRAM-SHA-256", PASSWORD, b"salt", 4096, "server")
    wire.serve(f"<challenge {SASL}>{b64(server.first(auth.data))}</challenge>")

    def seen(value: object) -> str:
        parts = [repr(vars(value))] if hasattr(value, "__dict__") else []
        parts += [repr(getattr(value, name)) for name in getattr(value, "__slots__", ())
                  if hasattr(value, name)]
        return " ".join(parts)

    assert PASSWORD not in seen(wire.session)
    assert PASSWORD not in " ".join(seen(v) for v in vars(wire.session).values())


# -- stream management ----------------------------------------------------------------------


def managed(wire: Wire) -> None:
    wire.session.start()
    starttls(wire)
    scram(wire, "SCRAM-SHA-256")
    assert bind(wire, more=f"<sm {SM}/>") == [Enable()]
    assert wire.session.state is SessionState.ENABLING
    enabled = wire.serve(f"<enabled {SM} id='some-long-sm-id' resume='true'/>")
    assert [type(e) for e in enabled] == [StreamManagementEnabled, Ready]
    assert wire.session.state is SessionState.MANAGED


MESSAGE = ("<message from='romeo@example.net/orchard' to='juliet@im.example.com/balcony' "
           "type='chat' id='{id}'><body>{body}</body></message>")


def test_inbound_stanzas_are_counted_and_r_answered() -> None:
    wire = Wire(new_session(stream_management=True))
    managed(wire)
    events = wire.serve(f"<r {SM}/>" + MESSAGE.format(id="m1", body="one")
                        + "<iq type='get' id='p' from='im.example.com'>"
                        "<ping xmlns='urn:xmpp:ping'/></iq>"
                        + f"<r {SM}/>" + MESSAGE.format(id="m2", body="two") + f"<r {SM}/>")
    assert [type(e) for e in events] == [Received, Received, Received]
    assert wire.sent() == [A(h=0), A(h=2), A(h=3)]


def test_refused_stanzas_count_and_requests_do_not() -> None:
    wire = Wire(new_session(stream_management=True))
    managed(wire)
    events = wire.serve(f"<r {SM}/><message from='@bad' to='juliet@im.example.com'/>"
                        f"<r {SM}/>")
    assert [type(e) for e in events] == [StanzaUnreadable]
    assert wire.sent() == [A(h=0), A(h=1)]


def test_outbound_stanzas_are_kept_until_acknowledged() -> None:
    wire = Wire(new_session(stream_management=True))
    managed(wire)
    stanzas = [Message(to=JID.parse("romeo@example.net"), id=f"out{n}") for n in range(3)]
    for stanza in stanzas:
        assert wire.session.send(stanza) == []
    assert wire.session.request_ack() == []
    assert wire.sent() == [*stanzas, R()]
    assert wire.session.unacked == tuple(stanzas)
    assert wire.serve(f"<a {SM} h='2'/>") == [Acked(2, tuple(stanzas[:2]))]
    assert wire.session.unacked == (stanzas[2],)
    assert wire.serve(f"<a {SM} h='2'/>") == [Acked(2, ())]
    assert wire.serve(f"<a {SM} h='3'/>") == [Acked(3, (stanzas[2],))]
    assert wire.session.unacked == ()


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4)), max_size=12))
def test_acks_release_exactly_what_was_sent_in_order(steps: list[tuple[int, int]]) -> None:
    """Each step sends some stanzas, then the server acknowledges some of those not yet
    acknowledged: every stanza is released once, in the order sent, and what is left
    is what was not acknowledged."""
    wire = Wire(new_session(stream_management=True))
    managed(wire)
    sent: list[Message] = []
    released: list[Any] = []
    acknowledged = 0
    for sends, acks in steps:
        for _ in range(sends):
            stanza = Message(to=JID.parse("romeo@example.net"), id=f"s{len(sent)}")
            sent.append(stanza)
            wire.session.send(stanza)
        acknowledged += min(acks, len(sent) - acknowledged)
        event, = wire.serve(f"<a {SM} h='{acknowledged}'/>")
        assert isinstance(event, Acked) and event.h == acknowledged
        released += event.stanzas
        assert released == sent[:acknowledged]
        assert wire.session.unacked == tuple(sent[acknowledged:])
    assert wire.sent() == sent


def test_an_ack_going_backwards_ends_the_stream() -> None:
    wire = Wire(new_session(stream_management=True))
    managed(wire)
    for n in range(2):
        wire.session.send(Message(to=JID.parse("romeo@example.net"), id=f"s{n}"))
    wire.serve(f"<a {SM} h='2'/>")
    events = wire.serve(f"<a {SM} h='1'/>")
    assert [type(e) for e in events] == [StreamRefused, Closed]


def test_an_ack_for_more_than_was_sent_ends_the_stream() -> None:
    wire = Wire(new_session(stream_management=True))
    managed(wire)
    wire.session.send(Message(to=JID.parse("romeo@example.net")))
    wire.sent()
    events = wire.serve(f"<a {SM} h='2'/>")
    assert [type(e) for e in events] == [StreamRefused, Closed]
    error, footer = wire.sent()
    assert isinstance(error, StreamError) and error.condition == "undefined-condition"
    assert footer == "footer"
    assert wire.session.state is SessionState.CLOSED


def test_refused_stream_management_leaves_a_ready_session() -> None:
    wire = Wire(new_session(stream_management=True))
    wire.session.start()
    starttls(wire)
    scram(wire, "SCRAM-SHA-256")
    assert bind(wire, more=f"<sm {SM}/>") == [Enable()]
    events = wire.serve(f"<failed {SM}><feature-not-implemented "
                        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>")
    assert [type(e) for e in events] == [StreamManagementRefused, Ready]
    assert wire.session.state is SessionState.READY
    with pytest.raises(ProtocolError, match="request_ack"):
        wire.session.request_ack()


def test_stream_management_is_enabled_only_when_asked_and_offered() -> None:
    not_asked = Wire(new_session())
    not_asked.session.start()
    log_in(not_asked, more=f"<sm {SM}/>")
    assert not_asked.session.state is SessionState.READY
    not_offered = Wire(new_session(stream_management=True))
    not_offered.session.start()
    log_in(not_offered)
    assert not_offered.session.state is SessionState.READY


# -- resumption -----------------------------------------------------------------------------


def broken_managed_session() -> tuple[Wire, tuple[Message, ...]]:
    """A resumable session that sent three stanzas, of which the server acknowledged
    one, and received two; then its connection broke."""
    wire = Wire(new_session(stream_management=True, resumable=True))
    wire.session.start()
    starttls(wire)
    scram(wire, "SCRAM-SHA-256")
    assert bind(wire, more=f"<sm {SM}/>") == [Enable(resume=True)]
    wire.serve(f"<enabled {SM} id='sm-7' resume='true' location='[2001:db8::1]:5222'/>")
    sent = tuple(Message(to=JID.parse("romeo@example.net"), id=f"o{n}") for n in range(3))
    for stanza in sent:
        wire.session.send(stanza)
    wire.serve(MESSAGE.format(id="i1", body="one") + MESSAGE.format(id="i2", body="two")
               + f"<a {SM} h='1'/>")
    return wire, sent


def resuming(resumption: Resumption, **options: Any) -> Wire:
    """A new connection up to the features after SASL."""
    wire = Wire(new_session(stream_management=True, resumable=True, resume=resumption,
                            **options))
    wire.session.start()
    starttls(wire)
    scram(wire, "SCRAM-SHA-256")
    return wire


def test_a_broken_session_is_resumed() -> None:
    old, sent = broken_managed_session()
    resumption = old.session.resumption()
    assert resumption == Resumption("sm-7", 2, 1, sent[1:],
                                    JID.parse("juliet@im.example.com/balcony"),
                                    "[2001:db8::1]:5222")
    wire = resuming(resumption)
    assert open_stream(wire, BIND_FEATURES.format(more=f"<sm {SM}/>"), 3) == [
        Resume(h=2, previd="sm-7")]
    assert wire.session.state is SessionState.RESUMING
    events = wire.serve(f"<resumed {SM} h='2' previd='sm-7'/>")
    assert events == [SessionResumed((sent[1],), (sent[2],)),
                      Ready(JID.parse("juliet@im.example.com/balcony"))]
    assert wire.sent() == [sent[2]]
    assert wire.session.state is SessionState.MANAGED
    assert wire.session.unacked == (sent[2],)
    # The counts go on from the old stream's.
    wire.serve(MESSAGE.format(id="i3", body="three") + f"<r {SM}/>" + f"<a {SM} h='3'/>")
    assert wire.sent() == [A(h=3)]
    assert wire.events[-1] == Acked(3, (sent[2],))
    assert wire.session.resumption() is not None


def test_a_refused_resumption_binds_a_new_session() -> None:
    old, sent = broken_managed_session()
    resumption = old.session.resumption()
    assert resumption is not None
    wire = resuming(resumption)
    open_stream(wire, BIND_FEATURES.format(more=f"<sm {SM}/>"), 3)
    events = wire.serve(f"<failed {SM} h='2'><item-not-found "
                        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>")
    failed, = events
    assert isinstance(failed, ResumptionFailed) and failed.unacked == (sent[2],)
    iq, = wire.sent()
    assert isinstance(iq, Iq) and iq.find(Bind) == Bind(resource="balcony")
    wire.serve(f"<iq id='{iq.id}' type='result'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
               "<jid>juliet@im.example.com/balcony</jid></bind></iq>")
    assert wire.sent() == [Enable(resume=True)]


def test_without_stream_management_offered_a_new_session_is_bound() -> None:
    old, sent = broken_managed_session()
    resumption = old.session.resumption()
    assert resumption is not None
    wire = resuming(resumption)
    iq, = open_stream(wire, BIND_FEATURES.format(more=""), 3)
    assert isinstance(iq, Iq) and iq.find(Bind) is not None
    assert wire.events[-1] == ResumptionFailed(None, sent[1:])


def test_a_resumption_acknowledging_more_than_was_sent_ends_the_stream() -> None:
    old, _ = broken_managed_session()
    resumption = old.session.resumption()
    assert resumption is not None
    wire = resuming(resumption)
    open_stream(wire, BIND_FEATURES.format(more=f"<sm {SM}/>"), 3)
    events = wire.serve(f"<resumed {SM} h='9' previd='sm-7'/>")
    assert [type(e) for e in events] == [StreamRefused, Closed]


def test_only_a_resumable_session_left_open_can_be_resumed() -> None:
    plain_ready = ready()
    assert plain_ready.session.resumption() is None
    closed, _ = broken_managed_session()
    closed.session.close()
    assert closed.session.resumption() is None
    with pytest.raises(ArgumentValueError, match="resumable"):
        new_session(resumable=True)


# -- ready: stanzas both ways, closing ------------------------------------------------------


def ready(**options: Any) -> Wire:
    wire = Wire(new_session(**options))
    wire.session.start()
    log_in(wire)
    return wire


def test_stanzas_arrive_as_events_and_are_sent() -> None:
    wire = ready()
    events = wire.serve(MESSAGE.format(id="m1", body="Art thou not Romeo?"))
    message, = events
    assert isinstance(message, Received) and message.stanza.body == "Art thou not Romeo?"
    reply = Message(to=JID.parse("romeo@example.net/orchard"), id="r1")
    assert wire.session.send(reply) == []
    assert wire.sent() == [reply]


def test_a_stanza_the_reader_refuses_is_an_event() -> None:
    wire = ready()
    failed, = wire.serve("<message to='juliet@im.example.com' from='@bad'><body>x</body>"
                         "</message>")
    assert isinstance(failed, StanzaUnreadable)
    assert failed.failed.error.condition == "jid-malformed"
    assert wire.session.state is SessionState.READY


def test_the_client_closes() -> None:
    wire = ready()
    assert wire.session.close() == []
    assert wire.sent() == ["footer"]
    late, = wire.serve(MESSAGE.format(id="late", body="still here"))
    assert isinstance(late, Received) and late.stanza.id == "late"
    assert wire.serve(FOOTER) == [Closed()]
    with pytest.raises(ProtocolError, match="receive_data"):
        wire.session.receive_data(b" ")


def test_the_server_closes() -> None:
    wire = ready()
    assert wire.serve(FOOTER) == [Closed()]
    assert wire.sent() == ["footer"]
    assert wire.session.state is SessionState.CLOSED


# -- failures, each an event ----------------------------------------------------------------


@pytest.mark.parametrize("condition", list(SaslCondition))
def test_every_sasl_failure_condition_is_an_event(condition: SaslCondition) -> None:
    wire = Wire(new_session())
    wire.session.start()
    starttls(wire)
    open_stream(wire, mechanisms("SCRAM-SHA-1"), 2)
    wire.serve(f"<failure {SASL}><{condition}/><text xml:lang='en'>no way</text></failure>")
    failure = failure_then_close(wire, AuthenticationFailed)
    assert isinstance(failure, AuthenticationFailed)
    assert failure.condition == condition and failure.text == "no way"


def test_a_sasl_failure_without_a_condition_is_an_event() -> None:
    wire = Wire(new_session())
    wire.session.start()
    starttls(wire)
    open_stream(wire, mechanisms("SCRAM-SHA-1"), 2)
    wire.serve(f"<failure {SASL}/>")
    failure = failure_then_close(wire, AuthenticationFailed)
    assert isinstance(failure, AuthenticationFailed)
    assert failure.condition is None and "no condition" in failure.reason


@pytest.mark.parametrize("where", ["success", "challenge"])
def test_a_wrong_server_signature_is_a_failure(where: str) -> None:
    wire = Wire(new_session())
    wire.session.start()
    starttls(wire)
    server = ScramServer("SCRAM-SHA-256", PASSWORD + "!", b"salt", 4096, "server")
    server.accept_any_proof = True  # an impostor: it does not have the password
    auth, = open_stream(wire, mechanisms("SCRAM-SHA-256"), 2)
    wire.serve(f"<challenge {SASL}>{b64(server.first(auth.data))}</challenge>")
    response, = wire.sent()
    final = b64(server.final(response.data))
    wire.serve(f"<{where} {SASL}>{final}</{where}>")
    failure = wire.events[-1]
    assert isinstance(failure, AuthenticationFailed) and "signature is wrong" in failure.reason
    sent = wire.sent()
    # Still in the exchange, the client aborts it; after <success/> it only leaves.
    assert sent == ([Abort(), "footer"] if where == "challenge" else ["footer"])
    assert wire.serve(FOOTER) == [Closed()]
    assert not any(isinstance(e, (Authenticated, Ready)) for e in wire.events)


def test_success_before_the_server_proved_itself_is_a_failure() -> None:
    wire = Wire(new_session())
    wire.session.start()
    starttls(wire)
    open_stream(wire, mechanisms("SCRAM-SHA-1"), 2)
    wire.serve(f"<success {SASL}/>")
    failure = failure_then_close(wire, AuthenticationFailed)
    assert "without proving" in failure.reason


def test_a_malformed_challenge_aborts() -> None:
    wire = Wire(new_session())
    wire.session.start()
    starttls(wire)
    open_stream(wire, mechanisms("SCRAM-SHA-1"), 2)
    wire.serve(f"<challenge {SASL}>{b64(b'r=someone-else,s=c2FsdA==,i=4096')}</challenge>")
    assert isinstance(wire.events[-1], AuthenticationFailed)
    assert wire.sent() == [Abort(), "footer"]


@pytest.mark.parametrize(("options", "features", "reason"), [
    ({}, mechanisms("SCRAM-SHA-1"), "does not offer STARTTLS"),
    ({"tls": TlsPolicy.NEVER}, FEATURES_TLS, "requires STARTTLS"),
    ({"tls": TlsPolicy.NEVER}, mechanisms("PLAIN", "DIGEST-MD5"), "acceptable here"),
    ({"tls": TlsPolicy.DIRECT, "plain": PlainPolicy.NEVER}, mechanisms("PLAIN"),
     "acceptable here"),
])
def test_features_without_what_the_session_needs(options: dict[str, Any], features: str,
                                                  reason: str) -> None:
    wire = Wire(new_session(**options))
    wire.session.start()
    assert open_stream(wire, features) == ["footer"]
    failure = failure_then_close(wire, NegotiationFailed)
    assert reason in failure.reason


def test_no_acceptable_mechanism_after_tls_is_a_failure() -> None:
    wire = Wire(new_session(plain=PlainPolicy.NEVER))
    wire.session.start()
    starttls(wire)
    assert open_stream(wire, mechanisms("PLAIN", "DIGEST-MD5"), 2) == ["footer"]
    failure = failure_then_close(wire, NegotiationFailed)
    assert "acceptable here: SCRAM-SHA-256, SCRAM-SHA-1" in failure.reason


def test_no_binding_offered_is_a_failure() -> None:
    wire = Wire(new_session())
    wire.session.start()
    starttls(wire)
    scram(wire, "SCRAM-SHA-256")
    assert open_stream(wire, "<stream:features/>", 3) == ["footer"]
    assert "binding" in failure_then_close(wire, NegotiationFailed).reason


def test_a_refused_starttls_is_a_failure() -> None:
    wire = Wire(new_session())
    wire.session.start()
    open_stream(wire, FEATURES_TLS)
    wire.serve(f"<failure {TLS}/>")
    assert "STARTTLS" in failure_then_close(wire, NegotiationFailed).reason


def test_a_refused_bind_is_a_failure() -> None:
    wire = Wire(new_session())
    wire.session.start()
    starttls(wire)
    scram(wire, "SCRAM-SHA-256")
    iq, = open_stream(wire, BIND_FEATURES.format(more=""), 3)
    wire.serve(f"<iq id='{iq.id}' type='error'><error type='cancel'><conflict "
               "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>")
    failure = failure_then_close(wire, NegotiationFailed)
    assert "conflict" in failure.reason and isinstance(failure.stanza, Iq)


def test_a_refused_legacy_session_is_a_failure() -> None:
    wire = Wire(new_session())
    wire.session.start()
    starttls(wire)
    scram(wire, "SCRAM-SHA-256")
    iq, = bind(wire, more="<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>")
    wire.serve(f"<iq id='{iq.id}' type='error'><error type='wait'><internal-server-error "
               "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>")
    assert "session" in failure_then_close(wire, NegotiationFailed).reason


@pytest.mark.parametrize("step", range(4))
def test_a_stream_error_is_an_event_at_any_step(step: int) -> None:
    wire = Wire(new_session())
    wire.session.start()
    stages = [lambda: starttls(wire), lambda: scram(wire, "SCRAM-SHA-256"),
              lambda: bind(wire)]
    for stage in stages[:step]:
        stage()
    text = ("<stream:error><system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
            "</stream:error>" + FOOTER)
    if step < 3:
        text = HEADER.format(id="x") + text  # a new stream was opened: the server answers it
    wire.serve(text)
    failure, closed = wire.events[-2:]
    assert isinstance(failure, StreamErrorReceived) and closed == Closed()
    assert failure.error is not None and failure.error.condition == "system-shutdown"
    assert wire.sent()[-1] == "footer"
    assert wire.session.state is SessionState.CLOSED


def test_bytes_that_are_no_xml_are_answered_with_a_stream_error() -> None:
    wire = ready()
    events = wire.serve("<message><unclosed></message>")
    assert [type(e) for e in events] == [StreamRefused, Closed]
    error, footer = wire.sent()
    assert isinstance(error, StreamError) and footer == "footer"
    assert events[0].condition == error.condition == "not-well-formed"


def test_stanzas_before_bytes_that_are_no_xml_are_received_first() -> None:
    wire = ready()
    events = wire.serve("<message id='a'/><message id='b'/><message><unclosed></message>")
    assert [type(e) for e in events] == [Received, Received, StreamRefused, Closed]
    assert [e.stanza.id for e in events[:2]] == ["a", "b"]  # type: ignore[attr-defined]
    assert events[2].condition == "not-well-formed"  # type: ignore[attr-defined]
    error, footer = wire.sent()
    assert isinstance(error, StreamError) and footer == "footer"


def test_an_element_out_of_place_is_answered_with_a_stream_error() -> None:
    wire = ready()
    events = wire.serve(f"<success {SASL}/>")
    assert [type(e) for e in events] == [StreamRefused, Closed]
    assert "'ready'" in events[0].reason
    error, _ = wire.sent()
    assert error.condition == "unsupported-stanza-type"


@pytest.mark.parametrize(("header", "condition"), [
    (HEADER.replace("im.example.com' version='1.0'", "im.example.com'"), "unsupported-version"),
    (HEADER.replace("im.example.com' version='1.0'", "im.example.com' version='0.9'"),
     "unsupported-version"),
    (HEADER.replace("xmlns='jabber:client'", "xmlns='jabber:server'"), "invalid-namespace"),
])
@pytest.mark.parametrize("state", [SessionState.OPENING, SessionState.OPENING_SECURED,
                                   SessionState.OPENING_AUTHENTICATED])
def test_a_stream_header_the_client_cannot_take(header: str, condition: str,
                                                state: SessionState) -> None:
    wire = drive_to(state)
    events = wire.serve(header.format(id="1"))
    assert [type(e) for e in events] == [StreamRefused, Closed]
    assert events[0].condition == condition


def test_stanzas_while_negotiating_are_ignored() -> None:
    wire = Wire(new_session())
    wire.session.start()
    wire.sent()
    wire.serve(HEADER.format(id="1"))
    ignored, = wire.serve(MESSAGE.format(id="early", body="too soon"))
    assert isinstance(ignored, Ignored)


# -- every state: what may arrive there ------------------------------------------------------


def drive_to(state: SessionState) -> Wire:
    """A session brought to ``state`` by the scripted server; nothing left unread."""
    S = SessionState
    options: dict[str, Any] = {}
    if state in (S.ENABLING, S.MANAGED):
        options["stream_management"] = True
    wire = Wire(new_session(**options))
    if state is S.RESUMING:
        old, _ = broken_managed_session()
        resumption = old.session.resumption()
        assert resumption is not None
        wire = resuming(resumption)
        open_stream(wire, BIND_FEATURES.format(more=f"<sm {SM}/>"), 3)
        assert wire.session.state is state
        return wire
    wire.session.start()
    steps: list[tuple[SessionState, Callable[[], object]]] = [
        (S.OPENING, lambda: wire.sent()),
        (S.NEGOTIATING, lambda: wire.serve(HEADER.format(id="1"))),
        (S.STARTING_TLS, lambda: (wire.serve(FEATURES_TLS), wire.sent())),
        (S.WRAPPING, lambda: (wire.serve(f"<proceed {TLS}/>"), wire.reader.restart())),
        (S.OPENING_SECURED, lambda: (wire.session.tls_established(), wire.sent())),
        (S.NEGOTIATING_SECURED, lambda: wire.serve(HEADER.format(id="2"))),
        (S.AUTHENTICATING, lambda: (wire.serve(mechanisms("PLAIN")), wire.sent())),
        (S.OPENING_AUTHENTICATED, lambda: (wire.serve(f"<success {SASL}/>"),
                                           wire.reader.restart(), wire.sent())),
        (S.NEGOTIATING_AUTHENTICATED, lambda: wire.serve(HEADER.format(id="3"))),
    ]
    for reached, step in steps:
        step()
        assert wire.session.state is reached
        if reached is state:
            return wire
    more = {S.STARTING_SESSION: "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>",
            S.ENABLING: f"<sm {SM}/>", S.MANAGED: f"<sm {SM}/>"}.get(state, "")
    wire.serve(BIND_FEATURES.format(more=more))
    iq, = wire.sent()
    if state is not S.BINDING:
        wire.serve(f"<iq id='{iq.id}' type='result'><bind "
                   "xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                   "<jid>juliet@im.example.com/balcony</jid></bind></iq>")
        wire.sent()
    if state is S.MANAGED:
        wire.serve(f"<enabled {SM}/>")
    assert wire.session.state is state
    return wire


_ALL_OPEN = sorted(set(SessionState) - {SessionState.IDLE, SessionState.CLOSING,
                                        SessionState.CLOSED})
_READING = [state for state in _ALL_OPEN if state is not SessionState.WRAPPING]
_STREAMING = [state for state in _READING if not state.startswith("opening")]
_NEGOTIATING = [state for state in _STREAMING if state not in (
    SessionState.ENABLING, SessionState.READY, SessionState.MANAGED)]


@pytest.mark.parametrize("state", _NEGOTIATING)
def test_stanzas_are_ignored_in_every_negotiating_state(state: SessionState) -> None:
    wire = drive_to(state)
    events = wire.serve(MESSAGE.format(id="early", body="too soon")
                        + "<message from='@bad' to='juliet@im.example.com'/>")
    assert [type(e) for e in events] == [Ignored, Ignored]
    assert wire.session.state is state


def test_stanzas_before_enabled_arrive_uncounted() -> None:
    wire = drive_to(SessionState.ENABLING)
    events = wire.serve(MESSAGE.format(id="early", body="before enabled")
                        + "<message from='@bad' to='juliet@im.example.com'/>"
                        + f"<enabled {SM}/><r {SM}/>")
    assert [type(e) for e in events] == [Received, StanzaUnreadable,
                                         StreamManagementEnabled, Ready]
    assert wire.sent() == [A(h=0)]


@pytest.mark.parametrize("state", _READING)
def test_bytes_that_are_no_xml_end_the_stream_in_every_state(state: SessionState) -> None:
    wire = drive_to(state)
    events = wire.serve("<a></b>")
    assert [type(e) for e in events] == [StreamRefused, Closed]
    error, footer = wire.sent()
    assert isinstance(error, StreamError) and footer == "footer"


@pytest.mark.parametrize("state", _STREAMING)
def test_the_server_ends_the_stream_in_every_state(state: SessionState) -> None:
    errored = drive_to(state)
    events = errored.serve("<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                           "</stream:error>")
    assert [type(e) for e in events] == [StreamErrorReceived, Closed]
    assert errored.sent() == ["footer"]
    closed = drive_to(state)
    assert closed.serve(FOOTER) == [Closed()]
    assert closed.sent() == ["footer"]


@pytest.mark.parametrize("state", _ALL_OPEN)
def test_the_client_may_close_in_every_state(state: SessionState) -> None:
    wire = drive_to(state)
    assert wire.session.close() == []
    assert wire.session.state is SessionState.CLOSING
    if state is SessionState.WRAPPING:
        return  # the transport is being wrapped: the caller drops it
    assert wire.sent() == ["footer"]
    if state in _STREAMING:
        assert wire.serve(FOOTER) == [Closed()]


@pytest.mark.parametrize("late", [
    FEATURES_TLS, f"<proceed {TLS}/>", f"<failure {TLS}/>", mechanisms("PLAIN"),
    f"<challenge {SASL}>=</challenge>", f"<success {SASL}/>",
    f"<failure {SASL}><aborted/></failure>", f"<enabled {SM}/>", f"<r {SM}/>",
    f"<a {SM} h='0'/>", f"<resumed {SM} h='0' previd='x'/>",
    "<message from='@bad' to='juliet@im.example.com'/>",
    "<iq type='result' id='session-1'/>",
])
def test_what_arrives_while_closing_is_ignored(late: str) -> None:
    wire = ready()
    wire.session.close()
    assert wire.sent() == ["footer"]
    events = wire.serve(late)
    # A stanza is still the server's to send (RFC 6120 §4.4); the rest is over.
    assert [type(e) for e in events] == ([Received] if late.startswith("<iq") else [Ignored])
    assert wire.serve(FOOTER) == [Closed()]


@pytest.mark.parametrize(("state", "late"), [
    (SessionState.BINDING, "<iq id='session-1' type='result'><bind "
     "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>juliet@im.example.com/x</jid></bind></iq>"),
    (SessionState.BINDING, "<iq id='session-1' type='error'><error type='cancel'><conflict "
     "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"),
    (SessionState.MANAGED, f"<a {SM} h='7'/>"),
    (SessionState.NEGOTIATING_AUTHENTICATED, BIND_FEATURES.format(more="")),
])
def test_answers_to_what_was_asked_before_closing_are_ignored(state: SessionState,
                                                              late: str) -> None:
    wire = drive_to(state)
    wire.session.close()
    assert [type(e) for e in wire.serve(late)] == [Ignored]
    assert wire.serve(FOOTER) == [Closed()]


def test_closing_ends_at_the_server_s_error_or_bad_bytes() -> None:
    errored = ready()
    errored.session.close()
    events = errored.serve("<stream:error><reset xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                           "</stream:error>")
    assert [type(e) for e in events] == [StreamErrorReceived, Closed]
    broken = ready()
    broken.session.close()
    broken.sent()
    assert broken.serve("<<>") == [Closed()]
    assert broken.sent() == []  # our stream is already closed: no error is written


def test_closing_before_the_server_s_header() -> None:
    wire = Wire(new_session())
    wire.session.start()
    wire.session.close()
    assert wire.sent() == ["header", "footer"]
    events = wire.serve(HEADER.format(id="1") + FEATURES_TLS + FOOTER)
    assert [type(e) for e in events] == [Ignored, Ignored, Closed]


# -- calls out of place ---------------------------------------------------------------------


def test_calls_out_of_place_are_protocol_errors() -> None:
    session = new_session()
    for call in (session.tls_established, session.request_ack, session.close):
        with pytest.raises(ProtocolError, match="client session"):
            call()
    with pytest.raises(ProtocolError, match="receive_data"):
        session.receive_data(b"<stream:stream>")
    session.start()
    with pytest.raises(ProtocolError, match=r"send\(\)"):
        session.send(Message())
    with pytest.raises(ProtocolError, match=r"start\(\)"):
        session.start()


def test_an_account_needs_a_localpart() -> None:
    with pytest.raises(ArgumentValueError, match="localpart"):
        ClientSession("im.example.com", password="x", random=counting_random)


def test_the_table_names_every_state_and_every_event_derives_from_the_base() -> None:
    assert TRANSITIONS.states() == set(SessionState) - {SessionState.CLOSED}
    for kind in (WrapTransport, Authenticated, Ready, Received, Acked, Closed,
                 AuthenticationFailed, NegotiationFailed, StreamErrorReceived, StreamRefused,
                 StanzaUnreadable, StreamManagementEnabled, StreamManagementRefused):
        assert issubclass(kind, ClientSessionEvent)


# -- bytes split anywhere -------------------------------------------------------------------


def _run_everything(split: Callable[[bytes], list[bytes]]) -> tuple[list[Event], bytes]:
    """STARTTLS, SCRAM-SHA-256, bind, 198 enable, r/a both ways, the server closing."""
    wire = Wire(new_session(stream_management=True), split=split)
    managed(wire)
    wire.session.send(Message(to=JID.parse("romeo@example.net"), id="o1"))
    wire.session.request_ack()
    wire.sent()
    wire.serve(MESSAGE.format(id="m1", body="h\u00e9llo \U0001f600") + f"<r {SM}/>"
               + f"<a {SM} h='1'/>" + FOOTER)
    assert wire.sent() == [A(h=1), "footer"]
    return wire.events, bytes(wire.written)


_EXPECTED = _run_everything(whole)


@given(st.data())
def test_bytes_split_anywhere_give_the_same_session(data: st.DataObject) -> None:
    def split(chunk: bytes) -> list[bytes]:
        cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(chunk) - 1)), max_size=6)))
        edges = [0, *cuts, len(chunk)]
        return [chunk[a:b] for a, b in itertools.pairwise(edges) if b > a]

    assert _run_everything(split) == _EXPECTED
