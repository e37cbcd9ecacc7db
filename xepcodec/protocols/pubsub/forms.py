"""The data forms of XEP-0060, typed: node configuration, publish-options, node
metadata, subscription options and subscription authorization (the FORM_TYPEs of its
registry, §17.4, and of §7.1.5).

Each FORM_TYPE has a view, a :class:`~xepcodec.protocols.form_views.FormView` with one
typed attribute per field var, named after the var without ``pubsub#``
(``pubsub#max_items`` is :attr:`NodeConfigForm.max_items`, ``pubsub#show-values``
:attr:`SubscribeOptionsForm.show_values`):

* :class:`NodeConfigForm` — ``pubsub#node_config``: the form an owner gets, submits and
  creates a node with (§8.1.3, §8.2), a service's default options (§8.3), a
  configuration notification (§8.2.5.3);
* :class:`PublishOptionsForm` — ``pubsub#publish-options``: the preconditions of a
  publication (§7.1.5), whose fields are the node configuration's;
* :class:`NodeMetadataForm` — ``pubsub#meta-data``: a node's extended disco#info (§5.4),
  which should show its configured options too, so it holds those as well;
  :func:`node_metadata_form` reads it from a disco#info answer;
* :class:`SubscribeOptionsForm` — ``pubsub#subscribe_options``: a subscription's options
  (§6.3) and the default ones (§6.4);
* :class:`SubscribeAuthorizationForm` — ``pubsub#subscribe_authorization``: the
  approval a service asks of an owner, and the answer (§8.6), and the node choice of
  the get-pending command (§8.7).

``View.from_form(form)`` reads a form, ``view.to_form(type)`` writes one.  The rules
checked, beside those of the form views (FORM_TYPE, declared types, values): booleans
are XEP-0004 booleans; ``max_items`` and ``item_expire`` are a number or ``max``
(:data:`~xepcodec.protocols.form_views.MAX`); sizes, counts and frequencies are
numbers; the access and publish models, the node type, the notification type, the
last-item policy, the full-node policy, the reply policy, the presence states, the
subscription type and depth are values the registry lists; ``expire`` is an XEP-0082
DateTime or ``presence`` (a temporary subscription, §13.5); ``creation_date`` is a
DateTime; JIDs are JIDs.

Where deployed services differ from the registry the reading is lenient: the models,
the language and a metadata form's other list fields may come as text-single (Prosody
0.12 writes its metadata so), an authorization's subid as hidden and its node as
list-single (as the XEP's own examples do).  ``pubsub#allow`` is not required, as the
get-pending command submits the same FORM_TYPE without it.  Fields a view does not
define are kept in ``extra`` and written back, as are a service's own.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import ClassVar, Final

from xepcodec.datatypes.dates import format_datetime, parse_datetime
from xepcodec.datatypes.jid import JID
from xepcodec.protocols.dataforms import FieldType
from xepcodec.protocols.disco import InfoQuery
from xepcodec.protocols.form_views import (
    BOOLEAN,
    CHOICE,
    CHOICES,
    COUNT,
    DATETIME,
    INTEGER_OR_MAX,
    JIDS,
    ONE_JID,
    TEXT,
    FormView,
    Kind,
    Maximum,
    one_of,
    some_of,
    var,
)
from xepcodec.protocols.pubsub.base import PUBLISH_OPTIONS
from xepcodec.protocols.pubsub.core import NS_PUBSUB, NodeType

__all__ = [
    "FIELD_TYPES",
    "META_DATA",
    "NODE_CONFIG",
    "SUBSCRIBE_AUTHORIZATION",
    "SUBSCRIBE_OPTIONS",
    "AccessModel",
    "Expire",
    "ItemReply",
    "NodeConfigForm",
    "NodeFullPolicy",
    "NodeMetadataForm",
    "NotificationType",
    "PublishModel",
    "PublishOptionsForm",
    "SendLastPublishedItem",
    "ShowValue",
    "SubscribeAuthorizationForm",
    "SubscribeOptionsForm",
    "SubscriptionDepth",
    "SubscriptionType",
    "node_metadata_form",
]

#: The FORM_TYPE of node configuration forms.
NODE_CONFIG: Final = f"{NS_PUBSUB}#node_config"
#: The FORM_TYPE of a node's metadata in its disco#info.
META_DATA: Final = f"{NS_PUBSUB}#meta-data"
#: The FORM_TYPE of subscription options.
SUBSCRIBE_OPTIONS: Final = f"{NS_PUBSUB}#subscribe_options"
#: The FORM_TYPE of subscription approvals.
SUBSCRIBE_AUTHORIZATION: Final = f"{NS_PUBSUB}#subscribe_authorization"

_T = FieldType
#: The field vars of XEP-0060's registry (§17.4) with their types, by FORM_TYPE
#: (publish-options take the node configuration's fields, §7.1.5).
FIELD_TYPES: Final[Mapping[str, Mapping[str, FieldType]]] = MappingProxyType({
    SUBSCRIBE_AUTHORIZATION: MappingProxyType({
        "pubsub#allow": _T.BOOLEAN,
        "pubsub#node": _T.TEXT_SINGLE,
        "pubsub#subscriber_jid": _T.JID_SINGLE,
        "pubsub#subid": _T.TEXT_SINGLE,
    }),
    SUBSCRIBE_OPTIONS: MappingProxyType({
        "pubsub#deliver": _T.BOOLEAN,
        "pubsub#digest": _T.BOOLEAN,
        "pubsub#digest_frequency": _T.TEXT_SINGLE,
        "pubsub#expire": _T.TEXT_SINGLE,
        "pubsub#include_body": _T.BOOLEAN,
        "pubsub#show-values": _T.LIST_MULTI,
        "pubsub#subscription_type": _T.LIST_SINGLE,
        "pubsub#subscription_depth": _T.LIST_SINGLE,
    }),
    META_DATA: MappingProxyType({
        "pubsub#contact": _T.JID_MULTI,
        "pubsub#creation_date": _T.TEXT_SINGLE,
        "pubsub#creator": _T.JID_SINGLE,
        "pubsub#description": _T.TEXT_SINGLE,
        "pubsub#language": _T.LIST_SINGLE,
        "pubsub#access_model": _T.LIST_SINGLE,
        "pubsub#publish_model": _T.LIST_SINGLE,
        "pubsub#num_subscribers": _T.TEXT_SINGLE,
        "pubsub#owner": _T.JID_MULTI,
        "pubsub#publisher": _T.JID_MULTI,
        "pubsub#title": _T.TEXT_SINGLE,
        "pubsub#type": _T.TEXT_SINGLE,
        "pubsub#max_items": _T.TEXT_SINGLE,
    }),
    NODE_CONFIG: MappingProxyType({
        "pubsub#access_model": _T.LIST_SINGLE,
        "pubsub#body_xslt": _T.TEXT_SINGLE,
        "pubsub#contact": _T.JID_MULTI,
        "pubsub#dataform_xslt": _T.TEXT_SINGLE,
        "pubsub#deliver_notifications": _T.BOOLEAN,
        "pubsub#deliver_payloads": _T.BOOLEAN,
        "pubsub#description": _T.TEXT_SINGLE,
        "pubsub#item_expire": _T.TEXT_SINGLE,
        "pubsub#itemreply": _T.LIST_SINGLE,
        "pubsub#language": _T.LIST_SINGLE,
        "pubsub#max_items": _T.TEXT_SINGLE,
        "pubsub#max_payload_size": _T.TEXT_SINGLE,
        "pubsub#node_type": _T.LIST_SINGLE,
        "pubsub#notification_type": _T.LIST_SINGLE,
        "pubsub#notify_config": _T.BOOLEAN,
        "pubsub#notify_delete": _T.BOOLEAN,
        "pubsub#notify_retract": _T.BOOLEAN,
        "pubsub#notify_sub": _T.BOOLEAN,
        "pubsub#persist_items": _T.BOOLEAN,
        "pubsub#presence_based_delivery": _T.BOOLEAN,
        "pubsub#publish_model": _T.LIST_SINGLE,
        "pubsub#publish_node_full": _T.LIST_SINGLE,
        "pubsub#purge_offline": _T.BOOLEAN,
        "pubsub#roster_groups_allowed": _T.LIST_MULTI,
        "pubsub#send_last_published_item": _T.LIST_SINGLE,
        "pubsub#tempsub": _T.BOOLEAN,
        "pubsub#subscribe": _T.BOOLEAN,
        "pubsub#title": _T.TEXT_SINGLE,
        "pubsub#type": _T.TEXT_SINGLE,
    }),
})


class AccessModel(enum.Enum):
    """Who may subscribe to a node and retrieve its items (§4.5)."""

    #: Those the owner approves; only subscribers retrieve items.
    AUTHORIZE = "authorize"
    OPEN = "open"
    #: Those subscribed to the owner's presence.
    PRESENCE = "presence"
    #: Those in the allowed groups of the owner's roster.
    ROSTER = "roster"
    WHITELIST = "whitelist"


class PublishModel(enum.Enum):
    """Who may publish to a node."""

    PUBLISHERS = "publishers"
    SUBSCRIBERS = "subscribers"
    OPEN = "open"


class SendLastPublishedItem(enum.Enum):
    """When a node sends its last item to a subscriber."""

    NEVER = "never"
    #: When the subscription is made.
    ON_SUB = "on_sub"
    #: Then, and whenever the subscriber comes online.
    ON_SUB_AND_PRESENCE = "on_sub_and_presence"


class NotificationType(enum.Enum):
    """The type of the messages that carry a node's notifications."""

    NORMAL = "normal"
    HEADLINE = "headline"


