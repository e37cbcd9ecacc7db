"""STARTTLS negotiation (RFC 6120 §5), namespace ``urn:ietf:params:xml:ns:xmpp-tls``.

The receiving entity offers :class:`StartTls` among its stream features (with
``required`` when it will not go on without TLS); the initiating entity sends the same
element, empty, to ask for it; the answer is :class:`Proceed` (both sides then run the
TLS handshake and restart the stream, §5.4.3.3) or :class:`TlsFailure` (the receiving
entity then closes the stream and the connection).
"""

from __future__ import annotations

from typing import Final

from xepcodec.model import element, flag

__all__ = ["NS_TLS", "Proceed", "StartTls", "TlsFailure"]

#: The namespace of the three elements.
NS_TLS: Final = "urn:ietf:params:xml:ns:xmpp-tls"


@element(NS_TLS, "starttls")
class StartTls:
    """The stream feature, and the request to start TLS (then never ``required``).

    ``required`` is the ``<required/>`` child a receiving entity adds when it insists
    on TLS before anything else."""

    required: bool = flag("required")


@element(NS_TLS, "proceed")
class Proceed:
    """The receiving entity agrees: the TLS handshake follows, then a new stream."""


@element(NS_TLS, "failure")
class TlsFailure:
    """The TLS negotiation failed; the receiving entity closes the stream."""
