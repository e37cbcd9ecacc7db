"""RSA key transport: wrapping a symmetric key into ``<EncryptedKey/>`` and back.

Three methods, by URI:

* ``rsa-1_5`` (XML Encryption 1.0): RSAES-PKCS1-v1_5.  Legacy: it always unwraps, but
  wraps only with ``allow_legacy=True``.
* ``rsa-oaep-mgf1p`` (XML Encryption 1.0): RSAES-OAEP with MGF1 over SHA-1; the digest
  is SHA-1 unless a ``<DigestMethod/>`` names another.  ``<OAEPparams/>``, when given,
  is the OAEP label.
* ``rsa-oaep`` (XML Encryption 1.1): RSAES-OAEP with the digest of ``<DigestMethod/>``
  and the mask generation function of ``<MGF/>`` (SHA-1 and MGF1-SHA-1 when absent).
  xepcodec writes it with SHA-256 and MGF1-SHA-256 by default, and so writes both
  children (only what differs from the standard's defaults is ever written).

The random padding RSA encryption needs (OAEP's seed, PKCS#1 v1.5's padding string)
is drawn by OpenSSL itself: ``cryptography`` offers no hook to supply it, so wrapped
keys are the one output not fixed by a seeded ``random``.

Unwrapping fails in one way only, :class:`~xepcodec.crypto.errors.DecryptionError`,
whatever the cause: unknown method or digest, ciphertext of the wrong length, a
padding that does not check out, or a result that is not an AES key (16, 24 or 32
octets).  With PKCS#1 v1.5, OpenSSL's implicit rejection turns a bad padding into a
pseudo-random result rather than an error; such a result fails later, when the data
does not decrypt, with the same error.
"""

from __future__ import annotations

from typing import Final

from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from xepcodec.crypto.algorithms import (
    CIPHERS,
    DIGESTS,
    KEY_TRANSPORTS,
    MGF1_SHA1,
    MGF1_SHA256,
    MGFS,
    RSA_1_5,
    RSA_OAEP,
    RSA_OAEP_MGF1P,
    SHA1,
    SHA256,
    check_allowed,
)
from xepcodec.crypto.errors import (
    CryptoError,
    DecryptionError,
    UnconfirmedKeyError,
    UnsupportedAlgorithmError,
)
from xepcodec.crypto.keys import PublicKey, SymmetricKey
from xepcodec.protocols.xmlenc import (
    MGF,
    CipherData,
    DigestMethod,
    EncryptedKey,
    EncryptionMethod,
    KeyInfo,
)

__all__ = [
    "AES_KEY_SIZES",
    "transport_method",
    "unwrap",
    "unwrap_key",
    "wrap",
    "wrap_key",
]

#: What an unwrapped key may measure, in octets.
AES_KEY_SIZES: Final = frozenset(spec.key_size for spec in CIPHERS.values())

#: The data cipher an unwrapped key is taken for when the caller does not say: AES-GCM
#: of the key's size.  (The key decrypts data of either mode: ``decrypt_entries``
#: follows the data's ``EncryptionMethod``.)
_GCM_BY_SIZE: Final = {spec.key_size: uri for uri, spec in CIPHERS.items() if spec.mode == "gcm"}


def transport_method(key_transport: str, *, digest: str | None = None,
                     mgf: str | None = None) -> EncryptionMethod:
    """The ``<EncryptionMethod/>`` of a key transport.

    ``digest`` (a ``DigestMethod`` URI) applies to both OAEP methods, ``mgf`` (an
    ``MGF`` URI) to XML Encryption 1.1's ``rsa-oaep`` only.  ``None`` means SHA-1 for
    ``rsa-oaep-mgf1p``, and SHA-256 with MGF1-SHA-256 for ``rsa-oaep``.
    """
    if key_transport not in KEY_TRANSPORTS:
        raise UnsupportedAlgorithmError(f"{key_transport!r} is not a key transport xepcodec "
                                        f"implements (one of {sorted(KEY_TRANSPORTS)})")
    if key_transport == RSA_1_5:
        if digest is not None or mgf is not None:
            raise UnsupportedAlgorithmError("rsa-1_5 takes no digest and no MGF")
        return EncryptionMethod(algorithm=key_transport)
    if key_transport == RSA_OAEP_MGF1P:
        if mgf is not None:
            raise UnsupportedAlgorithmError("rsa-oaep-mgf1p always uses MGF1 with SHA-1; use "
                                            "rsa-oaep (XML Encryption 1.1) to choose the MGF")
        digest = SHA1 if digest is None else digest
    else:
        digest = SHA256 if digest is None else digest
        mgf = MGF1_SHA256 if mgf is None else mgf
        if mgf not in MGFS:
            raise UnsupportedAlgorithmError(f"{mgf!r} is not an MGF xepcodec implements "
                                            f"(one of {sorted(MGFS)})")
    if digest not in DIGESTS:
        raise UnsupportedAlgorithmError(f"{digest!r} is not a digest xepcodec implements "
                                        f"(one of {sorted(DIGESTS)})")
    return EncryptionMethod(
        algorithm=key_transport,
        digest=None if digest == SHA1 else DigestMethod(algorithm=digest),
        mgf=None if mgf is None or mgf == MGF1_SHA1 else MGF(algorithm=mgf),
    )


