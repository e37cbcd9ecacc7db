"""Delayed Delivery (XEP-0203).

A server storing a message for an offline contact, a room replaying its history, a
server handing out a contact's last presence: each marks the stanza it delivers late
with ``<delay/>`` in ``urn:xmpp:delay``, saying when the stanza was first sent
(``stamp``, an XEP-0082 DateTime in UTC), who added the mark (``from``, optional) and,
as the element's text, why (optional, human-readable).

A stanza may carry several marks, one per entity that delayed it (§3);
``stanza.find_all(Delay)`` lists them and :func:`delay_added_by` finds the one an
entity added.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from xepcodec.core.stanzas import Message, Presence
from xepcodec.datatypes.dates import format_datetime
from xepcodec.datatypes.jid import JID
from xepcodec.model import attr, element, text

__all__ = ["NS_DELAY", "Delay", "delay_added_by"]

#: The namespace of the delay element, which is also the disco#info feature.
NS_DELAY: Final = "urn:xmpp:delay"
_NO_OFFSET: Final = timedelta(0)


@element(NS_DELAY, "delay")
class Delay:
    """When a stanza was first sent (``stamp``), who delayed it (``from_``) and why
    (``reason``, the element's text, empty when none is given).

    The stamp is in UTC (XEP-0203 §2): ``Z``, or an offset of zero.
    """

    stamp: datetime = attr()
    from_: JID | None = attr(default=None)
    reason: str = text(default="")

    def __post_init__(self) -> None:
        stamp = self.stamp
        if stamp.tzinfo is not UTC and stamp.utcoffset() != _NO_OFFSET:
            raise ValueError(f"the stamp of a <delay/> is in UTC (XEP-0203 §2), not "
                             f"{format_datetime(stamp)}")


def delay_added_by(stanza: Message | Presence, entity: JID | str) -> Delay | None:
    """The delay mark ``entity`` added to ``stanza``, or None."""
    wanted = JID.parse(entity) if isinstance(entity, str) else entity
    delay: Delay
    for delay in stanza.find_all(Delay):
        if delay.from_ == wanted:
            return delay
    return None
