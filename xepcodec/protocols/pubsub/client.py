"""What a XEP-0060 client writes and reads: one call builds each request, one call reads
each answer, typed.

Requests (each returns the :class:`~xepcodec.core.stanzas.Iq` to send to ``service``,
with the caller's ``id``, and ``from_`` and the stanza ``namespace`` when they are needed;
``service`` None addresses the user's own PEP service, see :mod:`.pep`):

* a subscriber's: :func:`subscribe`, :func:`unsubscribe` (§6.1, §6.2),
  :func:`subscription_options` and :func:`submit_subscription_options` (§6.3),
  :func:`items_request` (§6.5: all items, the most recent, some by id, or a page),
  :func:`subscriptions_request` and :func:`affiliations_request` (§5.6, §5.7);
* a publisher's: :func:`publish` (with publish-options, §7.1) and :func:`retract`
  (§7.2);
* an owner's: :func:`create_node` (§8.1), :func:`configure_request` and
  :func:`submit_node_config` (§8.2), :func:`default_config_request` (§8.3),
  :func:`delete_node` (§8.4), :func:`purge` (§8.5), :func:`node_subscriptions` and
  :func:`set_subscriptions` (§8.8), :func:`node_affiliations` and
  :func:`set_affiliations` (§8.9).

Forms are given as the typed views of :mod:`xepcodec.protocols.pubsub.forms` (written
as submissions) or as data forms of type ``submit``.

Readers take the service's reply and give what it says:

* :func:`published` (the item id), :func:`created` (the node id of an instant node),
  :func:`read_items` (a :class:`Page`: the items and the RSM page),
  :func:`read_subscription`, :func:`read_subscription_options`,
  :func:`read_subscriptions`, :func:`read_affiliations`;
* an owner's: :func:`read_node_config`, :func:`read_default_config`,
  :func:`read_node_subscriptions`, :func:`read_node_affiliations`;
* :func:`accepted` for the answers that only say yes;
* :func:`read_event` reads a notification (§7.1.2, §7.2.2, §8.2.5.3, §8.4.2, §8.5.2,
  §13.14) as one of :class:`ItemsEvent`, :class:`PurgeEvent`, :class:`DeleteEvent`,
  :class:`ConfigurationEvent`, :class:`SubscriptionEvent`.

A reader given an error reply raises :class:`PubSubRefused`, carrying the
:class:`~xepcodec.protocols.pubsub.errors.PubSubError` that names the XEP's error case
(why an exception: see there); given a stanza of another kind (a get, or a result
that answers another request) it raises :class:`~xepcodec.errors.ArgumentValueError`;
given an answer that breaks the XEP, a :class:`~xepcodec.errors.ParseError` naming the
rule.  No reader keeps state: matching a reply to its request by id is the caller's
business.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanza_errors import Condition
from xepcodec.core.stanzas import Iq, IqType, Message, MessageType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError, XepCodecError
from xepcodec.protocols.dataforms import Form, FormType
from xepcodec.protocols.form_views import FormView
from xepcodec.protocols.pubsub.base import (
    Affiliations,
    Configure,
    Create,
    Item,
    Items,
    Options,
    Publish,
    PubSub,
    Retract,
    Subscribe,
    Subscription,
    Subscriptions,
    Unsubscribe,
    check_pubsub_iq,
)
from xepcodec.protocols.pubsub.base import PublishOptions as BasePublishOptions
from xepcodec.protocols.pubsub.core import Affiliation, NodeType, SubscriptionState
from xepcodec.protocols.pubsub.errors import ErrorCase, PubSubError, pubsub_error
from xepcodec.protocols.pubsub.event import (
    EventConfiguration,
    EventDelete,
    EventItem,
    EventItems,
    EventNotification,
    EventPurge,
    EventSubscription,
)
from xepcodec.protocols.pubsub.owner import (
    OwnerAffiliation,
    OwnerAffiliations,
    OwnerConfigure,
    OwnerDefault,
    OwnerDelete,
    OwnerOperation,
    OwnerPubsub,
    OwnerPurge,
    OwnerRedirect,
    OwnerSubscription,
    OwnerSubscriptions,
    check_owner_iq,
)
from xepcodec.protocols.rsm import ResultSet

__all__ = [
    "ConfigurationEvent",
    "DeleteEvent",
    "Event",
    "ItemsEvent",
    "Page",
    "PubSubRefused",
    "PurgeEvent",
    "SubscriptionEvent",
    "accepted",
    "affiliations_request",
    "configure_request",
    "create_node",
    "created",
    "default_config_request",
    "delete_node",
    "items_request",
    "node_affiliations",
    "node_subscriptions",
    "publish",
    "published",
    "purge",
    "read_affiliations",
    "read_default_config",
    "read_event",
    "read_items",
    "read_node_affiliations",
    "read_node_config",
    "read_node_subscriptions",
    "read_subscription",
    "read_subscription_options",
    "read_subscriptions",
    "retract",
    "set_affiliations",
    "set_subscriptions",
    "submit_node_config",
    "submit_subscription_options",
    "subscribe",
    "subscription_options",
    "subscriptions_request",
    "unsubscribe",
]


# -- what every request and reader shares ---------------------------------------------------


def _iq(type: IqType, service: JID | None, payload: object, id: str, from_: JID | None,
        namespace: str) -> Iq:
    return Iq(namespace=namespace, type=type, id=id, to=service, from_=from_,
              extensions=(payload,))


def _submission(form: Form | FormView, what: str) -> Form:
    """``form`` as the form a client submits: a typed view written as a submission, or
    a form of type ``submit`` as it is."""
    if isinstance(form, FormView):
        return form.to_form(FormType.SUBMIT)
    if not isinstance(form, Form):
        raise ArgumentTypeError(f"{what} is a typed form view or a data form, not "
                                f"{type(form).__name__}")
    if form.type != FormType.SUBMIT:
        raise ArgumentValueError(f"{what} is a data form of type 'submit', not "
                                 f"'{form.type.value}' (XEP-0004 §3.1)")
    return form


class PubSubRefused(XepCodecError):
    """The service refused a request: its error reply, read as XEP-0060 describes it.

    ``error`` is the :class:`~xepcodec.protocols.pubsub.errors.PubSubError` value
    :func:`~xepcodec.protocols.pubsub.errors.pubsub_error` reads from the reply: the
    RFC 6120 ``condition`` and ``type``, the ``#errors`` ``application`` condition, the
    ``feature`` an ``<unsupported/>`` names, and the XEP's ``case``
    (``errors.PRECONDITION_NOT_MET``…, None for a pair the XEP does not describe), to
    compare or ``match`` on; ``reply`` is the whole reply.

    A refusal is raised rather than returned because every reader returns what the
    request asked for (an item id, a page of items, a subscription): a caller writes
    the one line of the success and one ``except PubSubRefused`` for every request,
    instead of testing the type of every result; and a refusal nobody handles stops
    the program where it arrived instead of travelling on as a value.  The value
    itself stays a plain :class:`PubSubError`, which a service's code builds and
    compares too.
    """

    def __init__(self, reply: Iq) -> None:
        read = pubsub_error(reply)
        if read is None:
            raise ArgumentValueError("a refusal is an error reply, carrying an <error/>")
        self.reply = reply
        self.error: PubSubError = read
        who = f"the service {reply.from_}" if reply.from_ is not None else "the service"
        why = [read.condition.value]
        if read.application is not None:
            why.append(read.application.value)
        if read.feature is not None:
            why.append(f"feature {read.feature}")
        case = f" [{read.case.name}]" if read.case is not None else ""
        detail = f" ({read.text})" if read.text else ""
        super().__init__(f"{who} refused request {reply.id!r}: {', '.join(why)}{case}"
                         f"{detail}")

    @property
    def condition(self) -> Condition:
        """The RFC 6120 condition of the refusal."""
        return self.error.condition

    @property
    def case(self) -> ErrorCase | None:
        """The error case of XEP-0060 the refusal is, or None."""
        return self.error.case


def _answer(reply: Iq, reader: str) -> None:
    """Raise the service's refusal when ``reply`` is an error, and ArgumentValueError
    when it is not a reply at all."""
    if reply.type == IqType.ERROR:
        raise PubSubRefused(reply)
    if reply.type != IqType.RESULT:
        raise ArgumentValueError(f"{reader} reads the service's reply, an iq of type "
                                 f"'result' or 'error', not '{reply.type.value}'")


# -- a subscriber's, publisher's and creator's requests (§5 to §8.1) ---------------------


def _pubsub(type: IqType, service: JID | None, pubsub: PubSub, id: str, from_: JID | None,
            namespace: str) -> Iq:
    return _iq(type, service, pubsub, id, from_, namespace)


def create_node(service: JID | None, node: str | None = None, *,
                config: Form | FormView | None = None, id: str, from_: JID | None = None,
                namespace: str = CLIENT) -> Iq:
    """The iq ``set`` creating ``node`` at ``service`` (§8.1), or an instant node whose
    name the service makes up when ``node`` is None (read it with :func:`created`),
    configured with ``config`` (a ``NodeConfigForm`` view or a submitted form, §8.1.3) or
    with the service's defaults."""
    configure = (Configure(form=_submission(config, "a new node's configuration"))
                 if config is not None else None)
    return _pubsub(IqType.SET, service, PubSub(create=Create(node=node), configure=configure),
                   id, from_, namespace)


