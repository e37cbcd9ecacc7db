"""What a publish-subscribe service advertises in service discovery (XEP-0060 §5.1, §11,
the registry of §17.3), and the ``+notify`` features of XEP-0163 PEP (XEP-0060 §9.2).

A service answers disco#info with the ``pubsub`` namespace and one feature
``http://jabber.org/protocol/pubsub#name`` per optional part of the protocol it
implements: :class:`Feature` names each of the registry (and ``pubsub#rsm``, which
§6.5.4 defines but the registry omits), and
:func:`service_features` reads them from an answer, keeping a ``pubsub#`` feature the
registry does not list (XEP-0248's ``collections``, a newer XEP's) as its string.

An entity that wants a PEP contact's notifications of a node (usually named after the
namespace of its payload) advertises that node id followed by ``+notify``:
:func:`notify_feature` writes such a feature and :func:`notified_namespaces` reads the
nodes an entity asks for.
"""

from __future__ import annotations

import enum
from typing import Final

from xepcodec.errors import ArgumentTypeError, ArgumentValueError
from xepcodec.protocols.disco import InfoQuery
from xepcodec.protocols.pubsub.core import NS_PUBSUB

__all__ = [
    "FEATURE_PREFIX",
    "NOTIFY",
    "Feature",
    "notified_namespaces",
    "notify_feature",
    "service_features",
]

#: What every feature of the registry but the namespace itself begins with.
FEATURE_PREFIX: Final = f"{NS_PUBSUB}#"
#: The suffix of a node id that asks for the node's notifications (§9.2).
NOTIFY: Final = "+notify"


class Feature(enum.StrEnum):
    """The disco#info features of XEP-0060's registry: the namespace itself, then one
    per optional part of the protocol (with ``pubsub#rsm``, defined outside the
    registry)."""

    #: The service speaks XEP-0060 at all.
    PUBSUB = NS_PUBSUB
    #: The default access model of new nodes is ``authorize`` (and so on for the four
    #: others, §4.5).
    ACCESS_AUTHORIZE = f"{FEATURE_PREFIX}access-authorize"
    ACCESS_OPEN = f"{FEATURE_PREFIX}access-open"
    ACCESS_PRESENCE = f"{FEATURE_PREFIX}access-presence"
    ACCESS_ROSTER = f"{FEATURE_PREFIX}access-roster"
    ACCESS_WHITELIST = f"{FEATURE_PREFIX}access-whitelist"
    #: Publishing to a node that does not exist creates it (§7.1.4).
    AUTO_CREATE = f"{FEATURE_PREFIX}auto-create"
    #: Contacts are subscribed from their presence subscription (§9.1).
    AUTO_SUBSCRIBE = f"{FEATURE_PREFIX}auto-subscribe"
    #: Nodes can be configured (§8.2).
    CONFIG_NODE = f"{FEATURE_PREFIX}config-node"
    #: ``max`` is a value of ``max_items``, ``item_expire`` and ``children_max``.
    CONFIG_NODE_MAX = f"{FEATURE_PREFIX}config-node-max"
    #: A node can be created and configured in one request (§8.1.3).
    CREATE_AND_CONFIGURE = f"{FEATURE_PREFIX}create-and-configure"
    CREATE_NODES = f"{FEATURE_PREFIX}create-nodes"
    DELETE_ITEMS = f"{FEATURE_PREFIX}delete-items"
    DELETE_NODES = f"{FEATURE_PREFIX}delete-nodes"
    #: Notifications follow the subscribers' ``+notify`` features (§9.2).
    FILTERED_NOTIFICATIONS = f"{FEATURE_PREFIX}filtered-notifications"
    #: Owners can fetch the pending subscription requests (§8.7).
    GET_PENDING = f"{FEATURE_PREFIX}get-pending"
    #: A node can be created without an id, the service choosing one (§8.1.1).
    INSTANT_NODES = f"{FEATURE_PREFIX}instant-nodes"
    #: Publishers may name their items.
    ITEM_IDS = f"{FEATURE_PREFIX}item-ids"
    #: New subscribers get the last published item by default.
    LAST_PUBLISHED = f"{FEATURE_PREFIX}last-published"
    #: Subscriptions may expire (§13.19).
    LEASED_SUBSCRIPTION = f"{FEATURE_PREFIX}leased-subscription"
    MANAGE_SUBSCRIPTIONS = f"{FEATURE_PREFIX}manage-subscriptions"
    MEMBER_AFFILIATION = f"{FEATURE_PREFIX}member-affiliation"
    #: Nodes describe themselves with a ``pubsub#meta-data`` form (§5.4).
    META_DATA = f"{FEATURE_PREFIX}meta-data"
    MODIFY_AFFILIATIONS = f"{FEATURE_PREFIX}modify-affiliations"
    #: A node keeps more than one item.
    MULTI_ITEMS = f"{FEATURE_PREFIX}multi-items"
    #: An entity may subscribe to a node several times (§6.1.6).
    MULTI_SUBSCRIBE = f"{FEATURE_PREFIX}multi-subscribe"
    OUTCAST_AFFILIATION = f"{FEATURE_PREFIX}outcast-affiliation"
    PERSISTENT_ITEMS = f"{FEATURE_PREFIX}persistent-items"
    PRESENCE_NOTIFICATIONS = f"{FEATURE_PREFIX}presence-notifications"
    PRESENCE_SUBSCRIBE = f"{FEATURE_PREFIX}presence-subscribe"
    PUBLISH = f"{FEATURE_PREFIX}publish"
    #: Publications may carry preconditions (§7.1.5).
    PUBLISH_OPTIONS = f"{FEATURE_PREFIX}publish-options"
    PUBLISH_ONLY_AFFILIATION = f"{FEATURE_PREFIX}publish-only-affiliation"
    PUBLISHER_AFFILIATION = f"{FEATURE_PREFIX}publisher-affiliation"
    #: The node's ``publish_node_full`` policy is honoured (§7.1.3.4).
    PUBLISH_NODE_FULL = f"{FEATURE_PREFIX}publish-node-full"
    PURGE_NODES = f"{FEATURE_PREFIX}purge-nodes"
    RETRACT_ITEMS = f"{FEATURE_PREFIX}retract-items"
    RETRIEVE_AFFILIATIONS = f"{FEATURE_PREFIX}retrieve-affiliations"
    RETRIEVE_DEFAULT = f"{FEATURE_PREFIX}retrieve-default"
    RETRIEVE_DEFAULT_SUB = f"{FEATURE_PREFIX}retrieve-default-sub"
    RETRIEVE_ITEMS = f"{FEATURE_PREFIX}retrieve-items"
    RETRIEVE_SUBSCRIPTIONS = f"{FEATURE_PREFIX}retrieve-subscriptions"
    #: Items are paged by Result Set Management, XEP-0059 (§6.5.4): a feature of its
    #: own, telling RSM for pubsub apart from RSM for other protocols (MAM, say).
    #: §6.5.4 defines it; the registry does not list it.
    RSM = f"{FEATURE_PREFIX}rsm"
    SUBSCRIBE = f"{FEATURE_PREFIX}subscribe"
    SUBSCRIPTION_OPTIONS = f"{FEATURE_PREFIX}subscription-options"
    SUBSCRIPTION_NOTIFICATIONS = f"{FEATURE_PREFIX}subscription-notifications"

    @property
    def short_name(self) -> str:
        """The name after ``pubsub#``, as an ``<unsupported feature='…'/>`` error
        writes it (``publish-options``); ArgumentValueError for :attr:`PUBSUB`, which
        has none."""
        if self is Feature.PUBSUB:
            raise ArgumentValueError("the pubsub namespace is no pubsub# feature and has "
                                     "no short name")
        return self.value[len(FEATURE_PREFIX):]

    @classmethod
    def named(cls, short_name: str) -> Feature | str:
        """The feature an ``<unsupported feature='…'/>`` error names: the member for a
        name of the registry, the full ``pubsub#`` string for any other name."""
        whole = f"{FEATURE_PREFIX}{short_name}"
        try:
            return cls(whole)
        except ValueError:
            return whole


