"""Random interleavings of the archive client and server never lose a message or a key.

A hypothesis state machine drives one user's client and the server through uploads
(some under a symmetric key name an earlier upload to the collection may have used
with another key: the server refuses those as a conflict), automatically archived
messages, finished collections and key replacements (cancelled now and then, and
started again), while
the network delivers, drops and duplicates iqs, connections break (what was in flight
may still reach the server later, out of order: the only reordering an XMPP stream,
ordered in each direction, allows) and the client crashes and comes back from its
snapshot.  After every step:

* every ``EncryptedData`` the server holds opens with a private key the user still
  holds (no collection is ever left without a key that opens it);
* every message the user was told is archived (an acknowledged upload, a message the
  server archived) can be decrypted from what the server holds.

When a key replacement finishes, the user throws the old private key away; at the end
everything is delivered, and everything must open with the newest key alone.
"""

from __future__ import annotations

import functools
import json
import random as stdlib_random
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from xepcodec.core.stanza_errors import Condition
from xepcodec.core.stanzas import Body, Iq, IqType, Message, MessageType
from xepcodec.crypto import DecryptionError, PublicKey, decrypt_collection
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError
from xepcodec.machines.archive_client import (
    ArchiveClient,
    AutoArchivingSet,
    CollectionKept,
    PrivateKeyNeeded,
    RekeyCancelled,
    RekeyFailed,
    RekeyFinished,
    RequestFailed,
    Send,
    UploadFailed,
    UploadFinished,
)
from xepcodec.machines.archive_server import ArchiveServer, MessageArchived
from xepcodec.machines.archive_store import MemoryStore
from xepcodec.protocols.archive import Direction, Entry, Note
from xepcodec.protocols.xmlenc import EncryptedData, EncryptedKey

ROMEO = JID.parse("romeo@montague.lit/orchard")
PEERS = (JID.parse("juliet@capulet.lit"), JID.parse("nurse@capulet.lit/garden"),
         JID.parse("mercutio@verona.lit"))
T0 = datetime(2024, 7, 21, 2, 56, 15, tzinfo=UTC)
GENERATIONS = 3  # how many keys a run may go through


@functools.cache
def private_key(index: int) -> RSAPrivateKey:
    """A small pool of keys, made once: 2048-bit generation is slow."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def public(index: int) -> PublicKey:
    return PublicKey.from_key(private_key(index).public_key(), confirmed=True)


def stanzas(events: Sequence[object]) -> list[Iq]:
    """The iqs a call of the client's sends; it returns nothing else."""
    assert all(isinstance(event, Send) for event in events), events
    return [event.stanza for event in events if isinstance(event, Send)]


def _text(item: Entry | Note) -> str:
    return item.text if isinstance(item, Note) else item.bodies[0]


