"""Hypothesis strategies for XEP-0045 Multi-User Chat.

An invitation or a refusal names at least one party (``from`` or ``to``), which the
derived strategies, drawing each attribute present or not, cannot know; these are
registered instead.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

from hypothesis import strategies as st

from xepcodec.datatypes.jid import JID
from xepcodec.protocols.muc.user import Continue, Decline, Invite
from xepcodec.testing.jids import jids
from xepcodec.testing.strategies import for_class, register, xml_text

__all__ = ["declines", "invites"]


def _parties() -> st.SearchStrategy[tuple[JID | None, JID | None]]:
    """``(from, to)`` with at least one of the two."""
    return st.one_of(
        st.tuples(jids(), st.none()),
        st.tuples(st.none(), jids()),
        st.tuples(jids(), jids()),
    )


@register(Invite)
def invites() -> st.SearchStrategy[Invite]:
    """Invitations on their way to or from the room, with or without a reason and a
    continued thread."""
    return st.builds(
        lambda parties, reason, continue_: Invite(from_=parties[0], to=parties[1],
                                                  reason=reason, continue_=continue_),
        _parties(), st.none() | xml_text(), st.none() | for_class(Continue))


@register(Decline)
def declines() -> st.SearchStrategy[Decline]:
    """Refusals on their way to or from the room, with or without a reason."""
    return st.builds(
        lambda parties, reason: Decline(from_=parties[0], to=parties[1], reason=reason),
        _parties(), st.none() | xml_text())
