"""What every part of XEP-0060 shares: the namespaces, the affiliations (§4.1), the
subscription states (§4.2) and the node types (§4.4)."""

from __future__ import annotations

from enum import Enum
from typing import Final

__all__ = [
    "NS_PUBSUB",
    "NS_PUBSUB_ERRORS",
    "NS_PUBSUB_EVENT",
    "NS_PUBSUB_OWNER",
    "Affiliation",
    "NodeType",
    "SubscriptionState",
]

#: The namespace of what entities ask of a service, also its base disco feature.
NS_PUBSUB: Final = "http://jabber.org/protocol/pubsub"
#: What a service sends subscribers: notifications of items, retractions, purges...
NS_PUBSUB_EVENT: Final = "http://jabber.org/protocol/pubsub#event"
#: What node owners ask: configuration, deletion, purges, managing subscribers.
NS_PUBSUB_OWNER: Final = "http://jabber.org/protocol/pubsub#owner"
#: The application conditions a service adds to a stanza error.
NS_PUBSUB_ERRORS: Final = "http://jabber.org/protocol/pubsub#errors"


class Affiliation(Enum):
    """An entity's standing with a node (§4.1): what it may publish, retract, read."""

    OWNER = "owner"
    PUBLISHER = "publisher"
    PUBLISH_ONLY = "publish-only"
    MEMBER = "member"
    NONE = "none"
    OUTCAST = "outcast"


class SubscriptionState(Enum):
    """Where an entity's subscription to a node stands (§4.2)."""

    NONE = "none"
    PENDING = "pending"
    UNCONFIGURED = "unconfigured"
    SUBSCRIBED = "subscribed"


class NodeType(Enum):
    """What a node holds (§4.4): published items (a leaf) or other nodes (a collection,
    whose protocol is XEP-0248's)."""

    LEAF = "leaf"
    COLLECTION = "collection"
