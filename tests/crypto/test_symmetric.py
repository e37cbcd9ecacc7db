"""AES over octets: round trips, the XML Encryption layout, CBC padding, and the one
DecryptionError."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from xepcodec.crypto import (
    AES128_CBC,
    AES128_GCM,
    AES192_CBC,
    AES192_GCM,
    AES256_CBC,
    AES256_GCM,
    RSA_OAEP,
    CryptoError,
    DecryptionError,
    KeyDestroyedError,
    LegacyAlgorithmError,
    SymmetricKey,
    UnsupportedAlgorithmError,
    decrypt_octets,
    encrypt_octets,
    is_legacy,
)
from xepcodec.crypto.algorithms import CIPHERS, LEGACY, RSA_1_5, RSA_OAEP_MGF1P, cipher
from xepcodec.crypto.symmetric import (
    BLOCK_SIZE,
    CBC_IV_SIZE,
    GCM_IV_SIZE,
    GCM_TAG_SIZE,
    decrypt,
    encrypt,
    pad,
    unpad,
)

ALL = sorted(CIPHERS)
CBC = [AES128_CBC, AES192_CBC, AES256_CBC]
GCM = [AES128_GCM, AES192_GCM, AES256_GCM]


def seeded(seed: int) -> Callable[[int], bytes]:
    return random.Random(seed).randbytes


def key_for(algorithm: str, seed: int = 1) -> bytearray:
    return bytearray(seeded(seed)(CIPHERS[algorithm].key_size))


def test_the_table_of_algorithms() -> None:
    assert {uri: (spec.mode, spec.key_size) for uri, spec in CIPHERS.items()} == {
        "http://www.w3.org/2001/04/xmlenc#aes128-cbc": ("cbc", 16),
        "http://www.w3.org/2001/04/xmlenc#aes192-cbc": ("cbc", 24),
        "http://www.w3.org/2001/04/xmlenc#aes256-cbc": ("cbc", 32),
        "http://www.w3.org/2009/xmlenc11#aes128-gcm": ("gcm", 16),
        "http://www.w3.org/2009/xmlenc11#aes192-gcm": ("gcm", 24),
        "http://www.w3.org/2009/xmlenc11#aes256-gcm": ("gcm", 32),
    }
    assert set(CBC) | {RSA_1_5} == LEGACY
    assert all(is_legacy(uri) for uri in CBC) and is_legacy(RSA_1_5)
    assert not any(is_legacy(uri) for uri in [*GCM, RSA_OAEP, RSA_OAEP_MGF1P])


def test_cipher_refuses_what_is_not_a_data_cipher() -> None:
    with pytest.raises(UnsupportedAlgorithmError, match="rsa-oaep"):
        cipher(RSA_OAEP)


@pytest.mark.parametrize("algorithm", ALL)
@given(plaintext=st.binary(max_size=300), seed=st.integers(0, 2**32))
def test_every_cipher_round_trips(algorithm: str, plaintext: bytes, seed: int) -> None:
    key = key_for(algorithm, seed)
    sealed = encrypt(algorithm, key, plaintext, random=seeded(seed), allow_legacy=True)
    assert decrypt(algorithm, key, sealed) == plaintext


@pytest.mark.parametrize("algorithm", ALL)
def test_output_is_fixed_by_the_random_source(algorithm: str) -> None:
    key = key_for(algorithm)
    first = encrypt(algorithm, key, b"same plaintext", random=seeded(7), allow_legacy=True)
    again = encrypt(algorithm, key, b"same plaintext", random=seeded(7), allow_legacy=True)
    other = encrypt(algorithm, key, b"same plaintext", random=seeded(8), allow_legacy=True)
    assert first == again
    assert first != other


@pytest.mark.parametrize("algorithm", GCM)
@given(plaintext=st.binary(max_size=100))
def test_gcm_layout_is_iv_ciphertext_tag(algorithm: str, plaintext: bytes) -> None:
    key = key_for(algorithm)
    sealed = encrypt(algorithm, key, plaintext, random=seeded(3))
    iv = seeded(3)(GCM_IV_SIZE)  # the first octets drawn are the IV
    assert len(sealed) == GCM_IV_SIZE + len(plaintext) + GCM_TAG_SIZE
    assert sealed[:GCM_IV_SIZE] == iv
    # Built independently: AES-GCM with that IV, no associated data, 128-bit tag.
    assert sealed[GCM_IV_SIZE:] == AESGCM(bytes(key)).encrypt(iv, plaintext, None)


@pytest.mark.parametrize("algorithm", CBC)
@given(plaintext=st.binary(max_size=100))
def test_cbc_layout_is_iv_then_padded_blocks(algorithm: str, plaintext: bytes) -> None:
    key = key_for(algorithm)
    draw = seeded(4)
    sealed = encrypt(algorithm, key, plaintext, random=seeded(4), allow_legacy=True)
    iv = draw(CBC_IV_SIZE)
    count = BLOCK_SIZE - len(plaintext) % BLOCK_SIZE
    filler = draw(count - 1)
    assert sealed[:CBC_IV_SIZE] == iv
    assert len(sealed) == CBC_IV_SIZE + len(plaintext) + count
    assert (len(sealed) - CBC_IV_SIZE) % BLOCK_SIZE == 0
    decryptor = Cipher(algorithms.AES(bytes(key)), modes.CBC(iv)).decryptor()
    padded = decryptor.update(sealed[CBC_IV_SIZE:]) + decryptor.finalize()
    assert padded == plaintext + filler + bytes((count,))


@pytest.mark.parametrize(("length", "count"), [(0, 16), (1, 15), (15, 1), (16, 16), (17, 15)])
def test_padding_length_is_1_to_16_and_last_octet_counts_it(length: int, count: int) -> None:
    padded = pad(b"x" * length, seeded(0))
    assert len(padded) == length + count
    assert padded[-1] == count
    assert padded[:length] == b"x" * length
    assert unpad(padded) == b"x" * length


def test_padding_filler_comes_from_the_random_source() -> None:
    assert pad(b"abc", lambda n: b"\xee" * n) == b"abc" + b"\xee" * 12 + b"\x0d"


@pytest.mark.parametrize("filler", [b"\x00" * 7, b"\xff\x01\x80\x08\x08\x42\x08", b"pad me!"])
@pytest.mark.parametrize("algorithm", CBC)
def test_cbc_decrypts_a_hand_built_vector_with_arbitrary_padding(algorithm: str,
                                                                 filler: bytes) -> None:
    """XML Encryption 1.0 §5.2: the padding octets before the count are arbitrary (not
    PKCS#7's repeated count), and a reader must ignore them."""
    key = bytes(key_for(algorithm, 11))
    iv = bytes(range(16))
    plaintext = b"<note xmlns='urn:xmpp:archive'>hi</note>"  # 40 octets: 8 of padding
    padded = plaintext + filler + bytes((len(filler) + 1,))
    assert len(padded) % 16 == 0
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    vector = iv + encryptor.update(padded) + encryptor.finalize()
    assert decrypt(algorithm, key, vector) == plaintext


@pytest.mark.parametrize("algorithm", CBC)
def test_cbc_accepts_a_whole_block_of_padding(algorithm: str) -> None:
    key = bytes(key_for(algorithm))
    iv = b"\x01" * 16
    padded = b"A" * 16 + b"\x99" * 15 + b"\x10"
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    vector = iv + encryptor.update(padded) + encryptor.finalize()
    assert decrypt(algorithm, key, vector) == b"A" * 16


@pytest.mark.parametrize("algorithm", CBC)
def test_cbc_encrypts_only_with_the_legacy_opt_in(algorithm: str) -> None:
    with pytest.raises(LegacyAlgorithmError, match="allow_legacy=True") as caught:
        encrypt(algorithm, key_for(algorithm), b"x", random=seeded(0))
    assert caught.value.algorithm == algorithm


def test_encrypting_with_an_unknown_algorithm_names_it() -> None:
    with pytest.raises(UnsupportedAlgorithmError, match="urn:example:cipher"):
        encrypt("urn:example:cipher", bytes(16), b"x", random=seeded(0))


def test_encrypting_with_a_key_of_the_wrong_size_is_the_callers_error() -> None:
    with pytest.raises(CryptoError, match="32-octet key, not 16") as caught:
        encrypt(AES256_GCM, bytes(16), b"x", random=seeded(0))
    assert not isinstance(caught.value, DecryptionError)


def test_a_random_source_that_returns_too_little_is_refused() -> None:
    with pytest.raises(CryptoError, match="asked for 12 octets and returned 3 octets"):
        encrypt(AES256_GCM, bytes(32), b"x", random=lambda n: b"abc")


# -- the one DecryptionError -----------------------------------------------------------


def _flip(data: bytes, index: int, mask: int = 0x01) -> bytes:
    changed = bytearray(data)
    changed[index] ^= mask
    return bytes(changed)


def _failures() -> list[tuple[str, str, bytes | bytearray, bytes]]:
    """(what, algorithm, key, ciphertext) for every way decryption can fail."""
    gcm_key = key_for(AES256_GCM, 1)
    gcm = encrypt(AES256_GCM, gcm_key, b"a secret of some length", random=seeded(1))
    cbc_key = key_for(AES128_CBC, 2)
    cbc = encrypt(AES128_CBC, cbc_key, b"0123456789", random=seeded(2), allow_legacy=True)
    # The last plaintext octet (the padding count, 6) is the last octet of the
    # decrypted final block XORed with the previous ciphertext block: flipping that
    # octet of the previous block turns the count into 6 ^ 0x40 = 70, no valid count.
    bad_padding = _flip(cbc, len(cbc) - 17, 0x40)
    zero_count = _flip(cbc, len(cbc) - 17, 0x06)  # count 0
    return [
        ("tampered tag", AES256_GCM, gcm_key, _flip(gcm, len(gcm) - 1)),
        ("tampered ciphertext", AES256_GCM, gcm_key, _flip(gcm, GCM_IV_SIZE)),
        ("tampered iv", AES256_GCM, gcm_key, _flip(gcm, 0)),
        ("wrong key", AES256_GCM, key_for(AES256_GCM, 99), gcm),
        ("truncated gcm", AES256_GCM, gcm_key, gcm[:GCM_IV_SIZE + GCM_TAG_SIZE - 1]),
        ("tag cut off", AES256_GCM, gcm_key, gcm[:-GCM_TAG_SIZE]),
        ("empty", AES256_GCM, gcm_key, b""),
        ("wrong-length key", AES256_GCM, gcm_key[:16], gcm),
        ("key of a size no AES has", AES256_GCM, bytes(20), gcm),
        ("unknown algorithm", "urn:example:cipher", gcm_key, gcm),
        ("a key transport as cipher", RSA_OAEP, gcm_key, gcm),
        ("tampered padding", AES128_CBC, cbc_key, bad_padding),
        ("padding count zero", AES128_CBC, cbc_key, zero_count),
        ("not whole blocks", AES128_CBC, cbc_key, cbc[:-1]),
        ("iv only", AES128_CBC, cbc_key, cbc[:CBC_IV_SIZE]),
        ("cbc wrong-length key", AES128_CBC, key_for(AES256_CBC), cbc),
    ]


@pytest.mark.parametrize(("what", "algorithm", "key", "ciphertext"), _failures(),
                         ids=[case[0] for case in _failures()])
def test_every_failure_is_the_same_decryption_error(what: str, algorithm: str,
                                                    key: bytes, ciphertext: bytes) -> None:
    with pytest.raises(CryptoError) as caught:
        decrypt(algorithm, key, ciphertext)
    error = caught.value
    assert type(error) is DecryptionError
    assert str(error) == DecryptionError.MESSAGE == "decryption failed"
    assert error.__cause__ is None
    assert error.__context__ is None  # nothing chained, not even implicitly


def test_the_failure_cases_are_valid_before_they_are_broken() -> None:
    """The vectors above fail because of what was done to them, not by accident."""
    gcm_key = key_for(AES256_GCM, 1)
    gcm = encrypt(AES256_GCM, gcm_key, b"a secret of some length", random=seeded(1))
    assert decrypt(AES256_GCM, gcm_key, gcm) == b"a secret of some length"
    cbc_key = key_for(AES128_CBC, 2)
    cbc = encrypt(AES128_CBC, cbc_key, b"0123456789", random=seeded(2), allow_legacy=True)
    assert decrypt(AES128_CBC, cbc_key, cbc) == b"0123456789"


@pytest.mark.parametrize("data", [b"", b"x" * 15, b"x" * 15 + b"\x00", b"x" * 15 + b"\x11"])
def test_unpad_refuses_what_is_no_padding(data: bytes) -> None:
    assert unpad(data) is None


@pytest.mark.parametrize("algorithm", ALL)
def test_octets_with_a_symmetric_key(algorithm: str) -> None:
    key = SymmetricKey("k", algorithm, key_for(algorithm))
    sealed = encrypt_octets(key, b"any octets", random=seeded(1), allow_legacy=True)
    assert sealed == encrypt(algorithm, key_for(algorithm), b"any octets", random=seeded(1),
                             allow_legacy=True)
    assert decrypt_octets(key, sealed) == b"any octets"
    assert decrypt_octets(key, sealed, algorithm=algorithm) == b"any octets"
    if is_legacy(algorithm):
        with pytest.raises(LegacyAlgorithmError):
            encrypt_octets(key, b"x", random=seeded(1))
    key.destroy()
    with pytest.raises(KeyDestroyedError):
        decrypt_octets(key, sealed)
