"""The server roster of XEP-0267 (Server Buddies), as a sans-IO machine.

:class:`ServerBuddies` keeps, for one local domain, the RFC 6121 subscription state
with every peer domain (:class:`State`), moved by the two tables below and by nothing
else.  ``docs/server-buddies.md`` is the manual; ``docs/machines.md`` the convention.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar, Final, TypeAlias, TypeVar, cast

from xepcodec.api import serialize
from xepcodec.core.namespaces import SERVER, STANZA_NAMESPACES
from xepcodec.core.stanza_errors import Condition, ErrorType, StanzaError
from xepcodec.core.stanzas import Iq, IqType, Presence, PresenceType, error_reply
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, JIDError, ParseError, ProtocolError
from xepcodec.machines.base import (
    Event,
    IdSource,
    Ignored,
    Send,
    SnapshotFormat,
    Transitions,
    as_jid,
    from_json,
    to_json,
)
from xepcodec.protocols.commands import (
    FEATURE as COMMANDS_FEATURE,
)
from xepcodec.protocols.commands import (
    Action,
    Command,
    CommandCondition,
    stanza_error_for,
)
from xepcodec.protocols.dataforms import Form
from xepcodec.protocols.disco import InfoQuery, Item
from xepcodec.protocols.server_buddies import (
    FEATURE,
    NODE,
    DomainAddressError,
    DomainSubscription,
    SubmissionError,
    SubscriptionType,
    canceled,
    check_domain,
    command_item,
    command_node_info,
    completion,
    form_stage,
    read_peerjid,
)

__all__ = [
    "AUTO_APPROVE_ALL",
    "ApprovalNeeded",
    "Approved",
    "Authorization",
    "AuthorizationSource",
    "BuddiesEvent",
    "Config",
    "NotAuthorizedError",
    "PeerError",
    "RosterChanged",
    "ServerBuddies",
    "State",
    "SubscribeAuthorized",
    "Subscription",
    "Trust",
    "Version",
    "inbound_rule",
    "outbound_rule",
]

R = TypeVar("R")
#: What the machine does with a stanza it takes (see ``ServerBuddies._triage``).
_Step: TypeAlias = Callable[[], list[Event]]

#: Version 2 remembers received presences by digest; version 1 kept their ids, which
#: are not carried over (they would not be recognised).
_SNAPSHOT: Final = SnapshotFormat("xepcodec.server-buddies", 2, readable=frozenset({1}))
_SESSION_PREFIX: Final = "server-buddy:"
#: How many ended command sessions are remembered, to tell "expired" from "unknown".
_ENDED_MEMORY: Final = 64
#: For how many peers (the most recent) received presences are remembered.
_SEEN_PEERS: Final = 1024
#: Bytes of the digest by which a received presence is remembered: a fixed size, so
#: that a peer choosing long ids or long stanzas cannot make the memory grow.
_DIGEST_SIZE: Final = 16

#: The value of :attr:`Config.auto_approve` that approves every domain.
AUTO_APPROVE_ALL: Final = "all"


class Version(enum.StrEnum):
    """Which published version of XEP-0267 the machine follows."""

    #: 2009: every inbound request needs an administrator; no command, no feature.
    V0_1 = "0.1"
    #: 2012: auto-approval if configured; the admin command; the disco feature.
    V0_5 = "0.5"


class Subscription(enum.StrEnum):
    """Who receives whose presence: ``to`` means this server is subscribed to the
    peer's presence, ``from`` that the peer is subscribed to this server's."""

    NONE = "none"
    TO = "to"
    FROM = "from"
    BOTH = "both"


class State(enum.StrEnum):
    """The nine subscription states of RFC 6121, from this server's side.

    ``pending-out``: this server asked for the peer's presence and awaits an answer.
    ``pending-in``: the peer asked for this server's presence and awaits an answer.
    """

    NONE = "none"
    NONE_PENDING_OUT = "none+pending-out"
    NONE_PENDING_IN = "none+pending-in"
    NONE_PENDING_OUT_IN = "none+pending-out+in"
    TO = "to"
    TO_PENDING_IN = "to+pending-in"
    FROM = "from"
    FROM_PENDING_OUT = "from+pending-out"
    BOTH = "both"

    @property
    def subscription(self) -> Subscription:
        return Subscription(self.value.partition("+")[0])

    @property
    def pending_out(self) -> bool:
        return self in _PENDING_OUT

    @property
    def pending_in(self) -> bool:
        return self in _PENDING_IN

    @property
    def mirror(self) -> State:
        """The state the peer holds when the two servers agree: ``to`` and ``from``
        swapped, ``pending-out`` and ``pending-in`` swapped."""
        return _MIRROR[self]

    @classmethod
    def of(cls, subscription: Subscription | str, *, pending_out: bool = False,
           pending_in: bool = False) -> State:
        """The state with these parts; ``ValueError`` for a combination RFC 6121 does
        not have (a request pending for a subscription already held)."""
        for state in cls:
            if (state.subscription == subscription and state.pending_out == pending_out
                    and state.pending_in == pending_in):
                return state
        raise ValueError(f"there is no subscription state {subscription} with "
                         f"pending-out={pending_out} and pending-in={pending_in}: a request "
                         "cannot be pending for a subscription already held")


_PENDING_OUT: Final = frozenset({State.NONE_PENDING_OUT, State.NONE_PENDING_OUT_IN,
                                 State.FROM_PENDING_OUT})
_PENDING_IN: Final = frozenset({State.NONE_PENDING_IN, State.NONE_PENDING_OUT_IN,
                                State.TO_PENDING_IN})
_MIRROR: Final = MappingProxyType({
    State.NONE: State.NONE,
    State.NONE_PENDING_OUT: State.NONE_PENDING_IN,
    State.NONE_PENDING_IN: State.NONE_PENDING_OUT,
    State.NONE_PENDING_OUT_IN: State.NONE_PENDING_OUT_IN,
    State.TO: State.FROM,
    State.TO_PENDING_IN: State.FROM_PENDING_OUT,
    State.FROM: State.TO,
    State.FROM_PENDING_OUT: State.TO_PENDING_IN,
    State.BOTH: State.BOTH,
})


# -- the RFC 6121 tables ------------------------------------------------------------------
#
# Written as the RFC writes them, one column per presence type, state by state, so that
# each row can be read against the RFC; looked up as (state, presence type).  For a
# stanza the server sends: (is it routed to the peer?, the new state).  For one that
# arrives: (what the server does with it, the new state).  Every state takes every
# type; what is not a subscription presence is refused by the tables themselves.

_S = State


class _Inbound(enum.Enum):
    #: a real change: report it to the caller
    ACCEPT = "accept"
    #: redundant or out of order: drop it silently
    DROP = "drop"
    #: a request for a subscription already granted: answer "subscribed" at once
    CONFIRM = "confirm"


def _table(name: str, columns: Mapping[SubscriptionType, Mapping[State, R]]
           ) -> Transitions[State, SubscriptionType, R]:
    return Transitions(name, {(state, kind): outcome for kind, column in columns.items()
                              for state, outcome in column.items()})


_OUTBOUND: Final = _table("server buddies, sending", {
    # Asking for the peer's presence.  Always routed; adds pending-out unless the
    # subscription is already held.
    SubscriptionType.SUBSCRIBE: {
        _S.NONE: (True, _S.NONE_PENDING_OUT),
        _S.NONE_PENDING_OUT: (True, _S.NONE_PENDING_OUT),
        _S.NONE_PENDING_IN: (True, _S.NONE_PENDING_OUT_IN),
        _S.NONE_PENDING_OUT_IN: (True, _S.NONE_PENDING_OUT_IN),
        _S.TO: (True, _S.TO),
        _S.TO_PENDING_IN: (True, _S.TO_PENDING_IN),
        _S.FROM: (True, _S.FROM_PENDING_OUT),
        _S.FROM_PENDING_OUT: (True, _S.FROM_PENDING_OUT),
        _S.BOTH: (True, _S.BOTH),
    },
    # Giving up the peer's presence, or the request for it.  Always routed.
    SubscriptionType.UNSUBSCRIBE: {
        _S.NONE: (True, _S.NONE),
        _S.NONE_PENDING_OUT: (True, _S.NONE),
        _S.NONE_PENDING_IN: (True, _S.NONE_PENDING_IN),
        _S.NONE_PENDING_OUT_IN: (True, _S.NONE_PENDING_IN),
        _S.TO: (True, _S.NONE),
        _S.TO_PENDING_IN: (True, _S.NONE_PENDING_IN),
        _S.FROM: (True, _S.FROM),
        _S.FROM_PENDING_OUT: (True, _S.FROM),
        _S.BOTH: (True, _S.FROM),
    },
    # Granting the peer's request.  Only routed when there is one to grant.
    SubscriptionType.SUBSCRIBED: {
        _S.NONE: (False, _S.NONE),
        _S.NONE_PENDING_OUT: (False, _S.NONE_PENDING_OUT),
        _S.NONE_PENDING_IN: (True, _S.FROM),
        _S.NONE_PENDING_OUT_IN: (True, _S.FROM_PENDING_OUT),
        _S.TO: (False, _S.TO),
        _S.TO_PENDING_IN: (True, _S.BOTH),
        _S.FROM: (False, _S.FROM),
        _S.FROM_PENDING_OUT: (False, _S.FROM_PENDING_OUT),
        _S.BOTH: (False, _S.BOTH),
    },
    # Refusing the peer's request or withdrawing its subscription.  Only routed when
    # there is one of the two.
    SubscriptionType.UNSUBSCRIBED: {
        _S.NONE: (False, _S.NONE),
        _S.NONE_PENDING_OUT: (False, _S.NONE_PENDING_OUT),
        _S.NONE_PENDING_IN: (True, _S.NONE),
        _S.NONE_PENDING_OUT_IN: (True, _S.NONE_PENDING_OUT),
        _S.TO: (False, _S.TO),
        _S.TO_PENDING_IN: (True, _S.TO),
        _S.FROM: (True, _S.NONE),
        _S.FROM_PENDING_OUT: (True, _S.NONE_PENDING_OUT),
        _S.BOTH: (True, _S.TO),
    },
})

_INBOUND: Final = _table("server buddies, receiving", {
    # The peer asks for this server's presence.
    SubscriptionType.SUBSCRIBE: {
        _S.NONE: (_Inbound.ACCEPT, _S.NONE_PENDING_IN),
        _S.NONE_PENDING_OUT: (_Inbound.ACCEPT, _S.NONE_PENDING_OUT_IN),
        _S.NONE_PENDING_IN: (_Inbound.DROP, _S.NONE_PENDING_IN),
        _S.NONE_PENDING_OUT_IN: (_Inbound.DROP, _S.NONE_PENDING_OUT_IN),
        _S.TO: (_Inbound.ACCEPT, _S.TO_PENDING_IN),
        _S.TO_PENDING_IN: (_Inbound.DROP, _S.TO_PENDING_IN),
        _S.FROM: (_Inbound.CONFIRM, _S.FROM),
        _S.FROM_PENDING_OUT: (_Inbound.CONFIRM, _S.FROM_PENDING_OUT),
        _S.BOTH: (_Inbound.CONFIRM, _S.BOTH),
    },
    # The peer gives up this server's presence, or its request for it.
    SubscriptionType.UNSUBSCRIBE: {
        _S.NONE: (_Inbound.DROP, _S.NONE),
        _S.NONE_PENDING_OUT: (_Inbound.DROP, _S.NONE_PENDING_OUT),
        _S.NONE_PENDING_IN: (_Inbound.ACCEPT, _S.NONE),
        _S.NONE_PENDING_OUT_IN: (_Inbound.ACCEPT, _S.NONE_PENDING_OUT),
        _S.TO: (_Inbound.DROP, _S.TO),
        _S.TO_PENDING_IN: (_Inbound.ACCEPT, _S.TO),
        _S.FROM: (_Inbound.ACCEPT, _S.NONE),
        _S.FROM_PENDING_OUT: (_Inbound.ACCEPT, _S.NONE_PENDING_OUT),
        _S.BOTH: (_Inbound.ACCEPT, _S.TO),
    },
    # The peer grants this server's request; without one pending it means nothing.
    SubscriptionType.SUBSCRIBED: {
        _S.NONE: (_Inbound.DROP, _S.NONE),
        _S.NONE_PENDING_OUT: (_Inbound.ACCEPT, _S.TO),
        _S.NONE_PENDING_IN: (_Inbound.DROP, _S.NONE_PENDING_IN),
        _S.NONE_PENDING_OUT_IN: (_Inbound.ACCEPT, _S.TO_PENDING_IN),
        _S.TO: (_Inbound.DROP, _S.TO),
        _S.TO_PENDING_IN: (_Inbound.DROP, _S.TO_PENDING_IN),
        _S.FROM: (_Inbound.DROP, _S.FROM),
        _S.FROM_PENDING_OUT: (_Inbound.ACCEPT, _S.BOTH),
        _S.BOTH: (_Inbound.DROP, _S.BOTH),
    },
    # The peer refuses this server's request or withdraws its subscription.
    SubscriptionType.UNSUBSCRIBED: {
        _S.NONE: (_Inbound.DROP, _S.NONE),
        _S.NONE_PENDING_OUT: (_Inbound.ACCEPT, _S.NONE),
        _S.NONE_PENDING_IN: (_Inbound.DROP, _S.NONE_PENDING_IN),
        _S.NONE_PENDING_OUT_IN: (_Inbound.ACCEPT, _S.NONE_PENDING_IN),
        _S.TO: (_Inbound.ACCEPT, _S.NONE),
        _S.TO_PENDING_IN: (_Inbound.ACCEPT, _S.NONE_PENDING_IN),
        _S.FROM: (_Inbound.DROP, _S.FROM),
        _S.FROM_PENDING_OUT: (_Inbound.ACCEPT, _S.FROM),
        _S.BOTH: (_Inbound.ACCEPT, _S.FROM),
    },
})


for _table_ in (_OUTBOUND, _INBOUND):
    assert set(_table_.rows) == set(itertools.product(State, SubscriptionType)), \
        "every state takes every subscription presence"
del _table_


def outbound_rule(kind: SubscriptionType | str, state: State | str) -> tuple[bool, State]:
    """RFC 6121's rule for a subscription presence this server sends in ``state``:
    whether it goes to the peer, and the new state.  ProtocolError for anything that
    is not a subscription presence type or a state."""
    # A StrEnum member and its value are the same key: the table takes either.
    return _OUTBOUND(cast(State, state), cast(SubscriptionType, kind))


def inbound_rule(kind: SubscriptionType | str, state: State | str) -> tuple[str, State]:
    """RFC 6121's rule for a subscription presence that arrives in ``state``: what
    the server does (``accept``, ``drop`` or ``confirm``: answer ``subscribed``), and
    the new state.  ProtocolError for anything that is not a subscription presence
    type or a state."""
    effect, after = _INBOUND(cast(State, state), cast(SubscriptionType, kind))
    return effect.value, after


# -- configuration ---------------------------------------------------------------------


class Trust(enum.StrEnum):
    """When :meth:`ServerBuddies.is_trusted` calls a peer a buddy."""

    #: subscriptions both ways (the XEP's "buddies")
    MUTUAL = "mutual"
    #: the peer holds a subscription this server granted (``from`` or ``both``)
    GRANTED = "granted"
    #: any established subscription (``to``, ``from`` or ``both``)
    ANY = "any"


_TRUSTED: Final = MappingProxyType({
    Trust.MUTUAL: frozenset({Subscription.BOTH}),
    Trust.GRANTED: frozenset({Subscription.FROM, Subscription.BOTH}),
    Trust.ANY: frozenset({Subscription.TO, Subscription.FROM, Subscription.BOTH}),
})

#: Domains, or :data:`AUTO_APPROVE_ALL` (the only string :class:`Config` takes).
AutoApprove: TypeAlias = frozenset[JID] | str


@dataclass(frozen=True, slots=True)
class Config:
    """How a machine behaves.  Values are checked and normalized on construction.

    ``admins``: the JIDs allowed to authorize (compared as bare JIDs).
    ``auto_approve``: domains whose requests are approved without an administrator, or
    ``"all"`` (version 0.5 only).  ``approve_reciprocal``: approve at once a request
    from a peer this server itself asked to be buddies with (``to`` or
    ``pending-out``); ``None`` means on for 0.5, off for 0.1 (where it cannot be on).
    ``reciprocate``: after approving a request, ask for the peer's presence in return.
    ``trust``: the rule of :meth:`ServerBuddies.is_trusted`.  ``result_form``: the
    command's completion carries the processed data as a form.  ``max_sessions``: open
    command sessions kept; beyond it the oldest expires.  ``duplicate_memory``: how
    many received subscription presences are remembered per peer to drop copies
    (0: none).  ``namespace``: the stanza namespace of the presences the machine sends
    (``jabber:server`` for a server, ``jabber:component:accept`` for a component).
    """

    version: Version = Version.V0_5
    admins: frozenset[JID] = frozenset()
    auto_approve: AutoApprove = frozenset()
    approve_reciprocal: bool | None = None
    reciprocate: bool = True
    trust: Trust = Trust.MUTUAL
    result_form: bool = False
    max_sessions: int = 32
    duplicate_memory: int = 32
    namespace: str = SERVER

    def __post_init__(self) -> None:
        try:
            version = Version(self.version)
            object.__setattr__(self, "trust", Trust(self.trust))
        except ValueError as error:
            raise ArgumentValueError(str(error)) from None
        object.__setattr__(self, "version", version)
        try:
            admins = frozenset(as_jid(admin, "an admin").bare for admin in self.admins)
        except ParseError as error:
            raise ArgumentValueError(f"an admin is not a valid JID: {error.message}") from None
        object.__setattr__(self, "admins", admins)
        auto = self.auto_approve
        if isinstance(auto, str):
            if auto != AUTO_APPROVE_ALL:
                raise ArgumentValueError(f"auto_approve is a collection of domains or "
                                         f"{AUTO_APPROVE_ALL!r}, not {auto!r}")
        else:
            try:
                auto = frozenset(check_domain(domain, "auto_approve domain") for domain in auto)
            except ParseError as error:
                raise ArgumentValueError(error.message) from None
            object.__setattr__(self, "auto_approve", auto)
        if version is Version.V0_1:
            if auto:
                raise ArgumentValueError("version 0.1 of XEP-0267 requires an administrator to "
                                         "approve every request, so auto_approve must stay empty")
            if self.approve_reciprocal:
                raise ArgumentValueError("version 0.1 of XEP-0267 requires an administrator to "
                                         "approve every request, so approve_reciprocal cannot "
                                         "be on")
        _check_count("max_sessions", self.max_sessions, minimum=1)
        _check_count("duplicate_memory", self.duplicate_memory, minimum=0)
        if self.namespace not in STANZA_NAMESPACES:
            raise ArgumentValueError(f"namespace must be one of {', '.join(STANZA_NAMESPACES)}"
                                     f", not {self.namespace!r}")

    @property
    def approves_reciprocal(self) -> bool:
        """Whether requests from peers this server asked are approved at once."""
        if self.approve_reciprocal is None:
            return self.version is Version.V0_5
        return self.approve_reciprocal

    def auto_approves(self, peer: JID) -> bool:
        """Whether the configuration approves requests from ``peer`` by itself."""
        if self.auto_approve == AUTO_APPROVE_ALL:
            return True
        return peer in self.auto_approve


def _check_count(name: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ArgumentValueError(f"{name} must be an integer of at least {minimum}, "
                                 f"not {value!r}")


# -- events ----------------------------------------------------------------------------


class AuthorizationSource(enum.StrEnum):
    """Where the authority to send a ``subscribe`` (or to approve a request) came
    from."""

    #: an administrator submitted the ad-hoc command
    COMMAND = "command"
    #: an administrator called a method of the machine
    CALL = "call"
    #: the reciprocal request after an approval (by the approving administrator, or by
    #: the configuration when no administrator was involved)
    RECIPROCAL = "reciprocal"
    #: the configuration's allow-list (or "all")
    AUTO_APPROVE = "auto-approve"
    #: the peer's request answers a request this server's administrator made
    OWN_REQUEST = "own-request"


@dataclass(frozen=True, slots=True)
class Authorization:
    """Who allowed an action: the source, and the administrator (bare JID) when one
    acted, with the command session it acted in."""

    source: AuthorizationSource
    admin: JID | None = None
    session: str | None = None


@dataclass(frozen=True, slots=True)
class BuddiesEvent(Event):
    """The base of this machine's own events.  What it returns besides them are the
    shared :class:`~xepcodec.machines.base.Send` and
    :class:`~xepcodec.machines.base.Ignored`."""


@dataclass(frozen=True, slots=True)
class RosterChanged(BuddiesEvent):
    """The subscription state with ``peer`` changed."""

    peer: JID
    before: State
    after: State


@dataclass(frozen=True, slots=True)
class ApprovalNeeded(BuddiesEvent):
    """``peer`` asks for this server's presence and an administrator has to answer
    (with :meth:`ServerBuddies.approve` or :meth:`ServerBuddies.deny`).  ``request`` is
    the presence that asked."""

    peer: JID
    request: Presence


@dataclass(frozen=True, slots=True)
class Approved(BuddiesEvent):
    """This server granted ``peer``'s request, on ``authorization``."""

    peer: JID
    authorization: Authorization


