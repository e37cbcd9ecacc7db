"""The router's view of a stanza: its addressing at once, its payloads decoded on demand.

A router, a component or a load balancer mostly looks at where a stanza goes, not at
what it carries.  ``xepcodec.parse(data, lazy=True)`` serves it: for a ``<message/>``,
``<presence/>`` or ``<iq/>`` it returns a :class:`LazyStanza` whose addressing
attributes (``namespace``, ``type``, ``id``, ``to``, ``from_``, ``lang``) are typed and
checked as the parse returns (a malformed JID or an unknown type is a
:class:`~xepcodec.errors.ParseError` then, since routing depends on them), and whose
content is the typed stanza decoded the first time :attr:`LazyStanza.stanza` is read.

Reading one part reads only that part: ``payload`` (an iq's), ``find`` and ``find_all``
decode the payloads they return and no other, ``body``/``subject`` (a message's) and
``status`` (a presence's) decode those children only.  Each part is decoded once, by the
decoder the eager parse runs on it, so it is the object the eager stanza holds, and a
part that breaks its protocol's rules raises the eager parse's error for it.  What no
part can say (an iq's count of payloads, an error stanza's ``<error/>``, the stanza's own
children, the other payloads) is checked when ``stanza`` is read.

One verdict: a lazy parse followed by a read of ``stanza`` accepts and refuses exactly
what the eager parse does, with the same object or the same error.  Whenever the quick
reading of the attributes meets anything unusual it hands the element to the eager
decoder, so the errors raised at parse are the eager parse's own; the errors of the
content are raised, as the eager parse raises them, by the first read of ``stanza``.
Each read of a refused stanza raises again; nothing is remembered but a success.

``parse(data, lazy=True, validate=True)`` moves that moment back to the parse: the tree
is checked against the schema catalog and the rules the schemas cannot say
(:func:`xepcodec.validate`) before the lazy stanza is returned, and a refused tree
raises the eager parse's error there.  A checked lazy stanza decodes later without
failing (``validate`` and ``parse`` give one verdict), and costs the check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, cast

from lxml import etree

from xepcodec.core.namespaces import STANZA_NAMESPACES, XML_LANG
from xepcodec.core.stanzas import (
    Body,
    Iq,
    IqType,
    Message,
    MessageType,
    Presence,
    PresenceType,
    Status,
    Subject,
    _untranslated,
)
from xepcodec.datatypes.jid import JID
from xepcodec.errors import XepCodecError
from xepcodec.model import decode, lookup
from xepcodec.model.codec import codec_of, decode_child, runner_for
from xepcodec.model.raw import XmlFragment

if TYPE_CHECKING:
    from xepcodec.core.stanza_errors import StanzaError

__all__ = ["LazyStanza", "parse_lazy"]

S = TypeVar("S", Message, Presence, Iq)
T = TypeVar("T")

# Clark tag of each stanza -> (its class, its namespace, its types by their values); a
# dictionary, as calling an enumeration costs ten times a lookup.
_KINDS: dict[str, tuple[type[Any], str, dict[str, Any]]] = {
    f"{{{namespace}}}{name}": (cls, namespace, {member.value: member for member in types})
    for namespace in STANZA_NAMESPACES
    for name, cls, types in (("message", Message, MessageType),
                             ("presence", Presence, PresenceType),
                             ("iq", Iq, IqType))
}


class _Unusual(Exception):
    """The quick reading of the attributes stops: the eager decoder decides."""


class _Fields:
    """A lazy stanza's slots, writable: the parser fills an instance of this class and
    then makes it a :class:`LazyStanza`, which refuses every assignment (cheaper than
    going through the slots' descriptors one by one)."""

    __slots__ = ("_element", "_parts", "_stanza", "from_", "id", "kind", "lang", "namespace",
                 "to", "type")

    kind: type[Any]
    namespace: str
    type: Any  # MessageType | PresenceType | IqType | None, as on ``kind``
    id: str | None
    to: JID | None
    from_: JID | None
    lang: str | None
    _element: etree._Element | None
    _stanza: Any
    _parts: dict[object, Any] | None  # parts decoded alone: child index or own name -> value


class LazyStanza(_Fields, Generic[S]):
    """A message, presence or iq whose attributes are read and whose content is not yet.

    ``kind`` is the class the stanza decodes to; ``namespace``, ``type``, ``id``,
    ``to``, ``from_`` and ``lang`` are typed as on it.  :attr:`payload_types` says which
    class each payload will decode to without decoding it.  :attr:`stanza` is the typed
    stanza, decoded on first read (a :class:`~xepcodec.errors.ParseError` of its content
    is raised then, unless the parse was asked to ``validate``); ``extensions`` and
    ``error`` read it.  ``payload``, ``find``, ``find_all``, ``body``, ``subject`` and
    ``status`` decode only the part they return (see the module).  A lazy stanza compares
    and hashes as
    its typed stanza, and :func:`xepcodec.serialize` writes the typed stanza's bytes.
    It is immutable.
    """

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a LazyStanza is immutable: {name!r} cannot be set")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a LazyStanza is immutable: {name!r} cannot be deleted")

    @property
    def stanza(self) -> S:
        """The typed stanza, decoded on first read; ParseError if its content breaks a
        rule (the error the eager parse raises for the same input)."""
        stanza: S | None = self._stanza
        if stanza is None:
            element = self._element
            if element is None:  # another thread has just decoded it
                done: S = self._stanza
                return done
            stanza = cast(S, decode(element))
            # Kept only on success: a refused stanza raises again on each read.  The
            # stanza is set before the tree is dropped, so a reader in another thread
            # that finds no tree finds the stanza.
            object.__setattr__(self, "_stanza", stanza)
            object.__setattr__(self, "_element", None)
        return stanza

    @property
    def decoded(self) -> bool:
        """Whether the content has been decoded (read ``stanza`` to decode it)."""
        return self._stanza is not None

    @property
    def payload_types(self) -> tuple[type, ...]:
        """The class of each payload, in order, as ``stanza.extensions`` will hold them
        (:class:`~xepcodec.model.XmlFragment` for XML no protocol declares), found
        from the element names without decoding.  A payload the decoder will refuse is
        not refused here: its class is the one its name is declared for."""
        stanza = self._stanza
        if stanza is not None:
            return tuple(type(item) for item in stanza.extensions)
        element = self._element
        if element is None:  # another thread has just decoded it
            return self.payload_types
        own = f"{{{self.namespace}}}"
        found: list[type] = []
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or tag.startswith(own):
                continue  # the stanza's own children (<body/>, <error/>...) and comments
            found.append(_payload_class(child, tag))
        return tuple(found)

    @property
    def extensions(self) -> tuple[Any, ...]:
        """The typed stanza's payloads (decodes it)."""
        return self.stanza.extensions

    @property
    def error(self) -> StanzaError | None:
        """The typed stanza's ``<error/>`` (decodes it)."""
        return self.stanza.error

    def find(self, cls: type[T]) -> T | None:
        """The first payload of class ``cls``, or None (decodes that payload only)."""
        found = self._payloads(cls, first=True)
        return found[0] if found else None

    def find_all(self, cls: type[T]) -> tuple[T, ...]:
        """Every payload of class ``cls``, in order (decodes those payloads only)."""
        return tuple(self._payloads(cls, first=False))

    @property
    def payload(self) -> Any:
        """An iq's payload, or None for a bare result (decodes that payload only)."""
        self._require(Iq, "payload")
        found = self._payloads(object, first=True)
        return found[0] if found else None

    @property
    def body(self) -> str | None:
        """A message's body without a language, or its first (decodes the bodies only)."""
        return _untranslated(self._own(Message, "bodies", Body, "body"))

    @property
    def subject(self) -> str | None:
        """A message's subject without a language, or its first (decodes the subjects
        only)."""
        return _untranslated(self._own(Message, "subjects", Subject, "subject"))

    @property
    def status(self) -> str | None:
        """A presence's status without a language, or its first (decodes the statuses
        only)."""
        return _untranslated(self._own(Presence, "statuses", Status, "status"))

    def _require(self, kind: type, name: str) -> None:
        if self.kind is not kind:
            raise AttributeError(f"{name!r} is a part of {_NAMED[kind]}, not of "
                                 f"{_NAMED[self.kind]}")

    def _payloads(self, cls: type, *, first: bool) -> list[Any]:
        """The payloads of class ``cls`` in order (only the first one, if ``first``), each
        decoded alone unless the whole stanza is decoded already."""
        stanza = self._stanza
        if stanza is not None:
            items = [item for item in stanza.extensions if isinstance(item, cls)]
            return items[:1] if first else items
        element = self._element
        if element is None:  # another thread has just decoded it
            return self._payloads(cls, first=first)
        own = f"{{{self.namespace}}}"
        found: list[Any] = []
        for index, child in enumerate(element):
            tag = child.tag
            if not isinstance(tag, str) or tag.startswith(own):
                continue  # as payload_types: the stanza's own children, and comments
            if cls is not object and not issubclass(_payload_class(child, tag), cls):
                continue
            found.append(self._part(index, decode_child, child, tag))
            if first:
                break
        return found

    def _own(self, kind: type, field: str, cls: type, name: str) -> tuple[Any, ...]:
        """The stanza's own ``<name/>`` children (its ``field``), decoded alone."""
        self._require(kind, name)
        stanza = self._stanza
        if stanza is not None:
            items: tuple[Any, ...] = getattr(stanza, field)
            return items
        element = self._element
        if element is None:  # another thread has just decoded it
            return self._own(kind, field, cls, name)
        tag = f"{{{self.namespace}}}{name}"
        return cast("tuple[Any, ...]", self._part(name, _decode_each, cls, element, tag))

    def _part(self, key: object, decode_part: Callable[..., Any], *args: Any) -> Any:
        parts = self._parts
        if parts is None:
            parts = {}
            object.__setattr__(self, "_parts", parts)
        part = parts.get(key, _NOT_YET)
        if part is _NOT_YET:
            # Kept only on success, as the stanza is: a refused part raises on each read.
            part = parts[key] = decode_part(*args)
        return part

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyStanza):
            other = other.stanza
        return bool(self.stanza == other)

    def __hash__(self) -> int:
        return hash(self.stanza)

    def __repr__(self) -> str:
        state = "decoded" if self._stanza is not None else "not decoded"
        return (f"LazyStanza({self.kind.__name__}, type={self.type!r}, id={self.id!r}, "
                f"to={self.to!r}, from_={self.from_!r}, {state})")


