"""The registry of element classes, keyed by (namespace, local name).

It is what lets an open slot (a stanza's payload, a command's content) come out typed:
any declared class is found here by the Clark tag of the element being read.
"""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["lookup", "namespaces", "register", "registered"]

_BY_TAG: dict[str, type] = {}


def register(cls: type, namespace: str, name: str) -> None:
    tag = f"{{{namespace}}}{name}" if namespace else name
    known = _BY_TAG.get(tag)
    if known is not None and known.__qualname__ != cls.__qualname__:
        raise TypeError(f"{tag} is declared twice: by {known.__module__}.{known.__qualname__} "
                        f"and by {cls.__module__}.{cls.__qualname__}")
    _BY_TAG[tag] = cls


def lookup(tag: str) -> type | None:
    """The class declared for a Clark tag (``{namespace}name``), or None."""
    return _BY_TAG.get(tag)


def registered() -> Iterator[tuple[str, type]]:
    """Every (Clark tag, class) pair, in declaration order."""
    return iter(list(_BY_TAG.items()))


def namespaces() -> frozenset[str]:
    """Every namespace some declared class lives in."""
    return frozenset(tag[1:].partition("}")[0] for tag in _BY_TAG if tag.startswith("{"))
