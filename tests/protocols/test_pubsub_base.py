"""Tests for xepcodec.protocols.pubsub.base (XEP-0060's ``http://jabber.org/protocol/pubsub``
namespace: subscribing, publishing, creating nodes).

The XML below is written for these tests.
"""

from __future__ import annotations

import pytest
from lxml import etree
from payloads import rejects, schema_accepts, through_the_wire, typed

import xepcodec
from xepcodec.core.stanzas import Iq
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ParseError
from xepcodec.model import XmlFragment, decode, encode
from xepcodec.protocols.dataforms import Form, FormType
from xepcodec.protocols.pubsub.base import (
    PUBLISH_OPTIONS,
    Configure,
    Create,
    Item,
    Items,
    NodeAffiliation,
    Options,
    Publish,
    PublishOptions,
    PubSub,
    Retract,
    Subscribe,
    SubscribeOptions,
    Subscription,
    Subscriptions,
    check_pubsub_iq,
)
from xepcodec.protocols.pubsub.core import (
    NS_PUBSUB,
    Affiliation,
    NodeType,
    SubscriptionState,
)
from xepcodec.protocols.rsm import ResultSet

TUNE = "http://jabber.org/protocol/tune"
ADA = JID.parse("ada@example.com")
SERVICE = "pubsub.example.com"
OPTIONS_FORM = (
    "<x xmlns='jabber:x:data' type='submit'>"
    "<field var='FORM_TYPE' type='hidden'>"
    "<value>http://jabber.org/protocol/pubsub#subscribe_options</value></field>"
    "<field var='pubsub#deliver'><value>1</value></field>"
    "<field var='pubsub#digest'><value>false</value></field></x>")
PRECONDITIONS = (
    "<x xmlns='jabber:x:data' type='submit'>"
    f"<field var='FORM_TYPE' type='hidden'><value>{PUBLISH_OPTIONS}</value></field>"
    "<field var='pubsub#access_model'><value>whitelist</value></field>"
    "<field var='pubsub#persist_items'><value>true</value></field></x>")
SONG = (f"<tune xmlns='{TUNE}'><artist>The Weavers</artist><title>Rolling Down</title>"
        "<length>212</length></tune>")


def _pubsub(inner: str = "") -> str:
    return f"<pubsub xmlns='{NS_PUBSUB}'>{inner}</pubsub>"


def _iq(type_: str, inner: str, *, to: str = SERVICE) -> Iq:
    xml = (f"<iq xmlns='jabber:client' type='{type_}' id='ps1' to='{to}'"
           f" from='ada@example.com/desk'>{inner}</iq>")
    iq = decode(etree.fromstring(xml.encode()))
    assert isinstance(iq, Iq)
    return iq


def _round_trip(iq: Iq) -> PubSub | None:
    """The iq's pubsub after the iq went through validate and back through parse
    unchanged, and its iq-type rules were checked."""
    return check_pubsub_iq(through_the_wire(iq))


# -- realistic exchanges ------------------------------------------------------------------


def test_a_pep_publication_with_preconditions() -> None:
    # XEP-0163: a user publishes their tune to their own account, on the condition that
    # the node is whitelist-only and keeps its items.
    iq = _iq("set", _pubsub(f"<publish node='{TUNE}'><item id='current'>{SONG}</item>"
                            f"</publish><publish-options>{PRECONDITIONS}</publish-options>"),
             to="ada@example.com")
    pubsub = _round_trip(iq)
    assert pubsub is not None and pubsub.requests() == ("publish",)
    assert pubsub.publish is not None and pubsub.publish.item is not None
    item = pubsub.publish.item
    assert item.id == "current" and item.publisher is None
    # The tune namespace is not one xepcodec declares: kept raw, written back as read.
    assert isinstance(item.payload, XmlFragment)
    assert item.payload.namespace == TUNE and item.payload.name == "tune"
    assert pubsub.publish_options is not None
    form = pubsub.publish_options.form
    assert form.form_type == PUBLISH_OPTIONS
    assert form.values()["pubsub#access_model"] == "whitelist"


