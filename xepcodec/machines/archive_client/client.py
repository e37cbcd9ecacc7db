"""The archive client machine: one account's XEP-0136 archiving with XEP-0241
encryption, its flows wired together, the request table and the snapshot."""

from __future__ import annotations

import base64
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from xepcodec.core.stanza_errors import StanzaError
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.crypto import AES256_GCM, RSA_OAEP, PublicKey
from xepcodec.crypto.algorithms import CIPHERS, KEY_TRANSPORTS, is_legacy
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError
from xepcodec.machines.archive_client.events import (
    CollectionsListed,
    RequestKind,
    ServerSupport,
)
from xepcodec.machines.archive_client.preferences import PreferencesFlow
from xepcodec.machines.archive_client.rekey import Rekey, RekeyFlow, RekeyState
from xepcodec.machines.archive_client.requests import (
    AutoRequest,
    Context,
    DiscoRequest,
    KeysRequest,
    ListRequest,
    Pending,
    RekeyDelete,
    RekeySave,
    RemoveRequest,
    Requests,
    RetrieveRequest,
    SaveRequest,
    UploadChunk,
)
from xepcodec.machines.archive_client.retrieve import Retrieval, RetrieveFlow
from xepcodec.machines.archive_client.shared import Settings, Shared, failed, private_key_name
from xepcodec.machines.archive_client.snapshot_v1 import from_version_1
from xepcodec.machines.archive_client.upload import Upload, UploadFlow
from xepcodec.machines.base import (
    Event,
    IdSource,
    Ignored,
    Send,
    SnapshotFormat,
    as_jid,
    from_json,
    register_json,
    to_json,
)
from xepcodec.protocols.archive import (
    ARCHIVE,
    FEATURE_ENCRYPT_SUFFIX,
    NAMESPACES,
    Entry,
    Link,
    Note,
    Scope,
    feature,
)
from xepcodec.protocols.dataforms import Form
from xepcodec.protocols.disco import InfoQuery

__all__ = ["DEFAULT_MAX_STANZA_BYTES", "ArchiveClient"]

#: The default size limit of one serialized iq, in bytes: a common server default
#: (servers are often configured between 64 KiB and 256 KiB).
DEFAULT_MAX_STANZA_BYTES: Final = 65_536
#: No limit lower than this is accepted: the smallest save must fit.
_MIN_STANZA_BYTES: Final = 1024

SNAPSHOT: Final = SnapshotFormat("xepcodec.archive-client", 2, readable=frozenset({1}))


def _public_key_from_der(data: Any) -> RSAPublicKey:
    if not isinstance(data, str):
        raise ValueError(f"expected a Base64 DER public key, got {data!r}")
    loaded = serialization.load_der_public_key(base64.b64decode(data, validate=True))
    if not isinstance(loaded, RSAPublicKey):
        raise ValueError("the saved public key is not an RSA key")
    return loaded


def _public_key_to_der(key: RSAPublicKey) -> str:
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


# A key replacement saves its new public key (never a private one).
register_json(RSAPublicKey, _public_key_to_der, _public_key_from_der)


_Handler = Callable[[Pending, Iq, "StanzaError | None"], "list[Event]"]


@dataclass(frozen=True, slots=True)
class ClientState:
    """What a snapshot holds: the settings, the id counter, and every flow's state."""

    settings: Settings
    next_id: int | None
    pending: tuple[Pending, ...]
    uploads: dict[str, Upload]
    retrievals: tuple[Retrieval, ...]
    rekey: Rekey | None


