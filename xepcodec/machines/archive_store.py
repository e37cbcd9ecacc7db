"""Where the message archive server keeps its data (XEP-0136, XEP-0241).

:class:`~xepcodec.machines.archive_server.ArchiveServer` decides what the protocol
means; an :class:`ArchiveStore` only keeps what it is given.  A caller with a
database of its own implements the interface; the library ships two
implementations:

* :class:`MemoryStore`: dictionaries, for tests and short-lived servers;
* :class:`SQLiteStore` (``SQLiteStore("archive.db")``): a file through the standard
  library's :mod:`sqlite3`, the embedded default.  The schema is created on first
  open; every write runs in a transaction, so a crash in the middle of one loses
  nothing that was committed before it and leaves no half-written change behind.
  Elements are stored as the XML :func:`xepcodec.serialize` writes, and read back
  with :func:`xepcodec.parse`.

What is kept, per account (the *owner*, always reduced to a bare JID):

* **collections** (:class:`CollectionRecord`), keyed by ``(owner, with, start)``:
  subject, thread, version, the links to the previous and next collections, the
  x:data form, and bookkeeping the server maintains (item count, size in octets,
  whether the collection is encrypted);
* the **items** of each collection, in order: messages and notes
  (:class:`~xepcodec.protocols.archive.Entry`, :class:`~xepcodec.protocols.archive.Note`)
  or :class:`~xepcodec.protocols.xmlenc.EncryptedData`.  Items are only ever appended
  (or, for a collection being recorded when its encryption is switched on, replaced
  as a whole), so an item's position is a stable identifier;
* the **wrapped keys** (:class:`~xepcodec.protocols.xmlenc.EncryptedKey`) of each
  collection;
* the **modification log** behind ``<modified/>``: for each collection that was
  created, changed or removed, the latest change (:class:`ChangeRecord`), with a
  sequence number that only grows;
* the **preferences** (one :class:`~xepcodec.protocols.archive.Pref` per account);
* the user's **published public keys** (XEP-0189), as
  :class:`~xepcodec.protocols.xmlenc.KeyInfo` elements (a name and an RSA key value).
  The server never publishes keys itself: the caller, which sees the user's PEP
  node, calls :meth:`ArchiveStore.set_public_keys`.

Nothing secret is ever given to a store: the symmetric keys of collections being
recorded with encryption live only in the server's memory (see the server's module
documentation).

Every method that names a collection raises :class:`KeyError` when it does not
exist (except :meth:`~ArchiveStore.get_collection`, which returns None, and
:meth:`~ArchiveStore.delete_collection`, which returns False).

A caller's implementation must give :meth:`ArchiveStore.transaction` its meaning:
the writes made inside the block happen all together or not at all (an exception
leaving the block undoes them), and blocks may nest (a failed nested block undoes
its own writes only; only the outermost one commits).  The library's test suite
(``tests/machines/test_archive_store.py``) runs the same behaviour tests against
every store it is given; pass yours through them.
"""

from __future__ import annotations

import abc
import os
import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeAlias, TypeVar

from xepcodec.api import parse, serialize
from xepcodec.datatypes.jid import JID
from xepcodec.protocols.archive import ChangeKind, Entry, Link, LinkKind, Note, Pref
from xepcodec.protocols.dataforms import Form
from xepcodec.protocols.xmlenc import EncryptedData, EncryptedKey, KeyInfo

__all__ = [
    "ArchiveItem",
    "ArchiveStore",
    "ChangeRecord",
    "CollectionRecord",
    "MemoryStore",
    "SQLiteStore",
    "jid_matches",
    "utc",
]

#: What a collection holds, one element per position.
ArchiveItem: TypeAlias = Entry | Note | EncryptedData

_ITEM_TYPES: Final = (Entry, Note, EncryptedData)

_T = TypeVar("_T")


def utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive datetime is refused (ValueError), as XEP-0082 times
    always carry a zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a naive datetime has no zone; archive times are always given "
                         "with one (use datetime.now(UTC))")
    return value.astimezone(UTC)


def jid_matches(pattern: JID, jid: JID, *, exactmatch: bool = False) -> bool:
    """Whether ``jid`` is selected by ``pattern`` under XEP-0136's JID matching rules.

    A full JID (one with a resource) selects only itself; a bare JID
    ``local@domain`` selects itself and every resource of it; a domain selects every
    address at that domain.  With ``exactmatch`` the pattern selects only the
    identical address.
    """
    if exactmatch or pattern.resource is not None:
        return jid == pattern
    if pattern.local is not None:
        return jid.local == pattern.local and jid.domain == pattern.domain
    return jid.domain == pattern.domain


