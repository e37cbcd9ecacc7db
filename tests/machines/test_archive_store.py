"""Tests for xepcodec.machines.archive_store: the storage of the archive server.

The same behaviour suite runs against every store (the ``store`` fixture is
parametrized over MemoryStore and SQLiteStore); the SQLite store is also checked for
what only it promises: the data survives closing and reopening the file, a crash in
the middle of a transaction (a real process killed mid-write) loses nothing that was
committed, and every element goes through XML on the way.
"""

from __future__ import annotations

import base64
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from xepcodec.api import parse
from xepcodec.datatypes.jid import JID
from xepcodec.machines.archive_store import (
    ArchiveStore,
    ChangeRecord,
    CollectionRecord,
    MemoryStore,
    SQLiteStore,
    jid_matches,
    utc,
)
from xepcodec.protocols.archive import (
    ARCHIVE,
    Auto,
    ChangeKind,
    Default,
    Direction,
    Entry,
    Item,
    Link,
    LinkKind,
    Method,
    MethodType,
    MethodUse,
    Note,
    OtrMode,
    Pref,
    SaveMode,
    Scope,
    Session,
)
from xepcodec.protocols.dataforms import Form, FormType
from xepcodec.protocols.xmlenc import (
    CONTENT,
    CipherData,
    EncryptedData,
    EncryptedKey,
    EncryptionMethod,
    KeyInfo,
    KeyValue,
    RSAKeyValue,
)

ROMEO = JID.parse("romeo@montague.net")
ROMEO_FULL = JID.parse("romeo@montague.net/orchard")
JULIET = JID.parse("juliet@capulet.com")
JULIET_BALCONY = JID.parse("juliet@capulet.com/balcony")
JULIET_CHAMBER = JID.parse("juliet@capulet.com/chamber")
NURSE = JID.parse("nurse@capulet.com")
CAPULET = JID.parse("capulet.com")
MONTAGUE = JID.parse("montague.net")
T0 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def record(with_: JID = JULIET, start: datetime = T0, **fields: object) -> CollectionRecord:
    return CollectionRecord(owner=ROMEO, with_=with_, start=start, **fields)  # type: ignore[arg-type]


def entry(text: str, direction: Direction = Direction.TO, secs: int = 0) -> Entry:
    return Entry(direction=direction, secs=secs, bodies=(text,))


def data(key: str, octets: bytes = b"\x01\x02\x03") -> EncryptedData:
    return EncryptedData(type=CONTENT, method=EncryptionMethod(
        algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"),
        key_info=KeyInfo(key_names=(key,)), cipher_data=CipherData(value=octets))


def wrapped(public: str, carried: str, octets: bytes = b"\x09" * 8) -> EncryptedKey:
    return EncryptedKey(key_info=KeyInfo(key_names=(public,)),
                        cipher_data=CipherData(value=octets), carried_key_name=carried)


def public_key(name: str) -> KeyInfo:
    return KeyInfo(key_names=(name,), key_values=(KeyValue(rsa=RSAKeyValue(
        modulus=b"\xc1" * 256, exponent=b"\x01\x00\x01")),))


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArchiveStore]:
    made: ArchiveStore = MemoryStore() if request.param == "memory" else \
        SQLiteStore(tmp_path / "archive.db")
    yield made
    made.close()


# -- helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(("pattern", "jid", "exact", "expected"), [
    # a full JID selects only itself
    ("juliet@capulet.com/balcony", "juliet@capulet.com/balcony", False, True),
    ("juliet@capulet.com/balcony", "juliet@capulet.com/chamber", False, False),
    ("juliet@capulet.com/balcony", "juliet@capulet.com", False, False),
    # a bare JID selects itself and every resource
    ("juliet@capulet.com", "juliet@capulet.com", False, True),
    ("juliet@capulet.com", "juliet@capulet.com/balcony", False, True),
    ("juliet@capulet.com", "nurse@capulet.com", False, False),
    ("juliet@capulet.com", "capulet.com", False, False),
    # a domain selects everything at the domain
    ("capulet.com", "capulet.com", False, True),
    ("capulet.com", "juliet@capulet.com", False, True),
    ("capulet.com", "juliet@capulet.com/balcony", False, True),
    ("capulet.com", "capulet.com/tomb", False, True),
    ("capulet.com", "romeo@montague.net", False, False),
    # exactmatch: only the identical address
    ("capulet.com", "capulet.com", True, True),
    ("capulet.com", "juliet@capulet.com", True, False),
    ("capulet.com", "capulet.com/tomb", True, False),
    ("juliet@capulet.com", "juliet@capulet.com", True, True),
    ("juliet@capulet.com", "juliet@capulet.com/balcony", True, False),
    # a domain with a resource is a full JID
    ("capulet.com/tomb", "capulet.com/tomb", False, True),
    ("capulet.com/tomb", "juliet@capulet.com", False, False),
])
def test_jid_matching_rules(pattern: str, jid: str, exact: bool, expected: bool) -> None:
    assert jid_matches(JID.parse(pattern), JID.parse(jid), exactmatch=exact) is expected


