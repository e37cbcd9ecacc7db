"""Tests for xepcodec.machines.server_buddies, the XEP-0267 server roster.

Two machines, montague.lit and capulet.lit, are wired back to back and run every flow
of both versions of the XEP stanza by stanza; every RFC 6121 transition is checked
against a second, independent description of the rules; a hypothesis state machine
drives random administrators, approvals, refusals, restarts and reordered or repeated
deliveries.  The stanzas are written for these tests; none is taken from a spec.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import itertools
import json
import re
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import xepcodec.machines.server_buddies as machine_module
from xepcodec.api import parse, serialize
from xepcodec.core.namespaces import COMPONENT, SERVER
from xepcodec.core.stanza_errors import Condition, ErrorType, StanzaError
from xepcodec.core.stanzas import Iq, IqType, Message, Presence, PresenceType
from xepcodec.core.stanzas import Status as StatusText
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ProtocolError
from xepcodec.machines.base import Event, Ignored, Machine, Send, from_json, to_json
from xepcodec.machines.router import Router
from xepcodec.machines.server_buddies import (
    AUTO_APPROVE_ALL,
    ApprovalNeeded,
    Approved,
    Authorization,
    AuthorizationSource,
    BuddiesEvent,
    Config,
    NotAuthorizedError,
    PeerError,
    RosterChanged,
    ServerBuddies,
    State,
    SubscribeAuthorized,
    Subscription,
    Trust,
    Version,
    inbound_rule,
    outbound_rule,
)
from xepcodec.protocols.commands import (
    Action,
    Command,
    CommandCondition,
    Status,
    command_condition_of,
)
from xepcodec.protocols.dataforms import Field, Form, FormType
from xepcodec.protocols.disco import Identity, InfoQuery, check_info_result, info_request
from xepcodec.protocols.server_buddies import (
    FEATURE,
    NODE,
    PEERJID,
    SubscriptionType,
    buddy_form,
    execute_request,
    result_form,
    submission,
)

MONTAGUE = JID.parse("montague.lit")
CAPULET = JID.parse("capulet.lit")
ROMEO = JID.parse("romeo@montague.lit/orchard")  # montague's administrator
JULIET = JID.parse("juliet@capulet.lit/balcony")  # capulet's administrator
TYBALT = JID.parse("tybalt@capulet.lit/street")  # not an administrator
OTHER = {MONTAGUE: CAPULET, CAPULET: MONTAGUE}
ADMIN = {MONTAGUE: ROMEO, CAPULET: JULIET}

SUBSCRIBE, SUBSCRIBED = SubscriptionType.SUBSCRIBE, SubscriptionType.SUBSCRIBED
UNSUBSCRIBE, UNSUBSCRIBED = SubscriptionType.UNSUBSCRIBE, SubscriptionType.UNSUBSCRIBED


# -- helpers ------------------------------------------------------------------------------


def ids(prefix: str) -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter)}"


def config(domain: JID, **changes: Any) -> Config:
    return Config(admins=frozenset({ADMIN[domain]}), **changes)


def machine(domain: JID = MONTAGUE, state: State = State.NONE, **changes: Any) -> ServerBuddies:
    """A machine for ``domain`` holding ``state`` with its peer, built through the
    public snapshot format."""
    fresh = ServerBuddies(domain, config(domain, **changes), ids=ids(domain.domain[0]))
    data = fresh.snapshot()
    if state is not State.NONE:
        data["roster"] = {str(OTHER[domain]): state.value}
    return ServerBuddies.restore(data, ids=ids(domain.domain[0]))


def presence(kind: str, *, sender: JID = CAPULET, to: JID = MONTAGUE,
             id: str | None = None) -> Presence:
    return Presence(namespace=SERVER, type=PresenceType(kind), from_=sender, to=to, id=id)


def sent(events: Iterable[Event]) -> list[Presence | Iq]:
    return [event.stanza for event in events if isinstance(event, Send)]


def sent_presences(events: Iterable[Event]) -> list[Presence]:
    return [stanza for stanza in sent(events) if isinstance(stanza, Presence)]


def xml(stanza: object) -> str:
    return serialize(stanza).decode()


def sub_xml(kind: str, sender: JID, to: JID, id: str) -> str:
    return (f'<presence xmlns="jabber:server" type="{kind}" to="{to}" from="{sender}" '
            f'id="{id}"/>')


def command_iq(command: Command, *, sender: JID = ROMEO, to: JID | None = MONTAGUE,
               id: str = "q1", type: IqType = IqType.SET) -> Iq:
    return Iq(type=type, id=id, to=to, from_=sender, extensions=(command,))


def ignored(events: list[Event]) -> str:
    """The reason of the one Ignored event ``events`` must consist of."""
    assert len(events) == 1 and isinstance(events[0], Ignored), events
    return events[0].reason


def only_reply(events: list[Event]) -> Iq:
    replies = [stanza for stanza in sent(events) if isinstance(stanza, Iq)]
    assert len(replies) == 1, events
    return replies[0]


def error_of(events: list[Event]) -> StanzaError:
    reply = only_reply(events)
    assert reply.type is IqType.ERROR and reply.error is not None, reply
    return reply.error


class Link:
    """montague.lit and capulet.lit back to back: what one sends waits in ``wire``
    until the test delivers it, one stanza at a time, in order."""

    def __init__(self, montague: ServerBuddies, capulet: ServerBuddies) -> None:
        self.machines = {MONTAGUE: montague, CAPULET: capulet}
        self.wire: list[Presence] = []

    @property
    def montague(self) -> ServerBuddies:
        return self.machines[MONTAGUE]

    @property
    def capulet(self) -> ServerBuddies:
        return self.machines[CAPULET]

    def took(self, events: list[Event]) -> list[Event]:
        """Put the presences among ``events`` on the wire; return the events."""
        self.wire.extend(sent_presences(events))
        return events

    def next(self, expected_xml: str) -> list[Event]:
        """Deliver the next stanza, which must be ``expected_xml``."""
        stanza = self.wire.pop(0)
        assert xml(stanza) == expected_xml
        assert stanza.to is not None
        return self.took(self.machines[stanza.to].receive(stanza))

    def agree(self) -> bool:
        return self.montague.state(CAPULET).mirror is self.capulet.state(MONTAGUE)


def execute_and_submit(link: Link, peer: JID | str, *, sender: JID = ROMEO,
                       server: JID = MONTAGUE) -> tuple[Iq, list[Event]]:
    """Run the command on ``server`` as ``sender``: the form stage, then the
    submission naming ``peer``.  Returns the form stage and the submission's events."""
    machine_ = link.machines[server]
    stage = only_reply(machine_.receive(execute_request(id="e1", server=server, admin=sender)))
    command = stage.payload
    assert isinstance(command, Command)
    events = machine_.receive(command_iq(
        command.proceed("complete", payload=(submission(peer),)), sender=sender, to=server,
        id="e2"))
    return stage, link.took(events)


# -- the state enumeration ------------------------------------------------------------------


def test_nine_states_with_their_parts() -> None:
    parts = {state: (state.subscription, state.pending_out, state.pending_in) for state in State}
    assert parts == {
        State.NONE: (Subscription.NONE, False, False),
        State.NONE_PENDING_OUT: (Subscription.NONE, True, False),
        State.NONE_PENDING_IN: (Subscription.NONE, False, True),
        State.NONE_PENDING_OUT_IN: (Subscription.NONE, True, True),
        State.TO: (Subscription.TO, False, False),
        State.TO_PENDING_IN: (Subscription.TO, False, True),
        State.FROM: (Subscription.FROM, False, False),
        State.FROM_PENDING_OUT: (Subscription.FROM, True, False),
        State.BOTH: (Subscription.BOTH, False, False),
    }
    for state in State:
        assert State.of(state.subscription, pending_out=state.pending_out,
                        pending_in=state.pending_in) is state


@pytest.mark.parametrize(("subscription", "out", "in_"), [
    ("to", True, False), ("from", False, True), ("both", True, False), ("both", False, True)])
def test_impossible_combinations(subscription: str, out: bool, in_: bool) -> None:
    with pytest.raises(ValueError, match="cannot be pending for a subscription already held"):
        State.of(subscription, pending_out=out, pending_in=in_)


def test_mirror_swaps_the_directions() -> None:
    for state in State:
        mirrored = state.mirror
        assert mirrored.mirror is state
        assert mirrored.pending_out == state.pending_in
        assert mirrored.pending_in == state.pending_out
        swap = {Subscription.TO: Subscription.FROM, Subscription.FROM: Subscription.TO}
        assert mirrored.subscription == swap.get(state.subscription, state.subscription)


# -- the RFC 6121 rules, checked against a second description --------------------------------
#
# The machine writes the rules as tables, state by state.  Here they are described again
# by what each stanza does to the parts of a state (the subscription and the two
# pending flags), which is how RFC 6121 §3 explains them in prose.


def _parts(state: State) -> tuple[bool, bool, bool, bool]:
    """(to, from, pending-out, pending-in)"""
    sub = state.subscription
    return (sub in (Subscription.TO, Subscription.BOTH),
            sub in (Subscription.FROM, Subscription.BOTH), state.pending_out, state.pending_in)


def _state(to: bool, from_: bool, out: bool, in_: bool) -> State:
    sub = {(False, False): "none", (True, False): "to", (False, True): "from",
           (True, True): "both"}[(to, from_)]
    return State.of(sub, pending_out=out, pending_in=in_)


def _expected_outbound(kind: SubscriptionType, state: State) -> tuple[bool, State]:
    to, from_, out, in_ = _parts(state)
    if kind is SUBSCRIBE:  # always goes out; asks unless already granted
        return True, _state(to, from_, out or not to, in_)
    if kind is UNSUBSCRIBE:  # always goes out; drops what we have or asked
        return True, _state(False, from_, False, in_)
    if kind is SUBSCRIBED:  # only answers a pending request
        return (True, _state(to, True, out, False)) if in_ else (False, state)
    # unsubscribed: refuses a pending request and/or ends the peer's subscription
    if in_ or from_:
        return True, _state(to, False, out, False)
    return False, state


