"""Tests for xepcodec.machines.component_session: both ends of a XEP-0114 stream, talking
to each other in memory and to hand-written peers.

The XML below is written for these tests; none of it is taken from the XEP.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xepcodec.api import StreamReader
from xepcodec.core.namespaces import CLIENT, COMPONENT
from xepcodec.core.stanzas import Iq, IqType, Message
from xepcodec.core.streams import StreamCondition, StreamError
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ProtocolError
from xepcodec.machines.base import Event, Ignored, Send
from xepcodec.machines.component_session import (
    SESSION,
    Authenticated,
    AuthenticationFailed,
    ComponentInput,
    ComponentRole,
    ComponentSession,
    ComponentSessionEvent,
    ComponentState,
    Received,
    StreamEnded,
)
from xepcodec.machines.router import Router
from xepcodec.protocols.component import Handshake, handshake_digest
from xepcodec.protocols.disco import Identity
from xepcodec.protocols.ping import NS_PING, Ping, ping_request, pong
from xepcodec.xml import StanzaFailed, StanzaReceived, StreamOpened

DOMAIN = "gateway.example.org"
SECRET = "s3cr3t"
STREAM_ID = "c0ffee42"
SECRETS = {DOMAIN: SECRET}
USER = JID.parse("juliet@example.org/balcony")
HEADER_FROM_SERVER = (f"<stream:stream xmlns='{COMPONENT}' "
                      "xmlns:stream='http://etherx.jabber.org/streams' "
                      f"from='{DOMAIN}' id='{STREAM_ID}'>").encode()
HEADER_FROM_COMPONENT = (f"<stream:stream xmlns='{COMPONENT}' "
                         "xmlns:stream='http://etherx.jabber.org/streams' "
                         f"to='{DOMAIN}'>").encode()


def pair(secret: str = SECRET, **accept: object) -> tuple[ComponentSession, ComponentSession]:
    component = ComponentSession.connect(DOMAIN, secret)
    options: dict[str, object] = {"stream_id": STREAM_ID, "secrets": SECRETS, **accept}
    server = ComponentSession.accept(**options)  # type: ignore[arg-type]
    return component, server


def pump(component: ComponentSession, server: ComponentSession,
         split: Callable[[bytes], list[bytes]] = lambda data: [data],
         ) -> tuple[list[Event], list[Event]]:
    """Carry bytes both ways until neither side has more; each side's events."""
    heard_by_component: list[Event] = []
    heard_by_server: list[Event] = []
    while True:
        to_server, to_component = component.data_to_send(), server.data_to_send()
        if not to_server and not to_component:
            return heard_by_component, heard_by_server
        for chunk in split(to_server):
            if server.state is not ComponentState.CLOSED:
                heard_by_server += server.receive_data(chunk)
        for chunk in split(to_component):
            if component.state is not ComponentState.CLOSED:
                heard_by_component += component.receive_data(chunk)


def ended(events: list[Event]) -> list[StreamEnded]:
    return [e for e in events if isinstance(e, StreamEnded)]


def failed(events: list[Event]) -> list[AuthenticationFailed]:
    return [e for e in events if isinstance(e, AuthenticationFailed)]


def test_the_events_derive_from_one_base() -> None:
    for cls in (Authenticated, AuthenticationFailed, Received, StreamEnded):
        assert issubclass(cls, ComponentSessionEvent)


def test_the_component_logs_in_and_both_sides_are_ready() -> None:
    component, server = pair()
    assert component.role is ComponentRole.COMPONENT
    assert server.role is ComponentRole.SERVER
    heard_by_component, heard_by_server = pump(component, server)
    assert heard_by_component == [Authenticated(DOMAIN, STREAM_ID)]
    assert heard_by_server == [Authenticated(DOMAIN, STREAM_ID)]
    assert component.state is server.state is ComponentState.READY
    assert component.stream_id == server.stream_id == STREAM_ID
    assert server.domain == component.domain == DOMAIN


