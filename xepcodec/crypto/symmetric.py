"""AES-CBC and AES-GCM over octets, laid out exactly as XML Encryption lays them out.

What goes into ``<CipherValue/>``:

* **AES-CBC** (XML Encryption 1.0 §5.2.1): the 16-octet IV, then the ciphertext of
  the padded plaintext.  Padding (§5.2) brings the plaintext to a multiple of 16
  octets with 1 to 16 octets; the last one gives their count, the others are
  arbitrary (xepcodec draws them from ``random``; a reader ignores them, so PKCS#7
  padding, whose filler repeats the count, is one valid choice among many).
* **AES-GCM** (XML Encryption 1.1 §5.2.4): the 12-octet (96-bit) IV, then the
  ciphertext, then the 16-octet (128-bit) authentication tag.  No additional
  authenticated data.

Every way :func:`decrypt` can fail (unknown algorithm URI, key of the wrong size,
ciphertext too short or not a whole number of blocks, bad tag, bad padding) raises the
same :class:`~xepcodec.crypto.errors.DecryptionError`, with no exception chained to it.
CBC remains unauthenticated: a padding that checks out says nothing about whether the
ciphertext was altered, which is why CBC encrypts only with ``allow_legacy=True``.
"""

from __future__ import annotations

from typing import Final, TypeAlias

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from xepcodec.crypto.algorithms import CIPHERS, check_allowed, cipher
from xepcodec.crypto.errors import CryptoError, DecryptionError
from xepcodec.crypto.keys import SymmetricKey
from xepcodec.crypto.randomness import Random, draw

__all__ = [
    "BLOCK_SIZE",
    "CBC_IV_SIZE",
    "GCM_IV_SIZE",
    "GCM_TAG_SIZE",
    "decrypt",
    "decrypt_octets",
    "encrypt",
    "encrypt_octets",
    "pad",
    "unpad",
]

#: AES block size, in octets.
BLOCK_SIZE: Final = 16
#: IV of AES-CBC, in octets (one block).
CBC_IV_SIZE: Final = 16
#: IV of AES-GCM in XML Encryption 1.1, in octets (96 bits).
GCM_IV_SIZE: Final = 12
#: Authentication tag of AES-GCM in XML Encryption 1.1, in octets (128 bits).
GCM_TAG_SIZE: Final = 16

#: Key octets as callers hold them; a :class:`bytearray` is passed to ``cryptography``
#: as it is, never copied into an immutable ``bytes``.
KeyOctets: TypeAlias = bytes | bytearray | memoryview


def encrypt(algorithm: str, key: KeyOctets, plaintext: bytes, *, random: Random,
            allow_legacy: bool = False) -> bytes:
    """The ``<CipherValue/>`` octets of ``plaintext`` encrypted under ``key``.

    The IV (and for CBC the padding) come from ``random``, in that order, so a seeded
    source gives the same output every time.  Raises
    :class:`~xepcodec.crypto.errors.LegacyAlgorithmError` for CBC without
    ``allow_legacy=True``, :class:`~xepcodec.crypto.errors.UnsupportedAlgorithmError`
    for an unknown URI and :class:`~xepcodec.crypto.errors.CryptoError` for a key of
    the wrong size.
    """
    spec = cipher(algorithm)
    check_allowed(algorithm, allow_legacy)
    if len(key) != spec.key_size:
        raise CryptoError(f"{algorithm} takes a {spec.key_size}-octet key, not {len(key)} octets")
    if spec.mode == "gcm":
        iv = draw(random, GCM_IV_SIZE)
        return bytes(iv) + AESGCM(key).encrypt(iv, plaintext, None)
    iv = draw(random, CBC_IV_SIZE)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return bytes(iv) + encryptor.update(pad(plaintext, random)) + encryptor.finalize()


def decrypt(algorithm: str, key: KeyOctets, ciphertext: bytes) -> bytes:
    """The plaintext of ``<CipherValue/>`` octets, or
    :class:`~xepcodec.crypto.errors.DecryptionError` (always the same) if there is
    none to be had."""
    plaintext = _decrypt(algorithm, key, ciphertext)
    if plaintext is None:
        # Raised outside any except block: nothing is chained, not even implicitly.
        raise DecryptionError()
    return plaintext


def encrypt_octets(key: SymmetricKey, plaintext: bytes, *, random: Random,
                   allow_legacy: bool = False) -> bytes:
    """:func:`encrypt` with a :class:`~xepcodec.crypto.keys.SymmetricKey` and its
    algorithm: the ``<CipherValue/>`` octets of any plaintext."""
    return encrypt(key.algorithm, key._material(), plaintext, random=random,
                   allow_legacy=allow_legacy)


def decrypt_octets(key: SymmetricKey, ciphertext: bytes, *, algorithm: str | None = None) -> bytes:
    """:func:`decrypt` with a :class:`~xepcodec.crypto.keys.SymmetricKey`, by
    ``algorithm`` (the key's own when ``None``)."""
    return decrypt(key.algorithm if algorithm is None else algorithm, key._material(),
                   ciphertext)


def _decrypt(algorithm: str, key: KeyOctets, ciphertext: bytes) -> bytes | None:
    spec = CIPHERS.get(algorithm)
    if spec is None or len(key) != spec.key_size:
        return None
    view = memoryview(ciphertext)  # slices of a view copy nothing (collections are large)
    try:
        if spec.mode == "gcm":
            if len(view) < GCM_IV_SIZE + GCM_TAG_SIZE:
                return None
            return AESGCM(key).decrypt(view[:GCM_IV_SIZE], view[GCM_IV_SIZE:], None)
        size = len(view)
        if size < CBC_IV_SIZE + BLOCK_SIZE or size % BLOCK_SIZE:
            return None
        decryptor = Cipher(algorithms.AES(key), modes.CBC(view[:CBC_IV_SIZE])).decryptor()
        padded = decryptor.update(view[CBC_IV_SIZE:]) + decryptor.finalize()
    except (InvalidTag, ValueError, TypeError, OverflowError):
        return None
    return unpad(padded)


def pad(data: bytes, random: Random) -> bytes:
    """``data`` padded as XML Encryption 1.0 §5.2 says: 1 to 16 octets, the last giving
    their count, the others drawn from ``random``."""
    count = BLOCK_SIZE - len(data) % BLOCK_SIZE
    filler = draw(random, count - 1) if count > 1 else b""
    return data + bytes(filler) + bytes((count,))


def unpad(data: bytes) -> bytes | None:
    """``data`` without its XML Encryption padding, or ``None`` if its last octet is not
    a count from 1 to 16 (or there is no whole block).  The filler is not checked: the
    standard lets it be anything."""
    if not data or len(data) % BLOCK_SIZE:
        return None
    count = data[-1]
    if not 1 <= count <= BLOCK_SIZE:
        return None
    return data[:-count]
