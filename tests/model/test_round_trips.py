"""Reading and writing reach a fixed point after one round, whatever the spelling.

Raw payloads (elements no protocol declares) are written from their XML information
alone: default namespace declarations, prefixes only for namespaced attributes.  So
the same stanza read alone or from a stream, in a ``jabber:client`` or ``jabber:server``
stream, is written the same, and writing what was written changes nothing.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import xepcodec
from xepcodec.api import StreamReader
from xepcodec.model import XmlFragment
from xepcodec.xml import stream_header

STANZA_NAMESPACES = ("jabber:client", "jabber:server", "jabber:component:accept")


def _round(data: str | bytes) -> bytes:
    return xepcodec.serialize(xepcodec.parse(data))


def _read_from_stream(data: bytes, namespace: str) -> bytes:
    events = StreamReader().feed(stream_header(namespace=namespace, namespaces={
        "db": "jabber:server:dialback", "x": "urn:example:stream-level"}) + data)
    stanza = events[-1].stanza  # type: ignore[union-attr]
    return xepcodec.serialize(stanza)


def test_a_prefixed_stanza_with_a_prefixed_payload_is_a_fixed_point() -> None:
    data = "<p:iq xmlns:p='jabber:client' type='get' id='6'><q:a xmlns:q='urn:x'/></p:iq>"
    once = _round(data)
    assert once == b'<iq xmlns="jabber:client" type="get" id="6"><a xmlns="urn:x"/></iq>'
    assert _round(once) == once


def test_declarations_from_around_a_payload_are_not_carried_into_it() -> None:
    data = ("<message xmlns='jabber:client' xmlns:u='urn:unused'>"
            "<f:x xmlns:f='urn:f' xmlns:k='urn:k' k:a='1'><inner/><f:deep/></f:x></message>")
    once = _round(data)
    assert b"urn:unused" not in once
    assert (b'<x xmlns="urn:f" xmlns:a0="urn:k" a0:a="1"><inner xmlns="jabber:client"/>'
            b'<deep/></x>') in once
    assert _round(once) == once


def test_a_payload_read_from_a_stream_is_written_as_when_read_alone() -> None:
    # <inner/> is in the stanza's namespace by inheritance; the stream reader detaches
    # the stanza, after which lxml spells that namespace with a made-up prefix.
    body = b"<message><f:x xmlns:f='urn:f'><inner/><db:result/></f:x></message>"
    alone = _round(b"<message xmlns='jabber:client' xmlns:db='jabber:server:dialback'>"
                   + body[len(b"<message>"):])
    assert _read_from_stream(body, "jabber:client") == alone
    assert b"ns0" not in alone
    assert b'<result xmlns="jabber:server:dialback"/>' in alone


def test_an_element_in_no_namespace_undeclares_the_default() -> None:
    once = _round("<message xmlns='jabber:client'><p xmlns='urn:p'><bare xmlns=''><c/></bare>"
                  "</p></message>")
    assert once == (b'<message xmlns="jabber:client"><p xmlns="urn:p"><bare xmlns=""><c/>'
                    b'</bare></p></message>')
    assert _round(once) == once


def test_a_fragment_alone_is_written_with_what_it_needs() -> None:
    fragment = xepcodec.parse(b"<iq xmlns='jabber:client' xmlns:s='urn:s' type='get' id='1'>"
                              b"<s:a><b/></s:a></iq>").payload
    assert isinstance(fragment, XmlFragment)
    assert fragment.xml == b'<a xmlns="urn:s"><b xmlns="jabber:client"/></a>'
    assert XmlFragment(fragment.xml) == fragment


# -- the property ------------------------------------------------------------------------

_PREFIXES = st.sampled_from(["a", "b", "ns0", "p", "q", "x", "db"])
_FOREIGN = st.sampled_from(["urn:example:one", "urn:example:two", "urn:x:three"])
_NAMES = st.sampled_from(["item", "data", "v", "query", "x"])
_TEXT = st.sampled_from(["", "hi", " a & b ", "<tag>", "x\ny"])


@st.composite
def _payload(draw: st.DrawFn, depth: int = 0) -> str:
    """One element in a foreign namespace, spelled with a prefix or as the default, with
    children that may inherit its namespace, the stanza's, or none at all."""
    namespace = draw(_FOREIGN)
    name = draw(_NAMES)
    declarations = ""
    if draw(st.booleans()):
        prefix = draw(_PREFIXES)
        tag = f"{prefix}:{name}"
        declarations += f" xmlns:{prefix}='{namespace}'"
    else:
        tag = name
        declarations += f" xmlns='{namespace}'"
    if draw(st.booleans()):
        declarations += f" xmlns:{draw(_PREFIXES)}u='urn:unused:{draw(st.integers(0, 2))}'"
    attributes = ""
    if draw(st.booleans()):
        attributes += f" k='{draw(st.sampled_from(['1', 'a b', '&amp;']))}'"
    if draw(st.booleans()):
        attributes += " xml:lang='en'"
    if draw(st.booleans()):
        declarations += " xmlns:at='urn:example:attributes'"
        attributes += " at:z='2'"
    children = ""
    if depth < 2:
        for _ in range(draw(st.integers(0, 2))):
            kind = draw(st.sampled_from(["payload", "inherit", "plain", "undeclared"]))
            if kind == "payload":
                children += draw(_payload(depth + 1))
            elif kind == "inherit":  # the namespace in scope, whichever it is
                children += f"<c>{draw(_TEXT).replace('&', '&amp;').replace('<', '&lt;')}</c>"
            elif kind == "plain":
                children += "<n xmlns=''/>"
            else:
                children += f"<{tag.partition(':')[0]}:leaf/>" if ":" in tag else "<leaf/>"
    text = draw(_TEXT).replace("&", "&amp;").replace("<", "&lt;")
    return f"<{tag}{declarations}{attributes}>{text}{children}</{tag}>"


@st.composite
def _stanza(draw: st.DrawFn) -> tuple[str, str]:
    """A stanza with one raw payload, and the namespace it is in."""
    namespace = draw(st.sampled_from(STANZA_NAMESPACES))
    kind, attributes = draw(st.sampled_from([
        ("message", ""), ("presence", ""), ("iq", " type='get' id='q1'"),
    ]))
    declarations = ""
    if draw(st.booleans()):
        prefix = draw(st.sampled_from(["p", "c", "ns0"]))
        tag = f"{prefix}:{kind}"
        # No default namespace inside, here or in a stream (whose default it would be).
        declarations += f" xmlns:{prefix}='{namespace}' xmlns=''"
    else:
        tag = kind
        declarations += f" xmlns='{namespace}'"
    if draw(st.booleans()):
        declarations += " xmlns:unused='urn:example:unused'"
    return f"<{tag}{declarations}{attributes}>{draw(_payload())}</{tag}>", namespace


@given(_stanza())
def test_one_round_reaches_a_fixed_point_and_every_way_in_writes_the_same(
        case: tuple[str, str]) -> None:
    data, _ = case
    parsed = xepcodec.parse(data)
    once = xepcodec.serialize(parsed)
    again = xepcodec.parse(once)
    assert again == parsed
    assert xepcodec.serialize(again) == once
    for stream_namespace in ("jabber:client", "jabber:server"):
        assert _read_from_stream(data.encode(), stream_namespace) == once, stream_namespace
