"""Tests for xepcodec.protocols.xmlenc (the XML Encryption and XML Signature subset that
XEP-0241 uses) and for its schemas (xmlenc.xsd, xmlenc11.xsd, xmldsig.xsd).

The XML below is written for these tests; none of it is taken from the specifications.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from lxml import etree
from payloads import rejects, schema_accepts, typed

import xepcodec.testing.xmlenc  # noqa: F401  (registers the strategies)
from xepcodec.model import XmlFragment, encode
from xepcodec.protocols.xmlenc import (
    CONTENT,
    DSIG,
    MGF,
    XENC,
    XENC11,
    CipherData,
    DigestMethod,
    EncryptedData,
    EncryptionMethod,
    KeyInfo,
    KeyValue,
    RSAKeyValue,
)


def _key_info(inner: str) -> str:
    return f"<KeyInfo xmlns='{DSIG}'>{inner}</KeyInfo>"


CIPHER = "<CipherData><CipherValue>b2N0ZXRz</CipherValue></CipherData>"


# Every class round-trips through its strategy and the catalog in
# tests/test_every_element.py.


# -- reading --------------------------------------------------------------------------------------


def test_encrypted_data_with_every_field() -> None:
    got = typed(
        f"<EncryptedData xmlns='{XENC}' Id='ed-1' Type='{CONTENT}' MimeType='text/xml' "
        f"Encoding='urn:example:enc'>"
        f"<EncryptionMethod Algorithm='{XENC11}aes256-gcm'><KeySize>256</KeySize>"
        "</EncryptionMethod>"
        f"{_key_info('<KeyName>tide-key</KeyName>')}{CIPHER}</EncryptedData>")
    assert got == EncryptedData(
        id="ed-1", type=CONTENT, mime_type="text/xml", encoding="urn:example:enc",
        method=EncryptionMethod(algorithm=XENC11 + "aes256-gcm", key_size=256),
        key_info=KeyInfo(key_names=("tide-key",)), cipher_data=CipherData(value=b"octets"))
    assert got.key_name == "tide-key"


def test_encrypted_key_with_every_field() -> None:
    got = typed(
        f"<EncryptedKey xmlns='{XENC}' Id='k1' Recipient='keeper'>"
        f"<EncryptionMethod Algorithm='{XENC11}rsa-oaep'><OAEPparams>AAEC</OAEPparams>"
        f"<DigestMethod xmlns='{DSIG}' Algorithm='urn:example:sha256'/>"
        f"<MGF xmlns='{XENC11}' Algorithm='urn:example:mgf1sha256'/></EncryptionMethod>"
        f"{_key_info('<KeyName>keeper-rsa</KeyName><KeyName>alias</KeyName>')}{CIPHER}"
        "<CarriedKeyName>tide-key</CarriedKeyName></EncryptedKey>")
    assert got.recipient == "keeper"
    assert got.method == EncryptionMethod(
        algorithm=XENC11 + "rsa-oaep", oaep_params=b"\x00\x01\x02",
        digest=DigestMethod(algorithm="urn:example:sha256"),
        mgf=MGF(algorithm="urn:example:mgf1sha256"))
    assert got.key_name == "keeper-rsa"
    assert got.key_info.key_names == ("keeper-rsa", "alias")
    assert got.carried_key_name == "tide-key"


def test_carried_key_name_is_read_first_and_written_last() -> None:
    got = typed(f"<EncryptedKey xmlns='{XENC}'><CarriedKeyName>n</CarriedKeyName>{CIPHER}"
                "</EncryptedKey>")
    written = encode(got)
    assert written.index(b"<CipherData>") < written.index(b"<CarriedKeyName>")


def test_key_info_with_a_key_value_and_other_children() -> None:
    got = typed(_key_info(
        "<KeyValue><RSAKeyValue><Modulus>\n  AQID\n  BAU=\n</Modulus><Exponent>AQAB</Exponent>"
        "</RSAKeyValue></KeyValue><X509Data><X509SKI>AA==</X509SKI></X509Data>"
        "<hint xmlns='urn:example:hint'/>"))
    assert got.key_name is None
    assert got.key_values == (KeyValue(rsa=RSAKeyValue(modulus=b"\x01\x02\x03\x04\x05",
                                                       exponent=b"\x01\x00\x01")),)
    assert [type(other) for other in got.others] == [XmlFragment, XmlFragment]
    assert b"<Modulus>AQIDBAU=</Modulus>" in encode(got)


def test_key_value_of_another_kind_is_kept() -> None:
    got = typed(f"<KeyValue xmlns='{DSIG}'><DSAKeyValue><Y>AA==</Y></DSAKeyValue></KeyValue>")
    assert got.rsa is None
    (other,) = got.others
    assert isinstance(other, XmlFragment)
    assert b"<Y>AA==</Y>" in encode(got)


def test_a_bare_encrypted_data_parses_in_a_fresh_interpreter() -> None:
    """xmlenc is not a XEP module, but ``load_all`` reaches it (archive imports it)."""
    code = ("import xepcodec; print(type(xepcodec.parse(b\"<EncryptedData xmlns='" + XENC +
            "'><CipherData><CipherValue>AA==</CipherValue></CipherData></EncryptedData>\"))"
            ".__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "EncryptedData"


# -- rejections and the schema --------------------------------------------------------------------

REJECTED = [
    (_key_info(""), ["<KeyInfo/>", "at least one key"]),
    (f"<KeyValue xmlns='{DSIG}'/>", ["exactly one key"]),
    (f"<KeyValue xmlns='{DSIG}'><RSAKeyValue><Modulus>AQ==</Modulus><Exponent>AQ==</Exponent>"
     "</RSAKeyValue><ECKeyValue xmlns='urn:example:ec'/></KeyValue>", ["exactly one key"]),
    (f"<RSAKeyValue xmlns='{DSIG}'><Modulus>AQ==</Modulus></RSAKeyValue>", ["<Exponent/>"]),
    (f"<RSAKeyValue xmlns='{DSIG}'><Modulus>AQ=</Modulus><Exponent>AQ==</Exponent>"
     "</RSAKeyValue>", ["Modulus", "Base64"]),
    (f"<RSAKeyValue xmlns='{DSIG}'><Modulus/><Exponent>AQ==</Exponent></RSAKeyValue>",
     ["Modulus", "fewer than 1"]),
    (f"<CipherData xmlns='{XENC}'><CipherReference URI='http://example.com/x'/></CipherData>",
     ["CipherReference"]),
    (f"<CipherData xmlns='{XENC}'><CipherValue>not base64!</CipherValue></CipherData>",
     ["CipherValue", "Base64"]),
    (f"<EncryptedData xmlns='{XENC}'/>", ["<CipherData/>"]),
    (f"<EncryptedData xmlns='{XENC}' Colour='red'>{CIPHER}</EncryptedData>", ["Colour"]),
    (f"<EncryptedData xmlns='{XENC}'>{CIPHER}{CIPHER}</EncryptedData>", ["only one"]),
    (f"<EncryptedData xmlns='{XENC}'>{CIPHER}<CarriedKeyName>n</CarriedKeyName>"
     "</EncryptedData>", ["CarriedKeyName"]),
    (f"<EncryptedKey xmlns='{XENC}'>{CIPHER}<CarriedKeyName/></EncryptedKey>",
     ["CarriedKeyName"]),
    (f"<EncryptionMethod xmlns='{XENC}'/>", ["'Algorithm'"]),
    (f"<EncryptionMethod xmlns='{XENC}' Algorithm='urn:a'><KeySize>0</KeySize>"
     "</EncryptionMethod>", ["KeySize", "minimum"]),
    (f"<DigestMethod xmlns='{DSIG}' Algorithm=''/>", ["Algorithm"]),
    (f"<MGF xmlns='{XENC11}'/>", ["'Algorithm'"]),
]


@pytest.mark.parametrize(("xml", "words"), REJECTED, ids=[str(n) for n in range(len(REJECTED))])
def test_rejections(xml: str, words: list[str]) -> None:
    rejects(xml, *words)


@pytest.mark.parametrize(("xml", "words"), REJECTED, ids=[str(n) for n in range(len(REJECTED))])
def test_the_schema_refuses_them_too(schema: etree.XMLSchema, xml: str,
                                     words: list[str]) -> None:
    assert not schema_accepts(schema, xml)


# Where the two descriptions part ways, on purpose or not.
def test_carried_key_name_first_as_xep_0241_writes_it(schema: etree.XMLSchema) -> None:
    xml = (f"<EncryptedKey xmlns='{XENC}'><CarriedKeyName>n</CarriedKeyName>{CIPHER}"
           "</EncryptedKey>")
    assert schema_accepts(schema, xml)
    assert encode(typed(xml)).endswith(b"<CarriedKeyName>n</CarriedKeyName></EncryptedKey>")


def test_the_schema_takes_other_children_of_encryption_method_the_model_does_not(
        schema: etree.XMLSchema) -> None:
    xml = (f"<EncryptionMethod xmlns='{XENC}' Algorithm='urn:a'>"
           "<param xmlns='urn:example:p'/></EncryptionMethod>")
    assert schema_accepts(schema, xml)
    rejects(xml, "param")


def test_the_schema_wants_an_ncname_id_the_model_takes_any_text(
        schema: etree.XMLSchema) -> None:
    xml = f"<EncryptedData xmlns='{XENC}' Id='1 two'>{CIPHER}</EncryptedData>"
    assert not schema_accepts(schema, xml)
    assert typed(xml).id == "1 two"