def test_utc_converts_and_refuses_naive_times() -> None:
    plus_two = datetime(2024, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert utc(plus_two) == T0 and utc(plus_two).utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="naive"):
        utc(datetime(2024, 3, 1, 12, 0))


def test_record_normalizes_owner_and_start() -> None:
    made = CollectionRecord(owner=ROMEO_FULL, with_=JULIET,
                            start=datetime(2024, 3, 1, 7, 0, tzinfo=timezone(-timedelta(hours=5))))
    assert made.owner == ROMEO and made.start.tzinfo == UTC and made.start == T0
    assert made.key == (ROMEO, JULIET, T0)


def test_record_refuses_links_of_the_wrong_kind_or_without_target() -> None:
    with pytest.raises(ValueError, match="previous"):
        record(previous=Link(kind=LinkKind.NEXT, with_=NURSE, start=T0))
    with pytest.raises(ValueError, match="next"):
        record(next=Link(kind=LinkKind.NEXT))


# -- collections -------------------------------------------------------------------------


def test_put_and_get_collection(store: ArchiveStore) -> None:
    form = Form.submit({"task": "1"})
    made = record(subject="She speaks!", thread="damduoeg08", version=3,
                  previous=Link(kind=LinkKind.PREVIOUS, with_=NURSE, start=at(-60)),
                  next=Link(kind=LinkKind.NEXT, with_=CAPULET, start=at(600)), form=form,
                  item_count=2, size=120, encrypted=True)
    assert store.get_collection(ROMEO, JULIET, T0) is None
    store.put_collection(made)
    assert store.get_collection(ROMEO, JULIET, T0) == made
    # the owner is looked up by its bare JID; the start by its instant
    assert store.get_collection(ROMEO_FULL, JULIET, T0.astimezone(timezone(timedelta(hours=3)))) \
        == made
    assert store.get_collection(ROMEO, JULIET, at(1)) is None
    assert store.get_collection(JULIET, JULIET, T0) is None  # another account


def test_put_collection_replaces_the_description_and_keeps_items(store: ArchiveStore) -> None:
    store.put_collection(record(subject="one"))
    store.append_items(ROMEO, JULIET, T0, [entry("a")])
    store.add_keys(ROMEO, JULIET, T0, [wrapped("pk", "dk")])
    store.put_collection(record(subject="two", version=1, item_count=1))
    got = store.get_collection(ROMEO, JULIET, T0)
    assert got is not None and got.subject == "two" and got.version == 1
    assert store.get_items(ROMEO, JULIET, T0) == [entry("a")]
    assert store.get_keys(ROMEO, JULIET, T0) == [wrapped("pk", "dk")]


def test_microseconds_are_kept(store: ArchiveStore) -> None:
    start = T0.replace(microsecond=123456)
    store.put_collection(record(start=start))
    assert store.get_collection(ROMEO, JULIET, start) is not None
    assert store.get_collection(ROMEO, JULIET, T0) is None
    assert store.find_collections(ROMEO)[0].start == start


def test_find_collections_is_chronological(store: ArchiveStore) -> None:
    for with_, seconds in [(NURSE, 30), (JULIET, 10), (CAPULET, 30), (JULIET, 20)]:
        store.put_collection(record(with_=with_, start=at(seconds)))
    found = [(str(found.with_), found.start) for found in store.find_collections(ROMEO)]
    # by start, then by the JID's text
    assert found == [("juliet@capulet.com", at(10)), ("juliet@capulet.com", at(20)),
                     ("capulet.com", at(30)), ("nurse@capulet.com", at(30))]


