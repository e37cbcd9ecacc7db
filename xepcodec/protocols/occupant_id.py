"""Occupant identifiers for semi-anonymous MUCs (XEP-0421).

This module follows version 0.2.0 of the XEP.  The XEP's text is not among the project's
specification documents, so the module is written from the published version and its
examples are not run by the conformance test.

A room that advertises the ``urn:xmpp:occupant-id:0`` feature adds one empty
``<occupant-id/>`` (:class:`OccupantId`) to every presence and groupchat message it
sends on an occupant's behalf.  Its ``id`` names the user behind the occupant (the real
bare JID, which other occupants may not see) and stays the same across renames, leaving
and re-entering; it differs between users and, as the XEP recommends, between rooms.  To
the reader it is an opaque string.

Rules checked: the ``id`` is present, from 1 to 128 characters (§4.1), and the element
holds nothing else (the strict decoder sees to that); a stanza carries at most one
occupant id (§4), which :func:`occupant_id` checks when reading it.  Only trust an
occupant id from a room that advertises the feature: a room that does not may pass on
one a client forged (§5).
"""

from __future__ import annotations

from typing import Final

from xepcodec.core.stanzas import Message, Presence
from xepcodec.errors import ArgumentTypeError, ParseError
from xepcodec.model import attr, element
from xepcodec.model.values import String

__all__ = ["MAX_LENGTH", "NS_OCCUPANT_ID", "OccupantId", "occupant_id"]

#: The namespace of the element, which is also the disco#info feature of a room (or of a
#: service whose rooms all) sending occupant ids.
NS_OCCUPANT_ID: Final = "urn:xmpp:occupant-id:0"
#: The longest occupant id a room may send, in characters.
MAX_LENGTH: Final = 128


@element(NS_OCCUPANT_ID, "occupant-id")
class OccupantId:
    """The room's stable, opaque identifier of the user behind an occupant."""

    id: str = attr(value=String(min_length=1, max_length=MAX_LENGTH))


def occupant_id(stanza: Message | Presence) -> str | None:
    """The occupant id a room put in ``stanza``, or None when it carries none.

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``) when the stanza carries
    several (XEP-0421 §4).  Whether to trust the answer depends on the room advertising
    :data:`NS_OCCUPANT_ID`, which the caller knows from its disco#info.
    """
    if not isinstance(stanza, Message | Presence):
        raise ArgumentTypeError(f"occupant_id reads a Message or a Presence, not "
                                f"{type(stanza).__name__}")
    found: tuple[OccupantId, ...] = stanza.find_all(OccupantId)
    if len(found) > 1:
        raise ParseError(f"a stanza carries at most one <occupant-id/> (XEP-0421 §4), but "
                         f"this one carries {len(found)}",
                         path=f"/{type(stanza).__name__.lower()}/occupant-id")
    return found[0].id if found else None
