"""Unique and Stable Stanza IDs (XEP-0359).

Three empty elements of ``urn:xmpp:sid:0``, each naming a stanza by an opaque id:

* :class:`StanzaId` (``<stanza-id/>``): the id an entity (a server archiving a
  message, a room) gave the stanza, with that entity's address in ``by``; the pair
  is stable and, if every entity on the way follows the XEP, not spoofable;
* :class:`OriginId` (``<origin-id/>``): the id the sender gave it, without an
  address (a sender may not want to reveal one);
* :class:`ReferencedStanza` (``<referenced-stanza/>``): a reference to another
  stanza by the values of that stanza's ``<stanza-id/>``.

Rules (§5 and §6): every element has an ``id``; a stanza id has a ``by``; none has
children or text (the strict decoder sees to that); and a stanza holds at most one
stanza id per ``by`` among its direct children, which :func:`check_stanza_ids` checks
(the rule is about the stanza, not about one element).
"""

from __future__ import annotations

from typing import Final

from xepcodec.core.stanzas import Iq, Message, Presence
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError
from xepcodec.model import attr, element

__all__ = [
    "NS_SID",
    "OriginId",
    "ReferencedStanza",
    "StanzaId",
    "check_stanza_ids",
    "stanza_id_by",
]

#: The namespace of the three elements, which is also the disco#info feature an
#: entity following the XEP's rules advertises.
NS_SID: Final = "urn:xmpp:sid:0"


@element(NS_SID, "stanza-id")
class StanzaId:
    """The id the entity ``by`` assigned to the stanza carrying this element."""

    id: str = attr()
    by: JID = attr()


@element(NS_SID, "origin-id")
class OriginId:
    """The id the sender assigned to the stanza carrying this element."""

    id: str = attr()


@element(NS_SID, "referenced-stanza")
class ReferencedStanza:
    """Another stanza, named by the ``id`` and (recommended, not required) the ``by``
    of its ``<stanza-id/>``."""

    id: str = attr()
    by: JID | None = attr(default=None)


def stanza_id_by(stanza: Message | Presence | Iq, entity: JID | str) -> str | None:
    """The id ``entity`` assigned to ``stanza`` (from its ``<stanza-id/>``), or None.

    Only trust the answer when ``entity`` advertises ``urn:xmpp:sid:0`` (§8): an entity
    that does not may pass on a forged element unchanged.
    """
    wanted = JID.parse(entity) if isinstance(entity, str) else entity
    stanza_id: StanzaId
    for stanza_id in stanza.find_all(StanzaId):
        if stanza_id.by == wanted:
            return stanza_id.id
    return None


def check_stanza_ids(stanza: Message | Presence | Iq) -> None:
    """Check that ``stanza`` holds at most one ``<stanza-id/>`` per ``by`` (§5).

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``) naming the address.
    """
    seen: set[JID] = set()
    stanza_id: StanzaId
    for stanza_id in stanza.find_all(StanzaId):
        if stanza_id.by in seen:
            raise ParseError(f"a stanza holds at most one <stanza-id/> by {stanza_id.by} "
                             "(XEP-0359 §5), but this one holds several",
                             path=f"/{type(stanza).__name__.lower()}/stanza-id")
        seen.add(stanza_id.by)
