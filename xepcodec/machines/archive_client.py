"""The client side of message archiving (XEP-0136) with encrypted collections
(XEP-0241), as a sans-IO machine.

One :class:`ArchiveClient` speaks for one account.  What the user wants is a method
call, which returns the iqs to send (in order); what arrives is given to
:meth:`ArchiveClient.handle`, which returns a list of events: what happened, and
:class:`Send` events for the iqs a flow sends next.  The machine never sends,
reads a clock or draws randomness itself: stanza ids come from ``ids`` (a counter
saved with the snapshot by default), random octets (symmetric keys, IVs, key names)
from ``random``, which the caller hands in (``os.urandom`` in production).

The flows:

* **Upload** (:meth:`~ArchiveClient.upload`): the messages and notes are encrypted
  with a fresh symmetric key, wrapped for each recipient (public keys the caller has
  *confirmed* as the user's own; XEP-0241 forbids wrapping for any other), and cut
  into ``save`` iqs that each stay under :attr:`~ArchiveClient.max_stanza_bytes` once
  serialized.  The first carries the ``EncryptedKey`` elements; the later ones reuse
  the key and carry none.  They are sent one after the other, each once the previous
  one is acknowledged, so data never reaches the server before its key does; each
  answer is a :class:`ChunkSaved` (with the collection version) or an
  :class:`UploadFailed`, and the last one an :class:`UploadFinished`.  The symmetric
  key is destroyed as soon as the iqs are built.  ``encrypt=False`` uploads plain
  messages the same way.
* **Subject.** A collection's ``subject`` is stored in clear even when its messages
  are encrypted, and XEP-0241 says the client MUST warn the user first.  Every call
  that would put a subject on an encrypted collection raises
  :class:`SubjectNotAcknowledgedError` unless the caller passes
  ``subject_acknowledged=True``, saying the user was warned.
* **Forms** (:meth:`~ArchiveClient.set_form`, :meth:`~ArchiveClient.remove_form`):
  an x:data form of attributes, its fields encrypted as XEP-0241 shows (the
  ``EncryptedData`` inside the form, the ``EncryptedKey`` elements beside it); an
  empty form removes the collection's form.
* **Automatic archiving** (:meth:`~ArchiveClient.enable_auto`): with ``encrypt`` and
  optionally extra public keys (``KeyInfo`` with ``KeyValue``) for the server to
  wrap its keys for.  The answer is :class:`AutoArchivingSet`,
  :class:`EncryptionUnsupported` (``feature-not-implemented``), :class:`NoPublicKey`
  (``not-acceptable``) or :class:`RequestFailed`.
* **Listing** (:meth:`~ArchiveClient.list_collections`): one page at a time (RSM);
  each page is a :class:`CollectionsListed` whose chats say whether they are
  encrypted (``crypt``); :meth:`~ArchiveClient.list_next` asks for the next page.
* **Retrieval** (:meth:`~ArchiveClient.retrieve`): page after page until the end,
  optionally asking only for the ``EncryptedKey`` elements of the caller's key names.
  Each page is decrypted with the caller's private key and reported as
  :class:`EntriesRetrieved` (and :class:`FormRetrieved` for the form,
  :class:`DecryptionFailed` for data it cannot open); :class:`CollectionRetrieved`
  ends it.  Symmetric keys are unwrapped for one page and destroyed after it.
* **Key replacement** (:meth:`~ArchiveClient.start_rekey`), when a private key is
  obsolete or compromised: described below.
* **Discovery** (:meth:`~ArchiveClient.discover`): whether the server archives, and
  encrypts (:class:`ServerSupport`).

Key replacement
---------------
The flow pages through ``keys`` (the ``EncryptedKey`` elements wrapped for the old
and the new public key, one ``chat`` per collection), unwraps every symmetric key
with the old private key and wraps it again for the new public key, saves the new
``EncryptedKey`` elements to their collections and, for each collection, deletes the
old ones (``delete``, an iq of type ``set``: it changes state, RFC 6120 §8.2.3) only
when a later ``keys`` page shows that every symmetric key the old public key opens in
that collection has a new ``EncryptedKey`` whose save the server acknowledged, or
one the server lists already and the new private key shows to carry the same key.
So:

* it never deletes the last key that opens a collection: a symmetric key the old
  private key cannot unwrap (:class:`RewrapFailed`), or a save the server refuses
  (other than as a ``conflict``, below), keeps the collection's old keys for good
  (:class:`CollectionKept`);
* a save that is sent twice (after a restart) is the same iq, which the server stores
  once; a key wrapped again for a collection (after a stale snapshot, a cancel, or
  because the server wrapped its own key for the new public key as it archives) is
  another wrap under the same names, which a server refuses as a ``conflict``.  So
  a key the server lists for the new public key is never saved again but checked:
  unwrapped with the new private key (``new_private_key=``, or
  :meth:`~ArchiveClient.provide_private_key`; :class:`PrivateKeyNeeded` when it is
  missing) it must carry the symmetric key the old one carries.  If it does not, the
  collection keeps its old keys (:class:`CollectionKept`); a save refused as a
  ``conflict`` only makes the flow look at the page again;
* a step that cannot be taken for one collection (a new key too large for any iq,
  a public key that cannot wrap) keeps that collection's old keys
  (:class:`CollectionKept`, with the reason) and the flow goes on with the others;
* deleting is checked against the server's own, fresh answer, so a key wrapped for
  the old public key that appears in the meantime is seen and re-wrapped before the
  delete goes out.  A small window remains between that answer and the delete, which
  no client can close alone: publish the new public key before replacing the old one,
  so that what the server archives meanwhile is wrapped for both, and let the user's
  other clients stop wrapping for the old key;
* this client's own uploads and forms wrapped for the old key are accounted for: one
  stored while the flow runs causes another pass, and the flow does not finish while
  one is still under way (:attr:`RekeyState.WAITING_FOR_UPLOADS`);
* after deleting, the page is asked for again; a whole pass with nothing left to do
  ends the flow with :class:`RekeyFinished`, which lists the collections that kept
  their old keys;
* :meth:`~ArchiveClient.cancel_rekey` stops the flow in any state and forgets its iqs
  in flight; those the server still carries out lose nothing (a save adds a key for
  the new public key; a delete goes only where the new keys were acknowledged), and
  :class:`RekeyCancelled` names the collections concerned.  Started again, the flow
  finds the keys saved meanwhile and checks them as above.

The private keys are handed to the step that needs them (``old_private_key=``,
``new_private_key=`` or :meth:`~ArchiveClient.provide_private_key`); when a ``keys``
page arrives and the machine does not hold one it needs (after a restore, say), the
page waits and a :class:`PrivateKeyNeeded` says which key to provide.

Persistence
-----------
:meth:`~ArchiveClient.snapshot` exports the whole state as a JSON-safe dict (the iqs
in flight and those waiting to be sent as XML text, the progress of every flow) and
:meth:`ArchiveClient.restore` brings it back.  Private keys and unwrapped symmetric
keys are never in it.  After a restart, :meth:`~ArchiveClient.resend` gives the iqs
that were in flight, with their ids, to send again.  An answer that comes twice is
ignored the second time, and every flow tolerates a request the server processed
twice: nothing is lost, though an upload chunk stored twice leaves its messages twice
in the collection (XEP-0136 allows such duplicates), unless the server recognizes
the repetition (xepcodec's server stores a byte-identical ``EncryptedData`` once).
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TypeAlias

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from xepcodec.api import parse, serialize
from xepcodec.core.jid import JID
from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanza_errors import Condition, StanzaError
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.crypto import (
    AES256_GCM,
    RSA_OAEP,
    DecryptionError,
    PublicKey,
    SymmetricKey,
    UnconfirmedKeyError,
    decrypt_collection,
    decrypt_octets,
    encrypt_collection,
    encrypt_entries,
    encrypt_octets,
    key_name,
    new_symmetric_key,
    rewrap_key,
    unwrap_key,
    wrap_key,
)
from xepcodec.crypto.algorithms import CIPHERS, KEY_TRANSPORTS, is_legacy
from xepcodec.errors import ArgumentValueError, ParseError, ProtocolError, XepCodecError
from xepcodec.machines.base import IdCounter
from xepcodec.protocols.archive import (
    ARCHIVE,
    FEATURE_ENCRYPT_SUFFIX,
    NAMESPACES,
    Auto,
    Chat,
    Delete,
    Entry,
    Keys,
    Link,
    List,
    Note,
    Remove,
    Retrieve,
    Save,
    Scope,
    feature,
)
from xepcodec.protocols.dataforms import DATA_FORMS, Field, Form, FormType
from xepcodec.protocols.datetime import format_datetime, parse_datetime
from xepcodec.protocols.disco import InfoQuery
from xepcodec.protocols.rsm import ResultSet
from xepcodec.protocols.xmlenc import (
    CONTENT,
    CipherData,
    EncryptedData,
    EncryptedKey,
    EncryptionMethod,
    KeyInfo,
)

__all__ = [
    "DEFAULT_MAX_STANZA_BYTES",
    "ArchiveClient",
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
    "Event",
    "FormRetrieved",
    "Ignored",
    "NewKeysSaved",
    "NoPublicKey",
    "OldKeysDeleted",
    "PrivateKeyNeeded",
    "RekeyCancelled",
    "RekeyFailed",
    "RekeyFinished",
    "RekeyState",
    "RemovalDone",
    "RequestFailed",
    "RequestKind",
    "RewrapFailed",
    "SaveKind",
    "Send",
    "ServerSupport",
    "StanzaTooLargeError",
    "SubjectNotAcknowledgedError",
    "UploadFailed",
    "UploadFinished",
]

#: The default size limit of one serialized iq, in bytes: a common server default
#: (servers are often configured between 64 KiB and 256 KiB).
DEFAULT_MAX_STANZA_BYTES: Final = 65_536
#: No limit lower than this is accepted: the smallest save must fit.
_MIN_STANZA_BYTES: Final = 1024
#: How often a collection whose old keys the server keeps listing after a delete is
#: deleted again before the flow gives up on it.
_MAX_DELETES: Final = 3
#: How often the new keys of a collection may be refused as a ``conflict`` while the
#: server lists no key for the new public key they could clash with.
_MAX_CONFLICTS: Final = 3

_SNAPSHOT_FORMAT: Final = "xepcodec.archive-client"
_SNAPSHOT_VERSION: Final = 1

Entries: TypeAlias = "tuple[Entry | Note, ...]"


# -- errors -------------------------------------------------------------------------------


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


# -- values ------------------------------------------------------------------------------


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

    def to_json(self) -> list[str]:
        return [str(self.with_), format_datetime(self.start)]

    @classmethod
    def from_json(cls, data: Sequence[str]) -> CollectionId:
        with_, start = data
        return cls(JID.parse(str(with_)), parse_datetime(str(start)))

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


#: The requests of key replacement.
_REKEY_REQUESTS: Final = frozenset({RequestKind.KEYS, RequestKind.REKEY_SAVE,
                                    RequestKind.REKEY_DELETE})


class SaveKind(enum.StrEnum):
    """What a single ``save`` (other than an upload) changed."""

    SUBJECT = "subject"
    FORM = "form"
    FORM_REMOVED = "form-removed"


class RekeyState(enum.StrEnum):
    """Where the key replacement flow stands."""

    #: a ``keys`` page is requested
    FETCHING = "fetching"
    #: a ``keys`` page waits for the old private key (:meth:`ArchiveClient.provide_private_key`)
    WAITING_FOR_KEY = "waiting-for-key"
    #: the last pass found nothing left, but this client's own uploads wrapped for the
    #: old key are still under way: once they are over, a new pass checks them
    WAITING_FOR_UPLOADS = "waiting-for-uploads"
    #: the saves and deletes of a page are in flight
    WORKING = "working"


# -- events ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Send:
    """An iq for the caller to send, following from an answer."""

    iq: Iq


@dataclass(frozen=True, slots=True)
class Ignored:
    """A stanza the machine did nothing with, and why (not an answer, not to a request
    in flight, not from the account's server)."""

    stanza: object
    reason: str


class _Failure:
    __slots__ = ()
    error: StanzaError | None

    @property
    def condition(self) -> Condition | None:
        """The stanza error condition, or None when the answer was not an error but
        could not be used."""
        return self.error.condition if self.error is not None else None


@dataclass(frozen=True, slots=True)
class ServerSupport:
    """What the server's disco#info says about archiving: the archiving namespaces it
    advertises, and whether it encrypts auto-archived messages (XEP-0241 §7)."""

    namespaces: tuple[str, ...]
    encryption: bool
    features: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChunkSaved:
    """The server stored ``chunk`` (counted from 1) of ``chunks`` of an upload;
    ``version`` is the collection version it answered with, if any."""

    upload: str
    collection: CollectionId
    chunk: int
    chunks: int
    version: int | None


@dataclass(frozen=True, slots=True)
class UploadFinished:
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
class CollectionSaved:
    """A subject or form change was stored."""

    collection: CollectionId
    change: SaveKind
    version: int | None


@dataclass(frozen=True, slots=True)
class AutoArchivingSet:
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
class CollectionsListed:
    """One page of a list of collections.  ``request`` is the ``list`` asked (for
    :meth:`ArchiveClient.list_next`); each chat's ``encrypted`` (``crypt='true'``)
    says whether its messages are encrypted."""

    request: List
    chats: tuple[Chat, ...]
    result_set: ResultSet | None

    @property
    def has_more(self) -> bool:
        """Whether a page follows this one."""
        return _has_more(self.result_set, len(self.chats), _page_max(self.request.rsm))

    @property
    def encrypted(self) -> tuple[CollectionId, ...]:
        """The collections of this page that are encrypted."""
        return tuple(CollectionId.of(chat) for chat in self.chats if chat.encrypted)


@dataclass(frozen=True, slots=True)
class EntriesRetrieved:
    """One page of a collection, decrypted: its messages and notes in order.
    ``encrypted`` says whether they came encrypted."""

    collection: CollectionId
    entries: tuple[Entry | Note, ...]
    encrypted: bool
    result_set: ResultSet | None


@dataclass(frozen=True, slots=True)
class FormRetrieved:
    """The collection's x:data form, decrypted when it came encrypted."""

    collection: CollectionId
    form: Form
    encrypted: bool


@dataclass(frozen=True, slots=True)
class DecryptionFailed:
    """Encrypted content of a page could not be decrypted with the caller's private
    key: ``key_names`` are the symmetric keys it was encrypted with (``None`` for an
    unnamed one); ``items`` how many ``EncryptedData`` elements were left closed."""

    collection: CollectionId
    key_names: tuple[str | None, ...]
    items: int
    reason: str


@dataclass(frozen=True, slots=True)
class CollectionRetrieved:
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
class RemovalDone:
    """The server removed what a ``remove`` asked for."""

    request: Remove


@dataclass(frozen=True, slots=True)
class PrivateKeyNeeded:
    """A step needs the private key of the public key ``key_name`` and the machine does
    not hold it: give it with :meth:`ArchiveClient.provide_private_key`.  ``purpose``
    is the flow that waits (``retrieve`` or ``rekey``)."""

    key_name: str
    purpose: RequestKind
    collection: CollectionId | None = None


@dataclass(frozen=True, slots=True)
class NewKeysSaved:
    """Key replacement: the server stored the new ``EncryptedKey`` elements for these
    symmetric keys of a collection."""

    collection: CollectionId
    carried_key_names: tuple[str | None, ...]
    version: int | None


@dataclass(frozen=True, slots=True)
class OldKeysDeleted:
    """Key replacement: the old public key's ``EncryptedKey`` elements are gone from the
    collection (``already``: the server said there were none left to delete)."""

    collection: CollectionId
    key_name: str
    already: bool = False


@dataclass(frozen=True, slots=True)
class RewrapFailed:
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
class RekeyFinished:
    """Key replacement is over: no collection holds a key for ``old_key_name`` any more
    except those in ``kept``.  ``deleted`` counts the collections cleaned up."""

    old_key_name: str
    new_key_name: str
    deleted: int
    kept: tuple[CollectionId, ...]


@dataclass(frozen=True, slots=True)
class RekeyCancelled:
    """Key replacement was cancelled (:meth:`ArchiveClient.cancel_rekey`): nothing more
    is sent for it, and answers to its iqs still in flight are :class:`Ignored`.

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


Event: TypeAlias = (
    Send | Ignored | ServerSupport | ChunkSaved | UploadFinished | UploadFailed
    | CollectionSaved | AutoArchivingSet | EncryptionUnsupported | NoPublicKey
    | RequestFailed | CollectionsListed | EntriesRetrieved | FormRetrieved
    | DecryptionFailed | CollectionRetrieved | RemovalDone | PrivateKeyNeeded
    | NewKeysSaved | OldKeysDeleted | RewrapFailed | CollectionKept | RekeyFinished
    | RekeyCancelled | RekeyFailed
)


# -- helpers -------------------------------------------------------------------------------


def _page_max(rsm: ResultSet | None) -> int | None:
    return rsm.max if rsm is not None else None


def _has_more(result_set: ResultSet | None, received: int, asked: int | None) -> bool:
    """Whether a page of ``received`` items, answered with ``result_set`` to a request
    for ``asked`` items, has a page after it."""
    if result_set is None or result_set.last is None or received == 0:
        return False
    if result_set.count is not None and result_set.first_index is not None:
        return result_set.first_index + received < result_set.count
    return asked is not None and received >= asked


def _jid(value: JID | str) -> JID:
    return JID.parse(value) if isinstance(value, str) else value


def _size(iq: Iq) -> int:
    return len(serialize(iq))


def _xml(iq: Iq) -> str:
    return serialize(iq).decode("utf-8")


def _iq(text: str) -> Iq:
    value = parse(text)
    if not isinstance(value, Iq):
        raise ValueError("a saved iq is not an iq")
    return value


def _public_key_json(key: PublicKey) -> dict[str, Any]:
    der = key.key.public_bytes(serialization.Encoding.DER,
                               serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"name": key.name, "confirmed": key.confirmed,
            "der": base64.b64encode(der).decode("ascii")}


def _public_key_from_json(data: Mapping[str, Any]) -> PublicKey:
    loaded = serialization.load_der_public_key(base64.b64decode(str(data["der"])))
    if not isinstance(loaded, RSAPublicKey):
        raise ValueError("the saved public key is not an RSA key")
    return PublicKey(name=str(data["name"]), key=loaded, confirmed=bool(data["confirmed"]))


def _private_key_name(private_key: RSAPrivateKey) -> str:
    return key_name(private_key.public_key())


# -- flow state ------------------------------------------------------------------------


@dataclass(slots=True)
class _Request:
    """An iq in flight and what it is for (``data`` is JSON-safe)."""

    kind: RequestKind
    iq: Iq
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "iq": _xml(self.iq), "data": self.data}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _Request:
        return cls(RequestKind(data["kind"]), _iq(str(data["iq"])), dict(data["data"]))


@dataclass(slots=True)
class _Upload:
    collection: CollectionId
    chunks: int
    waiting: list[Iq]
    #: the public keys the upload's symmetric key is wrapped for
    key_names: tuple[str, ...] = ()
    version: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"collection": self.collection.to_json(), "chunks": self.chunks,
                "waiting": [_xml(iq) for iq in self.waiting],
                "key_names": list(self.key_names), "version": self.version}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _Upload:
        return cls(CollectionId.from_json(data["collection"]), int(data["chunks"]),
                   [_iq(str(text)) for text in data["waiting"]],
                   tuple(str(name) for name in data["key_names"]),
                   None if data["version"] is None else int(data["version"]))


@dataclass(slots=True)
class _Retrieval:
    collection: CollectionId
    key_names: tuple[str, ...]
    private_key_name: str | None
    page_size: int
    entries: int = 0
    undecryptable: int = 0
    #: a page that waits for the private key
    parked: Chat | None = None

    def to_json(self) -> dict[str, Any]:
        return {"collection": self.collection.to_json(), "key_names": list(self.key_names),
                "private_key_name": self.private_key_name, "page_size": self.page_size,
                "entries": self.entries, "undecryptable": self.undecryptable,
                "parked": None if self.parked is None else serialize(self.parked).decode()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _Retrieval:
        parked = None
        if data["parked"] is not None:
            parked = parse(str(data["parked"]))
            if not isinstance(parked, Chat):
                raise ValueError("a saved retrieval page is not a <chat/>")
        name = data["private_key_name"]
        return cls(CollectionId.from_json(data["collection"]),
                   tuple(str(n) for n in data["key_names"]),
                   None if name is None else str(name), int(data["page_size"]),
                   int(data["entries"]), int(data["undecryptable"]), parked)


def _names_json(names: Iterable[str | None]) -> list[str | None]:
    return sorted(names, key=lambda name: (name is not None, name or ""))


@dataclass(slots=True)
class _Rekey:
    old_key_name: str
    new_key: PublicKey
    page_size: int
    state: RekeyState = RekeyState.FETCHING
    #: the RSM ``after`` of the page being worked on (None: the first page)
    cursor: str | None = None
    #: whether anything was sent since the current pass over all pages began
    pass_acted: bool = False
    #: the page waiting for the old private key
    parked: Keys | None = None
    #: the iq ids of the current page's saves and deletes still unanswered
    outstanding: set[str] = field(default_factory=set)
    #: the symmetric keys (by carried name) whose new EncryptedKey the server acknowledged
    saved: dict[CollectionId, set[str | None]] = field(default_factory=dict)
    #: the symmetric keys the old private key could not unwrap
    failed: dict[CollectionId, set[str | None]] = field(default_factory=dict)
    #: collections whose old keys stay, with the reason
    kept: dict[CollectionId, str] = field(default_factory=dict)
    #: how many deletes each collection got
    deletes: dict[CollectionId, int] = field(default_factory=dict)
    #: how many saves of each collection were refused as a conflict
    conflicts: dict[CollectionId, int] = field(default_factory=dict)
    deleted: int = 0

    def to_json(self) -> dict[str, Any]:
        def by_collection(table: Mapping[CollectionId, Any], value: Callable[[Any], Any]
                          ) -> list[list[Any]]:
            return [[key.to_json(), value(item)] for key, item in table.items()]

        return {
            "old_key_name": self.old_key_name,
            "new_key": _public_key_json(self.new_key),
            "page_size": self.page_size,
            "state": self.state.value,
            "cursor": self.cursor,
            "pass_acted": self.pass_acted,
            "parked": None if self.parked is None else serialize(self.parked).decode(),
            "outstanding": sorted(self.outstanding),
            "saved": by_collection(self.saved, _names_json),
            "failed": by_collection(self.failed, _names_json),
            "kept": by_collection(self.kept, str),
            "deletes": by_collection(self.deletes, int),
            "conflicts": by_collection(self.conflicts, int),
            "deleted": self.deleted,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _Rekey:
        def by_collection(rows: Iterable[Sequence[Any]], value: Callable[[Any], Any]
                          ) -> dict[CollectionId, Any]:
            return {CollectionId.from_json(key): value(item) for key, item in rows}

        def names(items: Iterable[Any]) -> set[str | None]:
            return {None if name is None else str(name) for name in items}

        parked = None
        if data["parked"] is not None:
            parked = parse(str(data["parked"]))
            if not isinstance(parked, Keys):
                raise ValueError("a saved key page is not a <keys/>")
        cursor = data["cursor"]
        return cls(
            old_key_name=str(data["old_key_name"]),
            new_key=_public_key_from_json(data["new_key"]),
            page_size=int(data["page_size"]),
            state=RekeyState(data["state"]),
            cursor=None if cursor is None else str(cursor),
            pass_acted=bool(data["pass_acted"]),
            parked=parked,
            outstanding={str(item) for item in data["outstanding"]},
            saved=by_collection(data["saved"], names),
            failed=by_collection(data["failed"], names),
            kept=by_collection(data["kept"], str),
            deletes=by_collection(data["deletes"], int),
            conflicts=by_collection(data.get("conflicts", ()), int),
            deleted=int(data["deleted"]),
        )


# -- the machine ---------------------------------------------------------------------------


class ArchiveClient:
    """The archiving client of one account (see the module documentation).

    ``jid`` is the account (bare or full); ``namespace`` the archiving namespace to
    write (``urn:xmpp:archive`` by default, or ``urn:xmpp:tmp:archive``; answers are
    read in either); ``service`` where the requests go (None: the account itself, as
    usual; its server answers).  ``ids`` returns a fresh stanza id per call (default: a
    counter saved in the snapshot); ``random`` returns that many random octets (needed
    to encrypt: uploads and forms).  ``max_stanza_bytes`` bounds every ``save`` iq the
    machine builds, serialized.  ``algorithm`` and ``key_transport`` are the XML
    Encryption URIs used to encrypt data and wrap keys; the legacy ones (AES-CBC,
    ``rsa-1_5``) need ``allow_legacy=True``.  A setting the client cannot encrypt with
    is refused here (:class:`~xepcodec.errors.ArgumentValueError`, naming it and what
    is allowed), not when a flow first needs it.  ``lenient=True`` also takes a disco#info
    answer sent as an iq ``get``, as both XEPs' examples show it (RFC 6120 makes an
    answer a ``result``; by default such an iq is :class:`Ignored` as a request).
    """

    def __init__(self, jid: JID | str, *, namespace: str = ARCHIVE,
                 service: JID | str | None = None, ids: Callable[[], str] | None = None,
                 random: Callable[[int], bytes] | None = None,
                 max_stanza_bytes: int = DEFAULT_MAX_STANZA_BYTES,
                 algorithm: str = AES256_GCM, key_transport: str = RSA_OAEP,
                 allow_legacy: bool = False, lenient: bool = False) -> None:
        if namespace not in NAMESPACES:
            raise ArgumentValueError(f"{namespace!r} is not a message archiving namespace; "
                                     f"use one of {', '.join(NAMESPACES)}")
        if isinstance(max_stanza_bytes, bool) or not isinstance(max_stanza_bytes, int) or \
                max_stanza_bytes < _MIN_STANZA_BYTES:
            raise ArgumentValueError(f"max_stanza_bytes must be an integer of at least "
                                     f"{_MIN_STANZA_BYTES}, not {max_stanza_bytes!r}")
        # Checked here rather than at the first encryption: a key replacement that met a
        # bad setting half-way would have to stop with work in flight.
        _check_algorithm("algorithm", algorithm, CIPHERS, allow_legacy)
        _check_algorithm("key_transport", key_transport, KEY_TRANSPORTS, allow_legacy)
        self._jid = _jid(jid)
        self._namespace = namespace
        self._service = None if service is None else _jid(service)
        self._counter: IdCounter | None = None
        if ids is None:
            self._counter = IdCounter("arc")
            ids = self._counter
        self._ids: Callable[[], str] = ids
        self._random = random
        self._max = max_stanza_bytes
        self._algorithm = algorithm
        self._key_transport = key_transport
        self._allow_legacy = allow_legacy
        self._lenient = lenient
        # Private keys, by the name of their public key.  Never saved.
        self._keyring: dict[str, RSAPrivateKey] = {}
        self._pending: dict[str, _Request] = {}
        self._uploads: dict[str, _Upload] = {}
        self._retrievals: dict[CollectionId, _Retrieval] = {}
        self._rekey: _Rekey | None = None

    # -- reading ------------------------------------------------------------------------

    @property
    def jid(self) -> JID:
        return self._jid

    @property
    def namespace(self) -> str:
        return self._namespace

    @property
    def max_stanza_bytes(self) -> int:
        return self._max

    @property
    def in_flight(self) -> tuple[Iq, ...]:
        """The iqs sent and not answered yet, in the order they were sent."""
        return tuple(request.iq for request in self._pending.values())

    @property
    def rekey_state(self) -> RekeyState | None:
        """Where key replacement stands, or None when it is not running."""
        return self._rekey.state if self._rekey is not None else None

    @property
    def keys_needed(self) -> tuple[str, ...]:
        """The names of the private keys that waiting steps need (see
        :class:`PrivateKeyNeeded`)."""
        names: list[str] = []
        if self._rekey is not None and self._rekey.parked is not None:
            names.extend(self._missing_keys(self._rekey.parked))
        for retrieval in self._retrievals.values():
            if retrieval.parked is not None and retrieval.private_key_name is not None:
                names.append(retrieval.private_key_name)
        return tuple(dict.fromkeys(names))

    def is_idle(self) -> bool:
        """Whether nothing is in flight, waiting to be sent, or waiting for a key."""
        return not (self._pending or self._uploads or self._retrievals or self._rekey)

    # -- keys ---------------------------------------------------------------------------

    def provide_private_key(self, private_key: RSAPrivateKey, *,
                            name: str | None = None) -> list[Event]:
        """Hold ``private_key`` (in memory only, never in a snapshot) under ``name``,
        the name of its public key (by default :func:`~xepcodec.crypto.key_name`), and
        carry on with the steps that waited for it."""
        if not isinstance(private_key, RSAPrivateKey):
            raise TypeError("a private key is an RSA private key of cryptography")
        label = _private_key_name(private_key) if name is None else name
        rekey = self._rekey
        page = rekey.parked if rekey is not None else None
        waited = page is not None and label in self._missing_keys(page)
        self._keyring[label] = private_key
        events: list[Event] = []
        # The page goes on once it has every key it waits for.
        if rekey is not None and page is not None and waited and not self._missing_keys(page):
            rekey.parked = None
            events.extend(self._rekey_page(page))
        for retrieval in list(self._retrievals.values()):
            if retrieval.parked is not None and retrieval.private_key_name == label:
                chat, retrieval.parked = retrieval.parked, None
                events.extend(self._retrieved_page(retrieval, chat))
        return events

    def forget_private_key(self, name: str) -> None:
        """Drop the private key held under ``name`` (nothing if there is none)."""
        self._keyring.pop(name, None)

    # -- requests -------------------------------------------------------------------------

    def _new_iq(self, type: IqType, payload: Any, *, to: JID | None = None,
                id: str | None = None) -> Iq:
        return Iq(namespace=CLIENT, type=type, id=self._ids() if id is None else id,
                  to=self._service if to is None else to, from_=self._jid,
                  extensions=(payload,))

    def _track(self, kind: RequestKind, iq: Iq, **data: Any) -> Iq:
        self._pending[iq.id] = _Request(kind, iq, data)
        return iq

    def _need_random(self, what: str) -> Callable[[int], bytes]:
        if self._random is None:
            raise ProtocolError(f"{what} needs random octets: give the client a random "
                                "source (random=os.urandom)")
        return self._random

    def _collection(self, with_: JID | str, start: datetime) -> CollectionId:
        return CollectionId(_jid(with_), start)

    def _chat(self, collection: CollectionId, **fields: Any) -> Chat:
        return Chat(namespace=self._namespace, with_=collection.with_, start=collection.start,
                    **fields)

    def _save_iq(self, chat: Chat, id: str) -> Iq:
        return self._new_iq(IqType.SET, Save(namespace=self._namespace, chat=chat), id=id)

    def _check_size(self, iq: Iq, what: str) -> Iq:
        size = _size(iq)
        if size > self._max:
            raise StanzaTooLargeError(f"{what} makes a {size}-byte iq, over the limit of "
                                      f"{self._max} bytes")
        return iq

    def discover(self) -> list[Iq]:
        """Ask the account's server for its disco#info (the answer is a
        :class:`ServerSupport`)."""
        target = self._service if self._service is not None else self._jid.domain_jid
        iq = self._new_iq(IqType.GET, InfoQuery(), to=target)
        return [self._track(RequestKind.DISCO, iq)]

    def upload(self, with_: JID | str, start: datetime, entries: Iterable[Entry | Note], *,
               recipients: Sequence[PublicKey] = (), encrypt: bool = True,
               key_name: str | None = None, subject: str | None = None,
               subject_acknowledged: bool = False, thread: str | None = None,
               links: Sequence[Link] = ()) -> list[Iq]:
        """Upload messages and notes to a collection (created if new, appended to if
        not), encrypted for ``recipients`` (confirmed public keys of the user's; every
        one gets an ``EncryptedKey``) unless ``encrypt=False``.

        The content is cut into ``save`` iqs under :attr:`max_stanza_bytes`; the first
        (with the keys, ``subject``, ``thread`` and ``links``) is returned, each later
        one follows as a :class:`Send` once the previous one is acknowledged.
        ``key_name`` names the new symmetric key (by default a random name).  A subject
        on an encrypted upload needs ``subject_acknowledged=True``
        (:class:`SubjectNotAcknowledgedError`).  :class:`StanzaTooLargeError` when one
        message cannot fit in an iq on its own.
        """
        collection = self._collection(with_, start)
        items = tuple(entries)
        if not items:
            raise ValueError("an upload needs at least one message or note")
        for item in items:
            if not isinstance(item, Entry | Note):
                raise TypeError(f"an upload holds Entry and Note objects, not "
                                f"{type(item).__name__}")
        head: dict[str, Any] = {"subject": subject, "thread": thread, "links": tuple(links)}
        if encrypt:
            if subject is not None and not subject_acknowledged:
                raise SubjectNotAcknowledgedError(collection)
            random = self._need_random("encrypting an upload")
            self._check_recipients(recipients)
            name = key_name if key_name is not None else self._new_key_name(random)
            chunks = self._encrypted_chunks(collection, items, recipients, name, head, random)
        else:
            chunks = self._plain_chunks(collection, items, head)
        first, rest = chunks[0], chunks[1:]
        upload = first.id
        names = tuple(recipient.name for recipient in recipients) if encrypt else ()
        self._uploads[upload] = _Upload(collection, len(chunks), list(rest), names)
        return [self._track(RequestKind.UPLOAD, first, upload=upload, chunk=1)]

    def _check_recipients(self, recipients: Sequence[PublicKey]) -> None:
        if not recipients:
            raise ValueError("an encrypted upload needs at least one recipient public key: "
                             "with none, nobody could ever decrypt it")
        for recipient in recipients:
            if not isinstance(recipient, PublicKey):
                raise TypeError(f"a recipient is a PublicKey, not {type(recipient).__name__}")
            if not recipient.confirmed:
                raise UnconfirmedKeyError(recipient.name)

    @staticmethod
    def _new_key_name(random: Callable[[int], bytes]) -> str:
        return "key-" + base64.urlsafe_b64encode(random(12)).decode("ascii")

    def _fit(self, sizes: Sequence[int], probe: int, scale: float) -> int:
        """How many items, starting with one that alone makes an iq of ``probe`` bytes,
        are expected to fit: each next item adds its size times ``scale``."""
        total = float(probe)
        count = 1
        for size in sizes[1:]:
            total += size * scale + 4
            if total > self._max:
                break
            count += 1
        return count

    def _shrink(self, count: int, size: int) -> int:
        """Fewer items than ``count``, which made ``size`` bytes: about as many fewer as
        the excess suggests, at least one fewer, never fewer than one."""
        cut = max(1, int(count * (size - self._max) / size) + 1)
        return max(1, count - cut)

    def _encrypted_chunks(self, collection: CollectionId, items: Entries,
                          recipients: Sequence[PublicKey], name: str, head: dict[str, Any],
                          random: Callable[[int], bytes]) -> list[Iq]:
        sizes = [len(serialize(item)) for item in items]
        chunks: list[Iq] = []
        keys: tuple[EncryptedKey, ...] = ()
        key: SymmetricKey | None = None
        position = 0
        try:
            while position < len(items):
                first = not chunks
                chunk_id = self._ids()

                def build(data: EncryptedData, first: bool = first, chunk_id: str = chunk_id
                          ) -> Iq:
                    fields: dict[str, Any] = {"encrypted_data": (data,)}
                    if first:
                        fields.update(head, encrypted_keys=keys)
                    return self._save_iq(self._chat(collection, **fields), chunk_id)

                def encrypt(part: Sequence[Entry | Note]) -> EncryptedData:
                    nonlocal key, keys
                    if key is None:
                        made = encrypt_collection(
                            part, recipients, key_name=name, algorithm=self._algorithm,
                            key_transport=self._key_transport, random=random,
                            namespace=self._namespace, allow_legacy=self._allow_legacy)
                        key, keys = made.key, made.keys
                        return made.data
                    return encrypt_entries(part, key, namespace=self._namespace,
                                           random=random, allow_legacy=self._allow_legacy)

                rest = items[position:]
                iq = build(encrypt(rest[:1]))
                probe = _size(iq)
                if probe > self._max:
                    raise StanzaTooLargeError(
                        f"item {position + 1} of the upload, encrypted, makes a {probe}-byte "
                        f"save iq on its own, over the limit of {self._max} bytes")
                count = self._fit(sizes[position:], probe, 4 / 3)
                while count > 1:
                    iq = build(encrypt(rest[:count]))
                    size = _size(iq)
                    if size <= self._max:
                        break
                    count = self._shrink(count, size)
                    if count == 1:  # the probe fits: it is the chunk
                        iq = build(encrypt(rest[:1]))
                chunks.append(iq)
                position += count
        finally:
            if key is not None:
                key.destroy()
        return chunks

    def _plain_chunks(self, collection: CollectionId, items: Entries,
                      head: dict[str, Any]) -> list[Iq]:
        sizes = [len(serialize(item)) for item in items]
        chunks: list[Iq] = []
        position = 0
        while position < len(items):
            first = not chunks
            chunk_id = self._ids()

            def build(part: Sequence[Entry | Note], first: bool = first,
                      chunk_id: str = chunk_id) -> Iq:
                fields: dict[str, Any] = {"entries": tuple(part)}
                if first:
                    fields.update(head)
                return self._save_iq(self._chat(collection, **fields), chunk_id)

            rest = items[position:]
            iq = build(rest[:1])
            probe = _size(iq)
            if probe > self._max:
                raise StanzaTooLargeError(
                    f"item {position + 1} of the upload makes a {probe}-byte save iq on its "
                    f"own, over the limit of {self._max} bytes")
            count = self._fit(sizes[position:], probe, 1.0)
            while count > 1:
                iq = build(rest[:count])
                size = _size(iq)
                if size <= self._max:
                    break
                count = self._shrink(count, size)
                if count == 1:
                    iq = build(rest[:1])
            chunks.append(iq)
            position += count
        return chunks

    def change_subject(self, with_: JID | str, start: datetime, subject: str, *,
                       encrypted: bool = True, subject_acknowledged: bool = False) -> list[Iq]:
        """Set the subject of an existing collection.  Unless the caller states the
        collection is not encrypted (``encrypted=False``), the subject needs
        ``subject_acknowledged=True`` (:class:`SubjectNotAcknowledgedError`)."""
        collection = self._collection(with_, start)
        if encrypted and not subject_acknowledged:
            raise SubjectNotAcknowledgedError(collection)
        iq = self._check_size(self._save_iq(self._chat(collection, subject=subject),
                                            self._ids()), "the subject")
        return [self._track(RequestKind.SAVE, iq, collection=collection.to_json(),
                            change=SaveKind.SUBJECT.value)]

    def set_form(self, with_: JID | str, start: datetime, form: Form, *,
                 recipients: Sequence[PublicKey] = (), encrypt: bool = True,
                 key_name: str | None = None) -> list[Iq]:
        """Attach an x:data form of attributes to a collection (replacing any form it
        has).  Encrypted (the default) as XEP-0241 shows: the form's fields go into an
        ``EncryptedData`` inside an otherwise empty form of type ``submit``, with an
        ``EncryptedKey`` per recipient beside it."""
        collection = self._collection(with_, start)
        if form.type is not FormType.SUBMIT:
            raise ValueError(f"a collection's attributes are a form of type 'submit', not "
                             f"{form.type!r}")
        if not form.fields:
            raise ValueError("the form has no fields; use remove_form to remove a form")
        fields: dict[str, Any]
        if encrypt:
            random = self._need_random("encrypting a form")
            self._check_recipients(recipients)
            name = key_name if key_name is not None else self._new_key_name(random)
            data, keys = _encrypt_form(form, recipients, name, self._algorithm,
                                       self._key_transport, random, self._allow_legacy)
            fields = {"form": Form(type=FormType.SUBMIT, extensions=(data,)),
                      "encrypted_keys": keys}
        else:
            fields = {"form": form}
        iq = self._check_size(self._save_iq(self._chat(collection, **fields), self._ids()),
                              "the form")
        names = [recipient.name for recipient in recipients] if encrypt else []
        return [self._track(RequestKind.SAVE, iq, collection=collection.to_json(),
                            change=SaveKind.FORM.value, key_names=names)]

    def remove_form(self, with_: JID | str, start: datetime) -> list[Iq]:
        """Remove the collection's form by uploading an empty one (XEP-0241 §2; the
        server answers without error when there is none)."""
        collection = self._collection(with_, start)
        iq = self._save_iq(self._chat(collection, form=Form(type=FormType.SUBMIT)),
                           self._ids())
        return [self._track(RequestKind.SAVE, iq, collection=collection.to_json(),
                            change=SaveKind.FORM_REMOVED.value)]

    def enable_auto(self, *, encrypt: bool = True, public_keys: Sequence[PublicKey] = (),
                    scope: Scope | None = None) -> list[Iq]:
        """Turn automatic archiving on, encrypted by the server by default, optionally
        with ``public_keys`` (confirmed keys of the user's) the server wraps its keys
        for besides the ones the user publishes."""
        if public_keys and not encrypt:
            raise ValueError("public keys are only sent with encrypt=True")
        for public_key in public_keys:
            if not public_key.confirmed:
                raise UnconfirmedKeyError(public_key.name)
        payload = Auto(namespace=self._namespace, save=True, scope=scope,
                       encrypt=True if encrypt else None,
                       key_infos=tuple(public_key.key_info() for public_key in public_keys))
        iq = self._check_size(self._new_iq(IqType.SET, payload), "the auto request")
        return [self._track(RequestKind.AUTO, iq, save=True, encrypt=encrypt,
                            scope=None if scope is None else scope.value)]

    def disable_auto(self, *, scope: Scope | None = None) -> list[Iq]:
        """Turn automatic archiving off."""
        iq = self._new_iq(IqType.SET, Auto(namespace=self._namespace, save=False, scope=scope))
        return [self._track(RequestKind.AUTO, iq, save=False, encrypt=False,
                            scope=None if scope is None else scope.value)]

    def list_collections(self, *, with_: JID | str | None = None, start: datetime | None = None,
                         end: datetime | None = None, exactmatch: bool | None = None,
                         page_size: int = 30, after: str | None = None) -> list[Iq]:
        """Ask for one page of the list of collections (``page_size`` at most, after the
        item ``after`` if given); the answer is a :class:`CollectionsListed`."""
        _check_page_size(page_size)
        request = List(namespace=self._namespace, with_=None if with_ is None else _jid(with_),
                       start=start, end=end, exactmatch=exactmatch,
                       rsm=ResultSet.request(max=page_size, after=after))
        return [self._track(RequestKind.LIST, self._new_iq(IqType.GET, request))]

    def list_next(self, listing: CollectionsListed) -> list[Iq]:
        """Ask for the page after ``listing`` (ProtocolError if it was the last)."""
        if not listing.has_more or listing.result_set is None:
            raise ProtocolError("this page of collections is the last one")
        request = listing.request
        page_size = _page_max(request.rsm) or max(1, len(listing.chats))
        rsm = ResultSet.request(max=page_size, after=listing.result_set.last)
        next_request = List(namespace=self._namespace, with_=request.with_,
                            start=request.start, end=request.end,
                            exactmatch=request.exactmatch, rsm=rsm)
        return [self._track(RequestKind.LIST, self._new_iq(IqType.GET, next_request))]

    def retrieve(self, with_: JID | str, start: datetime, *,
                 private_key: RSAPrivateKey | None = None, private_key_name: str | None = None,
                 key_names: Sequence[str] = (), page_size: int = 20) -> list[Iq]:
        """Retrieve a collection, page after page (``page_size`` items each), and decrypt
        it with ``private_key`` (held in memory from now on, under ``private_key_name``,
        by default :func:`~xepcodec.crypto.key_name` of its public key).

        ``key_names`` asks the server for the ``EncryptedKey`` elements of these public
        keys only.  Without a private key, encrypted content is decrypted with whatever
        matching key :meth:`provide_private_key` gave, or reported as
        :class:`DecryptionFailed`.  ProtocolError if the collection is being retrieved
        already.
        """
        collection = self._collection(with_, start)
        _check_page_size(page_size)
        if collection in self._retrievals:
            raise ProtocolError(f"the collection {collection} is being retrieved already")
        name = private_key_name
        if private_key is not None:
            name = _private_key_name(private_key) if name is None else name
            self._keyring[name] = private_key
        self._retrievals[collection] = _Retrieval(collection, tuple(key_names), name, page_size)
        return [self._retrieve_iq(collection, None)]

    def _retrieve_iq(self, collection: CollectionId, after: str | None) -> Iq:
        retrieval = self._retrievals[collection]
        request = Retrieve(namespace=self._namespace, with_=collection.with_,
                           start=collection.start, key_names=retrieval.key_names,
                           rsm=ResultSet.request(max=retrieval.page_size, after=after))
        return self._track(RequestKind.RETRIEVE, self._new_iq(IqType.GET, request),
                           collection=collection.to_json())

    def remove_collection(self, with_: JID | str, start: datetime) -> list[Iq]:
        """Remove one collection (the answer is a :class:`RemovalDone`)."""
        collection = self._collection(with_, start)
        request = Remove(namespace=self._namespace, with_=collection.with_,
                         start=collection.start)
        return [self._track(RequestKind.REMOVE, self._new_iq(IqType.SET, request),
                            collection=collection.to_json())]

    def start_rekey(self, old_key_name: str, new_key: PublicKey, *,
                    old_private_key: RSAPrivateKey | None = None,
                    new_private_key: RSAPrivateKey | None = None,
                    page_size: int = 50) -> list[Iq]:
        """Replace every ``EncryptedKey`` wrapped for the public key ``old_key_name`` with
        one wrapped for ``new_key`` (confirmed), then delete the old ones (see the module
        documentation).  ``old_private_key`` is held in memory under ``old_key_name``,
        ``new_private_key`` (needed only to check keys the server already holds for the
        new public key) under the new key's name.  ProtocolError when a replacement is
        running already."""
        if self._rekey is not None:
            raise ProtocolError(f"a key replacement of {self._rekey.old_key_name!r} is "
                                "running already")
        if not old_key_name:
            raise ValueError("the old key name is empty")
        if not isinstance(new_key, PublicKey):
            raise TypeError(f"the new key is a PublicKey, not {type(new_key).__name__}")
        if not new_key.confirmed:
            raise UnconfirmedKeyError(new_key.name)
        if new_key.name == old_key_name:
            raise ValueError("the new public key has the old key's name; deleting the old "
                             "keys would delete the new ones")
        _check_page_size(page_size)
        for private in (old_private_key, new_private_key):
            if private is not None and not isinstance(private, RSAPrivateKey):
                raise TypeError("a private key is an RSA private key of cryptography")
        if new_private_key is not None and \
                new_private_key.public_key().public_numbers() != new_key.key.public_numbers():
            raise ValueError("new_private_key is not the private key of new_key")
        if old_private_key is not None:
            self._keyring[old_key_name] = old_private_key
        if new_private_key is not None:
            self._keyring[new_key.name] = new_private_key
        self._rekey = _Rekey(old_key_name, new_key, page_size)
        return [self._keys_iq()]

    def cancel_rekey(self) -> list[Event]:
        """Stop the key replacement, whatever its state: the machine sends nothing more
        for it and forgets its iqs in flight (their answers are then :class:`Ignored`).
        Returns a :class:`RekeyCancelled`, which says what those iqs may still do on
        the server (nothing that loses a key: see there).  ``start_rekey`` may start
        it again; keys saved meanwhile are recognized.  ProtocolError when no key
        replacement is running."""
        rekey = self._rekey
        if rekey is None:
            raise ProtocolError("no key replacement is running")
        saving: list[CollectionId] = []
        deleting: list[CollectionId] = []
        for iq_id, request in list(self._pending.items()):
            if request.kind in _REKEY_REQUESTS:
                del self._pending[iq_id]
                if request.kind is RequestKind.REKEY_SAVE:
                    saving.append(CollectionId.from_json(request.data["collection"]))
                elif request.kind is RequestKind.REKEY_DELETE:
                    deleting.append(CollectionId.from_json(request.data["collection"]))
        self._rekey = None
        return [RekeyCancelled(rekey.old_key_name, rekey.new_key.name, rekey.deleted,
                               tuple(dict.fromkeys(saving)), tuple(deleting))]

    def _keys_iq(self) -> Iq:
        rekey = self._rekey
        assert rekey is not None
        rekey.state = RekeyState.FETCHING
        # The new key's name too: the server may hold keys for it already (wrapped by
        # the server as it archives, or saved before a restart or a cancel), and a save
        # of another copy would be refused as a conflict.
        request = Keys(namespace=self._namespace,
                       key_names=(rekey.old_key_name, rekey.new_key.name),
                       rsm=ResultSet.request(max=rekey.page_size, after=rekey.cursor))
        return self._track(RequestKind.KEYS, self._new_iq(IqType.GET, request))

    def resend(self) -> list[Iq]:
        """The iqs in flight, with their ids, to send again after a reconnection or a
        restart (an answer that then comes twice is ignored the second time)."""
        return list(self.in_flight)

    # -- answers ---------------------------------------------------------------------------

    def _from_server(self, sender: JID | None) -> bool:
        if sender is None:
            return True
        return sender in (self._jid, self._jid.bare, self._jid.domain_jid, self._service)

    def handle(self, stanza: object) -> list[Event]:
        """Process one received stanza: an answer to a request in flight becomes events
        (among them :class:`Send` for the iqs that follow); anything else is
        :class:`Ignored`."""
        if not isinstance(stanza, Iq):
            return [Ignored(stanza, "not an iq: the archive client only reads answers")]
        if stanza.type not in (IqType.RESULT, IqType.ERROR) and not \
                self._lenient_disco_answer(stanza):
            return [Ignored(stanza, f"an iq {stanza.type} is a request; the archive client "
                                    "answers none")]
        request = self._pending.get(stanza.id)
        if request is None:
            return [Ignored(stanza, f"answers no request in flight (id {stanza.id!r}); a late "
                                    "or repeated answer")]
        expected = request.iq.to
        if not (self._from_server(stanza.from_) or stanza.from_ == expected):
            return [Ignored(stanza, f"comes from {stanza.from_}, not from the account's "
                                    "server")]
        del self._pending[stanza.id]
        error = stanza.error if stanza.type is IqType.ERROR else None
        handler = self._HANDLERS[request.kind]
        return handler(self, request, stanza, error)

    def _lenient_disco_answer(self, stanza: Iq) -> bool:
        """Whether, in the lenient mode, ``stanza`` is the disco#info answer XEP-0136
        and XEP-0241 show: an iq ``get`` with the request's id and a disco#info query
        that lists features."""
        request = self._pending.get(stanza.id)
        query = stanza.payload
        return (self._lenient and stanza.type is IqType.GET and request is not None
                and request.kind is RequestKind.DISCO and isinstance(query, InfoQuery)
                and bool(query.feature_vars))

    def _failed(self, request: RequestKind, collection: CollectionId | None,
                error: StanzaError | None, reason: str | None = None) -> RequestFailed:
        if reason is None:
            reason = _describe(error)
        return RequestFailed(request, collection, error, reason)

    def _on_disco(self, request: _Request, answer: Iq, error: StanzaError | None
                  ) -> list[Event]:
        query = answer.payload
        if error is not None or not isinstance(query, InfoQuery):
            return [self._failed(RequestKind.DISCO, None, error,
                                 None if error else "the answer holds no disco#info query")]
        features = query.feature_vars
        namespaces = tuple(ns for ns in NAMESPACES if ns in features)
        encryption = any(feature(ns, FEATURE_ENCRYPT_SUFFIX) in features for ns in NAMESPACES)
        return [ServerSupport(namespaces, encryption, features)]

    def _on_upload(self, request: _Request, answer: Iq, error: StanzaError | None
                   ) -> list[Event]:
        upload_id = str(request.data["upload"])
        chunk = int(request.data["chunk"])
        upload = self._uploads.get(upload_id)
        if upload is None:  # cannot happen: an upload lives while a chunk is in flight
            return [Ignored(answer, "answers an upload that is over")]
        if error is not None:
            del self._uploads[upload_id]
            failed: list[Event] = [UploadFailed(upload_id, upload.collection, chunk,
                                                upload.chunks, error, _describe(error))]
            return failed + self._wrapped_for_old_key(upload.key_names, stored=False)
        version = _saved_version(answer)
        if version is not None:
            upload.version = version
        events: list[Event] = [ChunkSaved(upload_id, upload.collection, chunk, upload.chunks,
                                          version)]
        if upload.waiting:
            iq = upload.waiting.pop(0)
            self._track(RequestKind.UPLOAD, iq, upload=upload_id, chunk=chunk + 1)
            events.append(Send(iq))
        else:
            del self._uploads[upload_id]
            events.append(UploadFinished(upload_id, upload.collection, upload.chunks,
                                         upload.version))
        if chunk == 1 or not upload.waiting:
            events.extend(self._wrapped_for_old_key(upload.key_names, stored=chunk == 1))
        return events

    def _on_save(self, request: _Request, answer: Iq, error: StanzaError | None
                 ) -> list[Event]:
        collection = CollectionId.from_json(request.data["collection"])
        names = tuple(str(name) for name in request.data.get("key_names", ()))
        events: list[Event]
        if error is not None:
            events = [self._failed(RequestKind.SAVE, collection, error)]
        else:
            events = [CollectionSaved(collection, SaveKind(request.data["change"]),
                                      _saved_version(answer))]
        return events + self._wrapped_for_old_key(names, stored=error is None)

    def _wrapped_for_old_key(self, key_names: Sequence[str], *, stored: bool) -> list[Event]:
        """A request of this client's that wraps a key for ``key_names`` was answered
        (``stored``: the keys are on the server now).  If key replacement is running
        for one of them, the keys must not escape it: another pass will look."""
        rekey = self._rekey
        if rekey is None or rekey.old_key_name not in key_names:
            return []
        if stored:
            rekey.pass_acted = True
        if rekey.state is RekeyState.WAITING_FOR_UPLOADS and not self._old_key_in_flight():
            rekey.cursor = None
            rekey.pass_acted = False
            return [Send(self._keys_iq())]
        return []

    def _old_key_in_flight(self) -> bool:
        """Whether an upload or a form of this client's, wrapped for the old key of the
        key replacement, is still under way."""
        rekey = self._rekey
        assert rekey is not None
        name = rekey.old_key_name
        if any(name in upload.key_names for upload in self._uploads.values()):
            return True
        return any(request.kind is RequestKind.SAVE and name in request.data.get("key_names", ())
                   for request in self._pending.values())

    def _on_auto(self, request: _Request, answer: Iq, error: StanzaError | None
                 ) -> list[Event]:
        encrypt = bool(request.data["encrypt"])
        if error is None:
            scope = request.data["scope"]
            return [AutoArchivingSet(bool(request.data["save"]), encrypt if encrypt else None,
                                     None if scope is None else Scope(scope))]
        if encrypt and error.condition is Condition.FEATURE_NOT_IMPLEMENTED:
            return [EncryptionUnsupported(error)]
        if encrypt and error.condition is Condition.NOT_ACCEPTABLE:
            return [NoPublicKey(error)]
        return [self._failed(RequestKind.AUTO, None, error)]

    def _on_list(self, request: _Request, answer: Iq, error: StanzaError | None
                 ) -> list[Event]:
        listing = answer.payload
        if error is not None:
            return [self._failed(RequestKind.LIST, None, error)]
        asked = request.iq.payload
        assert isinstance(asked, List)
        if listing is None:  # an empty answer: no collection at all
            return [CollectionsListed(asked, (), None)]
        if not isinstance(listing, List):
            return [self._failed(RequestKind.LIST, None, None,
                                 "the answer holds no <list/>")]
        return [CollectionsListed(asked, listing.chats, listing.rsm)]

    def _on_remove(self, request: _Request, answer: Iq, error: StanzaError | None
                   ) -> list[Event]:
        collection = CollectionId.from_json(request.data["collection"])
        if error is not None:
            return [self._failed(RequestKind.REMOVE, collection, error)]
        asked = request.iq.payload
        assert isinstance(asked, Remove)
        return [RemovalDone(asked)]

    # -- retrieval ---------------------------------------------------------------------------

    def _on_retrieve(self, request: _Request, answer: Iq, error: StanzaError | None
                     ) -> list[Event]:
        collection = CollectionId.from_json(request.data["collection"])
        retrieval = self._retrievals.get(collection)
        if retrieval is None:
            return [Ignored(answer, "answers a retrieval that is over")]
        chat = answer.payload
        if error is not None or not isinstance(chat, Chat):
            del self._retrievals[collection]
            return [self._failed(RequestKind.RETRIEVE, collection, error,
                                 None if error else "the answer holds no <chat/>")]
        if CollectionId.of(chat) != collection:
            del self._retrievals[collection]
            return [self._failed(RequestKind.RETRIEVE, collection, None,
                                 f"the answer is the collection {CollectionId.of(chat)}, not "
                                 "the one asked for")]
        name = retrieval.private_key_name
        if _has_encrypted(chat) and name is not None and name not in self._keyring:
            retrieval.parked = chat
            return [PrivateKeyNeeded(name, RequestKind.RETRIEVE, collection)]
        return self._retrieved_page(retrieval, chat)

    def _private_key_for(self, retrieval: _Retrieval, chat: Chat
                         ) -> tuple[str, RSAPrivateKey] | None:
        if retrieval.private_key_name is not None:
            key = self._keyring.get(retrieval.private_key_name)
            return None if key is None else (retrieval.private_key_name, key)
        for encrypted_key in chat.encrypted_keys:
            name = encrypted_key.key_name
            if name is not None and name in self._keyring:
                return name, self._keyring[name]
        return None

    def _retrieved_page(self, retrieval: _Retrieval, chat: Chat) -> list[Event]:
        collection = retrieval.collection
        events: list[Event] = []
        found = self._private_key_for(retrieval, chat)
        keys = chat.encrypted_keys
        form = chat.form
        if form is not None:
            events.extend(self._retrieved_form(collection, form, keys, found))
        entries: list[Entry | Note] = list(chat.entries)
        data = chat.encrypted_data
        if data:
            opened, closed = _decrypt(data, keys, found, chat.namespace)
            entries.extend(opened)
            if closed:
                retrieval.undecryptable += len(closed)
                reason = ("no private key of the caller's matches the collection's keys"
                          if found is None else
                          "the caller's private key does not open these keys")
                events.append(DecryptionFailed(
                    collection, tuple(dict.fromkeys(item.key_name for item in closed)),
                    len(closed), reason))
        retrieval.entries += len(entries)
        items = len(chat.entries) + len(chat.encrypted_data)
        events.append(EntriesRetrieved(collection, tuple(entries), bool(data), chat.rsm))
        if _has_more(chat.rsm, items, retrieval.page_size):
            assert chat.rsm is not None
            events.append(Send(self._retrieve_iq(collection, chat.rsm.last)))
        else:
            del self._retrievals[collection]
            events.append(CollectionRetrieved(collection, chat.subject, chat.thread,
                                              chat.version, chat.links, retrieval.entries,
                                              retrieval.undecryptable))
        return events

    def _retrieved_form(self, collection: CollectionId, form: Form,
                        keys: Sequence[EncryptedKey], found: tuple[str, RSAPrivateKey] | None
                        ) -> list[Event]:
        data = tuple(item for item in form.extensions if isinstance(item, EncryptedData))
        if not data:
            return [FormRetrieved(collection, form, False)]
        if found is None:
            return [DecryptionFailed(collection, tuple(item.key_name for item in data),
                                     len(data), "no private key of the caller's matches the "
                                     "form's keys")]
        try:
            opened = _decrypt_form(form, data, keys, found[1], {found[0]})
        except DecryptionError:
            return [DecryptionFailed(collection, tuple(item.key_name for item in data),
                                     len(data), "the caller's private key does not open the "
                                     "form's keys")]
        return [FormRetrieved(collection, opened, True)]

    # -- key replacement -----------------------------------------------------------------------

    def _on_keys(self, request: _Request, answer: Iq, error: StanzaError | None
                 ) -> list[Event]:
        rekey = self._rekey
        if rekey is None:
            return [Ignored(answer, "answers a key replacement that is over")]
        page = answer.payload
        if error is not None and error.condition is Condition.ITEM_NOT_FOUND and \
                rekey.cursor is not None:
            # The item the page was to follow is gone (its collection was removed):
            # start the pass over.
            rekey.cursor = None
            rekey.pass_acted = False
            return [Send(self._keys_iq())]
        if error is not None or not (page is None or isinstance(page, Keys)):
            self._rekey = None
            return [RekeyFailed(rekey.old_key_name, error,
                                _describe(error) if error else "the answer holds no <keys/>")]
        if page is None:
            page = Keys(namespace=self._namespace)
        return self._rekey_page(page)

    def _missing_keys(self, page: Keys) -> list[str]:
        """The names of the private keys a ``keys`` page needs and the machine does not
        hold: the old one, to unwrap what is left to re-wrap; the new one, to check a
        key the server already holds for the new public key."""
        rekey = self._rekey
        assert rekey is not None
        old = new = False
        for chat in page.chats:
            collection = CollectionId.of(chat)
            if collection in rekey.kept:
                continue
            done = rekey.saved.get(collection, set()) | rekey.failed.get(collection, set())
            present = _wrapped_for(chat, rekey.new_key.name)
            for carried in _wrapped_for(chat, rekey.old_key_name):
                if carried not in done:
                    old = True
                    new = new or carried in present
        names = []
        if old and rekey.old_key_name not in self._keyring:
            names.append(rekey.old_key_name)
        if new and rekey.new_key.name not in self._keyring:
            names.append(rekey.new_key.name)
        return names

    def _rekey_page(self, page: Keys) -> list[Event]:
        rekey = self._rekey
        assert rekey is not None
        missing = self._missing_keys(page)
        if missing:
            rekey.parked = page
            rekey.state = RekeyState.WAITING_FOR_KEY
            return [PrivateKeyNeeded(name, RequestKind.KEYS) for name in missing]
        events: list[Event] = []
        sent: list[Iq] = []
        for chat in page.chats:
            collection = CollectionId.of(chat)
            if collection in rekey.kept:
                continue
            try:
                sent.extend(self._rekey_collection(chat, events))
            except XepCodecError as error:
                # A step this collection cannot take (a new key that cannot wrap, a
                # key too large for any iq) leaves it as it is, and the flow goes on.
                reason = (f"its new keys cannot be made or sent ({error}), so the old "
                          "keys stay")
                rekey.kept[collection] = reason
                events.append(CollectionKept(collection, reason))
        if sent:
            rekey.state = RekeyState.WORKING
            rekey.pass_acted = True
            rekey.outstanding = {iq.id for iq in sent}
            events.extend(Send(iq) for iq in sent)
            return events
        # Nothing to do on this page: go on to the next, start a new pass, or finish.
        if page.chats and _has_more(page.rsm, len(page.chats), rekey.page_size):
            assert page.rsm is not None
            rekey.cursor = page.rsm.last
        elif rekey.pass_acted:
            rekey.cursor = None
            rekey.pass_acted = False
        elif self._old_key_in_flight():
            rekey.state = RekeyState.WAITING_FOR_UPLOADS
            rekey.cursor = None
            return events
        else:
            self._rekey = None
            events.append(RekeyFinished(rekey.old_key_name, rekey.new_key.name, rekey.deleted,
                                        tuple(rekey.kept)))
            return events
        events.append(Send(self._keys_iq()))
        return events

    def _rekey_collection(self, chat: Chat, events: list[Event]) -> list[Iq]:
        """The saves, or the delete, that one collection of a ``keys`` page calls for,
        tracked; what else happened goes to ``events``.  Raises before tracking
        anything when a step cannot be taken."""
        rekey = self._rekey
        assert rekey is not None
        collection = CollectionId.of(chat)
        groups = _wrapped_for(chat, rekey.old_key_name)
        if not groups:
            return []
        present = _wrapped_for(chat, rekey.new_key.name)
        saved = rekey.saved.setdefault(collection, set())
        failed = rekey.failed.setdefault(collection, set())
        fresh: list[EncryptedKey] = []
        clashes: list[str | None] = []
        for carried, candidates in groups.items():
            if carried in saved or carried in failed:
                continue
            if carried in present:
                held = self._holds_same_key(candidates, present[carried])
                if held:
                    saved.add(carried)  # as good as an acknowledged save
                elif held is None:
                    failed.add(carried)
                    events.append(RewrapFailed(collection, carried))
                else:
                    clashes.append(carried)
                continue
            wrapped = self._rewrap(candidates, rekey.new_key)
            if wrapped is None:
                failed.add(carried)
                events.append(RewrapFailed(collection, carried))
            else:
                fresh.append(wrapped)
        reasons = []
        unopenable = sorted(failed & groups.keys(), key=lambda name: name or "")
        if unopenable:
            reasons.append("the old private key cannot unwrap the symmetric key(s) "
                           + ", ".join(repr(name) for name in unopenable)
                           + ", so the old keys stay: they may be the only ones that open it")
        if clashes:
            reasons.append("the server holds another key for the new public key under the "
                           "symmetric key name(s) "
                           + ", ".join(repr(name) for name in clashes)
                           + ", so the old keys stay: they are the ones known to open it")
        if reasons:
            rekey.kept[collection] = "; ".join(reasons)
            events.append(CollectionKept(collection, rekey.kept[collection]))
        if fresh:  # even for a collection kept: what can be re-wrapped is
            return self._rekey_saves(collection, fresh)
        if reasons:
            return []
        count = rekey.deletes.get(collection, 0)
        if count >= _MAX_DELETES:
            reason = (f"the server still lists the old keys after {count} deletes; "
                      "giving up on this collection")
            rekey.kept[collection] = reason
            events.append(CollectionKept(collection, reason))
            return []
        rekey.deletes[collection] = count + 1
        return [self._rekey_delete(collection)]

    def _holds_same_key(self, candidates: Sequence[EncryptedKey],
                        present: Sequence[EncryptedKey]) -> bool | None:
        """Whether one of the keys the server holds for the new public key
        (``present``) carries the symmetric key the old public key's ``candidates``
        carry; None when the old private key opens none of the candidates.  Only the
        private keys can tell: two wraps of one key share no byte."""
        rekey = self._rekey
        assert rekey is not None
        old = self._keyring[rekey.old_key_name]
        new = self._keyring[rekey.new_key.name]
        expected = {value for candidate in candidates
                    if (value := _check_value(candidate, old)) is not None}
        if not expected:
            return None
        return any(_check_value(each, new) in expected for each in present)

    def _rewrap(self, candidates: Sequence[EncryptedKey], new_key: PublicKey
                ) -> EncryptedKey | None:
        rekey = self._rekey
        assert rekey is not None
        private = self._keyring[rekey.old_key_name]
        for candidate in candidates:
            try:
                return rewrap_key(candidate, private, new_key, key_transport=self._key_transport,
                                  allow_legacy=self._allow_legacy)
            except DecryptionError:
                continue
        return None

    def _rekey_saves(self, collection: CollectionId, keys: Sequence[EncryptedKey]) -> list[Iq]:
        """The saves carrying ``keys`` under the size limit, tracked only once all of
        them are built."""
        built: list[tuple[Iq, list[str | None]]] = []
        position = 0
        while position < len(keys):
            chunk_id = self._ids()
            count = len(keys) - position
            while True:
                part = tuple(keys[position:position + count])
                iq = self._save_iq(self._chat(collection, encrypted_keys=part), chunk_id)
                size = _size(iq)
                if size <= self._max:
                    break
                if count == 1:
                    raise StanzaTooLargeError(f"one EncryptedKey makes a {size}-byte save iq, "
                                              f"over the limit of {self._max} bytes")
                count = self._shrink(count, size)
            built.append((iq, _names_json(key.carried_key_name for key in part)))
            position += count
        return [self._track(RequestKind.REKEY_SAVE, iq, collection=collection.to_json(),
                            carried=names) for iq, names in built]

    def _rekey_delete(self, collection: CollectionId) -> Iq:
        rekey = self._rekey
        assert rekey is not None
        request = Delete(namespace=self._namespace, with_=collection.with_,
                         start=collection.start, key_names=(rekey.old_key_name,))
        return self._track(RequestKind.REKEY_DELETE, self._new_iq(IqType.SET, request),
                           collection=collection.to_json())

    def _on_rekey_save(self, request: _Request, answer: Iq, error: StanzaError | None
                       ) -> list[Event]:
        rekey = self._rekey
        if rekey is None:
            return [Ignored(answer, "answers a key replacement that is over")]
        collection = CollectionId.from_json(request.data["collection"])
        names = tuple(None if name is None else str(name) for name in request.data["carried"])
        events: list[Event]
        conflicts = rekey.conflicts.get(collection, 0)
        if error is None:
            rekey.saved.setdefault(collection, set()).update(names)
            events = [NewKeysSaved(collection, names, _saved_version(answer))]
        elif error.condition is Condition.CONFLICT and conflicts < _MAX_CONFLICTS:
            # The server holds another key for the new public key under one of these
            # names (saved by a save this flow forgot, or wrapped by the server): the
            # next look at the page lists it, and it is checked there.
            rekey.conflicts[collection] = conflicts + 1
            events = []
        else:
            reason = ("the server refused to store the new keys (" + _describe(error)
                      + "), so the old keys stay")
            rekey.kept[collection] = reason
            events = [CollectionKept(collection, reason, error)]
        return events + self._rekey_step_done(answer.id)

    def _on_rekey_delete(self, request: _Request, answer: Iq, error: StanzaError | None
                         ) -> list[Event]:
        rekey = self._rekey
        if rekey is None:
            return [Ignored(answer, "answers a key replacement that is over")]
        collection = CollectionId.from_json(request.data["collection"])
        events: list[Event]
        if error is None or error.condition is Condition.ITEM_NOT_FOUND:
            rekey.deleted += 1
            events = [OldKeysDeleted(collection, rekey.old_key_name, already=error is not None)]
        else:
            reason = "the server refused to delete the old keys (" + _describe(error) + ")"
            rekey.kept[collection] = reason
            events = [CollectionKept(collection, reason, error)]
        return events + self._rekey_step_done(answer.id)

    def _rekey_step_done(self, iq_id: str) -> list[Event]:
        rekey = self._rekey
        assert rekey is not None
        rekey.outstanding.discard(iq_id)
        if rekey.outstanding:
            return []
        # The page is done: ask for it again (the same cursor), to see what is left.
        # Asked from the very beginning, that starts a new pass.
        if rekey.cursor is None:
            rekey.pass_acted = False
        return [Send(self._keys_iq())]

    _HANDLERS: Final[Mapping[RequestKind, Callable[
        [ArchiveClient, _Request, Iq, StanzaError | None], list[Event]]]] = {
        RequestKind.DISCO: _on_disco,
        RequestKind.UPLOAD: _on_upload,
        RequestKind.SAVE: _on_save,
        RequestKind.AUTO: _on_auto,
        RequestKind.LIST: _on_list,
        RequestKind.RETRIEVE: _on_retrieve,
        RequestKind.REMOVE: _on_remove,
        RequestKind.KEYS: _on_keys,
        RequestKind.REKEY_SAVE: _on_rekey_save,
        RequestKind.REKEY_DELETE: _on_rekey_delete,
    }

    # -- persistence -----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The whole state as a JSON-safe dict (no private key, no symmetric key)."""
        return {
            "format": _SNAPSHOT_FORMAT,
            "version": _SNAPSHOT_VERSION,
            "jid": str(self._jid),
            "namespace": self._namespace,
            "service": None if self._service is None else str(self._service),
            "max_stanza_bytes": self._max,
            "algorithm": self._algorithm,
            "key_transport": self._key_transport,
            "allow_legacy": self._allow_legacy,
            "lenient": self._lenient,
            "next_id": self._counter.next if self._counter is not None else None,
            "pending": [request.to_json() for request in self._pending.values()],
            "uploads": [[upload_id, upload.to_json()]
                        for upload_id, upload in self._uploads.items()],
            "retrievals": [retrieval.to_json() for retrieval in self._retrievals.values()],
            "rekey": None if self._rekey is None else self._rekey.to_json(),
        }

    @classmethod
    def restore(cls, data: Mapping[str, Any], *, ids: Callable[[], str] | None = None,
                random: Callable[[int], bytes] | None = None) -> ArchiveClient:
        """A machine with the state of a :meth:`snapshot`.  ``ids`` replaces the id
        source (the saved counter is used when None); ``random`` is the random source
        (never saved).  Private keys are given again with :meth:`provide_private_key`.
        A snapshot that is not one, or is damaged, raises ValueError saying what is
        wrong."""
        try:
            return cls._restore(data, ids, random)
        except (AttributeError, KeyError, TypeError, ValueError, ParseError) as error:
            detail = error.message if isinstance(error, ParseError) else \
                f"missing {error}" if isinstance(error, KeyError) else str(error)
            raise ArgumentValueError(f"not a usable archive client snapshot: {detail}") from None

    @classmethod
    def _restore(cls, data: Mapping[str, Any], ids: Callable[[], str] | None,
                 random: Callable[[int], bytes] | None) -> ArchiveClient:
        if data.get("format") != _SNAPSHOT_FORMAT or data.get("version") != _SNAPSHOT_VERSION:
            raise ValueError(f"expected format {_SNAPSHOT_FORMAT!r} version "
                             f"{_SNAPSHOT_VERSION}, found {data.get('format')!r} version "
                             f"{data.get('version')!r}")
        service = data["service"]
        client = cls(JID.parse(str(data["jid"])), namespace=str(data["namespace"]),
                     service=None if service is None else JID.parse(str(service)),
                     ids=ids, random=random, max_stanza_bytes=int(data["max_stanza_bytes"]),
                     algorithm=str(data["algorithm"]),
                     key_transport=str(data["key_transport"]),
                     allow_legacy=bool(data["allow_legacy"]),
                     lenient=bool(data.get("lenient", False)))
        if client._counter is not None and data["next_id"] is not None:
            client._counter.next = int(data["next_id"])
        for item in data["pending"]:
            request = _Request.from_json(item)
            client._pending[request.iq.id] = request
        for upload_id, upload in data["uploads"]:
            client._uploads[str(upload_id)] = _Upload.from_json(upload)
        for item in data["retrievals"]:
            retrieval = _Retrieval.from_json(item)
            client._retrievals[retrieval.collection] = retrieval
        if data["rekey"] is not None:
            client._rekey = _Rekey.from_json(data["rekey"])
        return client

    def __repr__(self) -> str:
        return (f"<ArchiveClient {self._jid} {len(self._pending)} in flight"
                f"{' rekey ' + self._rekey.state if self._rekey is not None else ''}>")


# -- module helpers -----------------------------------------------------------------------


def _check_algorithm(parameter: str, uri: object, known: Collection[str],
                     allow_legacy: bool) -> None:
    """Refuse an algorithm URI the client cannot encrypt with, naming ``parameter``
    and what it may be."""
    allowed = sorted(each for each in known if allow_legacy or not is_legacy(each))
    if isinstance(uri, str) and uri in allowed:
        return
    if isinstance(uri, str) and uri in known:
        raise ArgumentValueError(
            f"{parameter}={uri!r} is a legacy algorithm: xepcodec encrypts with it only with "
            f"allow_legacy=True; without it, use one of {', '.join(allowed)}")
    raise ArgumentValueError(f"{parameter}={uri!r} is not an algorithm xepcodec encrypts "
                             f"with; use one of {', '.join(allowed)}")


def _wrapped_for(chat: Chat, public_key_name: str) -> dict[str | None, list[EncryptedKey]]:
    """The collection's keys wrapped for the public key ``public_key_name``, by the
    name of the symmetric key they carry."""
    groups: dict[str | None, list[EncryptedKey]] = {}
    for encrypted_key in chat.encrypted_keys:
        if encrypted_key.key_name == public_key_name:
            groups.setdefault(encrypted_key.carried_key_name, []).append(encrypted_key)
    return groups


def _check_value(encrypted_key: EncryptedKey, private_key: RSAPrivateKey) -> bytes | None:
    """The check value of the symmetric key ``encrypted_key`` carries, or None if
    ``private_key`` does not open it: the key's encryption of a zero block under a zero
    IV, the same for two keys exactly when they are the same key, and telling nothing
    of the key.  It never leaves the machine."""
    try:
        key = unwrap_key(encrypted_key, private_key)
    except DecryptionError:
        return None
    with key:
        return encrypt_octets(key, bytes(16), random=bytes)


def _check_page_size(page_size: int) -> None:
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise ValueError(f"a page size is a positive integer, not {page_size!r}")


def _describe(error: StanzaError | None) -> str:
    if error is None:
        return "no usable answer"
    text = f": {error.text}" if error.text else ""
    return f"the server answered {error.condition}{text}"


def _saved_version(answer: Iq) -> int | None:
    payload = answer.payload
    if isinstance(payload, Save):
        return payload.chat.version
    if isinstance(payload, Chat):
        return payload.version
    return None


def _has_encrypted(chat: Chat) -> bool:
    if chat.encrypted_data:
        return True
    return chat.form is not None and any(isinstance(item, EncryptedData)
                                         for item in chat.form.extensions)


def _decrypt(data: Sequence[EncryptedData], keys: Sequence[EncryptedKey],
             found: tuple[str, RSAPrivateKey] | None, namespace: str
             ) -> tuple[list[Entry | Note], list[EncryptedData]]:
    """The entries of every ``EncryptedData`` the private key (named ``found[0]``)
    opens, and those it does not open.  The whole page is tried at once; only if that
    fails, item by item.  A plaintext that is not messages counts as not opened."""
    if found is None:
        return [], list(data)
    name, private_key = found

    def attempt(items: Sequence[EncryptedData]) -> tuple[Entry | Note, ...] | None:
        try:
            return decrypt_collection(items, keys, private_key, key_names=(name,),
                                      namespace=namespace)
        except (DecryptionError, ParseError):
            return None

    whole = attempt(data)
    if whole is not None:
        return list(whole), []
    if len(data) == 1:
        return [], list(data)
    opened: list[Entry | Note] = []
    closed: list[EncryptedData] = []
    for item in data:
        part = attempt((item,))
        if part is None:
            closed.append(item)
        else:
            opened.extend(part)
    return opened, closed


def _encrypt_form(form: Form, recipients: Sequence[PublicKey], name: str, algorithm: str,
                  key_transport: str, random: Callable[[int], bytes], allow_legacy: bool
                  ) -> tuple[EncryptedData, tuple[EncryptedKey, ...]]:
    """The form's fields (each written with its own ``xmlns``, one after the other),
    encrypted with a new symmetric key wrapped for every recipient."""
    plaintext = b"".join(serialize(item) for item in form.fields)
    with new_symmetric_key(name, algorithm=algorithm, random=random) as key:
        ciphertext = encrypt_octets(key, plaintext, random=random, allow_legacy=allow_legacy)
        keys = tuple(wrap_key(key, recipient, key_transport=key_transport,
                              allow_legacy=allow_legacy) for recipient in recipients)
    data = EncryptedData(type=CONTENT, method=EncryptionMethod(algorithm=algorithm),
                         key_info=KeyInfo(key_names=(name,)),
                         cipher_data=CipherData(value=ciphertext))
    return data, keys


def _decrypt_form(form: Form, data: Sequence[EncryptedData], keys: Sequence[EncryptedKey],
                  private_key: RSAPrivateKey, key_names: Collection[str]) -> Form:
    """The form with the fields its ``EncryptedData`` hold; DecryptionError when a key
    cannot be unwrapped or the content is not a sequence of fields."""
    fields: list[Field] = []
    for item in data:
        plaintext = _open(item, keys, private_key, key_names)
        if plaintext is None:
            raise DecryptionError()
        document = b"".join((b'<x xmlns="', DATA_FORMS.encode(), b'" type="submit">',
                             plaintext, b"</x>"))
        try:
            opened = parse(document)
        except ParseError:
            opened = None
        if not isinstance(opened, Form) or opened.extensions or opened.items or \
                opened.reported is not None:
            # Only fields were encrypted: anything else is as good as a wrong key.
            raise DecryptionError()
        fields.extend(opened.fields)
    others = tuple(item for item in form.extensions if not isinstance(item, EncryptedData))
    return Form(type=form.type, title=form.title, instructions=form.instructions,
                fields=(*form.fields, *fields), extensions=others)


def _open(data: EncryptedData, keys: Sequence[EncryptedKey], private_key: RSAPrivateKey,
          key_names: Collection[str]) -> bytes | None:
    """The plaintext of ``data``, with the first key for it the private key unwraps."""
    if data.method is None:
        return None
    for candidate in keys:
        if candidate.carried_key_name != data.key_name:
            continue
        if candidate.key_name is not None and candidate.key_name not in key_names:
            continue
        try:
            key = unwrap_key(candidate, private_key)
        except DecryptionError:
            continue
        with key:
            try:
                return decrypt_octets(key, data.cipher_data.value,
                                      algorithm=data.method.algorithm)
            except DecryptionError:
                continue
    return None
