"""Immutable raw XML: what the model keeps of elements it has no class for."""

from __future__ import annotations

from typing import Any

from lxml import etree

__all__ = ["XmlFragment"]


def _infoset(node: etree._Element) -> tuple[Any, ...]:
    """What XML says about a subtree, without how it was spelled: Clark names (so no
    prefixes or declarations), attributes as a sorted set, text, children and tails."""
    tag = node.tag
    if not isinstance(tag, str):  # a comment or PI in a caller-built tree
        return (repr(tag), node.text or "")
    return (tag, tuple(sorted(node.items())), node.text or "",
            tuple((_infoset(child), child.tail or "") for child in node))


class XmlFragment:
    """An element the model does not know, kept as received and written back as it was.

    Two fragments are equal when they hold the same XML information: the same names
    (by namespace, whatever the prefixes), attributes, text and children, in order.  So
    the same element read from two documents is equal whatever declarations surrounded
    it.  It is written back with the same information; a fragment of a stanza read from a
    stream may spell a namespace with another prefix, since its stream-level
    declarations are gone once the stanza is detached.

    A fragment read from a document holds on to its private lxml subtree and serializes
    it only when asked: most unknown payloads are passed along, not compared, and
    serializing costs more than the whole typed decode of a small stanza.
    """

    __slots__ = ("_element", "_key", "_xml", "tag")

    def __init__(self, xml: bytes, tag: str = "") -> None:
        self._xml: bytes | None = xml
        self._element: etree._Element | None = None
        self._key: tuple[Any, ...] | None = None
        self.tag = tag or str(self._tree().tag)

    @classmethod
    def from_element(cls, element: etree._Element) -> XmlFragment:
        """A fragment for a node of a tree that nobody else will change (a tree the
        reader made for this stanza)."""
        made = cls.__new__(cls)
        made._xml = None
        made._element = element
        made._key = None
        made.tag = str(element.tag)
        return made

    def _tree(self) -> etree._Element:
        if self._element is None:
            from xepcodec.xml import parse_xml

            assert self._xml is not None
            self._element = parse_xml(self._xml)
        return self._element

    @property
    def xml(self) -> bytes:
        """The element as UTF-8 XML."""
        if self._xml is None:
            self._xml = etree.tostring(self._tree(), encoding="utf-8", with_tail=False)
        return self._xml

    def write(self) -> str:
        """The element as XML text that can stand anywhere."""
        if self._xml is None:
            return etree.tostring(self._tree(), encoding="unicode", with_tail=False)
        return self._xml.decode("utf-8")

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
        from xepcodec.xml import parse_xml

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