def _expected_inbound(kind: SubscriptionType, state: State) -> tuple[str, State]:
    to, from_, out, in_ = _parts(state)
    if kind is SUBSCRIBE:
        if from_:
            return "confirm", state  # already granted: answer subscribed again
        return ("drop", state) if in_ else ("accept", _state(to, from_, out, True))
    if kind is UNSUBSCRIBE:
        if from_ or in_:
            return "accept", _state(to, False, out, False)
        return "drop", state
    if kind is SUBSCRIBED:
        return ("accept", _state(True, from_, False, in_)) if out else ("drop", state)
    if to or out:
        return "accept", _state(False, from_, False, in_)
    return "drop", state


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("kind", list(SubscriptionType))
def test_outbound_table_matches_the_rules(kind: SubscriptionType, state: State) -> None:
    assert outbound_rule(kind, state) == _expected_outbound(kind, state)


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("kind", list(SubscriptionType))
def test_inbound_table_matches_the_rules(kind: SubscriptionType, state: State) -> None:
    assert inbound_rule(kind, state) == _expected_inbound(kind, state)


def test_some_rows_spelled_out() -> None:
    # A few rows written as RFC 6121's tables give them, as a cross-check of the cross-check.
    assert outbound_rule("subscribe", "from") == (True, State.FROM_PENDING_OUT)
    assert outbound_rule("unsubscribe", "both") == (True, State.FROM)
    assert outbound_rule("subscribed", "none+pending-out+in") == (True, State.FROM_PENDING_OUT)
    assert outbound_rule("unsubscribed", "to") == (False, State.TO)
    assert inbound_rule("subscribe", "to") == ("accept", State.TO_PENDING_IN)
    assert inbound_rule("subscribed", "from+pending-out") == ("accept", State.BOTH)
    assert inbound_rule("unsubscribed", "to+pending-in") == ("accept", State.NONE_PENDING_IN)
    assert inbound_rule("unsubscribe", "none+pending-out") == ("drop", State.NONE_PENDING_OUT)


@pytest.mark.parametrize(("rule", "kind", "state", "words"), [
    (outbound_rule, "probe", "none", "'probe' is not allowed in state 'none'"),
    (inbound_rule, "available", "both", "'available' is not allowed in state 'both'"),
    (outbound_rule, "subscribe", "friends", "allowed there: nothing"),
    (inbound_rule, PresenceType.ERROR, State.TO, "'error' is not allowed in state 'to'"),
])
def test_the_tables_refuse_what_is_not_in_them(rule: Callable[..., Any], kind: Any,
                                                state: Any, words: str) -> None:
    # No implicit transition: a pair the tables do not hold is refused by the tables
    # themselves, naming the table, the state, the input and what the state allows.
    with pytest.raises(ProtocolError, match=re.escape(words)) as caught:
        rule(kind, state)
    assert "server buddies" in str(caught.value)
    if "nothing" not in words:
        assert "allowed there: 'subscribe', 'unsubscribe', 'subscribed', 'unsubscribed'" \
            in str(caught.value)


# -- every inbound transition, through the machine -----------------------------------------


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("kind", list(SubscriptionType))
def test_machine_applies_every_inbound_rule(kind: SubscriptionType, state: State) -> None:
    # Manual approval, no reciprocal approval: the bare RFC behaviour.
    buddies = machine(MONTAGUE, state, approve_reciprocal=False)
    request = presence(kind.value, id="in-1")
    events = buddies.receive(request)
    effect, after = _expected_inbound(kind, state)
    assert buddies.state(CAPULET) is after
    if effect == "drop":
        assert len(events) == 1 and isinstance(events[0], Ignored)
        assert events[0].stanza is request
        assert f"{kind} from capulet.lit means nothing in state {state}" in events[0].reason
    elif effect == "confirm":
        assert [xml(stanza) for stanza in sent(events)] == [
            sub_xml("subscribed", MONTAGUE, CAPULET, "m1")]
        assert not any(isinstance(event, RosterChanged) for event in events)
    else:
        assert events[0] == RosterChanged(CAPULET, state, after)
        if kind is SUBSCRIBE:
            assert events[1:] == [ApprovalNeeded(CAPULET, request)]
        else:
            assert events[1:] == []
        assert sent(events) == []


# -- every outbound call, through the machine ----------------------------------------------


def _call(buddies: ServerBuddies, name: str) -> list[Event]:
    method = getattr(buddies, name)
    if name in ("subscribe", "approve"):
        return list(method(CAPULET, by=ROMEO))
    return list(method(CAPULET))


_CALL_KIND = {"subscribe": SUBSCRIBE, "unsubscribe": UNSUBSCRIBE, "approve": SUBSCRIBED,
              "deny": UNSUBSCRIBED, "revoke": UNSUBSCRIBED}


def _allowed(name: str, state: State) -> bool:
    to, from_, out, in_ = _parts(state)
    return {
        "subscribe": not out and not to,
        "unsubscribe": True,
        "approve": in_,
        "deny": in_,
        "revoke": from_,
        "remove": state is not State.NONE,
    }[name]


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("name", ["subscribe", "unsubscribe", "approve", "deny", "revoke",
                                  "remove"])
def test_every_call_in_every_state(name: str, state: State) -> None:
    buddies = machine(MONTAGUE, state, reciprocate=False)
    if not _allowed(name, state):
        with pytest.raises(ProtocolError):
            _call(buddies, name)
        assert buddies.state(CAPULET) is state
        return
    events = _call(buddies, name)
    if name == "remove":
        assert buddies.state(CAPULET) is State.NONE
        to, from_, out, in_ = _parts(state)
        kinds = [p.type for p in sent_presences(events)]
        assert kinds == ([PresenceType.UNSUBSCRIBE] if to or out else []) + (
            [PresenceType.UNSUBSCRIBED] if from_ or in_ else [])
        return
    routed, after = _expected_outbound(_CALL_KIND[name], state)
    assert routed  # the calls only exist where the stanza goes out
    assert buddies.state(CAPULET) is after
    assert [xml(p) for p in sent_presences(events)] == [
        sub_xml(_CALL_KIND[name].value, MONTAGUE, CAPULET, "m1")]
    changes = [event for event in events if isinstance(event, RosterChanged)]
    assert changes == ([RosterChanged(CAPULET, state, after)] if after is not state else [])


def test_refusals_explain_themselves() -> None:
    with pytest.raises(ProtocolError, match="already pending; unsubscribe first"):
        machine(state=State.NONE_PENDING_OUT).subscribe(CAPULET, by=ROMEO)
    with pytest.raises(ProtocolError, match="already granted this server a subscription"):
        machine(state=State.TO).subscribe(CAPULET, by=ROMEO)
    with pytest.raises(ProtocolError, match=r"no request waiting for approval \(state from\)"):
        machine(state=State.FROM).approve(CAPULET, by=ROMEO)
    with pytest.raises(ProtocolError, match="use revoke"):
        machine(state=State.BOTH).deny(CAPULET)
    with pytest.raises(ProtocolError, match="use deny"):
        machine(state=State.NONE_PENDING_IN).revoke(CAPULET)
    with pytest.raises(ProtocolError, match="not on the roster"):
        machine().remove(CAPULET)


def test_only_administrators_authorize() -> None:
    buddies = machine()
    for by in (TYBALT, "montague.lit"):
        with pytest.raises(NotAuthorizedError, match=r"not an administrator of montague\.lit"):
            buddies.subscribe(CAPULET, by=by)
    pending = machine(state=State.NONE_PENDING_IN)
    with pytest.raises(NotAuthorizedError):
        pending.approve(CAPULET, by=JULIET)
    assert pending.state(CAPULET) is State.NONE_PENDING_IN
    assert issubclass(NotAuthorizedError, ProtocolError)
    # Any resource of an administrator's account is the administrator.
    assert sent(buddies.subscribe(CAPULET, by="romeo@montague.lit/elsewhere"))


@pytest.mark.parametrize(("peer", "words"), [
    ("montague.lit", "own domain"),
    ("friar@capulet.lit", "localpart"),
    ("capulet.lit/crypt", "resourcepart"),
    ("not a domain", "peer server's domain"),
])
def test_calls_need_a_peer_domain(peer: str, words: str) -> None:
    with pytest.raises(ProtocolError, match=words):
        machine().subscribe(peer, by=ROMEO)


# -- version 0.5, end to end ---------------------------------------------------------------


def test_v05_command_then_manual_approval_then_reciprocal() -> None:
    link = Link(machine(MONTAGUE), machine(CAPULET))

    # Romeo runs the command on montague.lit: first the form...
    stage = only_reply(link.montague.receive(execute_request(
        id="e1", server=MONTAGUE, admin=ROMEO, lang="en")))
    assert xml(stage) == (
        '<iq xmlns="jabber:client" type="result" id="e1" to="romeo@montague.lit/orchard" '
        'from="montague.lit"><command xmlns="http://jabber.org/protocol/commands" '
        'node="http://jabber.org/protocol/admin#server-buddy" sessionid="server-buddy:m1" '
        'status="executing" xml:lang="en"><actions execute="complete"><complete/></actions>'
        '<x xmlns="jabber:x:data" type="form"><title>Subscribing to a peer server</title>'
        '<instructions>Give the domain of the peer server this server should subscribe to.'
        '</instructions><field var="FORM_TYPE" type="hidden"><value>'
        'http://jabber.org/protocol/admin</value></field><field var="peerjid" '
        'type="jid-single" label="The domain of the peer server"><required/></field></x>'
        '</command></iq>')

    # ... then the submission: montague.lit subscribes, on Romeo's authority.
    submit = parse(
        '<iq xmlns="jabber:client" type="set" id="e2" to="montague.lit" '
        'from="romeo@montague.lit/orchard"><command '
        'xmlns="http://jabber.org/protocol/commands" '
        'node="http://jabber.org/protocol/admin#server-buddy" sessionid="server-buddy:m1">'
        '<x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE" type="hidden">'
        '<value>http://jabber.org/protocol/admin</value></field><field var="peerjid">'
        '<value>capulet.lit</value></field></x></command></iq>')
    events = link.took(link.montague.receive(submit))
    assert events[:3] == [
        SubscribeAuthorized(CAPULET, Authorization(AuthorizationSource.COMMAND,
                                                   admin=ROMEO.bare,
                                                   session="server-buddy:m1")),
        Send(parse(sub_xml("subscribe", MONTAGUE, CAPULET, "m2"))),
        RosterChanged(CAPULET, State.NONE, State.NONE_PENDING_OUT),
    ]
    assert xml(only_reply(events)) == (
        '<iq xmlns="jabber:client" type="result" id="e2" to="romeo@montague.lit/orchard" '
        'from="montague.lit"><command xmlns="http://jabber.org/protocol/commands" '
        'node="http://jabber.org/protocol/admin#server-buddy" sessionid="server-buddy:m1" '
        'status="completed" xml:lang="en"/></iq>')  # the session's language, kept

    # capulet.lit receives the request and asks its administrator.
    request_xml = sub_xml("subscribe", MONTAGUE, CAPULET, "m2")
    events = link.next(request_xml)
    assert events == [RosterChanged(MONTAGUE, State.NONE, State.NONE_PENDING_IN),
                      ApprovalNeeded(MONTAGUE, parse(request_xml))]
    assert link.capulet.pending_approvals() == (MONTAGUE,)
    assert link.wire == []

    # Juliet approves: subscribed, then the reciprocal subscribe.
    events = link.took(link.capulet.approve(MONTAGUE, by=JULIET))
    assert events == [
        Send(parse(sub_xml("subscribed", CAPULET, MONTAGUE, "c1"))),
        RosterChanged(MONTAGUE, State.NONE_PENDING_IN, State.FROM),
        Approved(MONTAGUE, Authorization(AuthorizationSource.CALL, admin=JULIET.bare)),
        SubscribeAuthorized(MONTAGUE, Authorization(AuthorizationSource.RECIPROCAL,
                                                    admin=JULIET.bare)),
        Send(parse(sub_xml("subscribe", CAPULET, MONTAGUE, "c2"))),
        RosterChanged(MONTAGUE, State.FROM, State.FROM_PENDING_OUT),
    ]
    assert link.capulet.pending_approvals() == ()

    # montague.lit: the grant, then the reciprocal request, which answers its own
    # administrator's request and is approved at once.
    assert link.next(sub_xml("subscribed", CAPULET, MONTAGUE, "c1")) == [
        RosterChanged(CAPULET, State.NONE_PENDING_OUT, State.TO)]
    assert link.next(sub_xml("subscribe", CAPULET, MONTAGUE, "c2")) == [
        RosterChanged(CAPULET, State.TO, State.TO_PENDING_IN),
        Send(parse(sub_xml("subscribed", MONTAGUE, CAPULET, "m3"))),
        RosterChanged(CAPULET, State.TO_PENDING_IN, State.BOTH),
        Approved(CAPULET, Authorization(AuthorizationSource.OWN_REQUEST)),
    ]
    assert link.next(sub_xml("subscribed", MONTAGUE, CAPULET, "m3")) == [
        RosterChanged(MONTAGUE, State.FROM_PENDING_OUT, State.BOTH)]
    assert link.wire == []
    assert dict(link.montague.roster()) == {CAPULET: State.BOTH}
    assert dict(link.capulet.roster()) == {MONTAGUE: State.BOTH}
    assert link.montague.is_trusted(CAPULET) and link.capulet.is_trusted(MONTAGUE)


