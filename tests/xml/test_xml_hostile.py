"""Hostile input: every case is refused with its exact condition, says what it found,
and is refused in bounded memory, by parse_xml and by the stream reader alike.

Memory is measured with tracemalloc, which sees Python's allocations but not
libxml2's; libxml2 is kept small by refusing DTDs before it sees them and by its own
limits (huge_tree is never on), and the flat-memory stream test checks the process
as a whole.  There are no timing assertions: machines are too noisy for them.
"""

from __future__ import annotations

import re
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

import xepcodec
from xepcodec.api import StreamReader
from xepcodec.errors import ParseError
from xepcodec.xml import XmlStreamReader, parse_xml, stream_header
from xepcodec.xml.reader import PARSER_OPTIONS

MB = 1024 * 1024
PEAK_BOUND = 50 * MB


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    condition: str
    says: str  # a regular expression the message must match (case-insensitive)
    in_stream: bool = True  # whether the same bytes, as a stanza, make sense in a stream

    def __str__(self) -> str:
        return self.name


def _billion_laughs() -> bytes:
    lines = [b'<!ENTITY lol0 "lol">']
    for i in range(1, 10):
        refs = b"".join(b"&lol%d;" % (i - 1) for _ in range(10))
        lines.append(b'<!ENTITY lol%d "%s">' % (i, refs))
    return b"<!DOCTYPE lolz [" + b"".join(lines) + b"]><lolz>&lol9;</lolz>"


def _quadratic_blowup() -> bytes:
    return (b'<!DOCTYPE r [<!ENTITY a "' + b"x" * 50_000 + b'">]><r>'
            + b"&a;" * 50_000 + b"</r>")


