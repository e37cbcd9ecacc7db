"""Hypothesis strategies for the queries that ask an entity about itself: software
version (XEP-0092), entity time (XEP-0202) and last activity (XEP-0012).

Each element is an empty request or a filled-in answer, never half of one, which
the derived strategies cannot know; these draw both forms.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import strategies as st

from xepcodec.model.values import Integer
from xepcodec.protocols.entity_time import EntityTime
from xepcodec.protocols.last_activity import LastActivity
from xepcodec.protocols.version import VersionQuery
from xepcodec.testing.strategies import foreign_elements, register, values, xml_text

__all__ = ["entity_times", "last_activities", "version_queries"]


@register(VersionQuery)
def version_queries() -> st.SearchStrategy[VersionQuery]:
    """Requests, and answers with a name, a version and maybe an os, either with
    elements of other namespaces or not."""
    others = st.lists(foreign_elements(), max_size=2).map(tuple)
    answers = st.builds(VersionQuery, name=xml_text(), version=xml_text(),
                        os=st.none() | xml_text(), extensions=others)
    return st.builds(VersionQuery, extensions=others) | answers


@register(EntityTime)
def entity_times() -> st.SearchStrategy[EntityTime]:
    """Empty requests, and answers with a zone offset and a time in UTC."""
    offsets = st.from_regex(r"Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]", fullmatch=True)
    moments = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1),
                           timezones=st.just(UTC))
    return st.just(EntityTime()) | st.builds(EntityTime, tzo=offsets, utc=moments)


@register(LastActivity)
def last_activities() -> st.SearchStrategy[LastActivity]:
    """Empty requests, and answers with the seconds and maybe a status."""
    answers = st.builds(LastActivity, seconds=values(Integer(minimum=0, maximum=2**64 - 1)),
                        status=xml_text())
    return st.just(LastActivity()) | answers
