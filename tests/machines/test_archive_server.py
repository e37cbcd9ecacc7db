"""Tests for xepcodec.machines.archive_server: the XEP-0136/XEP-0241 archive server.

Every request type is run with its answers and every error condition, in both
namespaces, over both stores (the ``store`` fixture is parametrized over MemoryStore
and SQLiteStore); every stanza the server sends is checked against the schema
catalog.  Automatic archiving is run with and without encryption, and what XEP-0241
asks of the symmetric keys is checked on the objects themselves: the buffer is zeroed
when a collection is finished, the server keeps no reference, and the key never
reaches the store or a snapshot.  The stanzas are written for these tests; none is
taken from a spec.
"""

from __future__ import annotations

import base64
import gc
import json
import random
import types
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec as ec_key
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

import xepcodec
import xepcodec.machines.archive_server as archive_server
from xepcodec.api import parse, serialize
from xepcodec.core.stanza_errors import Condition, ErrorType, StanzaError
from xepcodec.core.stanzas import Body, Iq, IqType, Message, MessageType, Thread
from xepcodec.crypto import (
    PublicKey,
    SymmetricKey,
    decrypt_collection,
    encrypt_collection,
    key_name,
)
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ProtocolError
from xepcodec.machines.archive_server import (
    RECORDING,
    ArchiveServer,
    AutoSetting,
    CollectionFinished,
    CollectionOpened,
    Defaults,
    FinishReason,
    KeysPublished,
    Limits,
    MessageArchived,
    NotArchived,
    NotArchivedReason,
    Recording,
    RecordingStep,
    collection_uid,
)
from xepcodec.machines.archive_store import ArchiveStore, MemoryStore, SQLiteStore
from xepcodec.machines.base import Ignored, Send
from xepcodec.machines.router import Router
from xepcodec.protocols.archive import (
    ARCHIVE,
    ARCHIVE_TMP,
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
)
from xepcodec.protocols.archive import List as ListQuery
from xepcodec.protocols.dataforms import Form, FormType
from xepcodec.protocols.disco import Feature as DiscoFeature
from xepcodec.protocols.disco import Identity, InfoQuery
from xepcodec.protocols.pubkey import Print, PubKey, RSAKey, rsakey_fingerprint
from xepcodec.protocols.rsm import ResultSet
from xepcodec.protocols.xmlenc import EncryptedKey, KeyInfo

ROMEO = JID.parse("romeo@montague.net/orchard")
ROMEO_PDA = JID.parse("romeo@montague.net/pda")
ROMEO_BARE = ROMEO.bare
BENVOLIO = JID.parse("benvolio@montague.net/street")
JULIET = JID.parse("juliet@capulet.com")
JULIET_BALCONY = JID.parse("juliet@capulet.com/balcony")
JULIET_CHAMBER = JID.parse("juliet@capulet.com/chamber")
NURSE = JID.parse("nurse@capulet.com")
CAPULET = JID.parse("capulet.com")
ROOM = JID.parse("balcony@house.capulet.com")
T0 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
#: The names of the two public keys (published, extra), as their PublicKey objects say.
NAMES = ("romeo-published", "romeo-extra")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# -- keys, stores, servers -------------------------------------------------------------------


@pytest.fixture(scope="module")
def private_keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    """Two RSA keys, made once for the module: the user's published key and another one
    given in an <auto/> request."""
    return (rsa.generate_private_key(public_exponent=65537, key_size=2048),
            rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture
def published(private_keys: tuple[rsa.RSAPrivateKey, ...]) -> PublicKey:
    return PublicKey.from_key(private_keys[0].public_key(), name="romeo-published",
                              confirmed=True)


@pytest.fixture
def extra(private_keys: tuple[rsa.RSAPrivateKey, ...]) -> PublicKey:
    return PublicKey.from_key(private_keys[1].public_key(), name="romeo-extra", confirmed=True)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArchiveStore]:
    made: ArchiveStore = MemoryStore() if request.param == "memory" else \
        SQLiteStore(tmp_path / "archive.db")
    yield made
    made.close()


def seeded() -> Callable[[int], bytes]:
    return random.Random(241).randbytes


@pytest.fixture
def server(store: ArchiveStore) -> ArchiveServer:
    return ArchiveServer(store, random=seeded())


@pytest.fixture
def made_keys(monkeypatch: pytest.MonkeyPatch) -> list[SymmetricKey]:
    """Every symmetric key the server makes, as it makes it."""
    made: list[SymmetricKey] = []
    real = archive_server.new_symmetric_key

    def spy(name: str, **options: Any) -> SymmetricKey:
        key = real(name, **options)
        made.append(key)
        return key

    monkeypatch.setattr(archive_server, "new_symmetric_key", spy)
    return made


# -- talking to the server --------------------------------------------------------------------

_ids = iter(range(1, 1_000_000))


def sent_ok(stanza: Iq) -> Iq:
    """Every stanza the server sends is valid against the schema catalog and parses back
    to the same object."""
    data = serialize(stanza)
    report = xepcodec.validate(data)
    assert report.ok, (data, [issue.message for issue in report.errors])
    assert parse(data) == stanza
    return stanza


def ask(server: ArchiveServer, payload: Any, kind: str = "get", *, owner: JID = ROMEO,
        now: datetime = T0) -> list[Iq]:
    iq = Iq(type=IqType(kind), id=f"q{next(_ids)}", extensions=(payload,))
    events = server.receive(iq, owner=owner, now=now)
    assert all(isinstance(event, Send) for event in events), events
    answers = [event.stanza for event in events if isinstance(event, Send)]
    assert answers and answers[0].id == iq.id
    return [sent_ok(answer) for answer in answers]


def ok(server: ArchiveServer, payload: Any, kind: str = "get", **options: Any) -> Any:
    """The payload of the result (None for an empty one)."""
    answer = ask(server, payload, kind, **options)[0]
    assert answer.type is IqType.RESULT, serialize(answer)
    return answer.payload


def refused(server: ArchiveServer, payload: Any, kind: str = "get", **options: Any
            ) -> Condition:
    answer = ask(server, payload, kind, **options)[0]
    assert answer.type is IqType.ERROR and answer.error is not None, serialize(answer)
    assert answer.payload is None  # the request is not echoed
    assert answer.error.text  # every refusal says why
    return answer.error.condition


def chat(with_: JID = JULIET_BALCONY, start: datetime = T0, *items: Entry | Note,
         namespace: str = ARCHIVE, **fields: Any) -> Save:
    return Save(namespace=namespace, chat=Chat(namespace=namespace, with_=with_, start=start,
                                               entries=items, **fields))


def to(text: str, secs: int = 0) -> Entry:
    return Entry(direction=Direction.TO, secs=secs, bodies=(text,))


def from_(text: str, secs: int = 0) -> Entry:
    return Entry(direction=Direction.FROM, secs=secs, bodies=(text,))


def saved(server: ArchiveServer, save: Save, **options: Any) -> Chat:
    answer = ok(server, save, "set", **options)
    assert isinstance(answer, Save) and answer.namespace == save.namespace
    return answer.chat


def retrieve(server: ArchiveServer, with_: JID = JULIET_BALCONY, start: datetime = T0,
             **fields: Any) -> Chat:
    answer = ok(server, Retrieve(with_=with_, start=start, **fields))
    assert isinstance(answer, Chat)
    return answer


def listed(server: ArchiveServer, **fields: Any) -> ListQuery:
    answer = ok(server, ListQuery(**fields))
    assert isinstance(answer, ListQuery)
    return answer


def message(text: str | None, *, to: JID | None = None, from_: JID | None = None,
            thread: str | None = None, kind: MessageType | None = MessageType.CHAT,
            extensions: tuple[Any, ...] = ()) -> Message:
    return Message(type=kind, to=to, from_=from_,
                   bodies=(Body(text=text),) if text is not None else (),
                   thread=Thread(id=thread) if thread is not None else None,
                   extensions=extensions)


def encrypted_save(keys: list[PublicKey], texts: list[str], *, key_name: str = "dk1",
                   with_: JID = JULIET_BALCONY, start: datetime = T0,
                   namespace: str = ARCHIVE, seed: int = 241) -> Save:
    sealed = encrypt_collection([to(text) for text in texts], keys, key_name=key_name,
                                random=random.Random(seed).randbytes, namespace=namespace)
    sealed.key.destroy()
    return Save(namespace=namespace, chat=Chat(namespace=namespace, with_=with_, start=start,
                                               encrypted_data=(sealed.data,),
                                               encrypted_keys=sealed.keys))


# -- what the server is ------------------------------------------------------------------------


def test_disco_features_in_both_namespaces(server: ArchiveServer) -> None:
    features = server.disco_features()
    for namespace in (ARCHIVE, ARCHIVE_TMP):
        for suffix in ("", ":auto", ":manage", ":manual", ":pref", ":encrypt"):
            assert namespace + suffix in features
    assert len(features) == len(set(features)) == 12


def test_disco_features_follow_the_configuration(store: ArchiveStore) -> None:
    plain = ArchiveServer(store, namespace=ARCHIVE_TMP, encryption=False)
    assert plain.disco_features() == ("urn:xmpp:tmp:archive", "urn:xmpp:tmp:archive:auto",
                                      "urn:xmpp:tmp:archive:manage",
                                      "urn:xmpp:tmp:archive:manual",
                                      "urn:xmpp:tmp:archive:pref")
    assert plain.namespaces == (ARCHIVE_TMP,) and not plain.encryption


def test_disco_features_make_a_correct_result(server: ArchiveServer) -> None:
    """A disco#info answer holds the server's features beside the address's own, each
    once, in an iq of type 'result' (not the 'get' the XEPs' examples show)."""
    names = ["http://jabber.org/protocol/disco#info", "urn:xmpp:archive",
             *server.disco_features()]
    query = InfoQuery(identities=(Identity(category="server", type="im"),),
                      features=tuple(DiscoFeature(var=name) for name in dict.fromkeys(names)))
    assert query.feature_vars[:2] == ("http://jabber.org/protocol/disco#info",
                                      "urn:xmpp:archive")
    assert query.has_feature("urn:xmpp:tmp:archive:encrypt")
    assert len(query.feature_vars) == 13  # the archive namespace only once
    request = Iq(type=IqType.GET, id="disco1", to=JID.parse("montague.net"), from_=ROMEO,
                 extensions=(InfoQuery(),))
    answer = sent_ok(request.result(query))
    assert answer.type is IqType.RESULT


def test_stream_feature(store: ArchiveStore) -> None:
    assert ArchiveServer(store, encryption=False).stream_feature() == Feature(
        namespace=ARCHIVE, optional=True, default=False)
    compulsory = ArchiveServer(store, encryption=False, defaults=Defaults(compulsory=True))
    assert compulsory.stream_feature(ARCHIVE_TMP) == Feature(
        namespace=ARCHIVE_TMP, optional=True, default=True)


def test_construction_is_checked(store: ArchiveStore) -> None:
    with pytest.raises(ValueError, match="random"):
        ArchiveServer(store)
    with pytest.raises(ValueError, match="namespace"):
        ArchiveServer(store, namespace="urn:example", encryption=False)
    with pytest.raises(TypeError, match="ArchiveStore"):
        ArchiveServer({}, encryption=False)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_page_size"):
        Limits(max_page_size=0)
    with pytest.raises(ValueError, match="require"):
        Defaults(otr=OtrMode.REQUIRE, save=SaveMode.BODY)


def test_accepts_only_archiving_gets_and_sets(server: ArchiveServer) -> None:
    assert server.accepts(Iq(type=IqType.GET, id="a", extensions=(Pref(),)))
    assert server.accepts(Iq(type=IqType.SET, id="a", extensions=(chat(),)))
    assert not server.accepts(Iq(type=IqType.GET, id="a", extensions=(InfoQuery(),)))
    assert not server.accepts(Iq(type=IqType.RESULT, id="a", extensions=(Pref(),)))


def test_answers_to_pushes_are_absorbed(server: ArchiveServer) -> None:
    result = Iq(type=IqType.RESULT, id="push1")
    [ignored] = server.receive(result, owner=ROMEO, now=T0)
    assert isinstance(ignored, Ignored) and ignored.stanza is result
    error = xepcodec.parse(b"<iq xmlns='jabber:client' type='error' id='push2'><error "
                           b"type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:"
                           b"xmpp-stanzas'/></error></iq>")
    [ignored] = server.receive(error, owner=ROMEO, now=T0)
    assert isinstance(ignored, Ignored) and ignored.stanza is error


def test_what_is_not_for_the_server_is_ignored(server: ArchiveServer) -> None:
    disco = Iq(type=IqType.GET, id="a", extensions=(InfoQuery(),))
    chat = message("hi", to=JULIET)
    for stanza, reason in ((disco, "not an archiving request: InfoQuery"),
                           (chat, "not an iq: a Message"), (None, "not an iq: a NoneType")):
        assert not server.accepts(stanza)
        assert server.receive(stanza, owner=ROMEO, now=T0) == [Ignored(stanza, reason)]


