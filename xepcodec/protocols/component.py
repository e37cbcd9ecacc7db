"""Jabber Component Protocol (XEP-0114).

An external component (a gateway, a bot, a service at its own domain) joins a server
over a stream of its own.  In the usual ``jabber:component:accept`` method the
component opens the stream to the server, naming its domain in ``to``; the server
answers with its header, carrying a stream id; the component proves it knows the
shared secret by sending a :class:`Handshake` holding :func:`handshake_digest` of the
id and the secret; the server acknowledges with an empty :class:`Handshake` (or ends
the stream with ``not-authorized``).  From then on message, presence and iq flow in
that namespace, every one with a ``from`` and a ``to``.  In the
``jabber:component:connect`` method the server opens the stream and sends the
handshake; the elements are the same.

The stanzas of both namespaces are those of :mod:`xepcodec.core.stanzas`; this module
adds the handshake.  :class:`~xepcodec.machines.component_session.ComponentSession` runs
the exchange.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from xepcodec.core.namespaces import COMPONENT, COMPONENT_CONNECT
from xepcodec.errors import ArgumentTypeError
from xepcodec.model import element, text, xmlns
from xepcodec.model.values import String

__all__ = [
    "NS_ACCEPT",
    "NS_CONNECT",
    "Handshake",
    "check_handshake",
    "handshake_digest",
]

#: The component opens the stream (the method servers offer).
NS_ACCEPT: Final = COMPONENT
#: The server opens the stream to the component.
NS_CONNECT: Final = COMPONENT_CONNECT

# Lower case is what XEP-0114 asks for; upper case is accepted (servers do), since a
# hexadecimal digest means the same in either case.
_DIGEST: Final = String(pattern="(?:[0-9a-fA-F]{40})?")


@element((NS_ACCEPT, NS_CONNECT), "handshake")
class Handshake:
    """``<handshake/>``: from the initiator, the hexadecimal digest of the stream id and
    the secret; from the receiver, empty, acknowledging it.

    ``namespace`` is None for ``jabber:component:accept`` (or where the stream gives
    the namespace) and records ``jabber:component:connect`` when read alone in it."""

    namespace: str | None = xmlns(None)
    digest: str = text(default="", value=_DIGEST)

    @classmethod
    def of(cls, stream_id: str, secret: str) -> Handshake:
        """The initiator's handshake for the stream ``stream_id``."""
        return cls(digest=handshake_digest(stream_id, secret))

    @property
    def is_acknowledgement(self) -> bool:
        """Whether this is the receiver's empty answer."""
        return not self.digest


def handshake_digest(stream_id: str, secret: str) -> str:
    """The handshake's content: the lower-case hexadecimal SHA-1 of the stream id
    followed by the secret, both in UTF-8 (XEP-0114 §3)."""
    for name, value in (("stream_id", stream_id), ("secret", secret)):
        if not isinstance(value, str):
            raise ArgumentTypeError(f"{name} must be a str, not {type(value).__name__}")
    return hashlib.sha1((stream_id + secret).encode("utf-8")).hexdigest()


def check_handshake(handshake: Handshake | str, stream_id: str, secret: str) -> bool:
    """Whether ``handshake`` (the element or its digest) proves knowledge of ``secret``
    on the stream ``stream_id``.  The digest is compared in constant time and in either
    case."""
    digest = handshake.digest if isinstance(handshake, Handshake) else handshake
    if not isinstance(digest, str):
        raise ArgumentTypeError(f"a handshake is a Handshake or its digest, not "
                                f"{type(digest).__name__}")
    expected = handshake_digest(stream_id, secret)
    # ASCII only: compare_digest refuses other characters, and no digest holds them.
    given = digest.lower().encode("ascii", "replace")
    return hmac.compare_digest(given, expected.encode("ascii"))
