"""Public Key Publishing (XEP-0189): public keys, their revocations and attestations.

Three namespaces: ``urn:xmpp:pubkey:2`` (``<pubkey/>``, and ``<generating/>``, sent
in presence while a key is being made), ``urn:xmpp:revoke:2`` (a revocation) and
``urn:xmpp:attest:2`` (``<attest/>``, a signed copy of a key).

The XEP is not consistent with itself, and xepcodec reads what each part of it says:

* its prose and first example give the key as ``<rsakey/>`` (decimal modulus and
  public exponent, and a fingerprint over the validity period, the JID and the key),
  while its request and message examples give ``<key/>`` (the DER
  SubjectPublicKeyInfo in Base64) followed by ``<print/>``.  Both shapes are read
  and written; a pubkey holds one of them.
* its prose calls the revocation ``<revoke/>``, its example and schema
  ``<revocation/>``.  Both names are read; an object writes the name it was read
  with (``<revocation/>`` when made in code).

An empty ``<pubkey/>`` asks for a key; one that gives a key also says when it is
valid (``begin``, ``end``) and whose it is (``jid``).  A fingerprint may name its
hash algorithm (``algo``); SHA-256 when it does not.  Signatures are kept as the
text they are (their format depends on the signing key: OpenPGP armour, say).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from datetime import datetime
from typing import Final

from xepcodec.datatypes.dates import format_datetime
from xepcodec.datatypes.jid import JID
from xepcodec.model import attr, child, element, local_name, text, text_child
from xepcodec.model.values import Base64Binary, String, Value

__all__ = [
    "ATTEST",
    "DEFAULT_ALGORITHM",
    "PUBKEY",
    "REVOKE",
    "Attest",
    "Generating",
    "KeyPrint",
    "Print",
    "PubKey",
    "RSAKey",
    "RevocationPrint",
    "Revoke",
    "SignerPrint",
    "rsakey_fingerprint",
]

#: Public keys.
PUBKEY: Final = "urn:xmpp:pubkey:2"
#: Revocations.
REVOKE: Final = "urn:xmpp:revoke:2"
#: Attestations.
ATTEST: Final = "urn:xmpp:attest:2"
#: The fingerprint algorithm when ``algo`` is absent.
DEFAULT_ALGORITHM: Final = "sha-256"

_DECIMAL = re.compile(r"\s*0*[1-9][0-9]*(?:\s+[0-9]+)*\s*")


@dataclasses.dataclass(frozen=True, slots=True)
class _Decimal(Value[int]):
    """A positive integer in decimal digits, read with any whitespace between digit
    groups (the XEP's example folds a 2048-bit modulus over five lines) and written
    on one line."""

    description = "a positive decimal integer"

    def parse(self, text: str) -> int:
        if _DECIMAL.fullmatch(text) is None:
            raise ValueError(f"{_shorten(text)!r} is not a positive decimal integer")
        return int("".join(text.split()))

    def format(self, value: int) -> str:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an int, got {type(value).__name__}")
        if value < 1:
            raise ValueError(f"{value} is not positive")
        return str(value)


def _shorten(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


_POSITIVE: Final = _Decimal()
_NAME: Final = String(min_length=1)
_ALGO: Final = String(pattern=r"[A-Za-z0-9._:\-]+")
_OCTETS: Final = Base64Binary(min_length=1)


class _Fingerprint:
    """What every fingerprint element shares."""

    __slots__ = ()
    value: str
    algo: str | None

    @property
    def algorithm(self) -> str:
        """The hash algorithm: ``algo``, or SHA-256 when absent."""
        return self.algo or DEFAULT_ALGORITHM


@element(PUBKEY, "print")
class Print(_Fingerprint):
    """The fingerprint of a public key."""

    value: str = text(value=_NAME)
    algo: str | None = attr(value=_ALGO, default=None)


@element((REVOKE, ATTEST), "keyprint")
class KeyPrint(_Fingerprint):
    """The fingerprint of the key revoked or attested."""

    value: str = text(value=_NAME)
    algo: str | None = attr(value=_ALGO, default=None)


@element(REVOKE, "revocationprint")
class RevocationPrint(_Fingerprint):
    """The fingerprint of the key that signed a revocation."""

    value: str = text(value=_NAME)
    algo: str | None = attr(value=_ALGO, default=None)


@element(ATTEST, "signerprint")
class SignerPrint(_Fingerprint):
    """The fingerprint of the key that signed an attestation."""

    value: str = text(value=_NAME)
    algo: str | None = attr(value=_ALGO, default=None)


@element(PUBKEY, "rsakey")
class RSAKey:
    """An RSA public key by its numbers, with its fingerprint (see
    :func:`rsakey_fingerprint`)."""

    modulus: int = text_child("modulus", value=_POSITIVE)
    exponent: int = text_child("publicExponent", value=_POSITIVE)
    print_: Print = child(Print)


@element(PUBKEY, "pubkey")
class PubKey:
    """A public key, or (empty) a request for one.

    The key is given either as ``rsakey`` or as ``key`` (DER SubjectPublicKeyInfo)
    with its fingerprint in ``print_``; with it come ``begin``, ``end`` and ``jid``.
    ``uri`` says where else the key can be fetched.
    """

    begin: datetime | None = text_child("begin", default=None)
    end: datetime | None = text_child("end", default=None)
    jid: JID | None = text_child("jid", default=None)
    rsakey: RSAKey | None = child(RSAKey, default=None)
    key: bytes | None = text_child("key", value=_OCTETS, default=None)
    print_: Print | None = child(Print, default=None)
    uri: str | None = text_child("uri", value=_NAME, default=None)

    def __post_init__(self) -> None:
        if self.is_request:
            return
        if self.rsakey is not None and self.key is not None:
            raise ValueError("a <pubkey/> gives its key once: as <rsakey/> or as <key/>, "
                             "not both")
        if self.rsakey is None and self.key is None:
            raise ValueError("a <pubkey/> is either empty (a request) or gives a key, as "
                             "<rsakey/> or as <key/>")
        if self.key is not None and self.print_ is None:
            raise ValueError("a <pubkey/> that gives a <key/> gives its <print/> too")
        if self.rsakey is not None and self.print_ is not None:
            raise ValueError("a <pubkey/> with <rsakey/> has its fingerprint inside it; "
                             "no <print/> beside it")
        missing = [name for name in ("begin", "end", "jid") if getattr(self, name) is None]
        if missing:
            names = ", ".join(f"<{name}/>" for name in missing)
            raise ValueError(f"a <pubkey/> that gives a key also gives {names}")
        assert self.begin is not None and self.end is not None
        if self.end < self.begin:
            raise ValueError("a <pubkey/> cannot end (<end/>) before it begins (<begin/>)")

    @property
    def is_request(self) -> bool:
        """Whether this is the empty ``<pubkey/>`` that asks for a key."""
        return all(getattr(self, field.name) is None for field in dataclasses.fields(self))

    @property
    def fingerprint(self) -> _Fingerprint | None:
        """The key's fingerprint element, wherever the shape puts it."""
        return self.rsakey.print_ if self.rsakey is not None else self.print_


@element(PUBKEY, "generating")
class Generating:
    """Sent in presence: a key is being generated."""


@element(REVOKE, ("revoke", "revocation"))
class Revoke:
    """A revocation of one of the user's keys, signed."""

    key: bytes = text_child("key", value=_OCTETS)
    keyprint: KeyPrint = child(KeyPrint)
    signature: str = text_child("signature", value=_NAME)
    revocationprint: RevocationPrint = child(RevocationPrint)
    revocationtime: datetime = text_child("revocationtime")
    name: str = local_name(default="revocation")

    def signed_data(self) -> bytes:
        """What the signature signs: the key, both fingerprints and the time, as the
        element texts, one after the other (the key as written here, in one line)."""
        return "".join((_OCTETS.format(self.key), self.keyprint.value,
                        self.revocationprint.value,
                        format_datetime(self.revocationtime))).encode("utf-8")


@element(ATTEST, "attest")
class Attest:
    """A signed copy of a user's public key (an attestation)."""

    keyprint: KeyPrint = child(KeyPrint)
    signature: str = text_child("signature", value=_NAME)
    signerjid: JID = text_child("signerjid")
    signerprint: SignerPrint = child(SignerPrint)
    signtime: datetime = text_child("signtime")


def rsakey_fingerprint(begin: datetime, end: datetime, jid: JID | str, modulus: int,
                       exponent: int) -> str:
    """The ``<rsakey/>`` fingerprint: Base64 of SHA-256 over the UTF-8 of begin, end
    (XEP-0082 date-times), the JID and the decimal modulus and exponent, joined."""
    joined = f"{format_datetime(begin)}{format_datetime(end)}{jid}{modulus}{exponent}"
    return base64.b64encode(hashlib.sha256(joined.encode("utf-8")).digest()).decode("ascii")