def test_what_the_component_writes() -> None:
    component = ComponentSession.connect(DOMAIN, SECRET)
    header = component.data_to_send()
    assert header == (f"<stream:stream to='{DOMAIN}' xmlns='{COMPONENT}' "
                      "xmlns:stream='http://etherx.jabber.org/streams'>").encode()
    assert component.data_to_send() == b""  # drained
    assert component.receive_data(HEADER_FROM_SERVER) == []
    assert component.state is ComponentState.HANDSHAKING
    digest = handshake_digest(STREAM_ID, SECRET)
    assert component.data_to_send() == f"<handshake>{digest}</handshake>".encode()
    assert component.receive_data(b"<handshake/>") == [Authenticated(DOMAIN, STREAM_ID)]


def test_what_the_server_writes() -> None:
    server = ComponentSession.accept(stream_id=STREAM_ID, secrets=SECRETS)
    assert server.data_to_send() == b""
    assert server.receive_data(HEADER_FROM_COMPONENT) == []
    assert server.data_to_send() == (
        f"<stream:stream from='{DOMAIN}' id='{STREAM_ID}' xmlns='{COMPONENT}' "
        "xmlns:stream='http://etherx.jabber.org/streams'>").encode()
    digest = handshake_digest(STREAM_ID, SECRET)
    events = server.receive_data(f"<handshake>{digest.upper()}</handshake>".encode())
    assert events == [Authenticated(DOMAIN, STREAM_ID)]
    assert server.data_to_send() == b"<handshake/>"


def test_the_secret_may_come_from_a_function() -> None:
    asked: list[str] = []

    def lookup(domain: str) -> str | None:
        asked.append(domain)
        return SECRET if domain == DOMAIN else None

    component, server = pair(secrets=lookup)
    heard_by_component, _ = pump(component, server)
    assert heard_by_component == [Authenticated(DOMAIN, STREAM_ID)]
    assert DOMAIN in asked


# -- failures -----------------------------------------------------------------------------------


def test_a_wrong_secret_ends_in_not_authorized() -> None:
    component, server = pair(secret="guessed")
    heard_by_component, heard_by_server = pump(component, server)
    assert failed(heard_by_component) == [AuthenticationFailed(
        StreamCondition.NOT_AUTHORIZED, "the handshake does not match the secret")]
    assert ended(heard_by_component) == [StreamEnded(
        StreamCondition.NOT_AUTHORIZED, by_peer=True,
        text="the handshake does not match the secret")]
    assert [e.condition for e in failed(heard_by_server)] == [StreamCondition.NOT_AUTHORIZED]
    assert ended(heard_by_server)[0].by_peer is False
    assert component.state is server.state is ComponentState.CLOSED
    assert not any(isinstance(e, Authenticated) for e in heard_by_component + heard_by_server)


@pytest.mark.parametrize(("accept", "condition"), [
    ({"secrets": {"other.example.org": SECRET}}, StreamCondition.HOST_UNKNOWN),
    ({"secrets": lambda domain: None}, StreamCondition.HOST_UNKNOWN),
    ({"connected": {DOMAIN}}, StreamCondition.CONFLICT),
    ({"connected": lambda domain: domain == DOMAIN}, StreamCondition.CONFLICT),
])
def test_the_server_refuses_the_domain_after_its_header(accept: dict[str, object],
                                                        condition: StreamCondition) -> None:
    component, server = pair(**accept)
    server.receive_data(component.data_to_send())
    written = server.data_to_send()
    # RFC 6120 §4.7.1: the header, the error, the end of the stream.
    assert written.startswith(b"<stream:stream ")
    assert f"<{condition.value} ".encode() in written
    assert written.endswith(b"</stream:stream>")
    assert server.state is ComponentState.ENDED
    heard = component.receive_data(written)
    assert [e.condition for e in failed(heard)] == [condition]
    assert ended(heard)[0].by_peer
    assert component.state is ComponentState.CLOSED
    # The component's handshake went out before the error was read; it closes in turn.
    server.receive_data(component.data_to_send())
    assert server.state is ComponentState.CLOSED