def test_find_collections_applies_jid_matching(store: ArchiveStore) -> None:
    everyone = [JULIET, JULIET_BALCONY, JULIET_CHAMBER, NURSE, CAPULET,
                JID.parse("capulet.com/tomb"), JID.parse("benvolio@montague.net")]
    for offset, with_ in enumerate(everyone):
        store.put_collection(record(with_=with_, start=at(offset)))

    def found(pattern: JID, exact: bool = False) -> set[JID]:
        return {each.with_ for each in store.find_collections(ROMEO, with_=pattern,
                                                              exactmatch=exact)}

    assert found(JULIET_BALCONY) == {JULIET_BALCONY}
    assert found(JULIET) == {JULIET, JULIET_BALCONY, JULIET_CHAMBER}
    assert found(JULIET, exact=True) == {JULIET}
    assert found(CAPULET) == {JULIET, JULIET_BALCONY, JULIET_CHAMBER, NURSE, CAPULET,
                              JID.parse("capulet.com/tomb")}
    assert found(CAPULET, exact=True) == {CAPULET}
    assert found(MONTAGUE) == {JID.parse("benvolio@montague.net")}
    assert found(JID.parse("tybalt@capulet.com")) == set()


def test_find_collections_start_is_inclusive_and_end_exclusive(store: ArchiveStore) -> None:
    for seconds in (0, 10, 20, 30):
        store.put_collection(record(start=at(seconds)))

    def starts(**bounds: datetime) -> list[datetime]:
        return [each.start for each in store.find_collections(ROMEO, **bounds)]  # type: ignore[arg-type]

    assert starts(start=at(10)) == [at(10), at(20), at(30)]
    assert starts(end=at(20)) == [at(0), at(10)]
    assert starts(start=at(10), end=at(30)) == [at(10), at(20)]
    assert starts(start=at(31)) == []


def test_find_collections_keeps_accounts_apart(store: ArchiveStore) -> None:
    store.put_collection(record())
    store.put_collection(CollectionRecord(owner=JULIET, with_=ROMEO, start=T0))
    assert [each.owner for each in store.find_collections(ROMEO_FULL)] == [ROMEO]
    assert [each.owner for each in store.find_collections(JULIET)] == [JULIET]


def test_delete_collection_takes_items_and_keys(store: ArchiveStore) -> None:
    store.put_collection(record())
    store.append_items(ROMEO, JULIET, T0, [entry("a")])
    store.add_keys(ROMEO, JULIET, T0, [wrapped("pk", "dk")])
    assert store.delete_collection(ROMEO, JULIET, T0) is True
    assert store.get_collection(ROMEO, JULIET, T0) is None
    assert store.delete_collection(ROMEO, JULIET, T0) is False
    # re-created, it starts empty
    store.put_collection(record())
    assert store.get_items(ROMEO, JULIET, T0) == []
    assert store.get_keys(ROMEO, JULIET, T0) == []
    assert store.find_keys(ROMEO) == []


def test_put_collection_refuses_other_objects(store: ArchiveStore) -> None:
    with pytest.raises(TypeError):
        store.put_collection("not a record")  # type: ignore[arg-type]


# -- items ---------------------------------------------------------------------------------


def test_items_are_appended_in_order_and_read_by_position(store: ArchiveStore) -> None:
    store.put_collection(record())
    first = [entry("a"), Note(text="a note", utc=at(5)), entry("b", Direction.FROM, 3)]
    store.append_items(ROMEO, JULIET, T0, first)
    store.append_items(ROMEO, JULIET, T0, [entry("c"), entry("d")])
    everything = [*first, entry("c"), entry("d")]
    assert store.get_items(ROMEO, JULIET, T0) == everything
    assert store.get_items(ROMEO, JULIET, T0, 1, 3) == everything[1:3]
    assert store.get_items(ROMEO, JULIET, T0, 3) == everything[3:]
    assert store.get_items(ROMEO, JULIET, T0, 7) == []


def test_items_keep_every_detail(store: ArchiveStore) -> None:
    store.put_collection(record())
    rich = parse(b"<from xmlns='urn:xmpp:archive' utc='2024-03-01T11:00:00Z' name='mercutio' "
                 b"jid='mercutio@verona.lit/x'><body>one</body><body>two</body>"
                 b"<active xmlns='http://jabber.org/protocol/chatstates'/></from>")
    assert isinstance(rich, Entry) and rich.extensions and rich.utc == at(-3600)
    store.append_items(ROMEO, JULIET, T0, [rich, data("k1")])
    assert store.get_items(ROMEO, JULIET, T0) == [rich, data("k1")]


