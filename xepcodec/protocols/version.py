"""Software Version (XEP-0092).

An iq ``get`` carrying an empty ``<query/>`` of ``jabber:iq:version`` asks an entity
which software it runs; the ``result`` carries the same element filled in: the
software's ``name`` and ``version``, both required in an answer, and optionally the
operating system (``os``, which many servers leave out on purpose, §5).

The one element is both the request and the answer, so the rule it always obeys is
the one both share: it is empty, or it names the software and its version; an ``os``
never comes alone.  :func:`check_version_result` checks that an answer is not empty.

XEP-0092 lists no extension point, but XMPP lets any protocol extend another with
elements of its own namespace, and the XEP-0076 and XEP-0464 examples do so in this
very query: elements of other namespaces are kept, typed when known, in
``extensions``; unknown elements of ``jabber:iq:version`` itself are refused.
"""

from __future__ import annotations

from typing import Any, Final

from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ParseError
from xepcodec.model import element, extensions, text_child

__all__ = [
    "NS_VERSION",
    "VersionQuery",
    "check_version_result",
    "version_answer",
    "version_request",
]

#: The namespace of the query, which is also the disco#info feature.
NS_VERSION: Final = "jabber:iq:version"


@element(NS_VERSION, "query")
class VersionQuery:
    """Empty in a request; the software's ``name``, ``version`` and, optionally,
    ``os`` in an answer; ``extensions`` holds elements of other namespaces."""

    name: str | None = text_child("name", default=None)
    version: str | None = text_child("version", default=None)
    os: str | None = text_child("os", default=None)
    extensions: tuple[Any, ...] = extensions(foreign_only=True)

    def __post_init__(self) -> None:
        given = [field for field in ("name", "version", "os") if getattr(self, field) is not None]
        if given and (self.name is None or self.version is None):
            missing = " and ".join(f"<{field}/>" for field in ("name", "version")
                                   if getattr(self, field) is None)
            raise ValueError(f"a software version query is empty (a request) or names the "
                             f"software and its version (an answer); this one lacks {missing} "
                             "(XEP-0092 §3)")

    @property
    def is_request(self) -> bool:
        """Whether this is the empty query of a request."""
        return self.name is None


def check_version_result(query: VersionQuery) -> None:
    """Check that an answer names the software and its version (XEP-0092 §3).

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``).
    """
    if query.is_request:
        raise ParseError("a software version answer names the software (<name/>) and its "
                         "version (<version/>), but this query is empty", path="/query")


def version_request(*, id: str, to: JID | None = None, from_: JID | None = None,
                    namespace: str = CLIENT) -> Iq:
    """The iq ``get`` asking ``to`` for its software version."""
    return Iq(namespace=namespace, type=IqType.GET, id=id, to=to, from_=from_,
              extensions=(VersionQuery(),))


def version_answer(request: Iq, *, name: str, version: str, os: str | None = None) -> Iq:
    """The result answering a software version ``request``, addresses swapped.

    Raises ArgumentValueError (a ValueError) when ``request`` is not an iq ``get``
    carrying an empty version query.
    """
    query = request.payload
    if request.type != IqType.GET or not isinstance(query, VersionQuery) or \
            not query.is_request:
        raise ArgumentValueError("only a software version request (an iq get carrying an "
                                 "empty jabber:iq:version query) is answered with a version")
    return request.result(VersionQuery(name=name, version=version, os=os))
