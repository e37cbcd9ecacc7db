"""Tests for xepcodec.protocols.server_buddies (XEP-0267 Server Buddies).

The XML below is written for these tests; none of it is taken from the XEP.  The
domains are the usual example ones (verona.lit, padua.lit, ...).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from xepcodec.api import parse, serialize
from xepcodec.core.namespaces import CLIENT, COMPONENT, SERVER
from xepcodec.core.stanzas import Iq, IqType, Presence, PresenceType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import JIDError, ParseError, ProtocolError
from xepcodec.model import decode, encode
from xepcodec.protocols.commands import COMMANDS, Action, Command, Status
from xepcodec.protocols.dataforms import DATA_FORMS, FORM_TYPE, FieldType, Form, FormType
from xepcodec.protocols.disco import InfoQuery, check_info_result
from xepcodec.protocols.server_buddies import (
    ADMIN_FORM_TYPE,
    FEATURE,
    NODE,
    PEERJID,
    DomainAddressError,
    DomainSubscription,
    SubmissionError,
    SubscriptionType,
    advertises,
    buddy_form,
    canceled,
    check_domain,
    command_item,
    command_node_info,
    completion,
    disco_feature,
    execute_request,
    form_stage,
    is_domain_subscription,
    read_peerjid,
    result_form,
    submission,
    submit_request,
)
from xepcodec.testing.server_buddies import domain_subscriptions, domains, submissions

VERONA = JID.parse("verona.lit")
PADUA = JID.parse("padua.lit")


def _valid(schema: etree.XMLSchema, obj: Any) -> bytes:
    data = encode(obj)
    tree = etree.fromstring(data)
    assert schema.validate(tree), (data, schema.error_log)
    return data


def _presence(attrs: str, ns: str = SERVER) -> Presence:
    result = parse(f"<presence xmlns='{ns}' {attrs}/>")
    assert isinstance(result, Presence)
    return result


def _form(xml: str) -> Form:
    result = parse(f"<x xmlns='{DATA_FORMS}' {xml}</x>")
    assert isinstance(result, Form)
    return result


# -- constants -------------------------------------------------------------------------


def test_constants() -> None:
    assert FEATURE == "urn:xmpp:server-presence"
    assert NODE == "http://jabber.org/protocol/admin#server-buddy"
    assert ADMIN_FORM_TYPE == "http://jabber.org/protocol/admin"
    assert PEERJID == "peerjid"
    assert [kind.value for kind in SubscriptionType] == [
        "subscribe", "subscribed", "unsubscribe", "unsubscribed"]
    assert SubscriptionType.UNSUBSCRIBED.presence_type is PresenceType.UNSUBSCRIBED


# -- domain addresses ----------------------------------------------------------------------


def test_check_domain_accepts_a_bare_domain_and_normalizes_a_string() -> None:
    assert check_domain("Verona.LIT") == VERONA
    assert check_domain(VERONA, "peer") is VERONA


@pytest.mark.parametrize(("address", "problem"), [
    ("nurse@verona.lit", "has a localpart"),
    ("verona.lit/balcony", "has a resourcepart"),
    ("nurse@verona.lit/balcony", "has a localpart and a resourcepart"),
])
def test_check_domain_refuses_users_and_sessions(address: str, problem: str) -> None:
    with pytest.raises(DomainAddressError) as caught:
        check_domain(address, "'from' address")
    error = caught.value
    assert error.condition == "jid-malformed"
    assert not error.stream
    assert error.role == "'from' address"
    assert error.jid == JID.parse(address)
    assert f"the 'from' address '{address}' {problem}" in error.message
    assert "'verona.lit'" in error.message  # it says what a valid address looks like


def test_check_domain_refuses_a_missing_address() -> None:
    with pytest.raises(DomainAddressError, match="the 'to' address is missing") as caught:
        check_domain(None, "'to' address")
    assert caught.value.jid is None


def test_check_domain_passes_on_a_malformed_jid_error() -> None:
    with pytest.raises(JIDError) as caught:
        check_domain("bad domain.lit")
    assert caught.value.condition == "jid-malformed"


# -- subscription presences ---------------------------------------------------------------


@pytest.mark.parametrize("kind", list(SubscriptionType))
def test_read_a_subscription_presence(kind: SubscriptionType) -> None:
    presence = _presence(f"type='{kind}' from='padua.lit' to='verona.lit' id='p1'")
    got = DomainSubscription.from_presence(presence)
    assert got == DomainSubscription(type=kind, from_=PADUA, to=VERONA, id="p1")
    assert is_domain_subscription(presence)


def test_write_a_subscription_presence() -> None:
    request = DomainSubscription(type=SubscriptionType.SUBSCRIBE, from_=VERONA, to=PADUA,
                                 id="s-7")
    assert serialize(request.presence()) == (
        b'<presence xmlns="jabber:server" type="subscribe" to="padua.lit" '
        b'from="verona.lit" id="s-7"/>')
    assert request.presence(COMPONENT).namespace == COMPONENT
    assert DomainSubscription.from_presence(request.presence()) == request


def test_the_id_is_optional() -> None:
    presence = _presence("type='unsubscribed' from='padua.lit' to='verona.lit'")
    assert DomainSubscription.from_presence(presence).id is None
    assert b"id=" not in serialize(DomainSubscription.from_presence(presence).presence())


def test_type_given_as_a_string_is_converted() -> None:
    made = DomainSubscription(type="subscribed", from_=VERONA, to=PADUA)  # type: ignore[arg-type]
    assert made.type is SubscriptionType.SUBSCRIBED


def test_reversed_answers_the_other_way() -> None:
    request = DomainSubscription(type=SubscriptionType.SUBSCRIBE, from_=VERONA, to=PADUA)
    answer = request.reversed("subscribed", id="a-1")
    assert answer == DomainSubscription(type=SubscriptionType.SUBSCRIBED, from_=PADUA,
                                        to=VERONA, id="a-1")


@pytest.mark.parametrize(("attrs", "words"), [
    ("type='subscribe' from='tybalt@padua.lit' to='verona.lit'",
     ["'from' address", "'tybalt@padua.lit'", "localpart"]),
    ("type='subscribe' from='padua.lit/gate' to='verona.lit'",
     ["'from' address", "'padua.lit/gate'", "resourcepart"]),
    ("type='subscribed' from='padua.lit' to='romeo@verona.lit'",
     ["'to' address", "'romeo@verona.lit'", "localpart"]),
    ("type='unsubscribe' from='padua.lit' to='verona.lit/square'",
     ["'to' address", "resourcepart"]),
    ("type='subscribe' to='verona.lit'", ["'from' address is missing"]),
    ("type='subscribe' from='verona.lit'", ["'to' address is missing"]),
    ("type='subscribe' from='verona.lit' to='verona.lit'", ["with itself"]),
])
def test_addresses_that_are_not_two_domains_are_refused(attrs: str, words: list[str]) -> None:
    presence = _presence(attrs)
    with pytest.raises(DomainAddressError) as caught:
        DomainSubscription.from_presence(presence)
    assert caught.value.condition == "jid-malformed"
    for word in words:
        assert word in caught.value.message
    assert not is_domain_subscription(presence)


def test_building_with_a_user_address_is_refused() -> None:
    with pytest.raises(DomainAddressError, match="localpart"):
        DomainSubscription(type=SubscriptionType.SUBSCRIBE, from_=VERONA,
                           to=JID.parse("friar@padua.lit"))


@pytest.mark.parametrize("attrs", ["", "type='unavailable'", "type='probe'"])
def test_other_presences_are_not_subscriptions(attrs: str) -> None:
    presence = _presence(f"{attrs} from='padua.lit' to='verona.lit'")
    with pytest.raises(ValueError, match="not a subscription presence"):
        DomainSubscription.from_presence(presence)
    assert not is_domain_subscription(presence)


@given(domain_subscriptions())
def test_generated_subscriptions_are_schema_valid_and_round_trip(
        schema: etree.XMLSchema, request: DomainSubscription) -> None:
    presence = request.presence()
    data = _valid(schema, presence)
    back = decode(etree.fromstring(data))
    assert back == presence
    assert DomainSubscription.from_presence(back) == request


@given(domain_subscriptions(), st.sampled_from([CLIENT, SERVER, COMPONENT]))
def test_every_stanza_namespace_round_trips(
        schema: etree.XMLSchema, request: DomainSubscription, namespace: str) -> None:
    data = _valid(schema, request.presence(namespace))
    assert DomainSubscription.from_presence(parse(data)) == request


# -- the admin command: the form ------------------------------------------------------------


def test_buddy_form_fields(schema: etree.XMLSchema) -> None:
    form = buddy_form()
    assert form.type is FormType.FORM
    assert form.form_type == ADMIN_FORM_TYPE
    peer = form.get(PEERJID)
    assert peer is not None
    assert peer.type is FieldType.JID_SINGLE
    assert peer.required
    assert peer.values == ()
    assert peer.label
    assert form.title and form.instructions
    data = _valid(schema, form)
    assert decode(etree.fromstring(data)) == form


def test_submission_names_the_peer(schema: etree.XMLSchema) -> None:
    form = submission("Padua.lit")
    assert form.type is FormType.SUBMIT
    assert form.form_type == ADMIN_FORM_TYPE
    assert form.values()[PEERJID] == "padua.lit"
    _valid(schema, form)


def test_submission_refuses_a_user_address() -> None:
    with pytest.raises(DomainAddressError, match=r"peerjid 'nurse@padua\.lit' has a localpart"):
        submission("nurse@padua.lit")


def test_read_peerjid_from_a_typed_submission() -> None:
    form = _form("type='submit'><field var='FORM_TYPE' type='hidden'>"
                 "<value>http://jabber.org/protocol/admin</value></field>"
                 "<field var='peerjid' type='jid-single'><value>padua.lit</value></field>")
    assert read_peerjid(form) == PADUA


def test_read_peerjid_from_an_untyped_submission_without_form_type() -> None:
    form = _form("type='submit'><field var='peerjid'><value> Padua.LIT </value></field>")
    assert read_peerjid(form) == PADUA


def test_a_cancel_form_counts_as_a_submission() -> None:
    # XEP-0050 asks responders to treat <x type='cancel'/> as type submit.
    form = _form("type='cancel'><field var='peerjid'><value>padua.lit</value></field>")
    assert read_peerjid(form) == PADUA


@pytest.mark.parametrize(("body", "condition", "words"), [
    ("type='submit'>", "bad-request", ["'peerjid' has no value"]),
    ("type='submit'><field var='peerjid'/>", "bad-request", ["'peerjid' has no value"]),
    ("type='submit'><field var='peerjid'><value>  </value></field>", "bad-request",
     ["no value"]),
    ("type='submit'><field var='peerjid' type='text-multi'><value>a.lit</value>"
     "<value>b.lit</value></field>", "bad-request", ["2 values"]),
    ("type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:example:other</value>"
     "</field><field var='peerjid'><value>padua.lit</value></field>", "bad-request",
     ["FORM_TYPE", "urn:example:other"]),
    ("type='form'><field var='peerjid'><value>padua.lit</value></field>", "bad-request",
     ["type form", "submit"]),
    ("type='result'><field var='peerjid'><value>padua.lit</value></field>", "bad-request",
     ["type result"]),
    ("type='submit'><field var='peerjid'><value>not a domain</value></field>",
     "jid-malformed", ["'not a domain'", "not a valid JID"]),
    ("type='submit'><field var='peerjid'><value>nurse@padua.lit</value></field>",
     "jid-malformed", ["nurse@padua.lit", "localpart"]),
    ("type='submit'><field var='peerjid'><value>padua.lit/x</value></field>",
     "jid-malformed", ["resourcepart"]),
])
def test_read_peerjid_rejections(body: str, condition: str, words: list[str]) -> None:
    with pytest.raises(SubmissionError) as caught:
        read_peerjid(_form(body))
    error = caught.value
    assert error.condition == condition
    assert not error.stream
    for word in words:
        assert word in error.message


def test_read_peerjid_without_a_form() -> None:
    with pytest.raises(SubmissionError, match="no data form") as caught:
        read_peerjid(None)
    assert caught.value.condition == "bad-request"


def test_a_typed_jid_single_field_with_a_bad_jid_fails_when_parsed() -> None:
    # A field typed jid-single is checked by the data forms model already.
    with pytest.raises(ParseError) as caught:
        _form("type='submit'><field var='peerjid' type='jid-single'>"
              "<value>two words</value></field>")
    assert caught.value.condition == "jid-malformed"


@given(submissions())
def test_generated_submissions_are_schema_valid_and_read_back(
        schema: etree.XMLSchema, drawn: tuple[JID, Form]) -> None:
    peer, form = drawn
    data = _valid(schema, form)
    back = decode(etree.fromstring(data))
    assert back == form
    assert read_peerjid(back) == peer


def test_result_form(schema: etree.XMLSchema) -> None:
    form = result_form("padua.lit")
    assert form.type is FormType.RESULT
    assert form.form_type == ADMIN_FORM_TYPE
    assert form.values()[PEERJID] == PADUA
    _valid(schema, form)


# -- the admin command: each step ---------------------------------------------------------


def test_the_whole_command_exchange(schema: etree.XMLSchema) -> None:
    request = execute_request(id="c1", server="verona.lit", admin="escalus@verona.lit/desk",
                              lang="en")
    assert request.type is IqType.SET
    assert request.to == VERONA
    assert request.from_ == JID.parse("escalus@verona.lit/desk")
    assert request.lang == "en"
    command = request.payload
    assert command == Command(node=NODE, action=Action.EXECUTE)
    _valid(schema, request)

    stage = form_stage(command, "server-buddy:41")
    assert stage.status is Status.EXECUTING
    assert stage.sessionid == "server-buddy:41"
    assert stage.actions is not None
    assert stage.actions.allowed == {Action.COMPLETE}
    assert stage.actions.default is Action.COMPLETE
    assert stage.find(Form) == buddy_form()
    _valid(schema, request.result(stage))

    submit = submit_request(stage, "padua.lit")
    assert submit.sessionid == "server-buddy:41"
    assert submit.action is Action.COMPLETE
    assert read_peerjid(submit.find(Form)) == PADUA
    _valid(schema, submit)

    done = completion(submit)
    assert done.status is Status.COMPLETED and done.payload == ()
    assert done.sessionid == "server-buddy:41"
    with_data = completion(submit, peer=PADUA)
    assert with_data.find(Form) == result_form(PADUA)
    _valid(schema, with_data)

    stop = canceled(stage.cancel())
    assert stop.status is Status.CANCELED
    assert stop.ended
    _valid(schema, stop)


def test_a_submission_cannot_follow_an_ended_session() -> None:
    stage = form_stage(Command.execute(NODE), "s-1")
    with pytest.raises(ProtocolError):
        submit_request(completion(submit_request(stage, "padua.lit")), "padua.lit")


def test_concrete_command_xml_reads_as_the_helpers_build_it() -> None:
    xml = (f"<iq xmlns='jabber:client' type='set' id='r2' to='verona.lit' "
           f"from='escalus@verona.lit/desk'><command xmlns='{COMMANDS}' node='{NODE}' "
           f"sessionid='sb-9' action='complete'><x xmlns='{DATA_FORMS}' type='submit'>"
           f"<field var='{FORM_TYPE}' type='hidden'><value>{ADMIN_FORM_TYPE}</value></field>"
           f"<field var='peerjid'><value>padua.lit</value></field></x></command></iq>")
    iq = parse(xml)
    assert isinstance(iq, Iq)
    command = iq.payload
    assert isinstance(command, Command)
    assert command.node == NODE and command.sessionid == "sb-9"
    assert read_peerjid(command.find(Form)) == PADUA


# -- discovery ------------------------------------------------------------------------------


def test_disco_feature_and_advertises(schema: etree.XMLSchema) -> None:
    assert disco_feature().var == FEATURE
    query = parse("<query xmlns='http://jabber.org/protocol/disco#info'>"
                  "<identity category='server' type='im'/>"
                  "<feature var='urn:xmpp:server-presence'/></query>")
    assert isinstance(query, InfoQuery)
    assert advertises(query)
    assert not advertises(InfoQuery(identities=query.identities))
    _valid(schema, InfoQuery(features=(disco_feature(),)))


def test_command_item_and_node_info(schema: etree.XMLSchema) -> None:
    item = command_item("verona.lit")
    assert (item.jid, item.node) == (VERONA, NODE)
    assert item.name
    info = command_node_info()
    check_info_result(info, InfoQuery(node=NODE))
    assert info.identity_of("automation", "command-node") is not None
    assert info.has_feature(COMMANDS) and info.has_feature(DATA_FORMS)
    _valid(schema, info)


@given(domains())
def test_generated_domains_are_domains(domain: JID) -> None:
    assert check_domain(domain) == domain
