"""Hypothesis strategies for XEP-0060's ``#errors`` conditions.

``unsupported`` names a feature, so it is an element of its own and not one of the
empty conditions; the derived strategy cannot know that, so this one is registered.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

from hypothesis import strategies as st

from xepcodec.protocols.pubsub.errors import PubSubCondition, SpecificCondition
from xepcodec.testing.strategies import register

__all__ = ["specific_conditions"]


@register(SpecificCondition)
def specific_conditions() -> st.SearchStrategy[SpecificCondition]:
    """The empty conditions: every one but ``unsupported``."""
    empty = [condition for condition in PubSubCondition
             if condition is not PubSubCondition.UNSUPPORTED]
    return st.builds(SpecificCondition, condition=st.sampled_from(empty))
