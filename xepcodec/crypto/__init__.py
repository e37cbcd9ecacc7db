"""Encryption of archived collections (XEP-0241) over W3C XML Encryption, with
``cryptography``.

The pieces, each in a module named for what it holds:

* :mod:`~xepcodec.crypto.algorithms`: the algorithm URIs and which are legacy;
* :mod:`~xepcodec.crypto.symmetric`: AES-CBC and AES-GCM over octets, laid out as XML
  Encryption lays out ``<CipherValue/>``;
* :mod:`~xepcodec.crypto.keytransport`: RSA key transport (``rsa-1_5``,
  ``rsa-oaep-mgf1p``, ``rsa-oaep``) and ``<EncryptedKey/>``;
* :mod:`~xepcodec.crypto.keys`: destroyable symmetric keys, public keys and their
  names and ``<KeyValue/>`` forms;
* :mod:`~xepcodec.crypto.collection`: whole collections (``encrypt_collection``,
  ``decrypt_collection``, ``rewrap_key``…);
* :mod:`~xepcodec.crypto.errors`.

Defaults are AES-256-GCM and RSA-OAEP (XML Encryption 1.1, SHA-256, MGF1-SHA-256).
The legacy ``rsa-1_5`` and AES-CBC always decrypt but encrypt only with
``allow_legacy=True``.  Every decryption failure is the same
:class:`DecryptionError`.  All randomness is handed in as ``random`` (``os.urandom``
in production), except RSA's padding, which OpenSSL draws.

A worked example::

    import os
    from xepcodec.crypto import PublicKey, encrypt_collection, decrypt_collection

    me = PublicKey.from_key(private_key.public_key(), confirmed=True)
    sealed = encrypt_collection(entries, [me], key_name="k1", random=os.urandom)
    with sealed.key:   # destroyed on leaving
        ...            # upload sealed.data and sealed.keys in a <save/>
    assert decrypt_collection([sealed.data], sealed.keys, private_key) == tuple(entries)
"""

from xepcodec.crypto.algorithms import (
    AES128_CBC,
    AES128_GCM,
    AES192_CBC,
    AES192_GCM,
    AES256_CBC,
    AES256_GCM,
    MGF1_SHA1,
    MGF1_SHA256,
    RSA_1_5,
    RSA_OAEP,
    RSA_OAEP_MGF1P,
    SHA1,
    SHA256,
    is_legacy,
)
from xepcodec.crypto.collection import (
    EncryptedCollection,
    decrypt_collection,
    decrypt_entries,
    encrypt_collection,
    encrypt_entries,
    join_entries,
    read_entries,
    rewrap_key,
)
from xepcodec.crypto.errors import (
    CryptoError,
    DecryptionError,
    InvalidPublicKeyError,
    KeyDestroyedError,
    LegacyAlgorithmError,
    MissingKeyError,
    UnconfirmedKeyError,
    UnsupportedAlgorithmError,
)
from xepcodec.crypto.keys import (
    PublicKey,
    SymmetricKey,
    key_name,
    key_value,
    new_symmetric_key,
    rsa_public_key,
)
from xepcodec.crypto.keytransport import unwrap_key, wrap_key
from xepcodec.crypto.randomness import Random
from xepcodec.crypto.symmetric import decrypt_octets, encrypt_octets

__all__ = [
    "AES128_CBC",
    "AES128_GCM",
    "AES192_CBC",
    "AES192_GCM",
    "AES256_CBC",
    "AES256_GCM",
    "MGF1_SHA1",
    "MGF1_SHA256",
    "RSA_1_5",
    "RSA_OAEP",
    "RSA_OAEP_MGF1P",
    "SHA1",
    "SHA256",
    "CryptoError",
    "DecryptionError",
    "EncryptedCollection",
    "InvalidPublicKeyError",
    "KeyDestroyedError",
    "LegacyAlgorithmError",
    "MissingKeyError",
    "PublicKey",
    "Random",
    "SymmetricKey",
    "UnconfirmedKeyError",
    "UnsupportedAlgorithmError",
    "decrypt_collection",
    "decrypt_entries",
    "decrypt_octets",
    "encrypt_collection",
    "encrypt_entries",
    "encrypt_octets",
    "is_legacy",
    "join_entries",
    "key_name",
    "key_value",
    "new_symmetric_key",
    "read_entries",
    "rewrap_key",
    "rsa_public_key",
    "unwrap_key",
    "wrap_key",
]
