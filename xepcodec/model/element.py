"""The ``@element`` decorator: one declaration makes a class parse, serialize, register
and (through :mod:`xepcodec.testing`) generate itself."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform

from xepcodec.model import registry
from xepcodec.model.codec import build_codec
from xepcodec.model.constructor import first_init
from xepcodec.model.fields import (
    ANY_NAME,
    attr,
    child,
    local_name,
    text,
    text_child,
)

__all__ = ["element"]

C = TypeVar("C", bound=type)


# Only the kinds that can be required are named as field specifiers: type checkers treat
# a specifier call without ``default=`` as required, while a plain call (children(),
# flag(), extensions(), xmlns()) reads to them as the default value it is.
@dataclass_transform(
    frozen_default=True,
    kw_only_default=True,
    field_specifiers=(attr, text, child, text_child, local_name, dataclasses.field),
)
def element(namespace: str | tuple[str, ...], name: str | tuple[str, ...], *,
            prefix: str | None = None, register: bool = True) -> Callable[[C], C]:
    """Declare an XML element class.

    The class becomes a frozen, slotted, keyword-only dataclass; each field says how it
    maps to XML with the helpers of :mod:`xepcodec.model.fields`.  ``namespace`` may be
    a tuple when the same element exists in several namespaces (stanzas in
    ``jabber:client``, ``jabber:server`` and ``jabber:component:accept``): as a child it
    follows its parent's namespace, and an :func:`~xepcodec.model.fields.xmlns` field
    records which one a top-level object uses.

    The keyword constructor checks its arguments against the declaration, converting
    what has one obvious conversion (a str for a JID or an enum member, any iterable
    for a repeated field, kept as a tuple) and refusing the rest with an
    :class:`~xepcodec.errors.ArgumentTypeError` or
    :class:`~xepcodec.errors.ArgumentValueError` naming the class and field.
    """
    namespaces = (namespace,) if isinstance(namespace, str) else tuple(namespace)
    names = (name,) if isinstance(name, str) else tuple(name)

    def declare(cls: C) -> C:
        made: Any = dataclasses.dataclass(frozen=True, slots=True, kw_only=True)(cls)
        made.__xml_codec__ = build_codec(made, namespaces, names, prefix)
        made.__init__ = first_init(made)
        if register:
            for each in namespaces:
                for local in names:
                    if local != ANY_NAME:  # reached through its container only
                        registry.register(made, each, local)
        return made  # type: ignore[no-any-return]

    return declare
