"""The client side of the SASL mechanisms an XMPP client needs: PLAIN (RFC 4616) and
SCRAM-SHA-1 / SCRAM-SHA-256 (RFC 5802, RFC 7677), sans-IO.

A mechanism turns what the server sends into what the client answers, as bytes (the
base64 of the XML elements is the stream's business, not the mechanism's)::

    mechanism = Scram("SCRAM-SHA-256", username="user", password="pencil",
                      nonce=client_nonce)          # the nonce is handed in
    first = mechanism.initial_response()           # into <auth/>
    final = mechanism.challenge(server_first)      # each <challenge/> into <response/>
    mechanism.success(server_final)                # the data of <success/>

Nothing is random here: the client nonce comes from the caller (18 or more random bytes,
as base64, is plenty).  The password is prepared with the PRECIS OpaqueString profile
(RFC 8265, which replaces SASLprep for passwords) and kept only until it is used: PLAIN
drops it once the initial response is built, SCRAM once it has derived its keys from
the server's salt.  The username is sent as given: in XMPP it is a JID's localpart,
already prepared by the JID rules.

What the server gets wrong raises :class:`SaslError` (a malformed message, a nonce that
does not extend the client's, an iteration count out of bounds, a server error ``e=``);
a server signature that does not match, or a ``<success/>`` that came before the server
proved itself, raises :class:`ServerNotVerified`: SCRAM's mutual authentication is never
skipped.  Channel binding (the ``-PLUS`` variants) is not supported, so the GS2 header
is always ``n`` (RFC 5802 §6: the client does not support it).

:func:`choose_mechanism` picks the strongest offered mechanism: SCRAM-SHA-256, then
SCRAM-SHA-1, then PLAIN, which sends the password itself and is taken only when the
caller allows it (over TLS, or on purpose); when none fits it raises
:class:`NoAcceptableMechanism`.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import re
from collections.abc import Iterable
from typing import Final, Protocol

import precis_i18n

from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ProtocolError, XepCodecError

__all__ = [
    "MECHANISMS",
    "Mechanism",
    "NoAcceptableMechanism",
    "Plain",
    "SaslError",
    "Scram",
    "ServerNotVerified",
    "check_preference",
    "choose_mechanism",
    "client_mechanism",
    "prepare_password",
]

#: The mechanisms this module speaks, strongest first.
MECHANISMS: Final = ("SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN")

_HASHES: Final[dict[str, str]] = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256"}

#: RFC 5802 §5.1 asks for at least 4096 iterations but servers may use fewer; an upper
#: bound keeps a hostile server from making the client spin on PBKDF2.
DEFAULT_MAX_ITERATIONS: Final = 1_000_000

_PASSWORD_PROFILE: Final = precis_i18n.get_profile("OpaqueString")
# RFC 5802 §7: a nonce is printable ASCII except the comma.
_NONCE: Final = re.compile(r"[\x21-\x2b\x2d-\x7e]+")


class SaslError(XepCodecError):
    """The SASL exchange cannot go on: what the server sent is malformed or reports a
    failure of its own."""


class ServerNotVerified(SaslError):
    """The server did not prove that it knows the password: its SCRAM signature is
    wrong, or it declared success before sending one."""


class NoAcceptableMechanism(SaslError):
    """None of the mechanisms the server offers is one the client may use.

    ``offered`` lists what the server offered, ``acceptable`` what the client would
    have taken (PLAIN only when allowed)."""

    def __init__(self, offered: Iterable[str], acceptable: Iterable[str]) -> None:
        self.offered = tuple(offered)
        self.acceptable = tuple(acceptable)
        super().__init__(
            f"the server offers {', '.join(self.offered) or 'no mechanism'}; "
            f"acceptable here: {', '.join(self.acceptable)}")


class Mechanism(Protocol):
    """The client side of one SASL exchange."""

    @property
    def name(self) -> str:
        """The mechanism's registered name, as ``<auth mechanism=…/>`` carries it."""
        ...

    def initial_response(self) -> bytes:
        """What the client sends first, in ``<auth/>``."""
        ...

    def challenge(self, data: bytes) -> bytes:
        """The answer to one ``<challenge/>`` from the server."""
        ...

    def success(self, data: bytes) -> None:
        """Take the data of ``<success/>`` (empty when there is none); raises
        :class:`ServerNotVerified` unless the server has proved itself."""
        ...


def choose_mechanism(offered: Iterable[str], *, allow_plain: bool,
                     preference: Iterable[str] = MECHANISMS) -> str:
    """The first mechanism of ``preference`` (by default :data:`MECHANISMS`, strongest
    first; a caller may narrow it to one) the server offers; PLAIN only with
    ``allow_plain``.  Raises :class:`NoAcceptableMechanism` when none fits."""
    offered = tuple(offered)
    acceptable = tuple(check_preference(preference))
    if not allow_plain:
        acceptable = tuple(m for m in acceptable if m != "PLAIN")
    for name in acceptable:
        if name in offered:
            return name
    raise NoAcceptableMechanism(offered, acceptable)