def publish(service: JID | None, node: str, payload: object | None, *,
            item_id: str | None = None, options: Form | FormView | None = None, id: str,
            from_: JID | None = None, namespace: str = CLIENT) -> Iq:
    """The iq ``set`` publishing ``payload`` (any element of another namespace, typed or
    raw) to ``node`` as the item ``item_id`` (one the service makes up when None, read
    it with :func:`published`), §7.1; None publishes no item, as a notification-only
    node takes.  ``options`` are the preconditions the node must meet (§7.1.5): a
    ``pubsub#publish-options`` view or submitted form; a node that does not meet them
    refuses the publication with ``precondition-not-met``."""
    item = (Item(id=item_id, extensions=(payload,) if payload is not None else ())
            if payload is not None or item_id is not None else None)
    preconditions = (BasePublishOptions(form=_submission(options, "publish-options"))
                     if options is not None else None)
    return _pubsub(IqType.SET, service, PubSub(publish=Publish(node=node, item=item),
                                               publish_options=preconditions),
                   id, from_, namespace)


def retract(service: JID | None, node: str, item_id: str, *, notify: bool = False, id: str,
            from_: JID | None = None, namespace: str = CLIENT) -> Iq:
    """The iq ``set`` deleting the item ``item_id`` from ``node`` (§7.2), telling the
    subscribers when ``notify`` is true (the service decides otherwise)."""
    return _pubsub(IqType.SET, service,
                   PubSub(retract=Retract(node=node, notify=True if notify else None,
                                          item=Item(id=item_id))),
                   id, from_, namespace)