def test_replace_items(store: ArchiveStore) -> None:
    store.put_collection(record())
    store.append_items(ROMEO, JULIET, T0, [entry("a"), entry("b")])
    store.replace_items(ROMEO, JULIET, T0, [data("k1")])
    assert store.get_items(ROMEO, JULIET, T0) == [data("k1")]
    store.append_items(ROMEO, JULIET, T0, [data("k2")])
    assert store.get_items(ROMEO, JULIET, T0, 1) == [data("k2")]


def test_items_of_a_missing_collection_are_a_key_error(store: ArchiveStore) -> None:
    with pytest.raises(KeyError, match="no collection"):
        store.append_items(ROMEO, JULIET, T0, [entry("a")])
    with pytest.raises(KeyError):
        store.get_items(ROMEO, JULIET, T0)
    with pytest.raises(KeyError):
        store.add_keys(ROMEO, JULIET, T0, [wrapped("pk", "dk")])
    with pytest.raises(KeyError):
        store.delete_keys(ROMEO, JULIET, T0, ["pk"])


def test_items_must_be_collection_items(store: ArchiveStore) -> None:
    store.put_collection(record())
    with pytest.raises(TypeError, match="Entry, Note or EncryptedData"):
        store.append_items(ROMEO, JULIET, T0, [wrapped("pk", "dk")])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="EncryptedKey"):
        store.add_keys(ROMEO, JULIET, T0, [data("k")])  # type: ignore[list-item]


# -- wrapped keys --------------------------------------------------------------------------


def test_keys_are_kept_in_order_and_deleted_by_public_key_name(store: ArchiveStore) -> None:
    store.put_collection(record())
    keys = [wrapped("old", "dk1"), wrapped("new", "dk1"), wrapped("old", "dk2")]
    store.add_keys(ROMEO, JULIET, T0, keys[:2])
    store.add_keys(ROMEO, JULIET, T0, keys[2:])
    assert store.get_keys(ROMEO, JULIET, T0) == keys
    assert store.delete_keys(ROMEO, JULIET, T0, ["old", "absent"]) == 2
    assert store.get_keys(ROMEO, JULIET, T0) == [wrapped("new", "dk1")]
    assert store.delete_keys(ROMEO, JULIET, T0, ["old"]) == 0
    assert store.delete_keys(ROMEO, JULIET, T0, []) == 0


def test_keys_are_deleted_by_carried_key_name(store: ArchiveStore) -> None:
    store.put_collection(record())
    store.put_collection(record(with_=NURSE))
    store.add_keys(ROMEO, JULIET, T0, [wrapped("pk1", "dk1"), wrapped("pk1", "dk2"),
                                       wrapped("pk2", "dk1"), wrapped("pk2", "dk3")])
    store.add_keys(ROMEO, NURSE, T0, [wrapped("pk1", "dk1")])
    assert store.delete_keys_carrying(ROMEO, JULIET, T0, ["dk1", "dk3", "absent"]) == 3
    assert store.get_keys(ROMEO, JULIET, T0) == [wrapped("pk1", "dk2")]
    assert store.get_keys(ROMEO, NURSE, T0) == [wrapped("pk1", "dk1")]
    assert store.delete_keys_carrying(ROMEO, JULIET, T0, ["dk1"]) == 0
    assert store.delete_keys_carrying(ROMEO, JULIET, T0, []) == 0
    # keys added afterwards go after the ones that stayed
    store.add_keys(ROMEO, JULIET, T0, [wrapped("pk3", "dk4")])
    assert store.get_keys(ROMEO, JULIET, T0) == [wrapped("pk1", "dk2"), wrapped("pk3", "dk4")]
    with pytest.raises(KeyError, match="no collection"):
        store.delete_keys_carrying(ROMEO, CAPULET, T0, ["dk1"])


def test_a_failed_transaction_restores_keys_deleted_by_carried_name(
        store: ArchiveStore) -> None:
    store.put_collection(record())
    store.add_keys(ROMEO, JULIET, T0, [wrapped("pk", "dk1"), wrapped("pk", "dk2")])
    with pytest.raises(Boom), store.transaction():
        assert store.delete_keys_carrying(ROMEO, JULIET, T0, ["dk1"]) == 1
        raise Boom
    assert store.get_keys(ROMEO, JULIET, T0) == [wrapped("pk", "dk1"), wrapped("pk", "dk2")]