def test_the_service_names_the_item_it_stored() -> None:
    pubsub = _round_trip(_iq("result", _pubsub(
        f"<publish node='{TUNE}'><item id='5f3c2a'/></publish>")))
    assert pubsub == PubSub(publish=Publish(node=TUNE, item=Item(id="5f3c2a")))
    assert pubsub.publish is not None and pubsub.publish.item is not None
    assert pubsub.publish.item.payload is None


def test_a_payload_of_a_declared_namespace_is_typed() -> None:
    item = typed(_pubsub(
        "<items node='settings'><item id='v1' publisher='ada@example.com'>"
        "<x xmlns='jabber:x:data' type='result'><field var='theme'><value>dark</value>"
        "</field></x></item></items>")).items.items[0]
    assert isinstance(item.payload, Form)
    assert item.payload.values() == {"theme": "dark"}
    assert item.publisher == ADA


def test_paging_items_with_max_items_and_a_result_set() -> None:
    ask = _round_trip(_iq("get", _pubsub(
        "<items node='blog' max_items='20'/>"
        "<set xmlns='http://jabber.org/protocol/rsm'><max>2</max></set>")))
    assert ask is not None and ask.items == Items(node="blog", max_items=20)
    assert ask.rsm is not None and ask.rsm.max == 2
    page = _round_trip(_iq("result", _pubsub(
        f"<items node='blog'><item id='p7'>{SONG}</item><item id='p6'>{SONG}</item></items>"
        "<set xmlns='http://jabber.org/protocol/rsm'><first index='0'>p7</first>"
        "<last>p6</last><count>9</count></set>")))
    assert page is not None and page.items is not None
    assert [item.id for item in page.items.items] == ["p7", "p6"]
    assert isinstance(page.rsm, ResultSet) and page.rsm.count == 9
    assert page.rsm.last == "p6"


def test_subscribing_and_configuring_at_once() -> None:
    ask = _round_trip(_iq("set", _pubsub(
        f"<subscribe node='blog' jid='ada@example.com'/><options>{OPTIONS_FORM}</options>")))
    assert ask is not None and ask.subscribe == Subscribe(node="blog", jid=ADA)
    assert ask.options is not None and ask.options.form is not None
    assert ask.options.form.values()["pubsub#deliver"] == "1"  # untyped: as written
    # The service answers with the subscription and, as Prosody does, the options back.
    answer = _round_trip(_iq("result", _pubsub(
        "<subscription node='blog' jid='ada@example.com' subid='s-91'"
        f" subscription='subscribed'/><options>{OPTIONS_FORM}</options>")))
    assert answer is not None and answer.requests() == ("subscription",)
    assert answer.subscription == Subscription(node="blog", jid=ADA, subid="s-91",
                                               subscription=SubscriptionState.SUBSCRIBED)


def test_a_subscription_that_must_be_configured_first() -> None:
    answer = _round_trip(_iq("result", _pubsub(
        "<subscription node='blog' jid='ada@example.com' subscription='unconfigured'>"
        "<subscribe-options><required/></subscribe-options></subscription>")))
    assert answer is not None and answer.subscription is not None
    assert answer.subscription.subscription == SubscriptionState.UNCONFIGURED
    assert answer.subscription.subscribe_options == SubscribeOptions(required=True)
    # Options supported but not required: an empty <subscribe-options/>.
    optional = typed(_pubsub(
        "<subscription node='blog' jid='ada@example.com' subscription='subscribed'>"
        "<subscribe-options/></subscription>"))
    assert optional.subscription.subscribe_options == SubscribeOptions(required=False)


@pytest.mark.parametrize(("written", "notify"), [("1", True), ("true", True),
                                                 ("0", False), ("false", False)])
def test_retract_notify_in_both_spellings(written: str, notify: bool) -> None:
    pubsub = _round_trip(_iq("set", _pubsub(
        f"<retract node='blog' notify='{written}'><item id='p7'/></retract>")))
    assert pubsub == PubSub(retract=Retract(node="blog", notify=notify, item=Item(id="p7")))
    assert f'notify="{"true" if notify else "false"}"'.encode() in encode(pubsub)


