"""Interoperability with xmlsec1, the XML Security Library's command line tool.

For every data cipher (AES-128/256, CBC and GCM) and every key transport (rsa-1_5,
rsa-oaep-mgf1p, rsa-oaep of XML Encryption 1.1), both ways:

(a) xepcodec encrypts, xmlsec1 decrypts, and the plaintext is the collection's
    entries;
(b) xmlsec1 encrypts (from a template written here), xepcodec decrypts.

xmlsec1 reads the standard layout, where the ``<EncryptedKey/>`` sits in the
``<KeyInfo/>`` of the ``<EncryptedData/>``; XEP-0241 keeps them side by side, linked
by ``<KeyName/>``/``<CarriedKeyName/>``.  The tests move the key between the two
layouts; the octets are untouched.

xmlsec1 1.2 does not implement XML Encryption 1.1's ``rsa-oaep`` (it arrived in
xmlsec 1.3; :func:`test_xmlsec1_1_2_lacks_xmlenc11_rsa_oaep` checks that), and its
``rsa-oaep-mgf1p`` accepts only SHA-1 as digest.  With xmlsec1 1.2 the ``rsa-oaep``
pairs therefore split the work: xmlsec1 does the data (its key loaded by name with
``--aeskey``), and OpenSSL's ``pkeyutl`` (OAEP, SHA-256, MGF1-SHA-256) does the key
transport.  With xmlsec1 1.3 or later, xmlsec1 does both.

The tests are skipped when xmlsec1 is not installed, unless the environment variable
``XEPCODEC_REQUIRE_XMLSEC1`` is set (CI sets it): then they fail.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

import xepcodec
from xepcodec.crypto import (
    AES128_CBC,
    AES128_GCM,
    AES256_CBC,
    AES256_GCM,
    RSA_1_5,
    RSA_OAEP,
    RSA_OAEP_MGF1P,
    PublicKey,
    decrypt_collection,
    encrypt_collection,
    join_entries,
)
from xepcodec.crypto.algorithms import CIPHERS
from xepcodec.datatypes.jid import JID
from xepcodec.protocols.archive import ARCHIVE, Chat, Direction, Entry, Note
from xepcodec.protocols.xmlenc import DSIG, XENC, XENC11, EncryptedData, EncryptedKey, KeyInfo

TIMEOUT = 60
REQUIRED = bool(os.environ.get("XEPCODEC_REQUIRE_XMLSEC1"))

DATA_CIPHERS = [AES128_CBC, AES256_CBC, AES128_GCM, AES256_GCM]
TRANSPORTS = [RSA_1_5, RSA_OAEP_MGF1P, RSA_OAEP]
PAIRS = [pytest.param(data, transport, id=f"{data.rpartition('#')[2]}+"
                      f"{transport.rpartition('#')[2]}{'-1.1' if transport == RSA_OAEP else ''}")
         for data in DATA_CIPHERS for transport in TRANSPORTS]

ENTRIES = (
    Entry(direction=Direction.FROM, secs=0, bodies=("Art thou not Romeo, and a Montague?",)),
    Entry(direction=Direction.TO, secs=11, bodies=("Neither, fair saint, if either <thee> "
                                                    "dislike & more — ♥",)),
    Note(text="she sounds worried", utc=datetime(1469, 7, 23, 19, 23, 0, tzinfo=UTC)),
    Entry(direction=Direction.FROM, secs=7, name="nurse",
          jid=JID.parse("nurse@capulet.lit/kitchen"), bodies=("Madam!", "Madam!!")),
)

# The collection every encrypted document sits in: xmlsec1 replaces the
# <EncryptedData/> with its plaintext, which leaves a <chat/> xepcodec reads whole.
CHAT_OPEN = (f'<chat xmlns="{ARCHIVE}" with="juliet@capulet.lit/balcony" '
             'start="1469-07-23T19:22:31Z">').encode()
CHAT_CLOSE = b"</chat>"


def _find(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        if REQUIRED:
            pytest.fail(f"XEPCODEC_REQUIRE_XMLSEC1 is set, but {program} is not installed")
        pytest.skip(f"{program} is not installed (set XEPCODEC_REQUIRE_XMLSEC1 to make this "
                    "a failure)")
    return found


@pytest.fixture(scope="module")
def xmlsec1() -> str:
    return _find("xmlsec1")


@pytest.fixture(scope="module")
def xmlsec1_version(xmlsec1: str) -> tuple[int, ...]:
    out = _run([xmlsec1, "--version"]).decode()
    found = re.search(r"(\d+)\.(\d+)\.(\d+)", out)
    assert found, f"cannot read xmlsec1's version from {out!r}"
    return tuple(int(part) for part in found.groups())


def _native(transport: str, version: tuple[int, ...]) -> bool:
    """Whether this xmlsec1 does the key transport itself."""
    return transport != RSA_OAEP or version >= (1, 3)


@dataclasses.dataclass(frozen=True)
class Keys:
    private_key: RSAPrivateKey
    public: PublicKey
    private_pem: Path
    public_pem: Path


@pytest.fixture(scope="module")
def keys(rsa_key: RSAPrivateKey, tmp_path_factory: pytest.TempPathFactory) -> Keys:
    folder = tmp_path_factory.mktemp("rsa")
    private_pem = folder / "private.pem"
    public_pem = folder / "public.pem"
    private_pem.write_bytes(rsa_key.private_bytes(serialization.Encoding.PEM,
                                                  serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    public_pem.write_bytes(rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    public = PublicKey.from_key(rsa_key.public_key(), confirmed=True)
    return Keys(rsa_key, public, private_pem, public_pem)


def _run(args: list[str | Path]) -> bytes:
    done = subprocess.run([str(arg) for arg in args], capture_output=True, timeout=TIMEOUT,
                          check=False)
    assert done.returncode == 0, (f"{Path(str(args[0])).name} failed ({done.returncode}):\n"
                                  f"{done.stderr.decode(errors='replace')}")
    return done.stdout


def _oaep_sha256(direction: str, keys: Keys, source: Path, target: Path) -> None:
    """OAEP with SHA-256 and MGF1-SHA-256 by OpenSSL's command line tool."""
    openssl = _find("openssl")
    key: list[str | Path] = (["-inkey", keys.private_pem] if direction == "-decrypt"
                             else ["-pubin", "-inkey", keys.public_pem])
    _run([openssl, "pkeyutl", direction, *key, "-pkeyopt", "rsa_padding_mode:oaep",
          "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256",
          "-in", source, "-out", target])