def subscribe(service: JID, node: str, jid: JID, *,
              options: Form | FormView | None = None, id: str, from_: JID | None = None,
              namespace: str = CLIENT) -> Iq:
    """The iq ``set`` subscribing ``jid`` (the requester's bare or full JID) to ``node``
    (§6.1), configuring the subscription at once with ``options`` (a
    ``pubsub#subscribe_options`` view or submitted form, §6.3.7); read the answer
    with :func:`read_subscription`."""
    form = (Options(form=_submission(options, "subscription options"))
            if options is not None else None)
    return _pubsub(IqType.SET, service, PubSub(subscribe=Subscribe(node=node, jid=jid),
                                               options=form), id, from_, namespace)


def unsubscribe(service: JID, node: str, jid: JID, *, subid: str | None = None, id: str,
                from_: JID | None = None, namespace: str = CLIENT) -> Iq:
    """The iq ``set`` ending the subscription of ``jid`` to ``node`` (§6.2): the one
    ``subid`` names where the JID has several."""
    return _pubsub(IqType.SET, service,
                   PubSub(unsubscribe=Unsubscribe(node=node, jid=jid, subid=subid)), id,
                   from_, namespace)


def subscription_options(service: JID, node: str, jid: JID, *, subid: str | None = None,
                         id: str, from_: JID | None = None, namespace: str = CLIENT) -> Iq:
    """The iq ``get`` asking for the options form of the subscription of ``jid`` to
    ``node`` (§6.3.2); read the answer with :func:`read_subscription_options`."""
    return _pubsub(IqType.GET, service,
                   PubSub(options=Options(node=node, jid=jid, subid=subid)), id, from_,
                   namespace)


