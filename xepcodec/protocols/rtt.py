"""In-band real-time text (XEP-0301): a message shown to its reader while it is typed.

While a user composes a message, the client sends, about every 700 ms, a ``<message/>``
carrying one ``<rtt/>`` (:class:`Rtt`) that says how the text being typed changed since
the last one; the finished message still arrives as an ordinary ``<body/>``, which
supersedes the real-time text.  An ``<rtt/>`` carries a sequence number (``seq``), an
``event`` and, when it edits an already delivered message (XEP-0308), that message's
``id``; its children are *action elements*, applied in order:

* ``<t p='…'>text</t>`` (:class:`Insert`): insert text at a position (at the end
  without ``p``); an empty one only moves the sender's cursor;
* ``<e p='…' n='…'/>`` (:class:`Erase`): erase ``n`` characters (1 without ``n``)
  *before* a position (the end without ``p``), as a backspace does;
* ``<w n='…'/>`` (:class:`Wait`): pause ``n`` milliseconds before the next action, to
  play the sender's typing back at its own pace.

A *character* is one Unicode code point, which is what indexing a Python ``str``
counts: :func:`apply_actions` applies one ``<rtt/>``'s actions to a text, following the
recipient's rules of XEP-0301 §4.6 (positions beyond the text are clipped to its end,
excess backspaces are ignored: it never fails), and :func:`diff_actions` gives the
actions turning one text into another, as a sender that watches its input field does
(§7.3.1).  :func:`read_rtt` and :func:`rtt_message` read and build the messages.  Which
``<rtt/>`` to apply, and when, is the business of the sender and receiver machines in
:mod:`xepcodec.machines.rtt`.

Rules checked on every parse and construction: ``seq`` is from 0 to 2**31 - 1 (§4.2.1);
positions, counts and waits are not negative (§4.6.2); ``init`` and ``cancel`` carry no
child at all (§4.2.2: the element is empty when the event allows no actions) and no
``id``, which names the message a real-time message edits (§4.2.3, §7.5.3), and
those two events concern the real-time text of the whole chat, not a message; an ``id``
is not empty.  An ``event`` XEP-0301 does not define is read, kept and written back as
the plain ``str`` received (the XEP asks a recipient to ignore such an ``<rtt/>``, not the
message carrying it, §4.2.2), and the rules above leave it alone; :attr:`Rtt.kind` is None
for it.  :func:`read_rtt` checks that a message carries at most one ``<rtt/>``
(§4.1) and never both ``<rtt/>`` and a XEP-0308 ``<replace/>`` (§7.5.3).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanzas import Body, Message, MessageType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.model import attr, children, element, extensions, text
from xepcodec.model.values import STRING, Integer, String, Value
from xepcodec.protocols.correction import Replace

__all__ = [
    "MAX_SEQ",
    "NS_RTT",
    "Action",
    "Erase",
    "Insert",
    "Rtt",
    "RttEvent",
    "Wait",
    "apply_actions",
    "diff_actions",
    "read_rtt",
    "rtt_message",
]

#: The namespace of ``<rtt/>``, which is also the disco#info feature of a client that
#: supports real-time text (§5).
NS_RTT: Final = "urn:xmpp:rtt:0"
#: The largest ``seq``: the positive range of a signed 32-bit integer (§4.2.1).
MAX_SEQ: Final = 2**31 - 1

_NON_NEGATIVE: Final = Integer(minimum=0)


class RttEvent(enum.StrEnum):
    """What an ``<rtt/>`` does (§4.2.2)."""

    #: begin a new real-time message: the actions apply to an empty text
    NEW = "new"
    #: the same as ``new`` to a recipient; a sender uses it to retransmit the whole
    #: message it is typing (a message refresh, §4.7.3)
    RESET = "reset"
    #: change the current real-time message (what an ``<rtt/>`` without ``event`` does)
    EDIT = "edit"
    #: the sender turns real-time text on; no actions
    INIT = "init"
    #: the sender turns real-time text off; no actions
    CANCEL = "cancel"


#: The events whose ``<rtt/>`` is empty and concerns no message.
_NO_MESSAGE: Final = frozenset({RttEvent.INIT, RttEvent.CANCEL})

# An event XEP-0301 does not define: one run of characters without white space, as the
# schema's OtherEvent says of the raw value.
_OTHER_EVENT: Final = re.compile("[^ \t\r\n]+")


@dataclass(frozen=True, slots=True)
class _EventValue(Value[str]):
    """``event``: the :class:`RttEvent` member for a value XEP-0301 defines, the plain
    ``str`` for any other, kept so that it is written back as received.  A recipient
    ignores an ``<rtt/>`` whose event it does not know (§4.2.2), but the message around
    it, whose ``<body/>`` it still reads, must parse for that."""

    description = "an event (new, reset, edit, init, cancel, or one of a later version)"

    @property
    def exact_type(self) -> type | None:
        return RttEvent

    def parse(self, text: str) -> str:
        try:
            return RttEvent(text)
        except ValueError:
            pass
        if _OTHER_EVENT.fullmatch(text) is None:
            raise ValueError(f"{text!r} is not an event: an event is a non-empty token "
                             "without white space")
        return text

    def format(self, value: str) -> str:
        try:
            event = self.coerce(value)
        except TypeError as error:
            raise ValueError(str(error)) from None
        return STRING.format(str(event))

    def coerce(self, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"expected an RttEvent or a str, not {type(value).__name__}")
        return self.parse(value)


#: How ``event`` is read and written.
_EVENT: Final = _EventValue()


@element(NS_RTT, "t")
class Insert:
    """Insert ``text`` at ``position`` (at the end of the text when None).  An empty
    ``text`` changes nothing: it tells where the sender's cursor is."""

    text: str = text(default="")
    position: int | None = attr("p", value=_NON_NEGATIVE, default=None)


