"""Tests for xepcodec.protocols.security (XEP-0419 Improving Baseline Security).

The properties below show what the XEP's mechanisms do: Double ROT-13 returns its
input unchanged (it protects nothing), and the namespace upgrade and downgrade undo each
other exactly.  The XML is written for these tests; the XEP's own examples are read
from the specification sources, when they are beside the checkout.
"""

from __future__ import annotations

import dataclasses
import string
from typing import Any, cast

import pytest
from conftest import SpecStanzas
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

import xepcodec.testing  # noqa: F401 - registers the protocol strategies
from xepcodec.api import parse, serialize
from xepcodec.core.namespaces import XML
from xepcodec.core.stanzas import Iq, IqType, Message, Presence
from xepcodec.errors import ParseError
from xepcodec.model import XmlFragment, decode, encode
from xepcodec.protocols import security
from xepcodec.protocols.commands import Command
from xepcodec.protocols.disco import InfoQuery, ItemsQuery
from xepcodec.protocols.evil import Evil
from xepcodec.protocols.ping import Ping
from xepcodec.protocols.security import (
    double_rot13,
    downgrade_namespace,
    downgrade_namespaces,
    rot13,
    undo_double_rot13,
    upgrade_namespace,
    upgrade_namespaces,
)
from xepcodec.testing.stanzas import stanzas
from xepcodec.testing.strategies import for_class, xml_text
from xepcodec.xml import Limits


def canonical(xml: bytes | str) -> str:
    data = xml.encode() if isinstance(xml, str) else xml
    return str(etree.canonicalize(etree.fromstring(data)))


def namespaces_in(xml: bytes) -> set[str]:
    """Every namespace name used or declared in a document."""
    found: set[str] = set()
    for node in etree.fromstring(xml).iter():
        found.update(uri for uri in node.nsmap.values() if uri)
        for name in (str(node.tag), *(str(key) for key in node.attrib)):
            if name.startswith("{"):
                found.add(name[1:].partition("}")[0])
    return found


# -- ROT-13 ------------------------------------------------------------------------------


def test_rot13_moves_letters_thirteen_places() -> None:
    assert rot13("Hello, World!") == "Uryyb, Jbeyq!"
    assert rot13(b"Hello, World!") == b"Uryyb, Jbeyq!"
    assert rot13(string.ascii_lowercase) == "nopqrstuvwxyzabcdefghijklm"
    assert rot13(string.ascii_uppercase) == "NOPQRSTUVWXYZABCDEFGHIJKLM"
    # Digits, punctuation, markup and non-ASCII letters are left alone.
    assert rot13("0123456789 <>&'\"/=:#") == "0123456789 <>&'\"/=:#"
    assert rot13("été Straße") == "égé Fgenßr"
    assert rot13("été".encode()) == "égé".encode()
    # Over bytes, only the 52 ASCII letters move.
    every = bytes(range(256))
    moved = {byte for byte, after in zip(every, rot13(every), strict=True) if byte != after}
    assert moved == set((string.ascii_letters).encode())


def test_rot13_applies_to_bytes_and_text_only() -> None:
    with pytest.raises(TypeError, match="not int"):
        rot13(13)  # type: ignore[type-var]
    with pytest.raises(TypeError, match="not bytearray"):
        double_rot13(bytearray(b"x"))  # type: ignore[type-var]


def test_double_rot13_really_runs_two_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bytes | str] = []
    single = security.rot13

    def counted(data: Any) -> Any:
        calls.append(data)
        return single(data)

    monkeypatch.setattr(security, "rot13", counted)
    assert double_rot13(b"<message/>") == b"<message/>"
    # The second pass works on the first pass's output.
    assert calls == [b"<message/>", b"<zrffntr/>"]
    calls.clear()
    assert undo_double_rot13("abc") == "abc"
    assert calls == ["abc", "nop"]


@given(data=st.binary())
def test_double_rot13_protects_no_bytes(data: bytes) -> None:
    assert double_rot13(data) == data
    assert undo_double_rot13(data) == data
    assert undo_double_rot13(double_rot13(data)) == data
    assert rot13(rot13(data)) == data
    # A single pass changes exactly the inputs that hold an ASCII letter.
    assert (rot13(data) != data) == any(chr(byte) in string.ascii_letters for byte in data)


