"""The lazy parse (``xepcodec.parse(data, lazy=True)``, :mod:`xepcodec.lazy`).

Its addressing is typed and checked at parse, its content decoded on first read; over
the one-verdict corpus (the specifications' examples, the hostile corpus, the fuzzing
seeds and their mutants, mutated and generated stanzas) a lazy parse followed by a read
gives the eager parse's object or the eager parse's error, and with ``validate=True``
every refusal comes at the parse.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from test_one_verdict import HOSTILE, SPEC_DOCUMENTS, mutated_stanzas

import xepcodec
from xepcodec.core.stanzas import Iq, IqType, Message, MessageType, Presence
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ParseError
from xepcodec.lazy import LazyStanza, parse_lazy
from xepcodec.model import XmlFragment, encode
from xepcodec.protocols.chatstates import ChatState, ChatStateNotification
from xepcodec.protocols.delay import Delay
from xepcodec.protocols.ping import Ping
from xepcodec.testing.stanzas import stanzas
from xepcodec.xml import StanzaFailed, StanzaReceived

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the fuzzing harnesses' shared modules

from fuzz.mutate import mutants  # noqa: E402
from fuzz.seeds import seeds  # noqa: E402

CLIENT = "jabber:client"
CHAT = (f"<message xmlns='{CLIENT}' type='chat' id='m1' to='romeo@montague.example' "
        "from='juliet@capulet.example/balcony' xml:lang='en'><body>hi</body>"
        "<active xmlns='http://jabber.org/protocol/chatstates'/>"
        "<delay xmlns='urn:xmpp:delay' stamp='2002-09-10T23:08:25Z'/></message>").encode()
PING = f"<iq xmlns='{CLIENT}' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>".encode()


def _error(error: ParseError) -> tuple[object, ...]:
    return type(error), error.message, error.path, error.condition, error.line, error.stream


def _eager(data: bytes) -> Any:
    try:
        return xepcodec.parse(data)
    except ParseError as error:
        return _error(error)


def _lazy(data: bytes, *, validate: bool = False) -> tuple[str, Any]:
    """(where the verdict came, the object or the error) for a lazy parse and a read."""
    try:
        lazy = xepcodec.parse(data, lazy=True, validate=validate)
    except ParseError as error:
        return "parse", _error(error)
    if not isinstance(lazy, LazyStanza):
        return "parse", lazy  # not a stanza: decoded at once, as the eager parse does
    try:
        stanza = lazy.stanza
    except ParseError as error:
        return "read", _error(error)
    # What was known before the read says what the read found.
    assert lazy.kind is type(stanza)
    assert (lazy.namespace, lazy.type, lazy.id, lazy.to, lazy.from_, lazy.lang) == (
        stanza.namespace, stanza.type, stanza.id, stanza.to, stanza.from_, stanza.lang)
    return "read", stanza


def _payload_types_before_reading(data: bytes) -> None:
    try:
        lazy = xepcodec.parse(data, lazy=True)
    except ParseError:
        return
    if isinstance(lazy, LazyStanza) and not lazy.decoded:
        found = lazy.payload_types
        try:
            stanza = lazy.stanza
        except ParseError:
            return  # a refused payload's class is not promised
        assert found == tuple(type(item) for item in stanza.extensions), data


def _parts(lazy: LazyStanza[Any]) -> list[Any]:
    """Every part a lazy stanza reads alone: each payload class's find and find_all, an
    iq's payload, a message's body and subject, a presence's status."""
    read: list[Any] = []
    for cls in dict.fromkeys(lazy.payload_types):
        read += [lazy.find(cls), lazy.find_all(cls)]
    if lazy.kind is Iq:
        read.append(lazy.payload)
    if lazy.kind is Message:
        read += [lazy.body, lazy.subject]
    if lazy.kind is Presence:
        read.append(lazy.status)
    return read


def _eager_parts(stanza: Message | Presence | Iq) -> list[Any]:
    read: list[Any] = []
    for cls in dict.fromkeys(type(item) for item in stanza.extensions):
        read += [stanza.find(cls), stanza.find_all(cls)]
    if isinstance(stanza, Iq):
        read.append(stanza.payload)
    if isinstance(stanza, Message):
        read += [stanza.body, stanza.subject]
    if isinstance(stanza, Presence):
        read.append(stanza.status)
    return read


