"""Strategies for the core stanzas and stream elements, whose fields the RFC ties
together: an error stanza carries an ``<error/>`` and no other does; an iq get or set
carries one payload; only some error conditions carry an address."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from xepcodec.core.namespaces import STANZA_NAMESPACES
from xepcodec.core.stanza_errors import Condition, DefinedCondition, StanzaError
from xepcodec.core.stanzas import (
    Body,
    Iq,
    IqType,
    Message,
    MessageType,
    Presence,
    PresenceType,
    Show,
    Status,
    Subject,
    Thread,
)
from xepcodec.core.streams import (
    StreamCondition,
    StreamError,
    StreamErrorCondition,
    StreamErrorText,
)
from xepcodec.model.values import String
from xepcodec.testing.jids import jids
from xepcodec.testing.strategies import for_class, foreign_elements, register, values

__all__ = ["iqs", "messages", "presences", "stanzas"]

_IDS = values(String(min_length=1, max_length=12))
_JIDS = st.none() | jids()
_LANGS = st.none() | st.sampled_from(["en", "de", "fr"])


def _payload() -> st.SearchStrategy[Any]:
    """One payload: raw XML, or any typed element another protocol declared."""
    return foreign_elements()


@register(Iq)
def iqs() -> st.SearchStrategy[Iq]:
    def build(kind: IqType, payloads: tuple[Any, ...], error: StanzaError, **common: Any) -> Iq:
        if kind in (IqType.GET, IqType.SET):
            return Iq(type=kind, extensions=payloads[:1], **common)
        if kind == IqType.RESULT:
            return Iq(type=kind, extensions=payloads[1:2], **common)
        return Iq(type=kind, extensions=payloads[2:3], error=error, **common)

    return st.builds(build, st.sampled_from(IqType),
                     st.lists(_payload(), min_size=3, max_size=3).map(tuple),
                     for_class(StanzaError), namespace=st.sampled_from(STANZA_NAMESPACES),
                     id=_IDS, to=_JIDS, from_=_JIDS, lang=_LANGS)


def _error_rule(kind: Any, error: StanzaError) -> StanzaError | None:
    return error if kind is not None and kind.value == "error" else None


@register(Message)
def messages() -> st.SearchStrategy[Message]:
    def build(kind: MessageType | None, error: StanzaError, **fields: Any) -> Message:
        return Message(type=kind, error=_error_rule(kind, error), **fields)

    return st.builds(
        build, st.none() | st.sampled_from(MessageType), for_class(StanzaError),
        namespace=st.sampled_from(STANZA_NAMESPACES), to=_JIDS, from_=_JIDS,
        id=st.none() | _IDS, lang=_LANGS,
        subjects=st.lists(for_class(Subject), max_size=2).map(tuple),
        bodies=st.lists(for_class(Body), max_size=2).map(tuple),
        thread=st.none() | for_class(Thread),
        extensions=st.lists(_payload(), max_size=3).map(tuple),
    )


@register(Presence)
def presences() -> st.SearchStrategy[Presence]:
    def build(kind: PresenceType | None, error: StanzaError, **fields: Any) -> Presence:
        return Presence(type=kind, error=_error_rule(kind, error), **fields)

    return st.builds(
        build, st.none() | st.sampled_from(PresenceType), for_class(StanzaError),
        namespace=st.sampled_from(STANZA_NAMESPACES), to=_JIDS, from_=_JIDS,
        id=st.none() | _IDS, lang=_LANGS, show=st.none() | st.sampled_from(Show),
        statuses=st.lists(for_class(Status), max_size=2).map(tuple),
        priority=st.none() | st.integers(-128, 127),
        extensions=st.lists(_payload(), max_size=3).map(tuple),
    )


@register(StanzaError)
def stanza_errors() -> st.SearchStrategy[StanzaError]:
    from xepcodec.core.stanza_errors import ErrorType

    def build(condition: Condition, kind: ErrorType, text: str | None,
              app: tuple[Any, ...]) -> StanzaError:
        address = "xmpp:elsewhere.example" if condition in ("gone", "redirect") else None
        return StanzaError.of(condition, type=kind, text=text, address=address,
                              application=app[0] if app else None)

    return st.builds(build, st.sampled_from(Condition), st.sampled_from(ErrorType),
                     st.none() | values(String()),
                     st.lists(foreign_elements(), max_size=1).map(tuple))


@register(DefinedCondition)
def defined_conditions() -> st.SearchStrategy[DefinedCondition]:
    """Conditions; only gone and redirect carry an address."""
    def build(condition: Condition, address: str) -> DefinedCondition:
        carries = condition in (Condition.GONE, Condition.REDIRECT)
        return DefinedCondition(condition=condition, address=address if carries else None)

    return st.builds(build, st.sampled_from(Condition), values(String(min_length=1)))


@register(StreamErrorCondition)
def stream_error_conditions() -> st.SearchStrategy[StreamErrorCondition]:
    """Stream conditions; only see-other-host carries an address."""
    def build(condition: StreamCondition, address: str) -> StreamErrorCondition:
        carries = condition == StreamCondition.SEE_OTHER_HOST
        return StreamErrorCondition(condition=condition, address=address if carries else None)

    return st.builds(build, st.sampled_from(StreamCondition), values(String(min_length=1)))


@register(StreamError)
def stream_errors() -> st.SearchStrategy[StreamError]:
    return st.builds(StreamError, defined=stream_error_conditions(),
                     description=st.none() | for_class(StreamErrorText),
                     application=st.lists(foreign_elements(), max_size=1).map(tuple))


def stanzas() -> st.SearchStrategy[Message | Presence | Iq]:
    """Any of the three stanzas."""
    return st.one_of(messages(), presences(), iqs())
