"""The addresses of XEP-0045: a room is ``room@service``, and each of its occupants is
``room@service/nick``, the room's bare JID with the nick as resource (§4.1, §17.1).

Checked (an :class:`~xepcodec.errors.ArgumentValueError` naming the rule): a room JID
has a localpart and no resourcepart, and a nick is neither empty nor only spaces (the
XEP forbids invisible nicks beyond what a resourcepart allows).
"""

from __future__ import annotations

from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError

__all__ = ["occupant_jid", "room_jid"]


def room_jid(room: JID | str) -> JID:
    """``room`` (a JID, or a str parsed as one), checked to be a room's address: a bare
    JID ``room@service``."""
    if isinstance(room, str):
        room = JID.parse(room)
    elif not isinstance(room, JID):
        raise ArgumentTypeError(f"the room is a JID or a str, not {type(room).__name__}")
    if room.local is None or room.resource is not None:
        raise ArgumentValueError(f"the room is a bare JID room@service, not {room} "
                                 "(XEP-0045 §17.1)")
    return room


def occupant_jid(room: JID | str, nick: str) -> JID:
    """The occupant JID ``room@service/nick`` of ``nick`` in ``room``."""
    room = room_jid(room)
    if not isinstance(nick, str):
        raise ArgumentTypeError(f"the nick is a str, not {type(nick).__name__}")
    if not nick.strip():
        raise ArgumentValueError("a room nick is neither empty nor only spaces "
                                 "(XEP-0045 §17.1)")
    return room.with_resource(nick)
