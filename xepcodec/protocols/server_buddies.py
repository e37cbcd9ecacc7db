"""XEP-0267: Server Buddies.

Servers can use presence subscriptions among themselves the way users do: a server
that holds a subscription to a peer's presence, or grants one, treats that peer as a
"buddy", a domain it trusts more than strangers.  The XEP adds no new elements.  It
reuses four things, and this module gives each of them a typed helper:

* **Subscription presences between two domains** (RFC 6121 ``subscribe``,
  ``subscribed``, ``unsubscribe``, ``unsubscribed``).  :class:`DomainSubscription`
  is one of them with both addresses checked to be bare domain JIDs: an address with
  a localpart or a resourcepart is refused with a :class:`DomainAddressError`
  (condition ``jid-malformed``) that names the address and what is wrong with it.
  :meth:`DomainSubscription.from_presence` checks a received presence, and
  :meth:`DomainSubscription.presence` builds the stanza to send.
* **The admin ad-hoc command** (XEP-0050, scoped by the XEP-0133 FORM_TYPE
  :data:`ADMIN_FORM_TYPE`) at the node :data:`NODE`: an administrator asks the server
  to subscribe to a peer by filling in one required ``jid-single`` field,
  :data:`PEERJID`.  Builders for each step: :func:`execute_request`,
  :func:`buddy_form`, :func:`form_stage`, :func:`submission`, :func:`submit_request`,
  :func:`result_form`, :func:`completion`, :func:`canceled`; and
  :func:`read_peerjid`, which reads the submitted peer and says precisely what is
  wrong with a bad submission (:class:`SubmissionError`, with the stanza error
  condition to answer with).
* **The disco#info feature** :data:`FEATURE` by which a server advertises support
  (from version 0.4 of the XEP): :func:`disco_feature`, :func:`advertises`, and for
  the command node :func:`command_item` and :func:`command_node_info`.

The state that goes with all this (the server roster and the rules of RFC 6121 for
moving between subscription states) lives in :mod:`xepcodec.machines.server_buddies`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from xepcodec.core.namespaces import CLIENT, SERVER
from xepcodec.core.stanzas import Iq, IqType, Presence, PresenceType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import JIDError, ParseError
from xepcodec.protocols.commands import COMMANDS, Actions, Command, Status
from xepcodec.protocols.commands import IDENTITY_CATEGORY as COMMAND_CATEGORY
from xepcodec.protocols.dataforms import DATA_FORMS, FORM_TYPE, Field, FieldType, Form, FormType
from xepcodec.protocols.disco import Feature, Identity, InfoQuery, Item

__all__ = [
    "ADMIN_FORM_TYPE",
    "FEATURE",
    "NODE",
    "PEERJID",
    "DomainAddressError",
    "DomainSubscription",
    "SubmissionError",
    "SubscriptionType",
    "advertises",
    "buddy_form",
    "canceled",
    "check_domain",
    "command_item",
    "command_node_info",
    "completion",
    "disco_feature",
    "execute_request",
    "form_stage",
    "is_domain_subscription",
    "read_peerjid",
    "result_form",
    "submission",
    "submit_request",
]

#: The service discovery feature a server supporting server buddies advertises.
FEATURE: Final = "urn:xmpp:server-presence"
#: The ad-hoc command node by which an administrator subscribes the server to a peer.
NODE: Final = "http://jabber.org/protocol/admin#server-buddy"
#: The FORM_TYPE of the command's forms: the XEP-0133 service administration namespace.
ADMIN_FORM_TYPE: Final = "http://jabber.org/protocol/admin"
#: The form field holding the peer server's domain.
PEERJID: Final = "peerjid"

_FORM_TITLE: Final = "Subscribing to a peer server"
_FORM_INSTRUCTIONS: Final = ("Give the domain of the peer server this server should "
                             "subscribe to.")
_PEERJID_LABEL: Final = "The domain of the peer server"
_COMMAND_NAME: Final = "Subscribe to a peer server"


# -- domain-to-domain subscriptions --------------------------------------------------------


class SubscriptionType(enum.StrEnum):
    """The four presence types that manage a subscription (RFC 6121 §3)."""

    SUBSCRIBE = "subscribe"
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBE = "unsubscribe"
    UNSUBSCRIBED = "unsubscribed"

    @property
    def presence_type(self) -> PresenceType:
        """The same type as a :class:`~xepcodec.core.stanzas.PresenceType`."""
        return PresenceType(self.value)


_SUBSCRIPTION_TYPES: Final = frozenset(kind.value for kind in SubscriptionType)


class DomainAddressError(ParseError):
    """An address that should name a server (a bare domain JID) but does not, or is
    missing.  The condition is ``jid-malformed``; ``role`` says which address
    (``from``, ``to``, ``peerjid``…) and ``jid`` holds it when there was one."""

    def __init__(self, message: str, *, role: str, jid: JID | None = None) -> None:
        super().__init__(message, condition="jid-malformed", stream=False)
        self.role = role
        self.jid = jid


def check_domain(jid: JID | str | None, role: str = "address") -> JID:
    """``jid`` as a bare domain JID, or :class:`DomainAddressError` naming ``role``.

    A string is parsed first (a malformed one raises the JID's own error, also
    ``jid-malformed``).  A JID with a localpart or a resourcepart names a user or a
    session, not a server, and is refused.
    """
    if jid is None:
        raise DomainAddressError(f"the {role} is missing; a server buddy subscription "
                                 "goes from one server domain to another", role=role)
    parsed = JID.parse(jid) if isinstance(jid, str) else jid
    if parsed.local is not None and parsed.resource is not None:
        problem = "a localpart and a resourcepart"
    elif parsed.local is not None:
        problem = "a localpart"
    elif parsed.resource is not None:
        problem = "a resourcepart"
    else:
        return parsed
    raise DomainAddressError(f"the {role} {str(parsed)!r} has {problem}; a server buddy "
                             f"address is a bare domain such as {parsed.domain!r}",
                             role=role, jid=parsed)


@dataclass(frozen=True, slots=True)
class DomainSubscription:
    """A subscription presence from one server domain to another.

    Both addresses are bare domain JIDs (checked on construction); ``id`` is the
    stanza id, optional as on every presence.
    """

    type: SubscriptionType
    from_: JID
    to: JID
    id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", SubscriptionType(self.type))
        check_domain(self.from_, "'from' address")
        check_domain(self.to, "'to' address")
        if self.from_ == self.to:
            raise DomainAddressError(f"a server cannot manage a subscription with itself "
                                     f"('from' and 'to' are both {str(self.to)!r})",
                                     role="'to' address", jid=self.to)

    @classmethod
    def from_presence(cls, presence: Presence) -> DomainSubscription:
        """The subscription a received presence carries.

        ``ValueError`` when the presence is not a subscription presence at all (use
        :func:`is_domain_subscription` to test first); :class:`DomainAddressError` when
        an address is missing or is not a bare domain.
        """
        if presence.type is None or presence.type.value not in _SUBSCRIPTION_TYPES:
            kind = presence.type.value if presence.type is not None else "available"
            raise ValueError(f"a presence of type {kind!r} is not a subscription presence; "
                             "those are subscribe, subscribed, unsubscribe and unsubscribed")
        return cls(type=SubscriptionType(presence.type.value),
                   from_=check_domain(presence.from_, "'from' address"),
                   to=check_domain(presence.to, "'to' address"), id=presence.id)

    def presence(self, namespace: str = SERVER) -> Presence:
        """The presence stanza, in ``namespace`` (``jabber:server`` by default, the
        namespace of server-to-server streams)."""
        return Presence(namespace=namespace, type=self.type.presence_type, to=self.to,
                        from_=self.from_, id=self.id)

    def reversed(self, type: SubscriptionType | str, id: str | None = None) -> DomainSubscription:
        """A subscription presence of ``type`` going back the other way."""
        return DomainSubscription(type=SubscriptionType(type), from_=self.to, to=self.from_,
                                  id=id)


def is_domain_subscription(presence: Presence) -> bool:
    """Whether ``presence`` is a subscription presence between two bare domains."""
    try:
        DomainSubscription.from_presence(presence)
    except (ValueError, ParseError):
        return False
    return True


# -- the admin command -----------------------------------------------------------------


class SubmissionError(ParseError):
    """A submitted server-buddy form the server cannot act on.  ``condition`` is the
    stanza error to answer with: ``bad-request`` for a missing or repeated peerjid, a
    wrong FORM_TYPE or form type; ``jid-malformed`` for a peerjid that is not a JID or
    not a bare domain."""

    def __init__(self, message: str, *, condition: str) -> None:
        super().__init__(message, condition=condition, stream=False, path="/x")


def buddy_form() -> Form:
    """The form the server returns when the command is executed: the hidden
    FORM_TYPE and the required ``jid-single`` field :data:`PEERJID`."""
    return Form(type=FormType.FORM, title=_FORM_TITLE, instructions=(_FORM_INSTRUCTIONS,),
                fields=(Field.of(FORM_TYPE, ADMIN_FORM_TYPE, type=FieldType.HIDDEN),
                        Field.of(PEERJID, type=FieldType.JID_SINGLE, label=_PEERJID_LABEL,
                                 required=True)))


def submission(peer: JID | str) -> Form:
    """The administrator's filled-in form naming ``peer`` (checked to be a bare
    domain)."""
    domain = check_domain(peer, "peerjid")
    return Form.submit({PEERJID: domain}, form_type=ADMIN_FORM_TYPE)


def result_form(peer: JID | str) -> Form:
    """The optional form of type ``result`` a completion may carry: the data the
    server processed."""
    domain = check_domain(peer, "peerjid")
    return Form(type=FormType.RESULT,
                fields=(Field.of(FORM_TYPE, ADMIN_FORM_TYPE, type=FieldType.HIDDEN),
                        Field.of(PEERJID, domain, type=FieldType.JID_SINGLE,
                                 label=_PEERJID_LABEL)))


def read_peerjid(form: Form | None) -> JID:
    """The peer domain a submitted form names.

    Accepted: a form of type ``submit`` (or ``cancel``, which XEP-0050 asks responders
    to treat as a submission) whose FORM_TYPE, when present, is :data:`ADMIN_FORM_TYPE`,
    and which has exactly one ``peerjid`` value.  Anything else raises
    :class:`SubmissionError` with the condition to answer with.
    """
    if form is None:
        raise SubmissionError("the submission carries no data form; it needs one with the "
                              f"field {PEERJID!r}", condition="bad-request")
    if form.type not in (FormType.SUBMIT, FormType.CANCEL):
        raise SubmissionError(f"the submitted form is of type {form.type}; a submission is "
                              "of type submit", condition="bad-request")
    form_type = form.get(FORM_TYPE)
    if form_type is not None and tuple(form_type.values) != (ADMIN_FORM_TYPE,):
        raise SubmissionError(f"the submitted form's FORM_TYPE is {list(form_type.values)!r}, "
                              f"not {ADMIN_FORM_TYPE!r}", condition="bad-request")
    field = form.get(PEERJID)
    values = tuple(value for value in field.values if value.strip()) if field else ()
    if not values:
        raise SubmissionError(f"the required field {PEERJID!r} has no value; it names the "
                              "peer server", condition="bad-request")
    if len(values) > 1:
        raise SubmissionError(f"the field {PEERJID!r} holds {len(values)} values; it names "
                              "exactly one peer server", condition="bad-request")
    try:
        return check_domain(values[0].strip(), PEERJID)
    except JIDError as error:
        raise SubmissionError(f"the {PEERJID} {values[0]!r} is not a valid JID: "
                              f"{error.message}", condition="jid-malformed") from None
    except DomainAddressError as error:
        raise SubmissionError(error.message, condition="jid-malformed") from None


def execute_request(*, id: str, server: JID | str, admin: JID | str | None = None,
                    lang: str | None = None, namespace: str = CLIENT) -> Iq:
    """The administrator's iq ``set`` that starts the command on ``server``."""
    return Iq(namespace=namespace, type=IqType.SET, id=id, to=_jid(server),
              from_=_jid(admin) if admin is not None else None, lang=lang,
              extensions=(Command.execute(NODE),))


