"""The ``http://jabber.org/protocol/pubsub#owner`` namespace of XEP-0060: what a node's
owner asks of the service (§8).

The ``<pubsub/>`` sent to the service holds exactly one of:

* ``<configure/>``: in a get, a request for the node's configuration form; the result
  carries the form (type ``form``), and a set answers it (``submit``) or gives up
  (``cancel``) (§8.2).  Without a ``node`` it is about the root node (XEP-0248), which a
  service usually refuses with ``nodeid-required``;
* ``<default/>``: in a get, a request for the default configuration of new nodes of a
  ``type`` (leaf when none is named), which the result carries as a form (§8.3);
* ``<delete/>``: in a set, the deletion of a node, optionally naming in a
  ``<redirect/>`` the URI of a node that replaces it (§8.4);
* ``<purge/>``: in a set, the removal of every item of a node (§8.5);
* ``<subscriptions/>``: in a get, a request for a node's subscriptions; the result lists
  them, and a set changes some of them (only those changed, §8.8).  A list may name
  its node on each entry rather than on itself, as Prosody writes it;
* ``<affiliations/>``: the same for affiliations (§8.9).

Rules every element obeys (checked on every parse and construction, and by the schema
where XSD can say them): one operation per ``<pubsub/>``; a ``node`` where the operation
names one, and no empty one; a redirect URI with a scheme; in a subscriptions list, a
JID listed more than once has a distinct ``subid`` on each entry (§8.8.1, §8.8.2.4),
and every node named, on the list or an entry, is the same.
The rules that depend on the iq type (above) are checked by :func:`check_owner_iq`.
Whether the sender owns the node is the service's business, not the codec's.  The
typed ``pubsub#node_config`` form is in :mod:`xepcodec.protocols.pubsub.forms`.
"""

from __future__ import annotations

from typing import Final

from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError
from xepcodec.model import attr, child, children, element
from xepcodec.protocols.dataforms import Form, FormType
from xepcodec.protocols.pubsub.core import (
    IDENTIFIER,
    NS_PUBSUB_OWNER,
    REDIRECT_URI,
    Affiliation,
    NodeType,
    SubscriptionState,
)

__all__ = [
    "OwnerAffiliation",
    "OwnerAffiliations",
    "OwnerConfigure",
    "OwnerDefault",
    "OwnerDelete",
    "OwnerOperation",
    "OwnerPubsub",
    "OwnerPurge",
    "OwnerRedirect",
    "OwnerSubscription",
    "OwnerSubscriptions",
    "check_owner_iq",
]

_PUBSUB: Final = "/iq/pubsub"


@element(NS_PUBSUB_OWNER, "configure")
class OwnerConfigure:
    """A node's configuration: asked for (no form), sent (a ``form``), answered
    (``submit``) or given up (``cancel``) (§8.2)."""

    node: str | None = attr(default=None, value=IDENTIFIER)
    form: Form | None = child(Form, default=None)


@element(NS_PUBSUB_OWNER, "default")
class OwnerDefault:
    """The default configuration of new nodes of ``type`` (a leaf when None, §8.3.2):
    asked for (no form) or sent (a ``form``)."""

    type: NodeType | None = attr(default=None)
    form: Form | None = child(Form, default=None)


@element(NS_PUBSUB_OWNER, "redirect")
class OwnerRedirect:
    """The URI of the node replacing a deleted one (§8.4.1), ``xmpp:`` or any other."""

    uri: str = attr(value=REDIRECT_URI)


@element(NS_PUBSUB_OWNER, "delete")
class OwnerDelete:
    """The deletion of ``node``, pointing its subscribers to ``redirect`` (§8.4)."""

    node: str = attr(value=IDENTIFIER)
    redirect: OwnerRedirect | None = child(OwnerRedirect, default=None)


@element(NS_PUBSUB_OWNER, "purge")
class OwnerPurge:
    """The removal of every item published to ``node`` (§8.5)."""

    node: str = attr(value=IDENTIFIER)


@element(NS_PUBSUB_OWNER, "subscription")
class OwnerSubscription:
    """One subscription to the node: the subscriber's ``jid``, its state, and the
    ``subid`` telling its subscriptions apart.  In a change, a missing state is left
    as it is (§8.8.2); ``none`` removes the subscriber (§8.8.3).

    ``node`` is not in the XEP, whose list names its node once on
    ``<subscriptions/>``.  It is read because real services write it: Prosody (0.12)
    answers the owner's request with the node on each entry, as the pubsub namespace's
    own ``<subscription/>`` has it (§5.6), and none on the list.  It is kept and
    written back as read, and must be the list's node (see
    :class:`OwnerSubscriptions`)."""

    jid: JID = attr()
    subscription: SubscriptionState | None = attr(default=None)
    subid: str | None = attr(default=None)
    node: str | None = attr(default=None, value=IDENTIFIER)


