"""Test support for xepcodec and for code that uses it.

``xepcodec.testing.strategies`` is the entry point: ``for_class(Cls)`` gives a
hypothesis strategy for any declared element (the protocol-specific strategies that know
the rules tying fields together are registered on first use), and ``messages()``,
``presences()``, ``iqs()``, ``stanzas()``, ``minimally_invalid()`` and
``invalid_stanzas()`` are there too.  ``assert_valid_stanza`` (also a pytest fixture,
through the plugin) checks a stanza against the schemas and the model.

Nothing is imported eagerly: the pytest plugin lives in this package and pytest loads it
in every session, including those of users who have no hypothesis installed.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["assert_valid_stanza", "for_class", "register", "strategies"]

_FROM = {
    "for_class": "xepcodec.testing.strategies",
    "register": "xepcodec.testing.strategies",
    "assert_valid_stanza": "xepcodec.testing.assertions",
}


def __getattr__(name: str) -> Any:
    if name in _FROM:
        return getattr(importlib.import_module(_FROM[name]), name)
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
