"""The ``http://jabber.org/protocol/muc#user`` namespace of XEP-0045: what a room tells
its occupants, and the invitations that pass through it.

A room puts :class:`UserX` (an ``<x/>`` of this namespace) in

* every presence it sends from an occupant (§7.2.3): a :class:`UserItem` giving the
  occupant's affiliation and role (and real JID where the room shows it), and
  :class:`Status` codes saying what the presence means (110: it is your own; 201: you
  created the room; 303: a nick change; 307: a kick, with the :class:`Actor` who did it
  and a reason; ...);
* the unavailable presence that tells an occupant the room was destroyed
  (:class:`UserDestroy`, with an alternate venue and a reason, §10.9);
* messages about the room (configuration changes, affiliation changes while away);
* mediated invitations (:class:`Invite`, §7.8.2) and their refusals (:class:`Decline`),
  which travel from the inviter to the room with ``to`` and from the room to the
  invitee (or back to the inviter) with ``from``; an invitation to a room that has a
  password carries it (``<password/>``), and one that continues a one-to-one chat
  names the thread (:class:`Continue`, §7.9).

Status codes are the XEP's registry (§15.6), each a :class:`StatusCode` member.  A
code the registry does not list (a later XEP may register one) still parses: it is
kept as a plain ``int`` so it is written back unchanged, and :meth:`Status.known` is
None for it.

Checked on every parse and construction, where the XEP is precise:

* a status code is three digits (100 to 999, also in the schema);
* an invitation or a refusal names someone: it has a ``from`` (from the room) or a
  ``to`` (to the room), or both;
* an ``<x/>`` carries at most one refusal, one destruction notice and one password
  (the schema says so too); items, status codes and invitations may repeat, and the
  children may come in any order, as servers send them in different orders;
* nicknames are not empty, JIDs are JIDs.

Left lenient, as deployed services differ: which attributes an item has (the XEP
wants affiliation and role in occupant presence, Prosody adds the real JID to every
one in a non-anonymous room, and affiliation-change messages leave the role out), an
actor with neither a JID nor a nick, and a password inside the destruction notice
(the owner's ``<destroy/>`` may hold one for the alternate venue, and Prosody passes
it on to the occupants).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

from xepcodec.datatypes.jid import JID
from xepcodec.model import attr, child, children, element, text_child
from xepcodec.model.values import Integer, String
from xepcodec.protocols.muc.core import NS_MUC_USER, Affiliation, Role

__all__ = [
    "Actor",
    "Continue",
    "Decline",
    "Invite",
    "Status",
    "StatusCode",
    "UserDestroy",
    "UserItem",
    "UserX",
]

_NICK: Final = String(min_length=1)


class StatusCode(IntEnum):
    """The status codes of XEP-0045's registry (§15.6), by what they tell.

    The hundreds say what kind of news it is: 1xx about the room or the presence,
    2xx about entering, 3xx about leaving or being removed (303: renaming).
    """

    #: Entering (or a configuration message): every occupant may see your real JID.
    NON_ANONYMOUS = 100
    #: Message: your affiliation changed while you were not in the room.
    AFFILIATION_CHANGED = 101
    #: Configuration change: the room now shows unavailable members.
    SHOWS_UNAVAILABLE = 102
    #: Configuration change: the room no longer shows unavailable members.
    HIDES_UNAVAILABLE = 103
    #: Configuration change that does not touch privacy.
    CONFIG_CHANGED = 104
    #: Any room presence: this presence is about you.
    SELF_PRESENCE = 110
    #: Configuration change (or entering): the room is logged from now on.
    LOGGING_ENABLED = 170
    #: Configuration change: the room is no longer logged.
    LOGGING_DISABLED = 171
    #: Configuration change: the room is now non-anonymous.
    NOW_NON_ANONYMOUS = 172
    #: Configuration change: the room is now semi-anonymous.
    NOW_SEMI_ANONYMOUS = 173
    #: Entering: you created this room.
    ROOM_CREATED = 201
    #: Entering or renaming: the service assigned or changed your nickname.
    NICK_ASSIGNED = 210
    #: Removal: the occupant was banned.
    BANNED = 301
    #: Leaving under one nickname to come back under another (the item names it).
    NICK_CHANGED = 303
    #: Removal: the occupant was kicked.
    KICKED = 307
    #: Removal: the occupant's affiliation changed (a members-only room).
    REMOVED_AFFILIATION_CHANGE = 321
    #: Removal: the room became members-only and the occupant is not a member.
    REMOVED_MEMBERS_ONLY = 322
    #: Removal: the MUC service is shutting down.
    REMOVED_SHUTDOWN = 332
    #: Removal: an error reply from the occupant's side (a failed server link, say).
    REMOVED_ERROR = 333


@dataclass(frozen=True, slots=True)
class _StatusCodeValue(Integer):
    """A status code: three digits, the :class:`StatusCode` member when the registry
    lists it and the plain ``int`` otherwise."""

    description = "a three-digit status code"

    def parse(self, text: str) -> int:
        return _known(Integer.parse(self, text))

    def coerce(self, value: Any) -> int:
        return _known(Integer.coerce(self, value))


def _known(code: int) -> int:
    try:
        return StatusCode(code)
    except ValueError:
        return code


_STATUS_CODE: Final = _StatusCodeValue(minimum=100, maximum=999)


@element(NS_MUC_USER, "status")
class Status:
    """One status code (§15.6): ``code`` is a :class:`StatusCode` when the registry
    lists it, a plain ``int`` of three digits otherwise."""

    code: int = attr(value=_STATUS_CODE)

    @property
    def known(self) -> StatusCode | None:
        """The registry's name for the code, or None for a code it does not list."""
        return self.code if isinstance(self.code, StatusCode) else None