def submit_subscription_options(service: JID, node: str, jid: JID,
                                options: Form | FormView, *, subid: str | None = None,
                                id: str, from_: JID | None = None,
                                namespace: str = CLIENT) -> Iq:
    """The iq ``set`` configuring the subscription of ``jid`` to ``node`` (§6.3.5) with
    ``options``, a ``pubsub#subscribe_options`` view or submitted form."""
    form = _submission(options, "subscription options")
    return _pubsub(IqType.SET, service,
                   PubSub(options=Options(node=node, jid=jid, subid=subid, form=form)), id,
                   from_, namespace)


def items_request(service: JID | None, node: str, *, max_items: int | None = None,
                  item_ids: Iterable[str] = (), subid: str | None = None,
                  page: ResultSet | None = None, id: str, from_: JID | None = None,
                  namespace: str = CLIENT) -> Iq:
    """The iq ``get`` asking for the items of ``node`` (§6.5): all of them, the
    ``max_items`` most recent (§6.5.7), those named in ``item_ids`` (§6.5.8), or one
    ``page`` of them (an RSM request such as ``ResultSet.request(max=10)``, or a page's
    ``next_page()``, §6.5.4); ``subid`` picks the subscription of a JID with several.
    Read the answer with :func:`read_items`."""
    wanted = tuple(Item(id=item_id) for item_id in item_ids)
    if wanted and (max_items is not None or page is not None):
        raise ArgumentValueError(f"a request for the items of node {node!r} names the "
                                 "items it wants or asks for the most recent ones or a "
                                 "page, not both (XEP-0060 §6.5.7, §6.5.8)")
    return _pubsub(IqType.GET, service,
                   PubSub(items=Items(node=node, max_items=max_items, subid=subid,
                                      items=wanted), rsm=page), id, from_, namespace)


def subscriptions_request(service: JID | None, node: str | None = None, *, id: str,
                          from_: JID | None = None, namespace: str = CLIENT) -> Iq:
    """The iq ``get`` asking ``service`` for the requester's subscriptions, to ``node``
    or to every node (§5.6); read the answer with :func:`read_subscriptions`."""
    return _pubsub(IqType.GET, service, PubSub(subscriptions=Subscriptions(node=node)), id,
                   from_, namespace)


def affiliations_request(service: JID | None, node: str | None = None, *, id: str,
                         from_: JID | None = None, namespace: str = CLIENT) -> Iq:
    """The iq ``get`` asking ``service`` for the requester's affiliations, with ``node``
    or with every node (§5.7); read the answer with :func:`read_affiliations`."""
    return _pubsub(IqType.GET, service, PubSub(affiliations=Affiliations(node=node)), id,
                   from_, namespace)


# -- reading the answers --------------------------------------------------------------------


def accepted(reply: Iq) -> None:
    """Check that ``reply`` accepts the request it answers: return for a result, raise
    the refusal for an error.  For the requests whose answer says nothing more than
    success (an unsubscription, a retraction, a purge, a deletion, a change of
    configuration, subscriptions or affiliations)."""
    _answer(reply, "accepted")


def _pubsub_answer(reply: Iq, reader: str) -> PubSub | None:
    _answer(reply, reader)
    return check_pubsub_iq(reply)


def published(reply: Iq) -> str | None:
    """The ItemID of the item a :func:`publish` published, as the service's result names
    it (§7.1.2): the one it made up when the request gave none.  None when the result
    does not say, as a service may when the publisher named the item."""
    pubsub = _pubsub_answer(reply, "published")
    if pubsub is None or pubsub.publish is None:
        if pubsub is not None and pubsub.requests():
            raise ArgumentValueError(f"published reads the answer to a publication, not "
                                     f"one carrying a <{pubsub.requests()[0]}/>")
        return None
    item = pubsub.publish.item
    return item.id if item is not None else None


