"""Walking a typed tree: the one way to visit every element an object holds.

A typed tree is an element object (a class declared with
:func:`~xepcodec.model.element`) and what its child, children and open-slot fields
hold: typed elements again, and :class:`~xepcodec.model.XmlFragment` for the elements
the model has no class for.  :func:`walk` visits them in the order the encoder writes
them, so what a caller finds first is what comes first in the document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from xepcodec.errors import ArgumentTypeError
from xepcodec.model.codec import CHILD, CHILDREN, EXTENSIONS, codec_of
from xepcodec.model.raw import XmlFragment

__all__ = ["is_element", "is_element_class", "walk"]


def is_element(obj: object) -> bool:
    """Whether ``obj`` is a typed element: an instance of a class declared with
    :func:`~xepcodec.model.element` (a dataclass carrying ``__xml_codec__``).  An
    :class:`~xepcodec.model.XmlFragment` is not one, nor is a declared class itself."""
    return is_element_class(type(obj))


def is_element_class(cls: object) -> bool:
    """Whether ``cls`` is a class declared with :func:`~xepcodec.model.element`."""
    return isinstance(cls, type) and "__xml_codec__" in cls.__dict__


# The fields of each declared class that hold elements (single children, repeated
# children, the open slot), in the order the encoder writes them; computed once per class.
_ELEMENT_FIELDS: dict[type, tuple[str, ...]] = {}


def _element_fields(cls: type) -> tuple[str, ...]:
    names = _ELEMENT_FIELDS.get(cls)
    if names is None:
        names = tuple(handler.field for handler in codec_of(cls).children
                      if handler.kind in (CHILD, CHILDREN, EXTENSIONS))
        _ELEMENT_FIELDS[cls] = names
    return names


def walk(obj: Any) -> Iterator[Any]:
    """Every element of the tree rooted at ``obj``, depth first, in document order.

    The root comes first (``obj`` itself), then each child followed by its own
    descendants, in the order the encoder writes them.  Typed elements are yielded and
    descended into; an :class:`~xepcodec.model.XmlFragment` (raw XML the model keeps for
    an element it has no class for) is yielded as a leaf, not descended into: what it
    holds is not typed.  Search its XML with :meth:`XmlFragment.contains` or
    :meth:`XmlFragment.element` where that matters, and keep only typed elements with
    :func:`is_element`.

    An element held twice (the same object in two places) is yielded once per place,
    as its XML would be written twice.  The walk keeps its own stack, so a tree of any
    depth is walked without recursion.  ``obj`` must be a typed element or a fragment:
    anything else is refused with :class:`~xepcodec.errors.ArgumentTypeError`.
    """
    if not (is_element(obj) or isinstance(obj, XmlFragment)):
        raise ArgumentTypeError("walk visits a typed element (a class declared with "
                                "@element) or an XmlFragment, not "
                                f"{type(obj).__name__}")
    return _walk(obj)


def _walk(root: Any) -> Iterator[Any]:
    pending = [root]
    while pending:
        item = pending.pop()
        yield item
        if isinstance(item, XmlFragment):
            continue
        below: list[Any] = []
        for name in _element_fields(type(item)):
            value = getattr(item, name)
            if isinstance(value, tuple):
                below.extend(value)
            elif value is not None:
                below.append(value)
        below.reverse()  # popped from the end: the first child is visited first
        pending.extend(below)
