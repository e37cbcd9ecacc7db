"""Hypothesis strategies for XEP-0050 ad-hoc commands.

``<actions/>`` must offer the action ``execute`` stands for, and a command's fields
depend on each other (an ended session offers no actions, a continuing action needs a
session id), so both are drawn here rather than field by field.
"""

from __future__ import annotations

from hypothesis import strategies as st

from xepcodec.model.values import String
from xepcodec.protocols.commands import (
    Action,
    Actions,
    Command,
    Note,
    Status,
)
from xepcodec.testing.strategies import for_class, foreign_elements, register, values

__all__ = ["actions", "commands"]

_OFFERABLE = [Action.PREV, Action.NEXT, Action.COMPLETE]
_CONTINUING = {Action.CANCEL, Action.PREV, Action.NEXT, Action.COMPLETE}
_LANGS = st.sampled_from(["en", "en-US", "fr-CA", "de"])


@st.composite
def _actions(draw: st.DrawFn) -> Actions:
    allowed = draw(st.sets(st.sampled_from(_OFFERABLE), min_size=1))
    choices: list[Action | None] = [*sorted(allowed)]
    if Action.NEXT in allowed:
        choices.append(None)  # no attribute: execute means next
    execute = draw(st.sampled_from(choices))
    return Actions(execute=execute, prev=Action.PREV in allowed,
                   next=Action.NEXT in allowed, complete=Action.COMPLETE in allowed)


@register(Actions)
def actions() -> st.SearchStrategy[Actions]:
    """Valid ``<actions/>``: a non-empty offer and an ``execute`` within it."""
    return _actions()


@st.composite
def _commands(draw: st.DrawFn) -> Command:
    text = values(String(min_length=1))
    status = draw(st.none() | st.sampled_from(list(Status)))
    action = draw(st.none() | st.sampled_from(list(Action)))
    sessionid = draw(st.none() | text)
    if sessionid is None and action in _CONTINUING:
        sessionid = draw(text)
    ended = status in (Status.COMPLETED, Status.CANCELED)
    offered = None if ended else draw(st.none() | actions())
    return Command(
        node=draw(text),
        sessionid=sessionid,
        action=action,
        status=status,
        lang=draw(st.none() | _LANGS),
        actions=offered,
        notes=tuple(draw(st.lists(for_class(Note), max_size=3))),
        payload=tuple(draw(st.lists(foreign_elements(), max_size=3))),
    )


@register(Command)
def commands() -> st.SearchStrategy[Command]:
    """Commands as a requester or a responder may send them."""
    return _commands()
