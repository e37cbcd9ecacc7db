"""The error hierarchy.

Every error the library raises derives from :class:`XepCodecError`.  Errors about
received data carry the RFC 6120 condition a receiving entity would answer with, so
a caller can turn any of them into a stream error or a stanza error without a table
of its own.
"""

from __future__ import annotations

from typing import Final

#: RFC 6120 §4.9.3 stream error conditions.
STREAM_CONDITIONS: Final = frozenset(
    {
        "bad-format",
        "bad-namespace-prefix",
        "conflict",
        "connection-timeout",
        "host-gone",
        "host-unknown",
        "improper-addressing",
        "internal-server-error",
        "invalid-from",
        "invalid-namespace",
        "invalid-xml",
        "not-authorized",
        "not-well-formed",
        "policy-violation",
        "remote-connection-failed",
        "reset",
        "resource-constraint",
        "restricted-xml",
        "see-other-host",
        "system-shutdown",
        "undefined-condition",
        "unsupported-encoding",
        "unsupported-feature",
        "unsupported-stanza-type",
        "unsupported-version",
    }
)

#: RFC 6120 §8.3.3 stanza error conditions (all 22 of them).
STANZA_CONDITIONS: Final = frozenset(
    {
        "bad-request",
        "conflict",
        "feature-not-implemented",
        "forbidden",
        "gone",
        "internal-server-error",
        "item-not-found",
        "jid-malformed",
        "not-acceptable",
        "not-allowed",
        "not-authorized",
        "policy-violation",
        "recipient-unavailable",
        "redirect",
        "registration-required",
        "remote-server-not-found",
        "remote-server-timeout",
        "resource-constraint",
        "service-unavailable",
        "subscription-required",
        "undefined-condition",
        "unexpected-request",
    }
)


class XepCodecError(Exception):
    """Root of every error raised by xepcodec."""


class ParseError(XepCodecError):
    """Received data that cannot be accepted.

    ``condition`` is the RFC 6120 condition to answer with; ``stream`` says whether it
    is a stream-level condition (the XML itself is unacceptable: close the stream) or a
    stanza-level one (the XML is fine, its meaning is not: answer with a stanza error).
    ``path`` locates the offending node (``/iq/query/identity[2]/@category``) and
    ``line`` is its line in the input, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        condition: str = "bad-request",
        path: str | None = None,
        line: int | None = None,
        stream: bool | None = None,
    ) -> None:
        if stream is None:
            stream = condition not in STANZA_CONDITIONS
        valid = STREAM_CONDITIONS if stream else STANZA_CONDITIONS
        if condition not in valid:
            raise ValueError(f"{condition!r} is not an RFC 6120 {'stream' if stream else 'stanza'}"
                             " error condition")
        self.message = message
        self.condition = condition
        self.path = path
        self.line = line
        self.stream = stream
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = []
        if self.path:
            where.append(self.path)
        if self.line is not None:
            where.append(f"line {self.line}")
        location = f" at {', '.join(where)}" if where else ""
        return f"{self.message}{location} [{self.condition}]"


class JIDError(ParseError):
    """A malformed JID (RFC 7622); its condition is always ``jid-malformed``."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message, condition="jid-malformed", path=path, line=line, stream=False)


class ProtocolError(XepCodecError):
    """A state machine was asked for a transition its protocol forbids."""


class SerializeError(XepCodecError):
    """An object cannot be written as XML the protocol allows."""


class SchemaError(XepCodecError):
    """A shipped or user-supplied XML Schema cannot be loaded."""


class UnknownProtocolError(XepCodecError, LookupError):
    """A protocol was asked for (by XEP number, say) that xepcodec does not implement.
    A :class:`LookupError` too, so ``except LookupError`` keeps working."""


class ArgumentTypeError(XepCodecError, TypeError):
    """A constructor or function was given a value of the wrong type; the message
    names the class and field.  A :class:`TypeError` too."""


class ArgumentValueError(XepCodecError, ValueError):
    """A constructor or function was given a value its protocol does not allow; the
    message names the class and field.  A :class:`ValueError` too."""
