"""The codec of one element class, built once when the class is declared.

A ``Codec`` holds what the declaration says (attributes, text, children by Clark tag,
the open slot) in the shape the compiler (``compiler.py``) turns into a fast decoder
and encoder on first use.  It also holds the careful decoder, ``Codec.explain``: it
reads the same element field by field and, where the element breaks a rule, raises
the ParseError that names the node, the rule and the condition.  The fast decoder
hands over to it at its own first surprise, so every error message is written here
once.  A child's error is final when it reaches the parent (it already names its node),
so the careful path runs once per refused input, not once per level above it.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterable
from typing import Any, Final, cast

from lxml import etree

from xepcodec.errors import ParseError, SerializeError
from xepcodec.model import registry
from xepcodec.model.fields import (
    ANY_NAME,
    SPEC,
    AttrSpec,
    ChildrenSpec,
    ChildSpec,
    ExtensionsSpec,
    FieldSpec,
    FlagSpec,
    LocalNameSpec,
    TextChildrenSpec,
    TextChildSpec,
    TextSpec,
    XmlnsSpec,
)
from xepcodec.model.raw import XmlFragment
from xepcodec.model.values import LANGUAGE, STRING, Value, value_for
from xepcodec.xml.paths import XML_NS, line_of, path_of
from xepcodec.xml.writer import escape_attribute, is_ncname

__all__ = [
    "Codec",
    "Runner",
    "Writer",
    "build_codec",
    "codec_of",
    "decode_child",
    "encode_into",
    "runner_for",
]


# Kinds of child handlers, small ints so the decode loop compares cheaply.
CHILD, CHILDREN, TEXT_CHILD, TEXT_CHILDREN, FLAG, EXTENSIONS = range(6)

_MISSING: Any = dataclasses.MISSING
def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _clark(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}" if namespace else name


def fail(element: etree._Element, message: str, *, condition: str = "bad-request",
         attribute: str | None = None) -> ParseError:
    """A ParseError that names ``element`` (and ``attribute``) by path and line."""
    return ParseError(message, condition=condition, path=path_of(element, attribute),
                      line=line_of(element))


def _located(error: ParseError, element: etree._Element,
             attribute: str | None = None) -> ParseError:
    """``error`` again, with the node's path and line when it had none."""
    if error.path is not None:
        return error
    located = ParseError(error.message, condition=error.condition, stream=error.stream,
                         path=path_of(element, attribute), line=line_of(element))
    located.__cause__ = error
    return located


def _blank(text: str | None) -> bool:
    # XML's own white space only (space, tab, CR, LF): a no-break or ideographic space
    # is text, as the schemas' Blank type says.
    return text is None or not text.strip(" \t\r\n")


@dataclasses.dataclass(slots=True)
class _Attr:
    index: int
    field: str
    xml_name: str  # Clark notation
    written: str  # the name as written: "xml:lang", "p0:name", "node"
    declaration: str  # a namespace declaration the written name needs, or ""
    value: Value[Any]
    required: bool


@dataclasses.dataclass(slots=True)
class _Child:
    kind: int
    index: int
    field: str
    classes: tuple[type, ...] = ()
    namespace: str | None = None  # None: the parent's namespace
    name: str = ""
    value: Value[Any] = STRING
    required: bool = False


class Runner:
    """The compiled decoder of one class for elements in one namespace (and, for a
    class declared under several names, with one of them), compiled on first call: a
    class may name child classes declared after it, and most are never met."""

    __slots__ = ("codec", "local", "namespace", "run")

    def __init__(self, codec: Codec, namespace: str, local: str | None = None) -> None:
        self.codec = codec
        self.namespace = namespace
        self.local = local
        #: decode an element of the class in the namespace (with the local name)
        self.run: Callable[[etree._Element], Any] = self._first_run

    def compiled(self) -> Callable[[etree._Element], Any]:
        """The compiled decoder, compiling it now if it is not yet."""
        if self.run == self._first_run:
            from xepcodec.model.compiler import compile_decoder

            if not self.codec.child_maps:
                finish_codec(self.codec)
            self.run = compile_decoder(self.codec, self.namespace, self.local)
        return self.run

    def _first_run(self, element: etree._Element) -> Any:
        return self.compiled()(element)