def form_stage(request: Command, sessionid: str, *, lang: str | None = None) -> Command:
    """The server's answer to the execute request: a new session, still executing,
    offering ``complete`` (the only stage left) and carrying :func:`buddy_form`.
    ``lang`` is the session's language (default: the request's)."""
    return request.reply(status=Status.EXECUTING, sessionid=sessionid,
                         actions=Actions.of("complete", execute="complete"),
                         payload=(buddy_form(),), lang=lang)


def submit_request(stage: Command, peer: JID | str) -> Command:
    """The administrator's submission continuing the session of ``stage`` (the form
    stage the server answered with), naming ``peer``."""
    return stage.proceed("complete", payload=(submission(peer),))


def completion(request: Command, *, peer: JID | str | None = None,
               lang: str | None = None) -> Command:
    """The server's answer ending the session: completed, with the processed data as
    a :func:`result_form` when ``peer`` is given."""
    payload = (result_form(peer),) if peer is not None else ()
    return request.reply(status=Status.COMPLETED, payload=payload, lang=lang)


def canceled(request: Command, *, lang: str | None = None) -> Command:
    """The server's answer to a request canceling the session."""
    return request.reply(status=Status.CANCELED, lang=lang)


# -- service discovery --------------------------------------------------------------------


def disco_feature() -> Feature:
    """The ``<feature/>`` that advertises support."""
    return Feature(var=FEATURE)


def advertises(info: InfoQuery) -> bool:
    """Whether a disco#info result advertises server buddies."""
    return info.has_feature(FEATURE)


def command_item(server: JID | str) -> Item:
    """The disco#items entry listing the command on ``server``'s command list."""
    return Item(jid=_jid(server), node=NODE, name=_COMMAND_NAME)


def command_node_info() -> InfoQuery:
    """The disco#info answer for the command node itself (XEP-0050 §2.3): a command
    node that takes a data form."""
    return InfoQuery(node=NODE,
                     identities=(Identity(category=COMMAND_CATEGORY, type="command-node",
                                          name=_COMMAND_NAME),),
                     features=(Feature(var=COMMANDS), Feature(var=DATA_FORMS)))


def _jid(value: JID | str) -> JID:
    return JID.parse(value) if isinstance(value, str) else value