def _padding(method: EncryptionMethod) -> padding.AsymmetricPadding | None:
    """The RSA padding ``method`` describes, or ``None`` if xepcodec does not know it."""
    uri = method.algorithm
    if uri == RSA_1_5:
        if method.digest is not None or method.mgf is not None or method.oaep_params:
            return None
        return padding.PKCS1v15()
    if uri not in (RSA_OAEP_MGF1P, RSA_OAEP):
        return None
    digest = DIGESTS.get(SHA1 if method.digest is None else method.digest.algorithm)
    if uri == RSA_OAEP_MGF1P:
        mask = DIGESTS[SHA1] if method.mgf is None else None
    else:
        mask = MGFS.get(MGF1_SHA1 if method.mgf is None else method.mgf.algorithm)
    if digest is None or mask is None:
        return None
    return padding.OAEP(mgf=padding.MGF1(algorithm=mask()), algorithm=digest(),
                        label=method.oaep_params or None)


def wrap(octets: bytes | bytearray, public_key: RSAPublicKey, method: EncryptionMethod, *,
         allow_legacy: bool = False) -> bytes:
    """``octets`` encrypted for ``public_key`` as ``method`` says (RSA padding drawn by
    OpenSSL)."""
    check_allowed(method.algorithm, allow_legacy)
    scheme = _padding(method)
    if scheme is None:
        raise UnsupportedAlgorithmError(f"cannot wrap a key with {method.algorithm!r} and the "
                                        "parameters given")
    try:
        # cryptography's RSA takes only bytes: this is the one immutable copy wrapping makes.
        return public_key.encrypt(bytes(octets), scheme)
    except ValueError as error:
        raise CryptoError(f"the key cannot be wrapped for this public key: {error}") from None


def unwrap(ciphertext: bytes, private_key: RSAPrivateKey,
           method: EncryptionMethod | None) -> bytearray:
    """The key octets ``ciphertext`` carries, or the one
    :class:`~xepcodec.crypto.errors.DecryptionError`."""
    octets = _unwrap(ciphertext, private_key, method)
    if octets is None:
        raise DecryptionError()  # outside any except block: nothing chained
    return octets


def _unwrap(ciphertext: bytes, private_key: RSAPrivateKey,
            method: EncryptionMethod | None) -> bytearray | None:
    scheme = None if method is None else _padding(method)
    if scheme is None:
        return None
    try:
        plain = private_key.decrypt(ciphertext, scheme)
    except (ValueError, TypeError):
        return None
    if len(plain) not in AES_KEY_SIZES:
        return None
    return bytearray(plain)


def wrap_key(key: SymmetricKey, recipient: PublicKey, *, key_transport: str = RSA_OAEP,
             allow_legacy: bool = False, digest: str | None = None,
             mgf: str | None = None) -> EncryptedKey:
    """``<EncryptedKey/>`` carrying ``key`` (``<CarriedKeyName/>``: its name) for
    ``recipient`` (``<KeyInfo><KeyName/>``: its name).

    Refuses, with :class:`~xepcodec.crypto.errors.UnconfirmedKeyError`, a recipient
    not marked ``confirmed`` (XEP-0241's MUST NOT), and with
    :class:`~xepcodec.crypto.errors.LegacyAlgorithmError` ``rsa-1_5`` without
    ``allow_legacy=True``.  ``digest`` and ``mgf`` are as in :func:`transport_method`.
    """
    if not isinstance(recipient, PublicKey):
        raise TypeError(f"a recipient is a PublicKey, not {type(recipient).__name__}")
    if not recipient.confirmed:
        raise UnconfirmedKeyError(recipient.name)
    check_allowed(key_transport, allow_legacy)
    method = transport_method(key_transport, digest=digest, mgf=mgf)
    wrapped = wrap(key._material(), recipient.key, method, allow_legacy=allow_legacy)
    return EncryptedKey(
        method=method,
        key_info=KeyInfo(key_names=(recipient.name,)),
        cipher_data=CipherData(value=wrapped),
        carried_key_name=key.name or None,
    )


def unwrap_key(encrypted_key: EncryptedKey, private_key: RSAPrivateKey, *,
               algorithm: str | None = None) -> SymmetricKey:
    """The symmetric key an ``<EncryptedKey/>`` carries, named by its
    ``<CarriedKeyName/>`` ("" when it has none).

    ``algorithm`` is the data cipher the key is for, when the caller knows it; by
    default it is AES-GCM of the key's size (the key still decrypts CBC data:
    decryption follows the data's ``EncryptionMethod``).  A key whose size does not
    fit ``algorithm`` is a :class:`~xepcodec.crypto.errors.DecryptionError`, like every
    other failure.
    """
    if not isinstance(private_key, RSAPrivateKey):
        raise CryptoError(f"xepcodec unwraps keys with RSA private keys only, not "
                          f"{type(private_key).__name__}")
    if algorithm is not None and algorithm not in CIPHERS:
        raise UnsupportedAlgorithmError(f"{algorithm!r} is not a data encryption algorithm "
                                        f"xepcodec implements (one of {sorted(CIPHERS)})")
    octets = unwrap(encrypted_key.cipher_data.value, private_key, encrypted_key.method)
    chosen = _GCM_BY_SIZE[len(octets)] if algorithm is None else algorithm
    if CIPHERS[chosen].key_size != len(octets):
        octets[:] = bytes(len(octets))
        raise DecryptionError()
    return SymmetricKey._adopt(encrypted_key.carried_key_name or "", chosen, octets)