class Writer:
    """The compiled encoder of one class for places whose default namespace is known
    (``parent``: a parent's content namespace), compiled on first call.  Knowing the
    place at compile time settles the element's namespace, and with it whether the
    start tag declares it and the namespace its children are written in."""

    __slots__ = ("codec", "parent", "run")

    def __init__(self, codec: Codec, parent: str | None) -> None:
        self.codec = codec
        self.parent = parent
        #: append the XML of an object of the class to a list of strings
        self.run: Callable[[Any, list[str]], None] = self._first_run

    def compiled(self) -> Callable[[Any, list[str]], None]:
        """The compiled encoder, compiling it now if it is not yet."""
        if self.run == self._first_run:
            from xepcodec.model.compiler import compile_encoder

            self.run = compile_encoder(self.codec, self.parent)
        return self.run

    def _first_run(self, obj: Any, out: list[str]) -> None:
        self.compiled()(obj, out)


class Codec:
    """Decoder and encoder of one element class."""

    __slots__ = (
        "attrs",
        "attrs_local_kind",
        "child_maps",
        "children",
        "cls",
        "defaults",
        "extensions",
        "field_names",
        "follows",
        "foreign_only",
        "local_name",
        "make",
        "name",
        "names",
        "namespaces",
        "prefix",
        "repeated",
        "required_attrs",
        "required_children",
        "run",
        "runners",
        "text",
        "write",
        "writers",
        "xmlns",
    )

    def __init__(self, cls: type, namespaces: tuple[str, ...], names: tuple[str, ...],
                 prefix: str | None = None) -> None:
        self.cls = cls
        self.prefix = prefix
        self.namespaces = namespaces
        self.names = names
        self.name = names[0]
        self.local_name: int | None = None
        self.attrs_local_kind: Value[Any] | None = None
        self.attrs: dict[str, _Attr] = {}
        self.children: list[_Child] = []
        self.child_maps: dict[str, dict[str, _Child]] = {}
        self.text: tuple[int, str, Value[Any]] | None = None
        self.extensions: int | None = None
        #: the open slot holds elements of other namespaces only (``extensions(foreign_only=True)``)
        self.foreign_only = False
        self.xmlns: int | None = None
        #: exists in several namespaces and takes its parent's, recording none: a child
        #: element of the stanzas (``<body/>``) or of the archive's collections
        self.follows = False
        self.repeated: list[int] = []
        self.required_children: list[_Child] = []
        self.required_attrs: list[_Attr] = []
        self.defaults: list[Any] = []
        self.field_names: list[str] = []
        self.make: Callable[[list[Any]], Any] = _no_maker
        #: decode an element of this class; compiled on first use
        self.run: Callable[[etree._Element], Any] = self._first_run
        #: the decoders of this class in each of its namespaces, for parents that know
        #: which one a child is in (see :meth:`runner`)
        self.runners: dict[tuple[str, str | None], Runner] = {}
        #: append this object's XML to a list of strings; compiled on first use
        self.write: Callable[[Any, list[str], str | None], None] = self._first_write
        #: the encoders of this class for places whose namespace is known (see
        #: :meth:`writer`)
        self.writers: dict[str | None, Writer] = {}

    # -- decoding ---------------------------------------------------------------

    def _first_run(self, element: etree._Element) -> Any:
        """Compile the fast decoders on first use, then decode."""
        fast = {namespace: self.runner(namespace).compiled() for namespace in self.namespaces}
        if len(fast) == 1:
            self.run = fast[self.namespaces[0]]
        else:
            def run(element: etree._Element) -> Any:
                tag = element.tag
                return fast[tag[1:tag.index("}")]](element)

            self.run = run
        return self.run(element)

    def runner(self, namespace: str, local: str | None = None) -> Runner:
        """The decoder of this class for elements in ``namespace``, as a parent's
        compiled decoder calls it: the parent knows the tag it matched, so a class
        declared in several namespaces is not dispatched again, and one declared under
        several names (given ``local``) has its local-name field as a constant."""
        key = (namespace, local)
        runner = self.runners.get(key)
        if runner is None:
            runner = self.runners[key] = Runner(self, namespace, local)
        return runner

    def writer(self, parent: str | None) -> Writer:
        """The encoder of this class for a place whose default namespace is
        ``parent``, as a parent's compiled encoder calls it: parents know the
        namespace they write their children in, so a class need not work out its own
        namespace again for every object."""
        writer = self.writers.get(parent)
        if writer is None:
            writer = self.writers[parent] = Writer(self, parent)
        return writer

    def _first_write(self, obj: Any, out: list[str], parent: str | None) -> None:
        """Compile the fast encoder on first use, then encode."""
        from xepcodec.model.compiler import compile_encoder

        self.write = compile_encoder(self)
        self.write(obj, out, parent)

    def explain(self, element: etree._Element) -> Any:
        """The careful decoder: it builds the object the fast one would, or raises the
        precise error.  The compiled decoder hands over to it at the first surprise."""
        tag = element.tag
        namespace = tag[1:tag.index("}")] if tag[0] == "{" else ""
        name = _local_name(element)  # the name it came with: a class may have several
        values = self.defaults.copy()
        for index in self.repeated:
            values[index] = []
        attrs = self.attrs
        for key, raw in cast("list[tuple[str, str]]", element.items()):
            spec = attrs.get(key)
            if spec is None:
                raise fail(element, f"<{name}/> has no attribute {_pretty(key)!r}",
                           attribute=key)
            if spec.value is STRING:
                values[spec.index] = raw
                continue
            try:
                values[spec.index] = spec.value.parse(raw)
            except ParseError as error:
                raise _located(error, element, key) from None
            except ValueError as error:
                raise fail(element, f"attribute {_pretty(key)!r} must be "
                           f"{spec.value.description}: {error}", attribute=key) from None
        if self.text is not None:
            index, _, value = self.text
            raw_text = element.text
            if raw_text is not None or values[index] is _MISSING:
                try:
                    values[index] = value.parse(raw_text or "")
                except ParseError as error:
                    raise _located(error, element) from None
                except ValueError as error:
                    raise fail(element, f"the text of <{name}/> must be "
                               f"{value.description}: {error}") from None
        elif not _blank(element.text):
            raise fail(element, f"<{name}/> holds no text, but text was found")
        if len(element):
            self._decode_children(element, namespace, values)
        for spec in self.required_attrs:
            if values[spec.index] is _MISSING:
                raise fail(element, f"<{name}/> lacks its required attribute "
                           f"{_pretty(spec.xml_name)!r}")
        for want in self.required_children:
            if values[want.index] is _MISSING:
                expected = (want.name and f"<{want.name}/>") or _one_of(
                    [name for c in want.classes for name in codec_of(c).names])
                raise fail(element, f"<{name}/> lacks its required child {expected}")
        for index in self.repeated:
            values[index] = tuple(values[index])
        if self.xmlns is not None:
            values[self.xmlns] = (self.recorded_namespace(element, namespace)
                                  if self.defaults[self.xmlns] is None else namespace)
        if self.local_name is not None:
            local = tag.rpartition("}")[2]
            kind = self.attrs_local_kind
            try:
                values[self.local_name] = kind.parse(local) if kind is not None else local
            except ValueError as error:
                raise fail(element, f"<{local}/> is not an element name {self.cls.__name__} "
                           f"takes: {error}") from None
        try:
            return self.make(values)
        except ParseError as error:
            raise _located(error, element) from None
        except ValueError as error:
            raise fail(element, str(error)) from None

    def context_namespace(self, element: etree._Element) -> str:
        """The namespace the encoder gives an object of this class written where
        ``element`` stands: its parent's when it is one of ours, else our first."""
        parent = element.getparent()
        if parent is not None:
            tag = parent.tag
            if isinstance(tag, str) and tag[0] == "{":
                around = tag[1:tag.index("}")]
                if around in self.namespaces:
                    return around
        return self.namespaces[0]

    def recorded_namespace(self, element: etree._Element, namespace: str) -> str | None:
        """What an ``xmlns(None)`` field holds for ``element``, read in ``namespace``:
        None where the place gives that namespace anyway (inside a stanza of the same
        namespace, or alone in the first), so that equal content compares equal
        wherever it was read; the namespace otherwise (a lone ``<error/>`` of
        ``jabber:server``), so that it is written back in it."""
        return None if namespace == self.context_namespace(element) else namespace

    def check_foreign(self, obj: Any) -> None:
        """The policy ``extensions(foreign_only=True)`` declares, checked on ``obj``:
        every element in the open slot is of some namespace, and of none ``obj`` can
        be in (see :meth:`possible_namespaces`; for an element that follows its parent,
        any of the namespaces it is declared in).

        It raises ValueError as a ``__post_init__`` rule does, and runs where those run,
        just after them: the constructor reports it as ArgumentValueError naming the
        class, the decoders as a bad-request naming this element."""
        assert self.extensions is not None
        own = self.possible_namespaces(obj)
        for item in getattr(obj, self.field_names[self.extensions]):
            spaces: tuple[str, ...]
            if isinstance(item, XmlFragment):
                spaces, name = (item.namespace,), item.name
            else:
                codec = codec_of(type(item))
                spaces, name = codec.possible_namespaces(item), codec.written_name(item)
            shared = [space for space in spaces if space in own]
            if shared:
                whose = "its own namespace" if len(own) == 1 else "one of its own namespaces"
                raise ValueError(f"<{self.written_name(obj)}/> does not allow the child "
                                 f"<{name}/> of {shared[0]}, an element of {whose}: only "
                                 "elements of other namespaces extend it")
            if not spaces[0]:
                raise ValueError(f"<{self.written_name(obj)}/> does not allow the child "
                                 f"<{name}/> in no namespace: only elements of other "
                                 "namespaces extend it, and an element that has no "
                                 "namespace belongs to no protocol")

    def possible_namespaces(self, obj: Any) -> tuple[str, ...]:
        """The namespaces ``obj`` can be written in: the one its ``xmlns`` field
        records, when it records one; every one its class is declared in otherwise
        (which of them depends on where it is placed)."""
        if self.xmlns is not None:
            recorded: str | None = getattr(obj, self.field_names[self.xmlns])
            if recorded is not None:
                return (recorded,)
        return self.namespaces

    def written_name(self, obj: Any) -> str:
        """The local name ``obj`` is written with."""
        return self.name if self.local_name is None else self._local_name_of(obj)

    def _decode_children(self, element: etree._Element, namespace: str,
                         values: list[Any]) -> None:
        if not self.child_maps:
            finish_codec(self)
        handlers = self.child_maps.get(namespace) or self.child_maps[""]
        extensions = self.extensions
        name = _local_name(element)
        for node in element:
            tag = node.tag
            if not isinstance(tag, str):
                raise fail(node, "comments and processing instructions are not allowed "
                           "in XMPP (RFC 6120 §11.1)", condition="restricted-xml")
            if not _blank(node.tail):
                raise fail(element, f"<{name}/> holds no text between its children")
            handler = handlers.get(tag)
            if handler is None:
                handler = handlers.get(tag[:tag.find("}") + 1] + ANY_NAME)
            if handler is None:
                if extensions is None:
                    raise fail(node, f"<{name}/> does not allow the child "
                               f"{_element_name(tag, namespace)} here")
                values[extensions].append(decode_child(node))
                continue
            kind = handler.kind
            if kind == CHILD:
                if values[handler.index] is not _MISSING and values[handler.index] is not None:
                    raise fail(node, f"<{name}/> allows only one "
                               f"{_element_name(tag, namespace)} child")
                values[handler.index] = codec_of(_class_for(handler, tag)).run(node)
            elif kind == CHILDREN:
                values[handler.index].append(codec_of(_class_for(handler, tag)).run(node))
            else:
                values[handler.index] = self._decode_simple(node, handler, values)

    def _decode_simple(self, node: etree._Element, handler: _Child, values: list[Any]) -> Any:
        if len(node) or node.attrib:
            raise fail(node, f"<{handler.name}/> holds text only: no attributes or children")
        if handler.kind == FLAG:
            if not _blank(node.text):
                raise fail(node, f"<{handler.name}/> must be empty")
            if values[handler.index] is True:
                raise fail(node, f"<{_local_name(node.getparent())}/> allows only one "
                           f"<{handler.name}/> child")
            return True
        try:
            value = handler.value.parse(node.text or "")
        except ParseError as error:
            raise _located(error, node) from None
        except ValueError as error:
            raise fail(node, f"the text of <{handler.name}/> must be "
                       f"{handler.value.description}: {error}") from None
        if handler.kind == TEXT_CHILDREN:
            values[handler.index].append(value)
            return values[handler.index]
        previous = values[handler.index]
        if previous is not _MISSING and previous is not None:
            raise fail(node, f"<{_local_name(node.getparent())}/> allows only one "
                       f"<{handler.name}/> child")
        return value

    # -- encoding (the compiled encoder calls these) ---------------------------

    def _local_name_of(self, obj: Any) -> str:
        local = getattr(obj, self.field_names[self.local_name])  # type: ignore[index]
        name: str = self.attrs_local_kind.format(local) if self.attrs_local_kind else local
        if self.names == (ANY_NAME,):
            if not is_ncname(name):
                raise SerializeError(f"{type(obj).__name__}: {name!r} is not an XML name "
                                     "(an NCName) and cannot name an element")
        elif name not in self.names:
            raise SerializeError(f"{type(obj).__name__} cannot be written as <{name}/>")
        return name

    def _namespace_for(self, obj: Any, parent: str | None) -> str:
        if len(self.namespaces) == 1:
            return self.namespaces[0]
        chosen: str | None = (getattr(obj, self.field_names[self.xmlns])
                              if self.xmlns is not None else None)
        if chosen is not None:
            if chosen not in self.namespaces:
                raise SerializeError(f"{type(obj).__name__} cannot be written in the "
                                     f"namespace {chosen!r}")
            return chosen
        return parent if parent is not None and parent in self.namespaces else self.namespaces[0]


