"""Hypothesis strategies for Public Key Publishing (XEP-0189,
:mod:`xepcodec.protocols.pubkey`).

A ``<pubkey/>`` is empty (a request) or gives a key in one of its two shapes with its
validity period (which does not end before it begins) and JID; fingerprints of the
``<rsakey/>`` shape are computed as the XEP says, so the generated keys are also
consistent.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import strategies as st

from xepcodec.datatypes.jid import JID
from xepcodec.model.values import DATETIME
from xepcodec.protocols.pubkey import Print, PubKey, RSAKey, rsakey_fingerprint
from xepcodec.testing.jids import jids
from xepcodec.testing.strategies import for_class, register, values

__all__ = ["pubkeys", "rsakeys"]

_TIMES = values(DATETIME)
_URIS = st.sampled_from(["https://keys.example/alice.pem", "urn:example:key:1",
                         "http://example.com/keys?id=4"])


@register(RSAKey)
def rsakeys() -> st.SearchStrategy[RSAKey]:
    return st.builds(RSAKey, modulus=st.integers(1, 2**2048), exponent=st.integers(1, 2**17),
                     print_=for_class(Print))


def _full(begin: datetime, end: datetime, jid: JID, shape: str, modulus: int,
          exponent: int, der: bytes, fingerprint: Print, uri: str | None) -> PubKey:
    begin, end = min(begin, end), max(begin, end)
    if shape == "rsakey":
        text = rsakey_fingerprint(begin, end, jid, modulus, exponent)
        rsakey = RSAKey(modulus=modulus, exponent=exponent, print_=Print(value=text))
        return PubKey(begin=begin, end=end, jid=jid, rsakey=rsakey, uri=uri)
    return PubKey(begin=begin, end=end, jid=jid, key=der, print_=fingerprint, uri=uri)


@register(PubKey)
def pubkeys() -> st.SearchStrategy[PubKey]:
    """Requests, and keys in either shape."""
    full = st.builds(_full, _TIMES, _TIMES, jids(), st.sampled_from(["rsakey", "key"]),
                     st.integers(1, 2**2048), st.integers(1, 2**17),
                     st.binary(min_size=1, max_size=64), for_class(Print),
                     st.none() | _URIS)
    return st.just(PubKey()) | full