@dataclass(frozen=True, slots=True)
class SubscribeAuthorized(BuddiesEvent):
    """A ``subscribe`` to ``peer`` follows, on ``authorization``.  Every ``subscribe``
    the machine sends comes right after one of these."""

    peer: JID
    authorization: Authorization


@dataclass(frozen=True, slots=True)
class PeerError(BuddiesEvent):
    """``peer`` answered a presence with an error (it may be unreachable); the state
    is unchanged.  ``error`` is the error presence."""

    peer: JID
    error: Presence


class NotAuthorizedError(ProtocolError):
    """The JID given as administrator is not one (see :attr:`Config.admins`)."""


# -- the machine ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Session:
    """An open command session."""

    id: str
    requester: JID
    #: the language the session started in (XEP-0050: the first one given applies)
    lang: str | None


@dataclass(frozen=True, slots=True)
class _Saved:
    """What a snapshot holds, besides its envelope."""

    domain: JID
    config: Config
    roster: dict[JID, State]
    sessions: tuple[_Session, ...]
    ended_sessions: tuple[str, ...]
    #: each peer's digests of its received subscription presences, most recent peer last
    received: tuple[tuple[JID, tuple[str, ...]], ...]
    #: the default id counter's next value; None when the caller supplies ids
    next_id: int | None


