"""The key replacement flow of the archive client: every ``EncryptedKey`` wrapped for an
old public key re-wrapped for a new one and saved, and only then the old ones deleted
(the rules it keeps are in ``docs/archiving.md``)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, assert_never

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from xepcodec.core.stanza_errors import Condition, StanzaError
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.crypto import (
    DecryptionError,
    PublicKey,
    UnconfirmedKeyError,
    encrypt_octets,
    rewrap_key,
    unwrap_key,
)
from xepcodec.errors import ProtocolError, XepCodecError
from xepcodec.machines.archive_client.chunks import pack
from xepcodec.machines.archive_client.events import (
    CollectionId,
    CollectionKept,
    NewKeysSaved,
    OldKeysDeleted,
    PrivateKeyNeeded,
    RekeyCancelled,
    RekeyFailed,
    RekeyFinished,
    RequestKind,
    RewrapFailed,
    has_more,
)
from xepcodec.machines.archive_client.requests import (
    KeysRequest,
    Pending,
    RekeyDelete,
    RekeySave,
    context_of,
)
from xepcodec.machines.archive_client.retrieve import check_page_size
from xepcodec.machines.archive_client.shared import Shared, describe, saved_version
from xepcodec.machines.archive_client.upload import OwnKeys
from xepcodec.machines.base import Event, Ignored, Send, Transitions
from xepcodec.protocols.archive import Chat, Delete, Keys
from xepcodec.protocols.rsm import ResultSet
from xepcodec.protocols.xmlenc import EncryptedKey

__all__ = ["REKEY", "Rekey", "RekeyAction", "RekeyFlow", "RekeyInput", "RekeyState"]

#: How often a collection whose old keys the server keeps listing after a delete is
#: deleted again before the flow gives up on it.
_MAX_DELETES: Final = 3
#: How often the new keys of a collection may be refused as a ``conflict`` while the
#: server lists no key for the new public key they could clash with.
_MAX_CONFLICTS: Final = 3


class RekeyState(enum.StrEnum):
    """Where the key replacement flow stands.  A *pass* goes over every ``keys`` page
    from the first; a pass that changed something is followed by another."""

    #: a ``keys`` page is requested; nothing changed in this pass so far
    FETCHING = "fetching"
    #: a ``keys`` page is requested; this pass changed something
    FETCHING_AFTER_CHANGES = "fetching-after-changes"
    #: a ``keys`` page waits for a private key (:meth:`provide_private_key`)
    WAITING_FOR_KEY = "waiting-for-key"
    #: the same, in a pass that changed something
    WAITING_FOR_KEY_AFTER_CHANGES = "waiting-for-key-after-changes"
    #: the last pass found nothing left, but this client's own uploads wrapped for the
    #: old key are still under way: once they are over, a new pass checks them
    WAITING_FOR_UPLOADS = "waiting-for-uploads"
    #: the saves and deletes of a page are in flight
    WORKING = "working"


class RekeyInput(enum.Enum):
    PAGE_NEEDS_KEYS = "a page that needs a private key the machine lacks"
    PAGE_WITH_WORK = "a page with keys to save or delete"
    PAGE_DONE = "a page with nothing to do, and more pages"
    LAST_PAGE_DONE = "the last page, with nothing to do"
    LAST_PAGE_UPLOADING = "the last page, with nothing to do, while own uploads for the " \
        "old key are under way"
    CURSOR_GONE = "item-not-found for a page after the first"
    REFUSED = "the keys refused, or an answer without <keys/>"
    KEYS_PROVIDED = "the private keys the page waits for"
    STEP_DONE = "a save or delete answered, others of the page outstanding"
    PAGE_STEPS_DONE = "the last save or delete of a page after the first answered"
    FIRST_PAGE_STEPS_DONE = "the last save or delete of the first page answered"
    OWN_KEYS_STORED = "an own upload or form for the old key stored"
    OWN_UPLOADS_OVER = "the last own upload or form for the old key answered"
    CANCEL = "cancel_rekey"


class RekeyAction(enum.Enum):
    NOTHING = "nothing"
    WORK = "send the page's saves and deletes"
    PARK = "keep the page until its private keys come"
    RESUME = "take the parked page up again"
    REFETCH = "ask for the same page again, to see what is left"
    NEXT_PAGE = "ask for the page after this one"
    NEW_PASS = "ask for the first page again"
    WAIT = "wait for own uploads"
    FINISH = "report the flow finished"
    FAIL = "report the flow failed"
    CANCEL = "forget the flow's iqs in flight"


_S, _I, _A = RekeyState, RekeyInput, RekeyAction
#: None: the flow is over (``rekey_state`` is None again).
REKEY: Final = Transitions[RekeyState, RekeyInput, "tuple[RekeyAction, RekeyState | None]"](
    "archive client key replacement", {
        # A page arrives, in a pass that has changed nothing so far...
        (_S.FETCHING, _I.PAGE_NEEDS_KEYS): (_A.PARK, _S.WAITING_FOR_KEY),
        (_S.FETCHING, _I.PAGE_WITH_WORK): (_A.WORK, _S.WORKING),
        (_S.FETCHING, _I.PAGE_DONE): (_A.NEXT_PAGE, _S.FETCHING),
        (_S.FETCHING, _I.LAST_PAGE_DONE): (_A.FINISH, None),
        (_S.FETCHING, _I.LAST_PAGE_UPLOADING): (_A.WAIT, _S.WAITING_FOR_UPLOADS),
        (_S.FETCHING, _I.CURSOR_GONE): (_A.NEW_PASS, _S.FETCHING),
        (_S.FETCHING, _I.REFUSED): (_A.FAIL, None),
        (_S.FETCHING, _I.OWN_KEYS_STORED): (_A.NOTHING, _S.FETCHING_AFTER_CHANGES),
        # ... or in one that has: its end starts another pass.
        (_S.FETCHING_AFTER_CHANGES, _I.PAGE_NEEDS_KEYS):
            (_A.PARK, _S.WAITING_FOR_KEY_AFTER_CHANGES),
        (_S.FETCHING_AFTER_CHANGES, _I.PAGE_WITH_WORK): (_A.WORK, _S.WORKING),
        (_S.FETCHING_AFTER_CHANGES, _I.PAGE_DONE): (_A.NEXT_PAGE, _S.FETCHING_AFTER_CHANGES),
        (_S.FETCHING_AFTER_CHANGES, _I.LAST_PAGE_DONE): (_A.NEW_PASS, _S.FETCHING),
        (_S.FETCHING_AFTER_CHANGES, _I.LAST_PAGE_UPLOADING): (_A.NEW_PASS, _S.FETCHING),
        (_S.FETCHING_AFTER_CHANGES, _I.CURSOR_GONE): (_A.NEW_PASS, _S.FETCHING),
        (_S.FETCHING_AFTER_CHANGES, _I.REFUSED): (_A.FAIL, None),
        (_S.FETCHING_AFTER_CHANGES, _I.OWN_KEYS_STORED): (_A.NOTHING, _S.FETCHING_AFTER_CHANGES),
        # A page waits for private keys.
        (_S.WAITING_FOR_KEY, _I.KEYS_PROVIDED): (_A.RESUME, _S.FETCHING),
        (_S.WAITING_FOR_KEY, _I.OWN_KEYS_STORED): (_A.NOTHING, _S.WAITING_FOR_KEY_AFTER_CHANGES),
        (_S.WAITING_FOR_KEY_AFTER_CHANGES, _I.KEYS_PROVIDED):
            (_A.RESUME, _S.FETCHING_AFTER_CHANGES),
        (_S.WAITING_FOR_KEY_AFTER_CHANGES, _I.OWN_KEYS_STORED):
            (_A.NOTHING, _S.WAITING_FOR_KEY_AFTER_CHANGES),
        # A page's saves and deletes are answered; asked from the very beginning, the
        # page looked at again starts a new pass.
        (_S.WORKING, _I.STEP_DONE): (_A.NOTHING, _S.WORKING),
        (_S.WORKING, _I.PAGE_STEPS_DONE): (_A.REFETCH, _S.FETCHING_AFTER_CHANGES),
        (_S.WORKING, _I.FIRST_PAGE_STEPS_DONE): (_A.REFETCH, _S.FETCHING),
        (_S.WORKING, _I.OWN_KEYS_STORED): (_A.NOTHING, _S.WORKING),
        # This client's own uploads for the old key are awaited.
        (_S.WAITING_FOR_UPLOADS, _I.OWN_KEYS_STORED): (_A.NOTHING, _S.WAITING_FOR_UPLOADS),
        (_S.WAITING_FOR_UPLOADS, _I.OWN_UPLOADS_OVER): (_A.NEW_PASS, _S.FETCHING),
        # Cancelling stops the flow anywhere.
        **{(state, _I.CANCEL): (_A.CANCEL, None) for state in RekeyState},
    })


@dataclass(slots=True)
class Rekey:
    """A key replacement under way."""

    old_key_name: str
    new_key: PublicKey
    page_size: int
    state: RekeyState = RekeyState.FETCHING
    #: the RSM ``after`` of the page being worked on (None: the first page)
    cursor: str | None = None
    #: the page waiting for private keys (in the WAITING_FOR_KEY states only)
    parked: Keys | None = None
    #: the iq ids of the current page's saves and deletes still unanswered (WORKING)
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


class RekeyFlow:
    """The key replacement, if one runs.  ``own_keys_in_flight(name)`` says whether an
    upload or form of this client's wrapped for ``name`` is under way."""

    __slots__ = ("own_keys_in_flight", "rekey", "shared")

    def __init__(self, shared: Shared, own_keys_in_flight: Callable[[str], bool],
                 rekey: Rekey | None = None) -> None:
        self.shared = shared
        self.own_keys_in_flight = own_keys_in_flight
        self.rekey = rekey

    @property
    def state(self) -> RekeyState | None:
        return self.rekey.state if self.rekey is not None else None

    @property
    def keys_needed(self) -> list[str]:
        if self.rekey is None or self.rekey.parked is None:
            return []
        return self._missing_keys(self.rekey, self.rekey.parked)

    # -- the table ------------------------------------------------------------------------

    def _go(self, rekey: Rekey, event: RekeyInput, *, page: Keys | None = None,
            sent: Sequence[Iq] = (), missing: Sequence[str] = (),
            error: StanzaError | None = None, reason: str = "") -> list[Event]:
        """Take the transition of ``event`` and carry out its action."""
        action, after = REKEY(rekey.state, event)
        if after is None:
            self.rekey = None
        else:
            rekey.state = after
        match action:
            case RekeyAction.NOTHING:
                return []
            case RekeyAction.WORK:
                rekey.outstanding = {iq.id for iq in sent}
                return [Send(iq) for iq in sent]
            case RekeyAction.PARK:
                rekey.parked = page
                return [PrivateKeyNeeded(name, RequestKind.KEYS) for name in missing]
            case RekeyAction.RESUME:
                assert rekey.parked is not None
                parked, rekey.parked = rekey.parked, None
                return self._page(rekey, parked)
            case RekeyAction.REFETCH:
                return [Send(self._keys_iq(rekey))]
            case RekeyAction.NEXT_PAGE:
                assert page is not None and page.rsm is not None
                rekey.cursor = page.rsm.last
                return [Send(self._keys_iq(rekey))]
            case RekeyAction.NEW_PASS:
                rekey.cursor = None
                return [Send(self._keys_iq(rekey))]
            case RekeyAction.WAIT:
                rekey.cursor = None
                return []
            case RekeyAction.FINISH:
                return [RekeyFinished(rekey.old_key_name, rekey.new_key.name, rekey.deleted,
                                      tuple(rekey.kept))]
            case RekeyAction.FAIL:
                return [RekeyFailed(rekey.old_key_name, error, reason)]
            case RekeyAction.CANCEL:
                return [self._cancelled(rekey)]
            case _:
                assert_never(action)

    # -- what the caller asks -------------------------------------------------------------

    def start(self, old_key_name: str, new_key: PublicKey, *,
              old_private_key: RSAPrivateKey | None, new_private_key: RSAPrivateKey | None,
              page_size: int) -> list[Event]:
        if self.rekey is not None:
            raise ProtocolError(f"a key replacement of {self.rekey.old_key_name!r} is "
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
        check_page_size(page_size)
        for private in (old_private_key, new_private_key):
            if private is not None and not isinstance(private, RSAPrivateKey):
                raise TypeError("a private key is an RSA private key of cryptography")
        if new_private_key is not None and \
                new_private_key.public_key().public_numbers() != new_key.key.public_numbers():
            raise ValueError("new_private_key is not the private key of new_key")
        keyring = self.shared.keyring
        if old_private_key is not None:
            keyring[old_key_name] = old_private_key
        if new_private_key is not None:
            keyring[new_key.name] = new_private_key
        self.rekey = rekey = Rekey(old_key_name, new_key, page_size)
        return [Send(self._keys_iq(rekey))]

    def cancel(self) -> list[Event]:
        if self.rekey is None:
            raise ProtocolError("no key replacement is running")
        return self._go(self.rekey, RekeyInput.CANCEL)

    def _cancelled(self, rekey: Rekey) -> RekeyCancelled:
        dropped = self.shared.requests.drop(
            lambda context: isinstance(context, KeysRequest | RekeySave | RekeyDelete))
        saving = [each.context.collection for each in dropped
                  if isinstance(each.context, RekeySave)]
        deleting = [each.context.collection for each in dropped
                    if isinstance(each.context, RekeyDelete)]
        return RekeyCancelled(rekey.old_key_name, rekey.new_key.name, rekey.deleted,
                              tuple(dict.fromkeys(saving)), tuple(deleting))

    def keys_provided(self) -> list[Event]:
        """A private key the parked page waited for is held now: the page goes on once
        it has every key it waits for."""
        rekey = self.rekey
        if rekey is None or rekey.parked is None or self._missing_keys(rekey, rekey.parked):
            return []
        return self._go(rekey, RekeyInput.KEYS_PROVIDED)

    def own_keys(self, own: OwnKeys) -> list[Event]:
        """A request of this client's that wrapped a key was answered.  If it wrapped
        for the old key, the key must not escape the flow: another pass will look."""
        rekey = self.rekey
        if rekey is None or rekey.old_key_name not in own.key_names:
            return []
        if rekey.state is RekeyState.WAITING_FOR_UPLOADS and \
                not self.own_keys_in_flight(rekey.old_key_name):
            return self._go(rekey, RekeyInput.OWN_UPLOADS_OVER)
        if own.stored:
            return self._go(rekey, RekeyInput.OWN_KEYS_STORED)
        return []

    def _keys_iq(self, rekey: Rekey) -> Iq:
        shared = self.shared
        # The new key's name too: the server may hold keys for it already (wrapped by
        # the server as it archives, or saved before a restart or a cancel), and a save
        # of another copy would be refused as a conflict.
        request = Keys(namespace=shared.namespace,
                       key_names=(rekey.old_key_name, rekey.new_key.name),
                       rsm=ResultSet.request(max=rekey.page_size, after=rekey.cursor))
        return shared.track(shared.iq(IqType.GET, request), KeysRequest())

    # -- answers ------------------------------------------------------------------------------

    def on_keys(self, pending: Pending, answer: Iq, error: StanzaError | None) -> list[Event]:
        context_of(pending, KeysRequest)
        rekey = self.rekey
        if rekey is None:  # cancelling forgets the flow's requests: only a damaged snapshot
            return [_over(answer)]
        page = answer.payload
        if error is not None and error.condition is Condition.ITEM_NOT_FOUND and \
                rekey.cursor is not None:
            # The item the page was to follow is gone (its collection was removed).
            return self._go(rekey, RekeyInput.CURSOR_GONE)
        if error is not None or not (page is None or isinstance(page, Keys)):
            return self._go(rekey, RekeyInput.REFUSED, error=error,
                            reason=describe(error) if error else "the answer holds no <keys/>")
        return self._page(rekey, page if page is not None else
                          Keys(namespace=self.shared.namespace))

    def _page(self, rekey: Rekey, page: Keys) -> list[Event]:
        missing = self._missing_keys(rekey, page)
        if missing:
            return self._go(rekey, RekeyInput.PAGE_NEEDS_KEYS, page=page, missing=missing)
        events: list[Event] = []
        sent: list[Iq] = []
        for chat in page.chats:
            collection = CollectionId.of(chat)
            if collection in rekey.kept:
                continue
            try:
                sent.extend(self._collection(rekey, chat, events))
            except XepCodecError as error:
                # A step this collection cannot take (a new key that cannot wrap, a
                # key too large for any iq) leaves it as it is, and the flow goes on.
                events.append(_keep(rekey, collection, f"its new keys cannot be made or sent "
                                                       f"({error}), so the old keys stay"))
        if sent:
            return events + self._go(rekey, RekeyInput.PAGE_WITH_WORK, sent=sent)
        if page.chats and has_more(page.rsm, len(page.chats), rekey.page_size):
            return events + self._go(rekey, RekeyInput.PAGE_DONE, page=page)
        last = RekeyInput.LAST_PAGE_UPLOADING \
            if self.own_keys_in_flight(rekey.old_key_name) else RekeyInput.LAST_PAGE_DONE
        return events + self._go(rekey, last)

    def _missing_keys(self, rekey: Rekey, page: Keys) -> list[str]:
        """The names of the private keys a ``keys`` page needs and the machine does not
        hold: the old one, to unwrap what is left to re-wrap; the new one, to check a
        key the server already holds for the new public key."""
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
        keyring = self.shared.keyring
        names = []
        if old and rekey.old_key_name not in keyring:
            names.append(rekey.old_key_name)
        if new and rekey.new_key.name not in keyring:
            names.append(rekey.new_key.name)
        return names

    def _collection(self, rekey: Rekey, chat: Chat, events: list[Event]) -> list[Iq]:
        """The saves, or the delete, that one collection of a ``keys`` page calls for,
        tracked; what else happened goes to ``events``.  Raises before tracking
        anything when a step cannot be taken."""
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
                held = self._holds_same_key(rekey, candidates, present[carried])
                if held:
                    saved.add(carried)  # as good as an acknowledged save
                elif held is None:
                    failed.add(carried)
                    events.append(RewrapFailed(collection, carried))
                else:
                    clashes.append(carried)
                continue
            wrapped = self._rewrap(rekey, candidates)
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
            events.append(_keep(rekey, collection, "; ".join(reasons)))
        if fresh:  # even for a collection kept: what can be re-wrapped is
            return self._saves(collection, fresh)
        if reasons:
            return []
        count = rekey.deletes.get(collection, 0)
        if count >= _MAX_DELETES:
            events.append(_keep(rekey, collection, f"the server still lists the old keys "
                                                   f"after {count} deletes; giving up on this "
                                                   "collection"))
            return []
        rekey.deletes[collection] = count + 1
        shared = self.shared
        request = Delete(namespace=shared.namespace, with_=collection.with_,
                         start=collection.start, key_names=(rekey.old_key_name,))
        return [shared.track(shared.iq(IqType.SET, request), RekeyDelete(collection))]

    def _holds_same_key(self, rekey: Rekey, candidates: Sequence[EncryptedKey],
                        present: Sequence[EncryptedKey]) -> bool | None:
        """Whether one of the keys the server holds for the new public key
        (``present``) carries the symmetric key the old public key's ``candidates``
        carry; None when the old private key opens none of the candidates.  Only the
        private keys can tell: two wraps of one key share no byte."""
        keyring = self.shared.keyring
        old, new = keyring[rekey.old_key_name], keyring[rekey.new_key.name]
        expected = {value for candidate in candidates
                    if (value := _check_value(candidate, old)) is not None}
        if not expected:
            return None
        return any(_check_value(each, new) in expected for each in present)

    def _rewrap(self, rekey: Rekey, candidates: Sequence[EncryptedKey]) -> EncryptedKey | None:
        settings = self.shared.settings
        private = self.shared.keyring[rekey.old_key_name]
        for candidate in candidates:
            try:
                return rewrap_key(candidate, private, rekey.new_key,
                                  key_transport=settings.key_transport,
                                  allow_legacy=settings.allow_legacy)
            except DecryptionError:
                continue
        return None

    def _saves(self, collection: CollectionId, keys: Sequence[EncryptedKey]) -> list[Iq]:
        """The saves carrying ``keys`` under the size limit, tracked only once all of
        them are built."""
        shared = self.shared

        def build(part: Sequence[EncryptedKey], index: int, chunk_id: str) -> Iq:
            return shared.save_iq(shared.chat(collection, encrypted_keys=tuple(part)),
                                  chunk_id)

        built = pack(keys, build, limit=shared.limit, ids=shared.ids,
                     what=lambda _: "one EncryptedKey")
        return [shared.track(iq, RekeySave(collection, _sorted(key.carried_key_name
                                                                for key in part)))
                for iq, part in built]

    def on_step(self, pending: Pending, answer: Iq, error: StanzaError | None) -> list[Event]:
        """A save or the delete of the page being worked on was answered."""
        rekey = self.rekey
        if rekey is None:
            return [_over(answer)]
        context = pending.context
        if isinstance(context, RekeySave):
            events = self._saved(rekey, context, answer, error)
        else:
            events = self._deleted(rekey, context_of(pending, RekeyDelete), error)
        return events + self._step_done(rekey, answer.id)

    @staticmethod
    def _saved(rekey: Rekey, context: RekeySave, answer: Iq, error: StanzaError | None
               ) -> list[Event]:
        collection = context.collection
        conflicts = rekey.conflicts.get(collection, 0)
        if error is None:
            rekey.saved.setdefault(collection, set()).update(context.carried)
            return [NewKeysSaved(collection, context.carried, saved_version(answer))]
        if error.condition is Condition.CONFLICT and conflicts < _MAX_CONFLICTS:
            # The server holds another key for the new public key under one of these
            # names (saved by a save this flow forgot, or wrapped by the server): the
            # next look at the page lists it, and it is checked there.
            rekey.conflicts[collection] = conflicts + 1
            return []
        return [_keep(rekey, collection, f"the server refused to store the new keys "
                                         f"({describe(error)}), so the old keys stay", error)]

    @staticmethod
    def _deleted(rekey: Rekey, context: RekeyDelete, error: StanzaError | None
                 ) -> list[Event]:
        collection = context.collection
        if error is None or error.condition is Condition.ITEM_NOT_FOUND:
            rekey.deleted += 1
            return [OldKeysDeleted(collection, rekey.old_key_name, already=error is not None)]
        return [_keep(rekey, collection, f"the server refused to delete the old keys "
                                         f"({describe(error)})", error)]

    def _step_done(self, rekey: Rekey, iq_id: str) -> list[Event]:
        rekey.outstanding.discard(iq_id)
        if rekey.outstanding:
            return self._go(rekey, RekeyInput.STEP_DONE)
        # The page is done: ask for it again (the same cursor), to see what is left.
        return self._go(rekey, RekeyInput.FIRST_PAGE_STEPS_DONE if rekey.cursor is None
                        else RekeyInput.PAGE_STEPS_DONE)


def _over(answer: Iq) -> Ignored:
    return Ignored(answer, "answers a key replacement that is over")


def _keep(rekey: Rekey, collection: CollectionId, reason: str,
          error: StanzaError | None = None) -> CollectionKept:
    """The collection keeps its old keys for the rest of the flow."""
    rekey.kept[collection] = reason
    return CollectionKept(collection, reason, error)


def _sorted(names: Iterable[str | None]) -> tuple[str | None, ...]:
    return tuple(sorted(names, key=lambda name: (name is not None, name or "")))


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
