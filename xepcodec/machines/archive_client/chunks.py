"""The one chunk packer: items cut into ``save`` iqs that each stay under the size
limit once serialized (an upload's messages, plain or encrypted, and the new keys of
a key replacement)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from xepcodec.api import serialize
from xepcodec.core.stanzas import Iq
from xepcodec.machines.archive_client.events import StanzaTooLargeError

__all__ = ["pack"]

T = TypeVar("T")

#: What an item of ``size`` bytes is expected to add to an iq is ``size * scale`` plus
#: this much (a separator, an attribute quoted differently).
_SLACK = 4


def pack(items: Sequence[T], build: Callable[[Sequence[T], int, str], Iq], *, limit: int,
         ids: Callable[[], str], what: Callable[[int], str], scale: float = 1.0
         ) -> list[tuple[Iq, Sequence[T]]]:
    """``items`` in iqs of at most ``limit`` bytes, each with the items it carries.

    ``build(part, index, id)`` makes the iq of chunk ``index`` (from 0) carrying
    ``part`` under the id ``id`` (drawn from ``ids`` once per chunk, so that building a
    chunk again keeps it); it is called again with fewer items when an iq turns out
    too large.  ``scale`` is how much an item grows inside the iq (4/3 for encrypted,
    Base64 text).  An item too large for an iq on its own raises
    :class:`StanzaTooLargeError`, naming it by ``what(position)``."""
    sizes = [_size(item) for item in items]
    chunks: list[tuple[Iq, Sequence[T]]] = []
    position = 0
    while position < len(items):
        index, chunk_id = len(chunks), ids()
        rest = items[position:]
        iq = build(rest[:1], index, chunk_id)
        probe = _size(iq)
        if probe > limit:
            raise StanzaTooLargeError(f"{what(position)} makes a {probe}-byte save iq on its "
                                      f"own, over the limit of {limit} bytes")
        count = _fit(sizes[position:], probe, scale, limit)
        while count > 1:
            iq = build(rest[:count], index, chunk_id)
            size = _size(iq)
            if size <= limit:
                break
            count = _shrink(count, size, limit)
            if count == 1:  # the probe fits: it is the chunk
                iq = build(rest[:1], index, chunk_id)
        chunks.append((iq, rest[:count]))
        position += count
    return chunks


def _size(value: Any) -> int:
    return len(serialize(value))


def _fit(sizes: Sequence[int], probe: int, scale: float, limit: int) -> int:
    """How many items, starting with one that alone makes an iq of ``probe`` bytes,
    are expected to fit: each next item adds its size times ``scale``."""
    total = float(probe)
    count = 1
    for size in sizes[1:]:
        total += size * scale + _SLACK
        if total > limit:
            break
        count += 1
    return count


def _shrink(count: int, size: int, limit: int) -> int:
    """Fewer items than ``count``, which made ``size`` bytes: about as many fewer as the
    excess suggests, at least one fewer, never fewer than one."""
    cut = max(1, int(count * (size - limit) / size) + 1)
    return max(1, count - cut)
