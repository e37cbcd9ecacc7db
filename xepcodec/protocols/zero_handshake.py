"""Zero Handshake Server to Server Protocol (XEP-0361): s2s without the negotiation.

Two servers that have agreed beforehand on everything a server-to-server stream would
negotiate (who they are, which domains each serves, TLS or not, the port) skip the
negotiation altogether: no stream header is written, no features, no STARTTLS, no SASL,
no dialback.  Stanzas go on the wire from the first byte, and each side reads them as
if the other had opened a stream with the content namespace ``jabber:server`` as its
default and the usual ``stream`` prefix bound to the streams namespace (XEP-0361 §4.1,
as revised in 0.2: the header is assumed, not sent).  The end of the stream is still
the closing ``</stream:stream>`` tag, which each side should send.

XEP-0361 defines no namespace and no element; what it defines is carried here:

* :class:`Agreement`, the a priori configuration of one side: its own domains and the
  peer's (a link usually carries several, a base domain and its MUC service say);
* :meth:`Agreement.refusal`, the check the XEP asks of every stanza read from the link:
  it is judged as a standard s2s stream would judge it, so a stanza with no ``to`` or
  ``from`` is ``improper-addressing``, one ``from`` a domain the peer does not serve
  is ``invalid-from``, one ``to`` a domain this side does not serve is
  ``host-unknown`` (RFC 6120 §4.9.3), and a stanza of another content namespace is
  ``invalid-namespace``;
* :data:`IMPLIED_NAMESPACE` and :func:`implied_header`, the stream header both sides
  take as sent.

The session that runs such a link is
:class:`xepcodec.machines.zero_handshake.ZeroHandshakeSession`.  The XEP leaves the
identification of the peer (source address, pinned certificate) to the transport:
whatever connection the caller hands the session is taken to be the agreed peer's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from xepcodec.core.namespaces import SERVER
from xepcodec.core.stanzas import Iq, Message, Presence
from xepcodec.core.streams import StreamCondition
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, JIDError
from xepcodec.xml.writer import stream_header

__all__ = ["IMPLIED_NAMESPACE", "Agreement", "Refusal", "implied_header"]

#: The content namespace of every zero-handshake stream: it is a server-to-server
#: stream whose header is never sent.
IMPLIED_NAMESPACE: Final = SERVER


def implied_header() -> bytes:
    """The header both sides read the link as if it had been sent: ``jabber:server``
    as the default namespace and the ``stream`` prefix, nothing else (no addresses, no
    id, no version: XEP-0361 names only the two namespace declarations)."""
    return stream_header(namespace=IMPLIED_NAMESPACE, version=None)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a stanza read from the link is refused: the RFC 6120 stream error condition
    and a sentence naming the address or namespace at fault."""

    condition: StreamCondition
    text: str


@dataclass(frozen=True, slots=True)
class Agreement:
    """One side's a priori configuration of a zero-handshake link (XEP-0361 §4).

    ``local`` are the domains this side serves over the link, ``peer`` those of the
    server at the other end; each is one domain or several, given as strings or
    :class:`~xepcodec.datatypes.jid.JID` and kept as a frozenset of bare domain JIDs.
    A domain cannot be on both sides.  The peer's agreement is the mirror image:
    :meth:`mirrored`.
    """

    local: frozenset[JID]
    peer: frozenset[JID]

    def __init__(self, local: str | JID | Iterable[str | JID],
                 peer: str | JID | Iterable[str | JID]) -> None:
        object.__setattr__(self, "local", _domains(local, "local"))
        object.__setattr__(self, "peer", _domains(peer, "peer"))
        shared = self.local & self.peer
        if shared:
            raise ArgumentValueError(
                f"Agreement: {', '.join(sorted(str(d) for d in shared))} cannot be both a "
                "local and a peer domain: each domain is served at one end of the link")

    def mirrored(self) -> Agreement:
        """The same agreement as the peer holds it."""
        return Agreement(local=self.peer, peer=self.local)

    def serves(self, address: JID) -> bool:
        """Whether ``address`` is at one of this side's domains."""
        return address.domain_jid in self.local

    def is_peer(self, address: JID) -> bool:
        """Whether ``address`` is at one of the peer's domains."""
        return address.domain_jid in self.peer

    def refusal(self, stanza: Message | Presence | Iq) -> Refusal | None:
        """Whether a stanza read from the link is refused, and why; None when it is
        addressed from the peer to this side in the stream's namespace."""
        if stanza.namespace != IMPLIED_NAMESPACE:
            return Refusal(StreamCondition.INVALID_NAMESPACE,
                           f"a zero-handshake stream carries {IMPLIED_NAMESPACE} stanzas, "
                           f"not {stanza.namespace} ones")
        return self.address_refusal(stanza.from_, stanza.to)

    def address_refusal(self, from_: JID | None, to: JID | None) -> Refusal | None:
        """The addressing half of :meth:`refusal`, for a stanza's ``from`` and ``to``
        (also for one the reader could not type, whose addresses the caller read)."""
        if from_ is None or to is None:
            missing = " and ".join(name for name, value in (("'from'", from_), ("'to'", to))
                                   if value is None)
            return Refusal(StreamCondition.IMPROPER_ADDRESSING,
                           f"a stanza between servers carries 'from' and 'to'; this one has "
                           f"no {missing}")
        if not self.is_peer(from_):
            return Refusal(StreamCondition.INVALID_FROM,
                           f"'from' {from_} is not at a domain agreed for the peer "
                           f"({_listed(self.peer)})")
        if not self.serves(to):
            return Refusal(StreamCondition.HOST_UNKNOWN,
                           f"'to' {to} is not at a domain served here ({_listed(self.local)})")
        return None


def _domains(value: object, side: str) -> frozenset[JID]:
    items = [value] if isinstance(value, str | JID) else value
    if not isinstance(items, Iterable):
        raise ArgumentTypeError(f"Agreement.{side} must be a domain or several, not "
                                f"{type(value).__name__}")
    domains = []
    for item in items:
        if not isinstance(item, str | JID):
            raise ArgumentTypeError(f"Agreement.{side}: a domain is a str or a JID, not "
                                    f"{type(item).__name__}")
        try:
            jid = JID.parse(item) if isinstance(item, str) else item
        except JIDError as error:
            raise ArgumentValueError(f"Agreement.{side}: {error.message}") from None
        if not jid.is_domain:
            raise ArgumentValueError(f"Agreement.{side}: {str(jid)!r} is not a bare domain "
                                     f"(a server is named by its domain, {jid.domain!r})")
        domains.append(jid)
    if not domains:
        raise ArgumentValueError(f"Agreement.{side} names no domain: a link joins at least "
                                 "one domain at each end")
    return frozenset(domains)


def _listed(domains: frozenset[JID]) -> str:
    return ", ".join(sorted(str(domain) for domain in domains))
