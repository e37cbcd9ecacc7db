"""Several machines and handlers behind one address: the sans-IO router.

A :class:`Router` serves one address (a component's domain, a server's, a client's full
JID).  Each stanza the caller reads goes to :meth:`Router.receive`; the events that come
back are what the machines and handlers said, every stanza to send as a
:class:`~xepcodec.machines.base.Send`:

* an iq ``get`` or ``set`` goes to the owner of its payload's class (one dict lookup): a
  machine registered with :meth:`~Router.register`, whose ``accepts`` has the final
  word, or a handler registered with :meth:`~Router.handle`.  Whatever has no owner, or
  is refused by its machine's ``accepts``, is answered ``service-unavailable`` (RFC 6120
  §8.4): every request gets exactly one answer;
* a disco#info ``get`` without a node, to the served address, is answered by the router
  itself: its identities and every feature the machines and handlers advertise;
* an iq ``result`` or ``error`` is never answered.  The answer to a request the router
  sent (:meth:`~Router.request`) becomes a :class:`Response`, when it comes from the
  address asked; any other goes to the machines that accept it, else it is
  :class:`~xepcodec.machines.base.Ignored`;
* a message or presence goes to every machine that accepts it, else it is ignored;
* a stanza the reader refused (:class:`~xepcodec.xml.StanzaFailed`) is answered with
  its error, unless it was an answer itself.

The router has no clock: ``now`` comes with each call, deadlines are datetimes, and
:meth:`~Router.expire` turns requests whose deadline has come into :class:`TimedOut`
events (:meth:`~Router.next_deadline` says when to call it).  The requests in flight
are kept in memory only: the router has no snapshot, and after a restart the answers to
earlier requests arrive as answers to nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, TypeAlias

from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanza_errors import Condition
from xepcodec.core.stanzas import Iq, IqType, Message, Presence, error_reply
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ProtocolError
from xepcodec.machines.base import Event, IdCounter, Ignored, Machine, Send, as_jid
from xepcodec.protocols.disco import FEATURE_INFO, Feature, Identity, InfoQuery
from xepcodec.xml.stream import StanzaFailed

__all__ = ["Handler", "Response", "Router", "RouterEvent", "TimedOut"]

#: A plain handler of iq requests: it takes the ``get`` or ``set`` and returns its
#: answer, an iq ``result`` (``iq.result(payload)``) or ``error`` (``error_reply``) with
#: the request's id.  What needs more (state, time, several stanzas) is a machine.
Handler: TypeAlias = Callable[[Iq], Iq]

_REQUESTS: Final = (IqType.GET, IqType.SET)


# -- events ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RouterEvent(Event):
    """The base of the router's own events."""


@dataclass(frozen=True, slots=True)
class Response(RouterEvent):
    """The ``answer`` (a result or an error) to a ``request`` sent with
    :meth:`Router.request`, from the address the request went to."""

    request: Iq
    answer: Iq

    @property
    def ok(self) -> bool:
        """Whether the answer is a result (not an error)."""
        return self.answer.type is IqType.RESULT


@dataclass(frozen=True, slots=True)
class TimedOut(RouterEvent):
    """No answer to ``request`` came by its ``deadline``.  An answer arriving later is
    ignored."""

    request: Iq
    deadline: datetime


# -- the router -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Handled:
    """A plain handler and the disco#info features it adds."""

    handler: Handler
    features: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Pending:
    request: Iq
    deadline: datetime


