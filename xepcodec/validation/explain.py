"""``xepcodec explain``: a stanza as the tree of typed objects xepcodec makes of it.

Each element is shown with its Python class, its XML name and namespace, and the
protocol that namespace belongs to (from the schema catalog, or else from the module
that declares the class); each field is shown by its Python name with its typed value.
What no protocol module knows is shown as raw XML, which is what the library keeps of
it::

    Iq <iq xmlns="jabber:client"> · RFC 6120: Client-to-server stanzas
    ├── type = IqType.GET
    ├── id = 'ping-7'
    └── extensions[0]: Ping <ping xmlns="urn:xmpp:ping"> · XEP-0199: XMPP Ping
"""

from __future__ import annotations

import datetime
import enum
import sys
from collections.abc import Iterator
from typing import Any, Final

from lxml import etree

from xepcodec.model import decode, registry
from xepcodec.model.codec import (
    CHILD,
    CHILDREN,
    EXTENSIONS,
    FLAG,
    TEXT_CHILD,
    TEXT_CHILDREN,
    codec_of,
)
from xepcodec.model.raw import XmlFragment
from xepcodec.protocols import MODULES
from xepcodec.validation.catalog import default_catalog
from xepcodec.xml.paths import STREAM_NS, local_name

__all__ = ["explain_element", "protocol_of", "render"]

_LONG: Final = 72


def protocol_of(namespace: str, cls: type | None = None) -> str:
    """What a namespace belongs to: ``XEP-0199: XMPP Ping``, ``RFC 6120: ...``."""
    entry = default_catalog().by_namespace.get(namespace)
    if entry is not None:
        if entry.xep is not None:
            return f"XEP-{entry.xep:04d}: {entry.title}"
        if entry.rfc is not None:
            return f"RFC {entry.rfc}: {entry.title}"
        return entry.title or namespace
    if namespace == STREAM_NS:
        return "RFC 6120: XML streams"
    if cls is not None:
        module = sys.modules.get(cls.__module__)
        numbers = sorted(number for number, name in MODULES.items()
                         if cls.__module__ == f"xepcodec.protocols.{name}")
        title = ((module.__doc__ or "").strip().splitlines() or [""])[0].rstrip(".")
        if numbers:
            spec = ", ".join(f"XEP-{number:04d}" for number in numbers)
            return f"{spec}: {title}" if title else spec
        return title or cls.__module__
    return "no protocol known to xepcodec"


def _show(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, str | bytes):
        text = repr(value)
        return text if len(text) <= _LONG else text[: _LONG - 1] + "…"
    if isinstance(value, bool | int | float):
        return repr(value)
    return str(value)


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _heading(cls_name: str, tag: str, cls: type | None, parent: str | None,
             note: str = "") -> str:
    """``Class <name xmlns="..."> · protocol``; the namespace and the protocol only
    where they change from the parent's."""
    namespace, local = _split(tag)
    if namespace == parent:
        return f"{cls_name}{note} <{local}>"
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    return f"{cls_name}{note} <{local}{xmlns}> · {protocol_of(namespace, cls)}"


def _tag_of(obj: Any) -> str:
    codec = codec_of(type(obj))
    namespace = (getattr(obj, codec.field_names[codec.xmlns]) if codec.xmlns is not None
                 else codec.namespaces[0])
    name = (getattr(obj, codec.field_names[codec.local_name]) if codec.local_name is not None
            else codec.name)
    name = name.value if isinstance(name, enum.Enum) else str(name)
    return f"{{{namespace}}}{name}" if namespace else name


# A tree entry: (label, child entries).
_Entry = tuple[str, list[Any]]


def _entries(obj: Any, parent: str | None = None) -> _Entry:
    if isinstance(obj, XmlFragment):
        return (_heading("raw XML", obj.tag, None, parent, " (not typed)"), [])
    codec = codec_of(type(obj))
    tag = _tag_of(obj)
    namespace = _split(tag)[0]
    items: list[_Entry] = []
    for spec in codec.attrs.values():
        value = getattr(obj, spec.field)
        if value is not None:
            items.append((f"{spec.field} = {_show(value)}", []))
    if codec.text is not None:
        _, name, _ = codec.text
        items.append((f"{name} = {_show(getattr(obj, name))}", []))
    for handler in codec.children:
        value = getattr(obj, handler.field)
        if handler.kind == CHILD and value is not None:
            label, rest = _entries(value, namespace)
            items.append((f"{handler.field}: {label}", rest))
        elif handler.kind in (CHILDREN, EXTENSIONS):
            for index, item in enumerate(value):
                label, rest = _entries(item, namespace)
                items.append((f"{handler.field}[{index}]: {label}", rest))
        elif handler.kind == TEXT_CHILD and value is not None:
            items.append((f"{handler.field} = {_show(value)}", []))
        elif handler.kind == TEXT_CHILDREN:
            items.extend((f"{handler.field}[{index}] = {_show(item)}", [])
                         for index, item in enumerate(value))
        elif handler.kind == FLAG and value:
            items.append((f"{handler.field} = True", []))
    cls = type(obj)
    return (_heading(cls.__name__, tag, cls, parent), items)


def _raw_entries(element: etree._Element, parent: str | None) -> _Entry:
    """An element no class is declared for, and what it holds."""
    tag = str(element.tag)
    items: list[_Entry] = [(f"@{local_name(str(name))} = {_show(value)}", [])
                           for name, value in element.items()]
    if element.text and element.text.strip():
        items.append((f"text = {_show(element.text)}", []))
    for child in element:
        if not isinstance(child.tag, str):
            continue
        items.append(_element_entries(child, _split(tag)[0]))
    return (_heading("raw XML", tag, None, parent, " (not typed)"), items)


def _element_entries(element: etree._Element, parent: str | None = None) -> _Entry:
    """The typed tree of an element, or its raw tree when no class is declared."""
    if registry.lookup(str(element.tag)) is None:
        return _raw_entries(element, parent)
    return _entries(decode(element), parent)


def _lines(entry: _Entry, prefix: str = "") -> Iterator[str]:
    _, items = entry
    for position, item in enumerate(items):
        last = position == len(items) - 1
        yield prefix + ("└── " if last else "├── ") + item[0]
        yield from _lines(item, prefix + ("    " if last else "│   "))


def render(obj: Any) -> list[str]:
    """The tree of a typed object (any declared element, or an XmlFragment)."""
    entry = _entries(obj)
    return [entry[0], *_lines(entry)]


def explain_element(element: etree._Element) -> list[str]:
    """The tree of an lxml element, typed wherever a class is declared; raises
    :class:`~xepcodec.errors.ParseError` when a declared element breaks its rules."""
    entry = _element_entries(element)
    return [entry[0], *_lines(entry)]
