"""XEP-0060's errors: the ``#errors`` application conditions, and the error cases of the
specification, each an RFC 6120 stanza condition paired with one of them.

A service refusing a request answers with a stanza error (RFC 6120 §8.3) whose defined
condition says what kind of failure it is and whose application-specific condition, in
the ``http://jabber.org/protocol/pubsub#errors`` namespace, says which rule of
XEP-0060 was broken: ``<conflict/>`` with ``<precondition-not-met/>`` when a
publication's preconditions do not match the node (§7.1.5), ``<feature-not-implemented/>``
with ``<unsupported feature='…'/>`` naming the missing feature, and so on.

* :class:`SpecificCondition` is each empty application condition and
  :class:`Unsupported` the one that names a feature (``feature`` required: a short
  feature name such as ``publish-options``).  ``<node-full/>`` (§7.1.3.4) is among
  them although the XEP's own schema forgets it.
* :class:`ErrorCase` is one case of the specification, and the module names each
  (:data:`PRECONDITION_NOT_MET`, :data:`NODE_FULL`, :data:`UNSUPPORTED`…, all in
  :data:`CASES`): a stanza condition, the error type the XEP uses with it, and the
  application condition or None.  A pair serves every use case that uses it
  (:attr:`ErrorCase.sections` lists them): ``<item-not-found/>`` alone is
  :data:`NOT_FOUND` for a subscription, a publication or a deletion alike.
* :func:`error` builds the ``<error/>`` a service sends for a case, and
  :func:`pubsub_error` reads one from a reply as a :class:`PubSubError` that names its
  case (None for a pair the XEP does not describe) and the unsupported feature.

Prosody (0.12) refuses what needs persistent items with ``<persistent-items/>`` in the
``#errors`` namespace, a condition the XEP does not have, where the XEP writes
``<unsupported feature='persistent-items'/>``; it is declared so that the reply parses,
and :func:`pubsub_error` reads it as the XEP's spelling.

The XEP's "payment required" cases (§6.1.3.5, §6.5.9.9) use ``<payment-required/>``,
a condition RFC 3920 had and RFC 6120 dropped: no stanza error of RFC 6120 can carry
them, so they are not cases here.  ``<max-nodes-exceeded/>`` appears in the XEP's
schema only, paired with no stanza condition, so it is an element and not a case.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from xepcodec.core.stanza_errors import Condition, ErrorType, StanzaError
from xepcodec.core.stanzas import Iq, Message, Presence
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError
from xepcodec.model import attr, element, local_name
from xepcodec.model.values import String
from xepcodec.protocols.pubsub.core import NS_PUBSUB_ERRORS
from xepcodec.protocols.pubsub.features import Feature

__all__ = [
    "CASES",
    "CLOSED_NODE",
    "CONFIGURATION_REQUIRED",
    "FEATURE_NAME",
    "FORBIDDEN",
    "INSTANT_NODES_UNSUPPORTED",
    "INVALID_JID",
    "INVALID_OPTIONS",
    "INVALID_PAYLOAD",
    "INVALID_SUBID",
    "ITEM_FORBIDDEN",
    "ITEM_REQUIRED",
    "JID_REQUIRED",
    "MAX_ITEMS_EXCEEDED",
    "NODEID_REQUIRED",
    "NODE_EXISTS",
    "NODE_FULL",
    "NODE_MOVED",
    "NOT_ACCEPTABLE",
    "NOT_ALLOWED",
    "NOT_FOUND",
    "NOT_IN_ROSTER_GROUP",
    "NOT_SUBSCRIBED",
    "PAYLOAD_REQUIRED",
    "PAYLOAD_TOO_BIG",
    "PENDING_SUBSCRIPTION",
    "PRECONDITION_NOT_MET",
    "PRESENCE_SUBSCRIPTION_REQUIRED",
    "REGISTRATION_REQUIRED",
    "SERVICE_UNAVAILABLE",
    "SUBID_REQUIRED",
    "SUBSCRIBERS_ONLY",
    "TOO_MANY_SUBSCRIPTIONS",
    "UNSUPPORTED",
    "UNSUPPORTED_ACCESS_MODEL",
    "ErrorCase",
    "PubSubCondition",
    "PubSubError",
    "SpecificCondition",
    "Unsupported",
    "error",
    "pubsub_error",
]


class PubSubCondition(enum.StrEnum):
    """The application-specific conditions of the ``#errors`` namespace."""

    CLOSED_NODE = "closed-node"
    CONFIGURATION_REQUIRED = "configuration-required"
    INVALID_JID = "invalid-jid"
    INVALID_OPTIONS = "invalid-options"
    INVALID_PAYLOAD = "invalid-payload"
    INVALID_SUBID = "invalid-subid"
    ITEM_FORBIDDEN = "item-forbidden"
    ITEM_REQUIRED = "item-required"
    JID_REQUIRED = "jid-required"
    MAX_ITEMS_EXCEEDED = "max-items-exceeded"
    MAX_NODES_EXCEEDED = "max-nodes-exceeded"
    NODE_FULL = "node-full"
    NODEID_REQUIRED = "nodeid-required"
    NOT_IN_ROSTER_GROUP = "not-in-roster-group"
    NOT_SUBSCRIBED = "not-subscribed"
    PAYLOAD_TOO_BIG = "payload-too-big"
    #: Not the XEP's: Prosody's spelling of ``<unsupported feature='persistent-items'/>``,
    #: which :func:`pubsub_error` reads as that (the :data:`UNSUPPORTED` case).
    PERSISTENT_ITEMS = "persistent-items"
    PAYLOAD_REQUIRED = "payload-required"
    PENDING_SUBSCRIPTION = "pending-subscription"
    PRECONDITION_NOT_MET = "precondition-not-met"
    PRESENCE_SUBSCRIPTION_REQUIRED = "presence-subscription-required"
    SUBID_REQUIRED = "subid-required"
    TOO_MANY_SUBSCRIPTIONS = "too-many-subscriptions"
    UNSUPPORTED = "unsupported"
    UNSUPPORTED_ACCESS_MODEL = "unsupported-access-model"