@pytest.mark.parametrize("auto", [AUTO_APPROVE_ALL, frozenset({MONTAGUE}), {"montague.lit"}])
def test_v05_auto_approval(auto: Any) -> None:
    link = Link(machine(MONTAGUE), machine(CAPULET, auto_approve=auto))
    link.took(link.montague.subscribe(CAPULET, by=ROMEO))
    events = link.next(sub_xml("subscribe", MONTAGUE, CAPULET, "m1"))
    assert events == [
        RosterChanged(MONTAGUE, State.NONE, State.NONE_PENDING_IN),
        Send(parse(sub_xml("subscribed", CAPULET, MONTAGUE, "c1"))),
        RosterChanged(MONTAGUE, State.NONE_PENDING_IN, State.FROM),
        Approved(MONTAGUE, Authorization(AuthorizationSource.AUTO_APPROVE)),
        SubscribeAuthorized(MONTAGUE, Authorization(AuthorizationSource.RECIPROCAL)),
        Send(parse(sub_xml("subscribe", CAPULET, MONTAGUE, "c2"))),
        RosterChanged(MONTAGUE, State.FROM, State.FROM_PENDING_OUT),
    ]
    link.next(sub_xml("subscribed", CAPULET, MONTAGUE, "c1"))
    link.next(sub_xml("subscribe", CAPULET, MONTAGUE, "c2"))
    link.next(sub_xml("subscribed", MONTAGUE, CAPULET, "m2"))
    assert link.montague.state(CAPULET) is State.BOTH is link.capulet.state(MONTAGUE)


def test_v05_allow_list_does_not_cover_other_domains() -> None:
    capulet = machine(CAPULET, auto_approve={"verona.lit"})
    events = capulet.receive(presence("subscribe", sender=MONTAGUE, to=CAPULET))
    assert isinstance(events[-1], ApprovalNeeded)
    assert sent(events) == []


def test_v05_without_reciprocation() -> None:
    link = Link(machine(MONTAGUE), machine(CAPULET, reciprocate=False))
    link.took(link.montague.subscribe(CAPULET, by=ROMEO))
    link.next(sub_xml("subscribe", MONTAGUE, CAPULET, "m1"))
    events = link.took(link.capulet.approve(MONTAGUE, by=JULIET))
    assert [xml(p) for p in sent(events)] == [sub_xml("subscribed", CAPULET, MONTAGUE, "c1")]
    assert not any(isinstance(event, SubscribeAuthorized) for event in events)
    link.next(sub_xml("subscribed", CAPULET, MONTAGUE, "c1"))
    assert (link.montague.state(CAPULET), link.capulet.state(MONTAGUE)) == (State.TO,
                                                                           State.FROM)
    # Under the default rule a one-way subscription is not trust; other rules say so.
    assert not link.montague.is_trusted(CAPULET)
    link.montague.reconfigure(config(MONTAGUE, trust=Trust.ANY))
    link.capulet.reconfigure(config(CAPULET, trust=Trust.GRANTED))
    assert link.montague.is_trusted(CAPULET) and link.capulet.is_trusted(MONTAGUE)


def test_v05_reciprocal_request_waits_when_approve_reciprocal_is_off() -> None:
    link = Link(machine(MONTAGUE, approve_reciprocal=False), machine(CAPULET))
    link.took(link.montague.subscribe(CAPULET, by=ROMEO))
    link.next(sub_xml("subscribe", MONTAGUE, CAPULET, "m1"))
    link.took(link.capulet.approve(MONTAGUE, by=JULIET))
    link.next(sub_xml("subscribed", CAPULET, MONTAGUE, "c1"))
    events = link.next(sub_xml("subscribe", CAPULET, MONTAGUE, "c2"))
    assert isinstance(events[-1], ApprovalNeeded)
    link.took(link.montague.approve(CAPULET, by=ROMEO))
    link.next(sub_xml("subscribed", MONTAGUE, CAPULET, "m2"))
    assert link.agree() and link.montague.state(CAPULET) is State.BOTH


def test_v05_denial() -> None:
    link = Link(machine(MONTAGUE), machine(CAPULET))
    link.took(link.montague.subscribe(CAPULET, by=ROMEO))
    link.next(sub_xml("subscribe", MONTAGUE, CAPULET, "m1"))
    events = link.took(link.capulet.deny(MONTAGUE))
    assert events == [Send(parse(sub_xml("unsubscribed", CAPULET, MONTAGUE, "c1"))),
                      RosterChanged(MONTAGUE, State.NONE_PENDING_IN, State.NONE)]
    assert link.next(sub_xml("unsubscribed", CAPULET, MONTAGUE, "c1")) == [
        RosterChanged(CAPULET, State.NONE_PENDING_OUT, State.NONE)]
    assert link.montague.roster() == {} and link.capulet.roster() == {}


def _buddies(**montague: Any) -> Link:
    link = Link(machine(MONTAGUE, **montague), machine(CAPULET, auto_approve=AUTO_APPROVE_ALL))
    link.took(link.montague.subscribe(CAPULET, by=ROMEO))
    while link.wire:
        stanza = link.wire.pop(0)
        assert stanza.to is not None
        link.took(link.machines[stanza.to].receive(stanza))
    assert link.montague.state(CAPULET) is State.BOTH is link.capulet.state(MONTAGUE)
    return link


def test_v05_unsubscribe_revoke_and_remove() -> None:
    link = _buddies()
    # montague.lit gives up capulet.lit's presence: both -> from; capulet: both -> to.
    events = link.took(link.montague.unsubscribe(CAPULET))
    assert events == [Send(parse(sub_xml("unsubscribe", MONTAGUE, CAPULET, "m3"))),
                      RosterChanged(CAPULET, State.BOTH, State.FROM)]
    assert link.next(sub_xml("unsubscribe", MONTAGUE, CAPULET, "m3")) == [
        RosterChanged(MONTAGUE, State.BOTH, State.TO)]
    # capulet.lit revokes montague's... no: montague revokes capulet's subscription.
    link.took(link.montague.revoke(CAPULET))
    assert link.next(sub_xml("unsubscribed", MONTAGUE, CAPULET, "m4")) == [
        RosterChanged(MONTAGUE, State.TO, State.NONE)]
    assert link.montague.roster() == {} and link.capulet.roster() == {}

    link = _buddies()
    events = link.took(link.capulet.remove(MONTAGUE))
    assert [p.type for p in sent(events)] == [PresenceType.UNSUBSCRIBE,
                                              PresenceType.UNSUBSCRIBED]
    assert link.capulet.state(MONTAGUE) is State.NONE
    link.next(sub_xml("unsubscribe", CAPULET, MONTAGUE, "c3"))
    assert link.montague.state(CAPULET) is State.TO
    link.next(sub_xml("unsubscribed", CAPULET, MONTAGUE, "c4"))
    assert link.montague.roster() == {}


def test_v05_crossing_requests() -> None:
    # Both administrators ask at the same moment: each request answers the other's.
    link = Link(machine(MONTAGUE), machine(CAPULET))
    link.took(link.montague.subscribe(CAPULET, by=ROMEO))
    link.took(link.capulet.subscribe(MONTAGUE, by=JULIET))
    capulet_request = link.wire.pop(1)
    events = link.next(sub_xml("subscribe", MONTAGUE, CAPULET, "m1"))
    assert [type(event) for event in events] == [RosterChanged, Send, RosterChanged, Approved]
    link.wire.insert(0, capulet_request)
    link.next(sub_xml("subscribe", CAPULET, MONTAGUE, "c1"))
    link.next(sub_xml("subscribed", CAPULET, MONTAGUE, "c2"))
    link.next(sub_xml("subscribed", MONTAGUE, CAPULET, "m2"))
    assert link.wire == []
    assert link.montague.state(CAPULET) is State.BOTH is link.capulet.state(MONTAGUE)


def test_v05_redundant_request_from_a_peer_is_confirmed() -> None:
    link = _buddies()
    # capulet.lit asks again (as a server that lost its roster would); montague.lit
    # already granted it, so it confirms without asking anyone.
    events = link.montague.receive(presence("subscribe", id="again"))
    assert [xml(p) for p in sent(events)] == [sub_xml("subscribed", MONTAGUE, CAPULET, "m3")]
    assert link.montague.state(CAPULET) is State.BOTH