@dataclass(frozen=True, slots=True)
class CollectionRecord:
    """One collection's description, without its items and keys.

    ``owner`` is the account's bare JID; ``with_`` and ``start`` (UTC) identify the
    collection within it.  ``previous`` and ``next`` are links with both attributes
    (a link without them is a removal, never stored).  ``item_count`` and ``size``
    (octets of the items' XML) and ``encrypted`` (the collection holds encrypted data
    or wrapped keys) are maintained by the server, which writes the whole record
    each time; the store keeps what it is given.
    """

    owner: JID
    with_: JID
    start: datetime
    subject: str | None = None
    thread: str | None = None
    version: int = 0
    previous: Link | None = None
    next: Link | None = None
    form: Form | None = None
    item_count: int = 0
    size: int = 0
    encrypted: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "owner", self.owner.bare)
        object.__setattr__(self, "start", utc(self.start))
        for kind, link in ((LinkKind.PREVIOUS, self.previous), (LinkKind.NEXT, self.next)):
            if link is not None and (link.kind is not kind or link.with_ is None):
                raise ValueError(f"the {kind} link of a stored collection is a <{kind}/> "
                                 "with both 'with' and 'start'")

    @property
    def key(self) -> tuple[JID, JID, datetime]:
        """``(owner, with, start)``: what identifies the collection."""
        return self.owner, self.with_, self.start


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """The latest change to one collection: ``kind`` (changed or removed) and the
    version it left, at time ``at``; ``seq`` orders the log (it only grows)."""

    seq: int
    kind: ChangeKind
    with_: JID
    start: datetime
    version: int
    at: datetime


class ArchiveStore(abc.ABC):
    """The storage interface of the archive server (see the module documentation).

    Owners are reduced to bare JIDs by every method; datetimes must carry a zone and
    come back in UTC.  Lists of collections are in chronological order: by start,
    then by the ``with`` JID's text.
    """

    # -- transactions -------------------------------------------------------------

    @abc.abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """A block whose writes all happen or none does (an exception leaving it
        undoes them).  Blocks nest: a nested block that fails undoes only its own
        writes, and only the outermost block commits."""

    def close(self) -> None:  # noqa: B027 - a store that holds nothing open need not close
        """Release what the store holds open (a database connection)."""

    # -- collections --------------------------------------------------------------

    @abc.abstractmethod
    def get_collection(self, owner: JID, with_: JID, start: datetime) -> CollectionRecord | None:
        """The collection, or None."""

    @abc.abstractmethod
    def find_collections(self, owner: JID, *, with_: JID | None = None,
                         exactmatch: bool = False, start: datetime | None = None,
                         end: datetime | None = None) -> list[CollectionRecord]:
        """The owner's collections whose ``with`` matches ``with_`` (see
        :func:`jid_matches`; every collection when None) and that started at or after
        ``start`` and before ``end``, in chronological order."""

    @abc.abstractmethod
    def put_collection(self, record: CollectionRecord) -> None:
        """Create the collection, or replace its description (its items and keys
        stay)."""

    @abc.abstractmethod
    def delete_collection(self, owner: JID, with_: JID, start: datetime) -> bool:
        """Remove the collection with its items and keys; False if there was none."""

    # -- items --------------------------------------------------------------------

    @abc.abstractmethod
    def append_items(self, owner: JID, with_: JID, start: datetime,
                     items: Sequence[ArchiveItem]) -> None:
        """Add ``items`` after the collection's last one."""

    @abc.abstractmethod
    def get_items(self, owner: JID, with_: JID, start: datetime, first: int = 0,
                  stop: int | None = None) -> list[ArchiveItem]:
        """The items at positions ``first`` up to (not including) ``stop`` (the end
        when None), in order."""

    @abc.abstractmethod
    def replace_items(self, owner: JID, with_: JID, start: datetime,
                      items: Sequence[ArchiveItem]) -> None:
        """Replace all the collection's items with ``items``."""

    # -- wrapped keys -------------------------------------------------------------

    @abc.abstractmethod
    def add_keys(self, owner: JID, with_: JID, start: datetime,
                 keys: Sequence[EncryptedKey]) -> None:
        """Add wrapped keys to the collection, after those it has."""

    @abc.abstractmethod
    def get_keys(self, owner: JID, with_: JID, start: datetime) -> list[EncryptedKey]:
        """The collection's wrapped keys, in the order they were added."""

    @abc.abstractmethod
    def delete_keys(self, owner: JID, with_: JID, start: datetime,
                    key_names: Collection[str]) -> int:
        """Remove the collection's wrapped keys whose public key name
        (:attr:`EncryptedKey.key_name`) is one of ``key_names``; how many went."""

    @abc.abstractmethod
    def delete_keys_carrying(self, owner: JID, with_: JID, start: datetime,
                             carried_names: Collection[str]) -> int:
        """Remove the collection's wrapped keys whose carried (symmetric) key name
        (:attr:`EncryptedKey.carried_key_name`) is one of ``carried_names``; how many
        went."""

    @abc.abstractmethod
    def find_keys(self, owner: JID, key_names: Collection[str] | None = None
                  ) -> list[tuple[CollectionRecord, list[EncryptedKey]]]:
        """For every collection holding wrapped keys for one of ``key_names`` (any
        key when None), in chronological order: the collection and those keys."""

    # -- the modification log -------------------------------------------------------

    @abc.abstractmethod
    def log_change(self, owner: JID, kind: ChangeKind, with_: JID, start: datetime,
                   version: int, at: datetime) -> ChangeRecord:
        """Record the latest change to a collection, replacing the one before; the
        new record has a sequence number greater than any before it."""

    @abc.abstractmethod
    def get_changes(self, owner: JID, since: datetime | None = None) -> list[ChangeRecord]:
        """The latest change of each collection, made at or after ``since`` (all when
        None), in the order of their sequence numbers."""

    # -- preferences and public keys --------------------------------------------------

    @abc.abstractmethod
    def get_prefs(self, owner: JID) -> Pref | None:
        """The account's stored preferences, or None if it never set any."""

    @abc.abstractmethod
    def put_prefs(self, owner: JID, prefs: Pref) -> None:
        """Replace the account's stored preferences."""

    @abc.abstractmethod
    def get_public_keys(self, owner: JID) -> tuple[KeyInfo, ...]:
        """The public keys the user publishes (XEP-0189), as the caller set them."""

    @abc.abstractmethod
    def set_public_keys(self, owner: JID, keys: Sequence[KeyInfo]) -> None:
        """Replace the user's published public keys (the caller follows the user's
        XEP-0189 node and calls this on every change)."""

    def __enter__(self) -> ArchiveStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _check_items(items: Sequence[object]) -> None:
    for item in items:
        if not isinstance(item, _ITEM_TYPES):
            raise TypeError(f"a collection holds Entry, Note or EncryptedData items, not "
                            f"{type(item).__name__}")


