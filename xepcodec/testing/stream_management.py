"""Hypothesis strategies for XEP-0198 stream management: the ``<sm/>`` feature is
marked required, optional or neither, never both; handled counts include the edges of
their 32-bit range, where they wrap."""

from __future__ import annotations

from hypothesis import strategies as st

from xepcodec.protocols.stream_management import H_MAX, SmFeature
from xepcodec.testing.strategies import register

__all__ = ["handled_counts"]


def handled_counts() -> st.SearchStrategy[int]:
    """Values of ``h``, biased to both ends of the range."""
    return st.sampled_from([0, 1, H_MAX - 1, H_MAX]) | st.integers(0, H_MAX)


@register(SmFeature)
def sm_feature() -> st.SearchStrategy[SmFeature]:
    return st.sampled_from([SmFeature(), SmFeature(required=True), SmFeature(optional=True)])