# -- version 0.1, end to end ---------------------------------------------------------------


V01 = Version.V0_1


def test_v01_every_request_needs_an_administrator() -> None:
    link = Link(machine(MONTAGUE, version=V01), machine(CAPULET, version=V01))
    events = link.took(link.montague.subscribe(CAPULET, by=ROMEO))
    assert events[0] == SubscribeAuthorized(
        CAPULET, Authorization(AuthorizationSource.CALL, admin=ROMEO.bare))
    assert isinstance(link.next(sub_xml("subscribe", MONTAGUE, CAPULET, "m1"))[-1],
                      ApprovalNeeded)
    link.took(link.capulet.approve(MONTAGUE, by=JULIET))
    link.next(sub_xml("subscribed", CAPULET, MONTAGUE, "c1"))
    # Even the reciprocal request waits for montague's administrator in 0.1.
    events = link.next(sub_xml("subscribe", CAPULET, MONTAGUE, "c2"))
    assert events == [RosterChanged(CAPULET, State.TO, State.TO_PENDING_IN),
                      ApprovalNeeded(CAPULET, parse(sub_xml("subscribe", CAPULET, MONTAGUE,
                                                            "c2")))]
    assert link.montague.pending_approvals() == (CAPULET,)
    events = link.took(link.montague.approve(CAPULET, by=ROMEO))
    assert not any(isinstance(event, SubscribeAuthorized) for event in events)  # both now
    link.next(sub_xml("subscribed", MONTAGUE, CAPULET, "m2"))
    assert link.montague.state(CAPULET) is State.BOTH is link.capulet.state(MONTAGUE)


def test_v01_has_no_command_and_no_feature() -> None:
    montague = machine(MONTAGUE, version=V01)
    events = montague.receive(execute_request(id="x", server=MONTAGUE, admin=ROMEO))
    error = error_of(events)
    assert error.condition is Condition.FEATURE_NOT_IMPLEMENTED
    assert error.text is not None and "0.1" in error.text
    assert montague.disco_features() == ()
    assert montague.command_items(ROMEO) == ()
    request = info_request(id="d", to=MONTAGUE, from_=ROMEO, node=NODE)
    assert not montague.accepts(request)
    assert "0.1" in ignored(montague.receive(request))


@pytest.mark.parametrize("changes", [
    {"auto_approve": AUTO_APPROVE_ALL}, {"auto_approve": {"capulet.lit"}},
    {"approve_reciprocal": True}])
def test_v01_configuration_cannot_auto_approve(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"version 0\.1 of XEP-0267 requires an administrator"):
        Config(version=Version.V0_1, **changes)


# -- the command session --------------------------------------------------------------------


def _stage(buddies: ServerBuddies, sender: JID = ROMEO) -> Command:
    reply = only_reply(buddies.receive(execute_request(id="e", server=MONTAGUE, admin=sender)))
    assert reply.type is IqType.RESULT
    command = reply.payload
    assert isinstance(command, Command) and command.status is Status.EXECUTING
    return command


def _submit(buddies: ServerBuddies, stage: Command, form: Form | None,
            sender: JID = ROMEO, action: str = "complete") -> list[Event]:
    payload = (form,) if form is not None else ()
    return buddies.receive(command_iq(Command(node=NODE, sessionid=stage.sessionid,
                                             action=Action(action), payload=payload),
                                     sender=sender))


def _no_subscribe(events: list[Event]) -> None:
    assert not [p for p in sent_presences(events)]
    assert not any(isinstance(event, SubscribeAuthorized) for event in events)


def test_command_non_admin_is_forbidden() -> None:
    buddies = machine()
    for sender in (JID.parse("benvolio@montague.lit/r"), None):
        request = execute_request(id="e", server=MONTAGUE)
        if sender is not None:
            request = execute_request(id="e", server=MONTAGUE, admin=sender)
        events = buddies.receive(request)
        error = error_of(events)
        assert (error.condition, error.type) == (Condition.FORBIDDEN, ErrorType.CANCEL)
        _no_subscribe(events)
    # An administrator's session cannot be used by someone else either.
    stage = _stage(buddies)
    events = _submit(buddies, stage, submission(CAPULET),
                     sender=JID.parse("benvolio@montague.lit/r"))
    assert error_of(events).condition is Condition.FORBIDDEN
    _no_subscribe(events)


def test_command_session_belongs_to_its_requester() -> None:
    admins = frozenset({ROMEO, JID.parse("mercutio@montague.lit")})
    buddies = ServerBuddies(MONTAGUE, Config(admins=admins), ids=ids("m"))
    stage = _stage(buddies)
    events = _submit(buddies, stage, submission(CAPULET),
                     sender=JID.parse("mercutio@montague.lit/x"))
    error = error_of(events)
    assert command_condition_of(error) is CommandCondition.BAD_SESSIONID
    # The same administrator from another resource is another requester too.
    events = _submit(buddies, stage, submission(CAPULET), sender=ROMEO.with_resource("b"))
    assert command_condition_of(error_of(events)) is CommandCondition.BAD_SESSIONID
    _no_subscribe(events)


@pytest.mark.parametrize(("form", "condition", "specific", "words"), [
    (None, Condition.BAD_REQUEST, CommandCondition.BAD_PAYLOAD, "no data form"),
    (Form(type=FormType.SUBMIT), Condition.BAD_REQUEST, CommandCondition.BAD_PAYLOAD,
     "'peerjid' has no value"),
    (Form(type=FormType.SUBMIT, fields=(Field.of(PEERJID, "nurse@capulet.lit"),)),
     Condition.JID_MALFORMED, None, "localpart"),
    (Form(type=FormType.SUBMIT, fields=(Field.of(PEERJID, "two words"),)),
     Condition.JID_MALFORMED, None, "not a valid JID"),
    (Form(type=FormType.SUBMIT, fields=(Field.of(PEERJID, "montague.lit"),)),
     Condition.BAD_REQUEST, CommandCondition.BAD_PAYLOAD, "own domain"),
    (buddy_form(), Condition.BAD_REQUEST, CommandCondition.BAD_PAYLOAD, "type form"),
])
def test_command_bad_submissions(form: Form | None, condition: Condition,
                                 specific: CommandCondition | None, words: str) -> None:
    buddies = machine()
    stage = _stage(buddies)
    events = _submit(buddies, stage, form)
    error = error_of(events)
    assert error.condition is condition
    assert error.type is ErrorType.MODIFY
    assert command_condition_of(error) is specific
    assert error.text is not None and words in error.text
    _no_subscribe(events)
    # The session stays open: the administrator can correct the form.
    events = _submit(buddies, stage, submission(CAPULET))
    assert only_reply(events).type is IqType.RESULT
    assert buddies.state(CAPULET) is State.NONE_PENDING_OUT


def test_command_cancel_and_expired_sessions() -> None:
    buddies = machine()
    stage = _stage(buddies)
    reply = only_reply(buddies.receive(command_iq(stage.cancel())))
    assert reply.type is IqType.RESULT
    assert isinstance(reply.payload, Command) and reply.payload.status is Status.CANCELED
    events = _submit(buddies, stage, submission(CAPULET))
    error = error_of(events)
    assert (error.condition, command_condition_of(error)) == (
        Condition.NOT_ALLOWED, CommandCondition.SESSION_EXPIRED)
    _no_subscribe(events)
    # A completed session has ended as well.
    stage = _stage(buddies)
    _submit(buddies, stage, submission(CAPULET))
    events = _submit(buddies, stage, submission("verona.lit"))
    assert command_condition_of(error_of(events)) is CommandCondition.SESSION_EXPIRED
    # A session id never given out is bad.
    unknown = Command(node=NODE, sessionid="server-buddy:nope", action=Action.COMPLETE)
    error = error_of(buddies.receive(command_iq(unknown)))
    assert command_condition_of(error) is CommandCondition.BAD_SESSIONID


@pytest.mark.parametrize("action", ["prev", "next"])
def test_command_has_a_single_stage(action: str) -> None:
    buddies = machine()
    stage = _stage(buddies)
    events = _submit(buddies, stage, submission(CAPULET), action=action)
    error = error_of(events)
    assert command_condition_of(error) is CommandCondition.BAD_ACTION
    _no_subscribe(events)


def test_command_execute_with_session_submits() -> None:
    # Without an explicit action the submission means "execute", which is complete here.
    buddies = machine()
    stage = _stage(buddies)
    events = buddies.receive(command_iq(Command(node=NODE, sessionid=stage.sessionid,
                                               payload=(submission(CAPULET),))))
    assert only_reply(events).type is IqType.RESULT
    assert [p.type for p in sent_presences(events)] == [PresenceType.SUBSCRIBE]


def test_command_result_form_when_configured() -> None:
    buddies = machine(result_form=True)
    events = _submit(buddies, _stage(buddies), submission(CAPULET))
    done = only_reply(events).payload
    assert isinstance(done, Command)
    assert done.status is Status.COMPLETED and done.find(Form) == result_form(CAPULET)


def test_command_conflict_when_already_asked() -> None:
    buddies = machine(state=State.NONE_PENDING_OUT)
    stage = _stage(buddies)
    events = _submit(buddies, stage, submission(CAPULET))
    error = error_of(events)
    assert error.condition is Condition.CONFLICT
    assert error.text is not None and "already pending" in error.text
    _no_subscribe(events)
    assert command_condition_of(error_of(_submit(buddies, stage, submission(CAPULET)))) is \
        CommandCondition.SESSION_EXPIRED


def test_command_get_is_bad_request_and_results_are_ignored() -> None:
    buddies = machine()
    events = buddies.receive(command_iq(Command.execute(NODE), type=IqType.GET))
    assert error_of(events).condition is Condition.BAD_REQUEST
    result = Iq(type=IqType.RESULT, id="r", from_=ROMEO, to=MONTAGUE,
                extensions=(Command(node=NODE, status=Status.COMPLETED),))
    assert isinstance(buddies.receive(result)[0], Ignored)


def test_command_for_others_is_ignored() -> None:
    buddies = machine()
    elsewhere = buddies.receive(command_iq(Command.execute(NODE), to=CAPULET))
    assert isinstance(elsewhere[0], Ignored) and "capulet.lit" in elsewhere[0].reason
    other_node = buddies.receive(command_iq(Command.execute("urn:example:backup")))
    assert isinstance(other_node[0], Ignored)
    # No 'to': addressed to the server the requester is connected to, i.e. this one.
    assert only_reply(buddies.receive(command_iq(Command.execute(NODE), to=None))).type \
        is IqType.RESULT