def _check_keys(keys: Sequence[object]) -> None:
    for key in keys:
        if not isinstance(key, EncryptedKey):
            raise TypeError(f"wrapped keys are EncryptedKey elements, not {type(key).__name__}")


def _sort_key(record: CollectionRecord) -> tuple[datetime, str]:
    return record.start, str(record.with_)


def _missing(owner: JID, with_: JID, start: datetime) -> KeyError:
    return KeyError(f"{owner.bare} has no collection with {with_} started at "
                    f"{utc(start).isoformat()}")


# -- in memory -------------------------------------------------------------------------------

_CollectionKey: TypeAlias = tuple[JID, datetime]


class MemoryStore(ArchiveStore):
    """A store in dictionaries: nothing survives the process.  Transactions are kept
    with an undo journal, so a failed block leaves everything as it was."""

    def __init__(self) -> None:
        self._collections: dict[JID, dict[_CollectionKey, CollectionRecord]] = {}
        self._items: dict[tuple[JID, JID, datetime], list[ArchiveItem]] = {}
        self._keys: dict[tuple[JID, JID, datetime], list[EncryptedKey]] = {}
        self._log: dict[JID, dict[_CollectionKey, ChangeRecord]] = {}
        self._seq = 0
        self._prefs: dict[JID, Pref] = {}
        self._public_keys: dict[JID, tuple[KeyInfo, ...]] = {}
        self._depth = 0
        self._journal: list[Callable[[], None]] = []

    # -- transactions -------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        outer = self._depth == 0
        mark = len(self._journal)
        self._depth += 1
        try:
            yield
        except BaseException:
            while len(self._journal) > mark:
                self._journal.pop()()
            raise
        finally:
            self._depth -= 1
            if outer:
                self._journal.clear()

    def transaction(self) -> AbstractContextManager[None]:
        return self._transaction()

    def _undo(self, action: Callable[[], None]) -> None:
        if self._depth:
            self._journal.append(action)

    def _set_entry(self, mapping: dict[Any, Any], key: Any, value: Any) -> None:
        """``mapping[key] = value`` (or removal when value is _ABSENT), journaled."""
        old = mapping.get(key, _ABSENT)
        if value is _ABSENT:
            mapping.pop(key, None)
        else:
            mapping[key] = value

        def undo() -> None:
            if old is _ABSENT:
                mapping.pop(key, None)
            else:
                mapping[key] = old

        self._undo(undo)

    # -- collections --------------------------------------------------------------

    def _key(self, owner: JID, with_: JID, start: datetime) -> tuple[JID, JID, datetime]:
        return owner.bare, with_, utc(start)

    def _require(self, owner: JID, with_: JID, start: datetime) -> tuple[JID, JID, datetime]:
        key = self._key(owner, with_, start)
        if (key[1], key[2]) not in self._collections.get(key[0], {}):
            raise _missing(owner, with_, start)
        return key

    def get_collection(self, owner: JID, with_: JID, start: datetime) -> CollectionRecord | None:
        bare, jid, when = self._key(owner, with_, start)
        return self._collections.get(bare, {}).get((jid, when))

    def find_collections(self, owner: JID, *, with_: JID | None = None,
                         exactmatch: bool = False, start: datetime | None = None,
                         end: datetime | None = None) -> list[CollectionRecord]:
        low = utc(start) if start is not None else None
        high = utc(end) if end is not None else None
        found = [record for record in self._collections.get(owner.bare, {}).values()
                 if (with_ is None or jid_matches(with_, record.with_, exactmatch=exactmatch))
                 and (low is None or record.start >= low)
                 and (high is None or record.start < high)]
        return sorted(found, key=_sort_key)

    def put_collection(self, record: CollectionRecord) -> None:
        if not isinstance(record, CollectionRecord):
            raise TypeError("put_collection takes a CollectionRecord")
        owned = self._collections.get(record.owner)
        if owned is None:
            owned = {}
            self._set_entry(self._collections, record.owner, owned)
        key = (record.with_, record.start)
        if key not in owned:
            full = record.key
            self._set_entry(self._items, full, [])
            self._set_entry(self._keys, full, [])
        self._set_entry(owned, key, record)

    def delete_collection(self, owner: JID, with_: JID, start: datetime) -> bool:
        full = self._key(owner, with_, start)
        owned = self._collections.get(full[0], {})
        if (full[1], full[2]) not in owned:
            return False
        self._set_entry(owned, (full[1], full[2]), _ABSENT)
        self._set_entry(self._items, full, _ABSENT)
        self._set_entry(self._keys, full, _ABSENT)
        return True

    # -- items --------------------------------------------------------------------

    def append_items(self, owner: JID, with_: JID, start: datetime,
                     items: Sequence[ArchiveItem]) -> None:
        _check_items(items)
        stored = self._items[self._require(owner, with_, start)]
        length = len(stored)
        stored.extend(items)

        def undo() -> None:
            del stored[length:]

        self._undo(undo)

    def get_items(self, owner: JID, with_: JID, start: datetime, first: int = 0,
                  stop: int | None = None) -> list[ArchiveItem]:
        return self._items[self._require(owner, with_, start)][first:stop]

    def replace_items(self, owner: JID, with_: JID, start: datetime,
                      items: Sequence[ArchiveItem]) -> None:
        _check_items(items)
        self._set_entry(self._items, self._require(owner, with_, start), list(items))

    # -- wrapped keys -------------------------------------------------------------

    def add_keys(self, owner: JID, with_: JID, start: datetime,
                 keys: Sequence[EncryptedKey]) -> None:
        _check_keys(keys)
        stored = self._keys[self._require(owner, with_, start)]
        length = len(stored)
        stored.extend(keys)

        def undo() -> None:
            del stored[length:]

        self._undo(undo)

    def get_keys(self, owner: JID, with_: JID, start: datetime) -> list[EncryptedKey]:
        return list(self._keys[self._require(owner, with_, start)])

    def delete_keys(self, owner: JID, with_: JID, start: datetime,
                    key_names: Collection[str]) -> int:
        full = self._require(owner, with_, start)
        names = set(key_names)
        stored = self._keys[full]
        kept = [key for key in stored if key.key_name not in names]
        if len(kept) != len(stored):
            self._set_entry(self._keys, full, kept)
        return len(stored) - len(kept)

    def delete_keys_carrying(self, owner: JID, with_: JID, start: datetime,
                             carried_names: Collection[str]) -> int:
        full = self._require(owner, with_, start)
        names = set(carried_names)
        stored = self._keys[full]
        kept = [key for key in stored if key.carried_key_name not in names]
        if len(kept) != len(stored):
            self._set_entry(self._keys, full, kept)
        return len(stored) - len(kept)

    def find_keys(self, owner: JID, key_names: Collection[str] | None = None
                  ) -> list[tuple[CollectionRecord, list[EncryptedKey]]]:
        names = set(key_names) if key_names is not None else None
        found: list[tuple[CollectionRecord, list[EncryptedKey]]] = []
        for record in self.find_collections(owner):
            keys = [key for key in self._keys[record.key]
                    if names is None or key.key_name in names]
            if keys:
                found.append((record, keys))
        return found

    # -- the modification log -------------------------------------------------------

    def log_change(self, owner: JID, kind: ChangeKind, with_: JID, start: datetime,
                   version: int, at: datetime) -> ChangeRecord:
        log = self._log.get(owner.bare)
        if log is None:
            log = {}
            self._set_entry(self._log, owner.bare, log)
        seq = self._seq + 1
        self._seq = seq
        record = ChangeRecord(seq=seq, kind=ChangeKind(kind), with_=with_, start=utc(start),
                              version=version, at=utc(at))
        key = (with_, record.start)
        # A replaced entry must move to the end of the log, so remove it first.
        self._set_entry(log, key, _ABSENT)
        self._set_entry(log, key, record)
        return record

    def get_changes(self, owner: JID, since: datetime | None = None) -> list[ChangeRecord]:
        low = utc(since) if since is not None else None
        records = [record for record in self._log.get(owner.bare, {}).values()
                   if low is None or record.at >= low]
        return sorted(records, key=lambda record: record.seq)

    # -- preferences and public keys --------------------------------------------------

    def get_prefs(self, owner: JID) -> Pref | None:
        return self._prefs.get(owner.bare)

    def put_prefs(self, owner: JID, prefs: Pref) -> None:
        if not isinstance(prefs, Pref):
            raise TypeError("put_prefs takes a Pref")
        self._set_entry(self._prefs, owner.bare, prefs)

    def get_public_keys(self, owner: JID) -> tuple[KeyInfo, ...]:
        return self._public_keys.get(owner.bare, ())

    def set_public_keys(self, owner: JID, keys: Sequence[KeyInfo]) -> None:
        for key in keys:
            if not isinstance(key, KeyInfo):
                raise TypeError(f"public keys are KeyInfo elements, not {type(key).__name__}")
        self._set_entry(self._public_keys, owner.bare, tuple(keys))

    def __repr__(self) -> str:
        count = sum(len(owned) for owned in self._collections.values())
        return f"<MemoryStore {len(self._collections)} accounts, {count} collections>"


