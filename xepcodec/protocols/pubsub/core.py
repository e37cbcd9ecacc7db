"""What every part of XEP-0060 shares: the namespaces, the affiliations (§4.1), the
subscription states (§4.2), the node types (§4.4), and the value kinds of the node and
item ids and of the URI a deleted node redirects to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Final

from xepcodec.model.values import String

__all__ = [
    "IDENTIFIER",
    "NS_PUBSUB",
    "NS_PUBSUB_ERRORS",
    "NS_PUBSUB_EVENT",
    "NS_PUBSUB_OWNER",
    "REDIRECT_URI",
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

#: A NodeID or an ItemID where one is written: the name of something, so not empty.
IDENTIFIER: Final = String(min_length=1)


@dataclass(frozen=True, slots=True)
class _AbsoluteUri(String):
    """An absolute URI or IRI: a scheme, a colon and no white space, as the schemas say."""

    pattern: str | None = r"[A-Za-z][A-Za-z0-9+.\-]*:[^ \t\r\n]+"
    description = "an absolute URI"

    def _check(self, text: str) -> None:
        if re.fullmatch(self.pattern or "", text) is None:
            raise ValueError(f"{text!r} is not an absolute URI (a scheme such as 'xmpp:' "
                             "and no white space)")


#: Where a deleted node's requests may go (§8.4.1): an absolute URI or IRI of any scheme,
#: usually ``xmpp:`` (§13.22).
REDIRECT_URI: Final = _AbsoluteUri()


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