def test_command_sessions_are_bounded() -> None:
    buddies = machine(max_sessions=2)
    first, second, third = _stage(buddies), _stage(buddies), _stage(buddies)
    assert command_condition_of(error_of(_submit(buddies, first, submission(CAPULET)))) is \
        CommandCondition.SESSION_EXPIRED
    assert only_reply(_submit(buddies, second, submission(CAPULET))).type is IqType.RESULT
    assert only_reply(_submit(buddies, third, submission("verona.lit"))).type is IqType.RESULT
    assert {stage.sessionid for stage in (first, second, third)} == {
        "server-buddy:m1", "server-buddy:m2", "server-buddy:m3"}


def test_session_ids_never_repeat_even_with_a_repeating_source() -> None:
    values = iter(["a", "a", "b"])
    buddies = ServerBuddies(MONTAGUE, config(MONTAGUE), ids=lambda: next(values))
    first = _stage(buddies)
    second = _stage(buddies)
    assert (first.sessionid, second.sessionid) == ("server-buddy:a", "server-buddy:b")


# -- what handle ignores or reports ---------------------------------------------------------


@pytest.mark.parametrize(("stanza", "words"), [
    (presence("subscribe", to=JID.parse("verona.lit")), "addressed to verona.lit"),
    (presence("subscribe", sender=TYBALT), "resourcepart"),
    (presence("subscribe", sender=JID.parse("tybalt@capulet.lit")), "localpart"),
    (Presence(namespace=SERVER, from_=CAPULET, to=MONTAGUE), "available"),
    (presence("probe"), "probe"),
    (presence("unavailable"), "unavailable"),
    (presence("subscribe", sender=MONTAGUE), "with itself"),
    (Message(from_=CAPULET, to=MONTAGUE), "not a presence or iq"),
    ("<presence/>", "not a presence or iq"),
])
def test_ignored(stanza: object, words: str) -> None:
    buddies = machine(auto_approve=AUTO_APPROVE_ALL)
    events = buddies.receive(stanza)
    assert len(events) == 1 and isinstance(events[0], Ignored)
    assert events[0].stanza is stanza
    assert words in events[0].reason
    assert buddies.roster() == {}


