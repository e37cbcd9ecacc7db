"""The presence a MUC client sends to a room, and what it reads in the presence the room
sends back (XEP-0045 §7).

A client speaks to a room through its occupant JID, ``room@service/nick``:

* :func:`join` enters (or re-synchronizes with) a room: available presence carrying the
  ``muc`` ``<x/>``, with the password and history limits;
* :func:`change_nick` and :func:`change_status` are available presence to the occupant
  JID without that ``<x/>`` (carrying it would ask the room for a full re-join, §17.3);
* :func:`leave` is unavailable presence to the occupant JID.

A room answers with presence from occupant JIDs carrying the ``muc#user`` ``<x/>``
(:class:`~xepcodec.protocols.muc.user.UserX`).  :func:`occupant` reads one into an
:class:`Occupant`: who (nick, real JID when shown), their standing (role, affiliation),
whether it is the reader's own presence (status 110), and, for unavailable presence,
why they are gone (:class:`Departure`: left, renamed, kicked, banned, removed by the
room, or the room destroyed), with the actor and reason when the room gives them, and
the XEP-0421 occupant id that names the user across nicks when the room adds one.

A room refuses an entry (or a nick change) with an error presence; :func:`join_failure`
reads it into a :class:`JoinFailure` whose :class:`Refusal` says why, following the
table of §7.2.18 (a wrong or missing password, a ban, a full room...), and which keeps
the :class:`~xepcodec.core.stanza_errors.StanzaError` itself.

Rules checked when reading (a ``bad-request``
:class:`~xepcodec.errors.ParseError` naming the rule): an occupant presence comes from
an occupant JID (a room JID with a nick), carries exactly one ``muc#user`` ``<x/>``
(§7.2.3) whose item gives the affiliation and role (§17.3), and a renaming (303) names
the new nick.  Reading the wrong kind of presence with either reader is an
:class:`~xepcodec.errors.ArgumentValueError`.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from typing import Any, Final

from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanza_errors import Condition, StanzaError
from xepcodec.core.stanzas import Presence, PresenceType, Show, Status
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.protocols.muc.addresses import occupant_jid
from xepcodec.protocols.muc.core import Affiliation, History, MucJoin, Role
from xepcodec.protocols.muc.user import Actor, StatusCode, UserDestroy, UserX
from xepcodec.protocols.occupant_id import occupant_id as _occupant_id

__all__ = [
    "Departure",
    "JoinFailure",
    "Occupant",
    "Refusal",
    "change_nick",
    "change_status",
    "join",
    "join_failure",
    "leave",
    "occupant",
]


# -- what a client sends ------------------------------------------------------------------


def _statuses(status: str | None) -> tuple[Status, ...]:
    return (Status(text=status),) if status is not None else ()


def join(room: JID, nick: str, *, password: str | None = None,
         history: History | None = None, show: Show | None = None,
         status: str | None = None, priority: int | None = None, id: str | None = None,
         from_: JID | None = None, extensions: Iterable[Any] = (),
         namespace: str = CLIENT) -> Presence:
    """The presence entering ``room`` (a bare room JID) as ``nick`` (§7.2.1): available,
    to the occupant JID, carrying the ``muc`` ``<x/>`` with the room's ``password`` and
    the ``history`` wanted (``History.none()`` for none), then ``extensions`` (caps,
    say)."""
    return Presence(namespace=namespace, to=occupant_jid(room, nick), from_=from_, id=id,
                    show=show, statuses=_statuses(status), priority=priority,
                    extensions=(MucJoin(history=history, password=password), *extensions))


def change_nick(room: JID, new_nick: str, *, show: Show | None = None,
                status: str | None = None, id: str | None = None, from_: JID | None = None,
                namespace: str = CLIENT) -> Presence:
    """The presence renaming oneself in ``room`` to ``new_nick`` (§7.6): available, to the
    new occupant JID, without the ``muc`` ``<x/>``."""
    return Presence(namespace=namespace, to=occupant_jid(room, new_nick), from_=from_,
                    id=id, show=show, statuses=_statuses(status))


def change_status(room: JID, nick: str, *, show: Show | None = None,
                  status: str | None = None, priority: int | None = None,
                  id: str | None = None, from_: JID | None = None,
                  extensions: Iterable[Any] = (), namespace: str = CLIENT) -> Presence:
    """The presence changing one's availability in ``room`` (§7.7): available, to one's
    occupant JID, without the ``muc`` ``<x/>``."""
    return Presence(namespace=namespace, to=occupant_jid(room, nick), from_=from_, id=id,
                    show=show, statuses=_statuses(status), priority=priority,
                    extensions=tuple(extensions))


def leave(room: JID, nick: str, *, status: str | None = None, id: str | None = None,
          from_: JID | None = None, namespace: str = CLIENT) -> Presence:
    """The presence leaving ``room`` (§7.14): unavailable, to one's occupant JID, with an
    optional exit message ``status``."""
    return Presence(namespace=namespace, type=PresenceType.UNAVAILABLE,
                    to=occupant_jid(room, nick), from_=from_, id=id,
                    statuses=_statuses(status))


# -- what a room sends --------------------------------------------------------------------


class Departure(enum.Enum):
    """Why an occupant's unavailable presence says it is no longer in the room."""

    #: It left (or its server sent unavailable presence for it).
    LEFT = "left"
    #: It is coming back under another nick (303): :attr:`Occupant.new_nick`.
    NICK_CHANGED = "nick changed"
    #: A moderator kicked it (307).
    KICKED = "kicked"
    #: An admin banned it (301).
    BANNED = "banned"
    #: Its affiliation changed and it may no longer be in the room (321).
    AFFILIATION_CHANGED = "removed: affiliation changed"
    #: The room became members-only and it is no member (322).
    MEMBERS_ONLY = "removed: now members-only"
    #: The MUC service is shutting down (332).
    SHUTDOWN = "removed: service shutdown"
    #: The room removed it after an error reply, a failed server link say (333).
    ERROR = "removed: error"
    #: The room was destroyed: :attr:`Occupant.destroyed` has the alternate venue.
    DESTROYED = "room destroyed"


