"""Session establishment (RFC 3921 §3), namespace ``urn:ietf:params:xml:ns:xmpp-session``.

RFC 6121 dropped the step, but servers still offer :class:`Session` among their stream
features, most with ``<optional/>`` to say that a client may skip it; a client that
does not skip it sends the element in an iq ``set`` after binding and gets an empty
result.
"""

from __future__ import annotations

from typing import Final

from xepcodec.model import element, flag

__all__ = ["NS_SESSION", "Session"]

#: The namespace of the element, also the stream feature's.
NS_SESSION: Final = "urn:ietf:params:xml:ns:xmpp-session"


@element(NS_SESSION, "session")
class Session:
    """The stream feature (``optional`` when the client may skip the step) and the
    payload of the request."""

    optional: bool = flag("optional")
