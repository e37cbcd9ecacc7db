"""XEP-0060 against the live server's publish-subscribe service: the owner creates a node
with a configuration form, a second account subscribes and hears of each publication,
retraction, purge and deletion; the owner publishes with preconditions (refused with
``precondition-not-met`` when the node does not meet them), pages items, changes
affiliations and subscriptions, and deletes the node pointing to another.  Every
request is built by the library, every answer read through its typed readers, and
everything the service sends parses typed, validates and round-trips."""

# What Prosody 0.12 does not do, and the tests therefore assert as it is: it answers no
# Result Set Management page of items (it ignores <set/> and sends every item, so
# max_items is how a client asks for fewer), it tells subscribers of a deletion without
# the redirect the owner gave, it refuses a subscription of another JID with forbidden
# rather than the XEP's invalid-jid, and an item without payload with a bad request
# that names no #errors condition.  Its list of a node's subscriptions for the owner
# names the node on each entry rather than on the list, which the library reads as
# written (OwnerSubscription.node).

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from xepcodec.core.stanza_errors import Condition, ErrorType
from xepcodec.core.stanzas import Message
from xepcodec.datatypes.jid import JID
from xepcodec.protocols.dataforms import Field, Form, FormType
from xepcodec.protocols.disco import InfoQuery, info_request
from xepcodec.protocols.pubsub import client as pubsub
from xepcodec.protocols.pubsub import errors
from xepcodec.protocols.pubsub.core import Affiliation, SubscriptionState
from xepcodec.protocols.pubsub.errors import pubsub_error
from xepcodec.protocols.pubsub.features import Feature, service_features
from xepcodec.protocols.pubsub.forms import (
    AccessModel,
    NodeConfigForm,
    PublishModel,
    PublishOptionsForm,
    SendLastPublishedItem,
    SubscribeOptionsForm,
    node_metadata_form,
)
from xepcodec.protocols.rsm import ResultSet

from .client import LiveClient
from .prosody import JULIET, NURSE, PLAIN_HOST, PUBSUB_HOST, SCRAM_HOST, Prosody
from .rooms import wait_for

SERVICE = JID.parse(PUBSUB_HOST)
NODE = "princely_musings"
#: The FORM_TYPE of the payload the tests publish: a data form (XEP-0004) of type
#: result, a payload the library types, as any element of another namespace may be.
MUSING = "urn:xmpp:xepcodec:test:musing"


def musing(title: str) -> Form:
    """The payload of an item: a form of type ``result`` holding a title."""
    return Form(type=FormType.RESULT, fields=(
        Field.of("FORM_TYPE", MUSING, type="hidden"), Field.of("title", title)))


def event_about(node: str, *, service: JID | None = None) -> Callable[[Any], bool]:
    """A ``test`` for :func:`~.rooms.wait_for`: a notification about ``node`` (from
    ``service`` when given)."""
    def test(stanza: Any) -> bool:
        if not isinstance(stanza, Message) or (service is not None
                                               and stanza.from_ != service):
            return False
        told = pubsub.read_event(stanza)
        return told is not None and told.node == node
    return test


def next_event(client: LiveClient, node: str, *, service: JID | None = None,
               since: int) -> pubsub.Event:
    """The first notification about ``node`` ``client`` received after its first
    ``since`` stanzas, read typed (reading until one arrives)."""
    told = pubsub.read_event(wait_for(client, event_about(node, service=service),
                                      since=since))
    assert told is not None
    return told


