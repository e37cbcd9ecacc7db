"""The algorithms, by the URIs XML Encryption names them with, and which are legacy.

Data ciphers (``EncryptedData``):

============  ==================================  ========================
URI constant  standard                            status
============  ==================================  ========================
AES128_CBC    XML Encryption 1.0                  legacy: decrypt only*
AES192_CBC    XML Encryption 1.0                  legacy: decrypt only*
AES256_CBC    XML Encryption 1.0                  legacy: decrypt only*
AES128_GCM    XML Encryption 1.1                  yes
AES192_GCM    XML Encryption 1.1                  yes
AES256_GCM    XML Encryption 1.1                  yes (the default)
============  ==================================  ========================

Key transports (``EncryptedKey``):

==============  ==================================  ========================
RSA_1_5         XML Encryption 1.0 (PKCS#1 v1.5)    legacy: decrypt only*
RSA_OAEP_MGF1P  XML Encryption 1.0 (OAEP, MGF1      yes
                with SHA-1, digest SHA-1 unless a
                ``DigestMethod`` says otherwise)
RSA_OAEP        XML Encryption 1.1 (OAEP, digest    yes (the default, written
                and MGF named by ``DigestMethod``   with SHA-256 and
                and ``MGF``)                        MGF1-SHA-256)
==============  ==================================  ========================

\\* "legacy" algorithms always decrypt, but encrypt only when the caller passes
``allow_legacy=True``: CBC is unauthenticated (whoever stores the ciphertext can
alter it and watch what the reader does), and PKCS#1 v1.5 encryption invites
Bleichenbacher's attack.  XEP-0241's own examples use both; xepcodec reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives import hashes

from xepcodec.crypto.errors import LegacyAlgorithmError, UnsupportedAlgorithmError
from xepcodec.protocols.xmlenc import DSIG, XENC, XENC11

__all__ = [
    "AES128_CBC",
    "AES128_GCM",
    "AES192_CBC",
    "AES192_GCM",
    "AES256_CBC",
    "AES256_GCM",
    "CIPHERS",
    "DEFAULT_ALGORITHM",
    "DEFAULT_KEY_TRANSPORT",
    "DIGESTS",
    "KEY_TRANSPORTS",
    "LEGACY",
    "MGF1_SHA1",
    "MGF1_SHA224",
    "MGF1_SHA256",
    "MGF1_SHA384",
    "MGF1_SHA512",
    "MGFS",
    "RSA_1_5",
    "RSA_OAEP",
    "RSA_OAEP_MGF1P",
    "SHA1",
    "SHA224",
    "SHA256",
    "SHA384",
    "SHA512",
    "DataCipher",
    "check_allowed",
    "cipher",
    "is_legacy",
]

_DSIG_MORE: Final = "http://www.w3.org/2001/04/xmldsig-more#"

AES128_CBC: Final = XENC + "aes128-cbc"
AES192_CBC: Final = XENC + "aes192-cbc"
AES256_CBC: Final = XENC + "aes256-cbc"
AES128_GCM: Final = XENC11 + "aes128-gcm"
AES192_GCM: Final = XENC11 + "aes192-gcm"
AES256_GCM: Final = XENC11 + "aes256-gcm"

RSA_1_5: Final = XENC + "rsa-1_5"
RSA_OAEP_MGF1P: Final = XENC + "rsa-oaep-mgf1p"
RSA_OAEP: Final = XENC11 + "rsa-oaep"

#: ``DigestMethod`` URIs (XML Signature, XML Encryption, RFC 6931).
SHA1: Final = DSIG + "sha1"
SHA224: Final = _DSIG_MORE + "sha224"
SHA256: Final = XENC + "sha256"
SHA384: Final = _DSIG_MORE + "sha384"
SHA512: Final = XENC + "sha512"

#: ``MGF`` URIs (XML Encryption 1.1).
MGF1_SHA1: Final = XENC11 + "mgf1sha1"
MGF1_SHA224: Final = XENC11 + "mgf1sha224"
MGF1_SHA256: Final = XENC11 + "mgf1sha256"
MGF1_SHA384: Final = XENC11 + "mgf1sha384"
MGF1_SHA512: Final = XENC11 + "mgf1sha512"

DEFAULT_ALGORITHM: Final = AES256_GCM
DEFAULT_KEY_TRANSPORT: Final = RSA_OAEP


@dataclass(frozen=True, slots=True)
class DataCipher:
    """A data cipher: AES in CBC or GCM mode, with its key size in octets."""

    uri: str
    mode: str  # "cbc" or "gcm"
    key_size: int

    @property
    def legacy(self) -> bool:
        """CBC is unauthenticated: decrypt only, unless the caller opts in."""
        return self.mode == "cbc"


#: Every data cipher, by URI.
CIPHERS: Final[dict[str, DataCipher]] = {
    uri: DataCipher(uri, mode, size)
    for uri, mode, size in (
        (AES128_CBC, "cbc", 16),
        (AES192_CBC, "cbc", 24),
        (AES256_CBC, "cbc", 32),
        (AES128_GCM, "gcm", 16),
        (AES192_GCM, "gcm", 24),
        (AES256_GCM, "gcm", 32),
    )
}

#: Every key transport, by URI.
KEY_TRANSPORTS: Final = frozenset({RSA_1_5, RSA_OAEP_MGF1P, RSA_OAEP})

#: What encrypts only with ``allow_legacy=True``.
LEGACY: Final = frozenset({RSA_1_5, *(uri for uri, c in CIPHERS.items() if c.legacy)})

#: Digests an OAEP ``DigestMethod`` may name.
DIGESTS: Final[dict[str, type[hashes.HashAlgorithm]]] = {
    SHA1: hashes.SHA1,
    SHA224: hashes.SHA224,
    SHA256: hashes.SHA256,
    SHA384: hashes.SHA384,
    SHA512: hashes.SHA512,
}

#: Mask generation functions an ``MGF`` may name (all MGF1), by the digest they use.
MGFS: Final[dict[str, type[hashes.HashAlgorithm]]] = {
    MGF1_SHA1: hashes.SHA1,
    MGF1_SHA224: hashes.SHA224,
    MGF1_SHA256: hashes.SHA256,
    MGF1_SHA384: hashes.SHA384,
    MGF1_SHA512: hashes.SHA512,
}


def is_legacy(uri: str) -> bool:
    """Whether ``uri`` encrypts only with ``allow_legacy=True``."""
    return uri in LEGACY


def cipher(uri: str) -> DataCipher:
    """The data cipher ``uri`` names, for encrypting; :class:`UnsupportedAlgorithmError`
    if there is none."""
    found = CIPHERS.get(uri)
    if found is None:
        raise UnsupportedAlgorithmError(f"{uri!r} is not a data encryption algorithm "
                                        f"xepcodec implements (one of {sorted(CIPHERS)})")
    return found


def check_allowed(uri: str, allow_legacy: bool) -> None:
    """Raise :class:`LegacyAlgorithmError` if encrypting with ``uri`` needs an opt-in
    the caller did not give."""
    if uri in LEGACY and not allow_legacy:
        raise LegacyAlgorithmError(uri)
