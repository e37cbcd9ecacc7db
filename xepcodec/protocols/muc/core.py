"""The ``http://jabber.org/protocol/muc`` namespace, and what the other parts of XEP-0045
share: the namespaces, the disco features, the affiliations and the roles (§5)."""

from __future__ import annotations

from enum import Enum
from typing import Final

__all__ = [
    "NS_MUC",
    "NS_MUC_ADMIN",
    "NS_MUC_OWNER",
    "NS_MUC_USER",
    "Affiliation",
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
