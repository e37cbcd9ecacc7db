"""The roster of RFC 6121 §2, with roster versioning.

A user's contact list lives on the server, as ``<item/>`` elements inside a
``<query/>`` of ``jabber:iq:roster``:

* a client asks for it with an iq ``get`` carrying an empty query, optionally with the
  ``ver`` of the copy it holds (versioning, §2.6; ``ver=''`` when it holds none); the
  ``result`` carries the items and the current ``ver``, or, when the client's copy is
  current or the changes follow as pushes, no query at all;
* a client adds, changes or removes one contact with an iq ``set`` carrying one item
  (``subscription='remove'`` to remove it);
* the server tells each of the user's interested resources of a change with a roster
  push: an iq ``set`` carrying one item, from the user's bare JID (or no ``from``).

An item names the contact (``jid``), optionally a ``name``, the groups it is in, the
subscription state (``none``, ``to``, ``from``, ``both``; ``remove`` in a set only),
whether a subscription request is pending (``ask='subscribe'``) and whether the
server has pre-approved the contact's subscription (``approved``).

Rules every roster element obeys (checked on every parse and construction): an item's
groups are distinct and not empty (§2.1.2.5, §2.3.3), and a query lists a contact at
most once.  Rules that depend on the iq carrying the query (one item in a set, no
``remove`` outside a set, whom a push may come from) are checked by
:func:`check_roster_iq` and :func:`is_roster_push`.
"""

from __future__ import annotations

from enum import Enum
from typing import Final

from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError
from xepcodec.model import attr, children, element, text_children
from xepcodec.model.values import String

__all__ = [
    "NS_ROSTER",
    "Ask",
    "RosterItem",
    "RosterQuery",
    "Subscription",
    "check_roster_iq",
    "is_roster_push",
    "roster_remove",
    "roster_request",
    "roster_set",
]

#: The roster namespace.
NS_ROSTER: Final = "jabber:iq:roster"

_GROUP: Final = String(min_length=1)


class Subscription(Enum):
    """The subscription state of a roster item (RFC 6121 §2.1.2.5), and ``remove``,
    which a roster set uses to delete the item."""

    NONE = "none"
    TO = "to"
    FROM = "from"
    BOTH = "both"
    REMOVE = "remove"


class Ask(Enum):
    """A pending subscription request the user sent (RFC 6121 §2.1.2.2): only one
    value is defined."""

    SUBSCRIBE = "subscribe"


@element(NS_ROSTER, "item")
class RosterItem:
    """One contact: its JID, the user's name for it, its groups and subscription.

    ``subscription`` is None when the attribute is absent, which RFC 6121 reads as
    ``none`` (see :attr:`state`); it is kept apart so that an item is written back as
    it was read.
    """

    jid: JID = attr()
    name: str | None = attr(default=None)
    subscription: Subscription | None = attr(default=None)
    ask: Ask | None = attr(default=None)
    approved: bool | None = attr(default=None)
    groups: tuple[str, ...] = text_children("group", value=_GROUP)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for group in self.groups:
            if group in seen:
                raise ValueError(f"the roster item {self.jid} names the group {group!r} "
                                 "twice; an item is in a group once (RFC 6121 §2.3.3)")
            seen.add(group)

    @property
    def state(self) -> Subscription:
        """The subscription state, ``none`` when the attribute is absent."""
        return Subscription.NONE if self.subscription is None else self.subscription


@element(NS_ROSTER, "query")
class RosterQuery:
    """A roster, a request for one, or a change to one.

    ``ver`` is the roster version (RFC 6121 §2.6): in a request, the version the
    client holds (``''`` for none; None when the client does not use versioning); in a
    result or push, the version after it.
    """

    ver: str | None = attr(default=None)
    items: tuple[RosterItem, ...] = children(RosterItem)

    def __post_init__(self) -> None:
        seen: set[JID] = set()
        for item in self.items:
            if item.jid in seen:
                raise ValueError(f"a roster lists each contact once, but {item.jid} is listed "
                                 "twice (RFC 6121 §2.1)")
            seen.add(item.jid)

    def item(self, jid: JID | str) -> RosterItem | None:
        """The item of the contact ``jid``, or None."""
        wanted = JID.parse(jid) if isinstance(jid, str) else jid
        for item in self.items:
            if item.jid == wanted:
                return item
        return None


def check_roster_iq(iq: Iq) -> RosterQuery | None:
    """Check the rules RFC 6121 §2 sets for the roster query ``iq`` carries, by the
    iq's type, and give the query (None for a result without one, which versioning
    allows).

    * a ``get`` carries a query without items (a ``ver`` is allowed);
    * a ``set`` (a client's change or a server's push) carries exactly one item;
    * only a ``set`` carries an item whose subscription is ``remove``.

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``) naming the rule,
    also when a get or set carries no roster query at all.
    """
    query = iq.payload_of(RosterQuery, "roster")
    if query is None or iq.type == IqType.ERROR:
        return query
    if iq.type == IqType.GET and query.items:
        raise ParseError("a roster get carries an empty <query/> (a 'ver' is allowed), but "
                         f"this one has {len(query.items)} item(s) (RFC 6121 §2.1.3)",
                         path="/iq/query/item")
    if iq.type == IqType.SET and len(query.items) != 1:
        raise ParseError(f"a roster set or push carries exactly one <item/>, not "
                         f"{len(query.items)} (RFC 6121 §2.1.5, §2.3.3)", path="/iq/query")
    if iq.type != IqType.SET:
        for item in query.items:
            if item.subscription == Subscription.REMOVE:
                raise ParseError(f"the subscription 'remove' belongs in a roster set only, "
                                 f"but the item {item.jid} of a roster {iq.type.value} has it "
                                 "(RFC 6121 §2.1.2.5)", path="/iq/query/item/@subscription")
    return query


def is_roster_push(iq: Iq, user: JID) -> bool:
    """Whether ``iq`` is a roster push a client of ``user`` may accept: a roster set
    with exactly one item, from no one (the user's own server) or from ``user``'s bare
    JID.  RFC 6121 §2.1.6 asks a client to ignore any other (it may be a spoof)."""
    if iq.type != IqType.SET or not isinstance(iq.payload, RosterQuery):
        return False
    if len(iq.payload.items) != 1:
        return False
    return iq.from_ is None or iq.from_ == user.bare


def roster_request(*, id: str, ver: str | None = None, from_: JID | None = None,
                   namespace: str = CLIENT) -> Iq:
    """The iq ``get`` asking the server for the user's roster; ``ver`` is the version
    of the copy held (``''`` for none), or None not to use versioning."""
    return Iq(namespace=namespace, type=IqType.GET, id=id, from_=from_,
              extensions=(RosterQuery(ver=ver),))


def roster_set(item: RosterItem, *, id: str, from_: JID | None = None,
               namespace: str = CLIENT) -> Iq:
    """The iq ``set`` adding or changing one roster item."""
    return Iq(namespace=namespace, type=IqType.SET, id=id, from_=from_,
              extensions=(RosterQuery(items=(item,)),))


def roster_remove(jid: JID, *, id: str, from_: JID | None = None,
                  namespace: str = CLIENT) -> Iq:
    """The iq ``set`` removing the contact ``jid`` from the roster."""
    return roster_set(RosterItem(jid=jid, subscription=Subscription.REMOVE), id=id,
                      from_=from_, namespace=namespace)