def test_find_keys_groups_by_collection_chronologically(store: ArchiveStore) -> None:
    store.put_collection(record(with_=NURSE, start=at(20)))
    store.put_collection(record(start=at(10)))
    store.put_collection(record(with_=CAPULET, start=at(30)))
    store.add_keys(ROMEO, NURSE, at(20), [wrapped("old", "a"), wrapped("new", "a")])
    store.add_keys(ROMEO, JULIET, at(10), [wrapped("old", "b"), wrapped("old", "c")])
    store.add_keys(ROMEO, CAPULET, at(30), [wrapped("new", "d")])
    found = store.find_keys(ROMEO, ["old"])
    assert [(each.with_, keys) for each, keys in found] == [
        (JULIET, [wrapped("old", "b"), wrapped("old", "c")]),
        (NURSE, [wrapped("old", "a")]),
    ]
    everything = store.find_keys(ROMEO)
    assert [len(keys) for _, keys in everything] == [2, 2, 1]
    assert store.find_keys(ROMEO, []) == []
    assert store.find_keys(JULIET, ["old"]) == []


# -- the modification log --------------------------------------------------------------------


def test_log_keeps_the_latest_change_per_collection(store: ArchiveStore) -> None:
    first = store.log_change(ROMEO, ChangeKind.CHANGED, JULIET, T0, 0, at(1))
    other = store.log_change(ROMEO, ChangeKind.CHANGED, NURSE, T0, 0, at(2))
    latest = store.log_change(ROMEO, ChangeKind.CHANGED, JULIET, T0, 1, at(3))
    assert first.seq < other.seq < latest.seq
    assert store.get_changes(ROMEO) == [other, latest]
    gone = store.log_change(ROMEO_FULL, ChangeKind.REMOVED, NURSE, T0, 0, at(4))
    assert store.get_changes(ROMEO) == [latest, gone]
    assert gone == ChangeRecord(seq=gone.seq, kind=ChangeKind.REMOVED, with_=NURSE, start=T0,
                                version=0, at=at(4))


def test_log_since_is_inclusive(store: ArchiveStore) -> None:
    store.log_change(ROMEO, ChangeKind.CHANGED, JULIET, at(0), 0, at(10))
    store.log_change(ROMEO, ChangeKind.CHANGED, NURSE, at(0), 0, at(20))
    assert [each.with_ for each in store.get_changes(ROMEO, at(10))] == [JULIET, NURSE]
    assert [each.with_ for each in store.get_changes(ROMEO, at(11))] == [NURSE]
    assert store.get_changes(ROMEO, at(21)) == []
    assert store.get_changes(JULIET) == []


# -- preferences and public keys ------------------------------------------------------------


def test_prefs_round_trip(store: ArchiveStore) -> None:
    assert store.get_prefs(ROMEO) is None
    prefs = Pref(namespace=ARCHIVE,
                 auto=Auto(namespace=ARCHIVE, save=True, scope=Scope.GLOBAL, encrypt=True,
                           key_infos=(public_key("pk"),)),
                 default=Default(otr=OtrMode.CONCEDE, save=SaveMode.BODY, expire=3600),
                 items=(Item(jid=JULIET, otr=OtrMode.FORBID, save=SaveMode.MESSAGE),),
                 sessions=(Session(thread="t1", save=SaveMode.FALSE, timeout=60),),
                 methods=(Method(type=MethodType.AUTO, use=MethodUse.PREFER),))
    store.put_prefs(ROMEO_FULL, prefs)
    assert store.get_prefs(ROMEO) == prefs
    store.put_prefs(ROMEO, Pref(namespace=ARCHIVE))
    assert store.get_prefs(ROMEO) == Pref(namespace=ARCHIVE)
    with pytest.raises(TypeError):
        store.put_prefs(ROMEO, "pref")  # type: ignore[arg-type]