@element(NS_RTT, "e")
class Erase:
    """Erase ``count`` characters (1 when None) before ``position`` (the end of the text
    when None), towards the start of the text, as backspaces do."""

    position: int | None = attr("p", value=_NON_NEGATIVE, default=None)
    count: int | None = attr("n", value=_NON_NEGATIVE, default=None)


@element(NS_RTT, "w")
class Wait:
    """Pause ``milliseconds`` before the next action; changes no text."""

    milliseconds: int = attr("n", value=_NON_NEGATIVE)


#: An action element, one child of ``<rtt/>``.
Action: TypeAlias = Insert | Erase | Wait


@element(NS_RTT, "rtt")
class Rtt:
    """One transmission of real-time text: the change to the sender's message.

    ``event`` is None when the attribute is absent, which XEP-0301 reads as ``edit``
    (see :attr:`kind`); it is kept apart so that an ``<rtt/>`` is written back as it was
    read.  An event XEP-0301 does not define (a later version may) is kept as the plain
    ``str`` received, and :attr:`kind` is None for it: a recipient ignores such an
    ``<rtt/>`` (§4.2.2), and the rules below, which are about the known events, leave it
    alone.  ``id`` is the id of the delivered message being corrected (XEP-0308), None
    while composing a new one.  ``actions`` are the action elements in the order the
    sender gave them.  ``extensions`` holds the elements of other namespaces among them,
    which XEP-0301 asks a recipient to pass over while still applying the actions around
    them (§4.6.1); they are written back after the actions.
    """

    seq: int = attr(value=Integer(minimum=0, maximum=MAX_SEQ))
    event: RttEvent | str | None = attr(value=_EVENT, default=None)
    id: str | None = attr(value=String(min_length=1), default=None)
    actions: tuple[Action, ...] = children(Insert, Erase, Wait)
    extensions: tuple[Any, ...] = extensions(foreign_only=True)

    def __post_init__(self) -> None:
        if self.event in _NO_MESSAGE:
            if self.actions or self.extensions:
                raise ValueError(f"an <rtt event='{self.event}'/> is empty, but this one holds "
                                 f"{len(self.actions) + len(self.extensions)} element(s); only "
                                 "new, reset and edit carry actions (XEP-0301 §4.2.2)")
            if self.id is not None:
                raise ValueError(f"an <rtt event='{self.event}'/> turns real-time text on or "
                                 "off for the chat and names no message, but this one has the "
                                 f"id {self.id!r} (XEP-0301 §4.2.2, §4.2.3)")

    @property
    def kind(self) -> RttEvent | None:
        """The event, ``edit`` when the attribute is absent, None when it is one XEP-0301
        does not define (which a recipient ignores, §4.2.2)."""
        if self.event is None:
            return RttEvent.EDIT
        return self.event if isinstance(self.event, RttEvent) else None


# -- the text arithmetic --------------------------------------------------------------------