def test_the_server_refuses_another_namespace() -> None:
    server = ComponentSession.accept(stream_id=STREAM_ID, secrets=SECRETS)
    events = server.receive_data(
        f"<stream:stream xmlns='{CLIENT}' xmlns:stream='http://etherx.jabber.org/streams' "
        f"to='{DOMAIN}'>".encode())
    assert [e.condition for e in failed(events)] == [StreamCondition.INVALID_NAMESPACE]
    written = server.data_to_send()
    assert b"<invalid-namespace " in written and written.endswith(b"</stream:stream>")
    reader = StreamReader()
    read = reader.feed(written)
    assert isinstance(read[0], StreamOpened)
    error = read[1]
    assert isinstance(error, StanzaReceived) and isinstance(error.stanza, StreamError)
    assert error.stanza.condition == StreamCondition.INVALID_NAMESPACE


def test_the_server_refuses_a_header_without_to() -> None:
    server = ComponentSession.accept(stream_id=STREAM_ID, secrets=SECRETS)
    events = server.receive_data(HEADER_FROM_COMPONENT.replace(f" to='{DOMAIN}'".encode(),
                                                               b""))
    assert [e.condition for e in failed(events)] == [StreamCondition.HOST_UNKNOWN]


def test_the_server_refuses_a_stanza_before_the_handshake() -> None:
    server = ComponentSession.accept(stream_id=STREAM_ID, secrets=SECRETS)
    server.receive_data(HEADER_FROM_COMPONENT)
    events = server.receive_data(
        f"<message from='bot@{DOMAIN}' to='{USER}'><body>hi</body></message>".encode())
    assert [e.condition for e in failed(events)] == [StreamCondition.NOT_AUTHORIZED]
    assert server.state is ComponentState.ENDED


def test_the_server_refuses_a_handshake_that_is_no_digest() -> None:
    server = ComponentSession.accept(stream_id=STREAM_ID, secrets=SECRETS)
    server.receive_data(HEADER_FROM_COMPONENT)
    events = server.receive_data(b"<handshake>let me in</handshake>")
    assert [e.condition for e in failed(events)] == [StreamCondition.NOT_AUTHORIZED]
    # The empty answer is no digest either.
    server = ComponentSession.accept(stream_id=STREAM_ID, secrets=SECRETS)
    server.receive_data(HEADER_FROM_COMPONENT)
    assert [e.condition for e in failed(server.receive_data(b"<handshake/>"))] == \
        [StreamCondition.NOT_AUTHORIZED]


def test_a_header_without_id_then_the_servers_error_is_that_error() -> None:
    # Servers refusing a component send a header without an id, then the error.
    component = ComponentSession.connect(DOMAIN, SECRET)
    component.data_to_send()
    header = (f"<?xml version='1.0'?><stream:stream version='1.0' "
              "xmlns:stream='http://etherx.jabber.org/streams' id='' "
              f"xmlns='{COMPONENT}'>").encode()
    assert component.receive_data(header) == []
    assert component.state is ComponentState.UNIDENTIFIED
    assert component.data_to_send() == b""  # no handshake without an id
    events = component.receive_data(
        b"<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
        b"</stream:error></stream:stream>")
    assert events == [AuthenticationFailed(StreamCondition.HOST_UNKNOWN),
                      StreamEnded(StreamCondition.HOST_UNKNOWN, by_peer=True)]
    assert component.data_to_send() == b"</stream:stream>"
    assert component.state is ComponentState.CLOSED


@pytest.mark.parametrize("then", [b"<handshake/>", b"<message/>"])
def test_a_header_without_id_then_anything_else_is_refused(then: bytes) -> None:
    component = ComponentSession.connect(DOMAIN, SECRET)
    component.receive_data(HEADER_FROM_SERVER.replace(f" id='{STREAM_ID}'".encode(), b""))
    events = component.receive_data(then)
    assert [e.condition for e in failed(events)] == [StreamCondition.INVALID_XML]
    written = component.data_to_send()
    assert b"<handshake" not in written
    assert written.endswith(b"</stream:stream>")


def test_the_component_refuses_a_server_in_another_namespace() -> None:
    component = ComponentSession.connect(DOMAIN, SECRET)
    events = component.receive_data(HEADER_FROM_SERVER.replace(COMPONENT.encode(),
                                                               b"jabber:server"))
    assert [e.condition for e in failed(events)] == [StreamCondition.INVALID_NAMESPACE]


