"""Field kinds: how a dataclass field maps to XML.

Each helper returns a :func:`dataclasses.field` whose metadata holds a spec; the
:func:`xepcodec.model.element` decorator reads the specs to build the codec.  The
kinds are the ones XMPP payloads are made of:

* :func:`attr`: an attribute;
* :func:`text`: the element's own character data;
* :func:`child` and :func:`children`: one or many child elements of a declared class;
* :func:`text_child` and :func:`text_children`: children that hold only text
  (``<desc>…</desc>``, ``<value>…</value>``), which do not deserve a class each;
* :func:`flag`: an empty child whose presence is a boolean (``<required/>``);
* :func:`extensions`: the open slot, keeping every child nothing else claimed, typed
  when the registry knows it, as :class:`~xepcodec.model.raw.XmlFragment` otherwise;
  ``extensions(foreign_only=True)`` declares the usual policy, other namespaces only;
* :func:`local_name`: for elements declared under several names, the one used;
* :func:`xmlns`: for elements that exist in several namespaces (stanzas), the one
  this object was read in or is to be written in.

A field without a default is required.  Repeated kinds default to the empty tuple.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from xepcodec.model.values import Value

__all__ = [
    "ANY_NAME",
    "AttrSpec",
    "ChildSpec",
    "ChildrenSpec",
    "ExtensionsSpec",
    "FieldSpec",
    "FlagSpec",
    "LocalNameSpec",
    "TextChildSpec",
    "TextChildrenSpec",
    "TextSpec",
    "XmlnsSpec",
    "attr",
    "child",
    "children",
    "extensions",
    "flag",
    "local_name",
    "text",
    "text_child",
    "text_children",
    "xmlns",
]

SPEC = "xepcodec"
#: Declares a class for every element of its namespace that no other class names
#: exactly (XEP-0464 cookies are named by their cookie name); give it a local_name().
ANY_NAME = "*"
MISSING: Any = dataclasses.MISSING


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """Base of the field specs."""


@dataclass(frozen=True, slots=True)
class AttrSpec(FieldSpec):
    name: str | None  # XML name, Clark notation when namespaced; None: the field's name
    value: Value[Any] | None  # None: chosen from the annotation


@dataclass(frozen=True, slots=True)
class TextSpec(FieldSpec):
    value: Value[Any] | None


@dataclass(frozen=True, slots=True)
class ChildSpec(FieldSpec):
    classes: tuple[type, ...]


@dataclass(frozen=True, slots=True)
class ChildrenSpec(FieldSpec):
    classes: tuple[type, ...]


@dataclass(frozen=True, slots=True)
class TextChildSpec(FieldSpec):
    name: str
    namespace: str | None  # None: the parent's namespace
    value: Value[Any] | None


@dataclass(frozen=True, slots=True)
class TextChildrenSpec(FieldSpec):
    name: str
    namespace: str | None
    value: Value[Any] | None


@dataclass(frozen=True, slots=True)
class FlagSpec(FieldSpec):
    name: str
    namespace: str | None


@dataclass(frozen=True, slots=True)
class ExtensionsSpec(FieldSpec):
    foreign_only: bool = False  # only elements of other namespaces than the owner's


@dataclass(frozen=True, slots=True)
class XmlnsSpec(FieldSpec):
    pass


@dataclass(frozen=True, slots=True)
class LocalNameSpec(FieldSpec):
    pass


def _field(spec: FieldSpec, default: Any, *, repr_: bool = True) -> Any:
    return dataclasses.field(default=default, metadata={SPEC: spec}, repr=repr_)


def attr(name: str | None = None, *, value: Value[Any] | None = None,
         default: Any = MISSING) -> Any:
    """An attribute.  ``name`` defaults to the field name without a trailing underscore
    (so ``from_`` maps to ``from``); the value kind defaults to the one the annotation
    implies."""
    return _field(AttrSpec(name, value), default)


def text(*, value: Value[Any] | None = None, default: Any = MISSING) -> Any:
    """The element's character data."""
    return _field(TextSpec(value), default)


def child(*classes: type, default: Any = MISSING) -> Any:
    """Exactly one child of one of ``classes`` (optional when a default is given)."""
    return _field(ChildSpec(classes), default)


def children(*classes: type) -> Any:
    """Any number of children of ``classes``, as a tuple in document order."""
    return _field(ChildrenSpec(classes), ())


def text_child(name: str, namespace: str | None = None, *, value: Value[Any] | None = None,
               default: Any = MISSING) -> Any:
    """A child element that holds text only; the field is its text."""
    return _field(TextChildSpec(name, namespace, value), default)


def text_children(name: str, namespace: str | None = None, *,
                  value: Value[Any] | None = None) -> Any:
    """Repeated text-only children, as a tuple of their texts."""
    return _field(TextChildrenSpec(name, namespace, value), ())


def flag(name: str, namespace: str | None = None) -> Any:
    """An empty child whose presence means True."""
    return _field(FlagSpec(name, namespace), False)


def extensions(*, foreign_only: bool = False) -> Any:
    """The open slot: every child no other field claims, kept in order.

    With ``foreign_only`` the slot holds only elements of other namespaces, as most
    protocols that let others extend them say: an element of the owner's namespace (of
    any of them, for an element declared in several) is an unknown or misplaced part
    of the protocol itself, and one in no namespace belongs to no protocol.  Both are
    refused wherever an object is made: by the constructor (``ArgumentValueError``
    naming the class) and on decoding (``bad-request`` naming the owner element), after
    the class's own ``__post_init__`` rules."""
    return _field(ExtensionsSpec(foreign_only), ())


def xmlns(default: str | None) -> Any:
    """The namespace of an element that exists in several (see the ``element``
    decorator's tuple of namespaces).  With ``None`` for default, None stands for the
    namespace the element's place gives it (its parent's, or the first alone), and
    only another one is recorded."""
    return _field(XmlnsSpec(), default)


def local_name(default: Any = MISSING) -> Any:
    """The local name of an element declared under several names (the 22 stanza error
    conditions, say); an Enum annotation maps names to members."""
    return _field(LocalNameSpec(), default)