@element(NS_PUBSUB_OWNER, "subscriptions")
class OwnerSubscriptions:
    """The subscriptions of ``node``: asked for (none listed), listed, or changed.

    A request and a change name the node here (:func:`check_owner_iq` sees to it); a
    list may leave it to its entries instead, as Prosody's does (its empty list names
    no node at all).  Every node named, on the list and its entries, is the same one:
    a list is of one node (§8.8.1)."""

    node: str | None = attr(default=None, value=IDENTIFIER)
    subscriptions: tuple[OwnerSubscription, ...] = children(OwnerSubscription)

    def __post_init__(self) -> None:
        named = self.node
        for entry in self.subscriptions:
            named = entry.node if named is None else named
            if entry.node is not None and entry.node != named:
                raise ValueError(f"the subscriptions list of node {named!r} holds one to "
                                 f"node {entry.node!r} ({entry.jid}), but a list is of one "
                                 "node (XEP-0060 §8.8.1)")
        # §8.8.1 and §8.8.2.4: the entries of one JID are told apart by their subids.
        seen: dict[JID, list[str | None]] = {}
        for entry in self.subscriptions:
            seen.setdefault(entry.jid, []).append(entry.subid)
        for jid, subids in seen.items():
            if len(subids) > 1 and (None in subids or len(set(subids)) < len(subids)):
                raise ValueError(f"the subscriptions of node {named!r} list {jid} "
                                 f"{len(subids)} times, so each entry carries a distinct "
                                 f"'subid', not {subids!r} (XEP-0060 §8.8.1, §8.8.2.4)")


@element(NS_PUBSUB_OWNER, "affiliation")
class OwnerAffiliation:
    """An entity's ``affiliation`` with the node, listed or set (§8.9); ``none``
    removes the entity's affiliation (§8.9.3)."""

    jid: JID = attr()
    affiliation: Affiliation = attr()


@element(NS_PUBSUB_OWNER, "affiliations")
class OwnerAffiliations:
    """The affiliations with ``node``: asked for (none listed), listed, or changed."""

    node: str = attr(value=IDENTIFIER)
    affiliations: tuple[OwnerAffiliation, ...] = children(OwnerAffiliation)


#: What an owner's ``<pubsub/>`` holds, one of them.
OwnerOperation = (OwnerConfigure | OwnerDefault | OwnerDelete | OwnerPurge
                  | OwnerSubscriptions | OwnerAffiliations)


@element(NS_PUBSUB_OWNER, "pubsub")
class OwnerPubsub:
    """An owner's request or the service's answer: one ``operation`` (see the module's
    summary)."""

    operation: OwnerOperation = child(OwnerConfigure, OwnerDefault, OwnerDelete, OwnerPurge,
                                      OwnerSubscriptions, OwnerAffiliations)


# -- what the iq type decides -------------------------------------------------------------


_NAMES: Final[dict[type, str]] = {
    OwnerConfigure: "configure", OwnerDefault: "default", OwnerDelete: "delete",
    OwnerPurge: "purge", OwnerSubscriptions: "subscriptions",
    OwnerAffiliations: "affiliations",
}


def _name(operation: OwnerOperation) -> str:
    return _NAMES[type(operation)]


def _check_named(operation: OwnerOperation, kind: str) -> None:
    """A request or change of subscriptions names its node on ``<subscriptions/>``,
    which only a service's list may leave to its entries (§8.8.1, §8.8.2)."""
    if isinstance(operation, OwnerSubscriptions) and operation.node is None:
        raise ParseError(f"a pubsub#owner {kind} of <subscriptions/> names the node in its "
                         "'node' attribute, but this one has none (XEP-0060 §8.8)",
                         path=f"{_PUBSUB}/subscriptions")


def _check_get(operation: OwnerOperation) -> None:
    """A request for a form, a default configuration or a list (§8.2, §8.3, §8.8.1,
    §8.9.1): nothing in it yet."""
    name = _name(operation)
    path = f"{_PUBSUB}/{name}"
    _check_named(operation, "get")
    if isinstance(operation, OwnerDelete | OwnerPurge):
        raise ParseError(f"a pubsub#owner <{name}/> changes the node, so it goes in an iq "
                         "of type 'set', not 'get' (XEP-0060 §8.4, §8.5)", path=path)
    if isinstance(operation, OwnerConfigure | OwnerDefault) and operation.form is not None:
        raise ParseError(f"a pubsub#owner get asks for the form with an empty <{name}/>, "
                         "but this one holds a form (XEP-0060 §8.2, §8.3)", path=path)
    if isinstance(operation, OwnerSubscriptions) and operation.subscriptions:
        raise ParseError("a pubsub#owner get asks for the subscriptions list with an empty "
                         "<subscriptions/>, but this one lists some (XEP-0060 §8.8.1)",
                         path=path)
    if isinstance(operation, OwnerAffiliations) and operation.affiliations:
        raise ParseError("a pubsub#owner get asks for the affiliations list with an empty "
                         "<affiliations/>, but this one lists some (XEP-0060 §8.9.1)",
                         path=path)


