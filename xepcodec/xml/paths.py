"""How nodes are named in error messages, and the namespaces the XML layer knows.

A path such as ``/iq/query/identity[2]/@category`` uses local names only: namespaces
would make messages unreadable, and the namespace of the offending element is almost
always clear from the protocol being parsed.  ``[n]`` (1-based) appears only when the
parent has more than one child with that local name, so the common case stays short;
siblings are counted by local name because that is all the path shows.

Paths are stanza-relative: when an element sits inside an XMPP stream, the
``stream:stream`` element above it is left out and the stanza gets no index, so a
stanza read from a stream and the same stanza parsed on its own are described the
same way, however the stream's bytes happened to be split.
"""

from __future__ import annotations

from typing import Final

from lxml import etree

__all__ = ["LINE_CAP", "STREAM_NS", "STREAM_TAG", "XML_NS", "line_of", "local_name", "path_of",
           "shorten"]

#: The namespace of ``xml:lang`` and ``xml:space``.
XML_NS: Final = "http://www.w3.org/XML/1998/namespace"
#: The namespace of ``stream:stream``, ``stream:features`` and ``stream:error``.
STREAM_NS: Final = "http://etherx.jabber.org/streams"
#: Clark notation of the stream root element.
STREAM_TAG: Final = "{http://etherx.jabber.org/streams}stream"

_XML_PREFIX: Final = "{" + XML_NS + "}"


def local_name(tag: str) -> str:
    """The local part of a Clark-notation name (``{ns}local`` or ``local``)."""
    return tag.rpartition("}")[2]


#: libxml2 keeps an element's line in 16 bits: from this line on it records this
#: number, or a guess taken from a nearby text node, never the element's own line.
LINE_CAP: Final = 65535


def line_of(element: etree._Element) -> int | None:
    """The line *element* starts on, if libxml2 recorded it: None when it could not
    (past line 65534, where a wrong number would mislead more than none).

    Readers that know where each element's bytes are (``xepcodec validate``'s
    splitter places every element with expat, which counts without a limit) give
    the line from there instead.  (lxml-stubs leave ``sourceline`` untyped; this
    gives it its real type.)
    """
    line = element.sourceline
    return line if isinstance(line, int) and line < LINE_CAP else None


def _attribute_name(name: str) -> str:
    # xml:lang is the one namespaced attribute XMPP uses everywhere; keep its prefix
    # so the path reads the way the XML does.
    if name.startswith(_XML_PREFIX):
        return "xml:" + name[len(_XML_PREFIX) :]
    return local_name(name)


def _is_stream_root(node: etree._Element | None) -> bool:
    return node is not None and node.tag == STREAM_TAG and node.getparent() is None


def _step(node: etree._Element, parent: etree._Element | None) -> str:
    tag = node.tag
    if not isinstance(tag, str):
        # Comments and processing instructions never survive our parsers, but a
        # caller may hand us a tree built elsewhere.
        return "node()"
    name = local_name(tag)
    if parent is None or _is_stream_root(parent):
        # A stanza is named alone: how many stanzas the stream reader still holds
        # depends on how the bytes happened to be split, and must not show.
        return name
    count = 0
    index = 0
    for sibling in parent:
        sibling_tag = sibling.tag
        if isinstance(sibling_tag, str) and local_name(sibling_tag) == name:
            count += 1
            if sibling is node:
                index = count
    return f"{name}[{index}]" if count > 1 else name


def path_of(element: etree._Element, attribute: str | None = None) -> str:
    """The path of *element*, e.g. ``/iq/query/identity[2]``.

    With *attribute* (a plain or Clark-notation attribute name) the path ends in
    ``/@name``; ``xml:lang`` keeps its ``xml:`` prefix, other namespaced attributes
    are shown by local name.  Paths are meant for error messages, so they are only
    computed once something has failed.
    """
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        parent = node.getparent()
        steps.append(_step(node, parent))
        if _is_stream_root(parent):
            break
        node = parent
    steps.reverse()
    path = "/" + "/".join(steps)
    if attribute is not None:
        path += "/@" + _attribute_name(attribute)
    return path


def shorten(path: str, keep: int = 4) -> str:
    """Elide the middle of a very deep path so that an error message stays readable."""
    steps = path.split("/")
    # steps[0] is the empty string before the leading slash.
    if len(steps) <= 2 * keep + 2:
        return path
    return "/".join([*steps[: keep + 1], "…", *steps[-keep:]])
