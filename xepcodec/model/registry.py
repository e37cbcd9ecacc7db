"""The registry of element classes, keyed by (namespace, local name).

It is what lets an open slot (a stanza's payload, a command's content) come out typed:
any declared class is found here by the Clark tag of the element being read.  Protocol
modules are imported when their namespace is first looked up (the table
:data:`xepcodec.protocols.DECLARED_IN`), so a program pays only for the protocols it meets.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

from xepcodec.protocols import DECLARED_IN

__all__ = ["lookup", "namespaces", "register", "registered"]

_BY_TAG: dict[str, type] = {}
#: What the decoders worked out from this table, by tag (see
#: :func:`xepcodec.model.codec.decode_child`); emptied whenever a class is declared.
derived: dict[str, object] = {}
#: Namespaces whose declaring modules have not been imported through the registry yet.
_UNLOADED: dict[str, tuple[str, ...]] = dict(DECLARED_IN)


def register(cls: type, namespace: str, name: str) -> None:
    tag = f"{{{namespace}}}{name}" if namespace else name
    known = _BY_TAG.get(tag)
    if known is not None and known.__qualname__ != cls.__qualname__:
        raise TypeError(f"{tag} is declared twice: by {known.__module__}.{known.__qualname__} "
                        f"and by {cls.__module__}.{cls.__qualname__}")
    _BY_TAG[tag] = cls
    derived.clear()


def lookup(tag: str) -> type | None:
    """The class declared for a Clark tag (``{namespace}name``), or None."""
    cls = _BY_TAG.get(tag)
    if cls is None and _UNLOADED and tag.startswith("{"):
        # Tested here, not in _load: most misses are namespaces no module declares.
        namespace = tag[1:].partition("}")[0]
        if namespace in _UNLOADED:
            _load(namespace)
            cls = _BY_TAG.get(tag)
    return cls


def registered() -> Iterator[tuple[str, type]]:
    """Every (Clark tag, class) pair of every protocol, by tag."""
    _load_everything()
    return iter(sorted(_BY_TAG.items()))


def namespaces() -> frozenset[str]:
    """Every namespace some declared class lives in."""
    _load_everything()
    return frozenset(tag[1:].partition("}")[0] for tag in _BY_TAG if tag.startswith("{"))


def _load(namespace: str) -> bool:
    """Import the modules declaring ``namespace``; False if none is left to import."""
    modules = _UNLOADED.get(namespace)
    if modules is None:
        return False
    for name in modules:
        importlib.import_module(name)
    # Only once they are imported: a lookup racing this one must not find the
    # namespace gone while its classes are still being declared.
    _UNLOADED.pop(namespace, None)
    return True


def _load_everything() -> None:
    for namespace in list(_UNLOADED):
        _load(namespace)
