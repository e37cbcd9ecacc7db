"""Chat state notifications (XEP-0085): how a conversation partner is attending to a chat.

A message may carry one empty element of :data:`NS_CHATSTATES` telling the recipient the
sender's state in the conversation: ``<active/>``, ``<composing/>``, ``<paused/>``,
``<inactive/>`` or ``<gone/>`` (:class:`ChatState`, §2).  It rides either on a *content
message* (one with a body or other content, where it should be ``<active/>``) or alone in a
*standalone notification* (nothing but the state, and the ``<thread/>`` when threads are
used).  An entity that supports the protocol advertises :data:`NS_CHATSTATES` as a
disco#info feature (§4).

Checked on every parse and construction: a :class:`ChatStateNotification` is one of the
five names and holds nothing (no attributes, children or text; the schema says the same).
:func:`chat_state` reads the state of a message and refuses one carrying several (§5.6: a
message holds at most one element of the namespace).  :func:`with_chat_state` sets the
state of a message to send: it replaces any state already there, so the rule holds, and
refuses an error message (a bounce echoes what was sent; it announces nothing).

Left to the caller, since each is a SHOULD or depends on the conversation rather than the
stanza: that the message type is ``chat`` or ``groupchat`` (§5.4, so a ``normal`` message
with a state is read, not refused); that a content message carries ``<active/>`` rather
than another state, and that a standalone notification is not ``<active/>`` (§5.6); that
a standalone notification is not repeated (§5.3); that no ``<gone/>`` is sent in a room
(§5.5).  A state without a body is the standalone notification itself, so it is allowed.
The namespace is never to be used outside ``<message/>`` (§5.4); a presence or iq carrying
one is read as any stanza with an extension, since the stanza classes are not this
module's to change, and :func:`chat_state` reads messages only.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Final

from xepcodec.core.stanzas import Message, MessageType
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.model import element, local_name

__all__ = [
    "NS_CHATSTATES",
    "ChatState",
    "ChatStateNotification",
    "chat_state",
    "with_chat_state",
]

#: The namespace of the five states, which is also the disco#info feature of an entity
#: that supports them (§4).
NS_CHATSTATES: Final = "http://jabber.org/protocol/chatstates"


class ChatState(enum.StrEnum):
    """The five states (§2): the first three are about the conversation as a whole,
    ``composing`` and ``paused`` about its input area."""

    ACTIVE = "active"
    """Taking part in the conversation."""
    COMPOSING = "composing"
    """Writing a message."""
    PAUSED = "paused"
    """Was writing, and has stopped for a while."""
    INACTIVE = "inactive"
    """Has not been taking part for a while."""
    GONE = "gone"
    """Has left the conversation."""


@element(NS_CHATSTATES, tuple(state.value for state in ChatState))
class ChatStateNotification:
    """One of the five empty state elements; ``state`` is its name."""

    state: ChatState = local_name()


def chat_state(message: Message) -> ChatState | None:
    """The chat state ``message`` carries, or None when it carries none.

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``) when it carries more than
    one element of the namespace (XEP-0085 §5.6)."""
    if not isinstance(message, Message):
        raise ArgumentTypeError(f"chat_state reads a Message, not {type(message).__name__}")
    found: tuple[ChatStateNotification, ...] = message.find_all(ChatStateNotification)
    if not found:
        return None
    if len(found) > 1:
        names = ", ".join(f"<{item.state}/>" for item in found)
        raise ParseError(f"a message carries at most one chat state, but this one carries "
                         f"{len(found)}: {names} (XEP-0085 §5.6)",
                         path=f"/message/{found[1].state}")
    return found[0].state


def with_chat_state(message: Message, state: ChatState | str) -> Message:
    """``message`` carrying ``state``, in place of any chat state it carried.

    Give a message of type ``chat`` or ``groupchat`` (§5.4 advises no other, which is
    left to the caller); a content message should carry :attr:`ChatState.ACTIVE` (§5.6)."""
    if not isinstance(message, Message):
        raise ArgumentTypeError(f"a chat state goes on a Message, not "
                                f"{type(message).__name__}")
    try:
        notification = ChatStateNotification(state=ChatState(state))
    except ValueError:
        raise ArgumentValueError(f"a chat state is one of "
                                 f"{', '.join(s.value for s in ChatState)}, not {state!r}"
                                 ) from None
    if message.type is MessageType.ERROR:
        raise ArgumentValueError("an error message carries no chat state of its own")
    kept = tuple(item for item in message.extensions
                 if not isinstance(item, ChatStateNotification))
    return dataclasses.replace(message, extensions=(*kept, notification))
