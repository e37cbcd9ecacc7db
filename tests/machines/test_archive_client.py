"""Unit tests for xepcodec.machines.archive_client, the XEP-0136/XEP-0241 archive client.

The server's answers are written here by hand as XML (with ciphertext made on the
spot by xepcodec.crypto where an answer carries encrypted content); none is taken
from a specification.  The client wired to the real server is in
test_archive_flows.py; random interleavings are in test_archive_stateful.py.
"""

from __future__ import annotations

import base64
import enum
import functools
import json
import random as stdlib_random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

import xepcodec.machines.archive_client.rekey as rekey_module
import xepcodec.machines.archive_client.upload as upload_module
from xepcodec.api import parse, serialize
from xepcodec.core.stanza_errors import Condition
from xepcodec.core.stanzas import Iq, IqType, Message
from xepcodec.crypto import (
    AES128_CBC,
    AES256_GCM,
    RSA_1_5,
    RSA_OAEP,
    CryptoError,
    PublicKey,
    UnconfirmedKeyError,
    decrypt_collection,
    encrypt_collection,
    new_symmetric_key,
    rewrap_key,
    unwrap_key,
    wrap_key,
)
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ProtocolError
from xepcodec.machines import archive_client, base
from xepcodec.machines.archive_client import (
    ArchiveClient,
    ArchiveClientEvent,
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
    Ignored,
    NewKeysSaved,
    NoPublicKey,
    OldKeysDeleted,
    PrivateKeyNeeded,
    RekeyCancelled,
    RekeyFailed,
    RekeyFinished,
    RekeyState,
    RemovalDone,
    RequestFailed,
    RequestKind,
    RewrapFailed,
    SaveKind,
    Send,
    ServerSupport,
    StanzaTooLargeError,
    SubjectNotAcknowledgedError,
    UploadFailed,
    UploadFinished,
)
from xepcodec.machines.archive_client.chunks import pack
from xepcodec.machines.archive_client.preferences import PREFERENCES, AutoAnswer, PreferenceState
from xepcodec.machines.archive_client.rekey import REKEY, RekeyAction, RekeyInput
from xepcodec.machines.archive_client.requests import Requests
from xepcodec.machines.archive_client.retrieve import RETRIEVAL, RetrievalInput, RetrievalState
from xepcodec.machines.archive_client.shared import Settings, Shared
from xepcodec.machines.archive_client.upload import UPLOAD, UploadInput, UploadState
from xepcodec.machines.base import Machine, Transitions, to_json
from xepcodec.protocols.archive import (
    ARCHIVE,
    ARCHIVE_TMP,
    Auto,
    Chat,
    Delete,
    Direction,
    Entry,
    Keys,
    List,
    Note,
    Remove,
    Retrieve,
    Save,
)
from xepcodec.protocols.dataforms import Form, FormType
from xepcodec.protocols.xmlenc import DSIG, XENC, EncryptedData, EncryptedKey
from xepcodec.testing.strategies import xml_text

T = TypeVar("T")

ROMEO = JID.parse("romeo@montague.lit/orchard")
JULIET = JID.parse("juliet@capulet.lit/balcony")
NURSE = JID.parse("nurse@capulet.lit")
START = datetime(2024, 5, 1, 20, 15, tzinfo=UTC)
LATER = START + timedelta(hours=3)


# -- keys and randomness -------------------------------------------------------------------


@functools.cache
def private_key(index: int) -> RSAPrivateKey:
    """A small pool of 2048-bit keys, made once per test session."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public(index: int, *, confirmed: bool = True, name: str | None = None) -> PublicKey:
    return PublicKey.from_key(private_key(index).public_key(), confirmed=confirmed, name=name)


def seeded(seed: int = 7) -> Callable[[int], bytes]:
    generator = stdlib_random.Random(seed)
    return generator.randbytes


def client(**options: Any) -> ArchiveClient:
    options.setdefault("random", seeded())
    return ArchiveClient(ROMEO, **options)


def messages(count: int, width: int = 40) -> list[Entry | Note]:
    items: list[Entry | Note] = []
    for number in range(count):
        if number % 5 == 4:
            items.append(Note(text=f"note {number} " + "n" * width, utc=START))
        else:
            direction = Direction.TO if number % 2 else Direction.FROM
            items.append(Entry(direction=direction, secs=number,
                               bodies=(f"message {number} " + "m" * width,)))
    return items


# -- answers written by hand ---------------------------------------------------------------


def answer(iq: Iq, payload: str = "") -> Iq:
    """The result a server sends to ``iq``, with ``payload`` (XML text)."""
    parsed = parse(f"<iq xmlns='jabber:client' type='result' id='{iq.id}' to='{ROMEO}'>"
                   f"{payload}</iq>")
    assert isinstance(parsed, Iq)
    return parsed


def refusal(iq: Iq, condition: str, kind: str = "cancel") -> Iq:
    parsed = parse(f"<iq xmlns='jabber:client' type='error' id='{iq.id}' to='{ROMEO}'>"
                   f"<error type='{kind}'><{condition} "
                   "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>")
    assert isinstance(parsed, Iq)
    return parsed


def saved(iq: Iq, version: int) -> Iq:
    chat = iq.payload.chat
    return answer(iq, f"<save xmlns='{chat.namespace}'><chat with='{chat.with_}' "
                      f"start='{_time(chat.start)}' version='{version}'/></save>")


def _time(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def data_xml(data: EncryptedData) -> str:
    """An EncryptedData written out by hand from its parts."""
    assert data.method is not None and data.key_name is not None
    return (f"<EncryptedData xmlns='{XENC}' Type='{XENC}Content'>"
            f"<EncryptionMethod Algorithm='{data.method.algorithm}'/>"
            f"<KeyInfo xmlns='{DSIG}'><KeyName>{data.key_name}</KeyName></KeyInfo>"
            f"<CipherData><CipherValue>{b64(data.cipher_data.value)}</CipherValue></CipherData>"
            "</EncryptedData>")


def key_xml(key: EncryptedKey, *, public_name: str | None = None) -> str:
    """An EncryptedKey written out by hand (CarriedKeyName first, as XEP-0241's
    examples have it), optionally labelled with another public key name."""
    method = serialize(key.method).decode() if key.method is not None else ""
    name = public_name if public_name is not None else key.key_name
    return (f"<EncryptedKey xmlns='{XENC}'><CarriedKeyName>{key.carried_key_name}"
            f"</CarriedKeyName>{method}<KeyInfo xmlns='{DSIG}'><KeyName>{name}</KeyName>"
            f"</KeyInfo><CipherData><CipherValue>{b64(key.cipher_data.value)}</CipherValue>"
            "</CipherData></EncryptedKey>")


def rsm_xml(first: str | None, last: str | None, count: int, index: int = 0) -> str:
    if first is None:
        return f"<set xmlns='http://jabber.org/protocol/rsm'><count>{count}</count></set>"
    return (f"<set xmlns='http://jabber.org/protocol/rsm'><first index='{index}'>{first}"
            f"</first><last>{last}</last><count>{count}</count></set>")


def sends(events: Sequence[Event]) -> list[Iq]:
    return [event.stanza for event in events if isinstance(event, Send)]


def iqs(events: Sequence[Event]) -> list[Iq]:
    """The iqs a call sends; it returns nothing else."""
    assert all(isinstance(event, Send) for event in events), events
    return [event.stanza for event in events if isinstance(event, Send)]


def of_type(events: Sequence[object], cls: type[T]) -> list[T]:
    return [event for event in events if isinstance(event, cls)]


def listed_page(events: Sequence[Event]) -> CollectionsListed:
    [event] = events
    assert isinstance(event, CollectionsListed), event
    return event


def state_of(machine: ArchiveClient) -> RekeyState | None:
    """The machine's key replacement state, read afresh."""
    return machine.rekey_state


def size(iq: Iq) -> int:
    return len(serialize(iq))


# -- construction and plumbing -------------------------------------------------------------


def test_constructor_refuses_a_foreign_namespace_and_a_tiny_limit() -> None:
    with pytest.raises(ValueError, match="not a message archiving namespace"):
        ArchiveClient(ROMEO, namespace="urn:example:nope")
    with pytest.raises(ValueError, match="at least 1024"):
        ArchiveClient(ROMEO, max_stanza_bytes=100)
    with pytest.raises(ValueError, match="at least 1024"):
        ArchiveClient(ROMEO, max_stanza_bytes=True)


def test_requests_are_iqs_from_the_account_to_its_server_with_counter_ids() -> None:
    machine = client()
    first = iqs(machine.list_collections())[0]
    second = iqs(machine.list_collections())[0]
    assert (first.id, second.id) == ("arc-1", "arc-2")
    assert first.type is IqType.GET and first.to is None and first.from_ == ROMEO
    assert machine.in_flight == (first, second)
    assert iqs(machine.resend()) == [first, second]


def test_injected_ids_are_used() -> None:
    names = iter(["x1", "x2"])
    machine = client(ids=lambda: next(names))
    assert iqs(machine.list_collections())[0].id == "x1"


def test_the_other_namespace_is_written_when_chosen() -> None:
    machine = client(namespace=ARCHIVE_TMP)
    iq = iqs(machine.list_collections())[0]
    assert b"urn:xmpp:tmp:archive" in serialize(iq)
    assert iq.payload.namespace == ARCHIVE_TMP


def test_handle_ignores_what_is_not_an_answer_to_a_request_in_flight() -> None:
    machine = client()
    iq = iqs(machine.list_collections())[0]
    message = Message(to=ROMEO, bodies=())
    [ignored] = machine.receive(message)
    assert isinstance(ignored, Ignored) and "not an iq" in ignored.reason
    request = Iq(type=IqType.GET, id=iq.id, extensions=(List(),))
    [ignored] = machine.receive(request)
    assert isinstance(ignored, Ignored) and "request" in ignored.reason
    [ignored] = machine.receive(answer(Iq(type=IqType.GET, id="other", extensions=(List(),))))
    assert isinstance(ignored, Ignored) and "no request in flight" in ignored.reason
    # A spoofed answer from someone else leaves the request in flight.
    spoofed = parse(f"<iq xmlns='jabber:client' type='result' id='{iq.id}' from='{JULIET}'/>")
    [ignored] = machine.receive(spoofed)
    assert isinstance(ignored, Ignored) and str(JULIET) in ignored.reason
    assert machine.in_flight == (iq,)
    # From the account's bare JID it is accepted; a second copy is then ignored.
    genuine = parse(f"<iq xmlns='jabber:client' type='result' id='{iq.id}' "
                    f"from='{ROMEO.bare}'><list xmlns='{ARCHIVE}'/></iq>")
    [listed] = machine.receive(genuine)
    assert isinstance(listed, CollectionsListed)
    [late] = machine.receive(genuine)
    assert isinstance(late, Ignored) and "late or repeated" in late.reason
    assert machine.is_idle()


