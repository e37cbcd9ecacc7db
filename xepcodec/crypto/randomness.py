"""Randomness is handed in, never drawn behind the caller's back.

Every function that needs random octets (keys, IVs, CBC padding) takes a
``random: Callable[[int], bytes]`` that returns exactly that many octets: pass
:func:`os.urandom` (or :func:`secrets.token_bytes`) in production and a seeded
generator in tests, which then get the same ciphertext every run.

One exception cannot be avoided: the random padding of RSA encryption (OAEP's seed,
PKCS#1 v1.5's padding string) is drawn inside OpenSSL, because ``cryptography``'s RSA
API offers no way to supply it.  Wrapped keys therefore differ from run to run even
with a seeded ``random``; everything AES produces does not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from xepcodec.crypto.errors import CryptoError

__all__ = ["Random", "draw"]

#: A source of random octets: ``random(n)`` returns ``n`` of them.
Random: TypeAlias = Callable[[int], bytes]


def draw(random: Random, count: int) -> bytes | bytearray:
    """``count`` octets from ``random``, checked to be bytes of that length (returned
    as they came, not copied)."""
    data = random(count)
    if not isinstance(data, bytes | bytearray) or len(data) != count:
        got = f"{len(data)} octets" if isinstance(data, bytes | bytearray) else repr(type(data))
        raise CryptoError(f"the random source was asked for {count} octets and returned {got}")
    return data
