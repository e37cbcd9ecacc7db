"""The ``http://jabber.org/protocol/pubsub`` namespace of XEP-0060: what subscribers,
publishers and node creators ask of a service, and its answers (§5.6, §5.7, §6, §7,
§8.1); XEP-0163 (PEP) uses the same elements, sent to an account's bare JID.

A ``<pubsub/>`` holds one request or answer:

* ``<create/>`` a node (without a ``node``: an instant node, whose id the result gives),
  followed by a ``<configure/>`` with the node's configuration form (§8.1);
* ``<subscribe/>`` (§6.1) a ``jid`` to a node, followed by ``<options/>`` when the
  subscriber configures the subscription at once (§6.3.7); the answer is a
  ``<subscription/>`` with the state, maybe a ``subid`` and ``<subscribe-options/>``
  (whose ``<required/>`` says the subscription must be configured before it delivers
  anything, §6.1.5), followed by the resulting ``<options/>``;
* ``<options/>`` alone: a subscription's options form asked for, sent or submitted
  (§6.3);
* ``<unsubscribe/>`` (§6.2);
* ``<subscriptions/>`` and ``<affiliations/>``: the requester's own, asked for (empty)
  and listed (§5.6, §5.7);
* ``<items/>``: a node's items asked for (all, the ``max_items`` most recent, or some by
  ItemID) and sent (§6.5), followed by a Result Set Management ``<set/>`` (XEP-0059)
  when a page is asked for or sent (§6.5.4);
* ``<publish/>`` at most one ``<item/>`` (§7.1), followed by ``<publish-options/>``,
  a ``pubsub#publish-options`` form whose fields are preconditions (§7.1.5);
* ``<retract/>`` one item by its id, ``notify``-ing the subscribers or not (§7.2);
* ``<default/>``: the default subscription options asked for and sent (§6.4).

An ``<item/>`` carries at most one payload, an element of another namespace: typed
when xepcodec declares that namespace, kept as raw XML otherwise.

Rules every element obeys (checked on every parse and construction, and by the schema
where XSD can say them): one request per ``<pubsub/>``, with only the companions above,
which never come alone; no empty NodeID or ItemID; an ``<options/>`` that follows a
``<subscribe/>`` or ``<subscription/>`` names no node or JID of its own (the other one
has them), while one alone names the subscriber by ``jid``; a ``<publish/>`` of at most
one item; a ``<retract/>`` of exactly one item, by id and without payload; an item of at
most one payload; publish-options of the ``pubsub#publish-options`` FORM_TYPE; in a
list, a JID subscribed to a node more than once has a distinct ``subid`` on each entry.
The rules that depend on the iq type are checked by :func:`check_pubsub_iq`.  Whether
the sender may do what it asks is the service's business, not the codec's.  The
children's order is the one written here; read in another order, they are written
back in this one.
"""

from __future__ import annotations

from typing import Any, Final

from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError
from xepcodec.model import attr, child, children, element, extensions, flag
from xepcodec.model.values import Integer
from xepcodec.protocols.dataforms import Form, FormType
from xepcodec.protocols.pubsub.core import (
    IDENTIFIER,
    NS_PUBSUB,
    Affiliation,
    NodeType,
    SubscriptionState,
)
from xepcodec.protocols.rsm import ResultSet

__all__ = [
    "PUBLISH_OPTIONS",
    "Affiliations",
    "Configure",
    "Create",
    "Default",
    "Item",
    "Items",
    "NodeAffiliation",
    "Options",
    "PubSub",
    "Publish",
    "PublishOptions",
    "Retract",
    "Subscribe",
    "SubscribeOptions",
    "Subscription",
    "Subscriptions",
    "Unsubscribe",
    "check_pubsub_iq",
]

#: The FORM_TYPE of the form in ``<publish-options/>`` (§7.1.5).
PUBLISH_OPTIONS: Final = f"{NS_PUBSUB}#publish-options"

_PUBSUB: Final = "/iq/pubsub"
#: ``max_items`` counts items to send: at least one (§6.5.7).
_MAX_ITEMS: Final = Integer(minimum=1)


@element(NS_PUBSUB, "create")
class Create:
    """The creation of ``node`` (§8.1), or of an instant node when None: the result
    then names the node the service made up (§8.1.1)."""

    node: str | None = attr(default=None, value=IDENTIFIER)


@element(NS_PUBSUB, "configure")
class Configure:
    """The configuration of the node a ``<create/>`` makes, a ``pubsub#node_config``
    form (§8.1.3); without one, the defaults (§8.1.2)."""

    form: Form | None = child(Form, default=None)