#: A feature's short name in ``<unsupported feature='…'/>``: the registry's names are
#: lowercase words joined by hyphens; any XML name of letters, digits, ``-``, ``_`` and
#: ``.`` not starting with a digit is accepted (the XEP's schema says NCName).
FEATURE_NAME: Final = String(min_length=1, pattern=r"[A-Za-z_][A-Za-z0-9._\-]*")


@element(NS_PUBSUB_ERRORS, tuple(condition.value for condition in PubSubCondition
                                 if condition is not PubSubCondition.UNSUPPORTED))
class SpecificCondition:
    """One of the empty application conditions (all but ``unsupported``)."""

    condition: PubSubCondition = local_name()

    def __post_init__(self) -> None:
        if self.condition is PubSubCondition.UNSUPPORTED:
            raise ValueError("<unsupported/> names the feature it lacks: it is an "
                             "Unsupported, not a SpecificCondition")


@element(NS_PUBSUB_ERRORS, "unsupported")
class Unsupported:
    """``<unsupported feature='…'/>``: the service or node lacks the feature named (the
    short name, ``retrieve-items``, of ``http://jabber.org/protocol/pubsub#…``)."""

    feature: str = attr(value=FEATURE_NAME)

    @property
    def disco_feature(self) -> Feature | str:
        """The whole disco feature: a :class:`Feature`, or the string of one the
        registry does not list."""
        return Feature.named(self.feature)


@dataclasses.dataclass(frozen=True)
class ErrorCase:
    """One error case of XEP-0060: the stanza condition, the error type the XEP sends
    with it, and the ``#errors`` condition or None (then the stanza condition alone
    tells the case).  ``sections`` are where the XEP describes it."""

    name: str
    condition: Condition
    type: ErrorType
    application: PubSubCondition | None
    sections: tuple[str, ...]

    def __repr__(self) -> str:
        return self.name


_C = Condition
_P = PubSubCondition
_T = ErrorType


def _case(name: str, condition: Condition, type: ErrorType,
          application: PubSubCondition | None, *sections: str) -> ErrorCase:
    return ErrorCase(name, condition, type, application, sections)


