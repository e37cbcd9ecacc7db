"""The fuzz targets: one function per way into the library, each taking the fuzzer's bytes
and raising when an invariant breaks (see :mod:`fuzz.invariants`).

They are plain functions, so the test suite runs them over the seeds and a crash the
fuzzer finds can be replayed with ``python -m fuzz.run TARGET CRASH_FILE``.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from random import Random
from typing import Final

import xepcodec
from fuzz.invariants import (
    PARSE_STREAM,
    PARSE_VALIDATE,
    ROUND_TRIP,
    STREAM_BYTES,
    Broken,
    check,
    read,
)
from xepcodec.cli import main as cli_main
from xepcodec.datatypes.jid import JID
from xepcodec.errors import XepCodecError
from xepcodec.machines.archive_client import ArchiveClient
from xepcodec.machines.archive_server import ArchiveServer
from xepcodec.machines.archive_store import MemoryStore
from xepcodec.machines.base import Ignored, Machine
from xepcodec.machines.cookies import CookieJar
from xepcodec.machines.server_buddies import ServerBuddies

__all__ = ["TARGETS", "join_cuts", "split_cuts"]

_MAX_CUTS: Final = 4


def _check(data: bytes, cuts: tuple[int, ...] = (), *, only: tuple[str, ...]) -> None:
    skip = {PARSE_VALIDATE, PARSE_STREAM, STREAM_BYTES} - set(only)
    check(data, cuts, skip=skip)


def split_cuts(data: bytes) -> tuple[bytes, tuple[int, ...]]:
    """The stream target's input: stanza bytes, then up to four big-endian 16-bit cut
    offsets, then one byte giving their number (modulo 5)."""
    if not data:
        return data, ()
    count = data[-1] % (_MAX_CUTS + 1)
    trailer = 2 * count + 1
    if len(data) < trailer:
        return data[:-1], ()
    raw = data[len(data) - trailer:-1]
    cuts = tuple(int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2))
    return data[:len(data) - trailer], cuts


def join_cuts(stanza: bytes, cuts: tuple[int, ...]) -> bytes:
    """The input :func:`split_cuts` reads as ``stanza`` cut at ``cuts``."""
    return (stanza + b"".join(cut.to_bytes(2, "big") for cut in cuts[:_MAX_CUTS])
            + bytes([len(cuts[:_MAX_CUTS])]))


def parse_target(data: bytes) -> None:
    """parse: only XepCodecError; what parses round-trips to a fixed point."""
    _check(data, only=(ROUND_TRIP,))


def validate_target(data: bytes) -> None:
    """validate never raises on bytes, and agrees with parse."""
    _check(data, only=(PARSE_VALIDATE,))


def stream_target(data: bytes) -> None:
    """A StreamReader fed the stanza in pieces cut where the fuzzer says agrees with
    parse, object for object and byte for byte."""
    stanza, cuts = split_cuts(data)
    _check(stanza, cuts, only=(PARSE_STREAM, STREAM_BYTES))


def cli_target(data: bytes) -> None:
    """``xepcodec validate FILE``, in process: exits 0, 1 or 2 and never raises; a file
    holding one well-formed element passes exactly when ``validate`` accepts it."""
    handle, path = tempfile.mkstemp(suffix=".xml")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        output = io.StringIO()
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            status = cli_main(["validate", path])
    finally:
        os.unlink(path)
    if status not in (0, 1, 2):
        raise AssertionError(f"exit status {status}\n{output.getvalue()}")
    if data.strip() and status != 2:
        try:
            valid = xepcodec.validate(data).ok
        except XepCodecError:
            return
        if valid != (status == 0):
            raise Broken("cli/validate", data, f"exit {status}, validate ok={valid}\n"
                         f"{output.getvalue()}")


_NOW: Final = datetime(2026, 1, 1, tzinfo=UTC)


def _machines() -> list[Machine]:
    """Fresh machines, so that a crash replays from its input alone."""
    return [
        ArchiveClient(JID.parse("romeo@montague.example/orchard"), random=Random(1).randbytes),
        ArchiveServer(MemoryStore(), random=Random(2).randbytes),
        ServerBuddies("montague.example"),
        CookieJar(),
    ]


def machines_target(data: bytes) -> None:
    """Each machine's receive() takes whatever parses, raising only XepCodecError, and
    ignores whatever its accepts() refuses."""
    parsed = read(data)
    if not parsed.ok:
        return
    stanza = parsed.value
    for machine in _machines():
        accepted = machine.accepts(stanza)
        try:
            events = machine.receive(stanza, now=_NOW)
        except XepCodecError:
            continue
        if not accepted and (len(events) != 1 or not isinstance(events[0], Ignored)):
            raise Broken("machines", data, f"{type(machine).__name__} acted on a stanza its "
                         f"accepts() refuses: {events!r}")


#: Every target, by the name ``python -m fuzz.run`` takes.
TARGETS: Final[dict[str, Callable[[bytes], None]]] = {
    "parse": parse_target,
    "validate": validate_target,
    "stream": stream_target,
    "cli": cli_target,
    "machines": machines_target,
}