def test_an_instant_node_and_its_name() -> None:
    ask = _round_trip(_iq("set", _pubsub("<create/><configure/>")))
    assert ask == PubSub(create=Create(), configure=Configure())
    answer = _round_trip(_iq("result", _pubsub("<create node='a81c7d0e'/>")))
    assert answer is not None and answer.create == Create(node="a81c7d0e")


def test_lists_of_the_requesters_subscriptions_and_affiliations() -> None:
    subscriptions = _round_trip(_iq("result", _pubsub(
        "<subscriptions>"
        "<subscription node='blog' jid='ada@example.com' subscription='subscribed'"
        " subid='a'/>"
        "<subscription node='blog' jid='ada@example.com' subscription='pending' subid='b'/>"
        "<subscription node='news' jid='ada@example.com/desk' subscription='subscribed'/>"
        "</subscriptions>")))
    assert subscriptions is not None and subscriptions.subscriptions is not None
    assert [entry.subid for entry in subscriptions.subscriptions.subscriptions] == [
        "a", "b", None]
    affiliations = _round_trip(_iq("result", _pubsub(
        "<affiliations><affiliation node='blog' affiliation='owner'/>"
        "<affiliation node='news' affiliation='publish-only'/></affiliations>")))
    assert affiliations is not None and affiliations.affiliations is not None
    assert affiliations.affiliations.affiliations == (
        NodeAffiliation(node="blog", affiliation=Affiliation.OWNER),
        NodeAffiliation(node="news", affiliation=Affiliation.PUBLISH_ONLY))


def test_default_subscription_options() -> None:
    ask = _round_trip(_iq("get", _pubsub("<default type='collection'/>")))
    assert ask is not None and ask.default is not None
    assert ask.default.type == NodeType.COLLECTION and ask.default.node is None
    answer = _round_trip(_iq("result", _pubsub(
        "<default node='blog'><x xmlns='jabber:x:data' type='result'>"
        "<field var='pubsub#deliver' type='boolean'><value>1</value></field></x>"
        "</default>")))
    assert answer is not None and answer.default is not None
    assert answer.default.form is not None
    assert answer.default.form.values() == {"pubsub#deliver": True}


def test_options_of_the_root_node_are_asked_for_with_an_empty_node() -> None:
    ask = _round_trip(_iq("get", _pubsub("<options node='' jid='ada@example.com'/>")))
    assert ask is not None and ask.options == Options(node="", jid=ADA)


def test_companions_read_out_of_order_are_written_after_their_request() -> None:
    got = typed(_pubsub("<configure/><create node='blog'/>"))
    assert got == PubSub(create=Create(node="blog"), configure=Configure())
    assert encode(got) == (f'<pubsub xmlns="{NS_PUBSUB}"><create node="blog"/>'
                           "<configure/></pubsub>").encode()
    paged = typed(_pubsub("<set xmlns='http://jabber.org/protocol/rsm'><max>5</max></set>"
                          "<items node='blog'/>"))
    assert paged.items == Items(node="blog") and paged.rsm == ResultSet(max=5)


# -- rules parse and schema both check ----------------------------------------------------


