"""Message archiving on the server (XEP-0136), with the encryption of archived
collections that XEP-0241 adds.

XEP-0136 stores conversations as *collections* (``<chat/>``), identified by the JID
of the other party and a start time, and defines preferences (``<pref/>``), manual
upload (``<save/>``), listing (``<list/>``), retrieval (``<retrieve/>``), removal
(``<remove/>``), replication (``<modified/>``) and a stream feature
(``<feature/>``).  XEP-0241 lets a collection hold XML Encryption
``<EncryptedData/>`` and ``<EncryptedKey/>`` elements instead of plain messages,
marks such collections with ``crypt='true'``, adds ``encrypt`` and public keys
(``<KeyInfo/>``) to ``<auto/>``, filters retrieval by public key name
(``<KeyName/>`` children of ``<retrieve/>``) and adds ``<keys/>`` and
``<delete/>`` for replacing the wrapped keys of an obsolete public key.

Two namespaces are in use: ``urn:xmpp:archive`` (XEP-0136) and
``urn:xmpp:tmp:archive`` (XEP-0241's examples, and older deployments).  Every
element is read in either; an object keeps the namespace it was read in, or the one
its creator chose (``urn:xmpp:archive`` by default), and is written back in it.
Elements that can be a payload root carry it in a ``namespace`` field; the elements
inside them follow their parent.  A tree never mixes the two namespaces;
:func:`with_namespace` rewrites a whole tree into the other one.

XEP-0136's schema lets ``<chat/>`` hold any element of another namespace.  That
wildcard is not kept: in XML Schema 1.0 it cannot stand beside XEP-0241's
``EncryptedData`` (both would match the same element, which the schema language
forbids), so a collection holds exactly what the two specifications name (links,
the x:data form, messages and notes, or encrypted data and keys, and a result set),
and anything else is refused.  The messages (``<to/>`` and ``<from/>``) remain
extensible with elements of other namespaces.

Children are written in the order a collection is retrieved in: links, then the
form, then the messages (or the encrypted data, then the keys), then the result set.
On reading, order is not enforced: XEP-0136 lets a client upload the form after
the messages.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Final, TypeVar

from xepcodec.datatypes.jid import JID
from xepcodec.model import (
    attr,
    child,
    children,
    element,
    extensions,
    flag,
    is_element,
    local_name,
    text,
    text_children,
    walk,
    xmlns,
)
from xepcodec.model.codec import codec_of
from xepcodec.model.values import Integer, String
from xepcodec.protocols.dataforms import Form
from xepcodec.protocols.rsm import ResultSet
from xepcodec.protocols.xmlenc import DSIG, EncryptedData, EncryptedKey, KeyInfo

__all__ = [
    "ARCHIVE",
    "ARCHIVE_TMP",
    "FEATURE_ENCRYPT_SUFFIX",
    "NAMESPACES",
    "Auto",
    "Change",
    "ChangeKind",
    "Chat",
    "Default",
    "Delete",
    "Direction",
    "Entry",
    "Feature",
    "Item",
    "ItemRemove",
    "Keys",
    "Link",
    "LinkKind",
    "List",
    "Method",
    "MethodType",
    "MethodUse",
    "Modified",
    "Note",
    "OtrMode",
    "Pref",
    "Remove",
    "Retrieve",
    "Save",
    "SaveMode",
    "Scope",
    "Session",
    "SessionRemove",
    "feature",
    "with_namespace",
]

#: The namespace of XEP-0136.
ARCHIVE: Final = "urn:xmpp:archive"
#: The namespace XEP-0241's examples use (and deployments that predate the final one).
ARCHIVE_TMP: Final = "urn:xmpp:tmp:archive"
#: Both, the default first.
NAMESPACES: Final = (ARCHIVE, ARCHIVE_TMP)
#: The suffix of XEP-0241's service discovery feature: ``feature(ns, "encrypt")``.
FEATURE_ENCRYPT_SUFFIX: Final = "encrypt"

T = TypeVar("T")

_SECONDS: Final = Integer(minimum=0)
_NAME: Final = String(min_length=1)


def feature(namespace: str, name: str | None = None) -> str:
    """A service discovery feature of message archiving in ``namespace``:
    ``feature(ARCHIVE)`` is the namespace itself, ``feature(ARCHIVE, "auto")`` is
    ``urn:xmpp:archive:auto``."""
    if namespace not in NAMESPACES:
        raise ValueError(f"{namespace!r} is not a message archiving namespace")
    return namespace if name is None else f"{namespace}:{name}"


class SaveMode(enum.StrEnum):
    """What the archiving entity saves."""

    BODY = "body"
    FALSE = "false"
    MESSAGE = "message"
    STREAM = "stream"


class OtrMode(enum.StrEnum):
    """How the user feels about off-the-record conversations."""

    APPROVE = "approve"
    CONCEDE = "concede"
    FORBID = "forbid"
    OPPOSE = "oppose"
    PREFER = "prefer"
    REQUIRE = "require"


class MethodType(enum.StrEnum):
    """An archiving method."""

    AUTO = "auto"
    LOCAL = "local"
    MANUAL = "manual"


class MethodUse(enum.StrEnum):
    """How much the user wants an archiving method used."""

    CONCEDE = "concede"
    FORBID = "forbid"
    PREFER = "prefer"


class Scope(enum.StrEnum):
    """How long an ``<auto/>`` setting lasts (absent: for this stream)."""

    GLOBAL = "global"
    STREAM = "stream"


class Direction(enum.StrEnum):
    """A message the user sent (``to``) or received (``from``)."""

    TO = "to"
    FROM = "from"


class LinkKind(enum.StrEnum):
    """Which way a link between collections points."""

    PREVIOUS = "previous"
    NEXT = "next"


class ChangeKind(enum.StrEnum):
    """What happened to a collection since a replication point."""

    CHANGED = "changed"
    REMOVED = "removed"


def _check_same_namespace(owner: str, namespace: str, items: tuple[Any, ...]) -> None:
    for item in items:
        if item.namespace != namespace:
            raise ValueError(f"<{owner}/> is in {namespace!r} but holds a <{_name_of(item)}/> "
                             f"in {item.namespace!r}; an archiving request never mixes the "
                             "two namespaces")


def _name_of(item: Any) -> str:
    return codec_of(type(item)).name


# -- preferences -----------------------------------------------------------------------


@element(NAMESPACES, "auto")
class Auto:
    """Automatic archiving on or off (for this stream, or for good with
    ``scope=GLOBAL``); XEP-0241 adds ``encrypt`` and public keys the server must also
    wrap the collection keys for."""

    namespace: str = xmlns(ARCHIVE)
    save: bool = attr()
    scope: Scope | None = attr(default=None)
    encrypt: bool | None = attr(default=None)
    key_infos: tuple[KeyInfo, ...] = children(KeyInfo)


@element(NAMESPACES, "default")
class Default:
    """The default OTR and Save Modes (``expire``: seconds to keep what is saved;
    ``unset``: the server's defaults, the user has set none)."""

    otr: OtrMode = attr()
    save: SaveMode = attr()
    expire: int | None = attr(value=_SECONDS, default=None)
    unset: bool | None = attr(default=None)


@element(NAMESPACES, "item")
class Item:
    """The Modes for one contact (or domain, see ``exactmatch``).  In
    ``<itemremove/>`` only the JID is given."""

    jid: JID = attr()
    otr: OtrMode | None = attr(default=None)
    save: SaveMode | None = attr(default=None)
    expire: int | None = attr(value=_SECONDS, default=None)
    exactmatch: bool | None = attr(default=None)


@element(NAMESPACES, "session")
class Session:
    """The Save Mode for one chat session, by its thread id (``timeout`` is set by the
    server only).  In ``<sessionremove/>`` only the thread is given."""

    thread: str = attr(value=_NAME)
    save: SaveMode | None = attr(default=None)
    otr: OtrMode | None = attr(default=None)
    timeout: int | None = attr(value=_SECONDS, default=None)


@element(NAMESPACES, "method")
class Method:
    """How much the user wants one archiving method used."""

    type: MethodType = attr()
    use: MethodUse = attr()


@element(NAMESPACES, "pref")
class Pref:
    """Archiving preferences: requested empty, answered or set with content."""

    namespace: str = xmlns(ARCHIVE)
    auto: Auto | None = child(Auto, default=None)
    default: Default | None = child(Default, default=None)
    items: tuple[Item, ...] = children(Item)
    sessions: tuple[Session, ...] = children(Session)
    methods: tuple[Method, ...] = children(Method)

    def __post_init__(self) -> None:
        if self.auto is not None:
            _check_same_namespace("pref", self.namespace, (self.auto,))


@element(NAMESPACES, "itemremove")
class ItemRemove:
    """Forget the preferences for some contacts."""

    namespace: str = xmlns(ARCHIVE)
    items: tuple[Item, ...] = children(Item)

    def __post_init__(self) -> None:
        if not self.items:
            raise ValueError("an <itemremove/> names at least one <item/>")


@element(NAMESPACES, "sessionremove")
class SessionRemove:
    """Forget the preferences for some chat sessions."""

    namespace: str = xmlns(ARCHIVE)
    sessions: tuple[Session, ...] = children(Session)

    def __post_init__(self) -> None:
        if not self.sessions:
            raise ValueError("a <sessionremove/> names at least one <session/>")


# -- collections -----------------------------------------------------------------------


@element(NAMESPACES, ("to", "from"))
class Entry:
    """One archived message: sent (``<to/>``) or received (``<from/>``).  Its time is
    ``secs`` after the previous message (or the collection's start) or absolute
    (``utc``); in a group chat ``name`` (and maybe ``jid``) says who wrote it.  It
    holds at least one body or one element of another namespace."""

    direction: Direction = local_name()
    secs: int | None = attr(value=_SECONDS, default=None)
    utc: datetime | None = attr(default=None)
    name: str | None = attr(default=None)
    jid: JID | None = attr(default=None)
    bodies: tuple[str, ...] = text_children("body")
    extensions: tuple[Any, ...] = extensions(foreign_only=True)

    def __post_init__(self) -> None:
        if not self.bodies and not self.extensions:
            raise ValueError(f"an archived message <{self.direction}/> holds a <body/> or "
                             "another element; it is never empty")


@element(NAMESPACES, "note")
class Note:
    """A private note the user added to a collection."""

    text: str = text()
    utc: datetime | None = attr(default=None)


@element(NAMESPACES, ("previous", "next"))
class Link:
    """A link to the collection before or after this one; without attributes it
    removes the link."""

    kind: LinkKind = local_name()
    with_: JID | None = attr(default=None)
    start: datetime | None = attr(default=None)

    def __post_init__(self) -> None:
        if (self.with_ is None) != (self.start is None):
            raise ValueError(f"a <{self.kind}/> link gives both 'with' and 'start' (the "
                             "collection it points to), or neither (to remove the link)")


@element(NAMESPACES, "chat")
class Chat:
    """A collection: the conversation with ``with_`` that started at ``start``.

    It holds plain messages and notes (``entries``) or, encrypted as XEP-0241
    describes, ``encrypted_data`` and ``encrypted_keys``, never both.  ``crypt`` marks
    an encrypted collection in lists; ``version`` counts the server's changes.
    """

    namespace: str = xmlns(ARCHIVE)
    with_: JID = attr()
    start: datetime = attr()
    subject: str | None = attr(default=None)
    thread: str | None = attr(default=None)
    version: int | None = attr(value=_SECONDS, default=None)
    crypt: bool | None = attr(default=None)
    links: tuple[Link, ...] = children(Link)
    form: Form | None = child(Form, default=None)
    entries: tuple[Entry | Note, ...] = children(Entry, Note)
    encrypted_data: tuple[EncryptedData, ...] = children(EncryptedData)
    encrypted_keys: tuple[EncryptedKey, ...] = children(EncryptedKey)
    rsm: ResultSet | None = child(ResultSet, default=None)

    def __post_init__(self) -> None:
        encrypted = bool(self.encrypted_data or self.encrypted_keys)
        if encrypted and self.entries:
            raise ValueError("a collection with <EncryptedData/> or <EncryptedKey/> holds no "
                             "<to/>, <from/> or <note/> (XEP-0241 §2)")
        if encrypted and self.crypt is False:
            raise ValueError("a collection with <EncryptedData/> or <EncryptedKey/> cannot "
                             "say crypt='false' (XEP-0241 §4)")
        if len(self.links) > 1:  # one link cannot repeat itself
            for kind in LinkKind:
                if sum(1 for link in self.links if link.kind is kind) > 1:
                    raise ValueError(f"a collection has at most one <{kind}/> link")

    @property
    def encrypted(self) -> bool:
        """Whether the collection is encrypted: it holds encrypted data or keys, or says
        ``crypt='true'`` (as list results do)."""
        return self.crypt is True or bool(self.encrypted_data or self.encrypted_keys)

    @property
    def previous(self) -> Link | None:
        """The link to the previous collection, if given."""
        return self._link(LinkKind.PREVIOUS)

    @property
    def next(self) -> Link | None:
        """The link to the next collection, if given."""
        return self._link(LinkKind.NEXT)

    @property
    def collection_id(self) -> tuple[JID, datetime]:
        """What identifies the collection: (with, start)."""
        return self.with_, self.start

    def _link(self, kind: LinkKind) -> Link | None:
        for link in self.links:
            if link.kind is kind:
                return link
        return None


# -- requests --------------------------------------------------------------------------


@element(NAMESPACES, "save")
class Save:
    """Upload messages (or encrypted data and keys) to a collection."""

    namespace: str = xmlns(ARCHIVE)
    chat: Chat = child(Chat)

    def __post_init__(self) -> None:
        _check_same_namespace("save", self.namespace, (self.chat,))


@element(NAMESPACES, "list")
class List:
    """Ask for (empty, with filters) or answer with (``chats``) a list of collections."""

    namespace: str = xmlns(ARCHIVE)
    with_: JID | None = attr(default=None)
    start: datetime | None = attr(default=None)
    end: datetime | None = attr(default=None)
    exactmatch: bool | None = attr(default=None)
    chats: tuple[Chat, ...] = children(Chat)
    rsm: ResultSet | None = child(ResultSet, default=None)

    def __post_init__(self) -> None:
        _check_same_namespace("list", self.namespace, self.chats)


@element(NAMESPACES, "retrieve")
class Retrieve:
    """Ask for (a page of) one collection; ``key_names`` limits the wrapped keys
    returned to those for the named public keys (XEP-0241 §5)."""

    namespace: str = xmlns(ARCHIVE)
    with_: JID = attr()
    start: datetime = attr()
    key_names: tuple[str, ...] = text_children("KeyName", DSIG, value=_NAME)
    rsm: ResultSet | None = child(ResultSet, default=None)


@element(NAMESPACES, "remove")
class Remove:
    """Remove one collection (``with_`` and ``start``), the collections in a time
    range, with a contact, or all of them; ``open`` removes those being recorded."""

    namespace: str = xmlns(ARCHIVE)
    with_: JID | None = attr(default=None)
    start: datetime | None = attr(default=None)
    end: datetime | None = attr(default=None)
    exactmatch: bool | None = attr(default=None)
    open: bool | None = attr(default=None)


@element(NAMESPACES, ("changed", "removed"))
class Change:
    """A collection changed or removed since a replication point, at ``version``."""

    kind: ChangeKind = local_name()
    with_: JID = attr()
    start: datetime = attr()
    version: int = attr(value=_SECONDS)


@element(NAMESPACES, "modified")
class Modified:
    """Ask for (with ``start``) or answer with (``changes``) the collections changed
    since a time."""

    namespace: str = xmlns(ARCHIVE)
    start: datetime | None = attr(default=None)
    changes: tuple[Change, ...] = children(Change)
    rsm: ResultSet | None = child(ResultSet, default=None)


@element(NAMESPACES, "keys")
class Keys:
    """Ask for the wrapped keys of the named public keys across all collections, or
    answer with them, one ``<chat/>`` per collection (XEP-0241 §6)."""

    namespace: str = xmlns(ARCHIVE)
    key_names: tuple[str, ...] = text_children("KeyName", DSIG, value=_NAME)
    chats: tuple[Chat, ...] = children(Chat)
    rsm: ResultSet | None = child(ResultSet, default=None)

    def __post_init__(self) -> None:
        _check_same_namespace("keys", self.namespace, self.chats)


@element(NAMESPACES, "delete")
class Delete:
    """Delete from one collection the keys wrapped for the named public keys
    (XEP-0241 §6)."""

    namespace: str = xmlns(ARCHIVE)
    with_: JID = attr()
    start: datetime = attr()
    key_names: tuple[str, ...] = text_children("KeyName", DSIG, value=_NAME)

    def __post_init__(self) -> None:
        if not self.key_names:
            raise ValueError("a <delete/> names at least one public key in a <KeyName/>")


@element(NAMESPACES, "feature")
class Feature:
    """The stream feature: always ``optional``; ``default`` when automatic archiving
    is on unless the user turns it off."""

    namespace: str = xmlns(ARCHIVE)
    optional: bool = flag("optional")
    default: bool = flag("default")

    def __post_init__(self) -> None:
        if not self.optional:
            raise ValueError("the archiving stream <feature/> always holds an empty "
                             "<optional/>")


def with_namespace(obj: T, namespace: str) -> T:
    """``obj`` (any archiving element) with its whole tree rewritten into
    ``namespace`` (``ARCHIVE`` or ``ARCHIVE_TMP``); what is not archiving's (forms,
    result sets, encrypted data) is kept as it is."""
    if namespace not in NAMESPACES:
        raise ValueError(f"{namespace!r} is not a message archiving namespace")
    if not _is_archiving(obj):
        raise TypeError(f"{type(obj).__name__} is not a message archiving element")
    # Reversed, the walk reaches every element after its descendants, so each archiving
    # element is rebuilt from children already rewritten: a parent is never built
    # around children of the other namespace, which it would refuse.  Only archiving
    # elements are rebuilt, so another protocol's element is kept whole, with whatever
    # it holds.
    rebuilt: dict[int, Any] = {}
    for item in reversed(list(walk(obj))):
        if _is_archiving(item) and id(item) not in rebuilt:  # held twice: built once
            rebuilt[id(item)] = _renamed(item, namespace, rebuilt)
    result: T = rebuilt[id(obj)]
    return result


def _is_archiving(item: Any) -> bool:
    return is_element(item) and codec_of(type(item)).namespaces == NAMESPACES


def _renamed(item: Any, namespace: str, rebuilt: dict[int, Any]) -> Any:
    """``item`` in ``namespace``, holding the rebuilt copies of its children (``rebuilt``
    by the ``id`` of the original, which the tree keeps alive)."""
    codec = codec_of(type(item))
    fields: dict[str, Any] = {}
    for name in codec.field_names:
        value = getattr(item, name)
        fields[name] = (tuple(rebuilt.get(id(each), each) for each in value)
                        if isinstance(value, tuple) else rebuilt.get(id(value), value))
    if codec.xmlns is not None:
        fields[codec.field_names[codec.xmlns]] = namespace
    return type(item)(**fields)
