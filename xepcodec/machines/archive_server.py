"""The server side of message archiving (XEP-0136) with encrypted archives
(XEP-0241), as a sans-IO machine over a storage interface.

One :class:`ArchiveServer` serves every account of a server.  It keeps its data in an
:class:`~xepcodec.machines.archive_store.ArchiveStore` the caller chooses
(:class:`~xepcodec.machines.archive_store.MemoryStore`,
:class:`~xepcodec.machines.archive_store.SQLiteStore` or the caller's own) and holds
in memory only what must never reach a disk or only lasts as long as a stream: the
collections being recorded automatically (with their symmetric keys), the
automatic-archiving setting of each stream, and which resources asked for the
preferences (and so receive their changes).

Public API
----------
``ArchiveServer(store, *, namespace=None, encryption=True, lenient=False,
random=None, ids=None, limits=None, defaults=None)``

* ``namespace``: ``None`` (the default) serves both ``urn:xmpp:archive`` and
  ``urn:xmpp:tmp:archive`` and answers every request in the namespace it came in;
  pushes go out in the namespace the resource used to ask for the preferences.
  ``ARCHIVE`` or ``ARCHIVE_TMP`` serves that one only: a request in the other is
  answered ``service-unavailable``.
* ``encryption``: server-side encryption of automatically archived collections
  (XEP-0241 §3) and its disco feature.  Without it, ``<auto encrypt='true'/>`` is
  answered ``feature-not-implemented``.  Manually uploaded encrypted collections are
  always accepted, as XEP-0241 requires.
* ``lenient``: also accept the forms the specifications' examples use that break
  RFC 6120 (see "Errata and the lenient mode" below).
* ``random``: the source of random octets (symmetric keys, IVs, key names), e.g.
  :func:`os.urandom`; required when ``encryption`` is on.  ``ids``: the source of
  stanza ids for pushes (a counter saved in the snapshot by default).
* ``limits`` (:class:`Limits`): collection size (items, octets of XML), the largest
  page a result set returns, how long an automatically recorded collection may stay
  idle, the timeout the server gives session preferences.
* ``defaults`` (:class:`Defaults`): the Save and OTR Modes a user who set none gets,
  and whether server policy makes automatic archiving compulsory.

What arrives:

* :meth:`ArchiveServer.handle` ``(iq, *, owner, now) -> list[Iq]``: one archiving
  request of the account ``owner`` (the full JID of the user's resource whose stream
  carried it; its bare JID names the account).  Returns the answer first, then any
  pushes (iq ``set`` to the other interested resources, see below), for the caller
  to send.  An ``iq`` of type ``result`` or ``error`` (the answers to pushes) gives
  ``[]``.  :meth:`ArchiveServer.accepts` says whether an iq is for this machine; any
  other payload is a :class:`~xepcodec.errors.ProtocolError`.
* :meth:`ArchiveServer.archive_message` ``(message, *, owner, direction, now)``:
  every message that passes over a user's stream, for automatic archiving;
  ``owner`` is again the full JID of that stream, ``direction`` is
  ``Direction.TO`` for a message the user sent and ``Direction.FROM`` for one the
  user received.  Returns events (:class:`CollectionOpened`,
  :class:`MessageArchived`, :class:`CollectionFinished`, :class:`NotArchived`).
* :meth:`ArchiveServer.finish_collection` ``(owner, with_, *, now)``: the
  conversation with ``with_`` is over; :meth:`ArchiveServer.expire` ``(now)``
  finishes every collection idle for longer than :attr:`Limits.collection_timeout`
  (call it now and then); :meth:`ArchiveServer.stream_closed` ``(jid, *, now)``: a
  resource went away; :meth:`ArchiveServer.close` ``(now)``: finish everything
  (shutdown).
* :meth:`ArchiveServer.publish_keys` ``(owner, keys, *, now=None)``: the user's
  XEP-0189 public keys (``<pubkey/>`` elements as the caller sees them on the user's
  node, or ``<KeyInfo/>``/:class:`~xepcodec.crypto.PublicKey`), recorded in the store
  for automatic encryption; call it whenever they change.
* Discovery: :meth:`ArchiveServer.disco_features`,
  :meth:`ArchiveServer.disco_info` ``(node=None, *, identities=(), features=())``
  (a correct disco#info ``<query/>`` for the caller's result),
  :meth:`ArchiveServer.stream_feature`.
* Persistence: :meth:`ArchiveServer.snapshot` and :meth:`ArchiveServer.restore`
  (below).  Reading: :meth:`ArchiveServer.open_collections`,
  :meth:`ArchiveServer.auto_setting`.

Requests and answers
--------------------
Every request runs in one store transaction: it takes effect entirely or not at all.

* ``<pref/>`` get: the preferences, with ``<auto/>`` giving this stream's setting,
  a ``<default/>`` (``unset='true'`` with the server's :class:`Defaults` when the
  user never set one) and all three ``<method/>`` elements; the resource is then
  registered for pushes until :meth:`~ArchiveServer.stream_closed`.
  ``<pref/>`` set: merges what it names (``<default/>``, ``<item/>`` by JID and
  ``exactmatch``, ``<session/>`` by thread, ``<method/>`` by type; an ``<item/>``
  or ``<session/>`` missing a mode keeps the one stored, else takes the default),
  answers an empty result, and pushes what changed to every registered resource of
  the account (methods: all three; sessions: with the ``timeout`` the server
  gives).  An ``<auto/>`` inside is applied as an ``<auto/>`` request and not
  pushed.  ``<itemremove/>`` and ``<sessionremove/>`` forget the named entries
  (naming one that does not exist is not an error) and are pushed as they are,
  since XEP-0136 has no other way to tell a resource that an entry went.
  Errors: ``bad-request`` (an empty set; OTR Mode ``require`` with a Save Mode other
  than ``false``), ``feature-not-implemented`` (Save Mode ``stream`` while automatic
  archiving is on: the server never saves raw streams), ``not-acceptable`` (Save
  Mode ``false`` when policy makes archiving compulsory).
* ``<auto/>`` set: switches automatic archiving for the requesting stream (and, with
  ``scope='global'``, for the account's next streams).  Errors:
  ``feature-not-implemented`` for ``encrypt`` when encryption is off, and for
  ``save='true'`` when a preference asks for Save Mode ``stream``;
  ``not-acceptable`` for ``encrypt`` when there is no usable public key (neither
  published nor given in the request, or one given that is not an RSA key);
  ``not-allowed`` for ``save='false'`` when archiving is compulsory.  Public keys in
  the request count as confirmed (the user's own request vouches for them); a
  ``<KeyInfo/>`` with only a ``<KeyName/>`` names one of the published keys.
  Switching encryption on encrypts the collections being recorded, in place (their
  messages become one ``<EncryptedData/>``); switching it off, or switching archiving
  off on the account's last stream that had it on, finishes them.
* ``<save/>`` set: creates the collection (version 0) or appends to it (version + 1
  whenever anything changes; an upload that changes nothing leaves the version).  A
  new ``subject`` (or ``thread``) replaces the old; a link replaces the one of its
  kind and a link without attributes removes it; a form replaces the form, and an
  empty form (no fields, no content) removes it, without error if there was none;
  when a removed or replaced form held encrypted data, the wrapped keys for the
  symmetric keys nothing else in the collection uses go with it, and a collection
  left with no encrypted data and no wrapped key takes plain messages again.
  Encrypted data and keys are stored as they come, except that an upload repeated
  after a lost answer leaves no duplicate: an ``<EncryptedData/>`` or a wrapped key
  byte for byte identical to one the collection holds is skipped.  A wrapped key for
  a pair (public key, symmetric key name) the collection already holds with other
  bytes is a ``conflict``, and nothing of that save is stored.  The answer is the
  collection's attributes with its version.  Errors: ``not-acceptable`` when the collection would
  exceed :class:`Limits`, and when plain messages would join encrypted content (or
  the reverse), which XEP-0241 forbids; ``conflict`` as said.
* ``<list/>`` get: the collections whose ``with`` matches (XEP-0136 §JID Matching,
  see :func:`~xepcodec.machines.archive_store.jid_matches`) and that started at or
  after ``start`` and before ``end``, in chronological order, with RSM (the item
  identifiers are the start time followed by the JID), ``crypt='true'`` on encrypted
  ones; an empty ``<list/>`` when none matches.
* ``<retrieve/>`` get: a page of one collection's items (RSM; identifiers are item
  positions), with its links and form.  For an encrypted collection, the page of
  ``<EncryptedData/>`` and every ``<EncryptedKey/>`` whose ``CarriedKeyName`` one of
  them (or the form's encrypted data) uses, limited to the public keys the request
  names, if it names any.  ``item-not-found`` for a collection that does not exist.
* ``<remove/>`` set: with ``with`` and ``start`` and no ``end``, that one collection;
  otherwise every collection matching ``with`` (JID matching, ``exactmatch``),
  ``start`` (inclusive) and ``end`` (exclusive), and with ``open='true'`` only those
  being recorded.  ``item-not-found`` when nothing matches.  Removed collections
  being recorded are finished (their keys destroyed).
* ``<modified/>`` get: the latest change of each collection changed at or after
  ``start`` (inclusive, so that a change made in the very second a client last
  synchronized is not missed), oldest first, with RSM (identifiers are persistent
  sequence numbers; an ``<after/>`` naming a change that was superseded since still
  works).
* ``<keys/>`` get: for each collection holding wrapped keys for the named public keys
  (all wrapped keys when none is named), a ``<chat/>`` with those keys and the
  collection's version; RSM over the collections.
* ``<delete/>`` set: removes from one collection the wrapped keys for the named
  public keys (version + 1 if any went; none matching is not an error);
  ``item-not-found`` for a collection that does not exist.  It changes the archive,
  so it must be an iq ``set``: a ``get`` is answered ``bad-request``, unless the
  server is lenient (see below).
* Any request of the wrong iq type (a ``save`` as ``get``, a ``list`` as ``set``…):
  ``bad-request``.  An archiving element that is not a request (``<chat/>``…):
  ``bad-request``.  A result set request the collection cannot answer: the condition
  of :class:`~xepcodec.protocols.rsm.ResultSetError`.

Automatic archiving
-------------------
A message is archived when the stream's setting has ``save`` on (the stream's own
setting, else the account's ``scope='global'`` one; off by default unless policy makes
it compulsory) and the Save Mode for it is not ``false`` (session by thread, then the
most specific matching item, then the default: XEP-0136's precedence).  Save Mode
``body`` keeps the bodies; ``message`` also keeps the message's other payloads.
Error messages and messages with nothing to keep are not archived.

Messages go to the open collection of (account, the peer's bare JID, thread), which
is created with the first message (start: its time; version 0; each message after
that is a change, version + 1, logged for ``<modified/>``).  The collection is
identified by the peer's *bare* JID, which XEP-0136 permits (§Conversation
Tracking): a conversation that starts at a bare JID and continues with a full one
stays in one collection.  Group chat messages use the room's bare JID and the sender's
nickname as ``name``.  Times are written as ``secs`` so that their sum follows the
absolute times.

With ``encrypt`` on, a collection gets a fresh AES-256-GCM key when it opens, wrapped
with RSA-OAEP for every public key the user publishes (:meth:`ArchiveStore.set_public_keys
<xepcodec.machines.archive_store.ArchiveStore.set_public_keys>`) and every key the
``<auto/>`` request gave (keys published later are wrapped for as soon as a message
arrives); every message is stored as its own ``<EncryptedData/>``.  The published keys
are the server's own record of the user's keys, so the server treats them as
confirmed (XEP-0241's warning about published keys is addressed to clients, which
cannot trust the server).  The key exists only in this object: it is never written to
the store or a snapshot.  When the collection is finished (by
:meth:`~ArchiveServer.finish_collection`, idleness, reaching the size limit,
switching archiving or encryption off, removal, :meth:`~ArchiveServer.close`), the key
is destroyed (:meth:`SymmetricKey.destroy <xepcodec.crypto.SymmetricKey.destroy>`:
its buffer zeroed) and the server drops its only reference.

Persistence
-----------
The store keeps everything durable.  :meth:`~ArchiveServer.snapshot` exports the rest
(configuration, stream settings, registered resources, the id counter, the
collections being recorded, *without* any key) as a JSON-safe dict; it changes
nothing.  :meth:`ArchiveServer.restore` brings it back over a store: collections being
recorded in plain text continue; encrypted ones are finished, since their keys
existed only in the memory of the server that made the snapshot (their next message
starts a new collection).  Likewise, a server that restarts without a snapshot
simply considers every collection finished: the data is all in the store, and no key
of an encrypted one survives.

Errata and the lenient mode
---------------------------
Where the examples of XEP-0136 and XEP-0241 break RFC 6120, the server follows the
RFC; ``lenient=True`` also accepts what the examples do on the requests it receives:

1. XEP-0241 §6 sends ``<delete/>``, which removes keys from the archive, in an iq of
   type ``get``; RFC 6120 §8.2.3 makes ``get`` a request for information that
   changes nothing.  Strict: ``bad-request``; lenient: executed as if it were a
   ``set``.

Errata on the side of what the server *sends*, which it always writes correctly
whatever the mode (lenient is about reading only):

2. Both XEPs show the disco#info answer as an iq of type ``get`` (it is a ``result``),
   and XEP-0241's ``<query/>`` is closed before its features (not well-formed XML).
   :meth:`~ArchiveServer.disco_info` builds a correct query for a ``result``.
3. XEP-0136's ``<modified/>`` answer leaves out ``start``, which its own schema
   requires; this server's answers leave it out too (the request's ``start`` means
   nothing in an answer), which the library's schema allows.
4. XEP-0136's error examples carry the legacy ``code`` attribute; the server writes
   RFC 6120 errors (type and condition) only.

Other problems of the specifications the server resolves (see also the element
module): XEP-0136 has no way to push the removal of a preference entry (pushed as the
``<itemremove/>``/``<sessionremove/>`` itself); it does not say whether ``<remove/>``
with ``with`` and ``start`` but no ``end`` is one collection (it is) or a range; a
``<keys/>`` request without ``<KeyName/>`` is unspecified (all keys); XEP-0241 asks
that "all copies" of a finished collection's key be destroyed, which in Python can
only mean the buffer xepcodec controls (see :mod:`xepcodec.crypto.keys`).
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final, TypeAlias

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey, RSAPublicNumbers

from xepcodec.api import parse, serialize
from xepcodec.core.jid import JID
from xepcodec.core.stanza_errors import Condition
from xepcodec.core.stanzas import Iq, IqType, Message, MessageType, error_reply
from xepcodec.crypto import (
    CryptoError,
    PublicKey,
    SymmetricKey,
    encrypt_entries,
    new_symmetric_key,
    wrap_key,
)
from xepcodec.errors import ArgumentValueError, ParseError, ProtocolError
from xepcodec.machines.archive_store import (
    ArchiveItem,
    ArchiveStore,
    CollectionRecord,
    jid_matches,
    utc,
)
from xepcodec.machines.base import IdCounter
from xepcodec.protocols.archive import (
    ARCHIVE,
    ARCHIVE_TMP,
    FEATURE_ENCRYPT_SUFFIX,
    NAMESPACES,
    Auto,
    Change,
    ChangeKind,
    Chat,
    Default,
    Delete,
    Direction,
    Entry,
    Feature,
    Item,
    ItemRemove,
    Keys,
    Link,
    LinkKind,
    Method,
    MethodType,
    MethodUse,
    Modified,
    Note,
    OtrMode,
    Pref,
    Remove,
    Retrieve,
    Save,
    SaveMode,
    Scope,
    Session,
    SessionRemove,
    feature,
)
from xepcodec.protocols.archive import List as ListQuery
from xepcodec.protocols.dataforms import Form
from xepcodec.protocols.datetime import format_datetime, parse_datetime
from xepcodec.protocols.disco import Feature as DiscoFeature
from xepcodec.protocols.disco import Identity, InfoQuery
from xepcodec.protocols.pubkey import PubKey
from xepcodec.protocols.rsm import ResultSet, ResultSetError, paginate
from xepcodec.protocols.xmlenc import EncryptedData, EncryptedKey, KeyInfo

__all__ = [
    "ArchiveServer",
    "AutoSetting",
    "CollectionFinished",
    "CollectionOpened",
    "Defaults",
    "Event",
    "FinishReason",
    "Limits",
    "MessageArchived",
    "NotArchived",
    "NotArchivedReason",
    "OpenCollection",
    "collection_uid",
]

_SNAPSHOT_FORMAT: Final = "xepcodec.archive-server"
_SNAPSHOT_VERSION: Final = 1

#: The archiving elements that are requests, with the iq types each is sent in.
_REQUESTS: Final[dict[type, frozenset[IqType]]] = {
    Pref: frozenset({IqType.GET, IqType.SET}),
    ItemRemove: frozenset({IqType.SET}),
    SessionRemove: frozenset({IqType.SET}),
    Auto: frozenset({IqType.SET}),
    Save: frozenset({IqType.SET}),
    ListQuery: frozenset({IqType.GET}),
    Retrieve: frozenset({IqType.GET}),
    Remove: frozenset({IqType.SET}),
    Modified: frozenset({IqType.GET}),
    Keys: frozenset({IqType.GET}),
    Delete: frozenset({IqType.SET}),
}
#: Archiving elements that can arrive as a payload but are not requests.
_NOT_REQUESTS: Final = (Chat, Feature)


# -- configuration ---------------------------------------------------------------------------


def _check_limit(name: str, value: object, *, minimum: int = 1, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer of at least {minimum}"
                         f"{' or None' if optional else ''}, not {value!r}")


@dataclass(frozen=True, slots=True)
class Limits:
    """Sizes and times the server enforces.

    ``max_collection_items`` and ``max_collection_size`` (octets of the items' XML):
    a manual upload past them is refused with ``not-acceptable``; an automatically
    recorded collection that reaches them is finished and a new one started.  None:
    no limit.  ``max_page_size``: the most items (or collections, or changes) one
    result set page holds, whatever the request asks.  ``collection_timeout``:
    seconds without a message after which an automatically recorded collection is
    finished.  ``session_timeout``: the ``timeout`` the server gives ``<session/>``
    preferences.
    """

    max_collection_items: int | None = 10_000
    max_collection_size: int | None = 16 * 1024 * 1024
    max_page_size: int = 100
    collection_timeout: int = 30 * 60
    session_timeout: int = 60 * 60

    def __post_init__(self) -> None:
        _check_limit("max_collection_items", self.max_collection_items, optional=True)
        _check_limit("max_collection_size", self.max_collection_size, optional=True)
        _check_limit("max_page_size", self.max_page_size)
        _check_limit("collection_timeout", self.collection_timeout)
        _check_limit("session_timeout", self.session_timeout)

    def to_json(self) -> dict[str, Any]:
        return {"max_collection_items": self.max_collection_items,
                "max_collection_size": self.max_collection_size,
                "max_page_size": self.max_page_size,
                "collection_timeout": self.collection_timeout,
                "session_timeout": self.session_timeout}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Limits:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class Defaults:
    """What a user who never set preferences gets: ``save`` and ``otr`` (answered
    with ``unset='true'``).  ``compulsory``: server policy makes automatic archiving
    mandatory (XEP-0136 §Automatic Archiving): it is on for every stream, cannot be
    switched off (``not-allowed``), and Save Mode ``false`` cannot be set
    (``not-acceptable``)."""

    save: SaveMode = SaveMode.BODY
    otr: OtrMode = OtrMode.CONCEDE
    compulsory: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "save", SaveMode(self.save))
        object.__setattr__(self, "otr", OtrMode(self.otr))
        if self.otr is OtrMode.REQUIRE and self.save is not SaveMode.FALSE:
            raise ValueError("OTR Mode 'require' goes with Save Mode 'false' (XEP-0136)")
        if self.compulsory and self.save is SaveMode.FALSE:
            raise ValueError("compulsory archiving cannot default to Save Mode 'false'")

    def to_json(self) -> dict[str, Any]:
        return {"save": self.save.value, "otr": self.otr.value, "compulsory": self.compulsory}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Defaults:
        return cls(save=SaveMode(data["save"]), otr=OtrMode(data["otr"]),
                   compulsory=bool(data["compulsory"]))


@dataclass(frozen=True, slots=True)
class AutoSetting:
    """Automatic archiving for one stream: on or off, encrypted or not, for how long,
    and the public keys the ``<auto/>`` request added."""

    save: bool
    encrypt: bool = False
    scope: Scope = Scope.STREAM
    key_infos: tuple[KeyInfo, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"save": self.save, "encrypt": self.encrypt, "scope": self.scope.value,
                "keys": [serialize(info).decode() for info in self.key_infos]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AutoSetting:
        return cls(save=bool(data["save"]), encrypt=bool(data["encrypt"]),
                   scope=Scope(data["scope"]),
                   key_infos=tuple(_parse_as(text, KeyInfo) for text in data["keys"]))


_OFF: Final = AutoSetting(save=False)


# -- events ----------------------------------------------------------------------------------


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
class CollectionOpened:
    """Automatic archiving started a collection; ``key_name`` names its symmetric key
    when it is encrypted."""

    owner: JID
    with_: JID
    start: datetime
    thread: str | None
    key_name: str | None


@dataclass(frozen=True, slots=True)
class MessageArchived:
    """A message went into a collection at ``position``, which now has ``version``."""

    owner: JID
    with_: JID
    start: datetime
    position: int
    version: int
    encrypted: bool


@dataclass(frozen=True, slots=True)
class CollectionFinished:
    """A collection being recorded was finished (its key, if any, destroyed)."""

    owner: JID
    with_: JID
    start: datetime
    reason: FinishReason
    encrypted: bool


@dataclass(frozen=True, slots=True)
class NotArchived:
    """A message that was not archived, and why."""

    message: Message
    reason: NotArchivedReason


Event: TypeAlias = CollectionOpened | MessageArchived | CollectionFinished | NotArchived


@dataclass(frozen=True, slots=True)
class OpenCollection:
    """A collection being recorded, as :meth:`ArchiveServer.open_collections` shows
    it (without its key)."""

    owner: JID
    with_: JID
    start: datetime
    thread: str | None
    encrypted: bool
    key_name: str | None
    last: datetime


# -- internals ---------------------------------------------------------------------------------


class _Refused(Exception):
    """A request that is answered with a stanza error."""

    def __init__(self, condition: Condition, text: str) -> None:
        super().__init__(text)
        self.condition = condition
        self.text = text


@dataclass(slots=True, eq=False)
class _Open:
    """A collection being recorded.  ``key`` is the only reference the server holds
    to the collection's symmetric key."""

    owner: JID
    with_: JID
    start: datetime
    thread: str | None
    namespace: str
    last: datetime
    elapsed: int = 0
    key: SymmetricKey | None = None
    encrypted: bool = False
    recipients: set[str] = field(default_factory=set)

    @property
    def slot(self) -> tuple[JID, JID, str | None]:
        return self.owner, self.with_, self.thread


def _parse_as(text: str | bytes, kind: type[Any]) -> Any:
    obj = parse(text)
    if not isinstance(obj, kind):
        raise ValueError(f"expected a {kind.__name__}, found a {type(obj).__name__}")
    return obj


def collection_uid(with_: JID, start: datetime) -> str:
    """The result set identifier of a collection in ``<list/>`` and ``<keys/>``
    answers: its start time followed by its JID (the form XEP-0136's examples use)."""
    return f"{format_datetime(utc(start))}{with_}"


def _record_uid(record: CollectionRecord) -> str:
    return collection_uid(record.with_, record.start)


def _empty_form(form: Form) -> bool:
    return not (form.title or form.instructions or form.fields or form.reported
                or form.items or form.extensions)


def _form_data(form: Form | None) -> list[EncryptedData]:
    if form is None:
        return []
    return [item for item in form.extensions if isinstance(item, EncryptedData)]


def _crypt(record: CollectionRecord) -> bool:
    return record.encrypted or bool(_form_data(record.form))


def _size(item: object) -> int:
    return len(serialize(item))


def _link(record: CollectionRecord) -> tuple[Link, ...]:
    return tuple(link for link in (record.previous, record.next) if link is not None)


def _all_methods(methods: Iterable[Method]) -> tuple[Method, ...]:
    given = {method.type: method for method in methods}
    return tuple(given.get(kind, Method(type=kind, use=MethodUse.CONCEDE))
                 for kind in (MethodType.AUTO, MethodType.LOCAL, MethodType.MANUAL))


def _specificity(item: Item) -> int:
    jid = item.jid
    if item.exactmatch or jid.resource is not None:
        return 3
    return 2 if jid.local is not None else 1


# -- the machine ---------------------------------------------------------------------------------


class ArchiveServer:
    """The archiving service of a server (see the module documentation)."""

    def __init__(self, store: ArchiveStore, *, namespace: str | None = None,
                 encryption: bool = True, lenient: bool = False,
                 random: Callable[[int], bytes] | None = None,
                 ids: Callable[[], str] | None = None, limits: Limits | None = None,
                 defaults: Defaults | None = None) -> None:
        if not isinstance(store, ArchiveStore):
            raise TypeError(f"store must be an ArchiveStore, not {type(store).__name__}")
        if namespace is not None and namespace not in NAMESPACES:
            raise ValueError(f"namespace must be None (both), {ARCHIVE!r} or "
                             f"{ARCHIVE_TMP!r}, not {namespace!r}")
        if encryption and random is None:
            raise ValueError("server-side encryption needs a source of random octets: "
                             "pass random=os.urandom (or encryption=False)")
        self._store = store
        self._namespace = namespace
        self._encryption = bool(encryption)
        self._lenient = bool(lenient)
        self._random = random
        self._limits = limits if limits is not None else Limits()
        self._defaults = defaults if defaults is not None else Defaults()
        self._counter: IdCounter | None = None
        if ids is None:
            self._counter = IdCounter("archive")
            ids = self._counter
        self._ids: Callable[[], str] = ids
        # per stream (full JID, or bare when the caller uses bare JIDs)
        self._streams: dict[JID, AutoSetting] = {}
        # resources that asked for the preferences: the namespace to push them in
        self._subscribers: dict[JID, str] = {}
        # collections being recorded, by (account, peer, thread)
        self._open: dict[tuple[JID, JID, str | None], _Open] = {}

    # -- reading ----------------------------------------------------------------------

    @property
    def store(self) -> ArchiveStore:
        return self._store

    @property
    def namespaces(self) -> tuple[str, ...]:
        """The namespaces served."""
        return NAMESPACES if self._namespace is None else (self._namespace,)

    @property
    def encryption(self) -> bool:
        return self._encryption

    @property
    def lenient(self) -> bool:
        return self._lenient

    @property
    def limits(self) -> Limits:
        return self._limits

    @property
    def defaults(self) -> Defaults:
        return self._defaults

    def auto_setting(self, stream: JID) -> AutoSetting:
        """The automatic-archiving setting in force for ``stream``: its own, else the
        account's global one, else off (on, unencrypted, when compulsory)."""
        own = self._streams.get(stream)
        if own is not None:
            return own
        stored = self._store.get_prefs(stream.bare)
        if stored is not None and stored.auto is not None:
            auto = stored.auto
            return AutoSetting(save=auto.save, encrypt=bool(auto.encrypt), scope=Scope.GLOBAL,
                               key_infos=auto.key_infos)
        if self._defaults.compulsory:
            return AutoSetting(save=True)
        return _OFF

    def open_collections(self, owner: JID | None = None) -> tuple[OpenCollection, ...]:
        """The collections being recorded (of ``owner``'s account, or all)."""
        return tuple(
            OpenCollection(owner=item.owner, with_=item.with_, start=item.start,
                           thread=item.thread, encrypted=item.encrypted,
                           key_name=item.key.name if item.key is not None else None,
                           last=item.last)
            for item in self._open.values() if owner is None or item.owner == owner.bare)

    @staticmethod
    def accepts(iq: Iq) -> bool:
        """Whether ``iq`` is for this machine: a get or set whose payload is an
        archiving element."""
        return (iq.type in (IqType.GET, IqType.SET)
                and isinstance(iq.payload, (*_REQUESTS, *_NOT_REQUESTS)))

    # -- requests --------------------------------------------------------------------------

    def handle(self, iq: Iq, *, owner: JID, now: datetime) -> list[Iq]:
        """Answer one archiving request of ``owner`` (see the module documentation):
        the answer first, then the pushes to send."""
        if not isinstance(iq, Iq):
            raise ProtocolError(f"handle takes an Iq, not {type(iq).__name__}")
        if iq.type in (IqType.RESULT, IqType.ERROR):
            return []
        now = self._time(now)
        owner = _jid(owner)
        payload = iq.payload
        if isinstance(payload, _NOT_REQUESTS):
            return [self._error(iq, Condition.BAD_REQUEST,
                                f"a <{type(payload).__name__.lower()}/> is not an archiving "
                                "request")]
        kinds = _REQUESTS.get(type(payload))
        if kinds is None:
            raise ProtocolError(f"not an archiving request: {type(payload).__name__} (check "
                                "ArchiveServer.accepts before calling handle)")
        namespace: str = payload.namespace
        if namespace not in self.namespaces:
            return [self._error(iq, Condition.SERVICE_UNAVAILABLE,
                                f"this server archives in {self.namespaces[0]} only")]
        if iq.type not in kinds and not (isinstance(payload, Delete) and self._lenient):
            return [self._error(iq, Condition.BAD_REQUEST, self._wrong_type(payload, iq))]
        committed: list[Callable[[], None]] = []
        undone: list[Callable[[], None]] = []
        try:
            with self._store.transaction():
                answers = self._dispatch(iq, payload, owner, now, committed, undone)
        except _Refused as refusal:
            for action in undone:
                action()
            return [self._error(iq, refusal.condition, refusal.text)]
        except BaseException:
            for action in undone:
                action()
            raise
        for action in committed:
            action()
        return answers

    @staticmethod
    def _wrong_type(payload: object, iq: Iq) -> str:
        name = {ListQuery: "list", ItemRemove: "itemremove",
                SessionRemove: "sessionremove"}.get(type(payload), type(payload).__name__.lower())
        if isinstance(payload, Delete):
            return ("a <delete/> removes keys from the archive, so it is sent in an iq of type "
                    "'set' (RFC 6120 §8.2.3: a 'get' changes nothing), not 'get'")
        expected = "set" if iq.type is IqType.GET else "get"
        return f"a <{name}/> request is sent in an iq of type '{expected}', not '{iq.type}'"

    def _error(self, iq: Iq, condition: Condition, text: str) -> Iq:
        return error_reply(iq, condition, text=text)

    def _dispatch(self, iq: Iq, payload: Any, owner: JID, now: datetime,
                  committed: list[Callable[[], None]],
                  undone: list[Callable[[], None]]) -> list[Iq]:
        if isinstance(payload, Pref):
            if iq.type is IqType.GET:
                return [self._pref_get(iq, payload, owner)]
            return self._pref_set(iq, payload, owner, now, committed, undone)
        if isinstance(payload, ItemRemove):
            return self._item_remove(iq, payload, owner)
        if isinstance(payload, SessionRemove):
            return self._session_remove(iq, payload, owner)
        if isinstance(payload, Auto):
            self._auto(payload, owner, now, committed, undone)
            return [iq.result()]
        if isinstance(payload, Save):
            return [iq.result(self._save(payload, owner, now))]
        if isinstance(payload, ListQuery):
            return [iq.result(self._list(payload, owner))]
        if isinstance(payload, Retrieve):
            return [iq.result(self._retrieve(payload, owner))]
        if isinstance(payload, Remove):
            self._remove(payload, owner, now, committed)
            return [iq.result()]
        if isinstance(payload, Modified):
            return [iq.result(self._modified(payload, owner))]
        if isinstance(payload, Keys):
            return [iq.result(self._keys(payload, owner))]
        assert isinstance(payload, Delete)
        self._delete(payload, owner, now, committed)
        return [iq.result()]

    # -- preferences ---------------------------------------------------------------------

    def _stored_prefs(self, owner: JID) -> Pref:
        stored = self._store.get_prefs(owner.bare)
        return stored if stored is not None else Pref(namespace=ARCHIVE)

    def _default(self, prefs: Pref) -> Default:
        if prefs.default is not None:
            return prefs.default
        return Default(otr=self._defaults.otr, save=self._defaults.save, unset=True)

    def _pref_get(self, iq: Iq, request: Pref, owner: JID) -> Iq:
        if request.auto or request.default or request.items or request.sessions \
                or request.methods:
            raise _Refused(Condition.BAD_REQUEST, "a <pref/> get is empty; to change "
                           "preferences, send an iq 'set'")
        namespace = request.namespace
        prefs = self._stored_prefs(owner)
        setting = self.auto_setting(owner)
        auto = Auto(namespace=namespace, save=setting.save,
                    scope=setting.scope if setting.save or setting.scope is Scope.GLOBAL
                    else None,
                    encrypt=True if setting.encrypt else None)
        answer = Pref(namespace=namespace, auto=auto, default=self._default(prefs),
                      items=prefs.items, sessions=prefs.sessions,
                      methods=_all_methods(prefs.methods))
        self._subscribers[owner] = namespace
        return iq.result(answer)

    def _pref_set(self, iq: Iq, request: Pref, owner: JID, now: datetime,
                  committed: list[Callable[[], None]],
                  undone: list[Callable[[], None]]) -> list[Iq]:
        if not (request.auto or request.default or request.items or request.sessions
                or request.methods):
            raise _Refused(Condition.BAD_REQUEST, "a <pref/> set names at least one "
                           "preference to change")
        prefs = self._stored_prefs(owner)
        default = self._default(prefs)
        new_default = prefs.default
        if request.default is not None:
            new_default = replace(request.default, unset=None)
            self._check_modes(new_default.otr, new_default.save, "the default", owner)
            default = new_default
        items = {(item.jid, bool(item.exactmatch)): item for item in prefs.items}
        changed_items: list[Item] = []
        for item in request.items:
            key = (item.jid, bool(item.exactmatch))
            known = items.get(key)
            otr = item.otr or (known.otr if known is not None else None) or default.otr
            save = item.save or (known.save if known is not None else None) or default.save
            self._check_modes(otr, save, f"the item for {item.jid}", owner)
            merged = Item(jid=item.jid, otr=otr, save=save,
                          expire=item.expire if item.expire is not None
                          else known.expire if known is not None else None,
                          exactmatch=True if item.exactmatch else None)
            items[key] = merged
            changed_items.append(merged)
        sessions = {session.thread: session for session in prefs.sessions}
        changed_sessions: list[Session] = []
        for session in request.sessions:
            known_session = sessions.get(session.thread)
            save = session.save or (known_session.save if known_session else None) \
                or default.save
            session_otr = session.otr or (known_session.otr if known_session else None)
            self._check_modes(session_otr, save, f"the session {session.thread!r}", owner)
            merged_session = Session(thread=session.thread, save=save, otr=session_otr,
                                     timeout=self._limits.session_timeout)
            sessions[session.thread] = merged_session
            changed_sessions.append(merged_session)
        methods = {method.type: method for method in prefs.methods}
        for method in request.methods:
            methods[method.type] = method
        auto = prefs.auto
        stored = Pref(namespace=ARCHIVE, auto=auto, default=new_default,
                      items=tuple(items.values()), sessions=tuple(sessions.values()),
                      methods=tuple(methods[kind] for kind in MethodType if kind in methods))
        self._store.put_prefs(owner.bare, stored)
        if request.auto is not None:
            self._auto(request.auto, owner, now, committed, undone)
        answers = [iq.result()]
        if request.default or request.items or request.sessions or request.methods:
            answers.extend(self._pushes(owner, lambda ns: Pref(
                namespace=ns,
                default=new_default if request.default is not None else None,
                items=tuple(changed_items), sessions=tuple(changed_sessions),
                methods=_all_methods(stored.methods) if request.methods else ())))
        return answers

    def _check_modes(self, otr: OtrMode | None, save: SaveMode, what: str,
                     owner: JID) -> None:
        if otr is OtrMode.REQUIRE and save is not SaveMode.FALSE:
            raise _Refused(Condition.BAD_REQUEST, f"{what} has OTR Mode 'require', which "
                           f"needs Save Mode 'false', not {save.value!r}")
        if save is SaveMode.FALSE and self._defaults.compulsory:
            raise _Refused(Condition.NOT_ACCEPTABLE, f"server policy archives every message: "
                           f"{what} cannot have Save Mode 'false'")
        if save is SaveMode.STREAM and self._auto_active(owner.bare):
            raise _Refused(Condition.FEATURE_NOT_IMPLEMENTED,
                           f"{what} asks for Save Mode 'stream', which this server does not "
                           "archive, while automatic archiving is on")

    def _pushes(self, owner: JID, build: Callable[[str], Any]) -> list[Iq]:
        return [Iq(type=IqType.SET, id=self._ids(), to=resource, extensions=(build(namespace),))
                for resource, namespace in self._subscribers.items()
                if resource.bare == owner.bare]

    def _item_remove(self, iq: Iq, request: ItemRemove, owner: JID) -> list[Iq]:
        prefs = self._stored_prefs(owner)
        gone = {item.jid for item in request.items}
        kept = tuple(item for item in prefs.items if item.jid not in gone)
        if kept != prefs.items:
            self._store.put_prefs(owner.bare, replace(prefs, items=kept))
        items = request.items
        return [iq.result(), *self._pushes(owner, lambda ns: ItemRemove(namespace=ns,
                                                                          items=items))]

    def _session_remove(self, iq: Iq, request: SessionRemove, owner: JID) -> list[Iq]:
        prefs = self._stored_prefs(owner)
        gone = {session.thread for session in request.sessions}
        kept = tuple(session for session in prefs.sessions if session.thread not in gone)
        if kept != prefs.sessions:
            self._store.put_prefs(owner.bare, replace(prefs, sessions=kept))
        sessions = request.sessions
        return [iq.result(), *self._pushes(owner, lambda ns: SessionRemove(
            namespace=ns, sessions=sessions))]

    # -- automatic archiving: the setting ----------------------------------------------------

    def _auto_active(self, account: JID) -> bool:
        """Whether any known stream of the account, or its global setting, archives."""
        streams = [jid for jid in self._streams if jid.bare == account]
        if any(self._streams[jid].save for jid in streams):
            return True
        return self.auto_setting(account).save if account not in self._streams else False

    def _resolve_keys(self, owner: JID, key_infos: Sequence[KeyInfo]) -> list[PublicKey]:
        """The public keys an ``<auto/>`` request gives, confirmed by the request."""
        published = {key.name: key for key in self._published(owner)}
        keys: list[PublicKey] = []
        for info in key_infos:
            if info.key_values:
                try:
                    keys.append(PublicKey.from_key_value(info, confirmed=True))
                except CryptoError as error:
                    raise _Refused(Condition.NOT_ACCEPTABLE,
                                   f"a public key of the request cannot be used: {error}") \
                        from None
                continue
            name = info.key_name
            if name is None or name not in published:
                raise _Refused(Condition.NOT_ACCEPTABLE,
                               f"the request names the public key {name!r}, which the user "
                               "does not publish, without giving its value")
            keys.append(published[name])
        return keys

    def _published(self, owner: JID) -> list[PublicKey]:
        """The user's published keys that are usable RSA keys (others are skipped)."""
        keys: list[PublicKey] = []
        for info in self._store.get_public_keys(owner.bare):
            try:
                keys.append(PublicKey.from_key_value(info, confirmed=True))
            except CryptoError:
                continue
        return keys

    def _recipients(self, owner: JID, setting: AutoSetting) -> list[PublicKey]:
        found: dict[str, PublicKey] = {}
        for key in [*self._published(owner), *self._setting_keys(setting)]:
            found.setdefault(key.name, key)
        return list(found.values())

    @staticmethod
    def _setting_keys(setting: AutoSetting) -> list[PublicKey]:
        keys: list[PublicKey] = []
        for info in setting.key_infos:
            try:
                keys.append(PublicKey.from_key_value(info, confirmed=True))
            except CryptoError:
                continue
        return keys

    def _auto(self, request: Auto, owner: JID, now: datetime,
              committed: list[Callable[[], None]], undone: list[Callable[[], None]]) -> None:
        account = owner.bare
        if request.encrypt and not self._encryption:
            raise _Refused(Condition.FEATURE_NOT_IMPLEMENTED,
                           "this server does not encrypt the messages it archives")
        if not request.save and self._defaults.compulsory:
            raise _Refused(Condition.NOT_ALLOWED, "server policy archives every message; "
                           "automatic archiving cannot be switched off")
        prefs = self._stored_prefs(owner)
        if request.save:
            modes = [prefs.default.save if prefs.default else None,
                     *(item.save for item in prefs.items),
                     *(session.save for session in prefs.sessions)]
            if SaveMode.STREAM in modes:
                raise _Refused(Condition.FEATURE_NOT_IMPLEMENTED,
                               "a preference asks for Save Mode 'stream', which this server "
                               "does not archive")
        given = self._resolve_keys(owner, request.key_infos)
        encrypt = bool(request.encrypt)
        if request.save and encrypt:
            names = {key.name for key in self._published(owner)} | {key.name for key in given}
            if not names:
                raise _Refused(Condition.NOT_ACCEPTABLE,
                               "there is no public key to encrypt for: publish one "
                               "(XEP-0189) or give one in the request")
        setting = AutoSetting(save=bool(request.save), encrypt=encrypt,
                              scope=request.scope or Scope.STREAM,
                              key_infos=tuple(key.key_info() for key in given))
        if setting.scope is Scope.GLOBAL:
            self._store.put_prefs(account, replace(prefs, auto=Auto(
                namespace=ARCHIVE, save=setting.save, scope=Scope.GLOBAL,
                encrypt=True if encrypt else None, key_infos=setting.key_infos)))
        previous = self._streams.get(owner)
        self._streams[owner] = setting

        def restore() -> None:
            if previous is None:
                self._streams.pop(owner, None)
            else:
                self._streams[owner] = previous

        undone.append(restore)
        # The collections being recorded follow the new setting.
        for item in [each for each in self._open.values() if each.owner == account]:
            if not setting.save:
                if not self._auto_active(account):
                    self._finish_later(item, FinishReason.AUTO_OFF, committed)
            elif not setting.encrypt:
                if item.encrypted:
                    self._finish_later(item, FinishReason.ENCRYPTION_CHANGED, committed)
            elif not item.encrypted:
                self._encrypt_in_place(item, setting, now, committed, undone)
            else:
                self._wrap_for_new(item, setting, committed)

    def _finish_later(self, item: _Open, reason: FinishReason,
                      committed: list[Callable[[], None]]) -> None:
        def finish() -> None:
            self._finish(item, reason)

        committed.append(finish)

    def _finish(self, item: _Open, reason: FinishReason) -> CollectionFinished:
        if self._open.get(item.slot) is item:
            del self._open[item.slot]
        key, item.key = item.key, None
        if key is not None:
            key.destroy()
        del key
        return CollectionFinished(owner=item.owner, with_=item.with_, start=item.start,
                                  reason=reason, encrypted=item.encrypted)

    def _new_key(self) -> SymmetricKey:
        assert self._random is not None
        name = "archive-" + base64.urlsafe_b64encode(self._random(12)).decode("ascii")
        return new_symmetric_key(name, random=self._random)

    def _encrypt(self, entries: Sequence[Entry | Note], key: SymmetricKey,
                 namespace: str) -> EncryptedData:
        assert self._random is not None
        return encrypt_entries(entries, key, namespace=namespace, random=self._random)

    def _wrap(self, key: SymmetricKey, recipients: Iterable[PublicKey]) -> list[EncryptedKey]:
        return [wrap_key(key, recipient) for recipient in recipients]

    def _encrypt_in_place(self, item: _Open, setting: AutoSetting, now: datetime,
                          committed: list[Callable[[], None]],
                          undone: list[Callable[[], None]]) -> None:
        """Encrypt what a collection being recorded holds so far, and go on encrypted."""
        record = self._store.get_collection(item.owner, item.with_, item.start)
        if record is None:
            self._finish_later(item, FinishReason.REMOVED, committed)
            return
        if record.encrypted:  # encrypted content uploaded by a client: start afresh
            self._finish_later(item, FinishReason.ENCRYPTION_CHANGED, committed)
            return
        recipients = self._recipients(item.owner, setting)
        key = self._new_key()
        undone.append(key.destroy)
        entries = [each for each in self._store.get_items(item.owner, item.with_, item.start)
                   if isinstance(each, Entry | Note)]
        items: list[ArchiveItem] = [self._encrypt(entries, key, item.namespace)] if entries \
            else []
        keys = self._wrap(key, recipients)
        self._store.replace_items(item.owner, item.with_, item.start, items)
        self._store.add_keys(item.owner, item.with_, item.start, keys)
        record = replace(record, version=record.version + 1, item_count=len(items),
                         size=sum(_size(each) for each in items), encrypted=True)
        self._store.put_collection(record)
        self._store.log_change(item.owner, ChangeKind.CHANGED, item.with_, item.start,
                               record.version, now)
        names = {recipient.name for recipient in recipients}

        def adopt() -> None:
            item.key, item.encrypted = key, True
            item.recipients = names

        committed.append(adopt)

    def _wrap_for_new(self, item: _Open, setting: AutoSetting,
                      committed: list[Callable[[], None]]) -> None:
        """Wrap an open collection's key for recipients it is not wrapped for yet (they
        count as wrapped for once the transaction commits)."""
        if item.key is None:
            return
        new = {recipient.name: recipient for recipient in self._recipients(item.owner, setting)
               if recipient.name not in item.recipients}
        if not new:
            return
        self._store.add_keys(item.owner, item.with_, item.start,
                             self._wrap(item.key, new.values()))
        committed.append(lambda: item.recipients.update(new))

    # -- manual archiving --------------------------------------------------------------------

    def _save(self, request: Save, owner: JID, now: datetime) -> Save:
        chat = request.chat
        namespace = request.namespace
        account = owner.bare
        record = self._store.get_collection(account, chat.with_, chat.start)
        creating = record is None
        if record is None:
            record = CollectionRecord(owner=account, with_=chat.with_, start=chat.start)
        entries: list[ArchiveItem] = list(chat.entries)
        data = self._unseen_data(record, chat.encrypted_data)
        if entries and record.encrypted:
            raise _Refused(Condition.NOT_ACCEPTABLE, "this collection is encrypted; it takes "
                           "no plain <to/>, <from/> or <note/> (XEP-0241 §2)")
        if (data or chat.encrypted_keys) and record.item_count and not record.encrypted:
            raise _Refused(Condition.NOT_ACCEPTABLE, "this collection holds plain messages; "
                           "it takes no <EncryptedData/> or <EncryptedKey/> (XEP-0241 §2)")
        changed = creating
        updates: dict[str, Any] = {}
        if chat.subject is not None and chat.subject != record.subject:
            updates["subject"] = chat.subject
        if chat.thread is not None and chat.thread != record.thread:
            updates["thread"] = chat.thread
        for link in chat.links:
            attribute = "previous" if link.kind is LinkKind.PREVIOUS else "next"
            value = link if link.with_ is not None else None
            if value != getattr(record, attribute):
                updates[attribute] = value
        if chat.form is not None:
            form = None if _empty_form(chat.form) else chat.form
            if form != record.form:
                updates["form"] = form
        items = entries + data
        size = sum(_size(item) for item in items)
        limits = self._limits
        if limits.max_collection_items is not None and \
                record.item_count + len(items) > limits.max_collection_items:
            raise _Refused(Condition.NOT_ACCEPTABLE,
                           f"the collection would hold {record.item_count + len(items)} "
                           f"items; this server keeps at most {limits.max_collection_items} "
                           "per collection")
        if limits.max_collection_size is not None and \
                record.size + size > limits.max_collection_size:
            raise _Refused(Condition.NOT_ACCEPTABLE,
                           f"the collection would take {record.size + size} octets; this "
                           f"server keeps at most {limits.max_collection_size} per collection")
        keys = self._unseen_keys(record, chat.encrypted_keys, creating)
        orphaned: set[str] = set()
        if "form" in updates and _form_data(record.form):
            orphaned, still_encrypted = self._orphaned_keys(record, updates["form"], data,
                                                            keys)
            if record.encrypted and not still_encrypted:
                updates["encrypted"] = False
        if items or keys:
            updates["item_count"] = record.item_count + len(items)
            updates["size"] = record.size + size
            if data or keys:
                updates["encrypted"] = True
        if updates:
            changed = True
        version = record.version if creating or not changed else record.version + 1
        record = replace(record, version=version, **updates)
        if changed:
            self._store.put_collection(record)
            if items:
                self._store.append_items(account, record.with_, record.start, items)
            if orphaned:
                self._store.delete_keys_carrying(account, record.with_, record.start,
                                                 orphaned)
            if keys:
                self._store.add_keys(account, record.with_, record.start, keys)
            self._store.log_change(account, ChangeKind.CHANGED, record.with_, record.start,
                                   record.version, now)
        return Save(namespace=namespace, chat=self._summary(record, namespace))

    def _unseen_data(self, record: CollectionRecord, upload: Sequence[EncryptedData]
                     ) -> list[ArchiveItem]:
        """The ``EncryptedData`` of an upload that the collection does not hold yet.
        Its IV makes every encryption unique, so a byte-identical one is the same
        upload sent again (after a lost answer), not a new message."""
        if not upload:
            return []
        seen: set[bytes] = set()
        if record.item_count:
            seen = {serialize(item) for item in self._store.get_items(*record.key)
                    if isinstance(item, EncryptedData)}
        fresh: list[ArchiveItem] = []
        for item in upload:
            written = serialize(item)
            if written not in seen:
                seen.add(written)
                fresh.append(item)
        return fresh

    def _unseen_keys(self, record: CollectionRecord, upload: Sequence[EncryptedKey],
                     creating: bool) -> list[EncryptedKey]:
        """The ``EncryptedKey`` elements of an upload to store: a byte-identical copy of
        one the collection holds is a resend and is skipped; another key for the same
        public key and symmetric key name is refused (``conflict``), since storing it
        beside the first, or dropping it, would leave data its sender encrypted with
        a key nobody can find."""
        if not upload:
            return []
        held: dict[tuple[str | None, str | None], set[bytes]] = {}
        if not creating:
            for key in self._store.get_keys(*record.key):
                held.setdefault((key.key_name, key.carried_key_name), set()).add(
                    serialize(key))
        fresh: list[EncryptedKey] = []
        for key in upload:
            pair = (key.key_name, key.carried_key_name)
            written = serialize(key)
            known = held.setdefault(pair, set())
            if written in known:
                continue
            if known:
                raise _Refused(Condition.CONFLICT,
                               f"the collection holds another key for the public key "
                               f"{pair[0]!r} carrying the symmetric key {pair[1]!r}; only "
                               "a byte-identical copy is taken, as a resend")
            known.add(written)
            fresh.append(key)
        return fresh

    def _orphaned_keys(self, record: CollectionRecord, form: Form | None,
                       upload: Sequence[ArchiveItem], keys: Sequence[EncryptedKey]
                       ) -> tuple[set[str], bool]:
        """For a save that replaces or removes the form of ``record``: the carried key
        names that only the old form's encrypted data used (their wrapped keys go), and
        whether the collection then still holds encrypted data or a wrapped key.

        A name stays in use when a stored item, the upload or the new form encrypts
        with it, when the upload brings keys carrying it, or when it is the key of the
        collection being recorded automatically."""
        account, with_, start = record.key
        stored = self._store.get_items(account, with_, start) if record.item_count else []
        remaining = [each for each in (*stored, *upload, *_form_data(form))
                     if isinstance(each, EncryptedData)]
        used = {each.key_name for each in remaining}
        used.update(key.carried_key_name for key in keys)
        used.update(item.key.name for item in self._open.values()
                    if item.key is not None and (item.owner, item.with_, item.start) == (
                        account, with_, start))
        orphaned = {name for each in _form_data(record.form)
                    if (name := each.key_name) is not None and name not in used}
        left = [key for key in (*self._store.get_keys(account, with_, start), *keys)
                if key.carried_key_name not in orphaned]
        return orphaned, bool(remaining or left)

    # -- reading the archive -------------------------------------------------------------------

    def _page(self, items: Sequence[Any], request: ResultSet | None,
              key: Callable[[Any], str]) -> tuple[list[Any], ResultSet]:
        try:
            return paginate(items, request, key, max_limit=self._limits.max_page_size)
        except ResultSetError as error:
            raise _Refused(error.condition, error.message) from None

    def _result_set(self, total: int, page_size: int, request: ResultSet | None,
                    answer: ResultSet) -> ResultSet | None:
        """The ``<set/>`` of an answer: none for an empty result, and none when the
        client asked for no paging and got everything."""
        if total == 0:
            return None
        if request is None and page_size == total:
            return None
        return answer

    def _summary(self, record: CollectionRecord, namespace: str) -> Chat:
        return Chat(namespace=namespace, with_=record.with_, start=record.start,
                    subject=record.subject, thread=record.thread, version=record.version,
                    crypt=True if _crypt(record) else None)

    def _list(self, request: ListQuery, owner: JID) -> ListQuery:
        records = self._store.find_collections(
            owner.bare, with_=request.with_, exactmatch=bool(request.exactmatch),
            start=request.start, end=request.end)
        page, answer = self._page(records, request.rsm, _record_uid)
        namespace = request.namespace
        return ListQuery(namespace=namespace,
                         chats=tuple(self._summary(record, namespace) for record in page),
                         rsm=self._result_set(len(records), len(page), request.rsm, answer))

    def _retrieve(self, request: Retrieve, owner: JID) -> Chat:
        account = owner.bare
        record = self._store.get_collection(account, request.with_, request.start)
        if record is None:
            raise _Refused(Condition.ITEM_NOT_FOUND,
                           f"there is no collection with {request.with_} started at "
                           f"{format_datetime(utc(request.start))}")
        positions = [str(position) for position in range(record.item_count)]
        page, answer = self._page(positions, request.rsm, str)
        items: list[ArchiveItem] = []
        if page:
            items = self._store.get_items(account, record.with_, record.start, int(page[0]),
                                          int(page[-1]) + 1)
        entries = tuple(item for item in items if isinstance(item, Entry | Note))
        data = tuple(item for item in items if isinstance(item, EncryptedData))
        used = {each.key_name for each in (*data, *_form_data(record.form))
                if each.key_name is not None}
        keys: tuple[EncryptedKey, ...] = ()
        if used:
            wanted = set(request.key_names)
            keys = tuple(key for key in self._store.get_keys(account, record.with_,
                                                             record.start)
                         if key.carried_key_name in used
                         and (not wanted or key.key_name in wanted))
        return replace(self._summary(record, request.namespace), links=_link(record),
                       form=record.form, entries=entries, encrypted_data=data,
                       encrypted_keys=keys, rsm=self._result_set(
                           record.item_count, len(page), request.rsm, answer))

    def _modified(self, request: Modified, owner: JID) -> Modified:
        changes = self._store.get_changes(owner.bare, request.start)
        rsm = request.rsm
        if rsm is not None and rsm.after is not None and rsm.index is None \
                and rsm.before is None and rsm.after.isdigit() \
                and all(str(change.seq) != rsm.after for change in changes):
            # A superseded change: continue with the first change made after it.
            after = int(rsm.after)
            position = next((index for index, change in enumerate(changes)
                             if change.seq > after), len(changes))
            rsm = ResultSet(max=rsm.max, index=position)
        page, answer = self._page(changes, rsm, lambda change: str(change.seq))
        return Modified(
            namespace=request.namespace,
            changes=tuple(Change(kind=change.kind, with_=change.with_, start=change.start,
                                 version=change.version) for change in page),
            rsm=self._result_set(len(changes), len(page), request.rsm, answer))

    def _keys(self, request: Keys, owner: JID) -> Keys:
        found = self._store.find_keys(owner.bare, request.key_names or None)
        page, answer = self._page(found, request.rsm, lambda entry: _record_uid(entry[0]))
        namespace = request.namespace
        return Keys(namespace=namespace, key_names=(),
                    chats=tuple(Chat(namespace=namespace, with_=record.with_,
                                     start=record.start, version=record.version,
                                     encrypted_keys=tuple(keys))
                                for record, keys in page),
                    rsm=self._result_set(len(found), len(page), request.rsm, answer))

    # -- changing the archive --------------------------------------------------------------------

    def _remove(self, request: Remove, owner: JID, now: datetime,
                committed: list[Callable[[], None]]) -> None:
        account = owner.bare
        if request.with_ is not None and request.start is not None and request.end is None \
                and not request.open:
            one = self._store.get_collection(account, request.with_, request.start)
            targets = [one] if one is not None else []
        else:
            targets = self._store.find_collections(
                account, with_=request.with_, exactmatch=bool(request.exactmatch),
                start=request.start, end=request.end)
            if request.open:
                recording = {(item.with_, item.start) for item in self._open.values()
                             if item.owner == account}
                targets = [record for record in targets
                           if (record.with_, record.start) in recording]
        if not targets:
            raise _Refused(Condition.ITEM_NOT_FOUND, "no collection matches the request")
        removed = set()
        for record in targets:
            self._store.delete_collection(account, record.with_, record.start)
            self._store.log_change(account, ChangeKind.REMOVED, record.with_, record.start,
                                   record.version, now)
            removed.add((record.with_, record.start))
        for item in list(self._open.values()):
            if item.owner == account and (item.with_, item.start) in removed:
                self._finish_later(item, FinishReason.REMOVED, committed)

    def _delete(self, request: Delete, owner: JID, now: datetime,
                committed: list[Callable[[], None]]) -> None:
        account = owner.bare
        record = self._store.get_collection(account, request.with_, request.start)
        if record is None:
            raise _Refused(Condition.ITEM_NOT_FOUND,
                           f"there is no collection with {request.with_} started at "
                           f"{format_datetime(utc(request.start))}")
        if self._store.delete_keys(account, record.with_, record.start, request.key_names):
            record = replace(record, version=record.version + 1)
            self._store.put_collection(record)
            self._store.log_change(account, ChangeKind.CHANGED, record.with_, record.start,
                                   record.version, now)
            names = set(request.key_names)
            for item in self._open.values():
                if item.owner == account and (item.with_, item.start) == (record.with_,
                                                                           record.start):
                    # the next message wraps the key again for those still published
                    committed.append(partial(item.recipients.difference_update, names))

    # -- automatic archiving: messages -------------------------------------------------------------

    def _save_mode(self, account: JID, peer: JID, thread: str | None) -> SaveMode:
        prefs = self._stored_prefs(account)
        if thread is not None:
            for session in prefs.sessions:
                if session.thread == thread and session.save is not None:
                    return session.save
        matching = [item for item in prefs.items if item.save is not None
                    and jid_matches(item.jid, peer, exactmatch=bool(item.exactmatch))]
        if matching:
            best = max(matching, key=_specificity).save
            assert best is not None
            return best
        return self._default(prefs).save

    def archive_message(self, message: Message, *, owner: JID, direction: Direction | str,
                        now: datetime) -> list[Event]:
        """Archive ``message``, which passed over the stream of ``owner`` (the user's
        full JID), if automatic archiving says so (see the module documentation)."""
        if not isinstance(message, Message):
            raise ProtocolError(f"archive_message takes a Message, not {type(message).__name__}")
        owner = _jid(owner)
        now = self._time(now)
        direction = Direction(direction)
        account = owner.bare
        setting = self.auto_setting(owner)
        if not setting.save:
            return [NotArchived(message, NotArchivedReason.AUTO_OFF)]
        if message.type is MessageType.ERROR:
            return [NotArchived(message, NotArchivedReason.NOTHING_TO_SAVE)]
        peer_address = message.to if direction is Direction.TO else message.from_
        if peer_address is None:
            return [NotArchived(message, NotArchivedReason.NO_PEER)]
        groupchat = message.type is MessageType.GROUPCHAT
        peer = peer_address.bare
        thread = message.thread.id if message.thread is not None else None
        mode = self._save_mode(account, peer_address, thread)
        if mode is SaveMode.FALSE:
            return [NotArchived(message, NotArchivedReason.SAVE_FALSE)]
        entry = self._entry(message, direction, mode, groupchat, peer_address)
        if entry is None:
            return [NotArchived(message, NotArchivedReason.NOTHING_TO_SAVE)]
        if setting.encrypt and not self._encryption:
            setting = replace(setting, encrypt=False)
        if setting.encrypt and not self._recipients(account, setting):
            # never fall back to plain text when the user asked for encryption
            return [NotArchived(message, NotArchivedReason.NO_PUBLIC_KEY)]
        events: list[Event] = []
        committed: list[Callable[[], None]] = []
        undone: list[Callable[[], None]] = []
        try:
            with self._store.transaction():
                self._archive(entry, account, peer, thread, setting, now, events, committed,
                              undone)
        except BaseException:
            for action in undone:
                action()
            raise
        for action in committed:
            action()
        return events

    def _entry(self, message: Message, direction: Direction, mode: SaveMode, groupchat: bool,
               peer: JID) -> Entry | None:
        bodies = tuple(body.text for body in message.bodies)
        extensions = message.extensions if mode in (SaveMode.MESSAGE, SaveMode.STREAM) else ()
        name = peer.resource if groupchat and direction is Direction.FROM else None
        if not bodies and not extensions:
            return None
        try:
            return Entry(direction=direction, secs=0, name=name, bodies=bodies,
                         extensions=extensions)
        except ValueError:
            # a payload a collection cannot hold: keep the bodies only
            if not bodies:
                return None
            return Entry(direction=direction, secs=0, name=name, bodies=bodies)

    def _archive(self, entry: Entry, account: JID, peer: JID, thread: str | None,
                 setting: AutoSetting, now: datetime, events: list[Event],
                 committed: list[Callable[[], None]], undone: list[Callable[[], None]]) -> None:
        item = self._open.get((account, peer, thread))
        record = None
        if item is not None:
            record = self._store.get_collection(account, item.with_, item.start)
            reason = None
            if record is None:
                reason = FinishReason.REMOVED
            elif now - item.last > timedelta(seconds=self._limits.collection_timeout):
                reason = FinishReason.IDLE
            elif item.encrypted != setting.encrypt or (record.encrypted and not item.encrypted):
                reason = FinishReason.ENCRYPTION_CHANGED
            elif self._full(record, entry, item):
                reason = FinishReason.FULL
            if reason is not None:
                events.append(self._finish(item, reason))
                item, record = None, None
        fresh = item is None
        if item is None:
            item, record = self._open_collection(account, peer, thread, setting, now, events,
                                                 undone)
            new = item
            committed.append(lambda: self._open.__setitem__(new.slot, new))
        assert record is not None
        total = max(0, int((now - item.start).total_seconds() + 0.5))
        secs = max(0, total - item.elapsed)
        entry = replace(entry, secs=secs)
        stored: ArchiveItem = entry
        if item.encrypted:
            assert item.key is not None
            self._wrap_for_new(item, setting, committed)
            stored = self._encrypt([entry], item.key, item.namespace)
        position = record.item_count
        # a collection opened by this message is version 0; every later message changes it
        version = record.version if fresh else record.version + 1
        record = replace(record, version=version, item_count=position + 1,
                         size=record.size + _size(stored))
        self._store.put_collection(record)
        self._store.append_items(account, item.with_, item.start, [stored])
        self._store.log_change(account, ChangeKind.CHANGED, item.with_, item.start, version,
                               now)
        opened = item

        def advance() -> None:
            opened.elapsed += secs
            opened.last = max(opened.last, now)

        committed.append(advance)
        events.append(MessageArchived(owner=account, with_=item.with_, start=item.start,
                                      position=position, version=version,
                                      encrypted=item.encrypted))

    def _full(self, record: CollectionRecord, entry: Entry, item: _Open) -> bool:
        limits = self._limits
        if limits.max_collection_items is not None and \
                record.item_count + 1 > limits.max_collection_items:
            return True
        # An encrypted message takes more room than its plain form: allow for it.
        size = _size(entry) * (2 if item.encrypted else 1) + 512
        return limits.max_collection_size is not None and \
            record.size + size > limits.max_collection_size

    def _open_collection(self, account: JID, peer: JID, thread: str | None,
                         setting: AutoSetting, now: datetime, events: list[Event],
                         undone: list[Callable[[], None]]) -> tuple[_Open, CollectionRecord]:
        start = now
        while self._store.get_collection(account, peer, start) is not None:
            start += timedelta(milliseconds=1)  # (with, start) identifies a collection
        namespace = self._namespace or ARCHIVE
        item = _Open(owner=account, with_=peer, start=start, thread=thread,
                     namespace=namespace, last=now)
        record = CollectionRecord(owner=account, with_=peer, start=start, thread=thread)
        key_name = None
        if setting.encrypt:
            recipients = self._recipients(account, setting)
            if recipients:
                key = self._new_key()
                undone.append(key.destroy)
                self._store.put_collection(replace(record, encrypted=True))
                self._store.add_keys(account, peer, start, self._wrap(key, recipients))
                record = replace(record, encrypted=True)
                item.key, item.encrypted = key, True
                item.recipients = {recipient.name for recipient in recipients}
                key_name = key.name
        if not item.encrypted:
            self._store.put_collection(record)
        events.append(CollectionOpened(owner=account, with_=peer, start=start, thread=thread,
                                       key_name=key_name))
        return item, record

    def finish_collection(self, owner: JID, with_: JID, *, now: datetime) -> list[Event]:
        """Finish the collections being recorded between ``owner``'s account and
        ``with_`` (every thread); their keys are destroyed.  Nothing being recorded:
        ``[]``."""
        self._time(now)
        account, peer = _jid(owner).bare, _jid(with_).bare
        return [self._finish(item, FinishReason.REQUESTED)
                for item in list(self._open.values())
                if item.owner == account and item.with_ == peer]

    def expire(self, now: datetime) -> list[Event]:
        """Finish every collection idle for longer than
        :attr:`Limits.collection_timeout`."""
        now = self._time(now)
        limit = timedelta(seconds=self._limits.collection_timeout)
        return [self._finish(item, FinishReason.IDLE) for item in list(self._open.values())
                if now - item.last > limit]

    def stream_closed(self, jid: JID, *, now: datetime) -> list[Event]:
        """The stream of ``jid`` is closed: its automatic-archiving setting and push
        registration end; if no stream of the account archives any more, its
        collections being recorded are finished."""
        self._time(now)
        jid = _jid(jid)
        self._subscribers.pop(jid, None)
        if self._streams.pop(jid, None) is None or self._auto_active(jid.bare):
            return []
        return [self._finish(item, FinishReason.STREAM_CLOSED)
                for item in list(self._open.values()) if item.owner == jid.bare]

    def close(self, now: datetime) -> list[Event]:
        """Finish every collection being recorded (destroying every key): call it
        before the server shuts down."""
        self._time(now)
        return [self._finish(item, FinishReason.SHUTDOWN) for item in list(self._open.values())]

    # -- public keys ---------------------------------------------------------------------------

    def publish_keys(self, owner: JID, keys: Iterable[PubKey | KeyInfo | PublicKey], *,
                     now: datetime | None = None) -> tuple[KeyInfo, ...]:
        """Record the public keys ``owner``'s account publishes (XEP-0189), replacing
        those recorded before; returns them as stored.

        A ``<pubkey/>`` (either shape) becomes a ``<KeyInfo/>`` named by
        :func:`xepcodec.crypto.key_name` (the name a client's
        :func:`~xepcodec.crypto.decrypt_collection` looks for by default); with ``now``,
        a ``<pubkey/>`` outside its validity period is left out.  A ``<KeyInfo/>`` is
        kept as it is; a :class:`~xepcodec.crypto.PublicKey` becomes its
        :meth:`~xepcodec.crypto.PublicKey.key_info`.  ValueError for a ``<pubkey/>``
        that is a request or whose key is not RSA.
        """
        when = self._time(now) if now is not None else None
        infos: list[KeyInfo] = []
        for key in keys:
            if isinstance(key, KeyInfo):
                infos.append(key)
            elif isinstance(key, PublicKey):
                infos.append(key.key_info())
            elif isinstance(key, PubKey):
                if when is not None and key.begin is not None and key.end is not None \
                        and not key.begin <= when <= key.end:
                    continue
                infos.append(PublicKey.from_key(_rsa_of(key)).key_info())
            else:
                raise TypeError(f"a published key is a PubKey, KeyInfo or PublicKey, not "
                                f"{type(key).__name__}")
        self._store.set_public_keys(_jid(owner).bare, infos)
        return tuple(infos)

    # -- discovery -----------------------------------------------------------------------------

    def disco_features(self) -> tuple[str, ...]:
        """The disco#info features of the service, in each namespace served:
        the namespace itself, ``:auto``, ``:manage``, ``:manual``, ``:pref``, and
        ``:encrypt`` (XEP-0241) when encryption is on."""
        names = ["auto", "manage", "manual", "pref"]
        if self._encryption:
            names.append(FEATURE_ENCRYPT_SUFFIX)
        return tuple(name for namespace in self.namespaces
                     for name in (feature(namespace),
                                  *(feature(namespace, each) for each in names)))

    def disco_info(self, node: str | None = None, *, identities: Iterable[Identity] = (),
                   features: Iterable[str] = ()) -> InfoQuery:
        """The disco#info ``<query/>`` for a result (put it in ``iq.result(...)``): the
        caller's ``identities`` and ``features`` plus :meth:`disco_features` (for the
        entity itself; archiving defines no nodes, so a ``node`` gets the caller's
        only), each feature once."""
        own = self.disco_features() if node is None else ()
        names = list(dict.fromkeys([*features, *own]))
        return InfoQuery(node=node, identities=tuple(identities),
                         features=tuple(DiscoFeature(var=name) for name in names))

    def stream_feature(self, namespace: str | None = None) -> Feature:
        """The stream feature to advertise (XEP-0136 §Stream Feature): ``<default/>``
        inside when archiving is compulsory."""
        return Feature(namespace=namespace or self.namespaces[0], optional=True,
                       default=self._defaults.compulsory)

    # -- persistence ---------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything the server holds outside the store, as a JSON-safe dict, without
        any key (see the module documentation).  Changes nothing."""
        return {
            "format": _SNAPSHOT_FORMAT,
            "version": _SNAPSHOT_VERSION,
            "namespace": self._namespace,
            "encryption": self._encryption,
            "lenient": self._lenient,
            "limits": self._limits.to_json(),
            "defaults": self._defaults.to_json(),
            "next_id": self._counter.next if self._counter is not None else None,
            "streams": [{"jid": str(jid), **setting.to_json()}
                        for jid, setting in self._streams.items()],
            "subscribers": [{"jid": str(jid), "namespace": namespace}
                            for jid, namespace in self._subscribers.items()],
            "open": [{"owner": str(item.owner), "with": str(item.with_),
                      "start": format_datetime(item.start), "thread": item.thread,
                      "namespace": item.namespace, "last": format_datetime(item.last),
                      "elapsed": item.elapsed, "encrypted": item.encrypted}
                     for item in self._open.values()],
        }

    @classmethod
    def restore(cls, data: Mapping[str, Any], store: ArchiveStore, *,
                random: Callable[[int], bytes] | None = None,
                ids: Callable[[], str] | None = None) -> ArchiveServer:
        """A server with the state of a :meth:`snapshot`, over ``store`` (the same
        data the snapshotted server used).  Collections recorded in plain text go on;
        encrypted ones are finished.  A snapshot that is not one raises ValueError."""
        try:
            return cls._restore(data, store, random, ids)
        except (AttributeError, KeyError, TypeError, ValueError, ParseError) as error:
            detail = error.message if isinstance(error, ParseError) else \
                f"missing {error}" if isinstance(error, KeyError) else str(error)
            raise ArgumentValueError(f"not a usable archive-server snapshot: {detail}") from None

    @classmethod
    def _restore(cls, data: Mapping[str, Any], store: ArchiveStore,
                 random: Callable[[int], bytes] | None,
                 ids: Callable[[], str] | None) -> ArchiveServer:
        if data.get("format") != _SNAPSHOT_FORMAT or data.get("version") != _SNAPSHOT_VERSION:
            raise ValueError(f"expected format {_SNAPSHOT_FORMAT!r} version "
                             f"{_SNAPSHOT_VERSION}, found {data.get('format')!r} version "
                             f"{data.get('version')!r}")
        if data["encryption"] and random is None:
            raise ValueError("the server encrypted; restore it with random=os.urandom")
        server = cls(store, namespace=data["namespace"], encryption=bool(data["encryption"]),
                     lenient=bool(data["lenient"]), random=random, ids=ids,
                     limits=Limits.from_json(data["limits"]),
                     defaults=Defaults.from_json(data["defaults"]))
        if server._counter is not None and data["next_id"] is not None:
            server._counter.next = int(data["next_id"])
        for stream in data["streams"]:
            server._streams[JID.parse(stream["jid"])] = AutoSetting.from_json(stream)
        for subscriber in data["subscribers"]:
            namespace = subscriber["namespace"]
            if namespace not in NAMESPACES:
                raise ValueError(f"{namespace!r} is not an archiving namespace")
            server._subscribers[JID.parse(subscriber["jid"])] = namespace
        for saved in data["open"]:
            if saved["encrypted"]:
                continue  # its key died with the server that made the snapshot
            item = _Open(owner=JID.parse(saved["owner"]).bare, with_=JID.parse(saved["with"]),
                         start=utc(parse_datetime(saved["start"])), thread=saved["thread"],
                         namespace=str(saved["namespace"]),
                         last=utc(parse_datetime(saved["last"])),
                         elapsed=int(saved["elapsed"]))
            if store.get_collection(item.owner, item.with_, item.start) is not None:
                server._open[item.slot] = item
        return server

    # -- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _time(now: datetime) -> datetime:
        if not isinstance(now, datetime):
            raise ProtocolError(f"now is a datetime, not {type(now).__name__}")
        try:
            return utc(now)
        except ValueError as error:
            raise ProtocolError(str(error)) from None

    def __repr__(self) -> str:
        return (f"<ArchiveServer {'+'.join(self.namespaces)} "
                f"{'encrypting' if self._encryption else 'plain'} "
                f"{len(self._open)} open>")


def _rsa_of(pubkey: PubKey) -> RSAPublicKey:
    if pubkey.rsakey is not None:
        try:
            return RSAPublicNumbers(pubkey.rsakey.exponent, pubkey.rsakey.modulus).public_key()
        except ValueError as error:
            raise ValueError(f"the <rsakey/> is not a valid RSA public key: {error}") from None
    if pubkey.key is None:
        raise ValueError("an empty <pubkey/> is a request for a key, not a key")
    try:
        loaded = serialization.load_der_public_key(pubkey.key)
    except ValueError as error:
        raise ValueError(f"the <key/> is not a DER SubjectPublicKeyInfo: {error}") from None
    if not isinstance(loaded, RSAPublicKey):
        raise ValueError(f"the <key/> is a {type(loaded).__name__}; only RSA keys wrap "
                         "archive keys")
    return loaded


def _jid(value: JID | str) -> JID:
    if isinstance(value, str):
        return JID.parse(value)
    if not isinstance(value, JID):
        raise ProtocolError(f"expected a JID, not {type(value).__name__}")
    return value

