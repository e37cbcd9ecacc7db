"""Keys: symmetric keys that can be destroyed, and the user's RSA public keys.

Symmetric keys
--------------
A :class:`SymmetricKey` keeps its octets in one :class:`bytearray` that nothing else
in xepcodec refers to; :meth:`SymmetricKey.destroy` overwrites it with zeros, and any
later use raises :class:`~xepcodec.crypto.errors.KeyDestroyedError`.  It is never
shown by ``repr``, cannot be pickled or copied, and is destroyed when it is garbage
collected.  XEP-0241 asks a server to "securely destroy all copies" of the key of a
finished collection; here is, honestly, every copy that exists besides the buffer:

* **Generation.**  The octets arrive from the caller's ``random`` as a ``bytes``
  object (immutable: Python cannot overwrite it).  xepcodec copies them into the
  buffer and drops that object at once; its memory is freed, not zeroed.
* **AES.**  ``cryptography`` is handed the bytearray itself (no Python copy).  Its
  cipher objects keep a reference to it only while one call runs.  OpenSSL expands
  the key into a key schedule inside its cipher context and clears that memory when
  the context is freed, at the end of the call.
* **RSA wrapping.**  ``cryptography``'s RSA encryption accepts only ``bytes``, so
  wrapping makes one immutable copy of the key, dropped as soon as the call returns
  but not zeroed.
* **RSA unwrapping.**  RSA decryption returns the key as ``bytes``, which xepcodec
  copies into the buffer and drops; the same caveat applies.

Python offers no way to zero an immutable ``bytes`` safely, and a garbage-collected
runtime may move or swap memory; treat :meth:`~SymmetricKey.destroy` as "no live copy
is left in xepcodec's hands", not as a guarantee about the whole process.

Public keys
-----------
A :class:`PublicKey` is an RSA public key with a name and a ``confirmed`` mark: the
caller's statement that it has confirmed the key belongs to the user.  Symmetric keys
are wrapped only for confirmed keys (XEP-0241 §2: a key published through XEP-0189 is
not proof of ownership, since the server may have been compromised).

:func:`key_name` is the name xepcodec gives a key when none is given: the Base64 of
the SHA-256 digest of its DER ``SubjectPublicKeyInfo``.  (XEP-0189 recommends naming
keys by their fingerprint but its versions disagree on what is hashed; this choice
depends only on the key.)
"""

from __future__ import annotations

import base64
import dataclasses
from types import TracebackType
from typing import Any, NoReturn, Self

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey, RSAPublicNumbers

from xepcodec.crypto.algorithms import AES256_GCM, CIPHERS, cipher
from xepcodec.crypto.errors import CryptoError, InvalidPublicKeyError, KeyDestroyedError
from xepcodec.crypto.randomness import Random, draw
from xepcodec.protocols.xmlenc import KeyInfo, KeyValue, RSAKeyValue

__all__ = [
    "PublicKey",
    "SymmetricKey",
    "key_name",
    "key_value",
    "new_symmetric_key",
    "rsa_public_key",
]


class SymmetricKey:
    """A named AES key whose octets can be destroyed.

    ``algorithm`` is the data cipher (a URI of :mod:`~xepcodec.crypto.algorithms`) it
    encrypts with; its size fixes the key's length.  ``name`` is what ``<KeyName/>``
    and ``<CarriedKeyName/>`` call it ("" for a key received without a name).  The
    constructor copies ``octets``: the caller's copy remains the caller's to clear.
    Usable as a context manager, which destroys the key on leaving.
    """

    __slots__ = ("_destroyed", "_octets", "algorithm", "name")

    name: str
    algorithm: str
    _octets: bytearray
    _destroyed: bool

    def __init__(self, name: str, algorithm: str, octets: bytes | bytearray | memoryview) -> None:
        self._init(name, algorithm, bytearray(octets))

    @classmethod
    def _adopt(cls, name: str, algorithm: str, buffer: bytearray) -> SymmetricKey:
        """A key that takes ``buffer`` over instead of copying it (the caller drops its
        reference)."""
        key = cls.__new__(cls)
        key._init(name, algorithm, buffer)
        return key

    def _init(self, name: str, algorithm: str, buffer: bytearray) -> None:
        self._destroyed = True  # until checked, so that __del__ never meets a half-made key
        self._octets = buffer
        if not isinstance(name, str):
            self._wipe()
            raise TypeError(f"a key name is a str, not {type(name).__name__}")
        try:
            spec = cipher(algorithm)
        except CryptoError:
            self._wipe()
            raise
        if len(buffer) != spec.key_size:
            size = len(buffer)
            self._wipe()
            raise CryptoError(f"{algorithm} takes a {spec.key_size}-octet key, not {size} octets")
        self.name = name
        self.algorithm = algorithm
        self._destroyed = False

    @property
    def size(self) -> int:
        """The key's length in octets."""
        return CIPHERS[self.algorithm].key_size

    @property
    def destroyed(self) -> bool:
        """Whether :meth:`destroy` has run."""
        return self._destroyed

    def destroy(self) -> None:
        """Overwrite the key's octets with zeros; any later use raises
        :class:`~xepcodec.crypto.errors.KeyDestroyedError`.  Calling it again does
        nothing."""
        self._destroyed = True
        self._wipe()

    def _wipe(self) -> None:
        buffer = self._octets
        buffer[:] = bytes(len(buffer))  # same length: overwritten in place, not reallocated

    def _material(self) -> bytearray:
        """The live buffer, for this package's ciphers only; never kept, never copied."""
        if self._destroyed:
            raise KeyDestroyedError(self.name)
        return self._octets

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.destroy()

    def __del__(self) -> None:
        if hasattr(self, "_octets"):
            self.destroy()

    def __repr__(self) -> str:
        state = " destroyed" if self._destroyed else ""
        return f"<SymmetricKey {self.name!r} {self.algorithm}{state}>"

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("a SymmetricKey is never pickled or copied: it would leave a copy of "
                        "the key that destroy() cannot reach")


