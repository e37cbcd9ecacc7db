"""What the archive client reports: the collection id, the kinds of requests and saves,
and its events, all derived from :class:`ArchiveClientEvent`."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from xepcodec.core.stanza_errors import Condition, StanzaError
from xepcodec.datatypes.dates import format_datetime
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ProtocolError
from xepcodec.machines.base import Event
from xepcodec.protocols.archive import Chat, Entry, Link, List, Note, Remove, Scope
from xepcodec.protocols.dataforms import Form
from xepcodec.protocols.rsm import ResultSet

__all__ = [
    "ArchiveClientEvent",
    "AutoArchivingSet",
    "ChunkSaved",
    "CollectionId",
    "CollectionKept",
    "CollectionRetrieved",
    "CollectionSaved",
    "CollectionsListed",
    "DecryptionFailed",
    "EncryptionUnsupported",
    "EntriesRetrieved",
    "FormRetrieved",
    "NewKeysSaved",
    "NoPublicKey",
    "OldKeysDeleted",
    "PrivateKeyNeeded",
    "RekeyCancelled",
    "RekeyFailed",
    "RekeyFinished",
    "RemovalDone",
    "RequestFailed",
    "RequestKind",
    "RewrapFailed",
    "SaveKind",
    "ServerSupport",
    "StanzaTooLargeError",
    "SubjectNotAcknowledgedError",
    "UploadFailed",
    "UploadFinished",
    "has_more",
]


# -- values --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CollectionId:
    """What identifies a collection: the other party's JID and the start time."""

    with_: JID
    start: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.start.utcoffset() is None:
            raise ValueError("a collection's start time needs a time zone (XEP-0082); this "
                             "datetime is naive")

    @classmethod
    def of(cls, chat: Chat) -> CollectionId:
        return cls(chat.with_, chat.start)

    def __str__(self) -> str:
        return f"{self.with_} @ {format_datetime(self.start)}"


class RequestKind(enum.StrEnum):
    """What an iq in flight asks for."""

    DISCO = "disco"
    UPLOAD = "upload"
    SAVE = "save"
    AUTO = "auto"
    LIST = "list"
    RETRIEVE = "retrieve"
    REMOVE = "remove"
    KEYS = "keys"
    REKEY_SAVE = "rekey-save"
    REKEY_DELETE = "rekey-delete"


class SaveKind(enum.StrEnum):
    """What a single ``save`` (other than an upload) changed."""

    SUBJECT = "subject"
    FORM = "form"
    FORM_REMOVED = "form-removed"


# -- errors --------------------------------------------------------------------------------


class SubjectNotAcknowledgedError(ProtocolError):
    """A subject was to go on an encrypted collection without the caller saying the
    user was warned (XEP-0241 §8: the subject is stored unencrypted, and the client
    MUST warn its user before sending one)."""

    def __init__(self, collection: CollectionId) -> None:
        self.collection = collection
        super().__init__(
            f"the collection with {collection.with_} started {format_datetime(collection.start)}"
            " is encrypted, but its 'subject' would be stored in clear on the server: "
            "XEP-0241 requires warning the user first; pass subject_acknowledged=True once "
            "the user has been warned, or leave the subject out")


class StanzaTooLargeError(ProtocolError):
    """One item (a message, a note, a form, a key) is too large to fit in a single iq
    under the size limit, so it cannot be uploaded at all."""


# -- events --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArchiveClientEvent(Event):
    """The base of every event of the archive client's own (besides the shared
    :class:`~xepcodec.machines.base.Send` and :class:`~xepcodec.machines.base.Ignored`)."""


class _Failure(ArchiveClientEvent):
    """What the failure events share: the error answer, if any, and its condition."""

    __slots__ = ()
    error: StanzaError | None

    @property
    def condition(self) -> Condition | None:
        """The stanza error condition, or None when the answer was not an error but
        could not be used."""
        return self.error.condition if self.error is not None else None


