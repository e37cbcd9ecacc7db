"""Symmetric keys that can be destroyed; public keys, their names and KeyValue forms."""

from __future__ import annotations

import base64
import copy
import hashlib
import pickle
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

import xepcodec
from xepcodec.crypto import (
    AES128_CBC,
    AES128_GCM,
    AES256_GCM,
    RSA_OAEP,
    CryptoError,
    InvalidPublicKeyError,
    KeyDestroyedError,
    PublicKey,
    SymmetricKey,
    UnsupportedAlgorithmError,
    decrypt_entries,
    encrypt_entries,
    key_name,
    key_value,
    new_symmetric_key,
    rsa_public_key,
    wrap_key,
)
from xepcodec.protocols.archive import Direction, Entry
from xepcodec.protocols.xmlenc import KeyInfo, KeyValue, RSAKeyValue

Seeds = Callable[[int], Callable[[int], bytes]]
ENTRY = Entry(direction=Direction.TO, secs=0, bodies=("hello",))


# -- SymmetricKey ----------------------------------------------------------------------


def test_new_key_draws_its_octets_from_the_random_source(make_random: Seeds) -> None:
    key = new_symmetric_key("k1", random=make_random(5))
    assert key.name == "k1"
    assert key.algorithm == AES256_GCM
    assert key.size == 32
    assert bytes(key._material()) == make_random(5)(32)
    small = new_symmetric_key("k2", algorithm=AES128_CBC, random=make_random(5))
    assert bytes(small._material()) == make_random(5)(16)


def test_new_key_needs_a_name_and_a_known_algorithm(make_random: Seeds) -> None:
    with pytest.raises(CryptoError, match="non-empty name"):
        new_symmetric_key("", random=make_random(0))
    with pytest.raises(UnsupportedAlgorithmError, match="rsa-oaep"):
        new_symmetric_key("k", algorithm=RSA_OAEP, random=make_random(0))


def test_constructor_copies_and_checks_the_size() -> None:
    source = bytearray(b"\x01" * 16)
    key = SymmetricKey("k", AES128_GCM, source)
    source[:] = bytes(16)
    assert bytes(key._material()) == b"\x01" * 16
    with pytest.raises(CryptoError, match="16-octet key, not 32 octets"):
        SymmetricKey("k", AES128_GCM, bytes(32))
    with pytest.raises(UnsupportedAlgorithmError):
        SymmetricKey("k", "urn:example:cipher", bytes(16))


def test_destroy_zeroes_the_buffer_in_place(make_random: Seeds) -> None:
    key = new_symmetric_key("k1", random=make_random(9))
    buffer = key._material()
    assert any(buffer)
    key.destroy()
    assert key.destroyed
    assert buffer == bytearray(32)  # the very buffer that held the key, now zeros
    key.destroy()  # again: nothing happens
    assert key.destroyed


def test_a_destroyed_key_cannot_be_used(make_random: Seeds, rsa_key: RSAPrivateKey) -> None:
    key = new_symmetric_key("k1", random=make_random(1))
    data = encrypt_entries([ENTRY], key, random=make_random(2))
    key.destroy()
    with pytest.raises(KeyDestroyedError, match="'k1' has been destroyed"):
        key._material()
    with pytest.raises(KeyDestroyedError):
        encrypt_entries([ENTRY], key, random=make_random(2))
    with pytest.raises(KeyDestroyedError):
        decrypt_entries(data, key)
    me = PublicKey.from_key(rsa_key.public_key(), confirmed=True)
    with pytest.raises(KeyDestroyedError):
        wrap_key(key, me)


def test_context_manager_destroys_on_leaving(make_random: Seeds) -> None:
    with new_symmetric_key("k1", random=make_random(1)) as key:
        buffer = key._material()
        assert not key.destroyed
    assert key.destroyed
    assert buffer == bytearray(32)


def test_context_manager_destroys_on_error(make_random: Seeds) -> None:
    with pytest.raises(RuntimeError), new_symmetric_key("k1", random=make_random(1)) as key:
        raise RuntimeError("boom")
    assert key.destroyed


def test_repr_never_shows_the_octets() -> None:
    key = SymmetricKey("k1", AES128_GCM, b"\xab" * 16)
    shown = repr(key)
    assert "k1" in shown and AES128_GCM in shown
    assert "ab" not in shown.replace(AES128_GCM, "")
    assert "q6urq6urq6urq6urq6urqw" not in shown  # nor their Base64
    key.destroy()
    assert "destroyed" in repr(key)