def new_symmetric_key(name: str, *, algorithm: str = AES256_GCM, random: Random) -> SymmetricKey:
    """A fresh key for ``algorithm``, its octets drawn from ``random``."""
    if not isinstance(name, str) or not name:
        raise CryptoError("a new symmetric key needs a non-empty name (XEP-0241 refers to it "
                          "by that name)")
    spec = cipher(algorithm)
    return SymmetricKey._adopt(name, algorithm, bytearray(draw(random, spec.key_size)))


# -- public keys -----------------------------------------------------------------------


def key_name(public_key: RSAPublicKey) -> str:
    """The Base64 of SHA-256 over the key's DER ``SubjectPublicKeyInfo``: the name
    xepcodec gives a public key when none is given."""
    der = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(der)
    return base64.b64encode(digest.finalize()).decode("ascii")


def _octets(number: int) -> bytes:
    """A non-negative integer as XML Signature's ``CryptoBinary``: big-endian, with no
    leading zero octets."""
    return number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big")


def key_value(public_key: RSAPublicKey) -> KeyValue:
    """``<KeyValue><RSAKeyValue/></KeyValue>`` for an RSA public key."""
    numbers = public_key.public_numbers()
    return KeyValue(rsa=RSAKeyValue(modulus=_octets(numbers.n), exponent=_octets(numbers.e)))


def rsa_public_key(value: KeyValue | RSAKeyValue) -> RSAPublicKey:
    """The RSA public key a ``<KeyValue/>`` (or ``<RSAKeyValue/>``) gives;
    :class:`~xepcodec.crypto.errors.InvalidPublicKeyError` if it gives none."""
    rsa = value if isinstance(value, RSAKeyValue) else value.rsa
    if rsa is None:
        raise InvalidPublicKeyError("the <KeyValue/> holds no <RSAKeyValue/>; xepcodec wraps "
                                    "keys for RSA public keys only")
    modulus = int.from_bytes(rsa.modulus, "big")
    exponent = int.from_bytes(rsa.exponent, "big")
    try:
        return RSAPublicNumbers(exponent, modulus).public_key()
    except ValueError as error:
        raise InvalidPublicKeyError(f"the <RSAKeyValue/> is not a valid RSA public key: "
                                    f"{error}") from None


@dataclasses.dataclass(frozen=True)
class PublicKey:
    """An RSA public key of the user's, by name, and whether the caller has confirmed
    it is the user's own (only then are symmetric keys wrapped for it)."""

    name: str
    key: RSAPublicKey = dataclasses.field(hash=False)
    confirmed: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InvalidPublicKeyError("a public key needs a non-empty name")
        if not isinstance(self.key, RSAPublicKey):
            raise InvalidPublicKeyError(f"xepcodec wraps keys for RSA public keys only, not "
                                        f"{type(self.key).__name__}")

    @classmethod
    def from_key(cls, key: RSAPublicKey, *, name: str | None = None,
                 confirmed: bool = False) -> PublicKey:
        """A public key named ``name``, or by :func:`key_name` when it is ``None``."""
        return cls(name=key_name(key) if name is None else name, key=key, confirmed=confirmed)

    @classmethod
    def from_key_value(cls, value: KeyValue | KeyInfo, *, confirmed: bool = False,
                       name: str | None = None) -> PublicKey:
        """The public key a ``<KeyValue/>`` gives, or the first RSA key a ``<KeyInfo/>``
        gives.  Its name is ``name`` if given, else the ``<KeyInfo/>``'s first
        ``<KeyName/>``, else :func:`key_name`."""
        if isinstance(value, KeyInfo):
            found = next((each for each in value.key_values if each.rsa is not None), None)
            if found is None:
                raise InvalidPublicKeyError("the <KeyInfo/> gives no RSA public key "
                                            "(<KeyValue><RSAKeyValue/></KeyValue>)")
            name = name if name is not None else value.key_name
            value = found
        return cls.from_key(rsa_public_key(value), name=name, confirmed=confirmed)

    def key_info(self) -> KeyInfo:
        """``<KeyInfo/>`` naming the key and giving its value, as ``<auto/>`` carries it."""
        return KeyInfo(key_names=(self.name,), key_values=(key_value(self.key),))

    def key_value(self) -> KeyValue:
        """The key's ``<KeyValue/>``."""
        return key_value(self.key)

    def confirm(self) -> PublicKey:
        """The same key, marked as confirmed to be the user's own."""
        return dataclasses.replace(self, confirmed=True)

    @property
    def fingerprint(self) -> str:
        """:func:`key_name` of the key, whatever its name."""
        return key_name(self.key)