@element(NS_MUC_USER, "actor")
class Actor:
    """Who changed an occupant's role or affiliation (a kick, a ban, §8.2, §9.1): by
    real ``jid``, or by ``nick`` in the room, as the room chooses to show it."""

    jid: JID | None = attr(default=None)
    nick: str | None = attr(default=None, value=_NICK)


@element(NS_MUC_USER, "continue")
class Continue:
    """The invitation continues a one-to-one chat (§7.9); ``thread`` is that chat's
    thread ID, when it had one."""

    thread: str | None = attr(default=None)


@element(NS_MUC_USER, "item")
class UserItem:
    """An occupant or user as the room describes it: ``affiliation`` and ``role``
    (§5), the real ``jid`` when the room reveals it, the ``nick`` (a new one, with
    status 303), who acted (``actor``) and why (``reason``), and ``continue_`` when a
    one-to-one chat moved into the room."""

    affiliation: Affiliation | None = attr(default=None)
    role: Role | None = attr(default=None)
    jid: JID | None = attr(default=None)
    nick: str | None = attr(default=None, value=_NICK)
    actor: Actor | None = child(Actor, default=None)
    continue_: Continue | None = child(Continue, default=None)
    reason: str | None = text_child("reason", default=None)


def _names_someone(node: str, from_: JID | None, to: JID | None) -> None:
    if from_ is None and to is None:
        raise ValueError(f"{node} names its other party: 'to' on the way to the room, "
                         f"'from' from the room; this one has neither (XEP-0045 §7.8.2)")


@element(NS_MUC_USER, "invite")
class Invite:
    """A mediated invitation (§7.8.2): sent to the room with ``to`` (the invitee), and
    passed on by the room with ``from_`` (the inviter); an optional ``reason``, and
    ``continue_`` when it continues a one-to-one chat (§7.9)."""

    from_: JID | None = attr(default=None)
    to: JID | None = attr(default=None)
    reason: str | None = text_child("reason", default=None)
    continue_: Continue | None = child(Continue, default=None)

    def __post_init__(self) -> None:
        _names_someone("an <invite/>", self.from_, self.to)


@element(NS_MUC_USER, "decline")
class Decline:
    """An invitee's refusal (§7.8.2): sent to the room with ``to`` (the inviter), and
    passed on by the room with ``from_`` (the invitee); an optional ``reason``."""

    from_: JID | None = attr(default=None)
    to: JID | None = attr(default=None)
    reason: str | None = text_child("reason", default=None)

    def __post_init__(self) -> None:
        _names_someone("a <decline/>", self.from_, self.to)


@element(NS_MUC_USER, "destroy")
class UserDestroy:
    """The notice that the room was destroyed (§10.9), in the unavailable presence each
    occupant receives: the alternate venue (``jid``), the owner's ``reason``, and the
    venue's ``password`` when the owner gave one (see the module docstring)."""

    jid: JID | None = attr(default=None)
    reason: str | None = text_child("reason", default=None)
    password: str | None = text_child("password", default=None)


@element(NS_MUC_USER, "x")
class UserX:
    """What a room says in a presence or message (see the module docstring): items,
    status codes, invitations, at most one refusal, one destruction notice and one
    password."""

    items: tuple[UserItem, ...] = children(UserItem)
    statuses: tuple[Status, ...] = children(Status)
    invites: tuple[Invite, ...] = children(Invite)
    decline: Decline | None = child(Decline, default=None)
    destroy: UserDestroy | None = child(UserDestroy, default=None)
    password: str | None = text_child("password", default=None)

    @property
    def codes(self) -> frozenset[int]:
        """The status codes present (registry codes as :class:`StatusCode` members)."""
        return frozenset(status.code for status in self.statuses)

    @property
    def item(self) -> UserItem | None:
        """The first item: the occupant a presence is about (it carries one), or None."""
        return self.items[0] if self.items else None

    @property
    def is_self(self) -> bool:
        """Whether the presence is about the receiving client itself (status 110)."""
        return StatusCode.SELF_PRESENCE in self.codes

    @property
    def is_room_created(self) -> bool:
        """Whether the receiver just created the room (status 201): it stays locked
        until the owner configures it or accepts the defaults (§10.1)."""
        return StatusCode.ROOM_CREATED in self.codes

    @property
    def is_nick_change(self) -> bool:
        """Whether the unavailable presence is a rename (status 303); the item's
        ``nick`` is the new nickname."""
        return StatusCode.NICK_CHANGED in self.codes

    @property
    def is_removal(self) -> bool:
        """Whether the occupant was removed rather than left: banned, kicked, or
        removed by the room (301, 307, 321, 322, 332, 333) or the room was destroyed."""
        return self.destroy is not None or not self.codes.isdisjoint(_REMOVALS)


_REMOVALS: Final = frozenset({
    StatusCode.BANNED, StatusCode.KICKED, StatusCode.REMOVED_AFFILIATION_CHANGE,
    StatusCode.REMOVED_MEMBERS_ONLY, StatusCode.REMOVED_SHUTDOWN, StatusCode.REMOVED_ERROR,
})
