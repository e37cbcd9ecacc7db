"""Where findings are placed, past libxml2's line limit too, and how reading goes on
after a malformed stanza (a log) or stops at it (a capture)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from xepcodec.cli import main
from xepcodec.validation.checking import CheckOptions, check_bytes
from xepcodec.validation.inputs import Problem, StanzaSplitter
from xepcodec.xml import Limits
from xepcodec.xml.paths import LINE_CAP, line_of

STREAM = (b"<stream:stream xmlns='jabber:client' "
          b"xmlns:stream='http://etherx.jabber.org/streams'>\n")
FILLER = b"<message><body>x</body></message>\n"  # one valid stanza, one line
MANY = 70_000  # lines before the finding: past libxml2's 65535
# A few stanzas, then blank lines up to line MANY (whitespace between stanzas is fine).
BEFORE = FILLER * 3 + b"\n" * (MANY - 3)
PINGS = (b"<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/>"
         b"<ping xmlns='urn:xmpp:ping'/></iq>\n")
TEXT_IN_PING = b"<iq type='get' id='2'>\n  <ping xmlns='urn:xmpp:ping'>x</ping></iq>\n"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def places(out: str, name: str) -> list[tuple[int, int, str]]:
    """(line, column, severity) of every finding in a text report."""
    return [(int(m[1]), int(m[2]), m[3]) for m in
            re.finditer(rf"^{re.escape(name)}:(\d+):(\d+): (error|warning):", out, re.M)]


def split(data: bytes, chunk: int = 1 << 16, **options: object) -> list[object]:
    splitter = StanzaSplitter(lambda element, place: (
        etree.QName(element).localname, element.get("id"),
        *place.locate(element)), **options)  # type: ignore[arg-type]
    results: list[object] = []
    for start in range(0, len(data), chunk):
        results += splitter.feed(data[start : start + chunk])
    return results + splitter.close()


# -- lines past 65535 ---------------------------------------------------------------------


def test_libxml2_lines_past_its_limit_are_not_trusted() -> None:
    root = etree.fromstring(b"<r>" + b"\n" * MANY + b"<a/><b/></r>")
    assert root[0].sourceline >= LINE_CAP  # what libxml2 says: its cap, or a guess
    assert line_of(root[0]) is None
    assert line_of(root) == 1


@pytest.mark.parametrize("head", [b"", STREAM], ids=["log", "capture"])
def test_findings_past_line_70000_are_placed_exactly(head: bytes, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(head + BEFORE + PINGS + TEXT_IN_PING + (
        b"</stream:stream>" if head else b""))
    first = MANY + 1 + (head != b"")
    status, out, _ = run(capsys, "validate", "--no-progress", str(path))
    assert status == 1
    # The model's error is about the iq; the schema's about the second ping, line after.
    assert places(out, str(path)) == [(first, 1, "error"), (first + 2, 3, "error")]
    assert "5 stanzas: 3 valid, 2 invalid" in out


def test_a_single_stanza_with_its_finding_past_line_70000(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "one.xml"
    # No text before the item: libxml2 has nothing to guess its line from.
    path.write_bytes(b"<iq type='result' id='1'>\n<query xmlns='http://jabber.org/protocol/"
                     b"disco#items'" + b"\n" * MANY + b"><item/></query></iq>")
    status, out, _ = run(capsys, "validate", "--no-progress", str(path))
    assert status == 1
    assert {place[:2] for place in places(out, str(path))} == {(MANY + 2, 2)}
    assert "/iq/query/item" in out


def test_a_broken_stanza_past_line_70000_is_placed_exactly() -> None:
    data = BEFORE + b"<message>\n<body>x</bodyy></message>\n<presence/>"
    result = check_bytes(data)
    (problem,) = result.findings
    assert (problem.line, problem.column) == (MANY + 2, 16)
    assert result.summary.stanzas == 4
    assert f"body line {MANY + 2} and bodyy" in problem.message  # libxml2's own count, mapped


# -- a log goes on after a malformed stanza ------------------------------------------------


LOG = (b"<message id='1'/>\n"
       b"<message id='2'><body>hi</message>\n"                 # an end tag is missing
       b"<message id='3'/><message id='4'><body>x</bodyy></message><message id='5'/>\n"
       b"<message id='6' to='a' to='b'><body>twice</body></message>\n"  # attribute twice
       b"<message id='7'><body>never closed</body>\n"          # its end tag never comes
       b"<message id='8'/>\n"
       b"between stanzas\n"                                     # text between stanzas
       b"<presence id='9'/>")


def test_a_log_goes_on_after_each_malformed_stanza() -> None:
    results = split(LOG)
    stanzas = [r[1] for r in results if not isinstance(r, Problem)]  # type: ignore[index]
    problems = [r for r in results if isinstance(r, Problem)]
    assert stanzas == ["1", "3", "5", "8", "9"]
    # (libxml2 places a syntax error just after the tag it could not take.)
    assert [(p.line, p.column) for p in problems] == [(2, 35), (3, 49), (4, 30), (5, 1),
                                                      (7, 1)]
    assert all(p.severity == "error" for p in problems)
    assert "text 'between stanzas'" in problems[-1].message
    # Stanzas read after a malformed one are placed in the input.
    assert ("presence", "9", 8, 1) in results


def _fed_in_pieces(splitter: StanzaSplitter, data: bytes, cuts: list[int]) -> list[object]:
    """What ``splitter`` gives for ``data`` fed in pieces of the ``cuts`` lengths."""
    results: list[object] = []
    position = 0
    for cut in cuts:
        results += splitter.feed(data[position : position + cut])
        position += cut
    return results + splitter.feed(data[position:]) + splitter.close()


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(1, 120), min_size=1, max_size=10))
def test_how_a_log_is_cut_into_chunks_changes_nothing(cuts: list[int]) -> None:
    expected = split(LOG)
    splitter = StanzaSplitter(lambda element, place: (element.get("id"),
                                                      *place.locate(element)))
    results = _fed_in_pieces(splitter, LOG, cuts)
    assert results == [r if isinstance(r, Problem) else r[1:]  # type: ignore[index]
                       for r in expected]


def test_stanzas_without_newlines_between_them() -> None:
    data = b"<message id='1'/><message id='2'><body>a</b></message><message id='3'/>"
    results = split(data)
    assert [r if isinstance(r, Problem) else r[1] for r in results][::2] == ["1", "3"]
    assert isinstance(results[1], Problem) and results[1].column == 45  # type: ignore[union-attr]


@pytest.mark.parametrize(("data", "ids"), [
    # A stray end tag right after an empty stanza: the stanza counts, the next one too.
    (b"<message id='1'/></message><message id='2'/>", ["1", "2"]),
    # Broken before expat could even see the first start tag: reported once, and
    # reading moves on rather than starting there again and again.
    (b"<message id='1' &foo;/>\n<presence id='2'/>", ["2"]),
])
def test_a_log_broken_between_or_before_its_stanzas(data: bytes, ids: list[str]) -> None:
    results = split(data)
    assert [r[1] for r in results if not isinstance(r, Problem)] == ids  # type: ignore[index]
    assert sum(isinstance(r, Problem) for r in results) == 1


def test_a_malformed_stanza_counts_and_the_rest_is_checked(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "log.xml"
    path.write_bytes(FILLER * 3 + b"<message><body>hi</message>\n" + FILLER * 2 + PINGS)
    status, out, _ = run(capsys, "validate", "--no-progress", str(path))
    assert status == 1
    assert places(out, str(path)) == [(4, 28, "error"), (7, 1, "error")]
    assert out.splitlines()[-1].startswith("1 file, 6 stanzas: 5 valid, 1 invalid; 2 errors")


# -- a capture stops at a broken stanza, having counted what came before -------------------


def test_a_capture_stops_at_a_broken_stanza_with_everything_before_counted() -> None:
    # Everything fits in one chunk: the stanzas before the broken one must still count.
    data = STREAM + FILLER * 500 + b"<message><body>hi</message>\n" + FILLER * 3
    results = split(data)
    assert len(results) == 501
    problem = results[-1]
    assert isinstance(problem, Problem) and (problem.line, problem.column) == (502, 28)
    # A comment between stanzas ends the stream too, not the stanza before it.
    results = split(STREAM + FILLER * 3 + b"<!-- x -->" + FILLER)
    assert len(results) == 4 and isinstance(results[-1], Problem)


@settings(max_examples=30, deadline=None)
@given(cuts=st.lists(st.integers(1, 200), min_size=1, max_size=8))
def test_a_broken_capture_is_counted_the_same_however_it_is_cut(cuts: list[int]) -> None:
    data = STREAM + FILLER * 20 + b"<iq type='get' id='x'><a/></b></iq>" + FILLER
    splitter = StanzaSplitter(lambda element, place: place.index)
    results = _fed_in_pieces(splitter, data, cuts)
    assert results[:-1] == list(range(1, 21))
    assert isinstance(results[-1], Problem) and results[-1].line == 22


# -- size limits ----------------------------------------------------------------------------


def test_a_stanza_over_the_size_limit_is_placed_and_the_log_goes_on() -> None:
    big = b"<message id='big'><body>" + b"x" * 5000 + b"</body></message>\n"
    results = split(b"<message id='1'/>\n" + big + b"<presence id='2'/>",
                    limits=Limits(max_size=2048))
    assert results[0][1] == "1" and results[2][1] == "2"  # type: ignore[index]
    problem = results[1]
    assert isinstance(problem, Problem)
    assert problem.condition == "policy-violation"
    assert (problem.line, problem.column) == (2, 1)


def test_max_stanza_size_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(b"<message><body>" + b"x" * 3000 + b"</body></message>\n<presence/>")
    assert run(capsys, "validate", "--no-progress", str(path))[0] == 0
    status, out, _ = run(capsys, "validate", "--no-progress", "--max-stanza-size", "1024",
                         str(path))
    assert status == 1
    assert re.search(rf"^{re.escape(str(path))}:1:1: error: a stanza has grown past the "
                     r"1024 bytes allowed .*\[policy-violation\]$", out, re.M)
    assert "2 files" not in out and "1 stanza: 1 valid" in out  # the presence was checked
    status, _, err = run(capsys, "validate", "--max-stanza-size", "0", str(path))
    assert status == 2 and "not a number of bytes" in err
    assert CheckOptions().max_stanza_size == Limits().max_size