def created(reply: Iq) -> str | None:
    """The NodeID of the node a :func:`create_node` created, as the service's result
    names it: the one it made up for an instant node (§8.1.1).  None when the result
    does not say, as a service may when the request named the node."""
    pubsub = _pubsub_answer(reply, "created")
    if pubsub is None or pubsub.create is None:
        if pubsub is not None and pubsub.requests():
            raise ArgumentValueError(f"created reads the answer to a node creation, not "
                                     f"one carrying a <{pubsub.requests()[0]}/>")
        return None
    return pubsub.create.node


def _carrying(reply: Iq, reader: str, field: str) -> PubSub:
    pubsub = _pubsub_answer(reply, reader)
    if pubsub is None or getattr(pubsub, field) is None:
        got = ("an empty result" if pubsub is None or not pubsub.requests()
               else f"a <{pubsub.requests()[0]}/>")
        raise ArgumentValueError(f"{reader} reads the answer carrying a pubsub "
                                 f"<{field}/>, not {got}")
    return pubsub


@dataclass(frozen=True, slots=True)
class Page:
    """Items of ``node`` a service sent (§6.5.3), in its order, and the description of
    the page when they are one page of many (``page``: the RSM ``<set/>`` with the first
    and last ids and the count; its ``next_page()`` asks for the following one)."""

    node: str
    items: tuple[Item, ...]
    page: ResultSet | None

    @property
    def payloads(self) -> tuple[object, ...]:
        """The payloads of the items that carry one, in order."""
        return tuple(item.payload for item in self.items if item.payload is not None)


def read_items(reply: Iq) -> Page:
    """The items the answer to :func:`items_request` carries, and its RSM page."""
    pubsub = _carrying(reply, "read_items", "items")
    assert pubsub.items is not None
    return Page(node=pubsub.items.node, items=pubsub.items.items, page=pubsub.rsm)


def read_subscription(reply: Iq) -> Subscription:
    """The subscription the answer to :func:`subscribe` gives (§6.1.2): its state
    (``subscribed``, ``pending`` approval, or ``unconfigured`` until options are
    submitted), its ``subid``, and whether options must be configured
    (``subscribe_options.required``).  ParseError when the result does not say, as
    the XEP has the service tell the subscriber its state."""
    pubsub = _pubsub_answer(reply, "read_subscription")
    if pubsub is None or pubsub.subscription is None:
        if pubsub is not None and pubsub.requests():
            raise ArgumentValueError(f"read_subscription reads the answer to a "
                                     f"subscription, not one carrying a "
                                     f"<{pubsub.requests()[0]}/>")
        raise ParseError("the answer to a subscription request gives the subscription "
                         "and its state, in a <subscription/> (XEP-0060 §6.1.2), but this "
                         "result is empty", path="/iq/pubsub")
    return pubsub.subscription


def read_subscription_options(reply: Iq) -> Form:
    """The options form of a subscription, the answer to :func:`subscription_options`
    (§6.3.2); ``SubscribeOptionsForm.from_form`` (:mod:`xepcodec.protocols.pubsub.forms`)
    types it.  ParseError when the answer holds no form."""
    pubsub = _carrying(reply, "read_subscription_options", "options")
    assert pubsub.options is not None
    if pubsub.options.form is None:
        raise ParseError("the answer to a request for subscription options carries the "
                         "options form (XEP-0060 §6.3.2), but this <options/> is empty",
                         path="/iq/pubsub/options")
    return pubsub.options.form


def read_subscriptions(reply: Iq) -> tuple[Subscription, ...]:
    """The requester's subscriptions, the answer to :func:`subscriptions_request`
    (§5.6): each with its node, JID, state and subid."""
    pubsub = _carrying(reply, "read_subscriptions", "subscriptions")
    assert pubsub.subscriptions is not None
    return pubsub.subscriptions.subscriptions


