"""``validate --jobs N`` on one big stanza log: cut in pieces checked side by side, with
the report of a check in one go, byte for byte; and memory that does not grow with
the log."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest

import xepcodec.cli
from xepcodec.cli import main
from xepcodec.validation.checking import Checker
from xepcodec.validation.inputs import Source
from xepcodec.validation.pieces import check_piece, cut, stream_name

ROOT = Path(__file__).resolve().parents[2]
CHAT = ("<message type='chat' id='m{n}' to='romeo@montague.example'><body>line {n}</body>"
        "<store xmlns='urn:xmpp:hints'/></message>")  # a namespace without a schema
BAD_JID = "<message type='chat' id='b{n}' to='a@@b'><body>x</body></message>"
BAD_SHOW = "<presence id='p{n}'><show>sideways</show></presence>"
TWO_ON_A_LINE = ("<presence id='q{n}'/><iq type='get' id='i{n}'>"
                 "<ping xmlns='urn:xmpp:ping'/></iq>")
# A stanza whose lines start with "<": where a cut may fall inside a stanza.
PRETTY = "<message id='c{n}' to='juliet@capulet.example'>\n<body>pretty {n}</body>\n</message>"
CDATA = "<message id='d{n}'><body><![CDATA[quoted\n<b>not a tag</b>\n]]></body></message>"


def log(*kinds: str, count: int = 60) -> bytes:
    lines = [kinds[n % len(kinds)].format(n=n) for n in range(count)]
    return ("\n".join(lines) + "\n").encode()


def reports(tmp_path: Path, data: bytes, format_: str,
            capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """The report of ``--jobs 1`` and of ``--jobs 2`` on ``data``, as one log."""
    path = tmp_path / "big.xml"
    path.write_bytes(data)
    outputs = []
    for jobs in ("1", "2"):
        status = main(["validate", "--no-progress", "-f", format_, "-j", jobs, str(path)])
        out = capsys.readouterr().out
        outputs.append(f"{status}\n{out}")
    untimed = re.compile(r' (?:time|timestamp)="[^"]*"')
    one, two = (untimed.sub("", output) for output in outputs)
    return one, two


@pytest.fixture
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xepcodec.cli, "PIECE_SIZE", 400)


@pytest.mark.parametrize("format_", ["text", "json", "junit", "github"])
def test_pieces_give_the_report_of_one_check(tmp_path: Path, format_: str, small_pieces: None,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    data = log(CHAT, BAD_JID, CHAT, TWO_ON_A_LINE, BAD_SHOW, CHAT)
    one, two = reports(tmp_path, data, format_, capsys)
    assert one == two
    # Errors of both kinds, numbered stanzas, and the unknown namespace said once.
    assert one.startswith("1\n")
    assert "jid-malformed" in one and "/presence/show" in one
    assert one.count("no schema is known for the namespace") == 1
    if format_ == "json":
        assert '"stanzas": 70' in one  # ten lines hold two stanzas


@pytest.mark.parametrize("kinds", [(PRETTY,), (CDATA, BAD_SHOW)],
                         ids=["children-at-line-starts", "cdata-over-lines"])
def test_a_cut_inside_a_stanza_changes_nothing(tmp_path: Path, kinds: tuple[str, ...],
                                               small_pieces: None,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    data = log(*kinds)
    one, two = reports(tmp_path, data, "json", capsys)
    assert one == two
    # Some cut did fall inside a stanza (else this tests nothing).
    path = tmp_path / "big.xml"
    pieces = list(cut(Source("big.xml", path, len(data)), 400))
    assert any(data[piece.start : piece.start + 3] in (b"<bo", b"<b>") for piece in pieces)
    assert not all(check_piece(Checker(), Source("big.xml", path, len(data)), piece,
                               capture=False, keep_clean=False).clean for piece in pieces)
    assert '"stanzas": 60' in one and "/message/body" not in one


def test_broken_xml_in_a_piece_is_reported_as_in_one_check(
        tmp_path: Path, small_pieces: None, capsys: pytest.CaptureFixture[str]) -> None:
    data = log(CHAT, BAD_JID, CHAT, count=30) + b"<message><body>never closed</message>\n" + log(
        CHAT, BAD_SHOW, count=30)
    one, two = reports(tmp_path, data, "text", capsys)
    assert one == two
    assert ":31:38: error: not well-formed XML" in one  # then the log goes on
    assert "/presence/show" in one


HEADER = (b"<stream:stream xmlns='jabber:client' "
          b"xmlns:stream='http://etherx.jabber.org/streams' to='example.org'>\n")


@pytest.mark.parametrize("format_", ["text", "json"])
def test_a_capture_in_pieces_is_read_inside_its_stream_header(
        tmp_path: Path, format_: str, small_pieces: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    # A restart half-way (after SASL success), with a header on two lines: the pieces
    # after it are read inside the new one.
    data = (HEADER + log(CHAT, BAD_JID, TWO_ON_A_LINE, count=30)
            + b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>\n"
            + HEADER.replace(b" to=", b"\n  to=") + log(CHAT, BAD_SHOW, count=30)
            + b"</stream:stream>\n")
    assert stream_name(data[:1024]) == b"stream:stream"
    path = tmp_path / "capture.xml"
    path.write_bytes(data)
    header_at = data.rindex(b"<stream:stream")
    pieces = list(cut(Source("capture.xml", path, len(data)), 400, b"stream:stream"))
    assert any(piece.header_at == header_at for piece in pieces)
    assert all(data[piece.start : piece.start + 8] != b"<stream:" for piece in pieces[1:])
    # Each piece reads cleanly on its own: none falls back to reading in one go.
    checker = Checker()
    source = Source("capture.xml", path, len(data))
    assert all(check_piece(checker, source, piece, capture=True, keep_clean=False).clean
               for piece in pieces)
    one, two = reports(tmp_path, data, format_, capsys)
    assert one == two
    assert "jid-malformed" in one and "/presence/show" in one
    if format_ == "json":
        assert '"kind": "capture"' in one and '"stanzas": 71' in one


def test_a_capture_left_open_is_reported_as_in_one_check(
        tmp_path: Path, small_pieces: None, capsys: pytest.CaptureFixture[str]) -> None:
    one, two = reports(tmp_path, HEADER + log(CHAT, BAD_JID), "text", capsys)
    assert one == two and "the stream is not closed" in one


def test_pieces_start_where_a_line_starts_with_a_start_tag(tmp_path: Path) -> None:
    data = log(CHAT, PRETTY, TWO_ON_A_LINE, count=200)
    path = tmp_path / "log.xml"
    path.write_bytes(data)
    pieces = list(cut(Source("log.xml", path, len(data)), 500))
    assert len(pieces) > 10 and pieces[0].start == 0 and pieces[-1].stop is None
    for before, after in itertools.pairwise(pieces):
        assert before.stop == after.start
        assert after.start - before.start >= 500
        assert data[after.start - 1 : after.start + 1] == b"\n<"
        assert data[after.start + 1 : after.start + 2] != b"/"
        assert after.line == data.count(b"\n", 0, after.start) + 1


@pytest.mark.parametrize("text, expected", [
    (b"<message/>", b""), (b"\xef\xbb\xbf<?xml version='1.0'?>\n<iq/>", b""),
    (b"<stream:stream xmlns:stream='x'>", b"stream:stream"), (b"  <stream>", b"stream"),
    (b"<?xml version='1.0'", None), (b"hello", None), (b"<message", None)])
def test_what_the_start_of_an_input_says(text: bytes, expected: bytes | None) -> None:
    assert stream_name(text) == expected


_PEAK = """
import resource, subprocess, sys
subprocess.run([sys.executable, "-m", "xepcodec", "validate", "--no-progress", *sys.argv[1:]],
               stdout=subprocess.DEVNULL, check=False)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_kib(path: Path, *options: str) -> int:
    done = subprocess.run([sys.executable, "-c", _PEAK, *options, str(path)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_memory_does_not_grow_with_the_log(tmp_path: Path) -> None:
    # Long bodies keep the check quick per byte; every third stanza has an error.
    body = "to be, or not to be " * 100
    stanza = log(CHAT.replace("line {n}", body), BAD_JID, CHAT, count=3)
    small, big = tmp_path / "small.xml", tmp_path / "big.xml"
    small.write_bytes(stanza * (5_000_000 // len(stanza)))  # cut in pieces with --jobs
    big.write_bytes(stanza * (25_000_000 // len(stanza)))
    # Five times the log: the peak may wobble by a few MiB, never by the log's size.
    for options in ((), ("--jobs", "2")):
        assert peak_kib(big, *options) < peak_kib(small, *options) + 8 * 1024