# -- discovery -----------------------------------------------------------------------------


def _answer_as_get(iq_id: str) -> Iq:
    """The disco#info answer as XEP-0136 and XEP-0241 show it: an iq of type 'get'."""
    return parse(
        f"<iq xmlns='jabber:client' type='get' id='{iq_id}' from='montague.lit'>"
        "<query xmlns='http://jabber.org/protocol/disco#info'>"
        "<feature var='urn:xmpp:archive'/><feature var='urn:xmpp:archive:encrypt'/>"
        "</query></iq>")


def test_a_disco_answer_of_type_get_is_a_request_unless_lenient() -> None:
    strict = client()
    [iq] = iqs(strict.discover())
    [ignored] = strict.receive(_answer_as_get(iq.id))
    assert isinstance(ignored, Ignored) and "is a request" in ignored.reason
    assert strict.in_flight == (iq,)

    lenient = client(lenient=True)
    [iq] = iqs(lenient.discover())
    [support] = lenient.receive(_answer_as_get(iq.id))
    assert support == ServerSupport((ARCHIVE,), True,
                                    ("urn:xmpp:archive", "urn:xmpp:archive:encrypt"))
    assert lenient.is_idle()


def test_the_lenient_mode_takes_a_get_only_as_the_answer_to_a_disco_request() -> None:
    lenient = client(lenient=True)
    [iq] = iqs(lenient.list_collections())
    [ignored] = lenient.receive(_answer_as_get(iq.id))
    assert isinstance(ignored, Ignored)
    restored = ArchiveClient.restore(json.loads(json.dumps(lenient.snapshot())),
                                     random=seeded())
    [disco] = iqs(restored.discover())
    assert isinstance(restored.receive(_answer_as_get(disco.id))[0], ServerSupport)



def test_discover_reports_archiving_and_encryption_features() -> None:
    machine = client()
    [iq] = iqs(machine.discover())
    assert iq.to == ROMEO.domain_jid and iq.type is IqType.GET
    reply = parse(
        f"<iq xmlns='jabber:client' type='result' id='{iq.id}' from='montague.lit'>"
        "<query xmlns='http://jabber.org/protocol/disco#info'>"
        "<identity category='server' type='im'/>"
        "<feature var='urn:xmpp:tmp:archive'/><feature var='urn:xmpp:tmp:archive:encrypt'/>"
        "</query></iq>")
    [support] = machine.receive(reply)
    assert isinstance(support, ServerSupport)
    assert support.namespaces == (ARCHIVE_TMP,)
    assert support.encryption is True
    [iq] = iqs(machine.discover())
    plain = parse(f"<iq xmlns='jabber:client' type='result' id='{iq.id}'>"
                  "<query xmlns='http://jabber.org/protocol/disco#info'>"
                  "<identity category='server' type='im'/><feature var='urn:xmpp:archive'/>"
                  "</query></iq>")
    [support] = machine.receive(plain)
    assert support == ServerSupport((ARCHIVE,), False, ("urn:xmpp:archive",))
    [iq] = iqs(machine.discover())
    [failed] = machine.receive(refusal(iq, "service-unavailable"))
    assert isinstance(failed, RequestFailed) and failed.request is RequestKind.DISCO
    assert failed.condition is Condition.SERVICE_UNAVAILABLE


# -- upload --------------------------------------------------------------------------------


def test_a_small_upload_is_one_save_with_a_key_for_every_recipient() -> None:
    machine = client()
    entries = messages(3)
    [iq] = iqs(machine.upload(JULIET, START, entries, recipients=[public(0), public(1)],
                          key_name="k1"))
    assert iq.type is IqType.SET
    save = iq.payload
    assert isinstance(save, Save) and save.namespace == ARCHIVE
    chat = save.chat
    assert (chat.with_, chat.start, chat.entries) == (JULIET, START, ())
    assert [key.key_name for key in chat.encrypted_keys] == [public(0).name, public(1).name]
    assert {key.carried_key_name for key in chat.encrypted_keys} == {"k1"}
    assert [data.key_name for data in chat.encrypted_data] == ["k1"]
    for index in (0, 1):
        assert decrypt_collection(chat.encrypted_data, chat.encrypted_keys,
                                  private_key(index)) == tuple(entries)
    events = machine.receive(saved(iq, 0))
    collection = CollectionId(JULIET, START)
    assert events == [ChunkSaved(iq.id, collection, 1, 1, 0),
                      UploadFinished(iq.id, collection, 1, 0)]
    assert machine.is_idle()


@pytest.mark.parametrize("limit", [2048, 3000, 4096, 9000])
def test_a_long_upload_is_cut_into_saves_under_the_limit_sent_one_by_one(limit: int) -> None:
    machine = client(max_stanza_bytes=limit)
    entries = messages(60)
    [first] = iqs(machine.upload(JULIET, START, entries, recipients=[public(0)]))
    chunks = [first]
    version = 0
    events: list[Event] = []
    while True:
        assert machine.in_flight == (chunks[-1],)
        step = machine.receive(saved(chunks[-1], version))
        events.extend(step)
        follow = sends(step)
        if not follow:
            break
        chunks.extend(follow)
        version += 1
    assert len(chunks) > 1
    for chunk in chunks:
        assert size(chunk) <= limit
    heads, tails = chunks[0].payload.chat, [chunk.payload.chat for chunk in chunks[1:]]
    assert len(heads.encrypted_keys) == 1
    assert all(not chat.encrypted_keys for chat in tails)
    # Every chunk is encrypted with the one key the first chunk carries.
    data = [item for chat in [heads, *tails] for item in chat.encrypted_data]
    assert len({item.key_name for item in data}) == 1
    assert decrypt_collection(data, heads.encrypted_keys, private_key(0)) == tuple(entries)
    saved_events = of_type(events, ChunkSaved)
    assert [event.chunk for event in saved_events] == list(range(1, len(chunks) + 1))
    assert all(event.chunks == len(chunks) for event in saved_events)
    assert events[-1] == UploadFinished(first.id, CollectionId(JULIET, START), len(chunks),
                                        len(chunks) - 1)


@settings(max_examples=25)
@given(bodies=st.lists(xml_text(min_size=1, max_size=300), min_size=1, max_size=40),
       limit=st.integers(min_value=2048, max_value=6000), encrypt=st.booleans())
def test_every_upload_iq_fits_and_the_chunks_give_back_the_messages(
        bodies: list[str], limit: int, encrypt: bool) -> None:
    machine = client(max_stanza_bytes=limit)
    entries: list[Entry | Note] = [Entry(direction=Direction.FROM, secs=1, bodies=(body,))
                                   for body in bodies]
    try:
        [first] = iqs(machine.upload(JULIET, START, entries, recipients=[public(0)],
                                 encrypt=encrypt))
    except StanzaTooLargeError:
        return  # one message alone does not fit (checked by its own test)
    chunks = [first, *machine._upload.uploads[first.id].waiting]
    assert all(size(chunk) <= limit for chunk in chunks)
    if encrypt:
        data = [item for chunk in chunks for item in chunk.payload.chat.encrypted_data]
        keys = chunks[0].payload.chat.encrypted_keys
        assert decrypt_collection(data, keys, private_key(0)) == tuple(entries)
    else:
        assert [item for chunk in chunks for item in chunk.payload.chat.entries] == entries


def test_a_plain_upload_carries_the_messages_themselves() -> None:
    machine = client(max_stanza_bytes=2000)
    entries = messages(30)
    [first] = iqs(machine.upload(NURSE, START, entries, encrypt=False, subject="in clear",
                             thread="t1"))
    chunks = [first, *machine._upload.uploads[first.id].waiting]
    assert len(chunks) > 1 and all(size(chunk) <= 2000 for chunk in chunks)
    assert first.payload.chat.subject == "in clear" and first.payload.chat.thread == "t1"
    assert all(chunk.payload.chat.subject is None for chunk in chunks[1:])
    assert [item for chunk in chunks for item in chunk.payload.chat.entries] == entries
    assert not any(chunk.payload.chat.encrypted for chunk in chunks)


def test_a_refused_chunk_stops_the_upload() -> None:
    machine = client(max_stanza_bytes=2048)
    [first] = iqs(machine.upload(JULIET, START, messages(40), recipients=[public(0)]))
    [second] = sends(machine.receive(saved(first, 0)))
    events = machine.receive(refusal(second, "not-acceptable", "modify"))
    [failed] = events
    assert isinstance(failed, UploadFailed)
    assert (failed.chunk, failed.condition) == (2, Condition.NOT_ACCEPTABLE)
    assert failed.chunks > 2 and "not-acceptable" in failed.reason
    assert machine.is_idle() and machine.in_flight == ()


def test_a_message_too_large_for_any_iq_is_refused_before_anything_is_sent() -> None:
    machine = client(max_stanza_bytes=2048)
    huge = Entry(direction=Direction.TO, secs=0, bodies=("x" * 3000,))
    with pytest.raises(StanzaTooLargeError, match=r"item 2 .* over the limit of 2048"):
        machine.upload(JULIET, START, [messages(1)[0], huge], recipients=[public(0)])
    with pytest.raises(StanzaTooLargeError, match="item 1"):
        machine.upload(JULIET, START, [huge], encrypt=False)
    assert machine.is_idle()


