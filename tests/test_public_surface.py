"""The surface other people's code calls (DESIGN.md): it must stay exactly as it is."""

from __future__ import annotations

import dataclasses

import pytest
from lxml import etree

import xepcodec
from xepcodec.core.stanzas import Iq
from xepcodec.protocols.ping import Ping

PING = b'<iq xmlns="jabber:client" type="get" id="s1"><ping xmlns="urn:xmpp:ping"/></iq>'


def test_parse_takes_bytes_text_and_elements() -> None:
    for data in (PING, PING.decode(), etree.fromstring(PING)):
        iq = xepcodec.parse(data)
        assert isinstance(iq, Iq) and isinstance(iq.payload, Ping)
        assert dataclasses.is_dataclass(iq)
        with pytest.raises(dataclasses.FrozenInstanceError):
            iq.id = "other"  # type: ignore[misc]


def test_parse_of_an_element_does_not_share_it() -> None:
    element = etree.fromstring(b'<message xmlns="jabber:client"><x xmlns="urn:x"/></message>')
    message = xepcodec.parse(element)
    element[0].set("changed", "yes")
    assert b"changed" not in xepcodec.serialize(message)


def test_serialize_gives_utf8_bytes_without_declaration() -> None:
    data = xepcodec.serialize(xepcodec.parse(PING))
    assert isinstance(data, bytes) and not data.startswith(b"<?xml")
    assert xepcodec.parse(data) == xepcodec.parse(PING)


def test_errors_share_one_root_and_carry_a_condition() -> None:
    assert issubclass(xepcodec.ParseError, xepcodec.XepCodecError)
    assert issubclass(xepcodec.ProtocolError, xepcodec.XepCodecError)
    with pytest.raises(xepcodec.ParseError) as caught:
        xepcodec.parse(b"<iq xmlns='jabber:client' type='get'/>")
    assert caught.value.condition == "bad-request"
    with pytest.raises(xepcodec.XepCodecError):
        xepcodec.parse(b"<not-closed")


def test_validate_reports_and_never_raises() -> None:
    report = xepcodec.validate(PING)
    assert isinstance(report, xepcodec.ValidationReport) and report.ok
    bad = xepcodec.validate(b"<<<")
    assert not bad.ok
    error = bad.errors[0]
    assert {"message", "path", "line", "namespace"} <= {
        f.name for f in dataclasses.fields(error)}


def test_stream_reader_is_sans_io() -> None:
    reader = xepcodec.StreamReader()
    events = reader.feed(b"<stream:stream xmlns='jabber:client' "
                         b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
    events += reader.feed(PING[:20])
    events += reader.feed(PING[20:] + b"</stream:stream>")
    kinds = [type(event).__name__ for event in events]
    assert kinds == ["StreamOpened", "StanzaReceived", "StreamClosed"]


@pytest.mark.parametrize(("number", "module"), [
    (4, "dataforms"), (30, "disco"), (50, "commands"), (59, "rsm"), (68, "dataforms"),
    (76, "evil"), (82, "datetime"), (115, "caps"), (128, "disco"), (199, "ping"),
    (136, "archive"), (189, "pubkey"), (239, "binary"), (241, "archive"),
    (267, "server_buddies"), (419, "security"), (464, "cookies"),
])
def test_protocol_modules_by_number(number: int, module: str) -> None:
    assert xepcodec.xep(number).__name__ == f"xepcodec.protocols.{module}"


def test_an_unknown_xep_number_is_a_clear_lookup_error() -> None:
    with pytest.raises(LookupError, match="XEP-9999") as caught:
        xepcodec.xep(9999)
    assert isinstance(caught.value, xepcodec.XepCodecError)


def test_the_surface_is_there_however_it_is_reached() -> None:
    names = set(xepcodec.__all__)
    assert names <= set(dir(xepcodec))
    space: dict[str, object] = {}
    exec("from xepcodec import *", space)  # the star import, as a user would write it
    assert names <= set(space)
    assert all(getattr(xepcodec, name) is space[name] for name in names)
    with pytest.raises(AttributeError):
        xepcodec.no_such_name  # type: ignore[attr-defined]  # noqa: B018
