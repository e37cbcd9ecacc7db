"""How much memory ``xepcodec validate`` needs for a large stream capture.

Usage (from the repository root)::

    python -m benchmarks.capture_memory                 # a 1 GiB capture (minutes)
    python -m benchmarks.capture_memory --size-mb 64    # a quicker look

It writes a capture of the given size to a temporary folder (a stream header, a mix
of messages, presences and iqs as a busy client would see them, one invalid stanza in
every few thousand, the closing tag), runs ``python -m xepcodec validate`` on it in a
subprocess, and reports the subprocess's peak resident memory (``ru_maxrss``), its
time, and whether it found exactly the invalid stanzas that were planted.  DESIGN.md's
target is under 100 MB for 1 GB.  This is a measurement, not a test: nothing here is
timed against a limit, and the exit status only says whether the memory target and
the count of invalid stanzas held.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MB = 100
ROOT = Path(__file__).resolve().parents[1]

HEADER = (b"<?xml version='1.0'?>\n<stream:stream xmlns='jabber:client' "
          b"xmlns:stream='http://etherx.jabber.org/streams' from='example.org' "
          b"to='juliet@example.org' id='bench-stream' version='1.0' xml:lang='en'>\n")
FOOTER = b"</stream:stream>\n"

# Stanzas as a client sees them; %(n)d makes every id unique.
TEMPLATES: tuple[bytes, ...] = (
    b"<message from='romeo@example.net/orchard' to='juliet@example.org/balcony' "
    b"type='chat' id='m-%(n)d'><body>Neither, fair saint, if either thee dislike. "
    b"Stanza number %(n)d travels the wire with a few words of text.</body>"
    b"<thread>thread-%(n)d</thread></message>\n",
    b"<presence from='nurse@example.org/kitchen' id='p-%(n)d'><show>away</show>"
    b"<status>Stirring the pot, back in a minute</status><priority>5</priority>"
    b"<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
    b"node='https://example.org/client' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>\n",
    b"<iq type='get' id='ping-%(n)d' from='example.org' to='juliet@example.org/balcony'>"
    b"<ping xmlns='urn:xmpp:ping'/></iq>\n",
    b"<iq type='result' id='disco-%(n)d' from='conference.example.org' "
    b"to='juliet@example.org/balcony'><query xmlns='http://jabber.org/protocol/disco#info'>"
    b"<identity category='conference' type='text' name='Chat rooms'/>"
    b"<feature var='http://jabber.org/protocol/disco#info'/>"
    b"<feature var='http://jabber.org/protocol/disco#items'/>"
    b"<feature var='http://jabber.org/protocol/muc'/>"
    b"<feature var='urn:xmpp:ping'/>"
    b"<x xmlns='jabber:x:data' type='result'>"
    b"<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/network/serverinfo"
    b"</value></field><field var='admin-addresses' type='list-multi'>"
    b"<value>mailto:rooms@example.org</value></field></x></query></iq>\n",
    b"<message from='balcony@conference.example.org/romeo' to='juliet@example.org/balcony'"
    b" type='groupchat' id='g-%(n)d'><body>A group chat line, number %(n)d, with enough "
    b"words to look like one.</body></message>\n",
)
# Planted in turn: an iq get without its payload (a rule of the model) and a presence
# whose priority is out of range (a rule of the schema, explained by xmlschema).
INVALID = (b"<iq type='get' id='bad-%(n)d' to='example.org'/>\n",
           b"<presence id='bad-%(n)d'><priority>300</priority></presence>\n")
INVALID_EVERY = 5000


def write_capture(path: Path, size: int) -> tuple[int, int]:
    """Write a capture of about ``size`` bytes; return (stanzas, invalid stanzas)."""
    stanzas = invalid = 0
    written = 0
    with open(path, "wb") as out:
        out.write(HEADER)
        written += len(HEADER)
        block: list[bytes] = []
        block_size = 0
        while written + block_size < size:
            stanzas += 1
            if stanzas % INVALID_EVERY == 0:
                data = INVALID[invalid % len(INVALID)] % {b"n": stanzas}
                invalid += 1
            else:
                data = TEMPLATES[stanzas % len(TEMPLATES)] % {b"n": stanzas}
            block.append(data)
            block_size += len(data)
            if block_size > 1 << 20:
                out.write(b"".join(block))
                written += block_size
                block, block_size = [], 0
        out.write(b"".join(block))
        out.write(FOOTER)
    return stanzas, invalid


def measure(path: Path, extra: list[str]) -> dict[str, object]:
    """Run the validator on ``path``; its exit status, time, peak memory, output."""
    command = [sys.executable, "-m", "xepcodec", "validate", "--no-progress", *extra,
               str(path)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        done = subprocess.run(command, cwd=ROOT, stdout=output, stderr=subprocess.PIPE,
                              check=False)
        elapsed = time.perf_counter() - started
        output.seek(0)
        lines = output.read().decode("utf-8", "replace").splitlines()
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak_kib < before:  # pragma: no cover - getrusage keeps the maximum
        peak_kib = before
    return {"command": " ".join(command[1:]), "exit_status": done.returncode,
            "seconds": round(elapsed, 1), "peak_rss_mb": round(peak_kib / 1024, 1),
            "stderr": done.stderr.decode("utf-8", "replace").strip(),
            "error_lines": sum(": error: " in line for line in lines),
            "summary": lines[-1] if lines else ""}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.capture_memory",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024,
                        help="capture size in MiB (default 1024)")
    parser.add_argument("--keep", metavar="PATH",
                        help="write the capture here and keep it (default: a temporary file)")
    parser.add_argument("--json", metavar="FILE", help="also write the results here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="xepcodec-capture-") as folder:
        path = Path(args.keep) if args.keep else Path(folder) / "capture.xml"
        print(f"writing a {args.size_mb} MiB capture to {path} ...", flush=True)
        stanzas, invalid = write_capture(path, args.size_mb << 20)
        size = os.path.getsize(path)
        print(f"  {size / (1 << 20):.0f} MiB, {stanzas} stanzas, {invalid} of them invalid",
              flush=True)
        print("running xepcodec validate on it ...", flush=True)
        result = measure(path, [])
    result.update({"capture_bytes": size, "stanzas": stanzas, "planted_invalid": invalid,
                   "target_mb": TARGET_MB,
                   "mb_per_second": round(size / (1 << 20) / max(result["seconds"], 1e-9), 2)
                   if isinstance(result["seconds"], float) else None})
    found = result["error_lines"]
    print(f"  exit status {result['exit_status']} (1 expected: invalid stanzas were planted)")
    print(f"  {result['summary']}")
    print(f"  {found} errors reported, {invalid} planted")
    print(f"  {result['seconds']} s, {result['mb_per_second']} MiB/s")
    print(f"  peak resident memory: {result['peak_rss_mb']} MB "
          f"(target: under {TARGET_MB} MB for 1 GB)")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    held = (isinstance(result["peak_rss_mb"], float) and result["peak_rss_mb"] < TARGET_MB
            and found == invalid and result["exit_status"] == 1)
    print("target met" if held else "target NOT met")
    return 0 if held else 1


if __name__ == "__main__":
    raise SystemExit(main())