def test_public_keys_round_trip(store: ArchiveStore) -> None:
    assert store.get_public_keys(ROMEO) == ()
    keys = (public_key("one"), public_key("two"))
    store.set_public_keys(ROMEO_FULL, keys)
    assert store.get_public_keys(ROMEO) == keys
    store.set_public_keys(ROMEO, keys[1:])
    assert store.get_public_keys(ROMEO) == keys[1:]
    assert store.get_public_keys(JULIET) == ()
    with pytest.raises(TypeError, match="KeyInfo"):
        store.set_public_keys(ROMEO, ["key"])  # type: ignore[list-item]


# -- transactions ---------------------------------------------------------------------------


class Boom(Exception):
    pass


def test_a_failed_transaction_leaves_nothing(store: ArchiveStore) -> None:
    store.put_collection(record(subject="before"))
    store.append_items(ROMEO, JULIET, T0, [entry("kept")])
    store.put_prefs(ROMEO, Pref(namespace=ARCHIVE))
    with pytest.raises(Boom), store.transaction():
        store.put_collection(record(subject="after", version=1))
        store.append_items(ROMEO, JULIET, T0, [entry("lost")])
        store.replace_items(ROMEO, JULIET, T0, [entry("replaced")])
        store.add_keys(ROMEO, JULIET, T0, [wrapped("pk", "dk")])
        store.put_collection(record(with_=NURSE))
        store.append_items(ROMEO, NURSE, T0, [entry("lost too")])
        store.log_change(ROMEO, ChangeKind.CHANGED, JULIET, T0, 1, at(1))
        store.put_prefs(ROMEO, Pref(namespace=ARCHIVE, default=Default(
            otr=OtrMode.FORBID, save=SaveMode.BODY)))
        store.set_public_keys(ROMEO, [public_key("pk")])
        store.delete_collection(ROMEO, JULIET, T0)
        raise Boom
    got = store.get_collection(ROMEO, JULIET, T0)
    assert got is not None and got.subject == "before"
    assert store.get_items(ROMEO, JULIET, T0) == [entry("kept")]
    assert store.get_keys(ROMEO, JULIET, T0) == []
    assert store.get_collection(ROMEO, NURSE, T0) is None
    assert store.get_changes(ROMEO) == []
    assert store.get_prefs(ROMEO) == Pref(namespace=ARCHIVE)
    assert store.get_public_keys(ROMEO) == ()


def test_a_committed_transaction_keeps_everything(store: ArchiveStore) -> None:
    with store.transaction():
        store.put_collection(record())
        store.append_items(ROMEO, JULIET, T0, [entry("a")])
        with store.transaction():
            store.add_keys(ROMEO, JULIET, T0, [wrapped("pk", "dk")])
    assert store.get_items(ROMEO, JULIET, T0) == [entry("a")]
    assert store.get_keys(ROMEO, JULIET, T0) == [wrapped("pk", "dk")]


def test_a_failed_nested_block_undoes_only_its_own_writes(store: ArchiveStore) -> None:
    with store.transaction():
        store.put_collection(record())
        store.append_items(ROMEO, JULIET, T0, [entry("outer")])
        with pytest.raises(Boom), store.transaction():
            store.append_items(ROMEO, JULIET, T0, [entry("inner")])
            store.put_collection(record(with_=NURSE))
            raise Boom
        store.append_items(ROMEO, JULIET, T0, [entry("after")])
    assert store.get_items(ROMEO, JULIET, T0) == [entry("outer"), entry("after")]
    assert store.get_collection(ROMEO, NURSE, T0) is None


# -- SQLite only ----------------------------------------------------------------------------


def fill(store: ArchiveStore) -> None:
    store.put_collection(record(subject="s", form=Form(type=FormType.SUBMIT),
                                previous=Link(kind=LinkKind.PREVIOUS, with_=NURSE, start=at(-9))))
    store.append_items(ROMEO, JULIET, T0, [entry("a"), data("k")])
    store.add_keys(ROMEO, JULIET, T0, [wrapped("pk", "k")])
    store.log_change(ROMEO, ChangeKind.CHANGED, JULIET, T0, 0, at(1))
    store.put_prefs(ROMEO, Pref(namespace=ARCHIVE, default=Default(otr=OtrMode.FORBID,
                                                                   save=SaveMode.MESSAGE)))
    store.set_public_keys(ROMEO, [public_key("pk")])


