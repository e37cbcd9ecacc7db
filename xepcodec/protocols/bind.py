"""Resource binding (RFC 6120 §7), namespace ``urn:ietf:params:xml:ns:xmpp-bind``.

One element, :class:`Bind`, in three places: among the stream features (the server
offers binding; Prosody, for one, marks it ``<required/>`` there), as the payload of
the client's iq ``set`` (empty, to let the server choose the resource, or with the
``resource`` it would like), and as the payload of the server's iq ``result`` with the
full ``jid`` it bound.
"""

from __future__ import annotations

from typing import Final

from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.model import element, flag, text_child
from xepcodec.model.values import String

__all__ = ["NS_BIND", "Bind", "bind_request"]

#: The namespace of the element, also the stream feature's.
NS_BIND: Final = "urn:ietf:params:xml:ns:xmpp-bind"


@element(NS_BIND, "bind")
class Bind:
    """``resource``: the resourcepart a client asks for; ``jid``: the full JID the
    server bound.  A request carries at most the first, a result the second; the
    feature carries neither, and may say binding is ``required``."""

    resource: str | None = text_child("resource", default=None, value=String(min_length=1))
    jid: JID | None = text_child("jid", default=None)
    required: bool = flag("required")

    def __post_init__(self) -> None:
        if self.resource is not None and self.jid is not None:
            raise ValueError("<bind/> carries a <resource/> (in a request) or a <jid/> (in "
                             "a result), not both")


def bind_request(*, id: str, resource: str | None = None, namespace: str = CLIENT) -> Iq:
    """The iq ``set`` asking the server to bind ``resource`` (None: the server picks
    one)."""
    return Iq(namespace=namespace, type=IqType.SET, id=id,
              extensions=(Bind(resource=resource),))
