"""The archive client and the archive server wired back to back.

Every flow of XEP-0241 runs end to end between
:class:`~xepcodec.machines.archive_client.ArchiveClient` and
:class:`~xepcodec.machines.archive_server.ArchiveServer`, over the in-memory store and
over SQLite: determining server support, encrypted manual upload and retrieval, the
encrypted attributes form and its removal, automatic archiving with encryption, the
list with its ``crypt`` flags, retrieval limited to the caller's key names, and key
replacement, the last one also with a crash (snapshot, drop, restore; the SQLite
store closed and reopened) between every two steps.
"""

from __future__ import annotations

import base64
import functools
import json
import random as stdlib_random
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

import xepcodec.machines.archive_server as server_module
from xepcodec.api import serialize
from xepcodec.core.stanzas import Body, Iq, IqType, Message, MessageType
from xepcodec.crypto import PublicKey, SymmetricKey, new_symmetric_key
from xepcodec.datatypes.jid import JID
from xepcodec.machines import base
from xepcodec.machines.archive_client import (
    ArchiveClient,
    AutoArchivingSet,
    ChunkSaved,
    CollectionId,
    CollectionKept,
    CollectionRetrieved,
    CollectionSaved,
    CollectionsListed,
    DecryptionFailed,
    EncryptionUnsupported,
    EntriesRetrieved,
    Event,
    FormRetrieved,
    NewKeysSaved,
    NoPublicKey,
    OldKeysDeleted,
    RekeyFinished,
    RequestFailed,
    SaveKind,
    Send,
    ServerSupport,
    UploadFinished,
)
from xepcodec.machines.archive_server import ArchiveServer, CollectionFinished
from xepcodec.machines.archive_store import ArchiveStore, MemoryStore, SQLiteStore
from xepcodec.protocols.archive import (
    ARCHIVE,
    ARCHIVE_TMP,
    Chat,
    Delete,
    Direction,
    Entry,
    Keys,
    Note,
    Retrieve,
)
from xepcodec.protocols.dataforms import Form
from xepcodec.protocols.disco import Feature as DiscoFeature
from xepcodec.protocols.disco import Identity, InfoQuery

T = TypeVar("T")

ROMEO = JID.parse("romeo@montague.lit/orchard")
JULIET = JID.parse("juliet@capulet.lit/balcony")
NURSE = JID.parse("nurse@capulet.lit")
MERCUTIO = JID.parse("mercutio@verona.lit")
T0 = datetime(2024, 7, 21, 2, 56, 15, tzinfo=UTC)


@functools.cache
def private_key(index: int) -> RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public(index: int) -> PublicKey:
    return PublicKey.from_key(private_key(index).public_key(), confirmed=True)


OLD, NEW, OTHER, EXTRA = 0, 1, 2, 3


def seeded(seed: int) -> Callable[[int], bytes]:
    return stdlib_random.Random(seed).randbytes


def lines(prefix: str, count: int, width: int = 60) -> list[Entry | Note]:
    items: list[Entry | Note] = []
    for number in range(count):
        if number % 7 == 6:
            items.append(Note(text=f"{prefix} note {number}", utc=T0))
        else:
            items.append(Entry(direction=Direction.TO if number % 2 else Direction.FROM,
                               secs=number, bodies=(f"{prefix} {number} " + "·" * width,)))
    return items


# -- the wire ------------------------------------------------------------------------------


def sent(events: Sequence[object]) -> list[Iq]:
    """The stanzas the server's events send, in order; it returns nothing else for a
    request."""
    assert all(isinstance(event, base.Send) for event in events), events
    return [event.stanza for event in events if isinstance(event, base.Send)]



@dataclass
class Backend:
    """How the server's store is made, and remade after a crash."""

    kind: str
    path: Path | None = None

    def open(self) -> ArchiveStore:
        return MemoryStore() if self.path is None else SQLiteStore(self.path)