def test_caller_misuse_is_a_protocol_error(server: ArchiveServer) -> None:
    with pytest.raises(ProtocolError, match="naive"):
        server.receive(Iq(type=IqType.GET, id="a", extensions=(Pref(),)), owner=ROMEO,
                       now=datetime(2024, 3, 1))
    with pytest.raises(ProtocolError, match="Message"):
        server.archive_message(Iq(type=IqType.GET, id="a", extensions=(Pref(),)),  # type: ignore[arg-type]
                               owner=ROMEO, direction=Direction.TO, now=T0)


# -- iq types ------------------------------------------------------------------------------------

_WRONG_TYPE = [
    (Pref(), None),
    (ItemRemove(items=(Item(jid=JULIET),)), "get"),
    (SessionRemove(sessions=(Session(thread="t"),)), "get"),
    (Auto(save=True), "get"),
    (chat(), "get"),
    (ListQuery(), "set"),
    (Retrieve(with_=JULIET, start=T0), "set"),
    (Remove(), "get"),
    (Modified(start=T0), "set"),
    (Keys(), "set"),
]


@pytest.mark.parametrize(("payload", "kind"), [case for case in _WRONG_TYPE if case[1]])
def test_a_request_in_the_wrong_iq_type_is_a_bad_request(server: ArchiveServer, payload: Any,
                                                         kind: str) -> None:
    answer = ask(server, payload, kind)[0]
    assert answer.error is not None and answer.error.condition is Condition.BAD_REQUEST
    assert answer.error.type is ErrorType.MODIFY
    assert f"'{kind}'" in (answer.error.text or "")


def test_an_archiving_element_that_is_no_request_is_a_bad_request(server: ArchiveServer) -> None:
    assert refused(server, chat().chat, "set") is Condition.BAD_REQUEST
    assert refused(server, Feature(optional=True), "get") is Condition.BAD_REQUEST


# -- the request table ---------------------------------------------------------------------------

_TABLE = ArchiveServer._REQUESTS


def example(kind: type, namespace: str = ARCHIVE) -> Any:
    """A well-formed payload of each row of the request table."""
    examples: dict[type, Any] = {
        Pref: Pref(namespace=namespace),
        ItemRemove: ItemRemove(namespace=namespace, items=(Item(jid=JULIET),)),
        SessionRemove: SessionRemove(namespace=namespace, sessions=(Session(thread="t"),)),
        Auto: Auto(namespace=namespace, save=True),
        Save: chat(namespace=namespace),
        ListQuery: ListQuery(namespace=namespace),
        Retrieve: Retrieve(namespace=namespace, with_=JULIET, start=T0),
        Remove: Remove(namespace=namespace),
        Modified: Modified(namespace=namespace, start=T0),
        Keys: Keys(namespace=namespace),
        Delete: Delete(namespace=namespace, with_=JULIET, start=T0, key_names=("k",)),
        Chat: chat(namespace=namespace).chat,
        Feature: Feature(namespace=namespace, optional=True),
    }
    assert set(examples) == set(_TABLE), "every row of the table has an example here"
    return examples[kind]


def iq_of(iq_type: IqType, payload: Any, **fields: Any) -> Iq:
    """An iq of any type carrying ``payload`` (an error one with its <error/>)."""
    error = StanzaError.of(Condition.BAD_REQUEST) if iq_type is IqType.ERROR else None
    return Iq(type=iq_type, error=error, extensions=(payload,), **fields)


def test_the_table_is_what_the_server_routes() -> None:
    assert ArchiveServer.payloads == tuple(_TABLE)
    for kind in _TABLE:
        for iq_type in IqType:
            iq = iq_of(iq_type, example(kind), id="a")
            assert ArchiveServer.accepts(iq) is (iq_type in (IqType.GET, IqType.SET))
    assert not ArchiveServer.accepts(message("hi", to=JULIET))
    assert not ArchiveServer.accepts(Iq(type=IqType.GET, id="a", extensions=(InfoQuery(),)))
    assert not ArchiveServer.accepts("<iq/>")


@pytest.mark.parametrize(("kind", "iq_type"), [(kind, iq_type) for kind, row in _TABLE.items()
                                               for iq_type in row.handlers],
                         ids=lambda value: getattr(value, "__name__", str(value)))
def test_each_row_dispatches_to_its_handler(monkeypatch: pytest.MonkeyPatch,
                                            store: ArchiveStore, kind: type,
                                            iq_type: IqType) -> None:
    """The handler a row names is the one that answers, with the request's owner, time
    and payload, and what it returns is the result's payload."""
    server = ArchiveServer(store, encryption=False)
    payload = example(kind, ARCHIVE_TMP)
    calls: list[tuple[JID, datetime, Any]] = []

    def spy(machine: ArchiveServer, call: Any, request: Any) -> Any:
        assert machine is server
        calls.append((call.owner, call.now, request))
        return Pref(namespace=ARCHIVE_TMP)

    row = _TABLE[kind]
    patched = replace(row, handlers={**row.handlers, iq_type: spy})
    monkeypatch.setattr(ArchiveServer, "_REQUESTS", {**_TABLE, kind: patched})
    answer = ok(server, payload, iq_type.value, owner=ROMEO_PDA, now=at(7))
    assert answer == Pref(namespace=ARCHIVE_TMP)
    assert calls == [(ROMEO_PDA, at(7), payload)]


@pytest.mark.parametrize("kind", [kind for kind, row in _TABLE.items() if row.handlers],
                         ids=lambda kind: kind.__name__)
def test_each_row_refuses_the_iq_types_it_does_not_list(store: ArchiveStore,
                                                        kind: type) -> None:
    server = ArchiveServer(store, encryption=False)
    name = kind.__dict__["__xml_codec__"].name
    for iq_type in {IqType.GET, IqType.SET} - set(_TABLE[kind].handlers):
        answer = ask(server, example(kind), iq_type.value)[0]
        assert answer.error is not None and answer.error.condition is Condition.BAD_REQUEST
        wanted = "' or '".join(each.value for each in _TABLE[kind].handlers)
        assert f"a <{name}/> request is sent in an iq of type '{wanted}', not " \
               f"'{iq_type.value}'" in (answer.error.text or "")


def test_the_wrong_type_cases_cover_every_row() -> None:
    single = {kind for kind, row in _TABLE.items() if len(row.handlers) == 1}
    # the <delete/> sent as a get has a test of its own, strict and lenient
    assert {type(payload) for payload, kind in _WRONG_TYPE if kind} == single - {Delete}


def test_a_row_without_handlers_is_no_request_and_leniency_is_declared() -> None:
    assert {kind for kind, row in _TABLE.items() if not row.handlers} == {Chat, Feature}
    assert {kind: row.lenient for kind, row in _TABLE.items() if row.lenient} == {
        Delete: IqType.GET}


def test_a_new_row_is_all_a_new_request_takes(monkeypatch: pytest.MonkeyPatch,
                                              store: ArchiveStore) -> None:
    """One entry: a <chat/> get, made a request here, is dispatched, and its set is
    refused with the type the row lists."""
    row = replace(_TABLE[Chat], handlers={IqType.GET: lambda _, call, request: request})
    monkeypatch.setattr(ArchiveServer, "_REQUESTS", {**_TABLE, Chat: row})
    server = ArchiveServer(store, encryption=False)
    payload = chat().chat
    assert ok(server, payload, "get") == payload
    answer = ask(server, payload, "set")[0]
    assert answer.error is not None and answer.error.condition is Condition.BAD_REQUEST
    assert "a <chat/> request is sent in an iq of type 'get', not 'set'" in (
        answer.error.text or "")


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(sorted(_TABLE, key=lambda kind: kind.__name__)),
       iq_type=st.sampled_from(list(IqType)),
       namespace=st.sampled_from([ARCHIVE, ARCHIVE_TMP]),
       served=st.sampled_from([None, ARCHIVE, ARCHIVE_TMP]),
       lenient=st.booleans(), registered=st.booleans())
def test_every_request_is_answered_once_and_no_answer_is(kind: type, iq_type: IqType,
                                                         namespace: str, served: str | None,
                                                         lenient: bool,
                                                         registered: bool) -> None:
    """Whatever the row, the iq type and the namespace: a get or set gets exactly one
    answer, first, with its id (then only pushes); a result or error gets none."""
    server = ArchiveServer(MemoryStore(), namespace=served, encryption=False,
                           lenient=lenient)
    if registered:
        ok(server, Pref(namespace=served or ARCHIVE), owner=ROMEO_PDA)
    iq = iq_of(iq_type, example(kind, namespace), id="the-one", from_=ROMEO)
    events = server.receive(iq, now=T0)
    if iq_type in (IqType.RESULT, IqType.ERROR):
        assert len(events) == 1 and isinstance(events[0], Ignored)
        assert events[0].stanza is iq
        return
    assert events and all(isinstance(event, Send) for event in events)
    stanzas = [sent_ok(event.stanza) for event in events if isinstance(event, Send)]
    answer, pushes = stanzas[0], stanzas[1:]
    assert answer.id == "the-one" and answer.type in (IqType.RESULT, IqType.ERROR)
    assert answer.to == ROMEO
    assert all(push.type is IqType.SET and push.to == ROMEO_PDA for push in pushes)
    if answer.type is IqType.ERROR:
        assert pushes == []


def test_the_owner_is_the_iq_sender_unless_given(server: ArchiveServer) -> None:
    pda = Iq(type=IqType.GET, id="p1", from_=ROMEO_PDA, extensions=(Pref(),))
    [answer] = server.receive(pda, now=T0)
    assert isinstance(answer, Send) and answer.stanza.to == ROMEO_PDA
    change = Iq(type=IqType.SET, id="p2", from_=ROMEO,
                extensions=(Pref(default=Default(otr=OtrMode.PREFER, save=SaveMode.BODY)),))
    events = server.receive(change, now=T0)
    assert [event.stanza.to for event in events if isinstance(event, Send)] == [
        ROMEO, ROMEO_PDA]  # the answer to the sender, the push to the registered one
    # an explicit owner wins: the setting is the named stream's, not the sender's
    auto = Iq(type=IqType.SET, id="p4", from_=ROMEO, extensions=(Auto(save=True),))
    [answer] = server.receive(auto, now=T0, owner=str(ROMEO_PDA))
    assert isinstance(answer, Send) and answer.stanza.type is IqType.RESULT
    assert server.auto_setting(ROMEO_PDA).save and not server.auto_setting(ROMEO).save
    with pytest.raises(ProtocolError, match="owner"):
        server.receive(Iq(type=IqType.GET, id="p3", extensions=(Pref(),)), now=T0)
    with pytest.raises(ProtocolError, match="now"):
        server.receive(pda)


def test_the_server_is_a_machine_for_a_router(server: ArchiveServer) -> None:
    router = Router("montague.net", [Identity(category="server", type="im")])
    router.register(server)
    info = Iq(type=IqType.GET, id="d1", to=JID.parse("montague.net"), from_=ROMEO,
              extensions=(InfoQuery(),))
    [answer] = router.receive(info, now=T0)
    assert isinstance(answer, Send)
    query = sent_ok(answer.stanza).payload
    assert isinstance(query, InfoQuery)
    assert set(server.disco_features()) <= set(query.feature_vars)
    request = Iq(type=IqType.GET, id="r1", to=JID.parse("montague.net"), from_=ROMEO,
                 extensions=(Pref(),))
    [answer] = router.receive(request, now=T0)
    assert isinstance(answer, Send) and isinstance(answer.stanza.payload, Pref)
    # a push's answer is no request: the router never offers it for an answer
    [ignored] = router.receive(Iq(type=IqType.RESULT, id="archive-1", from_=ROMEO), now=T0)
    assert isinstance(ignored, Ignored)


# -- a collection being recorded -----------------------------------------------------------------


def test_a_finished_collection_takes_no_step() -> None:
    assert RECORDING.allowed(Recording.FINISHED) == ()
    for step in RecordingStep:
        with pytest.raises(ProtocolError, match="finished"):
            RECORDING(Recording.FINISHED, step)
    assert all(RECORDING(state, RecordingStep.FINISH) is Recording.FINISHED
               for state in (Recording.PLAIN, Recording.ENCRYPTED))
    # a collection is never decrypted in place, nor wrapped for keys while plain
    assert RECORDING.allowed(Recording.ENCRYPTED) == (
        RecordingStep.MESSAGE, RecordingStep.WRAP, RecordingStep.FINISH)
    assert RecordingStep.WRAP not in RECORDING.allowed(Recording.PLAIN)


def test_open_collections_show_their_state(server: ArchiveServer, published: PublicKey) -> None:
    ok(server, Auto(save=True), "set")
    archive(server, message("plain", to=JULIET))
    [plain] = server.open_collections(ROMEO)
    assert not plain.encrypted and plain.key_name is None
    server.store.set_public_keys(ROMEO_BARE, [published.key_info()])
    ok(server, Auto(save=True, encrypt=True), "set", now=at(1))
    [encrypted] = server.open_collections(str(ROMEO))
    assert encrypted.encrypted and encrypted.key_name is not None
    assert encrypted.start == plain.start  # encrypted where it stood


