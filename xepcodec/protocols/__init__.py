"""One module per protocol, named for what it is; ``xep(n)`` finds one by number.

``load_all()`` (called when ``xepcodec`` is imported) declares every element class, so
that the registry can type any payload it meets.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Final

__all__ = ["MODULES", "load_all", "xep"]

#: XEP number -> module name under xepcodec.protocols.  A module may serve several
#: XEPs (disco carries XEP-0128's extended information, dataforms XEP-0068's FORM_TYPE).
MODULES: Final[dict[int, str]] = {
    4: "dataforms",
    30: "disco",
    50: "commands",
    59: "rsm",
    68: "dataforms",
    76: "evil",
    82: "datetime",
    115: "caps",
    128: "disco",
    136: "archive",
    189: "pubkey",
    199: "ping",
    239: "binary",
    241: "archive",
    267: "server_buddies",
    419: "security",
    464: "cookies",
}


def xep(number: int) -> ModuleType:
    """The module implementing XEP ``number`` (``xep(30)`` is the disco module)."""
    try:
        name = MODULES[number]
    except KeyError:
        raise LookupError(f"xepcodec implements no module for XEP-{number:04d}") from None
    return importlib.import_module(f"{__name__}.{name}")


def load_all() -> None:
    """Import every protocol module (and the stanzas), declaring their elements."""
    importlib.import_module("xepcodec.core.stanzas")
    importlib.import_module("xepcodec.core.streams")
    for name in sorted(set(MODULES.values())):
        importlib.import_module(f"{__name__}.{name}")
