"""Encrypting and decrypting archived collections as XEP-0241 describes.

What is encrypted is the joined sequence of a collection's ``<to/>``, ``<from/>`` and
``<note/>`` elements, each written with its own ``xmlns`` (the collection's
namespace) so that the fragment stands alone: ``<to xmlns='urn:xmpp:archive'
secs='0'><body>…</body></to><note xmlns='urn:xmpp:archive'>…</note>``.  It goes into
``<EncryptedData Type='…#Content'/>`` whose ``<KeyInfo><KeyName/>`` names the
symmetric key; that key goes, wrapped once per reader's public key, into
``<EncryptedKey/>`` elements whose ``<CarriedKeyName/>`` repeats the name.

Decryption reads the fragment back with xepcodec's restricted XML reader (RFC 6120
§11.1: no DTD, comments, processing instructions or external entities), inside a
``<chat/>`` of the collection's namespace, so that elements written without an
``xmlns`` still land in the archive namespace.

Two kinds of failure, kept apart on purpose:

* anything cryptographic is :class:`~xepcodec.crypto.errors.DecryptionError`, with
  one message whatever happened;
* an authenticated (AES-GCM) plaintext that decrypted correctly but is not a sequence
  of ``<to/>``, ``<from/>`` and ``<note/>`` is a :class:`~xepcodec.errors.ParseError`
  naming what is wrong.

With legacy AES-CBC a malformed plaintext is a ``DecryptionError`` too.  CBC is not
authenticated, so whoever stores the ciphertext can alter it at will; if a plaintext
whose padding checked out failed differently from one whose padding did not, that
difference would be exactly the padding oracle the single error exists to deny.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from lxml import etree

from xepcodec.crypto.algorithms import (
    AES256_GCM,
    CIPHERS,
    RSA_OAEP,
    check_allowed,
    cipher,
)
from xepcodec.crypto.errors import (
    CryptoError,
    DecryptionError,
    MissingKeyError,
    UnconfirmedKeyError,
)
from xepcodec.crypto.keys import PublicKey, SymmetricKey, key_name, new_symmetric_key
from xepcodec.crypto.keytransport import transport_method, unwrap_key, wrap_key
from xepcodec.crypto.randomness import Random
from xepcodec.crypto.symmetric import decrypt, encrypt_octets
from xepcodec.errors import ParseError, SerializeError
from xepcodec.model.codec import codec_of, encode_into
from xepcodec.protocols.archive import ARCHIVE, NAMESPACES, Entry, Note
from xepcodec.protocols.xmlenc import (
    CONTENT,
    CipherData,
    EncryptedData,
    EncryptedKey,
    EncryptionMethod,
    KeyInfo,
)
from xepcodec.xml import Limits, parse_xml
from xepcodec.xml.paths import line_of, path_of

__all__ = [
    "PLAINTEXT_LIMITS",
    "EncryptedCollection",
    "decrypt_collection",
    "decrypt_entries",
    "encrypt_collection",
    "encrypt_entries",
    "join_entries",
    "read_entries",
    "rewrap_key",
]

#: Bounds on a decrypted plaintext.  One ``<EncryptedData/>`` may hold a whole
#: collection of many thousands of messages, more than a stanza's defaults allow.
PLAINTEXT_LIMITS: Final = Limits(max_size=16 * 1024 * 1024, max_children=1_000_000)

_ENTRY_TAGS: Final = {
    f"{{{namespace}}}{local}": cls
    for namespace in NAMESPACES
    for cls, locals_ in ((Entry, ("to", "from")), (Note, ("note",)))
    for local in locals_
}


@dataclasses.dataclass(frozen=True)
class EncryptedCollection:
    """What :func:`encrypt_collection` makes: the ``<EncryptedData/>``, one
    ``<EncryptedKey/>`` per recipient (none when an uploaded key was reused), and the
    symmetric key, to reuse for later uploads and to destroy when done."""

    data: EncryptedData
    keys: tuple[EncryptedKey, ...]
    key: SymmetricKey


def _check_namespace(namespace: str) -> None:
    if namespace not in NAMESPACES:
        raise SerializeError(f"{namespace!r} is not an archive namespace (one of {NAMESPACES})")


def join_entries(entries: Iterable[Entry | Note], namespace: str = ARCHIVE) -> bytes:
    """The plaintext XEP-0241 encrypts: the elements one after the other, each with
    ``xmlns`` set to ``namespace``."""
    _check_namespace(namespace)
    declaration = f' xmlns="{namespace}"'
    parts: list[str] = []
    for item in entries:
        if isinstance(item, Entry):
            head = "<" + item.direction.value
        elif isinstance(item, Note):
            head = "<note"
        else:
            raise SerializeError(f"an encrypted collection holds Entry and Note objects, not "
                                 f"{type(item).__name__}")
        # Written as a child of the namespace, the element has no xmlns of its own: give
        # it one, right after its name, where the writer would have put it.
        written: list[str] = []
        encode_into(item, written, namespace)
        xml = "".join(written)
        if not xml.startswith(head):  # pragma: no cover - the writer starts with the name
            raise SerializeError(f"cannot write {type(item).__name__} as a standalone element")
        parts.append(head)
        parts.append(declaration)
        parts.append(xml[len(head):])
    return "".join(parts).encode("utf-8")


def read_entries(plaintext: bytes, namespace: str = ARCHIVE, *,
                 limits: Limits = PLAINTEXT_LIMITS) -> tuple[Entry | Note, ...]:
    """The elements of a plaintext :func:`join_entries` made (or another implementation
    did), read as restricted XML; :class:`~xepcodec.errors.ParseError` naming what is
    wrong if it is anything else.  Its path starts at the ``<chat/>`` the fragment is
    read in (``/chat/to[2]/body``)."""
    _check_namespace(namespace)
    document = b''.join((b'<chat xmlns="', namespace.encode(), b'">', plaintext, b"</chat>"))
    root = parse_xml(document, limits)
    if root.text is not None and root.text.strip():
        raise ParseError("the decrypted collection holds text outside any element",
                         path=path_of(root), line=line_of(root))
    items: list[Entry | Note] = []
    decoders: dict[str, Callable[[etree._Element], Any]] = {}
    for node in root:
        tag = node.tag
        decoder = decoders.get(tag) if isinstance(tag, str) else None
        if decoder is None:
            cls = _ENTRY_TAGS.get(tag) if isinstance(tag, str) else None
            if cls is None:
                raise ParseError(f"the decrypted collection holds {_describe(node)}; only "
                                 "<to/>, <from/> and <note/> of the archive namespace are "
                                 "allowed", path=path_of(node), line=line_of(node))
            codec = codec_of(cls)
            items.append(codec.run(node))  # the first use compiles the codec's decoder
            decoders[tag] = codec.run
        else:
            items.append(decoder(node))
        tail = node.tail
        if tail and not tail.isspace():
            raise ParseError("the decrypted collection holds text between its elements",
                             path=path_of(node), line=line_of(node))
    return tuple(items)


def _describe(node: etree._Element) -> str:
    tag = node.tag
    if not isinstance(tag, str):
        return "a comment or processing instruction"
    namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return f"<{local} xmlns='{namespace}'/>"


def encrypt_entries(entries: Sequence[Entry | Note], key: SymmetricKey, *,
                    namespace: str = ARCHIVE, random: Random,
                    allow_legacy: bool = False) -> EncryptedData:
    """``<EncryptedData/>`` holding ``entries``, encrypted with ``key`` (its algorithm,
    its name in ``<KeyInfo><KeyName/>``).  The IV (and CBC padding) come from
    ``random``; CBC needs ``allow_legacy=True``."""
    plaintext = join_entries(entries, namespace)
    ciphertext = encrypt_octets(key, plaintext, random=random, allow_legacy=allow_legacy)
    return EncryptedData(
        type=CONTENT,
        method=EncryptionMethod(algorithm=key.algorithm),
        key_info=KeyInfo(key_names=(key.name,)) if key.name else None,
        cipher_data=CipherData(value=ciphertext),
    )


def decrypt_entries(data: EncryptedData, key: SymmetricKey, *, namespace: str = ARCHIVE,
                    limits: Limits = PLAINTEXT_LIMITS) -> tuple[Entry | Note, ...]:
    """The ``<to/>``, ``<from/>`` and ``<note/>`` elements ``data`` holds.

    The algorithm is the data's ``EncryptionMethod`` (the key's own when there is
    none).  Every cryptographic failure is the one
    :class:`~xepcodec.crypto.errors.DecryptionError`; see the module's docstring for
    what a malformed plaintext gives.  ``namespace`` is the collection's, for elements
    written without an ``xmlns``.
    """
    algorithm = key.algorithm if data.method is None else data.method.algorithm
    plaintext = decrypt(algorithm, key._material(), data.cipher_data.value)
    spec = CIPHERS[algorithm]  # decrypt() succeeded, so the algorithm is known
    if spec.mode == "gcm":
        return read_entries(plaintext, namespace, limits=limits)
    try:
        return read_entries(plaintext, namespace, limits=limits)
    except ParseError:
        pass  # unauthenticated: indistinguishable from bad padding (see above)
    raise DecryptionError()


def encrypt_collection(entries: Sequence[Entry | Note], recipients: Sequence[PublicKey], *,
                       key_name: str | None = None, algorithm: str = AES256_GCM,
                       key_transport: str = RSA_OAEP, random: Random,
                       allow_legacy: bool = False, namespace: str = ARCHIVE,
                       key: SymmetricKey | None = None) -> EncryptedCollection:
    """Encrypt ``entries`` for a collection.

    Without ``key``: a new symmetric key named ``key_name`` for ``algorithm`` is drawn
    from ``random`` and wrapped with ``key_transport`` for every recipient, each of
    which must be ``confirmed`` (:class:`~xepcodec.crypto.errors.UnconfirmedKeyError`
    names the first that is not; nothing is encrypted then).

    With ``key`` (one already uploaded to the collection, with its
    ``<EncryptedKey/>`` elements): it is reused, ``recipients``, ``algorithm`` and
    ``key_transport`` are not consulted, and ``keys`` is empty, since XEP-0241 says not
    to resend them.  ``key_name``, if given, must be the key's name.

    The caller destroys the returned key when it is no longer needed.
    """
    if key is not None:
        if key_name is not None and key_name != key.name:
            raise CryptoError(f"key_name {key_name!r} is not the name of the key given "
                              f"({key.name!r})")
        data = encrypt_entries(entries, key, namespace=namespace, random=random,
                               allow_legacy=allow_legacy)
        return EncryptedCollection(data=data, keys=(), key=key)
    if not key_name:
        raise CryptoError("a new symmetric key needs a name: pass key_name=")
    readers = tuple(recipients)
    if not readers:
        raise CryptoError("no recipient: nobody could ever decrypt the collection")
    for reader in readers:
        if not reader.confirmed:
            raise UnconfirmedKeyError(reader.name)
    cipher(algorithm)
    check_allowed(algorithm, allow_legacy)
    check_allowed(key_transport, allow_legacy)
    transport_method(key_transport)  # an unknown transport fails before any key is made
    new_key = new_symmetric_key(key_name, algorithm=algorithm, random=random)
    try:
        data = encrypt_entries(entries, new_key, namespace=namespace, random=random,
                               allow_legacy=allow_legacy)
        keys = tuple(wrap_key(new_key, reader, key_transport=key_transport,
                              allow_legacy=allow_legacy) for reader in readers)
    except BaseException:
        new_key.destroy()
        raise
    return EncryptedCollection(data=data, keys=keys, key=new_key)


class _Keyring:
    """The symmetric keys of one :func:`decrypt_collection` call, unwrapped on first
    need and destroyed at the end."""

    def __init__(self, encrypted_keys: Sequence[EncryptedKey], private_key: RSAPrivateKey,
                 names: Collection[str]) -> None:
        self.private_key = private_key
        # Keys wrapped for another public key are skipped; unaddressed ones are tried.
        self.usable = [each for each in encrypted_keys
                       if each.key_name is None or each.key_name in names]
        self.unwrapped: dict[int, SymmetricKey | None] = {}

    def candidates(self, data: EncryptedData) -> list[int]:
        wanted = data.key_name
        return [index for index, each in enumerate(self.usable)
                if wanted is None or each.carried_key_name == wanted]

    def key(self, index: int) -> SymmetricKey | None:
        if index not in self.unwrapped:
            try:
                self.unwrapped[index] = unwrap_key(self.usable[index], self.private_key)
            except DecryptionError:
                self.unwrapped[index] = None
        return self.unwrapped[index]

    def destroy(self) -> None:
        for key in self.unwrapped.values():
            if key is not None:
                key.destroy()


def decrypt_collection(encrypted_data: Sequence[EncryptedData],
                       encrypted_keys: Sequence[EncryptedKey], private_key: RSAPrivateKey, *,
                       key_names: Collection[str] | None = None, namespace: str = ARCHIVE,
                       limits: Limits = PLAINTEXT_LIMITS) -> tuple[Entry | Note, ...]:
    """Every ``<to/>``, ``<from/>`` and ``<note/>`` of a collection's encrypted data, in
    order.

    An ``<EncryptedKey/>`` is used when its ``<KeyInfo><KeyName/>`` is one of
    ``key_names`` (by default :func:`~xepcodec.crypto.keys.key_name` of
    ``private_key``'s public key) or when it names no public key; keys wrapped for
    other public keys are skipped.  Each ``<EncryptedData/>`` is decrypted with a key
    whose ``<CarriedKeyName/>`` is the data's ``<KeyName/>``; the data may use several
    symmetric keys.  Every unwrapped key is destroyed before returning.

    :class:`~xepcodec.crypto.errors.MissingKeyError` (a ``DecryptionError``) when no
    usable ``<EncryptedKey/>`` carries a key some data names, decided from the names
    alone before anything is decrypted; the one ``DecryptionError`` for everything
    else that fails.
    """
    if not isinstance(private_key, RSAPrivateKey):
        raise CryptoError(f"xepcodec unwraps keys with RSA private keys only, not "
                          f"{type(private_key).__name__}")
    names = (frozenset(key_names) if key_names is not None
             else frozenset((key_name(private_key.public_key()),)))
    keyring = _Keyring(encrypted_keys, private_key, names)
    for data in encrypted_data:
        if not keyring.candidates(data):
            raise MissingKeyError(data.key_name)
    items: list[Entry | Note] = []
    try:
        for data in encrypted_data:
            found = None
            for index in keyring.candidates(data):
                key = keyring.key(index)
                if key is None:
                    continue
                try:
                    found = decrypt_entries(data, key, namespace=namespace, limits=limits)
                except DecryptionError:
                    continue
                break
            if found is None:
                raise DecryptionError()
            items.extend(found)
    finally:
        keyring.destroy()
    return tuple(items)


def rewrap_key(encrypted_key: EncryptedKey, private_key: RSAPrivateKey, recipient: PublicKey,
               *, key_transport: str = RSA_OAEP, allow_legacy: bool = False) -> EncryptedKey:
    """The symmetric key ``encrypted_key`` carries, unwrapped with ``private_key`` and
    wrapped again for ``recipient`` (which must be confirmed), under the same
    ``<CarriedKeyName/>``: the step of XEP-0241's key replacement.  The unwrapped key
    is destroyed before returning."""
    if not recipient.confirmed:
        raise UnconfirmedKeyError(recipient.name)
    check_allowed(key_transport, allow_legacy)
    transport_method(key_transport)
    with unwrap_key(encrypted_key, private_key) as key:
        return wrap_key(key, recipient, key_transport=key_transport, allow_legacy=allow_legacy)