class ItemReply(enum.Enum):
    """To whom replies to a node's items go."""

    #: The node's owners.
    OWNER = "owner"
    #: The item's publisher.
    PUBLISHER = "publisher"


class NodeFullPolicy(enum.Enum):
    """What a publication to a full node does (``pubsub#publish_node_full``, §7.1.2.5,
    §7.1.3.4)."""

    #: The oldest item is retracted, subscribers notified, and the new one published.
    RETRACT_OLDEST = "retract-oldest"
    #: The oldest item is dropped silently.
    DISCARD_OLDEST = "discard-oldest"
    #: The publication is refused (:data:`~xepcodec.protocols.pubsub.errors.NODE_FULL`).
    REJECT = "reject"


class ShowValue(enum.Enum):
    """The presence states in which a subscriber wants notifications."""

    AWAY = "away"
    CHAT = "chat"
    DND = "dnd"
    #: Available, with no show value.
    ONLINE = "online"
    XA = "xa"


class SubscriptionType(enum.Enum):
    """What a subscription to a collection is notified of (XEP-0248)."""

    ITEMS = "items"
    NODES = "nodes"


class SubscriptionDepth(enum.Enum):
    """How deep below a collection a subscription reaches (XEP-0248)."""

    #: The direct children.
    ONE = "1"
    ALL = "all"