# -- namespaces ----------------------------------------------------------------------------------


def test_answers_come_in_the_request_namespace(server: ArchiveServer) -> None:
    answer = saved(server, chat(JULIET_BALCONY, T0, to("hi"), namespace=ARCHIVE_TMP))
    assert answer.namespace == ARCHIVE_TMP
    assert listed(server, namespace=ARCHIVE_TMP).chats[0].namespace == ARCHIVE_TMP
    assert listed(server).chats[0].namespace == ARCHIVE
    assert retrieve(server, namespace=ARCHIVE_TMP).namespace == ARCHIVE_TMP
    # the same collection, whatever namespace it was written in
    assert retrieve(server).entries == (to("hi"),)


def test_a_server_of_one_namespace_refuses_the_other(store: ArchiveStore) -> None:
    server = ArchiveServer(store, namespace=ARCHIVE, encryption=False)
    assert refused(server, ListQuery(namespace=ARCHIVE_TMP)) is Condition.SERVICE_UNAVAILABLE
    assert listed(server).chats == ()


# -- preferences ---------------------------------------------------------------------------------


def test_preferences_of_a_new_user(server: ArchiveServer) -> None:
    prefs = ok(server, Pref())
    assert prefs == Pref(
        namespace=ARCHIVE, auto=Auto(save=False),
        default=Default(otr=OtrMode.CONCEDE, save=SaveMode.BODY, unset=True),
        methods=(Method(type=MethodType.AUTO, use=MethodUse.CONCEDE),
                 Method(type=MethodType.LOCAL, use=MethodUse.CONCEDE),
                 Method(type=MethodType.MANUAL, use=MethodUse.CONCEDE)))


def test_setting_the_default_pushes_it_to_registered_resources(server: ArchiveServer) -> None:
    ok(server, Pref(), owner=ROMEO)
    ok(server, Pref(namespace=ARCHIVE_TMP), owner=ROMEO_PDA)
    ok(server, Pref(), owner=JULIET_BALCONY)  # another account: never told
    answers = ask(server, Pref(default=Default(otr=OtrMode.PREFER, save=SaveMode.FALSE)),
                  "set", owner=ROMEO)
    assert answers[0].type is IqType.RESULT and answers[0].payload is None
    pushes = answers[1:]
    assert sorted(str(push.to) for push in pushes) == [str(ROMEO), str(ROMEO_PDA)]
    assert all(push.type is IqType.SET for push in pushes)
    assert len({push.id for push in pushes}) == 2
    by_resource = {push.to: push.payload for push in pushes}
    assert by_resource[ROMEO] == Pref(default=Default(otr=OtrMode.PREFER, save=SaveMode.FALSE))
    assert by_resource[ROMEO_PDA] == Pref(namespace=ARCHIVE_TMP, default=Default(
        otr=OtrMode.PREFER, save=SaveMode.FALSE))
    # the stored default is no longer "unset"
    assert ok(server, Pref()).default == Default(otr=OtrMode.PREFER, save=SaveMode.FALSE)


def test_no_push_without_a_registered_resource(server: ArchiveServer) -> None:
    answers = ask(server, Pref(default=Default(otr=OtrMode.PREFER, save=SaveMode.FALSE)), "set")
    assert len(answers) == 1


def test_a_closed_stream_gets_no_more_pushes(server: ArchiveServer) -> None:
    ok(server, Pref(), owner=ROMEO)
    ok(server, Pref(), owner=ROMEO_PDA)
    server.stream_closed(ROMEO_PDA, now=T0)
    answers = ask(server, Pref(methods=(Method(type=MethodType.AUTO, use=MethodUse.FORBID),)),
                  "set")
    assert [push.to for push in answers[1:]] == [ROMEO]


def test_items_are_merged_and_pushed(server: ArchiveServer) -> None:
    ok(server, Pref())
    ok(server, Pref(items=(Item(jid=JULIET, otr=OtrMode.FORBID, save=SaveMode.MESSAGE,
                                expire=3600),)), "set")
    answers = ask(server, Pref(items=(Item(jid=JULIET, save=SaveMode.BODY),
                                      Item(jid=CAPULET, exactmatch=True),)), "set")
    merged_juliet = Item(jid=JULIET, otr=OtrMode.FORBID, save=SaveMode.BODY, expire=3600)
    merged_capulet = Item(jid=CAPULET, otr=OtrMode.CONCEDE, save=SaveMode.BODY, exactmatch=True)
    assert answers[1].payload == Pref(items=(merged_juliet, merged_capulet))
    assert ok(server, Pref()).items == (merged_juliet, merged_capulet)


def test_sessions_get_the_server_timeout(store: ArchiveStore) -> None:
    server = ArchiveServer(store, encryption=False, limits=Limits(session_timeout=900))
    ok(server, Pref())
    answers = ask(server, Pref(sessions=(Session(thread="ffd7", save=SaveMode.FALSE,
                                                 timeout=5),)), "set")
    expected = Session(thread="ffd7", save=SaveMode.FALSE, timeout=900)
    assert answers[1].payload == Pref(sessions=(expected,))
    assert ok(server, Pref()).sessions == (expected,)


def test_method_changes_push_all_three_methods(server: ArchiveServer) -> None:
    ok(server, Pref())
    answers = ask(server, Pref(methods=(Method(type=MethodType.LOCAL, use=MethodUse.FORBID),)),
                  "set")
    assert answers[1].payload == Pref(methods=(
        Method(type=MethodType.AUTO, use=MethodUse.CONCEDE),
        Method(type=MethodType.LOCAL, use=MethodUse.FORBID),
        Method(type=MethodType.MANUAL, use=MethodUse.CONCEDE)))


def test_itemremove_and_sessionremove(server: ArchiveServer) -> None:
    ok(server, Pref(items=(Item(jid=JULIET, otr=OtrMode.CONCEDE, save=SaveMode.BODY),
                           Item(jid=NURSE, otr=OtrMode.CONCEDE, save=SaveMode.FALSE)),
                    sessions=(Session(thread="t1", save=SaveMode.BODY),
                              Session(thread="t2", save=SaveMode.BODY))), "set")
    ok(server, Pref())
    answers = ask(server, ItemRemove(items=(Item(jid=JULIET), Item(jid=CAPULET))), "set")
    assert answers[0].payload is None
    assert answers[1].payload == ItemRemove(items=(Item(jid=JULIET), Item(jid=CAPULET)))
    answers = ask(server, SessionRemove(namespace=ARCHIVE_TMP,
                                        sessions=(Session(thread="t1"),)), "set")
    assert answers[1].payload == SessionRemove(sessions=(Session(thread="t1"),))
    prefs = ok(server, Pref())
    assert [item.jid for item in prefs.items] == [NURSE]
    assert [session.thread for session in prefs.sessions] == ["t2"]
    # removing what is not there is no error
    assert ok(server, ItemRemove(items=(Item(jid=JULIET),)), "set") is None


@pytest.mark.parametrize(("payload", "condition"), [
    (Pref(), Condition.BAD_REQUEST),
    (Pref(default=Default(otr=OtrMode.REQUIRE, save=SaveMode.BODY)), Condition.BAD_REQUEST),
    (Pref(items=(Item(jid=JULIET, otr=OtrMode.REQUIRE, save=SaveMode.MESSAGE),)),
     Condition.BAD_REQUEST),
])
def test_bad_preferences(server: ArchiveServer, payload: Pref, condition: Condition) -> None:
    assert refused(server, payload, "set") is condition
    assert ok(server, Pref()).default == Default(otr=OtrMode.CONCEDE, save=SaveMode.BODY,
                                                 unset=True)


def test_a_pref_get_with_content_is_a_bad_request(server: ArchiveServer) -> None:
    assert refused(server, Pref(default=Default(otr=OtrMode.PREFER, save=SaveMode.BODY))) \
        is Condition.BAD_REQUEST


def test_save_mode_stream_while_archiving_is_not_implemented(server: ArchiveServer) -> None:
    ok(server, Auto(save=True), "set")
    assert refused(server, Pref(default=Default(otr=OtrMode.CONCEDE, save=SaveMode.STREAM)),
                   "set") is Condition.FEATURE_NOT_IMPLEMENTED
    ok(server, Auto(save=False), "set")
    ok(server, Pref(default=Default(otr=OtrMode.CONCEDE, save=SaveMode.STREAM)), "set")
    # and archiving cannot be switched on while a preference asks for it
    assert refused(server, Auto(save=True), "set") is Condition.FEATURE_NOT_IMPLEMENTED


def test_compulsory_archiving(store: ArchiveStore) -> None:
    server = ArchiveServer(store, encryption=False, defaults=Defaults(compulsory=True))
    assert server.auto_setting(ROMEO).save
    assert refused(server, Auto(save=False), "set") is Condition.NOT_ALLOWED
    assert refused(server, Pref(default=Default(otr=OtrMode.CONCEDE, save=SaveMode.FALSE)),
                   "set") is Condition.NOT_ACCEPTABLE
    events = server.archive_message(message("hi", to=JULIET), owner=ROMEO,
                                    direction=Direction.TO, now=T0)
    assert any(isinstance(event, MessageArchived) for event in events)


# -- automatic archiving: the setting -------------------------------------------------------------


def test_auto_on_and_off(server: ArchiveServer) -> None:
    assert ok(server, Auto(save=True), "set") is None
    assert server.auto_setting(ROMEO) == AutoSetting(save=True)
    assert ok(server, Pref()).auto == Auto(save=True, scope=Scope.STREAM)
    # another stream of the same account is not affected (scope 'stream')
    assert not server.auto_setting(ROMEO_PDA).save
    ok(server, Auto(save=False), "set")
    assert not server.auto_setting(ROMEO).save


def test_auto_inside_pref_is_applied_but_never_pushed(server: ArchiveServer) -> None:
    ok(server, Pref())
    answers = ask(server, Pref(auto=Auto(save=True)), "set")
    assert len(answers) == 1 and server.auto_setting(ROMEO).save
    answers = ask(server, Pref(auto=Auto(save=False), methods=(
        Method(type=MethodType.AUTO, use=MethodUse.PREFER),)), "set")
    assert not server.auto_setting(ROMEO).save
    assert [push.payload.auto for push in answers[1:]] == [None]
    assert refused(server, Pref(auto=Auto(save=True, encrypt=True)), "set") \
        is Condition.NOT_ACCEPTABLE


def test_auto_with_global_scope_lasts_for_next_streams(store: ArchiveStore) -> None:
    server = ArchiveServer(store, encryption=False)
    ok(server, Auto(save=True, scope=Scope.GLOBAL), "set")
    assert server.auto_setting(ROMEO_PDA) == AutoSetting(save=True, scope=Scope.GLOBAL)
    # and for a server restarted over the same store
    assert ArchiveServer(store, encryption=False).auto_setting(ROMEO_PDA).save


def test_auto_encrypt_without_encryption_is_not_implemented(store: ArchiveStore) -> None:
    server = ArchiveServer(store, encryption=False)
    assert refused(server, Auto(namespace=ARCHIVE_TMP, save=True, encrypt=True), "set") \
        is Condition.FEATURE_NOT_IMPLEMENTED
    assert not server.auto_setting(ROMEO).save


def test_auto_encrypt_without_any_public_key_is_not_acceptable(server: ArchiveServer) -> None:
    answer = ask(server, Auto(namespace=ARCHIVE_TMP, save=True, encrypt=True), "set")[0]
    assert answer.error is not None and answer.error.condition is Condition.NOT_ACCEPTABLE
    assert answer.error.type is ErrorType.MODIFY
    assert not server.auto_setting(ROMEO).save


def test_auto_encrypt_with_a_published_key(server: ArchiveServer, published: PublicKey) -> None:
    server.store.set_public_keys(ROMEO_BARE, [published.key_info()])
    ok(server, Auto(save=True, encrypt=True), "set")
    assert server.auto_setting(ROMEO) == AutoSetting(save=True, encrypt=True)
    assert ok(server, Pref()).auto == Auto(save=True, scope=Scope.STREAM, encrypt=True)


def test_auto_encrypt_with_a_key_in_the_request(server: ArchiveServer, extra: PublicKey) -> None:
    ok(server, Auto(save=True, encrypt=True, key_infos=(extra.key_info(),)), "set")
    assert server.auto_setting(ROMEO).key_infos == (extra.key_info(),)


def test_auto_may_name_a_published_key(server: ArchiveServer, published: PublicKey) -> None:
    server.store.set_public_keys(ROMEO_BARE, [published.key_info()])
    ok(server, Auto(save=True, encrypt=True, key_infos=(KeyInfo(key_names=(published.name,)),)),
       "set")
    assert refused(server, Auto(save=True, encrypt=True, key_infos=(
        KeyInfo(key_names=("unknown-key",)),)), "set") is Condition.NOT_ACCEPTABLE