@element(NS_PUBSUB, "item")
class Item:
    """An item: its ``id`` (the service makes one up when a publisher gives none,
    §7.1.1), the ``publisher`` the service may stamp (§7.1.2.3), and at most one
    payload, an element of another namespace (typed when xepcodec declares it, an
    :class:`~xepcodec.model.XmlFragment` otherwise).

    ``extensions`` is the payload as the open slot holds it; :attr:`payload` reads it.
    """

    id: str | None = attr(default=None, value=IDENTIFIER)
    publisher: JID | None = attr(default=None)
    extensions: tuple[Any, ...] = extensions(foreign_only=True)

    def __post_init__(self) -> None:
        if len(self.extensions) > 1:
            raise ValueError(f"an <item/> carries at most one payload element, but this one "
                             f"has {len(self.extensions)} (XEP-0060 §7.1.3.6)")

    @property
    def payload(self) -> Any:
        """The payload element, or None (a notification-only item, an id alone)."""
        return self.extensions[0] if self.extensions else None


@element(NS_PUBSUB, "publish")
class Publish:
    """A publication to ``node`` (§7.1): one ``item`` or none (a notification-only
    node); in the result, the item names the ItemID the service gave it."""

    node: str = attr(value=IDENTIFIER)
    # More than one item was batch publishing, removed from XEP-0060 in version 1.13:
    # the codec refuses a second <item/> as it refuses any second child of one kind.
    item: Item | None = child(Item, default=None)


@element(NS_PUBSUB, "publish-options")
class PublishOptions:
    """The preconditions of a publication (§7.1.5): a ``pubsub#publish-options`` form
    whose fields name node configuration options and the values the node must have."""

    form: Form = child(Form)

    def __post_init__(self) -> None:
        if self.form.form_type != PUBLISH_OPTIONS:
            found = ("none" if self.form.form_type is None
                     else repr(self.form.form_type))
            raise ValueError(f"the form in <publish-options/> has the FORM_TYPE "
                             f"'{PUBLISH_OPTIONS}', not {found} (XEP-0060 §7.1.5)")


@element(NS_PUBSUB, "retract")
class Retract:
    """The deletion of one item of ``node``, named by its id (§7.2); with ``notify``
    true the subscribers are told (read from ``true`` or ``1``, written ``true``)."""

    node: str = attr(value=IDENTIFIER)
    notify: bool | None = attr(default=None)
    item: Item = child(Item)

    def __post_init__(self) -> None:
        if self.item.id is None:
            raise ValueError(f"the <item/> of a <retract/> from node {self.node!r} names "
                             "the item to delete by its 'id' (XEP-0060 §7.2.1)")
        if self.item.extensions:
            raise ValueError(f"the <item/> of a <retract/> from node {self.node!r} is "
                             "empty: it names an item, it carries no payload (XEP-0060 "
                             "§7.2.1)")


@element(NS_PUBSUB, "subscribe")
class Subscribe:
    """A subscription of ``jid`` (bare or full) to ``node`` (§6.1.1)."""

    node: str | None = attr(default=None, value=IDENTIFIER)
    jid: JID = attr()


@element(NS_PUBSUB, "options")
class Options:
    """A subscription's options (§6.3): asked for (no form), sent (a ``form``) or
    submitted (``submit``).  Alone it names the subscription by ``jid``, ``node`` and
    ``subid``; after a ``<subscribe/>`` or ``<subscription/>`` it names nothing, the
    form being for that subscription (§6.3.7).

    ``node`` may be empty: it names the root collection node then (§6.3.4.1).
    """

    node: str | None = attr(default=None)
    jid: JID | None = attr(default=None)
    subid: str | None = attr(default=None)
    form: Form | None = child(Form, default=None)


@element(NS_PUBSUB, "unsubscribe")
class Unsubscribe:
    """The end of the subscription of ``jid`` to ``node``, the one ``subid`` names when
    the JID has several (§6.2)."""

    node: str | None = attr(default=None, value=IDENTIFIER)
    jid: JID = attr()
    subid: str | None = attr(default=None)


@element(NS_PUBSUB, "subscribe-options")
class SubscribeOptions:
    """A service's note that the subscription has options (§6.1.5): ``required`` when
    no notification is sent before they are configured."""

    required: bool = flag("required")