#: The bare JID of the subscription request is not the requester's (§6.1.3.1).
INVALID_JID: Final = _case("INVALID_JID", _C.BAD_REQUEST, _T.MODIFY, _P.INVALID_JID,
                           "6.1.3.1")
#: The node's access model is ``presence`` and the requester is not subscribed to the
#: owner's presence (§6.1.3.2, §6.5.9.6).
PRESENCE_SUBSCRIPTION_REQUIRED: Final = _case(
    "PRESENCE_SUBSCRIPTION_REQUIRED", _C.NOT_AUTHORIZED, _T.AUTH,
    _P.PRESENCE_SUBSCRIPTION_REQUIRED, "6.1.3.2", "6.5.9.6")
#: The access model is ``roster`` and the requester is in none of its groups.
NOT_IN_ROSTER_GROUP: Final = _case("NOT_IN_ROSTER_GROUP", _C.NOT_AUTHORIZED, _T.AUTH,
                                   _P.NOT_IN_ROSTER_GROUP, "6.1.3.3", "6.5.9.7")
#: The access model is ``whitelist`` and the requester is not on it.
CLOSED_NODE: Final = _case("CLOSED_NODE", _C.NOT_ALLOWED, _T.CANCEL, _P.CLOSED_NODE,
                           "6.1.3.4", "6.5.9.8")
#: The requester's earlier subscription awaits approval.
PENDING_SUBSCRIPTION: Final = _case("PENDING_SUBSCRIPTION", _C.NOT_AUTHORIZED, _T.AUTH,
                                    _P.PENDING_SUBSCRIPTION, "6.1.3.7")
#: The requester has as many subscriptions as the service allows.
TOO_MANY_SUBSCRIPTIONS: Final = _case("TOO_MANY_SUBSCRIPTIONS", _C.POLICY_VIOLATION,
                                      _T.WAIT, _P.TOO_MANY_SUBSCRIPTIONS, "6.1.3.9")
#: The service or node lacks a feature, named by ``<unsupported/>``: subscriptions,
#: options, item retrieval, persistent items, publication, deletion, creation,
#: configuration, purges, get-pending, the management of subscriptions and
#: affiliations, an affiliation (§5.6, §5.7 and the error cases of §6 to §8).
UNSUPPORTED: Final = _case(
    "UNSUPPORTED", _C.FEATURE_NOT_IMPLEMENTED, _T.CANCEL, _P.UNSUPPORTED, "5.6", "5.7",
    "6.1.3.10", "6.3.4.6", "6.4.3.1", "6.4.3.2", "6.5.9.4", "6.5.9.5", "7.1.3.2",
    "7.2.3.5", "7.2.3.6", "8.1.1", "8.2.3.1", "8.3.4.1", "8.3.4.2", "8.5.3.1", "8.5.3.3",
    "8.7.3.2", "8.8.1.3.1", "8.8.2.3.1", "8.9.1.3.1", "8.9.2.3.1", "8.9.2.3.2")
#: The node has moved: ``<gone/>`` carries the URI of the node to use (§6.1.3.11).
NODE_MOVED: Final = _case("NODE_MOVED", _C.GONE, _T.MODIFY, None, "6.1.3.11")
#: The node (or the item) does not exist.
NOT_FOUND: Final = _case(
    "NOT_FOUND", _C.ITEM_NOT_FOUND, _T.CANCEL, None, "6.1.3.12", "6.2.3.4", "6.3.4.7",
    "6.5.9.11", "7.1.3.3", "7.2.3.2", "8.2.3.5", "8.4.3.2", "8.5.3.4", "8.7.3.4",
    "8.8.1.3.3", "8.8.2.3.3", "8.9.1.3.3", "8.9.2.3.4")
#: The requester may not do this: it lacks the affiliation, is an outcast, is blocked,
#: or is anonymous.
FORBIDDEN: Final = _case(
    "FORBIDDEN", _C.FORBIDDEN, _T.AUTH, None, "6.1.3.6", "6.1.3.8", "6.2.3.3", "6.3.4.1",
    "6.5.9.10", "7.1.3.1", "7.2.3.1", "8.1.1", "8.2.3.2", "8.4.3.1", "8.5.3.2", "8.7.3.3",
    "8.8.1.3.2", "8.8.2.3.2", "8.9.1.3.2", "8.9.2.3.3")