def test_the_component_refuses_a_handshake_answer_that_is_not_empty() -> None:
    component = ComponentSession.connect(DOMAIN, SECRET)
    component.receive_data(HEADER_FROM_SERVER)
    digest = handshake_digest(STREAM_ID, SECRET)
    events = component.receive_data(f"<handshake>{digest}</handshake>".encode())
    assert [e.condition for e in failed(events)] == [StreamCondition.BAD_FORMAT]


def test_the_server_closing_before_the_handshake_is_answered() -> None:
    component = ComponentSession.connect(DOMAIN, SECRET)
    component.receive_data(HEADER_FROM_SERVER)
    component.data_to_send()
    events = component.receive_data(b"</stream:stream>")
    assert events == [StreamEnded(None, by_peer=True)]
    assert component.data_to_send() == b"</stream:stream>"
    assert component.state is ComponentState.CLOSED


def test_a_stream_error_the_model_cannot_read_still_ends_the_stream() -> None:
    component = ComponentSession.connect(DOMAIN, SECRET)
    component.receive_data(HEADER_FROM_SERVER)
    events = component.receive_data(b"<stream:error><made-up xmlns='urn:example'/>"
                                    b"</stream:error>")
    assert [e.condition for e in failed(events)] == [StreamCondition.UNDEFINED_CONDITION]


def test_bytes_that_break_the_stream_end_it_with_their_condition() -> None:
    component, server = pair()
    pump(component, server)
    events = server.receive_data(b"<message><body>unclosed</wrong></message>")
    assert [e.condition for e in ended(events)] == [StreamCondition.NOT_WELL_FORMED]
    assert b"<not-well-formed " in server.data_to_send()
    assert server.state is ComponentState.ENDED
    # What the reader can no longer read finishes the session.
    assert server.receive_data(b"<more/>") == []
    assert server.state is ComponentState.CLOSED
    with pytest.raises(ProtocolError, match="closed"):
        server.receive_data(b"<more/>")


@pytest.mark.parametrize("cut", [None, 1])
def test_stanzas_before_the_bytes_that_break_the_stream_are_received_first(
        cut: int | None) -> None:
    component, server = pair()
    pump(component, server)
    data = (f"<message from='bot@{DOMAIN}' to='{USER}' id='a'/>"
            f"<message from='bot@{DOMAIN}' to='{USER}' id='b'/><!-- no -->").encode()
    events: list[Event] = []
    for start in range(0, len(data), cut or len(data)):
        events += server.receive_data(data[start : start + (cut or len(data))])
        if ended(events):
            break  # (the rest of the comment would only finish the session)
    assert [e.stanza.id for e in events if isinstance(e, Received)] == ["a", "b"]  # type: ignore[union-attr]
    assert isinstance(events[-1], StreamEnded) and len(events) == 3
    assert events[-1].condition == StreamCondition.RESTRICTED_XML
    assert server.state is ComponentState.ENDED


def test_the_server_refuses_stanzas_not_from_the_component() -> None:
    component, server = pair()
    pump(component, server)
    events = server.receive_data(
        f"<message from='mallory@elsewhere.example' to='{USER}'/>".encode())
    assert [e.condition for e in ended(events)] == [StreamCondition.INVALID_FROM]
    component, server = pair()
    pump(component, server)
    events = server.receive_data(f"<message from='bot@{DOMAIN}'/>".encode())
    assert [e.condition for e in ended(events)] == [StreamCondition.IMPROPER_ADDRESSING]


# -- once ready ---------------------------------------------------------------------------------


def test_stanzas_flow_both_ways_and_the_stream_closes() -> None:
    component, server = pair()
    pump(component, server)
    to_user = Message(namespace=COMPONENT, from_=JID.parse(f"bot@{DOMAIN}"), to=USER,
                      extensions=())
    assert component.send(to_user) == []
    from_user = Message(namespace=COMPONENT, from_=USER, to=JID.parse(f"bot@{DOMAIN}"))
    server.send(from_user)
    heard_by_component, heard_by_server = pump(component, server)
    assert heard_by_server == [Received(to_user)]
    assert heard_by_component == [Received(from_user)]
    assert server.close() == []
    assert server.state is ComponentState.CLOSING
    heard_by_component, heard_by_server = pump(component, server)
    assert heard_by_component == [StreamEnded(None, by_peer=True)]
    assert heard_by_server == [StreamEnded(None, by_peer=False)]
    assert component.state is server.state is ComponentState.CLOSED