@pytest.fixture(params=["memory", "sqlite"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "memory":
        return Backend("memory")
    return Backend("sqlite", tmp_path / "archive.db")


@dataclass
class Wire:
    """A client and a server joined by two ordered queues (one per direction, as an
    XMPP stream is).  ``crash_client`` and ``crash_server`` throw a machine away and
    bring it back from its snapshot; the connection goes with the client, so whatever
    was in the queues is lost and the client sends its iqs in flight again."""

    backend: Backend
    client: ArchiveClient
    server: ArchiveServer
    store: ArchiveStore
    keys: list[RSAPrivateKey] = field(default_factory=list)
    outbound: list[Iq] = field(default_factory=list)
    inbound: list[Iq] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    answers: list[Iq] = field(default_factory=list)
    sent: list[Iq] = field(default_factory=list)
    now: datetime = T0 + timedelta(days=30)
    client_random: Callable[[int], bytes] = field(default_factory=lambda: seeded(1))
    server_random: Callable[[int], bytes] = field(default_factory=lambda: seeded(2))

    @classmethod
    def make(cls, backend: Backend, *, encryption: bool = True, **options: Any) -> Wire:
        store = backend.open()
        client_random, server_random = seeded(1), seeded(2)
        server = ArchiveServer(store, encryption=encryption, random=server_random)
        client = ArchiveClient(ROMEO, random=client_random, **options)
        return cls(backend, client, server, store, client_random=client_random,
                   server_random=server_random)

    def send(self, events: Sequence[Event]) -> None:
        iqs = sent(events)
        self.outbound.extend(iqs)
        self.sent.extend(iqs)

    def deliver(self) -> None:
        """The server processes the next iq the client sent."""
        iq = self.outbound.pop(0)
        if isinstance(iq.payload, InfoQuery):
            query = InfoQuery(identities=(Identity(category="server", type="im"),),
                              features=tuple(DiscoFeature(var=name)
                                             for name in self.server.disco_features()))
            self.inbound.append(iq.result(query))
            return
        assert self.server.accepts(iq), iq
        for answer in sent(self.server.receive(iq, owner=ROMEO, now=self.now)):
            if answer.type in (IqType.RESULT, IqType.ERROR):
                self.inbound.append(answer)
                self.answers.append(answer)

    def receive(self) -> list[Event]:
        """The client handles the next answer."""
        events = self.client.receive(self.inbound.pop(0))
        self.events.extend(events)
        self.send([event for event in events if isinstance(event, Send)])
        return events

    def run(self, sends: Sequence[Event] = ()) -> list[Event]:
        """Send what ``sends`` sends and let everything run to quiet; the events that came."""
        mark = len(self.events)
        self.send(sends)
        while self.outbound or self.inbound:
            if self.inbound:
                self.receive()
            else:
                self.deliver()
        return self.events[mark:]

    def crash_client(self) -> None:
        data = json.loads(json.dumps(self.client.snapshot()))
        self.client = ArchiveClient.restore(data, random=self.client_random)
        for key in self.keys:  # the caller holds its private keys and hands them again
            assert self.client.provide_private_key(key) == []
        self.outbound = []
        self.inbound = []
        self.send(self.client.resend())

    def crash_server(self) -> None:
        data = json.loads(json.dumps(self.server.snapshot()))
        if self.backend.path is not None:
            self.store.close()
            self.store = self.backend.open()
        self.server = ArchiveServer.restore(data, self.store, random=self.server_random)

    def publish(self, *indexes: int) -> None:
        """The user's published public keys (XEP-0189), as the server learns them."""
        self.store.set_public_keys(ROMEO.bare, [public(index).key_info() for index in indexes])

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def wire(backend: Backend) -> Iterator[Wire]:
    made = Wire.make(backend)
    yield made
    made.close()


def of_type(events: Sequence[object], cls: type[T]) -> list[T]:
    return [event for event in events if isinstance(event, cls)]


def only(events: Sequence[Event], cls: type[T]) -> T:
    """The one event that came, which must be a ``cls``."""
    [event] = events
    assert isinstance(event, cls), event
    return event


def retrieved(wire: Wire, with_: JID, start: datetime, key: RSAPrivateKey | None, *,
              key_names: Sequence[str] = (), page_size: int = 3
              ) -> tuple[list[Entry | Note], list[Event]]:
    events = wire.run(wire.client.retrieve(with_, start, private_key=key, key_names=key_names,
                                           page_size=page_size))
    entries = [item for event in of_type(events, EntriesRetrieved) for item in event.entries]
    assert of_type(events, CollectionRetrieved), events
    return entries, events


# -- determining server support ------------------------------------------------------------


def test_the_client_learns_the_server_encrypts(wire: Wire) -> None:
    [support] = wire.run(wire.client.discover())
    assert isinstance(support, ServerSupport)
    assert support.encryption and set(support.namespaces) == {ARCHIVE, ARCHIVE_TMP}


def test_a_server_without_encryption_says_so(backend: Backend) -> None:
    wire = Wire.make(backend, encryption=False)
    try:
        support = only(wire.run(wire.client.discover()), ServerSupport)
        assert not support.encryption
        [refused] = wire.run(wire.client.enable_auto())
        assert isinstance(refused, EncryptionUnsupported)
        # Manually uploaded encrypted collections are still accepted (XEP-0241 §2).
        events = wire.run(wire.client.upload(JULIET, T0, lines("m", 4),
                                             recipients=[public(OLD)]))
        assert isinstance(events[-1], UploadFinished)
    finally:
        wire.close()


# -- encrypted manual upload and retrieval -------------------------------------------------


def test_encrypted_upload_in_chunks_then_retrieved_and_decrypted(backend: Backend) -> None:
    wire = Wire.make(backend, max_stanza_bytes=3000)
    try:
        entries = lines("juliet", 60)
        [first] = wire.client.upload(JULIET, T0, entries[:40],
                                     recipients=[public(OLD), public(OTHER)],
                                     subject="She speaks!", subject_acknowledged=True)
        events = wire.run([first])
        chunks = of_type(events, ChunkSaved)
        assert len(chunks) > 2
        assert [chunk.version for chunk in chunks] == list(range(len(chunks)))
        assert isinstance(events[-1], UploadFinished)
        assert all(len(serialize(iq)) <= 3000 for iq in wire.sent)
        # A second upload appends to the collection with a new symmetric key.
        events = wire.run(wire.client.upload(JULIET, T0, entries[40:],
                                             recipients=[public(OLD)]))
        assert isinstance(events[-1], UploadFinished)
        record = wire.store.get_collection(ROMEO.bare, JULIET, T0)
        assert record is not None and record.encrypted and record.subject == "She speaks!"
        for key in (OLD, OTHER):
            got, events = retrieved(wire, JULIET, T0, private_key(key), page_size=4)
            if key == OLD:
                assert got == entries
            else:  # the second upload was not wrapped for OTHER
                assert got == entries[:40]
                [failed] = of_type(events, DecryptionFailed)
                assert failed.items >= 1
        [done] = of_type(events, CollectionRetrieved)
        assert done.subject == "She speaks!"
    finally:
        wire.close()


def test_retrieval_limited_to_the_callers_key_names(wire: Wire) -> None:
    entries = lines("nurse", 9)
    wire.run(wire.client.upload(NURSE, T0, entries, recipients=[public(OLD), public(OTHER)]))
    mark = len(wire.answers)
    got, _ = retrieved(wire, NURSE, T0, private_key(OTHER), key_names=[public(OTHER).name])
    assert got == entries
    pages = [answer.payload for answer in wire.answers[mark:]]
    assert pages and all(isinstance(page, Chat) for page in pages)
    names = {key.key_name for page in pages for key in page.encrypted_keys}
    assert names == {public(OTHER).name}
    # Asking only for OTHER's keys, OLD's private key opens nothing.
    got, events = retrieved(wire, NURSE, T0, private_key(OLD), key_names=[public(OTHER).name])
    assert got == [] and of_type(events, DecryptionFailed)
    # Without a filter, every reader's keys come.
    mark = len(wire.answers)
    got, _ = retrieved(wire, NURSE, T0, private_key(OLD))
    assert got == entries
    names = {key.key_name for answer in wire.answers[mark:]
             for key in answer.payload.encrypted_keys}
    assert names == {public(OLD).name, public(OTHER).name}


# -- the attributes form -------------------------------------------------------------------


def test_encrypted_form_and_its_removal_by_an_empty_form(wire: Wire) -> None:
    form = Form.submit({"task": "1", "important": "1"}, form_type="urn:example:archiving")
    wire.run(wire.client.upload(MERCUTIO, T0, lines("m", 3), recipients=[public(OLD)]))
    [saved] = wire.run(wire.client.set_form(MERCUTIO, T0, form, recipients=[public(OLD)]))
    assert isinstance(saved, CollectionSaved) and saved.change is SaveKind.FORM
    listed = only(wire.run(wire.client.list_collections()), CollectionsListed)
    assert [chat.encrypted for chat in listed.chats] == [True]
    _, events = retrieved(wire, MERCUTIO, T0, private_key(OLD))
    [shown] = of_type(events, FormRetrieved)
    assert shown.encrypted and shown.form.fields == form.fields
    [removed] = wire.run(wire.client.remove_form(MERCUTIO, T0))
    assert isinstance(removed, CollectionSaved) and removed.change is SaveKind.FORM_REMOVED
    got, events = retrieved(wire, MERCUTIO, T0, private_key(OLD))
    assert not of_type(events, FormRetrieved) and got == lines("m", 3)
    # Removing a form that is not there is not an error.
    [again] = wire.run(wire.client.remove_form(MERCUTIO, T0))
    assert isinstance(again, CollectionSaved)
    # A plain form on a plain collection stays readable as it is.
    wire.run(wire.client.upload(NURSE, T0, lines("n", 2), encrypt=False))
    wire.run(wire.client.set_form(NURSE, T0, form, encrypt=False))
    _, events = retrieved(wire, NURSE, T0, None)
    assert of_type(events, FormRetrieved) == [FormRetrieved(CollectionId(NURSE, T0), form,
                                                            False)]


# -- automatic archiving with encryption ---------------------------------------------------


def chat_message(number: int, *, sent: bool) -> Message:
    text = f"auto {number}"
    if sent:
        return Message(type=MessageType.CHAT, to=JULIET, from_=ROMEO, bodies=(Body(text=text),))
    return Message(type=MessageType.CHAT, to=ROMEO, from_=JULIET, bodies=(Body(text=text),))


def test_auto_archiving_with_encryption(wire: Wire, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[SymmetricKey] = []
    original = new_symmetric_key

    def spy(*args: Any, **kwargs: Any) -> SymmetricKey:
        key = original(*args, **kwargs)
        made.append(key)
        return key

    monkeypatch.setattr(server_module, "new_symmetric_key", spy)
    # No public key anywhere: the server refuses.
    [refused] = wire.run(wire.client.enable_auto())
    assert isinstance(refused, NoPublicKey)
    wire.publish(OLD)
    [enabled] = wire.run(wire.client.enable_auto(public_keys=[public(EXTRA)]))
    assert enabled == AutoArchivingSet(True, True, None)
    for number in range(6):
        wire.server.archive_message(chat_message(number, sent=number % 2 == 0), owner=ROMEO,
                                    direction=Direction.TO if number % 2 == 0 else
                                    Direction.FROM, now=T0 + timedelta(seconds=10 * number))
    assert made and not any(key.destroyed for key in made)
    finished = wire.server.finish_collection(ROMEO, JULIET, now=T0 + timedelta(minutes=5))
    assert of_type(finished, CollectionFinished)
    # The server destroyed the collection's key and keeps none in its snapshot.
    assert all(key.destroyed for key in made)
    assert wire.server.open_collections() == ()
    assert "key" not in json.dumps(wire.server.snapshot()["open"])
    listed = only(wire.run(wire.client.list_collections()), CollectionsListed)
    [chat] = listed.chats
    assert chat.encrypted and chat.crypt is True
    for reader in (OLD, EXTRA):
        got, events = retrieved(wire, chat.with_, chat.start, private_key(reader), page_size=4)
        assert all(isinstance(entry, Entry) for entry in got)
        assert [_bodies(entry) for entry in got] == [(f"auto {n}",) for n in range(6)]
        assert [_direction(entry) for entry in got] == [Direction.TO, Direction.FROM] * 3
        assert not of_type(events, DecryptionFailed)


# -- listing -------------------------------------------------------------------------------


def test_list_pages_with_the_crypt_flag(wire: Wire) -> None:
    wire.run(wire.client.upload(JULIET, T0, lines("j", 2), recipients=[public(OLD)]))
    wire.run(wire.client.upload(NURSE, T0 + timedelta(hours=1), lines("n", 2), encrypt=False))
    wire.run(wire.client.upload(MERCUTIO, T0 + timedelta(hours=2), lines("m", 2),
                                recipients=[public(OLD)]))
    seen: list[tuple[JID, bool]] = []
    [page] = wire.run(wire.client.list_collections(page_size=1))
    while True:
        assert isinstance(page, CollectionsListed)
        seen.extend((chat.with_, chat.encrypted) for chat in page.chats)
        if not page.has_more:
            break
        [page] = wire.run(wire.client.list_next(page))
    assert seen == [(JULIET, True), (NURSE, False), (MERCUTIO, True)]
    filtered = only(wire.run(wire.client.list_collections(with_=JULIET.bare)),
                    CollectionsListed)
    assert [chat.with_ for chat in filtered.chats] == [JULIET]
    assert filtered.encrypted == (CollectionId(JULIET, T0),)


def test_a_missing_collection_is_reported(wire: Wire) -> None:
    [failed] = wire.run(wire.client.retrieve(JULIET, T0))
    assert isinstance(failed, RequestFailed) and failed.condition == "item-not-found"


# -- key replacement -----------------------------------------------------------------------


@dataclass
class Archive:
    """What the user archived before replacing a key: every collection and its
    messages, and the collection whose form is encrypted."""

    collections: dict[CollectionId, list[Entry | Note]]
    form: CollectionId
    form_fields: Form


def fill(wire: Wire) -> Archive:
    """Collections of every kind, most of them readable with the OLD key."""
    collections: dict[CollectionId, list[Entry | Note]] = {}
    # Several chunks, one symmetric key.
    entries = lines("a", 30)
    wire.run(wire.client.upload(JULIET, T0, entries, recipients=[public(OLD)]))
    collections[CollectionId(JULIET, T0)] = entries
    # Two uploads: two symmetric keys in one collection, the second also for OTHER.
    start = T0 + timedelta(hours=1)
    first, second = lines("b1", 4), lines("b2", 5)
    wire.run(wire.client.upload(NURSE, start, first, recipients=[public(OLD)]))
    wire.run(wire.client.upload(NURSE, start, second, recipients=[public(OLD), public(OTHER)]))
    collections[CollectionId(NURSE, start)] = first + second
    # Plain: nothing to replace.
    start = T0 + timedelta(hours=2)
    plain = lines("c", 3)
    wire.run(wire.client.upload(MERCUTIO, start, plain, encrypt=False))
    collections[CollectionId(MERCUTIO, start)] = plain
    # An encrypted form beside encrypted messages.
    start = T0 + timedelta(hours=3)
    form = Form.submit({"topic": "masks"}, form_type="urn:example:archiving")
    messages = lines("d", 4)
    wire.run(wire.client.upload(MERCUTIO, start, messages, recipients=[public(OLD)]))
    wire.run(wire.client.set_form(MERCUTIO, start, form, recipients=[public(OLD)]))
    collections[CollectionId(MERCUTIO, start)] = messages
    form_collection = CollectionId(MERCUTIO, start)
    # Automatically archived by the server, for the published OLD key.
    wire.publish(OLD)
    wire.run(wire.client.enable_auto())
    for number in range(4):
        wire.server.archive_message(chat_message(number, sent=True), owner=ROMEO,
                                    direction=Direction.TO,
                                    now=T0 + timedelta(days=2, seconds=number))
    wire.server.finish_collection(ROMEO, JULIET, now=T0 + timedelta(days=2, minutes=1))
    auto = CollectionId(JULIET.bare, T0 + timedelta(days=2))
    collections[auto] = [Entry(direction=Direction.TO, secs=0 if n == 0 else 1,
                               bodies=(f"auto {n}",)) for n in range(4)]
    assert wire.store.get_collection(ROMEO.bare, auto.with_, auto.start) is not None
    wire.events.clear()
    wire.sent.clear()
    return Archive(collections, form_collection, form)


def check_rotated(wire: Wire, archive: Archive) -> None:
    """Every collection opens with the NEW key, no key of OLD is left, nothing is lost."""
    iq = Iq(type=IqType.GET, id="check-keys", from_=ROMEO,
            extensions=(Keys(key_names=(public(OLD).name,)),))
    [answer] = sent(wire.server.receive(iq, owner=ROMEO, now=wire.now))
    assert isinstance(answer.payload, Keys) and answer.payload.chats == ()
    assert wire.store.find_keys(ROMEO.bare, [public(OLD).name]) == []
    for collection, expected in archive.collections.items():
        got, events = retrieved(wire, collection.with_, collection.start, private_key(NEW),
                                key_names=[public(NEW).name], page_size=5)
        assert not of_type(events, DecryptionFailed), collection
        if collection.with_ == JULIET.bare:  # auto-archived: compare what was said
            assert [_bodies(entry) for entry in got] == [_bodies(entry) for entry in expected]
        else:
            assert got == expected, collection
        if collection == archive.form:
            [form] = of_type(events, FormRetrieved)
            assert form.encrypted and form.form.fields == archive.form_fields.fields
    # What OTHER could read, it still can.
    nurse = next(c for c in archive.collections if c.with_ == NURSE)
    got, _ = retrieved(wire, nurse.with_, nurse.start, private_key(OTHER),
                       key_names=[public(OTHER).name])
    assert got == lines("b2", 5)


def rotate(wire: Wire, step: Callable[[], None] | None = None) -> RekeyFinished:
    """Replace OLD by NEW; ``step`` runs after every round trip (an iq delivered to
    the server and its answer handled by the client)."""
    wire.publish(OLD, NEW)  # the new key is published before the old one is replaced
    wire.send(wire.client.start_rekey(public(OLD).name, public(NEW),
                                      old_private_key=private_key(OLD), page_size=2))
    if step is not None:
        step()
    while wire.outbound or wire.inbound:
        if wire.inbound:
            wire.receive()
            if step is not None:
                step()
        else:
            wire.deliver()
    [finished] = of_type(wire.events, RekeyFinished)
    return finished


def _bodies(item: Entry | Note) -> tuple[str, ...]:
    return item.bodies if isinstance(item, Entry) else (item.text,)


def _direction(item: Entry | Note) -> Direction | None:
    return item.direction if isinstance(item, Entry) else None


def test_key_replacement_end_to_end(wire: Wire) -> None:
    archive = fill(wire)
    finished = rotate(wire)
    assert finished.kept == () and finished.deleted == 4
    assert not of_type(wire.events, CollectionKept)
    # Old keys were only ever deleted in a set, after the new ones were acknowledged.
    deletes = [iq for iq in wire.sent if isinstance(iq.payload, Delete)]
    assert deletes and all(iq.type is IqType.SET for iq in deletes)
    acknowledged = {event.collection for event in of_type(wire.events, NewKeysSaved)}
    for iq in deletes:
        collection = CollectionId(iq.payload.with_, iq.payload.start)
        assert collection in acknowledged
        position = wire.sent.index(iq)
        saves = [index for index, sent in enumerate(wire.sent) if
                 sent.type is IqType.SET and not isinstance(sent.payload, Delete)
                 and CollectionId.of(sent.payload.chat) == collection]
        assert saves and max(saves) < position
    check_rotated(wire, archive)


def test_key_replacement_survives_a_crash_between_every_two_steps(backend: Backend) -> None:
    wire = Wire.make(backend)
    try:
        archive = fill(wire)
        wire.keys = [private_key(OLD)]
        answered = len(wire.answers)
        count = 0

        def crash() -> None:
            nonlocal count
            count += 1
            wire.crash_server()
            wire.crash_client()

        finished = rotate(wire, crash)
        # A crash before the first request and after every answer, none lost.
        assert count == len(wire.answers) - answered + 1 and count > 10
        assert finished.kept == ()
        assert of_type(wire.events, OldKeysDeleted)
        check_rotated(wire, archive)
    finally:
        wire.close()


def test_key_replacement_with_answers_lost_to_crashes(backend: Backend) -> None:
    wire = Wire.make(backend)
    try:
        archive = fill(wire)
        wire.keys = [private_key(OLD)]
        wire.publish(OLD, NEW)
        wire.send(wire.client.start_rekey(public(OLD).name, public(NEW),
                                          old_private_key=private_key(OLD), page_size=2))
        repeats = 0
        lose = True
        while wire.outbound or wire.inbound:
            if wire.inbound:
                wire.receive()
                lose = True
            else:
                wire.deliver()
                if lose and wire.inbound:
                    # The server did the work; its answer dies with the connection.
                    repeats += 1
                    lose = False
                    wire.crash_server()
                    wire.crash_client()
        assert repeats > 10
        [finished] = of_type(wire.events, RekeyFinished)
        assert finished.kept == ()
        check_rotated(wire, archive)
    finally:
        wire.close()


def test_a_crashed_client_with_a_stale_snapshot_is_still_safe(backend: Backend) -> None:
    """Restoring an older snapshot than the last state (the caller saved late) only
    repeats work: the old keys of a collection are deleted only after its new keys
    were acknowledged in the very state that sends the delete.  A key the stale state
    saves again is a new wrap, which the server refuses as a conflict with the one it
    holds; that one is checked with the new private key and counts as saved."""
    wire = Wire.make(backend)
    try:
        archive = fill(wire)
        wire.publish(OLD, NEW)
        wire.send(wire.client.start_rekey(public(OLD).name, public(NEW),
                                          old_private_key=private_key(OLD), page_size=2))
        saved = wire.client.snapshot()
        steps = 0
        while wire.outbound or wire.inbound:
            if wire.inbound:
                wire.receive()
            else:
                wire.deliver()
            steps += 1
            if steps % 7 == 0:
                stale, saved = saved, wire.client.snapshot()
                wire.client = ArchiveClient.restore(stale, random=wire.client_random)
                wire.client.provide_private_key(private_key(OLD))
                wire.client.provide_private_key(private_key(NEW))
                wire.outbound, wire.inbound = [], []
                wire.send(wire.client.resend())
        [finished] = of_type(wire.events, RekeyFinished)
        assert finished.kept == ()
        assert not of_type(wire.events, CollectionKept)
        check_rotated(wire, archive)
    finally:
        wire.close()


def test_deleted_old_keys_leave_no_trace_in_the_database_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Key replacement exists for compromised keys: once the old EncryptedKeys are
    deleted, their ciphertext must not stay readable in the free space of the SQLite
    file.  The connection starts as SQLite's own default build leaves it
    (``secure_delete`` off; some distributions turn it on) so that the store has to
    turn it on itself."""
    connect = sqlite3.connect

    def default_build(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        db = connect(*args, **kwargs)
        db.execute("PRAGMA secure_delete = OFF")
        assert db.execute("PRAGMA secure_delete").fetchone() == (0,)
        return db

    monkeypatch.setattr(sqlite3, "connect", default_build)
    backend = Backend("sqlite", tmp_path / "archive.db")
    wire = Wire.make(backend)
    try:
        fill(wire)
        old = [key for _, keys in wire.store.find_keys(ROMEO.bare, [public(OLD).name])
               for key in keys]
        assert len(old) >= 5
        finished = rotate(wire)
        assert finished.kept == () and finished.deleted == 4
    finally:
        wire.close()
    path = tmp_path / "archive.db"
    files = [path, path.with_name(path.name + "-wal")]
    raw = b"".join(each.read_bytes() for each in files if each.exists())
    for key in old:
        value = key.cipher_data.value
        assert base64.b64encode(value) not in raw and value not in raw


def test_the_delete_example_of_the_xep_is_refused_unless_lenient(backend: Backend) -> None:
    """XEP-0241 §6 sends <delete/> in an iq get; the client always uses set (RFC 6120),
    and the strict server refuses the example's form."""
    wire = Wire.make(backend)
    try:
        wire.run(wire.client.upload(JULIET, T0, lines("a", 2), recipients=[public(OLD)]))
        request = Delete(with_=JULIET, start=T0, key_names=(public(OLD).name,))
        get = Iq(type=IqType.GET, id="delete1", extensions=(request,))
        [answer] = sent(wire.server.receive(get, owner=ROMEO, now=wire.now))
        assert answer.type is IqType.ERROR and answer.error is not None
        assert answer.error.condition == "bad-request"
        assert wire.store.get_keys(ROMEO.bare, JULIET, T0)
    finally:
        wire.close()


def test_retrieve_requests_carry_the_key_names_as_dsig(wire: Wire) -> None:
    [iq] = sent(wire.client.retrieve(JULIET, T0, key_names=["a", "b"]))
    assert isinstance(iq.payload, Retrieve) and iq.payload.key_names == ("a", "b")