class Expire(enum.Enum):
    """The word ``pubsub#expire`` holds instead of a DateTime."""

    #: The subscription lasts as long as the subscriber's presence session (§13.5).
    PRESENCE = "presence"


def _also(kind: Kind, *types: FieldType) -> Kind:
    """``kind`` read from fields of ``types`` as well, where services write the field
    with another type than the registry's."""
    return dataclasses.replace(kind, accepts=kind.accepts | frozenset(types))


def _expiry(text: str) -> datetime | Expire:
    if text.strip() == Expire.PRESENCE.value:
        return Expire.PRESENCE
    try:
        return parse_datetime(text.strip())
    except ValueError:
        raise ValueError("the value is an XEP-0082 DateTime, or 'presence' for a "
                         "temporary subscription") from None


def _format_expiry(value: datetime | Expire) -> str:
    return value.value if isinstance(value, Expire) else format_datetime(value)


#: When a leased subscription ends, or ``presence`` (text-single).
_EXPIRY: Final = Kind(name="a DateTime or 'presence'", writes=_T.TEXT_SINGLE,
                      accepts=frozenset({_T.TEXT_SINGLE}), multi=False,
                      python=(datetime, Expire), parse=_expiry, format=_format_expiry)
_LANGUAGE: Final = _also(CHOICE, _T.TEXT_SINGLE)
_ACCESS_MODEL: Final = _also(one_of(AccessModel), _T.TEXT_SINGLE)
_PUBLISH_MODEL: Final = _also(one_of(PublishModel), _T.TEXT_SINGLE)


