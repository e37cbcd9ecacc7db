"""XMPP Ping (XEP-0199).

A ping is an iq of type ``get`` whose payload is the empty ``<ping/>`` element of
``urn:xmpp:ping``; the answer is an empty iq result (or an error, which still proves
the path works: ``service-unavailable`` from a client that does not implement pings,
say).  The same request serves client-to-server, server-to-server and end-to-end
pings: only the addresses differ.

(The MUC self-ping of XEP-0410 reuses this element; its rules live elsewhere.)
"""

from __future__ import annotations

from typing import Final

from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError
from xepcodec.model import element

__all__ = ["NS_PING", "Ping", "is_ping", "ping_request", "pong"]

#: The namespace of the ping element, which is also the disco#info feature a
#: responder advertises.
NS_PING: Final = "urn:xmpp:ping"


@element(NS_PING, "ping")
class Ping:
    """The ping payload: an element with no attributes, children or text."""


def ping_request(*, id: str, to: JID | None = None, from_: JID | None = None,
                 namespace: str = CLIENT) -> Iq:
    """The iq ``get`` carrying a ping.

    ``to`` None pings the sender's own server (a client-to-server ping is usually
    addressed to the server's domain, but the server answers either way).
    """
    return Iq(namespace=namespace, type=IqType.GET, id=id, to=to, from_=from_,
              extensions=(Ping(),))


def is_ping(stanza: object) -> bool:
    """Whether ``stanza`` is a ping request: an iq ``get`` whose payload is a ping."""
    return (isinstance(stanza, Iq) and stanza.type == IqType.GET
            and isinstance(stanza.payload, Ping))


def pong(request: Iq) -> Iq:
    """The answer to a ping: an empty result with the request's id, addresses swapped.

    Raises ArgumentValueError (a ValueError) when ``request`` is not a ping request.
    """
    if not is_ping(request):
        raise ArgumentValueError("only a ping request (an iq get carrying <ping/>) is answered "
                                 "with a pong")
    return request.result()
