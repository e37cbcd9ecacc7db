"""Entity Time (XEP-0202).

An iq ``get`` carrying an empty ``<time/>`` of ``urn:xmpp:time`` asks an entity for its
clock; the ``result`` carries the same element with two children:

* ``<tzo/>``: the entity's offset from UTC as XEP-0082 writes a zone (``Z``,
  ``+02:00``, ``-06:00``), kept as written so that ``Z`` and ``+00:00`` both survive a
  round trip; :attr:`EntityTime.zone` is it as a :class:`datetime.timezone`;
* ``<utc/>``: the entity's time, an XEP-0082 DateTime in UTC.

The one element is both the request and the answer: it holds both children or
neither, and the time is in UTC (§3).  :func:`check_time_result` checks that an answer
is not empty; :meth:`EntityTime.at` builds one from an aware datetime.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from typing import Final, cast

from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.dates import format_time, parse_time
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ParseError
from xepcodec.model import element, text_child
from xepcodec.model.values import String

__all__ = ["NS_TIME", "EntityTime", "check_time_result", "time_answer", "time_request"]

#: The namespace of the time element, which is also the disco#info feature.
NS_TIME: Final = "urn:xmpp:time"

#: XEP-0082's time zone designator: Z, or a signed offset of at most 23:59.
_TZD: Final = String(pattern=r"Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]")


# A zone designator is read and written as the zone of an XEP-0082 Time, so that the
# profile is spelled in one place.
_MIDNIGHT: Final = "00:00:00"


def _zone_of(tzo: str) -> timezone:
    # Never None: the designator is never empty.
    return cast("timezone", parse_time(_MIDNIGHT + tzo).tzinfo)


def _designator(offset: timedelta) -> str:
    """``±hh:mm``; ValueError for an offset that is not whole minutes.

    XEP-0202 §3 calls the offset numeric, so UTC is written ``+00:00``, not ``Z``
    (which is read all the same)."""
    written = format_time(time(0, tzinfo=timezone(offset)))[len(_MIDNIGHT):]
    return "+00:00" if written == "Z" else written


@element(NS_TIME, "time")
class EntityTime:
    """Empty in a request; the entity's zone offset (``tzo``, as written) and its
    time in UTC (``utc``) in an answer."""

    tzo: str | None = text_child("tzo", value=_TZD, default=None)
    utc: datetime | None = text_child("utc", default=None)

    def __post_init__(self) -> None:
        if (self.tzo is None) != (self.utc is None):
            missing = "<tzo/>" if self.tzo is None else "<utc/>"
            raise ValueError(f"an entity time is empty (a request) or gives both the zone "
                             f"offset and the UTC time (an answer); this one lacks {missing} "
                             "(XEP-0202 §3)")
        if self.utc is not None and self.utc.utcoffset() != timedelta(0):
            raise ValueError(f"the <utc/> of an entity time is in UTC (XEP-0202 §3), not at "
                             f"offset {_designator(self.utc.utcoffset() or timedelta(0))}")

    @classmethod
    def at(cls, moment: datetime) -> EntityTime:
        """The answer for the aware datetime ``moment``: its offset, and it in UTC.

        Raises ArgumentValueError for a naive datetime (it says nothing of a zone).
        """
        offset = moment.utcoffset()
        if offset is None:
            raise ArgumentValueError("EntityTime.at() needs an aware datetime: a naive one "
                                     "has no zone offset to report")
        try:
            tzo = _designator(offset)
        except ValueError:
            raise ArgumentValueError(f"XEP-0082 writes zone offsets in whole minutes, not "
                                     f"{offset}") from None
        return cls(tzo=tzo, utc=moment.astimezone(UTC))

    @property
    def is_request(self) -> bool:
        """Whether this is the empty element of a request."""
        return self.utc is None

    @property
    def zone(self) -> timezone | None:
        """The zone offset as a :class:`datetime.timezone` (None in a request)."""
        return None if self.tzo is None else _zone_of(self.tzo)

    @property
    def local(self) -> datetime | None:
        """The entity's local time: the UTC time in its zone (None in a request)."""
        zone = self.zone
        return None if self.utc is None or zone is None else self.utc.astimezone(zone)


def check_time_result(query: EntityTime) -> None:
    """Check that an answer gives the zone offset and the time (XEP-0202 §3).

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``).
    """
    if query.is_request:
        raise ParseError("an entity time answer gives <tzo/> and <utc/>, but this element is "
                         "empty", path="/time")


def time_request(*, id: str, to: JID | None = None, from_: JID | None = None,
                 namespace: str = CLIENT) -> Iq:
    """The iq ``get`` asking ``to`` for its time."""
    return Iq(namespace=namespace, type=IqType.GET, id=id, to=to, from_=from_,
              extensions=(EntityTime(),))


def time_answer(request: Iq, now: datetime) -> Iq:
    """The result answering an entity time ``request`` with the aware datetime ``now``.

    Raises ArgumentValueError (a ValueError) when ``request`` is not an iq ``get``
    carrying an empty time element, or ``now`` is naive.
    """
    query = request.payload
    if request.type != IqType.GET or not isinstance(query, EntityTime) or \
            not query.is_request:
        raise ArgumentValueError("only an entity time request (an iq get carrying an empty "
                                 "urn:xmpp:time element) is answered with a time")
    return request.result(EntityTime.at(now))
