"""Hypothesis strategies for XEP-0060's ``http://jabber.org/protocol/pubsub`` elements.

A ``<pubsub/>`` holds one request with only its companion, an ``<options/>`` names a JID
alone and none after a subscription, an item carries one payload at most and a
retracted one none, publish-options have their FORM_TYPE, and a subscriptions list
tells a JID's subscriptions to a node apart by subid; the derived strategies cannot
know these rules, so these are registered instead.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from xepcodec.protocols.dataforms import Form
from xepcodec.protocols.pubsub.base import (
    PUBLISH_OPTIONS,
    Affiliations,
    Configure,
    Create,
    Default,
    Item,
    Items,
    Options,
    Publish,
    PublishOptions,
    PubSub,
    Retract,
    Subscribe,
    SubscribeOptions,
    Subscription,
    Subscriptions,
    Unsubscribe,
)
from xepcodec.protocols.pubsub.core import IDENTIFIER, SubscriptionState
from xepcodec.protocols.rsm import ResultSet
from xepcodec.testing.jids import jids
from xepcodec.testing.strategies import for_class, foreign_elements, register, values, xml_text

__all__ = ["publish_options", "pubsub_items", "pubsubs", "retracts", "subscriptions_lists"]


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@register(Item)
def pubsub_items() -> st.SearchStrategy[Item]:
    """Items with no payload, a payload xepcodec does not know (kept raw), or a data
    form (typed)."""
    payload = st.one_of(st.just(()), foreign_elements().map(lambda one: (one,)),
                        st.deferred(lambda: for_class(Form)).map(lambda one: (one,)))
    return st.builds(Item, id=_maybe(values(IDENTIFIER)), publisher=_maybe(jids()),
                     extensions=payload)


@register(Retract)
def retracts() -> st.SearchStrategy[Retract]:
    """Retractions of one item, by id and without payload."""
    item = st.builds(Item, id=values(IDENTIFIER), publisher=_maybe(jids()))
    return st.builds(Retract, node=values(IDENTIFIER), notify=_maybe(st.booleans()),
                     item=item)


@register(PublishOptions)
def publish_options() -> st.SearchStrategy[PublishOptions]:
    """Preconditions: a submitted ``pubsub#publish-options`` form of a few options."""
    fields = st.dictionaries(st.sampled_from(["pubsub#access_model", "pubsub#max_items",
                                              "pubsub#persist_items", "pubsub#title"]),
                             xml_text(max_size=12), max_size=3)
    return fields.map(lambda chosen: PublishOptions(
        form=Form.submit(chosen, form_type=PUBLISH_OPTIONS)))


@st.composite
def _subscriptions(draw: st.DrawFn) -> Subscriptions:
    entries: list[Subscription] = []
    nodes = _maybe(values(IDENTIFIER))
    for node, jid in draw(st.lists(st.tuples(nodes, jids()), max_size=3, unique=True)):
        subids: list[str | None] = (
            draw(st.lists(xml_text(), min_size=2, max_size=2, unique=True))
            if draw(st.booleans()) else [draw(_maybe(xml_text()))])
        entries.extend(Subscription(
            node=node, jid=jid, subid=subid,
            subscription=draw(_maybe(st.sampled_from(SubscriptionState))),
            subscribe_options=draw(_maybe(for_class(SubscribeOptions))))
            for subid in subids)
    return Subscriptions(node=draw(nodes), subscriptions=tuple(entries))


@register(Subscriptions)
def subscriptions_lists() -> st.SearchStrategy[Subscriptions]:
    """Subscriptions asked for and listed, a JID subscribed twice to a node with two
    subids."""
    return _subscriptions()


@register(PubSub)
def pubsubs() -> st.SearchStrategy[PubSub]:
    """Every request and answer, alone or with its companion, and the empty answer."""
    form = _maybe(st.deferred(lambda: for_class(Form)))
    following = st.builds(Options, subid=_maybe(xml_text()), form=form)
    alone = st.builds(Options, jid=jids(), node=_maybe(xml_text()),
                      subid=_maybe(xml_text()), form=form)

    def one(cls: type) -> st.SearchStrategy[Any]:
        return st.deferred(lambda: for_class(cls))

    return st.one_of(
        st.just(PubSub()),
        st.builds(PubSub, create=one(Create), configure=_maybe(one(Configure))),
        st.builds(PubSub, subscribe=one(Subscribe), options=_maybe(following)),
        st.builds(PubSub, subscription=one(Subscription), options=_maybe(following)),
        st.builds(PubSub, options=alone),
        st.builds(PubSub, unsubscribe=one(Unsubscribe)),
        st.builds(PubSub, subscriptions=one(Subscriptions)),
        st.builds(PubSub, affiliations=one(Affiliations)),
        st.builds(PubSub, items=one(Items), rsm=_maybe(one(ResultSet))),
        st.builds(PubSub, publish=one(Publish), publish_options=_maybe(one(PublishOptions))),
        st.builds(PubSub, retract=one(Retract)),
        st.builds(PubSub, default=one(Default)),
    )
