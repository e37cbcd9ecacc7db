"""Hypothesis strategies for SASL negotiation (RFC 6120 §6): data that is absent, empty
(written ``=``) or any octets; mechanism lists that are never empty."""

from __future__ import annotations

from hypothesis import strategies as st

from xepcodec.protocols.sasl import (
    MECHANISM_NAME,
    Auth,
    Challenge,
    Mechanisms,
    Response,
    Success,
)
from xepcodec.testing.strategies import foreign_elements, register, values

__all__ = ["mechanism_names", "sasl_data"]


def sasl_data() -> st.SearchStrategy[bytes | None]:
    """SASL data: None (an empty element), ``b""`` (``=``) or some octets."""
    return st.none() | st.just(b"") | st.binary(min_size=1, max_size=64)


def mechanism_names() -> st.SearchStrategy[str]:
    """Mechanism names, the common ones most often."""
    return st.sampled_from(["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS",
                            "EXTERNAL", "ANONYMOUS"]) | values(MECHANISM_NAME)


@register(Mechanisms)
def mechanisms() -> st.SearchStrategy[Mechanisms]:
    return st.builds(Mechanisms,
                     mechanisms=st.lists(mechanism_names(), min_size=1, max_size=4).map(tuple),
                     extensions=st.lists(foreign_elements(), max_size=1).map(tuple))


@register(Auth)
def auth() -> st.SearchStrategy[Auth]:
    return st.builds(Auth, mechanism=mechanism_names(), data=sasl_data())


@register(Challenge)
def challenge() -> st.SearchStrategy[Challenge]:
    return st.builds(Challenge, data=sasl_data())


@register(Response)
def response() -> st.SearchStrategy[Response]:
    return st.builds(Response, data=sasl_data())


@register(Success)
def success() -> st.SearchStrategy[Success]:
    return st.builds(Success, data=sasl_data())