@dataclass(frozen=True, slots=True)
class ServerSupport(ArchiveClientEvent):
    """What the server's disco#info says about archiving: the archiving namespaces it
    advertises, and whether it encrypts auto-archived messages (XEP-0241 §7)."""

    namespaces: tuple[str, ...]
    encryption: bool
    features: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChunkSaved(ArchiveClientEvent):
    """The server stored ``chunk`` (counted from 1) of ``chunks`` of an upload;
    ``version`` is the collection version it answered with, if any."""

    upload: str
    collection: CollectionId
    chunk: int
    chunks: int
    version: int | None


@dataclass(frozen=True, slots=True)
class UploadFinished(ArchiveClientEvent):
    """Every chunk of the upload is stored."""

    upload: str
    collection: CollectionId
    chunks: int
    version: int | None


@dataclass(frozen=True, slots=True)
class UploadFailed(_Failure):
    """The server refused ``chunk`` of the upload; the later chunks are not sent (the
    earlier ones are stored)."""

    upload: str
    collection: CollectionId
    chunk: int
    chunks: int
    error: StanzaError | None
    reason: str


@dataclass(frozen=True, slots=True)
class CollectionSaved(ArchiveClientEvent):
    """A subject or form change was stored."""

    collection: CollectionId
    change: SaveKind
    version: int | None


@dataclass(frozen=True, slots=True)
class AutoArchivingSet(ArchiveClientEvent):
    """The server accepted the ``auto`` setting."""

    save: bool
    encrypt: bool | None
    scope: Scope | None


@dataclass(frozen=True, slots=True)
class EncryptionUnsupported(_Failure):
    """Encrypted auto-archiving was asked for and the server does not encrypt
    (``feature-not-implemented``)."""

    error: StanzaError | None


@dataclass(frozen=True, slots=True)
class NoPublicKey(_Failure):
    """Encrypted auto-archiving was asked for and the server has no public key of the
    user's to encrypt with (``not-acceptable``): publish one, or send one with the
    request."""

    error: StanzaError | None


@dataclass(frozen=True, slots=True)
class RequestFailed(_Failure):
    """A request failed (an error answer, or an answer that cannot be used)."""

    request: RequestKind
    collection: CollectionId | None
    error: StanzaError | None
    reason: str


@dataclass(frozen=True, slots=True)
class CollectionsListed(ArchiveClientEvent):
    """One page of a list of collections.  ``request`` is the ``list`` asked (for
    :meth:`ArchiveClient.list_next`); each chat's ``encrypted`` (``crypt='true'``)
    says whether its messages are encrypted."""

    request: List
    chats: tuple[Chat, ...]
    result_set: ResultSet | None

    @property
    def has_more(self) -> bool:
        """Whether a page follows this one."""
        asked = self.request.rsm.max if self.request.rsm is not None else None
        return has_more(self.result_set, len(self.chats), asked)

    @property
    def encrypted(self) -> tuple[CollectionId, ...]:
        """The collections of this page that are encrypted."""
        return tuple(CollectionId.of(chat) for chat in self.chats if chat.encrypted)


@dataclass(frozen=True, slots=True)
class EntriesRetrieved(ArchiveClientEvent):
    """One page of a collection, decrypted: its messages and notes in order.
    ``encrypted`` says whether they came encrypted."""

    collection: CollectionId
    entries: tuple[Entry | Note, ...]
    encrypted: bool
    result_set: ResultSet | None


@dataclass(frozen=True, slots=True)
class FormRetrieved(ArchiveClientEvent):
    """The collection's x:data form, decrypted when it came encrypted."""

    collection: CollectionId
    form: Form
    encrypted: bool


@dataclass(frozen=True, slots=True)
class DecryptionFailed(ArchiveClientEvent):
    """Encrypted content of a page could not be decrypted with the caller's private
    key: ``key_names`` are the symmetric keys it was encrypted with (``None`` for an
    unnamed one); ``items`` how many ``EncryptedData`` elements were left closed."""

    collection: CollectionId
    key_names: tuple[str | None, ...]
    items: int
    reason: str


