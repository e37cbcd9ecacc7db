"""Paths that name a node for a person: ``/iq/query/identity[2]/@category``."""

from __future__ import annotations

from lxml import etree

__all__ = ["path_of"]


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return "node()"
    return tag.rpartition("}")[2]


def _step(element: etree._Element) -> str:
    parent = element.getparent()
    name = _local(element.tag)
    if parent is None:
        return name
    same = [sibling for sibling in parent if sibling.tag == element.tag]
    if len(same) == 1:
        return name
    return f"{name}[{same.index(element) + 1}]"


def path_of(element: etree._Element, attribute: str | None = None) -> str:
    """The path of ``element`` from its root, by local names, with a position only
    where siblings share the name; ``attribute`` (Clark or plain) appends ``/@name``.

    Paths are for error messages: they are computed only when something failed.
    """
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        steps.append(_step(node))
        node = node.getparent()
    path = "/" + "/".join(reversed(steps))
    if attribute is not None:
        prefix = "xml:" if attribute.startswith("{http://www.w3.org/XML/1998/namespace}") else ""
        path += f"/@{prefix}{_local(attribute)}"
    return path