class ArchiveInterleavings(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.store = MemoryStore()
        self.server = ArchiveServer(self.store, random=stdlib_random.Random(2).randbytes)
        self.client_random = stdlib_random.Random(1).randbytes
        self.client = ArchiveClient(ROMEO, random=self.client_random, max_stanza_bytes=2500)
        self.now = T0
        self.generation = 0
        self.held = {0}
        self.outbound: list[Iq] = []
        self.inbound: list[Iq] = []
        #: iqs of broken connections that may still reach the server, in any order
        self.ghosts: list[Iq] = []
        self.acknowledged: Counter[str] = Counter()
        self.uploads: dict[str, list[str]] = {}
        self.counter = 0
        self.rekey_old: int | None = None
        #: whether the running key replacement was cancelled (and must be started again)
        self.cancelled = False
        #: uploads under a shared symmetric key name, which may meet a conflict
        self.shared: set[str] = set()
        self.publish(0)
        [enable] = stanzas(self.client.enable_auto())
        [answer] = [sent.stanza for sent in self.server.receive(enable, owner=ROMEO, now=self.now)]
        assert self.client.receive(answer) == [AutoArchivingSet(True, True, None)]
        #: (data cipher, key cipher, private key) -> what it decrypts to (None: nothing)
        self.opened: dict[tuple[bytes, bytes, int], tuple[Entry | Note, ...] | None] = {}

    # -- plumbing -----------------------------------------------------------------------

    def publish(self, *indexes: int) -> None:
        self.store.set_public_keys(ROMEO.bare, [public(index).key_info() for index in indexes])

    def tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def serve(self, iq: Iq) -> list[Iq]:
        answers = [sent.stanza for sent in self.server.receive(iq, owner=ROMEO, now=self.tick())]
        return [answer for answer in answers if answer.type in (IqType.RESULT, IqType.ERROR)]

    def absorb(self, events: list[object]) -> None:
        for event in events:
            if isinstance(event, Send):
                self.outbound.append(event.stanza)
            elif isinstance(event, UploadFinished):
                for text in self.uploads.pop(event.upload, []):
                    self.acknowledged[text] += 1
            elif isinstance(event, UploadFailed) and event.upload in self.shared:
                # Another key under this name is stored already: nothing of this upload
                # is, and it was never acknowledged.
                assert event.condition is Condition.CONFLICT, event
                self.uploads.pop(event.upload)
                # A copy of it still on a broken connection is not let through: once a
                # key replacement has deleted the old keys, the server would take it (no
                # key under the old public key and this name is left to clash with) and
                # hold data that only the thrown-away key opens.  No client can stop a
                # copy it was told was refused; this is a known gap, not modelled here.
                self.ghosts = [iq for iq in self.ghosts if iq.id != event.upload]
            elif isinstance(event, RekeyFinished):
                assert event.kept == (), event
                old = self.rekey_old
                assert old is not None
                self.rekey_old = None
                # The obsolete key is thrown away and no longer published.
                self.held.discard(old)
                self.client.forget_private_key(public(old).name)
                self.publish(self.generation)
            else:
                assert not isinstance(event, UploadFailed | CollectionKept | RekeyFailed
                                      | RequestFailed | PrivateKeyNeeded | RekeyCancelled), event

    def reconnect(self) -> None:
        self.ghosts.extend(self.outbound)
        self.outbound = []
        self.inbound = []
        self.outbound.extend(stanzas(self.client.resend()))

    # -- what the user does ---------------------------------------------------------------

    @rule(peer=st.sampled_from(PEERS), slot=st.integers(0, 2), count=st.integers(1, 8),
          width=st.integers(0, 150), shared=st.booleans())
    def upload(self, peer: JID, slot: int, count: int, width: int, shared: bool) -> None:
        texts = []
        entries: list[Entry | Note] = []
        for _ in range(count):
            self.counter += 1
            text = f"upload {self.counter} " + "x" * width
            texts.append(text)
            entries.append(Note(text=text) if self.counter % 5 == 0 else
                           Entry(direction=Direction.FROM, secs=1, bodies=(text,)))
        # A shared name is used by every such upload of a generation (wrapped for the
        # same public key): the second one to a collection carries another key under
        # a stored (public key, symmetric key) pair.
        name = f"shared-{self.generation}" if shared else None
        iqs = stanzas(self.client.upload(peer, T0 + timedelta(hours=slot), entries,
                                         recipients=[public(self.generation)], key_name=name))
        self.uploads[iqs[0].id] = texts
        if shared:
            self.shared.add(iqs[0].id)
        self.outbound.extend(iqs)

    @rule(peer=st.sampled_from(PEERS), sent=st.booleans())
    def auto_message(self, peer: JID, sent: bool) -> None:
        self.counter += 1
        text = f"auto {self.counter}"
        message = Message(type=MessageType.CHAT, to=peer if sent else ROMEO,
                          from_=ROMEO if sent else peer, bodies=(Body(text=text),))
        events = self.server.archive_message(
            message, owner=ROMEO, direction=Direction.TO if sent else Direction.FROM,
            now=self.tick())
        if any(isinstance(event, MessageArchived) for event in events):
            self.acknowledged[text] += 1

    @rule(peer=st.sampled_from(PEERS))
    def finish_collection(self, peer: JID) -> None:
        self.server.finish_collection(ROMEO, peer, now=self.tick())

    @precondition(lambda self: self.rekey_old is None and self.generation + 1 < GENERATIONS)
    @rule(page_size=st.integers(1, 3))
    def start_rekey(self, page_size: int) -> None:
        old, new = self.generation, self.generation + 1
        self.generation = new
        self.held.add(new)
        self.rekey_old = old
        self.publish(old, new)  # the new key is published before the old one goes
        self.outbound.extend(stanzas(self.client.start_rekey(
            public(old).name, public(new), old_private_key=private_key(old),
            new_private_key=private_key(new), page_size=page_size)))

    @precondition(lambda self: self.client.rekey_state is not None)
    @rule()
    def cancel_rekey(self) -> None:
        [cancelled] = self.client.cancel_rekey()
        assert isinstance(cancelled, RekeyCancelled)
        self.cancelled = True

    @precondition(lambda self: self.cancelled)
    @rule(page_size=st.integers(1, 3))
    def restart_rekey(self, page_size: int = 2) -> None:
        """The user starts the cancelled replacement again (only the newest key is to
        remain, so it must end some time)."""
        old = self.rekey_old
        assert old is not None
        self.cancelled = False
        self.outbound.extend(stanzas(self.client.start_rekey(
            public(old).name, public(self.generation), old_private_key=private_key(old),
            new_private_key=private_key(self.generation), page_size=page_size)))

    # -- what the network does ----------------------------------------------------------------

    @precondition(lambda self: self.outbound)
    @rule()
    def deliver(self) -> None:
        self.inbound.extend(self.serve(self.outbound.pop(0)))

    @precondition(lambda self: self.outbound)
    @rule()
    def duplicate(self) -> None:
        """The first iq in flight reaches the server twice (a resumed stream)."""
        iq = self.outbound.pop(0)
        self.inbound.extend(self.serve(iq))
        self.inbound.extend(self.serve(iq))

    @precondition(lambda self: self.inbound)
    @rule()
    def receive(self) -> None:
        self.absorb(list(self.client.receive(self.inbound.pop(0))))

    @precondition(lambda self: self.inbound)
    @rule()
    def lose_answer(self) -> None:
        """An answer is lost; the connection will be found broken later."""
        self.inbound.pop(0)

    @rule()
    def connection_breaks(self) -> None:
        self.reconnect()

    @precondition(lambda self: self.ghosts)
    @rule(data=st.data())
    def ghost_arrives(self, data: st.DataObject) -> None:
        """An iq of a broken connection reaches the server late; nobody hears the
        answer."""
        index = data.draw(st.integers(0, len(self.ghosts) - 1))
        self.serve(self.ghosts.pop(index))

    @precondition(lambda self: self.ghosts)
    @rule()
    def ghosts_vanish(self) -> None:
        self.ghosts.clear()

    @rule()
    def client_crashes(self) -> None:
        data = json.loads(json.dumps(self.client.snapshot()))
        self.client = ArchiveClient.restore(data, random=self.client_random)
        assert self.client.snapshot() == data  # a fixed point, wherever the flows stand
        for index in sorted(self.held):
            assert self.client.provide_private_key(private_key(index)) == []
        self.reconnect()

    # -- what must hold ---------------------------------------------------------------------

    def readable(self, holders: set[int]) -> Counter[str]:
        """The texts of everything the server holds, decrypted with the private keys
        ``holders``; fails if some encrypted data opens with none of them."""
        texts: Counter[str] = Counter()
        for record in self.store.find_collections(ROMEO.bare):
            where = (record.with_, record.start)
            items = self.store.get_items(ROMEO.bare, record.with_, record.start)
            keys = self.store.get_keys(ROMEO.bare, record.with_, record.start)
            for item in items:
                if isinstance(item, EncryptedData):
                    opened = self.open(item, keys, holders)
                    assert opened is not None, (
                        f"the collection {where} holds data encrypted with "
                        f"{item.key_name!r} that no key the user holds ({sorted(holders)}) "
                        "opens")
                    texts.update(_text(entry) for entry in opened)
                else:
                    texts[_text(item)] += 1
        return texts

    def open(self, data: EncryptedData, keys: list[EncryptedKey], holders: set[int]
             ) -> tuple[Entry | Note, ...] | None:
        for key in keys:
            if key.carried_key_name != data.key_name:
                continue
            for index in holders:
                if key.key_name != public(index).name:
                    continue
                slot = (data.cipher_data.value, key.cipher_data.value, index)
                if slot not in self.opened:
                    try:
                        self.opened[slot] = decrypt_collection(
                            [data], [key], private_key(index),
                            key_names=(public(index).name,))
                    except (DecryptionError, ParseError):
                        self.opened[slot] = None
                if self.opened[slot] is not None:
                    return self.opened[slot]
        return None

    @invariant()
    def nothing_lost_and_everything_opens(self) -> None:
        found = self.readable(self.held)
        missing = self.acknowledged - found
        assert not missing, f"acknowledged but not readable: {sorted(missing)[:3]}"

    def teardown(self) -> None:
        """Let everything in flight arrive, then only the newest key may be needed."""
        try:
            if self.cancelled:
                self.restart_rekey()
            for _ in range(5000):
                if self.inbound:
                    self.receive()
                elif self.outbound:
                    self.deliver()
                elif self.ghosts:
                    self.serve(self.ghosts.pop(0))
                elif not self.client.is_idle():
                    assert self.client.in_flight, "the client waits for nothing"
                    self.reconnect()
                else:
                    break
            else:
                raise AssertionError("the machines never settled")
            assert not self.uploads and self.rekey_old is None
            found = self.readable({self.generation})
            assert not (self.acknowledged - found)
        finally:
            self.store.close()


ArchiveInterleavings.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None)
TestArchiveInterleavings = ArchiveInterleavings.TestCase
