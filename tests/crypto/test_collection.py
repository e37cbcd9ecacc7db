"""Whole collections: what is encrypted, key reuse, several symmetric keys, skipped
keys, key replacement, and which failure is which error."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

import xepcodec
from xepcodec.crypto import (
    AES128_CBC,
    AES128_GCM,
    AES256_CBC,
    AES256_GCM,
    RSA_1_5,
    RSA_OAEP,
    RSA_OAEP_MGF1P,
    CryptoError,
    DecryptionError,
    LegacyAlgorithmError,
    MissingKeyError,
    PublicKey,
    SymmetricKey,
    UnconfirmedKeyError,
    decrypt_collection,
    decrypt_entries,
    encrypt_collection,
    encrypt_entries,
    join_entries,
    read_entries,
    rewrap_key,
    unwrap_key,
    wrap_key,
)
from xepcodec.crypto import collection as collection_module
from xepcodec.crypto.algorithms import CIPHERS
from xepcodec.crypto.symmetric import decrypt, encrypt
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError, SerializeError
from xepcodec.protocols.archive import (
    ARCHIVE,
    ARCHIVE_TMP,
    NAMESPACES,
    Chat,
    Direction,
    Entry,
    Note,
    Save,
)
from xepcodec.protocols.xmlenc import (
    CONTENT,
    CipherData,
    EncryptedData,
    EncryptedKey,
    EncryptionMethod,
    KeyInfo,
)
from xepcodec.testing.strategies import for_class
from xepcodec.xml import Limits

Seeds = Callable[[int], Callable[[int], bytes]]

JULIET = JID.parse("juliet@capulet.lit/balcony")
START = datetime(1469, 7, 23, 19, 22, 31, tzinfo=UTC)
E1 = (Entry(direction=Direction.FROM, secs=0, bodies=("Art thou not Romeo?",)),
      Entry(direction=Direction.TO, secs=5, bodies=("Neither, fair saint.",)))
E2 = (Note(text="she sounds worried"),)
E3 = (Entry(direction=Direction.FROM, secs=9, bodies=("How cam'st thou hither?",)),)


@pytest.fixture
def me(rsa_key: RSAPrivateKey) -> PublicKey:
    return PublicKey.from_key(rsa_key.public_key(), confirmed=True)


@pytest.fixture
def other(other_rsa_key: RSAPrivateKey) -> PublicKey:
    return PublicKey.from_key(other_rsa_key.public_key(), confirmed=True)


def counting(random: Callable[[int], bytes]) -> tuple[Callable[[int], bytes], list[int]]:
    calls: list[int] = []

    def draw(count: int) -> bytes:
        calls.append(count)
        return random(count)

    return draw, calls


# -- round trips -----------------------------------------------------------------------


_ENTRIES = st.lists(st.one_of(for_class(Entry), for_class(Note)), max_size=5)


@given(entries=_ENTRIES, algorithm=st.sampled_from(sorted(CIPHERS)),
       transport=st.sampled_from([RSA_1_5, RSA_OAEP_MGF1P, RSA_OAEP]),
       namespace=st.sampled_from(NAMESPACES), seed=st.integers(0, 2**32))
def test_every_collection_round_trips(entries: list[Entry | Note], algorithm: str,
                                      transport: str, namespace: str, seed: int,
                                      rsa_key: RSAPrivateKey, make_random: Seeds,
                                      schema: etree.XMLSchema) -> None:
    me = PublicKey.from_key(rsa_key.public_key(), confirmed=True)
    sealed = encrypt_collection(entries, [me], key_name="dataKey1", algorithm=algorithm,
                                key_transport=transport, random=make_random(seed),
                                allow_legacy=True, namespace=namespace)
    with sealed.key:
        chat = Chat(namespace=namespace, with_=JULIET, start=START, crypt=True,
                    encrypted_data=(sealed.data,), encrypted_keys=sealed.keys)
        xml = xepcodec.serialize(Save(namespace=namespace, chat=chat))
        schema.assertValid(etree.fromstring(xml))
        received = xepcodec.parse(xml).chat
        assert received == chat
        assert decrypt_collection(received.encrypted_data, received.encrypted_keys, rsa_key,
                                  namespace=namespace) == tuple(entries)
        # The plaintext is exactly the joined elements.
        plaintext = decrypt(algorithm, sealed.key._material(), sealed.data.cipher_data.value)
        assert plaintext == join_entries(entries, namespace)


def test_the_plaintext_is_each_element_with_its_xmlns() -> None:
    entries = (*E1, Note(text="x <&> y", utc=START))
    expected = ('<from xmlns="{ns}" secs="0"><body>Art thou not Romeo?</body></from>'
                '<to xmlns="{ns}" secs="5"><body>Neither, fair saint.</body></to>'
                '<note xmlns="{ns}" utc="1469-07-23T19:22:31Z">x &lt;&amp;&gt; y</note>')
    for namespace in NAMESPACES:
        assert join_entries(entries, namespace) == expected.format(ns=namespace).encode()
        assert read_entries(join_entries(entries, namespace), namespace) == entries
    # Each element stands alone: every one parses by itself.
    assert xepcodec.parse(join_entries(E2, ARCHIVE_TMP)) == E2[0]


def test_entries_with_extensions_keep_them(rsa_key: RSAPrivateKey, me: PublicKey,
                                           make_random: Seeds) -> None:
    extended = xepcodec.parse(
        b"<to xmlns='urn:xmpp:archive' secs='1'><body>hi</body>"
        b"<html xmlns='http://jabber.org/protocol/xhtml-im'>"
        b"<body xmlns='http://www.w3.org/1999/xhtml'><p>hi</p></body></html></to>")
    sealed = encrypt_collection([extended], [me], key_name="k", random=make_random(0))
    assert decrypt_collection([sealed.data], sealed.keys, rsa_key) == (extended,)


def test_the_encrypted_data_says_how_it_was_made(me: PublicKey, make_random: Seeds) -> None:
    sealed = encrypt_collection(E1, [me], key_name="dataKey1", random=make_random(0))
    assert sealed.data == EncryptedData(
        type=CONTENT, method=EncryptionMethod(algorithm=AES256_GCM),
        key_info=KeyInfo(key_names=("dataKey1",)), cipher_data=sealed.data.cipher_data)
    (wrapped,) = sealed.keys
    assert wrapped.method is not None and wrapped.method.algorithm == RSA_OAEP
    assert wrapped.key_name == me.name
    assert wrapped.carried_key_name == "dataKey1"
    assert sealed.key.name == "dataKey1" and sealed.key.algorithm == AES256_GCM


def test_aes_output_is_fixed_by_a_seeded_random(me: PublicKey, rsa_key: RSAPrivateKey,
                                                make_random: Seeds) -> None:
    first = encrypt_collection(E1, [me], key_name="k", random=make_random(42))
    again = encrypt_collection(E1, [me], key_name="k", random=make_random(42))
    other = encrypt_collection(E1, [me], key_name="k", random=make_random(43))
    assert first.data == again.data
    assert first.data != other.data
    # RSA padding is OpenSSL's own randomness: the wrapped keys differ, their key does not.
    assert first.keys != again.keys
    with unwrap_key(first.keys[0], rsa_key) as one, unwrap_key(again.keys[0], rsa_key) as two:
        assert one._material() == two._material()


# -- refusals before anything is made --------------------------------------------------


@pytest.mark.parametrize(("algorithm", "transport", "refused"), [
    (AES128_CBC, RSA_OAEP, AES128_CBC),
    (AES256_CBC, RSA_OAEP_MGF1P, AES256_CBC),
    (AES256_GCM, RSA_1_5, RSA_1_5),
])
def test_legacy_encryption_needs_the_opt_in(algorithm: str, transport: str, refused: str,
                                            me: PublicKey, make_random: Seeds) -> None:
    random, calls = counting(make_random(0))
    with pytest.raises(LegacyAlgorithmError) as caught:
        encrypt_collection(E1, [me], key_name="k", algorithm=algorithm,
                           key_transport=transport, random=random)
    assert caught.value.algorithm == refused
    assert calls == []  # no key was drawn
    sealed = encrypt_collection(E1, [me], key_name="k", algorithm=algorithm,
                                key_transport=transport, random=random, allow_legacy=True)
    assert sealed.data.method == EncryptionMethod(algorithm=algorithm)


def test_legacy_reuse_of_a_cbc_key_needs_the_opt_in(me: PublicKey, make_random: Seeds) -> None:
    key = SymmetricKey("k", AES128_CBC, bytes(16))
    with pytest.raises(LegacyAlgorithmError):
        encrypt_collection(E1, [me], key=key, random=make_random(0))
    with pytest.raises(LegacyAlgorithmError):
        encrypt_entries(E1, key, random=make_random(0))


def test_unconfirmed_keys_are_refused_by_name(me: PublicKey, rsa_key: RSAPrivateKey,
                                              make_random: Seeds) -> None:
    published = PublicKey.from_key(rsa_key.public_key(), name="romeoPublicKey2")
    random, calls = counting(make_random(0))
    with pytest.raises(UnconfirmedKeyError, match="'romeoPublicKey2'") as caught:
        encrypt_collection(E1, [me, published], key_name="k", random=random)
    assert caught.value.key_name == "romeoPublicKey2"
    assert calls == []


@pytest.mark.parametrize(("arguments", "message"), [
    ({"recipients": []}, "no recipient"),
    ({"key_name": None}, "needs a name"),
    ({"key_name": ""}, "needs a name"),
])
def test_a_new_key_needs_a_name_and_readers(arguments: dict[str, Any], message: str,
                                            me: PublicKey, make_random: Seeds) -> None:
    given_ = {"recipients": [me], "key_name": "k"} | arguments
    with pytest.raises(CryptoError, match=message):
        encrypt_collection(E1, given_["recipients"], key_name=given_["key_name"],
                           random=make_random(0))


def test_only_entries_and_notes_are_encrypted(me: PublicKey, make_random: Seeds) -> None:
    with pytest.raises(SerializeError, match="not str"):
        encrypt_collection(["<to/>"], [me], key_name="k",  # type: ignore[list-item]
                           random=make_random(0))
    with pytest.raises(SerializeError, match="not an archive namespace"):
        encrypt_collection(E1, [me], key_name="k", random=make_random(0),
                           namespace="jabber:client")


# -- key reuse, several keys, skipped keys --------------------------------------------


def test_a_reused_key_sends_no_encrypted_key(me: PublicKey, rsa_key: RSAPrivateKey,
                                             make_random: Seeds) -> None:
    first = encrypt_collection(E1, [me], key_name="dataKey1", random=make_random(1))
    second = encrypt_collection(E2, [me], key=first.key, random=make_random(2))
    assert second.keys == ()
    assert second.key is first.key
    assert second.data.key_name == "dataKey1"
    assert decrypt_collection([first.data, second.data], first.keys, rsa_key) == E1 + E2
    with pytest.raises(CryptoError, match="is not the name of the key given"):
        encrypt_collection(E2, [me], key=first.key, key_name="dataKey2", random=make_random(3))
    same = encrypt_collection(E2, [], key=first.key, key_name="dataKey1", random=make_random(3))
    assert same.keys == ()


def test_a_collection_under_two_symmetric_keys(me: PublicKey, rsa_key: RSAPrivateKey,
                                               make_random: Seeds) -> None:
    one = encrypt_collection(E1, [me], key_name="k1", random=make_random(1))
    two = encrypt_collection(E2, [me], key_name="k2", algorithm=AES128_GCM,
                             random=make_random(2))
    three = encrypt_collection(E3, [], key=one.key, random=make_random(3))
    entries = decrypt_collection([one.data, two.data, three.data], [*two.keys, *one.keys],
                                 rsa_key)
    assert entries == E1 + E2 + E3


def test_keys_for_other_public_keys_are_skipped(me: PublicKey, other: PublicKey,
                                                rsa_key: RSAPrivateKey,
                                                other_rsa_key: RSAPrivateKey,
                                                make_random: Seeds) -> None:
    sealed = encrypt_collection(E1, [other, me], key_name="k", random=make_random(1))
    assert [wrapped.key_name for wrapped in sealed.keys] == [other.name, me.name]
    assert decrypt_collection([sealed.data], sealed.keys, rsa_key) == E1
    assert decrypt_collection([sealed.data], sealed.keys, other_rsa_key) == E1
    # A key this private key *could* unwrap, but addressed to another public key, is
    # not even tried: selection is by name.
    mislabelled = dataclasses.replace(sealed.keys[1], key_info=KeyInfo(key_names=(other.name,)))
    with pytest.raises(MissingKeyError):
        decrypt_collection([sealed.data], [mislabelled], rsa_key)


def test_key_names_say_what_the_private_key_is_called(me: PublicKey, rsa_key: RSAPrivateKey,
                                                      make_random: Seeds) -> None:
    named = dataclasses.replace(me, name="romeoPublicKey1")
    sealed = encrypt_collection(E1, [named], key_name="k", random=make_random(1))
    with pytest.raises(MissingKeyError):
        decrypt_collection([sealed.data], sealed.keys, rsa_key)
    assert decrypt_collection([sealed.data], sealed.keys, rsa_key,
                              key_names={"romeoPublicKey1"}) == E1


def test_unaddressed_keys_are_tried(me: PublicKey, rsa_key: RSAPrivateKey,
                                    make_random: Seeds) -> None:
    sealed = encrypt_collection(E1, [me], key_name="k", random=make_random(1))
    unaddressed = dataclasses.replace(sealed.keys[0], key_info=None)
    unnamed_data = dataclasses.replace(sealed.data, key_info=None)
    assert decrypt_collection([sealed.data], [unaddressed], rsa_key) == E1
    assert decrypt_collection([unnamed_data], [unaddressed], rsa_key) == E1


def test_a_failing_candidate_does_not_hide_a_good_one(me: PublicKey, rsa_key: RSAPrivateKey,
                                                      other_rsa_key: RSAPrivateKey,
                                                      make_random: Seeds) -> None:
    sealed = encrypt_collection(E1, [me], key_name="k", random=make_random(1))
    impostor = encrypt_collection(E2, [PublicKey.from_key(other_rsa_key.public_key(),
                                                          name=me.name, confirmed=True)],
                                  key_name="k", random=make_random(2))
    assert decrypt_collection([sealed.data], [*impostor.keys, *sealed.keys], rsa_key) == E1


def test_missing_keys_are_told_from_the_names_alone(me: PublicKey, rsa_key: RSAPrivateKey,
                                                    make_random: Seeds) -> None:
    one = encrypt_collection(E1, [me], key_name="k1", random=make_random(1))
    two = encrypt_collection(E2, [me], key_name="k2", random=make_random(2))
    with pytest.raises(MissingKeyError, match="'k2'") as caught:
        decrypt_collection([one.data, two.data], one.keys, rsa_key)
    assert caught.value.key_name == "k2"
    assert isinstance(caught.value, DecryptionError)


def test_decrypt_collection_destroys_every_key_it_unwrapped(
        me: PublicKey, rsa_key: RSAPrivateKey, make_random: Seeds,
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[SymmetricKey] = []

    def spy(encrypted_key: EncryptedKey, private_key: RSAPrivateKey) -> SymmetricKey:
        key = unwrap_key(encrypted_key, private_key)
        seen.append(key)
        return key

    monkeypatch.setattr(collection_module, "unwrap_key", spy)
    one = encrypt_collection(E1, [me], key_name="k1", random=make_random(1))
    two = encrypt_collection(E2, [me], key_name="k2", random=make_random(2))
    assert decrypt_collection([one.data, two.data], [*one.keys, *two.keys], rsa_key) == E1 + E2
    assert len(seen) == 2 and all(key.destroyed for key in seen)
    seen.clear()
    broken = dataclasses.replace(two.data, cipher_data=CipherData(value=bytes(40)))
    with pytest.raises(DecryptionError):
        decrypt_collection([one.data, broken], [*one.keys, *two.keys], rsa_key)
    assert len(seen) == 2 and all(key.destroyed for key in seen)


# -- which failure is which error ------------------------------------------------------


def _tamper(data: EncryptedData, index: int) -> EncryptedData:
    value = bytearray(data.cipher_data.value)
    value[index] ^= 0x01
    return dataclasses.replace(data, cipher_data=CipherData(value=bytes(value)))


def _collection_failures(me: PublicKey, other_rsa_key: RSAPrivateKey, make_random: Seeds,
                         ) -> dict[str, tuple[list[EncryptedData], list[EncryptedKey]]]:
    gcm = encrypt_collection(E1, [me], key_name="k1", random=make_random(1))
    gcm2 = encrypt_collection(E1, [me], key_name="k2", random=make_random(2))
    cbc = encrypt_collection(E1, [me], key_name="k1", algorithm=AES256_CBC,
                             random=make_random(3), allow_legacy=True)
    cbc2 = encrypt_collection(E1, [me], key_name="k2", algorithm=AES256_CBC,
                              random=make_random(4), allow_legacy=True)
    stranger = PublicKey.from_key(other_rsa_key.public_key(), name=me.name, confirmed=True)
    wrong = encrypt_collection(E1, [stranger], key_name="k1", random=make_random(5))
    wrong_legacy = encrypt_collection(E1, [stranger], key_name="k1", random=make_random(6),
                                      key_transport=RSA_1_5, allow_legacy=True)

    def method(data: EncryptedData, algorithm: str) -> EncryptedData:
        return dataclasses.replace(data, method=EncryptionMethod(algorithm=algorithm))

    def renamed(data: EncryptedData, name: str) -> EncryptedData:
        return dataclasses.replace(data, key_info=KeyInfo(key_names=(name,)))

    value = gcm.keys[0].cipher_data.value
    tampered_key = dataclasses.replace(
        gcm.keys[0], cipher_data=CipherData(value=bytes([value[0] ^ 1]) + value[1:]))
    size = len(gcm.data.cipher_data.value)
    return {
        "tampered tag": ([_tamper(gcm.data, size - 1)], list(gcm.keys)),
        "tampered ciphertext": ([_tamper(gcm.data, 20)], list(gcm.keys)),
        "tampered cbc padding": ([_tamper(cbc.data, len(cbc.data.cipher_data.value) - 17)],
                                 list(cbc.keys)),
        "tampered cbc ciphertext": ([_tamper(cbc.data, 3)], list(cbc.keys)),
        "wrong symmetric key (gcm)": ([renamed(gcm.data, "k2")], list(gcm2.keys)),
        "wrong symmetric key (cbc)": ([renamed(cbc.data, "k2")], list(cbc2.keys)),
        "wrong private key": ([wrong.data], list(wrong.keys)),
        "wrong private key (rsa-1_5)": ([wrong_legacy.data], list(wrong_legacy.keys)),
        "tampered encrypted key": ([gcm.data], [tampered_key]),
        "truncated": ([dataclasses.replace(gcm.data, cipher_data=CipherData(
            value=gcm.data.cipher_data.value[:27]))], list(gcm.keys)),
        "key size mismatch": ([method(gcm.data, AES128_GCM)], list(gcm.keys)),
        "unknown algorithm": ([method(gcm.data, "urn:example:cipher")], list(gcm.keys)),
        "a key transport as cipher": ([method(gcm.data, RSA_OAEP)], list(gcm.keys)),
    }


_FAILURES = ["tampered tag", "tampered ciphertext", "tampered cbc padding",
             "tampered cbc ciphertext", "wrong symmetric key (gcm)",
             "wrong symmetric key (cbc)", "wrong private key", "wrong private key (rsa-1_5)",
             "tampered encrypted key", "truncated", "key size mismatch", "unknown algorithm",
             "a key transport as cipher"]


@pytest.mark.parametrize("case", _FAILURES)
def test_every_failure_is_the_same_decryption_error(case: str, me: PublicKey,
                                                    rsa_key: RSAPrivateKey,
                                                    other_rsa_key: RSAPrivateKey,
                                                    make_random: Seeds) -> None:
    failures = _collection_failures(me, other_rsa_key, make_random)
    assert list(failures) == _FAILURES
    data, keys = failures[case]
    with pytest.raises(CryptoError) as caught:
        decrypt_collection(data, keys, rsa_key)
    error = caught.value
    assert type(error) is DecryptionError
    assert str(error) == "decryption failed"
    assert error.__cause__ is None and error.__context__ is None


def test_the_untampered_collections_decrypt(me: PublicKey, rsa_key: RSAPrivateKey,
                                            make_random: Seeds) -> None:
    for algorithm in (AES256_GCM, AES256_CBC):
        sealed = encrypt_collection(E1, [me], key_name="k1", algorithm=algorithm,
                                    random=make_random(1), allow_legacy=True)
        assert decrypt_collection([sealed.data], sealed.keys, rsa_key) == E1


_MALFORMED = [
    (b"<message xmlns='jabber:client'/>", "holds <message xmlns='jabber:client'/>"),
    (b"<chat xmlns='urn:xmpp:archive'/>", "holds <chat xmlns='urn:xmpp:archive'/>"),
    (b"hello <note xmlns='urn:xmpp:archive'>x</note>", "text outside any element"),
    (b"<note xmlns='urn:xmpp:archive'>x</note> tail", "text between its elements"),
    (b"<to xmlns='urn:xmpp:archive'/>", "never empty"),
    (b"<to xmlns='urn:xmpp:archive' secs='-1'><body>x</body></to>", "secs"),
    (b"<!-- c --><note xmlns='urn:xmpp:archive'>x</note>", "comment"),
    (b"<note xmlns='urn:xmpp:archive'>x", "not well-formed"),
    (b"\xff\xfe", "not valid UTF-8"),
]


def _sealed_plaintext(plaintext: bytes, algorithm: str) -> tuple[EncryptedData, SymmetricKey]:
    key = SymmetricKey("k", algorithm, bytes(range(CIPHERS[algorithm].key_size)))
    value = encrypt(algorithm, key._material(), plaintext, random=bytes, allow_legacy=True)
    data = EncryptedData(type=CONTENT, method=EncryptionMethod(algorithm=algorithm),
                         key_info=KeyInfo(key_names=("k",)), cipher_data=CipherData(value=value))
    return data, key


@pytest.mark.parametrize(("plaintext", "message"), _MALFORMED)
def test_a_malformed_authenticated_plaintext_is_a_parse_error(plaintext: bytes,
                                                              message: str) -> None:
    data, key = _sealed_plaintext(plaintext, AES128_GCM)
    with pytest.raises(ParseError, match=message):
        decrypt_entries(data, key)


@pytest.mark.parametrize(("plaintext", "message"), _MALFORMED)
def test_a_malformed_cbc_plaintext_is_a_decryption_error(plaintext: bytes,
                                                         message: str) -> None:
    """CBC is unauthenticated: telling a malformed plaintext from a bad padding would be
    a padding oracle."""
    data, key = _sealed_plaintext(plaintext, AES128_CBC)
    with pytest.raises(DecryptionError) as caught:
        decrypt_entries(data, key)
    assert type(caught.value) is DecryptionError
    assert caught.value.__context__ is None


def test_elements_without_xmlns_take_the_collections_namespace() -> None:
    data, key = _sealed_plaintext(b"<to secs='1'><body>x</body></to><note>n</note>",
                                  AES256_GCM)
    expected = (Entry(direction=Direction.TO, secs=1, bodies=("x",)), Note(text="n"))
    assert decrypt_entries(data, key, namespace=ARCHIVE_TMP) == expected
    assert decrypt_entries(data, key) == expected


def test_data_without_a_method_uses_the_keys_algorithm(make_random: Seeds) -> None:
    key = SymmetricKey("k", AES128_GCM, bytes(16))
    data = dataclasses.replace(encrypt_entries(E1, key, random=make_random(0)), method=None)
    assert decrypt_entries(data, key) == E1


def test_plaintext_limits_apply() -> None:
    plaintext = join_entries([Note(text="x")] * 3)
    with pytest.raises(ParseError) as caught:
        read_entries(plaintext, limits=Limits(max_children=2))
    assert caught.value.condition == "policy-violation"


def test_a_ten_thousand_message_collection(me: PublicKey, rsa_key: RSAPrivateKey,
                                           make_random: Seeds) -> None:
    entries = [Entry(direction=Direction.TO if i % 2 else Direction.FROM, secs=1,
                     bodies=(f"message {i}",)) for i in range(10_001)]
    sealed = encrypt_collection(entries, [me], key_name="k", random=make_random(0))
    assert decrypt_collection([sealed.data], sealed.keys, rsa_key) == tuple(entries)


# -- key replacement -------------------------------------------------------------------


def test_rewrap_key_moves_a_key_to_a_new_public_key(me: PublicKey, other: PublicKey,
                                                    rsa_key: RSAPrivateKey,
                                                    other_rsa_key: RSAPrivateKey,
                                                    make_random: Seeds) -> None:
    sealed = encrypt_collection(E1, [me], key_name="dataKey1", random=make_random(1))
    (old,) = sealed.keys
    new = rewrap_key(old, rsa_key, other)
    assert new.key_name == other.name
    assert new.carried_key_name == "dataKey1"
    assert new.method == old.method
    assert decrypt_collection([sealed.data], [new], other_rsa_key) == E1
    legacy = rewrap_key(old, rsa_key, other, key_transport=RSA_1_5, allow_legacy=True)
    assert legacy.method == EncryptionMethod(algorithm=RSA_1_5)
    assert decrypt_collection([sealed.data], [legacy], other_rsa_key) == E1


def test_rewrap_key_refusals(me: PublicKey, rsa_key: RSAPrivateKey,
                             other_rsa_key: RSAPrivateKey, make_random: Seeds) -> None:
    sealed = encrypt_collection(E1, [me], key_name="dataKey1", random=make_random(1))
    (old,) = sealed.keys
    unconfirmed = PublicKey.from_key(other_rsa_key.public_key(), name="newKey")
    # Refused before anything is unwrapped: the wrong private key does not matter.
    with pytest.raises(UnconfirmedKeyError, match="'newKey'"):
        rewrap_key(old, other_rsa_key, unconfirmed)
    with pytest.raises(LegacyAlgorithmError):
        rewrap_key(old, rsa_key, unconfirmed.confirm(), key_transport=RSA_1_5)
    with pytest.raises(DecryptionError) as caught:
        rewrap_key(old, other_rsa_key, unconfirmed.confirm())
    assert str(caught.value) == DecryptionError.MESSAGE


def test_wrap_key_adds_a_reader_to_an_existing_key(me: PublicKey, other: PublicKey,
                                                   other_rsa_key: RSAPrivateKey,
                                                   make_random: Seeds) -> None:
    sealed = encrypt_collection(E1, [me], key_name="k", random=make_random(1))
    extra = wrap_key(sealed.key, other)
    assert decrypt_collection([sealed.data], [*sealed.keys, extra], other_rsa_key) == E1


def test_chat_namespaces_are_kept(me: PublicKey, rsa_key: RSAPrivateKey,
                                  make_random: Seeds) -> None:
    sealed = encrypt_collection(E1, [me], key_name="k", random=make_random(1),
                                namespace=ARCHIVE_TMP)
    plaintext = decrypt(AES256_GCM, sealed.key._material(), sealed.data.cipher_data.value)
    assert ARCHIVE_TMP.encode() in plaintext and f'"{ARCHIVE}"'.encode() not in plaintext
    assert decrypt_collection([sealed.data], sealed.keys, rsa_key) == E1