def test_error_presence_is_reported() -> None:
    buddies = machine(state=State.NONE_PENDING_OUT)
    bounce = parse("<presence xmlns='jabber:server' type='error' from='capulet.lit' "
                   "to='montague.lit' id='m1'><error type='cancel'><remote-server-not-found "
                   "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>")
    assert buddies.receive(bounce) == [PeerError(CAPULET, bounce)]
    assert buddies.state(CAPULET) is State.NONE_PENDING_OUT
    from_user = parse("<presence xmlns='jabber:server' type='error' from='x@capulet.lit' "
                      "to='montague.lit'><error type='cancel'><gone "
                      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>")
    assert isinstance(buddies.receive(from_user)[0], Ignored)
    elsewhere = parse("<presence xmlns='jabber:server' type='error' from='capulet.lit' "
                      "to='verona.lit'><error type='cancel'><gone "
                      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>")
    assert isinstance(buddies.receive(elsewhere)[0], Ignored)


# -- duplicates -----------------------------------------------------------------------------


def test_a_stanza_delivered_twice_is_processed_once() -> None:
    buddies = machine()
    request = presence("subscribe", id="c7")
    buddies.receive(request)
    buddies.receive(presence("unsubscribe", id="c8"))  # capulet withdraws it
    events = buddies.receive(request)  # a late copy of the withdrawn request
    assert "duplicate of the subscribe 'c7'" in ignored(events)
    assert buddies.state(CAPULET) is State.NONE
    # Same id, another type: a different stanza, processed (here: redundant in none).
    events = buddies.receive(presence("unsubscribe", id="c7"))
    assert "means nothing in state none" in ignored(events)


def test_the_same_id_on_another_stanza_is_not_a_duplicate() -> None:
    buddies = machine()
    buddies.receive(presence("subscribe", id="c1"))
    buddies.receive(presence("unsubscribe", id="c2"))
    # Same type and id, different content: a new stanza, not a copy.
    asking = Presence(namespace=SERVER, type=PresenceType.SUBSCRIBE, from_=CAPULET,
                      to=MONTAGUE, id="c1", statuses=(StatusText(text="shall we?"),))
    events = buddies.receive(asking)
    assert isinstance(events[-1], ApprovalNeeded)
    assert buddies.state(CAPULET) is State.NONE_PENDING_IN


def test_duplicates_without_id_or_memory_are_processed() -> None:
    buddies = machine()
    buddies.receive(presence("subscribe"))
    buddies.receive(presence("unsubscribe"))
    buddies.receive(presence("subscribe"))
    assert buddies.state(CAPULET) is State.NONE_PENDING_IN
    forgetful = machine(duplicate_memory=0)
    forgetful.receive(presence("subscribe", id="c1"))
    forgetful.receive(presence("unsubscribe", id="c2"))
    forgetful.receive(presence("subscribe", id="c1"))
    assert forgetful.state(CAPULET) is State.NONE_PENDING_IN


def test_duplicate_memory_is_bounded_per_peer() -> None:
    buddies = machine(duplicate_memory=2)
    for n in range(3):
        buddies.receive(presence("unsubscribed", id=f"u{n}"))
    buddies.receive(presence("subscribe", id="u0"))  # another type
    # u0 (unsubscribed) has been forgotten: only the last two are remembered.
    assert "means nothing" in ignored(buddies.receive(presence("unsubscribed", id="u0")))
    assert "duplicate" in ignored(buddies.receive(presence("subscribe", id="u0")))


def test_duplicate_memory_costs_the_same_whatever_the_ids() -> None:
    # What is remembered of a presence has a fixed size: a peer choosing long ids
    # cannot make the machine hold them.
    def remembered(id_size: int) -> int:
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            buddies = machine()
            for peer in range(20):
                sender = JID.parse(f"peer{peer}.lit")
                for n in range(40):
                    buddies.receive(presence("unsubscribed", sender=sender,
                                            id=f"{n}-".ljust(id_size, "x")))
            gc.collect()
            held = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert len(buddies.snapshot()["received"]) == 20
        return held

    short, long = remembered(8), remembered(8_000)
    # 20 peers x 32 ids of 8 kB would be 5 MB if the ids were kept.
    assert long < 2 * short + 65_536, (short, long)


def test_a_refusal_ends_the_memory_of_the_request() -> None:
    # A peer that lost its state starts its ids again, and its new request may be
    # byte for byte an old one.  Once the administrator has answered the old request,
    # the same stanza is a new request, which waits for an administrator again.
    link = Link(ServerBuddies(MONTAGUE, config(MONTAGUE)),
                ServerBuddies(CAPULET, config(CAPULET)))
    link.took(link.capulet.subscribe(MONTAGUE, by=JULIET))
    link.next(sub_xml("subscribe", CAPULET, MONTAGUE, "sb-1"))
    link.took(link.montague.deny(CAPULET))
    link.next(sub_xml("unsubscribed", MONTAGUE, CAPULET, "sb-1"))
    assert link.agree()
    # capulet.lit restarts with fresh state and asks again: its ids start at sb-1.
    link.machines[CAPULET] = ServerBuddies(CAPULET, config(CAPULET))
    link.took(link.capulet.subscribe(MONTAGUE, by=JULIET))
    events = link.next(sub_xml("subscribe", CAPULET, MONTAGUE, "sb-1"))
    assert isinstance(events[-1], ApprovalNeeded)
    link.took(link.montague.approve(CAPULET, by=ROMEO))
    while link.wire:
        link.next(xml(link.wire[0]))
    assert link.agree() and link.capulet.state(MONTAGUE) is State.BOTH


def test_a_copy_of_a_granted_request_is_confirmed() -> None:
    # No administrator acted (the request was approved by configuration), so the
    # memory still holds the request when capulet.lit, restarted with fresh state,
    # sends it again.  Confirming a subscription the peer holds changes nothing here,
    # so the machine confirms copies too, and the peer that lost its state gets the
    # answer it waits for.
    link = Link(ServerBuddies(MONTAGUE, config(MONTAGUE, auto_approve=AUTO_APPROVE_ALL)),
                ServerBuddies(CAPULET, config(CAPULET)))
    link.took(link.capulet.subscribe(MONTAGUE, by=JULIET))
    while link.wire:
        link.next(xml(link.wire[0]))
    assert link.montague.state(CAPULET) is State.BOTH and link.agree()
    link.machines[CAPULET] = ServerBuddies(CAPULET, config(CAPULET))
    link.took(link.capulet.subscribe(MONTAGUE, by=JULIET))
    events = link.next(sub_xml("subscribe", CAPULET, MONTAGUE, "sb-1"))
    assert [p.type for p in sent_presences(events)] == [PresenceType.SUBSCRIBED]
    link.next(xml(link.wire[0]))
    assert link.capulet.state(MONTAGUE) is State.TO
    assert link.montague.state(CAPULET) is State.BOTH


def test_a_new_stream_ends_the_memory_of_its_ids() -> None:
    # capulet.lit asks, then withdraws: no administrator of montague.lit acted, so a
    # copy of the request is still recognised...
    buddies = machine()
    request = presence("subscribe", id="sb-1")
    buddies.receive(request)
    buddies.receive(presence("unsubscribe", id="sb-2"))
    assert "duplicate" in ignored(buddies.receive(request))
    # ... until the caller reports a new stream from capulet.lit (not a resumption):
    # ids are unique within a stream only (RFC 6120 §8.1.3).
    assert buddies.new_stream(CAPULET) is None
    assert isinstance(buddies.receive(request)[-1], ApprovalNeeded)
    # Another peer's memory is not touched, and a peer never heard of is no error.
    verona = JID.parse("verona.lit")
    buddies.receive(presence("unsubscribed", sender=verona, id="v1"))
    buddies.new_stream("padua.lit")
    assert "duplicate" in ignored(buddies.receive(presence("unsubscribed", sender=verona,
                                                          id="v1")))
    with pytest.raises(ProtocolError):
        buddies.new_stream("nurse@capulet.lit")


# -- trust, roster, discovery ----------------------------------------------------------------


@pytest.mark.parametrize(("trust", "trusted"), [
    (Trust.MUTUAL, {State.BOTH}),
    (Trust.GRANTED, {State.FROM, State.FROM_PENDING_OUT, State.BOTH}),
    (Trust.ANY, {State.TO, State.TO_PENDING_IN, State.FROM, State.FROM_PENDING_OUT,
                 State.BOTH}),
])
def test_is_trusted(trust: Trust, trusted: set[State]) -> None:
    for state in State:
        buddies = machine(state=state, trust=trust)
        assert buddies.is_trusted(CAPULET) is (state in trusted)
        assert buddies.is_trusted("capulet.lit") is (state in trusted)
        # Only the domain itself: its users and sessions are not the server.
        assert not buddies.is_trusted("juliet@capulet.lit")
        assert not buddies.is_trusted("capulet.lit/x")
        assert not buddies.is_trusted("verona.lit")


def test_roster_view() -> None:
    buddies = machine()
    for domain in ("verona.lit", "padua.lit", "mantua.lit"):
        buddies.receive(presence("subscribe", sender=JID.parse(domain)))
    buddies.subscribe("capulet.lit", by=ROMEO)
    roster = buddies.roster()
    assert list(roster) == [JID.parse(d) for d in ("capulet.lit", "mantua.lit", "padua.lit",
                                                   "verona.lit")]
    assert roster[CAPULET] is State.NONE_PENDING_OUT
    with pytest.raises(TypeError):
        roster[CAPULET] = State.BOTH  # type: ignore[index]
    assert buddies.pending_approvals() == tuple(JID.parse(d) for d in ("mantua.lit",
                                                                       "padua.lit",
                                                                       "verona.lit"))
    assert buddies.state("unknown.lit") is State.NONE
    assert "montague.lit" in repr(buddies) and "4 peers" in repr(buddies)


def test_disco_answers() -> None:
    buddies = machine()
    assert buddies.disco_features() == (FEATURE,)
    assert buddies.commands_feature() == "http://jabber.org/protocol/commands"
    # The domain's own disco#info is built by whoever serves the domain, from every
    # machine's disco_features(): this machine leaves it alone.
    request = info_request(id="d1", to=MONTAGUE, from_=CAPULET)
    assert not buddies.accepts(request)
    assert "disco#info about its node" in ignored(buddies.receive(request))
    # The command's node is this machine's to describe, through receive.
    node_request = info_request(id="d2", to=MONTAGUE, from_=ROMEO, node=NODE)
    assert buddies.accepts(node_request)
    node_answer = only_reply(buddies.receive(node_request))
    assert node_answer.type is IqType.RESULT
    assert (node_answer.id, node_answer.to, node_answer.from_) == ("d2", ROMEO, MONTAGUE)
    info = node_answer.payload
    assert isinstance(info, InfoQuery) and info.node == NODE
    check_info_result(info)
    for elsewhere in (info_request(id="d3", to=MONTAGUE, from_=ROMEO, node="other"),
                      info_request(id="d4", to=CAPULET, from_=ROMEO),
                      info_request(id="d5", to=CAPULET, from_=ROMEO, node=NODE)):
        assert not buddies.accepts(elsewhere)
        ignored(buddies.receive(elsewhere))
    # A disco#info answer or a set is no query to answer.
    answer_back = Iq(type=IqType.RESULT, id="d6", to=MONTAGUE, from_=ROMEO,
                     extensions=(InfoQuery(node=NODE),))
    set_query = Iq(type=IqType.SET, id="d7", to=MONTAGUE, from_=ROMEO,
                   extensions=(InfoQuery(node=NODE),))
    for stanza in (answer_back, set_query):
        assert not buddies.accepts(stanza)
        ignored(buddies.receive(stanza))
    # The command itself is run, not described.
    command = command_iq(Command.execute(NODE))
    assert buddies.accepts(command)
    assert isinstance(only_reply(buddies.receive(command)).payload, Command)
    assert [item.node for item in buddies.command_items(ROMEO)] == [NODE]
    assert buddies.command_items(TYBALT) == () and buddies.command_items(None) == ()


@pytest.mark.parametrize("requester", [TYBALT, JID.parse("benvolio@montague.lit/r"),
                                       CAPULET, None])
def test_command_node_info_is_for_administrators(requester: JID | None) -> None:
    # The command list shows the command to administrators only; its node's
    # information is refused to the others alike (XEP-0050 §2.3: forbidden).
    buddies = machine()
    request = info_request(id="d5", to=MONTAGUE, from_=requester, node=NODE)
    assert buddies.accepts(request)
    answer = only_reply(buddies.receive(request))
    assert answer.type is IqType.ERROR and answer.error is not None
    assert (answer.error.condition, answer.error.type) == (Condition.FORBIDDEN,
                                                           ErrorType.CANCEL)
    assert answer.id == "d5" and answer.to == requester
    assert buddies.command_items(requester) == ()
    # The domain's own information is anyone's: the machine does not answer it, and
    # what it adds to it does not depend on who asks.
    assert not buddies.accepts(info_request(id="d6", to=MONTAGUE, from_=requester))
    assert buddies.disco_features() == (FEATURE,)


def test_the_machine_is_routable() -> None:
    # What a router needs, and a router built from it: the domain's disco#info comes
    # from disco_features(), the command node's through receive.
    buddies = machine()
    assert isinstance(buddies, Machine)
    assert ServerBuddies.payloads == (Command, InfoQuery)
    router = Router(MONTAGUE, [Identity(category="server", type="im")])
    router.register(buddies)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    [domain_info] = router.receive(info_request(id="r1", to=MONTAGUE, from_=CAPULET), now=now)
    assert isinstance(domain_info, Send) and FEATURE in domain_info.stanza.payload.feature_vars
    [node_info] = router.receive(info_request(id="r2", to=MONTAGUE, from_=ROMEO, node=NODE),
                                 now=now)
    assert isinstance(node_info, Send) and node_info.stanza.payload.node == NODE
    events = router.receive(presence("subscribe", id="c1"), now=now)
    assert events == [RosterChanged(CAPULET, State.NONE, State.NONE_PENDING_IN),
                      ApprovalNeeded(CAPULET, presence("subscribe", id="c1"))]
    assert all(isinstance(event, BuddiesEvent) for event in events)


# -- configuration -------------------------------------------------------------------------


def test_config_normalizes() -> None:
    made = Config(admins={"Romeo@Montague.lit/orchard"},  # type: ignore[arg-type]
                  auto_approve={"Capulet.LIT"},  # type: ignore[arg-type]
                  version="0.5", trust="any")  # type: ignore[arg-type]
    assert made.admins == {ROMEO.bare}
    assert made.auto_approve == frozenset({CAPULET})
    assert made.version is Version.V0_5 and made.trust is Trust.ANY
    assert made.approves_reciprocal
    assert not Config(version=Version.V0_1).approves_reciprocal
    assert made.auto_approves(CAPULET) and not made.auto_approves(MONTAGUE)
    assert Config(auto_approve=AUTO_APPROVE_ALL).auto_approves(MONTAGUE)
    assert from_json(Config, json.loads(json.dumps(to_json(made)))) == made


@pytest.mark.parametrize(("changes", "words"), [
    ({"auto_approve": "everyone"}, "collection of domains or 'all'"),
    ({"auto_approve": {"nurse@capulet.lit"}}, "localpart"),
    ({"admins": {"not a jid"}}, "admin is not a valid JID"),
    ({"max_sessions": 0}, "max_sessions must be an integer of at least 1"),
    ({"duplicate_memory": -1}, "duplicate_memory must be an integer of at least 0"),
    ({"max_sessions": True}, "max_sessions"),
    ({"namespace": "urn:example"}, "namespace must be one of"),
    ({"version": "0.3"}, "0.3"),
])
def test_config_rejections(changes: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        Config(**changes)


def test_component_namespace() -> None:
    buddies = ServerBuddies("buddies.montague.lit", Config(admins=frozenset({ROMEO}),
                                                          namespace=COMPONENT))
    events = buddies.subscribe(CAPULET, by=ROMEO)
    assert sent_presences(events)[0].namespace == COMPONENT


def test_local_domain_must_be_a_domain() -> None:
    with pytest.raises(ValueError, match=r"local domain 'romeo@montague\.lit' has a localpart"):
        ServerBuddies("romeo@montague.lit")


# -- snapshot and restore -------------------------------------------------------------------


def test_snapshot_is_json_safe_and_lossless() -> None:
    # The default id source: a counter kept in the snapshot.
    link = Link(ServerBuddies(MONTAGUE, config(MONTAGUE, auto_approve={"verona.lit"},
                                               trust=Trust.ANY)),
                ServerBuddies(CAPULET, config(CAPULET)))
    link.took(link.montague.subscribe(CAPULET, by=ROMEO))
    link.next(sub_xml("subscribe", MONTAGUE, CAPULET, "sb-1"))
    open_stage = _stage(link.montague)
    capulet_data = link.capulet.snapshot()
    assert json.loads(json.dumps(capulet_data)) == capulet_data
    restarted = ServerBuddies.restore(json.loads(json.dumps(capulet_data)))
    assert restarted.snapshot() == capulet_data
    # The request waiting for Juliet survived the restart...
    assert restarted.pending_approvals() == (MONTAGUE,)
    # ... and approving it now works as before; the id counter goes on.
    events = restarted.approve(MONTAGUE, by=JULIET)
    ids_used = [p.id for p in sent_presences(events)]
    assert ids_used == ["sb-1", "sb-2"]
    assert restarted.state(MONTAGUE) is State.FROM_PENDING_OUT
    again = ServerBuddies.restore(restarted.snapshot())
    assert sent_presences(again.unsubscribe(MONTAGUE))[0].id == "sb-3"

    # montague.lit: configuration, roster, open session and duplicate memory survive.
    data = link.montague.snapshot()
    back = ServerBuddies.restore(json.loads(json.dumps(data)), ids=ids("r"))
    assert back.snapshot() == {**data, "next_id": None}
    assert back.config == link.montague.config
    assert dict(back.roster()) == dict(link.montague.roster())
    events = _submit(back, open_stage, submission("verona.lit"))
    assert only_reply(events).type is IqType.RESULT


def test_restore_with_a_new_configuration() -> None:
    data = machine(state=State.NONE_PENDING_IN).snapshot()
    changed = ServerBuddies.restore(data, config=config(MONTAGUE, trust=Trust.ANY))
    assert changed.config.trust is Trust.ANY
    assert changed.state(CAPULET) is State.NONE_PENDING_IN


def test_duplicate_memory_survives_a_restart() -> None:
    buddies = machine()
    request = presence("subscribe", id="c1")
    buddies.receive(request)
    buddies.receive(presence("unsubscribe", id="c2"))
    restarted = ServerBuddies.restore(json.loads(json.dumps(buddies.snapshot())))
    assert isinstance(restarted.receive(request)[0], Ignored)
    assert restarted.state(CAPULET) is State.NONE


def test_a_restored_memory_keeps_to_the_new_bounds() -> None:
    buddies = machine()
    for n in range(5):
        buddies.receive(presence("unsubscribed", id=f"u{n}"))
    data = buddies.snapshot()
    assert len(data["received"][0][1]) == 5
    smaller = ServerBuddies.restore(data, config=config(MONTAGUE, duplicate_memory=2))
    assert smaller.snapshot()["received"] == [["capulet.lit", data["received"][0][1][-2:]]]
    assert "duplicate" in ignored(smaller.receive(presence("unsubscribed", id="u4")))
    assert "means nothing" in ignored(smaller.receive(presence("unsubscribed", id="u2")))
    none = ServerBuddies.restore(data, config=config(MONTAGUE, duplicate_memory=0))
    assert none.snapshot()["received"] == []


#: A snapshot as version 2 of the format was first written, before the machines shared
#: one envelope and JSON derived from their dataclasses: it must still restore, unchanged.
_WRITTEN_V2: Final = {
    "format": "xepcodec.server-buddies", "version": 2, "domain": "montague.lit",
    "config": {"version": "0.5", "admins": ["romeo@montague.lit"],
               "auto_approve": ["verona.lit"], "approve_reciprocal": None,
               "reciprocate": True, "trust": "any", "result_form": False,
               "max_sessions": 32, "duplicate_memory": 32, "namespace": "jabber:server"},
    "roster": {"capulet.lit": "none+pending-out", "padua.lit": "none+pending-in"},
    "sessions": [{"id": "server-buddy:sb-2", "requester": "romeo@montague.lit/orchard",
                  "lang": None}],
    "ended_sessions": [],
    "received": [["padua.lit", ["c3366ed3cfbffc1f314f714bcd652b70"]]],
    "next_id": 3,
}


def test_an_earlier_version_2_snapshot_restores_unchanged() -> None:
    data = json.loads(json.dumps(_WRITTEN_V2))
    restored = ServerBuddies.restore(data)
    assert restored.snapshot() == data
    assert restored.config.auto_approve == frozenset({JID.parse("verona.lit")})
    assert restored.config.trust is Trust.ANY
    assert restored.pending_approvals() == (JID.parse("padua.lit"),)
    # The open session goes on, and so does the id counter.
    events = restored.receive(command_iq(Command(node=NODE, sessionid="server-buddy:sb-2",
                                                 payload=(submission("mantua.lit"),))))
    assert [p.id for p in sent_presences(events)] == ["sb-3"]
    assert only_reply(events).type is IqType.RESULT


def test_a_version_1_snapshot_as_written_restores() -> None:
    # Version 1 kept the received presences' types and ids under another key.
    data = {key: value for key, value in _WRITTEN_V2.items() if key != "received"}
    data.update(version=1, received_ids=[["padua.lit", [["subscribe", "p1"]]]])
    restored = ServerBuddies.restore(json.loads(json.dumps(data)))
    assert restored.snapshot() == {**_WRITTEN_V2, "received": []}


def test_a_version_1_snapshot_restores_without_its_ids() -> None:
    # Version 1 remembered received presences by type and id; those are not digests
    # of the stanzas, so they are left behind and everything else comes back.
    data = json.loads(json.dumps(machine(state=State.NONE_PENDING_IN).snapshot()))
    del data["received"]
    data.update(version=1, received_ids=[["capulet.lit", [["subscribe", "c1"]]]])
    restored = ServerBuddies.restore(data)
    assert restored.state(CAPULET) is State.NONE_PENDING_IN
    assert restored.snapshot()["received"] == []


@pytest.mark.parametrize(("damage", "words"), [
    (lambda d: d.update(format="other"), "expected format"),
    (lambda d: d.update(version=99), "expected format"),
    (lambda d: d.pop("roster"), "needs its field 'roster'"),
    (lambda d: d.update(roster={"capulet.lit": "friends"}), "friends"),
    (lambda d: d.update(roster={"x@capulet.lit": "both"}), "localpart"),
    (lambda d: d.update(domain="not a domain"), "not a usable"),
    (lambda d: d["config"].update(version="0.1", auto_approve="all"), "version 0.1"),
    (lambda d: d.update(sessions=[{"id": "s"}]), "requester"),
    (lambda d: d.update(received=[["capulet.lit"]]), "not a usable"),
    (lambda d: d.update(received=[["capulet.lit", ["c1"]]]), "not the digest"),
])
def test_damaged_snapshots(damage: Callable[[dict[str, Any]], Any], words: str) -> None:
    data = json.loads(json.dumps(machine(state=State.BOTH).snapshot()))
    damage(data)
    with pytest.raises(ArgumentValueError,
                       match=r"not a usable xepcodec\.server-buddies snapshot") as caught:
        ServerBuddies.restore(data)
    assert words in str(caught.value)


# -- no subscribe without authorization: the code itself --------------------------------------


def test_one_place_makes_a_subscribe() -> None:
    source = inspect.getsource(machine_module)
    # Presences are made by _send, called from _outbound (any kind) and _inbound
    # (confirmations, always 'subscribed'); a subscribe goes through _outbound, and the
    # only call of _outbound with SUBSCRIBE is in _subscribe.
    uses = [line.strip() for line in source.splitlines()
            if "_outbound(SubscriptionType.SUBSCRIBE," in line]
    assert uses == ["events.extend(self._outbound(SubscriptionType.SUBSCRIBE, peer))"]
    assert "self._send(SubscriptionType.SUBSCRIBED, peer)" in inspect.getsource(
        ServerBuddies._inbound)
    senders = [name for name, member in inspect.getmembers(ServerBuddies)
               if callable(member) and "self._send(" in _source(member)]
    assert sorted(senders) == ["_inbound", "_outbound"]
    body = inspect.getsource(ServerBuddies._subscribe)
    assert "authorization" in body and "SubscribeAuthorized" in body
    callers = [name for name, member in inspect.getmembers(ServerBuddies)
               if callable(member) and "self._subscribe(" in _source(member)]
    assert sorted(callers) == ["_grant", "_submit", "subscribe"]


def _source(member: Any) -> str:
    try:
        return inspect.getsource(member)
    except (OSError, TypeError):
        return ""


# -- what RFC 6121 cannot promise --------------------------------------------------------------


def test_rfc6121_limit_a_refusal_crossing_a_new_request() -> None:
    # RFC 6121 presences carry no reference to the request they answer.  When capulet
    # withdraws its request and asks again while montague's refusal of the first one is
    # on its way, the refusal is taken as refusing the second, which montague still
    # holds as pending: each server followed the RFC, and they disagree.  That is why
    # the property test below lets administrators act only between exchanges.
    link = Link(machine(MONTAGUE), machine(CAPULET))
    link.took(link.capulet.subscribe(MONTAGUE, by=JULIET))
    link.next(sub_xml("subscribe", CAPULET, MONTAGUE, "c1"))
    link.took(link.capulet.unsubscribe(MONTAGUE))
    link.took(link.capulet.subscribe(MONTAGUE, by=JULIET))
    link.took(link.montague.deny(CAPULET))
    # montague's refusal reaches capulet first...
    refusal = link.wire.pop()
    link.wire.insert(0, refusal)
    link.next(sub_xml("unsubscribed", MONTAGUE, CAPULET, "m1"))
    link.next(sub_xml("unsubscribe", CAPULET, MONTAGUE, "c2"))
    link.next(sub_xml("subscribe", CAPULET, MONTAGUE, "c3"))
    assert link.capulet.state(MONTAGUE) is State.NONE
    assert link.montague.state(CAPULET) is State.NONE_PENDING_IN
    assert not link.agree()
    # An administrator's next step repairs it: capulet asks again (it may: nothing is
    # pending on its side) and the duplicate request is simply dropped by montague.
    link.took(link.capulet.subscribe(MONTAGUE, by=JULIET))
    link.next(sub_xml("subscribe", CAPULET, MONTAGUE, "c4"))
    assert link.agree()


# -- the property test ----------------------------------------------------------------------


@st.composite
def configs(draw: st.DrawFn, domain: JID) -> Config:
    version = draw(st.sampled_from(list(Version)))
    changes: dict[str, Any] = {
        "version": version,
        "reciprocate": draw(st.booleans()),
        "trust": draw(st.sampled_from(list(Trust))),
    }
    if version is Version.V0_5:
        changes["auto_approve"] = draw(st.sampled_from(
            [frozenset(), frozenset({OTHER[domain]}), frozenset({JID.parse("verona.lit")}),
             AUTO_APPROVE_ALL]))
        changes["approve_reciprocal"] = draw(st.sampled_from([None, True, False]))
    return config(domain, **changes)


@given(configs(MONTAGUE), st.sampled_from(list(State)), st.booleans())
@settings(max_examples=50, deadline=None)
def test_snapshot_restore_snapshot_is_a_fixed_point(made: Config, state: State,
                                                     own_ids: bool) -> None:
    buddies = ServerBuddies(MONTAGUE, made, ids=ids("m") if own_ids else None)
    data = buddies.snapshot()
    data["roster"] = {str(CAPULET): state.value} if state is not State.NONE else {}
    first = ServerBuddies.restore(json.loads(json.dumps(data)))
    assert first.state(CAPULET) is state and first.config == made
    once = first.snapshot()
    assert ServerBuddies.restore(json.loads(json.dumps(once))).snapshot() == once


class BuddyNetwork(RuleBasedStateMachine):
    """montague.lit and capulet.lit joined by a network that reorders (any stanza in
    flight may arrive next, in either direction) and repeats (any delivered stanza the
    receiver still remembers may arrive again, at any time).  Administrators act
    between exchanges, when nothing is in flight (see
    test_rfc6121_limit_a_refusal_crossing_a_new_request for why), either server may
    restart from its snapshot at any moment, and either may be told of a new stream."""

    def __init__(self) -> None:
        super().__init__()
        self.machines: dict[JID, ServerBuddies] = {}
        self.flight: list[Presence] = []
        self.delivered: dict[JID, list[Presence]] = {MONTAGUE: [], CAPULET: []}
        self.subscribes_sent = 0
        self.authorizations = 0

    @initialize(montague=configs(MONTAGUE), capulet=configs(CAPULET))
    def start(self, montague: Config, capulet: Config) -> None:
        self.machines = {MONTAGUE: ServerBuddies(MONTAGUE, montague),
                         CAPULET: ServerBuddies(CAPULET, capulet)}

    # -- checking what the machines say --

    def _take(self, domain: JID, events: Sequence[Event], *,
              acting_admin: JID | None = None) -> None:
        """Check the authorization behind every subscribe, put presences in flight."""
        buddies = self.machines[domain]
        peer = OTHER[domain]
        if acting_admin is not None and any(isinstance(event, RosterChanged)
                                            for event in events):
            # The administrator moved the state on: what arrived before is answered.
            self.delivered[domain].clear()
        approvals = [event for event in events if isinstance(event, Approved)]
        for index, event in enumerate(events):
            if isinstance(event, Approved):
                self._check_approval(buddies, event, acting_admin)
            if isinstance(event, SubscribeAuthorized):
                self.authorizations += 1
                self._check_authorization(buddies, event, approvals, acting_admin)
            if isinstance(event, Send) and isinstance(event.stanza, Presence):
                stanza = event.stanza
                assert stanza.from_ == domain and stanza.to == peer
                if stanza.type is PresenceType.SUBSCRIBE:
                    self.subscribes_sent += 1
                    previous = events[index - 1] if index else None
                    assert isinstance(previous, SubscribeAuthorized), events
                    assert previous.peer == peer
                self.flight.append(stanza)

    def _check_authorization(self, buddies: ServerBuddies, event: SubscribeAuthorized,
                             approvals: list[Approved], acting_admin: JID | None) -> None:
        source = event.authorization.source
        if source in (AuthorizationSource.CALL, AuthorizationSource.COMMAND):
            assert acting_admin is not None and event.authorization.admin == acting_admin.bare
            assert buddies.is_admin(event.authorization.admin)
        else:
            assert source is AuthorizationSource.RECIPROCAL
            assert buddies.config.reciprocate and approvals
            assert event.authorization.admin == approvals[0].authorization.admin

    def _check_approval(self, buddies: ServerBuddies, event: Approved,
                        acting_admin: JID | None) -> None:
        source = event.authorization.source
        if source is AuthorizationSource.CALL:
            assert acting_admin is not None and event.authorization.admin == acting_admin.bare
        elif source is AuthorizationSource.AUTO_APPROVE:
            assert buddies.config.version is Version.V0_5
            assert buddies.config.auto_approves(event.peer)
        else:
            assert source is AuthorizationSource.OWN_REQUEST
            assert buddies.config.version is Version.V0_5
            assert buddies.config.approves_reciprocal

    # -- administrators, between exchanges --

    def _quiet(self) -> bool:
        return not self.flight

    @precondition(lambda self: not self.flight)
    @rule(side=st.sampled_from([MONTAGUE, CAPULET]), via_command=st.booleans())
    def admin_subscribes(self, side: JID, via_command: bool) -> None:
        buddies = self.machines[side]
        peer = OTHER[side]
        before = buddies.state(peer)
        allowed = not before.pending_out and before.subscription in (Subscription.NONE,
                                                                     Subscription.FROM)
        if via_command:
            stage = only_reply(buddies.receive(execute_request(id="x1", server=side,
                                                              admin=ADMIN[side])))
            if buddies.config.version is Version.V0_1:
                assert stage.error is not None
                assert stage.error.condition is Condition.FEATURE_NOT_IMPLEMENTED
                return
            command = stage.payload
            assert isinstance(command, Command)
            events = buddies.receive(command_iq(
                command.proceed("complete", payload=(submission(peer),)), sender=ADMIN[side],
                to=side, id="x2"))
            reply = only_reply(events)
            assert (reply.type is IqType.RESULT) is allowed
            if not allowed:
                assert reply.error is not None and reply.error.condition is Condition.CONFLICT
        elif allowed:
            events = buddies.subscribe(peer, by=ADMIN[side])
        else:
            with pytest.raises(ProtocolError):
                buddies.subscribe(peer, by=ADMIN[side])
            return
        assert any(isinstance(event, SubscribeAuthorized) for event in events) is allowed
        self._take(side, events, acting_admin=ADMIN[side])

    @precondition(lambda self: not self.flight)
    @rule(side=st.sampled_from([MONTAGUE, CAPULET]), via_command=st.booleans())
    def stranger_tries_to_subscribe(self, side: JID, via_command: bool) -> None:
        buddies = self.machines[side]
        before = buddies.snapshot()
        stranger = JID.parse(f"stranger@{side}/x")
        if via_command:
            events = buddies.receive(execute_request(id="s1", server=side, admin=stranger))
            assert only_reply(events).error is not None
            assert not sent_presences(events)
        else:
            with pytest.raises(NotAuthorizedError):
                buddies.subscribe(OTHER[side], by=stranger)
        assert buddies.snapshot()["roster"] == before["roster"]

    @precondition(lambda self: not self.flight)
    @rule(side=st.sampled_from([MONTAGUE, CAPULET]))
    def both_subscribe_at_once(self, side: JID) -> None:
        # Crossing requests: both administrators ask before either request arrives.
        for domain in (side, OTHER[side]):
            state = self.machines[domain].state(OTHER[domain])
            if state.pending_out or state.subscription in (Subscription.TO, Subscription.BOTH):
                return
        for domain in (side, OTHER[side]):
            events = self.machines[domain].subscribe(OTHER[domain], by=ADMIN[domain])
            self._take(domain, events, acting_admin=ADMIN[domain])

    def _allowed_actions(self, side: JID) -> list[str]:
        state = self.machines[side].state(OTHER[side])
        allowed = {"approve": state.pending_in, "deny": state.pending_in,
                   "revoke": state.subscription in (Subscription.FROM, Subscription.BOTH),
                   "unsubscribe": True, "remove": state is not State.NONE}
        return [action for action, ok in allowed.items() if ok]

    def _call(self, side: JID, action: str) -> list[Event]:
        buddies = self.machines[side]
        if action == "approve":
            return buddies.approve(OTHER[side], by=ADMIN[side])
        events: list[Event] = getattr(buddies, action)(OTHER[side])
        return events

    @precondition(lambda self: not self.flight)
    @rule(side=st.sampled_from([MONTAGUE, CAPULET]), pick=st.integers(min_value=0))
    def admin_acts(self, side: JID, pick: int) -> None:
        # approve, deny, revoke, unsubscribe or remove: one the state allows
        actions = self._allowed_actions(side)
        self._take(side, self._call(side, actions[pick % len(actions)]),
                   acting_admin=ADMIN[side])

    @precondition(lambda self: not self.flight)
    @rule(side=st.sampled_from([MONTAGUE, CAPULET]),
          action=st.sampled_from(["approve", "deny", "revoke", "remove"]))
    def admin_makes_an_illegal_call(self, side: JID, action: str) -> None:
        if action in self._allowed_actions(side):
            return
        before = self.machines[side].snapshot()
        with pytest.raises(ProtocolError):
            self._call(side, action)
        assert self.machines[side].snapshot() == before

    # -- the network --

    @precondition(lambda self: bool(self.flight))
    @rule(pick=st.integers(min_value=0))
    def deliver(self, pick: int) -> None:
        stanza = self.flight.pop(pick % len(self.flight))
        assert stanza.to is not None
        if not self._confirmed(stanza):  # a confirmation needs no remembering
            self.delivered[stanza.to].append(stanza)
        self._take(stanza.to, self.machines[stanza.to].receive(stanza))

    def _confirmed(self, stanza: Presence) -> bool:
        assert stanza.to is not None and stanza.type is not None
        state = self.machines[stanza.to].state(OTHER[stanza.to])
        return inbound_rule(stanza.type.value, state)[0] == "confirm"

    @precondition(lambda self: bool(self.delivered[MONTAGUE] or self.delivered[CAPULET]))
    @rule(side=st.sampled_from([MONTAGUE, CAPULET]), pick=st.integers(min_value=0))
    def deliver_again(self, side: JID, pick: int) -> None:
        # Within what each server remembers, a repeat changes nothing; it sends
        # nothing either, but for confirming a subscription the peer holds.
        memory = self.machines[side].config.duplicate_memory
        recent = self.delivered[side][-memory:]
        if not recent:
            return
        stanza = recent[pick % len(recent)]
        confirmed = self._confirmed(stanza)
        before = self.machines[side].snapshot()["roster"]
        events = self.machines[side].receive(stanza)
        assert len(events) == 1, events
        if confirmed:
            assert isinstance(events[0], Send), events
            assert events[0].stanza.type is PresenceType.SUBSCRIBED
            self._take(side, events)
        else:
            assert isinstance(events[0], Ignored) and "duplicate" in events[0].reason, events
        assert self.machines[side].snapshot()["roster"] == before

    @rule(side=st.sampled_from([MONTAGUE, CAPULET]))
    def new_stream(self, side: JID) -> None:
        self.machines[side].new_stream(OTHER[side])
        self.delivered[side].clear()

    @rule(side=st.sampled_from([MONTAGUE, CAPULET]))
    def restart(self, side: JID) -> None:
        data = json.loads(json.dumps(self.machines[side].snapshot()))
        self.machines[side] = ServerBuddies.restore(data)
        assert self.machines[side].snapshot() == data

    # -- what must always hold --

    @invariant()
    def rosters_agree_once_everything_is_delivered(self) -> None:
        if self.flight or not self.machines:
            return
        montague = self.machines[MONTAGUE].state(CAPULET)
        capulet = self.machines[CAPULET].state(MONTAGUE)
        assert montague.mirror is capulet, (montague, capulet)

    @invariant()
    def every_subscribe_was_authorized(self) -> None:
        assert self.subscribes_sent == self.authorizations


BuddyNetwork.TestCase.settings = settings(max_examples=200, stateful_step_count=50,
                                          deadline=None)
TestBuddyNetwork = BuddyNetwork.TestCase


# -- the documentation's example ----------------------------------------------------------------


def _doc_code() -> str:
    doc = Path(__file__).resolve().parents[2] / "docs" / "server-buddies.md"
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    assert blocks, "the document has python examples"
    return "\n".join(blocks)


def test_the_documented_component_runs() -> None:
    namespace: dict[str, Any] = {"__name__": "server_buddies_example"}
    exec(compile(_doc_code(), "docs/server-buddies.md", "exec"), namespace)
    # The example defines demo(), which runs the component against a scripted peer
    # over a local socket and returns both rosters.
    montague, capulet = asyncio.run(namespace["demo"]())
    assert montague == {"capulet.lit": "both"} and capulet == {"montague.lit": "both"}


@pytest.mark.parametrize("name", sorted(machine_module.__all__))
def test_the_document_covers_the_public_names(name: str) -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "server-buddies.md").read_text(
        encoding="utf-8")
    assert name in text
