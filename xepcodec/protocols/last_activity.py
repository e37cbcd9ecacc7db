"""Last Activity (XEP-0012).

An iq ``get`` carrying an empty ``<query/>`` of ``jabber:iq:last`` asks, depending on
whom it is sent to (§3 to §5):

* an account's bare JID: how long ago the user was last available, and the status
  text of their last unavailable presence;
* a full JID: how long the client has been idle;
* a server or service: how long it has been running.

The ``result`` carries the same element with the number of ``seconds`` and,
optionally, the status as its text.  The one element is both the request and the
answer, so what it always obeys is the rule they share: a text comes with a number of
seconds, never alone.  :func:`check_last_result` checks that an answer gives the
seconds.
"""

from __future__ import annotations

from typing import Final

from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ParseError
from xepcodec.model import attr, element, text
from xepcodec.model.values import Integer

__all__ = ["NS_LAST", "LastActivity", "check_last_result", "last_answer", "last_request"]

#: The namespace of the query, which is also the disco#info feature.
NS_LAST: Final = "jabber:iq:last"

#: The XEP's schema types the seconds as an xs:unsignedLong.
_SECONDS: Final = Integer(minimum=0, maximum=2**64 - 1)


@element(NS_LAST, "query")
class LastActivity:
    """Empty in a request; the ``seconds`` since the last activity (or of idleness,
    or of uptime) and the ``status`` text (empty when none is given) in an answer."""

    seconds: int | None = attr(default=None, value=_SECONDS)
    status: str = text(default="")

    def __post_init__(self) -> None:
        # Whitespace alone is layout (an indented request), not a status.
        if self.status.strip() and self.seconds is None:
            raise ValueError("a last activity query with a status text gives the 'seconds' "
                             "too: the text belongs to an answer (XEP-0012 §3)")

    @property
    def is_request(self) -> bool:
        """Whether this is the empty query of a request."""
        return self.seconds is None


def check_last_result(query: LastActivity) -> None:
    """Check that an answer gives the number of seconds (XEP-0012 §3).

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``).
    """
    if query.is_request:
        raise ParseError("a last activity answer gives 'seconds', but this query has none",
                         path="/query/@seconds")


def last_request(*, id: str, to: JID | None = None, from_: JID | None = None,
                 namespace: str = CLIENT) -> Iq:
    """The iq ``get`` asking ``to`` for its last activity (idle time, uptime)."""
    return Iq(namespace=namespace, type=IqType.GET, id=id, to=to, from_=from_,
              extensions=(LastActivity(),))


def last_answer(request: Iq, *, seconds: int, status: str = "") -> Iq:
    """The result answering a last activity ``request``, addresses swapped.

    Raises ArgumentValueError (a ValueError) when ``request`` is not an iq ``get``
    carrying an empty last activity query.
    """
    query = request.payload
    if request.type != IqType.GET or not isinstance(query, LastActivity) or \
            not query.is_request:
        raise ArgumentValueError("only a last activity request (an iq get carrying an empty "
                                 "jabber:iq:last query) is answered with a last activity")
    return request.result(LastActivity(seconds=seconds, status=status))