@element(NS_PUBSUB, "subscription")
class Subscription:
    """One subscription of ``jid`` to ``node``: its state, its ``subid`` where the
    service gives one (§5.6, §6.1.2), and whether it has options to configure."""

    node: str | None = attr(default=None, value=IDENTIFIER)
    jid: JID = attr()
    subid: str | None = attr(default=None)
    subscription: SubscriptionState | None = attr(default=None)
    subscribe_options: SubscribeOptions | None = child(SubscribeOptions, default=None)


@element(NS_PUBSUB, "subscriptions")
class Subscriptions:
    """The requester's subscriptions, at ``node`` or everywhere (§5.6): asked for
    (empty) or listed."""

    node: str | None = attr(default=None, value=IDENTIFIER)
    subscriptions: tuple[Subscription, ...] = children(Subscription)

    def __post_init__(self) -> None:
        # §6.1.6: the subscriptions of one JID to one node are told apart by subid.
        seen: dict[tuple[str | None, JID], list[str | None]] = {}
        for entry in self.subscriptions:
            seen.setdefault((entry.node, entry.jid), []).append(entry.subid)
        for (node, jid), subids in seen.items():
            if len(subids) > 1 and (None in subids or len(set(subids)) < len(subids)):
                raise ValueError(f"the subscriptions list {jid} at node {node!r} "
                                 f"{len(subids)} times, so each entry carries a distinct "
                                 f"'subid', not {subids!r} (XEP-0060 §5.6, §6.1.6)")


@element(NS_PUBSUB, "affiliation")
class NodeAffiliation:
    """The requester's ``affiliation`` with ``node`` (§5.7)."""

    node: str = attr(value=IDENTIFIER)
    affiliation: Affiliation = attr()


@element(NS_PUBSUB, "affiliations")
class Affiliations:
    """The requester's affiliations, with ``node`` or every node (§5.7): asked for
    (empty) or listed."""

    node: str | None = attr(default=None, value=IDENTIFIER)
    affiliations: tuple[NodeAffiliation, ...] = children(NodeAffiliation)


@element(NS_PUBSUB, "items")
class Items:
    """Items of ``node`` (§6.5): asked for (all of them, the ``max_items`` most recent,
    or the ``items`` named by id), and sent; ``subid`` picks the subscription of a
    requester that has several."""

    node: str = attr(value=IDENTIFIER)
    max_items: int | None = attr(default=None, value=_MAX_ITEMS)
    subid: str | None = attr(default=None)
    items: tuple[Item, ...] = children(Item)


@element(NS_PUBSUB, "default")
class Default:
    """The default subscription options of ``node``, or of the service's leaf nodes
    when None, or of its nodes of ``type`` (§6.4): asked for (no form) and sent."""

    node: str | None = attr(default=None, value=IDENTIFIER)
    type: NodeType | None = attr(default=None)
    form: Form | None = child(Form, default=None)


@element(NS_PUBSUB, "pubsub")
class PubSub:
    """A request to a pubsub service or its answer (see the module's summary): one of
    the fields, or one of the pairs ``create`` and ``configure``, ``subscribe`` or
    ``subscription`` and ``options``, ``publish`` and ``publish_options``, ``items``
    and ``rsm``.  Empty in an answer that says nothing more than success."""

    create: Create | None = child(Create, default=None)
    configure: Configure | None = child(Configure, default=None)
    subscribe: Subscribe | None = child(Subscribe, default=None)
    subscription: Subscription | None = child(Subscription, default=None)
    options: Options | None = child(Options, default=None)
    unsubscribe: Unsubscribe | None = child(Unsubscribe, default=None)
    subscriptions: Subscriptions | None = child(Subscriptions, default=None)
    affiliations: Affiliations | None = child(Affiliations, default=None)
    items: Items | None = child(Items, default=None)
    rsm: ResultSet | None = child(ResultSet, default=None)
    publish: Publish | None = child(Publish, default=None)
    publish_options: PublishOptions | None = child(PublishOptions, default=None)
    retract: Retract | None = child(Retract, default=None)
    default: Default | None = child(Default, default=None)

    def __post_init__(self) -> None:
        for follower, leaders, section in _COMPANIONS:
            if getattr(self, follower) is not None and all(
                    getattr(self, leader) is None for leader in leaders):
                raise ValueError(f"{_tag(follower)} in a <pubsub/> follows "
                                 f"{' or '.join(_tag(leader) for leader in leaders)}, "
                                 f"which this one lacks (XEP-0060 {section})")
        requests = self.requests()
        if len(requests) > 1:
            raise ValueError(f"a <pubsub/> carries one request, but this one holds "
                             f"{' and '.join(_tag(name) for name in requests)}; only "
                             "<create/> with <configure/>, <subscribe/> or "
                             "<subscription/> with <options/>, <publish/> with "
                             "<publish-options/> and <items/> with a result set go "
                             "together (XEP-0060 §6, §7, §8.1)")
        if self.options is not None:
            self._check_options(self.options)

    def _check_options(self, options: Options) -> None:
        follows = self.subscribe is not None or self.subscription is not None
        if follows and (options.jid is not None or options.node is not None):
            what = "a 'jid'" if options.jid is not None else "a 'node'"
            raise ValueError(f"the <options/> following a "
                             f"{'<subscribe/>' if self.subscribe else '<subscription/>'} "
                             f"takes the node and JID from it, but has {what} of its own "
                             "(XEP-0060 §6.3.7)")
        if not follows and options.jid is None:
            raise ValueError("an <options/> on its own names the subscriber by 'jid' "
                             "(XEP-0060 §6.3.4.3)")

    def requests(self) -> tuple[str, ...]:
        """The names of the requests or answers this ``<pubsub/>`` holds, companions
        aside (``create``, ``items``, ``options`` alone…): one at most."""
        names = [name for name in _REQUESTS if getattr(self, name) is not None]
        if self.options is not None and self.subscribe is None and self.subscription is None:
            names.append("options")
        return tuple(names)


