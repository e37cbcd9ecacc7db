"""What ``xepcodec validate`` reads: stanza files, logs, captures, directories, stdin."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from xepcodec.cli import main
from xepcodec.validation.checking import CheckOptions, StanzaOutcome, check_bytes
from xepcodec.validation.inputs import (
    InputError,
    Placement,
    Problem,
    StanzaSplitter,
    discover,
    resolve_path,
)
from xepcodec.xml.paths import path_of

STREAM = (b"<stream:stream xmlns='jabber:client' "
          b"xmlns:stream='http://etherx.jabber.org/streams' to='example.org'>")


def positions(element: etree._Element, place: Placement) -> list[tuple[str, int | None,
                                                                       int | None]]:
    """Every element of a stanza with where the splitter places it."""
    return [(path_of(node), *place.locate(node)) for node in element.iter(etree.Element)]


def split(data: bytes, *, chunk: int = 1 << 16, namespace: str = "jabber:client"
          ) -> tuple[list[object], str | None]:
    splitter = StanzaSplitter(positions, default_namespace=namespace)
    results: list[object] = []
    for start in range(0, len(data), chunk):
        results += splitter.feed(data[start : start + chunk])
    results += splitter.close()
    return results, splitter.mode


# -- the three shapes ---------------------------------------------------------------------


def test_a_stanza_file_with_declaration_and_bom() -> None:
    data = b"\xef\xbb\xbf<?xml version='1.0' encoding='UTF-8'?><message><body>hi</body></message>"
    results, mode = split(data)
    assert mode == "log"
    # The declaration takes 38 characters of line 1; the byte order mark none.
    assert results == [[("/message", 1, 39), ("/message/body", 1, 48)]]


def test_a_declaration_over_two_lines_keeps_lines_and_columns() -> None:
    data = b"<?xml version='1.0'\n encoding='utf-8'?>  <message/>\n<presence/>"
    results, _ = split(data)
    assert results == [[("/message", 2, 22)], [("/presence", 3, 1)]]


def test_a_stanza_log_places_every_element() -> None:
    data = (b"<message><body>one</body></message>  <iq type='get' id='1'>\n"
            b"   <ping xmlns='urn:xmpp:ping'/></iq>\n\n<presence/>")
    results, mode = split(data)
    assert mode == "log"
    assert results == [[("/message", 1, 1), ("/message/body", 1, 10)],
                       [("/iq", 1, 38), ("/iq/ping", 2, 4)],
                       [("/presence", 4, 1)]]


def test_a_capture_with_a_restart() -> None:
    data = (b"<?xml version='1.0'?>\n" + STREAM + b"\n<message/><success "
            b"xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" + STREAM +
            b"<iq type='get' id='1'>\n<ping xmlns='urn:xmpp:ping'/></iq>\n</stream:stream>")
    for chunk in (1, 7, 64, 1 << 16):
        results, mode = split(data, chunk=chunk)
        assert mode == "capture"
        restart_column = 11 + len(b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")
        assert results == [[("/message", 3, 1)], [("/success", 3, 11)],
                           [("/iq", 3, restart_column + len(STREAM)), ("/iq/ping", 4, 1)]], chunk


def test_the_default_namespace_is_the_client_one_unless_told() -> None:
    def tag(element: etree._Element, place: Placement) -> str:
        return str(element.tag)

    splitter = StanzaSplitter(tag)
    assert splitter.feed(b"<message/>") + splitter.close() == ["{jabber:client}message"]
    splitter = StanzaSplitter(tag, default_namespace="jabber:server")
    assert splitter.feed(b"<message/><x xmlns='urn:a'/>") + splitter.close() == [
        "{jabber:server}message", "{urn:a}x"]
    with pytest.raises(ValueError, match="unusable default namespace"):
        StanzaSplitter(tag, default_namespace="a'b")


@pytest.mark.parametrize(("data", "message", "line", "column", "before", "after"), [
    (b"<message><body>hi</body></message>\n<message><body>cut",
     "the input ends inside <message> (the stanza that starts on line 2 is incomplete)", 2, 1,
     1, 0),
    (b"<message/>\n<messa", "the input ends with incomplete XML: ", 2, 7, 1, 0),
    (b"<message/>\nsome words", "text 'some words' directly inside the stream", 2, 1, 1, 0),
    (b"<message><body>x</bodyy></message><message/>",
     "not well-formed XML: Opening and ending tag mismatch: body line 1 and bodyy", 1, 25,
     0, 1),
    (b"<message/><!-- note --><message/>", "comment found; XMPP forbids comments", 1, None,
     1, 1),
    (b"<?xml version='1.0' encoding='latin-1'?><message/>",
     "the XML declaration names the encoding 'latin-1'", 1, None, 0, 0),
])
def test_where_the_xml_breaks_it_is_reported_and_a_log_goes_on(
        data: bytes, message: str, line: int | None, column: int | None, before: int,
        after: int) -> None:
    results, _ = split(data)
    (problem,) = [r for r in results if isinstance(r, Problem)]
    assert problem.severity == "error"
    assert problem.message.startswith(message)
    assert problem.line == line
    assert problem.column == column
    # What came before is kept; in a log, reading goes on after the stanza.
    assert results.index(problem) == before
    assert len(results) == before + 1 + after


def test_a_capture_without_its_close_is_a_warning() -> None:
    results, _ = split(STREAM + b"<message/>")
    assert results[0] == [("/message", 1, len(STREAM) + 1)]
    # Placed where the input ends.
    assert results[1] == Problem("warning", "the stream is not closed (no </stream:stream>); "
                                 "the capture may have been cut short", 1,
                                 len(STREAM) + len(b"<message/>") + 1)


def test_nothing_after_the_end_of_the_stream() -> None:
    results, _ = split(STREAM + b"</stream:stream><message/>")
    assert isinstance(results[-1], Problem)
    assert "after the end of the stream" in results[-1].message


@pytest.mark.parametrize(("data", "problem"), [
    (b"", "is empty"),
    (b"\xef\xbb\xbf  \n", "is empty"),
    (b"<?xml version='1.0'?>", "holds no XML element"),
    (b"plain text", "does not hold XML (it starts with 'plain text')"),
    (b"\x00\x01\x02", "is a binary file"),
    (b"\xfe\xff\x00<\x00a", "is a binary file (it looks like UTF-16 or UTF-32 text"),
])
def test_what_is_not_xml_at_all(data: bytes, problem: str) -> None:
    splitter = StanzaSplitter(positions, name="in.xml")
    with pytest.raises(InputError) as raised:
        splitter.feed(data)
        splitter.close()
    assert str(raised.value).startswith(f"in.xml: {problem}")


def test_a_long_first_tag_split_anywhere_is_judged_the_same() -> None:
    data = b"<message " + b"a='1' " * 400 + b"/>"
    results, _ = split(data, chunk=3)
    assert len(results) == 1  # judged as a log, then refused or read: never mistaken


@settings(max_examples=60)
@given(cuts=st.lists(st.integers(1, 400), min_size=1, max_size=12))
def test_how_the_bytes_are_split_changes_nothing(cuts: list[int]) -> None:
    data = (b"<?xml version='1.0'?>\n" + STREAM + b"\n<message id='a'><body>\xc3\xa9t\xc3\xa9"
            b"</body></message><presence><show>bad</show></presence>\n"
            b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
            + STREAM + b"\n  <iq type='get' id='b'><ping xmlns='urn:xmpp:ping'/></iq>"
            b"</stream:stream>")
    expected, _ = split(data)
    # The restart after <success/> is taken: the iq of the new stream is reached.
    assert any(isinstance(found, list) and found[0][0] == "/iq" for found in expected)
    splitter = StanzaSplitter(positions)
    results: list[object] = []
    position = 0
    for cut in cuts:
        results += splitter.feed(data[position : position + cut])
        position += cut
    results += splitter.feed(data[position:])
    results += splitter.close()
    assert results == expected


def test_resolve_path_follows_error_paths() -> None:
    root = etree.fromstring(b"<iq><query><item/><item><x/></item></query></iq>")
    assert resolve_path(root, "/iq") is root
    assert resolve_path(root, "/iq/query/item[2]/x") is root[0][1][0]
    assert resolve_path(root, "/iq/query/item[2]/@jid") is root[0][1]
    assert resolve_path(root, "/iq/query/text()") is root[0]
    for bad in (None, "", "iq", "/message", "/iq/query/item[3]", "/iq/…/x", "/iq/nothing"):
        assert resolve_path(root, bad) is None


# -- checking whole inputs ----------------------------------------------------------------


def test_stream_features_are_the_captures_own() -> None:
    data = (STREAM + b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
            b"<csi xmlns='urn:xmpp:csi:0'/></stream:features><message/></stream:stream>")
    result = check_bytes(data)
    assert result.ok and result.summary.kind == "capture"
    assert [s.name for s in result.stanzas] == ["features", "message"]
    # Only what the features carry is unknown (STARTTLS has a schema, CSI has none).
    assert [w.namespace for w in result.stanzas[0].warnings] == ["urn:xmpp:csi:0"]
    strict = check_bytes(data, CheckOptions(strict=True))
    assert not strict.ok


def test_a_stream_error_is_checked_by_the_model() -> None:
    bad = (STREAM + b"<stream:error><no-such-condition "
           b"xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>")
    result = check_bytes(bad)
    assert not result.ok
    assert result.stanzas[0].errors[0].stanza == 1


def test_unknown_namespaces_are_warned_about_once_per_input() -> None:
    data = b"<message><x xmlns='urn:a'/></message>" * 3 + b"<message><y xmlns='urn:b'/></message>"
    result = check_bytes(data)
    assert result.ok
    assert [[w.namespace for w in s.warnings] for s in result.stanzas] == [
        ["urn:a"], [], [], ["urn:b"]]
    assert result.summary.warnings == 2
    strict = check_bytes(data, CheckOptions(strict=True))
    assert strict.summary.invalid == 4 and strict.summary.errors == 4


def test_a_fault_inside_an_unknown_payload_stays_a_warning_once_its_namespace_was_warned() -> None:
    # The later stanzas are not told about urn:a again, yet what lies inside its elements
    # is still inside a payload parse keeps raw: a warning, not an error.
    inside = b"<message><x xmlns='urn:a'><x xmlns='jabber:x:data' type='bogus'/></x></message>"
    result = check_bytes(b"<message><x xmlns='urn:a'/></message>\n" + inside)
    assert result.ok
    assert [[w.path for w in s.warnings] for s in result.stanzas] == [
        ["/message/x"], ["/message/x/x"]]
    assert result.stanzas[1].warnings[0].namespace == "jabber:x:data"
    strict = check_bytes(b"<message><x xmlns='urn:a'/></message>\n" + inside,
                         CheckOptions(strict=True))
    assert [[e.path for e in s.errors] for s in strict.stanzas] == [
        ["/message/x"], ["/message/x", "/message/x/x"]]


def test_an_outcome_names_its_stanza() -> None:
    result = check_bytes(b"<message/>\n  <iq type='get' id='x7'><ping xmlns='urn:xmpp:ping'/></iq>")
    second = result.stanzas[1]
    assert isinstance(second, StanzaOutcome)
    assert (second.index, second.name, second.id, second.line, second.column) == (
        2, "iq", "x7", 2, 3)
    assert result.summary.kind == "log"


# -- finding the files ----------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in ("a.xml", "b/c.xml", "b/d/e.xml", "b/notes.txt", "b/skip/f.xml", ".git/g.xml",
                 "h.XML", "b/i.stanza"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"<message/>")
    return tmp_path


def names(sources: list[object], root: Path) -> list[str]:
    return [Path(s.name).relative_to(root).as_posix() for s in sources]  # type: ignore[attr-defined]


def test_directories_are_walked_in_order_hidden_folders_skipped(tree: Path) -> None:
    sources, errors = discover([str(tree)])
    assert errors == []
    assert names(sources, tree) == ["a.xml", "b/c.xml", "b/d/e.xml", "b/skip/f.xml"]
    assert all(s.size == len(b"<message/>") for s in sources)


def test_include_and_exclude_globs(tree: Path) -> None:
    sources, _ = discover([str(tree)], include=["*.xml", "*.stanza"], exclude=["skip", "b/d"])
    assert names(sources, tree) == ["a.xml", "b/c.xml", "b/i.stanza"]
    sources, _ = discover([str(tree)], exclude=["*/d/*", "f.xml"])
    assert names(sources, tree) == ["a.xml", "b/c.xml"]
    sources, _ = discover([str(tree)], exclude=["b/*.xml"])  # "*" crosses folders
    assert names(sources, tree) == ["a.xml"]


def test_a_named_file_is_taken_whatever_its_name_and_once(tree: Path) -> None:
    notes = str(tree / "b" / "notes.txt")
    sources, errors = discover([notes, str(tree / "b"), str(tree / "b" / "c.xml"), "-", "-"])
    assert errors == []
    assert [s.name for s in sources][:2] == [notes, str(tree / "b" / "c.xml")]
    assert [s.is_stdin for s in sources].count(True) == 1


def test_standard_input_in_order_with_files(tree: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"<iq type='get' id='s'/>"))
    monkeypatch.setattr(sys, "stdin", stdin)
    status = main(["validate", str(tree / "a.xml"), "-"])
    out = capsys.readouterr().out
    assert status == 1
    assert out.startswith("<stdin>:1:1: error: an iq of type 'get' must carry exactly one")


def test_the_default_namespace_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "server.xml"
    path.write_bytes(b"<message from='a@example.org' to='b@example.net'><body>x</body></message>")
    assert main(["validate", "--strict", str(path)]) == 0
    assert main(["validate", "--strict", "--default-namespace", "urn:nothing", str(path)]) == 1
    assert "urn:nothing" in capsys.readouterr().out