def dump(store: ArchiveStore) -> tuple[object, ...]:
    return (store.find_collections(ROMEO), store.get_items(ROMEO, JULIET, T0),
            store.get_keys(ROMEO, JULIET, T0), store.get_changes(ROMEO),
            store.get_prefs(ROMEO), store.get_public_keys(ROMEO), store.find_keys(ROMEO))


def test_sqlite_survives_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    with SQLiteStore(path) as first:
        fill(first)
        before = dump(first)
    assert path.is_file()
    reopened = SQLiteStore(str(path))
    try:
        assert dump(reopened) == before
        memory = MemoryStore()
        fill(memory)
        # the same data as a store that never wrote XML (sequence numbers aside)
        assert dump(reopened)[:3] == dump(memory)[:3]
        # the log goes on growing after a reopen
        later = reopened.log_change(ROMEO, ChangeKind.CHANGED, NURSE, T0, 0, at(2))
        assert later.seq > before[3][-1].seq  # type: ignore[index]
    finally:
        reopened.close()


def test_sqlite_stores_elements_as_xml(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    with SQLiteStore(path) as store:
        fill(store)
    db = sqlite3.connect(path)
    try:
        xml = db.execute("SELECT xml FROM items ORDER BY position").fetchall()
        assert xml[0][0] == b'<to xmlns="urn:xmpp:archive" secs="0"><body>a</body></to>'
        assert xml[1][0].startswith(b'<EncryptedData xmlns="http://www.w3.org/2001/04/xmlenc#"')
        pref = db.execute("SELECT xml FROM prefs").fetchone()[0]
        assert b"<default otr=\"forbid\" save=\"message\"/>" in pref
    finally:
        db.close()


def test_sqlite_refuses_a_database_of_another_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    with pytest.raises(sqlite3.DatabaseError, match="schema version 99"):
        SQLiteStore(path)


def test_sqlite_in_memory_database(tmp_path: Path) -> None:
    with SQLiteStore(":memory:") as store:
        fill(store)
        assert len(store.find_collections(ROMEO)) == 1
        assert "memory" in repr(store)


def test_sqlite_crash_in_the_middle_of_a_write_loses_nothing_committed(tmp_path: Path) -> None:
    """A real process commits one collection, then dies (os._exit, no cleanup) halfway
    through a transaction that writes a second one: the first is all there, the second
    not at all."""
    path = tmp_path / "archive.db"
    program = textwrap.dedent(f"""
        import os
        from datetime import UTC, datetime
        from xepcodec.datatypes.jid import JID
        from xepcodec.machines.archive_store import CollectionRecord, SQLiteStore
        from xepcodec.protocols.archive import Direction, Entry
        owner, start = JID.parse("romeo@montague.net"), datetime(2024, 3, 1, tzinfo=UTC)
        store = SQLiteStore({str(path)!r})
        with store.transaction():
            store.put_collection(CollectionRecord(owner=owner, with_=JID.parse("a@b"),
                                                  start=start, item_count=1))
            store.append_items(owner, JID.parse("a@b"), start,
                               [Entry(direction=Direction.TO, bodies=("kept",))])
        with store.transaction():
            store.put_collection(CollectionRecord(owner=owner, with_=JID.parse("c@d"),
                                                  start=start, item_count=1))
            store.append_items(owner, JID.parse("c@d"), start,
                               [Entry(direction=Direction.TO, bodies=("lost",))])
            os._exit(3)
    """)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", program], cwd=root, capture_output=True,
                          env={"PYTHONPATH": str(root), "PATH": ""}, timeout=120)
    assert done.returncode == 3, done.stderr.decode()
    with SQLiteStore(path) as store:
        found = store.find_collections(ROMEO)
        assert [str(each.with_) for each in found] == ["a@b"]
        assert store.get_items(ROMEO, JID.parse("a@b"), found[0].start) == [
            Entry(direction=Direction.TO, bodies=("kept",))]


def test_memory_store_repr() -> None:
    store = MemoryStore()
    store.put_collection(record())
    assert repr(store) == "<MemoryStore 1 accounts, 1 collections>"


def test_base64_of_data_is_stored_verbatim(store: ArchiveStore) -> None:
    store.put_collection(record())
    octets = bytes(range(256))
    store.append_items(ROMEO, JULIET, T0, [data("k", octets)])
    got = store.get_items(ROMEO, JULIET, T0)[0]
    assert isinstance(got, EncryptedData)
    assert base64.b64encode(got.cipher_data.value) == base64.b64encode(octets)
