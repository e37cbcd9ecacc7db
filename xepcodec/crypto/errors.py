"""The errors of :mod:`xepcodec.crypto`.

Decryption fails in one way only, as far as anyone can tell from the outside:
:class:`DecryptionError`, always with the same message, never chained to what went
wrong underneath.  Telling a bad CBC padding from a bad tag, a wrong key or a
truncated ciphertext would hand whoever can submit ciphertexts an oracle (the CBC
padding oracle, Bleichenbacher's attack on RSA PKCS#1 v1.5), so none of those is
told apart.  (Timing is not made constant: xepcodec promises identical errors, not
identical durations.)

The other errors are about what the *caller* asked for, and say precisely what it
was.
"""

from __future__ import annotations

from typing import Final

from xepcodec.errors import XepCodecError

__all__ = [
    "CryptoError",
    "DecryptionError",
    "InvalidPublicKeyError",
    "KeyDestroyedError",
    "LegacyAlgorithmError",
    "MissingKeyError",
    "UnconfirmedKeyError",
    "UnsupportedAlgorithmError",
]


class CryptoError(XepCodecError):
    """Root of every error of :mod:`xepcodec.crypto`."""


class DecryptionError(CryptoError):
    """Something could not be decrypted.  One message, whatever the reason."""

    #: The only message a :class:`DecryptionError` ever carries.
    MESSAGE: Final = "decryption failed"

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)


class MissingKeyError(DecryptionError):
    """No ``<EncryptedKey/>`` addressed to the caller carries the symmetric key some
    ``<EncryptedData/>`` names.

    Unlike the other decryption failures, this one is decided from cleartext alone
    (key names), before anything is decrypted, so saying which key is missing tells
    nobody anything secret.  ``key_name`` is that symmetric key's name (``None`` when
    the data names none).
    """

    def __init__(self, key_name: str | None) -> None:
        self.key_name = key_name
        named = "an unnamed symmetric key" if key_name is None else f"symmetric key {key_name!r}"
        CryptoError.__init__(self, f"no <EncryptedKey/> for this private key carries {named}")


class LegacyAlgorithmError(CryptoError):
    """Encryption with RSA PKCS#1 v1.5 key transport or with unauthenticated AES-CBC
    was asked for without ``allow_legacy=True``.  (Both always decrypt.)"""

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        super().__init__(f"{algorithm} is a legacy algorithm: xepcodec encrypts with it only "
                         "when the caller passes allow_legacy=True")


class UnconfirmedKeyError(CryptoError):
    """A symmetric key was to be wrapped for a public key the caller has not confirmed
    as the user's own.  XEP-0241 §2 forbids that: a published key may have been put
    there by whoever compromised the server."""

    def __init__(self, key_name: str) -> None:
        self.key_name = key_name
        super().__init__(f"the public key {key_name!r} is not confirmed as the user's own; "
                         "XEP-0241 forbids wrapping a symmetric key for it (mark it "
                         "confirmed=True once confirmed)")


class UnsupportedAlgorithmError(CryptoError):
    """The caller named an algorithm xepcodec does not implement, or one that does not
    fit where it was named (a key transport as a data cipher, say).  In *received*
    data an unknown algorithm is a :class:`DecryptionError` instead."""


class KeyDestroyedError(CryptoError):
    """A :class:`~xepcodec.crypto.keys.SymmetricKey` was used after ``destroy()``."""

    def __init__(self, name: str) -> None:
        self.key_name = name
        super().__init__(f"the symmetric key {name!r} has been destroyed")


class InvalidPublicKeyError(CryptoError):
    """A ``<KeyValue/>`` or ``<KeyInfo/>`` does not give a usable RSA public key."""