def _parts_before_reading(data: bytes, eager: Any) -> None:
    """Parts read alone are the eager stanza's parts; a part refused alone belongs to a
    stanza the eager parse refuses."""
    try:
        lazy = xepcodec.parse(data, lazy=True)
    except ParseError:
        return
    if not isinstance(lazy, LazyStanza) or lazy.decoded:
        return
    try:
        parts = _parts(lazy)
    except ParseError:
        assert isinstance(eager, tuple), data
        return
    assert not lazy.decoded
    if not isinstance(eager, tuple):
        assert parts == _eager_parts(eager), data


def _one_verdict(data: bytes) -> None:
    eager = _eager(data)
    assert _lazy(data)[1] == eager, data
    where, checked = _lazy(data, validate=True)
    assert checked == eager, data
    if isinstance(eager, tuple):
        assert where == "parse", data  # validate=True: every refusal at the parse
    _payload_types_before_reading(data)
    _parts_before_reading(data, eager)


# -- the addressing, at once -------------------------------------------------------------

def test_the_addressing_is_typed_at_parse_and_the_content_is_not_decoded() -> None:
    lazy = xepcodec.parse(CHAT, lazy=True)
    assert isinstance(lazy, LazyStanza) and not lazy.decoded
    assert lazy.kind is Message and lazy.namespace == CLIENT
    assert lazy.type is MessageType.CHAT and lazy.id == "m1" and lazy.lang == "en"
    assert lazy.to == JID.parse("romeo@montague.example")
    assert lazy.from_ == JID("juliet", "capulet.example", "balcony")
    assert not lazy.decoded


def test_each_stanza_namespace_and_kind_is_read_lazily() -> None:
    for namespace in ("jabber:client", "jabber:server", "jabber:component:accept"):
        lazy = xepcodec.parse(f"<presence xmlns='{namespace}'/>", lazy=True)
        assert (lazy.kind, lazy.namespace, lazy.type, lazy.to) == (
            Presence, namespace, None, None)
    iq = xepcodec.parse(PING, lazy=True)
    assert (iq.kind, iq.type, iq.id) == (Iq, IqType.GET, "p1") and not iq.decoded


def test_other_roots_are_decoded_at_once_as_the_eager_parse_does() -> None:
    data = b"<ping xmlns='urn:xmpp:ping'/>"
    assert xepcodec.parse(data, lazy=True) == xepcodec.parse(data) == Ping()


@pytest.mark.parametrize("attributes", [
    "to='@capulet.example'",        # a JID without its localpart
    "from='juliet@'",                # nor its domain
    "type='shout'",                  # no such message type
    "colour='red'",                  # no such attribute
])
def test_a_bad_attribute_is_the_eager_error_at_parse(attributes: str) -> None:
    data = f"<message xmlns='{CLIENT}' {attributes}><body>hi</body></message>".encode()
    with pytest.raises(ParseError) as eager:
        xepcodec.parse(data)
    with pytest.raises(ParseError) as lazy:
        xepcodec.parse(data, lazy=True)
    assert _error(lazy.value) == _error(eager.value)


def test_an_iq_without_id_and_with_a_bad_payload_fails_at_parse_as_eagerly() -> None:
    # The eager decoder finds the payload's fault before the missing id: so does the
    # lazy parse, which hands anything unusual in the attributes to it.
    data = f"<iq xmlns='{CLIENT}' type='get'><ping xmlns='urn:xmpp:ping' x='1'/></iq>".encode()
    with pytest.raises(ParseError) as lazy:
        xepcodec.parse(data, lazy=True)
    assert _error(lazy.value) == _eager(data)


# -- the content, on first read ----------------------------------------------------------

@pytest.mark.parametrize("data", [
    f"<iq xmlns='{CLIENT}' type='get' id='1'><ping xmlns='urn:xmpp:ping' x='1'/></iq>",
    f"<iq xmlns='{CLIENT}' type='get' id='1'/>",  # a get without its payload
    f"<message xmlns='{CLIENT}' type='error'><body>no error child</body></message>",
    f"<presence xmlns='{CLIENT}'><priority>200</priority></presence>",
])
def test_a_bad_content_is_the_eager_error_on_each_read(data: str) -> None:
    lazy = xepcodec.parse(data, lazy=True)
    assert isinstance(lazy, LazyStanza)
    for _ in range(2):  # a refusal is not remembered as a success
        with pytest.raises(ParseError) as read:
            lazy.stanza  # noqa: B018
        assert _error(read.value) == _eager(data.encode())
        assert not lazy.decoded
    with pytest.raises(ParseError):
        xepcodec.serialize(lazy)