@pytest.mark.parametrize(("xml", "words"), [
    (_pubsub("<create node='a'/><publish node='b'/>"),
     ["one request", "<create/> and <publish/>"]),
    (_pubsub("<items node='a'/><subscriptions/>"), ["<subscriptions/> and <items/>"]),
    (_pubsub("<subscribe jid='ada@example.com'/><subscription jid='ada@example.com'/>"),
     ["<subscribe/> and <subscription/>"]),
    (_pubsub("<configure/>"), ["<configure/>", "follows <create/>"]),
    (_pubsub(f"<publish-options>{PRECONDITIONS}</publish-options>"),
     ["<publish-options/>", "follows <publish/>"]),
    (_pubsub("<set xmlns='http://jabber.org/protocol/rsm'><max>1</max></set>"),
     ["follows <items/>"]),
    (_pubsub("<create/><create/>"), ["only one"]),
    (_pubsub("<publish node='a'><item id='1'/><item id='2'/></publish>"),
     ["only one <item/>"]),
    (_pubsub("<retract node='a'/>"), ["lacks its required child <item/>"]),
    (_pubsub("<retract node='a'><item id='1'/><item id='2'/></retract>"), ["only one"]),
    (_pubsub("<retract node='a'><item/></retract>"), ["by its 'id'"]),
    (_pubsub(f"<retract node='a'><item id='1'>{SONG}</item></retract>"),
     ["carries no payload"]),
    (_pubsub(f"<items node='a'><item id='1'>{SONG}{SONG}</item></items>"),
     ["at most one payload", "has 2"]),
    (_pubsub("<items node='a'><item id='1'><title>x</title></item></items>"),
     ["<title/>", "own namespace"]),
    (_pubsub("<publish-options/><publish node='a'/>"), ["<publish-options/>", "<x/>"]),
    (_pubsub("<publish/>"), ["node"]),
    (_pubsub("<items/>"), ["node"]),
    (_pubsub("<items node=''/>"), ["node", "empty"]),
    (_pubsub("<create node=''/>"), ["node", "empty"]),
    (_pubsub("<items node='a'><item id=''/></items>"), ["id", "empty"]),
    (_pubsub("<items node='a' max_items='0'/>"), ["max_items", "below the minimum 1"]),
    (_pubsub("<subscribe node='a'/>"), ["jid"]),
    (_pubsub("<unsubscribe node='a'/>"), ["jid"]),
    (_pubsub("<subscription node='a' jid='ada@example.com' subscription='maybe'/>"),
     ["subscription"]),
    (_pubsub("<affiliations><affiliation node='a' affiliation='admin'/></affiliations>"),
     ["affiliation"]),
    (_pubsub("<affiliations><affiliation affiliation='owner'/></affiliations>"), ["node"]),
    (_pubsub("<default type='branch'/>"), ["type"]),
    (_pubsub("<create/><configure node='a'/>"), ["no attribute 'node'"]),
    (_pubsub("<subscription jid='ada@example.com'><subscribe-options><required>yes"
             "</required></subscribe-options></subscription>"), ["required", "empty"]),
    (_pubsub("<create>text</create>"), ["text"]),
    (_pubsub("<purge node='a'/>"), ["purge"]),
])
def test_rules_both_check(schema: etree.XMLSchema, xml: str, words: list[str]) -> None:
    assert not schema_accepts(schema, xml)
    rejects(xml, *words)


@pytest.mark.parametrize(("xml", "words"), [
    # Rules XSD 1.0 cannot say: parse and validate refuse them alike all the same.
    (_pubsub("<options node='a'/>"), ["on its own", "'jid'"]),
    (_pubsub("<subscribe node='a' jid='ada@example.com'/>"
             "<options jid='ada@example.com'/>"),
     ["following a <subscribe/>", "a 'jid' of its own"]),
    (_pubsub("<subscription node='a' jid='ada@example.com'/><options node='a'/>"),
     ["following a <subscription/>", "a 'node' of its own"]),
    (_pubsub("<publish node='a'/><publish-options><x xmlns='jabber:x:data' type='submit'>"
             "<field var='pubsub#access_model'><value>open</value></field></x>"
             "</publish-options>"), [PUBLISH_OPTIONS, "not none"]),
    (_pubsub("<publish node='a'/><publish-options>"
             + PRECONDITIONS.replace(PUBLISH_OPTIONS, f"{NS_PUBSUB}#node_config")
             + "</publish-options>"), [f"not '{NS_PUBSUB}#node_config'"]),
    (_pubsub("<subscriptions><subscription node='a' jid='ada@example.com'/>"
             "<subscription node='a' jid='ada@example.com'/></subscriptions>"),
     ["distinct 'subid'", "2 times"]),
    (_pubsub("<subscriptions><subscription node='a' jid='ada@example.com' subid='x'/>"
             "<subscription node='a' jid='ada@example.com' subid='x'/></subscriptions>"),
     ["distinct 'subid'"]),
])
def test_rules_beyond_the_schema(xml: str, words: list[str]) -> None:
    error = rejects(xml, *words)
    assert "XEP-0060" in error.message
    report = xepcodec.validate(xml)
    assert not report.ok
    assert any(words[0] in issue.message for issue in report.errors), report.errors


