"""Immutable raw XML: what the model keeps of elements it has no class for."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

__all__ = ["XmlFragment"]


@dataclass(frozen=True, slots=True)
class XmlFragment:
    """An element the model does not know, kept exactly as received.

    It holds the element in exclusive canonical form (C14N 1.0, exclusive): every
    namespace declaration it uses and none it does not, attributes in canonical order.
    So the same element read in two different documents gives equal fragments, writing
    it back gives the same infoset, and equality is a byte comparison.  The tag (in
    Clark notation, ``{namespace}name``) is kept beside it for cheap dispatch.
    """

    xml: bytes
    tag: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.tag:
            object.__setattr__(self, "tag", self.element().tag)

    @classmethod
    def from_element(cls, element: etree._Element) -> XmlFragment:
        return cls(etree.tostring(element, method="c14n", exclusive=True, with_comments=False),
                   str(element.tag))

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

    def __repr__(self) -> str:
        text = self.xml.decode("utf-8", "replace")
        return f"XmlFragment({text if len(text) < 80 else text[:77] + '...'})"