def test_upload_checks_its_arguments() -> None:
    machine = client()
    with pytest.raises(ValueError, match="at least one message"):
        machine.upload(JULIET, START, [], recipients=[public(0)])
    with pytest.raises(ValueError, match="nobody could ever decrypt"):
        machine.upload(JULIET, START, messages(1))
    with pytest.raises(UnconfirmedKeyError):
        machine.upload(JULIET, START, messages(1), recipients=[public(0, confirmed=False)])
    with pytest.raises(TypeError, match="Entry and Note"):
        machine.upload(JULIET, START, ["hello"], recipients=[public(0)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="naive"):
        machine.upload(JULIET, datetime(2024, 1, 1), messages(1), recipients=[public(0)])
    without_random = ArchiveClient(ROMEO)
    with pytest.raises(ProtocolError, match="random"):
        without_random.upload(JULIET, START, messages(1), recipients=[public(0)])
    assert machine.is_idle()


# -- the subject rule ----------------------------------------------------------------------


def test_a_subject_on_an_encrypted_upload_needs_the_users_acknowledgement() -> None:
    machine = client()
    with pytest.raises(SubjectNotAcknowledgedError) as raised:
        machine.upload(JULIET, START, messages(2), recipients=[public(0)], subject="Hush")
    text = str(raised.value)
    assert "in clear" in text and "warn" in text and "subject_acknowledged=True" in text
    assert raised.value.collection == CollectionId(JULIET, START)
    assert isinstance(raised.value, ProtocolError)
    assert machine.is_idle()
    [iq] = iqs(machine.upload(JULIET, START, messages(2), recipients=[public(0)], subject="Hush",
                          subject_acknowledged=True))
    assert iq.payload.chat.subject == "Hush"


def test_changing_a_subject_needs_the_acknowledgement_unless_stated_unencrypted() -> None:
    machine = client()
    with pytest.raises(SubjectNotAcknowledgedError):
        machine.change_subject(JULIET, START, "New")
    [plain] = iqs(machine.change_subject(NURSE, START, "New", encrypted=False))
    [acknowledged] = iqs(machine.change_subject(JULIET, START, "New", subject_acknowledged=True))
    for iq in (plain, acknowledged):
        chat = iq.payload.chat
        assert chat.subject == "New" and not chat.entries and not chat.encrypted
    [event] = machine.receive(saved(plain, 3))
    assert event == CollectionSaved(CollectionId(NURSE, START), SaveKind.SUBJECT, 3)
    [failed] = machine.receive(refusal(acknowledged, "item-not-found"))
    assert isinstance(failed, RequestFailed) and failed.request is RequestKind.SAVE
    assert failed.collection == CollectionId(JULIET, START)


# -- forms ---------------------------------------------------------------------------------


def attributes() -> Form:
    return Form.submit({"task": "1", "important": "yes"}, form_type="urn:example:archiving")


def test_an_encrypted_form_hides_its_fields_in_encrypted_data() -> None:
    machine = client()
    [iq] = iqs(machine.set_form(NURSE, START, attributes(), recipients=[public(0)], key_name="f1"))
    chat = iq.payload.chat
    assert chat.form is not None and chat.form.type is FormType.SUBMIT
    assert chat.form.fields == ()
    [data] = chat.form.extensions
    assert isinstance(data, EncryptedData) and data.key_name == "f1"
    assert [key.carried_key_name for key in chat.encrypted_keys] == ["f1"]
    assert b"important" not in serialize(iq)
    [event] = machine.receive(saved(iq, 1))
    assert event == CollectionSaved(CollectionId(NURSE, START), SaveKind.FORM, 1)


def test_a_plain_form_and_the_empty_form_that_removes_it() -> None:
    machine = client()
    [iq] = iqs(machine.set_form(NURSE, START, attributes(), encrypt=False))
    assert iq.payload.chat.form == attributes()
    [removal] = iqs(machine.remove_form(NURSE, START))
    form = removal.payload.chat.form
    assert form == Form(type=FormType.SUBMIT)
    assert b"<x xmlns=\"jabber:x:data\" type=\"submit\"/>" in serialize(removal)
    [event] = machine.receive(answer(removal))
    assert event == CollectionSaved(CollectionId(NURSE, START), SaveKind.FORM_REMOVED, None)
    with pytest.raises(ValueError, match="remove_form"):
        machine.set_form(NURSE, START, Form(type=FormType.SUBMIT))
    with pytest.raises(ValueError, match="submit"):
        machine.set_form(NURSE, START, Form(type=FormType.FORM, fields=attributes().fields))


# -- automatic archiving -------------------------------------------------------------------


def test_enable_auto_with_encryption_and_extra_public_keys() -> None:
    machine = client()
    [iq] = iqs(machine.enable_auto(public_keys=[public(1)]))
    auto = iq.payload
    assert isinstance(auto, Auto)
    assert (auto.save, auto.encrypt) == (True, True)
    [info] = auto.key_infos
    assert info.key_name == public(1).name
    assert PublicKey.from_key_value(info).key.public_numbers() == \
        private_key(1).public_key().public_numbers()
    xml = etree.fromstring(serialize(iq))
    assert xml.get("type") == "set"
    assert xml[0].tag == f"{{{ARCHIVE}}}auto" and xml[0].get("encrypt") == "true"
    [event] = machine.receive(answer(iq))
    assert event == AutoArchivingSet(True, True, None)


@pytest.mark.parametrize(("condition", "kind", "expected"), [
    ("feature-not-implemented", "cancel", EncryptionUnsupported),
    ("not-acceptable", "modify", NoPublicKey),
    ("not-allowed", "cancel", RequestFailed),
])
def test_enable_auto_answers_become_their_events(condition: str, kind: str,
                                                 expected: type) -> None:
    machine = client()
    [iq] = iqs(machine.enable_auto())
    [event] = machine.receive(refusal(iq, condition, kind))
    assert isinstance(event, expected)
    assert isinstance(event, EncryptionUnsupported | NoPublicKey | RequestFailed)
    assert event.condition == Condition(condition)


def test_without_encryption_feature_not_implemented_is_a_plain_failure() -> None:
    machine = client()
    [iq] = iqs(machine.enable_auto(encrypt=False))
    assert iq.payload.encrypt is None
    [event] = machine.receive(refusal(iq, "feature-not-implemented"))
    assert isinstance(event, RequestFailed) and event.request is RequestKind.AUTO
    [off] = iqs(machine.disable_auto())
    assert off.payload.save is False
    [event] = machine.receive(answer(off))
    assert event == AutoArchivingSet(False, None, None)
    with pytest.raises(UnconfirmedKeyError):
        machine.enable_auto(public_keys=[public(1, confirmed=False)])
    with pytest.raises(ValueError, match="encrypt=True"):
        machine.enable_auto(encrypt=False, public_keys=[public(1)])


# -- listing -------------------------------------------------------------------------------


def test_listing_pages_and_the_crypt_flag() -> None:
    machine = client()
    [iq] = iqs(machine.list_collections(with_=JULIET.bare, page_size=2))
    request = iq.payload
    assert isinstance(request, List) and request.rsm is not None and request.rsm.max == 2
    assert request.with_ == JULIET.bare
    page = (f"<list xmlns='{ARCHIVE}'>"
            f"<chat with='{JULIET}' start='{_time(START)}' crypt='true' version='2'/>"
            f"<chat with='{JULIET}' start='{_time(LATER)}' version='0'/>"
            + rsm_xml("a", "b", 3) + "</list>")
    listed = listed_page(machine.receive(answer(iq, page)))
    assert [chat.encrypted for chat in listed.chats] == [True, False]
    assert listed.encrypted == (CollectionId(JULIET, START),)
    assert listed.has_more
    [following] = iqs(machine.list_next(listed))
    assert following.payload.rsm.after == "b" and following.payload.rsm.max == 2
    assert following.payload.with_ == JULIET.bare
    last = (f"<list xmlns='{ARCHIVE}'><chat with='{NURSE}' start='{_time(LATER)}'/>"
            + rsm_xml("c", "c", 3, index=2) + "</list>")
    listed = listed_page(machine.receive(answer(following, last)))
    assert not listed.has_more
    with pytest.raises(ProtocolError, match="last one"):
        machine.list_next(listed)


def test_an_empty_list_and_a_failed_list() -> None:
    machine = client()
    [iq] = iqs(machine.list_collections())
    listed = listed_page(machine.receive(answer(iq, f"<list xmlns='{ARCHIVE}'/>")))
    assert listed.chats == () and not listed.has_more
    [iq] = iqs(machine.list_collections())
    listed = listed_page(machine.receive(answer(iq)))
    assert listed.chats == () and listed.result_set is None
    [iq] = iqs(machine.list_collections())
    [failed] = machine.receive(refusal(iq, "feature-not-implemented"))
    assert isinstance(failed, RequestFailed) and failed.request is RequestKind.LIST
    [iq] = iqs(machine.list_collections())
    [odd] = machine.receive(answer(iq, "<query xmlns='jabber:iq:version'/>"))
    assert isinstance(odd, RequestFailed) and odd.error is None and "no <list/>" in odd.reason
    with pytest.raises(ValueError, match="positive"):
        machine.list_collections(page_size=0)


def test_remove_a_collection() -> None:
    machine = client()
    [iq] = iqs(machine.remove_collection(JULIET, START))
    assert iq.type is IqType.SET and isinstance(iq.payload, Remove)
    [event] = machine.receive(answer(iq))
    assert isinstance(event, RemovalDone) and event.request.start == START
    [iq] = iqs(machine.remove_collection(JULIET, START))
    [failed] = machine.receive(refusal(iq, "item-not-found"))
    assert isinstance(failed, RequestFailed) and failed.collection == CollectionId(JULIET, START)


# -- retrieval -----------------------------------------------------------------------------


def sealed(entries: Sequence[Entry | Note], key_name: str, *readers: int
           ) -> tuple[EncryptedData, tuple[EncryptedKey, ...]]:
    made = encrypt_collection(entries, [public(index) for index in readers], key_name=key_name,
                              random=seeded(3))
    made.key.destroy()
    return made.data, made.keys


def chat_page(items: str, rsm: str = "", *, attributes: str = "", namespace: str = ARCHIVE,
              start: datetime = START) -> str:
    return (f"<chat xmlns='{namespace}' with='{JULIET}' start='{_time(start)}' {attributes}>"
            f"{items}{rsm}</chat>")


def test_retrieving_an_encrypted_collection_page_by_page() -> None:
    machine = client()
    first_half, second_half = messages(4), messages(3)
    data1, keys1 = sealed(first_half, "d1", 0, 1)
    data2, keys2 = sealed(second_half, "d2", 0)
    [iq] = iqs(machine.retrieve(JULIET, START, private_key=private_key(0), page_size=1))
    request = iq.payload
    assert isinstance(request, Retrieve) and request.rsm is not None and request.rsm.max == 1
    assert request.key_names == ()
    page1 = chat_page(data_xml(data1) + "".join(key_xml(key) for key in keys1),
                      rsm_xml("0", "0", 2), attributes="subject='S' version='5'")
    events = machine.receive(answer(iq, page1))
    [entries] = of_type(events, EntriesRetrieved)
    assert entries.entries == tuple(first_half) and entries.encrypted
    [following] = sends(events)
    assert following.payload.rsm.after == "0" and following.payload.rsm.max == 1
    page2 = chat_page(data_xml(data2) + key_xml(keys2[0]), rsm_xml("1", "1", 2, index=1),
                      attributes="subject='S' version='5'")
    events = machine.receive(answer(following, page2))
    assert [type(event) for event in events] == [EntriesRetrieved, CollectionRetrieved]
    assert of_type(events, EntriesRetrieved)[0].entries == tuple(second_half)
    assert events[1] == CollectionRetrieved(CollectionId(JULIET, START), "S", None, 5, (),
                                            len(first_half) + len(second_half), 0)
    assert machine.is_idle()


def test_retrieval_limited_to_the_callers_key_names() -> None:
    machine = client()
    data, keys = sealed(messages(2), "d1", 1)
    [iq] = iqs(machine.retrieve(JULIET, START, private_key=private_key(1),
                            key_names=[public(1).name]))
    xml = etree.fromstring(serialize(iq))
    names = xml.findall(f".//{{{DSIG}}}KeyName")
    assert [name.text for name in names] == [public(1).name]
    [entries, done] = machine.receive(answer(iq, chat_page(data_xml(data) + key_xml(keys[0]))))
    assert isinstance(entries, EntriesRetrieved) and entries.entries == tuple(messages(2))
    assert isinstance(done, CollectionRetrieved)


def test_data_the_private_key_cannot_open_is_reported_and_the_rest_decrypted() -> None:
    machine = client()
    mine, mine_keys = sealed(messages(2), "d1", 0)
    theirs, their_keys = sealed(messages(3), "d2", 1)
    page = chat_page(data_xml(mine) + data_xml(theirs)
                     + "".join(key_xml(key) for key in (*mine_keys, *their_keys)))
    [iq] = iqs(machine.retrieve(JULIET, START, private_key=private_key(0)))
    events = machine.receive(answer(iq, page))
    [failed] = of_type(events, DecryptionFailed)
    assert failed.key_names == ("d2",) and failed.items == 1
    [entries] = of_type(events, EntriesRetrieved)
    assert entries.entries == tuple(messages(2))
    [done] = of_type(events, CollectionRetrieved)
    assert done.undecryptable == 1 and done.entries == 2


def test_a_key_labelled_as_mine_that_does_not_open_is_a_decryption_failure() -> None:
    machine = client()
    data, keys = sealed(messages(2), "d1", 1)
    forged = key_xml(keys[0], public_name=public(0).name)
    [iq] = iqs(machine.retrieve(JULIET, START, private_key=private_key(0)))
    events = machine.receive(answer(iq, chat_page(data_xml(data) + forged)))
    [failed] = of_type(events, DecryptionFailed)
    assert failed.key_names == ("d1",)
    assert of_type(events, EntriesRetrieved)[0].entries == ()


def test_a_plain_collection_and_its_form_are_reported_as_they_are() -> None:
    machine = client()
    items = "".join(serialize(item).decode() for item in messages(3))
    form = serialize(attributes()).decode()
    [iq] = iqs(machine.retrieve(JULIET, START))
    events = machine.receive(answer(iq, chat_page(form + items)))
    assert events[0] == FormRetrieved(CollectionId(JULIET, START), attributes(), False)
    [page] = of_type(events, EntriesRetrieved)
    assert page.entries == tuple(messages(3)) and not page.encrypted


def test_an_encrypted_form_is_decrypted_on_retrieval() -> None:
    machine = client()
    [upload] = iqs(machine.set_form(JULIET, START, attributes(), recipients=[public(0)]))
    chat = upload.payload.chat
    stored = chat_page(serialize(chat.form).decode()
                       + "".join(key_xml(key) for key in chat.encrypted_keys))
    machine.receive(saved(upload, 0))
    [iq] = iqs(machine.retrieve(JULIET, START, private_key=private_key(0)))
    events = machine.receive(answer(iq, stored))
    [form] = of_type(events, FormRetrieved)
    assert form.encrypted and form.form.fields == attributes().fields
    assert form.form.extensions == ()
    # Without the right private key the form stays closed.
    [iq] = iqs(machine.retrieve(JULIET, START, private_key=private_key(2)))
    events = machine.receive(answer(iq, stored))
    [failed] = of_type(events, DecryptionFailed)
    assert failed.items == 1 and not of_type(events, FormRetrieved)


def test_retrieval_failures() -> None:
    machine = client()
    [iq] = iqs(machine.retrieve(JULIET, START))
    with pytest.raises(ProtocolError, match="being retrieved already"):
        machine.retrieve(JULIET, START)
    [failed] = machine.receive(refusal(iq, "item-not-found"))
    assert isinstance(failed, RequestFailed) and failed.request is RequestKind.RETRIEVE
    assert failed.condition is Condition.ITEM_NOT_FOUND and machine.is_idle()
    [iq] = iqs(machine.retrieve(JULIET, START))
    [wrong] = machine.receive(answer(iq, chat_page("", start=LATER)))
    assert isinstance(wrong, RequestFailed) and "not the one asked for" in wrong.reason
    [iq] = iqs(machine.retrieve(JULIET, START))
    [empty] = machine.receive(answer(iq))
    assert isinstance(empty, RequestFailed) and "no <chat/>" in empty.reason
    assert machine.is_idle()


def test_a_retrieval_restored_without_its_private_key_asks_for_it() -> None:
    machine = client()
    data, keys = sealed(messages(2), "d1", 0)
    [iq] = iqs(machine.retrieve(JULIET, START, private_key=private_key(0)))
    restored = ArchiveClient.restore(json.loads(json.dumps(machine.snapshot())))
    [needed] = restored.receive(answer(iq, chat_page(data_xml(data) + key_xml(keys[0]))))
    assert needed == PrivateKeyNeeded(public(0).name, RequestKind.RETRIEVE,
                                      CollectionId(JULIET, START))
    assert restored.keys_needed == (public(0).name,)
    # The waiting page survives another restart.
    again = ArchiveClient.restore(restored.snapshot())
    assert again.provide_private_key(private_key(1)) == []
    events = again.provide_private_key(private_key(0))
    assert of_type(events, EntriesRetrieved)[0].entries == tuple(messages(2))
    assert isinstance(events[-1], CollectionRetrieved)
    assert again.keys_needed == () and again.is_idle()


# -- key replacement -----------------------------------------------------------------------


OLD, NEW = 0, 1


def keys_page(chats: Sequence[tuple[datetime, Sequence[EncryptedKey]]], rsm: str = "",
              *, label: str | None = None) -> str:
    body = "".join(
        f"<chat with='{JULIET}' start='{_time(start)}' version='1'>"
        + "".join(key_xml(key, public_name=label) for key in keys) + "</chat>"
        for start, keys in chats)
    return f"<keys xmlns='{ARCHIVE}'>{body}{rsm}</keys>"


def wrapped(name: str, reader: int = OLD) -> tuple[EncryptedKey, EncryptedData]:
    """A symmetric key ``name`` wrapped for ``reader``, and data it encrypts."""
    made = encrypt_collection(messages(1), [public(reader)], key_name=name, random=seeded(5))
    made.key.destroy()
    return made.keys[0], made.data


def test_rekey_saves_new_keys_then_deletes_only_after_acknowledgement() -> None:
    machine = client()
    key1, data1 = wrapped("s1")
    key2, data2 = wrapped("s2")
    key3, data3 = wrapped("s3")
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                  old_private_key=private_key(OLD), page_size=10))
    assert state_of(machine) is RekeyState.FETCHING
    request = fetch.payload
    # The new key's name too, to see the keys the server holds for it already.
    assert isinstance(request, Keys)
    assert request.key_names == (public(OLD).name, public(NEW).name)
    assert request.rsm is not None and request.rsm.max == 10 and request.rsm.after is None
    page = keys_page([(START, [key1, key2]), (LATER, [key3])])
    events = machine.receive(answer(fetch, page))
    saves = sends(events)
    assert state_of(machine) is RekeyState.WORKING
    assert [iq.type for iq in saves] == [IqType.SET, IqType.SET]
    assert all(isinstance(iq.payload, Save) for iq in saves)
    first_chat = saves[0].payload.chat
    assert (first_chat.with_, first_chat.start) == (JULIET, START)
    assert [key.carried_key_name for key in first_chat.encrypted_keys] == ["s1", "s2"]
    assert {key.key_name for key in first_chat.encrypted_keys} == {public(NEW).name}
    assert not first_chat.encrypted_data and not first_chat.entries
    # The new keys open what the old ones did.
    assert decrypt_collection([data1, data2], first_chat.encrypted_keys,
                              private_key(NEW)) == tuple(messages(1)) * 2
    assert decrypt_collection([data3], saves[1].payload.chat.encrypted_keys,
                              private_key(NEW)) == tuple(messages(1))
    # No delete before every save is acknowledged, and none before a fresh look.
    step = machine.receive(saved(saves[0], 2))
    assert step == [NewKeysSaved(CollectionId(JULIET, START), ("s1", "s2"), 2)]
    step = machine.receive(saved(saves[1], 2))
    assert of_type(step, NewKeysSaved) == [NewKeysSaved(CollectionId(JULIET, LATER),
                                                        ("s3",), 2)]
    [refetch] = sends(step)
    assert isinstance(refetch.payload, Keys) and refetch.payload.rsm is not None
    assert refetch.payload.rsm.after is None
    deletes = sends(machine.receive(answer(refetch, page)))
    assert [type(iq.payload) for iq in deletes] == [Delete, Delete]
    assert all(iq.type is IqType.SET for iq in deletes)
    assert [(iq.payload.start, iq.payload.key_names) for iq in deletes] == [
        (START, (public(OLD).name,)), (LATER, (public(OLD).name,))]
    step = machine.receive(answer(deletes[0]))
    assert step == [OldKeysDeleted(CollectionId(JULIET, START), public(OLD).name)]
    step = machine.receive(refusal(deletes[1], "item-not-found"))
    assert of_type(step, OldKeysDeleted) == [
        OldKeysDeleted(CollectionId(JULIET, LATER), public(OLD).name, already=True)]
    [last] = sends(step)
    events = machine.receive(answer(last, keys_page([])))
    assert events == [RekeyFinished(public(OLD).name, public(NEW).name, 2, ())]
    assert machine.rekey_state is None and machine.is_idle()