def test_validate_raises_a_bad_content_at_parse_and_leaves_a_good_one_undecoded() -> None:
    bad = f"<iq xmlns='{CLIENT}' type='get' id='1'><ping xmlns='urn:xmpp:ping' x='1'/></iq>"
    with pytest.raises(ParseError) as checked:
        xepcodec.parse(bad, lazy=True, validate=True)
    assert _error(checked.value) == _eager(bad.encode())
    lazy = xepcodec.parse(PING, lazy=True, validate=True)
    assert isinstance(lazy, LazyStanza) and not lazy.decoded
    assert lazy.stanza == xepcodec.parse(PING)


def test_validate_goes_with_lazy_only() -> None:
    with pytest.raises(ArgumentValueError, match="lazy=True"):
        xepcodec.parse(PING, validate=True)


def test_the_shortcuts_read_the_decoded_stanza() -> None:
    lazy = xepcodec.parse(CHAT, lazy=True)
    stanza = xepcodec.parse(CHAT)
    assert lazy.extensions == stanza.extensions and lazy.error is None
    assert lazy.decoded and lazy.stanza.body == "hi"
    assert lazy.find(Delay) == stanza.find(Delay) and lazy.find(Ping) is None
    assert lazy.find_all(XmlFragment) == stanza.find_all(XmlFragment)


def test_a_part_is_read_alone_and_only_once() -> None:
    lazy = xepcodec.parse(CHAT, lazy=True)
    stanza = xepcodec.parse(CHAT)
    delay = lazy.find(Delay)
    assert delay == stanza.find(Delay) and lazy.find(Delay) is delay
    assert lazy.find_all(XmlFragment) == stanza.find_all(XmlFragment)
    assert lazy.find(Ping) is None and lazy.find_all(Ping) == ()
    assert lazy.body == "hi" and lazy.subject is None
    assert not lazy.decoded
    ping = xepcodec.parse(PING, lazy=True)
    assert ping.payload == Ping() and not ping.decoded


def test_a_part_belongs_to_its_stanza_kind() -> None:
    with pytest.raises(AttributeError, match="a part of an iq, not of a message"):
        xepcodec.parse(CHAT, lazy=True).payload  # noqa: B018
    with pytest.raises(AttributeError, match="a part of a message, not of an iq"):
        xepcodec.parse(PING, lazy=True).body  # noqa: B018


def test_a_bad_part_raises_the_eager_error_and_the_others_are_read() -> None:
    bad_delay = CHAT.replace(b"stamp='2002-09-10T23:08:25Z'", b"stamp='yesterday'")
    lazy = xepcodec.parse(bad_delay, lazy=True)
    with pytest.raises(ParseError) as read:
        lazy.find(Delay)
    assert _error(read.value) == _eager(bad_delay)
    # The body and the other payloads are fine: a router reading them is not stopped.
    assert lazy.body == "hi"
    assert lazy.find(ChatStateNotification) == ChatStateNotification(state=ChatState.ACTIVE)
    with pytest.raises(ParseError):
        lazy.stanza  # noqa: B018
    # What no part says (a get carries exactly one payload) is the stanza's to check.
    two = PING.replace(b"</iq>", b"<ping xmlns='urn:xmpp:ping'/></iq>")
    lazy_two = xepcodec.parse(two, lazy=True)
    assert lazy_two.payload == Ping()
    with pytest.raises(ParseError, match="exactly one payload"):
        lazy_two.stanza  # noqa: B018


def test_payload_types_name_each_payload_without_decoding_it() -> None:
    lazy = xepcodec.parse(CHAT, lazy=True)
    assert lazy.payload_types == (ChatStateNotification, Delay)  # <body/> is the stanza's own
    assert not lazy.decoded
    # A jabber:server <body/> in a jabber:client message is not this place's element:
    # the decoder keeps it raw, and payload_types says so.
    odd = (f"<message xmlns='{CLIENT}'><body xmlns='jabber:server'>x</body>"
           "<ping xmlns='urn:xmpp:ping'/></message>")
    assert xepcodec.parse(odd, lazy=True).payload_types == (XmlFragment, Ping)
    assert [type(item) for item in xepcodec.parse(odd).extensions] == [XmlFragment, Ping]


# -- equality, bytes, immutability -------------------------------------------------------

def test_a_lazy_stanza_equals_hashes_and_writes_as_its_stanza() -> None:
    stanza = xepcodec.parse(CHAT)
    lazy, other = xepcodec.parse(CHAT, lazy=True), xepcodec.parse(CHAT, lazy=True)
    assert xepcodec.serialize(lazy) == xepcodec.serialize(stanza)
    assert lazy == stanza and stanza == lazy and lazy == other
    assert hash(lazy) == hash(stanza) and len({lazy, stanza, other}) == 1
    assert lazy != xepcodec.parse(PING, lazy=True)


