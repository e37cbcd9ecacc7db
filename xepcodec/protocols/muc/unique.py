"""The ``http://jabber.org/protocol/muc#unique`` namespace: asking a MUC service for a
room name no room has, before creating the room.

A client sends the service an iq ``get`` holding an empty ``<unique/>``; the service
answers with a ``<unique/>`` whose text is the name.  XEP-0045 defined this from
version 1.21 and dropped it in 1.25 (a client can make up a UUID instead); XEP-0307
(Unique Room Names for Multi-User Chat) carries it on, and services still answer it
(Prosody's MUC does, advertising the namespace as a disco feature).

Rules checked on every parse and construction (and by the schema): the name, when
there is one, is not empty.  That a request is empty and a result holds a name is
checked by :func:`check_unique_iq`.
"""

from __future__ import annotations

from typing import Final

from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError
from xepcodec.model import element, text
from xepcodec.model.values import String

__all__ = ["NS_MUC_UNIQUE", "Unique", "check_unique_iq", "unique_request"]

#: The namespace, also the disco feature of a service that hands out unique names.
NS_MUC_UNIQUE: Final = "http://jabber.org/protocol/muc#unique"


@element(NS_MUC_UNIQUE, "unique")
class Unique:
    """A request for a unique room name (``name`` None), or the name given."""

    name: str | None = text(default=None, value=String(min_length=1))


def check_unique_iq(iq: Iq) -> Unique | None:
    """Check that the ``<unique/>`` of a ``get`` is empty and that of a ``result``
    holds the name, and give it (None for an error without one).

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``) naming the rule,
    also when a get or result carries no ``<unique/>``.
    """
    unique = iq.payload
    if iq.type == IqType.ERROR:
        return unique if isinstance(unique, Unique) else None
    if not isinstance(unique, Unique) or iq.type == IqType.SET:
        raise ParseError(f"a unique room name is asked for with an iq get carrying a "
                         f"<unique xmlns='{NS_MUC_UNIQUE}'/> and given in the result",
                         path="/iq")
    if iq.type == IqType.GET and unique.name is not None:
        raise ParseError("the <unique/> asking for a room name is empty, but this one "
                         f"holds {unique.name!r}", path="/iq/unique")
    if iq.type == IqType.RESULT and unique.name is None:
        raise ParseError("the <unique/> of a result holds the room name, but this one is "
                         "empty", path="/iq/unique")
    return unique


def unique_request(service: JID, *, id: str, from_: JID | None = None,
                   namespace: str = CLIENT) -> Iq:
    """The iq ``get`` asking the MUC ``service`` for a room name no room has; the
    result's :attr:`Unique.name` is the name (the room is ``name@service``)."""
    return Iq(namespace=namespace, type=IqType.GET, id=id, to=service, from_=from_,
              extensions=(Unique(),))