class Router:
    """Routes what arrives at ``address`` to the machines and handlers registered by
    payload class (see the module documentation).

    ``identities`` are the disco#info identities of the address (at least one, XEP-0030
    §3.1); ``namespace`` the stanza namespace of the requests the router sends
    (``jabber:component:accept`` for a component); ``ids`` the source of their ids.
    """

    __slots__ = ("_address", "_identities", "_ids", "_namespace", "_owners", "_pending",
                 "_registered")

    def __init__(self, address: JID | str, identities: Iterable[Identity], *,
                 namespace: str = CLIENT, ids: Callable[[], str] | None = None) -> None:
        self._address = as_jid(address, "the router's address")
        self._identities = tuple(identities)
        if not self._identities:
            raise ArgumentValueError("a router needs at least one disco#info identity for "
                                     "its address (XEP-0030 §3.1)")
        for identity in self._identities:
            if not isinstance(identity, Identity):
                raise ArgumentTypeError(f"an identity is a disco Identity, not "
                                        f"{type(identity).__name__}")
        self._namespace = namespace
        self._ids: Callable[[], str] = ids if ids is not None else IdCounter("router")
        # payload class -> its one owner; machines and handlers in registration order
        self._owners: dict[type, Machine | _Handled] = {}
        self._registered: list[Machine | _Handled] = []
        self._pending: dict[str, _Pending] = {}

    @property
    def address(self) -> JID:
        return self._address

    # -- registration ------------------------------------------------------------------------

    def register(self, machine: Machine) -> None:
        """Route the iq requests whose payload is one of ``machine.payloads`` to
        ``machine``, and offer it every message, presence and unclaimed iq answer.

        ProtocolError when one of its payload classes already has an owner (nothing is
        registered then), or when the machine is already registered."""
        if not isinstance(machine, Machine):
            raise ArgumentTypeError(f"{type(machine).__name__} is not a machine: it needs "
                                    "payloads, accepts, receive and disco_features")
        if any(each is machine for each in self._registered):
            raise ProtocolError(f"{type(machine).__name__} is already registered")
        self._claim(tuple(machine.payloads), machine)

    def handle(self, payload: type, handler: Handler, *, features: Iterable[str] = ()) -> None:
        """Answer the iq ``get`` and ``set`` requests whose payload is a ``payload`` with
        ``handler`` (see :data:`Handler`); ``features`` go into the disco#info answer.

        ProtocolError when ``payload`` already has an owner."""
        if not callable(handler):
            raise ArgumentTypeError(f"a handler is callable, not {type(handler).__name__}")
        features = tuple(features)
        if not all(isinstance(feature, str) and feature for feature in features):
            raise ArgumentValueError(f"features are non-empty strings: {features!r}")
        self._claim((payload,), _Handled(handler, features))

    def _claim(self, payloads: tuple[type, ...], owner: Machine | _Handled) -> None:
        # Everything is checked before anything is registered: a refusal leaves the
        # router as it was.
        for payload in payloads:
            if not isinstance(payload, type):
                raise ArgumentTypeError(f"{_name(owner)} lists {payload!r} among its "
                                        "payloads, which are classes")
            holder = self._owners.get(payload)
            if holder is not None:
                raise ProtocolError(f"{payload.__name__} already has an owner: "
                                    f"{_name(holder)}")
            if payloads.count(payload) > 1:
                raise ProtocolError(f"{_name(owner)} lists {payload.__name__} twice")
        self._owners.update(dict.fromkeys(payloads, owner))
        self._registered.append(owner)

    # -- discovery ---------------------------------------------------------------------------

    def disco_features(self) -> tuple[str, ...]:
        """Every feature of the address: disco#info's own, then those of each machine
        and handler in the order they were registered, each once."""
        features = [FEATURE_INFO]
        for owner in self._registered:
            features += owner.features if isinstance(owner, _Handled) else \
                owner.disco_features()
        return tuple(dict.fromkeys(features))

    def disco_info(self) -> InfoQuery:
        """The disco#info ``<query/>`` of the address, as the router answers it."""
        return InfoQuery(identities=self._identities,
                         features=tuple(Feature(var=name) for name in self.disco_features()))

    # -- what arrives --------------------------------------------------------------------------

    def receive(self, stanza: object, *, now: datetime) -> list[Event]:
        """Route one stanza read from the stream; the events say what to send and what
        happened."""
        _check_time(now, "now")
        if isinstance(stanza, Iq):
            if stanza.type in _REQUESTS:
                return self._request_in(stanza, now)
            return self._answer_in(stanza, now)
        if isinstance(stanza, (Message, Presence)):
            return self._offer(stanza, now) or [Ignored(stanza, "no machine accepts it")]
        if isinstance(stanza, StanzaFailed):
            return self._refused(stanza)
        return [Ignored(stanza, f"not a stanza: {type(stanza).__name__}")]

    def _request_in(self, iq: Iq, now: datetime) -> list[Event]:
        payload = iq.payload
        if iq.type is IqType.GET and isinstance(payload, InfoQuery) and payload.node is None \
                and iq.to == self._address:
            return [Send(iq.result(self.disco_info()))]
        owner = self._owners.get(type(payload))
        if isinstance(owner, _Handled):
            answer = owner.handler(iq)
            if not _answers(answer, iq):
                raise ProtocolError(f"{_name(owner)} must answer the {iq.type} {iq.id!r} with "
                                    f"an iq result or error of that id, not {answer!r}")
            return [Send(answer)]
        if owner is not None and owner.accepts(iq):
            events = list(owner.receive(iq, now=now))
            count = sum(isinstance(event, Send) and _answers(event.stanza, iq)
                        for event in events)
            if count > 1:
                raise ProtocolError(f"{_name(owner)} answered the {iq.type} {iq.id!r} "
                                    f"{count} times")
            if count == 1:
                return events
            # A request its machine took but left unanswered is refused like one nobody
            # takes: the sender must not wait forever.
            return [*events, Send(error_reply(iq, Condition.SERVICE_UNAVAILABLE))]
        return [Send(error_reply(iq, Condition.SERVICE_UNAVAILABLE))]

    def _answer_in(self, iq: Iq, now: datetime) -> list[Event]:
        pending = self._pending.get(iq.id)
        if pending is not None:
            if not self._from_addressee(pending.request, iq):
                # RFC 6120 §8.1.2.1: only the addressee answers; anyone else guessing
                # the id must not resolve the request.
                return [Ignored(iq, f"an answer to {iq.id!r} from {iq.from_}, not from "
                                    f"{pending.request.to}")]
            del self._pending[iq.id]
            if now >= pending.deadline:
                return [TimedOut(pending.request, pending.deadline),
                        Ignored(iq, f"the answer to {iq.id!r} came after its deadline")]
            return [Response(pending.request, iq)]
        return self._offer(iq, now) or [Ignored(iq, f"an answer to no pending request "
                                                    f"({iq.id!r})")]

    def _from_addressee(self, request: Iq, answer: Iq) -> bool:
        # A request to no address or to one's own account is answered by the server on
        # the account's behalf, with the account's bare JID or no 'from' (RFC 6120
        # §8.1.2.1, §10.3.3).
        account = self._address.bare
        if request.to is None or request.to == account:
            return answer.from_ in (None, account)
        return answer.from_ == request.to

    def _offer(self, stanza: Message | Presence | Iq, now: datetime) -> list[Event]:
        events: list[Event] = []
        for owner in self._registered:
            if not isinstance(owner, _Handled) and owner.accepts(stanza):
                events += owner.receive(stanza, now=now)
        return events

    @staticmethod
    def _refused(failed: StanzaFailed) -> list[Event]:
        element = failed.element
        if element is not None and element.get("type") == "result":
            return [Ignored(failed, "a refused answer is not answered")]
        try:
            return [Send(error_reply(failed))]
        except ArgumentValueError as error:
            return [Ignored(failed, str(error))]

    # -- what the caller wants -------------------------------------------------------------

    def request(self, payload: object, *, to: JID | str | None, deadline: datetime,
                type: IqType = IqType.GET) -> list[Event]:
        """Send an iq ``type`` carrying ``payload`` to ``to``, from the served address,
        and wait for its answer until ``deadline``: the answer from ``to`` will be a
        :class:`Response`, or :meth:`expire` will give a :class:`TimedOut`.  Returns the
        :class:`~xepcodec.machines.base.Send` of the request."""
        if type not in _REQUESTS:
            raise ArgumentValueError(f"a request is a get or a set, not {type!r}")
        _check_time(deadline, "deadline")
        target = as_jid(to, "to") if to is not None else None
        request_id = self._ids()
        if request_id in self._pending:
            raise ProtocolError(f"the id source gave {request_id!r} again while it is in flight")
        iq = Iq(namespace=self._namespace, type=IqType(type), id=request_id, to=target,
                from_=self._address, extensions=(payload,))
        self._pending[request_id] = _Pending(iq, deadline)
        return [Send(iq)]

    def expire(self, now: datetime) -> list[Event]:
        """A :class:`TimedOut` for each request whose deadline has come at ``now``,
        earliest deadline first; they are forgotten."""
        _check_time(now, "now")
        due = sorted((item for item in self._pending.values() if item.deadline <= now),
                     key=lambda item: item.deadline)
        for item in due:
            del self._pending[item.request.id]
        return [TimedOut(item.request, item.deadline) for item in due]

    def next_deadline(self) -> datetime | None:
        """When :meth:`expire` next has something to do, or None when nothing waits."""
        return min((item.deadline for item in self._pending.values()), default=None)

    @property
    def pending(self) -> tuple[Iq, ...]:
        """The requests waiting for an answer, in the order they were sent."""
        return tuple(item.request for item in self._pending.values())

    def __repr__(self) -> str:
        return (f"<Router {self._address}: {len(self._owners)} payloads, "
                f"{len(self._pending)} pending>")


def _answers(stanza: object, request: Iq) -> bool:
    """Whether ``stanza`` is an answer to ``request``: an iq result or error of its id."""
    return isinstance(stanza, Iq) and stanza.type in (IqType.RESULT, IqType.ERROR) \
        and stanza.id == request.id


def _name(owner: object) -> str:
    if isinstance(owner, _Handled):
        return f"the handler {getattr(owner.handler, '__qualname__', repr(owner.handler))}"
    return type(owner).__name__


def _check_time(value: object, what: str) -> None:
    # Aware datetimes only: a naive one cannot be compared with an aware one, and a
    # deadline in an unknown zone is no deadline.
    if not isinstance(value, datetime):
        raise ArgumentTypeError(f"{what} is a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ArgumentValueError(f"{what} has no zone; give an aware datetime "
                                 "(datetime.now(UTC))")