def apply_actions(text: str, actions: Sequence[Action]) -> str:
    """``text`` after the ``actions`` of one ``<rtt/>``, applied in order.

    Positions and counts are in code points, which is what indexing a ``str`` counts
    (§4.8.1).  It never fails on positions or counts out of range, doing what §4.6 asks
    of a recipient: a position beyond the text is the end of the text, an erase of more
    characters than stand before its position erases back to the start only, and no
    modification reaches outside the text.  :class:`Wait` changes nothing here (when to
    apply what is the caller's choice).  The text is not normalized: both ends count the
    code points as sent, or their positions would no longer agree.
    """
    for action in actions:
        if isinstance(action, Insert):
            at = _position(text, action.position)
            text = text[:at] + action.text + text[at:]
        elif isinstance(action, Erase):
            end = _position(text, action.position)
            count = 1 if action.count is None else action.count
            text = text[:max(end - count, 0)] + text[end:]
        elif not isinstance(action, Wait):
            raise ArgumentTypeError(f"apply_actions applies Insert, Erase and Wait actions, "
                                    f"not a {type(action).__name__}")
    return text


def _position(text: str, position: int | None) -> int:
    # No position is the end of the text; one beyond it is clipped to it (§4.6.2).  The
    # classes refuse negative positions, which §4.6.2 would have clipped to 0.
    return len(text) if position is None else min(position, len(text))


def diff_actions(old: str, new: str) -> tuple[Action, ...]:
    """The actions that turn ``old`` into ``new``: an :class:`Erase` of what changed,
    then an :class:`Insert` of what replaces it, either left out when there is nothing
    to erase or insert; ``()`` when the texts are equal.

    The changed span is what remains between the longest common prefix and the longest
    common suffix, widened, as §4.8.2 asks of a sender, so that it never begins or ends
    inside a combining character sequence: a change to an accent erases and reinserts
    the accented letter whole.  Attributes are left out where their default holds: an
    erase or insert at the end of the text has no ``p``, an erase of one character no
    ``n``.
    """
    if old == new:
        return ()
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    while prefix > 0 and (_is_mark(old, prefix) or _is_mark(new, prefix)):
        prefix -= 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    while suffix > 0 and _is_mark(old, len(old) - suffix):
        suffix -= 1
    erased = len(old) - prefix - suffix
    inserted = new[prefix:len(new) - suffix]
    actions: list[Action] = []
    if erased:
        actions.append(Erase(position=None if suffix == 0 else prefix + erased,
                             count=None if erased == 1 else erased))
    if inserted:
        actions.append(Insert(text=inserted, position=None if suffix == 0 else prefix))
    return tuple(actions)


def _is_mark(text: str, index: int) -> bool:
    # A combining mark (general category M) continues the sequence of the character
    # before it.
    return index < len(text) and unicodedata.category(text[index]).startswith("M")


# -- messages -------------------------------------------------------------------------------


def read_rtt(message: Message) -> Rtt | None:
    """The ``<rtt/>`` ``message`` carries, or None when it carries none.

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``) when the message
    carries several (§4.1) or carries a XEP-0308 ``<replace/>`` too: real-time text
    about a correction travels in messages of its own (§7.5.3)."""
    if not isinstance(message, Message):
        raise ArgumentTypeError(f"read_rtt reads a Message, not {type(message).__name__}")
    found: tuple[Rtt, ...] = message.find_all(Rtt)
    if not found:
        return None
    if len(found) > 1:
        raise ParseError(f"a message carries at most one <rtt/> (XEP-0301 §4.1), but this "
                         f"one carries {len(found)}", path="/message/rtt")
    if message.find(Replace) is not None:
        raise ParseError("a message never carries both <rtt/> and a XEP-0308 <replace/> "
                         "(XEP-0301 §7.5.3)", path="/message/replace")
    return found[0]


def rtt_message(to: JID | str, rtt: Rtt, *, body: str | None = None,
                type: MessageType | str = MessageType.CHAT, id: str | None = None,
                from_: JID | None = None, namespace: str = CLIENT) -> Message:
    """A message to ``to`` carrying ``rtt``, and the finished ``body`` when the message
    it completes is done (§4.4: the body supersedes the real-time text).  ``type`` is
    ``chat`` by default, ``groupchat`` in a room that allows the extension (§5.1)."""
    if not isinstance(rtt, Rtt):
        raise ArgumentTypeError(f"rtt_message carries an Rtt, not {rtt.__class__.__name__}")
    try:
        kind = MessageType(type)
    except ValueError:
        raise ArgumentValueError(f"{type!r} is not a message type") from None
    return Message(namespace=namespace, type=kind, to=_jid(to), from_=from_,
                   id=id, bodies=() if body is None else (Body(text=body),),
                   extensions=(rtt,))


def _jid(value: JID | str) -> JID:
    if isinstance(value, JID):
        return value
    if isinstance(value, str):
        return JID.parse(value)
    raise ArgumentTypeError(f"a message goes to a JID or a str, not {value.__class__.__name__}")