class _Absent:
    __slots__ = ()


_ABSENT: Final[Any] = _Absent()


# -- SQLite ----------------------------------------------------------------------------------

_SCHEMA_VERSION: Final = 1

_SCHEMA: Final = """
CREATE TABLE collections (
    id INTEGER PRIMARY KEY,
    owner TEXT NOT NULL,
    with_jid TEXT NOT NULL,
    with_local TEXT,
    with_domain TEXT NOT NULL,
    with_resource TEXT,
    start TEXT NOT NULL,
    subject TEXT,
    thread TEXT,
    version INTEGER NOT NULL,
    previous_with TEXT,
    previous_start TEXT,
    next_with TEXT,
    next_start TEXT,
    form BLOB,
    item_count INTEGER NOT NULL,
    size INTEGER NOT NULL,
    encrypted INTEGER NOT NULL,
    UNIQUE (owner, with_jid, start)
);
CREATE INDEX collections_by_time ON collections (owner, start, with_jid);
CREATE TABLE items (
    collection INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    xml BLOB NOT NULL,
    PRIMARY KEY (collection, position)
);
CREATE TABLE wrapped_keys (
    collection INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    key_name TEXT,
    xml BLOB NOT NULL,
    PRIMARY KEY (collection, position)
);
CREATE INDEX wrapped_keys_by_name ON wrapped_keys (key_name);
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL,
    with_jid TEXT NOT NULL,
    start TEXT NOT NULL,
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    at TEXT NOT NULL,
    UNIQUE (owner, with_jid, start)
);
CREATE TABLE prefs (
    owner TEXT PRIMARY KEY,
    xml BLOB NOT NULL
);
CREATE TABLE public_keys (
    owner TEXT NOT NULL,
    position INTEGER NOT NULL,
    xml BLOB NOT NULL,
    PRIMARY KEY (owner, position)
);
"""


