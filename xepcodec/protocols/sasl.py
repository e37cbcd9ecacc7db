"""SASL negotiation (RFC 6120 §6), namespace ``urn:ietf:params:xml:ns:xmpp-sasl``.

The receiving entity lists its :class:`Mechanisms` among the stream features; the
initiating entity picks one with :class:`Auth` (carrying the initial response, if the
mechanism has one); then :class:`Challenge` and :class:`Response` alternate until the
receiving entity sends :class:`Success` (the stream restarts, §6.4.6) or
:class:`SaslFailure`.  The initiating entity may give up with :class:`Abort`.  The
mechanisms themselves (PLAIN, SCRAM) are :mod:`xepcodec.sasl`.

The data of auth, challenge, response and success is Base64 on the wire and
``bytes`` here: ``None`` when the element is empty (no data at all, say no initial
response) and ``b""`` for data that is present but empty, written ``=`` (§6.4.2).
Base64 that is not well-formed (whitespace, characters outside the alphabet, wrong
padding; RFC 4648 §4 allows none of them) is refused with a ParseError caused by a
:class:`SaslEncodingError`; :meth:`SaslFailure.for_error` turns such an error into the
failure to answer with, ``incorrect-encoding`` as §6.5.3 asks.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from typing import Any, Final

from xepcodec.core.namespaces import XML_LANG
from xepcodec.errors import ParseError
from xepcodec.model import attr, child, element, extensions, local_name, text, text_children
from xepcodec.model.values import String, Value

__all__ = [
    "MECHANISM_NAME",
    "NS_SASL",
    "Abort",
    "Auth",
    "Challenge",
    "FailureCondition",
    "FailureText",
    "Mechanisms",
    "Response",
    "SaslCondition",
    "SaslData",
    "SaslEncodingError",
    "SaslFailure",
    "Success",
]

#: The namespace of every element here, also the stream feature's.
NS_SASL: Final = "urn:ietf:params:xml:ns:xmpp-sasl"

#: A SASL mechanism name (RFC 4422 §3.1): 1 to 20 upper-case letters, digits, hyphens
#: and underscores.
MECHANISM_NAME: Final = String(min_length=1, max_length=20, pattern=r"[A-Z0-9_\-]{1,20}")

# Base64 as RFC 4648 §4 defines it: whole quanta, padding only at the end, nothing else.
_BASE64: Final = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


class SaslEncodingError(ParseError):
    """SASL data that is not well-formed Base64: RFC 6120 answers it with the SASL
    failure ``incorrect-encoding``.  Its stanza-level ``condition`` is ``bad-request``
    (the stream goes on)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, condition="bad-request", stream=False)


class SaslData(Value[bytes | None]):
    """The character data of auth, challenge, response and success: Base64, or ``=``
    for empty data.  No character data (an empty element, or an empty CDATA section,
    which XML does not tell apart from it) is no data: None."""

    __slots__ = ()
    description = "SASL data (Base64, or = for empty data)"

    def parse(self, text: str) -> bytes | None:
        if not text:
            return None
        if text == "=":
            return b""
        if _BASE64.fullmatch(text) is None:
            raise SaslEncodingError(
                "incorrect-encoding: SASL data must be Base64 (RFC 4648 §4, no whitespace) "
                "or '=' for empty data")
        try:
            return base64.b64decode(text, validate=True)
        except binascii.Error:  # pragma: no cover - the pattern admits only valid Base64
            raise SaslEncodingError("incorrect-encoding: the SASL data is not Base64") from None

    def format(self, value: bytes | None) -> str:
        if value is None:
            return ""
        if not isinstance(value, bytes | bytearray):
            raise ValueError(f"expected bytes, got {type(value).__name__}")
        return base64.b64encode(value).decode("ascii") if value else "="

    @property
    def exact_type(self) -> type | None:
        return bytes

    def coerce(self, value: Any) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, bytearray | memoryview):
            value = bytes(value)  # a frozen object keeps no buffer that can change
        if not isinstance(value, bytes):
            raise TypeError(f"expected bytes, not {type(value).__name__}")
        return value


_DATA: Final = SaslData()


