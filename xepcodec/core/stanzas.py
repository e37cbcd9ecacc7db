"""Message, presence and iq (RFC 6120 §8, RFC 6121 §4-5).

Each stanza keeps the namespace it was read in (``jabber:client``, ``jabber:server`` or
``jabber:component:accept``) and writes itself back in it.  Payloads sit in the open
``extensions`` slot, typed when a protocol module declares them, as raw XML otherwise;
``find`` returns the first of a class.  The RFC's rules that the schema cannot say are
checked when a stanza is built or parsed: an iq's id and payload count, and that an
error stanza carries an ``<error/>`` (and only an error stanza does).
"""

from __future__ import annotations

import builtins
import dataclasses
import enum
from typing import Any, Final, TypeVar, overload

from xepcodec.core.namespaces import CLIENT, STANZA_NAMESPACES, XML_LANG
from xepcodec.core.stanza_errors import Condition, ErrorType, StanzaError
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, JIDError, ParseError
from xepcodec.model import attr, child, children, element, text, text_child, xmlns
from xepcodec.model import fields as xf
from xepcodec.model.codec import codec_of
from xepcodec.model.raw import XmlFragment
from xepcodec.model.values import EnumValue, Integer, String
from xepcodec.xml.paths import local_name
from xepcodec.xml.stream import StanzaFailed

__all__ = [
    "Body",
    "Iq",
    "IqType",
    "Message",
    "MessageType",
    "Presence",
    "PresenceType",
    "Show",
    "Status",
    "Subject",
    "Thread",
    "error_reply",
]

T = TypeVar("T")
S = TypeVar("S", "Message", "Presence", "Iq")


class MessageType(enum.StrEnum):
    NORMAL = "normal"
    CHAT = "chat"
    GROUPCHAT = "groupchat"
    HEADLINE = "headline"
    ERROR = "error"


class PresenceType(enum.StrEnum):
    """Presence types; no type at all means available (RFC 6121 §4.7.1)."""

    UNAVAILABLE = "unavailable"
    SUBSCRIBE = "subscribe"
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBE = "unsubscribe"
    UNSUBSCRIBED = "unsubscribed"
    PROBE = "probe"
    ERROR = "error"


class IqType(enum.StrEnum):
    GET = "get"
    SET = "set"
    RESULT = "result"
    ERROR = "error"


#: Iq types that carry exactly one payload, and those that carry at most one.
_REQUESTS: Final = frozenset({IqType.GET, IqType.SET})
_RESPONSES: Final = frozenset({IqType.RESULT, IqType.ERROR})


class Show(enum.StrEnum):
    AWAY = "away"
    CHAT = "chat"
    DND = "dnd"
    XA = "xa"


@element(STANZA_NAMESPACES, "body")
class Body:
    text: str = text()
    lang: str | None = attr(XML_LANG, default=None)


@element(STANZA_NAMESPACES, "subject")
class Subject:
    text: str = text()
    lang: str | None = attr(XML_LANG, default=None)


@element(STANZA_NAMESPACES, "thread")
class Thread:
    id: str = text(value=String(min_length=1))
    parent: str | None = attr(default=None, value=String(min_length=1))


@element(STANZA_NAMESPACES, "status")
class Status:
    text: str = text()
    lang: str | None = attr(XML_LANG, default=None)


class _Stanza:
    """What the three stanzas share: addressing, payload access, the error rule."""

    __slots__ = ()
    # Declared by each stanza class; spelled here for the type checker.
    namespace: str
    to: JID | None
    from_: JID | None
    id: str | None
    type: Any
    extensions: tuple[Any, ...]
    error: StanzaError | None

    def find(self, cls: type[T]) -> T | None:
        """The first payload of class ``cls``, or None."""
        for item in self.extensions:
            if isinstance(item, cls):
                found: T = item
                return found
        return None

    def find_all(self, cls: type[T]) -> tuple[T, ...]:
        """Every payload of class ``cls``, in order."""
        return tuple(item for item in self.extensions if isinstance(item, cls))

    def _check_payloads(self) -> None:
        # An extension element is in another namespace than the stanza's (RFC 6120
        # §8.4); the stanza's own elements have fields of their own.
        own = self.namespace
        for item in self.extensions:
            if isinstance(item, XmlFragment):
                tag = item.tag
                if tag[:1] == "{" and not tag.startswith(own, 1):
                    continue  # the usual raw payload: qualified, by another namespace
                namespace, name = item.namespace, item.name
            else:
                codec = type(item).__dict__.get("__xml_codec__")
                if codec is not None and own not in codec.namespaces:
                    # The usual typed payload: a class declared only in other namespaces.
                    # (Stanzas and errors are declared in every stanza namespace, the
                    # stanza's own among them, so they go on below.)
                    continue
                if isinstance(item, _Stanza | StanzaError):
                    namespace = item.namespace or own
                    name = type(item).__name__.lower().replace("stanzaerror", "error")
                else:
                    # A stanza child (a <body/> among a presence's payloads) is written
                    # in the stanza's namespace wherever it stands.
                    namespace, name = own, codec_of(type(item)).name
            if namespace == own:
                raise ValueError(f"<{type(self).__name__.lower()}/> does not allow the child "
                                 f"<{name}/> of its own namespace {namespace}: payloads are "
                                 "in other namespaces (RFC 6120 §8.4)")
            if not namespace:
                raise ValueError(f"<{type(self).__name__.lower()}/> does not allow the child "
                                 f"<{name}/> in no namespace: payloads are qualified by a "
                                 "namespace of their own (RFC 6120 §8.4)")

    def _check_error_rule(self) -> None:
        self._check_payloads()
        is_error = self.type == "error"
        if is_error and self.error is None:
            raise ValueError("a stanza of type 'error' must carry an <error/> child "
                             "(RFC 6120 §8.3.1)")
        if not is_error and self.error is not None:
            raise ValueError("only a stanza of type 'error' may carry an <error/> child "
                             "(RFC 6120 §8.3.1)")