class ArchiveClient:
    """The archiving client of one account (see ``docs/archiving.md``).

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

    Every method returns a list of events: each iq to send is a :class:`Send`.
    """

    #: A client answers no request.
    payloads: ClassVar[tuple[type, ...]] = ()

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
        settings = Settings(as_jid(jid, "jid"), namespace,
                            None if service is None else as_jid(service, "service"),
                            max_stanza_bytes, algorithm, key_transport, allow_legacy, lenient)
        self._ids = IdSource(ids, "arc")
        self._shared = Shared(settings, self._ids, random, Requests())
        # Key replacement hears where this client's own uploads put keys, and waits for
        # those still under way: the only ties between the flows.
        self._upload = UploadFlow(self._shared, own_keys=lambda own: self._rekey.own_keys(own))
        self._retrieve = RetrieveFlow(self._shared)
        self._preferences = PreferencesFlow(self._shared)
        self._rekey = RekeyFlow(self._shared, self._upload.own_keys_in_flight)
        #: The request table: what answers each kind of request, by its context's type.
        self._answers: Mapping[type[Context], _Handler] = {
            DiscoRequest: _on_disco,
            UploadChunk: self._upload.on_chunk,
            SaveRequest: self._upload.on_save,
            AutoRequest: self._preferences.on_auto,
            ListRequest: self._retrieve.on_list,
            RetrieveRequest: self._retrieve.on_retrieve,
            RemoveRequest: self._retrieve.on_remove,
            KeysRequest: self._rekey.on_keys,
            RekeySave: self._rekey.on_step,
            RekeyDelete: self._rekey.on_step,
        }

    # -- reading ------------------------------------------------------------------------

    @property
    def jid(self) -> JID:
        return self._shared.settings.jid

    @property
    def namespace(self) -> str:
        return self._shared.namespace

    @property
    def max_stanza_bytes(self) -> int:
        return self._shared.limit

    @property
    def in_flight(self) -> tuple[Iq, ...]:
        """The iqs sent and not answered yet, in the order they were sent."""
        return tuple(each.iq for each in self._shared.requests)

    @property
    def rekey_state(self) -> RekeyState | None:
        """Where key replacement stands, or None when it is not running."""
        return self._rekey.state

    @property
    def keys_needed(self) -> tuple[str, ...]:
        """The names of the private keys that waiting steps need (see
        :class:`PrivateKeyNeeded`)."""
        return tuple(dict.fromkeys([*self._rekey.keys_needed, *self._retrieve.keys_needed]))

    def is_idle(self) -> bool:
        """Whether nothing is in flight, waiting to be sent, or waiting for a key."""
        return not (len(self._shared.requests) or self._upload.uploads
                    or self._retrieve.retrievals or self._rekey.rekey)

    # -- the machine protocol -----------------------------------------------------------

    def accepts(self, stanza: object) -> bool:
        """Whether ``stanza`` answers one of the requests in flight (what :meth:`receive`
        does not ignore)."""
        return isinstance(self._triage(stanza), Pending)

    def disco_features(self) -> tuple[str, ...]:
        """A client serves nothing, so it adds no feature."""
        return ()

    # -- keys ---------------------------------------------------------------------------

    def provide_private_key(self, private_key: RSAPrivateKey, *,
                            name: str | None = None) -> list[Event]:
        """Hold ``private_key`` (in memory only, never in a snapshot) under ``name``,
        the name of its public key (by default :func:`~xepcodec.crypto.key_name`), and
        carry on with the steps that waited for it."""
        if not isinstance(private_key, RSAPrivateKey):
            raise TypeError("a private key is an RSA private key of cryptography")
        label = private_key_name(private_key) if name is None else name
        waited = label in self._rekey.keys_needed
        self._shared.keyring[label] = private_key
        events = self._rekey.keys_provided() if waited else []
        return events + self._retrieve.key_provided(label)

    def forget_private_key(self, name: str) -> None:
        """Drop the private key held under ``name`` (nothing if there is none)."""
        self._shared.keyring.pop(name, None)

    # -- what the caller asks -------------------------------------------------------------

    def discover(self) -> list[Event]:
        """Ask the account's server for its disco#info (the answer is a
        :class:`ServerSupport`)."""
        shared = self._shared
        settings = shared.settings
        target = settings.service if settings.service is not None else settings.jid.domain_jid
        iq = shared.iq(IqType.GET, InfoQuery(), to=target)
        return [Send(shared.track(iq, DiscoRequest()))]

    def upload(self, with_: JID | str, start: datetime, entries: Iterable[Entry | Note], *,
               recipients: Sequence[PublicKey] = (), encrypt: bool = True,
               key_name: str | None = None, subject: str | None = None,
               subject_acknowledged: bool = False, thread: str | None = None,
               links: Sequence[Link] = ()) -> list[Event]:
        """Upload messages and notes to a collection (created if new, appended to if
        not), encrypted for ``recipients`` (confirmed public keys of the user's; every
        one gets an ``EncryptedKey``) unless ``encrypt=False``.

        The content is cut into ``save`` iqs under :attr:`max_stanza_bytes`; the first
        (with the keys, ``subject``, ``thread`` and ``links``) is returned, each later
        one follows as a :class:`Send` once the previous one is acknowledged.
        ``key_name`` names the new symmetric key (by default a random name).  A subject
        on an encrypted upload needs ``subject_acknowledged=True``
        (:class:`SubjectNotAcknowledgedError`).  :class:`StanzaTooLargeError` when one
        message cannot fit in an iq on its own."""
        return self._upload.upload(with_, start, entries, recipients=recipients,
                                   encrypt=encrypt, key_name=key_name, subject=subject,
                                   subject_acknowledged=subject_acknowledged, thread=thread,
                                   links=links)

    def change_subject(self, with_: JID | str, start: datetime, subject: str, *,
                       encrypted: bool = True, subject_acknowledged: bool = False
                       ) -> list[Event]:
        """Set the subject of an existing collection.  Unless the caller states the
        collection is not encrypted (``encrypted=False``), the subject needs
        ``subject_acknowledged=True`` (:class:`SubjectNotAcknowledgedError`)."""
        return self._upload.change_subject(with_, start, subject, encrypted=encrypted,
                                           subject_acknowledged=subject_acknowledged)

    def set_form(self, with_: JID | str, start: datetime, form: Form, *,
                 recipients: Sequence[PublicKey] = (), encrypt: bool = True,
                 key_name: str | None = None) -> list[Event]:
        """Attach an x:data form of attributes to a collection (replacing any form it
        has).  Encrypted (the default) as XEP-0241 shows: the form's fields go into an
        ``EncryptedData`` inside an otherwise empty form of type ``submit``, with an
        ``EncryptedKey`` per recipient beside it."""
        return self._upload.set_form(with_, start, form, recipients=recipients,
                                     encrypt=encrypt, key_name=key_name)

    def remove_form(self, with_: JID | str, start: datetime) -> list[Event]:
        """Remove the collection's form by uploading an empty one (XEP-0241 §2; the
        server answers without error when there is none)."""
        return self._upload.remove_form(with_, start)

    def enable_auto(self, *, encrypt: bool = True, public_keys: Sequence[PublicKey] = (),
                    scope: Scope | None = None) -> list[Event]:
        """Turn automatic archiving on, encrypted by the server by default, optionally
        with ``public_keys`` (confirmed keys of the user's) the server wraps its keys
        for besides the ones the user publishes."""
        return self._preferences.enable_auto(encrypt=encrypt, public_keys=public_keys,
                                             scope=scope)

    def disable_auto(self, *, scope: Scope | None = None) -> list[Event]:
        """Turn automatic archiving off."""
        return self._preferences.disable_auto(scope=scope)

    def list_collections(self, *, with_: JID | str | None = None, start: datetime | None = None,
                         end: datetime | None = None, exactmatch: bool | None = None,
                         page_size: int = 30, after: str | None = None) -> list[Event]:
        """Ask for one page of the list of collections (``page_size`` at most, after the
        item ``after`` if given); the answer is a :class:`CollectionsListed`."""
        return self._retrieve.list_collections(with_=with_, start=start, end=end,
                                               exactmatch=exactmatch, page_size=page_size,
                                               after=after)

    def list_next(self, listing: CollectionsListed) -> list[Event]:
        """Ask for the page after ``listing`` (ProtocolError if it was the last)."""
        return self._retrieve.list_next(listing)

    def retrieve(self, with_: JID | str, start: datetime, *,
                 private_key: RSAPrivateKey | None = None, private_key_name: str | None = None,
                 key_names: Sequence[str] = (), page_size: int = 20) -> list[Event]:
        """Retrieve a collection, page after page (``page_size`` items each), and decrypt
        it with ``private_key`` (held in memory from now on, under ``private_key_name``,
        by default :func:`~xepcodec.crypto.key_name` of its public key).

        ``key_names`` asks the server for the ``EncryptedKey`` elements of these public
        keys only.  Without a private key, encrypted content is decrypted with whatever
        matching key :meth:`provide_private_key` gave, or reported as
        :class:`DecryptionFailed`.  ProtocolError if the collection is being retrieved
        already."""
        return self._retrieve.retrieve(with_, start, private_key=private_key,
                                       private_key_name=private_key_name,
                                       key_names=key_names, page_size=page_size)

    def remove_collection(self, with_: JID | str, start: datetime) -> list[Event]:
        """Remove one collection (the answer is a :class:`RemovalDone`)."""
        return self._retrieve.remove_collection(with_, start)

    def start_rekey(self, old_key_name: str, new_key: PublicKey, *,
                    old_private_key: RSAPrivateKey | None = None,
                    new_private_key: RSAPrivateKey | None = None,
                    page_size: int = 50) -> list[Event]:
        """Replace every ``EncryptedKey`` wrapped for the public key ``old_key_name`` with
        one wrapped for ``new_key`` (confirmed), then delete the old ones (see
        ``docs/archiving.md``).  ``old_private_key`` is held in memory under
        ``old_key_name``, ``new_private_key`` (needed only to check keys the server
        already holds for the new public key) under the new key's name.  ProtocolError
        when a replacement is running already."""
        return self._rekey.start(old_key_name, new_key, old_private_key=old_private_key,
                                 new_private_key=new_private_key, page_size=page_size)

    def cancel_rekey(self) -> list[Event]:
        """Stop the key replacement, whatever its state: the machine sends nothing more
        for it and forgets its iqs in flight (their answers are then :class:`Ignored`).
        Returns a :class:`RekeyCancelled`, which says what those iqs may still do on
        the server (nothing that loses a key: see there).  ``start_rekey`` may start
        it again; keys saved meanwhile are recognized.  ProtocolError when no key
        replacement is running."""
        return self._rekey.cancel()

    def resend(self) -> list[Event]:
        """The iqs in flight, with their ids, to send again after a reconnection or a
        restart (an answer that then comes twice is ignored the second time)."""
        return [Send(iq) for iq in self.in_flight]

    # -- answers ---------------------------------------------------------------------------

    def receive(self, stanza: object, *, now: datetime | None = None) -> list[Event]:
        """Process one received stanza: an answer to a request in flight becomes events
        (among them :class:`Send` for the iqs that follow); anything else is
        :class:`Ignored`.  ``now`` is not used: the client keeps no time."""
        found = self._triage(stanza)
        if isinstance(found, Ignored):
            return [found]
        assert isinstance(stanza, Iq)
        self._shared.requests.take(stanza.id)
        error = stanza.error if stanza.type is IqType.ERROR else None
        return self._answers[type(found.context)](found, stanza, error)

    def _triage(self, stanza: object) -> Pending | Ignored:
        """The request ``stanza`` answers, or why it is ignored."""
        if not isinstance(stanza, Iq):
            return Ignored(stanza, "not an iq: the archive client only reads answers")
        if stanza.type not in (IqType.RESULT, IqType.ERROR) and not self._lenient_disco(stanza):
            return Ignored(stanza, f"an iq {stanza.type} is a request; the archive client "
                                   "answers none")
        pending = self._shared.requests.get(stanza.id)
        if pending is None:
            return Ignored(stanza, f"answers no request in flight (id {stanza.id!r}); a late "
                                   "or repeated answer")
        if not (self._from_server(stanza.from_) or stanza.from_ == pending.iq.to):
            return Ignored(stanza, f"comes from {stanza.from_}, not from the account's server")
        return pending

    def _from_server(self, sender: JID | None) -> bool:
        if sender is None:
            return True
        settings = self._shared.settings
        jid = settings.jid
        return sender in (jid, jid.bare, jid.domain_jid, settings.service)

    def _lenient_disco(self, stanza: Iq) -> bool:
        """Whether, in the lenient mode, ``stanza`` is the disco#info answer XEP-0136
        and XEP-0241 show: an iq ``get`` with the request's id and a disco#info query
        that lists features."""
        pending = self._shared.requests.get(stanza.id)
        query = stanza.payload
        return (self._shared.settings.lenient and stanza.type is IqType.GET
                and pending is not None and isinstance(pending.context, DiscoRequest)
                and isinstance(query, InfoQuery) and bool(query.feature_vars))

    # -- persistence -----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The whole state as a JSON-safe dict (no private key, no symmetric key)."""
        saved = ClientState(self._shared.settings,
                       self._ids.saved,
                       tuple(self._shared.requests), self._upload.uploads,
                       tuple(self._retrieve.retrievals.values()), self._rekey.rekey)
        return SNAPSHOT.seal(to_json(saved))

    @classmethod
    def restore(cls, data: Mapping[str, Any], *, ids: Callable[[], str] | None = None,
                random: Callable[[int], bytes] | None = None) -> ArchiveClient:
        """A machine with the state of a :meth:`snapshot` (of this version or the one
        before).  ``ids`` replaces the id source (the saved counter is used when None);
        ``random`` is the random source (never saved).  Private keys are given again
        with :meth:`provide_private_key`.  A snapshot that is not one, or is damaged,
        raises :class:`~xepcodec.errors.ArgumentValueError` saying what is wrong."""
        with SNAPSHOT.reading():
            version, state = SNAPSHOT.open(data)
            if version == 1:
                state = from_version_1(state)
            saved: ClientState = from_json(ClientState, state)
            settings = saved.settings
            client = cls(settings.jid, namespace=settings.namespace, service=settings.service,
                         ids=ids, random=random, max_stanza_bytes=settings.max_stanza_bytes,
                         algorithm=settings.algorithm, key_transport=settings.key_transport,
                         allow_legacy=settings.allow_legacy, lenient=settings.lenient)
            client._ids.resume(saved.next_id)
            client._shared.requests = Requests(saved.pending)
            client._upload.uploads.update(saved.uploads)
            client._retrieve.retrievals.update(
                (each.collection, each) for each in saved.retrievals)
            client._rekey.rekey = saved.rekey
        return client

    def __repr__(self) -> str:
        state = self._rekey.state
        return (f"<ArchiveClient {self.jid} {len(self._shared.requests)} in flight"
                f"{' rekey ' + state if state is not None else ''}>")


def _on_disco(pending: Pending, answer: Iq, error: StanzaError | None) -> list[Event]:
    query = answer.payload
    if error is not None or not isinstance(query, InfoQuery):
        return [failed(RequestKind.DISCO, None, error,
                       None if error else "the answer holds no disco#info query")]
    features = query.feature_vars
    namespaces = tuple(ns for ns in NAMESPACES if ns in features)
    encryption = any(feature(ns, FEATURE_ENCRYPT_SUFFIX) in features for ns in NAMESPACES)
    return [ServerSupport(namespaces, encryption, features)]


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

