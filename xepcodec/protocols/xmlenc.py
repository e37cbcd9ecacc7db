"""The subset of W3C XML Encryption (1.0 and 1.1) and XML Signature that XEP-0241 uses.

Encrypted archives (XEP-0241) carry their ciphertext in ``<EncryptedData/>`` and the
symmetric keys, wrapped once per reader's public key, in ``<EncryptedKey/>``; both name
keys through ``<KeyInfo/>`` of XML Signature.  Auto-archiving requests may carry a
public key as ``<KeyInfo><KeyValue><RSAKeyValue/>``.  This module declares those
elements; :mod:`xepcodec.crypto` does the cryptography.

Children are written in the order the XML Encryption schema requires
(``EncryptionMethod``, ``KeyInfo``, ``CipherData``, then ``CarriedKeyName`` last), so
that other implementations of the standard read what xepcodec writes.  On reading the
order is not enforced: XEP-0241's own examples put ``CarriedKeyName`` first.

``CipherReference`` (ciphertext fetched from a URI) is refused: xepcodec never fetches
anything.
"""

from __future__ import annotations

from typing import Any, Final

from xepcodec.model import attr, child, children, element, extensions, text_child, text_children
from xepcodec.model.values import Base64Binary, Integer, String

__all__ = [
    "CONTENT",
    "DSIG",
    "ELEMENT",
    "MGF",
    "XENC",
    "XENC11",
    "CipherData",
    "DigestMethod",
    "EncryptedData",
    "EncryptedKey",
    "EncryptionMethod",
    "KeyInfo",
    "KeyValue",
    "RSAKeyValue",
]

#: XML Encryption 1.0.
XENC: Final = "http://www.w3.org/2001/04/xmlenc#"
#: XML Encryption 1.1 (the ``MGF`` element and the newer algorithm URIs).
XENC11: Final = "http://www.w3.org/2009/xmlenc11#"
#: XML Signature (``KeyInfo`` and its children, ``DigestMethod``).
DSIG: Final = "http://www.w3.org/2000/09/xmldsig#"

#: ``EncryptedData/@Type`` when the plaintext is element content (a sequence of nodes):
#: what XEP-0241 encrypts.
CONTENT: Final = XENC + "Content"
#: ``EncryptedData/@Type`` when the plaintext is one whole element.
ELEMENT: Final = XENC + "Element"

_URI: Final = String(min_length=1)
_NAME: Final = String(min_length=1)
_OCTETS: Final = Base64Binary(min_length=1)


@element(DSIG, "DigestMethod")
class DigestMethod:
    """The digest an RSA-OAEP key transport hashes with (SHA-1 when absent)."""

    algorithm: str = attr("Algorithm", value=_URI)


@element(XENC11, "MGF")
class MGF:
    """The mask generation function of XML Encryption 1.1's RSA-OAEP (MGF1 with SHA-1
    when absent)."""

    algorithm: str = attr("Algorithm", value=_URI)


@element(XENC, "EncryptionMethod")
class EncryptionMethod:
    """Which algorithm encrypted the data or wrapped the key, by its URI, with the
    parameters some algorithms take."""

    algorithm: str = attr("Algorithm", value=_URI)
    key_size: int | None = text_child("KeySize", value=Integer(minimum=1), default=None)
    oaep_params: bytes | None = text_child("OAEPparams", value=_OCTETS, default=None)
    digest: DigestMethod | None = child(DigestMethod, default=None)
    mgf: MGF | None = child(MGF, default=None)


@element(DSIG, "RSAKeyValue")
class RSAKeyValue:
    """An RSA public key: modulus and public exponent, big-endian octets."""

    modulus: bytes = text_child("Modulus", value=_OCTETS)
    exponent: bytes = text_child("Exponent", value=_OCTETS)


@element(DSIG, "KeyValue")
class KeyValue:
    """A public key given in full.  RSA is typed; other kinds (DSA, EC) are kept as
    they came."""

    rsa: RSAKeyValue | None = child(RSAKeyValue, default=None)
    others: tuple[Any, ...] = extensions()

    def __post_init__(self) -> None:
        if (self.rsa is None) == (not self.others):
            raise ValueError("a <KeyValue/> holds exactly one key")


@element(DSIG, "KeyInfo")
class KeyInfo:
    """What identifies a key: its names (``KeyName``), its value, or other means kept as
    they came (certificates, retrieval methods)."""

    id: str | None = attr("Id", default=None)
    key_names: tuple[str, ...] = text_children("KeyName", value=_NAME)
    key_values: tuple[KeyValue, ...] = children(KeyValue)
    others: tuple[Any, ...] = extensions()

    def __post_init__(self) -> None:
        if not (self.key_names or self.key_values or self.others):
            raise ValueError("a <KeyInfo/> names or gives at least one key")

    @property
    def key_name(self) -> str | None:
        """The first key name, the one XEP-0241 matches on."""
        return self.key_names[0] if self.key_names else None


@element(XENC, "CipherData")
class CipherData:
    """The ciphertext, carried inline (``CipherReference`` is refused: xepcodec never
    fetches)."""

    value: bytes = text_child("CipherValue", value=_OCTETS)


class _Encrypted:
    """What ``EncryptedData`` and ``EncryptedKey`` share."""

    __slots__ = ()
    key_info: KeyInfo | None

    @property
    def key_name(self) -> str | None:
        """The name of the key this was encrypted with: for ``EncryptedData`` the
        symmetric key, for ``EncryptedKey`` the reader's public key."""
        return None if self.key_info is None else self.key_info.key_name


@element(XENC, "EncryptedData")
class EncryptedData(_Encrypted):
    """Encrypted octets and how to decrypt them."""

    id: str | None = attr("Id", default=None)
    type: str | None = attr("Type", value=_URI, default=None)
    mime_type: str | None = attr("MimeType", default=None)
    encoding: str | None = attr("Encoding", value=_URI, default=None)
    method: EncryptionMethod | None = child(EncryptionMethod, default=None)
    key_info: KeyInfo | None = child(KeyInfo, default=None)
    cipher_data: CipherData = child(CipherData)


@element(XENC, "EncryptedKey")
class EncryptedKey(_Encrypted):
    """A symmetric key wrapped for one reader's public key; ``carried_key_name`` is the
    name of the symmetric key it carries (what ``EncryptedData`` refers to)."""

    id: str | None = attr("Id", default=None)
    type: str | None = attr("Type", value=_URI, default=None)
    mime_type: str | None = attr("MimeType", default=None)
    encoding: str | None = attr("Encoding", value=_URI, default=None)
    recipient: str | None = attr("Recipient", default=None)
    method: EncryptionMethod | None = child(EncryptionMethod, default=None)
    key_info: KeyInfo | None = child(KeyInfo, default=None)
    cipher_data: CipherData = child(CipherData)
    carried_key_name: str | None = text_child("CarriedKeyName", value=_NAME, default=None)
