"""Hypothesis strategies for the RFC 6121 roster.

An item names each of its groups once and a roster lists each contact once; the
derived strategies cannot know either, so these are registered instead.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

from hypothesis import strategies as st

from xepcodec.model.values import String
from xepcodec.protocols.roster import Ask, RosterItem, RosterQuery, Subscription
from xepcodec.testing.jids import jids
from xepcodec.testing.strategies import register, values, xml_text

__all__ = ["roster_items", "roster_queries"]


@register(RosterItem)
def roster_items() -> st.SearchStrategy[RosterItem]:
    """Roster items with every attribute present or not and distinct groups."""
    return st.builds(
        RosterItem,
        jid=jids(),
        name=st.none() | xml_text(),
        subscription=st.none() | st.sampled_from(Subscription),
        ask=st.none() | st.just(Ask.SUBSCRIBE),
        approved=st.none() | st.booleans(),
        groups=st.lists(values(String(min_length=1)), max_size=3, unique=True).map(tuple),
    )


@register(RosterQuery)
def roster_queries() -> st.SearchStrategy[RosterQuery]:
    """Rosters (requests, results, pushes alike) listing each contact once."""
    items = st.lists(roster_items(), max_size=4, unique_by=lambda item: item.jid)
    return st.builds(RosterQuery, ver=st.none() | xml_text(), items=items.map(tuple))