@element(STANZA_NAMESPACES, "message")
class Message(_Stanza):
    """A message stanza.  ``body`` and ``subject`` read the text without a language (or
    the first one); every translation is in ``bodies`` and ``subjects``."""

    namespace: str = xmlns(CLIENT)
    type: MessageType | None = attr(default=None)
    to: JID | None = attr(default=None)
    from_: JID | None = attr(default=None)
    id: str | None = attr(default=None)
    lang: str | None = attr(XML_LANG, default=None)
    subjects: tuple[Subject, ...] = children(Subject)
    bodies: tuple[Body, ...] = children(Body)
    thread: Thread | None = child(Thread, default=None)
    extensions: tuple[Any, ...] = xf.extensions()
    error: StanzaError | None = child(StanzaError, default=None)

    def __post_init__(self) -> None:
        self._check_error_rule()

    @property
    def body(self) -> str | None:
        return _untranslated(self.bodies)

    @property
    def subject(self) -> str | None:
        return _untranslated(self.subjects)


@element(STANZA_NAMESPACES, "presence")
class Presence(_Stanza):
    """A presence stanza; ``type`` None means available."""

    namespace: str = xmlns(CLIENT)
    type: PresenceType | None = attr(default=None)
    to: JID | None = attr(default=None)
    from_: JID | None = attr(default=None)
    id: str | None = attr(default=None)
    lang: str | None = attr(XML_LANG, default=None)
    show: Show | None = text_child("show", default=None, value=EnumValue(Show))
    statuses: tuple[Status, ...] = children(Status)
    priority: int | None = text_child("priority", default=None,
                                      value=Integer(minimum=-128, maximum=127))
    extensions: tuple[Any, ...] = xf.extensions()
    error: StanzaError | None = child(StanzaError, default=None)

    def __post_init__(self) -> None:
        self._check_error_rule()

    @property
    def status(self) -> str | None:
        return _untranslated(self.statuses)


@element(STANZA_NAMESPACES, "iq")
class Iq(_Stanza):
    """An info/query stanza.

    RFC 6120 §8.2.3: the id is required; a get or set carries exactly one payload; a
    result carries at most one; an error carries an ``<error/>`` and may echo the
    request's payload.  ``payload`` is that element (typed when known).
    """

    namespace: str = xmlns(CLIENT)
    type: IqType = attr()
    id: str = attr(value=String(min_length=1))
    to: JID | None = attr(default=None)
    from_: JID | None = attr(default=None)
    lang: str | None = attr(XML_LANG, default=None)
    extensions: tuple[Any, ...] = xf.extensions()
    error: StanzaError | None = child(StanzaError, default=None)

    def __post_init__(self) -> None:
        count = len(self.extensions)
        if count != 1 and self.type in _REQUESTS:
            raise ValueError(f"an iq of type '{self.type}' must carry exactly one payload "
                             f"element, not {count} (RFC 6120 §8.2.3)")
        if count > 1 and self.type in _RESPONSES:
            raise ValueError(f"an iq of type '{self.type}' carries at most one payload "
                             f"element, not {count} (RFC 6120 §8.2.3)")
        self._check_error_rule()

    @property
    def payload(self) -> Any:
        """The payload element, or None (a bare result)."""
        return self.extensions[0] if self.extensions else None

    def payload_of(self, cls: builtins.type[T], protocol: str) -> T | None:
        """The payload of class ``cls`` a protocol's iq carries, as its ``check_…_iq``
        function starts: a get or set must carry one, and a result one or nothing (a
        :class:`~xepcodec.errors.ParseError` naming ``protocol`` and the element says
        otherwise); an error gives its echoed request only when it is one, and None
        otherwise.  An error's echo is not checked further: it may be anything the
        entity refused."""
        payload: object = self.payload
        if self.type == IqType.ERROR:
            return payload if isinstance(payload, cls) else None
        if self.type == IqType.RESULT and payload is None:
            return None
        if not isinstance(payload, cls):
            codec = codec_of(cls)
            raise ParseError(f"a {protocol} iq of type '{self.type.value}' carries a "
                             f"<{codec.name} xmlns='{codec.namespaces[0]}'/>", path="/iq")
        return payload

    def result(self, payload: Any = None) -> Iq:
        """The result answering this get or set: addresses swapped, id kept."""
        if self.type not in (IqType.GET, IqType.SET):
            raise ArgumentValueError(f"only a get or set is answered with a result, not a "
                                     f"{self.type}")
        return Iq(namespace=self.namespace, type=IqType.RESULT, id=self.id, to=self.from_,
                  from_=self.to, extensions=(payload,) if payload is not None else ())