#: The subscription cannot be made without configuring it in the same request
#: (§6.1.5).
CONFIGURATION_REQUIRED: Final = _case("CONFIGURATION_REQUIRED", _C.NOT_ACCEPTABLE,
                                      _T.MODIFY, _P.CONFIGURATION_REQUIRED, "6.1.5")
#: The requester has several subscriptions to the node and did not say which.
SUBID_REQUIRED: Final = _case("SUBID_REQUIRED", _C.BAD_REQUEST, _T.MODIFY,
                              _P.SUBID_REQUIRED, "6.2.3.1", "6.3.4.4", "6.5.9.1")
#: The JID named has no subscription to the node (§6.2.3.2, §6.3.4.2).
NOT_SUBSCRIBED: Final = _case("NOT_SUBSCRIBED", _C.UNEXPECTED_REQUEST, _T.CANCEL,
                              _P.NOT_SUBSCRIBED, "6.2.3.2", "6.3.4.2")
#: The subscription id named is not a current one.
INVALID_SUBID: Final = _case("INVALID_SUBID", _C.NOT_ACCEPTABLE, _T.MODIFY,
                             _P.INVALID_SUBID, "6.2.3.5", "6.3.4.5", "6.5.9.2")
#: A request for subscription options names no subscriber (§6.3.4.3).
JID_REQUIRED: Final = _case("JID_REQUIRED", _C.BAD_REQUEST, _T.MODIFY, _P.JID_REQUIRED,
                            "6.3.4.3")
#: The subscription options submitted are not a valid set (§6.3.6.2).
INVALID_OPTIONS: Final = _case("INVALID_OPTIONS", _C.BAD_REQUEST, _T.MODIFY,
                               _P.INVALID_OPTIONS, "6.3.6.2")
#: The node gives its items to subscribers only, and the requester is none (§6.5.9.3).
SUBSCRIBERS_ONLY: Final = _case("SUBSCRIBERS_ONLY", _C.NOT_AUTHORIZED, _T.AUTH,
                                _P.NOT_SUBSCRIBED, "6.5.9.3")
#: The node holds as many items as it may and rejects more (§7.1.3.4).
NODE_FULL: Final = _case("NODE_FULL", _C.CONFLICT, _T.CANCEL, _P.NODE_FULL, "7.1.3.4")
#: The payload is larger than the service accepts.
PAYLOAD_TOO_BIG: Final = _case("PAYLOAD_TOO_BIG", _C.NOT_ACCEPTABLE, _T.MODIFY,
                               _P.PAYLOAD_TOO_BIG, "7.1.3.5")
#: The item holds no payload or several, or one of another namespace than the node's.
INVALID_PAYLOAD: Final = _case("INVALID_PAYLOAD", _C.BAD_REQUEST, _T.MODIFY,
                               _P.INVALID_PAYLOAD, "7.1.3.6")
#: A persistent node's publication lacks its item, or a retraction its item id.
ITEM_REQUIRED: Final = _case("ITEM_REQUIRED", _C.BAD_REQUEST, _T.MODIFY,
                             _P.ITEM_REQUIRED, "7.1.3.7", "7.2.3.4")
#: A payload node's publication lacks its payload.
PAYLOAD_REQUIRED: Final = _case("PAYLOAD_REQUIRED", _C.BAD_REQUEST, _T.MODIFY,
                                _P.PAYLOAD_REQUIRED, "7.1.3.7")
#: A transient notification node's publication carries an item.
ITEM_FORBIDDEN: Final = _case("ITEM_FORBIDDEN", _C.BAD_REQUEST, _T.MODIFY,
                              _P.ITEM_FORBIDDEN, "7.1.3.7")
#: The publish-options do not match the configuration of the existing node (§7.1.5).
PRECONDITION_NOT_MET: Final = _case("PRECONDITION_NOT_MET", _C.CONFLICT, _T.CANCEL,
                                    _P.PRECONDITION_NOT_MET, "7.1.5")
