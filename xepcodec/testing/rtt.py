"""Hypothesis strategies for XEP-0301 real-time text.

An ``<rtt/>`` whose event is ``init`` or ``cancel`` is empty and carries no ``id``,
which the derived strategy cannot know, and an event may be one XEP-0301 does not
define, which no value kind lists; this one is registered instead.  The action
elements themselves are derived.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

import re

from hypothesis import strategies as st

from xepcodec.protocols.rtt import MAX_SEQ, Erase, Insert, Rtt, RttEvent, Wait
from xepcodec.testing.strategies import for_class, foreign_elements, register, xml_text

__all__ = ["rtts"]

_NO_MESSAGE = (RttEvent.INIT, RttEvent.CANCEL)


@register(Rtt)
def rtts() -> st.SearchStrategy[Rtt]:
    """``<rtt/>`` elements of every event (or none), empty for ``init`` and ``cancel``,
    and sometimes of an event XEP-0301 does not define, with or without content."""
    seqs = st.integers(min_value=0, max_value=MAX_SEQ)
    # Unknown events: any text XML carries, its white space made visible, that names none
    # of the five.
    unknown = xml_text(min_size=1, max_size=12).map(
        lambda token: re.sub("[ \t\r\n]", "_", token)).filter(
        lambda token: token not in RttEvent._value2member_map_)
    actions = st.lists(st.one_of(for_class(Insert), for_class(Erase), for_class(Wait)),
                       max_size=4).map(tuple)
    with_message = st.builds(
        Rtt, seq=seqs,
        event=st.none() | st.sampled_from([e for e in RttEvent if e not in _NO_MESSAGE])
        | unknown,
        id=st.none() | xml_text(min_size=1), actions=actions,
        extensions=st.lists(foreign_elements(), max_size=2).map(tuple))
    without = st.builds(Rtt, seq=seqs, event=st.sampled_from(_NO_MESSAGE))
    return with_message | without