def test_the_same_jid_at_two_nodes_needs_no_subid() -> None:
    listed = typed(_pubsub(
        "<subscriptions><subscription node='a' jid='ada@example.com'/>"
        "<subscription node='b' jid='ada@example.com'/></subscriptions>"))
    assert len(listed.subscriptions.subscriptions) == 2


def test_construction_refuses_what_parsing_refuses() -> None:
    with pytest.raises(ArgumentValueError, match="one request"):
        PubSub(create=Create(), items=Items(node="a"))
    with pytest.raises(ArgumentValueError, match="follows <create/>"):
        PubSub(configure=Configure())
    with pytest.raises(ArgumentValueError, match="a 'node' of its own"):
        PubSub(subscribe=Subscribe(jid=ADA), options=Options(node="blog"))
    with pytest.raises(ArgumentValueError, match="at most one payload"):
        Item(extensions=(Form(type=FormType.RESULT), Form(type=FormType.RESULT)))
    with pytest.raises(ArgumentValueError, match="by its 'id'"):
        Retract(node="a", item=Item())
    with pytest.raises(ArgumentValueError, match="FORM_TYPE"):
        PublishOptions(form=Form(type=FormType.SUBMIT))
    with pytest.raises(ArgumentValueError, match="distinct 'subid'"):
        Subscriptions(subscriptions=(Subscription(node="a", jid=ADA),
                                     Subscription(node="a", jid=ADA, subid="s")))
    made = PublishOptions(form=Form.submit({"pubsub#access_model": "open"},
                                           form_type=PUBLISH_OPTIONS))
    assert made.form.form_type == PUBLISH_OPTIONS


# -- what the iq type decides -------------------------------------------------------------

ERROR = ("<error type='modify'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
         "<configuration-required xmlns='http://jabber.org/protocol/pubsub#errors'/></error>")


@pytest.mark.parametrize(("type_", "inner"), [
    ("get", _pubsub("<subscriptions/>")),
    ("get", _pubsub("<affiliations node='blog'/>")),
    ("get", _pubsub("<items node='blog'><item id='1'/><item id='2'/></items>")),
    ("get", _pubsub("<options node='blog' jid='ada@example.com'/>")),
    ("get", _pubsub("<default/>")),
    ("set", _pubsub("<create node='blog'/>")),
    ("set", _pubsub("<create/><configure><x xmlns='jabber:x:data' type='submit'/>"
                    "</configure>")),
    ("set", _pubsub("<subscribe node='blog' jid='ada@example.com/desk'/>")),
    ("set", _pubsub(f"<options node='blog' jid='ada@example.com'>{OPTIONS_FORM}</options>")),
    ("set", _pubsub("<unsubscribe node='blog' jid='ada@example.com' subid='s-91'/>")),
    ("set", _pubsub("<publish node='blog'/>")),
    ("set", _pubsub("<retract node='blog'><item id='1'/></retract>")),
    ("result", ""),
    ("result", _pubsub()),
    ("result", _pubsub("<subscription node='blog' jid='ada@example.com'"
                       " subscription='none'/>")),
    ("result", _pubsub("<options node='blog' jid='ada@example.com'>"
                       "<x xmlns='jabber:x:data' type='form'/></options>")),
    ("result", _pubsub("<items node='blog'/>")),
    ("error", _pubsub(f"<subscribe node='blog' jid='ada@example.com'/><options>"
                      f"{OPTIONS_FORM}</options>") + ERROR),
    ("error", ERROR),
])
def test_check_pubsub_iq_accepts(type_: str, inner: str) -> None:
    iq = _iq(type_, inner)
    assert check_pubsub_iq(iq) == iq.payload


