"""What the live multi-user chat tests share: the rooms of the server's MUC service,
entering one, and waiting for what a room sends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xepcodec.core.stanzas import Presence
from xepcodec.datatypes.jid import JID
from xepcodec.protocols.muc import presence
from xepcodec.protocols.muc.addresses import occupant_jid
from xepcodec.protocols.muc.core import History
from xepcodec.protocols.muc.presence import Occupant
from xepcodec.protocols.muc.user import UserX

from .client import LiveClient
from .prosody import MUC_HOST


def room(name: str) -> JID:
    """The bare JID of the room ``name`` on the live MUC service."""
    return JID.parse(f"{name}@{MUC_HOST}")


def wait_for(client: LiveClient, test: Callable[[Any], bool], *, since: int) -> Any:
    """The first stanza ``client`` received after its first ``since`` ones that passes
    ``test``, reading until one arrives (it may have arrived already, while the client
    waited for something else)."""
    def found(_new: list[Any]) -> bool:
        return any(test(stanza) for stanza in client.received()[since:])

    client.until(found)
    return next(stanza for stanza in client.received()[since:] if test(stanza))


def presence_from(occupant_jid: JID, *, own: bool | None = None,
                  available: bool | None = None) -> Callable[[Any], bool]:
    """A ``test``: presence from ``occupant_jid`` carrying a muc#user ``<x/>``; with
    ``own``, whether it has status 110 (about the reader itself); with ``available``,
    of that availability."""
    def test(stanza: Any) -> bool:
        if not isinstance(stanza, Presence) or stanza.from_ != occupant_jid:
            return False
        x = stanza.find(UserX)
        return (x is not None and (own is None or x.is_self == own)
                and (available is None or (stanza.type is None) == available))
    return test


def enter(client: LiveClient, where: JID, nick: str) -> Occupant:
    """Enter ``where`` as ``nick``, asking for no history, and read the room's presence
    about the client itself, which ends the entry (XEP-0045 §7.2.3)."""
    since = len(client.received())
    client.send(presence.join(where, nick, history=History.none()))
    own = wait_for(client, presence_from(occupant_jid(where, nick), own=True), since=since)
    return presence.occupant(own)