def test_auto_refuses_a_key_that_is_not_rsa(server: ArchiveServer) -> None:
    info = parse(b"<KeyInfo xmlns='http://www.w3.org/2000/09/xmldsig#'><KeyValue>"
                 b"<DSAKeyValue><Y>AAEC</Y></DSAKeyValue></KeyValue></KeyInfo>")
    assert refused(server, Auto(save=True, encrypt=True, key_infos=(info,)), "set") \
        is Condition.NOT_ACCEPTABLE


# -- manual archiving ------------------------------------------------------------------------------


def test_save_creates_at_version_zero_then_appends(server: ArchiveServer) -> None:
    created = saved(server, chat(JULIET_CHAMBER, T0, from_("Art thou not Romeo?"),
                                 to("Neither, fair saint", 11), thread="damduoeg08",
                                 subject="She speaks!"))
    assert created == Chat(with_=JULIET_CHAMBER, start=T0, subject="She speaks!",
                           thread="damduoeg08", version=0)
    appended = saved(server, chat(JULIET_CHAMBER, T0, from_("How cam'st thou hither?", 7),
                                  Note(text="I think she might fancy me.", utc=at(500))))
    assert appended.version == 1 and appended.subject == "She speaks!"
    assert retrieve(server, JULIET_CHAMBER).entries == (
        from_("Art thou not Romeo?"), to("Neither, fair saint", 11),
        from_("How cam'st thou hither?", 7), Note(text="I think she might fancy me.",
                                                  utc=at(500)))


def test_the_version_the_client_sends_is_ignored(server: ArchiveServer) -> None:
    assert saved(server, chat(JULIET, T0, to("a"), version=41)).version == 0


def test_an_upload_that_changes_nothing_keeps_the_version(server: ArchiveServer) -> None:
    saved(server, chat(JULIET, T0, to("a"), subject="s"))
    assert saved(server, chat(JULIET, T0, subject="s")).version == 0
    assert saved(server, chat(JULIET, T0)).version == 0


def test_changing_the_subject_increments_the_version(server: ArchiveServer) -> None:
    saved(server, chat(JULIET_CHAMBER, T0, to("a"), subject="She speaks!"))
    answer = saved(server, chat(JULIET_CHAMBER, T0, subject="She speaks twice!"))
    assert answer.version == 1 and answer.subject == "She speaks twice!"
    assert listed(server).chats[0].subject == "She speaks twice!"


def test_links_are_replaced_and_removed(server: ArchiveServer) -> None:
    to_room = Link(kind=LinkKind.NEXT, with_=ROOM, start=at(900))
    saved(server, chat(BENVOLIO, T0, to("O, I am fortune's fool!"), links=(to_room,)))
    assert retrieve(server, BENVOLIO).links == (to_room,)
    earlier = Link(kind=LinkKind.PREVIOUS, with_=NURSE, start=at(-900))
    other_room = Link(kind=LinkKind.NEXT, with_=ROOM, start=at(1800))
    assert saved(server, chat(BENVOLIO, T0, links=(other_room, earlier))).version == 1
    # links come first, previous before next, whatever the upload's order
    assert retrieve(server, BENVOLIO).links == (earlier, other_room)
    answer = saved(server, chat(BENVOLIO, T0, links=(Link(kind=LinkKind.PREVIOUS),
                                                     Link(kind=LinkKind.NEXT))))
    assert answer.version == 2
    assert retrieve(server, BENVOLIO).links == ()
    # removing links that are not there: no error, no change
    assert saved(server, chat(BENVOLIO, T0, links=(Link(kind=LinkKind.NEXT),))).version == 2


def test_forms_are_replaced_and_an_empty_form_removes_the_form(server: ArchiveServer) -> None:
    first = Form.submit({"task": "1"}, form_type="http://example.com/archiving")
    saved(server, chat(BENVOLIO, T0, to("a"), form=first))
    assert retrieve(server, BENVOLIO).form == first
    second = Form.submit({"important": "1"})
    assert saved(server, chat(BENVOLIO, T0, form=second)).version == 1
    assert retrieve(server, BENVOLIO).form == second
    assert saved(server, chat(BENVOLIO, T0, form=Form(type=FormType.SUBMIT))).version == 2
    assert retrieve(server, BENVOLIO).form is None
    # an empty form where there is none: no error, nothing changes
    assert saved(server, chat(BENVOLIO, T0, form=Form(type=FormType.SUBMIT))).version == 2


def test_an_empty_form_on_a_new_collection_is_no_error(server: ArchiveServer) -> None:
    created = saved(server, chat(BENVOLIO, T0, form=Form(type=FormType.SUBMIT)))
    assert created.version == 0
    assert retrieve(server, BENVOLIO).form is None


