"""Stream errors (RFC 6120 §4.9).

They arrive between stanzas on a stream; the StreamReader hands them over typed like
stanzas.  A stream error carries one defined condition, an optional text and an
optional application-specific element.  ``<stream:features/>``, whose features are
other protocols' elements, is :mod:`xepcodec.protocols.stream_features`.
"""

from __future__ import annotations

import enum
from typing import Any

from xepcodec.core.namespaces import STREAMS, XML_LANG
from xepcodec.model import attr, child, element, extensions, local_name, text
from xepcodec.model.values import String

__all__ = ["StreamCondition", "StreamError", "StreamErrorCondition", "StreamErrorText"]

#: Namespace of the stream error conditions.
STREAM_ERRORS = "urn:ietf:params:xml:ns:xmpp-streams"


class StreamCondition(enum.StrEnum):
    """The defined stream error conditions (RFC 6120 §4.9.3)."""

    BAD_FORMAT = "bad-format"
    BAD_NAMESPACE_PREFIX = "bad-namespace-prefix"
    CONFLICT = "conflict"
    CONNECTION_TIMEOUT = "connection-timeout"
    HOST_GONE = "host-gone"
    HOST_UNKNOWN = "host-unknown"
    IMPROPER_ADDRESSING = "improper-addressing"
    INTERNAL_SERVER_ERROR = "internal-server-error"
    INVALID_FROM = "invalid-from"
    INVALID_NAMESPACE = "invalid-namespace"
    INVALID_XML = "invalid-xml"
    NOT_AUTHORIZED = "not-authorized"
    NOT_WELL_FORMED = "not-well-formed"
    POLICY_VIOLATION = "policy-violation"
    REMOTE_CONNECTION_FAILED = "remote-connection-failed"
    RESET = "reset"
    RESOURCE_CONSTRAINT = "resource-constraint"
    RESTRICTED_XML = "restricted-xml"
    SEE_OTHER_HOST = "see-other-host"
    SYSTEM_SHUTDOWN = "system-shutdown"
    UNDEFINED_CONDITION = "undefined-condition"
    UNSUPPORTED_ENCODING = "unsupported-encoding"
    UNSUPPORTED_FEATURE = "unsupported-feature"
    UNSUPPORTED_STANZA_TYPE = "unsupported-stanza-type"
    UNSUPPORTED_VERSION = "unsupported-version"


@element(STREAM_ERRORS, tuple(condition.value for condition in StreamCondition))
class StreamErrorCondition:
    """One defined stream error condition; ``see-other-host`` carries the new address."""

    condition: StreamCondition = local_name()
    address: str | None = text(default=None, value=String(min_length=1))

    def __post_init__(self) -> None:
        if self.address is not None and self.condition != StreamCondition.SEE_OTHER_HOST:
            raise ValueError(f"<{self.condition}/> holds no text; only see-other-host "
                             "carries an address")


@element(STREAM_ERRORS, "text")
class StreamErrorText:
    text: str = text()
    lang: str | None = attr(XML_LANG, default=None)


@element(STREAMS, "error", prefix="stream")
class StreamError:
    """``<stream:error/>``; after it the stream is closed."""

    defined: StreamErrorCondition = child(StreamErrorCondition)
    description: StreamErrorText | None = child(StreamErrorText, default=None)
    application: tuple[Any, ...] = extensions()

    def __post_init__(self) -> None:
        if len(self.application) > 1:
            raise ValueError("a stream error carries at most one application-specific "
                             f"condition, not {len(self.application)}")

    @classmethod
    def of(cls, condition: StreamCondition | str, *, text: str | None = None,
           lang: str | None = None) -> StreamError:
        return cls(defined=StreamErrorCondition(condition=StreamCondition(condition)),
                   description=StreamErrorText(text=text, lang=lang) if text else None)

    @property
    def condition(self) -> StreamCondition:
        return self.defined.condition
