"""How fast ``xepcodec validate`` reads a large stream of stanzas, next to ``xmllint --stream``.

Usage (from the repository root)::

    python -m benchmarks.cli_throughput              # a 100 MB stream (a minute or two)
    python -m benchmarks.cli_throughput --quick      # a 5 MB stream, a few seconds
    python -m benchmarks.cli_throughput --size 20    # any size, in MB (10**6 bytes)
    python -m benchmarks.cli_throughput --repeat 3   # the fastest of three runs of each

It writes, in a temporary folder, a stream as a client receives it (``<stream:stream>``,
then a seeded, reproducible mix of the six benchmark payloads in ``benchmarks/fixtures/``
with their ids, senders and bodies varied, a few small iqs, and one invalid stanza in every
few thousand, then ``</stream:stream>``), and times, each in a subprocess:

* ``xmllint --stream --noout`` (libxml2's streaming reader, no schema): the floor, what
  reading the bytes as XML costs at all;
* ``xepcodec validate`` on it, and ``xepcodec validate --jobs 2`` where the command line has
  ``--jobs``;
* ``xepcodec validate`` on a stream a tenth of the size, to see that memory stays flat.

For each: wall time, CPU time (user + system of the process and the workers it waited
for, from ``wait4``), MB/s over each, and the peak resident memory, summed over the process
and its descendants.  Peaks are sampled from ``/proc`` (``VmHWM``, which only grows) while
the process runs: the kernel's ``ru_maxrss`` of a spawned child also counts pages of the
parent it was spawned from.  Where ``/proc`` is missing, peaks are n/a.

Issue 17's targets: ``xepcodec validate`` at >= 20 MB per CPU-second ("per core"); ``--jobs 2``
>= 1.7x the wall-clock speed of one job, on two cores; memory flat (the peak on the full
stream within 1.25x of the peak on a tenth of it).  The command must also find exactly the
invalid stanzas planted.  Numbers are from one run each, or the fastest of ``--repeat``
runs: on a busy machine, repeat.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
FIXTURES = BENCH_DIR / "fixtures"
DEFAULT_OUTPUT = BENCH_DIR / "results" / "cli_throughput.json"
MB = 1_000_000
SEED = 17

MB_PER_CPU_SECOND = 20.0  # issue 17: the CLI at >= 20 MB/s per core
JOBS_SPEEDUP = 1.7  # --jobs 2 on two cores
FLAT_MEMORY = 1.25  # peak on the full stream over the peak on a tenth of it

HEADER = (
    b"<?xml version='1.0'?>\n<stream:stream xmlns='jabber:client' "
    b"xmlns:stream='http://etherx.jabber.org/streams' from='montague.example' "
    b"to='romeo@montague.example/orchard' id='cli-bench' version='1.0' xml:lang='en'>\n"
)
FOOTER = b"</stream:stream>\n"

# How often each kind of stanza comes, per 1000: chat and presence dominate a client's
# stream; the big payloads (archive pages, command forms) are rare.
MIX: tuple[tuple[str, int], ...] = (
    ("message", 420),
    ("presence_caps", 250),
    ("ping", 120),
    ("ping_result", 120),
    ("disco_info", 40),
    ("disco_items_rsm", 25),
    ("command_form", 20),
    ("archive_page", 5),
)
SMALL: dict[str, bytes] = {
    "ping": b"<iq type='get' id='ping' from='montague.example' "
    b"to='romeo@montague.example/orchard'><ping xmlns='urn:xmpp:ping'/></iq>",
    "ping_result": b"<iq type='result' id='ping' from='romeo@montague.example/orchard' "
    b"to='montague.example'/>",
}
# Planted together in every INVALID_EVERY stanzas, from the 100th on: an iq get without
# its payload (a rule of the model) and a presence whose priority is out of range (a rule
# of the schema). The first finding of each kind loads what explaining it needs (the
# schema one, about 20 MB and a second today), so even the tenth-size stream pays for that
# once, and the memory comparison sees growth, not those fixed costs.
INVALID = (
    b"<iq type='get' id='bad-%d' to='montague.example'/>",
    b"<presence id='bad-%d'><priority>300</priority></presence>",
)
INVALID_EVERY = 4000
BODIES = (
    "On my way; keep the gate unlatched.",
    "Did the letter reach the friar before noon?",
    "The feast runs late, do not wait up.",
    "Tell the nurse the ring is in the usual place.",
    "Half an hour by the sycamore grove, if the watch allows.",
    "No news from Mantua yet.",
)
_ID = re.compile(rb' id="[^"]*"')
_FROM = re.compile(rb' from="[^"]*"')
_BODY = re.compile(rb"<body>[^<]*</body>")


# --- the stream ------------------------------------------------------------------------------


def _template(name: str) -> bytes:
    """A fixture as it appears inside a stream: compact, without its own xmlns."""
    import lxml.etree as etree

    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    data = etree.tostring(etree.parse(str(FIXTURES / f"{name}.xml"), parser).getroot())
    return data.replace(b' xmlns="jabber:client"', b"", 1)


def write_stream(path: Path, size: int, seed: int = SEED) -> tuple[int, int]:
    """Write a stream of about ``size`` bytes; return (stanzas, planted invalid stanzas)."""
    rng = random.Random(seed)
    templates = {name: SMALL.get(name) or _template(name) for name, _ in MIX}
    names = [name for name, _ in MIX]
    cumulative = list(itertools.accumulate(weight for _, weight in MIX))
    contacts = [
        f"{rng.choice(('juliet', 'nurse', 'tybalt', 'mercutio', 'benvolio', 'paris'))}"
        f"{i}@{rng.choice(('capulet.example', 'montague.example', 'verona.example'))}"
        f"/{rng.choice(('balcony', 'phone', 'laptop', 'tablet'))}"
        for i in range(300)
    ]
    stanzas = invalid = 0
    written = len(HEADER)
    with open(path, "wb") as out:
        out.write(HEADER)
        block: list[bytes] = []
        while written < size:
            name = rng.choices(names, cum_weights=cumulative)[0]
            stanzas += 1
            if stanzas % INVALID_EVERY == 100:
                data = b"\n".join(bad % (stanzas + i) for i, bad in enumerate(INVALID))
                stanzas += len(INVALID) - 1
                invalid += len(INVALID)
            else:
                data = _ID.sub(f' id="{name}-{stanzas}"'.encode(), templates[name], count=1)
                data = data.replace(b" id='ping'", f" id='ping-{stanzas}'".encode(), 1)
                if name in ("message", "presence_caps"):
                    sender = rng.choice(contacts).encode()
                    data = _FROM.sub(b' from="' + sender + b'"', data, count=1)
                if name == "message":
                    body = f"<body>{rng.choice(BODIES)} ({stanzas})</body>".encode()
                    data = _BODY.sub(body, data, count=1)
            block.append(data + b"\n")
            written += len(data) + 1
            if len(block) >= 4096:
                out.write(b"".join(block))
                block = []
        out.write(b"".join(block))
        out.write(FOOTER)
    return stanzas, invalid


# --- running one command ---------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found: list[int] = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as children:
                found.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue
    return found


def _hwm_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


class PeakSampler:
    """Samples the peak resident memory (``VmHWM``) of a process and all its descendants.

    Each process's last sample is kept (``VmHWM`` only grows), and the peak is their sum:
    an upper bound of what the tree held at once, exact for a single process.
    """

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self._root = pid
        self._interval = interval
        self._last: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.available = os.path.exists(f"/proc/{pid}/status")

    def __enter__(self) -> PeakSampler:
        if self.available:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.available:
            self._thread.join()

    def _run(self) -> None:
        while True:
            pending = [self._root]
            while pending:
                pid = pending.pop()
                hwm = _hwm_kib(pid)
                if hwm is not None:
                    self._last[pid] = max(hwm, self._last.get(pid, 0))
                pending.extend(_children(pid))
            if self._stop.wait(self._interval):
                return

    @property
    def peak_mb(self) -> float | None:
        if not self.available or not self._last:
            return None
        return sum(self._last.values()) * 1024 / MB


@dataclass
class Run:
    what: str
    command: str
    size: int
    wall_seconds: float | None = None
    cpu_seconds: float | None = None
    peak_mb: float | None = None
    exit_status: int | None = None
    errors_reported: int | None = None
    note: str = ""

    @property
    def mb_per_second(self) -> float | None:
        return self.size / MB / self.wall_seconds if self.wall_seconds else None

    @property
    def mb_per_cpu_second(self) -> float | None:
        return self.size / MB / self.cpu_seconds if self.cpu_seconds else None


def run(what: str, argv: Sequence[str], size: int, shown: str) -> Run:
    """Run ``argv`` once, its output in a temporary file; never raises for the command."""
    result = Run(what, shown, size)
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        try:
            proc = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT,
                                    cwd=REPO_ROOT)
        except OSError as exc:
            result.note = f"cannot run: {exc}"
            return result
        with PeakSampler(proc.pid) as sampler:
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        result.wall_seconds = time.perf_counter() - started
        result.cpu_seconds = usage.ru_utime + usage.ru_stime
        result.peak_mb = sampler.peak_mb
        result.exit_status = proc.returncode
        output.seek(0)
        lines = output.read().decode("utf-8", "replace").splitlines()
    result.errors_reported = sum(": error: " in line for line in lines)
    if lines and proc.returncode not in (0, 1):
        result.note = f"exit {proc.returncode}: {lines[-1][:150]}"
    return result


def best(kept: Run | None, new: Run) -> Run:
    """The faster of two runs of one command (wall clock), with the higher of their
    memory peaks.  A run that could not start is kept, and runs that disagree on the
    exit status or the findings are noted: a repetition must not hide a fault."""
    if kept is None or new.wall_seconds is None:
        return new
    if kept.wall_seconds is None:
        return kept
    if (kept.errors_reported, kept.exit_status) != (new.errors_reported, new.exit_status):
        return replace(new, note=f"runs disagree: {kept.errors_reported} then "
                       f"{new.errors_reported} errors, exit {kept.exit_status} then "
                       f"{new.exit_status}")
    faster = new if new.wall_seconds < kept.wall_seconds else kept
    peaks = [peak for peak in (kept.peak_mb, new.peak_mb) if peak is not None]
    return replace(faster, peak_mb=max(peaks) if peaks else None)


def _has_option(option: str) -> bool:
    """Whether ``xepcodec validate --help`` lists ``option``."""
    done = subprocess.run([sys.executable, "-m", "xepcodec", "validate", "--help"],
                          capture_output=True, text=True, cwd=REPO_ROOT, check=False)
    return option in done.stdout


# --- the report ------------------------------------------------------------------------------


def _f(value: float | None, spec: str, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{unit}"


def evaluate(runs: dict[str, Run], planted: int) -> list[dict[str, Any]]:
    one, two, floor = runs.get("xepcodec"), runs.get("xepcodec --jobs 2"), runs.get("xmllint")
    small = runs.get("xepcodec (a tenth)")
    targets = []

    def add(text: str, value: float | None, ok: bool | None, note: str = "") -> None:
        status = "n/a" if ok is None else "PASS" if ok else "FAIL"
        targets.append({"target": text, "value": value, "status": status, "note": note})

    per_core = one.mb_per_cpu_second if one else None
    add(f"xepcodec validate >= {MB_PER_CPU_SECOND:g} MB per CPU-second", per_core,
        None if per_core is None else per_core >= MB_PER_CPU_SECOND)
    speedup = (one.wall_seconds / two.wall_seconds
               if one and two and one.wall_seconds and two.wall_seconds else None)
    note = "" if two else "the command line has no --jobs"
    if speedup is not None and (os.cpu_count() or 1) < 2:
        note = "one core: not judged"
    add(f"--jobs 2 >= {JOBS_SPEEDUP:g}x one job (wall clock, two cores)", speedup,
        None if speedup is None or note else speedup >= JOBS_SPEEDUP, note)
    growth = (one.peak_mb / small.peak_mb
              if one and small and one.peak_mb and small.peak_mb else None)
    add(f"memory flat: peak <= {FLAT_MEMORY:g}x the peak on a tenth of the stream", growth,
        None if growth is None else growth <= FLAT_MEMORY)
    for name in ("xepcodec", "xepcodec --jobs 2", "xepcodec (a tenth)"):
        r = runs.get(name)
        if r is None or r.errors_reported is None:
            continue
        expected = planted if name != "xepcodec (a tenth)" else None
        if expected is None:
            continue
        add(f"{name}: reports the {planted} planted invalid stanzas, exit 1",
            float(r.errors_reported),
            r.errors_reported == planted and r.exit_status == 1,
            f"exit {r.exit_status}, {r.errors_reported} errors reported")
    if floor and one and floor.mb_per_cpu_second and one.mb_per_cpu_second:
        targets.append({"target": "xmllint --stream over xepcodec validate (CPU time)",
                        "value": floor.mb_per_cpu_second / one.mb_per_cpu_second,
                        "status": "info", "note": "how far from the floor"})
    return targets


def runs_each(repeat: int) -> str:
    return "one run each" if repeat == 1 else f"the fastest of {repeat} runs each"


def print_report(runs: dict[str, Run], targets: Sequence[dict[str, Any]],
                 meta: dict[str, Any]) -> None:
    print(f"\nxepcodec validate throughput: {meta['bytes'] / MB:.1f} MB stream, "
          f"{meta['stanzas']} stanzas ({meta['planted_invalid']} invalid), seed {meta['seed']}, "
          f"{runs_each(meta.get('repeat', 1))}, {meta['cores']} cores")
    width = max(len(r.what) for r in runs.values())
    print(f"    {'':<{width}}  {'wall':>8}  {'CPU':>8}  {'MB/s':>7}  {'MB/CPU-s':>8}  "
          f"{'x floor':>7}  {'peak RSS':>9}  exit")
    floor = runs.get("xmllint")
    for r in runs.values():
        if r.wall_seconds is None:
            print(f"    {r.what:<{width}}  n/a  {r.note}")
            continue
        ratio = (floor.mb_per_cpu_second / r.mb_per_cpu_second
                 if floor and floor.mb_per_cpu_second and r.mb_per_cpu_second else None)
        print(f"    {r.what:<{width}}  {_f(r.wall_seconds, '7.2f', 's')}  "
              f"{_f(r.cpu_seconds, '7.2f', 's')}  {_f(r.mb_per_second, '7.1f')}  "
              f"{_f(r.mb_per_cpu_second, '8.1f')}  {_f(ratio, '6.2f', 'x'):>7}  "
              f"{_f(r.peak_mb, '6.1f', ' MB'):>9}  {r.exit_status}  {r.note}".rstrip())
    print("  (x floor: xmllint's MB per CPU-second over the row's; peak RSS: the process and"
          " its workers, summed)")
    print("\n== targets (issue 17)")
    twidth = max(len(t["target"]) for t in targets)
    for t in targets:
        value = t["value"]
        shown = "n/a" if value is None else f"{value:.2f}"
        note = f"  {t['note']}" if t["note"] else ""
        print(f"  {t['target']:<{twidth}}  {shown:>8}   {t['status']}{note}")
    if meta["load_before"] is not None and meta["load_before"] > meta["cores"] * 0.75:
        print(f"  WARNING: the machine was busy (load average {meta['load_before']} on "
              f"{meta['cores']} cores); wall-clock rows and the --jobs speedup are noisy,"
              " rerun on an idle machine before judging a target.")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cli_throughput",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 5 MB stream (smoke run)")
    parser.add_argument("--size", type=float, metavar="MB",
                        help="stream size in MB (default 100, or 5 with --quick)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"default {SEED}")
    parser.add_argument("--keep", type=Path, metavar="PATH",
                        help="write the stream here and keep it (default: a temporary file)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="JSON results file (default: benchmarks/results/"
                        "cli_throughput.json)")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="run each command N times, round after round, and keep the "
                        "fastest (wall clock) run of each (default 1)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target fails")
    args = parser.parse_args(argv)
    size = int((args.size if args.size is not None else 5 if args.quick else 100) * MB)
    if args.repeat < 1:
        parser.error("--repeat: at least 1")
    if size < 10_000:
        parser.error("--size: at least 0.01 MB")
    try:
        load_before: float | None = round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        load_before = None

    runs: dict[str, Run] = {}
    with tempfile.TemporaryDirectory(prefix="xepcodec-cli-bench-") as folder:
        path = args.keep or Path(folder) / "stream.xml"
        small_path = Path(folder) / "stream-tenth.xml"
        print(f"writing a {size / MB:g} MB stream to {path} ...", file=sys.stderr, flush=True)
        stanzas, planted = write_stream(path, size, args.seed)
        size = path.stat().st_size
        write_stream(small_path, size // 10, args.seed)
        small_size = small_path.stat().st_size
        validate = [sys.executable, "-m", "xepcodec", "validate", "--no-progress"]
        xmllint = shutil.which("xmllint")
        plan: list[tuple[str, list[str], int, str]] = []
        if xmllint:
            plan.append(("xmllint", [xmllint, "--stream", "--noout", str(path)], size,
                         "xmllint --stream --noout STREAM"))
        else:
            runs["xmllint"] = Run("xmllint", "xmllint --stream --noout STREAM", size,
                                  note="xmllint not found (apt-get install libxml2-utils)")
        plan.append(("xepcodec", [*validate, str(path)], size, "xepcodec validate STREAM"))
        if _has_option("--jobs"):
            plan.append(("xepcodec --jobs 2", [*validate, "--jobs", "2", str(path)], size,
                         "xepcodec validate --jobs 2 STREAM"))
        plan.append(("xepcodec (a tenth)", [*validate, str(small_path)], small_size,
                     "xepcodec validate STREAM/10"))
        # Round after round, so that a change in the machine's load falls on every
        # command alike; each keeps its fastest run.
        for round_ in range(args.repeat):
            for what, command, bytes_, shown in plan:
                print(f"  running {shown} ({round_ + 1}/{args.repeat}) ...", file=sys.stderr,
                      flush=True)
                runs[what] = best(runs.get(what), run(what, command, bytes_, shown))

    meta = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "bytes": size, "stanzas": stanzas, "planted_invalid": planted, "seed": args.seed,
        "cores": os.cpu_count() or 1, "python": sys.version.split()[0],
        "load_before": load_before, "repeat": args.repeat,
    }
    targets = evaluate(runs, planted)
    print_report(runs, targets, meta)
    document = {
        "meta": meta,
        "runs": [{**asdict(r), "mb_per_second": r.mb_per_second,
                  "mb_per_cpu_second": r.mb_per_cpu_second} for r in runs.values()],
        "targets": targets,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.output}")
    if args.check and any(t["status"] == "FAIL" for t in targets):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