def _corpus() -> list[Case]:
    dtd = "restricted-xml", "DTD|document type"
    cases = [
        Case("billion laughs", _billion_laughs(), *dtd, in_stream=False),
        Case("quadratic blowup", _quadratic_blowup(), *dtd, in_stream=False),
        Case("external entity, file",
             b'<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>', *dtd,
             in_stream=False),
        Case("external entity, http",
             b'<!DOCTYPE r [<!ENTITY e SYSTEM "http://127.0.0.1:9/evil">]><r>&e;</r>', *dtd,
             in_stream=False),
        Case("parameter entity",
             b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><r/>', *dtd,
             in_stream=False),
        Case("external DTD", b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/r.dtd"><r/>', *dtd,
             in_stream=False),
        Case("public DTD", b'<!DOCTYPE r PUBLIC "-//X//Y" "file:///etc/passwd"><r/>', *dtd,
             in_stream=False),
        Case("DOCTYPE without subset", b"<!DOCTYPE r><r/>", *dtd, in_stream=False),
        Case("DOCTYPE inside an element", b"<r><!DOCTYPE r></r>", *dtd),
        Case("entity declaration outside a DTD", b"<r><!ENTITY a 'b'></r>", "restricted-xml",
             "entity declaration"),
        Case("undeclared entity", b"<r>&xxe;</r>", "restricted-xml", "entity"),
        Case("undeclared entity in an attribute", b"<r a='&xxe;'/>", "restricted-xml", "entity"),
        Case("HTML entity", b"<r>&nbsp;</r>", "restricted-xml", "entity"),
        Case("comment", b"<r><!-- hi --></r>", "restricted-xml", "comment"),
        Case("comment before the root", b"<!-- hi --><r/>", "restricted-xml", "comment",
             in_stream=False),
        Case("comment after the root", b"<r/><!-- hi -->", "restricted-xml", "comment",
             in_stream=False),
        Case("processing instruction", b"<r><?php system('id') ?></r>", "restricted-xml",
             "processing instruction"),
        Case("PI before the root", b"<?xml-stylesheet href='x'?><r/>", "restricted-xml",
             "processing instruction", in_stream=False),
        Case("deep nesting", b"<a>" * 100_000 + b"</a>" * 100_000, "policy-violation",
             "deep|depth"),
        Case("huge attribute", b"<r a='" + b"x" * (MB // 2) + b"'/>", "policy-violation",
             "attribute"),
        Case("many attributes", b"<r " + b" ".join(b"a%d='1'" % i for i in range(20_000))
             + b"/>", "policy-violation", "attributes"),
        Case("many children", b"<r>" + b"<c/>" * 20_000 + b"</r>", "policy-violation",
             "child"),
        Case("huge text", b"<r>" + b"x" * (MB // 2) + b"</r>", "policy-violation", "text"),
        Case("huge CDATA", b"<r><![CDATA[" + b"x" * (MB // 2) + b"]]></r>", "policy-violation",
             "text"),
        Case("huge name", b"<r" + b"x" * 100_000 + b"/>", "policy-violation", "name|limit"),
        Case("oversized document", b"<r>" + b"<c/>" * (5 * MB) + b"</r>", "policy-violation",
             "bytes"),
        Case("unterminated CDATA", b"<r><![CDATA[<!-- x", "not-well-formed", "CData|CDATA",
             in_stream=False),
        Case("']]>' in text", b"<r>]]></r>", "not-well-formed", "]]>|CDATA"),
        Case("CDATA hiding a comment in an attribute",
             b"<r a='<![CDATA['/><!-- x --> ]]>'", "not-well-formed", "<|attribute"),
        Case("mismatched tags", b"<r><a></r>", "not-well-formed", "mismatch"),
        Case("two roots", b"<r/><r/>", "not-well-formed", "extra content", in_stream=False),
        Case("XML 1.1", b"<?xml version='1.1'?><r/>", "not-well-formed", "version",
             in_stream=False),
    ]
    invalid_utf8 = {
        "lone continuation byte": b"\x80",
        "0xFF": b"\xff",
        "0xFE": b"\xfe",
        "truncated sequence": b"\xe2\x82",
        "overlong slash": b"\xc0\xaf",
        "overlong NUL": b"\xc0\x80",
        "overlong three bytes": b"\xe0\x80\xaf",
        "overlong four bytes": b"\xf0\x80\x80\xaf",
        "encoded surrogate": b"\xed\xa0\x80",
        "beyond U+10FFFF": b"\xf4\x90\x80\x80",
        "5-byte form": b"\xf8\x88\x80\x80\x80",
    }
    for name, bad in invalid_utf8.items():
        cases.append(Case(f"invalid UTF-8 in text: {name}", b"<r>a" + bad + b"b</r>",
                          "unsupported-encoding", "UTF-8"))
    cases += [
        Case("invalid UTF-8 in an attribute", b"<r a='\xff'/>", "unsupported-encoding", "UTF-8"),
        Case("invalid UTF-8 in CDATA", b"<r><![CDATA[\xc0\xaf]]></r>", "unsupported-encoding",
             "UTF-8"),
        Case("invalid UTF-8 in a name", b"<r\xff/>", "unsupported-encoding", "UTF-8"),
    ]
    forbidden = {
        "NUL": b"\x00", "U+0001": b"\x01", "U+0008": b"\x08", "U+000B": b"\x0b",
        "U+000C": b"\x0c", "U+001F": b"\x1f", "U+FFFE": "\ufffe".encode(),
        "U+FFFF": "\uffff".encode(),
    }
    for name, char in forbidden.items():
        cases.append(Case(f"raw {name} in text", b"<r>a" + char + b"</r>", "not-well-formed",
                          "char"))
        cases.append(Case(f"raw {name} in an attribute", b"<r a='" + char + b"'/>",
                          "not-well-formed", "char"))
    for reference in (b"&#0;", b"&#x0;", b"&#1;", b"&#x1;", b"&#x1F;", b"&#xB;", b"&#xD800;",
                      b"&#xDFFF;", b"&#xFFFE;", b"&#xFFFF;", b"&#x110000;",
                      b"&#99999999999;"):
        name = reference.decode()
        cases.append(Case(f"{name} in text", b"<r>" + reference + b"</r>", "not-well-formed",
                          "char"))
        cases.append(Case(f"{name} in an attribute", b"<r a='" + reference + b"'/>",
                          "not-well-formed", "char"))
    utf16_decl = "<?xml version='1.0' encoding='UTF-8'?><r/>"
    cases += [
        Case("UTF-16 BOM with a UTF-8 declaration", "\ufeff".encode("utf-16-le")
             + utf16_decl.encode("utf-16-le"), "unsupported-encoding", "UTF-16",
             in_stream=False),
        Case("UTF-16 BE BOM", "\ufeff<r/>".encode("utf-16-be"), "unsupported-encoding",
             "UTF-16", in_stream=False),
        Case("UTF-16 without BOM", "<r/>".encode("utf-16-le"), "unsupported-encoding",
             "UTF-16", in_stream=False),
        Case("UTF-16 BE without BOM", "<r/>".encode("utf-16-be"), "unsupported-encoding",
             "UTF-16", in_stream=False),
        Case("UTF-8 BOM with a UTF-16 declaration",
             b"\xef\xbb\xbf<?xml version='1.0' encoding='UTF-16'?><r/>",
             "unsupported-encoding", "UTF-16", in_stream=False),
        Case("UTF-32 LE", "\ufeff<r/>".encode("utf-32-le"), "unsupported-encoding", "UTF-32",
             in_stream=False),
        Case("UTF-32 BE", "\ufeff<r/>".encode("utf-32-be"), "unsupported-encoding", "UTF-32",
             in_stream=False),
        Case("UTF-32 without BOM", "<r/>".encode("utf-32-be"), "unsupported-encoding",
             "UTF-32", in_stream=False),
        Case("EBCDIC", "<?xml version='1.0' encoding='IBM037'?><r/>".encode("cp037"),
             "unsupported-encoding", "encoding", in_stream=False),
        Case("Latin-1 declaration", b"<?xml version='1.0' encoding='ISO-8859-1'?><r>\xe9</r>",
             "unsupported-encoding", "ISO-8859-1", in_stream=False),
    ]
    return cases


CORPUS = _corpus()


def _refused(call: object) -> tuple[ParseError, int]:
    tracemalloc.start()
    try:
        with pytest.raises(ParseError) as caught:
            call()  # type: ignore[operator]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return caught.value, peak


def _check(error: ParseError, case: Case) -> None:
    assert error.condition == case.condition, str(error)
    assert error.stream, "XML-level problems are stream errors"
    assert re.search(case.says, error.message, re.IGNORECASE), str(error)


@pytest.mark.parametrize("case", CORPUS, ids=str)
def test_parse_xml_refuses(case: Case) -> None:
    error, peak = _refused(lambda: parse_xml(case.data))
    _check(error, case)
    assert peak < PEAK_BOUND


STREAM_CASES = [case for case in CORPUS if case.in_stream]


@pytest.mark.parametrize("case", STREAM_CASES, ids=str)
def test_stream_reader_refuses(case: Case) -> None:
    data = stream_header() + b"<message>" + case.data + b"</message>"

    def feed() -> None:
        reader = XmlStreamReader(lambda element: element)
        for start in range(0, len(data), 65536):
            reader.feed(data[start : start + 65536])

    error, peak = _refused(feed)
    if case.name == "oversized document":  # the stream's limit is per stanza
        assert "stanza" in error.message
    else:
        _check(error, case)
    assert peak < PEAK_BOUND


@pytest.mark.parametrize("case", [case for case in STREAM_CASES if len(case.data) < 1000],
                         ids=str)
def test_stream_reader_refuses_byte_by_byte(case: Case) -> None:
    data = stream_header() + b"<message>" + case.data + b"</message>"
    reader = XmlStreamReader(lambda element: element)
    with pytest.raises(ParseError) as caught:
        for i in range(len(data)):
            reader.feed(data[i : i + 1])
    _check(caught.value, case)


def test_stream_refuses_prolog_markup() -> None:
    for prolog in (b"<!DOCTYPE stream:stream>", b"<!-- hi -->", b"<?pi?>",
                   b"<!DOCTYPE s [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>"):
        reader = XmlStreamReader(lambda element: element)
        with pytest.raises(ParseError) as caught:
            reader.feed(prolog + stream_header())
        assert caught.value.condition == "restricted-xml"


def test_nothing_is_fetched_even_past_the_guards(tmp_path: Path) -> None:
    # Defence in depth: hand the hostile documents straight to a parser made with
    # our options, skipping the scans that normally refuse them.  Nothing may be read.
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY e SYSTEM "{secret.as_uri()}">')
    documents = [
        f'<!DOCTYPE r [<!ENTITY e SYSTEM "{secret.as_uri()}">]><r>&e;</r>',
        f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{dtd.as_uri()}"> %p;]><r>&e;</r>',
        f'<!DOCTYPE r SYSTEM "{dtd.as_uri()}"><r>&e;</r>',
        f"<r xmlns:xi='http://www.w3.org/2001/XInclude'><xi:include href='{secret.as_uri()}' "
        "parse='text'/></r>",
    ]
    for document in documents:
        parser = etree.XMLParser(**PARSER_OPTIONS)
        try:
            root = etree.fromstring(document.encode(), parser)
        except etree.XMLSyntaxError:
            continue
        assert b"TOPSECRET" not in etree.tostring(root)
    for document in documents[:3]:
        with pytest.raises(ParseError):
            parse_xml(document)
    assert b"TOPSECRET" not in etree.tostring(parse_xml(documents[3]))


def test_billion_laughs_expansion_never_happens_even_past_the_guards() -> None:
    tracemalloc.start()
    try:
        parser = etree.XMLParser(**PARSER_OPTIONS)
        try:
            root = etree.fromstring(_billion_laughs(), parser)
            assert len(etree.tostring(root)) < 10_000
        except etree.XMLSyntaxError:
            pass
        assert tracemalloc.get_traced_memory()[1] < PEAK_BOUND
    finally:
        tracemalloc.stop()


def test_xinclude_stays_an_element() -> None:
    root = parse_xml(b"<r xmlns:xi='http://www.w3.org/2001/XInclude'>"
                     b"<xi:include href='file:///etc/passwd' parse='text'/></r>")
    assert [child.tag for child in root] == ["{http://www.w3.org/2001/XInclude}include"]
    assert "root:" not in etree.tostring(root).decode()


# -- well-formed, but hostile to the element model ---------------------------------------

#: Stanzas that nest an element in itself, where the model allows no such child: each
#: level is a fault, and a decoder that re-read the subtree at every level would do
#: 2**depth work (14 levels once took seconds).  The bound is on the decodes counted.
NESTED = [
    pytest.param(b"<iq xmlns='jabber:client' type='get' id='x'>" + b"<iq>" * depth
                 + b"</iq>" * depth + b"</iq>", id=f"iq in iq, {depth} deep")
    for depth in (14, 60)
] + [
    pytest.param(b"<message xmlns='jabber:client'><x xmlns='jabber:x:data' type='form'>"
                 + b"<field var='v'>" * 40 + b"</field>" * 40 + b"</x></message>",
                 id="field in field, 40 deep"),
]


@pytest.mark.parametrize("data", NESTED)
def test_self_nested_stanzas_are_refused_with_bounded_work(
        data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    from xepcodec.model.codec import Codec

    careful = Codec.explain
    calls = 0

    def counted(self: Codec, element: etree._Element) -> object:
        nonlocal calls
        calls += 1
        return careful(self, element)

    monkeypatch.setattr(Codec, "explain", counted)
    elements = data.count(b"<") - data.count(b"</")
    with pytest.raises(ParseError) as caught:
        xepcodec.parse(data)
    assert caught.value.condition == "bad-request"
    assert not xepcodec.validate(data).ok
    events = StreamReader().feed(stream_header() + data)
    assert [type(event).__name__ for event in events] == ["StreamOpened", "StanzaFailed"]
    assert calls <= 3 * elements  # parse, validate and the stream: a few passes each
