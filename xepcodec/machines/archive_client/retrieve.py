"""The retrieval flow of the archive client: collections listed a page at a time, read
back page after page and decrypted with the caller's private key, and removed."""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from xepcodec.api import parse
from xepcodec.core.stanza_errors import StanzaError
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.crypto import DecryptionError, decrypt_collection, decrypt_octets, unwrap_key
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError, ProtocolError
from xepcodec.machines.archive_client.events import (
    CollectionId,
    CollectionRetrieved,
    CollectionsListed,
    DecryptionFailed,
    EntriesRetrieved,
    FormRetrieved,
    PrivateKeyNeeded,
    RemovalDone,
    RequestKind,
    has_more,
)
from xepcodec.machines.archive_client.requests import (
    ListRequest,
    Pending,
    RemoveRequest,
    RetrieveRequest,
    context_of,
)
from xepcodec.machines.archive_client.shared import Shared, failed
from xepcodec.machines.archive_client.shared import private_key_name as name_of
from xepcodec.machines.base import Event, Ignored, Send, Transitions, as_jid
from xepcodec.protocols.archive import Chat, Entry, List, Note, Remove, Retrieve
from xepcodec.protocols.dataforms import DATA_FORMS, Field, Form
from xepcodec.protocols.rsm import ResultSet
from xepcodec.protocols.xmlenc import EncryptedData, EncryptedKey

__all__ = ["RETRIEVAL", "Retrieval", "RetrievalInput", "RetrievalState", "RetrieveFlow"]


class RetrievalState(enum.StrEnum):
    """Where the retrieval of one collection stands (it is forgotten once over)."""

    #: a page is requested
    FETCHING = "fetching"
    #: an encrypted page waits for the private key (:meth:`provide_private_key`)
    WAITING_FOR_KEY = "waiting-for-key"


class RetrievalInput(enum.Enum):
    PAGE = "a page that others follow"
    LAST_PAGE = "the last page"
    LOCKED_PAGE = "an encrypted page without its private key"
    UNUSABLE = "an error or an answer that is not the collection"
    KEY_PROVIDED = "the private key the page waits for"


#: None: the retrieval is over.
RETRIEVAL: Final = Transitions[RetrievalState, RetrievalInput, RetrievalState | None](
    "archive client retrieval", {
        (RetrievalState.FETCHING, RetrievalInput.PAGE): RetrievalState.FETCHING,
        (RetrievalState.FETCHING, RetrievalInput.LAST_PAGE): None,
        (RetrievalState.FETCHING, RetrievalInput.LOCKED_PAGE): RetrievalState.WAITING_FOR_KEY,
        (RetrievalState.FETCHING, RetrievalInput.UNUSABLE): None,
        (RetrievalState.WAITING_FOR_KEY, RetrievalInput.KEY_PROVIDED): RetrievalState.FETCHING,
    })


@dataclass(slots=True)
class Retrieval:
    """A collection being retrieved."""

    collection: CollectionId
    key_names: tuple[str, ...]
    private_key_name: str | None
    page_size: int
    entries: int = 0
    undecryptable: int = 0
    state: RetrievalState = RetrievalState.FETCHING
    #: the page that waits for the private key (in WAITING_FOR_KEY only)
    parked: Chat | None = None


