"""Tests for xepcodec.protocols.pubkey (XEP-0189 Public Key Publishing).

The XML below is written for these tests; none of it is taken from the XEP.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from lxml import etree
from payloads import rejects, schema_accepts, typed

import xepcodec
import xepcodec.testing.pubkey  # registers the strategies
from xepcodec.core.stanzas import Presence
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError
from xepcodec.model import encode
from xepcodec.protocols import pubkey, xep
from xepcodec.protocols.pubkey import (
    ATTEST,
    DEFAULT_ALGORITHM,
    PUBKEY,
    REVOKE,
    Attest,
    Generating,
    KeyPrint,
    Print,
    PubKey,
    RevocationPrint,
    Revoke,
    RSAKey,
    SignerPrint,
    rsakey_fingerprint,
)
from xepcodec.testing.strategies import for_class

BEGIN = datetime(2031, 1, 1, tzinfo=UTC)
END = datetime(2032, 1, 1, tzinfo=UTC)
DER = bytes(range(1, 40))
DER64 = base64.b64encode(DER).decode()
VALIDITY = ("<begin>2031-01-01T00:00:00Z</begin><end>2032-01-01T00:00:00Z</end>"
            "<jid>keeper@lighthouse.example</jid>")


def _pubkey(inner: str) -> str:
    return f"<pubkey xmlns='{PUBKEY}'>{inner}</pubkey>"


def test_constants_and_registration() -> None:
    assert (PUBKEY, REVOKE, ATTEST) == ("urn:xmpp:pubkey:2", "urn:xmpp:revoke:2",
                                        "urn:xmpp:attest:2")
    assert DEFAULT_ALGORITHM == "sha-256"
    assert xep(189) is pubkey


# Every class round-trips through its strategy and the catalog in
# tests/test_every_element.py.


@settings(max_examples=30)
@given(key=for_class(PubKey))
def test_generated_rsakeys_carry_the_fingerprint_the_xep_defines(key: PubKey) -> None:
    if key.rsakey is not None:
        assert key.begin is not None and key.end is not None and key.jid is not None
        assert key.rsakey.print_.value == rsakey_fingerprint(
            key.begin, key.end, key.jid, key.rsakey.modulus, key.rsakey.exponent)


# -- public keys ----------------------------------------------------------------------------------


def test_request_is_an_empty_pubkey() -> None:
    got = typed(_pubkey(""))
    assert got == PubKey()
    assert got.is_request
    assert got.fingerprint is None
    assert encode(got) == b'<pubkey xmlns="urn:xmpp:pubkey:2"/>'


def test_the_rsakey_shape() -> None:
    got = typed(_pubkey(
        VALIDITY + "<rsakey><modulus>\n   12345678901234567890\n   98765432109876543210\n"
        "</modulus><publicExponent>65537</publicExponent>"
        "<print algo='sha-256'>c29tZXRoaW5n</print></rsakey><uri>https://keys.example/k1</uri>"))
    assert got == PubKey(
        begin=BEGIN, end=END, jid=JID.parse("keeper@lighthouse.example"),
        rsakey=RSAKey(modulus=1234567890123456789098765432109876543210, exponent=65537,
                      print_=Print(value="c29tZXRoaW5n", algo="sha-256")),
        uri="https://keys.example/k1")
    assert not got.is_request
    assert got.fingerprint is got.rsakey.print_
    written = encode(got)
    assert b"<modulus>1234567890123456789098765432109876543210</modulus>" in written
    assert b"<publicExponent>65537</publicExponent>" in written


def test_the_key_and_print_shape() -> None:
    got = typed(_pubkey(f"{VALIDITY}<key>\n  {DER64[:20]}\n  {DER64[20:]}\n</key>"
                         "<print>ab12</print>"))
    assert got.key == DER
    assert got.print_ == Print(value="ab12")
    assert got.fingerprint == Print(value="ab12")
    assert got.fingerprint.algorithm == "sha-256"
    assert f"<key>{DER64}</key>".encode() in encode(got)


def test_rsakey_fingerprint_follows_the_xep_recipe() -> None:
    joined = "2031-01-01T00:00:00Z2032-01-01T00:00:00Zkeeper@lighthouse.example" + "3233" + "17"
    expected = base64.b64encode(hashlib.sha256(joined.encode()).digest()).decode()
    assert rsakey_fingerprint(BEGIN, END, JID.parse("keeper@lighthouse.example"), 3233,
                              17) == expected
    assert rsakey_fingerprint(BEGIN, END, "keeper@lighthouse.example", 3233, 17) == expected


def test_generating_in_presence() -> None:
    presence = xepcodec.parse(f"<presence xmlns='jabber:client'><generating xmlns='{PUBKEY}'/>"
                              "</presence>".encode())
    assert isinstance(presence, Presence)
    assert presence.find(Generating) == Generating()


# -- revocations and attestations -----------------------------------------------------------------

REVOCATION_BODY = (f"<key>{DER64}</key><keyprint algo='sha-512'>a1</keyprint>"
                   "<signature>-----SIGNED-----\n  line two\n=ABCD</signature>"
                   "<revocationprint>b2</revocationprint>"
                   "<revocationtime>2031-06-01T12:00:00Z</revocationtime>")


@pytest.mark.parametrize("name", ["revoke", "revocation"])
def test_revocation_under_both_names(name: str) -> None:
    got = typed(f"<{name} xmlns='{REVOKE}'>{REVOCATION_BODY}</{name}>")
    assert got == Revoke(key=DER, keyprint=KeyPrint(value="a1", algo="sha-512"),
                         signature="-----SIGNED-----\n  line two\n=ABCD",
                         revocationprint=RevocationPrint(value="b2"),
                         revocationtime=datetime(2031, 6, 1, 12, tzinfo=UTC), name=name)
    assert got.keyprint.algorithm == "sha-512"
    assert got.revocationprint.algorithm == "sha-256"
    assert encode(got).startswith(f'<{name} xmlns="{REVOKE}">'.encode())


def test_a_revocation_made_in_code_is_written_as_revocation() -> None:
    made = Revoke(key=DER, keyprint=KeyPrint(value="a"), signature="s",
                  revocationprint=RevocationPrint(value="b"), revocationtime=BEGIN)
    assert encode(made).startswith(b'<revocation xmlns="urn:xmpp:revoke:2">')


def test_revocation_signed_data() -> None:
    got = typed(f"<revoke xmlns='{REVOKE}'>{REVOCATION_BODY}</revoke>")
    assert got.signed_data() == f"{DER64}a1b22031-06-01T12:00:00Z".encode()


def test_attestation() -> None:
    got = typed(f"<attest xmlns='{ATTEST}'><keyprint>a1</keyprint><signature>sig</signature>"
                "<signerjid>notary@harbour.example</signerjid>"
                "<signerprint algo='sha-1'>c3</signerprint>"
                "<signtime>2031-02-03T04:05:06Z</signtime></attest>")
    assert got == Attest(keyprint=KeyPrint(value="a1"), signature="sig",
                         signerjid=JID.parse("notary@harbour.example"),
                         signerprint=SignerPrint(value="c3", algo="sha-1"),
                         signtime=datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC))


# -- rejections -----------------------------------------------------------------------------------

RSAKEY = ("<rsakey><modulus>3233</modulus><publicExponent>17</publicExponent>"
          "<print>x</print></rsakey>")
KEY = f"<key>{DER64}</key><print>x</print>"

REJECTED: list[tuple[str, list[str], str]] = [
    (_pubkey(VALIDITY), ["empty", "gives a key"], "bad-request"),
    (_pubkey(VALIDITY + RSAKEY + f"<key>{DER64}</key>"), ["not both"], "bad-request"),
    (_pubkey(VALIDITY + f"<key>{DER64}</key>"), ["<print/>"], "bad-request"),
    (_pubkey(VALIDITY + RSAKEY + "<print>y</print>"), ["inside it"], "bad-request"),
    (_pubkey("<jid>keeper@lighthouse.example</jid>" + KEY), ["<begin/>", "<end/>"],
     "bad-request"),
    (_pubkey("<begin>2031-01-01T00:00:00Z</begin><end>2032-01-01T00:00:00Z</end>" + KEY),
     ["<jid/>"], "bad-request"),
    (_pubkey("<begin>2032-01-01T00:00:00Z</begin><end>2031-01-01T00:00:00Z</end>"
             "<jid>keeper@lighthouse.example</jid>" + KEY), ["before it begins"],
     "bad-request"),
    (_pubkey("<begin>2031-01-01T00:00:00</begin><end>2032-01-01T00:00:00Z</end>"
             "<jid>keeper@lighthouse.example</jid>" + KEY), ["<begin/>", "date-time"],
     "bad-request"),
    (_pubkey(VALIDITY.replace("keeper@", "@@") + KEY), ["localpart is empty"], "jid-malformed"),
    (_pubkey(VALIDITY + "<rsakey><modulus>0x0cA1</modulus><publicExponent>17</publicExponent>"
             "<print>x</print></rsakey>"), ["<modulus/>", "decimal"], "bad-request"),
    (_pubkey(VALIDITY + "<rsakey><modulus>3233</modulus><publicExponent>0</publicExponent>"
             "<print>x</print></rsakey>"), ["publicExponent", "positive"], "bad-request"),
    (_pubkey(VALIDITY + "<rsakey><modulus>3233</modulus><print>x</print></rsakey>"),
     ["<publicExponent/>"], "bad-request"),
    (_pubkey(VALIDITY + "<key>AQ=</key><print>x</print>"), ["<key/>", "Base64"],
     "bad-request"),
    (_pubkey(VALIDITY + f"<key>{DER64}</key><print/>"), ["<print/>"], "bad-request"),
    (_pubkey(VALIDITY + f"<key>{DER64}</key><print algo='sha 256'>x</print>"), ["algo"],
     "bad-request"),
    (_pubkey(VALIDITY + KEY + "<extra/>"), ["extra"], "bad-request"),
    (f"<generating xmlns='{PUBKEY}'><now/></generating>", ["now"], "bad-request"),
    (f"<revoked xmlns='{REVOKE}'>{REVOCATION_BODY}</revoked>", ["revoked"],
     "feature-not-implemented"),
    (f"<revoke xmlns='{REVOKE}'>{REVOCATION_BODY}<comment>c</comment></revoke>",
     ["comment"], "bad-request"),
    (f"<revoke xmlns='{REVOKE}'><key>{DER64}</key><keyprint>a</keyprint>"
     "<signature>s</signature><revocationprint>b</revocationprint></revoke>",
     ["<revocationtime/>"], "bad-request"),
    (f"<attest xmlns='{ATTEST}'><keyprint>a</keyprint><signature>s</signature>"
     "<signerprint>c</signerprint><signtime>2031-02-03T04:05:06Z</signtime></attest>",
     ["<signerjid/>"], "bad-request"),
    (f"<attest xmlns='{ATTEST}'><keyprint>a</keyprint><signature></signature>"
     "<signerjid>n@h.example</signerjid><signerprint>c</signerprint>"
     "<signtime>2031-02-03T04:05:06Z</signtime></attest>", ["<signature/>"], "bad-request"),
    (f"<attest xmlns='{ATTEST}'><keyprint xmlns='{REVOKE}'>a</keyprint>"
     "<signature>s</signature><signerjid>n@h.example</signerjid><signerprint>c</signerprint>"
     "<signtime>2031-02-03T04:05:06Z</signtime></attest>", ["keyprint"], "bad-request"),
]


@pytest.mark.parametrize(("xml", "words", "condition"), REJECTED,
                         ids=[str(n) for n in range(len(REJECTED))])
def test_rejections(xml: str, words: list[str], condition: str) -> None:
    if condition == "feature-not-implemented":
        # An unknown root has no class at all: xepcodec.parse says so.
        with pytest.raises(ParseError) as caught:
            xepcodec.parse(xml.encode())
        assert caught.value.condition == condition
        for word in words:
            assert word in caught.value.message
        return
    rejects(xml, *words, condition=condition)


# Rules XML Schema 1.0 cannot say: the model alone refuses these.
MODEL_ONLY = {
    # which shape the key takes: the schema takes the children in any order (xs:all)
    REJECTED[0][0], REJECTED[1][0], REJECTED[2][0], REJECTED[3][0],
    REJECTED[6][0],  # end before begin
    REJECTED[8][0],  # a malformed JID
}


@pytest.mark.parametrize(("xml", "words", "condition"), REJECTED,
                         ids=[str(n) for n in range(len(REJECTED))])
def test_the_schema_refuses_what_the_model_refuses(
        schema: etree.XMLSchema, xml: str, words: list[str], condition: str) -> None:
    assert schema_accepts(schema, xml) is (xml in MODEL_ONLY)


@pytest.mark.parametrize("xml", [
    _pubkey(""),
    _pubkey(VALIDITY + RSAKEY + "<uri>urn:example:k</uri>"),
    _pubkey(VALIDITY + "<rsakey><modulus>\n 3233\n 0001 </modulus><publicExponent>17"
            "</publicExponent><print algo='sha-256'>x</print></rsakey>"),
    _pubkey(VALIDITY + KEY),
    f"<revoke xmlns='{REVOKE}'>{REVOCATION_BODY}</revoke>",
    f"<revocation xmlns='{REVOKE}'>{REVOCATION_BODY}</revocation>",
    f"<generating xmlns='{PUBKEY}'/>",
])
def test_the_schema_and_the_model_accept_the_same_documents(
        schema: etree.XMLSchema, xml: str) -> None:
    assert schema_accepts(schema, xml), schema.error_log
    assert schema_accepts(schema, encode(typed(xml)))


def test_construction_applies_the_same_rules() -> None:
    with pytest.raises(ValueError, match="not both"):
        PubKey(begin=BEGIN, end=END, jid=JID.parse("a@b.example"), key=DER,
               print_=Print(value="x"),
               rsakey=RSAKey(modulus=3233, exponent=17, print_=Print(value="y")))
    with pytest.raises(ValueError, match="before it begins"):
        PubKey(begin=END, end=BEGIN, jid=JID.parse("a@b.example"), key=DER,
               print_=Print(value="x"))
    with pytest.raises(ValueError, match="<jid/>"):
        PubKey(begin=BEGIN, end=END, key=DER, print_=Print(value="x"))
