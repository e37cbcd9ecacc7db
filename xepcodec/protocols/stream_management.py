"""Stream Management (XEP-0198), namespace ``urn:xmpp:sm:3``.

Once a stream is authenticated (and, for a client, bound), either side may turn on
stream management: the client sends :class:`Enable`, the server answers
:class:`Enabled` or :class:`Failed`.  From then on each side counts the stanzas it has
handled, asks the other for its count with :class:`R` and answers such a request with
:class:`A`.  A client whose stream broke sends :class:`Resume` on a new stream; the
server answers :class:`Resumed` or :class:`Failed`.  A server offers all this with the
:class:`SmFeature` stream feature.

The handled count ``h`` is an XML Schema ``unsignedInt``: it runs from 0 to
:data:`H_MAX` and then wraps back to 0 (XEP-0198 §4), never growing past 32 bits.  So
counts are compared and advanced modulo :data:`H_MODULUS`, never with plain ``+`` and
``-``: :func:`h_add` advances a count, :func:`h_since` says how many stanzas lie
between two counts.
"""

from __future__ import annotations

from typing import Final

from xepcodec.core.stanza_errors import Condition, DefinedCondition, ErrorText
from xepcodec.errors import ArgumentTypeError, ArgumentValueError
from xepcodec.model import attr, child, element, flag
from xepcodec.model.values import Integer

__all__ = [
    "H_MAX",
    "H_MODULUS",
    "NS_SM",
    "A",
    "Enable",
    "Enabled",
    "Failed",
    "HandledCountTooHigh",
    "R",
    "Resume",
    "Resumed",
    "SmFeature",
    "h_add",
    "h_since",
]

#: The namespace of every element here; also the stream feature's namespace.
NS_SM: Final = "urn:xmpp:sm:3"
#: The number of distinct handled counts: ``h`` is kept modulo this.
H_MODULUS: Final = 2**32
#: The largest handled count; the one after it is 0.
H_MAX: Final = H_MODULUS - 1

_H: Final = Integer(minimum=0, maximum=H_MAX)
# 'max' is a positiveInteger: a resumption time of at least one second.
_SECONDS: Final = Integer(minimum=1)


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentTypeError(f"{name} must be an int, not {type(value).__name__}")
    return value


def h_add(h: int, n: int = 1) -> int:
    """The handled count ``n`` stanzas after ``h``, wrapping past :data:`H_MAX` to 0.

    ``n`` may be any non-negative number (a batch larger than the modulus wraps as
    often as it must)."""
    h, n = _count(h, "h"), _count(n, "n")
    if not 0 <= h <= H_MAX:
        raise ArgumentValueError(f"h must be between 0 and {H_MAX}, not {h}")
    if n < 0:
        raise ArgumentValueError(f"n must not be negative, not {n}")
    return (h + n) % H_MODULUS


def h_since(earlier: int, later: int) -> int:
    """How many stanzas were handled between the counts ``earlier`` and ``later``
    (``later`` reached from ``earlier`` by counting up, wrapping at :data:`H_MAX`).

    ``h_since(H_MAX, 1)`` is 2.  Counts that differ by :data:`H_MODULUS` or more cannot
    be told apart: an ack must come before that many stanzas are sent."""
    earlier, later = _count(earlier, "earlier"), _count(later, "later")
    for name, value in (("earlier", earlier), ("later", later)):
        if not 0 <= value <= H_MAX:
            raise ArgumentValueError(f"{name} must be between 0 and {H_MAX}, not {value}")
    return (later - earlier) % H_MODULUS


@element(NS_SM, "sm")
class SmFeature:
    """The ``<sm/>`` stream feature.  Servers may mark it ``<required/>`` or
    ``<optional/>`` (a child in this namespace), as they mark other features; neither
    means optional."""

    required: bool = flag("required")
    optional: bool = flag("optional")

    def __post_init__(self) -> None:
        if self.required and self.optional:
            raise ValueError("<sm/> is either required or optional, not both")


@element(NS_SM, "enable")
class Enable:
    """The client's request to turn stream management on.  ``resume`` asks that the
    stream may be resumed (None: not said, which means no); ``max`` is the preferred
    longest resumption time, in seconds."""

    resume: bool | None = attr(default=None)
    max: int | None = attr(default=None, value=_SECONDS)


@element(NS_SM, "enabled")
class Enabled:
    """The server's answer turning stream management on.  ``id`` names the session for
    a later :class:`Resume` (opaque to the client); ``resume`` says whether resumption
    is allowed; ``location`` is where to reconnect to resume (``host:port``, an IPv6
    address in brackets); ``max`` is the longest resumption time, in seconds."""

    id: str | None = attr(default=None)
    location: str | None = attr(default=None)
    max: int | None = attr(default=None, value=_SECONDS)
    resume: bool | None = attr(default=None)


@element(NS_SM, "r")
class R:
    """A request for the receiver's handled count, answered with :class:`A`."""


@element(NS_SM, "a")
class A:
    """An acknowledgement: ``h`` stanzas of this stream handled (modulo 2^32)."""

    h: int = attr(value=_H)


@element(NS_SM, "resume")
class Resume:
    """The client's request to resume the session ``previd``; ``h`` is the count of
    stanzas it handled from the server on the old stream."""

    h: int = attr(value=_H)
    previd: str = attr()


@element(NS_SM, "resumed")
class Resumed:
    """The server's answer resuming the session ``previd``; ``h`` is the count of
    stanzas it handled from the client on the old stream."""

    h: int = attr(value=_H)
    previd: str = attr()


@element(NS_SM, "failed")
class Failed:
    """The refusal of an :class:`Enable` or a :class:`Resume`.  ``defined`` is a stanza
    error condition (``unexpected-request``, ``feature-not-implemented``,
    ``item-not-found``…), optional as the XEP has it, with an optional ``text``;
    ``h``, for a resumption refused after a timeout, is what the server had handled."""

    h: int | None = attr(default=None, value=_H)
    defined: DefinedCondition | None = child(DefinedCondition, default=None)
    description: ErrorText | None = child(ErrorText, default=None)

    @classmethod
    def of(cls, condition: Condition | str, *, h: int | None = None) -> Failed:
        """A ``<failed/>`` carrying one defined condition."""
        try:
            defined = Condition(condition)
        except ValueError:
            raise ArgumentValueError(f"{condition!r} is not a stanza error condition "
                                     "(RFC 6120 §8.3.3)") from None
        return cls(h=h, defined=DefinedCondition(condition=defined))

    @property
    def condition(self) -> Condition | None:
        return None if self.defined is None else self.defined.condition


@element(NS_SM, "handled-count-too-high")
class HandledCountTooHigh:
    """The application condition of the ``undefined-condition`` stream error an entity
    sends when the peer acknowledged more stanzas (``h``) than it was sent
    (``send_count``)."""

    h: int | None = attr(default=None, value=_H)
    send_count: int | None = attr("send-count", default=None, value=_H)
