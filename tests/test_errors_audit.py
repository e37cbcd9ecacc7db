"""Every error the library raises is a XepCodecError, and a refused stanza can be answered.

The first part answers what a StreamReader refused with the library's own error reply, end
to end: the reply parses, carries the refusal's condition and the stanza's id, and has the
addresses swapped.  The second part drives the public entry points with hostile and wrong
input and checks that nothing but a XepCodecError escapes.
"""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from random import Random
from typing import Any

import pytest
from conformance.examples import example_elements
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

import xepcodec
from xepcodec.api import StreamReader
from xepcodec.core.stanza_errors import Condition
from xepcodec.core.stanzas import Iq, IqType, Message, Presence, error_reply
from xepcodec.crypto import (
    PublicKey,
    SymmetricKey,
    decrypt_collection,
    decrypt_entries,
    decrypt_octets,
    encrypt_octets,
    read_entries,
    rewrap_key,
    unwrap_key,
)
from xepcodec.crypto.algorithms import CIPHERS
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, XepCodecError
from xepcodec.machines.archive_client import ArchiveClient
from xepcodec.machines.archive_server import ArchiveServer
from xepcodec.machines.archive_store import MemoryStore
from xepcodec.machines.cookies import CookieJar
from xepcodec.machines.server_buddies import ServerBuddies
from xepcodec.protocols import security
from xepcodec.protocols.evil import filter_stanza, is_evil, mark_evil
from xepcodec.protocols.ping import pong
from xepcodec.protocols.rsm import ResultSet, paginate
from xepcodec.xml import StanzaFailed

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

_HEADER = ("<stream:stream xmlns='{ns}' xmlns:stream='http://etherx.jabber.org/streams' "
           "to='example.com' version='1.0'>")


def _refused(stanza: str, namespace: str = "jabber:client") -> StanzaFailed:
    """The one StanzaFailed a stream carrying *stanza* yields."""
    events = StreamReader().feed((_HEADER.format(ns=namespace) + stanza).encode())
    failed = [event for event in events if isinstance(event, StanzaFailed)]
    assert len(failed) == 1, events
    return failed[0]


@pytest.mark.parametrize(
    ("stanza", "kind", "condition"),
    [
        ("<iq type='get' id='q1' from='juliet@example.com/balcony' to='example.com'>"
         "<x xmlns='jabber:x:data' type='bogus'/></iq>", Iq, Condition.BAD_REQUEST),
        ("<message type='chat' id='m1' from='juliet@example.com/balcony' to='romeo@example.net'>"
         "<body>hi</body><x xmlns='jabber:x:data' type='bogus'/></message>",
         Message, Condition.BAD_REQUEST),
        ("<presence id='p1' from='juliet@example.com/balcony' to='romeo@example.net'>"
         "<priority>1000</priority></presence>", Presence, Condition.BAD_REQUEST),
    ],
)
@pytest.mark.parametrize("namespace", ["jabber:client", "jabber:server"])
def test_a_refused_stanza_is_answered_with_its_condition(
        stanza: str, kind: type, condition: Condition, namespace: str) -> None:
    failed = _refused(stanza, namespace)
    assert failed.error.condition == condition
    reply = xepcodec.parse(xepcodec.serialize(error_reply(failed)))
    assert isinstance(reply, kind)
    assert reply.namespace == namespace
    assert reply.type == "error"
    assert reply.error.condition == condition
    assert reply.id == failed.element.get("id")
    assert reply.to == JID.parse("juliet@example.com/balcony")
    assert reply.from_ == JID.parse(failed.element.get("to"))
    assert reply.extensions == ()


def test_the_answer_to_a_refusal_may_name_another_condition_and_a_text() -> None:
    failed = _refused("<iq type='set' id='q2' from='a@example.com/r'>"
                      "<x xmlns='jabber:x:data' type='bogus'/></iq>")
    reply = error_reply(failed, Condition.NOT_ACCEPTABLE, text="not that form")
    assert reply.error.condition == Condition.NOT_ACCEPTABLE
    assert reply.error.text == "not that form"
    assert reply.from_ is None  # the stanza had no 'to'
    assert xepcodec.parse(xepcodec.serialize(reply)) == reply


def test_a_malformed_address_is_left_out_of_the_answer() -> None:
    failed = _refused("<message id='m2' from='@example.com' to='romeo@example.net'>"
                      "<body>hi</body></message>")
    assert failed.error.condition == "jid-malformed"
    reply = error_reply(failed)
    assert reply.to is None
    assert reply.from_ == JID.parse("romeo@example.net")
    assert reply.error.condition == Condition.JID_MALFORMED
    assert xepcodec.parse(xepcodec.serialize(reply)) == reply


