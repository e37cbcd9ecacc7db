"""Hypothesis strategies for XEP-0060's pubsub#event notifications.

An item carries at most one payload, and a redirect URI is one XML can carry; the
derived strategies cannot know either, so these are registered instead.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

from hypothesis import strategies as st

from xepcodec.protocols.pubsub.core import IDENTIFIER
from xepcodec.protocols.pubsub.event import EventItem, EventRedirect
from xepcodec.testing.jids import jids
from xepcodec.testing.pubsub_owner import redirect_uris
from xepcodec.testing.strategies import foreign_elements, register, values, xml_text

__all__ = ["event_items", "event_redirects"]


@register(EventItem)
def event_items() -> st.SearchStrategy[EventItem]:
    """Items with or without an id, a publisher, a version and one payload."""
    return st.builds(
        EventItem,
        id=st.none() | values(IDENTIFIER),
        publisher=st.none() | jids(),
        ver=st.none() | xml_text(),
        extensions=st.lists(foreign_elements(), max_size=1).map(tuple),
    )


@register(EventRedirect)
def event_redirects() -> st.SearchStrategy[EventRedirect]:
    """Redirects to a replacement node."""
    return st.builds(EventRedirect, uri=redirect_uris())