class ServerBuddies:
    """The server roster of one local domain (see ``docs/server-buddies.md``).

    ``domain`` is the server's domain; ``config`` its :class:`Config`; ``ids`` a
    callable returning a fresh id each call (stanza ids and command session ids), by
    default a counter saved with the snapshot.
    """

    #: The iq payloads it answers: the server-buddy command, and disco#info about the
    #: command's node (the domain's own disco#info is built from :meth:`disco_features`).
    payloads: ClassVar[tuple[type, ...]] = (Command, InfoQuery)

    def __init__(self, domain: JID | str, config: Config | None = None, *,
                 ids: Callable[[], str] | None = None) -> None:
        try:
            self._domain = check_domain(as_jid(domain, "the local domain"), "local domain")
        except ParseError as error:
            raise ArgumentValueError(error.message) from None
        self._config = config if config is not None else Config()
        self._ids = IdSource(ids, "sb")
        self._roster: dict[JID, State] = {}
        self._sessions: dict[str, _Session] = {}
        self._ended: list[str] = []
        # peer -> digests of its last subscription presences, most recent peer last
        self._seen: dict[JID, list[str]] = {}

    # -- reading ------------------------------------------------------------------------

    @property
    def domain(self) -> JID:
        return self._domain

    @property
    def config(self) -> Config:
        return self._config

    def reconfigure(self, config: Config) -> None:
        """Use ``config`` from now on.  Requests already waiting stay waiting."""
        self._config = config

    def state(self, peer: JID | str) -> State:
        """The subscription state with ``peer`` (``none`` for a domain not on the
        roster)."""
        return self._roster.get(as_jid(peer, "a peer"), State.NONE)

    def roster(self) -> Mapping[JID, State]:
        """Every peer whose state is not ``none``, ordered by domain (read-only)."""
        return MappingProxyType(dict(sorted(self._roster.items(), key=lambda kv: str(kv[0]))))

    def pending_approvals(self) -> tuple[JID, ...]:
        """The peers whose requests wait for an administrator, ordered by domain."""
        return tuple(peer for peer, state in self.roster().items() if state.pending_in)

    def is_trusted(self, peer: JID | str) -> bool:
        """Whether ``peer`` is a buddy under :attr:`Config.trust`.  Only a bare domain
        can be one: any other address is not trusted."""
        jid = as_jid(peer, "a peer")
        if not jid.is_domain:
            return False
        return self.state(jid).subscription in _TRUSTED[self._config.trust]

    def is_admin(self, jid: JID | str | None) -> bool:
        """Whether ``jid`` (compared as a bare JID) is an administrator."""
        return jid is not None and as_jid(jid, "an admin").bare in self._config.admins

    # -- what arrives -------------------------------------------------------------------

    def accepts(self, stanza: object) -> bool:
        """Whether ``stanza`` is for this machine: a subscription presence or an error
        presence between this domain and a peer domain, an iq get or set carrying the
        server-buddy command, or a disco#info get about the command's node."""
        return not isinstance(self._triage(stanza), str)

    def receive(self, stanza: object, *, now: datetime | None = None) -> list[Event]:
        """Process one received stanza; the events say what happened and what to send.

        Subscription presences between this domain and a peer domain move the roster;
        error presences from a peer are reported; iqs carrying the server-buddy command
        run the command; a disco#info get about the command's node is answered.
        Everything else is :class:`~xepcodec.machines.base.Ignored`.  The machine keeps
        no time: ``now`` is not used.
        """
        step = self._triage(stanza)
        return [Ignored(stanza, step)] if isinstance(step, str) else step()

    def _triage(self, stanza: object) -> _Step | str:
        """The step that takes ``stanza``, or why there is none: what :meth:`accepts`
        and :meth:`receive` both go by."""
        if isinstance(stanza, Presence):
            return self._triage_presence(stanza)
        if not isinstance(stanza, Iq):
            return "not a presence or iq stanza"
        payload = stanza.payload
        if not isinstance(payload, Command | InfoQuery) or payload.node != NODE:
            return "neither the server-buddy command nor disco#info about its node"
        if stanza.to is not None and stanza.to != self._domain:
            return f"addressed to {stanza.to}, not to {self._domain}"
        if stanza.type not in (IqType.GET, IqType.SET):
            return f"an iq {stanza.type} needs no answer"
        if isinstance(payload, InfoQuery):
            if stanza.type is not IqType.GET:
                return "disco#info is asked with an iq of type get"
            if self._config.version is not Version.V0_5:
                return "version 0.1 of XEP-0267 has no command node to describe"
            return functools.partial(self._answer_node_info, stanza)
        return functools.partial(self._run_command, stanza, payload)

    def _triage_presence(self, presence: Presence) -> _Step | str:
        if presence.type is PresenceType.ERROR:
            if presence.to is not None and presence.to != self._domain:
                return f"addressed to {presence.to}, not to {self._domain}"
            if presence.from_ is None or not presence.from_.is_domain:
                return "an error presence that does not come from a server domain"
            return functools.partial(self._bounced, presence.from_, presence)
        try:
            request = DomainSubscription.from_presence(presence)
        except (ValueError, ParseError) as error:
            reason = error.message if isinstance(error, ParseError) else str(error)
            return f"not a server buddy subscription: {reason}"
        if request.to != self._domain:
            return f"addressed to {request.to}, not to {self._domain}"
        return functools.partial(self._inbound, request, presence)

    @staticmethod
    def _bounced(peer: JID, presence: Presence) -> list[Event]:
        return [PeerError(peer, presence)]

    def _seen_before(self, request: DomainSubscription, presence: Presence) -> bool:
        """Whether ``presence`` is a copy of one received from the same peer (the same
        stanza, id included) and still remembered; if not, remember it.

        What is remembered is a digest of the stanza, of a fixed size whatever the
        peer puts in it.  A presence without an id is never taken for a copy: the
        same presence sent twice on purpose would look the same.
        """
        memory = self._config.duplicate_memory
        if request.id is None or memory == 0:
            return False
        digest = hashlib.blake2b(serialize(presence), digest_size=_DIGEST_SIZE).hexdigest()
        seen = self._seen.pop(request.from_, [])
        self._seen[request.from_] = seen  # now the most recent peer
        if digest in seen:
            return True
        seen.append(digest)
        del seen[:-memory]
        while len(self._seen) > _SEEN_PEERS:
            del self._seen[next(iter(self._seen))]
        return False

    def _answered(self, peer: JID, events: list[Event]) -> list[Event]:
        """``events`` of a call of the caller's: when it moved the state with ``peer``,
        the presences received from the peer so far have had their answer, and are
        forgotten (see the documentation on duplicates)."""
        if any(isinstance(event, RosterChanged) for event in events):
            self._seen.pop(peer, None)
        return events

    def new_stream(self, peer: JID | str) -> None:
        """Tell the machine that a stream from ``peer`` began which does not resume an
        earlier one (a resumed stream, XEP-0198, is the same stream).  Stanza ids are
        unique within a stream only (RFC 6120 §8.1.3), so the presences remembered
        from the peer are forgotten: a peer that restarted may use the same ids again.

        ProtocolError when ``peer`` is not a peer server's domain.
        """
        self._seen.pop(self._peer(peer), None)

    def _inbound(self, request: DomainSubscription, presence: Presence) -> list[Event]:
        peer = request.from_
        before = self.state(peer)
        effect, after = _INBOUND(before, request.type)
        if effect is _Inbound.CONFIRM:
            # The peer already holds the subscription: confirm it again, on the
            # server's own authority (RFC 6121 §3.1.3).  Copies too: the answer
            # changes nothing here, and a peer that lost its state needs it.
            return [self._send(SubscriptionType.SUBSCRIBED, peer)]
        if self._seen_before(request, presence):
            return [Ignored(presence, f"a duplicate of the {request.type} {request.id!r} "
                                      f"already received from {peer}")]
        if effect is _Inbound.DROP:
            return [Ignored(presence, f"a {request.type} from {peer} means nothing in state "
                                      f"{before} (RFC 6121 drops it)")]
        events: list[Event] = []
        self._set(peer, after, events)
        if request.type is SubscriptionType.SUBSCRIBE:
            events.extend(self._on_request(peer, presence))
        return events

    def _on_request(self, peer: JID, presence: Presence) -> list[Event]:
        """A new request from ``peer`` is pending: approve it if the configuration
        says so, or ask an administrator."""
        config = self._config
        state = self.state(peer)
        if config.version is Version.V0_5 and config.auto_approves(peer):
            return self._grant(peer, Authorization(AuthorizationSource.AUTO_APPROVE))
        if config.approves_reciprocal and (state.pending_out or
                                           state.subscription is Subscription.TO):
            return self._grant(peer, Authorization(AuthorizationSource.OWN_REQUEST))
        return [ApprovalNeeded(peer, presence)]

    # -- the command -----------------------------------------------------------------------

    def _run_command(self, iq: Iq, command: Command) -> list[Event]:
        if iq.type is not IqType.SET:
            return [_error(iq, StanzaError.of(
                Condition.BAD_REQUEST, text="ad-hoc commands are run with an iq of type set"))]
        if self._config.version is Version.V0_1:
            return [_error(iq, StanzaError.of(
                Condition.FEATURE_NOT_IMPLEMENTED,
                text="version 0.1 of XEP-0267 has no server-buddy command"))]
        requester = iq.from_
        if requester is None or not self.is_admin(requester):
            return [_forbidden(iq)]
        if command.sessionid is None:
            return self._start_session(iq, command, requester)
        session = self._sessions.get(command.sessionid)
        if session is None:
            specific = (CommandCondition.SESSION_EXPIRED if command.sessionid in self._ended
                        else CommandCondition.BAD_SESSIONID)
            return [_error(iq, stanza_error_for(specific))]
        if session.requester != requester:
            return [_error(iq, stanza_error_for(
                CommandCondition.BAD_SESSIONID,
                text="this session belongs to another requester"))]
        action = command.effective_action
        if action is Action.CANCEL:
            self._end_session(session.id)
            return [Send(iq.result(canceled(command, lang=session.lang)))]
        if action in (Action.PREV, Action.NEXT):
            return [_error(iq, stanza_error_for(
                CommandCondition.BAD_ACTION,
                text=f"the command has a single stage; {action} is not offered"))]
        return self._submit(iq, command, session)

    def _start_session(self, iq: Iq, command: Command, requester: JID) -> list[Event]:
        if command.effective_action is not Action.EXECUTE:
            return [_error(iq, stanza_error_for(
                CommandCondition.MALFORMED_ACTION,
                text=f"{command.effective_action} needs a session; start with execute"))]
        sessionid = self._new_session_id()
        lang = command.lang or iq.lang
        self._sessions[sessionid] = _Session(sessionid, requester, lang)
        while len(self._sessions) > self._config.max_sessions:
            self._end_session(next(iter(self._sessions)))
        return [Send(iq.result(form_stage(command, sessionid, lang=lang)))]

    def _new_session_id(self) -> str:
        while True:
            sessionid = _SESSION_PREFIX + self._ids()
            if sessionid not in self._sessions and sessionid not in self._ended:
                return sessionid

    def _end_session(self, sessionid: str) -> None:
        self._sessions.pop(sessionid, None)
        self._ended.append(sessionid)
        del self._ended[:-_ENDED_MEMORY]

    def _submit(self, iq: Iq, command: Command, session: _Session) -> list[Event]:
        try:
            peer = read_peerjid(command.find(Form))
        except SubmissionError as problem:
            if problem.condition == Condition.BAD_REQUEST:
                error = stanza_error_for(CommandCondition.BAD_PAYLOAD, text=problem.message)
            else:
                error = StanzaError.of(problem.condition, type=ErrorType.MODIFY,
                                       text=problem.message)
            return [_error(iq, error)]
        if peer == self._domain:
            return [_error(iq, stanza_error_for(
                CommandCondition.BAD_PAYLOAD,
                text=f"{peer} is this server's own domain; name a peer server"))]
        redundant = self._redundant_request(peer)
        if redundant is not None:
            self._end_session(session.id)
            return [_error(iq, StanzaError.of(Condition.CONFLICT, text=redundant))]
        authorization = Authorization(AuthorizationSource.COMMAND,
                                      admin=session.requester.bare, session=session.id)
        events = self._answered(peer, self._subscribe(peer, authorization))
        self._end_session(session.id)
        reply = completion(command, peer=peer if self._config.result_form else None,
                           lang=session.lang)
        events.append(Send(iq.result(reply)))
        return events

    def _answer_node_info(self, iq: Iq) -> list[Event]:
        """The command node's disco#info, for an administrator only: anyone else may
        not run the command (XEP-0050 §2.3) and does not see it in
        :meth:`command_items` either."""
        if not self.is_admin(iq.from_):
            return [_forbidden(iq)]
        return [Send(iq.result(command_node_info()))]

    # -- what the administrator wants ---------------------------------------------------

    def subscribe(self, peer: JID | str, *, by: JID | str) -> list[Event]:
        """Ask for ``peer``'s presence, on the authority of the administrator ``by``.

        :class:`NotAuthorizedError` when ``by`` is not an administrator; ProtocolError
        for this server's own domain, and when a request is already pending or the
        subscription already held (see ``docs/server-buddies.md``).
        """
        admin = self._require_admin(by)
        jid = self._peer(peer)
        problem = self._redundant_request(jid)
        if problem is not None:
            raise ProtocolError(problem)
        return self._answered(jid, self._subscribe(
            jid, Authorization(AuthorizationSource.CALL, admin=admin)))

    def _redundant_request(self, peer: JID) -> str | None:
        state = self.state(peer)
        if state.pending_out:
            return (f"a subscription request to {peer} is already pending; unsubscribe "
                    "first to withdraw it")
        if state.subscription in (Subscription.TO, Subscription.BOTH):
            return f"{peer} has already granted this server a subscription"
        return None

    def unsubscribe(self, peer: JID | str) -> list[Event]:
        """Give up ``peer``'s presence, or withdraw the request for it.  Routed in
        every state, so a peer that still believes in a subscription learns otherwise."""
        jid = self._peer(peer)
        return self._answered(jid, self._outbound(SubscriptionType.UNSUBSCRIBE, jid))

    def approve(self, peer: JID | str, *, by: JID | str) -> list[Event]:
        """Grant ``peer``'s pending request, on the authority of the administrator
        ``by``; then ask for the peer's presence in return if so configured.

        ProtocolError when no request from ``peer`` is pending;
        :class:`NotAuthorizedError` when ``by`` is not an administrator.
        """
        admin = self._require_admin(by)
        jid = self._peer(peer)
        if not self.state(jid).pending_in:
            raise ProtocolError(f"{jid} has no request waiting for approval (state "
                                f"{self.state(jid)})")
        return self._answered(jid, self._grant(
            jid, Authorization(AuthorizationSource.CALL, admin=admin)))

    def deny(self, peer: JID | str) -> list[Event]:
        """Refuse ``peer``'s pending request.  ProtocolError when none is pending
        (to end a subscription already granted, use :meth:`revoke`)."""
        jid = self._peer(peer)
        state = self.state(jid)
        if not state.pending_in:
            hint = " (use revoke to end the subscription it holds)" if \
                state.subscription in (Subscription.FROM, Subscription.BOTH) else ""
            raise ProtocolError(f"{jid} has no request waiting for approval (state "
                                f"{state}){hint}")
        return self._answered(jid, self._outbound(SubscriptionType.UNSUBSCRIBED, jid))

    def revoke(self, peer: JID | str) -> list[Event]:
        """End the subscription to this server's presence that ``peer`` holds.
        ProtocolError when it holds none (to refuse a pending request, use
        :meth:`deny`)."""
        jid = self._peer(peer)
        state = self.state(jid)
        if state.subscription not in (Subscription.FROM, Subscription.BOTH):
            hint = " (use deny to refuse its pending request)" if state.pending_in else ""
            raise ProtocolError(f"{jid} holds no subscription to revoke (state {state})"
                                f"{hint}")
        return self._answered(jid, self._outbound(SubscriptionType.UNSUBSCRIBED, jid))

    def remove(self, peer: JID | str) -> list[Event]:
        """Forget ``peer``: give up its presence or the request for it, and end or
        refuse its subscription or request (RFC 6121 §2.5.2), leaving state ``none``.
        ProtocolError when ``peer`` is not on the roster."""
        jid = self._peer(peer)
        state = self.state(jid)
        if state is State.NONE:
            raise ProtocolError(f"{jid} is not on the roster")
        events: list[Event] = []
        if state.subscription in (Subscription.TO, Subscription.BOTH) or state.pending_out:
            events.extend(self._outbound(SubscriptionType.UNSUBSCRIBE, jid))
        if self.state(jid) is not State.NONE:
            events.extend(self._outbound(SubscriptionType.UNSUBSCRIBED, jid))
        return self._answered(jid, events)

    # -- the transitions -------------------------------------------------------------------

    def _grant(self, peer: JID, authorization: Authorization) -> list[Event]:
        """Send ``subscribed`` for the pending request of ``peer``, then the reciprocal
        request when configured and needed."""
        events = self._outbound(SubscriptionType.SUBSCRIBED, peer)
        events.append(Approved(peer, authorization))
        if self._config.reciprocate and self._redundant_request(peer) is None:
            reciprocal = Authorization(AuthorizationSource.RECIPROCAL, admin=authorization.admin,
                                       session=authorization.session)
            events.extend(self._subscribe(peer, reciprocal))
        return events

    def _subscribe(self, peer: JID, authorization: Authorization) -> list[Event]:
        """The only place a ``subscribe`` is made, and it needs an authorization."""
        if not isinstance(authorization, Authorization):
            raise ProtocolError("a subscribe needs an administrator's authorization")
        events: list[Event] = [SubscribeAuthorized(peer, authorization)]
        events.extend(self._outbound(SubscriptionType.SUBSCRIBE, peer))
        return events

    def _outbound(self, kind: SubscriptionType, peer: JID) -> list[Event]:
        before = self.state(peer)
        routed, after = _OUTBOUND(before, kind)
        events: list[Event] = []
        if routed:
            events.append(self._send(kind, peer))
        self._set(peer, after, events)
        return events

    def _send(self, kind: SubscriptionType, peer: JID) -> Send:
        presence = DomainSubscription(type=kind, from_=self._domain, to=peer,
                                      id=self._ids()).presence(self._config.namespace)
        return Send(presence)

    def _set(self, peer: JID, after: State, events: list[Event]) -> None:
        before = self.state(peer)
        if after is before:
            return
        if after is State.NONE:
            del self._roster[peer]
        else:
            self._roster[peer] = after
        events.append(RosterChanged(peer, before, after))

    # -- checks ----------------------------------------------------------------------------

    def _require_admin(self, by: JID | str) -> JID:
        admin = as_jid(by, "an admin").bare
        if admin not in self._config.admins:
            raise NotAuthorizedError(f"{admin} is not an administrator of {self._domain}; "
                                     "only an administrator can authorize this")
        return admin

    def _peer(self, peer: JID | str) -> JID:
        try:
            jid = check_domain(as_jid(peer, "a peer"), "peer")
        except (DomainAddressError, JIDError) as error:
            raise ProtocolError(f"a server buddy is a peer server's domain: {error.message}") \
                from None
        if jid == self._domain:
            raise ProtocolError(f"{jid} is this server's own domain, not a peer")
        return jid

    # -- discovery ---------------------------------------------------------------------------

    def disco_features(self) -> tuple[str, ...]:
        """The disco#info features this machine adds to the server's (the feature was
        defined in version 0.4, so a 0.1 machine adds none)."""
        return (FEATURE,) if self._config.version is Version.V0_5 else ()

    def command_items(self, requester: JID | str | None) -> tuple[Item, ...]:
        """The entry this machine adds to the server's command list for ``requester``:
        the server-buddy command for an administrator (version 0.5), nothing for
        anyone else."""
        if self._config.version is Version.V0_5 and self.is_admin(requester):
            return (command_item(self._domain),)
        return ()

    @staticmethod
    def commands_feature() -> str:
        """The feature of XEP-0050, which a server offering the command advertises."""
        return COMMANDS_FEATURE

    # -- persistence -----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything the machine knows, as a JSON-safe dict (see :meth:`restore`)."""
        saved = _Saved(
            domain=self._domain, config=self._config, roster=dict(self.roster()),
            sessions=tuple(self._sessions.values()), ended_sessions=tuple(self._ended),
            received=tuple((peer, tuple(digests)) for peer, digests in self._seen.items()),
            next_id=self._ids.saved)
        return _SNAPSHOT.seal(to_json(saved))

    @classmethod
    def restore(cls, data: Mapping[str, Any], *, ids: Callable[[], str] | None = None,
                config: Config | None = None) -> ServerBuddies:
        """A machine with the state of a :meth:`snapshot`.

        ``ids`` replaces the id source (the saved counter is used when None);
        ``config`` replaces the saved configuration.  A snapshot that is not one, or
        is damaged, raises :class:`~xepcodec.errors.ArgumentValueError` saying what is
        wrong.
        """
        with _SNAPSHOT.reading():
            version, state = _SNAPSHOT.open(data)
            if version == 1:
                state = _from_version_1(state)
            saved: _Saved = from_json(_Saved, state)
            machine = cls(saved.domain, config if config is not None else saved.config,
                          ids=ids)
            machine._ids.resume(saved.next_id)
            for peer, peer_state in saved.roster.items():
                if peer_state is not State.NONE:
                    machine._roster[check_domain(peer, "roster peer")] = peer_state
            machine._sessions = {session.id: session for session in saved.sessions}
            machine._ended = list(saved.ended_sessions)
            # Within the bounds of the configuration the machine runs with from now on.
            memory = machine._config.duplicate_memory
            for peer, digests in saved.received[-_SEEN_PEERS:] if memory else ():
                machine._seen[peer] = [_digest(each) for each in digests][-memory:]
            return machine

    def __repr__(self) -> str:
        return (f"<ServerBuddies {self._domain} v{self._config.version} "
                f"{len(self._roster)} peers>")


def _from_version_1(state: dict[str, Any]) -> dict[str, Any]:
    """A version 1 state in the layout of version 2: version 1 remembered received
    presences by type and id, which are not digests of the stanzas and are dropped."""
    return {**{key: value for key, value in state.items() if key != "received_ids"},
            "received": []}


def _digest(value: str) -> str:
    if len(value) != 2 * _DIGEST_SIZE or value.strip("0123456789abcdef"):
        raise ValueError(f"{value!r} is not the digest of a received presence")
    return value


def _error(iq: Iq, error: StanzaError) -> Send:
    return Send(error_reply(iq, error))


def _forbidden(iq: Iq) -> Send:
    """The answer to anyone but an administrator about the command."""
    return _error(iq, StanzaError.of(
        Condition.FORBIDDEN, type=ErrorType.CANCEL,
        text="only a server administrator may run this command"))
