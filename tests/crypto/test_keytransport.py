"""RSA key transport: the three methods, their parameters, and the one DecryptionError."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

import xepcodec
from xepcodec.crypto import (
    AES128_CBC,
    AES128_GCM,
    AES192_GCM,
    AES256_GCM,
    RSA_1_5,
    RSA_OAEP,
    RSA_OAEP_MGF1P,
    DecryptionError,
    LegacyAlgorithmError,
    PublicKey,
    SymmetricKey,
    UnconfirmedKeyError,
    UnsupportedAlgorithmError,
    new_symmetric_key,
    unwrap_key,
    wrap_key,
)
from xepcodec.crypto.algorithms import (
    MGF1_SHA1,
    MGF1_SHA256,
    MGF1_SHA512,
    SHA1,
    SHA256,
    SHA384,
    SHA512,
)
from xepcodec.crypto.keytransport import transport_method, unwrap
from xepcodec.protocols.xmlenc import (
    MGF,
    CipherData,
    DigestMethod,
    EncryptedKey,
    EncryptionMethod,
    KeyInfo,
)

Seeds = Callable[[int], Callable[[int], bytes]]


@pytest.fixture
def me(rsa_key: RSAPrivateKey) -> PublicKey:
    return PublicKey.from_key(rsa_key.public_key(), confirmed=True)


def _octets(key: SymmetricKey) -> bytes:
    return bytes(key._material())


# -- what is written -------------------------------------------------------------------


def test_methods_write_only_what_differs_from_the_defaults() -> None:
    assert transport_method(RSA_1_5) == EncryptionMethod(algorithm=RSA_1_5)
    assert transport_method(RSA_OAEP_MGF1P) == EncryptionMethod(algorithm=RSA_OAEP_MGF1P)
    assert transport_method(RSA_OAEP_MGF1P, digest=SHA1) == EncryptionMethod(
        algorithm=RSA_OAEP_MGF1P)
    assert transport_method(RSA_OAEP_MGF1P, digest=SHA256) == EncryptionMethod(
        algorithm=RSA_OAEP_MGF1P, digest=DigestMethod(algorithm=SHA256))
    assert transport_method(RSA_OAEP) == EncryptionMethod(
        algorithm=RSA_OAEP, digest=DigestMethod(algorithm=SHA256),
        mgf=MGF(algorithm=MGF1_SHA256))
    assert transport_method(RSA_OAEP, digest=SHA1, mgf=MGF1_SHA1) == EncryptionMethod(
        algorithm=RSA_OAEP)
    assert transport_method(RSA_OAEP, digest=SHA512, mgf=MGF1_SHA1) == EncryptionMethod(
        algorithm=RSA_OAEP, digest=DigestMethod(algorithm=SHA512))


def test_the_default_method_in_xml(me: PublicKey, make_random: Seeds) -> None:
    key = new_symmetric_key("dataKey1", random=make_random(0))
    xml = xepcodec.serialize(wrap_key(key, me))
    assert (b'<EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#rsa-oaep">'
            b'<DigestMethod xmlns="http://www.w3.org/2000/09/xmldsig#" '
            b'Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
            b'<MGF xmlns="http://www.w3.org/2009/xmlenc11#" '
            b'Algorithm="http://www.w3.org/2009/xmlenc11#mgf1sha256"/></EncryptionMethod>') in xml
    assert b"<CarriedKeyName>dataKey1</CarriedKeyName>" in xml
    assert f"<KeyName>{me.name}</KeyName>".encode() in xml


@pytest.mark.parametrize(("transport", "digest", "mgf", "message"), [
    (RSA_1_5, SHA256, None, "rsa-1_5 takes no digest"),
    (RSA_OAEP_MGF1P, None, MGF1_SHA256, "always uses MGF1 with SHA-1"),
    (RSA_OAEP, "urn:example:digest", None, "urn:example:digest"),
    (RSA_OAEP, None, "urn:example:mgf", "urn:example:mgf"),
    ("urn:example:transport", None, None, "urn:example:transport"),
])
def test_impossible_methods_are_refused(transport: str, digest: str | None, mgf: str | None,
                                        message: str) -> None:
    with pytest.raises(UnsupportedAlgorithmError, match=message):
        transport_method(transport, digest=digest, mgf=mgf)


# -- round trips -----------------------------------------------------------------------


@pytest.mark.parametrize(("transport", "digest", "mgf"), [
    (RSA_1_5, None, None),
    (RSA_OAEP_MGF1P, None, None),
    (RSA_OAEP_MGF1P, SHA256, None),
    (RSA_OAEP_MGF1P, SHA384, None),
    (RSA_OAEP, None, None),
    (RSA_OAEP, SHA1, MGF1_SHA1),
    (RSA_OAEP, SHA512, MGF1_SHA512),
])
@pytest.mark.parametrize("algorithm", [AES128_GCM, AES192_GCM, AES256_GCM])
def test_every_transport_round_trips(transport: str, digest: str | None, mgf: str | None,
                                     algorithm: str, me: PublicKey, rsa_key: RSAPrivateKey,
                                     make_random: Seeds) -> None:
    key = new_symmetric_key("dataKey1", algorithm=algorithm, random=make_random(1))
    wrapped = wrap_key(key, me, key_transport=transport, allow_legacy=True, digest=digest,
                       mgf=mgf)
    assert wrapped.key_name == me.name
    assert wrapped.carried_key_name == "dataKey1"
    assert len(wrapped.cipher_data.value) == 256
    parsed = xepcodec.parse(xepcodec.serialize(wrapped))
    assert parsed == wrapped
    with unwrap_key(parsed, rsa_key) as again:
        assert _octets(again) == _octets(key)
        assert again.name == "dataKey1"
        assert again.algorithm == algorithm  # AES-GCM of the size, by default


def test_oaep_params_are_the_oaep_label(rsa_key: RSAPrivateKey) -> None:
    secret = bytes(range(16))
    label = b"some label"
    scheme = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()),
                          algorithm=hashes.SHA1(), label=label)
    wrapped = rsa_key.public_key().encrypt(secret, scheme)
    method = EncryptionMethod(algorithm=RSA_OAEP_MGF1P, oaep_params=label)
    assert bytes(unwrap(wrapped, rsa_key, method)) == secret
    with pytest.raises(DecryptionError):
        unwrap(wrapped, rsa_key, EncryptionMethod(algorithm=RSA_OAEP_MGF1P))


def test_unwrap_key_may_be_told_the_algorithm(me: PublicKey, rsa_key: RSAPrivateKey,
                                              make_random: Seeds) -> None:
    key = new_symmetric_key("k", algorithm=AES128_CBC, random=make_random(2))
    wrapped = wrap_key(key, me)
    assert unwrap_key(wrapped, rsa_key).algorithm == AES128_GCM
    assert unwrap_key(wrapped, rsa_key, algorithm=AES128_CBC).algorithm == AES128_CBC
    with pytest.raises(DecryptionError):
        unwrap_key(wrapped, rsa_key, algorithm=AES256_GCM)  # the key does not fit
    with pytest.raises(UnsupportedAlgorithmError):
        unwrap_key(wrapped, rsa_key, algorithm=RSA_OAEP)


def test_an_unnamed_carried_key_unwraps_with_an_empty_name(me: PublicKey,
                                                           rsa_key: RSAPrivateKey) -> None:
    key = SymmetricKey("", AES128_GCM, bytes(range(16)))
    wrapped = wrap_key(key, me)
    assert wrapped.carried_key_name is None
    assert unwrap_key(wrapped, rsa_key).name == ""


# -- refusals --------------------------------------------------------------------------


def test_rsa_1_5_wraps_only_with_the_legacy_opt_in(me: PublicKey, make_random: Seeds) -> None:
    key = new_symmetric_key("k", random=make_random(0))
    with pytest.raises(LegacyAlgorithmError, match="rsa-1_5"):
        wrap_key(key, me, key_transport=RSA_1_5)


def test_unconfirmed_keys_are_refused_by_name(rsa_key: RSAPrivateKey,
                                              make_random: Seeds) -> None:
    published = PublicKey.from_key(rsa_key.public_key(), name="romeoPublicKey2")
    key = new_symmetric_key("k", random=make_random(0))
    with pytest.raises(UnconfirmedKeyError, match="'romeoPublicKey2' is not confirmed") as caught:
        wrap_key(key, published)
    assert caught.value.key_name == "romeoPublicKey2"


# -- the one DecryptionError -----------------------------------------------------------


def _failures(me: PublicKey, rsa_key: RSAPrivateKey, other_rsa_key: RSAPrivateKey,
              ) -> list[tuple[str, EncryptedKey, RSAPrivateKey]]:
    key = SymmetricKey("dataKey1", AES256_GCM, bytes(range(32)))
    good = wrap_key(key, me)
    legacy = wrap_key(key, me, key_transport=RSA_1_5, allow_legacy=True)
    value = good.cipher_data.value
    flipped = bytes([value[0] ^ 1]) + value[1:]
    not_a_key = rsa_key.public_key().encrypt(bytes(20), padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None))

    def method(**fields: object) -> EncryptionMethod:
        return EncryptionMethod(**fields)  # type: ignore[arg-type]

    def with_method(wrapped: EncryptedKey, changed: EncryptionMethod | None) -> EncryptedKey:
        return EncryptedKey(method=changed, key_info=wrapped.key_info,
                            cipher_data=wrapped.cipher_data,
                            carried_key_name=wrapped.carried_key_name)

    def with_value(wrapped: EncryptedKey, octets: bytes) -> EncryptedKey:
        return EncryptedKey(method=wrapped.method, key_info=wrapped.key_info,
                            cipher_data=CipherData(value=octets),
                            carried_key_name=wrapped.carried_key_name)

    return [
        ("wrong private key", good, other_rsa_key),
        ("wrong private key, rsa-1_5", legacy, other_rsa_key),
        ("tampered", with_value(good, flipped), rsa_key),
        ("truncated", with_value(good, value[:-1]), rsa_key),
        ("too long", with_value(good, value + b"\x00"), rsa_key),
        ("not an AES key", with_value(good, not_a_key), rsa_key),
        ("no method", with_method(good, None), rsa_key),
        ("unknown method", with_method(good, method(algorithm="urn:example:kt")), rsa_key),
        ("a data cipher as method", with_method(good, method(algorithm=AES256_GCM)), rsa_key),
        ("wrong digest", with_method(good, method(
            algorithm=RSA_OAEP, digest=DigestMethod(algorithm=SHA1),
            mgf=MGF(algorithm=MGF1_SHA256))), rsa_key),
        ("unknown digest", with_method(good, method(
            algorithm=RSA_OAEP, digest=DigestMethod(algorithm="urn:example:digest"))), rsa_key),
        ("unknown mgf", with_method(good, method(
            algorithm=RSA_OAEP, mgf=MGF(algorithm="urn:example:mgf"))), rsa_key),
        ("mgf on mgf1p", with_method(good, method(
            algorithm=RSA_OAEP_MGF1P, mgf=MGF(algorithm=MGF1_SHA256))), rsa_key),
        ("oaep params on rsa-1_5", with_method(legacy, method(
            algorithm=RSA_1_5, oaep_params=b"x")), rsa_key),
        ("unexpected label", with_method(good, method(
            algorithm=RSA_OAEP, digest=DigestMethod(algorithm=SHA256),
            mgf=MGF(algorithm=MGF1_SHA256), oaep_params=b"label")), rsa_key),
    ]


_CASES = ["wrong private key", "wrong private key, rsa-1_5", "tampered", "truncated",
          "too long", "not an AES key", "no method", "unknown method",
          "a data cipher as method", "wrong digest", "unknown digest", "unknown mgf",
          "mgf on mgf1p", "oaep params on rsa-1_5", "unexpected label"]


@pytest.mark.parametrize("case", _CASES)
def test_every_unwrap_failure_is_the_same_decryption_error(
        case: str, me: PublicKey, rsa_key: RSAPrivateKey,
        other_rsa_key: RSAPrivateKey) -> None:
    cases = {what: (wrapped, private) for what, wrapped, private
             in _failures(me, rsa_key, other_rsa_key)}
    assert list(cases) == _CASES
    wrapped, private = cases[case]
    if case == "wrong private key, rsa-1_5":
        # OpenSSL's implicit rejection may hand back a pseudo-random "key" instead of
        # failing; if its length fits AES it fails later, on the data, with the same error.
        try:
            key = unwrap_key(wrapped, private)
        except DecryptionError as refused:
            assert str(refused) == DecryptionError.MESSAGE
            return
        assert _octets(key) != bytes(range(32))
        return
    with pytest.raises(DecryptionError) as caught:
        unwrap_key(wrapped, private)
    error = caught.value
    assert type(error) is DecryptionError
    assert str(error) == DecryptionError.MESSAGE
    assert error.__cause__ is None and error.__context__ is None


def test_the_good_cases_unwrap(me: PublicKey, rsa_key: RSAPrivateKey) -> None:
    """The failures above come from what was changed, not from the originals."""
    key = SymmetricKey("dataKey1", AES256_GCM, bytes(range(32)))
    for transport in (RSA_OAEP, RSA_1_5):
        wrapped = wrap_key(key, me, key_transport=transport, allow_legacy=True)
        assert _octets(unwrap_key(wrapped, rsa_key)) == bytes(range(32))


def test_a_wrapped_key_names_its_recipient_key_info(me: PublicKey,
                                                    make_random: Seeds) -> None:
    wrapped = wrap_key(new_symmetric_key("k", random=make_random(0)), me)
    assert wrapped.key_info == KeyInfo(key_names=(me.name,))