def _session_key(data_cipher: str) -> str:
    return f"aes-{CIPHERS[data_cipher].key_size * 8}"


def _decrypted_entries(document: bytes) -> tuple[Entry | Note, ...]:
    chat = xepcodec.parse(document)
    assert isinstance(chat, Chat)
    assert not chat.encrypted_data, "xmlsec1 left the <EncryptedData/> in place"
    return chat.entries


# -- (a) xepcodec encrypts, xmlsec1 decrypts -------------------------------------------


@pytest.mark.parametrize(("data_cipher", "transport"), PAIRS)
def test_xmlsec1_decrypts_what_xepcodec_encrypts(
        data_cipher: str, transport: str, xmlsec1: str, xmlsec1_version: tuple[int, ...],
        keys: Keys, tmp_path: Path) -> None:
    sealed = encrypt_collection(ENTRIES, [keys.public], key_name="dataKey1",
                                algorithm=data_cipher, key_transport=transport,
                                random=os.urandom, allow_legacy=True)
    (wrapped,) = sealed.keys
    document = tmp_path / "collection.xml"
    if _native(transport, xmlsec1_version):
        # The standard layout: the wrapped key inside the data's <KeyInfo/>.
        data = dataclasses.replace(sealed.data, key_info=KeyInfo(others=(wrapped,)))
        document.write_bytes(CHAT_OPEN + xepcodec.serialize(data) + CHAT_CLOSE)
        out = _run([xmlsec1, "--decrypt", f"--privkey-pem:{keys.public.name}",
                    keys.private_pem, document])
    else:
        # XEP-0241's layout as it is; OpenSSL unwraps, xmlsec1 finds the key by name.
        (tmp_path / "wrapped.bin").write_bytes(wrapped.cipher_data.value)
        _oaep_sha256("-decrypt", keys, tmp_path / "wrapped.bin", tmp_path / "key.bin")
        document.write_bytes(CHAT_OPEN + xepcodec.serialize(sealed.data) + CHAT_CLOSE)
        out = _run([xmlsec1, "--decrypt", "--aeskey:dataKey1", tmp_path / "key.bin", document])
    sealed.key.destroy()
    assert _decrypted_entries(out) == ENTRIES


# -- (b) xmlsec1 encrypts, xepcodec decrypts -------------------------------------------


def _transport_children(transport: str) -> str:
    if transport != RSA_OAEP:
        return ""
    return (f'<DigestMethod xmlns="{DSIG}" Algorithm="{XENC}sha256"/>'
            f'<MGF xmlns="{XENC11}" Algorithm="{XENC11}mgf1sha256"/>')


def _template(data_cipher: str, key_info: str) -> bytes:
    return CHAT_OPEN + (
        f'<EncryptedData xmlns="{XENC}" Type="{XENC}Content">'
        f'<EncryptionMethod Algorithm="{data_cipher}"/>'
        f'<KeyInfo xmlns="{DSIG}">{key_info}</KeyInfo>'
        '<CipherData><CipherValue/></CipherData>'
        '</EncryptedData>').encode() + CHAT_CLOSE


