"""What any decoder written in Python over lxml pays before its own work: the reference
rows of the decode table.

* :func:`read_every_node` parses, then reads each element's tag, attributes, text and
  tail once from Python: the cost of looking at the tree at all (every read makes a
  string, and every element an lxml proxy object).
* :func:`build_untyped` parses, then builds one frozen, slotted object per element
  holding its tag, attributes, text and children, with no value typed and no rule
  checked, by the cheapest construction xepcodec's decoders use (plain slot stores on
  a mutable twin, then the frozen class).

xepcodec's typed decoders do more than either (values typed, every rule checked), so
their ratios to ``fromstring`` are the floors its targets are measured against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lxml.etree as etree

__all__ = ["build_untyped", "read_every_node"]


def read_every_node(data: bytes) -> int:
    """Parse ``data`` and read every element's tag, attributes, text and tail."""
    count = 0
    for element in etree.fromstring(data).iter():
        element.tag, element.items(), element.text, element.tail
        count += 1
    return count


@dataclass(frozen=True, slots=True)
class Node:
    """An element, untyped: what is left when nothing is typed or checked."""

    tag: str
    attributes: tuple[tuple[str, str], ...]
    text: str | None
    children: tuple[Node, ...]


class _Draft:
    __slots__ = Node.__slots__
    tag: Any
    attributes: Any
    text: Any
    children: Any


def _build(element: etree._Element) -> Node:
    children = []
    if len(element):
        node: etree._Element | None = element[0]
        while node is not None:
            tail = node.tail
            if tail and tail.strip(" \t\r\n"):
                raise ValueError("text between elements")  # the same check decoders make
            children.append(_build(node))
            node = node.getnext()
    draft = _Draft()
    draft.tag = element.tag
    draft.attributes = tuple(element.items())
    draft.text = element.text
    draft.children = tuple(children)
    draft.__class__ = Node  # type: ignore[assignment]
    return draft  # type: ignore[return-value]


def build_untyped(data: bytes) -> Node:
    """Parse ``data`` into untyped frozen :class:`Node` objects, one per element."""
    return _build(etree.fromstring(data))