def service_features(info: InfoQuery) -> frozenset[Feature | str]:
    """The publish-subscribe features a disco#info answer advertises: the members of
    :class:`Feature` it lists, and every other ``pubsub#`` feature as its string (a
    ``+notify`` feature excepted, which asks for notifications and offers nothing).
    An answer without any is an entity that does not do publish-subscribe."""
    if not isinstance(info, InfoQuery):
        raise ArgumentTypeError(f"service_features reads a disco#info <query/>, not "
                                f"{type(info).__name__}")
    found: set[Feature | str] = set()
    for var in info.feature_vars:
        if var == NS_PUBSUB:
            found.add(Feature.PUBSUB)
        elif var.startswith(FEATURE_PREFIX) and len(var) > len(FEATURE_PREFIX) \
                and not var.endswith(NOTIFY):
            found.add(Feature.named(var[len(FEATURE_PREFIX):]))
    return frozenset(found)


def notify_feature(node: str) -> str:
    """The disco#info feature an entity advertises to receive the notifications of the
    PEP node ``node`` (XEP-0163 §4.2): ``http://jabber.org/protocol/tune+notify``."""
    if not isinstance(node, str):
        raise ArgumentTypeError(f"notify_feature takes a node id, not {type(node).__name__}")
    if not node or node.endswith(NOTIFY):
        raise ArgumentValueError(f"notify_feature takes a non-empty node id without the "
                                 f"{NOTIFY} suffix, not {node!r}")
    return f"{node}{NOTIFY}"


def notified_namespaces(info: InfoQuery) -> frozenset[str]:
    """The nodes (usually payload namespaces) whose notifications the entity answering
    ``info`` asks for with ``+notify`` features; a PEP service sends it those only
    (XEP-0163 §4.2, XEP-0060 §9.2)."""
    if not isinstance(info, InfoQuery):
        raise ArgumentTypeError(f"notified_namespaces reads a disco#info <query/>, not "
                                f"{type(info).__name__}")
    return frozenset(var[:-len(NOTIFY)] for var in info.feature_vars
                     if var.endswith(NOTIFY) and len(var) > len(NOTIFY))
