"""What the archive server tells its caller, besides the stanzas it sends: the collections
that automatic archiving opens and finishes, the messages it keeps or leaves out, and the
public keys it records.

Every class here derives from :class:`ArchiveServerEvent`; the server's methods return
these together with the shared :class:`~xepcodec.machines.base.Send` and
:class:`~xepcodec.machines.base.Ignored`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from xepcodec.core.stanzas import Message
from xepcodec.datatypes.jid import JID
from xepcodec.machines.base import Event
from xepcodec.protocols.xmlenc import KeyInfo

__all__ = [
    "ArchiveServerEvent",
    "CollectionFinished",
    "CollectionOpened",
    "FinishReason",
    "KeysPublished",
    "MessageArchived",
    "NotArchived",
    "NotArchivedReason",
]


class NotArchivedReason(enum.StrEnum):
    """Why :meth:`ArchiveServer.archive_message` kept nothing."""

    #: automatic archiving is off for the stream
    AUTO_OFF = "auto-off"
    #: the Save Mode for this peer or thread is ``false``
    SAVE_FALSE = "save-false"
    #: an error message, or one with nothing the Save Mode keeps
    NOTHING_TO_SAVE = "nothing-to-save"
    #: the message names no peer (no ``to`` for one sent, no ``from`` for one received)
    NO_PEER = "no-peer"
    #: encryption is on but no usable public key is left (the published ones were
    #: withdrawn): the message is not stored in plain text instead
    NO_PUBLIC_KEY = "no-public-key"


class FinishReason(enum.StrEnum):
    """Why a collection being recorded was finished."""

    REQUESTED = "requested"
    IDLE = "idle"
    FULL = "full"
    AUTO_OFF = "auto-off"
    ENCRYPTION_CHANGED = "encryption-changed"
    REMOVED = "removed"
    STREAM_CLOSED = "stream-closed"
    SHUTDOWN = "shutdown"


@dataclass(frozen=True, slots=True)
class ArchiveServerEvent(Event):
    """The base of the archive server's own events."""


@dataclass(frozen=True, slots=True)
class CollectionOpened(ArchiveServerEvent):
    """Automatic archiving started a collection; ``key_name`` names its symmetric key
    when it is encrypted."""

    owner: JID
    with_: JID
    start: datetime
    thread: str | None
    key_name: str | None


@dataclass(frozen=True, slots=True)
class MessageArchived(ArchiveServerEvent):
    """A message went into a collection at ``position``, which now has ``version``."""

    owner: JID
    with_: JID
    start: datetime
    position: int
    version: int
    encrypted: bool


@dataclass(frozen=True, slots=True)
class CollectionFinished(ArchiveServerEvent):
    """A collection being recorded was finished (its key, if any, destroyed)."""

    owner: JID
    with_: JID
    start: datetime
    reason: FinishReason
    encrypted: bool


@dataclass(frozen=True, slots=True)
class NotArchived(ArchiveServerEvent):
    """A message that was not archived, and why."""

    message: Message
    reason: NotArchivedReason


@dataclass(frozen=True, slots=True)
class KeysPublished(ArchiveServerEvent):
    """The public keys now recorded for ``owner``'s account, as stored (XEP-0189 keys
    become ``<KeyInfo/>`` elements)."""

    owner: JID
    keys: tuple[KeyInfo, ...]