def read_affiliations(reply: Iq) -> Mapping[str, Affiliation]:
    """The requester's affiliations, node by node, the answer to
    :func:`affiliations_request` (§5.7), in the order the service listed them.
    ParseError when the list names a node twice."""
    pubsub = _carrying(reply, "read_affiliations", "affiliations")
    assert pubsub.affiliations is not None
    listed: dict[str, Affiliation] = {}
    for entry in pubsub.affiliations.affiliations:
        if entry.node in listed:
            raise ParseError(f"an affiliations list names each node once, but "
                             f"{entry.node!r} is listed twice (XEP-0060 §5.7)",
                             path="/iq/pubsub/affiliations/affiliation")
        listed[entry.node] = entry.affiliation
    return listed


# -- an owner's requests (§8) -------------------------------------------------------------


def _owner(type: IqType, service: JID, operation: OwnerOperation, id: str,
           from_: JID | None, namespace: str) -> Iq:
    return _iq(type, service, OwnerPubsub(operation=operation), id, from_, namespace)


def configure_request(service: JID, node: str, *, id: str, from_: JID | None = None,
                      namespace: str = CLIENT) -> Iq:
    """The iq ``get`` asking ``service`` for the configuration form of ``node`` (§8.2.1);
    read the answer with :func:`read_node_config`."""
    return _owner(IqType.GET, service, OwnerConfigure(node=node), id, from_, namespace)


def submit_node_config(service: JID, node: str, config: Form | FormView, *, id: str,
                       from_: JID | None = None, namespace: str = CLIENT) -> Iq:
    """The iq ``set`` configuring ``node`` (§8.2.4): ``config`` is a typed view (the
    ``NodeConfigForm`` of :mod:`xepcodec.protocols.pubsub.forms`), written as a submission,
    or a data form of type ``submit``."""
    form = _submission(config, "a node's configuration")
    return _owner(IqType.SET, service, OwnerConfigure(node=node, form=form), id, from_,
                  namespace)


def default_config_request(service: JID, *, type: NodeType | None = None, id: str,
                           from_: JID | None = None, namespace: str = CLIENT) -> Iq:
    """The iq ``get`` asking ``service`` for the configuration new nodes get (§8.3):
    of a leaf node unless ``type`` names another; read the answer with
    :func:`read_default_config`."""
    return _owner(IqType.GET, service, OwnerDefault(type=type), id, from_, namespace)


def delete_node(service: JID, node: str, *, redirect: str | None = None, id: str,
                from_: JID | None = None, namespace: str = CLIENT) -> Iq:
    """The iq ``set`` deleting ``node`` (§8.4), pointing its subscribers to the URI of
    the node replacing it when ``redirect`` names one (``xmpp:service?;node=other``)."""
    target = OwnerRedirect(uri=redirect) if redirect is not None else None
    return _owner(IqType.SET, service, OwnerDelete(node=node, redirect=target), id, from_,
                  namespace)


def purge(service: JID, node: str, *, id: str, from_: JID | None = None,
          namespace: str = CLIENT) -> Iq:
    """The iq ``set`` removing every item published to ``node`` (§8.5)."""
    return _owner(IqType.SET, service, OwnerPurge(node=node), id, from_, namespace)


def node_subscriptions(service: JID, node: str, *, id: str, from_: JID | None = None,
                       namespace: str = CLIENT) -> Iq:
    """The iq ``get`` asking for the subscriptions to ``node`` (§8.8.1); read the answer
    with :func:`read_node_subscriptions`."""
    return _owner(IqType.GET, service, OwnerSubscriptions(node=node), id, from_, namespace)