@pytest.mark.parametrize(
    "stanza",
    [
        # an error is never answered with an error
        "<message type='error' id='e1' from='a@example.com'><body>x</body></message>",
        # an iq's answer must repeat its id
        "<iq type='get' from='a@example.com/r'><ping xmlns='urn:xmpp:ping'/></iq>",
        # not a stanza at all
        "<x xmlns='jabber:x:data' type='bogus'/>",
    ],
)
def test_what_no_stanza_error_answers_is_refused_with_a_library_error(stanza: str) -> None:
    failed = _refused(stanza)
    with pytest.raises(ArgumentValueError):
        error_reply(failed)


def test_answering_a_typed_error_or_a_result_raises_a_library_error() -> None:
    iq = Iq(type=IqType.GET, id="1", extensions=(xepcodec.parse(
        "<ping xmlns='urn:xmpp:ping'/>"),))
    error = error_reply(iq, Condition.SERVICE_UNAVAILABLE)
    with pytest.raises(XepCodecError):
        error_reply(error, Condition.BAD_REQUEST)
    with pytest.raises(XepCodecError):
        error.result()
    with pytest.raises(XepCodecError):
        error_reply(iq, None)


# -- the entry points, given what they cannot take ---------------------------------------

_WRONG_TYPES = [None, 5, 1.5, object(), ["<a/>"], {"a": 1}]


@pytest.mark.parametrize("value", _WRONG_TYPES, ids=repr)
def test_parse_validate_and_feed_refuse_what_is_not_xml_with_a_library_error(
        value: object) -> None:
    # bytes(5) is five NUL bytes and bytes([...]) may be anything: a value of the wrong
    # type is named as such rather than read as bytes.
    with pytest.raises(ArgumentTypeError):
        xepcodec.parse(value)  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError):
        xepcodec.validate(value)  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError):
        StreamReader().feed(value)  # type: ignore[arg-type]


def test_bytearray_and_memoryview_are_still_read() -> None:
    data = b"<ping xmlns='urn:xmpp:ping'/>"
    assert xepcodec.parse(bytearray(data)) == xepcodec.parse(memoryview(data))
    assert xepcodec.validate(bytearray(data)).ok


# -- the machines ------------------------------------------------------------------------

_NOW = datetime(2026, 1, 1, tzinfo=UTC)
_OWNER = JID.parse("romeo@example.net")


def _machines() -> dict[str, Any]:
    return {
        "archive client": ArchiveClient(JID.parse("romeo@example.net/orchard"),
                                        random=Random(7).randbytes),
        "archive server": ArchiveServer(MemoryStore(), random=Random(8).randbytes),
        "server buddies": ServerBuddies("example.com"),
        "cookie jar": CookieJar(),
    }


def _restore(name: str, snapshot: object) -> object:
    machine = type(_machines()[name])
    if name == "archive server":
        return machine.restore(snapshot, MemoryStore(), random=Random(9).randbytes)
    return machine.restore(snapshot)


@pytest.mark.parametrize("name", sorted(_machines()))
@pytest.mark.parametrize("snapshot", [None, "x", [], {}, {"format": 1, "version": 1}],
                         ids=repr)
def test_a_damaged_snapshot_is_refused_with_a_library_error(name: str,
                                                           snapshot: object) -> None:
    with pytest.raises(ArgumentValueError):
        _restore(name, snapshot)


def test_a_snapshot_still_restores() -> None:
    for name, machine in _machines().items():
        assert isinstance(_restore(name, machine.snapshot()), type(machine)), name


def _spec_objects() -> list[object]:
    """Every top-level element of the implemented protocols' examples that parses."""
    objects = []
    for _, element in example_elements():
        with contextlib.suppress(XepCodecError):
            objects.append(xepcodec.parse(element))
    return objects


def test_the_machines_take_every_example_stanza_without_a_foreign_error() -> None:
    objects = [xepcodec.parse((EXAMPLES / name).read_bytes())
               for name in sorted(p.name for p in EXAMPLES.glob("*.xml"))]
    objects += _spec_objects()
    stanzas = [item for item in objects if isinstance(item, Message | Presence | Iq)]
    assert len(stanzas) >= 3
    escaped = []
    for name, machine in _machines().items():
        # The archive server answers iqs; the others take anything, odd objects too.
        inputs = ([item for item in stanzas if isinstance(item, Iq)]
                  if name == "archive server" else [*objects, None, 5, "<iq/>", object()])
        for item in inputs:
            try:
                if name == "archive server":
                    machine.receive(item, owner=_OWNER, now=_NOW)
                else:
                    machine.receive(item)
            except XepCodecError:
                pass
            except Exception as error:
                escaped.append((name, type(error).__name__, str(error)[:80], item))
    assert not escaped


# -- decryption of garbage -----------------------------------------------------------------


def _with_cipher(item: Any, value: bytes) -> Any:
    return dataclasses.replace(item, cipher_data=dataclasses.replace(item.cipher_data,
                                                                     value=value))


