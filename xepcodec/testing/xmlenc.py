"""Hypothesis strategies for the XML Encryption and XML Signature elements that
XEP-0241 uses (:mod:`xepcodec.protocols.xmlenc`).

A ``KeyInfo`` names or gives at least one key and a ``KeyValue`` holds exactly one,
which a field-by-field strategy cannot know; algorithm and type attributes are URIs
and identifiers have the syntax of ``xs:ID``, so they are drawn from fitting sets
rather than from arbitrary text.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

from hypothesis import strategies as st

from xepcodec.protocols.xmlenc import (
    CONTENT,
    DSIG,
    ELEMENT,
    MGF,
    XENC,
    XENC11,
    CipherData,
    DigestMethod,
    EncryptedData,
    EncryptedKey,
    EncryptionMethod,
    KeyInfo,
    KeyValue,
    RSAKeyValue,
)
from xepcodec.testing.strategies import foreign_elements, register, xml_text

__all__ = [
    "algorithms",
    "cipher_data",
    "encrypted_data",
    "encrypted_keys",
    "encryption_methods",
    "identifiers",
    "key_infos",
    "key_names",
    "key_values",
]

_ALGORITHMS = [XENC + name for name in ("aes128-cbc", "aes256-cbc", "rsa-1_5",
                                        "rsa-oaep-mgf1p")]
_ALGORITHMS += [XENC11 + name for name in ("aes128-gcm", "aes256-gcm", "rsa-oaep",
                                           "mgf1sha256")]
_ALGORITHMS += [DSIG + "sha1", "http://www.w3.org/2001/04/xmlenc#sha256",
                "urn:example:algorithm:x"]
_OCTETS = st.binary(min_size=1, max_size=48)


def algorithms() -> st.SearchStrategy[str]:
    """Algorithm URIs: those XML Encryption names and one made up."""
    return st.sampled_from(_ALGORITHMS)


def identifiers() -> st.SearchStrategy[str]:
    """Values for ``Id`` attributes: NCNames, as ``xs:ID`` requires."""
    return st.from_regex(r"[A-Za-z_][A-Za-z0-9._-]{0,11}", fullmatch=True)


def key_names() -> st.SearchStrategy[str]:
    """Key names: fingerprint-like and arbitrary text."""
    return (st.sampled_from(["dataKey1", "romeoPublicKey1fingerprint",
                             "hRL1C7BQaIXDx2CcjdXao4jIjh5WCW7d7nYBQpQJ6v4="])
            | xml_text(min_size=1, max_size=16))


@register(DigestMethod)
def digest_methods() -> st.SearchStrategy[DigestMethod]:
    return st.builds(DigestMethod, algorithm=algorithms())


@register(MGF)
def mgfs() -> st.SearchStrategy[MGF]:
    return st.builds(MGF, algorithm=algorithms())


@register(RSAKeyValue)
def rsa_key_values() -> st.SearchStrategy[RSAKeyValue]:
    return st.builds(RSAKeyValue, modulus=_OCTETS, exponent=_OCTETS)


@register(KeyValue)
def key_values() -> st.SearchStrategy[KeyValue]:
    """Key values: an RSA key, or one key of a kind xepcodec keeps as it came."""
    return (st.builds(KeyValue, rsa=rsa_key_values())
            | st.builds(KeyValue, others=foreign_elements().map(lambda item: (item,))))


@register(KeyInfo)
def key_infos() -> st.SearchStrategy[KeyInfo]:
    """Key infos with at least one name, value or other child."""

    def build(id_: str | None, names: list[str], values: list[KeyValue],
              others: list[object], fallback: str) -> KeyInfo:
        if not (names or values or others):
            names = [fallback]
        return KeyInfo(id=id_, key_names=tuple(names), key_values=tuple(values),
                       others=tuple(others))

    return st.builds(build, st.none() | identifiers(), st.lists(key_names(), max_size=2),
                     st.lists(key_values(), max_size=2),
                     st.lists(foreign_elements(), max_size=1), key_names())


@register(EncryptionMethod)
def encryption_methods() -> st.SearchStrategy[EncryptionMethod]:
    return st.builds(EncryptionMethod, algorithm=algorithms(),
                     key_size=st.none() | st.sampled_from([128, 192, 256, 2048]),
                     oaep_params=st.none() | _OCTETS,
                     digest=st.none() | digest_methods(), mgf=st.none() | mgfs())


@register(CipherData)
def cipher_data() -> st.SearchStrategy[CipherData]:
    return st.builds(CipherData, value=_OCTETS)


_TYPES = st.none() | st.sampled_from([CONTENT, ELEMENT])
_MIME = st.none() | st.sampled_from(["text/xml", "application/octet-stream"]) | xml_text()
_ENCODINGS = st.none() | st.just("http://www.w3.org/2000/09/xmldsig#base64")


@register(EncryptedData)
def encrypted_data() -> st.SearchStrategy[EncryptedData]:
    return st.builds(EncryptedData, id=st.none() | identifiers(), type=_TYPES,
                     mime_type=_MIME, encoding=_ENCODINGS,
                     method=st.none() | encryption_methods(),
                     key_info=st.none() | key_infos(), cipher_data=cipher_data())


@register(EncryptedKey)
def encrypted_keys() -> st.SearchStrategy[EncryptedKey]:
    return st.builds(EncryptedKey, id=st.none() | identifiers(), type=_TYPES,
                     mime_type=_MIME, encoding=_ENCODINGS,
                     recipient=st.none() | xml_text(),
                     method=st.none() | encryption_methods(),
                     key_info=st.none() | key_infos(), cipher_data=cipher_data(),
                     carried_key_name=st.none() | key_names())