@given(text=st.text())
def test_double_rot13_protects_no_text(text: str) -> None:
    assert double_rot13(text) == text
    assert undo_double_rot13(text) == text
    assert (rot13(text) != text) == any(char in string.ascii_letters for char in text)


@given(stanza=stanzas())
def test_a_double_rot13_encrypted_stanza_is_the_stanza(stanza: Message | Presence | Iq
                                                       ) -> None:
    wire = serialize(stanza)
    ciphertext = double_rot13(wire)
    # Anyone on the path reads everything: addresses, ids, payloads, the body.
    assert ciphertext == wire
    assert parse(ciphertext) == stanza
    if stanza.to is not None:
        assert str(stanza.to).encode() in ciphertext or b"&" in ciphertext
    text = double_rot13(wire.decode())
    assert text == wire.decode()


# -- one namespace name ----------------------------------------------------------------------


@pytest.mark.parametrize(("legacy", "upgraded"), [
    ("http://jabber.org/protocol/disco#info", "https://jabber.org/protocol/disco#info"),
    ("http:", "https:"),
    ("urn:xmpp:ping", "urn:xmpps:ping"),
    ("urn:xmpp:", "urn:xmpps:"),
    ("urn:xmpp:mam:2", "urn:xmpps:mam:2"),
])
def test_names_that_change(legacy: str, upgraded: str) -> None:
    assert upgrade_namespace(legacy) == upgraded
    assert downgrade_namespace(upgraded) == legacy


@pytest.mark.parametrize("name", [
    "jabber:client", "jabber:x:data", "urn:ietf:params:xml:ns:xmpp-stanzas",
    "urn:xmppx:other", "urn:xmpp", "HTTP://example.org/", "URN:XMPP:ping",
    "ftp://example.org/", "xmpp:romeo@montague.example", "", XML,
])
def test_names_that_do_not_change(name: str) -> None:
    assert upgrade_namespace(name) == name
    assert downgrade_namespace(name) == name


@pytest.mark.parametrize("name", ["https://example.org/", "urn:xmpps:ping"])
def test_an_upgraded_name_is_not_upgraded_again(name: str) -> None:
    with pytest.raises(ValueError, match="already in upgraded form"):
        upgrade_namespace(name)


@pytest.mark.parametrize("name", ["http://example.org/", "urn:xmpp:ping"])
def test_a_legacy_name_is_not_downgraded(name: str) -> None:
    with pytest.raises(ValueError, match="legacy form"):
        downgrade_namespace(name)


def test_nothing_downgrades_to_the_xml_namespace() -> None:
    with pytest.raises(ValueError, match="reserved XML namespace"):
        downgrade_namespace("https://www.w3.org/XML/1998/namespace")


# -- whole stanzas: concrete cases -------------------------------------------------------------

_LEGACY = (
    b"<iq xmlns='jabber:client' type='result' id='v1' xml:lang='en'>"
    b"<query xmlns='http://jabber.org/protocol/disco#info' xmlns:p='urn:xmpp:example:meta'>"
    b"<feature var='http://jabber.org/protocol/disco#info'/>"
    b"<p:tag p:level='2'>http://example.org/ stays text</p:tag>"
    b"<plain xmlns=''/>"
    b"</query></iq>"
)
_UPGRADED = (
    b'<iq xmlns="jabber:client" type="result" id="v1" xml:lang="en">'
    b'<query xmlns="https://jabber.org/protocol/disco#info" xmlns:p="urn:xmpps:example:meta">'
    b'<feature var="http://jabber.org/protocol/disco#info"/>'
    b'<p:tag p:level="2">http://example.org/ stays text</p:tag>'
    b'<plain xmlns=""/>'
    b'</query></iq>'
)


def test_upgrading_serialized_xml() -> None:
    upgraded = upgrade_namespaces(_LEGACY)
    # Names change; prefixes, attribute values, text and the XML namespace do not.
    assert upgraded == _UPGRADED
    assert canonical(downgrade_namespaces(upgraded)) == canonical(_LEGACY)
    as_text = upgrade_namespaces(_LEGACY.decode())
    assert isinstance(as_text, str)
    assert as_text == _UPGRADED.decode()
    assert canonical(downgrade_namespaces(as_text)) == canonical(_LEGACY)