def test_an_encrypted_collection_is_stored_and_listed_with_crypt(
        server: ArchiveServer, published: PublicKey, extra: PublicKey,
        private_keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    upload = encrypted_save([published, extra], ["one", "two"], namespace=ARCHIVE_TMP)
    answer = saved(server, upload)
    assert answer.version == 0 and answer.crypt is True
    assert listed(server, namespace=ARCHIVE_TMP).chats[0].crypt is True
    got = retrieve(server, namespace=ARCHIVE_TMP)
    assert got.encrypted_data == upload.chat.encrypted_data
    assert got.encrypted_keys == upload.chat.encrypted_keys
    assert decrypt_collection(got.encrypted_data, got.encrypted_keys, private_keys[1],
        key_names=(NAMES[1],)) == (
        to("one"), to("two"))


def test_plain_and_encrypted_content_never_mix(server: ArchiveServer,
                                               published: PublicKey) -> None:
    saved(server, encrypted_save([published], ["secret"]))
    assert refused(server, chat(JULIET_BALCONY, T0, to("plain")), "set") \
        is Condition.NOT_ACCEPTABLE
    saved(server, chat(NURSE, T0, to("plain")))
    assert refused(server, encrypted_save([published], ["secret"], with_=NURSE), "set") \
        is Condition.NOT_ACCEPTABLE
    assert retrieve(server, NURSE).entries == (to("plain"),)


def test_a_wrapped_key_uploaded_twice_is_kept_once(server: ArchiveServer,
                                                   published: PublicKey) -> None:
    upload = encrypted_save([published], ["secret"])
    saved(server, upload)
    again = Save(chat=Chat(with_=JULIET_BALCONY, start=T0,
                           encrypted_keys=upload.chat.encrypted_keys))
    assert saved(server, again).version == 0
    assert len(retrieve(server).encrypted_keys) == 1


def test_another_key_under_a_stored_name_is_a_conflict_and_nothing_is_stored(
        server: ArchiveServer, published: PublicKey, extra: PublicKey,
        private_keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    first = encrypted_save([published], ["secret"])
    saved(server, first)
    before = retrieve(server)
    # Another symmetric key under the same name, for the same public key: were it
    # acknowledged and dropped, "later" could never be decrypted.
    other = encrypted_save([published, extra], ["later"], seed=7)
    assert refused(server, other, "set") is Condition.CONFLICT
    # The same symmetric key wrapped again (RSA padding is random): not a resend either.
    sealed = encrypt_collection([to("secret")], [published], key_name="dk1",
                                random=seeded())
    sealed.key.destroy()
    rewrapped = Save(chat=Chat(with_=JULIET_BALCONY, start=T0,
                               encrypted_keys=sealed.keys))
    assert sealed.keys != first.chat.encrypted_keys
    assert refused(server, rewrapped, "set") is Condition.CONFLICT
    # Two different keys for one pair in a single upload conflict with each other.
    fresh = encrypted_save([published], ["new"], key_name="dk2", with_=NURSE)
    twice = Save(chat=replace(fresh.chat, encrypted_keys=(
        *fresh.chat.encrypted_keys, *encrypted_save([published], ["x"], key_name="dk2",
                                                    seed=8).chat.encrypted_keys)))
    assert refused(server, twice, "set") is Condition.CONFLICT
    assert listed(server, with_=NURSE).chats == ()
    # Nothing of the refused saves was stored: not their data, not their other keys.
    after = retrieve(server)
    assert after == before and after.version == 0
    assert decrypt_collection(after.encrypted_data, after.encrypted_keys, private_keys[0],
                              key_names=(NAMES[0],)) == (to("secret"),)


def test_a_resent_encrypted_upload_is_stored_once(server: ArchiveServer,
                                                  published: PublicKey) -> None:
    upload = encrypted_save([published], ["secret"])
    saved(server, upload)
    assert saved(server, upload).version == 0  # the resend changes nothing
    more = encrypted_save([published], ["more"], seed=9)
    chunk = Save(chat=Chat(with_=JULIET_BALCONY, start=T0,
                           encrypted_data=(upload.chat.encrypted_data[0],
                                           more.chat.encrypted_data[0])))
    assert saved(server, chunk).version == 1  # only the new data is added
    assert saved(server, chunk).version == 1
    got = retrieve(server)
    assert got.encrypted_data == (upload.chat.encrypted_data[0], more.chat.encrypted_data[0])
    assert got.encrypted_keys == upload.chat.encrypted_keys


@pytest.mark.parametrize("limits", [Limits(max_collection_items=3),
                                    Limits(max_collection_size=200)])
def test_a_collection_too_large_is_not_acceptable(store: ArchiveStore, limits: Limits) -> None:
    server = ArchiveServer(store, encryption=False, limits=limits)
    saved(server, chat(JULIET, T0, to("one"), to("two")))
    assert refused(server, chat(JULIET, T0, to("three"), to("four" * 30)), "set") \
        is Condition.NOT_ACCEPTABLE
    # nothing of the refused upload was kept
    assert retrieve(server, JULIET).entries == (to("one"), to("two"))
    assert retrieve(server, JULIET).version == 0


# -- listing -------------------------------------------------------------------------------


def fill(server: ArchiveServer) -> dict[str, tuple[JID, datetime]]:
    collections = {
        "balcony": (JULIET_BALCONY, at(30)),
        "bare": (JULIET, at(10)),
        "chamber": (JULIET_CHAMBER, at(20)),
        "nurse": (NURSE, at(40)),
        "domain": (CAPULET, at(50)),
        "benvolio": (BENVOLIO, at(60)),
    }
    for name, (with_, start) in collections.items():
        saved(server, chat(with_, start, to(name)))
    return collections


def test_list_is_chronological_with_every_attribute(server: ArchiveServer) -> None:
    fill(server)
    saved(server, chat(JULIET, at(10), subject="bare", thread="t"))
    answer = listed(server)
    assert [(str(each.with_), each.start) for each in answer.chats] == [
        ("juliet@capulet.com", at(10)), ("juliet@capulet.com/chamber", at(20)),
        ("juliet@capulet.com/balcony", at(30)), ("nurse@capulet.com", at(40)),
        ("capulet.com", at(50)), ("benvolio@montague.net/street", at(60))]
    assert answer.chats[0] == Chat(with_=JULIET, start=at(10), subject="bare", thread="t",
                                   version=1)
    assert all(not each.entries for each in answer.chats)
    assert answer.rsm is None  # everything, unasked


@pytest.mark.parametrize(("pattern", "exact", "expected"), [
    (JULIET_BALCONY, False, ["balcony"]),
    (JULIET, False, ["bare", "chamber", "balcony"]),
    (JULIET, True, ["bare"]),
    (CAPULET, False, ["bare", "chamber", "balcony", "nurse", "domain"]),
    (CAPULET, True, ["domain"]),
    (JID.parse("montague.net"), False, ["benvolio"]),
])
def test_list_applies_jid_matching(server: ArchiveServer, pattern: JID, exact: bool,
                                   expected: list[str]) -> None:
    names = {value: key for key, value in fill(server).items()}
    answer = listed(server, with_=pattern, exactmatch=True if exact else None)
    assert [names[(each.with_, each.start)] for each in answer.chats] == expected


def test_list_by_time(server: ArchiveServer) -> None:
    fill(server)
    assert [each.start for each in listed(server, start=at(30)).chats] == [at(30), at(40),
                                                                           at(50), at(60)]
    assert [each.start for each in listed(server, end=at(30)).chats] == [at(10), at(20)]
    assert [each.start for each in listed(server, with_=JULIET, start=at(15),
                                          end=at(60)).chats] == [at(20), at(30)]


def test_an_empty_list(server: ArchiveServer) -> None:
    assert listed(server) == ListQuery()
    fill(server)
    assert listed(server, with_=JID.parse("tybalt@capulet.com"),
                  rsm=ResultSet.request(max=10)) == ListQuery()


def test_list_pages(server: ArchiveServer) -> None:
    fill(server)
    first = listed(server, rsm=ResultSet.request(max=4))
    assert [each.start for each in first.chats] == [at(10), at(20), at(30), at(40)]
    assert first.rsm is not None and first.rsm.count == 6 and first.rsm.first_index == 0
    assert first.rsm.first_uid == collection_uid(JULIET, at(10))
    assert first.rsm.first_uid == "2024-03-01T12:00:10Zjuliet@capulet.com"
    second = listed(server, rsm=first.rsm.next_page(4))
    assert [each.start for each in second.chats] == [at(50), at(60)]
    assert second.rsm is not None and second.rsm.first_index == 4
    last = listed(server, rsm=ResultSet.request(max=2, before=""))
    assert [each.start for each in last.chats] == [at(50), at(60)]
    count = listed(server, rsm=ResultSet.request(max=0))
    assert count.chats == () and count.rsm == ResultSet(count=6)
    assert refused(server, ListQuery(rsm=ResultSet.request(after="nothing"))) \
        is Condition.ITEM_NOT_FOUND


def test_a_page_asked_by_index_and_identifier_is_a_bad_request(server: ArchiveServer) -> None:
    fill(server)
    request = ResultSet.request(index=1, after=collection_uid(JULIET, at(10)))
    assert refused(server, ListQuery(rsm=request)) is Condition.BAD_REQUEST


def test_list_pages_are_capped_by_the_server(store: ArchiveStore) -> None:
    server = ArchiveServer(store, encryption=False, limits=Limits(max_page_size=2))
    fill(server)
    answer = listed(server)
    assert len(answer.chats) == 2 and answer.rsm is not None and answer.rsm.count == 6
    assert len(listed(server, rsm=ResultSet.request(max=5)).chats) == 2


# -- retrieving ----------------------------------------------------------------------------------


def test_retrieve_pages_through_a_collection(server: ArchiveServer) -> None:
    texts = [f"line {number}" for number in range(7)]
    saved(server, chat(JULIET_CHAMBER, T0, *(from_(text) for text in texts), subject="s"))
    first = retrieve(server, JULIET_CHAMBER, rsm=ResultSet.request(max=3))
    assert [entry.bodies[0] for entry in first.entries] == texts[:3]  # type: ignore[union-attr]
    assert first.rsm == ResultSet.page(first="0", last="2", count=7, first_index=0)
    assert first.subject == "s" and first.version == 0
    second = retrieve(server, JULIET_CHAMBER, rsm=first.rsm.next_page(3))
    assert second.rsm == ResultSet.page(first="3", last="5", count=7, first_index=3)
    third = retrieve(server, JULIET_CHAMBER, rsm=second.rsm.next_page(3))
    assert [entry.bodies[0] for entry in third.entries] == texts[6:]  # type: ignore[union-attr]
    whole = retrieve(server, JULIET_CHAMBER)
    assert len(whole.entries) == 7 and whole.rsm is None
    assert refused(server, Retrieve(with_=JULIET_CHAMBER, start=T0,
                                    rsm=ResultSet.request(after="99"))) \
        is Condition.ITEM_NOT_FOUND


def test_retrieve_an_unknown_collection(server: ArchiveServer) -> None:
    saved(server, chat(JULIET_CHAMBER, T0, to("a")))
    assert refused(server, Retrieve(with_=JULIET_CHAMBER, start=at(1))) \
        is Condition.ITEM_NOT_FOUND
    # retrieve always matches exactly: the bare JID does not find a resource's collection
    assert refused(server, Retrieve(with_=JULIET, start=T0)) is Condition.ITEM_NOT_FOUND


def test_retrieve_an_empty_collection(server: ArchiveServer) -> None:
    saved(server, chat(JULIET_CHAMBER, T0, subject="She speaks!"))
    answer = retrieve(server, JULIET_CHAMBER, rsm=ResultSet.request(max=100))
    assert answer == Chat(with_=JULIET_CHAMBER, start=T0, subject="She speaks!", version=0)


def test_retrieve_returns_the_keys_the_page_uses(
        server: ArchiveServer, published: PublicKey, extra: PublicKey,
        private_keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    first = encrypted_save([published, extra], ["one"], key_name="dk1")
    second = encrypted_save([published, extra], ["two"], key_name="dk2")
    saved(server, first)
    saved(server, second)
    page = retrieve(server, rsm=ResultSet.request(max=1))
    assert page.encrypted_data == first.chat.encrypted_data
    assert {(key.carried_key_name, key.key_name) for key in page.encrypted_keys} == {
        ("dk1", "romeo-published"), ("dk1", "romeo-extra")}
    assert page.crypt is True and page.entries == ()
    assert decrypt_collection(page.encrypted_data, page.encrypted_keys, private_keys[0],
        key_names=(NAMES[0],)) == (
        to("one"),)
    assert page.rsm is not None
    rest = retrieve(server, rsm=page.rsm.next_page(1))
    assert {key.carried_key_name for key in rest.encrypted_keys} == {"dk2"}
    # limited to the public keys the request names
    mine = retrieve(server, key_names=("romeo-extra",))
    assert {(key.carried_key_name, key.key_name) for key in mine.encrypted_keys} == {
        ("dk1", "romeo-extra"), ("dk2", "romeo-extra")}
    assert decrypt_collection(mine.encrypted_data, mine.encrypted_keys, private_keys[1],
        key_names=(NAMES[1],)) == (
        to("one"), to("two"))
    assert retrieve(server, key_names=("someone-else",)).encrypted_keys == ()


def test_retrieve_includes_keys_for_an_encrypted_form(server: ArchiveServer,
                                                      published: PublicKey) -> None:
    sealed = encrypt_collection([to("hidden")], [published], key_name="form-key",
                                random=seeded())
    sealed.key.destroy()
    form = Form(type=FormType.SUBMIT, extensions=(sealed.data,))
    answer = saved(server, Save(chat=Chat(with_=BENVOLIO, start=T0, form=form,
                                          encrypted_keys=sealed.keys)))
    assert answer.crypt is True
    got = retrieve(server, BENVOLIO)
    assert got.form == form and got.encrypted_keys == sealed.keys


def sealed_form(keys: list[PublicKey], key_name: str) -> tuple[Form, tuple[EncryptedKey, ...]]:
    """A form holding encrypted data, and the wrapped keys that open it."""
    sealed = encrypt_collection([to("hidden")], keys, key_name=key_name, random=seeded())
    sealed.key.destroy()
    return Form(type=FormType.SUBMIT, extensions=(sealed.data,)), sealed.keys


def carried(server: ArchiveServer, with_: JID = BENVOLIO) -> set[tuple[str | None, str | None]]:
    """(carried key name, public key name) of every wrapped key the collection holds."""
    return {(key.carried_key_name, key.key_name) for each in ok(server, Keys()).chats
            if each.with_ == with_ for key in each.encrypted_keys}


@pytest.mark.parametrize("new_form", [Form(type=FormType.SUBMIT), Form.submit({"task": "1"})],
                         ids=["removed", "replaced-by-plain"])
def test_keys_of_a_dropped_encrypted_form_go_with_it(server: ArchiveServer,
                                                    published: PublicKey, extra: PublicKey,
                                                    new_form: Form) -> None:
    form, keys = sealed_form([published, extra], "form-key")
    saved(server, Save(chat=Chat(with_=BENVOLIO, start=T0, form=form, encrypted_keys=keys)),
          now=at(1))
    assert carried(server) == {("form-key", NAMES[0]), ("form-key", NAMES[1])}
    answer = saved(server, chat(BENVOLIO, T0, form=new_form), now=at(2))
    assert answer.version == 1 and answer.crypt is None
    assert carried(server) == set()
    assert ok(server, Keys()) == Keys()
    assert listed(server).chats[0].crypt is None
    assert changes(server).changes == (
        Change(kind=ChangeKind.CHANGED, with_=BENVOLIO, start=T0, version=1),)
    # nothing encrypted is left, so plain messages are welcome
    assert saved(server, chat(BENVOLIO, T0, to("plain"))).version == 2
    got = retrieve(server, BENVOLIO)
    assert got.entries == (to("plain"),) and got.encrypted_keys == () and got.crypt is None


def test_a_dropped_form_keeps_the_keys_encrypted_messages_still_use(
        server: ArchiveServer, published: PublicKey) -> None:
    upload = encrypted_save([published], ["secret"], key_name="dk1", with_=BENVOLIO)
    saved(server, upload)
    form, _ = sealed_form([published], "dk1")  # encrypted with the messages' key
    assert saved(server, chat(BENVOLIO, T0, form=form)).version == 1
    answer = saved(server, chat(BENVOLIO, T0, form=Form(type=FormType.SUBMIT)))
    assert answer.version == 2 and answer.crypt is True
    assert carried(server) == {("dk1", NAMES[0])}
    assert retrieve(server, BENVOLIO).encrypted_keys == upload.chat.encrypted_keys
    assert refused(server, chat(BENVOLIO, T0, to("plain")), "set") is Condition.NOT_ACCEPTABLE


def test_a_dropped_form_leaves_the_keys_of_other_symmetric_keys(
        server: ArchiveServer, published: PublicKey, extra: PublicKey) -> None:
    saved(server, encrypted_save([published, extra], ["secret"], key_name="dk1",
                                 with_=BENVOLIO))
    old_form, old_keys = sealed_form([published, extra], "form-key")
    saved(server, Save(chat=Chat(with_=BENVOLIO, start=T0, form=old_form,
                                 encrypted_keys=old_keys)))
    # another collection's keys for the same symmetric key name stay too
    saved(server, Save(chat=Chat(with_=NURSE, start=T0, form=old_form,
                                 encrypted_keys=old_keys)))
    # the form is replaced by one encrypted with a new key, uploaded with its keys
    new_form, new_keys = sealed_form([published], "form-key-2")
    answer = saved(server, Save(chat=Chat(with_=BENVOLIO, start=T0, form=new_form,
                                          encrypted_keys=new_keys)))
    assert answer.version == 2 and answer.crypt is True
    assert carried(server) == {("dk1", NAMES[0]), ("dk1", NAMES[1]),
                               ("form-key-2", NAMES[0])}
    assert carried(server, NURSE) == {("form-key", NAMES[0]), ("form-key", NAMES[1])}
    got = retrieve(server, BENVOLIO)
    assert got.form == new_form
    assert {key.carried_key_name for key in got.encrypted_keys} == {"dk1", "form-key-2"}


# -- removing --------------------------------------------------------------------------------------


def remaining(server: ArchiveServer) -> list[tuple[JID, datetime]]:
    return [(each.with_, each.start) for each in listed(server).chats]


def test_remove_one_collection(server: ArchiveServer) -> None:
    collections = fill(server)
    assert ok(server, Remove(with_=JULIET_BALCONY, start=at(30)), "set") is None
    assert collections["balcony"] not in remaining(server) and len(remaining(server)) == 5
    assert refused(server, Remove(with_=JULIET_BALCONY, start=at(30)), "set") \
        is Condition.ITEM_NOT_FOUND
    # with and start name one collection exactly: the bare JID is not a pattern here
    assert refused(server, Remove(with_=JULIET, start=at(20)), "set") \
        is Condition.ITEM_NOT_FOUND


def test_remove_by_contact_and_time_range(server: ArchiveServer) -> None:
    collections = fill(server)
    ok(server, Remove(with_=JULIET, start=at(15), end=at(60)), "set")
    assert remaining(server) == [collections[name] for name in
                                 ("bare", "nurse", "domain", "benvolio")]
    ok(server, Remove(with_=CAPULET, exactmatch=True), "set")
    assert collections["domain"] not in remaining(server)
    ok(server, Remove(start=at(45)), "set")
    assert remaining(server) == [collections["bare"], collections["nurse"]]
    ok(server, Remove(), "set")
    assert remaining(server) == []
    assert refused(server, Remove(), "set") is Condition.ITEM_NOT_FOUND


def test_remove_by_contact(server: ArchiveServer) -> None:
    collections = fill(server)
    ok(server, Remove(with_=CAPULET), "set")
    assert remaining(server) == [collections["benvolio"]]


# -- replication ---------------------------------------------------------------------------------


def changes(server: ArchiveServer, since: datetime = T0, **fields: Any) -> Modified:
    answer = ok(server, Modified(start=since, **fields))
    assert isinstance(answer, Modified)
    return answer


def test_modified_reports_the_latest_change_of_each_collection(server: ArchiveServer) -> None:
    saved(server, chat(JULIET, T0, to("a")), now=at(100))
    saved(server, chat(NURSE, T0, to("a")), now=at(200))
    saved(server, chat(JULIET, T0, to("b")), now=at(300))
    ok(server, Remove(with_=NURSE, start=T0), "set", now=at(400))
    assert changes(server).changes == (
        Change(kind=ChangeKind.CHANGED, with_=JULIET, start=T0, version=1),
        Change(kind=ChangeKind.REMOVED, with_=NURSE, start=T0, version=0))
    # at or after the time given
    assert [each.with_ for each in changes(server, at(400)).changes] == [NURSE]
    assert changes(server, at(401)) == Modified()


def test_modified_pages(server: ArchiveServer) -> None:
    for number in range(5):
        saved(server, chat(JULIET, at(number), to("x")), now=at(100 + number))
    first = changes(server, rsm=ResultSet.request(max=2))
    assert [each.start for each in first.changes] == [at(0), at(1)]
    assert first.rsm is not None and first.rsm.count == 5
    second = changes(server, rsm=first.rsm.next_page(2))
    assert [each.start for each in second.changes] == [at(2), at(3)]
    # the client keeps the last identifier; the collection it names changes meanwhile,
    # and the next synchronization still starts after it
    assert second.rsm is not None and second.rsm.last is not None
    saved(server, chat(JULIET, at(3), to("y")), now=at(200))
    later = changes(server, rsm=ResultSet.request(max=10, after=second.rsm.last))
    assert [(each.start, each.version) for each in later.changes] == [(at(4), 0), (at(3), 1)]
    assert refused(server, Modified(start=T0, rsm=ResultSet.request(after="not-a-seq"))) \
        is Condition.ITEM_NOT_FOUND


# -- keys and their replacement -------------------------------------------------------------------


def upload_keyed(server: ArchiveServer, published: PublicKey, extra: PublicKey) -> None:
    saved(server, encrypted_save([published, extra], ["a"], key_name="dk1", with_=JULIET,
                                 start=at(10)))
    saved(server, encrypted_save([published], ["b"], key_name="dk2", with_=NURSE,
                                 start=at(20)))
    saved(server, encrypted_save([extra], ["c"], key_name="dk3", with_=CAPULET, start=at(30)))
    saved(server, chat(BENVOLIO, at(40), to("plain")))


def test_keys_groups_wrapped_keys_by_collection(server: ArchiveServer, published: PublicKey,
                                                extra: PublicKey) -> None:
    upload_keyed(server, published, extra)
    answer = ok(server, Keys(namespace=ARCHIVE_TMP, key_names=("romeo-published",)))
    assert isinstance(answer, Keys) and answer.namespace == ARCHIVE_TMP
    assert [(each.with_, each.version) for each in answer.chats] == [(JULIET, 0), (NURSE, 0)]
    assert all(key.key_name == "romeo-published"
               for each in answer.chats for key in each.encrypted_keys)
    assert [len(each.encrypted_keys) for each in answer.chats] == [1, 1]
    everything = ok(server, Keys())
    assert [each.with_ for each in everything.chats] == [JULIET, NURSE, CAPULET]
    assert [len(each.encrypted_keys) for each in everything.chats] == [2, 1, 1]
    assert ok(server, Keys(key_names=("unknown",))) == Keys()


def test_keys_pages_over_collections(server: ArchiveServer, published: PublicKey,
                                     extra: PublicKey) -> None:
    upload_keyed(server, published, extra)
    first = ok(server, Keys(rsm=ResultSet.request(max=2)))
    assert [each.with_ for each in first.chats] == [JULIET, NURSE]
    assert first.rsm.count == 3 and first.rsm.first_uid == collection_uid(JULIET, at(10))
    second = ok(server, Keys(rsm=first.rsm.next_page(2)))
    assert [each.with_ for each in second.chats] == [CAPULET]


def test_delete_removes_the_named_keys(server: ArchiveServer, published: PublicKey,
                                       extra: PublicKey) -> None:
    upload_keyed(server, published, extra)
    assert ok(server, Delete(namespace=ARCHIVE_TMP, with_=JULIET, start=at(10),
                             key_names=("romeo-published",)), "set", now=at(500)) is None
    got = retrieve(server, JULIET, at(10))
    assert [key.key_name for key in got.encrypted_keys] == ["romeo-extra"]
    assert got.version == 1
    assert changes(server, at(500)).changes == (
        Change(kind=ChangeKind.CHANGED, with_=JULIET, start=at(10), version=1),)
    # nothing to delete: no error, no new version
    ok(server, Delete(with_=JULIET, start=at(10), key_names=("romeo-published",)), "set")
    assert retrieve(server, JULIET, at(10)).version == 1
    assert refused(server, Delete(with_=JULIET, start=at(11), key_names=("x",)), "set") \
        is Condition.ITEM_NOT_FOUND


def test_delete_as_get_is_refused_unless_lenient(store: ArchiveStore, published: PublicKey,
                                                 extra: PublicKey) -> None:
    strict = ArchiveServer(store, encryption=False)
    upload_keyed(strict, published, extra)
    request = Delete(namespace=ARCHIVE_TMP, with_=JULIET, start=at(10),
                     key_names=("romeo-published",))
    answer = ask(strict, request, "get")[0]
    assert answer.error is not None and answer.error.condition is Condition.BAD_REQUEST
    assert "RFC 6120" in (answer.error.text or "")
    assert len(retrieve(strict, JULIET, at(10)).encrypted_keys) == 2  # nothing happened
    lenient = ArchiveServer(store, encryption=False, lenient=True)
    assert lenient.lenient and not strict.lenient
    assert ok(lenient, request, "get") is None
    assert [key.key_name for key in retrieve(lenient, JULIET, at(10)).encrypted_keys] == [
        "romeo-extra"]
    # leniency changes nothing else: a list sent as 'set' is still a bad request
    assert refused(lenient, ListQuery(), "set") is Condition.BAD_REQUEST


def test_key_replacement_flow(server: ArchiveServer, published: PublicKey, extra: PublicKey,
                              private_keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    """XEP-0241 §6 end to end: list the keys of the obsolete public key, re-wrap, save,
    delete the old ones; the collection still opens with the new private key only."""
    from xepcodec.crypto import rewrap_key

    saved(server, encrypted_save([published], ["secret"], with_=JULIET, start=at(10)))
    listed_keys = ok(server, Keys(key_names=("romeo-published",)))
    for each in listed_keys.chats:
        new = tuple(rewrap_key(key, private_keys[0], extra) for key in each.encrypted_keys)
        saved(server, Save(chat=Chat(with_=each.with_, start=each.start, encrypted_keys=new)))
        ok(server, Delete(with_=each.with_, start=each.start, key_names=("romeo-published",)),
           "set")
    got = retrieve(server, JULIET, at(10))
    assert [key.key_name for key in got.encrypted_keys] == ["romeo-extra"]
    assert got.version == 2
    assert decrypt_collection(got.encrypted_data, got.encrypted_keys, private_keys[1],
        key_names=(NAMES[1],)) == (
        to("secret"),)
    assert ok(server, Keys(key_names=("romeo-published",))) == Keys()


# -- automatic archiving --------------------------------------------------------------------------


def archive(server: ArchiveServer, stanza: Message, direction: Direction = Direction.TO,
            seconds: float = 0, owner: JID = ROMEO) -> list[Any]:
    return server.archive_message(stanza, owner=owner, direction=direction, now=at(seconds))


def test_nothing_is_archived_while_auto_is_off(server: ArchiveServer) -> None:
    events = archive(server, message("hi", to=JULIET_BALCONY))
    assert events == [NotArchived(message("hi", to=JULIET_BALCONY), NotArchivedReason.AUTO_OFF)]
    assert listed(server) == ListQuery()


def test_plain_automatic_archiving(server: ArchiveServer) -> None:
    ok(server, Auto(save=True), "set")
    events = archive(server, message("Hello", to=JULIET_BALCONY), seconds=0.4)
    start = at(0.4)
    assert events == [
        CollectionOpened(owner=ROMEO_BARE, with_=JULIET, start=start, thread=None,
                         key_name=None),
        MessageArchived(owner=ROMEO_BARE, with_=JULIET, start=start, position=0, version=0,
                        encrypted=False)]
    archive(server, message("Hi!", from_=JULIET_CHAMBER), Direction.FROM, seconds=1.0)
    archive(server, message("How now?", to=JULIET_CHAMBER), seconds=1.9)
    archive(server, message("Well.", from_=JULIET_CHAMBER), Direction.FROM, seconds=12.4)
    got = retrieve(server, JULIET, start)
    assert got.version == 3
    # secs follow the absolute times: 0.4 -> 1.0 -> 1.9 -> 12.4 is 0, 1, 1, 10 (sum 12)
    assert got.entries == (to("Hello", 0), from_("Hi!", 1), to("How now?", 1),
                           from_("Well.", 10))
    assert [each.with_ for each in listed(server).chats] == [JULIET]
    assert server.open_collections()[0].with_ == JULIET


def test_threads_go_to_separate_collections(server: ArchiveServer) -> None:
    ok(server, Auto(save=True), "set")
    archive(server, message("one", to=JULIET, thread="t1"))
    archive(server, message("two", to=JULIET, thread="t2"))
    archive(server, message("three", to=JULIET, thread="t1"), seconds=1)
    chats = listed(server).chats
    assert [(each.thread, each.start) for each in chats] == [
        ("t1", T0), ("t2", T0 + timedelta(milliseconds=1))]
    assert len(retrieve(server, JULIET, T0).entries) == 2


def test_group_chat_messages(server: ArchiveServer) -> None:
    ok(server, Auto(save=True), "set")
    archive(server, message("She will invite him.", from_=ROOM.with_resource("benvolio"),
                            kind=MessageType.GROUPCHAT), Direction.FROM)
    got = retrieve(server, ROOM, T0)
    assert got.entries == (Entry(direction=Direction.FROM, secs=0, name="benvolio",
                                 bodies=("She will invite him.",)),)


def test_what_is_not_archived(server: ArchiveServer) -> None:
    ok(server, Auto(save=True), "set")
    ok(server, Pref(items=(Item(jid=NURSE, otr=OtrMode.CONCEDE, save=SaveMode.FALSE),),
                    sessions=(Session(thread="secret", save=SaveMode.FALSE),)), "set")
    cases = [
        (message("x", to=NURSE), NotArchivedReason.SAVE_FALSE),
        (message("x", to=JULIET, thread="secret"), NotArchivedReason.SAVE_FALSE),
        (message(None, to=JULIET), NotArchivedReason.NOTHING_TO_SAVE),
        (message("x", to=None), NotArchivedReason.NO_PEER),
    ]
    for stanza, reason in cases:
        assert archive(server, stanza) == [NotArchived(stanza, reason)]
    error = xepcodec.parse(b"<message xmlns='jabber:client' type='error' from='juliet@capulet."
                           b"com'><body>x</body><error type='cancel'><item-not-found "
                           b"xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>")
    assert archive(server, error, Direction.FROM) == [
        NotArchived(error, NotArchivedReason.NOTHING_TO_SAVE)]
    assert listed(server) == ListQuery()


def test_save_mode_precedence(server: ArchiveServer) -> None:
    ok(server, Auto(save=True), "set")
    ok(server, Pref(default=Default(otr=OtrMode.CONCEDE, save=SaveMode.FALSE),
                    items=(Item(jid=CAPULET, otr=OtrMode.CONCEDE, save=SaveMode.BODY),
                           Item(jid=JULIET, otr=OtrMode.CONCEDE, save=SaveMode.FALSE)),
                    sessions=(Session(thread="keep", save=SaveMode.BODY),)), "set")
    # the most specific item wins: juliet@ (false) over capulet.com (body)
    assert isinstance(archive(server, message("x", to=JULIET_BALCONY))[0], NotArchived)
    assert isinstance(archive(server, message("x", to=NURSE))[-1], MessageArchived)
    # a session beats the items
    assert isinstance(archive(server, message("x", to=JULIET, thread="keep"))[-1],
                      MessageArchived)
    # the default applies to everyone else
    assert isinstance(archive(server, message("x", to=BENVOLIO))[0], NotArchived)


def test_save_mode_message_keeps_payloads(server: ArchiveServer) -> None:
    ok(server, Auto(save=True), "set")
    ok(server, Pref(default=Default(otr=OtrMode.CONCEDE, save=SaveMode.MESSAGE)), "set")
    stanza = xepcodec.parse(b"<message xmlns='jabber:client' type='chat' to='juliet@capulet.com'>"
                            b"<body>hi</body><active xmlns='http://jabber.org/protocol/"
                            b"chatstates'/></message>")
    archive(server, stanza)
    state_only = xepcodec.parse(b"<message xmlns='jabber:client' type='chat' to='juliet@capulet"
                                b".com'><paused xmlns='http://jabber.org/protocol/chatstates'/>"
                                b"</message>")
    archive(server, state_only, seconds=2)
    entries = retrieve(server, JULIET, T0).entries
    assert len(entries) == 2
    assert isinstance(entries[0], Entry) and entries[0].bodies == ("hi",)
    assert entries[0].extensions == stanza.extensions
    assert isinstance(entries[1], Entry) and entries[1].bodies == ()
    ok(server, Pref(default=Default(otr=OtrMode.CONCEDE, save=SaveMode.BODY)), "set")
    assert isinstance(archive(server, state_only, seconds=3)[0], NotArchived)


def test_idle_and_full_collections_are_finished(store: ArchiveStore) -> None:
    server = ArchiveServer(store, encryption=False,
                           limits=Limits(collection_timeout=60, max_collection_items=2))
    ok(server, Auto(save=True), "set")
    archive(server, message("1", to=JULIET), seconds=0)
    archive(server, message("2", to=JULIET), seconds=10)
    events = archive(server, message("3", to=JULIET), seconds=20)
    assert isinstance(events[0], CollectionFinished) and events[0].reason is FinishReason.FULL
    events = archive(server, message("4", to=JULIET), seconds=200)
    assert events[0].reason is FinishReason.IDLE
    assert [each.start for each in listed(server).chats] == [at(0), at(20), at(200)]
    assert server.expire(at(230)) == []
    finished = server.expire(at(261))
    assert [each.reason for each in finished] == [FinishReason.IDLE]
    assert server.open_collections() == ()


def test_finish_collection(server: ArchiveServer) -> None:
    ok(server, Auto(save=True), "set")
    archive(server, message("1", to=JULIET))
    archive(server, message("2", to=NURSE))
    finished = server.finish_collection(ROMEO, JULIET_BALCONY, now=at(5))
    assert [(each.with_, each.reason) for each in finished] == [(JULIET,
                                                                 FinishReason.REQUESTED)]
    assert server.finish_collection(ROMEO, JULIET, now=at(5)) == []
    archive(server, message("3", to=JULIET), seconds=6)
    assert [each.start for each in listed(server, with_=JULIET).chats] == [T0, at(6)]
    assert [each.with_ for each in server.open_collections(ROMEO)] == [NURSE, JULIET]
    assert server.open_collections(JULIET) == ()


def test_switching_auto_off_finishes_collections(server: ArchiveServer) -> None:
    ok(server, Auto(save=True), "set")
    ok(server, Auto(save=True), "set", owner=ROMEO_PDA)
    archive(server, message("1", to=JULIET))
    ok(server, Auto(save=False), "set")
    assert len(server.open_collections()) == 1  # the pda still archives
    ok(server, Auto(save=False), "set", owner=ROMEO_PDA)
    assert server.open_collections() == ()


def test_a_closed_stream_finishes_its_collections(server: ArchiveServer) -> None:
    ok(server, Auto(save=True), "set")
    archive(server, message("1", to=JULIET))
    assert server.stream_closed(ROMEO_PDA, now=at(1)) == []
    finished = server.stream_closed(ROMEO, now=at(1))
    assert [each.reason for each in finished] == [FinishReason.STREAM_CLOSED]
    assert not server.auto_setting(ROMEO).save


def test_remove_open_collections(server: ArchiveServer) -> None:
    ok(server, Auto(save=True), "set")
    saved(server, chat(JULIET, at(-100), to("manual")))
    archive(server, message("auto", to=JULIET))
    ok(server, Remove(with_=JULIET, open=True), "set")
    assert [each.start for each in listed(server).chats] == [at(-100)]
    assert server.open_collections() == ()
    assert refused(server, Remove(open=True), "set") is Condition.ITEM_NOT_FOUND
    # the next message starts a new collection
    archive(server, message("again", to=JULIET), seconds=5)
    assert [each.start for each in listed(server).chats] == [at(-100), at(5)]


def test_a_client_may_add_to_a_collection_being_recorded(server: ArchiveServer) -> None:
    ok(server, Auto(save=True), "set")
    archive(server, message("auto", to=JULIET))
    saved(server, chat(JULIET, T0, Note(text="remember this")))
    archive(server, message("more", to=JULIET), seconds=3)
    got = retrieve(server, JULIET, T0)
    assert got.entries == (to("auto"), Note(text="remember this"), to("more", 3))
    assert got.version == 2


def test_encrypted_automatic_archiving(server: ArchiveServer, published: PublicKey,
                                       extra: PublicKey,
                                       private_keys: tuple[rsa.RSAPrivateKey, ...],
                                       made_keys: list[SymmetricKey]) -> None:
    server.store.set_public_keys(ROMEO_BARE, [published.key_info()])
    ok(server, Auto(namespace=ARCHIVE_TMP, save=True, encrypt=True,
                    key_infos=(extra.key_info(),)), "set")
    events = archive(server, message("Hello", to=JULIET_BALCONY))
    assert isinstance(events[0], CollectionOpened) and events[0].key_name is not None
    assert len(made_keys) == 1 and events[0].key_name == made_keys[0].name
    archive(server, message("Hi!", from_=JULIET_BALCONY), Direction.FROM, seconds=3)
    assert listed(server).chats[0].crypt is True
    got = retrieve(server, JULIET, T0)
    assert got.entries == () and len(got.encrypted_data) == 2
    assert {key.key_name for key in got.encrypted_keys} == {"romeo-published", "romeo-extra"}
    assert {key.carried_key_name for key in got.encrypted_keys} == {made_keys[0].name}
    for private_key, name in zip(private_keys, NAMES, strict=True):  # each key opens it
        assert decrypt_collection(got.encrypted_data, got.encrypted_keys, private_key,
                                  key_names=(name,)) == (to("Hello"), from_("Hi!", 3))


def test_keys_published_later_are_wrapped_for_too(server: ArchiveServer, published: PublicKey,
                                                   extra: PublicKey) -> None:
    server.store.set_public_keys(ROMEO_BARE, [published.key_info()])
    ok(server, Auto(save=True, encrypt=True), "set")
    archive(server, message("1", to=JULIET))
    server.store.set_public_keys(ROMEO_BARE, [published.key_info(), extra.key_info()])
    archive(server, message("2", to=JULIET), seconds=1)
    names = [key.key_name for key in retrieve(server, JULIET, T0).encrypted_keys]
    assert names == ["romeo-published", "romeo-extra"]


def test_no_plain_text_when_the_keys_are_gone(server: ArchiveServer,
                                              published: PublicKey) -> None:
    server.store.set_public_keys(ROMEO_BARE, [published.key_info()])
    ok(server, Auto(save=True, encrypt=True), "set")
    server.store.set_public_keys(ROMEO_BARE, [])
    stanza = message("1", to=JULIET)
    assert archive(server, stanza) == [NotArchived(stanza, NotArchivedReason.NO_PUBLIC_KEY)]


YESTERDAY, TOMORROW = T0 - timedelta(days=1), T0 + timedelta(days=1)


def pubkey_of(private_key: rsa.RSAPrivateKey, *, shape: str, begin: datetime = YESTERDAY,
              end: datetime = TOMORROW) -> PubKey:
    public = private_key.public_key()
    if shape == "rsakey":
        numbers = public.public_numbers()
        fingerprint = rsakey_fingerprint(begin, end, ROMEO_BARE, numbers.n, numbers.e)
        return PubKey(begin=begin, end=end, jid=ROMEO_BARE, rsakey=RSAKey(
            modulus=numbers.n, exponent=numbers.e, print_=Print(value=fingerprint)))
    der = public.public_bytes(serialization.Encoding.DER,
                              serialization.PublicFormat.SubjectPublicKeyInfo)
    return PubKey(begin=begin, end=end, jid=ROMEO_BARE, key=der,
                  print_=Print(value=key_name(public)))


def test_publish_keys_from_xep_0189(server: ArchiveServer,
                                    private_keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    """Keys published as <pubkey/> are named by their fingerprint, the name a client's
    decrypt_collection looks for by default: no names need to be agreed on."""
    [event] = server.publish_keys(ROMEO, [pubkey_of(private_keys[0], shape="rsakey"),
                                          pubkey_of(private_keys[1], shape="der")])
    assert isinstance(event, KeysPublished) and event.owner == ROMEO_BARE
    stored = event.keys
    assert [info.key_name for info in stored] == [
        key_name(private_key.public_key()) for private_key in private_keys]
    assert server.store.get_public_keys(ROMEO_BARE) == stored
    ok(server, Auto(save=True, encrypt=True), "set")
    archive(server, message("sealed", to=JULIET))
    got = retrieve(server, JULIET, T0)
    for private_key in private_keys:
        assert decrypt_collection(got.encrypted_data, got.encrypted_keys, private_key) == (
            to("sealed"),)


def test_publish_keys_leaves_out_keys_out_of_their_validity(
        server: ArchiveServer, private_keys: tuple[rsa.RSAPrivateKey, ...],
        published: PublicKey) -> None:
    expired = pubkey_of(private_keys[0], shape="der", begin=at(-200), end=at(-100))
    future = pubkey_of(private_keys[1], shape="rsakey", begin=at(100), end=at(200))
    given = KeyInfo(key_names=("by-name",), key_values=(published.key_value(),))
    assert server.publish_keys(ROMEO, [expired, future, given, published], now=T0) == [
        KeysPublished(ROMEO_BARE, (given, published.key_info()))]
    [event] = server.publish_keys(ROMEO, [expired, future])
    assert isinstance(event, KeysPublished) and len(event.keys) == 2  # no time: all of them


def test_publish_keys_refuses_what_is_no_rsa_key(server: ArchiveServer) -> None:
    with pytest.raises(ValueError, match="request"):
        server.publish_keys(ROMEO, [PubKey()])
    ec = ec_key.generate_private_key(ec_key.SECP256R1()).public_key()
    der = ec.public_bytes(serialization.Encoding.DER,
                          serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(ValueError, match="only RSA"):
        server.publish_keys(ROMEO, [PubKey(begin=T0, end=at(1), jid=ROMEO_BARE, key=der,
                                           print_=Print(value="x"))])
    with pytest.raises(TypeError, match="PubKey"):
        server.publish_keys(ROMEO, ["key"])  # type: ignore[list-item]
    assert server.store.get_public_keys(ROMEO_BARE) == ()


def referrers(key: SymmetricKey, *allowed: object) -> list[object]:
    gc.collect()
    return [each for each in gc.get_referrers(key)
            if not any(each is other for other in allowed)
            and not isinstance(each, types.FrameType)]


def test_finishing_destroys_the_key_and_drops_every_reference(
        server: ArchiveServer, published: PublicKey, made_keys: list[SymmetricKey]) -> None:
    server.store.set_public_keys(ROMEO_BARE, [published.key_info()])
    ok(server, Auto(save=True, encrypt=True), "set")
    archive(server, message("1", to=JULIET))
    key = made_keys[0]
    assert not key.destroyed and any(key._octets)
    assert referrers(key, made_keys)  # the server holds it while recording
    assert server.open_collections()[0].key_name == key.name
    events = server.finish_collection(ROMEO, JULIET, now=at(5))
    assert events == [CollectionFinished(owner=ROMEO_BARE, with_=JULIET, start=T0,
                                         reason=FinishReason.REQUESTED, encrypted=True)]
    assert key.destroyed
    assert key._octets == bytearray(32)  # the buffer is zeroed
    assert referrers(key, made_keys) == []  # nobody but this test refers to it


@pytest.mark.parametrize("how", ["auto-off", "encrypt-off", "remove", "close", "idle",
                                 "stream-closed"])
def test_every_way_of_finishing_destroys_the_key(server: ArchiveServer, published: PublicKey,
                                                 made_keys: list[SymmetricKey],
                                                 how: str) -> None:
    server.store.set_public_keys(ROMEO_BARE, [published.key_info()])
    ok(server, Auto(save=True, encrypt=True), "set")
    archive(server, message("1", to=JULIET))
    if how == "auto-off":
        ok(server, Auto(save=False), "set")
    elif how == "encrypt-off":
        ok(server, Auto(save=True), "set")
    elif how == "remove":
        ok(server, Remove(with_=JULIET, start=T0), "set")
    elif how == "close":
        assert [each.reason for each in server.close(at(1))] == [FinishReason.SHUTDOWN]
    elif how == "idle":
        server.expire(at(24 * 3600))
    else:
        server.stream_closed(ROMEO, now=at(1))
    key = made_keys[0]
    assert key.destroyed and key._octets == bytearray(32)
    assert referrers(key, made_keys) == []
    assert server.open_collections() == ()


def test_the_key_never_reaches_the_store_or_a_snapshot(
        tmp_path: Path, published: PublicKey, made_keys: list[SymmetricKey]) -> None:
    path = tmp_path / "archive.db"
    store = SQLiteStore(path)
    server = ArchiveServer(store, random=seeded())
    store.set_public_keys(ROMEO_BARE, [published.key_info()])
    ok(server, Auto(save=True, encrypt=True), "set")
    for number in range(3):
        archive(server, message(f"secret {number}", to=JULIET), seconds=number)
    octets = bytes(made_keys[0]._octets)
    assert len(octets) == 32 and any(octets)
    snapshot = json.dumps(server.snapshot()).encode()
    store.close()
    on_disk = b"".join(each.read_bytes() for each in tmp_path.iterdir())
    for form in (octets, base64.b64encode(octets), octets.hex().encode()):
        assert form not in on_disk
        assert form not in snapshot
    assert b"secret 1" not in on_disk  # and the messages are not in clear either


class FlakyStore(MemoryStore):
    """A store whose next append fails, as a full disk would."""

    fail = False

    def append_items(self, *args: Any, **kwargs: Any) -> None:
        if self.fail:
            self.fail = False
            raise OSError("disk full")
        super().append_items(*args, **kwargs)


def test_a_store_failure_leaves_the_server_as_it_was(
        published: PublicKey, extra: PublicKey, made_keys: list[SymmetricKey],
        private_keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    store = FlakyStore()
    server = ArchiveServer(store, random=seeded())
    store.set_public_keys(ROMEO_BARE, [published.key_info()])
    ok(server, Auto(save=True, encrypt=True), "set")
    store.fail = True
    with pytest.raises(OSError):
        archive(server, message("lost", to=JULIET))
    # nothing was stored, nothing is open, and the key made for it is destroyed
    assert store.find_collections(ROMEO_BARE) == [] and server.open_collections() == ()
    assert made_keys[0].destroyed
    archive(server, message("kept", to=JULIET), seconds=1)
    store.set_public_keys(ROMEO_BARE, [published.key_info(), extra.key_info()])
    store.fail = True
    with pytest.raises(OSError):  # the key wrapped for the new public key is lost too...
        archive(server, message("lost again", to=JULIET), seconds=2)
    archive(server, message("kept again", to=JULIET), seconds=3)
    got = retrieve(server, JULIET, at(1))
    assert got.version == 1
    # ...so the next message wraps it again: the new key opens everything
    assert decrypt_collection(got.encrypted_data, got.encrypted_keys, private_keys[1],
                              key_names=(NAMES[1],)) == (to("kept"), to("kept again", 2))


def test_switching_encryption_on_encrypts_the_collection_being_recorded(
        server: ArchiveServer, published: PublicKey,
        private_keys: tuple[rsa.RSAPrivateKey, ...], made_keys: list[SymmetricKey]) -> None:
    server.store.set_public_keys(ROMEO_BARE, [published.key_info()])
    ok(server, Auto(save=True), "set")
    archive(server, message("plain one", to=JULIET))
    archive(server, message("plain two", to=JULIET), seconds=2)
    ok(server, Auto(save=True, encrypt=True), "set", now=at(3))
    archive(server, message("after", to=JULIET), seconds=4)
    got = retrieve(server, JULIET, T0)
    assert got.entries == () and len(got.encrypted_data) == 2 and got.crypt
    assert decrypt_collection(got.encrypted_data, got.encrypted_keys, private_keys[0],
        key_names=(NAMES[0],)) == (
        to("plain one"), to("plain two", 2), to("after", 2))
    assert len(listed(server).chats) == 1 and got.version == 3
    assert len(made_keys) == 1


def test_encryption_off_server_archives_in_plain_text(store: ArchiveStore) -> None:
    server = ArchiveServer(store, encryption=False)
    ok(server, Auto(save=True), "set")
    archive(server, message("x", to=JULIET))
    assert retrieve(server, JULIET, T0).entries == (to("x"),)


# -- persistence -----------------------------------------------------------------------------------


def test_snapshot_is_json_safe_and_restores(server: ArchiveServer) -> None:
    ok(server, Pref(namespace=ARCHIVE_TMP))
    ok(server, Auto(save=True), "set")
    archive(server, message("before", to=JULIET))
    data = json.loads(json.dumps(server.snapshot()))
    restored = ArchiveServer.restore(data, server.store, random=seeded())
    assert restored.snapshot() == data
    assert restored.auto_setting(ROMEO).save
    # the plain collection goes on where it was
    archive(restored, message("after", to=JULIET), seconds=5)
    assert retrieve(restored, JULIET, T0).entries == (to("before"), to("after", 5))
    # the push registration survived, in its namespace
    answers = ask(restored, Pref(default=Default(otr=OtrMode.PREFER, save=SaveMode.BODY)),
                  "set")
    assert [push.payload.namespace for push in answers[1:]] == [ARCHIVE_TMP]


def test_restore_finishes_encrypted_collections(server: ArchiveServer, published: PublicKey,
                                                made_keys: list[SymmetricKey]) -> None:
    server.store.set_public_keys(ROMEO_BARE, [published.key_info()])
    ok(server, Auto(save=True, encrypt=True), "set")
    archive(server, message("before", to=JULIET))
    data = server.snapshot()
    assert data["open"][0]["encrypted"] is True
    restored = ArchiveServer.restore(data, server.store, random=seeded())
    assert restored.open_collections() == ()
    archive(restored, message("after", to=JULIET), seconds=5)
    assert [each.start for each in listed(restored).chats] == [T0, at(5)]
    assert len(made_keys) == 2 and made_keys[0] is not made_keys[1]


def test_restore_refuses_what_is_no_snapshot(server: ArchiveServer) -> None:
    with pytest.raises(ValueError, match="archive-server snapshot"):
        ArchiveServer.restore({"format": "other"}, server.store, random=seeded())
    data = server.snapshot()
    del data["limits"]
    with pytest.raises(ValueError, match="needs its field 'limits'"):
        ArchiveServer.restore(data, server.store, random=seeded())


#: A snapshot as version 1 wrote it: two streams (one with a key given by name), a
#: resource registered for pushes, and a plain collection being recorded.
_VERSION_1 = {
    "format": "xepcodec.archive-server", "version": 1, "namespace": None,
    "encryption": False, "lenient": False,
    "limits": {"max_collection_items": 10000, "max_collection_size": 16777216,
               "max_page_size": 7, "collection_timeout": 1800, "session_timeout": 3600},
    "defaults": {"save": "body", "otr": "concede", "compulsory": True},
    "next_id": 1,
    "streams": [
        {"jid": "romeo@montague.net/orchard", "save": True, "encrypt": False,
         "scope": "global", "keys": []},
        {"jid": "romeo@montague.net/pda", "save": False, "encrypt": False, "scope": "stream",
         "keys": ['<KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><KeyName>romeo-extra'
                  '</KeyName></KeyInfo>']}],
    "subscribers": [{"jid": "romeo@montague.net/pda", "namespace": "urn:xmpp:tmp:archive"}],
    "open": [{"owner": "romeo@montague.net", "with": "juliet@capulet.com",
              "start": "2024-03-01T12:00:03Z", "thread": "t1", "namespace": "urn:xmpp:archive",
              "last": "2024-03-01T12:00:03Z", "elapsed": 0, "encrypted": False}],
}


def test_a_version_1_snapshot_restores(store: ArchiveStore) -> None:
    saved(ArchiveServer(store, encryption=False),
          chat(JULIET, at(3), to("hi"), thread="t1"))  # what the store holds of it
    server = ArchiveServer.restore(json.loads(json.dumps(_VERSION_1)), store)
    assert server.limits.max_page_size == 7 and server.defaults.compulsory
    assert server.auto_setting(ROMEO) == AutoSetting(save=True, scope=Scope.GLOBAL)
    assert server.auto_setting(ROMEO_PDA) == AutoSetting(
        save=False, key_infos=(KeyInfo(key_names=("romeo-extra",)),))
    [recording] = server.open_collections()
    assert (recording.owner, recording.with_, recording.start, recording.thread) == (
        ROMEO_BARE, JULIET, at(3), "t1")
    data = server.snapshot()
    assert data["version"] == 2
    assert {key: value for key, value in data.items() if key not in (
        "version", "streams", "subscribers", "open")} == {
        key: value for key, value in _VERSION_1.items() if key not in (
            "version", "streams", "subscribers", "open")}
    # and the pushes still go out in the namespace the resource asked in
    answers = ask(server, Pref(default=Default(otr=OtrMode.PREFER, save=SaveMode.BODY)), "set")
    assert [(push.to, push.payload.namespace) for push in answers[1:]] == [
        (ROMEO_PDA, ARCHIVE_TMP)]


def test_a_snapshot_is_a_fixed_point(store: ArchiveStore, published: PublicKey,
                                     extra: PublicKey) -> None:
    """snapshot, restore, snapshot gives the same data, however much the server holds;
    only an encrypted collection being recorded goes, once, with its key."""
    server = ArchiveServer(store, random=seeded(), lenient=True,
                           limits=Limits(max_page_size=9, session_timeout=60),
                           defaults=Defaults(otr=OtrMode.PREFER))
    store.set_public_keys(ROMEO_BARE, [published.key_info()])
    ok(server, Pref(namespace=ARCHIVE_TMP), owner=ROMEO_PDA)
    ok(server, Pref(), owner=ROMEO)
    ok(server, Auto(save=True, scope=Scope.GLOBAL), "set", owner=ROMEO)
    ok(server, Auto(save=True, encrypt=True, key_infos=(extra.key_info(),)), "set",
       owner=ROMEO_PDA)
    ok(server, Pref(default=Default(otr=OtrMode.CONCEDE, save=SaveMode.MESSAGE)), "set")
    archive(server, message("plain", to=JULIET, thread="t1"), owner=ROMEO, seconds=1)
    archive(server, message("plain", to=NURSE), owner=ROMEO, seconds=2)
    archive(server, message("sealed", from_=JULIET_CHAMBER), Direction.FROM, owner=ROMEO_PDA,
            seconds=3)
    first = json.loads(json.dumps(server.snapshot()))
    assert len(first["open"]) == 3 and len(first["streams"]) == 2
    again = ArchiveServer.restore(first, store, random=seeded())
    second = json.loads(json.dumps(again.snapshot()))
    assert second == {**first, "open": [each for each in first["open"]
                                        if not each["encrypted"]]}
    assert ArchiveServer.restore(second, store, random=seeded()).snapshot() == second
    assert len(again.open_collections()) == 2


class FailingReplace(MemoryStore):
    """A store whose next replacement of a collection's items fails."""

    fail = False

    def replace_items(self, *args: Any, **kwargs: Any) -> None:
        if self.fail:
            self.fail = False
            raise OSError("disk full")
        super().replace_items(*args, **kwargs)


def test_a_failing_request_undoes_memory_and_store(
        published: PublicKey, made_keys: list[SymmetricKey]) -> None:
    """Switching encryption on fails half-way through encrypting the collection being
    recorded: the stream's setting, the collection and its key are as they were, in
    memory and in the store, and the key made for it is destroyed."""
    store = FailingReplace()
    server = ArchiveServer(store, random=seeded())
    store.set_public_keys(ROMEO_BARE, [published.key_info()])
    ok(server, Pref(), owner=ROMEO_PDA)
    ok(server, Auto(save=True), "set")
    archive(server, message("plain", to=JULIET))
    before = (server.snapshot(), retrieve(server, JULIET, T0), store.get_prefs(ROMEO_BARE))
    store.fail = True
    with pytest.raises(OSError):
        server.receive(Iq(type=IqType.SET, id="e1", from_=ROMEO,
                          extensions=(Auto(save=True, encrypt=True),)), now=at(1))
    assert server.auto_setting(ROMEO) == AutoSetting(save=True)
    [key] = made_keys
    assert key.destroyed and server.open_collections()[0].key_name is None
    assert (server.snapshot(), retrieve(server, JULIET, T0),
            store.get_prefs(ROMEO_BARE)) == before
    # a refused request leaves nothing either: not even its push registration
    assert refused(server, Pref(default=Default(otr=OtrMode.REQUIRE, save=SaveMode.BODY)),
                   "set") is Condition.BAD_REQUEST
    assert refused(server, Pref(items=(Item(jid=NURSE),)), "get") is Condition.BAD_REQUEST
    assert server.snapshot() == before[0]
    # and the same request then goes through
    ok(server, Auto(save=True, encrypt=True), "set", now=at(2))
    assert server.open_collections()[0].encrypted and retrieve(server, JULIET, T0).crypt


def test_an_sqlite_restart_loses_nothing(tmp_path: Path, published: PublicKey,
                                         private_keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    path = tmp_path / "archive.db"
    store = SQLiteStore(path)
    first = ArchiveServer(store, random=seeded())
    store.set_public_keys(ROMEO_BARE, [published.key_info()])
    ok(first, Pref(default=Default(otr=OtrMode.FORBID, save=SaveMode.BODY)), "set")
    ok(first, Auto(save=True, encrypt=True, scope=Scope.GLOBAL), "set")
    fill(first)
    saved(first, encrypted_save([published], ["sealed"], with_=NURSE, start=at(-5)))
    archive(first, message("auto", to=ROOM), seconds=70)
    ok(first, Remove(with_=BENVOLIO, start=at(60)), "set", now=at(80))

    def everything(server: ArchiveServer) -> list[Any]:
        chats = listed(server).chats
        return [ok(server, Pref()), chats,
                [retrieve(server, each.with_, each.start) for each in chats],
                changes(server, T0 - timedelta(days=1)), ok(server, Keys())]

    before = everything(first)
    store.close()  # the process ends; the open collection's key dies with it
    reopened = SQLiteStore(path)
    second = ArchiveServer(reopened, random=seeded())
    assert everything(second) == before
    assert decrypt_collection(
        retrieve(second, ROOM, at(70)).encrypted_data,
        retrieve(second, ROOM, at(70)).encrypted_keys, private_keys[0],
        key_names=(NAMES[0],)) == (to("auto"),)
    # the account's global setting survived; the collection recorded before is finished
    assert second.auto_setting(ROMEO).encrypt
    archive(second, message("again", to=ROOM), seconds=75)
    assert len(listed(second, with_=ROOM).chats) == 2
    reopened.close()