@element(NS_SASL, "mechanisms")
class Mechanisms:
    """The stream feature: the mechanisms offered, in the server's order of
    preference (at least one).  ``extensions`` keeps what other protocols add inside
    (XEP-0233's ``<hostname/>``, say)."""

    mechanisms: tuple[str, ...] = text_children("mechanism", value=MECHANISM_NAME)
    extensions: tuple[Any, ...] = extensions(foreign_only=True)

    def __post_init__(self) -> None:
        if not self.mechanisms:
            raise ValueError("<mechanisms/> lists at least one <mechanism/> (RFC 6120 §6.4.1)")


@element(NS_SASL, "auth")
class Auth:
    """The initiating entity picks ``mechanism``; ``data`` is its initial response
    (None: none; ``b""``: an empty one)."""

    mechanism: str = attr(value=MECHANISM_NAME)
    data: bytes | None = text(default=None, value=_DATA)


@element(NS_SASL, "challenge")
class Challenge:
    """A challenge of the receiving entity."""

    data: bytes | None = text(default=None, value=_DATA)


@element(NS_SASL, "response")
class Response:
    """The initiating entity's response to a challenge."""

    data: bytes | None = text(default=None, value=_DATA)


@element(NS_SASL, "success")
class Success:
    """Authentication succeeded; ``data`` is the additional data with success (the
    server's signature in SCRAM).  The stream restarts."""

    data: bytes | None = text(default=None, value=_DATA)


@element(NS_SASL, "abort")
class Abort:
    """The initiating entity gives up; the receiving entity answers with the failure
    ``aborted``."""


class SaslCondition(enum.StrEnum):
    """The SASL failure conditions of RFC 6120 §6.5."""

    ABORTED = "aborted"
    ACCOUNT_DISABLED = "account-disabled"
    CREDENTIALS_EXPIRED = "credentials-expired"
    ENCRYPTION_REQUIRED = "encryption-required"
    INCORRECT_ENCODING = "incorrect-encoding"
    INVALID_AUTHZID = "invalid-authzid"
    INVALID_MECHANISM = "invalid-mechanism"
    MALFORMED_REQUEST = "malformed-request"
    MECHANISM_TOO_WEAK = "mechanism-too-weak"
    NOT_AUTHORIZED = "not-authorized"
    TEMPORARY_AUTH_FAILURE = "temporary-auth-failure"


@element(NS_SASL, tuple(condition.value for condition in SaslCondition))
class FailureCondition:
    """The condition element of a failure (``<not-authorized/>``…)."""

    condition: SaslCondition = local_name()


@element(NS_SASL, "text")
class FailureText:
    """A human-readable description of a failure."""

    text: str = text()
    lang: str | None = attr(XML_LANG, default=None)


@element(NS_SASL, "failure")
class SaslFailure:
    """Authentication failed.  ``defined`` holds the condition; RFC 6120's schema lets
    it be absent (as some older servers send it), so :attr:`condition` may be None."""

    defined: FailureCondition | None = child(FailureCondition, default=None)
    description: FailureText | None = child(FailureText, default=None)

    @classmethod
    def of(cls, condition: SaslCondition | str, *, text: str | None = None,
           lang: str | None = None) -> SaslFailure:
        """The failure with ``condition`` and, when given, a ``text`` in ``lang``."""
        return cls(defined=FailureCondition(condition=SaslCondition(condition)),
                   description=FailureText(text=text, lang=lang) if text else None)

    @classmethod
    def for_error(cls, error: BaseException) -> SaslFailure:
        """The failure answering an auth or response that did not parse:
        ``incorrect-encoding`` when its data was not Base64, ``malformed-request``
        otherwise (§6.5.3, §6.5.8)."""
        # The decoder places the error it was given (naming the element), so the
        # encoding error is found among the causes and contexts of the one raised.
        seen: set[int] = set()
        pending: list[BaseException | None] = [error]
        while pending:
            each = pending.pop()
            if each is None or id(each) in seen:
                continue
            if isinstance(each, SaslEncodingError):
                return cls.of(SaslCondition.INCORRECT_ENCODING)
            seen.add(id(each))
            pending += [each.__cause__, each.__context__]
        return cls.of(SaslCondition.MALFORMED_REQUEST)

    @property
    def condition(self) -> SaslCondition | None:
        """The condition, or None when the failure names none."""
        return None if self.defined is None else self.defined.condition

    @property
    def text(self) -> str | None:
        """The description's text, or None."""
        return None if self.description is None else self.description.text