def check_preference(preference: Iterable[str]) -> tuple[str, ...]:
    """``preference`` as a tuple, each name one of :data:`MECHANISMS`, at least one."""
    if isinstance(preference, str):
        raise ArgumentTypeError("the mechanism preference is a sequence of names, not a str")
    names = tuple(preference)
    unknown = [name for name in names if name not in MECHANISMS]
    if unknown or not names:
        raise ArgumentValueError(f"the mechanism preference {names!r} must name some of "
                                 f"{', '.join(MECHANISMS)} and nothing else")
    return names


def client_mechanism(name: str, *, username: str, password: str, nonce: str,
                     authzid: str | None = None,
                     max_iterations: int = DEFAULT_MAX_ITERATIONS) -> Mechanism:
    """A fresh client for the mechanism called ``name`` (one of :data:`MECHANISMS`);
    ``nonce`` is used by SCRAM only."""
    if name == "PLAIN":
        return Plain(username=username, password=password, authzid=authzid)
    if name in _HASHES:
        return Scram(name, username=username, password=password, nonce=nonce,
                     authzid=authzid, max_iterations=max_iterations)
    raise ArgumentValueError(f"client_mechanism: {name!r} is none of {', '.join(MECHANISMS)}")


def prepare_password(password: str) -> str:
    """``password`` enforced with the PRECIS OpaqueString profile (RFC 8265 §4.2)."""
    if not isinstance(password, str):
        raise ArgumentTypeError(f"the password must be a str, not {type(password).__name__}")
    try:
        prepared: str = _PASSWORD_PROFILE.enforce(password)
    except UnicodeError as error:
        reason = str(error.reason) if isinstance(error, UnicodeEncodeError) else str(error)
        raise ArgumentValueError(f"the password cannot be prepared as a PRECIS "
                                 f"OpaqueString: {reason}") from None
    return prepared


def _check_name(what: str, value: str) -> str:
    if not isinstance(value, str):
        raise ArgumentTypeError(f"the {what} must be a str, not {type(value).__name__}")
    if not value or "\0" in value:
        raise ArgumentValueError(f"the {what} must be non-empty and free of NUL characters")
    return value


class _Step(enum.Enum):
    START = "start"
    SENT_FIRST = "sent first message"
    SENT_FINAL = "sent final message"
    VERIFIED = "server verified"
    DONE = "done"


def _out_of_order(name: str, call: str, step: _Step) -> ProtocolError:
    return ProtocolError(f"{name}: {call}() is not allowed after the step '{step.value}'")


# -- PLAIN ----------------------------------------------------------------------------------


class Plain:
    """RFC 4616 PLAIN: the authorization identity (empty unless given), the username
    and the password in one message.  It proves nothing about the server, hence
    :func:`choose_mechanism` takes it only when allowed."""

    name: Final = "PLAIN"

    def __init__(self, *, username: str, password: str, authzid: str | None = None) -> None:
        self._message: bytes | None = b"\0".join([
            _check_name("authorization identity", authzid).encode() if authzid else b"",
            _check_name("username", username).encode(),
            prepare_password(password).encode(),
        ])
        self._step = _Step.START

    def initial_response(self) -> bytes:
        if self._step is not _Step.START or self._message is None:
            raise _out_of_order(self.name, "initial_response", self._step)
        message, self._message = self._message, None  # the password goes with it
        self._step = _Step.SENT_FIRST
        return message

    def challenge(self, data: bytes) -> bytes:
        raise SaslError("PLAIN has no challenges, yet the server sent one")

    def success(self, data: bytes) -> None:
        if self._step is not _Step.SENT_FIRST:
            raise _out_of_order(self.name, "success", self._step)
        if data:
            raise SaslError("PLAIN defines no data with success, yet the server sent some")
        self._step = _Step.DONE


# -- SCRAM ----------------------------------------------------------------------------------


def _escape_name(name: str) -> str:
    """RFC 5802 §5.1 saslname: '=' and ',' escaped."""
    return name.replace("=", "=3D").replace(",", "=2C")


def _attributes(message: bytes, what: str) -> list[tuple[str, str]]:
    """The ``a=value`` pairs of a SCRAM message, in order."""
    try:
        text = message.decode("utf-8")
    except UnicodeDecodeError:
        raise SaslError(f"the server's {what} is not UTF-8") from None
    pairs = []
    for part in text.split(","):
        if len(part) < 2 or part[1] != "=" or not part[0].isascii() or not part[0].isalpha():
            raise SaslError(f"the server's {what} is malformed: {text!r}")
        pairs.append((part[0], part[2:]))
    return pairs


def _b64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SaslError(f"the server's {what} is not base64: {value!r}") from None