def test_node_from_creation_to_deletion(prosody: Prosody) -> None:
    juliet = JID.parse(f"{JULIET[0]}@{PLAIN_HOST}")
    nurse = JID.parse(f"{NURSE[0]}@{SCRAM_HOST}/chamber")
    with (LiveClient(prosody, JULIET, resource="desk") as owner,
          LiveClient(prosody, NURSE, resource="chamber") as reader):
        for client in (owner, reader):
            client.log_in()

        # The service says what it supports in its disco#info.
        info = owner.request(info_request(id="info-1", to=SERVICE)).find(InfoQuery)
        assert info is not None
        offered = service_features(info)
        assert {Feature.PUBSUB, Feature.CREATE_AND_CONFIGURE, Feature.PUBLISH_OPTIONS,
                Feature.RETRACT_ITEMS, Feature.PURGE_NODES, Feature.DELETE_NODES,
                Feature.MODIFY_AFFILIATIONS, Feature.INSTANT_NODES} <= offered, offered
        # Prosody 0.12 pages no items (see above) and says so: no pubsub#rsm (§6.5.4).
        assert Feature.RSM not in offered, offered

        # Only the service's admin may create a node (Prosody's rule): Juliet creates
        # one with a configuration form, the nurse is refused.
        made = owner.request(pubsub.create_node(
            SERVICE, NODE, config=NodeConfigForm(title="Princely Musings", max_items=10,
                                                 notify_retract=True), id="create-1"))
        assert pubsub.created(made) is None, made  # the request named the node
        with pytest.raises(pubsub.PubSubRefused) as refused:
            pubsub.created(reader.request(pubsub.create_node(SERVICE, "nurse_node",
                                                             id="create-2")))
        assert pubsub_error(refused.value.reply).case is errors.FORBIDDEN, refused.value
        # A node that exists already cannot be created again.
        with pytest.raises(pubsub.PubSubRefused) as refused:
            pubsub.created(owner.request(pubsub.create_node(SERVICE, NODE, id="create-4")))
        assert pubsub_error(refused.value.reply).case is errors.NODE_EXISTS, refused.value

        # An instant node: the service makes up its name and says it.
        instant = pubsub.created(owner.request(pubsub.create_node(SERVICE, id="create-3")))
        assert instant, instant

        # The configuration reads back as it was sent, with Prosody's other options;
        # the default configuration of new nodes differs.
        config = NodeConfigForm.from_form(pubsub.read_node_config(owner.request(
            pubsub.configure_request(SERVICE, NODE, id="configure-0"))))
        assert (config.title, config.max_items, config.notify_retract) == (
            "Princely Musings", 10, True), config
        assert (config.access_model, config.publish_model) == (
            AccessModel.OPEN, PublishModel.PUBLISHERS), config
        assert config.send_last_published_item is SendLastPublishedItem.NEVER, config
        defaults = NodeConfigForm.from_form(pubsub.read_default_config(owner.request(
            pubsub.default_config_request(SERVICE, id="default-1"))))
        assert (defaults.title, defaults.max_items) == (None, 20), defaults

        # Juliet renames the node; its disco#info tells anyone, in a pubsub#meta-data
        # form.  An access model Prosody does not offer is refused.
        pubsub.accepted(owner.request(pubsub.submit_node_config(
            SERVICE, NODE, NodeConfigForm(title="Musings of a prince"), id="configure-1")))
        described = reader.request(info_request(id="info-2", to=SERVICE, node=NODE))
        about = described.find(InfoQuery)
        assert about is not None, described
        metadata = node_metadata_form(about)
        assert metadata is not None, about
        assert (metadata.title, metadata.access_model) == ("Musings of a prince",
                                                           AccessModel.OPEN), metadata
        assert [(identity.category, identity.type) for identity in about.identities] == [
            ("pubsub", "leaf")], about
        with pytest.raises(pubsub.PubSubRefused) as refused:
            pubsub.accepted(owner.request(pubsub.submit_node_config(
                SERVICE, NODE, NodeConfigForm(access_model=AccessModel.AUTHORIZE),
                id="configure-2")))
        assert pubsub_error(refused.value.reply).case is errors.NOT_ACCEPTABLE, refused.value

        # The nurse subscribes her full JID and is told her subscription's state.
        subscribed = pubsub.read_subscription(reader.request(
            pubsub.subscribe(SERVICE, NODE, nurse, id="subscribe-1")))
        assert subscribed.subscription is SubscriptionState.SUBSCRIBED, subscribed
        assert (subscribed.node, subscribed.jid) == (NODE, nurse), subscribed
        # Another's JID is not hers to subscribe.
        with pytest.raises(pubsub.PubSubRefused) as refused:
            pubsub.read_subscription(reader.request(
                pubsub.subscribe(SERVICE, NODE, juliet, id="subscribe-2")))
        assert pubsub_error(refused.value.reply).case is errors.FORBIDDEN, refused.value
        # Nor is a node that does not exist there to subscribe to.
        with pytest.raises(pubsub.PubSubRefused) as refused:
            pubsub.read_subscription(reader.request(
                pubsub.subscribe(SERVICE, "no_such_node", nurse, id="subscribe-3")))
        assert pubsub_error(refused.value.reply).case is errors.NOT_FOUND, refused.value

        # Juliet publishes with a precondition the node meets: the nurse hears of it.
        since = len(reader.received())
        first = pubsub.published(owner.request(pubsub.publish(
            SERVICE, NODE, musing("To be, or not to be"), item_id="soliloquy",
            options=PublishOptionsForm(max_items=10), id="publish-1")))
        assert first == "soliloquy", first
        told = next_event(reader, NODE, service=SERVICE, since=since)
        assert isinstance(told, pubsub.ItemsEvent), told
        assert [item.id for item in told.items] == ["soliloquy"], told
        assert told.items[0].payload == musing("To be, or not to be"), told

        # A precondition the node does not meet refuses the publication.
        with pytest.raises(pubsub.PubSubRefused) as refused:
            pubsub.published(owner.request(pubsub.publish(
                SERVICE, NODE, musing("Never sent"), options=PublishOptionsForm(
                    access_model=AccessModel.WHITELIST), id="publish-2")))
        unmet = pubsub_error(refused.value.reply)
        assert unmet is not None and unmet.case is errors.PRECONDITION_NOT_MET, unmet
        assert unmet.condition is Condition.CONFLICT, unmet
        assert unmet.text == "Field does not match: access_model", unmet

        # Items without an id get one the service makes up.
        ids = ["soliloquy"]
        for number in (3, 4):
            since = len(reader.received())
            made_up = pubsub.published(owner.request(pubsub.publish(
                SERVICE, NODE, musing(f"Musing {number}"), id=f"publish-{number}")))
            assert made_up and made_up not in ids, made_up
            ids.append(made_up)
            told = next_event(reader, NODE, service=SERVICE, since=since)
            assert isinstance(told, pubsub.ItemsEvent), told
            assert [item.id for item in told.items] == [made_up], told

        # Paging: the two most recent items by max_items, oldest first.
        recent = pubsub.read_items(reader.request(pubsub.items_request(
            SERVICE, NODE, max_items=2, id="items-1")))
        assert [item.id for item in recent.items] == ids[1:], recent
        assert recent.payloads == (musing("Musing 3"), musing("Musing 4")), recent
        # Prosody 0.12 pages no items by RSM: asked for a page of two, it sends them
        # all and no <set/>.
        paged = pubsub.read_items(reader.request(pubsub.items_request(
            SERVICE, NODE, page=ResultSet.request(max=2), id="items-2")))
        assert [item.id for item in paged.items] == ids and paged.page is None, paged
        # One item by its id.
        one = pubsub.read_items(reader.request(pubsub.items_request(
            SERVICE, NODE, item_ids=["soliloquy"], id="items-3")))
        assert [item.id for item in one.items] == ["soliloquy"], one

        # Juliet retracts an item, notifying the subscribers.
        since = len(reader.received())
        pubsub.accepted(owner.request(pubsub.retract(SERVICE, NODE, ids[1], notify=True,
                                                     id="retract-1")))
        told = next_event(reader, NODE, service=SERVICE, since=since)
        assert isinstance(told, pubsub.ItemsEvent), told
        assert told.retracted == (ids[1],) and not told.items, told

        # The nurse's own subscriptions.
        mine = pubsub.read_subscriptions(reader.request(
            pubsub.subscriptions_request(SERVICE, id="subscriptions-1")))
        assert [(entry.node, entry.jid, entry.subscription) for entry in mine] == [
            (NODE, nurse, SubscriptionState.SUBSCRIBED)], mine

        # Juliet, the owner, subscribes another resource of the nurse, which the nurse's
        # list then shows, and ends that subscription (§8.8.2).
        elsewhere = JID.parse(f"{NURSE[0]}@{SCRAM_HOST}/elsewhere")
        pubsub.accepted(owner.request(pubsub.set_subscriptions(
            SERVICE, NODE, {elsewhere: SubscriptionState.SUBSCRIBED}, id="subscriptions-2")))
        listed = pubsub.read_subscriptions(reader.request(
            pubsub.subscriptions_request(SERVICE, id="subscriptions-3")))
        assert sorted((entry.jid.resource, entry.subscription) for entry in listed) == [
            ("chamber", SubscriptionState.SUBSCRIBED),
            ("elsewhere", SubscriptionState.SUBSCRIBED)], listed
        # The owner's list of the node's subscriptions shows both (§8.8.1), the node
        # named on each entry (Prosody's spelling).
        owned = pubsub.read_node_subscriptions(owner.request(
            pubsub.node_subscriptions(SERVICE, NODE, id="node-subscriptions-1")))
        assert sorted((entry.node, entry.jid.resource, entry.subscription)
                      for entry in owned) == [
            (NODE, "chamber", SubscriptionState.SUBSCRIBED),
            (NODE, "elsewhere", SubscriptionState.SUBSCRIBED)], owned
        pubsub.accepted(owner.request(pubsub.set_subscriptions(
            SERVICE, NODE, {elsewhere: SubscriptionState.NONE}, id="subscriptions-4")))
        listed = pubsub.read_subscriptions(reader.request(
            pubsub.subscriptions_request(SERVICE, id="subscriptions-5")))
        assert [entry.jid for entry in listed] == [nurse], listed
        owned = pubsub.read_node_subscriptions(owner.request(
            pubsub.node_subscriptions(SERVICE, NODE, id="node-subscriptions-2")))
        assert [(entry.node, entry.jid) for entry in owned] == [(NODE, nurse)], owned
        # The instant node has no subscriber: an empty list, naming no node.
        assert pubsub.read_node_subscriptions(owner.request(pubsub.node_subscriptions(
            SERVICE, instant, id="node-subscriptions-3"))) == ()

        # Her subscription has options, Prosody's one being whether to add a body.
        options = SubscribeOptionsForm.from_form(pubsub.read_subscription_options(
            reader.request(pubsub.subscription_options(SERVICE, NODE, nurse,
                                                       id="options-1"))))
        assert options.include_body is False and not options.extra, options

        # She subscribes to the instant node and leaves it; leaving twice is refused
        # with not-subscribed (Prosody's error type is modify, the XEP's cancel).
        pubsub.read_subscription(reader.request(
            pubsub.subscribe(SERVICE, instant, nurse, id="subscribe-4")))
        pubsub.accepted(reader.request(pubsub.unsubscribe(SERVICE, instant, nurse,
                                                          id="unsubscribe-1")))
        with pytest.raises(pubsub.PubSubRefused) as refused:
            pubsub.accepted(reader.request(pubsub.unsubscribe(SERVICE, instant, nurse,
                                                              id="unsubscribe-2")))
        twice = pubsub_error(refused.value.reply)
        assert twice is not None and twice.case is errors.NOT_SUBSCRIBED, twice
        assert (twice.type, errors.NOT_SUBSCRIBED.type) == (ErrorType.MODIFY,
                                                            ErrorType.CANCEL), twice

        # An item without a payload is refused, as a bad request without the XEP's
        # payload-required (Prosody's own wording).
        with pytest.raises(pubsub.PubSubRefused) as refused:
            pubsub.published(owner.request(pubsub.publish(SERVICE, NODE, None,
                                                          item_id="empty", id="publish-6")))
        empty = pubsub_error(refused.value.reply)
        assert empty is not None and empty.case is None, empty
        assert (empty.condition, empty.text) == (Condition.BAD_REQUEST, "invalid item")

        # Juliet makes the nurse a publisher, who may then publish.
        assert pubsub.read_node_affiliations(owner.request(pubsub.node_affiliations(
            SERVICE, NODE, id="affiliations-1"))) == {juliet: Affiliation.OWNER}
        pubsub.accepted(owner.request(pubsub.set_affiliations(
            SERVICE, NODE, {nurse.bare: Affiliation.PUBLISHER}, id="affiliations-2")))
        assert pubsub.read_node_affiliations(owner.request(pubsub.node_affiliations(
            SERVICE, NODE, id="affiliations-3"))) == {juliet: Affiliation.OWNER,
                                                      nurse.bare: Affiliation.PUBLISHER}
        since = len(reader.received())
        hers = pubsub.published(reader.request(pubsub.publish(
            SERVICE, NODE, musing("From the nurse"), item_id="nurse-1", id="publish-5")))
        assert hers == "nurse-1", hers
        told = next_event(reader, NODE, service=SERVICE, since=since)
        assert isinstance(told, pubsub.ItemsEvent), told
        assert [item.id for item in told.items] == ["nurse-1"], told

        # Juliet purges the node: the nurse hears of it, and no item is left.
        since = len(reader.received())
        pubsub.accepted(owner.request(pubsub.purge(SERVICE, NODE, id="purge-1")))
        assert isinstance(next_event(reader, NODE, service=SERVICE, since=since), pubsub.PurgeEvent)
        left = pubsub.read_items(reader.request(pubsub.items_request(SERVICE, NODE,
                                                                     id="items-4")))
        assert left.items == (), left

        # Juliet deletes the node, pointing to the instant one; Prosody tells the
        # subscribers of the deletion without the redirect.
        elsewhere = f"xmpp:{PUBSUB_HOST}?;node={instant}"
        since = len(reader.received())
        pubsub.accepted(owner.request(pubsub.delete_node(SERVICE, NODE, redirect=elsewhere,
                                                         id="delete-1")))
        told = next_event(reader, NODE, service=SERVICE, since=since)
        assert isinstance(told, pubsub.DeleteEvent), told
        assert told.redirect is None, told
        with pytest.raises(pubsub.PubSubRefused) as refused:
            pubsub.read_items(reader.request(pubsub.items_request(SERVICE, NODE,
                                                                  id="items-5")))
        assert pubsub_error(refused.value.reply).case is errors.NOT_FOUND, refused.value

        for client in (owner, reader):
            client.close()
            client.check()
