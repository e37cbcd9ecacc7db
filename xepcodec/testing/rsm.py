"""Hypothesis strategies for XEP-0059 result sets.

A page names its first and last items together or not at all, so the two are drawn as
one; the request fields are independent of each other and of the page.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from xepcodec.model.values import Integer
from xepcodec.protocols.rsm import First, ResultSet
from xepcodec.testing.strategies import for_class, register, values, xml_text

__all__ = ["result_sets"]

_NUMBERS = values(Integer(minimum=0))


def _build(page: tuple[First, str] | None, **fields: Any) -> ResultSet:
    first, last = page if page is not None else (None, None)
    return ResultSet(first=first, last=last, **fields)


@register(ResultSet)
def result_sets() -> st.SearchStrategy[ResultSet]:
    """Result sets: any mix of request fields, and a page described fully or not."""
    uids = xml_text()
    return st.builds(
        _build,
        page=st.none() | st.tuples(for_class(First), uids),
        max=st.none() | _NUMBERS,
        after=st.none() | uids,
        before=st.none() | st.just("") | uids,
        index=st.none() | _NUMBERS,
        count=st.none() | _NUMBERS,
    )
