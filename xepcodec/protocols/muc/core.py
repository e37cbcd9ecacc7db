"""The ``http://jabber.org/protocol/muc`` namespace, and what the other parts of XEP-0045
share: the namespaces, the disco features, the affiliations and the roles (§5).

A client enters a room by sending presence to ``room@service/nick`` carrying
:class:`MucJoin` (§7.2): the ``<x/>`` of this namespace, holding the room's password when
it has one (§7.2.6) and, optionally, :class:`History`, the limits on the discussion
history the room replays (§7.2.15).  Checked: each history limit is a non-negative
integer and ``since`` an XEP-0082 DateTime (with its zone); the join element holds no
other child (the schema says so too).
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Final

from xepcodec.model import attr, child, element, text_child
from xepcodec.model.values import Integer

__all__ = [
    "NS_MUC",
    "NS_MUC_ADMIN",
    "NS_MUC_OWNER",
    "NS_MUC_USER",
    "Affiliation",
    "History",
    "MucJoin",
    "Role",
]

#: The namespace of the join element, also the disco feature of a MUC service.
NS_MUC: Final = "http://jabber.org/protocol/muc"
#: What a room tells of its occupants, invitations and declines.
NS_MUC_USER: Final = "http://jabber.org/protocol/muc#user"
#: Moderators' and admins' role and affiliation changes.
NS_MUC_ADMIN: Final = "http://jabber.org/protocol/muc#admin"
#: Owners' configuration and destruction.
NS_MUC_OWNER: Final = "http://jabber.org/protocol/muc#owner"


class Affiliation(Enum):
    """A user's long-lived standing with a room (§5.2), kept across visits."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    OUTCAST = "outcast"
    NONE = "none"


class Role(Enum):
    """An occupant's standing for the length of one visit (§5.1); ``none`` is no
    longer (or not yet) an occupant."""

    MODERATOR = "moderator"
    PARTICIPANT = "participant"
    VISITOR = "visitor"
    NONE = "none"


_COUNT: Final = Integer(minimum=0)


@element(NS_MUC, "history")
class History:
    """How much discussion history a joining client wants replayed (§7.2.15): at most
    ``maxchars`` characters of whole stanzas, at most ``maxstanzas`` messages, only the
    last ``seconds`` seconds, only what was said ``since`` a moment.  Absent limits are
    None: the room applies its own defaults.  ``maxchars=0`` asks for no history at all
    (see :meth:`none`).

    Services may ignore the limits (the XEP says many do), so this is a request, not
    a promise.
    """

    maxchars: int | None = attr(default=None, value=_COUNT)
    maxstanzas: int | None = attr(default=None, value=_COUNT)
    seconds: int | None = attr(default=None, value=_COUNT)
    since: datetime | None = attr(default=None)

    @classmethod
    def none(cls) -> History:
        """The request for no history at all: ``maxchars='0'``, which the XEP names
        for that purpose."""
        return cls(maxchars=0)


@element(NS_MUC, "x")
class MucJoin:
    """The ``<x/>`` a client puts in the presence that enters a room (§7.2): it says
    the client speaks MUC, and carries the room's ``password`` (§7.2.6; None when the
    room has none) and the ``history`` it wants replayed (None: the room's default).

    The same element, empty, marks an error presence the room sends back to a client
    whose entry failed (§7.2.1).
    """

    history: History | None = child(History, default=None)
    password: str | None = text_child("password", default=None)
