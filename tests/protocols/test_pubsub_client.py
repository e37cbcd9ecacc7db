"""Tests for xepcodec.protocols.pubsub.client: the request builders of a XEP-0060 client,
the readers of a service's answers and notifications, and refusals raised typed.

The stanzas below are written for these tests, in the shapes XEP-0060 gives the
service's answers (a made-up item id in a publication's result, an instant node's
name, a page of items with its RSM set, a subscription that must be configured).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from lxml import etree

import xepcodec
from xepcodec.core.stanza_errors import Condition
from xepcodec.core.stanzas import Iq, IqType, Message
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.model import XmlFragment
from xepcodec.protocols.dataforms import Field, Form, FormType
from xepcodec.protocols.pubsub import client, errors
from xepcodec.protocols.pubsub.base import PubSub, Retract
from xepcodec.protocols.pubsub.core import (
    NS_PUBSUB,
    NS_PUBSUB_ERRORS,
    NS_PUBSUB_EVENT,
    NS_PUBSUB_OWNER,
    Affiliation,
    NodeType,
    SubscriptionState,
)
from xepcodec.protocols.pubsub.features import Feature
from xepcodec.protocols.pubsub.forms import (
    AccessModel,
    NodeConfigForm,
    PublishOptionsForm,
    SubscribeOptionsForm,
)
from xepcodec.protocols.pubsub.owner import OwnerPubsub, OwnerSubscription
from xepcodec.protocols.rsm import ResultSet

SERVICE = JID.parse("pubsub.example.org")
ADA = JID.parse("ada@example.org/laptop")
BOB = JID.parse("bob@example.net")
ENTRY_NS = "urn:example:notes"
NODE_CONFIG = f"{NS_PUBSUB}#node_config"
PUBLISH_OPTIONS = f"{NS_PUBSUB}#publish-options"


def _note(text: str) -> XmlFragment:
    return XmlFragment(f"<note xmlns='{ENTRY_NS}'><text>{text}</text></note>".encode())


def _read_back(stanza: Iq) -> Iq:
    """The stanza written out, accepted by validate, and parsed back equal."""
    data = xepcodec.serialize(stanza)
    report = xepcodec.validate(data)
    assert report.ok, report.errors
    parsed = xepcodec.parse(data)
    assert parsed == stanza
    assert isinstance(parsed, Iq)
    return parsed


def _xml(stanza: Iq) -> etree._Element:
    return etree.fromstring(xepcodec.serialize(stanza))


def _reply(inner: str = "", *, type_: str = "result", id_: str = "r1") -> Iq:
    xml = (f"<iq xmlns='jabber:client' type='{type_}' id='{id_}' from='pubsub.example.org'"
           f" to='ada@example.org/laptop'>{inner}</iq>")
    parsed = xepcodec.parse(xml.encode())
    assert isinstance(parsed, Iq)
    return parsed


def _pubsub(inner: str, ns: str = NS_PUBSUB) -> str:
    return f"<pubsub xmlns='{ns}'>{inner}</pubsub>"


def _error(condition: str, type_: str, app: str = "", request: str = "") -> Iq:
    return _reply(f"{request}<error type='{type_}'><{condition} "
                  f"xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>{app}</error>",
                  type_="error")


def _submitted(form_type: str, **values: str) -> Form:
    return Form(type=FormType.SUBMIT, fields=(
        Field.of("FORM_TYPE", form_type, type="hidden"),
        *(Field.of(f"pubsub#{var}", value) for var, value in values.items())))


# -- every builder writes a stanza the schemas accept, read back equal ----------------------

BUILDERS: dict[str, Callable[[], Iq]] = {
    "create": lambda: client.create_node(SERVICE, "notes", id="c1"),
    "create instant": lambda: client.create_node(SERVICE, id="c2"),
    "create configured": lambda: client.create_node(
        SERVICE, "notes", config=_submitted(NODE_CONFIG, max_items="10"), id="c3"),
    "configure request": lambda: client.configure_request(SERVICE, "notes", id="c4"),
    "configure submit": lambda: client.submit_node_config(
        SERVICE, "notes", _submitted(NODE_CONFIG, title="Notes"), id="c5"),
    "default config": lambda: client.default_config_request(SERVICE, id="c6"),
    "default collection config": lambda: client.default_config_request(
        SERVICE, type=NodeType.COLLECTION, id="c7"),
    "publish": lambda: client.publish(SERVICE, "notes", _note("hi"), item_id="n1", id="p1"),
    "publish unnamed": lambda: client.publish(SERVICE, "notes", _note("hi"), id="p2"),
    "publish notification only": lambda: client.publish(SERVICE, "notes", None, id="p3"),
    "publish with options": lambda: client.publish(
        SERVICE, "notes", _note("hi"), options=_submitted(PUBLISH_OPTIONS, access_model="open"),
        id="p4"),
    "retract": lambda: client.retract(SERVICE, "notes", "n1", id="p5"),
    "retract notify": lambda: client.retract(SERVICE, "notes", "n1", notify=True, id="p6"),
    "subscribe": lambda: client.subscribe(SERVICE, "notes", ADA.bare, id="s1"),
    "subscribe with options": lambda: client.subscribe(
        SERVICE, "notes", ADA, options=_submitted(f"{NS_PUBSUB}#subscribe_options",
                                                  deliver="1"), id="s2"),
    "unsubscribe": lambda: client.unsubscribe(SERVICE, "notes", ADA.bare, id="s3"),
    "unsubscribe subid": lambda: client.unsubscribe(SERVICE, "notes", ADA.bare, subid="x7",
                                                    id="s4"),
    "options request": lambda: client.subscription_options(SERVICE, "notes", ADA, id="s5"),
    "options submit": lambda: client.submit_subscription_options(
        SERVICE, "notes", ADA, _submitted(f"{NS_PUBSUB}#subscribe_options", deliver="0"),
        subid="x7", id="s6"),
    "all items": lambda: client.items_request(SERVICE, "notes", id="i1"),
    "latest items": lambda: client.items_request(SERVICE, "notes", max_items=2, id="i2"),
    "items by id": lambda: client.items_request(SERVICE, "notes", item_ids=("n1", "n2"),
                                                id="i3"),
    "a page of items": lambda: client.items_request(
        SERVICE, "notes", page=ResultSet.request(max=10, after="n9"), subid="x7", id="i4"),
    "my subscriptions": lambda: client.subscriptions_request(SERVICE, id="l1"),
    "my subscriptions to a node": lambda: client.subscriptions_request(SERVICE, "notes",
                                                                       id="l2"),
    "my affiliations": lambda: client.affiliations_request(SERVICE, id="l3"),
    "purge": lambda: client.purge(SERVICE, "notes", id="o1"),
    "delete": lambda: client.delete_node(SERVICE, "notes", id="o2"),
    "delete redirect": lambda: client.delete_node(
        SERVICE, "notes", redirect="xmpp:pubsub.example.org?;node=journal", id="o3"),
    "node subscriptions": lambda: client.node_subscriptions(SERVICE, "notes", id="o4"),
    "set subscriptions": lambda: client.set_subscriptions(
        SERVICE, "notes", {BOB: SubscriptionState.SUBSCRIBED,
                           ADA.bare: SubscriptionState.NONE}, id="o5"),
    "node affiliations": lambda: client.node_affiliations(SERVICE, "notes", id="o6"),
    "set affiliations": lambda: client.set_affiliations(
        SERVICE, "notes", {BOB: Affiliation.PUBLISHER, ADA.bare: Affiliation.NONE},
        id="o7"),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_each_request_is_valid_and_reads_back_equal(name: str) -> None:
    iq = BUILDERS[name]()
    assert iq.to == SERVICE
    _read_back(iq)


def test_requests_are_typed_by_what_they_ask() -> None:
    """Changes go in a set, questions in a get, each in the namespace of its part."""
    sets = {"create", "publish", "retract", "subscribe", "unsubscribe", "options submit",
            "configure submit", "purge", "delete", "set subscriptions", "set affiliations"}
    for name, build in BUILDERS.items():
        iq = build()
        change = any(name.startswith(prefix) for prefix in sets)
        assert iq.type == (IqType.SET if change else IqType.GET), name
        owner = name.startswith(("configure", "default", "purge", "delete", "node ", "set "))
        assert isinstance(iq.payload, OwnerPubsub if owner else PubSub), name


def test_an_instant_node_is_created_without_a_name() -> None:
    create = _xml(client.create_node(SERVICE, id="c2")).find(f"{{{NS_PUBSUB}}}pubsub/"
                                                             f"{{{NS_PUBSUB}}}create")
    assert create is not None and create.get("node") is None


def test_a_configured_node_carries_its_form_after_create() -> None:
    pubsub = _xml(BUILDERS["create configured"]())[0]
    assert [etree.QName(child).localname for child in pubsub] == ["create", "configure"]


def test_publish_options_follow_the_publication() -> None:
    pubsub = _xml(BUILDERS["publish with options"]())[0]
    assert [etree.QName(child).localname for child in pubsub] == ["publish",
                                                                 "publish-options"]
    item = pubsub[0][0]
    assert item.get("id") is None  # the service names it
    assert item[0].tag == f"{{{ENTRY_NS}}}note"


def test_a_notification_only_publication_has_no_item() -> None:
    publish = _xml(BUILDERS["publish notification only"]())[0][0]
    assert len(publish) == 0


def test_retract_notifies_only_when_asked() -> None:
    quiet = BUILDERS["retract"]().payload
    assert isinstance(quiet, PubSub) and isinstance(quiet.retract, Retract)
    assert quiet.retract.notify is None and quiet.retract.item.id == "n1"
    assert _xml(BUILDERS["retract"]())[0][0].get("notify") is None
    assert _xml(BUILDERS["retract notify"]())[0][0].get("notify") == "true"


def test_a_page_of_items_carries_its_rsm_request_after_items() -> None:
    pubsub = _xml(BUILDERS["a page of items"]())[0]
    assert [etree.QName(child).localname for child in pubsub] == ["items", "set"]
    assert pubsub[0].get("subid") == "x7"


def test_a_pep_request_has_no_to() -> None:
    iq = client.items_request(None, "urn:example:notes", max_items=1, id="i9")
    assert iq.to is None
    _read_back(iq)


def test_subscription_changes_can_name_each_subscription() -> None:
    entries = (OwnerSubscription(jid=BOB, subscription=SubscriptionState.SUBSCRIBED,
                                 subid="a"),
               OwnerSubscription(jid=BOB, subscription=SubscriptionState.NONE, subid="b"))
    iq = client.set_subscriptions(SERVICE, "notes", entries, id="o8")
    assert _read_back(iq).payload.operation.subscriptions == entries


def test_typed_views_are_submitted_as_forms() -> None:
    """A view of the pubsub forms is written as a submission of its FORM_TYPE, wherever
    a builder takes a form, and reads back as the same view."""
    config = NodeConfigForm(title="Notes", access_model=AccessModel.WHITELIST, max_items=50)
    iq = client.submit_node_config(SERVICE, "notes", config, id="c8")
    form = _read_back(iq).payload.operation.form
    assert form.type == FormType.SUBMIT and form.form_type == NODE_CONFIG
    assert NodeConfigForm.from_form(form) == config
    created = client.create_node(SERVICE, "notes", config=config, id="c9").payload
    assert NodeConfigForm.from_form(created.configure.form) == config
    preconditions = PublishOptionsForm(access_model=AccessModel.PRESENCE)
    published = _read_back(client.publish(SERVICE, "notes", _note("x"),
                                          options=preconditions, id="p8")).payload
    assert PublishOptionsForm.from_form(published.publish_options.form) == preconditions
    delivery = SubscribeOptionsForm(deliver=False)
    subscribed = _read_back(client.subscribe(SERVICE, "notes", ADA, options=delivery,
                                             id="s7")).payload
    assert subscribed.options.form.form_type == f"{NS_PUBSUB}#subscribe_options"
    assert SubscribeOptionsForm.from_form(subscribed.options.form) == delivery


# -- what a builder refuses -------------------------------------------------------------------


def test_a_form_to_submit_is_a_submission() -> None:
    blank = Form(type=FormType.FORM, fields=(Field.of("FORM_TYPE", NODE_CONFIG,
                                                      type="hidden"),))
    with pytest.raises(ArgumentValueError, match="type 'submit', not 'form'"):
        client.submit_node_config(SERVICE, "notes", blank, id="c9")
    with pytest.raises(ArgumentTypeError, match="not dict"):
        client.create_node(SERVICE, "notes", config={"pubsub#title": "x"},  # type: ignore[arg-type]
                           id="c9")


def test_publish_options_are_of_their_form_type() -> None:
    with pytest.raises(ArgumentValueError, match="publish-options"):
        client.publish(SERVICE, "notes", _note("x"),
                       options=_submitted(NODE_CONFIG, access_model="open"), id="p9")


def test_items_are_asked_for_by_id_or_by_count_not_both() -> None:
    with pytest.raises(ArgumentValueError, match="not both"):
        client.items_request(SERVICE, "notes", max_items=1, item_ids=("n1",), id="i9")
    with pytest.raises(ArgumentValueError, match="not both"):
        client.items_request(SERVICE, "notes", item_ids=("n1",),
                             page=ResultSet.request(max=1), id="i9")


def test_a_change_names_someone() -> None:
    with pytest.raises(ArgumentValueError, match="at least one subscriber"):
        client.set_subscriptions(SERVICE, "notes", {}, id="o9")
    with pytest.raises(ArgumentValueError, match="at least one entity"):
        client.set_affiliations(SERVICE, "notes", (), id="o9")


def test_a_node_id_is_not_empty() -> None:
    with pytest.raises(ArgumentValueError):
        client.purge(SERVICE, "", id="o9")
    with pytest.raises(ArgumentValueError, match="absolute URI"):
        client.delete_node(SERVICE, "notes", redirect="journal", id="o9")


# -- reading the answers -------------------------------------------------------------------


def test_published_gives_the_item_id_the_service_made_up() -> None:
    reply = _reply(_pubsub("<publish node='notes'><item id='5f1e2a'/></publish>"))
    assert client.published(reply) == "5f1e2a"


def test_published_gives_none_for_a_bare_result() -> None:
    assert client.published(_reply()) is None


def test_created_gives_the_instant_node_name() -> None:
    assert client.created(_reply(_pubsub("<create node='e9b1c0d3'/>"))) == "e9b1c0d3"
    assert client.created(_reply()) is None


def test_read_items_gives_the_items_and_the_page() -> None:
    reply = _reply(_pubsub(
        "<items node='notes'>"
        f"<item id='n3' publisher='ada@example.org'><note xmlns='{ENTRY_NS}'>"
        "<text>third</text></note></item>"
        f"<item id='n4'><note xmlns='{ENTRY_NS}'><text>fourth</text></note></item>"
        "</items>"
        "<set xmlns='http://jabber.org/protocol/rsm'><first index='2'>n3</first>"
        "<last>n4</last><count>7</count></set>"))
    page = client.read_items(reply)
    assert page.node == "notes"
    assert [item.id for item in page.items] == ["n3", "n4"]
    assert page.items[0].publisher == JID.parse("ada@example.org")
    assert page.payloads == (_note("third"), _note("fourth"))
    assert page.page is not None and page.page.count == 7
    follow = client.items_request(SERVICE, "notes", page=page.page.next_page(2), id="i5")
    assert _read_back(follow).payload.rsm == ResultSet(max=2, after="n4")


def test_read_items_without_a_page() -> None:
    page = client.read_items(_reply(_pubsub("<items node='notes'/>")))
    assert page.items == () and page.page is None


def test_read_subscription_tells_when_options_are_required() -> None:
    reply = _reply(_pubsub(
        "<subscription node='notes' jid='ada@example.org' subid='ba7e1'"
        " subscription='unconfigured'><subscribe-options><required/></subscribe-options>"
        "</subscription>"))
    got = client.read_subscription(reply)
    assert got.subscription == SubscriptionState.UNCONFIGURED
    assert got.subid == "ba7e1"
    assert got.subscribe_options is not None and got.subscribe_options.required


def test_read_subscription_refuses_a_result_that_does_not_say() -> None:
    with pytest.raises(ParseError, match="is empty"):
        client.read_subscription(_reply())


def test_read_subscription_options_gives_the_form() -> None:
    reply = _reply(_pubsub(
        "<options node='notes' jid='ada@example.org'><x xmlns='jabber:x:data' type='form'>"
        f"<field var='FORM_TYPE' type='hidden'><value>{NS_PUBSUB}#subscribe_options"
        "</value></field><field var='pubsub#deliver' type='boolean'><value>1</value>"
        "</field></x></options>"))
    form = client.read_subscription_options(reply)
    assert form.values()["pubsub#deliver"] is True
    with pytest.raises(ParseError, match="options form"):
        client.read_subscription_options(_reply(_pubsub(
            "<options node='notes' jid='ada@example.org'/>")))


def test_read_subscriptions_and_affiliations() -> None:
    subscriptions = client.read_subscriptions(_reply(_pubsub(
        "<subscriptions><subscription node='notes' jid='ada@example.org'"
        " subscription='subscribed'/><subscription node='news' jid='ada@example.org'"
        " subscription='pending'/></subscriptions>")))
    assert [(entry.node, entry.subscription) for entry in subscriptions] == [
        ("notes", SubscriptionState.SUBSCRIBED), ("news", SubscriptionState.PENDING)]
    affiliations = client.read_affiliations(_reply(_pubsub(
        "<affiliations><affiliation node='notes' affiliation='owner'/>"
        "<affiliation node='news' affiliation='publisher'/></affiliations>")))
    assert dict(affiliations) == {"notes": Affiliation.OWNER, "news": Affiliation.PUBLISHER}


def test_an_affiliation_listed_twice_is_refused() -> None:
    with pytest.raises(ParseError, match="'notes' is listed twice"):
        client.read_affiliations(_reply(_pubsub(
            "<affiliations><affiliation node='notes' affiliation='owner'/>"
            "<affiliation node='notes' affiliation='member'/></affiliations>")))
    with pytest.raises(ParseError, match="listed twice"):
        client.read_node_affiliations(_reply(_pubsub(
            "<affiliations node='notes'><affiliation jid='bob@example.net'"
            " affiliation='owner'/><affiliation jid='bob@example.net'"
            " affiliation='member'/></affiliations>", NS_PUBSUB_OWNER)))


def test_the_owners_readers() -> None:
    config = _reply(_pubsub(
        "<configure node='notes'><x xmlns='jabber:x:data' type='form'>"
        f"<field var='FORM_TYPE' type='hidden'><value>{NODE_CONFIG}</value></field>"
        "<field var='pubsub#max_items' type='text-single'><value>10</value></field>"
        "</x></configure>", NS_PUBSUB_OWNER))
    assert client.read_node_config(config).form_type == NODE_CONFIG
    default = _reply(_pubsub(
        "<default><x xmlns='jabber:x:data' type='form'>"
        f"<field var='FORM_TYPE' type='hidden'><value>{NODE_CONFIG}</value></field>"
        "</x></default>", NS_PUBSUB_OWNER))
    assert client.read_default_config(default).type == FormType.FORM
    subscribers = client.read_node_subscriptions(_reply(_pubsub(
        "<subscriptions node='notes'><subscription jid='bob@example.net'"
        " subscription='subscribed' subid='1'/><subscription jid='bob@example.net'"
        " subscription='pending' subid='2'/></subscriptions>", NS_PUBSUB_OWNER)))
    assert [entry.subid for entry in subscribers] == ["1", "2"]
    members = client.read_node_affiliations(_reply(_pubsub(
        "<affiliations node='notes'><affiliation jid='ada@example.org'"
        " affiliation='owner'/><affiliation jid='bob@example.net'"
        " affiliation='publisher'/></affiliations>", NS_PUBSUB_OWNER)))
    assert list(members.items()) == [(ADA.bare, Affiliation.OWNER),
                                     (BOB, Affiliation.PUBLISHER)]


def test_an_owner_answer_breaking_the_xep_is_refused() -> None:
    with pytest.raises(ParseError, match="never one of affiliation 'none'"):
        client.read_node_affiliations(_reply(_pubsub(
            "<affiliations node='notes'><affiliation jid='bob@example.net'"
            " affiliation='none'/></affiliations>", NS_PUBSUB_OWNER)))
    with pytest.raises(ParseError, match="configuration form"):
        client.read_node_config(_reply(_pubsub("<configure node='notes'/>",
                                               NS_PUBSUB_OWNER)))


def test_a_reader_takes_the_answer_it_reads() -> None:
    items = _reply(_pubsub("<items node='notes'/>"))
    with pytest.raises(ArgumentValueError, match="not a <items/>"):
        client.read_subscriptions(items)
    with pytest.raises(ArgumentValueError, match="not an empty result"):
        client.read_items(_reply())
    with pytest.raises(ArgumentValueError, match="<configure/>, not an empty result"):
        client.read_node_config(_reply())
    with pytest.raises(ArgumentValueError, match="not 'get'"):
        client.read_items(BUILDERS["all items"]())
    with pytest.raises(ArgumentValueError, match="answer to a publication"):
        client.published(items)


def test_accepted_passes_a_result_and_raises_an_error() -> None:
    client.accepted(_reply())
    with pytest.raises(client.PubSubRefused):
        client.accepted(_error("forbidden", "auth"))


# -- refusals ----------------------------------------------------------------------------


def test_a_refusal_is_raised_typed_by_every_reader() -> None:
    refusal = _error("conflict", "cancel",
                     f"<precondition-not-met xmlns='{NS_PUBSUB_ERRORS}'/>")
    readers: list[Callable[[Iq], object]] = [
        client.published, client.created, client.read_items, client.read_subscription,
        client.read_subscription_options, client.read_subscriptions,
        client.read_affiliations, client.read_node_config, client.read_default_config,
        client.read_node_subscriptions, client.read_node_affiliations, client.accepted]
    for reader in readers:
        with pytest.raises(client.PubSubRefused) as caught:
            reader(refusal)
        assert caught.value.condition == Condition.CONFLICT
        assert caught.value.case is errors.PRECONDITION_NOT_MET
        assert caught.value.error.application == errors.PubSubCondition.PRECONDITION_NOT_MET
        assert caught.value.reply is refusal


def test_a_refusal_names_the_service_and_why() -> None:
    reply = _reply("<error type='cancel'><item-not-found"
                   " xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text"
                   " xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no such node</text>"
                   "</error>", type_="error", id_="p7")
    with pytest.raises(client.PubSubRefused) as caught:
        client.read_items(reply)
    assert str(caught.value) == ("the service pubsub.example.org refused request 'p7': "
                                 "item-not-found [NOT_FOUND] (no such node)")
    assert caught.value.error.text == "no such node"
    assert caught.value.case is errors.NOT_FOUND


def test_a_refusal_names_the_missing_feature() -> None:
    reply = _error("feature-not-implemented", "cancel",
                   f"<unsupported xmlns='{NS_PUBSUB_ERRORS}' feature='publish-options'/>")
    with pytest.raises(client.PubSubRefused) as caught:
        client.published(reply)
    refusal = caught.value
    assert refusal.case is errors.UNSUPPORTED
    assert refusal.error.feature == Feature.PUBLISH_OPTIONS
    assert "feature http://jabber.org/protocol/pubsub#publish-options" in str(refusal)


def test_a_refusal_the_xep_does_not_describe_keeps_its_condition() -> None:
    with pytest.raises(client.PubSubRefused) as caught:
        client.accepted(_error("internal-server-error", "wait"))
    assert caught.value.case is None
    assert caught.value.condition == Condition.INTERNAL_SERVER_ERROR


# -- notifications -------------------------------------------------------------------------


def _notification(inner: str, *, sender: str = "pubsub.example.org",
                  type_: str = "") -> Message:
    kind = f" type='{type_}'" if type_ else ""
    xml = (f"<message xmlns='jabber:client' from='{sender}' to='ada@example.org'"
           f" id='ev1'{kind}><event xmlns='{NS_PUBSUB_EVENT}'>{inner}</event></message>")
    parsed = xepcodec.parse(xml.encode())
    assert isinstance(parsed, Message)
    return parsed


def test_an_items_notification_with_payloads_and_retractions() -> None:
    event = client.read_event(_notification(
        f"<items node='notes'><item id='n5'><note xmlns='{ENTRY_NS}'><text>fifth</text>"
        "</note></item><retract id='n1'/></items>"))
    assert isinstance(event, client.ItemsEvent)
    assert event.service == SERVICE and event.node == "notes"
    assert [item.payload for item in event.items] == [_note("fifth")]
    assert event.retracted == ("n1",)


def test_purge_delete_configuration_and_subscription_notifications() -> None:
    assert client.read_event(_notification("<purge node='notes'/>")) == client.PurgeEvent(
        service=SERVICE, node="notes")
    assert client.read_event(_notification(
        "<delete node='notes'><redirect uri='xmpp:pubsub.example.org?;node=journal'/>"
        "</delete>")) == client.DeleteEvent(service=SERVICE, node="notes",
                                            redirect="xmpp:pubsub.example.org?;node=journal")
    configured = client.read_event(_notification(
        "<configuration node='notes'><x xmlns='jabber:x:data' type='result'>"
        f"<field var='FORM_TYPE' type='hidden'><value>{NODE_CONFIG}</value></field>"
        "<field var='pubsub#title'><value>Notes</value></field></x></configuration>"))
    assert isinstance(configured, client.ConfigurationEvent)
    assert configured.config is not None and configured.config.values()["pubsub#title"] == "Notes"
    lease = client.read_event(_notification(
        "<subscription node='notes' jid='ada@example.org' subscription='subscribed'"
        " expiry='2026-12-31T23:59:00Z'/>"))
    assert lease == client.SubscriptionEvent(
        service=SERVICE, node="notes", jid=ADA.bare, state=SubscriptionState.SUBSCRIBED,
        subid=None, expiry=datetime(2026, 12, 31, 23, 59, tzinfo=UTC))


def test_a_message_without_an_event_is_none() -> None:
    chat = xepcodec.parse(b"<message xmlns='jabber:client' from='bob@example.net/p'>"
                          b"<body>hello</body></message>")
    assert isinstance(chat, Message)
    assert client.read_event(chat) is None


def test_an_error_message_is_no_notification() -> None:
    bounced = xepcodec.parse(
        f"<message xmlns='jabber:client' from='ada@example.org' to='pubsub.example.org'"
        f" type='error' id='ev1'><event xmlns='{NS_PUBSUB_EVENT}'><purge node='notes'/>"
        "</event><error type='cancel'><service-unavailable"
        " xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>".encode())
    assert isinstance(bounced, Message)
    assert client.read_event(bounced) is None


def test_a_message_of_two_events_is_refused() -> None:
    two = xepcodec.parse(
        "<message xmlns='jabber:client' from='pubsub.example.org' to='ada@example.org'>"
        f"<event xmlns='{NS_PUBSUB_EVENT}'><purge node='notes'/></event>"
        f"<event xmlns='{NS_PUBSUB_EVENT}'><purge node='news'/></event></message>".encode())
    assert isinstance(two, Message)
    with pytest.raises(ParseError, match="one pubsub <event/>, not 2"):
        client.read_event(two)
