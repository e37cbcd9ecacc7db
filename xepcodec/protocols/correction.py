"""Last message correction (XEP-0308): a message that replaces one sent before.

A client that lets its user correct the message just sent sends the corrected message
again, under an id of its own, with an empty ``<replace/>`` (:class:`Replace`) naming the
id of the message it corrects; the recipient shows the new payloads in place of the old
ones (§3).  A message corrected several times is named by the id of the *original* each
time, not by that of the correction before (§4).  A client supporting corrections
advertises :data:`NS_CORRECTION` as a disco#info feature (§2).

Rules checked on every parse and construction: ``<replace/>`` has a non-empty ``id``
and holds nothing.  :func:`read_correction` checks the message around it: at most one
``<replace/>``, and the correction has an id of its own, other than the id it replaces
(§3: it is sent "with a new id"; §4: a client that allows corrections sends ids).
:func:`correction` builds a correction under the same rules, and :func:`corrects` tells
whether a received correction may replace a received message: same id named, same type,
and the same sender (the bare JID in a direct chat, the full JID from a room's occupant,
§4).  Which payloads a correction may replace, and that a room's occupant is still the
same person, are the caller's to judge.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from xepcodec.core.stanzas import Message, MessageType
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.model import attr, element
from xepcodec.model.values import String

__all__ = ["NS_CORRECTION", "Replace", "correction", "corrects", "read_correction"]

#: The namespace of ``<replace/>``, which is also the disco#info feature of a client that
#: supports corrections (§2).
NS_CORRECTION: Final = "urn:xmpp:message-correct:0"


@element(NS_CORRECTION, "replace")
class Replace:
    """The message carrying this element corrects the message whose id is ``id``: the
    original one, however many times it was corrected since."""

    id: str = attr(value=String(min_length=1))


def read_correction(message: Message) -> str | None:
    """The id of the message ``message`` corrects, or None when it corrects none.

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``) when it carries several
    ``<replace/>``, or has no id of its own, or the id it replaces (§3, §4)."""
    if not isinstance(message, Message):
        raise ArgumentTypeError(f"read_correction reads a Message, not "
                                f"{type(message).__name__}")
    found: tuple[Replace, ...] = message.find_all(Replace)
    if not found:
        return None
    if len(found) > 1:
        raise ParseError(f"a message corrects one message, but this one carries "
                         f"{len(found)} <replace/> (XEP-0308 §3)", path="/message/replace")
    replaced = found[0].id
    if message.id is None:
        raise ParseError(f"a correction of {replaced!r} has no id of its own: a client that "
                         "corrects messages sends ids (XEP-0308 §4)", path="/message/@id")
    if message.id == replaced:
        raise ParseError(f"a correction of {replaced!r} is sent under a new id, not the one "
                         "it replaces (XEP-0308 §3)", path="/message/@id")
    return replaced


def correction(message: Message, *, replaces: str) -> Message:
    """``message`` as a correction of the message whose id is ``replaces`` (give the
    original's id, however many times it was corrected): the same message with a
    ``<replace/>`` added.  ``message`` is the whole corrected message, with the payloads
    of the original that stay (§4) and an id of its own."""
    if not isinstance(message, Message):
        raise ArgumentTypeError(f"a correction is a Message, not {type(message).__name__}")
    if not isinstance(replaces, str) or not replaces:
        raise ArgumentValueError(f"the id of the message corrected is a non-empty str, not "
                                 f"{replaces!r}")
    if message.type is MessageType.ERROR:
        raise ArgumentValueError("an error message corrects nothing")
    if message.find(Replace) is not None:
        raise ArgumentValueError("the message already carries a <replace/>: a message "
                                 "corrects one message (XEP-0308 §3)")
    if message.id is None or message.id == replaces:
        raise ArgumentValueError(f"a correction of {replaces!r} needs an id of its own, "
                                 f"other than {replaces!r} (XEP-0308 §3, §4)")
    return dataclasses.replace(message, extensions=(*message.extensions,
                                                    Replace(id=replaces)))


def corrects(correction: Message, original: Message, *, occupant: bool = False) -> bool:
    """Whether ``correction`` may replace ``original`` as XEP-0308 §4 allows: it names
    ``original``'s id, is of the same type (a correction does not change the nature of a
    message), and comes from the same sender: the same full JID from a room (a
    ``groupchat`` message, or ``occupant`` for a private message from an occupant), the
    same bare JID otherwise.  A malformed correction (see :func:`read_correction`) raises
    its :class:`~xepcodec.errors.ParseError`."""
    if not isinstance(original, Message):
        raise ArgumentTypeError(f"corrects compares with a Message, not "
                                f"{type(original).__name__}")
    replaced = read_correction(correction)
    if replaced is None or replaced != original.id \
            or _kind(correction) is not _kind(original):
        return False
    sender, first = correction.from_, original.from_
    if sender is None or first is None:
        # No 'from' is the account itself (RFC 6120 §8.1.2.1): the same sender only when
        # neither message has one.
        return sender == first
    if occupant or correction.type is MessageType.GROUPCHAT:
        return sender == first
    return sender.bare == first.bare


def _kind(message: Message) -> MessageType:
    # A message without a type is a normal one (RFC 6121 §5.2.2).
    return MessageType.NORMAL if message.type is None else message.type