def test_rekey_never_deletes_a_collection_whose_key_the_old_private_key_cannot_open() -> None:
    machine = client()
    good, _ = wrapped("s1")
    foreign, _ = wrapped("s9", reader=2)  # labelled as the old key, but not openable by it
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                  old_private_key=private_key(OLD)))
    page = (f"<keys xmlns='{ARCHIVE}'>"
            f"<chat with='{JULIET}' start='{_time(START)}'>{key_xml(good)}"
            f"{key_xml(foreign, public_name=public(OLD).name)}</chat></keys>")
    events = machine.receive(answer(fetch, page))
    assert of_type(events, RewrapFailed) == [RewrapFailed(CollectionId(JULIET, START), "s9")]
    [kept] = of_type(events, CollectionKept)
    assert "s9" in kept.reason and kept.error is None
    [save] = sends(events)  # the key it can open is still re-wrapped
    assert [key.carried_key_name for key in save.payload.chat.encrypted_keys] == ["s1"]
    [refetch] = sends(machine.receive(saved(save, 1)))
    events = machine.receive(answer(refetch, page))
    assert not any(isinstance(iq.payload, Delete) for iq in sends(events))
    assert events == [RekeyFinished(public(OLD).name, public(NEW).name, 0,
                                    (CollectionId(JULIET, START),))]


def test_a_refused_save_keeps_the_old_keys() -> None:
    machine = client()
    key1, _ = wrapped("s1")
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                  old_private_key=private_key(OLD)))
    page = keys_page([(START, [key1])])
    [save] = sends(machine.receive(answer(fetch, page)))
    step = machine.receive(refusal(save, "resource-constraint", "wait"))
    [kept] = of_type(step, CollectionKept)
    assert kept.condition is Condition.RESOURCE_CONSTRAINT
    [refetch] = sends(step)
    events = machine.receive(answer(refetch, page))
    assert isinstance(events[-1], RekeyFinished) and events[-1].kept == (kept.collection,)
    assert not sends(events)