def _check_set(operation: OwnerOperation) -> None:
    """A change: a form answered, a node deleted or purged, a delta of subscriptions or
    affiliations (§8.2.4, §8.4, §8.5, §8.8.2, §8.9.2)."""
    name = _name(operation)
    path = f"{_PUBSUB}/{name}"
    _check_named(operation, "set")
    if isinstance(operation, OwnerDefault):
        raise ParseError("a pubsub#owner <default/> asks for the default configuration, "
                         "so it goes in an iq of type 'get', not 'set' (XEP-0060 §8.3)",
                         path=path)
    if isinstance(operation, OwnerConfigure):
        if operation.form is None:
            raise ParseError("a pubsub#owner set of <configure/> carries the owner's form "
                             "(submit or cancel), but this one holds none (XEP-0060 "
                             "§8.2.4)", path=path)
        if operation.form.type not in (FormType.SUBMIT, FormType.CANCEL):
            raise ParseError(f"the form of a pubsub#owner set is of type 'submit' or "
                             f"'cancel', not '{operation.form.type.value}' (XEP-0060 "
                             "§8.2.4)", path=f"{path}/x/@type")
    if isinstance(operation, OwnerSubscriptions) and not operation.subscriptions:
        raise ParseError("a pubsub#owner set of <subscriptions/> carries the changed "
                         "subscriptions, but this one lists none (XEP-0060 §8.8.2)",
                         path=path)
    if isinstance(operation, OwnerAffiliations) and not operation.affiliations:
        raise ParseError("a pubsub#owner set of <affiliations/> carries the changed "
                         "affiliations, but this one lists none (XEP-0060 §8.9.2)",
                         path=path)


def _check_result(operation: OwnerOperation) -> None:
    """An answer: a configuration form, the default one, or a list (§8.2.2, §8.3.3,
    §8.8.1.2, §8.9.1.2)."""
    name = _name(operation)
    path = f"{_PUBSUB}/{name}"
    if isinstance(operation, OwnerDelete | OwnerPurge):
        raise ParseError(f"a pubsub#owner <{name}/> is the owner's request, never in a "
                         "result, which is empty (XEP-0060 §8.4.2, §8.5.2)", path=path)
    if isinstance(operation, OwnerConfigure | OwnerDefault):
        if operation.form is not None and operation.form.type != FormType.FORM:
            raise ParseError(f"the form a service sends in a pubsub#owner result is of "
                             f"type 'form', not '{operation.form.type.value}' (XEP-0060 "
                             "§8.2.2, §8.3.3)", path=f"{path}/x/@type")
    elif isinstance(operation, OwnerSubscriptions):
        for entry in operation.subscriptions:
            if entry.subscription in (None, SubscriptionState.NONE):
                state = "no state" if entry.subscription is None else "the state 'none'"
                raise ParseError(f"a subscriptions list gives each subscriber's state, "
                                 f"never 'none', but {entry.jid} has {state} (XEP-0060 "
                                 "§8.8.1.2)", path=f"{path}/subscription")
    elif isinstance(operation, OwnerAffiliations):
        for affiliation in operation.affiliations:
            if affiliation.affiliation == Affiliation.NONE:
                raise ParseError(f"an affiliations list names the affiliated entities, "
                                 f"never one of affiliation 'none' as {affiliation.jid} is "
                                 "(XEP-0060 §8.9.1.2)", path=f"{path}/affiliation")


def check_owner_iq(iq: Iq) -> OwnerPubsub | None:
    """Check the rules XEP-0060 §8 sets for the pubsub#owner request or answer ``iq``
    carries, by the iq's type, and give its ``<pubsub/>`` (None for a result or error
    without one: the answer to a set is empty).

    * a ``get`` asks: a ``<configure/>`` or ``<default/>`` without a form, or an empty
      ``<subscriptions/>`` (naming its node) or ``<affiliations/>``;
    * a ``set`` changes: a ``<configure/>`` with a form of type ``submit`` or ``cancel``,
      a ``<delete/>``, a ``<purge/>``, or a non-empty ``<subscriptions/>`` (naming its
      node) or ``<affiliations/>``;
    * a ``result`` answers a get: a form of type ``form``, or a list in which no
      subscription lacks a state or has the state ``none`` and no affiliation is
      ``none``;
    * an ``error`` may carry anything (the entries of a change refused, §8.8.2.4).

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``) naming the rule,
    also when a get or set carries no pubsub#owner ``<pubsub/>`` at all.
    """
    pubsub = iq.payload_of(OwnerPubsub, "pubsub#owner")
    if pubsub is None or iq.type == IqType.ERROR:
        return pubsub
    if iq.type == IqType.GET:
        _check_get(pubsub.operation)
    elif iq.type == IqType.SET:
        _check_set(pubsub.operation)
    else:
        _check_result(pubsub.operation)
    return pubsub