@dataclasses.dataclass(frozen=True, kw_only=True)
class _NodeSettings(FormView):
    """The node configuration fields, which configuration forms, publish-options and
    metadata forms all carry."""

    access_model: AccessModel | None = dataclasses.field(
        default=None, metadata=var("pubsub#access_model", _ACCESS_MODEL))
    #: The URL of an XSL transformation turning payloads into a message body.
    body_xslt: str | None = dataclasses.field(
        default=None, metadata=var("pubsub#body_xslt", TEXT))
    #: Whom to ask about the node.
    contact: tuple[JID, ...] = dataclasses.field(
        default=(), metadata=var("pubsub#contact", JIDS))
    #: The URL of an XSL transformation turning payloads into a data form.
    dataform_xslt: str | None = dataclasses.field(
        default=None, metadata=var("pubsub#dataform_xslt", TEXT))
    deliver_notifications: bool | None = dataclasses.field(
        default=None, metadata=var("pubsub#deliver_notifications", BOOLEAN))
    deliver_payloads: bool | None = dataclasses.field(
        default=None, metadata=var("pubsub#deliver_payloads", BOOLEAN))
    description: str | None = dataclasses.field(
        default=None, metadata=var("pubsub#description", TEXT))
    #: Seconds after which items are purged, or the service's maximum.
    item_expire: int | Maximum | None = dataclasses.field(
        default=None, metadata=var("pubsub#item_expire", INTEGER_OR_MAX))
    itemreply: ItemReply | None = dataclasses.field(
        default=None, metadata=var("pubsub#itemreply", one_of(ItemReply)))
    #: The node's default language, a language tag.
    language: str | None = dataclasses.field(
        default=None, metadata=var("pubsub#language", _LANGUAGE))
    #: How many items the node keeps, or the service's maximum.
    max_items: int | Maximum | None = dataclasses.field(
        default=None, metadata=var("pubsub#max_items", INTEGER_OR_MAX))
    #: The largest payload accepted, in bytes.
    max_payload_size: int | None = dataclasses.field(
        default=None, metadata=var("pubsub#max_payload_size", COUNT))
    node_type: NodeType | None = dataclasses.field(
        default=None, metadata=var("pubsub#node_type", one_of(NodeType)))
    notification_type: NotificationType | None = dataclasses.field(
        default=None, metadata=var("pubsub#notification_type", one_of(NotificationType)))
    notify_config: bool | None = dataclasses.field(
        default=None, metadata=var("pubsub#notify_config", BOOLEAN))
    notify_delete: bool | None = dataclasses.field(
        default=None, metadata=var("pubsub#notify_delete", BOOLEAN))
    notify_retract: bool | None = dataclasses.field(
        default=None, metadata=var("pubsub#notify_retract", BOOLEAN))
    #: Whether owners hear of new subscriptions and unsubscriptions.
    notify_sub: bool | None = dataclasses.field(
        default=None, metadata=var("pubsub#notify_sub", BOOLEAN))
    persist_items: bool | None = dataclasses.field(
        default=None, metadata=var("pubsub#persist_items", BOOLEAN))
    #: Whether only available subscribers get notifications.
    presence_based_delivery: bool | None = dataclasses.field(
        default=None, metadata=var("pubsub#presence_based_delivery", BOOLEAN))
    publish_model: PublishModel | None = dataclasses.field(
        default=None, metadata=var("pubsub#publish_model", _PUBLISH_MODEL))
    publish_node_full: NodeFullPolicy | None = dataclasses.field(
        default=None, metadata=var("pubsub#publish_node_full", one_of(NodeFullPolicy)))
    #: Whether a publisher's items go when it goes offline.
    purge_offline: bool | None = dataclasses.field(
        default=None, metadata=var("pubsub#purge_offline", BOOLEAN))
    #: The roster groups of the ``roster`` access model.
    roster_groups_allowed: tuple[str, ...] = dataclasses.field(
        default=(), metadata=var("pubsub#roster_groups_allowed", CHOICES))
    send_last_published_item: SendLastPublishedItem | None = dataclasses.field(
        default=None, metadata=var("pubsub#send_last_published_item",
                                   one_of(SendLastPublishedItem)))
    #: Whether every subscription is temporary (§13.5).
    tempsub: bool | None = dataclasses.field(
        default=None, metadata=var("pubsub#tempsub", BOOLEAN))
    #: Whether subscriptions are allowed.
    subscribe: bool | None = dataclasses.field(
        default=None, metadata=var("pubsub#subscribe", BOOLEAN))
    title: str | None = dataclasses.field(
        default=None, metadata=var("pubsub#title", TEXT))
    #: What the node's payloads are, usually their namespace.
    type: str | None = dataclasses.field(
        default=None, metadata=var("pubsub#type", TEXT))


@dataclasses.dataclass(frozen=True, kw_only=True)
class NodeConfigForm(_NodeSettings):
    """A node's configuration (``pubsub#node_config``): the service's form with the
    current (or default) values, the owner's submission, a configuration event.

    ``extra`` keeps the service's own fields and the fixed ones, written back as they
    are."""

    FORM_TYPE: ClassVar[str] = NODE_CONFIG


