"""Tests for xepcodec.protocols.pubsub.owner (XEP-0060 pubsub#owner: what a node's owner
asks of the service).

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
from xepcodec.model import decode, encode
from xepcodec.protocols.dataforms import Form, FormType
from xepcodec.protocols.pubsub.core import (
    NS_PUBSUB_OWNER,
    Affiliation,
    NodeType,
    SubscriptionState,
)
from xepcodec.protocols.pubsub.owner import (
    OwnerAffiliation,
    OwnerAffiliations,
    OwnerConfigure,
    OwnerDefault,
    OwnerDelete,
    OwnerPubsub,
    OwnerPurge,
    OwnerRedirect,
    OwnerSubscription,
    OwnerSubscriptions,
    check_owner_iq,
)

NODE_CONFIG = "http://jabber.org/protocol/pubsub#node_config"

CONFIG_FORM = (
    "<x xmlns='jabber:x:data' type='form'>"
    f"<field var='FORM_TYPE' type='hidden'><value>{NODE_CONFIG}</value></field>"
    "<field var='pubsub#title' type='text-single' label='Title'>"
    "<value>Garden log</value></field>"
    "<field var='pubsub#max_items' type='text-single'><value>20</value></field>"
    "<field var='pubsub#deliver_payloads' type='boolean'><value>1</value></field>"
    "</x>")
SUBMITTED = (
    "<x xmlns='jabber:x:data' type='submit'>"
    f"<field var='FORM_TYPE' type='hidden'><value>{NODE_CONFIG}</value></field>"
    "<field var='pubsub#max_items'><value>50</value></field></x>")
MOVED = "xmpp:greenhouse.example.org?;node=garden-log"


def _pubsub(inner: str) -> str:
    return f"<pubsub xmlns='{NS_PUBSUB_OWNER}'>{inner}</pubsub>"


def _iq(type_: str, inner: str) -> Iq:
    xml = (f"<iq xmlns='jabber:client' type='{type_}' id='p1' to='pubsub.example.org'"
           f" from='ada@example.com/desk'>{inner}</iq>")
    iq = decode(etree.fromstring(xml.encode()))
    assert isinstance(iq, Iq)
    return iq



# -- configuration and defaults -----------------------------------------------------------


def test_a_configuration_form_asked_for_sent_and_answered() -> None:
    asked = through_the_wire(_iq("get", _pubsub("<configure node='garden-log'/>")))
    assert check_owner_iq(asked) == OwnerPubsub(operation=OwnerConfigure(node="garden-log"))

    sent = through_the_wire(_iq("result", _pubsub(f"<configure node='garden-log'>{CONFIG_FORM}"
                                             "</configure>")))
    pubsub = check_owner_iq(sent)
    assert pubsub is not None and isinstance(pubsub.operation, OwnerConfigure)
    form = pubsub.operation.form
    assert form is not None and form.type == FormType.FORM
    assert form.form_type == NODE_CONFIG
    assert form.values()["pubsub#deliver_payloads"] is True

    answered = through_the_wire(_iq("set", _pubsub(f"<configure node='garden-log'>{SUBMITTED}"
                                              "</configure>")))
    pubsub = check_owner_iq(answered)
    assert pubsub is not None and isinstance(pubsub.operation, OwnerConfigure)
    assert pubsub.operation.form is not None
    assert pubsub.operation.form.type == FormType.SUBMIT
    assert pubsub.operation.form.values()["pubsub#max_items"] == "50"

    given_up = _iq("set", _pubsub("<configure node='garden-log'>"
                                  "<x xmlns='jabber:x:data' type='cancel'/></configure>"))
    assert check_owner_iq(through_the_wire(given_up)) is not None


def test_configure_without_a_node_is_about_the_root_node() -> None:
    # The XEP answers it with nodeid-required, an error the service chooses to send:
    # the request itself is well formed.
    iq = through_the_wire(_iq("get", _pubsub("<configure/>")))
    assert check_owner_iq(iq) == OwnerPubsub(operation=OwnerConfigure())


def test_the_default_configuration_of_a_node_type() -> None:
    asked = through_the_wire(_iq("get", _pubsub("<default type='collection'/>")))
    assert check_owner_iq(asked) == OwnerPubsub(
        operation=OwnerDefault(type=NodeType.COLLECTION))
    leaf = typed(_pubsub("<default/>")).operation
    assert leaf == OwnerDefault() and leaf.type is None  # the service then means 'leaf'

    sent = through_the_wire(_iq("result", _pubsub(f"<default>{CONFIG_FORM}</default>")))
    pubsub = check_owner_iq(sent)
    assert pubsub is not None and isinstance(pubsub.operation, OwnerDefault)
    assert pubsub.operation.form is not None
    assert pubsub.operation.form.values()["pubsub#title"] == "Garden log"


# -- deletion and purge -------------------------------------------------------------------


def test_delete_with_a_redirect() -> None:
    iq = through_the_wire(_iq("set", _pubsub(f"<delete node='garden-log'><redirect uri='{MOVED}'/>"
                                        "</delete>")))
    pubsub = check_owner_iq(iq)
    assert pubsub == OwnerPubsub(operation=OwnerDelete(
        node="garden-log", redirect=OwnerRedirect(uri=MOVED)))
    plain = through_the_wire(_iq("set", _pubsub("<delete node='garden-log'/>")))
    assert check_owner_iq(plain) == OwnerPubsub(operation=OwnerDelete(node="garden-log"))


@pytest.mark.parametrize("uri", [MOVED, "https://blog.example.org/feeds/garden",
                                 "xmpp:ada@example.com?;node=r%C3%A9colte",
                                 "xmpp:ada@example.com?;node=récolte"])
def test_a_redirect_takes_any_absolute_uri_or_iri(schema: etree.XMLSchema, uri: str) -> None:
    xml = _pubsub(f"<delete node='n'><redirect uri='{uri}'/></delete>")
    assert schema_accepts(schema, xml)
    assert typed(xml).operation.redirect.uri == uri


@pytest.mark.parametrize("uri", ["", "garden-log", "/feeds/garden", "xmpp:a b",
                                 "1xmpp:node"])
def test_a_redirect_without_a_scheme_is_refused(schema: etree.XMLSchema, uri: str) -> None:
    xml = _pubsub(f"<delete node='n'><redirect uri='{uri}'/></delete>")
    assert not schema_accepts(schema, xml)
    error = rejects(xml, "not an absolute URI")
    assert error.path == "/pubsub/delete/redirect/@uri"
    with pytest.raises(ArgumentValueError, match=r"OwnerRedirect\.uri: .* not an absolute URI"):
        OwnerRedirect(uri=uri)


def test_purge() -> None:
    iq = through_the_wire(_iq("set", _pubsub("<purge node='garden-log'/>")))
    assert check_owner_iq(iq) == OwnerPubsub(operation=OwnerPurge(node="garden-log"))


# -- subscriptions and affiliations -------------------------------------------------------


def test_affiliation_management() -> None:
    asked = through_the_wire(_iq("get", _pubsub("<affiliations node='garden-log'/>")))
    assert check_owner_iq(asked) == OwnerPubsub(
        operation=OwnerAffiliations(node="garden-log"))

    listed = through_the_wire(_iq("result", _pubsub(
        "<affiliations node='garden-log'>"
        "<affiliation jid='ada@example.com' affiliation='owner'/>"
        "<affiliation jid='bot@example.com' affiliation='publish-only'/>"
        "<affiliation jid='spam@example.net' affiliation='outcast'/>"
        "</affiliations>")))
    pubsub = check_owner_iq(listed)
    assert pubsub is not None and isinstance(pubsub.operation, OwnerAffiliations)
    assert [(str(a.jid), a.affiliation) for a in pubsub.operation.affiliations] == [
        ("ada@example.com", Affiliation.OWNER),
        ("bot@example.com", Affiliation.PUBLISH_ONLY),
        ("spam@example.net", Affiliation.OUTCAST)]

    # The owner sends only what changes; 'none' takes an entity off the list (§8.9.3).
    changed = through_the_wire(_iq("set", _pubsub(
        "<affiliations node='garden-log'>"
        "<affiliation jid='grace@example.com' affiliation='publisher'/>"
        "<affiliation jid='bot@example.com' affiliation='none'/>"
        "</affiliations>")))
    assert check_owner_iq(changed) == OwnerPubsub(operation=OwnerAffiliations(
        node="garden-log", affiliations=(
            OwnerAffiliation(jid=JID.parse("grace@example.com"),
                             affiliation=Affiliation.PUBLISHER),
            OwnerAffiliation(jid=JID.parse("bot@example.com"),
                             affiliation=Affiliation.NONE))))


def test_subscription_management() -> None:
    listed = through_the_wire(_iq("result", _pubsub(
        "<subscriptions node='garden-log'>"
        "<subscription jid='grace@example.com' subscription='subscribed'/>"
        "<subscription jid='alan@example.com' subscription='unconfigured'/>"
        "<subscription jid='alan@example.com/phone' subscription='subscribed' subid='s-1'/>"
        "<subscription jid='bob@example.net' subscription='subscribed' subid='s-2'/>"
        "<subscription jid='bob@example.net' subscription='subscribed' subid='s-3'/>"
        "</subscriptions>")))
    pubsub = check_owner_iq(listed)
    assert pubsub is not None and isinstance(pubsub.operation, OwnerSubscriptions)
    bobs = [s.subid for s in pubsub.operation.subscriptions if str(s.jid) == "bob@example.net"]
    assert bobs == ["s-2", "s-3"]

    # A change without a state leaves the state as it is (§8.8.2).
    changed = through_the_wire(_iq("set", _pubsub(
        "<subscriptions node='garden-log'>"
        "<subscription jid='grace@example.com' subscription='none'/>"
        "<subscription jid='bob@example.net' subid='s-2'/>"
        "</subscriptions>")))
    pubsub = check_owner_iq(changed)
    assert pubsub is not None and isinstance(pubsub.operation, OwnerSubscriptions)
    assert [s.subscription for s in pubsub.operation.subscriptions] == [
        SubscriptionState.NONE, None]


def test_prosodys_list_names_the_node_on_each_entry() -> None:
    # Prosody 0.12's answer to the owner, as it sends it: no node on the list, the node
    # on every entry.  Read, kept and written back as it came.
    entries = ("<subscription node='garden-log' jid='bob@example.net/phone' "
               "subscription='subscribed'/>"
               "<subscription node='garden-log' jid='bob@example.net/desk' "
               "subscription='subscribed'/>")
    listed = through_the_wire(_iq("result", _pubsub(f"<subscriptions>{entries}</subscriptions>")))
    pubsub = check_owner_iq(listed)
    assert pubsub is not None and isinstance(pubsub.operation, OwnerSubscriptions)
    assert pubsub.operation.node is None
    assert [(entry.node, str(entry.jid)) for entry in pubsub.operation.subscriptions] == [
        ("garden-log", "bob@example.net/phone"), ("garden-log", "bob@example.net/desk")]
    written = etree.fromstring(encode(listed)).find(f"{{{NS_PUBSUB_OWNER}}}pubsub/"
                                                    f"{{{NS_PUBSUB_OWNER}}}subscriptions")
    assert written is not None and written.get("node") is None
    assert [entry.get("node") for entry in written] == ["garden-log", "garden-log"]
    # Named on both, the same node; and Prosody's empty list names none at all.
    through_the_wire(_iq("result", _pubsub(f"<subscriptions node='garden-log'>{entries}"
                                      "</subscriptions>")))
    empty = through_the_wire(_iq("result", _pubsub("<subscriptions/>")))
    assert check_owner_iq(empty) == OwnerPubsub(operation=OwnerSubscriptions())


@pytest.mark.parametrize("xml", [
    _pubsub("<subscriptions node='garden-log'><subscription node='greenhouse' "
            "jid='bob@example.net' subscription='subscribed'/></subscriptions>"),
    _pubsub("<subscriptions><subscription node='garden-log' jid='bob@example.net' "
            "subscription='subscribed'/><subscription node='greenhouse' "
            "jid='ada@example.com' subscription='subscribed'/></subscriptions>"),
])
def test_a_subscriptions_list_is_of_one_node(xml: str) -> None:
    # The schema cannot compare the nodes; validate refuses through the class, as parse.
    error = rejects(xml, "'greenhouse'", "a list is of one node", "§8.8.1")
    assert error.path == "/pubsub/subscriptions"
    assert not xepcodec.validate(xml).ok
    with pytest.raises(ArgumentValueError, match="a list is of one node"):
        OwnerSubscriptions(node="garden-log", subscriptions=[OwnerSubscription(
            jid=JID.parse("bob@example.net"), node="greenhouse")])


@pytest.mark.parametrize("entries", [
    "<subscription jid='bob@example.net' subscription='subscribed'/>"
    "<subscription jid='bob@example.net' subscription='pending'/>",
    "<subscription jid='bob@example.net' subid='s-2'/>"
    "<subscription jid='bob@example.net'/>",
])
def test_a_jid_listed_twice_needs_a_subid_on_each_entry(entries: str) -> None:
    # The schema cannot say this (its uniqueness skips entries without a subid), so
    # validate refuses it through the class, as parse does.
    xml = _pubsub(f"<subscriptions node='garden-log'>{entries}</subscriptions>")
    error = rejects(xml, "bob@example.net", "distinct 'subid'", "§8.8.1")
    assert error.path == "/pubsub/subscriptions"
    assert not xepcodec.validate(xml).ok


def test_the_same_jid_and_subid_twice_is_refused_by_both(schema: etree.XMLSchema) -> None:
    xml = _pubsub("<subscriptions node='garden-log'>"
                  "<subscription jid='bob@example.net' subid='s-2'/>"
                  "<subscription jid='bob@example.net' subid='s-2'/></subscriptions>")
    assert not schema_accepts(schema, xml)
    rejects(xml, "distinct 'subid'")
    with pytest.raises(ArgumentValueError, match="distinct 'subid'"):
        OwnerSubscriptions(node="n", subscriptions=[
            OwnerSubscription(jid=JID.parse("bob@example.net"), subid="s-2"),
            OwnerSubscription(jid=JID.parse("bob@example.net"), subid="s-2")])


# -- what any pubsub#owner element obeys --------------------------------------------------


@pytest.mark.parametrize(("xml", "words", "condition"), [
    (_pubsub(""), ["lacks its required child"], "bad-request"),
    (_pubsub("<purge node='a'/><delete node='a'/>"), ["delete"], "bad-request"),
    (_pubsub("<purge node='a'/><purge node='b'/>"), ["only one <purge/>"], "bad-request"),
    (_pubsub("<purge/>"), ["node"], "bad-request"),
    (_pubsub("<purge node=''/>"), ["node", "empty"], "bad-request"),
    (_pubsub("<delete/>"), ["node"], "bad-request"),
    (_pubsub("<subscriptions><subscription jid='a@example.com' node=''/></subscriptions>"),
     ["node", "empty"], "bad-request"),
    (_pubsub("<affiliations node=''/>"), ["node", "empty"], "bad-request"),
    (_pubsub("<configure node=''/>"), ["node", "empty"], "bad-request"),
    (_pubsub("<delete node='a'><redirect/></delete>"), ["uri"], "bad-request"),
    (_pubsub("<default type='branch'/>"), ["type"], "bad-request"),
    (_pubsub("<affiliations node='a'><affiliation jid='a@example.com' "
             "affiliation='admin'/></affiliations>"), ["affiliation"], "bad-request"),
    (_pubsub("<affiliations node='a'><affiliation affiliation='member'/></affiliations>"),
     ["jid"], "bad-request"),
    (_pubsub("<subscriptions node='a'><subscription subscription='subscribed'/>"
             "</subscriptions>"), ["jid"], "bad-request"),
    (_pubsub("<subscriptions node='a'><subscription jid='a@example.com' "
             "subscription='active'/></subscriptions>"), ["subscription"], "bad-request"),
    (_pubsub("<purge node='a'>now</purge>"), ["holds no text"], "bad-request"),
    (_pubsub("<create node='a'/>"), ["create"], "bad-request"),
    (_pubsub(f"<configure node='a'>{CONFIG_FORM}{SUBMITTED}</configure>"), ["x"],
     "bad-request"),
])
def test_rules_both_check(schema: etree.XMLSchema, xml: str, words: list[str],
                          condition: str) -> None:
    assert not schema_accepts(schema, xml)
    rejects(xml, *words, condition=condition)


def test_a_malformed_jid_is_jid_malformed() -> None:
    rejects(_pubsub("<affiliations node='a'><affiliation jid='a@@example.com' "
                    "affiliation='member'/></affiliations>"), condition="jid-malformed")


def test_construction_needs_one_operation() -> None:
    with pytest.raises(xepcodec.XepCodecError, match="operation"):
        OwnerPubsub()  # type: ignore[call-arg]
    with pytest.raises(ArgumentValueError, match=r"OwnerPurge\.node"):
        OwnerPurge(node="")


# -- what the iq type decides -------------------------------------------------------------


@pytest.mark.parametrize(("type_", "inner"), [
    ("get", _pubsub("<subscriptions node='n'/>")),
    ("result", _pubsub("<subscriptions node='n'/>")),  # nobody subscribed
    ("result", _pubsub("<configure node='n'/>")),
    ("result", ""),  # the answer to a set
    ("set", _pubsub("<purge node='n'/>")),
    ("error", _pubsub("<subscriptions node='n'><subscription jid='a@example.com' "
                      "subscription='subscribed'/></subscriptions>")
     + "<error type='modify'><not-acceptable "
       "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"),
])
def test_check_owner_iq_accepts(type_: str, inner: str) -> None:
    iq = _iq(type_, inner)
    assert check_owner_iq(iq) == iq.payload


@pytest.mark.parametrize(("type_", "inner", "words", "path"), [
    ("get", _pubsub("<delete node='n'/>"), ["type 'set', not 'get'"], "/iq/pubsub/delete"),
    ("get", _pubsub("<purge node='n'/>"), ["type 'set', not 'get'"], "/iq/pubsub/purge"),
    ("get", _pubsub(f"<configure node='n'>{CONFIG_FORM}</configure>"),
     ["empty <configure/>", "holds a form"], "/iq/pubsub/configure"),
    ("get", _pubsub(f"<default>{CONFIG_FORM}</default>"), ["empty <default/>"],
     "/iq/pubsub/default"),
    ("get", _pubsub("<affiliations node='n'><affiliation jid='a@example.com' "
                    "affiliation='member'/></affiliations>"), ["lists some"],
     "/iq/pubsub/affiliations"),
    ("get", _pubsub("<subscriptions node='n'><subscription jid='a@example.com'/>"
                    "</subscriptions>"), ["lists some"], "/iq/pubsub/subscriptions"),
    ("set", _pubsub("<default/>"), ["type 'get', not 'set'"], "/iq/pubsub/default"),
    ("set", _pubsub("<configure node='n'/>"), ["holds none"], "/iq/pubsub/configure"),
    ("set", _pubsub(f"<configure node='n'>{CONFIG_FORM}</configure>"),
     ["'submit' or 'cancel', not 'form'"], "/iq/pubsub/configure/x/@type"),
    ("set", _pubsub("<affiliations node='n'/>"), ["lists none"], "/iq/pubsub/affiliations"),
    ("set", _pubsub("<subscriptions node='n'/>"), ["lists none"],
     "/iq/pubsub/subscriptions"),
    # Only a service's list may leave the node to its entries (or, empty, name none).
    ("get", _pubsub("<subscriptions/>"), ["names the node", "has none"],
     "/iq/pubsub/subscriptions"),
    ("set", _pubsub("<subscriptions><subscription jid='a@example.com' node='n' "
                    "subscription='none'/></subscriptions>"), ["names the node"],
     "/iq/pubsub/subscriptions"),
    ("result", _pubsub("<delete node='n'/>"), ["never in a result"], "/iq/pubsub/delete"),
    ("result", _pubsub(f"<configure node='n'>{SUBMITTED}</configure>"),
     ["type 'form', not 'submit'"], "/iq/pubsub/configure/x/@type"),
    ("result", _pubsub("<affiliations node='n'><affiliation jid='a@example.com' "
                       "affiliation='none'/></affiliations>"), ["never one of affiliation"],
     "/iq/pubsub/affiliations/affiliation"),
    ("result", _pubsub("<subscriptions node='n'><subscription jid='a@example.com' "
                       "subscription='none'/></subscriptions>"), ["the state 'none'"],
     "/iq/pubsub/subscriptions/subscription"),
    ("result", _pubsub("<subscriptions node='n'><subscription jid='a@example.com'/>"
                       "</subscriptions>"), ["has no state"],
     "/iq/pubsub/subscriptions/subscription"),
    ("set", "<ping xmlns='urn:xmpp:ping'/>", [NS_PUBSUB_OWNER], "/iq"),
])
def test_check_owner_iq_refusals(type_: str, inner: str, words: list[str],
                                 path: str) -> None:
    with pytest.raises(ParseError) as caught:
        check_owner_iq(_iq(type_, inner))
    assert caught.value.condition == "bad-request"
    assert caught.value.path == path
    for word in words:
        assert word in caught.value.message, caught.value.message


def test_a_submitted_form_is_built_from_the_offered_one() -> None:
    offered = typed(_pubsub(f"<configure node='n'>{CONFIG_FORM}</configure>")).operation.form
    assert isinstance(offered, Form)
    answer = offered.fill({"pubsub#max_items": "50"})
    pubsub = OwnerPubsub(operation=OwnerConfigure(node="n", form=answer))
    iq = _iq("set", encode(pubsub).decode())
    assert check_owner_iq(through_the_wire(iq)) == pubsub
