"""MUC Self-Ping (XEP-0410): is this client still an occupant of a room?

A client that has heard nothing from a multi-user chat room for a while cannot tell a
quiet room from one that forgot it (after a restart of the service, or of a link on
the way).  It finds out by sending an XEP-0199 ping to its own occupant JID
(``room@service/nick``): the service either answers it, reflects it to one of the
user's joined clients, or refuses it because the sender is no occupant.

The XEP declares no element: the request is the ping of :mod:`xepcodec.protocols.ping`
(:func:`self_ping` builds it), and what this module adds is :func:`verdict`, which
reads the answer:

==========================================  ========================================
the answer                                  the :class:`Verdict`
==========================================  ========================================
a result                                    joined
``service-unavailable``,                    joined (the client the ping was
``feature-not-implemented``                 reflected to does not do pings)
``item-not-found``                          joined, but the nick is gone: changed,
                                            by another client of the same user
``remote-server-not-found``,                undecided: the service is out of reach;
``remote-server-timeout``                   treated like no answer at all
any other error                             not joined: rejoin
==========================================  ========================================

A room that advertises :data:`SELF_PING_OPTIMIZATION` in its disco#info answers a
self-ping itself, a result when the sender is joined and ``not-acceptable`` when it is
not, and reflects nothing.  Against such a room (``optimized=True``) the two errors
that stand for a reflected ping's answer, ``service-unavailable`` and
``feature-not-implemented``, cannot come from a client of the user, so they fall under
"any other error": not joined.  The other rows hold as they are.

No answer at all is undecided too; when to give up waiting is the caller's (or the
:class:`~xepcodec.machines.selfping.SelfPing` machine's) to say.
"""

from __future__ import annotations

import enum
from types import MappingProxyType
from typing import Final

from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanza_errors import Condition
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError
from xepcodec.protocols.ping import ping_request

__all__ = ["SELF_PING_OPTIMIZATION", "Verdict", "self_ping", "verdict"]

#: The disco#info feature of a room that answers self-pings itself (XEP-0410 §3.3).
SELF_PING_OPTIMIZATION: Final = "http://jabber.org/protocol/muc#self-ping-optimization"


class Verdict(enum.StrEnum):
    """What the answer to a self-ping says of the sender's membership."""

    #: still an occupant
    JOINED = "joined"
    #: not an occupant (any more): rejoin
    NOT_JOINED = "not-joined"
    #: still an occupant, under another nick than the one pinged
    NICK_CHANGED = "nick-changed"
    #: nothing can be told (the service is out of reach, or nothing came back)
    UNDECIDED = "undecided"


#: The errors the table names; every other error means not joined.
_ERRORS: Final = MappingProxyType({
    Condition.SERVICE_UNAVAILABLE: Verdict.JOINED,
    Condition.FEATURE_NOT_IMPLEMENTED: Verdict.JOINED,
    Condition.ITEM_NOT_FOUND: Verdict.NICK_CHANGED,
    Condition.REMOTE_SERVER_NOT_FOUND: Verdict.UNDECIDED,
    Condition.REMOTE_SERVER_TIMEOUT: Verdict.UNDECIDED,
})

#: The errors that are a reflected ping's answer, which an optimizing room never gives.
_REFLECTED: Final = frozenset({Condition.SERVICE_UNAVAILABLE, Condition.FEATURE_NOT_IMPLEMENTED})


def verdict(reply: Iq, *, optimized: bool = False) -> Verdict:
    """The verdict of ``reply``, the answer (an iq ``result`` or ``error``) to a
    self-ping; ``optimized`` when the room advertises :data:`SELF_PING_OPTIMIZATION`
    (see the module documentation for the table).

    ArgumentTypeError when ``reply`` is not an iq; ArgumentValueError when it is a
    ``get`` or ``set``, which answers nothing."""
    if not isinstance(reply, Iq):
        raise ArgumentTypeError(f"a self-ping verdict is read from an iq, not a "
                                f"{type(reply).__name__}")
    if reply.type is IqType.RESULT:
        return Verdict.JOINED
    if reply.type is not IqType.ERROR or reply.error is None:
        raise ArgumentValueError(f"a self-ping verdict is read from the answer to the ping, "
                                 f"an iq result or error, not an iq {reply.type}")
    condition = reply.error.condition
    if optimized and condition in _REFLECTED:
        return Verdict.NOT_JOINED
    return _ERRORS.get(condition, Verdict.NOT_JOINED)


def self_ping(occupant: JID | str, *, id: str, from_: JID | None = None,
              namespace: str = CLIENT) -> Iq:
    """The self-ping to one's own ``occupant`` JID (``room@service/nick``): the
    XEP-0199 ping iq ``get``.  ``from_`` is usually left out (the user's server stamps
    it).

    ArgumentValueError when ``occupant`` is not an occupant JID (a localpart and a
    resourcepart)."""
    target = _jid(occupant, "an occupant")
    if target.local is None or target.resource is None:
        raise ArgumentValueError(f"a self-ping goes to an occupant JID (room@service/nick), "
                                 f"not {target}")
    return ping_request(id=id, to=target, from_=from_, namespace=namespace)


def _jid(value: JID | str, what: str) -> JID:
    if isinstance(value, JID):
        return value
    if isinstance(value, str):
        return JID.parse(value)
    raise ArgumentTypeError(f"{what} is a JID or a str, not {type(value).__name__}")