#: A batch publication holds more items than the node may keep (§13.11).
MAX_ITEMS_EXCEEDED: Final = _case("MAX_ITEMS_EXCEEDED", _C.NOT_ALLOWED, _T.CANCEL,
                                  _P.MAX_ITEMS_EXCEEDED, "13.11")
#: The request names no node (§7.2.3.3, §8.2.3.3).
NODEID_REQUIRED: Final = _case("NODEID_REQUIRED", _C.BAD_REQUEST, _T.MODIFY,
                               _P.NODEID_REQUIRED, "7.2.3.3", "8.2.3.3")
#: A creation names no node, and the service makes no instant nodes (§8.1.1).
INSTANT_NODES_UNSUPPORTED: Final = _case("INSTANT_NODES_UNSUPPORTED", _C.NOT_ACCEPTABLE,
                                         _T.MODIFY, _P.NODEID_REQUIRED, "8.1.1")
#: The service creates nodes for registered entities only (§8.1.1).
REGISTRATION_REQUIRED: Final = _case("REGISTRATION_REQUIRED", _C.REGISTRATION_REQUIRED,
                                     _T.AUTH, None, "8.1.1")
#: A node of that id exists already (§8.1.1).
NODE_EXISTS: Final = _case("NODE_EXISTS", _C.CONFLICT, _T.CANCEL, None, "8.1.1")
#: The service does not offer the access model asked for (§8.1.2).
UNSUPPORTED_ACCESS_MODEL: Final = _case("UNSUPPORTED_ACCESS_MODEL", _C.NOT_ACCEPTABLE,
                                        _T.MODIFY, _P.UNSUPPORTED_ACCESS_MODEL, "8.1.2")
#: The node has no configuration options (§8.2.3.4).
NOT_ALLOWED: Final = _case("NOT_ALLOWED", _C.NOT_ALLOWED, _T.CANCEL, None, "8.2.3.4")
#: The configuration, or the change of subscriptions or affiliations, cannot be made
#: (it would leave the node without an owner, say).
NOT_ACCEPTABLE: Final = _case("NOT_ACCEPTABLE", _C.NOT_ACCEPTABLE, _T.MODIFY, None,
                              "8.2.5.2", "8.8.2.4", "8.9.2.4")
#: The service runs no ad-hoc commands, so it cannot list pending subscriptions
#: (§8.7.3.1).
SERVICE_UNAVAILABLE: Final = _case("SERVICE_UNAVAILABLE", _C.SERVICE_UNAVAILABLE,
                                   _T.CANCEL, None, "8.7.3.1")

#: Every case, by name.
CASES: Final[Mapping[str, ErrorCase]] = MappingProxyType({case.name: case for case in (
    INVALID_JID, PRESENCE_SUBSCRIPTION_REQUIRED, NOT_IN_ROSTER_GROUP, CLOSED_NODE,
    PENDING_SUBSCRIPTION, TOO_MANY_SUBSCRIPTIONS, UNSUPPORTED, NODE_MOVED, NOT_FOUND,
    FORBIDDEN, CONFIGURATION_REQUIRED, SUBID_REQUIRED, NOT_SUBSCRIBED, INVALID_SUBID,
    JID_REQUIRED, INVALID_OPTIONS, SUBSCRIBERS_ONLY, NODE_FULL, PAYLOAD_TOO_BIG,
    INVALID_PAYLOAD, ITEM_REQUIRED, PAYLOAD_REQUIRED, ITEM_FORBIDDEN, PRECONDITION_NOT_MET,
    MAX_ITEMS_EXCEEDED, NODEID_REQUIRED, INSTANT_NODES_UNSUPPORTED, REGISTRATION_REQUIRED,
    NODE_EXISTS, UNSUPPORTED_ACCESS_MODEL, NOT_ALLOWED, NOT_ACCEPTABLE, SERVICE_UNAVAILABLE,
)})

#: Each case by what tells it: the stanza condition and the application condition.
_BY_SIGNATURE: Final = {(case.condition, case.application): case for case in CASES.values()}