def _xmlsec1_encrypt(xmlsec1: str, key_args: list[str | Path], template: bytes,
                     tmp_path: Path) -> Chat:
    (tmp_path / "template.xml").write_bytes(template)
    (tmp_path / "plain.bin").write_bytes(join_entries(ENTRIES))
    _run([xmlsec1, "--encrypt", *key_args, "--binary-data", tmp_path / "plain.bin",
          "--node-name", f"{XENC}:EncryptedData", "--output", tmp_path / "out.xml",
          tmp_path / "template.xml"])
    chat = xepcodec.parse((tmp_path / "out.xml").read_bytes())
    assert isinstance(chat, Chat)
    return chat


@pytest.mark.parametrize(("data_cipher", "transport"), PAIRS)
def test_xepcodec_decrypts_what_xmlsec1_encrypts(
        data_cipher: str, transport: str, xmlsec1: str, xmlsec1_version: tuple[int, ...],
        keys: Keys, tmp_path: Path) -> None:
    name = keys.public.name
    if _native(transport, xmlsec1_version):
        template = _template(data_cipher, (
            f'<EncryptedKey xmlns="{XENC}">'
            f'<EncryptionMethod Algorithm="{transport}">{_transport_children(transport)}'
            '</EncryptionMethod>'
            f'<KeyInfo xmlns="{DSIG}"><KeyName>{name}</KeyName></KeyInfo>'
            '<CipherData><CipherValue/></CipherData>'
            '<CarriedKeyName>dataKey1</CarriedKeyName>'
            '</EncryptedKey>'))
        chat = _xmlsec1_encrypt(xmlsec1, [f"--pubkey-pem:{name}", keys.public_pem,
                                          "--session-key", _session_key(data_cipher)],
                                template, tmp_path)
        (data,) = chat.encrypted_data
        assert data.key_info is not None
        (wrapped,) = data.key_info.others
        assert isinstance(wrapped, EncryptedKey)
        assert wrapped.carried_key_name == "dataKey1"
        # Into XEP-0241's layout: the key beside the data, named from it.
        data = dataclasses.replace(data, key_info=KeyInfo(key_names=("dataKey1",)))
    else:
        key = os.urandom(CIPHERS[data_cipher].key_size)
        (tmp_path / "key.bin").write_bytes(key)
        chat = _xmlsec1_encrypt(xmlsec1, ["--aeskey:dataKey1", tmp_path / "key.bin"],
                                _template(data_cipher, "<KeyName>dataKey1</KeyName>"),
                                tmp_path)
        (data,) = chat.encrypted_data
        _oaep_sha256("-encrypt", keys, tmp_path / "key.bin", tmp_path / "wrapped.bin")
        wrapped = xepcodec.parse(
            f'<EncryptedKey xmlns="{XENC}">'
            f'<EncryptionMethod Algorithm="{RSA_OAEP}">{_transport_children(RSA_OAEP)}'
            '</EncryptionMethod>'
            f'<KeyInfo xmlns="{DSIG}"><KeyName>{name}</KeyName></KeyInfo>'
            '<CipherData><CipherValue>'
            f'{_b64(tmp_path / "wrapped.bin")}</CipherValue></CipherData>'
            '<CarriedKeyName>dataKey1</CarriedKeyName>'
            '</EncryptedKey>')
        assert isinstance(wrapped, EncryptedKey)
    assert isinstance(data, EncryptedData)
    assert data.method is not None and data.method.algorithm == data_cipher
    assert decrypt_collection([data], [wrapped], keys.private_key) == ENTRIES


def _b64(path: Path) -> str:
    import base64

    return base64.b64encode(path.read_bytes()).decode()


def test_xmlsec1_1_2_lacks_xmlenc11_rsa_oaep(xmlsec1: str, xmlsec1_version: tuple[int, ...],
                                             keys: Keys, tmp_path: Path) -> None:
    """Why the rsa-oaep pairs go through OpenSSL with xmlsec1 1.2: it refuses the
    algorithm outright."""
    if xmlsec1_version >= (1, 3):
        pytest.skip("this xmlsec1 implements XML Encryption 1.1 rsa-oaep itself")
    template = _template(AES256_GCM, (
        f'<EncryptedKey xmlns="{XENC}"><EncryptionMethod Algorithm="{RSA_OAEP}"/>'
        '<CipherData><CipherValue/></CipherData></EncryptedKey>'))
    (tmp_path / "template.xml").write_bytes(template)
    (tmp_path / "plain.bin").write_bytes(join_entries(ENTRIES))
    done = subprocess.run(
        [xmlsec1, "--encrypt", "--pubkey-pem", str(keys.public_pem), "--session-key",
         "aes-256", "--binary-data", str(tmp_path / "plain.bin"), "--node-name",
         f"{XENC}:EncryptedData", str(tmp_path / "template.xml")],
        capture_output=True, timeout=TIMEOUT, check=False)
    assert done.returncode != 0
    assert RSA_OAEP.encode() in done.stderr
