"""Keys and random sources shared by the crypto tests.

RSA keys are made once per session: generating 2048-bit keys is the slow part."""

from __future__ import annotations

import random as _random
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey


def seeded(seed: int) -> Callable[[int], bytes]:
    """A deterministic random source: ``random(n)`` gives the next ``n`` octets of a
    generator seeded with ``seed``."""
    generator = _random.Random(seed)
    return generator.randbytes


@pytest.fixture(scope="session")
def rsa_key() -> RSAPrivateKey:
    """The user's private key (2048 bits)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def other_rsa_key() -> RSAPrivateKey:
    """A second private key: another device, or the key that replaces an obsolete one."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def make_random() -> Callable[[int], Callable[[int], bytes]]:
    """``make_random(seed)``: a fresh deterministic random source."""
    return seeded