def test_a_refused_stanza_arrives_for_the_router_to_answer() -> None:
    component, server = pair()
    pump(component, server)
    events = component.receive_data(
        f"<iq type='get' id='q1' from='{USER}' to='{DOMAIN}'><ping xmlns='{NS_PING}'/>"
        f"<ping xmlns='{NS_PING}'/></iq>".encode())
    assert len(events) == 1 and isinstance(events[0], Received)
    assert isinstance(events[0].stanza, StanzaFailed)


def test_what_is_not_a_stanza_is_ignored_once_ready() -> None:
    component, server = pair()
    pump(component, server)
    events = component.receive_data(b"<handshake/>")
    assert len(events) == 1 and isinstance(events[0], Ignored)


def test_send_checks_the_stanza() -> None:
    component, server = pair()
    pump(component, server)
    with pytest.raises(ArgumentValueError, match="namespace=COMPONENT"):
        component.send(Message(from_=JID.parse(f"bot@{DOMAIN}"), to=USER))
    with pytest.raises(ArgumentValueError, match="'from' and 'to'"):
        component.send(Message(namespace=COMPONENT, to=USER))
    with pytest.raises(ArgumentTypeError):
        component.send(Handshake())  # type: ignore[arg-type]


def test_calls_the_state_does_not_allow_are_refused() -> None:
    component = ComponentSession.connect(DOMAIN, SECRET)
    message = Message(namespace=COMPONENT, from_=JID.parse(f"bot@{DOMAIN}"), to=USER)
    with pytest.raises(ProtocolError, match="'send\\(\\)' is not allowed in state 'connecting'"):
        component.send(message)
    component.close()
    with pytest.raises(ProtocolError, match="'close\\(\\)' is not allowed in state 'closing'"):
        component.close()


def test_every_state_the_table_names_is_reachable_in_the_tests() -> None:
    # The table is the whole behaviour: each state has its rows, and nothing is
    # accepted in CLOSED.
    states = SESSION.states()
    assert ComponentState.CLOSED not in states
    assert states | {ComponentState.CLOSED} == set(ComponentState)
    for state in states - {ComponentState.CLOSED}:
        assert ComponentInput.FOOTER in SESSION.allowed(state)


@pytest.mark.parametrize("call", [
    lambda: ComponentSession.connect(b"x", SECRET),
    lambda: ComponentSession.connect(DOMAIN, None),
    lambda: ComponentSession.accept(stream_id=1, secrets=SECRETS),
    lambda: ComponentSession.accept(stream_id=STREAM_ID, secrets=42),
    lambda: ComponentSession.accept(stream_id=STREAM_ID, secrets=SECRETS, connected=42),
])
def test_wrong_arguments_are_refused(call: Callable[[], object]) -> None:
    with pytest.raises(ArgumentTypeError):
        call()


def test_empty_arguments_are_refused() -> None:
    with pytest.raises(ArgumentValueError):
        ComponentSession.connect("", SECRET)
    with pytest.raises(ArgumentValueError):
        ComponentSession.accept(stream_id="", secrets=SECRETS)


# -- bytes split anywhere -----------------------------------------------------------------------


def _splitter(cuts: list[int]) -> Callable[[bytes], list[bytes]]:
    def split(data: bytes) -> list[bytes]:
        points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
        return [data[a:b] for a, b in pairwise(points) if b > a]
    return split