_new = object.__new__
_NAMED: Final = {Message: "a message", Presence: "a presence", Iq: "an iq"}
_NOT_YET: Final = object()


def _decode_each(cls: type, element: etree._Element, tag: str) -> tuple[Any, ...]:
    """Every ``tag`` child of ``element`` decoded as ``cls``, as the stanza's decoder
    decodes its own children."""
    run = runner_for(codec_of(cls), tag).run
    return tuple(run(child) for child in element.iterchildren(tag))


def _payload_class(child: etree._Element, tag: str) -> type:
    """The class the decoder gives a payload ``child``, decided as it decides it."""
    cls = lookup(tag)
    if cls is None:
        return XmlFragment
    codec = codec_of(cls)
    if codec.follows and not tag.startswith("{" + codec.context_namespace(child) + "}"):
        return XmlFragment  # not this place's element: kept raw, as the decoder keeps it
    return cls


def parse_lazy(root: etree._Element, *, validate: bool = False) -> Any:
    """A :class:`LazyStanza` for a message, presence or iq ``root``; the decoded object
    for any other element.  ``validate`` checks the whole tree now (see the module)."""
    kind = _KINDS.get(root.tag)  # a comment's tag (a function) is simply not found
    if kind is None:
        return decode(root)
    if validate and not _valid(root):
        # decode raises the eager parse's error; if it accepts, its verdict stands.
        return _of_decoded(decode(root))
    cls, namespace, types = kind
    type_ = id_ = to = from_ = lang = None
    items: list[tuple[str, str]] = root.items()  # type: ignore[assignment]  # text in XML
    try:
        for key, raw in items:
            if key == "to":
                to = JID.parse(raw)
            elif key == "from":
                from_ = JID.parse(raw)
            elif key == "id":
                id_ = raw
            elif key == "type":
                type_ = types.get(raw)
                if type_ is None:
                    raise _Unusual
            elif key == XML_LANG:
                lang = raw
            else:
                raise _Unusual
        if cls is Iq and (type_ is None or not id_):
            raise _Unusual
    except (_Unusual, XepCodecError):
        # Something the eager decoder words its own way (and may refuse only after the
        # content): let it decide, so that the error is its error.
        return _of_decoded(decode(root))
    lazy = _new(_Fields)
    lazy.kind = cls
    lazy.namespace = namespace
    lazy.type = type_
    lazy.id = id_
    lazy.to = to
    lazy.from_ = from_
    lazy.lang = lang
    lazy._element = root
    lazy._stanza = None
    lazy._parts = None
    lazy.__class__ = LazyStanza
    return cast("LazyStanza[Any]", lazy)


def _of_decoded(stanza: Any) -> LazyStanza[Any]:
    """A lazy stanza around a stanza decoded already."""
    lazy = _new(_Fields)
    lazy.kind = type(stanza)
    lazy.namespace = stanza.namespace
    lazy.type = stanza.type
    lazy.id = stanza.id
    lazy.to = stanza.to
    lazy.from_ = stanza.from_
    lazy.lang = stanza.lang
    lazy._element = None
    lazy._stanza = stanza
    lazy._parts = None
    lazy.__class__ = LazyStanza
    return cast("LazyStanza[Any]", lazy)


def _valid(root: etree._Element) -> bool:
    # Imported here: the schema catalog is loaded only by those who ask for the check.
    from xepcodec.validation import validate

    return validate(root).ok