def _untranslated(items: tuple[Any, ...]) -> str | None:
    for item in items:
        if item.lang is None:
            return str(item.text)
    return str(items[0].text) if items else None


@overload
def error_reply(stanza: S, condition: Condition | str | StanzaError, *,
                type: ErrorType | str | None = None, text: str | None = None,
                include_payload: bool = False) -> S: ...


@overload
def error_reply(stanza: StanzaFailed, condition: Condition | str | StanzaError | None = None,
                *, type: ErrorType | str | None = None,
                text: str | None = None) -> Message | Presence | Iq: ...


def error_reply(stanza: S | StanzaFailed,
                condition: Condition | str | StanzaError | None = None, *,
                type: ErrorType | str | None = None, text: str | None = None,
                include_payload: bool = False) -> Message | Presence | Iq:
    """The error answer to ``stanza`` (RFC 6120 §8.3.1): same kind and id, addresses
    swapped, type ``error``, and the original content only when asked for.

    ``stanza`` may also be the :class:`~xepcodec.xml.StanzaFailed` a
    :class:`~xepcodec.StreamReader` handed over for a stanza it refused: the answer
    is then built from the refused element's name, id and addresses, with the refusal's
    condition unless another is given.  An address that is itself malformed is left
    out of the answer (the answer goes back over the stream it came from).

    Answering an error with an error is refused, as the RFC forbids it (it could loop),
    and so is answering what no stanza error can answer: an element that is not a
    message, presence or iq, or an iq without the id its answer must repeat.  Both
    raise :class:`~xepcodec.errors.ArgumentValueError`.
    """
    if isinstance(stanza, StanzaFailed):
        return _answer_refused(stanza, condition, type=type, text=text)
    if stanza.type == "error":
        raise ArgumentValueError("an error stanza must not be answered with another error "
                                 "(RFC 6120 §8.3.1)")
    if condition is None:
        raise ArgumentValueError("error_reply needs the condition to answer a stanza with")
    error = _stanza_error(condition, type, text)
    kind = stanza.__class__
    changes: dict[str, Any] = {"type": _ERROR_TYPES[kind], "to": stanza.from_,
                               "from_": stanza.to, "error": error}
    if not include_payload:
        changes.update(_CONTENT[kind])
    return dataclasses.replace(stanza, **changes)


def _stanza_error(condition: Condition | str | StanzaError, type: ErrorType | str | None,
                  text: str | None) -> StanzaError:
    if isinstance(condition, StanzaError):
        return condition
    return StanzaError.of(condition, type=type, text=text)


def _answer_refused(failed: StanzaFailed, condition: Condition | str | StanzaError | None, *,
                    type: ErrorType | str | None, text: str | None) -> Message | Presence | Iq:
    element = failed.element
    tag = element.tag if element is not None else None
    kind = _KINDS.get(local_name(tag)) if isinstance(tag, str) else None
    namespace = tag[1:].partition("}")[0] if isinstance(tag, str) and tag[0] == "{" else ""
    if element is None or kind is None or namespace not in STANZA_NAMESPACES:
        what = f"<{local_name(tag)}/>" if isinstance(tag, str) else "the refused element"
        raise ArgumentValueError(f"{what} is not a message, presence or iq: no stanza error "
                                 "answers it")
    if element.get("type") == "error":
        raise ArgumentValueError("an error stanza must not be answered with another error "
                                 "(RFC 6120 §8.3.1)")
    stanza_id = element.get("id")
    if kind is Iq and not stanza_id:
        raise ArgumentValueError("an iq without an id cannot be answered: the answer must "
                                 "repeat it (RFC 6120 §8.2.3)")
    error = _stanza_error(condition if condition is not None else failed.error.condition,
                          type, text)
    answer: Message | Presence | Iq = kind(
        namespace=namespace, type=_ERROR_TYPES[kind], id=stanza_id,
        to=_address(element.get("from")), from_=_address(element.get("to")), error=error)
    return answer


def _address(value: str | None) -> JID | None:
    """A refused stanza's address, or None when it is absent or is what was malformed."""
    if value is None:
        return None
    try:
        return JID.parse(value)
    except JIDError:
        return None


_KINDS: dict[str, Any] = {"message": Message, "presence": Presence, "iq": Iq}
_ERROR_TYPES: dict[type, Any] = {
    Message: MessageType.ERROR, Presence: PresenceType.ERROR, Iq: IqType.ERROR,
}
# What an error reply leaves out unless the original content is asked for.
_CONTENT: dict[type, dict[str, Any]] = {
    Message: {"subjects": (), "bodies": (), "thread": None, "extensions": ()},
    Presence: {"show": None, "statuses": (), "priority": None, "extensions": ()},
    Iq: {"extensions": ()},
}