def set_subscriptions(service: JID, node: str,
                      changes: Mapping[JID, SubscriptionState] | Iterable[OwnerSubscription],
                      *, id: str, from_: JID | None = None, namespace: str = CLIENT) -> Iq:
    """The iq ``set`` changing subscriptions to ``node`` (§8.8.2): a mapping of each
    subscriber to its new state (``none`` removes it), or the entries themselves where a
    subscriber has several subscriptions told apart by ``subid``."""
    entries = (tuple(OwnerSubscription(jid=jid, subscription=state)
                     for jid, state in changes.items())
               if isinstance(changes, Mapping) else tuple(changes))
    if not entries:
        raise ArgumentValueError(f"a change of the subscriptions to node {node!r} names "
                                 "at least one subscriber (XEP-0060 §8.8.2)")
    return _owner(IqType.SET, service, OwnerSubscriptions(node=node, subscriptions=entries),
                  id, from_, namespace)


def node_affiliations(service: JID, node: str, *, id: str, from_: JID | None = None,
                      namespace: str = CLIENT) -> Iq:
    """The iq ``get`` asking for the entities affiliated with ``node`` (§8.9.1); read
    the answer with :func:`read_node_affiliations`."""
    return _owner(IqType.GET, service, OwnerAffiliations(node=node), id, from_, namespace)


def set_affiliations(service: JID, node: str,
                     changes: Mapping[JID, Affiliation] | Iterable[OwnerAffiliation], *,
                     id: str, from_: JID | None = None, namespace: str = CLIENT) -> Iq:
    """The iq ``set`` changing affiliations with ``node`` (§8.9.2): a mapping of each
    entity to its new affiliation (``none`` removes it), or the entries themselves."""
    entries = (tuple(OwnerAffiliation(jid=jid, affiliation=affiliation)
                     for jid, affiliation in changes.items())
               if isinstance(changes, Mapping) else tuple(changes))
    if not entries:
        raise ArgumentValueError(f"a change of the affiliations with node {node!r} names "
                                 "at least one entity (XEP-0060 §8.9.2)")
    return _owner(IqType.SET, service, OwnerAffiliations(node=node, affiliations=entries),
                  id, from_, namespace)


# -- reading an owner's answers -----------------------------------------------------------


def _owner_answer(reply: Iq, reader: str, kind: type[OwnerOperation]) -> OwnerOperation:
    _answer(reply, reader)
    pubsub = check_owner_iq(reply)
    operation = pubsub.operation if pubsub is not None else None
    if not isinstance(operation, kind):
        got = "an empty result" if pubsub is None else f"a <{_element(operation)}/>"
        raise ArgumentValueError(f"{reader} reads the answer carrying a pubsub#owner "
                                 f"<{_element(kind)}/>, not {got}")
    return operation


def _element(operation: object) -> str:
    kind = operation if isinstance(operation, type) else type(operation)
    return {OwnerConfigure: "configure", OwnerDefault: "default", OwnerDelete: "delete",
            OwnerPurge: "purge", OwnerSubscriptions: "subscriptions",
            OwnerAffiliations: "affiliations"}.get(kind, kind.__name__)


def read_node_config(reply: Iq) -> Form:
    """The configuration form of the node, the answer to :func:`configure_request`
    (§8.2.2); ``NodeConfigForm.from_form`` (:mod:`xepcodec.protocols.pubsub.forms`) types
    it, and its ``fill`` answers it.  ParseError when the answer holds no form."""
    operation = _owner_answer(reply, "read_node_config", OwnerConfigure)
    assert isinstance(operation, OwnerConfigure)
    if operation.form is None:
        raise ParseError("the answer to a configuration request carries the node's "
                         "configuration form (XEP-0060 §8.2.2), but this <configure/> is "
                         "empty", path="/iq/pubsub/configure")
    return operation.form


def read_default_config(reply: Iq) -> Form:
    """The default configuration of new nodes, the answer to
    :func:`default_config_request` (§8.3).  ParseError when it holds no form."""
    operation = _owner_answer(reply, "read_default_config", OwnerDefault)
    assert isinstance(operation, OwnerDefault)
    if operation.form is None:
        raise ParseError("the answer to a default configuration request carries the "
                         "default form (XEP-0060 §8.3), but this <default/> is empty",
                         path="/iq/pubsub/default")
    return operation.form