def test_a_refused_delete_keeps_the_collection_and_the_flow_goes_on() -> None:
    machine = client()
    key1, _ = wrapped("s1")
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                  old_private_key=private_key(OLD)))
    page = keys_page([(START, [key1])])
    [save] = sends(machine.receive(answer(fetch, page)))
    [refetch] = sends(machine.receive(saved(save, 1)))
    [delete] = sends(machine.receive(answer(refetch, page)))
    step = machine.receive(refusal(delete, "forbidden", "auth"))
    assert of_type(step, CollectionKept)[0].condition is Condition.FORBIDDEN
    [refetch] = sends(step)
    [finished] = machine.receive(answer(refetch, page))
    assert isinstance(finished, RekeyFinished) and finished.deleted == 0


def test_a_server_that_keeps_listing_deleted_keys_is_given_up_on() -> None:
    machine = client()
    key1, _ = wrapped("s1")
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                  old_private_key=private_key(OLD)))
    page = keys_page([(START, [key1])])
    [iq] = sends(machine.receive(answer(fetch, page)))
    [iq] = sends(machine.receive(saved(iq, 1)))
    deletes = 0
    while True:
        events = machine.receive(answer(iq, page))
        follow = sends(events)
        if not follow:
            break
        [iq] = follow
        if isinstance(iq.payload, Delete):
            deletes += 1
            [iq] = sends(machine.receive(answer(iq)))
    assert deletes == 3
    assert of_type(events, CollectionKept) and isinstance(events[-1], RekeyFinished)


def test_rekey_pages_past_collections_it_keeps() -> None:
    machine = client()
    foreign, _ = wrapped("s9", reader=2)
    key1, _ = wrapped("s1")
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                  old_private_key=private_key(OLD), page_size=1))
    first = keys_page([(START, [foreign])], rsm_xml("p1", "p1", 2), label=public(OLD).name)
    events = machine.receive(answer(fetch, first))
    assert [type(event) for event in events] == [RewrapFailed, CollectionKept, Send]
    [following] = sends(events)
    assert following.payload.rsm.after == "p1"
    second = keys_page([(LATER, [key1])], rsm_xml("p2", "p2", 2, index=1))
    [save] = sends(machine.receive(answer(following, second)))
    [refetch] = sends(machine.receive(saved(save, 1)))
    assert refetch.payload.rsm.after == "p1"  # the same page again
    [delete] = sends(machine.receive(answer(refetch, second)))
    [refetch] = sends(machine.receive(answer(delete)))
    assert refetch.payload.rsm.after == "p1"
    # The deleted collection left the result set; the pass ends, a new one starts.
    [restart] = sends(machine.receive(answer(refetch, keys_page([], rsm_xml(None, None, 1)))))
    assert restart.payload.rsm.after is None
    [again] = sends(machine.receive(answer(restart, first)))
    assert again.payload.rsm.after == "p1"
    [finished] = machine.receive(answer(again, keys_page([], rsm_xml(None, None, 1))))
    assert finished == RekeyFinished(public(OLD).name, public(NEW).name, 1,
                                     (CollectionId(JULIET, START),))


def test_rekey_starts_over_when_its_cursor_disappears() -> None:
    machine = client()
    foreign, _ = wrapped("s9", reader=2)
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                  old_private_key=private_key(OLD), page_size=1))
    first = keys_page([(START, [foreign])], rsm_xml("p1", "p1", 2), label=public(OLD).name)
    [following] = sends(machine.receive(answer(fetch, first)))
    assert following.payload.rsm.after == "p1"
    [restart] = sends(machine.receive(refusal(following, "item-not-found")))
    assert restart.payload.rsm.after is None
    [failed] = machine.receive(refusal(restart, "item-not-found"))
    assert isinstance(failed, RekeyFailed) and failed.condition is Condition.ITEM_NOT_FOUND
    assert machine.rekey_state is None


def test_rekey_failures_and_arguments() -> None:
    machine = client()
    [fetch] = iqs(machine.start_rekey("old", public(NEW)))
    with pytest.raises(ProtocolError, match="running already"):
        machine.start_rekey("old", public(NEW))
    [failed] = machine.receive(refusal(fetch, "feature-not-implemented"))
    assert isinstance(failed, RekeyFailed) and failed.old_key_name == "old"
    assert machine.rekey_state is None
    with pytest.raises(UnconfirmedKeyError):
        machine.start_rekey("old", public(NEW, confirmed=False))
    with pytest.raises(ValueError, match="old key's name"):
        machine.start_rekey(public(NEW).name, public(NEW))
    with pytest.raises(ValueError, match="empty"):
        machine.start_rekey("", public(NEW))


def test_rekey_waits_for_the_old_private_key() -> None:
    machine = client()
    key1, _ = wrapped("s1")
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW)))
    [needed] = machine.receive(answer(fetch, keys_page([(START, [key1])])))
    assert needed == PrivateKeyNeeded(public(OLD).name, RequestKind.KEYS)
    assert machine.rekey_state is RekeyState.WAITING_FOR_KEY
    assert machine.keys_needed == (public(OLD).name,)
    assert machine.provide_private_key(private_key(2)) == []
    [save] = sends(machine.provide_private_key(private_key(OLD)))
    assert isinstance(save.payload, Save)
    # Nothing to re-wrap: an empty page finishes without any key.
    other = client()
    [fetch] = iqs(other.start_rekey("nobody", public(NEW)))
    [done] = other.receive(answer(fetch, keys_page([])))
    assert done == RekeyFinished("nobody", public(NEW).name, 0, ())


def test_rekey_saves_for_many_keys_are_cut_under_the_limit() -> None:
    machine = client(max_stanza_bytes=3000)
    keys = [wrapped(f"s{number}")[0] for number in range(8)]
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                  old_private_key=private_key(OLD)))
    saves = sends(machine.receive(answer(fetch, keys_page([(START, keys)]))))
    assert len(saves) > 1 and all(size(iq) <= 3000 for iq in saves)
    names = [key.carried_key_name for iq in saves for key in iq.payload.chat.encrypted_keys]
    assert names == [f"s{number}" for number in range(8)]
    # Only once all of them are acknowledged is the collection looked at again.
    for iq in saves[:-1]:
        assert sends(machine.receive(saved(iq, 1))) == []
    [refetch] = sends(machine.receive(saved(saves[-1], 1)))
    [delete] = sends(machine.receive(answer(refetch, keys_page([(START, keys)]))))
    assert isinstance(delete.payload, Delete)


# -- persistence ---------------------------------------------------------------------------


def test_snapshots_are_json_and_hold_no_private_key() -> None:
    machine = client()
    key1, _ = wrapped("s1")
    machine.upload(JULIET, START, messages(3), recipients=[public(0)])
    machine.retrieve(NURSE, START, private_key=private_key(0))
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                  old_private_key=private_key(OLD)))
    machine.receive(answer(fetch, keys_page([(START, [key1])])))
    data = machine.snapshot()
    text = json.dumps(data)
    numbers = private_key(OLD).private_numbers()
    for secret in (numbers.d, numbers.p, numbers.q):
        raw = secret.to_bytes((secret.bit_length() + 7) // 8, "big")
        assert b64(raw) not in text and str(secret) not in text
    pem = private_key(OLD).private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()).decode()
    assert pem.splitlines()[1] not in text
    restored = ArchiveClient.restore(json.loads(text))
    assert restored.snapshot() == data
    assert restored.in_flight == machine.in_flight
    assert restored.rekey_state is RekeyState.WORKING


def test_restore_refuses_what_is_not_a_snapshot() -> None:
    with pytest.raises(ValueError, match=r"not a usable xepcodec\.archive-client snapshot"):
        ArchiveClient.restore({"format": "something else"})
    data = client().snapshot()
    del data["pending"]
    with pytest.raises(ValueError, match="needs its field 'pending'"):
        ArchiveClient.restore(data)
    data = client().snapshot()
    data["pending"] = [{"iq": "<nope", "context": {"type": "UploadChunk", "upload": "arc-1",
                                                   "chunk": 1}}]
    with pytest.raises(ValueError, match="not a usable"):
        ArchiveClient.restore(data)


def _normal(value: object) -> object:
    """Events and iqs with the RSA ciphertexts blanked: OpenSSL draws RSA padding
    itself, so wrapped keys differ from run to run."""
    if isinstance(value, Send):
        value = value.stanza
    if isinstance(value, Iq):
        tree = etree.fromstring(serialize(value))
        for node in tree.iter(f"{{{XENC}}}EncryptedKey"):
            for cipher in node.iter(f"{{{XENC}}}CipherValue"):
                cipher.text = "AA=="
        return etree.tostring(tree)
    return value


def _script(machine: ArchiveClient, pause: Callable[[ArchiveClient], ArchiveClient]
            ) -> list[object]:
    """Every flow of the client against canned answers; ``pause`` may replace the
    machine between any two steps."""
    trace: list[object] = []
    key1, _ = wrapped("s1")
    data, keys = sealed(messages(5), "d1", 0)

    def step(result: Sequence[object]) -> list[Iq]:
        trace.extend(_normal(item) for item in result)
        return [item for item in result if isinstance(item, Iq)] + \
            [item.stanza for item in result if isinstance(item, Send)]

    def reply(iq: Iq, payload: str = "") -> list[Iq]:
        nonlocal machine
        machine = pause(machine)
        out = step(machine.receive(answer(iq, payload)))
        machine = pause(machine)
        return out

    [first] = step(machine.upload(JULIET, START, messages(30), recipients=[public(0)]))
    machine = pause(machine)
    pending = [first]
    while pending:
        pending = reply(pending[0], f"<save xmlns='{ARCHIVE}'><chat with='{JULIET}' "
                                    f"start='{_time(START)}' version='1'/></save>")
    [auto] = step(machine.enable_auto(public_keys=[public(1)]))
    reply(auto)
    [listing] = step(machine.list_collections())
    reply(listing, f"<list xmlns='{ARCHIVE}'><chat with='{JULIET}' start='{_time(START)}' "
                   "crypt='true'/></list>")
    [retrieve] = step(machine.retrieve(JULIET, START, private_key=private_key(0)))
    machine = pause(machine)
    machine.provide_private_key(private_key(0))
    reply(retrieve, chat_page(data_xml(data) + key_xml(keys[0])))
    [fetch] = step(machine.start_rekey(public(OLD).name, public(NEW),
                                       old_private_key=private_key(OLD)))
    page = keys_page([(START, [key1])])
    machine = pause(machine)
    machine.provide_private_key(private_key(OLD), name=public(OLD).name)
    [save] = reply(fetch, page)
    [refetch] = reply(save, f"<save xmlns='{ARCHIVE}'><chat with='{JULIET}' "
                            f"start='{_time(START)}' version='2'/></save>")
    [delete] = reply(refetch, page)
    [refetch] = reply(delete)
    assert reply(refetch, keys_page([])) == []
    assert machine.is_idle()
    return trace