#: The status code of each departure, in the order they are looked for: the removals
#: first (the XEP asks clients to read 333 before a 307 some services add to it, §11.1),
#: the plain kick after the removals that may come with one.
_DEPARTURES: Final = (
    (StatusCode.NICK_CHANGED, Departure.NICK_CHANGED),
    (StatusCode.BANNED, Departure.BANNED),
    (StatusCode.REMOVED_ERROR, Departure.ERROR),
    (StatusCode.REMOVED_SHUTDOWN, Departure.SHUTDOWN),
    (StatusCode.REMOVED_AFFILIATION_CHANGE, Departure.AFFILIATION_CHANGED),
    (StatusCode.REMOVED_MEMBERS_ONLY, Departure.MEMBERS_ONLY),
    (StatusCode.KICKED, Departure.KICKED),
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Occupant:
    """An occupant as one presence from the room shows it.

    ``room`` is the bare room JID and ``nick`` the occupant's nick in it; ``jid`` is
    the real JID when the room reveals it (non-anonymous rooms, or to moderators).
    ``available`` is False for unavailable presence, and ``departure`` then says why.
    ``codes`` are every status code of the presence (registry codes as
    :class:`~xepcodec.protocols.muc.user.StatusCode`).
    """

    room: JID
    nick: str
    role: Role
    affiliation: Affiliation
    jid: JID | None = None
    available: bool = True
    codes: frozenset[int] = frozenset()
    show: Show | None = None
    status: str | None = None
    departure: Departure | None = None
    #: The nick the occupant comes back under (a rename, 303).
    new_nick: str | None = None
    #: Who kicked or banned it, and why (or why the room was destroyed).
    actor: Actor | None = None
    reason: str | None = None
    #: The destruction notice: the alternate venue, its password, the owner's reason.
    destroyed: UserDestroy | None = None
    #: The room's XEP-0421 id of the user behind the occupant, the same under every
    #: nick; trust it only from a room advertising ``urn:xmpp:occupant-id:0``.
    occupant_id: str | None = None

    @property
    def occupant_jid(self) -> JID:
        """``room@service/nick``."""
        return self.room.with_resource(self.nick)

    @property
    def is_self(self) -> bool:
        """Whether the presence is about the reader itself (110)."""
        return StatusCode.SELF_PRESENCE in self.codes

    @property
    def created(self) -> bool:
        """Whether the reader just created the room (201): it stays locked until its
        owner configures it or accepts the defaults (§10.1)."""
        return StatusCode.ROOM_CREATED in self.codes

    @property
    def nick_assigned(self) -> bool:
        """Whether the service chose or changed the reader's nick (210)."""
        return StatusCode.NICK_ASSIGNED in self.codes

    @property
    def non_anonymous(self) -> bool:
        """Whether every occupant may see the reader's real JID (100)."""
        return StatusCode.NON_ANONYMOUS in self.codes

    @property
    def logged(self) -> bool:
        """Whether the room says, on entering, that it is publicly logged (170)."""
        return StatusCode.LOGGING_ENABLED in self.codes


def _user_x(presence: Presence) -> UserX:
    found: tuple[UserX, ...] = presence.find_all(UserX)
    if len(found) != 1:
        raise ParseError(f"an occupant presence carries one muc#user <x/>, not {len(found)} "
                         "(XEP-0045 §7.2.3)", path="/presence/x")
    return found[0]


def _departure(codes: frozenset[int], destroyed: bool) -> Departure:
    if destroyed:
        return Departure.DESTROYED
    for code, departure in _DEPARTURES:
        if code in codes:
            return departure
    return Departure.LEFT


def occupant(presence: Presence) -> Occupant:
    """Read a presence a room sent from an occupant JID (§7.2.3, §7.6, §7.14, §8.2,
    §9.1, §10.9, §11).

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``) when the presence
    breaks the rules the module docstring lists or carries several XEP-0421 occupant
    ids, and
    :class:`~xepcodec.errors.ArgumentValueError` for an error presence (read it with
    :func:`join_failure`) or a presence of another type than available or unavailable.
    """
    if not isinstance(presence, Presence):
        raise ArgumentTypeError(f"occupant reads a Presence, not {type(presence).__name__}")
    if presence.type == PresenceType.ERROR:
        raise ArgumentValueError("an error presence is a refusal, read with join_failure")
    if presence.type not in (None, PresenceType.UNAVAILABLE):
        raise ArgumentValueError(f"a room's occupant presence is available or unavailable, "
                                 f"not {presence.type}")
    sender = presence.from_
    if sender is None or sender.local is None or sender.resource is None:
        raise ParseError(f"an occupant presence comes from an occupant JID room@service/nick, "
                         f"not {sender or 'nobody'} (XEP-0045 §7.2.3)",
                         path="/presence/@from")
    x = _user_x(presence)
    item = x.item
    if item is None or item.role is None or item.affiliation is None:
        raise ParseError("an occupant presence's muc#user <item/> gives the affiliation and "
                         "the role (XEP-0045 §17.3)", path="/presence/x/item")
    available = presence.type is None
    codes = x.codes
    departure = None if available else _departure(codes, x.destroy is not None)
    new_nick = None
    if departure is Departure.NICK_CHANGED:
        new_nick = item.nick
        if new_nick is None:
            raise ParseError("a renaming presence (303) names the new nick in its <item/> "
                             "(XEP-0045 §7.6)", path="/presence/x/item/@nick")
    reason = item.reason
    if x.destroy is not None and reason is None:
        reason = x.destroy.reason
    return Occupant(room=sender.bare, nick=sender.resource, role=item.role,
                    affiliation=item.affiliation, jid=item.jid, available=available,
                    codes=codes, show=presence.show, status=presence.status,
                    departure=departure, new_nick=new_nick, actor=item.actor, reason=reason,
                    destroyed=x.destroy, occupant_id=_occupant_id(presence))


class Refusal(enum.Enum):
    """Why a room refused an entry (the table of §7.2.18), or a nick change (§7.6)."""

    #: not-authorized: the room needs a password, and none or a wrong one was given.
    PASSWORD_REQUIRED = "password required"
    #: forbidden: the user is banned.
    BANNED = "banned"
    #: item-not-found: the room does not exist, or is locked awaiting its configuration.
    ROOM_NOT_FOUND = "room not found"
    #: not-allowed: the user may not create rooms.
    CREATION_RESTRICTED = "room creation restricted"
    #: not-acceptable: the user must use its reserved nick (or nicks are locked down).
    RESERVED_NICK_REQUIRED = "reserved nick required"
    #: registration-required: the room is members-only and the user is not a member.
    MEMBERS_ONLY = "members only"
    #: conflict: another occupant has (or has reserved) the nick.
    NICK_CONFLICT = "nick in use"
    #: service-unavailable: the room is full.
    ROOM_FULL = "room full"
    #: jid-malformed: the presence named no nick.
    NO_NICK = "no nick"
    #: Any other condition: see :attr:`JoinFailure.error`.
    OTHER = "other"


_REFUSALS: Final = {
    Condition.NOT_AUTHORIZED: Refusal.PASSWORD_REQUIRED,
    Condition.FORBIDDEN: Refusal.BANNED,
    Condition.ITEM_NOT_FOUND: Refusal.ROOM_NOT_FOUND,
    Condition.NOT_ALLOWED: Refusal.CREATION_RESTRICTED,
    Condition.NOT_ACCEPTABLE: Refusal.RESERVED_NICK_REQUIRED,
    Condition.REGISTRATION_REQUIRED: Refusal.MEMBERS_ONLY,
    Condition.CONFLICT: Refusal.NICK_CONFLICT,
    Condition.SERVICE_UNAVAILABLE: Refusal.ROOM_FULL,
    Condition.JID_MALFORMED: Refusal.NO_NICK,
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class JoinFailure:
    """A room's refusal: ``refusal`` says why, ``error`` is the stanza error as sent
    (its condition, type and text), ``room`` and ``nick`` where the presence came from
    (``nick`` None when it came from the room's bare JID)."""

    refusal: Refusal
    error: StanzaError
    room: JID | None = None
    nick: str | None = None

    @property
    def condition(self) -> Condition:
        """The RFC 6120 condition the room answered with."""
        return self.error.condition

    @property
    def text(self) -> str | None:
        """The room's human-readable explanation, when it gave one."""
        return self.error.text


def join_failure(presence: Presence) -> JoinFailure:
    """Read the error presence a room answers an entry or a nick change with (§7.2.18).

    Raises :class:`~xepcodec.errors.ArgumentValueError` for a presence that is not an
    error.
    """
    if not isinstance(presence, Presence):
        raise ArgumentTypeError(f"join_failure reads a Presence, not "
                                f"{type(presence).__name__}")
    if presence.type != PresenceType.ERROR or presence.error is None:
        raise ArgumentValueError("only an error presence is a refusal; read the room's "
                                 "other presence with occupant")
    sender = presence.from_
    return JoinFailure(refusal=_REFUSALS.get(presence.error.condition, Refusal.OTHER),
                       error=presence.error,
                       room=sender.bare if sender is not None else None,
                       nick=sender.resource if sender is not None else None)
