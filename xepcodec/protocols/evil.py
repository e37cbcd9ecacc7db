"""Malicious Stanzas (XEP-0076): the evil flag, finding it, and filtering on it.

XEP-0076 is an April-first specification modelled on RFC 3514's "evil bit": an entity
that sends a stanza with malicious intent marks it with the empty ``<evil/>`` element of
``http://jabber.org/protocol/evil``.  A message or presence carries the flag among its
payloads; an iq carries it inside its payload, as the XEP's example nests it in a
``jabber:iq:version`` answer.  The XEP asks careful applications to ignore flagged
stanzas.

What this module gives:

* :class:`Evil`, the element;
* :func:`is_evil`, which finds the flag at any depth: in a typed stanza or payload, in
  typed children of typed children, inside raw XML the model keeps as
  :class:`~xepcodec.model.XmlFragment`, in an lxml tree, or in serialized bytes (where a
  scan of the raw bytes answers most inputs without parsing them);
* :func:`filter_stanza`, a stateless receive filter: evil messages and presences are
  dropped, an evil iq ``get`` or ``set`` is answered with a ``policy-violation`` error
  (RFC 6120 §8.2.3 forbids leaving a request unanswered), an evil iq ``result`` or
  ``error`` is dropped (RFC 6120 §8.3.1 forbids answering those);
* :func:`mark_evil`, for the sending side the XEP describes;
* :data:`FEATURE`, the disco#info feature.  The XEP says *evil entities* advertise it:
  an entity that merely filters evil stanzas should not.

The filter needs no state, so it is a function rather than a machine.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, Final, TypeVar

from lxml import etree

from xepcodec.core.stanza_errors import Condition, StanzaError
from xepcodec.core.stanzas import Iq, IqType, Message, Presence, error_reply
from xepcodec.errors import ArgumentTypeError
from xepcodec.model import XmlFragment, element, is_element, walk
from xepcodec.xml import DEFAULT_LIMITS, Limits, parse_xml

__all__ = [
    "DEFAULT_REFUSAL_TEXT",
    "EVIL_TAG",
    "FEATURE",
    "NS_EVIL",
    "Action",
    "Evil",
    "Verdict",
    "filter_stanza",
    "is_evil",
    "mark_evil",
]

#: The namespace of the evil element.
NS_EVIL: Final = "http://jabber.org/protocol/evil"
#: The disco#info feature an evil entity advertises (XEP-0076 §4): the namespace itself.
FEATURE: Final = NS_EVIL
#: The evil element's name in Clark notation, as lxml spells tags.
EVIL_TAG: Final = f"{{{NS_EVIL}}}evil"
#: The text put in the error that refuses an evil request, unless the caller gives another.
DEFAULT_REFUSAL_TEXT: Final = "stanzas flagged as evil (XEP-0076) are not processed here"

_NS_BYTES: Final = NS_EVIL.encode("ascii")
_NAME_BYTES: Final = b"evil"
# A character reference can spell any character of the namespace in an attribute value;
# the predefined entity references stand for < > & ' " only, none of which it contains.
_CHAR_REF_BYTES: Final = b"&#"

S = TypeVar("S", bound=Message | Presence)


@element(NS_EVIL, "evil")
class Evil:
    """The evil flag: an empty element with no attributes, children or text."""


# -- finding the flag ------------------------------------------------------------------


def is_evil(stanza: Any, *, limits: Limits = DEFAULT_LIMITS) -> bool:
    """Whether ``stanza`` carries an ``<evil/>`` element at any depth, itself included.

    ``stanza`` may be:

    * a typed object (a stanza, a payload, an :class:`Evil`): every child and extension
      field is searched, typed children of typed children included, and raw
      :class:`~xepcodec.model.XmlFragment` payloads are searched inside;
    * an XmlFragment or an lxml element: the whole subtree is searched;
    * serialized XML (``bytes`` or ``str``), one document.

    For serialized XML the raw text is scanned first.  An ``<evil/>`` element needs the
    name ``evil`` written out, and its namespace declared in an attribute, where in
    restricted XML it can only appear literally or spelled with character references:
    input holding neither the namespace nor a character reference cannot contain the
    element, and the answer is False without parsing.  Otherwise the input is read as
    restricted XML (within ``limits``) and searched, not guessed at from the text (the
    namespace quoted in a message body is not the element).  The answer is exact for
    every input that is restricted XML.  Input that is not raises
    :class:`~xepcodec.errors.ParseError` when it has to be read, and is answered False
    unread when the scan settles it.
    """
    if isinstance(stanza, bytes | bytearray):
        data = bytes(stanza)
        if _NAME_BYTES not in data or (_NS_BYTES not in data
                                       and _CHAR_REF_BYTES not in data):
            return False
        return _tree_is_evil(parse_xml(data, limits))
    if isinstance(stanza, str):
        if "evil" not in stanza or (NS_EVIL not in stanza and "&#" not in stanza):
            return False
        return _tree_is_evil(parse_xml(stanza, limits))
    if isinstance(stanza, etree._Element):
        return _tree_is_evil(stanza)
    return _object_is_evil(stanza)


def _tree_is_evil(node: etree._Element) -> bool:
    return next(node.iter(EVIL_TAG), None) is not None


def _object_is_evil(root: Any) -> bool:
    if not (is_element(root) or isinstance(root, XmlFragment)):
        raise ArgumentTypeError(
            "is_evil reads a declared element object, an XmlFragment, an lxml element, "
            f"bytes or str, not {type(root).__name__}")
    return any(isinstance(item, Evil)
               or (isinstance(item, XmlFragment) and item.contains(EVIL_TAG))
               for item in walk(root))


# -- the sending side ---------------------------------------------------------------------


def mark_evil(stanza: S) -> S:
    """``stanza`` with the evil flag among its payloads, as XEP-0076 §3 asks of an evil
    sender; a stanza already flagged at its top level is returned unchanged.

    Only messages and presences carry the flag directly.  An iq get or set has exactly
    one payload (RFC 6120 §8.2.3), so an evil iq carries the flag inside that payload,
    which only the payload's own protocol can place; this function refuses an iq.
    """
    if not isinstance(stanza, Message | Presence):
        raise ArgumentTypeError("only a message or presence carries the evil flag among its "
                                "payloads; an iq carries it inside its one payload")
    if any(isinstance(item, Evil) for item in stanza.extensions):
        return stanza
    return dataclasses.replace(stanza, extensions=(*stanza.extensions, Evil()))


# -- the receive filter -------------------------------------------------------------------


class Action(enum.StrEnum):
    """What the receiver does with a stanza."""

    #: Process it as usual: it is not flagged.
    DELIVER = "deliver"
    #: Discard it without an answer.
    DROP = "drop"
    #: Discard it and send :attr:`Verdict.reply` to its sender.
    REPLY = "reply"


@dataclasses.dataclass(frozen=True, slots=True)
class Verdict:
    """The filter's decision about one stanza.

    ``reply`` is the error to send back, present exactly when ``action`` is
    :attr:`Action.REPLY`; ``reason`` says in a sentence why the decision was taken.
    """

    action: Action
    reason: str
    reply: Iq | None = None

    def __post_init__(self) -> None:
        if (self.action is Action.REPLY) != (self.reply is not None):
            raise ValueError("a verdict carries a reply exactly when its action is 'reply'")

    @property
    def deliver(self) -> bool:
        """Whether the stanza should be processed."""
        return self.action is Action.DELIVER


def filter_stanza(stanza: Message | Presence | Iq, *,
                  condition: Condition | str = Condition.POLICY_VIOLATION,
                  text: str | None = DEFAULT_REFUSAL_TEXT) -> Verdict:
    """Decide what a receiver that refuses evil does with ``stanza``.

    * Not flagged: deliver.
    * A flagged message or presence (of any type, errors included): drop.  These
      stanzas expect no answer, and answering evil would only feed it.
    * A flagged iq ``get`` or ``set``: reply with an error.  RFC 6120 §8.2.3 requires an
      answer to every request, so dropping it would leave the requester waiting.  The
      error is ``policy-violation`` (type ``modify``) by default: the request is
      understood and well formed, and it is refused only because local policy is not to
      act on stanzas flagged as malicious, which is what that condition is for (RFC 6120
      §8.3.3.12, which lets the text say what the policy is).  The reply does not echo
      the request's payload, so it carries no evil flag of its own.
    * A flagged iq ``result`` or ``error``: drop.  RFC 6120 §8.3.1 forbids answering
      either with an error, and they are not requests.

    ``condition`` and ``text`` change the error sent; ``text`` None sends none.
    """
    if not isinstance(stanza, Message | Presence | Iq):
        raise ArgumentTypeError(f"filter_stanza decides about a message, presence or iq, not "
                                f"{type(stanza).__name__}")
    if not is_evil(stanza):
        return Verdict(Action.DELIVER, "the stanza carries no evil flag")
    kind = type(stanza).__name__.lower()
    if isinstance(stanza, Iq):
        if stanza.type in (IqType.GET, IqType.SET):
            error = StanzaError.of(condition, text=text)
            return Verdict(Action.REPLY,
                           f"an evil iq {stanza.type} is a request, which RFC 6120 requires "
                           f"to be answered: refused with {error.condition}",
                           reply=error_reply(stanza, error))
        return Verdict(Action.DROP, f"an evil iq {stanza.type} is not a request, and RFC 6120 "
                                    "forbids answering it: dropped")
    return Verdict(Action.DROP, f"an evil {kind} expects no answer: dropped")