class Scram:
    """RFC 5802 SCRAM with SHA-1 or (RFC 7677) SHA-256, client side, without channel
    binding."""

    def __init__(self, name: str, *, username: str, password: str, nonce: str,
                 authzid: str | None = None,
                 max_iterations: int = DEFAULT_MAX_ITERATIONS) -> None:
        if name not in _HASHES:
            raise ArgumentValueError(f"Scram: {name!r} is neither SCRAM-SHA-1 nor SCRAM-SHA-256")
        if not isinstance(nonce, str) or not _NONCE.fullmatch(nonce):
            raise ArgumentValueError("Scram: the nonce must be printable ASCII without commas")
        self._name = name
        self._hash = _HASHES[name]
        self._password: str | None = prepare_password(password)
        self._nonce = nonce
        self._max_iterations = max_iterations
        authorization = _check_name("authorization identity", authzid) if authzid else None
        self._gs2_header = f"n,{f'a={_escape_name(authorization)}' if authorization else ''},"
        self._first_bare = f"n={_escape_name(_check_name('username', username))},r={nonce}"
        self._server_signature: bytes | None = None
        self._step = _Step.START

    @property
    def name(self) -> str:
        return self._name

    def initial_response(self) -> bytes:
        if self._step is not _Step.START:
            raise _out_of_order(self._name, "initial_response", self._step)
        self._step = _Step.SENT_FIRST
        return (self._gs2_header + self._first_bare).encode("utf-8")

    def challenge(self, data: bytes) -> bytes:
        if self._step is _Step.SENT_FIRST:
            return self._client_final(data)
        if self._step is _Step.SENT_FINAL:
            # Some servers send the server-final message as a challenge, and their
            # <success/> then carries nothing: verify now, answer with nothing.
            self._verify(data)
            return b""
        raise SaslError(f"{self._name}: the server sent a challenge after the step "
                        f"'{self._step.value}'")

    def success(self, data: bytes) -> None:
        if data:
            if self._step is not _Step.SENT_FINAL:
                raise SaslError(f"{self._name}: the server sent data with success after the "
                                f"step '{self._step.value}'")
            self._verify(data)
        if self._step is not _Step.VERIFIED:
            raise ServerNotVerified(f"{self._name}: the server declared success without "
                                    "proving that it knows the password")
        self._step = _Step.DONE

    def _client_final(self, server_first: bytes) -> bytes:
        pairs = _attributes(server_first, "first message")
        if [key for key, _ in pairs[:3]] != ["r", "s", "i"]:
            if pairs and pairs[0][0] == "m":
                raise SaslError(f"{self._name}: the server requires an extension (m=) "
                                "this client does not support")
            raise SaslError(f"{self._name}: the server's first message must start with "
                            f"r=, s=, i=: {server_first!r}")
        nonce, salt_text, count_text = (value for _, value in pairs[:3])
        if not nonce.startswith(self._nonce) or len(nonce) == len(self._nonce) \
                or not _NONCE.fullmatch(nonce):
            raise SaslError(f"{self._name}: the server's nonce does not extend the client's")
        salt = _b64(salt_text, "salt")
        if not count_text.isascii() or not count_text.isdigit():
            raise SaslError(f"{self._name}: the iteration count {count_text!r} is not a number")
        iterations = int(count_text)
        if not 1 <= iterations <= self._max_iterations:
            raise SaslError(f"{self._name}: the iteration count {iterations} is outside "
                            f"1..{self._max_iterations}")
        assert self._password is not None  # set until this, the only step using it
        password, self._password = self._password, None
        salted = hashlib.pbkdf2_hmac(self._hash, password.encode("utf-8"), salt, iterations)
        client_key = self._hmac(salted, b"Client Key")
        stored_key = hashlib.new(self._hash, client_key).digest()
        channel = base64.b64encode(self._gs2_header.encode("utf-8")).decode("ascii")
        without_proof = f"c={channel},r={nonce}"
        auth_message = ",".join([self._first_bare, server_first.decode("utf-8"),
                                 without_proof]).encode("utf-8")
        signature = self._hmac(stored_key, auth_message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        self._server_signature = self._hmac(self._hmac(salted, b"Server Key"), auth_message)
        self._step = _Step.SENT_FINAL
        return f"{without_proof},p={base64.b64encode(proof).decode('ascii')}".encode("ascii")

    def _verify(self, server_final: bytes) -> None:
        pairs = _attributes(server_final, "final message")
        key, value = pairs[0]
        if key == "e":
            raise SaslError(f"{self._name}: the server reports {value!r}")
        if key != "v":
            raise SaslError(f"{self._name}: the server's final message must start with v= "
                            f"or e=: {server_final!r}")
        expected, self._server_signature = self._server_signature, None
        if expected is None or not hmac.compare_digest(_b64(value, "signature"), expected):
            raise ServerNotVerified(f"{self._name}: the server's signature is wrong")
        self._step = _Step.VERIFIED

    def _hmac(self, key: bytes, message: bytes) -> bytes:
        return hmac.new(key, message, self._hash).digest()
