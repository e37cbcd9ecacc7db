"""Server to Server over STANAG 5066 ARQ (XEP-0365): HF radio links, and thinning
the traffic sent over them.

XEP-0365 runs a zero-handshake link (XEP-0361, see
:mod:`xepcodec.protocols.zero_handshake`) over the streaming service of SLEP, above a
STANAG 5066 data link: HF radio, from 75 bit/s up, with delays counted in seconds or
minutes.  Three of its rules touch what a library can do:

* SLEP compression is mandatory.  The session
  (:class:`xepcodec.machines.zero_handshake.ZeroHandshakeSession`) is sans-IO and
  writes plain XML; the caller's SLEP layer compresses it (``docs/hf-radio.md`` shows
  the gain, measured with DEFLATE as a stand-in).
* Whitespace keep-alives are not recommended; the session sends none.
* The sending server may thin its traffic, dropping stanzas that add too little for
  the bandwidth they take (chat state notifications, the XEP says) and stripping
  elements such as XHTML-IM.  That is :func:`optimise`, ruled by a
  :class:`TrafficPolicy`.

What :func:`optimise` does, each rule a flag of the policy, all on by default:

``drop_chat_states``
    A message that is a standalone chat state notification (XEP-0085: a chat state
    element, at most a ``<thread/>`` beside it, no body, no subject) is dropped.
``strip_chat_states``
    A message with a body loses its chat state element.  Besides the bytes, it stops
    the conversation's notifications at the source: XEP-0085 has a contact that
    receives content messages without chat states send none in turn.
``strip_presentation``
    Presentation that duplicates a text the stanza carries anyway is removed: XHTML-IM
    (XEP-0071) from a message with a body or a presence with a status, and XEP-0394
    message markup from a message with a body.  The plain text is the meaning
    (XEP-0071 says so of the body); the markup only styles it.

And what it never touches: iqs (a request must be answered, RFC 6120 §8.2.3, and an
answer is awaited: a dropped ``urn:xmpp:ping`` request would read as a dead link),
error stanzas, bodies, subjects, threads, receipts, and every payload it does not
know.  A message is dropped only when nothing but a chat state (and its thread) is in
it.  Keep-alives are no rule here: whitespace pings are not stanzas (the session's
reader drops them and the session writes none), and ping iqs are requests.

:data:`RECOMMENDED_SAP` is the STANAG 5066 service access point XEP-0365 recommends.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final, TypeVar

from xepcodec.core.stanzas import Iq, Message, MessageType, Presence, PresenceType
from xepcodec.errors import ArgumentTypeError
from xepcodec.model import XmlFragment
from xepcodec.model.codec import codec_of
from xepcodec.protocols.chatstates import NS_CHATSTATES, ChatStateNotification

__all__ = [
    "NS_CHATSTATES",
    "NS_MARKUP",
    "NS_XHTML_IM",
    "PRESENTATION_NAMESPACES",
    "RECOMMENDED_SAP",
    "TrafficPolicy",
    "optimise",
]

#: The STANAG 5066 SAP (service access point) STANAG 5066 assigns to XEP-0365; any
#: value both ends agree on may be used instead.
RECOMMENDED_SAP: Final = 6

#: XHTML-IM (XEP-0071), the formatted copy of a message body or presence status.
NS_XHTML_IM: Final = "http://jabber.org/protocol/xhtml-im"
#: Message Markup (XEP-0394), styling spans laid over the body.
NS_MARKUP: Final = "urn:xmpp:markup:0"
#: The payloads :attr:`TrafficPolicy.strip_presentation` removes, with the stanza
#: text each one styles (which must be there for it to go).
PRESENTATION_NAMESPACES: Final = frozenset({NS_XHTML_IM, NS_MARKUP})

S = TypeVar("S", Message, Presence, Iq)


@dataclasses.dataclass(frozen=True, slots=True)
class TrafficPolicy:
    """Which of :func:`optimise`'s rules apply; each is on unless turned off (see the
    module documentation for what each does)."""

    drop_chat_states: bool = True
    strip_chat_states: bool = True
    strip_presentation: bool = True

    def __post_init__(self) -> None:
        for each in dataclasses.fields(self):
            value = getattr(self, each.name)
            if not isinstance(value, bool):
                raise ArgumentTypeError(f"TrafficPolicy.{each.name} must be a bool, not "
                                        f"{type(value).__name__}")


def optimise(stanza: S, policy: TrafficPolicy = TrafficPolicy()) -> S | None:
    """``stanza`` as it should go over a narrow link under ``policy``: None when it is
    not worth sending, the same object when nothing is to change, else a copy without
    the payloads the policy strips."""
    if not isinstance(policy, TrafficPolicy):
        raise ArgumentTypeError(f"optimise() takes a TrafficPolicy, not "
                                f"{type(policy).__name__}")
    if isinstance(stanza, Message):
        return _message(stanza, policy)
    if isinstance(stanza, Presence):
        return _presence(stanza, policy)
    if isinstance(stanza, Iq):
        return stanza  # requests are answered and answers awaited: never touched
    raise ArgumentTypeError(f"optimise() takes a message, presence or iq, not "
                            f"{type(stanza).__name__}")


def _message(message: Message, policy: TrafficPolicy) -> Message | None:
    if message.type == MessageType.ERROR:
        return message
    has_body = bool(message.bodies)
    states: tuple[ChatStateNotification, ...] = message.find_all(ChatStateNotification)
    if policy.drop_chat_states and states and len(states) == len(message.extensions) \
            and not has_body and not message.subjects:
        return None
    if not has_body:
        # What is stripped below qualifies a body; without one it may be all there is.
        return message
    drop: set[str] = set()
    if policy.strip_chat_states:
        drop.add(NS_CHATSTATES)
    if policy.strip_presentation:
        drop |= PRESENTATION_NAMESPACES
    return _without(message, drop)


def _presence(presence: Presence, policy: TrafficPolicy) -> Presence:
    if presence.type == PresenceType.ERROR or not presence.statuses \
            or not policy.strip_presentation:
        return presence
    return _without(presence, {NS_XHTML_IM})


def _without(stanza: S, namespaces: set[str]) -> S:
    kept = tuple(item for item in stanza.extensions if _namespace(item) not in namespaces)
    if len(kept) == len(stanza.extensions):
        return stanza
    return dataclasses.replace(stanza, extensions=kept)


def _namespace(item: Any) -> str | None:
    """The namespace of a payload, raw or typed (None when a typed class may be written
    in several and the object does not say which)."""
    if isinstance(item, XmlFragment):
        return item.namespace
    try:
        spaces = codec_of(type(item)).possible_namespaces(item)
    except TypeError:  # not a declared element: nothing this module knows
        return None
    return spaces[0] if len(spaces) == 1 else None