def _timestamp(value: datetime) -> str:
    """A fixed-width UTC text that sorts as the times do."""
    value = utc(value)
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:"
            f"{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}Z")


def _from_timestamp(text: str) -> datetime:
    return datetime(int(text[0:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]),
                    int(text[14:16]), int(text[17:19]), int(text[20:26]), tzinfo=UTC)


def _read(data: bytes, kind: type[_T]) -> _T:
    obj = parse(data)
    if not isinstance(obj, kind):
        raise sqlite3.DatabaseError(f"the archive database holds a {type(obj).__name__} "
                                    f"where a {kind.__name__} belongs")
    return obj


def _read_item(data: bytes) -> ArchiveItem:
    obj = parse(data)
    if not isinstance(obj, _ITEM_TYPES):
        raise sqlite3.DatabaseError(f"the archive database holds a {type(obj).__name__} "
                                    "where a collection item belongs")
    return obj


class SQLiteStore(ArchiveStore):
    """A store in an SQLite database file at ``path`` (created with its schema on
    first open; ``":memory:"`` for a private in-memory database).

    Each write is a transaction of its own unless it runs inside
    :meth:`transaction`; commits are synchronous (``PRAGMA synchronous=FULL``), so
    what a committed transaction wrote survives a crash.  What is deleted is
    overwritten in the file (``PRAGMA secure_delete=ON``), so a deleted key leaves no
    trace.  One store object uses one connection and belongs to the thread that made
    it, as :mod:`sqlite3` wants.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = os.fspath(path)
        self._db = sqlite3.connect(self._path, isolation_level=None)
        self._depth = 0
        self._closed = False
        try:
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA synchronous = FULL")
            # Deleted rows are overwritten with zeros, not left in the file's free
            # space: key replacement deletes EncryptedKeys because their private key
            # may be compromised, and SQLite's default build keeps what it deletes
            # readable until the space is reused.
            self._db.execute("PRAGMA secure_delete = ON")
            self._open_schema()
        except BaseException:
            self._db.close()
            raise

    def _open_schema(self) -> None:
        with self.transaction():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
            elif version != _SCHEMA_VERSION:
                raise sqlite3.DatabaseError(
                    f"{self._path} holds an archive of schema version {version}; this "
                    f"version of xepcodec reads version {_SCHEMA_VERSION}")

    @property
    def path(self) -> str:
        return self._path

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._db.close()

    # -- transactions -------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self._depth:
            # A nested block is a savepoint: its failure undoes only what it wrote.
            name = f"nested_{self._depth}"
            self._db.execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._db.execute(f"ROLLBACK TO {name}")
                self._db.execute(f"RELEASE {name}")
                raise
            finally:
                self._depth -= 1
            self._db.execute(f"RELEASE {name}")
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._db.execute("ROLLBACK")
            raise
        self._depth = 0
        self._db.execute("COMMIT")

    def transaction(self) -> AbstractContextManager[None]:
        return self._transaction()

    # -- collections --------------------------------------------------------------

    _COLUMNS: Final = ("owner, with_jid, start, subject, thread, version, previous_with, "
                       "previous_start, next_with, next_start, form, item_count, size, "
                       "encrypted")

    def _record(self, row: Sequence[Any]) -> CollectionRecord:
        (owner, with_jid, start, subject, thread, version, previous_with, previous_start,
         next_with, next_start, form, item_count, size, encrypted) = row
        previous = next_ = None
        if previous_with is not None:
            previous = Link(kind=LinkKind.PREVIOUS, with_=JID.parse(previous_with),
                            start=_from_timestamp(previous_start))
        if next_with is not None:
            next_ = Link(kind=LinkKind.NEXT, with_=JID.parse(next_with),
                         start=_from_timestamp(next_start))
        return CollectionRecord(
            owner=JID.parse(owner), with_=JID.parse(with_jid), start=_from_timestamp(start),
            subject=subject, thread=thread, version=version, previous=previous,
            next=next_, form=_read(form, Form) if form is not None else None,
            item_count=item_count, size=size, encrypted=bool(encrypted))

    def _id(self, owner: JID, with_: JID, start: datetime) -> int:
        row = self._db.execute(
            "SELECT id FROM collections WHERE owner = ? AND with_jid = ? AND start = ?",
            (str(owner.bare), str(with_), _timestamp(start))).fetchone()
        if row is None:
            raise _missing(owner, with_, start)
        return int(row[0])

    def get_collection(self, owner: JID, with_: JID, start: datetime) -> CollectionRecord | None:
        row = self._db.execute(
            f"SELECT {self._COLUMNS} FROM collections WHERE owner = ? AND with_jid = ? "
            "AND start = ?", (str(owner.bare), str(with_), _timestamp(start))).fetchone()
        return self._record(row) if row is not None else None

    def find_collections(self, owner: JID, *, with_: JID | None = None,
                         exactmatch: bool = False, start: datetime | None = None,
                         end: datetime | None = None) -> list[CollectionRecord]:
        where = ["owner = ?"]
        values: list[Any] = [str(owner.bare)]
        if with_ is not None:
            if exactmatch or with_.resource is not None:
                where.append("with_jid = ?")
                values.append(str(with_))
            elif with_.local is not None:
                where.append("with_local = ? AND with_domain = ?")
                values.extend((with_.local, with_.domain))
            else:
                where.append("with_domain = ?")
                values.append(with_.domain)
        if start is not None:
            where.append("start >= ?")
            values.append(_timestamp(start))
        if end is not None:
            where.append("start < ?")
            values.append(_timestamp(end))
        rows = self._db.execute(
            f"SELECT {self._COLUMNS} FROM collections WHERE {' AND '.join(where)} "
            "ORDER BY start, with_jid", values).fetchall()
        return sorted((self._record(row) for row in rows), key=_sort_key)

    def put_collection(self, record: CollectionRecord) -> None:
        if not isinstance(record, CollectionRecord):
            raise TypeError("put_collection takes a CollectionRecord")
        previous, next_ = record.previous, record.next
        values = (
            record.subject, record.thread, record.version,
            str(previous.with_) if previous is not None else None,
            _timestamp(previous.start) if previous is not None and previous.start else None,
            str(next_.with_) if next_ is not None else None,
            _timestamp(next_.start) if next_ is not None and next_.start else None,
            serialize(record.form) if record.form is not None else None,
            record.item_count, record.size, int(record.encrypted),
        )
        key = (str(record.owner), str(record.with_), _timestamp(record.start))
        with self.transaction():
            updated = self._db.execute(
                "UPDATE collections SET subject = ?, thread = ?, version = ?, "
                "previous_with = ?, previous_start = ?, next_with = ?, next_start = ?, "
                "form = ?, item_count = ?, size = ?, encrypted = ? "
                "WHERE owner = ? AND with_jid = ? AND start = ?", (*values, *key)).rowcount
            if not updated:
                with_ = record.with_
                self._db.execute(
                    "INSERT INTO collections (owner, with_jid, start, with_local, with_domain, "
                    "with_resource, subject, thread, version, previous_with, previous_start, "
                    "next_with, next_start, form, item_count, size, encrypted) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*key, with_.local, with_.domain, with_.resource, *values))

    def delete_collection(self, owner: JID, with_: JID, start: datetime) -> bool:
        with self.transaction():
            return bool(self._db.execute(
                "DELETE FROM collections WHERE owner = ? AND with_jid = ? AND start = ?",
                (str(owner.bare), str(with_), _timestamp(start))).rowcount)

    # -- items --------------------------------------------------------------------

    def _insert_items(self, collection: int, first: int, items: Sequence[ArchiveItem]) -> None:
        self._db.executemany(
            "INSERT INTO items (collection, position, xml) VALUES (?, ?, ?)",
            ((collection, first + offset, serialize(item)) for offset, item in enumerate(items)))

    def append_items(self, owner: JID, with_: JID, start: datetime,
                     items: Sequence[ArchiveItem]) -> None:
        _check_items(items)
        with self.transaction():
            collection = self._id(owner, with_, start)
            count = self._db.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM items "
                                     "WHERE collection = ?", (collection,)).fetchone()[0]
            self._insert_items(collection, int(count), items)

    def get_items(self, owner: JID, with_: JID, start: datetime, first: int = 0,
                  stop: int | None = None) -> list[ArchiveItem]:
        collection = self._id(owner, with_, start)
        if stop is None:
            rows = self._db.execute("SELECT xml FROM items WHERE collection = ? AND "
                                    "position >= ? ORDER BY position", (collection, first))
        else:
            rows = self._db.execute("SELECT xml FROM items WHERE collection = ? AND "
                                    "position >= ? AND position < ? ORDER BY position",
                                    (collection, first, stop))
        return [_read_item(row[0]) for row in rows.fetchall()]

    def replace_items(self, owner: JID, with_: JID, start: datetime,
                      items: Sequence[ArchiveItem]) -> None:
        _check_items(items)
        with self.transaction():
            collection = self._id(owner, with_, start)
            self._db.execute("DELETE FROM items WHERE collection = ?", (collection,))
            self._insert_items(collection, 0, items)

    # -- wrapped keys -------------------------------------------------------------

    def add_keys(self, owner: JID, with_: JID, start: datetime,
                 keys: Sequence[EncryptedKey]) -> None:
        _check_keys(keys)
        with self.transaction():
            collection = self._id(owner, with_, start)
            count = self._db.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM wrapped_keys "
                                     "WHERE collection = ?", (collection,)).fetchone()[0]
            self._db.executemany(
                "INSERT INTO wrapped_keys (collection, position, key_name, xml) "
                "VALUES (?, ?, ?, ?)",
                ((collection, int(count) + offset, key.key_name, serialize(key))
                 for offset, key in enumerate(keys)))

    def get_keys(self, owner: JID, with_: JID, start: datetime) -> list[EncryptedKey]:
        collection = self._id(owner, with_, start)
        rows = self._db.execute("SELECT xml FROM wrapped_keys WHERE collection = ? "
                                "ORDER BY position", (collection,)).fetchall()
        return [_read(row[0], EncryptedKey) for row in rows]

    def delete_keys(self, owner: JID, with_: JID, start: datetime,
                    key_names: Collection[str]) -> int:
        names = sorted(set(key_names))
        with self.transaction():
            collection = self._id(owner, with_, start)
            if not names:
                return 0
            marks = ", ".join("?" * len(names))
            return int(self._db.execute(
                f"DELETE FROM wrapped_keys WHERE collection = ? AND key_name IN ({marks})",
                (collection, *names)).rowcount)

    def delete_keys_carrying(self, owner: JID, with_: JID, start: datetime,
                             carried_names: Collection[str]) -> int:
        names = set(carried_names)
        with self.transaction():
            collection = self._id(owner, with_, start)
            if not names:
                return 0
            # The carried name has no column of its own: read each key to find it.
            rows = self._db.execute("SELECT position, xml FROM wrapped_keys "
                                    "WHERE collection = ?", (collection,)).fetchall()
            doomed = [(collection, position) for position, xml in rows
                      if _read(xml, EncryptedKey).carried_key_name in names]
            self._db.executemany("DELETE FROM wrapped_keys WHERE collection = ? AND "
                                 "position = ?", doomed)
            return len(doomed)

    def find_keys(self, owner: JID, key_names: Collection[str] | None = None
                  ) -> list[tuple[CollectionRecord, list[EncryptedKey]]]:
        query = (f"SELECT c.id, {', '.join('c.' + c.strip() for c in self._COLUMNS.split(','))}"
                 ", k.xml FROM collections c JOIN wrapped_keys k ON k.collection = c.id "
                 "WHERE c.owner = ?")
        values: list[Any] = [str(owner.bare)]
        if key_names is not None:
            names = sorted(set(key_names))
            if not names:
                return []
            query += f" AND k.key_name IN ({', '.join('?' * len(names))})"
            values.extend(names)
        query += " ORDER BY c.start, c.with_jid, k.position"
        found: dict[int, tuple[CollectionRecord, list[EncryptedKey]]] = {}
        for row in self._db.execute(query, values).fetchall():
            entry = found.get(row[0])
            if entry is None:
                entry = found[row[0]] = (self._record(row[1:-1]), [])
            entry[1].append(_read(row[-1], EncryptedKey))
        return sorted(found.values(), key=lambda entry: _sort_key(entry[0]))

    # -- the modification log -------------------------------------------------------

    def log_change(self, owner: JID, kind: ChangeKind, with_: JID, start: datetime,
                   version: int, at: datetime) -> ChangeRecord:
        kind = ChangeKind(kind)
        key = (str(owner.bare), str(with_), _timestamp(start))
        with self.transaction():
            self._db.execute("DELETE FROM changes WHERE owner = ? AND with_jid = ? AND "
                             "start = ?", key)
            seq = self._db.execute(
                "INSERT INTO changes (owner, with_jid, start, kind, version, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (*key, kind.value, version, _timestamp(at))).lastrowid
        assert seq is not None
        return ChangeRecord(seq=seq, kind=kind, with_=with_, start=utc(start), version=version,
                            at=_from_timestamp(_timestamp(at)))

    def get_changes(self, owner: JID, since: datetime | None = None) -> list[ChangeRecord]:
        query = "SELECT seq, kind, with_jid, start, version, at FROM changes WHERE owner = ?"
        values: list[Any] = [str(owner.bare)]
        if since is not None:
            query += " AND at >= ?"
            values.append(_timestamp(since))
        rows = self._db.execute(query + " ORDER BY seq", values).fetchall()
        return [ChangeRecord(seq=seq, kind=ChangeKind(kind), with_=JID.parse(with_jid),
                             start=_from_timestamp(start), version=version,
                             at=_from_timestamp(at))
                for seq, kind, with_jid, start, version, at in rows]

    # -- preferences and public keys --------------------------------------------------

    def get_prefs(self, owner: JID) -> Pref | None:
        row = self._db.execute("SELECT xml FROM prefs WHERE owner = ?",
                               (str(owner.bare),)).fetchone()
        return _read(row[0], Pref) if row is not None else None

    def put_prefs(self, owner: JID, prefs: Pref) -> None:
        if not isinstance(prefs, Pref):
            raise TypeError("put_prefs takes a Pref")
        with self.transaction():
            self._db.execute("INSERT OR REPLACE INTO prefs (owner, xml) VALUES (?, ?)",
                             (str(owner.bare), serialize(prefs)))

    def get_public_keys(self, owner: JID) -> tuple[KeyInfo, ...]:
        rows = self._db.execute("SELECT xml FROM public_keys WHERE owner = ? ORDER BY position",
                                (str(owner.bare),)).fetchall()
        return tuple(_read(row[0], KeyInfo) for row in rows)

    def set_public_keys(self, owner: JID, keys: Sequence[KeyInfo]) -> None:
        for key in keys:
            if not isinstance(key, KeyInfo):
                raise TypeError(f"public keys are KeyInfo elements, not {type(key).__name__}")
        with self.transaction():
            self._db.execute("DELETE FROM public_keys WHERE owner = ?", (str(owner.bare),))
            self._db.executemany(
                "INSERT INTO public_keys (owner, position, xml) VALUES (?, ?, ?)",
                ((str(owner.bare), position, serialize(key))
                 for position, key in enumerate(keys)))

    def __repr__(self) -> str:
        return f"<SQLiteStore {self._path!r}{' closed' if self._closed else ''}>"

