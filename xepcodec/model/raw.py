"""Immutable raw XML: what the model keeps of elements it has no class for."""

from __future__ import annotations

from lxml import etree

__all__ = ["XmlFragment"]


class XmlFragment:
    """An element the model does not know, kept as received and written back as it was.

    Its value is the element in exclusive canonical form (C14N 1.0, exclusive): every
    namespace declaration it uses and none it does not, attributes in canonical order.
    So the same element read in two different documents gives equal fragments, and
    equality and hashing are byte comparisons.

    A fragment read from a document holds on to its (detached, private) lxml subtree
    and computes the canonical bytes only when they are asked for: most unknown
    payloads are passed along, not compared, and canonicalizing costs more than the
    whole typed decode of a small stanza.
    """

    __slots__ = ("_element", "_xml", "tag")

    def __init__(self, xml: bytes, tag: str = "") -> None:
        self._xml: bytes | None = xml
        self._element: etree._Element | None = None
        self.tag = tag or str(self.element().tag)

    @classmethod
    def from_element(cls, element: etree._Element) -> XmlFragment:
        """A fragment for a node of a tree that nobody else will change (a tree the
        reader made for this stanza)."""
        made = cls.__new__(cls)
        made._xml = None
        made._element = element
        made.tag = str(element.tag)
        return made

    @property
    def xml(self) -> bytes:
        """The canonical bytes of the element."""
        if self._xml is None:
            assert self._element is not None
            self._xml = etree.tostring(self._element, method="c14n", exclusive=True,
                                       with_comments=False)
        return self._xml

    def write(self) -> str:
        """The element as XML text that can stand anywhere: canonical bytes when they
        are known, otherwise a plain (faster) serialization of the kept subtree."""
        if self._xml is None and self._element is not None:
            return etree.tostring(self._element, encoding="unicode", with_tail=False)
        return self.xml.decode("utf-8")

    @property
    def namespace(self) -> str:
        return self.tag[1:].partition("}")[0] if self.tag.startswith("{") else ""

    @property
    def name(self) -> str:
        return self.tag.rpartition("}")[2]

    def element(self) -> etree._Element:
        """A fresh, mutable lxml copy of the fragment."""
        from xepcodec.xml import parse_xml

        return parse_xml(self.xml)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, XmlFragment):
            return NotImplemented
        return self.tag == other.tag and self.xml == other.xml

    def __hash__(self) -> int:
        return hash(self.xml)

    def __setattr__(self, name: str, value: object) -> None:
        if name == "tag" and hasattr(self, "tag"):
            raise AttributeError("XmlFragment is immutable")
        object.__setattr__(self, name, value)

    def __reduce__(self) -> tuple[type[XmlFragment], tuple[bytes, str]]:
        return (XmlFragment, (self.xml, self.tag))

    def __repr__(self) -> str:
        text = self.xml.decode("utf-8", "replace")
        return f"XmlFragment({text if len(text) < 80 else text[:77] + '...'})"