def test_upgrading_a_typed_stanza() -> None:
    iq = Iq(type=IqType.GET, id="p1", extensions=(Ping(),))
    upgraded = upgrade_namespaces(iq)
    assert isinstance(upgraded, Iq)
    # No protocol declares urn:xmpps:ping, so the payload is kept as raw XML.
    assert isinstance(upgraded.payload, XmlFragment)
    assert upgraded.payload.tag == "{urn:xmpps:ping}ping"
    assert encode(upgraded) == (b'<iq xmlns="jabber:client" type="get" id="p1">'
                                b'<ping xmlns="urn:xmpps:ping"/></iq>')
    # Downgrading finds the typed class again.
    assert downgrade_namespaces(upgraded) == iq
    assert isinstance(downgrade_namespaces(upgraded).payload, Ping)


def test_upgrading_a_typed_payload() -> None:
    query = InfoQuery(node="n1")
    upgraded = upgrade_namespaces(query)
    assert isinstance(upgraded, XmlFragment)
    assert upgraded.tag == "{https://jabber.org/protocol/disco#info}query"
    assert downgrade_namespaces(upgraded) == query


def test_a_downgraded_payload_that_breaks_its_protocol() -> None:
    broken = XmlFragment(b"<ping xmlns='urn:xmpps:ping' seq='1'/>")
    with pytest.raises(ParseError) as caught:
        downgrade_namespaces(broken)
    assert caught.value.condition == "bad-request"
    assert "seq" in str(caught.value)


@pytest.mark.parametrize(("xml", "where"), [
    (b"<message xmlns='jabber:client'><x xmlns='https://example.org/'/></message>",
     "/message/x"),
    (b"<message xmlns='jabber:client'><x xmlns='urn:a' xmlns:q='urn:xmpps:q' q:y='1'/>"
     b"</message>", "/message/x/@y"),
])
def test_upgrading_refuses_an_already_upgraded_stanza(xml: bytes, where: str) -> None:
    with pytest.raises(ValueError, match="already in upgraded form") as caught:
        upgrade_namespaces(xml)
    assert where in str(caught.value)
    with pytest.raises(ValueError, match="already in upgraded form"):
        upgrade_namespaces(parse(xml))


def test_an_unused_declaration_counts_in_serialized_xml() -> None:
    xml = b"<message xmlns='jabber:client' xmlns:u='urn:xmpps:unused'><body>hi</body></message>"
    with pytest.raises(ValueError, match="declared at /message"):
        upgrade_namespaces(xml)
    # A typed stanza keeps no unused declaration, so there is nothing to refuse.
    assert upgrade_namespaces(parse(xml)) == parse(xml)


def test_downgrading_refuses_a_legacy_stanza() -> None:
    with pytest.raises(ValueError, match="legacy form") as caught:
        downgrade_namespaces(_LEGACY)
    assert "http://jabber.org/protocol/disco#info" in str(caught.value)
    with pytest.raises(ValueError, match="legacy form"):
        downgrade_namespaces(Iq(type=IqType.GET, id="p1", extensions=(Ping(),)))
    with pytest.raises(ValueError, match="reserved XML namespace"):
        downgrade_namespaces(b"<x xmlns:w='https://www.w3.org/XML/1998/namespace' w:a='1'/>")


def test_serialized_input_is_restricted_xml_within_limits() -> None:
    with pytest.raises(ParseError) as caught:
        upgrade_namespaces(b"<!DOCTYPE x><x/>")
    assert caught.value.condition == "restricted-xml"
    with pytest.raises(ParseError) as caught:
        upgrade_namespaces(b"<a><b><c/></b></a>", limits=Limits(max_depth=2))
    assert caught.value.condition == "policy-violation"
    with pytest.raises(TypeError, match="not an lxml element"):
        upgrade_namespaces(etree.fromstring(b"<x/>"))


# -- whole stanzas: the round-trip properties --------------------------------------------------

_NAMESPACES = st.sampled_from([
    "http://example.org/ns/a", "http://example.org/ns/b#x", "urn:xmpp:example:c",
    "urn:xmpp:example:d:1", "urn:example:unaffected", "jabber:x:example",
])