#: A companion, the elements it follows (one of them), and where XEP-0060 says so.
_COMPANIONS: Final = (
    ("configure", ("create",), "§8.1.3"),
    ("publish_options", ("publish",), "§7.1.5"),
    ("rsm", ("items",), "§6.5.4"),
)
#: The fields of a PubSub that are a request (or answer) of their own.
_REQUESTS: Final = ("create", "subscribe", "subscription", "unsubscribe", "subscriptions",
                    "affiliations", "items", "publish", "retract", "default")


def _tag(field: str) -> str:
    if field == "rsm":
        return "<set xmlns='http://jabber.org/protocol/rsm'/>"
    return f"<{field.replace('_', '-')}/>"


# -- what the iq type decides -------------------------------------------------------------


#: The requests that change something, in an iq 'set', and those that ask, in a 'get'.
_SET: Final = frozenset({"create", "subscribe", "unsubscribe", "publish", "retract"})
_GET: Final = frozenset({"subscriptions", "affiliations", "items", "default"})
#: What a result may answer with (§5.6, §5.7, §6.1.2, §6.2.2, §6.3.2, §6.4.2, §6.5,
#: §7.1.2, §8.1.1): never a subscriber's or publisher's request echoed.
_RESULT: Final = frozenset({"create", "subscription", "options", "subscriptions",
                            "affiliations", "items", "publish", "default"})


def _check_get(pubsub: PubSub, request: str) -> None:
    """A question (§5.6, §5.7, §6.3.2, §6.4, §6.5): nothing in it to change."""
    path = f"{_PUBSUB}/{request}"
    if request not in _GET | {"options"}:
        raise ParseError(f"a pubsub <{request}/> changes something, so it goes in an iq of "
                         "type 'set', not 'get' (XEP-0060 §6, §7, §8.1)", path=path)
    if pubsub.options is not None and pubsub.options.form is not None:
        raise ParseError("a pubsub get asks for a subscription's options form with an "
                         "empty <options/>, but this one holds a form (XEP-0060 §6.3.2)",
                         path=path)
    if pubsub.default is not None and pubsub.default.form is not None:
        raise ParseError("a pubsub get asks for the default subscription options with an "
                         "empty <default/>, but this one holds a form (XEP-0060 §6.4.1)",
                         path=path)
    if pubsub.subscriptions is not None and pubsub.subscriptions.subscriptions:
        raise ParseError("a pubsub get asks for the requester's subscriptions with an "
                         "empty <subscriptions/>, but this one lists some (XEP-0060 §5.6)",
                         path=path)
    if pubsub.affiliations is not None and pubsub.affiliations.affiliations:
        raise ParseError("a pubsub get asks for the requester's affiliations with an "
                         "empty <affiliations/>, but this one lists some (XEP-0060 §5.7)",
                         path=path)
    if pubsub.items is not None:
        for item in pubsub.items.items:
            if item.id is None or item.extensions:
                raise ParseError("each <item/> of a request for items names one by its "
                                 "'id' and carries nothing (XEP-0060 §6.5.6, §6.5.8)",
                                 path=f"{path}/item")


