"""XEP-0410 self-ping: the ping to one's occupant JID and the verdict of its answer."""

from __future__ import annotations

import pytest

from xepcodec import parse, serialize
from xepcodec.core.stanza_errors import Condition, StanzaError
from xepcodec.core.stanzas import Iq, IqType, Message, error_reply
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError
from xepcodec.protocols import xep
from xepcodec.protocols.ping import Ping, is_ping, pong
from xepcodec.protocols.selfping import (
    SELF_PING_OPTIMIZATION,
    Verdict,
    self_ping,
    verdict,
)

OCCUPANT = JID.parse("characters@chat.shakespeare.lit/JuliC")
JULIET = JID.parse("juliet@capulet.lit/client")


def answer(condition: str, *, type: str = "cancel") -> Iq:
    """The error answer to a self-ping as it arrives: read from the wire, the service's
    ``by`` on the error, addresses as the room sends them."""
    xml = (f"<iq xmlns='jabber:client' from='{OCCUPANT}' to='{JULIET}' id='s2c1' "
           f"type='error'><error type='{type}' by='{OCCUPANT.bare}'>"
           f"<{condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>")
    iq = parse(xml)
    assert isinstance(iq, Iq)
    return iq


#: Every row of XEP-0410 §3.2's list, then the conditions it sums up as "any other".
ROWS = [
    ("service-unavailable", Verdict.JOINED),
    ("feature-not-implemented", Verdict.JOINED),
    ("item-not-found", Verdict.NICK_CHANGED),
    ("remote-server-not-found", Verdict.UNDECIDED),
    ("remote-server-timeout", Verdict.UNDECIDED),
    ("not-acceptable", Verdict.NOT_JOINED),
    ("not-allowed", Verdict.NOT_JOINED),
    ("bad-request", Verdict.NOT_JOINED),
    ("forbidden", Verdict.NOT_JOINED),
    ("recipient-unavailable", Verdict.NOT_JOINED),
    ("internal-server-error", Verdict.NOT_JOINED),
]


def test_a_result_means_joined_with_or_without_the_optimization() -> None:
    ping = self_ping(OCCUPANT, id="s2c1", from_=JULIET)
    result = parse(serialize(pong(ping)))
    assert isinstance(result, Iq) and result.type is IqType.RESULT
    assert verdict(result) is Verdict.JOINED
    assert verdict(result, optimized=True) is Verdict.JOINED


@pytest.mark.parametrize(("condition", "expected"), ROWS)
def test_each_error_without_the_optimization(condition: str, expected: Verdict) -> None:
    assert verdict(answer(condition)) is expected


@pytest.mark.parametrize("condition", [each.value for each in Condition])
def test_every_defined_condition_has_a_verdict(condition: str) -> None:
    listed = dict(ROWS)
    found = verdict(answer(condition))
    assert found is listed.get(condition, Verdict.NOT_JOINED)


def test_the_error_type_does_not_change_the_verdict() -> None:
    for kind in ("cancel", "wait", "modify", "auth"):
        assert verdict(answer("remote-server-timeout", type=kind)) is Verdict.UNDECIDED
        assert verdict(answer("item-not-found", type=kind)) is Verdict.NICK_CHANGED


@pytest.mark.parametrize(("condition", "expected"), [
    ("not-acceptable", Verdict.NOT_JOINED),
    # A room that answers itself reflects nothing: these cannot be a client's answer.
    ("service-unavailable", Verdict.NOT_JOINED),
    ("feature-not-implemented", Verdict.NOT_JOINED),
    ("item-not-found", Verdict.NICK_CHANGED),
    ("remote-server-not-found", Verdict.UNDECIDED),
    ("remote-server-timeout", Verdict.UNDECIDED),
    ("not-allowed", Verdict.NOT_JOINED),
])
def test_each_error_from_a_room_with_the_optimization(condition: str, expected: Verdict) -> None:
    assert verdict(answer(condition), optimized=True) is expected


def test_an_error_built_by_error_reply_reads_the_same() -> None:
    ping = self_ping(OCCUPANT, id="p1", from_=JULIET)
    refused = error_reply(ping, StanzaError.of(Condition.NOT_ACCEPTABLE, by=OCCUPANT.bare))
    assert verdict(refused) is Verdict.NOT_JOINED
    echoed = error_reply(ping, Condition.SERVICE_UNAVAILABLE, include_payload=True)
    assert isinstance(echoed.payload, Ping)
    assert verdict(echoed) is Verdict.JOINED


@pytest.mark.parametrize("kind", ["get", "set"])
def test_a_request_is_no_answer(kind: str) -> None:
    request = Iq(type=IqType(kind), id="x", to=OCCUPANT, extensions=(Ping(),))
    with pytest.raises(ArgumentValueError, match=f"not an iq {kind}"):
        verdict(request)


def test_only_an_iq_has_a_verdict() -> None:
    with pytest.raises(ArgumentTypeError, match="not a Message"):
        verdict(Message(to=OCCUPANT))  # type: ignore[arg-type]


def test_the_self_ping_is_a_ping_to_the_occupant_jid() -> None:
    ping = self_ping("characters@chat.shakespeare.lit/JuliC", id="s2c1", from_=JULIET)
    assert is_ping(ping)
    assert ping.to == OCCUPANT and ping.from_ == JULIET and ping.id == "s2c1"
    assert parse(serialize(ping)) == ping
    assert self_ping(OCCUPANT, id="s2c2").from_ is None


@pytest.mark.parametrize("target", ["characters@chat.shakespeare.lit",
                                    "chat.shakespeare.lit/JuliC", "chat.shakespeare.lit"])
def test_a_self_ping_goes_to_an_occupant(target: str) -> None:
    with pytest.raises(ArgumentValueError, match="occupant JID"):
        self_ping(target, id="s1")


def test_the_module_is_known_by_its_number_and_names_the_feature() -> None:
    module = xep(410)
    assert module.verdict is verdict
    assert SELF_PING_OPTIMIZATION == "http://jabber.org/protocol/muc#self-ping-optimization"
