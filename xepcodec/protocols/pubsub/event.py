"""The ``http://jabber.org/protocol/pubsub#event`` namespace of XEP-0060: the
notifications a service sends in a ``<message/>``.

The ``<event/>`` holds exactly one of:

* ``<items/>``: what happened to the items of a node: each ``<item/>`` published (with
  its payload when the node delivers payloads, §7.1.2.1; with the ``publisher`` when the
  node says who published, §7.1.2.3) and each ``<retract/>`` an item deleted
  (§7.2.2.1), in any mix.  Empty, it tells of a publication to a transient,
  notification-only node (§4.3).  ``ver`` attributes carry the node's and the items'
  versions (§10);
* ``<purge/>``: every item of the node was removed (§8.5.2);
* ``<delete/>``: the node was deleted, optionally with a ``<redirect/>`` to the URI of
  the node replacing it (§8.4.2);
* ``<configuration/>``: the node's configuration changed, with the new one as a form
  when the node delivers payloads (§8.2.5.3);
* ``<subscription/>``: the state of a subscription changed (§13.14), or its lease is
  ending at ``expiry`` (§13.19).

The XEP's schema also lists a ``<collection/>`` notification; its prose moved to
XEP-0248 and this module does not declare it.  SHIM headers (XEP-0131) and XEP-0033
addresses the service adds next to the ``<event/>`` are the message's own extensions.

Rules every element obeys (checked on every parse and construction, and by the schema
where XSD can say them): one notification per ``<event/>``; a ``node`` on items,
purge and delete notifications and an ``id`` on each retraction, none of them empty;
at most one payload in an item, in a namespace of its own; a redirect URI with a
scheme; a ``jid`` and a state in a subscription notification (§13.14).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from xepcodec.datatypes.jid import JID
from xepcodec.model import attr, child, children, element, extensions
from xepcodec.protocols.dataforms import Form
from xepcodec.protocols.pubsub.core import (
    IDENTIFIER,
    NS_PUBSUB_EVENT,
    REDIRECT_URI,
    SubscriptionState,
)

__all__ = [
    "EventConfiguration",
    "EventContent",
    "EventDelete",
    "EventItem",
    "EventItems",
    "EventNotification",
    "EventPurge",
    "EventRedirect",
    "EventRetract",
    "EventSubscription",
]


@element(NS_PUBSUB_EVENT, "item")
class EventItem:
    """An item published to the node: its ``id`` (which a transient node need not
    give), the ``publisher`` when the node tells it, the item's version ``ver`` (§10.2),
    and the item's payload, if the node delivers payloads (see :attr:`payload`)."""

    id: str | None = attr(default=None, value=IDENTIFIER)
    publisher: JID | None = attr(default=None)
    ver: str | None = attr(default=None)
    extensions: tuple[Any, ...] = extensions(foreign_only=True)

    def __post_init__(self) -> None:
        if len(self.extensions) > 1:
            raise ValueError(f"an <item/> of a notification carries at most one payload, "
                             f"but item {self.id!r} carries {len(self.extensions)} "
                             "(XEP-0060 §7.1.2.1)")

    @property
    def payload(self) -> Any:
        """The payload element (typed when its namespace is declared, an
        :class:`~xepcodec.model.XmlFragment` otherwise), or None."""
        return self.extensions[0] if self.extensions else None


@element(NS_PUBSUB_EVENT, "retract")
class EventRetract:
    """An item deleted from the node, by its ``id`` (§7.2.2.1)."""

    id: str = attr(value=IDENTIFIER)


@element(NS_PUBSUB_EVENT, "items")
class EventItems:
    """What happened to the items of ``node``: ``entries`` in document order, each an
    :class:`EventItem` published or an :class:`EventRetract` deleted; ``ver`` is the
    version of the node's items after the change (§10.1)."""

    node: str = attr(value=IDENTIFIER)
    ver: str | None = attr(default=None)
    entries: tuple[EventItem | EventRetract, ...] = children(EventItem, EventRetract)

    @property
    def items(self) -> tuple[EventItem, ...]:
        """The items published, in order."""
        return tuple(entry for entry in self.entries if isinstance(entry, EventItem))

    @property
    def retracted(self) -> tuple[str, ...]:
        """The ids of the items deleted, in order."""
        return tuple(entry.id for entry in self.entries if isinstance(entry, EventRetract))


@element(NS_PUBSUB_EVENT, "purge")
class EventPurge:
    """Every item of ``node`` was removed (§8.5.2)."""

    node: str = attr(value=IDENTIFIER)


@element(NS_PUBSUB_EVENT, "redirect")
class EventRedirect:
    """The URI of the node replacing a deleted one (§8.4.2), ``xmpp:`` or any other."""

    uri: str = attr(value=REDIRECT_URI)


@element(NS_PUBSUB_EVENT, "delete")
class EventDelete:
    """``node`` was deleted; subscribers may follow ``redirect`` (§8.4.2)."""

    node: str = attr(value=IDENTIFIER)
    redirect: EventRedirect | None = child(EventRedirect, default=None)


@element(NS_PUBSUB_EVENT, "configuration")
class EventConfiguration:
    """The configuration of ``node`` changed; ``form`` is the new one when the node
    delivers payloads (§8.2.5.3).  Without a node, the root node's (XEP-0248)."""

    node: str | None = attr(default=None, value=IDENTIFIER)
    form: Form | None = child(Form, default=None)


@element(NS_PUBSUB_EVENT, "subscription")
class EventSubscription:
    """The ``subscription`` state of ``jid``'s subscription to ``node`` (approved,
    denied or cancelled, §13.14), or, with ``expiry``, when its lease ends (§13.19);
    ``subid`` names the subscription among several of the same JID."""

    jid: JID = attr()
    subscription: SubscriptionState = attr()
    node: str | None = attr(default=None, value=IDENTIFIER)
    subid: str | None = attr(default=None)
    expiry: datetime | None = attr(default=None)


#: What an ``<event/>`` holds, one of them.
EventContent = (EventItems | EventPurge | EventDelete | EventConfiguration
                     | EventSubscription)


@element(NS_PUBSUB_EVENT, "event")
class EventNotification:
    """A notification from a pubsub service, the ``<event/>`` element: one ``content``
    (see the module's summary)."""

    content: EventContent = child(EventItems, EventPurge, EventDelete, EventConfiguration,
                                  EventSubscription)
