"""Tests for xepcodec.protocols.component (XEP-0114 Jabber Component Protocol).

The XML below is written for these tests; none of it is taken from the XEP.
"""

from __future__ import annotations

import hashlib

import pytest
from conformance.examples import load_examples, specs_dir
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from payloads import rejects, schema_accepts, typed

from xepcodec.api import StreamReader, parse, serialize
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.errors import ArgumentTypeError
from xepcodec.machines.component_session import Authenticated, ComponentSession
from xepcodec.protocols import xep
from xepcodec.protocols.component import (
    NS_ACCEPT,
    NS_CONNECT,
    Handshake,
    check_handshake,
    handshake_digest,
)

DIGEST = "9accec263ab84a43c6037ccf7cd48cb1d3f6df8e"


def test_registry() -> None:
    assert xep(114).NS_ACCEPT == "jabber:component:accept"
    assert NS_CONNECT == "jabber:component:connect"


def test_the_digest_of_the_published_vector() -> None:
    assert handshake_digest("sid", "123456") == DIGEST


def test_the_digest_is_sha1_of_the_id_then_the_secret_in_utf8() -> None:
    # Concatenation, not a keyed hash: moving a character across changes nothing.
    assert handshake_digest("3BF96D32", "s3cr3t") == handshake_digest("3BF96D32s3", "cr3t")
    assert handshake_digest("id", "pässwörd") == \
        hashlib.sha1("idpässwörd".encode()).hexdigest()


@given(stream_id=st.text(max_size=20), secret=st.text(max_size=20))
def test_the_digest_is_40_lower_case_hex_digits(stream_id: str, secret: str) -> None:
    digest = handshake_digest(stream_id, secret)
    assert len(digest) == 40
    assert set(digest) <= set("0123456789abcdef")
    assert check_handshake(Handshake(digest=digest), stream_id, secret)
    assert check_handshake(digest.upper(), stream_id, secret)
    assert not check_handshake(digest, stream_id, secret + "x")


def test_checking_accepts_either_case_and_refuses_the_rest() -> None:
    assert check_handshake(DIGEST, "sid", "123456")
    assert check_handshake(DIGEST.upper(), "sid", "123456")
    assert check_handshake(Handshake(digest=DIGEST.upper()), "sid", "123456")
    assert not check_handshake(DIGEST, "sid", "1234567")
    assert not check_handshake(DIGEST, "other", "123456")
    assert not check_handshake("", "sid", "123456")
    assert not check_handshake(Handshake(), "sid", "123456")
    assert not check_handshake("é" * 40, "sid", "123456")


@pytest.mark.parametrize("call", [
    lambda: handshake_digest(b"sid", "123456"),  # type: ignore[arg-type]
    lambda: handshake_digest("sid", None),  # type: ignore[arg-type]
    lambda: check_handshake(42, "sid", "123456"),  # type: ignore[arg-type]
])
def test_wrong_types_are_refused(call: object) -> None:
    with pytest.raises(ArgumentTypeError):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(("xml", "expected"), [
    (f"<handshake xmlns='{NS_ACCEPT}'>{DIGEST}</handshake>", Handshake(digest=DIGEST)),
    (f"<handshake xmlns='{NS_ACCEPT}'>{DIGEST.upper()}</handshake>",
     Handshake(digest=DIGEST.upper())),
    (f"<handshake xmlns='{NS_ACCEPT}'/>", Handshake()),
    (f"<handshake xmlns='{NS_CONNECT}'>{DIGEST}</handshake>",
     Handshake(namespace=NS_CONNECT, digest=DIGEST)),
    (f"<handshake xmlns='{NS_CONNECT}'/>", Handshake(namespace=NS_CONNECT)),
])
def test_reading(schema: etree.XMLSchema, xml: str, expected: Handshake) -> None:
    assert typed(xml) == expected
    assert schema_accepts(schema, xml)
    assert parse(serialize(expected)) == expected
    assert expected.is_acknowledgement == (expected.digest == "")


def test_writing() -> None:
    assert serialize(Handshake.of("sid", "123456")) == (
        b'<handshake xmlns="jabber:component:accept">' + DIGEST.encode() + b"</handshake>")
    assert serialize(Handshake()) == b'<handshake xmlns="jabber:component:accept"/>'
    assert serialize(Handshake(namespace=NS_CONNECT)) == \
        b'<handshake xmlns="jabber:component:connect"/>'


@pytest.mark.parametrize(("xml", "words"), [
    (f"<handshake xmlns='{NS_ACCEPT}'>{DIGEST[:-1]}</handshake>", ["pattern"]),
    (f"<handshake xmlns='{NS_ACCEPT}'>{DIGEST}0</handshake>", ["pattern"]),
    (f"<handshake xmlns='{NS_ACCEPT}'>{'g' * 40}</handshake>", ["pattern"]),
    (f"<handshake xmlns='{NS_ACCEPT}' id='1'/>", ["id"]),
])
def test_rejections(schema: etree.XMLSchema, xml: str, words: list[str]) -> None:
    rejects(xml, *words)
    assert not schema_accepts(schema, xml)


def test_connect_stanzas_are_stanzas() -> None:
    iq = parse(f"<iq xmlns='{NS_CONNECT}' type='get' id='c1' from='a.example' "
               "to='b.example'><ping xmlns='urn:xmpp:ping'/></iq>")
    assert isinstance(iq, Iq)
    assert iq.namespace == NS_CONNECT
    assert iq.type == IqType.GET
    assert parse(serialize(iq)) == iq
    assert serialize(iq).startswith(b'<iq xmlns="jabber:component:connect"')


# -- the XEP's own exchange -------------------------------------------------------------------


def _xep0114_examples() -> dict[int, str]:
    folder = specs_dir()
    if not (folder / "xep-0114.xml").is_file():
        pytest.skip(f"the specification sources are not beside the checkout ({folder})")
    return {example.number: example.text for example in load_examples(folder, (114,))}


def test_the_xeps_exchange_reads_as_a_stream_from_both_ends() -> None:
    # The examples are the two halves of one exchange: the component's header and
    # handshake, the server's header and empty handshake.
    examples = _xep0114_examples()
    from_component = StreamReader().feed((examples[1] + examples[3]).encode())
    assert [type(event).__name__ for event in from_component] == \
        ["StreamOpened", "StanzaReceived"]
    assert from_component[0].attributes["to"] == "plays.shakespeare.lit"  # type: ignore[union-attr]
    assert from_component[1].stanza == Handshake(  # type: ignore[union-attr]
        digest="aaee83c26aeeafcbabeabfcbcd50df997e0a2a1e")
    component = ComponentSession.connect("plays.shakespeare.lit", "secret")
    component.data_to_send()
    assert component.receive_data((examples[2] + examples[4]).encode()) == \
        [Authenticated("plays.shakespeare.lit", "3BF96D32")]
    assert component.data_to_send() == \
        f"<handshake>{handshake_digest('3BF96D32', 'secret')}</handshake>".encode()