def test_decrypting_garbage_raises_only_library_errors() -> None:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    recipient = PublicKey.from_key(private_key.public_key(), confirmed=True)
    chat = xepcodec.parse((EXAMPLES / "archive-encrypted-save.xml").read_bytes()).payload.chat
    data, wrapped = chat.encrypted_data[0], chat.encrypted_keys[0]
    random = Random(3)
    attempts = []
    for size in [*range(0, 70, 3), 255, 256, 257, 512]:
        garbage = random.randbytes(size)
        for algorithm in CIPHERS:
            key = SymmetricKey("dataKey1", algorithm, random.randbytes(CIPHERS[algorithm].key_size))
            attempts += [
                lambda key=key, garbage=garbage: decrypt_octets(key, garbage),
                lambda key=key, garbage=garbage: decrypt_entries(_with_cipher(data, garbage), key),
                # garbage that decrypts: the plaintext is what is malformed
                lambda key=key, garbage=garbage: decrypt_entries(_with_cipher(data, encrypt_octets(
                    key, b"<to secs='1'>" + garbage, random=random.randbytes, allow_legacy=True)),
                    key),
            ]
        attempts += [
            lambda garbage=garbage: unwrap_key(_with_cipher(wrapped, garbage), private_key),
            lambda garbage=garbage: decrypt_collection([_with_cipher(data, garbage)], [wrapped],
                                                       private_key, key_names=None),
            lambda garbage=garbage: rewrap_key(_with_cipher(wrapped, garbage), private_key,
                                               recipient),
            lambda garbage=garbage: read_entries(b"<to>" + garbage),
        ]
    failures = 0
    for attempt in attempts:
        try:
            attempt()
        except XepCodecError:
            failures += 1
    assert failures == len(attempts)  # garbage never decrypts, and says so in one way


# -- helpers that answer what was received -------------------------------------------------


def test_paging_from_a_received_page_that_allows_none_raises_a_library_error() -> None:
    empty = xepcodec.parse("<set xmlns='http://jabber.org/protocol/rsm'><count>0</count></set>")
    with pytest.raises(ArgumentValueError):
        empty.next_page()
    with pytest.raises(ArgumentValueError):
        empty.previous_page()
    unnamed = xepcodec.parse("<set xmlns='http://jabber.org/protocol/rsm'><first index='0'/>"
                             "<last>b</last></set>")
    with pytest.raises(ArgumentValueError):
        unnamed.previous_page()
    with pytest.raises(ArgumentValueError):
        ResultSet.page(first_index=3)
    for keys in (["a", "a"], ["a", ""]):
        with pytest.raises(ArgumentValueError):
            paginate(keys, None, key=str)


def test_filling_a_received_form_without_a_required_value_raises_a_library_error() -> None:
    form = xepcodec.parse("<x xmlns='jabber:x:data' type='form'><field var='name' "
                          "type='text-single'><required/></field></x>")
    with pytest.raises(ArgumentValueError, match="name"):
        form.fill({})
    assert form.fill({"name": "Juliet"}).values() == {"name": "Juliet"}


def test_the_namespace_upgrade_refuses_received_stanzas_with_a_library_error() -> None:
    # A stanza whose namespace is already upgraded, or in legacy form, cannot be
    # converted: the refusal names where, and is a library error.
    upgraded = security.upgrade_namespaces(b"<ping xmlns='urn:xmpp:ping'/>")
    with pytest.raises(ArgumentValueError, match="already in upgraded form"):
        security.upgrade_namespaces(upgraded)
    with pytest.raises(ArgumentValueError, match="legacy form"):
        security.downgrade_namespaces(b"<ping xmlns='urn:xmpp:ping'/>")
    for value in (5, None, etree.fromstring(b"<a/>")):
        with pytest.raises(ArgumentTypeError):
            security.rot13(value)  # type: ignore[type-var]
    with pytest.raises(ArgumentTypeError):
        security.upgrade_namespaces(etree.fromstring(b"<a/>"))


def test_ping_and_evil_helpers_refuse_what_they_do_not_take_with_library_errors() -> None:
    not_a_ping = xepcodec.parse("<iq xmlns='jabber:client' type='get' id='1'>"
                                "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
    with pytest.raises(ArgumentValueError):
        pong(not_a_ping)
    with pytest.raises(ArgumentTypeError):
        mark_evil(not_a_ping)
    with pytest.raises(ArgumentTypeError):
        filter_stanza(5)  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError):
        is_evil(object())


def test_a_protocol_number_nobody_implements_is_a_library_error() -> None:
    # by the registry and by the command line's --xep, the same error
    from xepcodec.errors import UnknownProtocolError
    from xepcodec.validation.checking import protocol_namespaces

    for lookup in (xepcodec.xep, protocol_namespaces):
        with pytest.raises(UnknownProtocolError) as caught:
            lookup(9999)
        assert isinstance(caught.value, XepCodecError | LookupError)
        assert "9999" in str(caught.value)