class RetrieveFlow:
    """Retrievals by collection; listings and removals (single requests)."""

    __slots__ = ("retrievals", "shared")

    def __init__(self, shared: Shared, retrievals: Sequence[Retrieval] = ()) -> None:
        self.shared = shared
        self.retrievals = {each.collection: each for each in retrievals}

    @property
    def keys_needed(self) -> list[str]:
        return [each.private_key_name for each in self.retrievals.values()
                if each.parked is not None and each.private_key_name is not None]

    # -- what the caller asks -------------------------------------------------------------

    def list_collections(self, *, with_: JID | str | None, start: datetime | None,
                         end: datetime | None, exactmatch: bool | None, page_size: int,
                         after: str | None) -> list[Event]:
        check_page_size(page_size)
        shared = self.shared
        request = List(namespace=shared.namespace,
                       with_=None if with_ is None else as_jid(with_, "with_"),
                       start=start, end=end, exactmatch=exactmatch,
                       rsm=ResultSet.request(max=page_size, after=after))
        return [Send(shared.track(shared.iq(IqType.GET, request), ListRequest()))]

    def list_next(self, listing: CollectionsListed) -> list[Event]:
        if not listing.has_more or listing.result_set is None:
            raise ProtocolError("this page of collections is the last one")
        request = listing.request
        asked = request.rsm.max if request.rsm is not None else None
        rsm = ResultSet.request(max=asked or max(1, len(listing.chats)),
                                after=listing.result_set.last)
        shared = self.shared
        next_request = List(namespace=shared.namespace, with_=request.with_,
                            start=request.start, end=request.end,
                            exactmatch=request.exactmatch, rsm=rsm)
        return [Send(shared.track(shared.iq(IqType.GET, next_request), ListRequest()))]

    def retrieve(self, with_: JID | str, start: datetime, *,
                 private_key: RSAPrivateKey | None, private_key_name: str | None,
                 key_names: Sequence[str], page_size: int) -> list[Event]:
        collection = self.shared.collection(with_, start)
        check_page_size(page_size)
        if collection in self.retrievals:
            raise ProtocolError(f"the collection {collection} is being retrieved already")
        name = private_key_name
        if private_key is not None:
            name = name_of(private_key) if name is None else name
            self.shared.keyring[name] = private_key
        retrieval = Retrieval(collection, tuple(key_names), name, page_size)
        self.retrievals[collection] = retrieval
        return [Send(self._retrieve_iq(retrieval, None))]

    def _retrieve_iq(self, retrieval: Retrieval, after: str | None) -> Iq:
        shared = self.shared
        collection = retrieval.collection
        request = Retrieve(namespace=shared.namespace, with_=collection.with_,
                           start=collection.start, key_names=retrieval.key_names,
                           rsm=ResultSet.request(max=retrieval.page_size, after=after))
        return shared.track(shared.iq(IqType.GET, request), RetrieveRequest(collection))

    def remove_collection(self, with_: JID | str, start: datetime) -> list[Event]:
        shared = self.shared
        collection = shared.collection(with_, start)
        request = Remove(namespace=shared.namespace, with_=collection.with_,
                         start=collection.start)
        return [Send(shared.track(shared.iq(IqType.SET, request), RemoveRequest(collection)))]

    def key_provided(self, name: str) -> list[Event]:
        """The private key ``name`` is held now: the pages that waited for it go on."""
        events: list[Event] = []
        for retrieval in list(self.retrievals.values()):
            if retrieval.parked is not None and retrieval.private_key_name == name:
                chat, retrieval.parked = retrieval.parked, None
                self._step(retrieval, RetrievalInput.KEY_PROVIDED)
                events.extend(self._page(retrieval, chat))
        return events

    # -- answers ------------------------------------------------------------------------------

    @staticmethod
    def on_list(pending: Pending, answer: Iq, error: StanzaError | None) -> list[Event]:
        request = pending.iq.payload
        assert isinstance(request, List)
        if error is not None:
            return [failed(RequestKind.LIST, None, error)]
        listing = answer.payload
        if listing is None:  # an empty answer: no collection at all
            return [CollectionsListed(request, (), None)]
        if not isinstance(listing, List):
            return [failed(RequestKind.LIST, None, None, "the answer holds no <list/>")]
        return [CollectionsListed(request, listing.chats, listing.rsm)]

    @staticmethod
    def on_remove(pending: Pending, answer: Iq, error: StanzaError | None) -> list[Event]:
        if error is not None:
            return [failed(RequestKind.REMOVE, context_of(pending, RemoveRequest).collection,
                           error)]
        request = pending.iq.payload
        assert isinstance(request, Remove)
        return [RemovalDone(request)]

    def on_retrieve(self, pending: Pending, answer: Iq, error: StanzaError | None
                    ) -> list[Event]:
        collection = context_of(pending, RetrieveRequest).collection
        retrieval = self.retrievals.get(collection)
        if retrieval is None:
            return [Ignored(answer, "answers a retrieval that is over")]
        chat = answer.payload
        if error is not None or not isinstance(chat, Chat):
            self._step(retrieval, RetrievalInput.UNUSABLE)
            return [failed(RequestKind.RETRIEVE, collection, error,
                           None if error else "the answer holds no <chat/>")]
        if CollectionId.of(chat) != collection:
            self._step(retrieval, RetrievalInput.UNUSABLE)
            return [failed(RequestKind.RETRIEVE, collection, None,
                           f"the answer is the collection {CollectionId.of(chat)}, not the "
                           "one asked for")]
        name = retrieval.private_key_name
        if _has_encrypted(chat) and name is not None and name not in self.shared.keyring:
            self._step(retrieval, RetrievalInput.LOCKED_PAGE)
            retrieval.parked = chat
            return [PrivateKeyNeeded(name, RequestKind.RETRIEVE, collection)]
        return self._page(retrieval, chat)

    def _step(self, retrieval: Retrieval, event: RetrievalInput) -> None:
        after = RETRIEVAL(retrieval.state, event)
        if after is None:
            del self.retrievals[retrieval.collection]
        else:
            retrieval.state = after

    def _page(self, retrieval: Retrieval, chat: Chat) -> list[Event]:
        """The events of one page, decrypted, and the request of the next one."""
        collection = retrieval.collection
        events: list[Event] = []
        found = self._private_key_for(retrieval, chat)
        keys = chat.encrypted_keys
        if chat.form is not None:
            events.append(_retrieved_form(collection, chat.form, keys, found))
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
        if has_more(chat.rsm, items, retrieval.page_size):
            assert chat.rsm is not None
            self._step(retrieval, RetrievalInput.PAGE)
            events.append(Send(self._retrieve_iq(retrieval, chat.rsm.last)))
        else:
            self._step(retrieval, RetrievalInput.LAST_PAGE)
            events.append(CollectionRetrieved(collection, chat.subject, chat.thread,
                                              chat.version, chat.links, retrieval.entries,
                                              retrieval.undecryptable))
        return events

    def _private_key_for(self, retrieval: Retrieval, chat: Chat
                         ) -> tuple[str, RSAPrivateKey] | None:
        keyring = self.shared.keyring
        if retrieval.private_key_name is not None:
            key = keyring.get(retrieval.private_key_name)
            return None if key is None else (retrieval.private_key_name, key)
        for encrypted_key in chat.encrypted_keys:
            name = encrypted_key.key_name
            if name is not None and name in keyring:
                return name, keyring[name]
        return None


def check_page_size(page_size: int) -> None:
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise ValueError(f"a page size is a positive integer, not {page_size!r}")


def _has_encrypted(chat: Chat) -> bool:
    if chat.encrypted_data:
        return True
    return chat.form is not None and any(isinstance(item, EncryptedData)
                                         for item in chat.form.extensions)


def _retrieved_form(collection: CollectionId, form: Form, keys: Sequence[EncryptedKey],
                    found: tuple[str, RSAPrivateKey] | None) -> Event:
    data = tuple(item for item in form.extensions if isinstance(item, EncryptedData))
    if not data:
        return FormRetrieved(collection, form, False)
    names = tuple(item.key_name for item in data)
    if found is None:
        return DecryptionFailed(collection, names, len(data),
                                "no private key of the caller's matches the form's keys")
    try:
        opened = _decrypt_form(form, data, keys, found[1], {found[0]})
    except DecryptionError:
        return DecryptionFailed(collection, names, len(data),
                                "the caller's private key does not open the form's keys")
    return FormRetrieved(collection, opened, True)


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
