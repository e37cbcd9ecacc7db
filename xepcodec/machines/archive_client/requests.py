"""The archive client's requests in flight: one typed context per request kind, and
the table of iqs sent and not yet answered."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import ClassVar, TypeAlias, TypeVar

from xepcodec.core.stanzas import Iq
from xepcodec.machines.archive_client.events import CollectionId, RequestKind, SaveKind
from xepcodec.protocols.archive import Scope

__all__ = [
    "AutoRequest",
    "Context",
    "DiscoRequest",
    "KeysRequest",
    "ListRequest",
    "Pending",
    "RekeyDelete",
    "RekeySave",
    "RemoveRequest",
    "Requests",
    "RetrieveRequest",
    "SaveRequest",
    "UploadChunk",
    "context_of",
]

C = TypeVar("C")


@dataclass(frozen=True, slots=True)
class DiscoRequest:
    """disco#info of the server."""

    kind: ClassVar[RequestKind] = RequestKind.DISCO


@dataclass(frozen=True, slots=True)
class UploadChunk:
    """Chunk ``chunk`` (from 1) of the upload named by its first chunk's id."""

    kind: ClassVar[RequestKind] = RequestKind.UPLOAD
    upload: str
    chunk: int


@dataclass(frozen=True, slots=True)
class SaveRequest:
    """A subject or form ``save``; ``key_names`` are the public keys its form's key is
    wrapped for (what key replacement must see)."""

    kind: ClassVar[RequestKind] = RequestKind.SAVE
    collection: CollectionId
    change: SaveKind
    key_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AutoRequest:
    """An ``auto`` setting."""

    kind: ClassVar[RequestKind] = RequestKind.AUTO
    save: bool
    encrypt: bool
    scope: Scope | None


@dataclass(frozen=True, slots=True)
class ListRequest:
    """One page of the list of collections (what was asked is the iq's payload)."""

    kind: ClassVar[RequestKind] = RequestKind.LIST


@dataclass(frozen=True, slots=True)
class RetrieveRequest:
    """One page of a collection being retrieved."""

    kind: ClassVar[RequestKind] = RequestKind.RETRIEVE
    collection: CollectionId


@dataclass(frozen=True, slots=True)
class RemoveRequest:
    """The removal of a collection."""

    kind: ClassVar[RequestKind] = RequestKind.REMOVE
    collection: CollectionId


@dataclass(frozen=True, slots=True)
class KeysRequest:
    """One page of ``keys`` for key replacement."""

    kind: ClassVar[RequestKind] = RequestKind.KEYS


@dataclass(frozen=True, slots=True)
class RekeySave:
    """Key replacement: new keys of a collection, for the symmetric keys ``carried``."""

    kind: ClassVar[RequestKind] = RequestKind.REKEY_SAVE
    collection: CollectionId
    carried: tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class RekeyDelete:
    """Key replacement: the delete of a collection's old keys."""

    kind: ClassVar[RequestKind] = RequestKind.REKEY_DELETE
    collection: CollectionId


Context: TypeAlias = (DiscoRequest | UploadChunk | SaveRequest | AutoRequest | ListRequest
                      | RetrieveRequest | RemoveRequest | KeysRequest | RekeySave | RekeyDelete)


@dataclass(frozen=True, slots=True)
class Pending:
    """An iq sent and not answered, and what it is for."""

    iq: Iq
    context: Context


def context_of(pending: Pending, kind: type[C]) -> C:
    """The context of ``pending``, which the request table says is a ``kind``."""
    context = pending.context
    if not isinstance(context, kind):
        raise TypeError(f"the request {pending.iq.id!r} is a {type(context).__name__}, "
                        f"not a {kind.__name__}")
    return context


class Requests:
    """The iqs in flight, by id, in the order they were sent."""

    __slots__ = ("_pending",)

    def __init__(self, pending: Iterable[Pending] = ()) -> None:
        self._pending: dict[str, Pending] = {each.iq.id: each for each in pending}

    def track(self, iq: Iq, context: Context) -> Iq:
        self._pending[iq.id] = Pending(iq, context)
        return iq

    def get(self, iq_id: str | None) -> Pending | None:
        return None if iq_id is None else self._pending.get(iq_id)

    def take(self, iq_id: str) -> Pending:
        return self._pending.pop(iq_id)

    def drop(self, which: Callable[[Context], bool]) -> list[Pending]:
        """Forget the requests whose context ``which`` selects; they are returned."""
        dropped = [each for each in self._pending.values() if which(each.context)]
        for each in dropped:
            del self._pending[each.iq.id]
        return dropped

    def __iter__(self) -> Iterator[Pending]:
        return iter(tuple(self._pending.values()))

    def __len__(self) -> int:
        return len(self._pending)