def test_snapshot_and_restore_between_every_two_steps_change_nothing() -> None:
    uninterrupted = _script(client(random=seeded(11)), lambda machine: machine)
    source = seeded(11)

    def crash(machine: ArchiveClient) -> ArchiveClient:
        data = json.loads(json.dumps(machine.snapshot()))
        restored = ArchiveClient.restore(data, random=source)
        # The caller holds its private key, and hands it again after a restart.
        assert restored.provide_private_key(private_key(0)) == []
        return restored

    assert _script(client(random=source), crash) == uninterrupted
    assert any(isinstance(item, RekeyFinished) for item in uninterrupted)
    assert any(isinstance(item, EntriesRetrieved) and item.entries for item in uninterrupted)


def test_the_unwrapped_keys_of_an_upload_are_destroyed() -> None:
    made: list[Any] = []
    original = encrypt_collection

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        made.append(result.key)
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(upload_module, "encrypt_collection", spy)
        client(max_stanza_bytes=2048).upload(JULIET, START, messages(20),
                                             recipients=[public(0)])
    assert made and all(key.destroyed for key in made)


def test_new_symmetric_keys_and_wrapped_keys_helpers_agree() -> None:
    # A sanity check of the helpers the tests above rely on.
    key = new_symmetric_key("k", random=seeded())
    wrapped_key = wrap_key(key, public(0))
    assert unwrap_key(wrapped_key, private_key(0)).name == "k"
    assert isinstance(parse(key_xml(wrapped_key)), EncryptedKey)
    assert isinstance(parse(data_xml(sealed(messages(1), "x", 0)[0])), EncryptedData)
    assert isinstance(parse(chat_page("")), Chat)


def test_rekey_does_not_finish_while_an_upload_for_the_old_key_is_under_way() -> None:
    """A server that answered the last ``keys`` page before storing an upload sent
    earlier (out of order) must not make the flow finish: the upload's key would
    escape it."""
    machine = client()
    [upload] = iqs(machine.upload(JULIET, START, messages(2), recipients=[public(OLD)]))
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                  old_private_key=private_key(OLD)))
    assert machine.receive(answer(fetch, keys_page([]))) == []
    assert machine.rekey_state is RekeyState.WAITING_FOR_UPLOADS
    restored = ArchiveClient.restore(json.loads(json.dumps(machine.snapshot())))
    restored.provide_private_key(private_key(OLD))
    events = restored.receive(saved(upload, 0))
    assert [type(event) for event in events] == [ChunkSaved, UploadFinished, Send]
    [again] = sends(events)
    assert isinstance(again.payload, Keys) and again.payload.rsm is not None
    assert again.payload.rsm.after is None
    stored = upload.payload.chat.encrypted_keys
    [save] = sends(restored.receive(answer(again, keys_page([(START, stored)]))))
    assert [key.key_name for key in save.payload.chat.encrypted_keys] == [public(NEW).name]


def test_an_encrypted_form_for_the_old_key_in_flight_also_holds_the_rekey() -> None:
    machine = client()
    [form] = iqs(machine.set_form(JULIET, START, attributes(), recipients=[public(OLD)]))
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                  old_private_key=private_key(OLD)))
    assert machine.receive(answer(fetch, keys_page([]))) == []
    assert machine.rekey_state is RekeyState.WAITING_FOR_UPLOADS
    events = machine.receive(saved(form, 4))
    assert isinstance(events[0], CollectionSaved)
    [again] = sends(events)
    [finished] = machine.receive(answer(again, keys_page([])))
    assert isinstance(finished, RekeyFinished)
    # An upload for another key does not hold it.
    other = client()
    other.upload(JULIET, START, messages(1), recipients=[public(NEW)])
    [fetch] = iqs(other.start_rekey(public(OLD).name, public(NEW)))
    [finished] = other.receive(answer(fetch, keys_page([])))
    assert isinstance(finished, RekeyFinished)


# -- settings checked up front --------------------------------------------------------------


@pytest.mark.parametrize(("parameter", "value", "legacy"), [
    ("key_transport", RSA_1_5, True),
    ("key_transport", "rsa-oaep", False),
    ("key_transport", AES256_GCM, False),
    ("algorithm", AES128_CBC, True),
    ("algorithm", "aes256-gcm", False),
    ("algorithm", RSA_OAEP, False),
])
def test_the_constructor_refuses_an_algorithm_it_cannot_encrypt_with(
        parameter: str, value: str, legacy: bool) -> None:
    """A bad setting used to surface only half-way through key replacement, raised
    from handle() with the flow stuck in 'fetching'."""
    with pytest.raises(ArgumentValueError, match=parameter) as refused:
        client(**{parameter: value})
    message = str(refused.value)
    assert repr(value) in message
    assert ("allow_legacy=True" in message) is legacy
    default = RSA_OAEP if parameter == "key_transport" else AES256_GCM
    assert default in message  # what is allowed is listed
    if legacy:
        assert client(**{parameter: value}, allow_legacy=True) is not None


def test_legacy_key_transport_with_the_opt_in_replaces_keys() -> None:
    machine = client(key_transport=RSA_1_5, allow_legacy=True)
    key1, data1 = wrapped("s1")
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                  old_private_key=private_key(OLD)))
    [save] = sends(machine.receive(answer(fetch, keys_page([(START, [key1])]))))
    [new] = save.payload.chat.encrypted_keys
    assert new.method is not None and new.method.algorithm == RSA_1_5
    assert decrypt_collection([data1], [new], private_key(NEW)) == tuple(messages(1))


# -- failures and cancelling during key replacement ------------------------------------------


def test_a_step_that_fails_inside_handle_keeps_its_collection_and_the_flow_goes_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    real = rekey_module.rewrap_key

    def refuse_s1(encrypted_key: EncryptedKey, *args: Any, **kwargs: Any) -> EncryptedKey:
        if encrypted_key.carried_key_name == "s1":
            raise CryptoError("the key cannot be wrapped for this public key")
        return real(encrypted_key, *args, **kwargs)

    monkeypatch.setattr(rekey_module, "rewrap_key", refuse_s1)
    machine = client()
    key1, _ = wrapped("s1")
    key2, _ = wrapped("s2")
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                  old_private_key=private_key(OLD)))
    page = keys_page([(START, [key1]), (LATER, [key2])])
    events = machine.receive(answer(fetch, page))
    [kept] = of_type(events, CollectionKept)
    assert kept.collection == CollectionId(JULIET, START)
    assert "cannot be wrapped" in kept.reason
    [save] = sends(events)  # the other collection goes on
    assert CollectionId.of(save.payload.chat) == CollectionId(JULIET, LATER)
    assert machine.rekey_state is RekeyState.WORKING
    assert list(machine.in_flight) == [save]  # nothing of the failed step was tracked
    [refetch] = sends(machine.receive(saved(save, 1)))
    [delete] = sends(machine.receive(answer(refetch, page)))
    assert CollectionId(delete.payload.with_, delete.payload.start) == CollectionId(JULIET,
                                                                                   LATER)
    [refetch] = sends(machine.receive(answer(delete)))
    [finished] = machine.receive(answer(refetch, keys_page([(START, [key1])])))
    assert finished == RekeyFinished(public(OLD).name, public(NEW).name, 1,
                                     (CollectionId(JULIET, START),))


def test_a_save_too_large_for_any_iq_keeps_its_collection(
        monkeypatch: pytest.MonkeyPatch) -> None:
    machine = client(max_stanza_bytes=1024)
    padding = "x" * 1024
    real = rekey_module.rewrap_key

    def huge(*args: Any, **kwargs: Any) -> EncryptedKey:
        made = real(*args, **kwargs)
        return EncryptedKey(method=made.method, key_info=made.key_info,
                            cipher_data=made.cipher_data,
                            carried_key_name=made.carried_key_name, recipient=padding)

    monkeypatch.setattr(rekey_module, "rewrap_key", huge)
    key1, _ = wrapped("s1")
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                  old_private_key=private_key(OLD)))
    events = machine.receive(answer(fetch, keys_page([(START, [key1])])))
    [kept, finished] = events
    assert isinstance(kept, CollectionKept) and "over the limit" in kept.reason
    assert finished == RekeyFinished(public(OLD).name, public(NEW).name, 0,
                                     (kept.collection,))
    assert machine.is_idle()


def _rekey_in(state: RekeyState) -> tuple[ArchiveClient, list[Iq]]:
    """A machine whose key replacement stands in ``state``, and the rekey iqs it has in
    flight."""
    machine = client()
    key1, _ = wrapped("s1")
    key2, _ = wrapped("s2")
    page = keys_page([(START, [key1]), (LATER, [key2])])
    after_changes = (RekeyState.FETCHING_AFTER_CHANGES, RekeyState.WAITING_FOR_KEY_AFTER_CHANGES)
    if state is RekeyState.WAITING_FOR_UPLOADS or state in after_changes:
        [upload] = iqs(machine.upload(JULIET, START, messages(1), recipients=[public(OLD)]))
    held = None if state in (RekeyState.WAITING_FOR_KEY,
                             RekeyState.WAITING_FOR_KEY_AFTER_CHANGES) else private_key(OLD)
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW), old_private_key=held))
    if state in after_changes:
        # The upload wrapped for the old key is stored while the pass runs.
        assert of_type(machine.receive(saved(upload, 0)), UploadFinished)
    if state in (RekeyState.FETCHING, RekeyState.FETCHING_AFTER_CHANGES):
        return machine, [fetch]
    if state is RekeyState.WAITING_FOR_UPLOADS:
        assert machine.receive(answer(fetch, keys_page([]))) == []
        return machine, []
    events = machine.receive(answer(fetch, page))
    if state in (RekeyState.WAITING_FOR_KEY, RekeyState.WAITING_FOR_KEY_AFTER_CHANGES):
        return machine, []
    first, second = sends(events)
    [refetch] = sends(machine.receive(saved(first, 1)) + machine.receive(saved(second, 1)))
    # One collection's delete goes out and the other one's save again, in flight together.
    key3, _ = wrapped("s3")
    saves_and_delete = sends(machine.receive(answer(
        refetch, keys_page([(START, [key1]), (LATER, [key2, key3])]))))
    return machine, saves_and_delete