@pytest.mark.parametrize(("type_", "inner", "words", "path"), [
    ("get", _pubsub(), ["carries a request", "empty"], "/iq/pubsub"),
    ("set", _pubsub(), ["empty"], "/iq/pubsub"),
    ("get", "<ping xmlns='urn:xmpp:ping'/>", [NS_PUBSUB], "/iq"),
    ("get", _pubsub("<publish node='blog'/>"), ["type 'set', not 'get'"],
     "/iq/pubsub/publish"),
    ("get", _pubsub("<subscribe jid='ada@example.com'/>"), ["not 'get'"],
     "/iq/pubsub/subscribe"),
    ("get", _pubsub("<subscriptions><subscription jid='ada@example.com'/>"
                    "</subscriptions>"), ["empty <subscriptions/>"],
     "/iq/pubsub/subscriptions"),
    ("get", _pubsub("<affiliations><affiliation node='a' affiliation='owner'/>"
                    "</affiliations>"), ["empty <affiliations/>"],
     "/iq/pubsub/affiliations"),
    ("get", _pubsub(f"<options jid='ada@example.com'>{OPTIONS_FORM}</options>"),
     ["holds a form"], "/iq/pubsub/options"),
    ("get", _pubsub("<default><x xmlns='jabber:x:data' type='result'/></default>"),
     ["holds a form"], "/iq/pubsub/default"),
    ("get", _pubsub(f"<items node='a'><item id='1'>{SONG}</item></items>"),
     ["by its 'id' and carries nothing"], "/iq/pubsub/items/item"),
    ("get", _pubsub("<items node='a'><item/></items>"), ["by its 'id'"],
     "/iq/pubsub/items/item"),
    ("set", _pubsub("<items node='a'/>"), ["not 'set'"], "/iq/pubsub/items"),
    ("set", _pubsub("<subscription jid='ada@example.com'/>"), ["not 'set'"],
     "/iq/pubsub/subscription"),
    ("set", _pubsub("<options jid='ada@example.com'/>"), ["carries the subscriber's form"],
     "/iq/pubsub/options"),
    ("set", _pubsub("<subscribe jid='ada@example.com'/><options/>"),
     ["carries the subscriber's form"], "/iq/pubsub/options"),
    ("set", _pubsub("<options jid='ada@example.com'><x xmlns='jabber:x:data' type='form'/>"
                    "</options>"), ["'submit', not 'form'"], "/iq/pubsub/options/x/@type"),
    ("set", _pubsub("<create/><configure><x xmlns='jabber:x:data' type='result'/>"
                    "</configure>"), ["'submit', not 'result'"],
     "/iq/pubsub/configure/x/@type"),
    ("result", _pubsub("<retract node='a'><item id='1'/></retract>"),
     ["never in a result"], "/iq/pubsub/retract"),
    ("result", _pubsub("<subscribe jid='ada@example.com'/>"), ["never in a result"],
     "/iq/pubsub/subscribe"),
    ("result", _pubsub("<subscription jid='ada@example.com' node='a'/>"),
     ["gives its state"], "/iq/pubsub/subscription"),
    ("result", _pubsub("<subscriptions><subscription jid='ada@example.com' node='a'/>"
                       "</subscriptions>"), ["no 'subscription'"],
     "/iq/pubsub/subscriptions/subscription"),
])
def test_check_pubsub_iq_refusals(type_: str, inner: str, words: list[str],
                                  path: str) -> None:
    with pytest.raises(ParseError) as caught:
        check_pubsub_iq(_iq(type_, inner))
    assert caught.value.condition == "bad-request"
    assert caught.value.path == path
    for word in words:
        assert word in caught.value.message, caught.value.message


def test_xep_60_and_163_name_the_package() -> None:
    assert xepcodec.xep(60).__name__ == "xepcodec.protocols.pubsub"
    assert xepcodec.xep(163) is xepcodec.xep(60)