@dataclass(frozen=True, slots=True)
class CollectionRetrieved(ArchiveClientEvent):
    """A retrieval reached the end of the collection.  ``entries`` counts the messages
    and notes reported, ``undecryptable`` the encrypted items left closed."""

    collection: CollectionId
    subject: str | None
    thread: str | None
    version: int | None
    links: tuple[Link, ...]
    entries: int
    undecryptable: int


@dataclass(frozen=True, slots=True)
class RemovalDone(ArchiveClientEvent):
    """The server removed what a ``remove`` asked for."""

    request: Remove


@dataclass(frozen=True, slots=True)
class PrivateKeyNeeded(ArchiveClientEvent):
    """A step needs the private key of the public key ``key_name`` and the machine does
    not hold it: give it with :meth:`ArchiveClient.provide_private_key`.  ``purpose``
    is the flow that waits (``retrieve`` or ``keys``)."""

    key_name: str
    purpose: RequestKind
    collection: CollectionId | None = None


@dataclass(frozen=True, slots=True)
class NewKeysSaved(ArchiveClientEvent):
    """Key replacement: the server stored the new ``EncryptedKey`` elements for these
    symmetric keys of a collection."""

    collection: CollectionId
    carried_key_names: tuple[str | None, ...]
    version: int | None


@dataclass(frozen=True, slots=True)
class OldKeysDeleted(ArchiveClientEvent):
    """Key replacement: the old public key's ``EncryptedKey`` elements are gone from the
    collection (``already``: the server said there were none left to delete)."""

    collection: CollectionId
    key_name: str
    already: bool = False


@dataclass(frozen=True, slots=True)
class RewrapFailed(ArchiveClientEvent):
    """Key replacement: the old private key cannot unwrap this symmetric key of the
    collection, so the collection keeps its old keys."""

    collection: CollectionId
    carried_key_name: str | None


@dataclass(frozen=True, slots=True)
class CollectionKept(_Failure):
    """Key replacement: this collection keeps its old keys; the flow will not delete
    them (a key could not be re-wrapped, or the server refused a step)."""

    collection: CollectionId
    reason: str
    error: StanzaError | None = None


@dataclass(frozen=True, slots=True)
class RekeyFinished(ArchiveClientEvent):
    """Key replacement is over: no collection holds a key for ``old_key_name`` any more
    except those in ``kept``.  ``deleted`` counts the collections cleaned up."""

    old_key_name: str
    new_key_name: str
    deleted: int
    kept: tuple[CollectionId, ...]


@dataclass(frozen=True, slots=True)
class RekeyCancelled(ArchiveClientEvent):
    """Key replacement was cancelled (:meth:`ArchiveClient.cancel_rekey`): nothing more
    is sent for it, and answers to its iqs still in flight are ignored.

    Those iqs may still reach the server and be carried out, which loses nothing: a
    save (collections in ``saving``) adds a key for the new public key beside the old
    ones, and a delete (``deleting``) removes the old keys of a collection only after
    the server acknowledged its new keys, so that it opens with the new private key.
    ``deleted`` counts the collections whose old keys are gone already."""

    old_key_name: str
    new_key_name: str
    deleted: int
    saving: tuple[CollectionId, ...]
    deleting: tuple[CollectionId, ...]


@dataclass(frozen=True, slots=True)
class RekeyFailed(_Failure):
    """Key replacement stopped: the server refused to list the keys.  Nothing was
    deleted that had no acknowledged replacement; start again to continue."""

    old_key_name: str
    error: StanzaError | None
    reason: str


# -- paging --------------------------------------------------------------------------------


def has_more(result_set: ResultSet | None, received: int, asked: int | None) -> bool:
    """Whether a page of ``received`` items, answered with ``result_set`` to a request
    for ``asked`` items, has a page after it."""
    if result_set is None or result_set.last is None or received == 0:
        return False
    if result_set.count is not None and result_set.first_index is not None:
        return result_set.first_index + received < result_set.count
    return asked is not None and received >= asked