def read_node_subscriptions(reply: Iq) -> tuple[OwnerSubscription, ...]:
    """The subscriptions to the node, the answer to :func:`node_subscriptions`
    (§8.8.1.2): each subscriber's JID, state and subid."""
    operation = _owner_answer(reply, "read_node_subscriptions", OwnerSubscriptions)
    assert isinstance(operation, OwnerSubscriptions)
    return operation.subscriptions


def read_node_affiliations(reply: Iq) -> Mapping[JID, Affiliation]:
    """The entities affiliated with the node and their affiliations, the answer to
    :func:`node_affiliations` (§8.9.1.2), in the order the service listed them.
    ParseError when the list names an entity twice."""
    operation = _owner_answer(reply, "read_node_affiliations", OwnerAffiliations)
    assert isinstance(operation, OwnerAffiliations)
    listed: dict[JID, Affiliation] = {}
    for entry in operation.affiliations:
        if entry.jid in listed:
            raise ParseError(f"an affiliations list names each entity once, but "
                             f"{entry.jid} is listed twice (XEP-0060 §8.9.1.2)",
                             path="/iq/pubsub/affiliations/affiliation")
        listed[entry.jid] = entry.affiliation
    return listed


# -- notifications ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemsEvent:
    """Items of ``node`` published (``items``, with their payloads when the node
    delivers them) and retracted (the ids in ``retracted``), §7.1.2 and §7.2.2; both
    empty for a publication to a notification-only transient node."""

    service: JID | None
    node: str
    items: tuple[EventItem, ...]
    retracted: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PurgeEvent:
    """Every item of ``node`` was removed (§8.5.2)."""

    service: JID | None
    node: str


@dataclass(frozen=True, slots=True)
class DeleteEvent:
    """``node`` was deleted; ``redirect`` is the URI of the node replacing it (§8.4.2)."""

    service: JID | None
    node: str
    redirect: str | None


@dataclass(frozen=True, slots=True)
class ConfigurationEvent:
    """The configuration of ``node`` changed; ``config`` is the new one when the node
    delivers payloads (§8.2.5.3)."""

    service: JID | None
    node: str | None
    config: Form | None


@dataclass(frozen=True, slots=True)
class SubscriptionEvent:
    """The subscription of ``jid`` to ``node`` is now in ``state`` (approved, denied or
    cancelled, §13.14), or its lease ends at ``expiry`` (§13.19)."""

    service: JID | None
    node: str | None
    jid: JID
    state: SubscriptionState
    subid: str | None
    expiry: datetime | None


#: A notification, read by :func:`read_event`.
Event = ItemsEvent | PurgeEvent | DeleteEvent | ConfigurationEvent | SubscriptionEvent

_EVENT: Final = "/message/event"


def read_event(message: Message) -> Event | None:
    """The notification ``message`` carries, typed, with the service that sent it (the
    message's ``from``), or None for a message without a pubsub ``<event/>`` (and for an
    error message, which bounces something the caller sent rather than telling of a
    node).  ParseError when it carries more than one ``<event/>``: each notification is
    a message of its own (§7.1.2: the service sends one to each entity it notifies),
    so such a message is no notification this reader can give one reading of."""
    if message.type == MessageType.ERROR:
        return None
    events: tuple[EventNotification, ...] = message.find_all(EventNotification)
    if not events:
        return None
    if len(events) > 1:
        raise ParseError(f"a notification is a message carrying one pubsub <event/>, "
                         f"not {len(events)} (XEP-0060 §7.1.2)", path=_EVENT)
    content = events[0].content
    service = message.from_
    if isinstance(content, EventItems):
        return ItemsEvent(service=service, node=content.node, items=content.items,
                          retracted=content.retracted)
    if isinstance(content, EventPurge):
        return PurgeEvent(service=service, node=content.node)
    if isinstance(content, EventDelete):
        return DeleteEvent(service=service, node=content.node,
                           redirect=content.redirect.uri if content.redirect else None)
    if isinstance(content, EventConfiguration):
        return ConfigurationEvent(service=service, node=content.node, config=content.form)
    assert isinstance(content, EventSubscription)
    return SubscriptionEvent(service=service, node=content.node, jid=content.jid,
                             state=content.subscription, subid=content.subid,
                             expiry=content.expiry)
