"""Hypothesis strategies for XEP-0045's muc#owner query.

A query holds a data form, a destroy element or nothing, never both; the derived
strategy would draw both, so this one is registered instead.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

from hypothesis import strategies as st

from xepcodec.protocols.dataforms import Form
from xepcodec.protocols.muc.owner import OwnerDestroy, OwnerQuery
from xepcodec.testing.strategies import for_class, register

__all__ = ["owner_queries"]


@register(OwnerQuery)
def owner_queries() -> st.SearchStrategy[OwnerQuery]:
    """Requests for the form, forms of any type, and destruction requests."""
    return st.one_of(
        st.just(OwnerQuery()),
        st.builds(OwnerQuery, form=for_class(Form)),
        st.builds(OwnerQuery, destroy=for_class(OwnerDestroy)),
    )