@given(cuts=st.lists(st.integers(0, 400), max_size=12), right=st.booleans())
def test_the_outcome_does_not_depend_on_where_bytes_are_split(cuts: list[int],
                                                               right: bool) -> None:
    component, server = pair(secret=SECRET if right else "wrong")
    split = _splitter(cuts)
    heard_by_component, heard_by_server = pump(component, server, split)
    if right:
        assert heard_by_component == heard_by_server == [Authenticated(DOMAIN, STREAM_ID)]
        message = Message(namespace=COMPONENT, from_=JID.parse(f"bot@{DOMAIN}"), to=USER)
        component.send(message)
        component.close()
        heard_by_component, heard_by_server = pump(component, server, split)
        assert heard_by_server == [Received(message), StreamEnded(None, by_peer=True)]
        assert heard_by_component == [StreamEnded(None, by_peer=False)]
    else:
        assert [e.condition for e in failed(heard_by_component)] == \
            [StreamCondition.NOT_AUTHORIZED]
        assert [e.condition for e in failed(heard_by_server)] == \
            [StreamCondition.NOT_AUTHORIZED]
    assert component.state is server.state is ComponentState.CLOSED


# -- a router behind the component --------------------------------------------------------------


def test_a_router_behind_the_component_answers_a_ping() -> None:
    component, server = pair()
    pump(component, server)
    router = Router(DOMAIN, [Identity(category="gateway", type="generic")],
                    namespace=COMPONENT)
    router.handle(Ping, pong, features=[NS_PING])
    now = datetime(2026, 1, 1, tzinfo=UTC)
    request = ping_request(id="ping-1", to=JID.parse(DOMAIN), from_=USER, namespace=COMPONENT)
    server.send(request)
    for _ in range(2):
        heard_by_component, heard_by_server = pump(component, server)
        for event in heard_by_component:
            assert isinstance(event, Received)
            for answer in router.receive(event.stanza, now=now):
                assert isinstance(answer, Send)
                component.send(answer.stanza)
    assert heard_by_server == [Received(Iq(namespace=COMPONENT, type=IqType.RESULT,
                                           id="ping-1", from_=JID.parse(DOMAIN), to=USER))]


# -- whatever the peer sends ------------------------------------------------------------------

_PIECES = [
    HEADER_FROM_SERVER, HEADER_FROM_COMPONENT,
    HEADER_FROM_SERVER.replace(f" id='{STREAM_ID}'".encode(), b""),
    HEADER_FROM_COMPONENT.replace(COMPONENT.encode(), CLIENT.encode()),
    b"<handshake/>", f"<handshake>{handshake_digest(STREAM_ID, SECRET)}</handshake>".encode(),
    b"<handshake>nonsense</handshake>",
    f"<message from='bot@{DOMAIN}' to='{USER}'/>".encode(),
    f"<message from='{USER}' to='bot@{DOMAIN}'/>".encode(),
    b"<message/>", f"<iq type='get' id='1' from='bot@{DOMAIN}' to='{USER}'/>".encode(),
    b"<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
    b"<stream:features/>", b"<r xmlns='urn:xmpp:sm:3'/>", b"<unknown xmlns='urn:example'/>",
    b"</stream:stream>", b" ", b"<broken", b"</mismatch>", b"&bogus;",
]


@given(role=st.sampled_from(list(ComponentRole)),
       pieces=st.lists(st.sampled_from(_PIECES), max_size=8),
       calls=st.lists(st.sampled_from(["send", "close", None]), max_size=8))
def test_nothing_the_peer_sends_raises_before_the_stream_is_closed(
        role: ComponentRole, pieces: list[bytes], calls: list[str | None]) -> None:
    session = ComponentSession.connect(DOMAIN, SECRET) if role is ComponentRole.COMPONENT \
        else ComponentSession.accept(stream_id=STREAM_ID, secrets=SECRETS)
    message = Message(namespace=COMPONENT, from_=JID.parse(f"bot@{DOMAIN}"), to=USER)
    ends = 0
    for piece, call in zip(pieces, calls + [None] * len(pieces), strict=False):
        if session.state is ComponentState.CLOSED:
            break
        events = session.receive_data(piece)
        ends += len(ended(events))
        if call == "send" and session.state is ComponentState.READY:
            session.send(message)
        elif call == "close" and session.state in SESSION.states() and \
                ComponentInput.CLOSE in SESSION.allowed(session.state):
            ends += len(ended(session.close()))
        session.data_to_send()
    # The end is reported once at most, and always once the stream is closed.
    assert ends <= 1
    if session.state is ComponentState.CLOSED:
        assert ends == 1