@dataclasses.dataclass(frozen=True, kw_only=True)
class PublishOptionsForm(_NodeSettings):
    """Preconditions of a publication (``pubsub#publish-options``, §7.1.5): each field
    must equal the node's configuration of the same var, or the service refuses
    (:data:`~xepcodec.protocols.pubsub.errors.PRECONDITION_NOT_MET`); a node the
    publication creates takes them as its configuration."""

    FORM_TYPE: ClassVar[str] = PUBLISH_OPTIONS


@dataclasses.dataclass(frozen=True, kw_only=True)
class NodeMetadataForm(_NodeSettings):
    """A node's metadata (``pubsub#meta-data``, §5.4), in its disco#info: its own
    fields and the configured options it shows."""

    FORM_TYPE: ClassVar[str] = META_DATA

    creation_date: datetime | None = dataclasses.field(
        default=None, metadata=var("pubsub#creation_date", DATETIME))
    creator: JID | None = dataclasses.field(
        default=None, metadata=var("pubsub#creator", ONE_JID))
    num_subscribers: int | None = dataclasses.field(
        default=None, metadata=var("pubsub#num_subscribers", COUNT))
    #: Those affiliated as owners...
    owner: tuple[JID, ...] = dataclasses.field(
        default=(), metadata=var("pubsub#owner", JIDS))
    #: ... and as publishers.
    publisher: tuple[JID, ...] = dataclasses.field(
        default=(), metadata=var("pubsub#publisher", JIDS))


@dataclasses.dataclass(frozen=True, kw_only=True)
class SubscribeOptionsForm(FormView):
    """A subscription's options (``pubsub#subscribe_options``, §6.3): the service's
    form, the subscriber's submission, the service's defaults (§6.4)."""

    FORM_TYPE: ClassVar[str] = SUBSCRIBE_OPTIONS

    #: Whether notifications are delivered at all.
    deliver: bool | None = dataclasses.field(
        default=None, metadata=var("pubsub#deliver", BOOLEAN))
    #: Whether they come gathered in digests.
    digest: bool | None = dataclasses.field(
        default=None, metadata=var("pubsub#digest", BOOLEAN))
    #: The least time between two digests, in milliseconds.
    digest_frequency: int | None = dataclasses.field(
        default=None, metadata=var("pubsub#digest_frequency", COUNT))
    #: When a leased subscription ends, or :attr:`Expire.PRESENCE`.
    expire: datetime | Expire | None = dataclasses.field(
        default=None, metadata=var("pubsub#expire", _EXPIRY))
    #: Whether notifications carry a message body too.
    include_body: bool | None = dataclasses.field(
        default=None, metadata=var("pubsub#include_body", BOOLEAN))
    show_values: tuple[ShowValue, ...] = dataclasses.field(
        default=(), metadata=var("pubsub#show-values", some_of(ShowValue)))
    subscription_type: SubscriptionType | None = dataclasses.field(
        default=None, metadata=var("pubsub#subscription_type", one_of(SubscriptionType)))
    subscription_depth: SubscriptionDepth | None = dataclasses.field(
        default=None, metadata=var("pubsub#subscription_depth", one_of(SubscriptionDepth)))


@dataclasses.dataclass(frozen=True, kw_only=True)
class SubscribeAuthorizationForm(FormView):
    """Approving a subscription (``pubsub#subscribe_authorization``, §8.6): the form a
    service sends an owner, the owner's answer with ``allow``; also the node choice
    of the get-pending command (§8.7)."""

    FORM_TYPE: ClassVar[str] = SUBSCRIBE_AUTHORIZATION

    allow: bool | None = dataclasses.field(
        default=None, metadata=var("pubsub#allow", BOOLEAN))
    node: str | None = dataclasses.field(
        default=None, metadata=var("pubsub#node", _also(TEXT, _T.LIST_SINGLE)))
    subscriber_jid: JID | None = dataclasses.field(
        default=None, metadata=var("pubsub#subscriber_jid", ONE_JID))
    subid: str | None = dataclasses.field(
        default=None, metadata=var("pubsub#subid", _also(TEXT, _T.HIDDEN)))


def node_metadata_form(info: InfoQuery) -> NodeMetadataForm | None:
    """The ``pubsub#meta-data`` view of a node's disco#info answer (XEP-0128, §5.4), or
    None when it carries no such form; ParseError when the form breaks a rule of the
    view."""
    form = info.form(META_DATA)
    return NodeMetadataForm.from_form(form) if form is not None else None
