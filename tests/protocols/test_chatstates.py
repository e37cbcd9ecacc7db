"""Tests for xepcodec.protocols.chatstates (XEP-0085 chat state notifications).

The XML below is written for these tests; the XEP's own examples run in the conformance
test.
"""

from __future__ import annotations

import pytest
from payloads import rejects, typed

import xepcodec
from xepcodec.core.stanzas import Message, MessageType
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.model import encode
from xepcodec.protocols.chatstates import (
    NS_CHATSTATES,
    ChatState,
    ChatStateNotification,
    chat_state,
    with_chat_state,
)

CHAT = ("<message xmlns='jabber:client' from='ada@engine.example/desk' "
        "to='charles@engine.example' type='{}'>{}</message>")

ERROR = ("<error type='cancel'><service-unavailable "
         "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>")


def _message(inner: str, type_: str = "chat") -> Message:
    stanza = xepcodec.parse(CHAT.format(type_, inner))
    assert isinstance(stanza, Message)
    return stanza


def _state(name: str) -> str:
    return f"<{name} xmlns='{NS_CHATSTATES}'/>"


@pytest.mark.parametrize("state", list(ChatState))
def test_each_state_is_its_own_element_name(state: ChatState) -> None:
    read = typed(_state(state.value))
    assert read == ChatStateNotification(state=state)
    assert encode(read) == f'<{state.value} xmlns="{NS_CHATSTATES}"/>'.encode()


@pytest.mark.parametrize(("xml", "words", "path"), [
    (f"<composing xmlns='{NS_CHATSTATES}'>tap tap</composing>", ["text"], "/composing"),
    (f"<paused xmlns='{NS_CHATSTATES}' since='now'/>", ["'since'"], "/paused/@since"),
    (f"<gone xmlns='{NS_CHATSTATES}'><body/></gone>", ["child <body/>"], "/gone/body"),
])
def test_a_state_holds_nothing(xml: str, words: list[str], path: str) -> None:
    error = rejects(xml, *words)
    assert error.path == path
    assert not xepcodec.validate(xml.encode()).ok


def test_a_state_has_one_of_the_five_names() -> None:
    data = CHAT.format("chat", _state("typing"))
    with pytest.raises(ParseError, match=f"<typing/> is not an element of {NS_CHATSTATES}") \
            as caught:
        xepcodec.parse(data)
    assert (caught.value.condition, caught.value.path) == ("bad-request", "/message/typing")
    assert not xepcodec.validate(data.encode()).ok


def test_the_state_of_a_content_message_and_of_a_standalone_notification() -> None:
    content = _message(f"<body>The engine turns.</body>{_state('active')}")
    assert chat_state(content) is ChatState.ACTIVE
    # A state without a body is the standalone notification: nothing to refuse.
    standalone = _message(f"<thread>t1</thread>{_state('composing')}")
    assert chat_state(standalone) is ChatState.COMPOSING
    assert chat_state(_message("<body>No state here.</body>")) is None


@pytest.mark.parametrize("type_", ["normal", "headline", "error"])
def test_a_state_on_another_message_type_is_read_not_refused(type_: str) -> None:
    # §5.4 advises chat and groupchat only (a SHOULD); an error bounce echoes what was sent.
    inner = _state("paused") + (ERROR if type_ == "error" else "")
    assert chat_state(_message(inner, type_)) is ChatState.PAUSED


def test_two_states_in_one_message_are_refused_naming_the_second() -> None:
    message = _message(f"<body>Hm.</body>{_state('active')}{_state('gone')}")
    with pytest.raises(ParseError, match=r"at most one chat state.*<active/>, <gone/>.*§5\.6") \
            as caught:
        chat_state(message)
    assert caught.value.condition == "bad-request"
    assert caught.value.path == "/message/gone"


def test_chat_state_reads_messages_only() -> None:
    presence = xepcodec.parse(f"<presence xmlns='jabber:client'>{_state('active')}</presence>")
    with pytest.raises(ArgumentTypeError, match="reads a Message, not Presence"):
        chat_state(presence)


def test_with_chat_state_adds_one_and_replaces_the_one_there() -> None:
    plain = _message("<body>Ready.</body><request xmlns='urn:xmpp:receipts'/>")
    active = with_chat_state(plain, ChatState.ACTIVE)
    assert chat_state(active) is ChatState.ACTIVE
    assert active.extensions[:-1] == plain.extensions  # the other payloads stay, in order
    gone = with_chat_state(active, "gone")
    assert chat_state(gone) is ChatState.GONE
    assert gone.find_all(ChatStateNotification) == (
        ChatStateNotification(state=ChatState.GONE),)
    data = xepcodec.serialize(gone)
    assert xepcodec.validate(data).ok and xepcodec.parse(data) == gone


def test_with_chat_state_refuses_what_is_no_state_and_error_messages() -> None:
    message = _message("<body>Ready.</body>")
    with pytest.raises(ArgumentValueError, match=r"one of active, composing.*'typing'"):
        with_chat_state(message, "typing")
    bounce = _message(ERROR, "error")
    assert bounce.type is MessageType.ERROR
    with pytest.raises(ArgumentValueError, match="error message"):
        with_chat_state(bounce, ChatState.ACTIVE)
    with pytest.raises(ArgumentTypeError, match="goes on a Message"):
        with_chat_state(typed(_state("active")), ChatState.ACTIVE)