def _no_maker(values: list[Any]) -> Any:  # pragma: no cover - replaced at build time
    raise RuntimeError("codec used before it was built")


def _local_name(element: etree._Element | None) -> str:
    """The local name an element came with (a class declared under several names
    is named in an error by the one it was met under)."""
    return "" if element is None else str(element.tag).rpartition("}")[2]


def _pretty(tag: str) -> str:
    """An attribute's name as a person writes it: ``node``, ``xml:lang``, ``{ns}name``."""
    namespace, local = _split(tag)
    if namespace == XML_NS:
        return f"xml:{local}"
    return f"{local} ({namespace})" if namespace else local


def _one_of(names: list[str]) -> str:
    shown = ", ".join(f"<{name}/>" for name in names[:4])
    return shown if len(names) == 1 else f"(one of {shown}{', …' if len(names) > 4 else ''})"


def _element_name(tag: str, parent: str) -> str:
    """A child's name as a person writes it, with its namespace when it is not the
    parent's: ``<leaf/>``, ``<x xmlns='jabber:x:data'/>``."""
    namespace, local = _split(tag)
    return f"<{local}/>" if namespace == parent else f"<{local} xmlns='{namespace}'/>"


def _class_for(handler: _Child, tag: str) -> type:
    if len(handler.classes) == 1:
        return handler.classes[0]
    for cls in handler.classes:
        codec = codec_of(cls)
        namespace, local = _split(tag)
        if local in codec.names and namespace in codec.namespaces:
            return cls
    raise AssertionError(f"no class for {tag}")  # the child map was built from the classes