@pytest.mark.parametrize("state", list(RekeyState))
def test_cancel_returns_to_idle_from_every_rekey_state(state: RekeyState) -> None:
    machine, in_flight = _rekey_in(state)
    assert machine.rekey_state is state
    restored = ArchiveClient.restore(json.loads(json.dumps(machine.snapshot())))
    assert restored.rekey_state is state  # the snapshot carries it
    for each in (machine, restored):
        [cancelled] = each.cancel_rekey()
        assert isinstance(cancelled, RekeyCancelled)
        assert each.rekey_state is None and each.keys_needed == ()
        if state is RekeyState.WORKING:
            assert cancelled.deleting == (CollectionId(JULIET, START),)
            assert cancelled.saving == (CollectionId(JULIET, LATER),)
        else:
            assert cancelled.deleting == cancelled.saving == ()
        if state is not RekeyState.WAITING_FOR_UPLOADS:  # that one still has its upload
            assert each.is_idle()
        # Late answers to what was in flight change nothing.
        for iq in in_flight:
            [ignored] = each.receive(answer(iq))
            assert isinstance(ignored, Ignored)
        assert each.snapshot()["rekey"] is None
        with pytest.raises(ProtocolError, match="no key replacement"):
            each.cancel_rekey()
        # A new one can start.
        [fetch] = iqs(each.start_rekey(public(OLD).name, public(NEW),
                                   old_private_key=private_key(OLD)))
        assert isinstance(fetch.payload, Keys)


def test_a_restarted_rekey_takes_the_keys_a_cancelled_one_saved() -> None:
    """After a cancel, the save the server carried out left a key for the new public
    key; the new flow checks it with the new private key instead of saving another
    wrap the server would refuse as a conflict."""
    machine = client()
    key1, data1 = wrapped("s1")
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                  old_private_key=private_key(OLD)))
    [save] = sends(machine.receive(answer(fetch, keys_page([(START, [key1])]))))
    machine.cancel_rekey()
    [stored] = save.payload.chat.encrypted_keys  # the server carried the save out
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW)))
    page = keys_page([(START, [key1, stored])])
    assert machine.receive(answer(fetch, page)) == [
        PrivateKeyNeeded(public(NEW).name, RequestKind.KEYS)]
    assert machine.keys_needed == (public(NEW).name,)
    [delete] = sends(machine.provide_private_key(private_key(NEW)))
    assert isinstance(delete.payload, Delete)
    assert decrypt_collection([data1], [stored], private_key(NEW)) == tuple(messages(1))


def test_another_key_for_the_new_public_key_keeps_the_old_ones() -> None:
    """The server lists, for the new public key, a key under the same name that is not
    the one the old key carries (another symmetric key, or garbage): nothing proves
    the collection would open without the old keys, so they stay."""
    machine = client()
    key1, _ = wrapped("s1")
    made = encrypt_collection(messages(1), [public(NEW)], key_name="s1", random=seeded(6))
    made.key.destroy()
    [other] = made.keys
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                  old_private_key=private_key(OLD),
                                  new_private_key=private_key(NEW)))
    page = keys_page([(START, [key1, other])])
    [kept, finished] = machine.receive(answer(fetch, page))
    assert isinstance(kept, CollectionKept)
    assert "another key for the new public key" in kept.reason and "'s1'" in kept.reason
    assert finished == RekeyFinished(public(OLD).name, public(NEW).name, 0,
                                     (kept.collection,))


def test_a_save_refused_as_a_conflict_is_looked_at_again() -> None:
    machine = client()
    key1, _ = wrapped("s1")
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                  old_private_key=private_key(OLD),
                                  new_private_key=private_key(NEW)))
    page = keys_page([(START, [key1])])
    [save] = sends(machine.receive(answer(fetch, page)))
    # The server wrapped the same symmetric key for the new public key meanwhile.
    theirs = rewrap_key(key1, private_key(OLD), public(NEW))
    events = machine.receive(refusal(save, "conflict"))
    assert not of_type(events, CollectionKept)
    [refetch] = sends(events)
    snapshot = json.loads(json.dumps(machine.snapshot()))
    assert snapshot["rekey"]["conflicts"] == [[to_json(CollectionId(JULIET, START)), 1]]
    machine = ArchiveClient.restore(snapshot)
    machine.provide_private_key(private_key(OLD))
    machine.provide_private_key(private_key(NEW))
    [delete] = sends(machine.receive(answer(refetch, keys_page([(START, [key1, theirs])]))))
    assert isinstance(delete.payload, Delete)
    # A server that answers 'conflict' but never lists the clashing key is given up on.
    other = client()
    [fetch] = iqs(other.start_rekey(public(OLD).name, public(NEW),
                                old_private_key=private_key(OLD)))
    iq = fetch
    conflicts = 0
    while True:
        events = other.receive(answer(iq, page))
        [iq] = sends(events) or [None]
        if iq is None or not isinstance(iq.payload, Save):
            break
        conflicts += 1
        [iq] = sends(other.receive(refusal(iq, "conflict")))
    assert conflicts == 4
    assert isinstance(events[-1], RekeyFinished)


def test_a_rekey_page_waits_for_both_private_keys_it_needs() -> None:
    machine = client()
    key1, _ = wrapped("s1")
    theirs = rewrap_key(key1, private_key(OLD), public(NEW))
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW)))
    needed = machine.receive(answer(fetch, keys_page([(START, [key1, theirs])])))
    assert needed == [PrivateKeyNeeded(public(OLD).name, RequestKind.KEYS),
                      PrivateKeyNeeded(public(NEW).name, RequestKind.KEYS)]
    assert machine.keys_needed == (public(OLD).name, public(NEW).name)
    assert machine.provide_private_key(private_key(NEW)) == []  # the old one is still missing
    assert machine.keys_needed == (public(OLD).name,)
    [delete] = sends(machine.provide_private_key(private_key(OLD)))
    assert isinstance(delete.payload, Delete) and machine.keys_needed == ()


# -- the machine protocol and the event base -------------------------------------------------


def test_the_client_is_a_machine_that_answers_nothing_and_takes_only_its_answers() -> None:
    machine = client()
    assert isinstance(machine, Machine)
    assert ArchiveClient.payloads == () and machine.disco_features() == ()
    [iq] = iqs(machine.list_collections())
    assert machine.accepts(answer(iq)) and machine.accepts(refusal(iq, "forbidden"))
    assert not machine.accepts(answer(Iq(type=IqType.GET, id="other", extensions=(List(),))))
    assert not machine.accepts(Iq(type=IqType.GET, id=iq.id, extensions=(List(),)))
    assert not machine.accepts(Message(to=ROMEO, bodies=()))
    spoofed = parse(f"<iq xmlns='jabber:client' type='result' id='{iq.id}' from='{JULIET}'/>")
    assert not machine.accepts(spoofed)
    machine.receive(answer(iq))
    assert not machine.accepts(answer(iq))  # answered already
    lenient = client(lenient=True)
    [disco] = iqs(lenient.discover())
    assert lenient.accepts(_answer_as_get(disco.id)) and not client().accepts(
        _answer_as_get(disco.id))


def test_every_event_of_the_client_derives_from_its_base() -> None:
    events = [value for name, value in vars(archive_client).items()
              if isinstance(value, type) and issubclass(value, Event) and name in
              archive_client.__all__]
    own = [kind for kind in events if kind not in (Event, Send, Ignored)]
    assert len(own) == 24  # the base and the 23 events
    assert all(issubclass(kind, ArchiveClientEvent) for kind in own)
    assert Send is base.Send and Ignored is base.Ignored


# -- the transition tables -------------------------------------------------------------------


TABLES: list[tuple[Transitions[Any, Any, Any], type[enum.Enum], type[enum.Enum]]] = [
    (UPLOAD, UploadState, UploadInput),
    (RETRIEVAL, RetrievalState, RetrievalInput),
    (PREFERENCES, PreferenceState, AutoAnswer),
    (REKEY, RekeyState, RekeyInput),
]


@pytest.mark.parametrize(("table", "states", "inputs"), TABLES, ids=lambda t: getattr(t, "name",
                                                                                    ""))
def test_a_table_refuses_every_pair_it_does_not_hold(
        table: Transitions[Any, Any, Any], states: type[enum.Enum],
        inputs: type[enum.Enum]) -> None:
    assert table.states() == set(states)  # every state has a way out
    for state in states:
        for event in inputs:
            if (state, event) in table.rows:
                continue
            with pytest.raises(ProtocolError, match=table.name):
                table(state, event)


def test_every_key_replacement_input_is_taken_in_some_state_and_cancel_in_all() -> None:
    assert {event for _, event in REKEY.rows} == set(RekeyInput)
    assert {action for action, _ in REKEY.rows.values()} == set(RekeyAction)
    for state in RekeyState:
        assert REKEY(state, RekeyInput.CANCEL) == (RekeyAction.CANCEL, None)


def test_a_machine_fed_an_input_its_state_refuses_raises_a_protocol_error() -> None:
    machine = client()
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                      old_private_key=private_key(OLD)))
    # A save's answer cannot come while a page is fetched: the table says so.
    with pytest.raises(ProtocolError, match="'fetching'"):
        machine._rekey._go(machine._rekey.rekey, RekeyInput.STEP_DONE)  # type: ignore[arg-type]
    assert machine.rekey_state is RekeyState.FETCHING
    assert machine.in_flight == (fetch,)


# -- the chunk packer ------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(widths=st.lists(st.integers(0, 2500), min_size=1, max_size=30),
       limit=st.integers(min_value=1024, max_value=8000),
       scale=st.sampled_from([0.25, 1.0, 4 / 3, 3.0]))
def test_the_chunk_packer_keeps_every_iq_under_the_limit(widths: list[int], limit: int,
                                                         scale: float) -> None:
    shared = Shared(Settings(ROMEO, ARCHIVE, None, limit, AES256_GCM, RSA_OAEP, False, False),
                    base.IdCounter("t"), None, Requests())
    collection = CollectionId(JULIET, START)
    items = [Entry(direction=Direction.FROM, secs=1, bodies=("b" * width,)) for width in widths]

    def build(part: Sequence[Entry], index: int, chunk_id: str) -> Iq:
        return shared.save_iq(shared.chat(collection, entries=tuple(part)), chunk_id)

    alone = [size(build([item], 0, "t-1")) for item in items]
    try:
        chunks = pack(items, build, limit=limit, ids=shared.ids, scale=scale,
                      what=lambda position: f"item {position + 1}")
    except StanzaTooLargeError as error:
        first = next(index for index, each in enumerate(alone) if each > limit)
        assert f"item {first + 1} makes" in str(error)
        return
    assert all(each <= limit for each in alone)
    assert all(size(iq) <= limit for iq, _ in chunks)
    assert [item for _, part in chunks for item in part] == items
    assert [item for iq, _ in chunks for item in iq.payload.chat.entries] == items
    assert len({iq.id for iq, _ in chunks}) == len(chunks)