def test_a_lazy_stanza_cannot_be_changed() -> None:
    lazy = xepcodec.parse(CHAT, lazy=True)
    with pytest.raises(AttributeError, match="immutable"):
        lazy.id = "m2"
    with pytest.raises(AttributeError, match="immutable"):
        del lazy.to
    assert lazy.id == "m1"


def test_a_tree_given_to_the_lazy_parse_is_copied() -> None:
    tree = etree.fromstring(CHAT)
    lazy = xepcodec.parse(tree, lazy=True)
    tree.find("{jabber:client}body").text = "changed"
    assert lazy.stanza.body == "hi"


# -- one verdict -------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "data"), SPEC_DOCUMENTS, ids=[n for n, _ in SPEC_DOCUMENTS])
def test_one_verdict_on_the_specification_examples(name: str, data: bytes) -> None:
    _one_verdict(data)


@pytest.mark.parametrize(("name", "data"), HOSTILE, ids=[n for n, _ in HOSTILE])
def test_one_verdict_on_the_hostile_corpus(name: str, data: bytes) -> None:
    _one_verdict(data)


def test_one_verdict_on_the_fuzzing_seeds_and_their_mutants() -> None:
    corpus = seeds()
    inputs = corpus + list(mutants(corpus, 600, 20_260_101))
    refused_later = 0
    for data in inputs:
        _one_verdict(data)
        where, outcome = _lazy(data)
        refused_later += where == "read" and isinstance(outcome, tuple)
    # The run means something: some refusals were left to the read.
    assert refused_later > 0


@given(mutated_stanzas())
def test_one_verdict_on_mutated_stanzas(data: bytes) -> None:
    _one_verdict(data)


@given(stanzas())
def test_generated_stanzas_read_lazily_as_they_were_built(stanza: Message | Presence | Iq) -> None:
    data = xepcodec.serialize(stanza)
    lazy = xepcodec.parse(data, lazy=True)
    assert (lazy.kind, lazy.namespace, lazy.type, lazy.id, lazy.to, lazy.from_, lazy.lang) == (
        type(stanza), stanza.namespace, stanza.type, stanza.id, stanza.to, stanza.from_,
        stanza.lang)
    assert lazy.payload_types == tuple(type(item) for item in stanza.extensions)
    assert _parts(lazy) == _eager_parts(stanza)
    assert not lazy.decoded
    assert lazy == stanza and xepcodec.serialize(lazy) == data
    assert _parts(lazy) == _eager_parts(stanza)  # read from the decoded stanza now


# -- a router's stream: the reader hands each stanza to parse_lazy ------------------------

STREAM_HEADER = (b"<stream:stream xmlns='jabber:client' xmlns:stream="
                 b"'http://etherx.jabber.org/streams' xmlns:foo='urn:example:foo' "
                 b"to='capulet.example' version='1.0' xml:lang='en'>")


def _read(events: list[Any]) -> list[Any]:
    """What each stanza event says, a lazy stanza read only now (after the reader has
    detached its element from the stream)."""
    said: list[Any] = []
    for event in events:
        if isinstance(event, StanzaFailed):
            said.append(_error(event.error))
        elif isinstance(event, StanzaReceived):
            stanza = event.stanza
            if isinstance(stanza, LazyStanza):
                try:
                    stanza = stanza.stanza
                except ParseError as error:
                    said.append(_error(error))
                    continue
            said.append(stanza)
    return said


def _both_readers(data: bytes) -> tuple[list[Any], list[Any]]:
    eager = xepcodec.StreamReader().feed(STREAM_HEADER + data)
    lazy = xepcodec.StreamReader(parse_lazy).feed(STREAM_HEADER + data)
    return _read(eager), _read(lazy)


@given(st.lists(stanzas(), min_size=1, max_size=4))
def test_a_stream_read_lazily_gives_the_eager_readers_stanzas(
        built: list[Message | Presence | Iq]) -> None:
    data = b"".join(encode(stanza, parent_namespace=CLIENT) for stanza in built)
    eager, lazy = _both_readers(data)
    assert lazy == eager == built


def test_a_stream_read_lazily_keeps_prefixes_and_refusals_as_the_eager_reader() -> None:
    data = (b"<message type='chat' id='m1'><body>hi</body>"
            b"<foo:bar foo:a='1'><foo:c/><d/></foo:bar></message>"
            b"<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping' x='1'/></iq>"
            b"<message type='chat' id='m2'><body xml:lang='fr'>salut</body></message>")
    eager, lazy = _both_readers(data)
    assert lazy == eager and len(eager) == 3
    assert isinstance(eager[1], tuple)  # the bad ping: the same refusal, read later
