"""Hypothesis strategies for XEP-0045's muc#admin items.

An item carries an affiliation, a role or both; the derived strategy would draw items
with neither, so this one is registered instead.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

from hypothesis import strategies as st

from xepcodec.protocols.muc.admin import AdminActor, AdminItem
from xepcodec.protocols.muc.core import Affiliation, Role
from xepcodec.testing.jids import jids
from xepcodec.testing.strategies import for_class, register, xml_text

__all__ = ["admin_items"]


@register(AdminItem)
def admin_items() -> st.SearchStrategy[AdminItem]:
    """Items of requests, lists and changes alike: an affiliation, a role or both."""
    standing = st.one_of(
        st.tuples(st.sampled_from(Affiliation), st.none()),
        st.tuples(st.none(), st.sampled_from(Role)),
        st.tuples(st.sampled_from(Affiliation), st.sampled_from(Role)),
    )
    return standing.flatmap(lambda pair: st.builds(
        AdminItem,
        affiliation=st.just(pair[0]),
        role=st.just(pair[1]),
        jid=st.none() | jids(),
        nick=st.none() | xml_text(),
        actor=st.none() | for_class(AdminActor),
        reason=st.none() | xml_text(),
    ))
