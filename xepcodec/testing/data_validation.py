"""Hypothesis strategies for XEP-0122 data forms validation.

A list range's ``min`` is not above its ``max``, and a range's bounds fit its datatype
(no range for ``xs:string``, ordered bounds of an ordered one); the derived strategies
know neither, so these are registered instead.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

from hypothesis import strategies as st

from xepcodec.protocols.data_validation import (
    Basic,
    ListRange,
    Open,
    Range,
    Regex,
    Validate,
)
from xepcodec.testing.strategies import register, xml_text

__all__ = ["list_ranges", "validations"]

_COUNTS = st.none() | st.integers(min_value=0, max_value=1000)
_UNORDERED = ("xs:string", "xs:boolean", "xs:language", "xs:anyURI", "xs:token")
_CUSTOM = st.from_regex(r"(x|pubsub|[a-w]{1,3}):[A-Za-z_][A-Za-z0-9_.\-]{0,8}",
                        fullmatch=True)


@register(ListRange)
def list_ranges() -> st.SearchStrategy[ListRange]:
    """List ranges with either bound or both, ``min`` never above ``max``."""
    def build(low: int | None, high: int | None) -> ListRange:
        if low is not None and high is not None and low > high:
            low, high = high, low
        return ListRange(min=low, max=high)
    return st.builds(build, _COUNTS, _COUNTS)


def _integer_range(low: int | None, high: int | None) -> Range:
    if low is not None and high is not None and low > high:
        low, high = high, low
    return Range(min=None if low is None else str(low),
                 max=None if high is None else str(high))


@register(Validate)
def validations() -> st.SearchStrategy[Validate]:
    """Validations of every shape: a method that is not a range with any datatype, an
    integer range with xs:short, and a range of free text with an ad-hoc datatype."""
    bound = st.none() | st.integers(min_value=-2**15, max_value=2**15 - 1)
    lists = st.none() | list_ranges()
    plain = st.builds(
        Validate,
        datatype=st.none() | st.sampled_from(_UNORDERED) | _CUSTOM,
        method=st.none() | st.just(Basic()) | st.just(Open())
        | st.builds(Regex, pattern=xml_text()),
        list_range=lists,
    )
    ranged = st.builds(Validate, datatype=st.just("xs:short"),
                       method=st.builds(_integer_range, bound, bound), list_range=lists)
    custom = st.builds(Validate, datatype=_CUSTOM,
                       method=st.builds(Range, min=st.none() | xml_text(),
                                        max=st.none() | xml_text()),
                       list_range=lists)
    return st.one_of(plain, ranged, custom)
