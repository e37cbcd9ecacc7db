"""Minimally invalid stanzas: valid ones with exactly one rule broken.

For testing code that must refuse bad input (a server's input filter, a client's
parser) with inputs that are wrong in one known place::

    from hypothesis import given
    from xepcodec.testing.invalid import invalid_stanzas, minimally_invalid
    from xepcodec.testing.strategies import for_class
    from xepcodec.protocols.disco import InfoQuery

    @given(invalid_stanzas())
    def test_my_filter_refuses_broken_stanzas(broken):
        assert my_filter(broken.xml) is REFUSED      # broken.rule says what is wrong

    @given(minimally_invalid(for_class(InfoQuery)))
    def test_payloads(broken): ...

Each :class:`Broken` example holds the XML, a sentence saying which rule was broken,
and the path of the element where it was broken: :func:`xepcodec.validate` reports an
error there or below it (at one of its attributes, or at the child that was added), and
the original was valid.  The breakages are
made from the element declarations, so they cover every declared element:

* a required attribute removed;
* an attribute of a closed set of values given a value outside it;
* an attribute no declaration has added;
* text added to an element that holds none;
* a required child element removed;
* a child element of the element's own namespace that it does not declare added
  (where it has no open slot).

Only elements that xepcodec reads typed and has a schema for are broken (not the raw
XML it keeps, nor namespaces the validator does not check), and the stanza envelope
is broken as readily as a payload deep inside it.  A class with nothing to break
(no such element in the example) gives no example: hypothesis tries another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from hypothesis import strategies as st
from lxml import etree

from xepcodec.model import encode, registry
from xepcodec.model.codec import EXTENSIONS, TEXT_CHILD, TEXT_CHILDREN, codec_of
from xepcodec.model.fields import ANY_NAME
from xepcodec.model.values import EnumValue
from xepcodec.testing.stanzas import stanzas
from xepcodec.validation.catalog import default_catalog
from xepcodec.xml.paths import path_of

__all__ = ["Broken", "invalid_stanzas", "minimally_invalid"]

#: An attribute name no declaration uses.
UNDECLARED: Final = "xepcodec-undeclared"
#: A value outside every closed set of values.
OUT_OF_SET: Final = "xepcodec-not-a-member"


@dataclass(frozen=True, slots=True)
class Broken:
    """A stanza or payload with exactly one rule broken."""

    xml: bytes
    #: What was broken, in words: "the required attribute 'id' of <iq> is removed".
    rule: str
    #: The element where the rule was broken; :func:`xepcodec.validate` reports an error
    #: at this path or below it (an attribute, an added child).
    path: str
    #: The valid XML it was made from.
    original: bytes


# A breakage: (rule, element index in document order, how to break it).
_Breakage = tuple[str, int, Callable[[etree._Element], None]]


def _remove_attribute(name: str) -> Callable[[etree._Element], None]:
    def apply(node: etree._Element) -> None:
        del node.attrib[name]

    return apply


def _set_attribute(name: str, value: str) -> Callable[[etree._Element], None]:
    def apply(node: etree._Element) -> None:
        node.set(name, value)

    return apply


def _add_text(node: etree._Element) -> None:
    node.text = "xepcodec-unexpected-text" + (node.text or "")


def _remove_child(tag: str) -> Callable[[etree._Element], None]:
    def apply(node: etree._Element) -> None:
        for child in node:
            if child.tag == tag:
                node.remove(child)
                return

    return apply


def _add_child(tag: str) -> Callable[[etree._Element], None]:
    def apply(node: etree._Element) -> None:
        node.append(etree.Element(tag))

    return apply


def _child_class(parent: type, tag: str) -> type | None:
    """The class the parent's declaration reads a child with this tag as, the way the
    decoder picks it: an exact name first, then a class declared with ANY_NAME, then
    the open slot (typed if registered)."""
    codec = codec_of(parent)
    wildcard: type | None = None
    open_slot = False
    for handler in codec.children:
        if handler.kind == EXTENSIONS:
            open_slot = True
            continue
        for cls in handler.classes:
            child = codec_of(cls)
            for child_namespace in child.namespaces:
                for name in child.names:
                    if name == ANY_NAME:
                        if tag.startswith(f"{{{child_namespace}}}"):
                            wildcard = wildcard or cls
                    elif tag == f"{{{child_namespace}}}{name}":
                        return cls
    if wildcard is not None:
        return wildcard
    return registry.lookup(tag) if open_slot else None


def _typed(root: etree._Element) -> list[tuple[etree._Element, type]]:
    """The elements xepcodec reads typed and validates, with their classes: in a
    namespace the shipped schemas describe, with every ancestor so too."""
    found: list[tuple[etree._Element, type]] = []
    known = default_catalog().namespaces

    def walk(node: etree._Element, cls: type | None) -> None:
        tag = node.tag
        if cls is None or not isinstance(tag, str) or tag[1:].partition("}")[0] not in known:
            return
        found.append((node, cls))
        for child in node:
            if isinstance(child.tag, str):
                walk(child, _child_class(cls, child.tag))

    walk(root, registry.lookup(str(root.tag)))
    return found


def _name(node: etree._Element) -> str:
    return str(node.tag).rpartition("}")[2]


def _breakages(root: etree._Element) -> list[_Breakage]:
    everything = list(root.iter(etree.Element))
    options: list[_Breakage] = []
    for node, cls in _typed(root):
        index = everything.index(node)
        codec = codec_of(cls)
        where = f"<{_name(node)}>"
        for spec in codec.required_attrs:
            if spec.xml_name in node.attrib:
                options.append((f"the required attribute {spec.written!r} of {where} is "
                                "removed", index, _remove_attribute(spec.xml_name)))
        for spec in codec.attrs.values():
            if isinstance(spec.value, EnumValue) and spec.xml_name in node.attrib:
                options.append((f"the attribute {spec.written!r} of {where} is given a value "
                                "outside its set", index,
                                _set_attribute(spec.xml_name, OUT_OF_SET)))
        options.append((f"{where} is given an attribute no declaration has ({UNDECLARED})",
                        index, _set_attribute(UNDECLARED, "1")))
        takes_text = codec.text is not None or codec.local_name is not None
        if not takes_text and not any(c.kind == EXTENSIONS for c in codec.children):
            options.append((f"text is added to {where}, which holds none", index, _add_text))
        namespace = str(node.tag)[1:].partition("}")[0]
        for handler in codec.required_children:
            if handler.kind in (TEXT_CHILD, TEXT_CHILDREN):
                tag = f"{{{handler.namespace or namespace}}}{handler.name}"
                if node.find(tag) is not None:
                    options.append((f"the required child <{handler.name}> of {where} is "
                                    "removed", index, _remove_child(tag)))
            else:
                for child in node:
                    if isinstance(child.tag, str) and _child_class(cls, child.tag) in (
                            handler.classes):
                        options.append((f"the required child <{_name(child)}> of {where} is "
                                        "removed", index, _remove_child(str(child.tag))))
                        break
        open_names = any(codec_of(cls).names == (ANY_NAME,) for c in codec.children
                         for cls in c.classes)
        if namespace and not open_names and not any(c.kind == EXTENSIONS
                                                     for c in codec.children):
            options.append((f"{where} is given a child <{UNDECLARED}> of its own namespace "
                            "that it does not declare", index,
                            _add_child(f"{{{namespace}}}{UNDECLARED}")))
    return options


def _break(original: bytes, breakage: _Breakage) -> Broken:
    rule, index, apply = breakage
    root = etree.fromstring(original)
    node = list(root.iter(etree.Element))[index]
    path = path_of(node)
    apply(node)
    # UTF-8: lxml's default (ASCII) would write non-ASCII names as character references.
    return Broken(etree.tostring(root, encoding="UTF-8"), rule, path, original)


def _broken_from(obj: Any) -> st.SearchStrategy[Broken]:
    original = encode(obj)
    options = _breakages(etree.fromstring(original))
    if not options:
        return st.nothing()
    return st.sampled_from(options).map(lambda breakage: _break(original, breakage))


def minimally_invalid(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Broken]:
    """Examples of ``valid`` (typed objects) with exactly one rule broken."""
    return valid.flatmap(_broken_from)


def invalid_stanzas() -> st.SearchStrategy[Broken]:
    """Messages, presences and iqs with exactly one rule broken."""
    return minimally_invalid(stanzas())