def _check_set(pubsub: PubSub, request: str) -> None:
    """A change (§6.1, §6.2, §6.3.5, §7.1, §7.2, §8.1): its forms submitted."""
    path = f"{_PUBSUB}/{request}"
    if request not in _SET | {"options"}:
        raise ParseError(f"a pubsub <{request}/> asks or answers, so it goes in an iq of "
                         "type 'get' or 'result', not 'set' (XEP-0060 §5.6, §5.7, §6.1.2, "
                         "§6.4, §6.5)", path=path)
    if pubsub.options is not None and pubsub.options.form is None:
        raise ParseError("the <options/> of a pubsub set carries the subscriber's form, "
                         "but this one holds none (XEP-0060 §6.3.5, §6.3.7)",
                         path=f"{_PUBSUB}/options")
    forms: list[tuple[str, Form | None]] = [
        ("configure", pubsub.configure.form if pubsub.configure else None),
        ("options", pubsub.options.form if pubsub.options else None),
        ("publish-options", pubsub.publish_options.form if pubsub.publish_options else None),
    ]
    for name, form in forms:
        if form is not None and form.type != FormType.SUBMIT:
            raise ParseError(f"the form of a <{name}/> in a pubsub set is the requester's "
                             f"answer, of type 'submit', not '{form.type.value}' "
                             "(XEP-0060 §6.3.5, §7.1.5, §8.1.3)",
                             path=f"{_PUBSUB}/{name}/x/@type")


def _check_result(pubsub: PubSub, request: str) -> None:
    """An answer (§5.6, §5.7, §6.1.2, §6.3.2, §6.4.2, §6.5, §7.1.2, §8.1.1)."""
    path = f"{_PUBSUB}/{request}"
    if request not in _RESULT:
        raise ParseError(f"a pubsub <{request}/> is a request, never in a result (XEP-0060 "
                         "§6, §7)", path=path)
    listed = (pubsub.subscriptions.subscriptions if pubsub.subscriptions is not None
              else (pubsub.subscription,) if pubsub.subscription is not None else ())
    if request == "subscriptions":
        path += "/subscription"
    for entry in listed:
        if entry.subscription is None:
            raise ParseError(f"a <subscription/> a service sends gives its state, but the "
                             f"one of {entry.jid} has no 'subscription' (XEP-0060 §5.6, "
                             "§6.1.2)", path=path)


def check_pubsub_iq(iq: Iq) -> PubSub | None:
    """Check the rules XEP-0060 sets for the pubsub request or answer ``iq`` carries, by
    the iq's type, and give its ``<pubsub/>`` (None for a result or error without one:
    the answer to most sets is empty).

    * a ``get`` asks: an empty ``<subscriptions/>`` or ``<affiliations/>``, an
      ``<options/>`` or ``<default/>`` without a form, or ``<items/>`` (perhaps paged),
      whose ``<item/>`` children, if any, each name an item by id and carry nothing;
    * a ``set`` changes: ``<create/>`` (with ``<configure/>``), ``<subscribe/>`` (with
      ``<options/>``), ``<unsubscribe/>``, ``<publish/>`` (with
      ``<publish-options/>``), ``<retract/>``, or ``<options/>``; every ``<options/>``
      in it carries the subscriber's form, and every form is of type ``submit``;
    * a ``result`` answers: ``<create/>``, ``<subscription/>`` (with ``<options/>``),
      ``<options/>``, ``<subscriptions/>``, ``<affiliations/>``, ``<items/>`` (perhaps
      paged), ``<publish/>`` or ``<default/>``, or nothing; each subscription in it
      gives its state;
    * an ``error`` may carry anything (the request it refuses, §6.1.5).

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``) naming the rule,
    also when a get or set carries no pubsub ``<pubsub/>`` at all, or an empty one.
    """
    pubsub = iq.payload_of(PubSub, "pubsub")
    if pubsub is None or iq.type == IqType.ERROR:
        return pubsub
    requests = pubsub.requests()
    if not requests:
        if iq.type == IqType.RESULT:
            return pubsub
        raise ParseError(f"a pubsub iq of type '{iq.type.value}' carries a request, but "
                         "this <pubsub/> is empty (XEP-0060 §6, §7, §8.1)", path=_PUBSUB)
    if iq.type == IqType.GET:
        _check_get(pubsub, requests[0])
    elif iq.type == IqType.SET:
        _check_set(pubsub, requests[0])
    else:
        _check_result(pubsub, requests[0])
    return pubsub