def _encode_known(value: Any, spec: _Child, out: list[str], namespace: str | None) -> None:
    if not isinstance(value, spec.classes):
        names = " or ".join(cls.__name__ for cls in spec.classes)
        raise SerializeError(f"field {spec.field!r} holds {type(value).__name__}, "
                             f"not {names}")
    codec_of(type(value)).write(value, out, namespace)


def encode_into(item: Any, out: list[str], parent: str | None) -> None:
    """Write a typed element or an :class:`XmlFragment` into ``out``."""
    if isinstance(item, XmlFragment):
        out.append(item.write(parent))
        return
    codec = type(item).__dict__.get("__xml_codec__")
    if codec is None:
        raise SerializeError(f"{type(item).__name__} is not an XML element class")
    codec.write(item, out, parent)


#: Every namespace some element class is declared in (kept by ``build_codec``; the
#: registry imports a namespace's protocol module before it answers for the namespace).
_DECLARED: set[str] = set()


def decode_child(node: etree._Element, tag: str | None = None) -> Any:
    """A child in an open slot: typed when the registry knows its tag, raw otherwise.

    Raw XML is for namespaces xepcodec does not implement.  A name that no class
    declares in a namespace some class is declared in is not an extension but a
    mistake (``<pingx xmlns='urn:xmpp:ping'/>``): ``bad-request``, the condition for
    XML that does not follow the protocol's schema, rather than
    ``feature-not-implemented``, which would say the protocol is not supported when it
    is.  An element of the slot owner's own namespace is left to the owner's rules
    (XML Signature's ``<KeyInfo/>`` keeps its certificates raw; most owners refuse such
    children).

    ``tag`` is the node's tag, when the caller has read it already.  What a tag comes
    to is remembered where it does not depend on the place (a class that does not
    follow its parent, or a namespace no class is declared in) until the next class
    is declared.
    """
    if tag is None:
        tag = node.tag
    known = registry.derived.get(tag)
    if known is not None:
        if known is _RAW:
            return XmlFragment.from_element(node, tag)
        return cast(Runner, known).run(node)
    cls = registry.lookup(tag)
    if cls is None:
        if tag[0] == "{":
            namespace = tag[1:tag.index("}")]
            if namespace in _DECLARED:
                if namespace != _namespace_of(node.getparent()):
                    raise fail(node, f"<{tag[tag.index('}') + 1:]}/> is not an element of "
                               f"{namespace}: no element of that name is declared there")
                return XmlFragment.from_element(node, tag)
        registry.derived[tag] = _RAW
        return XmlFragment.from_element(node, tag)
    codec = codec_of(cls)
    if codec.follows:
        if not tag.startswith("{" + codec.context_namespace(node) + "}"):
            # In a namespace the encoder would not give it here (a jabber:server <body/>
            # in a jabber:client message): not this place's element, so kept as it came.
            return XmlFragment.from_element(node, tag)
        return codec.run(node)
    runner = registry.derived[tag] = runner_for(codec, tag)
    return runner.run(node)


