"""Hypothesis strategies for XEP-0203 delay marks.

A stamp is in UTC, which the derived strategy, drawing date-times in several zones,
cannot know; this one is registered instead.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import strategies as st

from xepcodec.protocols.delay import Delay
from xepcodec.testing.jids import jids
from xepcodec.testing.strategies import register, xml_text

__all__ = ["delays"]


@register(Delay)
def delays() -> st.SearchStrategy[Delay]:
    """Delay marks stamped in UTC, with or without who added them and why."""
    stamps = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1),
                          timezones=st.just(UTC))
    return st.builds(Delay, stamp=stamps, from_=st.none() | jids(), reason=xml_text())
