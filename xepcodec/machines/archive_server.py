"""The server side of message archiving (XEP-0136) with encrypted archives (XEP-0241):
one sans-IO :class:`ArchiveServer` for every account of a server, over an
:class:`~xepcodec.machines.archive_store.ArchiveStore`.

How to wire it, what each request does, automatic archiving, snapshots and the errata
of the specifications are described in ``docs/archive-server.md``.  The server's
requests are the rows of :attr:`ArchiveServer._REQUESTS`; a collection being recorded
moves through :data:`RECORDING`.
"""

from __future__ import annotations

import base64
import enum
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, ClassVar, Final, TypeAlias

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey, RSAPublicNumbers

from xepcodec.api import serialize
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
from xepcodec.datatypes.dates import format_datetime
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ProtocolError
from xepcodec.machines.archive_server_events import (
    ArchiveServerEvent,
    CollectionFinished,
    CollectionOpened,
    FinishReason,
    KeysPublished,
    MessageArchived,
    NotArchived,
    NotArchivedReason,
)
from xepcodec.machines.archive_store import (
    ArchiveItem,
    ArchiveStore,
    CollectionRecord,
    jid_matches,
    utc,
)
from xepcodec.machines.base import (
    Changes,
    IdSource,
    Ignored,
    Send,
    SnapshotFormat,
    Transitions,
    as_jid,
    from_json,
    to_json,
)
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
from xepcodec.protocols.pubkey import PubKey
from xepcodec.protocols.rsm import ResultSet, ResultSetError, paginate
from xepcodec.protocols.xmlenc import EncryptedData, EncryptedKey, KeyInfo

__all__ = [
    "RECORDING",
    "ArchiveServer",
    "ArchiveServerEvent",
    "AutoSetting",
    "CollectionFinished",
    "CollectionOpened",
    "Defaults",
    "Event",
    "FinishReason",
    "KeysPublished",
    "Limits",
    "MessageArchived",
    "NotArchived",
    "NotArchivedReason",
    "OpenCollection",
    "Recording",
    "RecordingStep",
    "collection_uid",
]

#: Everything the server's methods return: its own events and the shared ones.
Event: TypeAlias = ArchiveServerEvent | Send | Ignored


# -- configuration ---------------------------------------------------------------------------


