"""XEP-0059: Result Set Management.

A ``<set/>`` in ``http://jabber.org/protocol/rsm`` rides inside another protocol's
query (disco#items, search, archives) to page through a long result.  A requester
asks with :meth:`ResultSet.request` (how many items, starting after or before a known
item, or at an index); a responder describes the page it sent with
:meth:`ResultSet.page` (the first item, with its position, the last item, and the size
of the whole set).

Item identifiers are opaque strings.  An empty ``<before/>`` is not the same as none at
all: it asks for the last page, so :attr:`ResultSet.before` keeps ``""`` apart from
``None``.

:func:`paginate` is the responder's side in one pure function: given the whole,
ordered result, the request and a way to name each item, it returns the page and the
``<set/>`` that describes it, or raises :class:`ResultSetError` with the stanza error
condition to answer with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, TypeVar

from xepcodec.core.stanza_errors import Condition, StanzaError
from xepcodec.errors import ArgumentValueError, XepCodecError
from xepcodec.model import attr, child, element, text, text_child
from xepcodec.model.values import Integer

__all__ = [
    "FEATURE",
    "RSM",
    "First",
    "ResultSet",
    "ResultSetError",
    "paginate",
]

#: The namespace of the protocol.
RSM: Final = "http://jabber.org/protocol/rsm"
#: The service discovery feature a responder advertises.
FEATURE: Final = RSM

T = TypeVar("T")

_NON_NEGATIVE: Final = Integer(minimum=0)


@element(RSM, "first")
class First:
    """The identifier of the first item of a page and, optionally, its position in the
    whole result set (0 for the very first item)."""

    index: int | None = attr(default=None, value=_NON_NEGATIVE)
    uid: str = text()


@element(RSM, "set")
class ResultSet:
    """A request for a page, or the description of a page sent.

    Request fields: ``max`` (the page size; 0 asks for the count alone), ``after`` (the
    page starts just after this item), ``before`` (the page ends just before this item;
    ``""`` asks for the last page) and ``index`` (the page starts at this position).
    Response fields: ``first`` (with its index), ``last`` and ``count`` (the size of the
    whole set, possibly approximate).

    Children are written in the order the XEP's examples use: the request fields, then
    the response fields.
    """

    max: int | None = text_child("max", value=_NON_NEGATIVE, default=None)
    after: str | None = text_child("after", default=None)
    before: str | None = text_child("before", default=None)
    index: int | None = text_child("index", value=_NON_NEGATIVE, default=None)
    first: First | None = child(First, default=None)
    last: str | None = text_child("last", default=None)
    count: int | None = text_child("count", value=_NON_NEGATIVE, default=None)

    def __post_init__(self) -> None:
        # A page that has items names both its first and its last one; an empty page
        # names neither.  So one without the other describes no page at all.
        if (self.first is None) != (self.last is None):
            present, absent = ("<first/>", "<last/>") if self.last is None else (
                "<last/>", "<first/>")
            raise ValueError(f"a result set page that has {present} must also have {absent}: "
                             "a page names both its first and last items, or neither when "
                             "it is empty")

    # -- building -----------------------------------------------------------------

    @classmethod
    def request(cls, *, max: int | None = None, after: str | None = None,
                before: str | None = None, index: int | None = None) -> ResultSet:
        """A request for one page: at most ``max`` items, starting just ``after`` an
        item, ending just ``before`` one (``before=""`` for the last page), or starting
        at ``index``.  ``ResultSet.request(max=0)`` asks for the item count only."""
        return cls(max=max, after=after, before=before, index=index)

    @classmethod
    def page(cls, *, first: str | None = None, last: str | None = None,
             count: int | None = None, first_index: int | None = None) -> ResultSet:
        """The description of a page sent: its ``first`` and ``last`` item identifiers
        (both, or neither for an empty page), the size of the whole set, and the
        position of the first item in it."""
        if first is None and first_index is not None:
            raise ArgumentValueError("first_index is the position of the first item, so it needs "
                                     "first")
        head = First(uid=first, index=first_index) if first is not None else None
        return cls(first=head, last=last, count=count)

    def next_page(self, max: int | None = None) -> ResultSet:
        """The request for the page after this one (which must have a last item)."""
        if self.last is None:
            raise ArgumentValueError("an empty page has no last item to continue after")
        return ResultSet(max=max, after=self.last)

    def previous_page(self, max: int | None = None) -> ResultSet:
        """The request for the page before this one (which must have a first item)."""
        if self.first is None:
            raise ArgumentValueError("an empty page has no first item to go back from")
        if not self.first.uid:
            raise ArgumentValueError("the first item's identifier is empty, and an empty <before/> "
                                     "asks for the last page instead")
        return ResultSet(max=max, before=self.first.uid)

    # -- reading ------------------------------------------------------------------

    @property
    def first_uid(self) -> str | None:
        return self.first.uid if self.first is not None else None

    @property
    def first_index(self) -> int | None:
        return self.first.index if self.first is not None else None

    @property
    def wants_last_page(self) -> bool:
        """True for a request with an empty ``<before/>``."""
        return self.before == ""


class ResultSetError(XepCodecError):
    """A page request a responder cannot answer; ``condition`` is the stanza error
    condition to reply with (``item-not-found`` for an unknown item identifier)."""

    def __init__(self, message: str, *, condition: Condition = Condition.ITEM_NOT_FOUND,
                 uid: str | None = None) -> None:
        super().__init__(f"{message} [{condition}]")
        self.message = message
        self.condition = condition
        self.uid = uid

    def stanza_error(self) -> StanzaError:
        """The ``<error/>`` to answer the request with."""
        return StanzaError.of(self.condition)


def paginate(items: Sequence[T], request: ResultSet | None, key: Callable[[T], str], *,
             default_max: int | None = None,
             max_limit: int | None = None) -> tuple[list[T], ResultSet]:
    """Answer a page request over the whole, ordered result ``items``.

    ``key`` gives each item's identifier, which must be unique and not empty.  The page size is the
    request's ``max``, else ``default_max`` (None: no limit), and never more than
    ``max_limit`` when that is given.  Returns the items of the page and the ``<set/>``
    that describes it: first (with its index) and last identifiers, and the count.

    * ``after``: the page starts with the item just after that one;
    * ``before``: the page ends with the item just before that one, and an empty
      ``before`` asks for the last page; with both, the page lies strictly between them,
      filled from the ``after`` side;
    * ``index``: the page starts at that position (past the end: an empty page);
    * ``max=0``: no items, the count only.

    An ``after`` or ``before`` that names no item raises :class:`ResultSetError` with
    ``item-not-found``; ``index`` together with ``after`` or ``before`` raises it with
    ``bad-request``.  ``items`` is never modified.
    """
    if request is None:
        request = ResultSet()
    keys = [key(item) for item in items]
    positions: dict[str, int] = {}
    for position, uid in enumerate(keys):
        if not uid:
            raise ArgumentValueError(f"the item at {position} has an empty identifier; an empty "
                                     "<before/> means the last page, so identifiers must not "
                                     "be empty")
        if positions.setdefault(uid, position) != position:
            raise ArgumentValueError(f"two items share the identifier {uid!r}; identifiers must be "
                                     "unique in the result set")
    total = len(keys)

    def locate(uid: str, element: str) -> int:
        try:
            return positions[uid]
        except KeyError:
            raise ResultSetError(f"<{element}/> names {uid!r}, which is not in the result set",
                                 uid=uid) from None

    if request.index is not None and (request.after is not None or request.before is not None):
        raise ResultSetError("a page is requested by index or by item identifier, not both",
                             condition=Condition.BAD_REQUEST)
    low, high = 0, total
    if request.after is not None:
        low = locate(request.after, "after") + 1
    if request.before:  # "" is the last page: the end is the end of the set
        high = locate(request.before, "before")
    if request.index is not None:
        low = min(request.index, total)

    size = request.max if request.max is not None else default_max
    if max_limit is not None:
        size = max_limit if size is None else min(size, max_limit)

    from_the_end = request.before is not None and request.after is None
    if high <= low or size == 0:
        start = stop = low
    elif size is None:
        start, stop = low, high
    elif from_the_end:
        start, stop = max(low, high - size), high
    else:
        start, stop = low, min(high, low + size)

    page = list(items[start:stop])
    if not page:
        return page, ResultSet(count=total)
    return page, ResultSet.page(first=keys[start], last=keys[stop - 1], count=total,
                                first_index=start)