def error(case: ErrorCase, *, feature: Feature | str | None = None,
          address: str | None = None, text: str | None = None, lang: str | None = None,
          by: JID | None = None, type: ErrorType | str | None = None) -> StanzaError:
    """The ``<error/>`` a service sends for ``case``: its stanza condition, with the
    type the XEP uses unless ``type`` says otherwise, and its application condition.

    :data:`UNSUPPORTED` needs the ``feature`` lacking (a :class:`Feature` or its short
    name, ``"publish-options"``); :data:`NODE_MOVED` may give the new node's
    ``address`` (an XMPP URI).  ``text``, ``lang`` and ``by`` are the error's own.
    Answer a request with it through :func:`xepcodec.core.stanzas.error_reply`.
    """
    if not isinstance(case, ErrorCase):
        # (``type`` is the error type here.)
        raise ArgumentTypeError(f"error() takes one of the ErrorCase of xepcodec."
                                f"protocols.pubsub.errors, not {case.__class__.__name__}")
    application: SpecificCondition | Unsupported | None = None
    if case.application is PubSubCondition.UNSUPPORTED:
        if feature is None:
            raise ArgumentValueError("the UNSUPPORTED case names the feature lacking "
                                     "(XEP-0060 §12): give feature=")
        application = Unsupported(feature=_short_name(feature))
    elif feature is not None:
        raise ArgumentValueError(f"only the UNSUPPORTED case names a feature, not {case}")
    elif case.application is not None:
        application = SpecificCondition(condition=case.application)
    if address is not None and case.condition is not Condition.GONE:
        raise ArgumentValueError(f"only the NODE_MOVED case carries an address, not {case}")
    return StanzaError.of(case.condition, type=type if type is not None else case.type,
                          text=text, lang=lang, by=by, address=address,
                          application=application)


def _short_name(feature: Feature | str) -> str:
    if isinstance(feature, Feature):
        return feature.short_name
    if not isinstance(feature, str):
        raise ArgumentTypeError(f"feature is a Feature or a feature's short name, not "
                                f"{type(feature).__name__}")
    return feature


@dataclasses.dataclass(frozen=True)
class PubSubError:
    """A stanza error read as XEP-0060 describes it.

    ``condition`` and ``type`` are the stanza error's; ``application`` its ``#errors``
    condition (None when it carries none, or one of another namespace); ``feature``
    the disco feature an ``<unsupported/>`` names (Prosody's ``<persistent-items/>``
    is read as ``<unsupported feature='persistent-items'/>``, its meaning); ``case``
    the XEP's case these make,
    or None when the XEP describes none such (``internal-server-error``, a bare
    ``bad-request``…).  ``error`` is the whole stanza error, its text included.
    """

    error: StanzaError
    condition: Condition
    type: ErrorType
    application: PubSubCondition | None
    feature: Feature | str | None
    case: ErrorCase | None

    @property
    def text(self) -> str | None:
        """The error's human-readable text, if any."""
        return self.error.text


def pubsub_error(stanza: Iq | Message | Presence | StanzaError) -> PubSubError | None:
    """The XEP-0060 reading of the error a reply carries (an iq, message or presence
    of type ``error``, or its :class:`~xepcodec.core.stanza_errors.StanzaError`), or
    None for a stanza that carries no error."""
    if isinstance(stanza, StanzaError):
        found: StanzaError | None = stanza
    elif isinstance(stanza, Iq | Message | Presence):
        found = stanza.error
    else:
        raise ArgumentTypeError(f"pubsub_error reads a stanza or a StanzaError, not "
                                f"{type(stanza).__name__}")
    if found is None:
        return None
    application: PubSubCondition | None = None
    feature: Feature | str | None = None
    for item in found.application:
        if isinstance(item, Unsupported):
            application, feature = PubSubCondition.UNSUPPORTED, item.disco_feature
        elif isinstance(item, SpecificCondition) \
                and item.condition is PubSubCondition.PERSISTENT_ITEMS:
            # Prosody's <persistent-items/>: the XEP's unsupported persistent-items.
            application, feature = PubSubCondition.UNSUPPORTED, Feature.PERSISTENT_ITEMS
        elif isinstance(item, SpecificCondition):
            application = item.condition
    return PubSubError(error=found, condition=found.condition, type=found.type,
                       application=application, feature=feature,
                       case=_BY_SIGNATURE.get((found.condition, application)))
