"""Immutable raw XML: what the model keeps of elements it has no class for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from lxml import etree

from xepcodec.errors import SerializeError
from xepcodec.xml import parse_xml
from xepcodec.xml.paths import XML_NS
from xepcodec.xml.writer import escape_attribute, escape_text

__all__ = ["XmlFragment"]


def _infoset(node: etree._Element) -> tuple[Any, ...]:
    """What XML says about a subtree, without how it was spelled: Clark names (so no
    prefixes or declarations), attributes as a sorted set, text, children and tails."""
    tag = node.tag
    if not isinstance(tag, str):  # a comment or PI in a caller-built tree
        return (repr(tag), node.text or "")
    return (tag, tuple(sorted(node.items())), node.text or "",
            tuple((_infoset(child), child.tail or "") for child in node))


def _write(node: etree._Element, default: str, out: list[str]) -> None:
    """Append ``node`` as XML text that depends on its XML information only.

    ``default`` is the default namespace in force where the text goes.  Elements are
    written unprefixed, with a default namespace declaration where the namespace
    changes; an attribute in a namespace gets a prefix declared on its element.  The
    prefixes a tree spells its names with are not kept: the same element has different
    ones read alone, inside a stanza, or from a stream (where lxml re-declares the
    stream's namespaces when it detaches the stanza), and writing them would make the
    bytes depend on where the element was read.
    """
    tag = node.tag
    if not isinstance(tag, str):
        raise SerializeError("a raw XML fragment holds a comment, processing instruction "
                             "or entity, which XMPP does not allow (RFC 6120 §11.1)")
    namespace, _, local = tag[1:].partition("}") if tag[0] == "{" else ("", "", tag)
    parts = [f"<{local}"]
    if namespace != default:
        parts.append(f' xmlns="{escape_attribute(namespace)}"')
    prefixes: dict[str, str] = {}
    for key, value in cast("list[tuple[str, str]]", node.items()):
        if key[0] == "{":
            space, _, attribute = key[1:].partition("}")
            if space == XML_NS:
                key = f"xml:{attribute}"
            else:
                prefix = prefixes.get(space)
                if prefix is None:
                    prefix = prefixes[space] = f"a{len(prefixes)}"
                    parts.append(f' xmlns:{prefix}="{escape_attribute(space)}"')
                key = f"{prefix}:{attribute}"
        parts.append(f' {key}="{escape_attribute(value)}"')
    text = node.text
    if text is None and not len(node):
        parts.append("/>")
        out.append("".join(parts))
        return
    parts.append(">")
    out.append("".join(parts))
    if text:
        out.append(escape_text(text))
    for child in node:
        _write(child, namespace, out)
        if child.tail:
            out.append(escape_text(child.tail))
    out.append(f"</{local}>")


class XmlFragment:
    """An element the model does not know, kept as received and written back as it was.

    Two fragments are equal when they hold the same XML information: the same names
    (by namespace, whatever the prefixes), attributes, text and children, in order.  So
    the same element read from two documents is equal whatever declarations surrounded
    it.  It is written back with the same information, spelled from that information
    alone (default namespace declarations, no prefixes but on namespaced attributes),
    so one round of reading and writing reaches a fixed point and a stanza read from a
    stream is written as the same stanza read alone.  (A value that names a namespace
    prefix, as a QName, is not one XMPP uses; such a value would lose its prefix.)

    A fragment read from a document holds on to its private lxml subtree and serializes
    it only when asked: most unknown payloads are passed along, not compared, and
    serializing costs more than the whole typed decode of a small stanza.
    """

    __slots__ = ("_element", "_key", "_written", "_xml", "tag")

    def __init__(self, xml: bytes, tag: str = "") -> None:
        self._xml: bytes | None = xml
        self._element: etree._Element | None = None
        self._key: tuple[Any, ...] | None = None
        self._written: tuple[str, str] | None = None
        self.tag = tag or str(self._tree().tag)

    @classmethod
    def from_element(cls, element: etree._Element, tag: str | None = None) -> XmlFragment:
        """A fragment for a node of a tree that nobody else will change (a tree the
        reader made for this stanza); ``tag`` is its Clark tag, when already read."""
        made = cls.__new__(cls)
        _set_xml(made, None)
        _set_element(made, element)
        _set_key(made, None)
        _set_written(made, None)
        _set_tag(made, tag if tag is not None else str(element.tag))
        return made

    def _tree(self) -> etree._Element:
        if self._element is None:
            assert self._xml is not None
            self._element = parse_xml(self._xml)
        return self._element

    @property
    def xml(self) -> bytes:
        """The element as UTF-8 XML that stands alone."""
        return self.write().encode("utf-8")

    def write(self, default: str | None = None) -> str:
        """The element as XML text for a place whose default namespace is ``default``."""
        default = default or ""
        # Kept for the last place written to: a fragment passed along is written again
        # in the same place, and walking the tree in Python is the costly part.
        written = self._written
        if written is None or written[0] != default:
            out: list[str] = []
            _write(self._tree(), default, out)
            written = self._written = (default, "".join(out))
        return written[1]

    @property
    def namespace(self) -> str:
        return self.tag[1:].partition("}")[0] if self.tag.startswith("{") else ""

    @property
    def name(self) -> str:
        return self.tag.rpartition("}")[2]

    def contains(self, tag: str) -> bool:
        """Whether the fragment, or any element inside it, has the Clark tag ``tag``;
        read from the kept tree, without a copy."""
        return next(self._tree().iter(tag), None) is not None

    def element(self) -> etree._Element:
        """A fresh, mutable lxml copy of the fragment."""
        return parse_xml(self.xml)

    def _infoset(self) -> tuple[Any, ...]:
        if self._key is None:
            self._key = _infoset(self._tree())
        return self._key

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, XmlFragment):
            return NotImplemented
        return self.tag == other.tag and self._infoset() == other._infoset()

    def __hash__(self) -> int:
        return hash(self._infoset())

    def __setattr__(self, name: str, value: object) -> None:
        if name == "tag" and hasattr(self, "tag"):
            raise AttributeError("XmlFragment is immutable")
        object.__setattr__(self, name, value)

    def __reduce__(self) -> tuple[type[XmlFragment], tuple[bytes, str]]:
        return (XmlFragment, (self.xml, self.tag))

    def __repr__(self) -> str:
        text = self.xml.decode("utf-8", "replace")
        return f"XmlFragment({text if len(text) < 80 else text[:77] + '...'})"


# The slots' own setters: a fragment read from a tree is made once per unknown payload,
# and __setattr__ above is a Python call per field.
def _setter(name: str) -> Callable[[XmlFragment, Any], None]:
    setter: Callable[[XmlFragment, Any], None] = XmlFragment.__dict__[name].__set__
    return setter


_set_xml = _setter("_xml")
_set_element = _setter("_element")
_set_key = _setter("_key")
_set_written = _setter("_written")
_set_tag = _setter("tag")
