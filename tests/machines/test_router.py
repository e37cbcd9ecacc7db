"""Tests for xepcodec.machines.router: routing by payload class, the answer every request
gets (and the none every answer gets), the disco#info answer built from the registered
machines, and pending requests resolved by their addressee or timed out by the caller's
clock.  The machines here are small fakes that follow the convention of
``docs/machines.md``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xepcodec import StreamReader
from xepcodec.api import parse
from xepcodec.core.namespaces import CLIENT, COMPONENT
from xepcodec.core.stanza_errors import Condition
from xepcodec.core.stanzas import Iq, IqType, Message, MessageType, Presence, error_reply
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ProtocolError
from xepcodec.machines.base import Event, IdCounter, Ignored, Machine, Send
from xepcodec.machines.router import Response, Router, RouterEvent, TimedOut
from xepcodec.protocols.cookies import Cookies, SetCookies
from xepcodec.protocols.disco import FEATURE_INFO, Identity, InfoQuery, ItemsQuery
from xepcodec.protocols.ping import NS_PING, Ping, ping_request, pong
from xepcodec.protocols.pubkey import Generating, PubKey
from xepcodec.protocols.rsm import ResultSet

SERVICE = JID.parse("svc.example.org")
ALICE = JID.parse("alice@example.org/phone")
MALLORY = JID.parse("mallory@example.net/x")
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SERVER = Identity(category="component", type="generic", name="test service")
#: Payloads that an iq get or set may carry, one instance of each class.
PAYLOADS: tuple[object, ...] = (Ping(), ItemsQuery(), Cookies(), SetCookies(), Generating(),
                                PubKey(), ResultSet())
UNKNOWN = parse("<iq xmlns='jabber:client' type='get' id='u1'><x xmlns='urn:example:x'/></iq>"
                ).payload


@dataclass(frozen=True, slots=True)
class Seen(Event):
    """What a fake machine reports for a stanza it took without answering."""

    machine: str
    stanza: object


class Fake:
    """A machine answering every get or set of its payloads with an empty result, and
    reporting every other stanza it takes; ``takes`` is its ``accepts``."""

    payloads: ClassVar[tuple[type, ...]] = ()

    def __init__(self, name: str = "fake", features: Iterable[str] = (),
                 takes: Callable[[object], bool] = lambda stanza: True) -> None:
        self.name = name
        self.features = tuple(features)
        self.takes = takes
        self.received: list[tuple[object, datetime | None]] = []

    def accepts(self, stanza: object) -> bool:
        return self.takes(stanza)

    def receive(self, stanza: object, *, now: datetime | None = None) -> list[Any]:
        self.received.append((stanza, now))
        if isinstance(stanza, Iq) and stanza.type in (IqType.GET, IqType.SET):
            return [Send(stanza.result())]
        return [Seen(self.name, stanza)]

    def disco_features(self) -> tuple[str, ...]:
        return self.features


def fake(*payloads: type, **options: Any) -> Fake:
    """A fake machine owning ``payloads`` (a class of its own, as ``payloads`` is a class
    attribute)."""
    kind = type("FakeOf" + "".join(p.__name__ for p in payloads), (Fake,),
                {"payloads": payloads})
    machine: Fake = kind(**options)
    return machine


def router(**options: Any) -> Router:
    return Router(SERVICE, [SERVER], **options)


def get(payload: object, *, id: str = "q1", to: JID | None = SERVICE, from_: JID | None = ALICE,
        type: IqType = IqType.GET) -> Iq:
    return Iq(type=type, id=id, to=to, from_=from_, extensions=(payload,))


def sent(events: list[Event]) -> list[Any]:
    return [event.stanza for event in events if isinstance(event, Send)]


def only_sent(events: list[Event]) -> Any:
    stanzas = sent(events)
    assert len(stanzas) == 1, events
    return stanzas[0]


def condition(iq: Iq) -> str:
    assert iq.type is IqType.ERROR and iq.error is not None
    return str(iq.error.condition)


# -- construction and registration ------------------------------------------------------------


def test_the_address_is_parsed_and_an_identity_is_required() -> None:
    assert Router("svc.example.org", [SERVER]).address == SERVICE
    with pytest.raises(ArgumentValueError, match="at least one"):
        Router(SERVICE, [])
    with pytest.raises(ArgumentTypeError, match="Identity"):
        Router(SERVICE, ["component/generic"])  # type: ignore[list-item]
    with pytest.raises(ArgumentTypeError):
        Router(42, [SERVER])  # type: ignore[arg-type]


def test_a_fake_machine_is_a_machine_and_anything_else_is_refused() -> None:
    assert isinstance(fake(Ping), Machine)
    with pytest.raises(ArgumentTypeError, match="not a machine"):
        router().register(object())  # type: ignore[arg-type]


def _own(r: Router, how: str, payload: type) -> None:
    if how == "machine":
        r.register(fake(payload))
    else:
        r.handle(payload, pong)


@pytest.mark.parametrize("second", ["machine", "handler"])
@pytest.mark.parametrize("first", ["machine", "handler"])
def test_a_payload_class_has_one_owner(first: str, second: str) -> None:
    r = router()
    _own(r, first, Ping)
    with pytest.raises(ProtocolError, match="Ping already has an owner"):
        _own(r, second, Ping)


def test_a_refused_registration_registers_nothing() -> None:
    r = router()
    r.register(fake(Ping))
    late = fake(Cookies, Ping, features=["urn:example:late"])
    with pytest.raises(ProtocolError):
        r.register(late)
    # Cookies got no owner, and the refused machine's feature is not advertised
    assert condition(only_sent(r.receive(get(Cookies()), now=NOW))) == "service-unavailable"
    assert "urn:example:late" not in r.disco_features()
    assert late.received == []


def test_a_machine_is_registered_once_and_may_list_a_payload_once() -> None:
    r = router()
    machine = fake(features=["urn:example:a"])
    r.register(machine)
    with pytest.raises(ProtocolError, match="already registered"):
        r.register(machine)
    with pytest.raises(ProtocolError, match="FakeOfPingPing lists Ping twice"):
        r.register(fake(Ping, Ping))
    with pytest.raises(ArgumentTypeError, match="lists Ping\\(\\) among its payloads"):
        r.register(type("Wrong", (Fake,), {"payloads": (Ping(),)})())
    assert condition(only_sent(r.receive(get(Ping()), now=NOW))) == "service-unavailable"


def test_handle_checks_its_arguments() -> None:
    r = router()
    with pytest.raises(ArgumentTypeError):
        r.handle(Ping(), pong)  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError):
        r.handle(Ping, "pong")  # type: ignore[arg-type]
    with pytest.raises(ArgumentValueError):
        r.handle(Ping, pong, features=[""])


# -- requests that arrive ------------------------------------------------------------------------


def test_a_handler_answers_its_payload() -> None:
    r = router()
    r.handle(Ping, pong, features=[NS_PING])
    ping = ping_request(id="p1", to=SERVICE, from_=ALICE)
    assert r.receive(ping, now=NOW) == [Send(pong(ping))]


def test_a_handler_that_does_not_answer_the_request_is_a_protocol_error() -> None:
    r = router()
    r.handle(Ping, lambda iq: Iq(type=IqType.RESULT, id="other", to=iq.from_))
    with pytest.raises(ProtocolError, match="must answer the get 'p1'"):
        r.receive(ping_request(id="p1", to=SERVICE, from_=ALICE), now=NOW)
    r = router()
    r.handle(Ping, lambda iq: iq)
    with pytest.raises(ProtocolError):
        r.receive(ping_request(id="p1", to=SERVICE, from_=ALICE), now=NOW)


def test_a_handler_may_answer_with_an_error() -> None:
    r = router()
    r.handle(Cookies, lambda iq: error_reply(iq, Condition.NOT_ALLOWED))
    assert condition(only_sent(r.receive(get(Cookies()), now=NOW))) == "not-allowed"


def test_a_machine_gets_its_payloads_with_the_time() -> None:
    r = router()
    machine = fake(Ping, ItemsQuery)
    r.register(machine)
    request = get(ItemsQuery(), type=IqType.SET)
    assert r.receive(request, now=NOW) == [Send(request.result())]
    assert machine.received == [(request, NOW)]


def test_a_request_its_machine_does_not_accept_is_service_unavailable() -> None:
    r = router()
    machine = fake(Ping, takes=lambda stanza: False)
    r.register(machine)
    request = get(Ping(), id="p9")
    answer = only_sent(r.receive(request, now=NOW))
    assert (answer.id, answer.to, answer.from_) == ("p9", ALICE, SERVICE)
    assert condition(answer) == "service-unavailable"
    assert machine.received == []


@pytest.mark.parametrize("payload", [UNKNOWN, Cookies(), InfoQuery(node="some-node")],
                         ids=["unknown namespace", "no owner", "disco#info of a node"])
def test_a_request_nobody_takes_is_service_unavailable(payload: object) -> None:
    r = router()
    r.register(fake(Ping))
    for kind in (IqType.GET, IqType.SET):
        answer = only_sent(r.receive(get(payload, id="x7", type=kind), now=NOW))
        assert answer == error_reply(get(payload, id="x7", type=kind),
                                     Condition.SERVICE_UNAVAILABLE)


def test_a_machine_that_leaves_a_request_unanswered_has_it_refused() -> None:
    class Silent(Fake):
        payloads = (Ping,)

        def receive(self, stanza: object, *, now: datetime | None = None) -> list[Any]:
            return [Seen("silent", stanza)]

    r = router()
    r.register(Silent())
    request = get(Ping())
    events = r.receive(request, now=NOW)
    assert events[0] == Seen("silent", request)
    assert condition(only_sent(events)) == "service-unavailable"


def test_a_machine_that_answers_twice_is_a_protocol_error() -> None:
    class Twice(Fake):
        payloads = (Ping,)

        def receive(self, stanza: object, *, now: datetime | None = None) -> list[Any]:
            assert isinstance(stanza, Iq)
            return [Send(stanza.result()), Send(error_reply(stanza, Condition.CONFLICT))]

    r = router()
    r.register(Twice())
    with pytest.raises(ProtocolError, match="2 times"):
        r.receive(get(Ping()), now=NOW)


def test_a_machine_may_send_other_stanzas_with_its_answer() -> None:
    class Pushing(Fake):
        payloads = (ItemsQuery,)

        def receive(self, stanza: object, *, now: datetime | None = None) -> list[Any]:
            assert isinstance(stanza, Iq)
            push = Iq(type=IqType.SET, id="push-1", to=stanza.from_, extensions=(Ping(),))
            return [Send(stanza.result()), Send(push)]

    r = router()
    r.register(Pushing())
    assert [stanza.type for stanza in sent(r.receive(get(ItemsQuery(), type=IqType.SET),
                                                     now=NOW))] == [IqType.RESULT, IqType.SET]


def test_an_answer_is_never_answered() -> None:
    r = router()
    r.handle(Ping, pong)
    r.register(fake(Cookies, takes=lambda stanza: False))
    answers = [Iq(type=IqType.RESULT, id="a1", to=SERVICE, from_=ALICE,
                  extensions=(payload,) if payload is not None else ())
               for payload in (Ping(), Cookies(), UNKNOWN, None)]
    answers += [error_reply(get(payload, id="a1", to=ALICE, from_=SERVICE), Condition.CONFLICT,
                            include_payload=True) for payload in (Ping(), Cookies(), UNKNOWN)]
    for answer in answers:
        assert r.receive(answer, now=NOW) == [
            Ignored(answer, "an answer to no pending request ('a1')")]


def test_an_answer_to_nothing_goes_to_the_machines_that_accept_it() -> None:
    r = router()
    wants = fake(Ping, name="wants", takes=lambda stanza: isinstance(stanza, Iq))
    r.register(wants)
    r.handle(Cookies, pong)
    answer = Iq(type=IqType.RESULT, id="push-1", to=SERVICE, from_=ALICE)
    assert r.receive(answer, now=NOW) == [Seen("wants", answer)]


def test_a_refused_stanza_is_answered_with_its_error_unless_it_was_an_answer() -> None:
    reader = StreamReader()
    events = reader.feed(
        b"<stream:stream xmlns='jabber:component:accept' "
        b"xmlns:stream='http://etherx.jabber.org/streams' to='svc.example.org'>"
        b"<iq type='get' id='bad1' from='alice@example.org/phone' to='svc.example.org'/>"
        b"<iq type='result' id='bad2' from='alice@example.org/phone' to='svc.example.org'>"
        b"<x xmlns='urn:example:x'/><y xmlns='urn:example:x'/></iq>"
        b"<iq type='error' id='bad3' from='alice@example.org/phone'/>")
    get_failed, result_failed, error_failed = events[1:]
    r = router()
    answer = only_sent(r.receive(get_failed, now=NOW))
    assert (answer.id, answer.to, answer.from_, answer.namespace) == \
        ("bad1", ALICE, SERVICE, COMPONENT)
    assert condition(answer) == "bad-request"
    for failed in (result_failed, error_failed):
        events = r.receive(failed, now=NOW)
        assert sent(events) == [] and isinstance(events[0], Ignored)


def test_what_is_not_a_stanza_is_ignored() -> None:
    assert router().receive("<iq/>", now=NOW) == [Ignored("<iq/>", "not a stanza: str")]


# -- messages and presences ----------------------------------------------------------------------


def test_messages_and_presences_go_to_every_machine_that_accepts_them() -> None:
    r = router()
    messages = fake(Ping, name="messages", takes=lambda stanza: isinstance(stanza, Message))
    everything = fake(name="everything")
    nothing = fake(Cookies, name="nothing", takes=lambda stanza: False)
    for machine in (messages, nothing, everything):
        r.register(machine)
    r.handle(ItemsQuery, pong)
    message = Message(type=MessageType.CHAT, to=SERVICE, from_=ALICE)
    presence = Presence(to=SERVICE, from_=ALICE)
    assert r.receive(message, now=NOW) == [Seen("messages", message),
                                           Seen("everything", message)]
    assert r.receive(presence, now=NOW) == [Seen("everything", presence)]
    assert nothing.received == []


def test_a_message_no_machine_accepts_is_ignored() -> None:
    r = router()
    r.handle(Ping, pong)
    message = Message(to=SERVICE, from_=ALICE)
    assert r.receive(message, now=NOW) == [Ignored(message, "no machine accepts it")]


# -- disco#info ------------------------------------------------------------------------------


def test_disco_info_of_the_address_lists_every_feature_once() -> None:
    r = router()
    r.register(fake(Cookies, features=["urn:example:a", "urn:example:b"]))
    r.handle(Ping, pong, features=[NS_PING])
    r.register(fake(ItemsQuery, features=["urn:example:b", FEATURE_INFO, "urn:example:c"]))
    r.handle(PubKey, pong)
    request = get(InfoQuery(), id="d1")
    answer = only_sent(r.receive(request, now=NOW))
    assert answer == request.result(InfoQuery(identities=(SERVER,), features=answer.payload
                                              .features))
    assert [f.var for f in answer.payload.features] == [
        FEATURE_INFO, "urn:example:a", "urn:example:b", NS_PING, "urn:example:c"]
    assert r.disco_features() == tuple(f.var for f in answer.payload.features)


def test_disco_info_reads_the_features_when_asked() -> None:
    r = router()
    machine = fake(Ping, features=["urn:example:old"])
    r.register(machine)
    machine.features = ("urn:example:new",)
    answer = only_sent(r.receive(get(InfoQuery()), now=NOW))
    assert [f.var for f in answer.payload.features] == [FEATURE_INFO, "urn:example:new"]


def test_disco_info_of_another_address_or_a_node_goes_to_its_owner() -> None:
    r = router()
    owner = fake(InfoQuery, name="nodes")
    r.register(owner)
    for request in (get(InfoQuery(), to=JID.parse("room@svc.example.org")),
                    get(InfoQuery(node="n")), get(InfoQuery(), type=IqType.SET)):
        assert r.receive(request, now=NOW) == [Send(request.result())]
    assert len(owner.received) == 3
    # ...while the address's own disco#info stays the router's
    answer = only_sent(r.receive(get(InfoQuery()), now=NOW))
    assert answer.payload.identities == (SERVER,)


# -- requests sent ---------------------------------------------------------------------------


def test_a_request_is_sent_from_the_address_with_a_fresh_id() -> None:
    r = router(namespace=COMPONENT)
    first = only_sent(r.request(Ping(), to=ALICE, deadline=NOW))
    second = only_sent(r.request(ItemsQuery(), to="alice@example.org", deadline=NOW,
                                 type=IqType.SET))
    assert first == Iq(namespace=COMPONENT, type=IqType.GET, id="router-1", to=ALICE,
                       from_=SERVICE, extensions=(Ping(),))
    assert (second.id, second.type, second.to) == ("router-2", IqType.SET,
                                                   JID.parse("alice@example.org"))
    assert r.pending == (first, second)


def test_the_ids_come_from_the_caller_and_never_repeat_in_flight() -> None:
    r = router(ids=lambda: "same")
    r.request(Ping(), to=ALICE, deadline=NOW)
    with pytest.raises(ProtocolError, match="'same' again"):
        r.request(Ping(), to=ALICE, deadline=NOW)
    assert len(r.pending) == 1


def test_a_result_from_the_addressee_is_the_response() -> None:
    r = router()
    request = only_sent(r.request(Ping(), to=ALICE, deadline=NOW + timedelta(seconds=30)))
    answer = Iq(type=IqType.RESULT, id=request.id, to=SERVICE, from_=ALICE)
    assert r.receive(answer, now=NOW) == [Response(request, answer)]
    assert Response(request, answer).ok
    assert r.pending == ()
    # answered once: a copy is an answer to nothing
    assert isinstance(r.receive(answer, now=NOW)[0], Ignored)


def test_an_error_from_the_addressee_is_a_response_too() -> None:
    r = router()
    request = only_sent(r.request(Ping(), to=ALICE, deadline=NOW + timedelta(seconds=30)))
    answer = error_reply(request, Condition.SERVICE_UNAVAILABLE)
    [response] = r.receive(answer, now=NOW)
    assert response == Response(request, answer) and not response.ok
    assert isinstance(response, RouterEvent)


def test_an_answer_from_anyone_else_does_not_resolve_the_request() -> None:
    r = router()
    r.register(fake(takes=lambda stanza: True))  # offered nothing of the router's
    request = only_sent(r.request(Ping(), to=ALICE, deadline=NOW + timedelta(seconds=30)))
    for sender in (MALLORY, ALICE.bare, None, SERVICE):
        spoof = Iq(type=IqType.RESULT, id=request.id, to=SERVICE, from_=sender)
        [event] = r.receive(spoof, now=NOW)
        assert isinstance(event, Ignored) and "not from alice@example.org/phone" in event.reason
    assert r.pending == (request,)
    real = Iq(type=IqType.RESULT, id=request.id, to=SERVICE, from_=ALICE)
    assert r.receive(real, now=NOW) == [Response(request, real)]


@pytest.mark.parametrize("sender", [None, ALICE.bare])
@pytest.mark.parametrize("to", [None, ALICE.bare])
def test_a_request_to_the_own_account_is_answered_by_it_or_without_from(
        to: JID | None, sender: JID | None) -> None:
    client = Router(ALICE, [Identity(category="client", type="pc")])
    request = only_sent(client.request(Ping(), to=to, deadline=NOW + timedelta(seconds=30)))
    for spoofer in (MALLORY, ALICE, JID.parse("example.org")):
        spoof = Iq(type=IqType.RESULT, id=request.id, from_=spoofer)
        assert isinstance(client.receive(spoof, now=NOW)[0], Ignored)
    answer = Iq(type=IqType.RESULT, id=request.id, from_=sender)
    assert client.receive(answer, now=NOW) == [Response(request, answer)]
    assert client.pending == ()


def test_expire_times_out_what_is_due_earliest_first() -> None:
    r = router()
    late = only_sent(r.request(Ping(), to=ALICE, deadline=NOW + timedelta(seconds=20)))
    early = only_sent(r.request(Ping(), to=ALICE, deadline=NOW + timedelta(seconds=10)))
    never = only_sent(r.request(Ping(), to=ALICE, deadline=NOW + timedelta(hours=1)))
    assert r.next_deadline() == NOW + timedelta(seconds=10)
    assert r.expire(NOW + timedelta(seconds=9)) == []
    assert r.expire(NOW + timedelta(seconds=20)) == [
        TimedOut(early, NOW + timedelta(seconds=10)), TimedOut(late, NOW + timedelta(seconds=20))]
    assert r.pending == (never,)
    assert r.next_deadline() == NOW + timedelta(hours=1)
    # a deadline in another zone is the same instant
    other_zone = NOW.astimezone(timezone(timedelta(hours=5))) + timedelta(hours=1)
    assert r.expire(other_zone) == [TimedOut(never, NOW + timedelta(hours=1))]
    assert r.next_deadline() is None and r.expire(other_zone) == []


def test_an_answer_after_the_deadline_times_out_whether_or_not_expire_ran() -> None:
    r = router()
    deadline = NOW + timedelta(seconds=5)
    request = only_sent(r.request(Ping(), to=ALICE, deadline=deadline))
    answer = Iq(type=IqType.RESULT, id=request.id, to=SERVICE, from_=ALICE)
    assert r.receive(answer, now=deadline) == [
        TimedOut(request, deadline), Ignored(answer, f"the answer to {request.id!r} came "
                                                     "after its deadline")]
    assert r.pending == () and r.expire(deadline) == []


def test_times_are_aware_datetimes_and_requests_are_gets_or_sets() -> None:
    r = router()
    naive = datetime(2026, 1, 1)
    with pytest.raises(ArgumentValueError, match="deadline has no zone"):
        r.request(Ping(), to=ALICE, deadline=naive)
    with pytest.raises(ArgumentValueError, match="now has no zone"):
        r.receive(Message(), now=naive)
    with pytest.raises(ArgumentValueError, match="now has no zone"):
        r.expire(naive)
    with pytest.raises(ArgumentTypeError, match="now is a datetime"):
        r.receive(Message(), now=0)  # type: ignore[arg-type]
    with pytest.raises(ArgumentValueError, match="get or a set"):
        r.request(Ping(), to=ALICE, deadline=NOW, type=IqType.RESULT)
    assert r.pending == ()


# -- properties ------------------------------------------------------------------------------

_TYPES = st.sampled_from(list(IqType))
_SENDERS = st.sampled_from([ALICE, MALLORY, ALICE.bare, None])


@st.composite
def _iqs(draw: st.DrawFn) -> Iq:
    kind = draw(_TYPES)
    payload = draw(st.sampled_from([*PAYLOADS, UNKNOWN, InfoQuery(), InfoQuery(node="n")]))
    iq = Iq(type=kind if kind is not IqType.ERROR else IqType.GET,
            id=draw(st.sampled_from(["a", "b", "router-1"])),
            to=draw(st.sampled_from([SERVICE, JID.parse("x@svc.example.org"), None])),
            from_=draw(_SENDERS),
            extensions=(payload,) if kind is not IqType.RESULT or draw(st.booleans()) else ())
    return error_reply(iq, Condition.CONFLICT) if kind is IqType.ERROR else iq


class _Silent(Fake):
    """A machine that takes a request and answers nothing."""

    def receive(self, stanza: object, *, now: datetime | None = None) -> list[Any]:
        self.received.append((stanza, now))
        return [Seen(self.name, stanza)]


@given(owners=st.lists(st.tuples(st.sampled_from(["machine", "handler", "refusing", "silent"]),
                                 st.sampled_from([type(p) for p in PAYLOADS] + [InfoQuery])),
                       unique_by=lambda pair: pair[1]),
       iqs=st.lists(_iqs(), max_size=12),
       pending=st.booleans())
def test_every_request_gets_exactly_one_answer_and_no_answer_gets_any(
        owners: list[tuple[str, type]], iqs: list[Iq], pending: bool) -> None:
    r = router()
    refusing: list[Fake] = []
    for how, payload in owners:
        if how == "handler":
            r.handle(payload, lambda iq: iq.result())
        elif how == "silent":
            r.register(type("Silent", (_Silent,), {"payloads": (payload,)})())
        else:
            machine = fake(payload, takes=lambda stanza, how=how: how == "machine")
            r.register(machine)
            refusing += [machine] if how == "refusing" else []
    if pending:
        r.request(Ping(), to=ALICE, deadline=NOW)  # id "router-1", already due
    for iq in iqs:
        answers = [stanza for stanza in sent(r.receive(iq, now=NOW))
                   if isinstance(stanza, Iq) and stanza.type in (IqType.RESULT, IqType.ERROR)]
        if iq.type in (IqType.GET, IqType.SET):
            assert len(answers) == 1
            [answer] = answers
            assert (answer.id, answer.to, answer.from_) == (iq.id, iq.from_, iq.to)
        else:
            assert answers == []
    assert all(machine.received == [] for machine in refusing)


@given(features=st.lists(st.lists(st.sampled_from(["urn:a", "urn:b", "urn:c", FEATURE_INFO]),
                                  max_size=4), max_size=5))
def test_disco_info_is_the_union_of_the_features_each_once(features: list[list[str]]) -> None:
    r = router()
    for number, each in enumerate(features):
        payload = type(PAYLOADS[number])
        if number % 2:
            r.handle(payload, pong, features=each)
        else:
            r.register(fake(payload, features=each))
    answer = only_sent(r.receive(get(InfoQuery()), now=NOW))
    listed = [feature.var for feature in answer.payload.features]
    assert listed[0] == FEATURE_INFO
    assert len(listed) == len(set(listed))
    assert set(listed) == {FEATURE_INFO, *(f for each in features for f in each)}


def test_the_default_id_source_is_a_counter() -> None:
    counter = IdCounter("mine", 7)
    r = router(ids=counter)
    assert only_sent(r.request(Ping(), to=ALICE, deadline=NOW)).id == "mine-7"
    assert counter.next == 8
    assert only_sent(router().request(Ping(), to=None, deadline=NOW)).namespace == CLIENT


_PEERS = [ALICE, MALLORY, JID.parse("example.net"), ALICE.bare]
_operations = st.lists(st.one_of(
    st.tuples(st.just("request"), st.integers(0, 3), st.integers(0, 20)),
    st.tuples(st.just("answer"), st.integers(0, 9), st.integers(0, 3), st.booleans()),
    st.tuples(st.just("expire"), st.integers(0, 5)),
), max_size=25)


@given(_operations)
def test_each_request_ends_once_as_its_addressee_answers_or_its_deadline_passes(
        operations: list[tuple[Any, ...]]) -> None:
    r = router()
    now = NOW
    sent_requests: list[Iq] = []
    ended: dict[str, str] = {}
    deadlines: dict[str, datetime] = {}
    for operation in operations:
        match operation:
            case ("request", peer, seconds):
                request = only_sent(r.request(Ping(), to=_PEERS[peer],
                                              deadline=now + timedelta(seconds=seconds)))
                sent_requests.append(request)
                deadlines[request.id] = now + timedelta(seconds=seconds)
                events = []
            case ("answer", index, peer, ok) if sent_requests:
                request = sent_requests[index % len(sent_requests)]
                answer = Iq(type=IqType.RESULT, id=request.id, to=SERVICE, from_=_PEERS[peer])
                if not ok:
                    answer = error_reply(get(Ping(), id=request.id, to=_PEERS[peer],
                                             from_=SERVICE), Condition.CONFLICT)
                events = r.receive(answer, now=now)
                assert sent(events) == []
                genuine = answer.from_ == request.to and request.id not in ended
                if genuine:
                    expected = TimedOut if now >= deadlines[request.id] else Response
                    assert isinstance(events[0], expected)
                else:
                    assert [type(event) for event in events] == [Ignored]
            case ("expire", seconds):
                now += timedelta(seconds=seconds)
                events = r.expire(now)
                assert all(deadlines[event.request.id] <= now for event in events)
            case _:
                events = []
        for event in events:
            if isinstance(event, Response | TimedOut):
                assert event.request.id not in ended, "a request ended twice"
                ended[event.request.id] = type(event).__name__
    for event in r.expire(now):
        assert event.request.id not in ended, "a request ended twice"
        ended[event.request.id] = type(event).__name__
    waiting = {request.id for request in sent_requests} - set(ended)
    assert {request.id for request in r.pending} == waiting
    assert r.next_deadline() == min((deadlines[id] for id in waiting), default=None)
    assert all(deadlines[id] > now for id in waiting)