def runner_for(codec: Codec, tag: str) -> Runner:
    """The decoder ``codec`` has for elements named ``tag``."""
    namespace, local = _split(tag)
    return codec.runner(namespace, local if codec.local_name is not None else None)


#: In :data:`registry.derived`: the tag is read as raw XML wherever it is found.
_RAW: Final = object()


def _namespace_of(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    tag = element.tag
    return tag[1:tag.index("}")] if isinstance(tag, str) and tag[0] == "{" else ""


def codec_of(cls: type) -> Codec:
    codec: Codec | None = cls.__dict__.get("__xml_codec__")
    if codec is None:
        raise TypeError(f"{cls.__name__} is not declared with @element")
    return codec


# -- building -------------------------------------------------------------------------


def _annotation(cls: type, field: dataclasses.Field[Any]) -> Any:
    """The evaluated annotation of a field, with ``X | None`` reduced to ``X`` and
    ``tuple[X, ...]`` to ``X``."""
    hint = field.type
    if isinstance(hint, str):
        module = sys.modules.get(cls.__module__)
        namespace = dict(vars(module)) if module else {}
        try:
            hint = eval(hint, namespace)  # annotations of value fields are plain names
        except Exception:
            return None
    args = getattr(hint, "__args__", None)
    if getattr(hint, "__origin__", None) is tuple and args:
        return args[0]  # repeated kinds: the kind of one item
    if args and type(None) in args:
        rest = [arg for arg in args if arg is not type(None)]
        return rest[0] if len(rest) == 1 else None
    return hint


def _value_kind(cls: type, field: dataclasses.Field[Any], given: Value[Any] | None) -> Value[Any]:
    if given is not None:
        return given
    kind = value_for(_annotation(cls, field))
    if kind is None:
        raise TypeError(f"{cls.__name__}.{field.name}: cannot tell the value kind from the "
                        f"annotation {field.type!r}; pass value=")
    return kind


def _attr_written(xml_name: str, position: int) -> tuple[str, str]:
    namespace, local = _split(xml_name)
    if not namespace:
        return local, ""
    if namespace == XML_NS:
        return f"xml:{local}", ""
    prefix = f"a{position}"
    return f"{prefix}:{local}", f' xmlns:{prefix}="{escape_attribute(namespace)}"'


def _default_of(field: dataclasses.Field[Any]) -> Any:
    if field.default is not _MISSING:
        return field.default
    if field.default_factory is not _MISSING:
        return field.default_factory()  # type: ignore[operator]
    return _MISSING


def build_codec(cls: type, namespaces: tuple[str, ...], names: tuple[str, ...],
                prefix: str | None = None) -> Codec:
    codec = Codec(cls, namespaces, names, prefix)
    fields = dataclasses.fields(cls)
    for index, field in enumerate(fields):
        spec: FieldSpec | None = field.metadata.get(SPEC)
        codec.field_names.append(field.name)
        default = _default_of(field)
        codec.defaults.append(default)
        required = default is _MISSING
        if spec is None:
            raise TypeError(f"{cls.__name__}.{field.name} does not say how it maps to XML "
                            "(use attr(), text(), child(), …)")
        if isinstance(spec, AttrSpec):
            xml_name = spec.name or field.name.rstrip("_")
            written, declaration = _attr_written(xml_name, len(codec.attrs))
            given = spec.value if spec.value is not None or xml_name != _XML_LANG else LANGUAGE
            codec.attrs[xml_name] = _Attr(index, field.name, xml_name, written, declaration,
                                          _value_kind(cls, field, given), required)
        elif isinstance(spec, TextSpec):
            codec.text = (index, field.name, _value_kind(cls, field, spec.value))
        elif isinstance(spec, ChildSpec | ChildrenSpec):
            kind = CHILD if isinstance(spec, ChildSpec) else CHILDREN
            handler = _Child(kind, index, field.name, classes=spec.classes, required=required)
            codec.children.append(handler)
        elif isinstance(spec, TextChildSpec | TextChildrenSpec):
            kind = TEXT_CHILD if isinstance(spec, TextChildSpec) else TEXT_CHILDREN
            handler = _Child(kind, index, field.name, namespace=spec.namespace, name=spec.name,
                             value=_value_kind(cls, field, spec.value), required=required)
            codec.children.append(handler)
        elif isinstance(spec, FlagSpec):
            codec.children.append(_Child(FLAG, index, field.name, namespace=spec.namespace,
                                         name=spec.name))
        elif isinstance(spec, ExtensionsSpec):
            codec.extensions = index
            codec.foreign_only = spec.foreign_only
            codec.children.append(_Child(EXTENSIONS, index, field.name))
        elif isinstance(spec, XmlnsSpec):
            codec.xmlns = index
        elif isinstance(spec, LocalNameSpec):
            codec.local_name = index
            name_kind = value_for(_annotation(cls, field))
            codec.attrs_local_kind = None if name_kind is STRING else name_kind
        if isinstance(spec, ChildrenSpec | TextChildrenSpec | ExtensionsSpec):
            codec.repeated.append(index)
    codec.follows = len(namespaces) > 1 and codec.xmlns is None
    _DECLARED.update(namespaces)
    registry.derived.clear()  # a namespace may have become one that classes are declared in
    codec.required_children = [c for c in codec.children if c.required]
    codec.required_attrs = [a for a in codec.attrs.values() if a.required]
    codec.make = _maker(codec)
    return codec


_XML_LANG = f"{{{XML_NS}}}lang"


def finish_codec(codec: Codec) -> None:
    """Build the child maps.  Done when the codec is first used, because a class may
    name child classes declared after it (a data form's item holds fields)."""
    maps: dict[str, dict[str, _Child]] = {}
    for namespace in (*codec.namespaces, ""):
        table: dict[str, _Child] = {}
        for handler in codec.children:
            for tag in _tags(handler, namespace or codec.namespaces[0]):
                if tag in table:
                    raise TypeError(f"{codec.cls.__name__}: two fields claim the child {tag}")
                table[tag] = handler
        maps[namespace] = table
    codec.child_maps = maps


def _tags(handler: _Child, parent: str) -> Iterable[str]:
    if handler.kind == EXTENSIONS:
        return
    if handler.kind in (CHILD, CHILDREN):
        if len(handler.classes) > 1 and any(
                codec_of(cls).names == (ANY_NAME,) for cls in handler.classes):
            raise TypeError(f"{handler.field}: a class declared with ANY_NAME must be the only "
                            "class of its field")
        for cls in handler.classes:
            child_codec = codec_of(cls)
            within = (parent,) if parent in child_codec.namespaces else child_codec.namespaces
            for namespace in within:
                for local in child_codec.names:
                    yield _clark(namespace, local)
    else:
        namespace = parent if handler.namespace is None else handler.namespace
        yield _clark(namespace, handler.name)


def _maker(codec: Codec) -> Callable[[list[Any]], Any]:
    """A function that builds an instance from a list of field values, skipping the
    keyword-argument ``__init__`` but still running ``__post_init__`` checks and the
    extension policy."""
    cls = codec.cls
    lines = ["def make(values):", "    obj = new(cls)"]
    lines += [f"    setattr(obj, {name!r}, values[{i}])"
              for i, name in enumerate(codec.field_names)]
    if hasattr(cls, "__post_init__"):
        lines.append("    obj.__post_init__()")
    if codec.foreign_only:
        lines.append(f"    if values[{codec.extensions}]: foreign(obj)")
    lines.append("    return obj")
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls, "setattr": object.__setattr__,
                             "foreign": codec.check_foreign}
    exec("\n".join(lines), scope)  # generated once per class, from field names only
    maker: Callable[[list[Any]], Any] = scope["make"]
    return maker