@st.composite
def _raw_payloads(draw: st.DrawFn) -> XmlFragment:
    """Raw XML in legacy and unaffected namespaces, with prefixed children and
    namespaced attributes."""
    top = draw(_NAMESPACES)
    other = draw(_NAMESPACES)
    declared: dict[str | None, str] = {None: top}
    if other != top:
        declared["p"] = other
    made = etree.Element(f"{{{top}}}{draw(st.sampled_from(['x', 'data', 'meta']))}",
                         nsmap=cast("dict[str, str]", declared))
    made.set(f"{{{other}}}attr", draw(xml_text(max_size=6)))
    made.set("plain", draw(st.sampled_from(["http://example.org/", "urn:xmpp:value", "v"])))
    for _ in range(draw(st.integers(0, 2))):
        child = etree.SubElement(made, f"{{{draw(_NAMESPACES)}}}item")
        child.text = draw(xml_text(max_size=6))
    return XmlFragment.from_element(made)


_PAYLOADS = st.one_of(
    _raw_payloads(), for_class(Ping), for_class(Evil), for_class(InfoQuery),
    for_class(ItemsQuery), for_class(Command),
)


@st.composite
def legacy_stanzas(draw: st.DrawFn) -> Message | Presence | Iq:
    """Generated stanzas whose payloads use http: and urn:xmpp: namespaces."""
    stanza = draw(stanzas())
    payloads = tuple(draw(st.lists(_PAYLOADS, min_size=1, max_size=3)))
    if isinstance(stanza, Iq):
        payloads = payloads[:1]
    return dataclasses.replace(stanza, extensions=payloads)


def _is_upgraded(name: str) -> bool:
    return not (name.startswith(("http:", "urn:xmpp:")) and name != XML)


@given(stanza=legacy_stanzas())
def test_typed_upgrade_round_trips(schema: etree.XMLSchema,
                                   stanza: Message | Presence | Iq) -> None:
    assert schema.validate(etree.fromstring(encode(stanza))), schema.error_log
    upgraded = upgrade_namespaces(stanza)
    assert type(upgraded) is type(stanza)
    assert all(_is_upgraded(name) for name in namespaces_in(encode(upgraded)))
    assert downgrade_namespaces(upgraded) == stanza
    # And the other way round, from the upgraded form.
    assert upgrade_namespaces(downgrade_namespaces(upgraded)) == upgraded


@given(stanza=legacy_stanzas())
def test_serialized_upgrade_round_trips_and_agrees_with_the_typed_one(
        stanza: Message | Presence | Iq) -> None:
    data = encode(stanza)
    upgraded = upgrade_namespaces(data)
    assert canonical(upgraded) == canonical(encode(upgrade_namespaces(stanza)))
    assert canonical(downgrade_namespaces(upgraded)) == canonical(data)
    assert canonical(upgrade_namespaces(downgrade_namespaces(upgraded))) == canonical(upgraded)
    text = data.decode()
    assert canonical(downgrade_namespaces(upgrade_namespaces(text))) == canonical(text)


@given(stanza=stanzas())
def test_stanzas_without_affected_namespaces_are_unchanged(stanza: Message | Presence | Iq
                                                           ) -> None:
    # The generated payloads are in urn:example: namespaces, the stanza in jabber:*.
    assert upgrade_namespaces(stanza) == stanza
    assert downgrade_namespaces(stanza) == stanza


# -- the specification's examples -------------------------------------------------------------


def test_the_xep_examples(spec_stanzas: SpecStanzas) -> None:
    examples = spec_stanzas(419)
    assert len(examples) == 4
    for _, node in examples:
        stanza = parse(node)
        assert isinstance(stanza, Message)
        assert stanza.body == "Hey, Lucas!"
        wire = serialize(stanza)
        # "Encrypted" and plain are the same, as the XEP's four identical examples show.
        assert double_rot13(wire) == wire
        assert b"Hey, Lucas!" in double_rot13(wire)
        # The metadata namespace is already in upgraded form: upgrading again is refused,
        # downgrading works and is undone exactly.
        with pytest.raises(ValueError, match="urn:xmpps:example:metadata"):
            upgrade_namespaces(stanza)
        downgraded = downgrade_namespaces(stanza)
        assert downgraded.extensions[0].tag == "{urn:xmpp:example:metadata}some-metadata"
        assert upgrade_namespaces(downgraded) == stanza
        assert decode(etree.fromstring(wire)) == stanza
