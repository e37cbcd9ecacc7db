"""Stream features (RFC 6120 §4.3.2): ``<stream:features/>`` and the features that
only ever appear there.

After each stream header the receiving entity lists what it offers.  The features of
the negotiation each have a field of :class:`StreamFeatures` (STARTTLS, SASL, resource
binding, the legacy session, XEP-0198 stream management), and so do those other
protocols put there (XEP-0115 caps, RFC 6121 roster versioning, XEP-0077 in-band
registration); any other feature is kept in ``others``, typed when a protocol module
declares it, as raw XML otherwise: a feature this library does not know is never a
reason to refuse the element.

Roster versioning and in-band registration are announced by an empty element each
(:class:`RosterVersioning`, :class:`RegisterFeature`), declared here since nothing else
of their protocols travels in their namespaces.
"""

from __future__ import annotations

from typing import Any, Final

from xepcodec.core.namespaces import STREAMS
from xepcodec.model import child, element, extensions
from xepcodec.protocols.bind import Bind
from xepcodec.protocols.caps import Caps
from xepcodec.protocols.sasl import Mechanisms
from xepcodec.protocols.session import Session
from xepcodec.protocols.starttls import StartTls
from xepcodec.protocols.stream_management import SmFeature

__all__ = [
    "NS_REGISTER_FEATURE",
    "NS_ROSTER_VERSIONING",
    "RegisterFeature",
    "RosterVersioning",
    "StreamFeatures",
]

#: The namespace of the roster versioning feature (RFC 6121 §2.6.1).
NS_ROSTER_VERSIONING: Final = "urn:xmpp:features:rosterver"
#: The namespace of the in-band registration feature (XEP-0077 §5).
NS_REGISTER_FEATURE: Final = "http://jabber.org/features/iq-register"


@element(NS_ROSTER_VERSIONING, "ver")
class RosterVersioning:
    """The server supports roster versioning."""


@element(NS_REGISTER_FEATURE, "register")
class RegisterFeature:
    """The server lets a client register an account in-band on this stream."""


@element(STREAMS, "features", prefix="stream")
class StreamFeatures:
    """``<stream:features/>``: one field per known feature (None when not offered),
    every other feature in ``others``.  Features are written in the order of the
    fields, then ``others``; on reading, any order is accepted."""

    starttls: StartTls | None = child(StartTls, default=None)
    mechanisms: Mechanisms | None = child(Mechanisms, default=None)
    bind: Bind | None = child(Bind, default=None)
    session: Session | None = child(Session, default=None)
    sm: SmFeature | None = child(SmFeature, default=None)
    caps: Caps | None = child(Caps, default=None)
    roster_versioning: RosterVersioning | None = child(RosterVersioning, default=None)
    register: RegisterFeature | None = child(RegisterFeature, default=None)
    others: tuple[Any, ...] = extensions()

    @property
    def mechanism_names(self) -> tuple[str, ...]:
        """The SASL mechanisms offered, in the server's order; empty when none are."""
        return () if self.mechanisms is None else self.mechanisms.mechanisms
