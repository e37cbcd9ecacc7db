"""Start-up cost: what a fresh process pays to import xepcodec, to read its first stanza,
and to run ``xepcodec validate`` on one small file, next to the floor of importing lxml.

Each command runs in its own interpreter, several times; the best run's CPU time (user
+ system, from ``wait4``) is compared with the goals, since it is what the work costs,
while wall time also counts the waits of a shared machine.  The peak resident memory is
the one the child reports itself (``VmHWM``, Linux): the kernel's ``ru_maxrss`` of a
child also counts the pages of the parent it was forked from.  The first run of each
command is a warm-up that is not counted: it lets Python cache the bytecode, as an
installed package has it cached.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
ONE_FILE = REPO_ROOT / "examples" / "ping.xml"
PING = b"<iq xmlns='jabber:client' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>"

FLOOR = "import lxml.etree"
#: (what, the command as a person types it, the code the child runs)
COMMANDS: tuple[tuple[str, str, str], ...] = (
    (FLOOR, "python -c 'import lxml.etree'", "import lxml.etree"),
    ("import xepcodec", "python -c 'import xepcodec'", "import xepcodec"),
    ("import xepcodec + parse one stanza",
     "python -c 'import xepcodec; xepcodec.parse(<ping iq>)'",
     f"import xepcodec; xepcodec.parse({PING!r})"),
    # What ``python -m xepcodec`` and the ``xepcodec`` script do.
    ("xepcodec validate ping.xml", "xepcodec validate examples/ping.xml",
     f"import runpy; sys.argv = ['xepcodec', 'validate', {str(ONE_FILE)!r}]; "
     "runpy.run_module('xepcodec', run_name='__main__', alter_sys=True)"),
)

#: Run before each command: at exit, the child writes its peak resident memory in kB
#: to file descriptor 3.
_REPORT_PEAK = """import atexit, os, sys
def _report_peak():
    try:
        with open('/proc/self/status') as status:
            os.write(3, next(line.split()[1] for line in status
                             if line.startswith('VmHWM:')).encode())
    except (OSError, StopIteration):
        pass
atexit.register(_report_peak)
"""


@dataclass(frozen=True)
class Goal:
    what: str
    cpu_seconds: float | None = None
    peak_mb: float | None = None

    @property
    def text(self) -> str:
        bounds = [f"<= {self.cpu_seconds} s CPU" if self.cpu_seconds else "",
                  f"< {self.peak_mb:g} MB" if self.peak_mb else ""]
        return f"{self.what}: " + ", ".join(b for b in bounds if b)


# DESIGN.md: import <= 0.3 s and < 60 MB; one small file through the command line <= 0.6 s.
# The import defers the codec until first use, so the goal is held against the import
# followed by a first stanza as well as against the bare import.
GOALS = (
    Goal("import xepcodec", 0.3, 60),
    Goal("import xepcodec + parse one stanza", 0.3, 60),
    Goal("xepcodec validate ping.xml", 0.6),
)


@dataclass
class StartupRow:
    what: str
    command: str
    cpu_seconds: float | None = None
    wall_seconds: float | None = None
    peak_mb: float | None = None
    runs: int = 0
    note: str = ""

    @property
    def is_floor(self) -> bool:
        return self.what == FLOOR


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # let the warm-up cache the bytecode
    return env


def _run_once(code: str) -> tuple[float, float, float | None]:
    """(CPU seconds, wall seconds, peak MB or None where the platform does not say) of
    one child process; OSError or RuntimeError when it cannot run or fails."""
    devnull = os.open(os.devnull, os.O_RDWR)
    peak_read, peak_write = os.pipe()
    try:
        actions = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
                   (os.POSIX_SPAWN_DUP2, devnull, 2), (os.POSIX_SPAWN_DUP2, peak_write, 3)]
        argv = [sys.executable, "-c", _REPORT_PEAK + code]
        start = time.perf_counter()
        pid = os.posix_spawn(sys.executable, argv, _child_env(), file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
        os.close(peak_write)
        peak_write = -1
        reported = os.read(peak_read, 64)
    finally:
        for fd in (devnull, peak_read, peak_write):
            if fd >= 0:
                os.close(fd)
    exit_code = os.waitstatus_to_exitcode(status)
    if exit_code != 0:
        raise RuntimeError(f"exited with {exit_code}")
    peak = int(reported) / 1024 if reported else None
    return usage.ru_utime + usage.ru_stime, wall, peak


def measure(repeat: int) -> list[StartupRow]:
    """Every command, best of ``repeat`` runs after one warm-up, the commands taking
    turns so that they see the same machine load."""
    rows = [StartupRow(what, shown) for what, shown, _ in COMMANDS]
    if not hasattr(os, "posix_spawn") or not hasattr(os, "wait4"):
        for row in rows:
            row.note = "needs posix_spawn and wait4 (POSIX)"
        return rows
    for turn in range(repeat + 1):
        for row, (_, _, code) in zip(rows, COMMANDS, strict=True):
            if row.note:  # failed before
                continue
            try:
                cpu, wall, peak = _run_once(code)
            except (OSError, RuntimeError) as exc:
                row.note = f"{type(exc).__name__}: {exc}"
                row.cpu_seconds = row.wall_seconds = row.peak_mb = None
                continue
            if turn == 0:
                continue  # warm-up
            row.runs += 1
            row.cpu_seconds = min(cpu, row.cpu_seconds or cpu)
            row.wall_seconds = min(wall, row.wall_seconds or wall)
            if peak is not None:
                row.peak_mb = max(peak, row.peak_mb or peak)
    return rows


def evaluate(rows: Sequence[StartupRow]) -> list[dict[str, Any]]:
    by_what = {row.what: row for row in rows}
    out = []
    for goal in GOALS:
        row = by_what.get(goal.what)
        checks = []
        if row is not None and row.cpu_seconds is not None and goal.cpu_seconds:
            checks.append(row.cpu_seconds <= goal.cpu_seconds)
        if row is not None and row.peak_mb is not None and goal.peak_mb:
            checks.append(row.peak_mb < goal.peak_mb)
        status = "n/a" if not checks else "PASS" if all(checks) else "FAIL"
        out.append({"target": goal.text, "cpu_seconds": goal.cpu_seconds,
                    "peak_mb": goal.peak_mb, "status": status})
    return out


def print_report(rows: Sequence[StartupRow], targets: Sequence[dict[str, Any]]) -> None:
    floor = next((row for row in rows if row.is_floor), None)
    runs = max((row.runs for row in rows), default=0)
    print(f"\n== start-up: fresh processes, best of {runs} (CPU = user + system; "
          "x floor = CPU over the floor's)")
    width = max(len(row.what) for row in rows) + len(" (floor)")
    for row in rows:
        label = row.what + (" (floor)" if row.is_floor else "")
        if row.cpu_seconds is None or row.wall_seconds is None:
            print(f"    {label:<{width}}  n/a  {row.note}")
            continue
        base = floor.cpu_seconds if floor is not None and floor.cpu_seconds else None
        x = f"{row.cpu_seconds / base:.2f}x" if base else "n/a"
        peak = "   n/a" if row.peak_mb is None else f"{row.peak_mb:6.1f}"
        print(f"    {label:<{width}}  {row.cpu_seconds * 1e3:7.0f} ms CPU  "
              f"{row.wall_seconds * 1e3:7.0f} ms wall  {peak} MB peak  {x:>6}")
    for target in targets:
        print(f"  {target['target']:<62} {target['status']}")


def as_json(rows: Sequence[StartupRow], targets: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"results": [{**asdict(row), "floor": row.is_floor} for row in rows],
            "targets": list(targets)}
