"""Tests for xepcodec.protocols.evil (XEP-0076 Malicious Stanzas).

The XML below is written for these tests; none of it is taken from the XEP.  The XEP's
own examples are read from the specification sources, when they are beside the
checkout, and checked at the end.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from conftest import SpecStanzas
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

import xepcodec.testing  # noqa: F401 - registers the stanza strategies
from xepcodec.api import parse, serialize
from xepcodec.core.stanza_errors import Condition, ErrorType, StanzaError
from xepcodec.core.stanzas import Iq, IqType, Message, MessageType, Presence, PresenceType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError
from xepcodec.model import XmlFragment, decode, encode
from xepcodec.protocols import evil as evil_module
from xepcodec.protocols.commands import Command
from xepcodec.protocols.dataforms import Field, Form, FormType
from xepcodec.protocols.disco import NS_INFO, Feature, InfoQuery, Item, ItemsQuery
from xepcodec.protocols.evil import (
    DEFAULT_REFUSAL_TEXT,
    EVIL_TAG,
    FEATURE,
    NS_EVIL,
    Action,
    Evil,
    Verdict,
    filter_stanza,
    is_evil,
    mark_evil,
)
from xepcodec.testing.stanzas import iqs, messages, presences, stanzas
from xepcodec.testing.strategies import for_class

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@pytest.fixture(scope="module")
def evil_schema() -> etree.XMLSchema:
    return etree.XMLSchema(file=str(SCHEMAS / "evil.xsd"))


def tree(xml: bytes | str) -> etree._Element:
    return etree.fromstring(xml.encode() if isinstance(xml, str) else xml)


# -- the element -------------------------------------------------------------------------


@given(flag=for_class(Evil))
def test_generated_flags_are_schema_valid_and_round_trip(evil_schema: etree.XMLSchema,
                                                         flag: Evil) -> None:
    document = tree(encode(flag))
    assert evil_schema.validate(document), evil_schema.error_log
    assert decode(document) == flag


def test_the_element() -> None:
    assert NS_EVIL == "http://jabber.org/protocol/evil"
    assert FEATURE == NS_EVIL
    assert EVIL_TAG == "{http://jabber.org/protocol/evil}evil"
    assert encode(Evil()) == b'<evil xmlns="http://jabber.org/protocol/evil"/>'
    assert decode(tree("<e:evil xmlns:e='http://jabber.org/protocol/evil'>\n </e:evil>")) \
        == Evil()


@pytest.mark.parametrize(("xml", "words"), [
    ("<evil xmlns='http://jabber.org/protocol/evil' level='9'/>", ["level"]),
    ("<evil xmlns='http://jabber.org/protocol/evil'>muahaha</evil>", ["no text"]),
    ("<evil xmlns='http://jabber.org/protocol/evil'><why xmlns='urn:x'/></evil>",
     ["does not allow"]),
])
def test_rejections(evil_schema: etree.XMLSchema, xml: str, words: list[str]) -> None:
    with pytest.raises(ParseError) as caught:
        decode(tree(xml))
    assert caught.value.condition == "bad-request"
    assert caught.value.path == "/evil" or (caught.value.path or "").startswith("/evil")
    for word in words:
        assert word in str(caught.value)
    # The schema agrees that the flag is empty.
    assert not evil_schema.validate(tree(xml))


def test_the_feature_in_a_disco_answer() -> None:
    answer = InfoQuery(features=(Feature(var=FEATURE),))
    assert b'var="http://jabber.org/protocol/evil"' in encode(answer)
    # A feature naming the namespace is not the flag.
    assert not is_evil(answer)
    assert not is_evil(encode(answer))


# -- finding the flag: concrete cases ---------------------------------------------------------


@pytest.mark.parametrize(("xml", "expected"), [
    # Among a message's payloads.
    ("<message xmlns='jabber:client'><evil xmlns='http://jabber.org/protocol/evil'/>"
     "</message>", True),
    # With a prefix.
    ("<message xmlns='jabber:client' xmlns:e='http://jabber.org/protocol/evil'>"
     "<body>hi</body><e:evil/></message>", True),
    # Deep inside unknown payloads, the namespace inherited as the default.
    ("<iq xmlns='jabber:client' type='result' id='1'><q xmlns='urn:a'><r>"
     "<s xmlns='http://jabber.org/protocol/evil'><evil/></s></r></q></iq>", True),
    # The namespace spelled with character references.
    ("<presence xmlns='jabber:client'><x xmlns='urn:a'>"
     "<evil xmlns='http://jabber.org/protocol/&#101;v&#x69;l'/></x></presence>", True),
    # The namespace quoted in a body, and as an attribute value: not the flag.
    ("<message xmlns='jabber:client'><body>http://jabber.org/protocol/evil evil</body>"
     "</message>", False),
    ("<message xmlns='jabber:client'><x xmlns='urn:a' ns='http://jabber.org/protocol/evil'>"
     "<evil/></x></message>", False),
    # An element named evil in another namespace, and another name in the evil one.
    ("<message xmlns='jabber:client'><evil xmlns='urn:not-evil'/></message>", False),
    ("<message xmlns='jabber:client'><x xmlns='urn:a'>"
     "<good xmlns='http://jabber.org/protocol/evil'/></x></message>", False),
    # Character references that spell something else.
    ("<message xmlns='jabber:client'><body>&#101;vil</body></message>", False),
    ("<message xmlns='jabber:client'><body>nothing to see</body></message>", False),
])
def test_is_evil_on_every_representation(xml: str, expected: bool) -> None:
    assert is_evil(xml.encode()) is expected
    assert is_evil(xml) is expected
    assert is_evil(bytearray(xml.encode())) is expected
    assert is_evil(tree(xml)) is expected
    assert is_evil(parse(xml.encode())) is expected


def test_is_evil_on_the_flag_and_on_fragments() -> None:
    assert is_evil(Evil())
    assert is_evil(tree(encode(Evil())))
    inner = XmlFragment(b"<a xmlns='urn:a'><b><evil xmlns='http://jabber.org/protocol/evil'/>"
                        b"</b></a>")
    assert is_evil(inner)
    assert is_evil(XmlFragment(b"<evil xmlns='http://jabber.org/protocol/evil'/>"))
    assert not is_evil(XmlFragment(b"<a xmlns='urn:a'><b/></a>"))
    # A fragment read as part of a stanza is searched in place.
    message = parse(b"<message xmlns='jabber:client'><a xmlns='urn:a'><b>"
                    b"<evil xmlns='http://jabber.org/protocol/evil'/></b></a></message>")
    assert isinstance(message.extensions[0], XmlFragment)
    assert is_evil(message)


def test_is_evil_in_typed_children_of_typed_children() -> None:
    form = Form(type=FormType.SUBMIT, fields=(Field(var="f", extensions=(Evil(),)),))
    command = Command(node="run", payload=(form,))
    iq = Iq(type=IqType.SET, id="c1", extensions=(command,))
    assert is_evil(iq)
    assert is_evil(encode(iq))
    assert decode(tree(encode(iq))) == iq
    items = ItemsQuery(items=(Item(jid=JID.parse("a.example"), extensions=(Evil(),)),))
    assert is_evil(Iq(type=IqType.RESULT, id="i1", extensions=(items,)))
    # In the application condition of a stanza error.
    error = StanzaError.of(Condition.BAD_REQUEST, application=Evil())
    assert is_evil(Message(type=MessageType.ERROR, error=error))
    # The same shapes without the flag.
    clean = Command(node="run", payload=(Form(type=FormType.SUBMIT,
                                              fields=(Field(var="f"),)),))
    assert not is_evil(Iq(type=IqType.SET, id="c1", extensions=(clean,)))


def test_bytes_without_the_namespace_are_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> etree._Element:
        raise AssertionError("parsed although the raw scan settles it")

    monkeypatch.setattr(evil_module, "parse_xml", refuse)
    assert not is_evil(b"<message xmlns='jabber:client'><body>hello</body></message>")
    # "evil" written, but neither the namespace nor a character reference.
    assert not is_evil(b"<message xmlns='jabber:client'><evil xmlns='urn:x'/></message>")
    assert not is_evil("<message xmlns='jabber:client'><body>evil</body></message>")
    # The namespace without the name "evil" anywhere cannot be an <evil/> element either.
    assert not is_evil(b"<x xmlns='urn:a' v='&#104;'/>")


def test_bytes_that_might_hold_the_flag_are_read_as_restricted_xml() -> None:
    # The raw scan cannot rule the flag out, so the input is parsed, and refused.
    with pytest.raises(ParseError) as caught:
        is_evil(b"<message xmlns='jabber:client'><evil xmlns='http://jabber.org/protocol/evil'>")
    assert caught.value.condition == "not-well-formed"
    with pytest.raises(ParseError) as caught:
        is_evil(b"<!DOCTYPE x><x><evil xmlns='http://jabber.org/protocol/evil'/></x>")
    assert caught.value.condition == "restricted-xml"
    # Input the scan settles is not read at all, well-formed or not.
    assert not is_evil(b"<message")


def test_is_evil_refuses_what_is_not_xml() -> None:
    with pytest.raises(TypeError, match="not int"):
        is_evil(42)
    with pytest.raises(TypeError, match="not JID"):
        is_evil(JID.parse("a@b.example"))


# -- finding the flag at random depths --------------------------------------------------------

_JID = JID.parse("service.example")


def _raw_wrapper(inner: Any, name: str, number: int) -> XmlFragment:
    made = etree.Element(f"{{urn:example:wrap:{number}}}{name}")
    made.append(etree.fromstring(encode(inner)) if not isinstance(inner, XmlFragment)
                else inner.element())
    return XmlFragment.from_element(made)


def _wrap(kind: str, inner: Any, name: str, number: int) -> Any:
    """``inner`` placed one level down inside a container of the given kind; raw XML
    where the protocol does not allow that child there."""
    try:
        if kind == "info":
            if isinstance(inner, Form):
                return InfoQuery(forms=(inner,))
            return InfoQuery(extensions=(inner,))
        if kind == "item":
            return ItemsQuery(items=(Item(jid=_JID, extensions=(inner,)),))
        if kind == "command":
            return Command(node="n", payload=(inner,))
        if kind == "form":
            return Form(type=FormType.RESULT, extensions=(inner,))
        if kind == "field":
            return Form(type=FormType.SUBMIT, fields=(Field(var="v", extensions=(inner,)),))
    except ValueError:
        pass
    return _raw_wrapper(inner, name, number)


_KINDS = st.sampled_from(["raw", "info", "item", "command", "form", "field"])
_LEVEL = st.tuples(_KINDS, st.from_regex(r"[a-z]{1,6}", fullmatch=True), st.integers(0, 3))
_DECOYS = st.sampled_from([
    XmlFragment(b"<evil xmlns='urn:example:not-evil'/>"),
    XmlFragment(b"<x xmlns='urn:example:wrap'><good xmlns='http://jabber.org/protocol/evil'/>"
                b"</x>"),
    XmlFragment(b"<x xmlns='urn:example:quote' v='http://jabber.org/protocol/evil'>"
                b"evil http://jabber.org/protocol/evil</x>"),
])


def _buried(leaf: Any, levels: list[tuple[str, str, int]]) -> Any:
    carrier = leaf
    for kind, name, number in levels:
        carrier = _wrap(kind, carrier, name, number)
    return carrier


def _with_payload(stanza: Message | Presence | Iq, carrier: Any, position: int,
                  in_error: bool) -> Message | Presence | Iq:
    if in_error and stanza.error is not None:
        error = StanzaError.of(stanza.error.condition, type=stanza.error.type,
                               application=carrier)
        return dataclasses.replace(stanza, error=error)
    if isinstance(stanza, Iq):
        return dataclasses.replace(stanza, extensions=(carrier,))
    payloads = stanza.extensions
    spot = position % (len(payloads) + 1)
    return dataclasses.replace(stanza,
                               extensions=(*payloads[:spot], carrier, *payloads[spot:]))


_FLAG = st.just(Evil())


@st.composite
def flagged(draw: st.DrawFn, leaf: st.SearchStrategy[Any] = _FLAG) -> Message | Presence | Iq:
    """A generated stanza with ``leaf`` buried 0 to 6 levels deep in one payload."""
    stanza = draw(stanzas())
    carrier = _buried(draw(leaf), draw(st.lists(_LEVEL, max_size=6)))
    return _with_payload(stanza, carrier, draw(st.integers(0, 5)), draw(st.booleans()))


@given(stanza=flagged())
def test_is_evil_finds_the_flag_at_any_depth(schema: etree.XMLSchema,
                                             stanza: Message | Presence | Iq) -> None:
    assert is_evil(stanza)
    data = encode(stanza)
    document = tree(data)
    assert schema.validate(document), f"{data!r}: {schema.error_log}"
    assert is_evil(data)
    assert is_evil(data.decode())
    assert is_evil(document)
    again = decode(document)
    assert again == stanza
    assert is_evil(again)


@given(stanza=flagged(_DECOYS))
def test_decoys_at_any_depth_are_not_evil(stanza: Message | Presence | Iq) -> None:
    data = encode(stanza)
    assert not is_evil(stanza)
    assert not is_evil(data)
    assert not is_evil(tree(data))
    assert not is_evil(decode(tree(data)))


@given(stanza=stanzas())
def test_generated_stanzas_are_not_evil(stanza: Message | Presence | Iq) -> None:
    assert not is_evil(stanza)
    assert not is_evil(encode(stanza))


# -- the filter -------------------------------------------------------------------------------

_JULIET = JID.parse("juliet@capulet.example/balcony")
_IAGO = JID.parse("iago@shakespeare.example/pda")


def _evil_iq(kind: IqType) -> Iq:
    payload = XmlFragment(b"<query xmlns='jabber:iq:version'><name>x</name>"
                          b"<evil xmlns='http://jabber.org/protocol/evil'/></query>")
    error = StanzaError.of(Condition.BAD_REQUEST) if kind is IqType.ERROR else None
    return Iq(type=kind, id="q1", to=_JULIET, from_=_IAGO, extensions=(payload,), error=error)


@pytest.mark.parametrize("kind", [IqType.GET, IqType.SET])
def test_an_evil_request_is_answered_with_an_error(kind: IqType) -> None:
    request = _evil_iq(kind)
    verdict = filter_stanza(request)
    assert verdict.action is Action.REPLY
    assert not verdict.deliver
    assert "RFC 6120" in verdict.reason
    reply = verdict.reply
    assert reply is not None
    assert reply.type is IqType.ERROR
    assert reply.id == "q1"
    assert reply.to == _IAGO
    assert reply.from_ == _JULIET
    assert reply.error is not None
    assert reply.error.condition is Condition.POLICY_VIOLATION
    assert reply.error.type is ErrorType.MODIFY
    assert reply.error.text == DEFAULT_REFUSAL_TEXT
    # The request's payload is not echoed, so the answer carries no flag of its own.
    assert reply.payload is None
    assert not is_evil(reply)
    assert filter_stanza(reply).action is Action.DELIVER
    assert encode(reply) == (
        b'<iq xmlns="jabber:client" type="error" id="q1" to="iago@shakespeare.example/pda" '
        b'from="juliet@capulet.example/balcony"><error type="modify">'
        b'<policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>'
        b'<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">stanzas flagged as evil '
        b'(XEP-0076) are not processed here</text></error></iq>')


def test_the_error_can_be_chosen() -> None:
    verdict = filter_stanza(_evil_iq(IqType.GET), condition="not-acceptable", text=None)
    assert verdict.reply is not None and verdict.reply.error is not None
    assert verdict.reply.error.condition is Condition.NOT_ACCEPTABLE
    assert verdict.reply.error.text is None
    verdict = filter_stanza(_evil_iq(IqType.SET), condition=Condition.FORBIDDEN,
                            text="go away")
    assert verdict.reply is not None and verdict.reply.error is not None
    assert verdict.reply.error.condition is Condition.FORBIDDEN
    assert verdict.reply.error.type is ErrorType.AUTH
    assert verdict.reply.error.text == "go away"
    with pytest.raises(ValueError):
        filter_stanza(_evil_iq(IqType.GET), condition="evil-detected")


@pytest.mark.parametrize("kind", [IqType.RESULT, IqType.ERROR])
def test_an_evil_answer_is_dropped(kind: IqType) -> None:
    verdict = filter_stanza(_evil_iq(kind))
    assert verdict.action is Action.DROP
    assert verdict.reply is None
    assert "forbids answering" in verdict.reason


@pytest.mark.parametrize("stanza", [
    Message(to=_JULIET, from_=_IAGO, extensions=(Evil(),)),
    Message(type=MessageType.ERROR, extensions=(Evil(),),
            error=StanzaError.of(Condition.BAD_REQUEST)),
    Presence(from_=_IAGO, extensions=(Evil(),)),
    Presence(type=PresenceType.SUBSCRIBE, extensions=(XmlFragment(
        b"<x xmlns='urn:a'><evil xmlns='http://jabber.org/protocol/evil'/></x>"),)),
], ids=["message", "message-error", "presence", "presence-deep"])
def test_evil_messages_and_presences_are_dropped(stanza: Message | Presence) -> None:
    verdict = filter_stanza(stanza)
    assert verdict.action is Action.DROP
    assert verdict.reply is None
    assert type(stanza).__name__.lower() in verdict.reason


@pytest.mark.parametrize("stanza", [
    Message(extensions=(XmlFragment(b"<evil xmlns='urn:example:not-evil'/>"),)),
    Presence(),
    Iq(type=IqType.GET, id="d1", extensions=(InfoQuery(),)),
    Iq(type=IqType.RESULT, id="d1", extensions=(InfoQuery(features=(Feature(var=FEATURE),)),)),
], ids=["message", "presence", "iq-get", "iq-result-advertising-the-feature"])
def test_clean_stanzas_are_delivered(stanza: Message | Presence | Iq) -> None:
    verdict = filter_stanza(stanza)
    assert verdict == Verdict(Action.DELIVER, "the stanza carries no evil flag")
    assert verdict.deliver


@given(stanza=st.one_of(flagged(), stanzas()))
def test_the_filter_never_leaves_a_request_unanswered(stanza: Message | Presence | Iq) -> None:
    verdict = filter_stanza(stanza)
    if not is_evil(stanza):
        assert verdict.action is Action.DELIVER
    elif isinstance(stanza, Iq) and stanza.type in (IqType.GET, IqType.SET):
        assert verdict.action is Action.REPLY
        assert verdict.reply is not None
        assert verdict.reply.id == stanza.id
        assert verdict.reply.namespace == stanza.namespace
        assert not is_evil(verdict.reply)
    else:
        assert verdict.action is Action.DROP
        assert verdict.reply is None


def test_the_filter_takes_stanzas_only() -> None:
    with pytest.raises(TypeError, match="message, presence or iq"):
        filter_stanza(Evil())  # type: ignore[arg-type]


def test_verdicts_carry_a_reply_exactly_when_replying() -> None:
    with pytest.raises(ValueError, match="exactly when"):
        Verdict(Action.REPLY, "no reply")
    with pytest.raises(ValueError, match="exactly when"):
        Verdict(Action.DROP, "with a reply", reply=Iq(type=IqType.RESULT, id="x"))


# -- the sending side -------------------------------------------------------------------------


@given(stanza=st.one_of(messages(), presences()))
def test_mark_evil(schema: etree.XMLSchema, stanza: Message | Presence) -> None:
    marked = mark_evil(stanza)
    assert is_evil(marked)
    assert marked.extensions == (*stanza.extensions, Evil())
    assert mark_evil(marked) is marked
    document = tree(encode(marked))
    assert schema.validate(document), schema.error_log
    assert decode(document) == marked
    assert filter_stanza(marked).action is Action.DROP


@given(iq=iqs())
def test_mark_evil_refuses_an_iq(iq: Iq) -> None:
    with pytest.raises(TypeError, match="inside its one payload"):
        mark_evil(iq)  # type: ignore[type-var]


# -- the specification's examples -------------------------------------------------------------


def test_the_xep_examples(spec_stanzas: SpecStanzas) -> None:
    examples = spec_stanzas(76)
    assert len(examples) == 5
    verdicts = []
    for _, node in examples:
        stanza = parse(node)
        assert decode(tree(serialize(stanza))) == stanza
        verdicts.append((is_evil(stanza), is_evil(node), filter_stanza(stanza).action))
    assert verdicts == [
        (True, True, Action.DROP),      # an evil message
        (True, True, Action.DROP),      # evil presence
        (True, True, Action.DROP),      # an evil iq result, flag inside the payload
        (False, False, Action.DELIVER),  # the disco#info request
        (False, False, Action.DELIVER),  # the answer advertising the feature
    ]
    answer = parse(examples[4][1])
    assert isinstance(answer.payload, InfoQuery)
    assert answer.payload.features == (Feature(var=FEATURE),)
    assert NS_INFO in encode(answer).decode()