def _check_limit(name: str, value: object, *, minimum: int = 1, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ArgumentValueError(f"{name} must be an integer of at least {minimum}"
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
            raise ArgumentValueError("OTR Mode 'require' goes with Save Mode 'false' "
                                     "(XEP-0136)")
        if self.compulsory and self.save is SaveMode.FALSE:
            raise ArgumentValueError("compulsory archiving cannot default to Save Mode "
                                     "'false'")


@dataclass(frozen=True, slots=True)
class AutoSetting:
    """Automatic archiving for one stream: on or off, encrypted or not, for how long,
    and the public keys the ``<auto/>`` request added."""

    save: bool
    encrypt: bool = False
    scope: Scope = Scope.STREAM
    key_infos: tuple[KeyInfo, ...] = ()


_OFF: Final = AutoSetting(save=False)


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


# -- a collection being recorded ---------------------------------------------------------------


class Recording(enum.Enum):
    """Where a collection that automatic archiving records stands."""

    #: messages are stored as they are
    PLAIN = "plain"
    #: each message is stored as its own <EncryptedData/>, under the collection's key
    ENCRYPTED = "encrypted"
    #: no more messages; its key (if any) is destroyed
    FINISHED = "finished"


class RecordingStep(enum.Enum):
    """What happens to a collection being recorded."""

    #: a message is archived into it
    MESSAGE = "message"
    #: encryption was switched on: what it holds is encrypted in place, under a new key
    ENCRYPT = "encrypt"
    #: its key is wrapped for public keys the user published since it opened
    WRAP = "wrap"
    #: it is finished (asked for, idle, full, switched off, removed, shut down)
    FINISH = "finish"


#: Every step a collection being recorded may take.  It opens PLAIN or ENCRYPTED, as
#: the stream's setting says; a collection is never decrypted in place: switching
#: encryption off finishes it, and the next message opens a plain one.
RECORDING: Final = Transitions[Recording, RecordingStep, Recording](
    "archive-server collection being recorded", {
        (Recording.PLAIN, RecordingStep.MESSAGE): Recording.PLAIN,
        (Recording.PLAIN, RecordingStep.ENCRYPT): Recording.ENCRYPTED,
        (Recording.PLAIN, RecordingStep.FINISH): Recording.FINISHED,
        (Recording.ENCRYPTED, RecordingStep.MESSAGE): Recording.ENCRYPTED,
        (Recording.ENCRYPTED, RecordingStep.WRAP): Recording.ENCRYPTED,
        (Recording.ENCRYPTED, RecordingStep.FINISH): Recording.FINISHED,
    })


@dataclass(slots=True, eq=False)
class _Open:
    """A collection being recorded.  ``key`` is the only reference the server holds
    to the collection's symmetric key; ``recipients`` name the public keys it is
    wrapped for."""

    owner: JID
    with_: JID
    start: datetime
    thread: str | None
    namespace: str
    last: datetime
    state: Recording
    elapsed: int = 0
    key: SymmetricKey | None = None
    recipients: set[str] = field(default_factory=set)

    @property
    def slot(self) -> tuple[JID, JID, str | None]:
        return self.owner, self.with_, self.thread

    @property
    def encrypted(self) -> bool:
        return self.state is Recording.ENCRYPTED

    def take(self, step: RecordingStep) -> None:
        """The one place a collection's state changes: as :data:`RECORDING` says."""
        self.state = RECORDING(self.state, step)


# -- snapshots -------------------------------------------------------------------------------

#: Version 2 writes the state from its dataclasses; version 1 is still read.
_SNAPSHOT: Final = SnapshotFormat("xepcodec.archive-server", 2, readable=frozenset({1}))


@dataclass(frozen=True, slots=True)
class _Recorded:
    """A collection being recorded, as a snapshot keeps it: never its key."""

    owner: JID
    with_: JID
    start: datetime
    thread: str | None
    namespace: str
    last: datetime
    elapsed: int
    encrypted: bool


@dataclass(frozen=True, slots=True)
class _Saved:
    """What a snapshot holds: everything of the server outside its store."""

    namespace: str | None
    encryption: bool
    lenient: bool
    limits: Limits
    defaults: Defaults
    next_id: int | None
    #: the automatic-archiving setting of each stream
    streams: dict[JID, AutoSetting]
    #: the resources that asked for the preferences, with the namespace they asked in
    subscribers: dict[JID, str]
    open: tuple[_Recorded, ...]


def _from_version_1(state: dict[str, Any]) -> dict[str, Any]:
    """A version 1 state in the layout of version 2.  Version 1 listed streams and
    subscribers as objects holding their "jid", called a stream's keys "keys", and a
    collection's peer "with"."""
    return {
        **state,
        "streams": {each["jid"]: {"save": each["save"], "encrypt": each["encrypt"],
                                  "scope": each["scope"], "key_infos": each["keys"]}
                    for each in state["streams"]},
        "subscribers": {each["jid"]: each["namespace"] for each in state["subscribers"]},
        "open": [{("with_" if name == "with" else name): value for name, value in each.items()}
                 for each in state["open"]],
    }


# -- requests --------------------------------------------------------------------------------


class _Refused(Exception):
    """A request that is answered with a stanza error."""

    def __init__(self, condition: Condition, text: str) -> None:
        super().__init__(text)
        self.condition = condition
        self.text = text


@dataclass(slots=True)
class _Call:
    """One request being answered: what its handler reads, and what it leaves to do.
    ``changes`` take effect only if the whole request does; ``pushes`` are sent after
    the answer.

    The undo actions a step registers are the restoring of the one stream setting it
    changed in memory and the destruction of the keys it made: none depends on another,
    so the newest-first order :class:`Changes` runs them in is immaterial.  The commit
    actions run in the order registered, which puts a new collection in place before
    the message that opened it advances it."""

    iq: Iq
    owner: JID
    now: datetime
    changes: Changes = field(default_factory=Changes)
    pushes: list[Iq] = field(default_factory=list)


#: A request's handler: it answers with the payload of the result (None: an empty
#: result), or raises _Refused.
_Handler: TypeAlias = Callable[["ArchiveServer", _Call, Any], Any]


@dataclass(frozen=True, slots=True)
class _Request:
    """A row of the request table.

    ``handlers``: the iq types the payload is sent in, each with its handler; none for
    an archiving element that asks for nothing (answered ``bad-request``).
    ``lenient``: the iq type the specifications' examples wrongly send it in, which a
    lenient server carries out as the right one.  ``why``: why its iq type is what it
    is, told to a client that sent another."""

    handlers: Mapping[IqType, _Handler]
    lenient: IqType | None = None
    why: str | None = None

    def __post_init__(self) -> None:
        if self.lenient is not None and len(self.handlers) != 1:
            raise ArgumentValueError("a request taken in a wrong iq type has one right one")

    def handler(self, kind: IqType, *, lenient: bool) -> _Handler | None:
        if lenient and kind is self.lenient:
            [right] = self.handlers.values()
            return right
        return self.handlers.get(kind)

    def wrong_type(self, name: str, kind: IqType) -> str:
        expected = "' or '".join(each.value for each in self.handlers)
        text = f"a <{name}/> request is sent in an iq of type '{expected}', not '{kind.value}'"
        return f"{text} ({self.why})" if self.why else text


def _element_name(kind: type) -> str:
    """The XML name of an archiving element class, for the texts of errors."""
    return str(kind.__dict__["__xml_codec__"].name)


# -- helpers -----------------------------------------------------------------------------------


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


def _rsa_of(pubkey: PubKey) -> RSAPublicKey:
    if pubkey.rsakey is not None:
        try:
            return RSAPublicNumbers(pubkey.rsakey.exponent, pubkey.rsakey.modulus).public_key()
        except ValueError as error:
            raise ArgumentValueError(f"the <rsakey/> is not a valid RSA public key: "
                                     f"{error}") from None
    if pubkey.key is None:
        raise ArgumentValueError("an empty <pubkey/> is a request for a key, not a key")
    try:
        loaded = serialization.load_der_public_key(pubkey.key)
    except ValueError as error:
        raise ArgumentValueError(f"the <key/> is not a DER SubjectPublicKeyInfo: "
                                 f"{error}") from None
    if not isinstance(loaded, RSAPublicKey):
        raise ArgumentValueError(f"the <key/> is a {type(loaded).__name__}; only RSA keys "
                                 "wrap archive keys")
    return loaded


def _time(now: object) -> datetime:
    if not isinstance(now, datetime):
        raise ProtocolError(f"the archive server keeps time: now is a datetime, not "
                            f"{type(now).__name__}")
    try:
        return utc(now)
    except ValueError as error:
        raise ProtocolError(str(error)) from None


# -- the machine ---------------------------------------------------------------------------------


class ArchiveServer:
    """The archiving service of a server (see ``docs/archive-server.md``).

    What arrives goes to :meth:`receive` (requests) and :meth:`archive_message` (the
    messages of the users' streams); :meth:`finish_collection`, :meth:`expire`,
    :meth:`stream_closed`, :meth:`close` and :meth:`publish_keys` are the caller's.
    Every one of them returns events.  Requests are dispatched by :attr:`_REQUESTS`,
    at the end of the request handlers below."""

    def __init__(self, store: ArchiveStore, *, namespace: str | None = None,
                 encryption: bool = True, lenient: bool = False,
                 random: Callable[[int], bytes] | None = None,
                 ids: Callable[[], str] | None = None, limits: Limits | None = None,
                 defaults: Defaults | None = None) -> None:
        if not isinstance(store, ArchiveStore):
            raise ArgumentTypeError(f"store must be an ArchiveStore, not "
                                    f"{type(store).__name__}")
        if namespace is not None and namespace not in NAMESPACES:
            raise ArgumentValueError(f"namespace must be None (both), {ARCHIVE!r} or "
                                     f"{ARCHIVE_TMP!r}, not {namespace!r}")
        if encryption and random is None:
            raise ArgumentValueError("server-side encryption needs a source of random "
                                     "octets: pass random=os.urandom (or encryption=False)")
        self._store = store
        self._namespace = namespace
        self._encryption = bool(encryption)
        self._lenient = bool(lenient)
        self._random = random
        self._limits = limits if limits is not None else Limits()
        self._defaults = defaults if defaults is not None else Defaults()
        self._ids = IdSource(ids, "archive")
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

    def auto_setting(self, stream: JID | str) -> AutoSetting:
        """The automatic-archiving setting in force for ``stream``: its own, else the
        account's global one, else off (on, unencrypted, when compulsory)."""
        stream = as_jid(stream, "stream")
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

    def open_collections(self, owner: JID | str | None = None) -> tuple[OpenCollection, ...]:
        """The collections being recorded (of ``owner``'s account, or all)."""
        account = as_jid(owner, "owner").bare if owner is not None else None
        return tuple(
            OpenCollection(owner=item.owner, with_=item.with_, start=item.start,
                           thread=item.thread, encrypted=item.encrypted,
                           key_name=item.key.name if item.key is not None else None,
                           last=item.last)
            for item in self._open.values() if account is None or item.owner == account)

    # -- routing ----------------------------------------------------------------------

    @staticmethod
    def accepts(stanza: object) -> bool:
        """Whether ``stanza`` is for this machine: an iq get or set whose payload is an
        archiving element (one of :attr:`payloads`)."""
        return (isinstance(stanza, Iq) and stanza.type in (IqType.GET, IqType.SET)
                and type(stanza.payload) in ArchiveServer._REQUESTS)

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

    def stream_feature(self, namespace: str | None = None) -> Feature:
        """The stream feature to advertise (XEP-0136 §Stream Feature): ``<default/>``
        inside when archiving is compulsory."""
        return Feature(namespace=namespace or self.namespaces[0], optional=True,
                       default=self._defaults.compulsory)

    # -- requests --------------------------------------------------------------------------

    def receive(self, stanza: object, *, now: datetime | None = None,
                owner: JID | str | None = None) -> list[Event]:
        """Answer one archiving request: a :class:`Send` of the answer, then one per
        push to the account's other interested resources.

        ``owner`` is the stream the request came over (the user's full JID; its bare
        JID names the account); by default the iq's ``from``, which the server stamps
        on what its clients send.  A result or error (the answer to a push) is
        :class:`Ignored`, and so is anything :meth:`accepts` refuses: not an iq, or
        not an archiving payload."""
        if not isinstance(stanza, Iq):
            return [Ignored(stanza, f"not an iq: a {type(stanza).__name__}")]
        iq = stanza
        if iq.type in (IqType.RESULT, IqType.ERROR):
            return [Ignored(iq, f"an iq {iq.type.value} answers a push; it is not answered")]
        payload = iq.payload
        request = self._REQUESTS.get(type(payload))
        if request is None:
            return [Ignored(iq, f"not an archiving request: {type(payload).__name__}")]
        when, stream = _time(now), self._owner(iq, owner)
        name = _element_name(type(payload))
        if not request.handlers:
            return [self._refusal(iq, Condition.BAD_REQUEST,
                                  f"a <{name}/> is not an archiving request")]
        if payload.namespace not in self.namespaces:
            return [self._refusal(iq, Condition.SERVICE_UNAVAILABLE,
                                  f"this server archives in {self.namespaces[0]} only")]
        handler = request.handler(iq.type, lenient=self._lenient)
        if handler is None:
            return [self._refusal(iq, Condition.BAD_REQUEST, request.wrong_type(name, iq.type))]
        call = _Call(iq, stream, when)
        try:
            # the store's transaction inside: it is undone before the memory is
            with call.changes.atomic(), self._store.transaction():
                answer = handler(self, call, payload)
        except _Refused as refusal:
            return [self._refusal(iq, refusal.condition, refusal.text)]
        return [Send(iq.result(answer)), *(Send(push) for push in call.pushes)]

    @staticmethod
    def _owner(iq: Iq, owner: JID | str | None) -> JID:
        if owner is not None:
            return as_jid(owner, "owner")
        if iq.from_ is None:
            raise ProtocolError("an iq without 'from' needs owner= (the full JID of the "
                                "stream that carried it)")
        return iq.from_

    @staticmethod
    def _refusal(iq: Iq, condition: Condition, text: str) -> Send:
        return Send(error_reply(iq, condition, text=text))

    # -- preferences ---------------------------------------------------------------------

    def _stored_prefs(self, owner: JID) -> Pref:
        stored = self._store.get_prefs(owner.bare)
        return stored if stored is not None else Pref(namespace=ARCHIVE)

    def _default(self, prefs: Pref) -> Default:
        if prefs.default is not None:
            return prefs.default
        return Default(otr=self._defaults.otr, save=self._defaults.save, unset=True)

    def _pref_get(self, call: _Call, request: Pref) -> Pref:
        if request.auto or request.default or request.items or request.sessions \
                or request.methods:
            raise _Refused(Condition.BAD_REQUEST, "a <pref/> get is empty; to change "
                           "preferences, send an iq 'set'")
        owner, namespace = call.owner, request.namespace
        prefs = self._stored_prefs(owner)
        setting = self.auto_setting(owner)
        auto = Auto(namespace=namespace, save=setting.save,
                    scope=setting.scope if setting.save or setting.scope is Scope.GLOBAL
                    else None,
                    encrypt=True if setting.encrypt else None)
        call.changes.on_commit(partial(self._subscribers.__setitem__, owner, namespace))
        return Pref(namespace=namespace, auto=auto, default=self._default(prefs),
                    items=prefs.items, sessions=prefs.sessions,
                    methods=_all_methods(prefs.methods))

    def _pref_set(self, call: _Call, request: Pref) -> None:
        if not (request.auto or request.default or request.items or request.sessions
                or request.methods):
            raise _Refused(Condition.BAD_REQUEST, "a <pref/> set names at least one "
                           "preference to change")
        owner = call.owner
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
        stored = Pref(namespace=ARCHIVE, auto=prefs.auto, default=new_default,
                      items=tuple(items.values()), sessions=tuple(sessions.values()),
                      methods=tuple(methods[kind] for kind in MethodType if kind in methods))
        self._store.put_prefs(owner.bare, stored)
        if request.auto is not None:
            # applied as an <auto/> request of its own, and not pushed
            self._auto(call, request.auto)
        if request.default or request.items or request.sessions or request.methods:
            self._push(call, lambda ns: Pref(
                namespace=ns,
                default=new_default if request.default is not None else None,
                items=tuple(changed_items), sessions=tuple(changed_sessions),
                methods=_all_methods(stored.methods) if request.methods else ()))

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

    def _push(self, call: _Call, build: Callable[[str], Any]) -> None:
        """Push ``build(namespace)`` to every resource of the account that asked for
        the preferences, in the namespace it asked in."""
        call.pushes.extend(
            Iq(type=IqType.SET, id=self._ids(), to=resource, extensions=(build(namespace),))
            for resource, namespace in self._subscribers.items()
            if resource.bare == call.owner.bare)

    def _forget(self, call: _Call, request: ItemRemove | SessionRemove) -> None:
        """``<itemremove/>``, ``<sessionremove/>``: forget the entries named (one that
        does not exist is no error), and push the request as it came, since XEP-0136
        has no other way to tell a resource that an entry went."""
        prefs = self._stored_prefs(call.owner)
        if isinstance(request, ItemRemove):
            jids = {item.jid for item in request.items}
            kept = replace(prefs, items=tuple(item for item in prefs.items
                                              if item.jid not in jids))
        else:
            threads = {session.thread for session in request.sessions}
            kept = replace(prefs, sessions=tuple(session for session in prefs.sessions
                                                 if session.thread not in threads))
        if kept != prefs:
            self._store.put_prefs(call.owner.bare, kept)
        self._push(call, lambda namespace: replace(request, namespace=namespace))

    # -- automatic archiving: the setting ----------------------------------------------------

    def _auto(self, call: _Call, request: Auto) -> None:
        owner = call.owner
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
        # In memory at once, since what follows asks whether the account still
        # archives; undone if the request fails.
        previous = self._streams.get(owner)
        self._streams[owner] = setting
        call.changes.on_undo(partial(self._put_setting, owner, previous))
        # The collections being recorded follow the new setting.
        for item in [each for each in self._open.values() if each.owner == account]:
            if not setting.save:
                if not self._auto_active(account):
                    self._finish_later(call.changes, item, FinishReason.AUTO_OFF)
            elif not setting.encrypt:
                if item.encrypted:
                    self._finish_later(call.changes, item, FinishReason.ENCRYPTION_CHANGED)
            elif not item.encrypted:
                self._encrypt_in_place(call, item, setting)
            else:
                self._wrap_for_new(call.changes, item, setting)

    def _put_setting(self, stream: JID, setting: AutoSetting | None) -> None:
        if setting is None:
            self._streams.pop(stream, None)
        else:
            self._streams[stream] = setting

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
        return _usable(self._store.get_public_keys(owner.bare))

    def _recipients(self, owner: JID, setting: AutoSetting) -> list[PublicKey]:
        found: dict[str, PublicKey] = {}
        for key in [*self._published(owner), *_usable(setting.key_infos)]:
            found.setdefault(key.name, key)
        return list(found.values())

    def _finish_later(self, changes: Changes, item: _Open, reason: FinishReason) -> None:
        """Finish ``item`` once the request succeeds.  A request answers with stanzas
        only, so the :class:`CollectionFinished` is not told."""

        def finish() -> None:
            self._finish(item, reason)

        changes.on_commit(finish)

    def _finish(self, item: _Open, reason: FinishReason) -> CollectionFinished:
        encrypted = item.encrypted
        item.take(RecordingStep.FINISH)
        if self._open.get(item.slot) is item:
            del self._open[item.slot]
        key, item.key = item.key, None
        if key is not None:
            key.destroy()
        del key
        return CollectionFinished(owner=item.owner, with_=item.with_, start=item.start,
                                  reason=reason, encrypted=encrypted)

    def _new_key(self, changes: Changes) -> SymmetricKey:
        """A fresh symmetric key, destroyed again if the step that made it fails."""
        assert self._random is not None
        name = "archive-" + base64.urlsafe_b64encode(self._random(12)).decode("ascii")
        key = new_symmetric_key(name, random=self._random)
        changes.on_undo(key.destroy)
        return key

    def _encrypt(self, entries: Sequence[Entry | Note], key: SymmetricKey,
                 namespace: str) -> EncryptedData:
        assert self._random is not None
        return encrypt_entries(entries, key, namespace=namespace, random=self._random)

    @staticmethod
    def _wrap(key: SymmetricKey, recipients: Iterable[PublicKey]) -> list[EncryptedKey]:
        return [wrap_key(key, recipient) for recipient in recipients]

    def _encrypt_in_place(self, call: _Call, item: _Open, setting: AutoSetting) -> None:
        """Encrypt what a collection being recorded holds so far, and go on encrypted."""
        record = self._store.get_collection(item.owner, item.with_, item.start)
        if record is None:
            self._finish_later(call.changes, item, FinishReason.REMOVED)
            return
        if record.encrypted:  # encrypted content uploaded by a client: start afresh
            self._finish_later(call.changes, item, FinishReason.ENCRYPTION_CHANGED)
            return
        recipients = self._recipients(item.owner, setting)
        key = self._new_key(call.changes)
        entries = [each for each in self._store.get_items(item.owner, item.with_, item.start)
                   if isinstance(each, Entry | Note)]
        items: list[ArchiveItem] = [self._encrypt(entries, key, item.namespace)] if entries \
            else []
        self._store.replace_items(item.owner, item.with_, item.start, items)
        self._store.add_keys(item.owner, item.with_, item.start, self._wrap(key, recipients))
        record = replace(record, version=record.version + 1, item_count=len(items),
                         size=sum(_size(each) for each in items), encrypted=True)
        self._store.put_collection(record)
        self._store.log_change(item.owner, ChangeKind.CHANGED, item.with_, item.start,
                               record.version, call.now)
        names = {recipient.name for recipient in recipients}

        def adopt() -> None:
            item.take(RecordingStep.ENCRYPT)
            item.key, item.recipients = key, names

        call.changes.on_commit(adopt)

    def _wrap_for_new(self, changes: Changes, item: _Open, setting: AutoSetting) -> None:
        """Wrap an open collection's key for recipients it is not wrapped for yet (they
        count as wrapped for once the step commits)."""
        if item.key is None:
            return
        new = {recipient.name: recipient for recipient in self._recipients(item.owner, setting)
               if recipient.name not in item.recipients}
        if not new:
            return
        self._store.add_keys(item.owner, item.with_, item.start,
                             self._wrap(item.key, new.values()))

        def wrapped() -> None:
            item.take(RecordingStep.WRAP)
            item.recipients.update(new)

        changes.on_commit(wrapped)

    # -- manual archiving --------------------------------------------------------------------

    def _save(self, call: _Call, request: Save) -> Save:
        chat = request.chat
        namespace = request.namespace
        account = call.owner.bare
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
                                   record.version, call.now)
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

    @staticmethod
    def _result_set(total: int, page_size: int, request: ResultSet | None,
                    answer: ResultSet) -> ResultSet | None:
        """The ``<set/>`` of an answer: none for an empty result, and none when the
        client asked for no paging and got everything."""
        if total == 0:
            return None
        if request is None and page_size == total:
            return None
        return answer

    @staticmethod
    def _summary(record: CollectionRecord, namespace: str) -> Chat:
        return Chat(namespace=namespace, with_=record.with_, start=record.start,
                    subject=record.subject, thread=record.thread, version=record.version,
                    crypt=True if _crypt(record) else None)

    def _list(self, call: _Call, request: ListQuery) -> ListQuery:
        records = self._store.find_collections(
            call.owner.bare, with_=request.with_, exactmatch=bool(request.exactmatch),
            start=request.start, end=request.end)
        page, answer = self._page(records, request.rsm, _record_uid)
        namespace = request.namespace
        return ListQuery(namespace=namespace,
                         chats=tuple(self._summary(record, namespace) for record in page),
                         rsm=self._result_set(len(records), len(page), request.rsm, answer))

    def _retrieve(self, call: _Call, request: Retrieve) -> Chat:
        account = call.owner.bare
        record = self._existing(account, request.with_, request.start)
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

    def _existing(self, account: JID, with_: JID, start: datetime) -> CollectionRecord:
        record = self._store.get_collection(account, with_, start)
        if record is None:
            raise _Refused(Condition.ITEM_NOT_FOUND,
                           f"there is no collection with {with_} started at "
                           f"{format_datetime(utc(start))}")
        return record

    def _modified(self, call: _Call, request: Modified) -> Modified:
        changes = self._store.get_changes(call.owner.bare, request.start)
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

    def _keys(self, call: _Call, request: Keys) -> Keys:
        found = self._store.find_keys(call.owner.bare, request.key_names or None)
        page, answer = self._page(found, request.rsm, lambda entry: _record_uid(entry[0]))
        namespace = request.namespace
        return Keys(namespace=namespace, key_names=(),
                    chats=tuple(Chat(namespace=namespace, with_=record.with_,
                                     start=record.start, version=record.version,
                                     encrypted_keys=tuple(keys))
                                for record, keys in page),
                    rsm=self._result_set(len(found), len(page), request.rsm, answer))

    # -- changing the archive --------------------------------------------------------------------

    def _remove(self, call: _Call, request: Remove) -> None:
        account = call.owner.bare
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
                                   record.version, call.now)
            removed.add((record.with_, record.start))
        for item in list(self._open.values()):
            if item.owner == account and (item.with_, item.start) in removed:
                self._finish_later(call.changes, item, FinishReason.REMOVED)

    def _delete(self, call: _Call, request: Delete) -> None:
        account = call.owner.bare
        record = self._existing(account, request.with_, request.start)
        if self._store.delete_keys(account, record.with_, record.start, request.key_names):
            record = replace(record, version=record.version + 1)
            self._store.put_collection(record)
            self._store.log_change(account, ChangeKind.CHANGED, record.with_, record.start,
                                   record.version, call.now)
            names = set(request.key_names)
            for item in self._open.values():
                if item.owner == account and (item.with_, item.start) == (record.with_,
                                                                           record.start):
                    # the next message wraps the key again for those still published
                    call.changes.on_commit(partial(item.recipients.difference_update, names))

    #: The request table: each archiving payload with the iq types it is sent in and the
    #: handler of each.  The dispatch, the check of the iq type and the error for a
    #: wrong one all read it; an element that asks for nothing has no handler.
    _REQUESTS: ClassVar[Mapping[type, _Request]] = types.MappingProxyType({
        Pref: _Request({IqType.GET: _pref_get, IqType.SET: _pref_set}),
        ItemRemove: _Request({IqType.SET: _forget}),
        SessionRemove: _Request({IqType.SET: _forget}),
        Auto: _Request({IqType.SET: _auto}),
        Save: _Request({IqType.SET: _save}),
        ListQuery: _Request({IqType.GET: _list}),
        Retrieve: _Request({IqType.GET: _retrieve}),
        Remove: _Request({IqType.SET: _remove}),
        Modified: _Request({IqType.GET: _modified}),
        Keys: _Request({IqType.GET: _keys}),
        # XEP-0241 §6 sends it as a 'get' (see the errata in docs/archive-server.md)
        Delete: _Request({IqType.SET: _delete}, lenient=IqType.GET,
                         why="it removes keys from the archive, and RFC 6120 §8.2.3 makes "
                             "a 'get' change nothing"),
        Chat: _Request({}),
        Feature: _Request({}),
    })
    #: The iq payloads the server answers, as a Router needs them.
    payloads: ClassVar[tuple[type, ...]] = tuple(_REQUESTS)

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

    def archive_message(self, message: Message, *, owner: JID | str,
                        direction: Direction | str, now: datetime) -> list[Event]:
        """Archive ``message``, which passed over the stream of ``owner`` (the user's
        full JID), if automatic archiving says so."""
        if not isinstance(message, Message):
            raise ProtocolError(f"archive_message takes a Message, not {type(message).__name__}")
        stream = as_jid(owner, "owner")
        now = _time(now)
        direction = Direction(direction)
        account = stream.bare
        setting = self.auto_setting(stream)
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
        changes = Changes()
        with changes.atomic(), self._store.transaction():
            self._archive(entry, account, peer, thread, setting, now, events, changes)
        return events

    @staticmethod
    def _entry(message: Message, direction: Direction, mode: SaveMode, groupchat: bool,
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
                 changes: Changes) -> None:
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
                                                 changes)
            changes.on_commit(partial(self._open.__setitem__, item.slot, item))
        assert record is not None
        total = max(0, int((now - item.start).total_seconds() + 0.5))
        secs = max(0, total - item.elapsed)
        entry = replace(entry, secs=secs)
        stored: ArchiveItem = entry
        if item.encrypted:
            assert item.key is not None
            self._wrap_for_new(changes, item, setting)
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
            opened.take(RecordingStep.MESSAGE)
            opened.elapsed += secs
            opened.last = max(opened.last, now)

        changes.on_commit(advance)
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
                         changes: Changes) -> tuple[_Open, CollectionRecord]:
        start = now
        while self._store.get_collection(account, peer, start) is not None:
            start += timedelta(milliseconds=1)  # (with, start) identifies a collection
        record = CollectionRecord(owner=account, with_=peer, start=start, thread=thread)
        recipients = self._recipients(account, setting) if setting.encrypt else []
        key = self._new_key(changes) if recipients else None
        item = _Open(owner=account, with_=peer, start=start, thread=thread,
                     namespace=self._namespace or ARCHIVE, last=now,
                     state=Recording.ENCRYPTED if key is not None else Recording.PLAIN,
                     key=key, recipients={recipient.name for recipient in recipients})
        if key is not None:
            record = replace(record, encrypted=True)
            self._store.put_collection(record)
            self._store.add_keys(account, peer, start, self._wrap(key, recipients))
        else:
            self._store.put_collection(record)
        events.append(CollectionOpened(owner=account, with_=peer, start=start, thread=thread,
                                       key_name=key.name if key is not None else None))
        return item, record

    def finish_collection(self, owner: JID | str, with_: JID | str, *,
                          now: datetime) -> list[Event]:
        """Finish the collections being recorded between ``owner``'s account and
        ``with_`` (every thread); their keys are destroyed.  Nothing being recorded:
        ``[]``."""
        _time(now)
        account, peer = as_jid(owner, "owner").bare, as_jid(with_, "with_").bare
        return [self._finish(item, FinishReason.REQUESTED)
                for item in list(self._open.values())
                if item.owner == account and item.with_ == peer]

    def expire(self, now: datetime) -> list[Event]:
        """Finish every collection idle for longer than
        :attr:`Limits.collection_timeout`."""
        now = _time(now)
        limit = timedelta(seconds=self._limits.collection_timeout)
        return [self._finish(item, FinishReason.IDLE) for item in list(self._open.values())
                if now - item.last > limit]

    def stream_closed(self, jid: JID | str, *, now: datetime) -> list[Event]:
        """The stream of ``jid`` is closed: its automatic-archiving setting and push
        registration end; if no stream of the account archives any more, its
        collections being recorded are finished."""
        _time(now)
        stream = as_jid(jid, "jid")
        self._subscribers.pop(stream, None)
        if self._streams.pop(stream, None) is None or self._auto_active(stream.bare):
            return []
        return [self._finish(item, FinishReason.STREAM_CLOSED)
                for item in list(self._open.values()) if item.owner == stream.bare]

    def close(self, now: datetime) -> list[Event]:
        """Finish every collection being recorded (destroying every key): call it
        before the server shuts down."""
        _time(now)
        return [self._finish(item, FinishReason.SHUTDOWN) for item in list(self._open.values())]

    # -- public keys ---------------------------------------------------------------------------

    def publish_keys(self, owner: JID | str, keys: Iterable[PubKey | KeyInfo | PublicKey], *,
                     now: datetime | None = None) -> list[Event]:
        """Record the public keys ``owner``'s account publishes (XEP-0189), replacing
        those recorded before; one :class:`KeysPublished` says what is stored.

        A ``<pubkey/>`` (either shape) becomes a ``<KeyInfo/>`` named by
        :func:`xepcodec.crypto.key_name` (the name a client's
        :func:`~xepcodec.crypto.decrypt_collection` looks for by default); with ``now``,
        a ``<pubkey/>`` outside its validity period is left out.  A ``<KeyInfo/>`` is
        kept as it is; a :class:`~xepcodec.crypto.PublicKey` becomes its
        :meth:`~xepcodec.crypto.PublicKey.key_info`.  ArgumentValueError for a
        ``<pubkey/>`` that is a request or whose key is not RSA.
        """
        when = _time(now) if now is not None else None
        account = as_jid(owner, "owner").bare
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
                raise ArgumentTypeError(f"a published key is a PubKey, KeyInfo or PublicKey, "
                                        f"not {type(key).__name__}")
        self._store.set_public_keys(account, infos)
        return [KeysPublished(owner=account, keys=tuple(infos))]

    # -- persistence ---------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything the server holds outside the store, as a JSON-safe dict, without
        any key.  Changes nothing."""
        state = _Saved(
            namespace=self._namespace, encryption=self._encryption, lenient=self._lenient,
            limits=self._limits, defaults=self._defaults,
            next_id=self._ids.saved,
            streams=dict(self._streams), subscribers=dict(self._subscribers),
            open=tuple(_Recorded(owner=item.owner, with_=item.with_, start=item.start,
                                 thread=item.thread, namespace=item.namespace,
                                 last=item.last, elapsed=item.elapsed,
                                 encrypted=item.encrypted)
                       for item in self._open.values()))
        return _SNAPSHOT.seal(to_json(state))

    @classmethod
    def restore(cls, data: object, store: ArchiveStore, *,
                random: Callable[[int], bytes] | None = None,
                ids: Callable[[], str] | None = None) -> ArchiveServer:
        """A server with the state of a :meth:`snapshot`, over ``store`` (the same
        data the snapshotted server used).  Collections recorded in plain text go on;
        encrypted ones are finished, since their keys lived only in the memory of the
        server that made the snapshot.  A snapshot that is not one raises
        ArgumentValueError."""
        with _SNAPSHOT.reading():
            version, fields = _SNAPSHOT.open(data)
            state: _Saved = from_json(_Saved, _from_version_1(fields) if version == 1
                                      else fields)
            if state.encryption and random is None:
                raise ValueError("the server encrypted; restore it with random=os.urandom")
            server = cls(store, namespace=state.namespace, encryption=state.encryption,
                         lenient=state.lenient, random=random, ids=ids, limits=state.limits,
                         defaults=state.defaults)
            server._ids.resume(state.next_id)
            server._streams.update(state.streams)
            for jid, namespace in state.subscribers.items():
                if namespace not in NAMESPACES:
                    raise ValueError(f"{namespace!r} is not an archiving namespace")
                server._subscribers[jid] = namespace
            for saved in state.open:
                if saved.encrypted:
                    continue  # its key died with the server that made the snapshot
                item = _Open(owner=saved.owner.bare, with_=saved.with_,
                             start=utc(saved.start), thread=saved.thread,
                             namespace=saved.namespace, last=utc(saved.last),
                             state=Recording.PLAIN, elapsed=saved.elapsed)
                if store.get_collection(item.owner, item.with_, item.start) is not None:
                    server._open[item.slot] = item
        return server

    def __repr__(self) -> str:
        return (f"<ArchiveServer {'+'.join(self.namespaces)} "
                f"{'encrypting' if self._encryption else 'plain'} "
                f"{len(self._open)} open>")


def _usable(infos: Iterable[KeyInfo]) -> list[PublicKey]:
    """The public keys among ``infos`` that are usable RSA keys (others are skipped)."""
    keys: list[PublicKey] = []
    for info in infos:
        try:
            keys.append(PublicKey.from_key_value(info, confirmed=True))
        except CryptoError:
            continue
    return keys