def test_a_key_is_never_pickled_or_copied() -> None:
    key = SymmetricKey("k1", AES128_GCM, b"\xab" * 16)
    with pytest.raises(TypeError, match="never pickled or copied"):
        pickle.dumps(key)
    with pytest.raises(TypeError):
        copy.copy(key)
    with pytest.raises(TypeError):
        copy.deepcopy(key)


# -- public keys -----------------------------------------------------------------------


def test_key_name_is_base64_sha256_of_the_der_spki(rsa_key: RSAPrivateKey) -> None:
    der = rsa_key.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    expected = base64.b64encode(hashlib.sha256(der).digest()).decode()
    assert key_name(rsa_key.public_key()) == expected
    assert len(expected) == 44


def test_key_value_round_trips(rsa_key: RSAPrivateKey) -> None:
    value = key_value(rsa_key.public_key())
    assert value.rsa is not None
    assert value.rsa.exponent == b"\x01\x00\x01"  # AQAB: no leading zero octets
    assert len(value.rsa.modulus) == 256 and value.rsa.modulus[0] != 0
    assert rsa_public_key(value) == rsa_key.public_key()
    assert rsa_public_key(value.rsa) == rsa_key.public_key()
    # and through XML
    again = xepcodec.parse(xepcodec.serialize(value))
    assert rsa_public_key(again) == rsa_key.public_key()


def test_a_key_value_with_leading_zero_octets_is_read(rsa_key: RSAPrivateKey) -> None:
    numbers = rsa_key.public_key().public_numbers()
    padded = RSAKeyValue(modulus=b"\x00" + numbers.n.to_bytes(256, "big"),
                         exponent=b"\x00\x01\x00\x01")
    assert rsa_public_key(padded) == rsa_key.public_key()


def test_an_invalid_key_value_is_refused() -> None:
    even_exponent = RSAKeyValue(modulus=(2**2047 + 1).to_bytes(256, "big"), exponent=b"\x02")
    with pytest.raises(InvalidPublicKeyError, match="not a valid RSA public key"):
        rsa_public_key(even_exponent)


def test_public_key_names_and_confirmation(rsa_key: RSAPrivateKey) -> None:
    public = PublicKey.from_key(rsa_key.public_key())
    assert public.name == key_name(rsa_key.public_key()) == public.fingerprint
    assert public.confirmed is False
    confirmed = public.confirm()
    assert confirmed.confirmed is True and confirmed.name == public.name
    assert public.confirmed is False  # frozen: confirm() made a new one
    named = PublicKey.from_key(rsa_key.public_key(), name="romeoPublicKey1", confirmed=True)
    assert named.name == "romeoPublicKey1" and named.fingerprint == public.name
    assert len({public, confirmed, named}) == 3  # hashable


def test_public_key_from_key_info(rsa_key: RSAPrivateKey) -> None:
    value = key_value(rsa_key.public_key())
    named = PublicKey.from_key_value(KeyInfo(key_names=("romeoPublicKey3",),
                                             key_values=(value,)), confirmed=True)
    assert named.name == "romeoPublicKey3" and named.confirmed
    assert named.key == rsa_key.public_key()
    unnamed = PublicKey.from_key_value(KeyInfo(key_values=(value,)))
    assert unnamed.name == key_name(rsa_key.public_key()) and not unnamed.confirmed
    chosen = PublicKey.from_key_value(value, name="mine")
    assert chosen.name == "mine"


def test_key_info_round_trips_through_xml(rsa_key: RSAPrivateKey) -> None:
    public = PublicKey.from_key(rsa_key.public_key(), name="romeoPublicKey3")
    info = public.key_info()
    assert info.key_names == ("romeoPublicKey3",)
    parsed = xepcodec.parse(xepcodec.serialize(info))
    assert parsed == info
    assert PublicKey.from_key_value(parsed) == public


def test_a_key_info_without_an_rsa_key_is_refused() -> None:
    with pytest.raises(InvalidPublicKeyError, match="gives no RSA public key"):
        PublicKey.from_key_value(KeyInfo(key_names=("only a name",)))
    with pytest.raises(InvalidPublicKeyError, match="RSA public keys only"):
        PublicKey(name="x", key="not a key")  # type: ignore[arg-type]
    with pytest.raises(InvalidPublicKeyError, match="non-empty name"):
        PublicKey(name="", key=None)  # type: ignore[arg-type]


def test_key_value_without_rsa_is_refused() -> None:
    value = xepcodec.parse(
        b"<KeyValue xmlns='http://www.w3.org/2000/09/xmldsig#'>"
        b"<ECKeyValue xmlns='http://www.w3.org/2009/xmldsig11#'/></KeyValue>")
    assert isinstance(value, KeyValue)
    with pytest.raises(InvalidPublicKeyError, match="no <RSAKeyValue/>"):
        rsa_public_key(value)
