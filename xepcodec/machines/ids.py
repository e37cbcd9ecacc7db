"""The default stanza-id source of the machines."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["IdCounter"]


@dataclass(slots=True)
class IdCounter:
    """Ids ``<prefix>-1``, ``<prefix>-2``…  A machine saves :attr:`next` with its
    snapshot, so that ids never repeat after a restore.  Callers that need ids unique
    across machines or processes hand their own source in instead."""

    prefix: str
    next: int = 1

    def __call__(self) -> str:
        value = self.next
        self.next += 1
        return f"{self.prefix}-{value}"
