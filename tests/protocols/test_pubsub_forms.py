"""Tests for xepcodec.protocols.pubsub.forms, XEP-0060's typed data forms.

The forms shaped as Prosody 0.12 sends them (labels, options, an XEP-0122 datatype on
``max_items``, booleans as 1 and 0, its metadata's models as text-single) are written
from how its mod_pubsub declares them and its util.dataforms writes them.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from conformance.examples import specs_dir
from conftest import SpecStanzas
from lxml import etree

import xepcodec
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, JIDError, ParseError
from xepcodec.model import decode, encode
from xepcodec.protocols.dataforms import FORM_TYPE, FieldType, Form, FormType
from xepcodec.protocols.disco import InfoQuery
from xepcodec.protocols.form_views import MAX, FormView, slots
from xepcodec.protocols.pubsub.base import PUBLISH_OPTIONS, PublishOptions
from xepcodec.protocols.pubsub.core import NodeType
from xepcodec.protocols.pubsub.forms import (
    FIELD_TYPES,
    META_DATA,
    NODE_CONFIG,
    SUBSCRIBE_AUTHORIZATION,
    SUBSCRIBE_OPTIONS,
    AccessModel,
    Expire,
    ItemReply,
    NodeConfigForm,
    NodeFullPolicy,
    NodeMetadataForm,
    NotificationType,
    PublishModel,
    PublishOptionsForm,
    SendLastPublishedItem,
    ShowValue,
    SubscribeAuthorizationForm,
    SubscribeOptionsForm,
    SubscriptionDepth,
    SubscriptionType,
    node_metadata_form,
)

VALIDATE = "http://jabber.org/protocol/xdata-validate"
VIEWS: dict[str, type[FormView]] = {
    NODE_CONFIG: NodeConfigForm, PUBLISH_OPTIONS: PublishOptionsForm,
    META_DATA: NodeMetadataForm, SUBSCRIBE_OPTIONS: SubscribeOptionsForm,
    SUBSCRIBE_AUTHORIZATION: SubscribeAuthorizationForm,
}


def _form(xml: str) -> Form:
    form = decode(etree.fromstring(xml))
    assert isinstance(form, Form)
    return form


def _header(form_type: str) -> str:
    return f"<field type='hidden' var='FORM_TYPE'><value>{form_type}</value></field>"


def _options(*values: str) -> str:
    return "".join(f"<option label='{value}'><value>{value}</value></option>"
                   for value in values)


def _prosody_config(max_items: str) -> str:
    # As Prosody 0.12 offers a node's configuration to its owner.
    return (
        "<x xmlns='jabber:x:data' type='form'>"
        f"{_header(NODE_CONFIG)}"
        "<field type='text-single' var='pubsub#title' label='Title'>"
        "<value>Balcony scenes</value></field>"
        "<field type='text-single' var='pubsub#description' label='Description'/>"
        "<field type='text-single' var='pubsub#type' label='The type of node data, usually"
        " specified by the namespace of the payload (if any)'>"
        "<value>http://www.w3.org/2005/Atom</value></field>"
        "<field type='text-single' var='pubsub#max_items' label='Max # of items to persist'>"
        f"<validate xmlns='{VALIDATE}' datatype='pubsub:integer-or-max'><range min='1'/>"
        f"</validate><value>{max_items}</value></field>"
        "<field type='boolean' var='pubsub#persist_items' label='Persist items to storage'>"
        "<value>1</value></field>"
        "<field type='list-single' var='pubsub#access_model'"
        " label='Specify the subscriber model'>"
        f"{_options('authorize', 'open', 'presence', 'roster', 'whitelist')}"
        "<value>open</value></field>"
        "<field type='list-single' var='pubsub#publish_model'"
        " label='Specify the publisher model'>"
        f"{_options('publishers', 'subscribers', 'open')}<value>publishers</value></field>"
        "<field type='list-single' var='pubsub#send_last_published_item'>"
        f"{_options('never', 'on_sub', 'on_sub_and_presence')}<value>never</value></field>"
        "<field type='boolean' var='pubsub#deliver_notifications'"
        " label='Whether to deliver event notifications'><value>1</value></field>"
        "<field type='boolean' var='pubsub#deliver_payloads'"
        " label='Whether to deliver payloads with event notifications'><value>1</value>"
        "</field>"
        "<field type='list-single' var='pubsub#notification_type'"
        " label='Specify the delivery style for notifications'>"
        "<option label='Messages of type normal'><value>normal</value></option>"
        "<option label='Messages of type headline'><value>headline</value></option>"
        "<value>headline</value></field>"
        "<field type='boolean' var='pubsub#notify_delete'"
        " label='Whether to notify subscribers when the node is deleted'><value>0</value>"
        "</field>"
        "<field type='boolean' var='pubsub#notify_retract'"
        " label='Whether to notify subscribers when items are removed from the node'>"
        "<value>1</value></field>"
        "</x>")


# -- pubsub#node_config -------------------------------------------------------------------


def test_prosodys_configuration_form_reads() -> None:
    view = NodeConfigForm.from_form(_form(_prosody_config("256")))
    assert view == NodeConfigForm(
        title="Balcony scenes", type="http://www.w3.org/2005/Atom", max_items=256,
        persist_items=True, access_model=AccessModel.OPEN,
        publish_model=PublishModel.PUBLISHERS,
        send_last_published_item=SendLastPublishedItem.NEVER,
        deliver_notifications=True, deliver_payloads=True,
        notification_type=NotificationType.HEADLINE, notify_delete=False,
        notify_retract=True)
    # Every field Prosody sends is one of the registry.
    assert view.extra == ()
    assert NodeConfigForm.from_form(_form(_prosody_config("max"))).max_items is MAX


def test_the_owner_answers_prosodys_form() -> None:
    offered = NodeConfigForm.from_form(_form(_prosody_config("256")))
    chosen = dataclasses.replace(offered, access_model=AccessModel.WHITELIST,
                                 max_items=MAX, description="What light through yonder")
    form = chosen.to_form()
    assert form.type is FormType.SUBMIT and form.form_type == NODE_CONFIG
    values = form.values()
    assert values["pubsub#access_model"] == "whitelist"
    assert values["pubsub#max_items"] == "max"
    assert values["pubsub#persist_items"] is True
    # The written form is a fixed point: form → view → form.
    again = NodeConfigForm.from_form(decode(etree.fromstring(encode(form))))
    assert again == chosen and again.to_form() == form


def test_a_submission_with_every_field_of_the_registry() -> None:
    form = _form(
        "<x xmlns='jabber:x:data' type='submit'>"
        f"<field var='FORM_TYPE'><value>{NODE_CONFIG}</value></field>"
        "<field var='pubsub#access_model'><value>roster</value></field>"
        "<field var='pubsub#body_xslt'><value>https://verona.example/body.xslt</value>"
        "</field>"
        "<field var='pubsub#contact'><value>nurse@verona.example</value></field>"
        "<field var='pubsub#dataform_xslt'><value>https://verona.example/form.xslt</value>"
        "</field>"
        "<field var='pubsub#deliver_notifications'><value>true</value></field>"
        "<field var='pubsub#deliver_payloads'><value>0</value></field>"
        "<field var='pubsub#description'><value>Scenes at the balcony</value></field>"
        "<field var='pubsub#item_expire'><value>604800</value></field>"
        "<field var='pubsub#itemreply'><value>publisher</value></field>"
        "<field var='pubsub#language'><value>it</value></field>"
        "<field var='pubsub#max_items'><value>10</value></field>"
        "<field var='pubsub#max_payload_size'><value>9216</value></field>"
        "<field var='pubsub#node_type'><value>leaf</value></field>"
        "<field var='pubsub#notification_type'><value>normal</value></field>"
        "<field var='pubsub#notify_config'><value>1</value></field>"
        "<field var='pubsub#notify_delete'><value>1</value></field>"
        "<field var='pubsub#notify_retract'><value>false</value></field>"
        "<field var='pubsub#notify_sub'><value>1</value></field>"
        "<field var='pubsub#persist_items'><value>1</value></field>"
        "<field var='pubsub#presence_based_delivery'><value>0</value></field>"
        "<field var='pubsub#publish_model'><value>subscribers</value></field>"
        "<field var='pubsub#publish_node_full'><value>retract-oldest</value></field>"
        "<field var='pubsub#purge_offline'><value>0</value></field>"
        "<field var='pubsub#roster_groups_allowed'><value>Capulets</value>"
        "<value>Friends</value></field>"
        "<field var='pubsub#send_last_published_item'><value>on_sub_and_presence</value>"
        "</field>"
        "<field var='pubsub#tempsub'><value>1</value></field>"
        "<field var='pubsub#subscribe'><value>1</value></field>"
        "<field var='pubsub#title'><value>Balcony</value></field>"
        "<field var='pubsub#type'><value>urn:example:e2ee:bundle</value></field>"
        "</x>")
    view = NodeConfigForm.from_form(form)
    assert view == NodeConfigForm(
        access_model=AccessModel.ROSTER, body_xslt="https://verona.example/body.xslt",
        contact=(JID.parse("nurse@verona.example"),),
        dataform_xslt="https://verona.example/form.xslt", deliver_notifications=True,
        deliver_payloads=False, description="Scenes at the balcony", item_expire=604800,
        itemreply=ItemReply.PUBLISHER, language="it", max_items=10, max_payload_size=9216,
        node_type=NodeType.LEAF, notification_type=NotificationType.NORMAL,
        notify_config=True, notify_delete=True, notify_retract=False, notify_sub=True,
        persist_items=True, presence_based_delivery=False,
        publish_model=PublishModel.SUBSCRIBERS,
        publish_node_full=NodeFullPolicy.RETRACT_OLDEST, purge_offline=False,
        roster_groups_allowed=("Capulets", "Friends"),
        send_last_published_item=SendLastPublishedItem.ON_SUB_AND_PRESENCE, tempsub=True,
        subscribe=True, title="Balcony", type="urn:example:e2ee:bundle")
    assert view.extra == ()
    written = view.to_form()
    # Each field is written with its registry type.
    assert {field.var: field.type for field in written.fields
            if field.var != FORM_TYPE} == dict(FIELD_TYPES[NODE_CONFIG])
    assert NodeConfigForm.from_form(written) == view


# -- the registry ------------------------------------------------------------------------


def _registry() -> dict[str, dict[str, str]]:
    source = specs_dir() / "xep-0060.xml"
    if not source.is_file():
        pytest.skip(f"the specification sources are not beside the checkout ({source})")
    text = source.read_text(encoding="utf-8")
    found: dict[str, dict[str, str]] = {}
    for block in re.findall(r"<form_type>(.*?)</form_type>", text, re.DOTALL):
        name = re.search(r"<name>([^<]+)</name>", block)
        assert name is not None
        found[name.group(1)] = dict(re.findall(
            r"<field\s+var='([^']+)'\s+type='([^']+)'", block))
    return found


def test_the_field_types_are_the_xeps_registry() -> None:
    assert {form_type: {var: str(kind) for var, kind in fields.items()}
            for form_type, fields in FIELD_TYPES.items()} == _registry()


@pytest.mark.parametrize("form_type", [NODE_CONFIG, META_DATA, SUBSCRIBE_OPTIONS,
                                       SUBSCRIBE_AUTHORIZATION])
def test_each_view_declares_its_registry_with_its_types(form_type: str) -> None:
    view = VIEWS[form_type]
    declared = {slot.var: slot.kind for slot in slots(view)}
    registry = FIELD_TYPES[form_type]
    # A metadata form may show every configuration field too (§5.4).
    expected = ({**FIELD_TYPES[NODE_CONFIG], **registry} if form_type == META_DATA
                else registry)
    assert set(declared) == set(expected)
    for var, field_type in expected.items():
        assert field_type in declared[var].accepts, var
        # What is written is the registry's type (text-single for a free language tag,
        # which the registry offers as list-single, is read as well).
        assert declared[var].writes is field_type, var


def test_publish_options_take_the_node_configuration_fields() -> None:
    assert [slot.var for slot in slots(PublishOptionsForm)] == \
        [slot.var for slot in slots(NodeConfigForm)]


# -- every form of the XEP's examples ---------------------------------------------------


def _without_elisions(form: etree._Element) -> etree._Element:
    # Some examples (§13.5, §13.19, §13.20) elide fields with "..." between them: the
    # mark of an elision, no content of the form.
    for node in form.iter():
        if node.text is not None and node.text.strip() == "...":
            node.text = None
        if node.tail is not None and node.tail.strip() == "...":
            node.tail = None
    return form


def test_every_pubsub_form_of_the_xep_reads_into_its_view(spec_stanzas: SpecStanzas) -> None:
    read: dict[str, int] = {}
    for caption, element in spec_stanzas(60):
        for found in element.iter("{jabber:x:data}x"):
            form = decode(_without_elisions(found))
            assert isinstance(form, Form), caption
            view_class = VIEWS.get(form.form_type or "")
            if view_class is None:
                continue
            view = view_class.from_form(form)
            read[view_class.__name__] = read.get(view_class.__name__, 0) + 1
            # Every field of the examples but the search keyword of §13.20's own
            # extension is one the view types.
            assert all(field.var is None or field.var.startswith("x-")
                       for field in view.extra), (caption, view.extra)
            if form.type in (FormType.SUBMIT, FormType.RESULT):
                # A view of a complete form writes back a form that reads the same.
                assert view_class.from_form(view.to_form(form.type)) == view, caption
    assert set(read) == {view.__name__ for view in VIEWS.values()}


def test_the_xeps_metadata_example() -> None:
    info = xepcodec.parse(
        "<query xmlns='http://jabber.org/protocol/disco#info' node='princely_musings'>"
        "<identity category='pubsub' type='leaf'/>"
        "<feature var='http://jabber.org/protocol/pubsub'/>"
        "<x xmlns='jabber:x:data' type='result'>"
        f"{_header(META_DATA)}"
        "<field var='pubsub#creator' type='jid-single'><value>hamlet@denmark.lit</value>"
        "</field>"
        "<field var='pubsub#creation_date' type='text-single'>"
        "<value>2003-07-29T22:56:10Z</value></field>"
        "<field var='pubsub#language' type='list-single'><value>en</value></field>"
        "<field var='pubsub#max_items' type='text-single'><value>120</value></field>"
        "<field var='pubsub#owner' type='jid-multi'><value>hamlet@denmark.lit</value>"
        "</field>"
        "<field var='pubsub#publisher' type='jid-multi'><value>hamlet@denmark.lit</value>"
        "</field>"
        "<field var='pubsub#num_subscribers' type='text-single'><value>1066</value></field>"
        "</x></query>")
    assert isinstance(info, InfoQuery)
    view = node_metadata_form(info)
    hamlet = JID.parse("hamlet@denmark.lit")
    assert view == NodeMetadataForm(
        creator=hamlet, creation_date=datetime(2003, 7, 29, 22, 56, 10, tzinfo=UTC),
        language="en", max_items=120, owner=(hamlet,), publisher=(hamlet,),
        num_subscribers=1066)


def test_prosodys_metadata_writes_the_models_as_text() -> None:
    info = xepcodec.parse(
        "<query xmlns='http://jabber.org/protocol/disco#info' node='balcony'>"
        "<identity category='pubsub' type='leaf'/>"
        "<x xmlns='jabber:x:data' type='result'>"
        f"{_header(META_DATA)}"
        "<field type='text-single' var='pubsub#title'><value>Balcony</value></field>"
        "<field type='text-single' var='pubsub#description'/>"
        "<field type='text-single' var='pubsub#type'/>"
        "<field type='text-single' var='pubsub#access_model'><value>presence</value>"
        "</field>"
        "<field type='text-single' var='pubsub#publish_model'><value>publishers</value>"
        "</field></x></query>")
    assert isinstance(info, InfoQuery)
    assert node_metadata_form(info) == NodeMetadataForm(
        title="Balcony", access_model=AccessModel.PRESENCE,
        publish_model=PublishModel.PUBLISHERS)


def test_disco_without_metadata() -> None:
    info = xepcodec.parse(
        "<query xmlns='http://jabber.org/protocol/disco#info'>"
        "<identity category='pubsub' type='service'/></query>")
    assert isinstance(info, InfoQuery)
    assert node_metadata_form(info) is None


# -- subscription options ----------------------------------------------------------------


def test_prosodys_subscription_options() -> None:
    form = _form("<x xmlns='jabber:x:data' type='form'>"
                 f"{_header(SUBSCRIBE_OPTIONS)}"
                 "<field type='boolean' var='pubsub#include_body'"
                 " label='Receive message body in addition to payload?'><value>0</value>"
                 "</field></x>")
    offered = SubscribeOptionsForm.from_form(form)
    assert offered == SubscribeOptionsForm(include_body=False)
    answer = dataclasses.replace(offered, include_body=True).to_form()
    assert answer.values()["pubsub#include_body"] is True


def test_leases_and_temporary_subscriptions() -> None:
    noon = datetime(2006, 2, 28, 11, 59, 59, tzinfo=UTC)
    lease = SubscribeOptionsForm(expire=noon, deliver=True, digest=True,
                                 digest_frequency=86_400_000,
                                 show_values=(ShowValue.CHAT, ShowValue.ONLINE),
                                 subscription_type=SubscriptionType.ITEMS,
                                 subscription_depth=SubscriptionDepth.ALL)
    form = lease.to_form()
    assert form.values()["pubsub#expire"] == "2006-02-28T11:59:59Z"
    assert form.get("pubsub#show-values").values == ("chat", "online")  # type: ignore[union-attr]
    assert SubscribeOptionsForm.from_form(form) == lease
    temporary = SubscribeOptionsForm.from_form(_form(
        "<x xmlns='jabber:x:data' type='submit'>"
        f"{_header(SUBSCRIBE_OPTIONS)}"
        "<field var='pubsub#expire'><value>presence</value></field></x>"))
    assert temporary.expire is Expire.PRESENCE
    # A depth of one is the string '1' of the registry's option.
    depth = SubscribeOptionsForm(subscription_depth=SubscriptionDepth.ONE).to_form()
    assert depth.values()["pubsub#subscription_depth"] == "1"
    # A lease in another zone keeps its zone.
    later = datetime(2006, 3, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=2)))
    assert SubscribeOptionsForm.from_form(
        SubscribeOptionsForm(expire=later).to_form()).expire == later


# -- subscription authorization ----------------------------------------------------------


def test_an_approval_request_and_its_answer() -> None:
    # As the XEP's service asks (§8.6): the subid hidden, allow false.
    asked = SubscribeAuthorizationForm.from_form(_form(
        "<x xmlns='jabber:x:data' type='form'><title>PubSub subscriber request</title>"
        f"{_header(SUBSCRIBE_AUTHORIZATION)}"
        "<field var='pubsub#subid' type='hidden'><value>123-abc</value></field>"
        "<field var='pubsub#node' type='text-single' label='Node ID'>"
        "<value>princely_musings</value></field>"
        "<field var='pubsub#subscriber_jid' type='jid-single'>"
        "<value>horatio@denmark.lit</value></field>"
        "<field var='pubsub#allow' type='boolean'><value>false</value></field></x>"))
    assert asked == SubscribeAuthorizationForm(
        allow=False, node="princely_musings",
        subscriber_jid=JID.parse("horatio@denmark.lit"), subid="123-abc")
    answer = dataclasses.replace(asked, allow=True).to_form()
    assert answer.values()["pubsub#allow"] is True
    assert answer.get("pubsub#subid").type is FieldType.TEXT_SINGLE  # type: ignore[union-attr]
    assert SubscribeAuthorizationForm.from_form(answer).allow is True


def test_the_get_pending_node_choice_has_no_allow() -> None:
    # §8.7: the service offers the nodes as a list-single; the owner submits one.
    offered = SubscribeAuthorizationForm.from_form(_form(
        "<x xmlns='jabber:x:data' type='form'>"
        f"{_header(SUBSCRIBE_AUTHORIZATION)}"
        "<field type='list-single' var='pubsub#node'>"
        "<option><value>princely_musings</value></option>"
        "<option><value>news_from_elsinore</value></option></field></x>"))
    assert offered.node is None and offered.allow is None
    chosen = dataclasses.replace(offered, node="princely_musings").to_form()
    assert SubscribeAuthorizationForm.from_form(chosen).node == "princely_musings"


# -- publish-options ---------------------------------------------------------------------


def test_publish_options_go_in_a_publication() -> None:
    options = PublishOptionsForm(access_model=AccessModel.PRESENCE, max_items=MAX,
                                 persist_items=True)
    form = options.to_form()
    assert form.form_type == PUBLISH_OPTIONS
    # The base namespace's <publish-options/> takes it as it is.
    element = PublishOptions(form=form)
    assert PublishOptionsForm.from_form(element.form) == options
    with pytest.raises(ParseError, match="FORM_TYPE"):
        NodeConfigForm.from_form(form)


# -- refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(("form_type", "field", "words"), [
    (NODE_CONFIG, "<field var='pubsub#access_model' type='list-single'>"
     "<value>everyone</value></field>", ["'pubsub#access_model'", "'everyone'", "'open'"]),
    (NODE_CONFIG, "<field var='pubsub#max_items' type='text-single'><value>lots</value>"
     "</field>", ["'pubsub#max_items'", "'max'"]),
    (NODE_CONFIG, "<field var='pubsub#max_items'><value>-1</value></field>",
     ["'pubsub#max_items'"]),
    (NODE_CONFIG, "<field var='pubsub#max_items' type='list-single'><value>10</value>"
     "</field>", ["'pubsub#max_items'", "list-single", "text-single"]),
    (NODE_CONFIG, "<field var='pubsub#item_expire'><value>forever</value></field>",
     ["'pubsub#item_expire'"]),
    (NODE_CONFIG, "<field var='pubsub#persist_items'><value>yes</value></field>",
     ["'pubsub#persist_items'"]),
    (NODE_CONFIG, "<field var='pubsub#node_type'><value>branch</value></field>",
     ["'pubsub#node_type'", "'leaf', 'collection'"]),
    (NODE_CONFIG, "<field var='pubsub#publish_node_full'><value>drop</value></field>",
     ["'pubsub#publish_node_full'", "'reject'"]),
    (NODE_CONFIG, "<field var='pubsub#deliver_payloads' type='list-multi'>"
     "<value>1</value></field>", ["'pubsub#deliver_payloads'", "boolean"]),
    (SUBSCRIBE_AUTHORIZATION, "<field var='pubsub#subid' type='hidden'><value>1</value>"
     "<value>2</value></field>", ["'pubsub#subid'", "2 values"]),
    (SUBSCRIBE_OPTIONS, "<field var='pubsub#expire'><value>tomorrow</value></field>",
     ["'pubsub#expire'", "'presence'"]),
    (SUBSCRIBE_OPTIONS, "<field var='pubsub#show-values' type='list-multi'>"
     "<value>busy</value></field>", ["'pubsub#show-values'", "'busy'"]),
    (SUBSCRIBE_OPTIONS, "<field var='pubsub#subscription_depth'><value>2</value></field>",
     ["'pubsub#subscription_depth'", "'1', 'all'"]),
    (SUBSCRIBE_OPTIONS, "<field var='pubsub#digest_frequency'><value>daily</value></field>",
     ["'pubsub#digest_frequency'", "decimal integer"]),
    (META_DATA, "<field var='pubsub#creation_date'><value>29 July 2003</value></field>",
     ["'pubsub#creation_date'"]),
    (META_DATA, "<field var='pubsub#num_subscribers'><value>many</value></field>",
     ["'pubsub#num_subscribers'"]),
    (SUBSCRIBE_AUTHORIZATION, "<field var='pubsub#allow' type='text-single'>"
     "<value>1</value></field>", ["'pubsub#allow'", "text-single"]),
])
def test_what_a_form_may_not_hold(form_type: str, field: str, words: list[str]) -> None:
    form = _form(f"<x xmlns='jabber:x:data' type='form'>{_header(form_type)}{field}</x>")
    with pytest.raises(ParseError) as caught:
        VIEWS[form_type].from_form(form)
    for word in words:
        assert word in str(caught.value)


@pytest.mark.parametrize(("form_type", "field"), [
    (META_DATA, "<field var='pubsub#creator'><value>@denmark.lit</value></field>"),
    (SUBSCRIBE_AUTHORIZATION,
     "<field var='pubsub#subscriber_jid'><value>horatio@</value></field>"),
])
def test_a_malformed_jid_is_jid_malformed(form_type: str, field: str) -> None:
    form = _form(f"<x xmlns='jabber:x:data' type='result'>{_header(form_type)}{field}</x>")
    with pytest.raises(JIDError) as caught:
        VIEWS[form_type].from_form(form)
    assert caught.value.condition == "jid-malformed"


def test_values_a_view_cannot_write() -> None:
    with pytest.raises(ArgumentValueError, match="negative"):
        NodeConfigForm(max_items=-1)
    with pytest.raises(ArgumentTypeError, match="max_items"):
        NodeConfigForm(max_items=True)
    with pytest.raises(ArgumentTypeError, match="max_items"):
        NodeConfigForm(max_items="max")  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="access_model"):
        NodeConfigForm(access_model="open")  # type: ignore[arg-type]
    with pytest.raises(ArgumentValueError, match="naive"):
        SubscribeOptionsForm(expire=datetime(2006, 2, 28, 12))
    with pytest.raises(ArgumentTypeError, match="expire"):
        SubscribeOptionsForm(expire="presence")  # type: ignore[arg-type]
    with pytest.raises(ArgumentValueError, match="pubsub#title"):
        NodeConfigForm(extra=(NodeConfigForm(title="x").to_form().fields[1],))