# -- snapshots -------------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(restarts=st.lists(st.booleans(), min_size=40, max_size=40))
def test_a_snapshot_restored_snapshots_the_same_at_any_point_of_the_flows(
        restarts: list[bool]) -> None:
    """snapshot -> restore -> snapshot is a fixed point wherever the flows stand, and a
    machine restored at any of those points goes on as if nothing happened."""
    uninterrupted = _script(client(random=seeded(11)), lambda machine: machine)
    source = seeded(11)
    turns = iter(restarts)

    def maybe_restore(machine: ArchiveClient) -> ArchiveClient:
        data = json.loads(json.dumps(machine.snapshot()))
        restored = ArchiveClient.restore(data, random=source)
        assert restored.snapshot() == data
        restored._shared.keyring.update(machine._shared.keyring)  # the caller's keys
        return restored if next(turns, False) else machine

    assert _script(client(random=source), maybe_restore) == uninterrupted


def version_1_snapshot() -> dict[str, Any]:
    """A snapshot as version 1 wrote it, by hand: an upload with a chunk waiting, a
    form wrapped for the old key, a key replacement whose pass changed something (a
    flag then), a retrieval and an ``auto`` request in flight."""
    collection = [str(JULIET), _time(START)]
    chat = f"<chat with='{JULIET}' start='{_time(START)}'>"
    rsm = "<set xmlns='http://jabber.org/protocol/rsm'><max>{}</max></set>"

    def iq(iq_id: str, kind: str, payload: str) -> str:
        return (f"<iq xmlns='jabber:client' type='{kind}' id='{iq_id}' from='{ROMEO}'>"
                f"{payload}</iq>")

    def chunk(secs: int) -> str:
        return f"<save xmlns='{ARCHIVE}'>{chat}<from secs='{secs}'><body>hi</body></from>" \
               "</chat></save>"

    der = public(NEW).key.public_bytes(serialization.Encoding.DER,
                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    form = f"<save xmlns='{ARCHIVE}'>{chat}<x xmlns='jabber:x:data' type='submit'/></chat></save>"
    return {
        "format": "xepcodec.archive-client", "version": 1, "jid": str(ROMEO),
        "namespace": ARCHIVE, "service": None, "max_stanza_bytes": 65536,
        "algorithm": AES256_GCM, "key_transport": RSA_OAEP, "allow_legacy": False,
        "lenient": True, "next_id": 7,
        "pending": [
            {"kind": "upload", "iq": iq("arc-1", "set", chunk(0)),
             "data": {"upload": "arc-1", "chunk": 1}},
            {"kind": "save", "iq": iq("arc-3", "set", form),
             "data": {"collection": collection, "change": "form",
                      "key_names": [public(OLD).name]}},
            {"kind": "keys", "iq": iq("arc-4", "get", f"<keys xmlns='{ARCHIVE}'>"
                                      + rsm.format(5) + "</keys>"), "data": {}},
            {"kind": "retrieve", "iq": iq("arc-5", "get", f"<retrieve xmlns='{ARCHIVE}' "
                                          f"with='{JULIET}' start='{_time(START)}'>"
                                          + rsm.format(3) + "</retrieve>"),
             "data": {"collection": collection}},
            {"kind": "auto", "iq": iq("arc-6", "set", f"<auto xmlns='{ARCHIVE}' save='true' "
                                      "encrypt='true'/>"),
             "data": {"save": True, "encrypt": True, "scope": None}},
        ],
        "uploads": [["arc-1", {"collection": collection, "chunks": 2,
                               "waiting": [iq("arc-2", "set", chunk(1))], "key_names": [],
                               "version": None}]],
        "retrievals": [{"collection": collection, "key_names": [], "private_key_name": None,
                        "page_size": 3, "entries": 0, "undecryptable": 0, "parked": None}],
        "rekey": {"old_key_name": public(OLD).name,
                  "new_key": {"name": public(NEW).name, "confirmed": True, "der": b64(der)},
                  "page_size": 5, "state": "fetching", "cursor": None, "pass_acted": True,
                  "parked": None, "outstanding": [], "saved": [[collection, [None, "s1"]]],
                  "failed": [], "kept": [[collection, "kept for a reason"]], "deletes": [],
                  "conflicts": [[collection, 2]], "deleted": 0},
    }


def test_a_version_1_snapshot_is_read_and_its_flows_go_on() -> None:
    machine = ArchiveClient.restore(json.loads(json.dumps(version_1_snapshot())))
    upload, form, fetch, retrieve, auto = machine.in_flight
    assert [iq.id for iq in machine.in_flight] == ["arc-1", "arc-3", "arc-4", "arc-5", "arc-6"]
    # Version 1's flag that the pass changed something is a state now.
    assert machine.rekey_state is RekeyState.FETCHING_AFTER_CHANGES
    again = machine.snapshot()
    assert again["version"] == 2
    assert again["rekey"]["conflicts"] == [[to_json(CollectionId(JULIET, START)), 2]]
    assert ArchiveClient.restore(again).snapshot() == again
    collection = CollectionId(JULIET, START)
    events = machine.receive(answer(upload))
    assert events[0] == ChunkSaved("arc-1", collection, 1, 2, None)
    [second] = sends(events)
    assert second.id == "arc-2" and second.payload.chat.entries[0].secs == 1
    assert machine.receive(answer(second))[-1] == UploadFinished("arc-1", collection, 2, None)
    assert machine.receive(answer(auto)) == [AutoArchivingSet(True, True, None)]
    assert machine.receive(answer(form)) == [CollectionSaved(collection, SaveKind.FORM, None)]
    # The kept collection is passed over; the pass changed something, so another follows.
    key1, _ = wrapped("s2")
    [restart] = sends(machine.receive(answer(fetch, keys_page([(START, [key1])]))))
    assert isinstance(restart.payload, Keys) and restart.payload.rsm.after is None
    assert restart.id == "arc-7"  # the counter goes on
    assert machine.receive(answer(restart, keys_page([]))) == [
        RekeyFinished(public(OLD).name, public(NEW).name, 0, (collection,))]
    events = machine.receive(answer(retrieve, chat_page("")))
    assert [type(event) for event in events] == [EntriesRetrieved, CollectionRetrieved]
    assert machine.is_idle()


# -- own uploads in every key replacement state ------------------------------------------------


def _own_uploads(machine: ArchiveClient, count: int) -> list[Iq]:
    """``count`` uploads of this client's wrapped for the old key, in flight."""
    return [iqs(machine.upload(JULIET, START + timedelta(minutes=number), messages(1),
                               recipients=[public(OLD)]))[0] for number in range(count)]


def test_an_own_upload_stored_while_a_page_waits_for_its_key_makes_another_pass() -> None:
    machine = client()
    first, second = _own_uploads(machine, 2)
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW)))
    key1, _ = wrapped("s1")
    page = keys_page([(LATER, [key1])])
    assert machine.receive(answer(fetch, page)) == [
        PrivateKeyNeeded(public(OLD).name, RequestKind.KEYS)]
    assert machine.rekey_state is RekeyState.WAITING_FOR_KEY
    assert of_type(machine.receive(saved(first, 0)), UploadFinished)
    assert machine.rekey_state is RekeyState.WAITING_FOR_KEY_AFTER_CHANGES
    assert of_type(machine.receive(saved(second, 0)), UploadFinished)
    assert machine.rekey_state is RekeyState.WAITING_FOR_KEY_AFTER_CHANGES
    [save] = sends(machine.provide_private_key(private_key(OLD)))
    assert machine.rekey_state is RekeyState.WORKING
    [refetch] = sends(machine.receive(saved(save, 1)))
    # The own uploads are stored with keys for the old public key: the pass goes on.
    assert machine.rekey_state is RekeyState.FETCHING
    assert isinstance(refetch.payload, Keys) and refetch.payload.rsm.after is None


def test_an_own_upload_stored_while_saves_are_in_flight_changes_nothing_there() -> None:
    machine = client()
    [upload] = _own_uploads(machine, 1)
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                      old_private_key=private_key(OLD)))
    key1, _ = wrapped("s1")
    [save] = sends(machine.receive(answer(fetch, keys_page([(LATER, [key1])]))))
    assert of_type(machine.receive(saved(upload, 0)), UploadFinished)
    assert machine.rekey_state is RekeyState.WORKING
    assert sends(machine.receive(saved(save, 1)))


def test_waiting_for_own_uploads_lasts_until_the_last_one_is_answered() -> None:
    machine = client()
    first, second = _own_uploads(machine, 2)
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                      old_private_key=private_key(OLD)))
    assert machine.receive(answer(fetch, keys_page([]))) == []
    assert machine.rekey_state is RekeyState.WAITING_FOR_UPLOADS
    assert not sends(machine.receive(saved(first, 0)))
    assert machine.rekey_state is RekeyState.WAITING_FOR_UPLOADS
    [again] = sends(machine.receive(refusal(second, "not-acceptable", "modify")))
    assert machine.rekey_state is RekeyState.FETCHING and again.payload.rsm.after is None


def test_a_pass_that_changed_something_also_starts_over_or_fails_on_an_error() -> None:
    foreign, _ = wrapped("s9", reader=2)
    first = keys_page([(START, [foreign])], rsm_xml("p1", "p1", 2), label=public(OLD).name)
    machine = client()
    [upload] = _own_uploads(machine, 1)
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                      old_private_key=private_key(OLD), page_size=1))
    [following] = sends(machine.receive(answer(fetch, first)))
    machine.receive(saved(upload, 0))
    assert machine.rekey_state is RekeyState.FETCHING_AFTER_CHANGES
    [restart] = sends(machine.receive(refusal(following, "item-not-found")))
    assert machine.rekey_state is RekeyState.FETCHING and restart.payload.rsm.after is None
    machine = client()
    [upload] = _own_uploads(machine, 1)
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                      old_private_key=private_key(OLD)))
    machine.receive(saved(upload, 0))
    [failed] = machine.receive(refusal(fetch, "forbidden", "auth"))
    assert isinstance(failed, RekeyFailed) and failed.condition is Condition.FORBIDDEN
    assert machine.rekey_state is None and machine.is_idle()


def test_a_pass_that_changed_something_is_followed_by_another_before_any_wait() -> None:
    foreign, _ = wrapped("s9", reader=2)
    kept = keys_page([(START, [foreign])], rsm_xml("p1", "p1", 2), label=public(OLD).name)
    rest = keys_page([], rsm_xml(None, None, 1))
    machine = client()
    first, _ = _own_uploads(machine, 2)
    [fetch] = iqs(machine.start_rekey(public(OLD).name, public(NEW),
                                      old_private_key=private_key(OLD), page_size=1))
    machine.receive(saved(first, 0))
    assert machine.rekey_state is RekeyState.FETCHING_AFTER_CHANGES
    [following] = sends(machine.receive(answer(fetch, kept)))
    assert machine.rekey_state is RekeyState.FETCHING_AFTER_CHANGES
    assert following.payload.rsm.after == "p1"
    [again] = sends(machine.receive(answer(following, rest)))
    assert machine.rekey_state is RekeyState.FETCHING and again.payload.rsm.after is None
    [following] = sends(machine.receive(answer(again, kept)))
    assert machine.receive(answer(following, rest)) == []
    assert machine.rekey_state is RekeyState.WAITING_FOR_UPLOADS
