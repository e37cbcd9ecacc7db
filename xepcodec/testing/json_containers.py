"""Hypothesis strategies for XEP-0335 JSON containers.

A container's text must be a JSON text within the library's limits, which no derived
strategy for a string can know: these make JSON values and write them, canonically or
with the white space and spellings a peer may use (what the container keeps as sent).

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from xepcodec.protocols.json_containers import JsonContainer
from xepcodec.testing.strategies import register

__all__ = ["json_containers", "json_values"]

# Characters XML can carry; lone surrogates spell no text and are refused.
_CHARACTERS = st.characters(codec="utf-8", exclude_characters="\ufffe\uffff")
_SCALARS = (st.none() | st.booleans() | st.integers(-(2**63), 2**63)
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(_CHARACTERS, max_size=12))


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """JSON values as :func:`json.loads` gives them: None, bools, ints, finite floats,
    str, lists and dicts with str keys."""
    return st.recursive(
        _SCALARS,
        lambda inner: st.lists(inner, max_size=4)
        | st.dictionaries(st.text(_CHARACTERS, max_size=8), inner, max_size=4),
        max_leaves=max_leaves)


@register(JsonContainer)
def json_containers() -> st.SearchStrategy[JsonContainer]:
    """Containers written canonically (:meth:`JsonContainer.of`) or with white space
    around and between the tokens, as a peer may send them."""
    canonical = json_values().map(JsonContainer.of)
    spaced = st.builds(
        lambda value, indent, around: JsonContainer(
            text=around + json.dumps(value, ensure_ascii=False, indent=indent) + around),
        json_values(), st.none() | st.integers(0, 2), st.sampled_from(["", " ", "\n  "]))
    return canonical | spaced
