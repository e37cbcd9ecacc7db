"""aioxmpp as a peer, in its own virtual environment.

aioxmpp 0.13 requires ``lxml~=4.0`` while xepcodec needs lxml>=5, so the harness creates
``benchmarks/.venv-aioxmpp`` once (cached; ``.venv*`` is gitignored), installs aioxmpp there
and runs ``benchmarks._aioxmpp_worker`` in it as a subprocess. Nothing here raises: any
failure comes back as a reason string and the aioxmpp rows are reported as n/a.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
VENV_DIR = BENCH_DIR / ".venv-aioxmpp"
# aioxmpp 0.13.3 imports pytz without declaring it as a dependency.
REQUIREMENTS = ("aioxmpp~=0.13.3", "pytz")
_STAMP = VENV_DIR / ".bench-ready"
_INSTALL_TIMEOUT = 600
_WORKER_TIMEOUT = 600


@dataclass
class AioxmppRun:
    """What the worker reported, or why there is nothing."""

    results: list[dict[str, Any]] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    setup: str = ""
    error: str | None = None


def _venv_python() -> Path:
    if os.name == "nt":
        return VENV_DIR / "Scripts" / "python.exe"
    return VENV_DIR / "bin" / "python"


def _tail(text: str, lines: int = 6) -> str:
    kept = [line for line in text.strip().splitlines() if "WARNING: Location" not in line]
    return " | ".join(kept[-lines:])


def _clean_env() -> dict[str, str]:
    """The environment without settings that would leak this interpreter's packages in."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


def _run(cmd: list[str], timeout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=REPO_ROOT,
        env=_clean_env(),
    )


def ensure_venv(*, reinstall: bool = False) -> tuple[Path | None, str]:
    """Create (once) the aioxmpp environment. Returns (python, how) or (None, why not)."""
    python = _venv_python()
    wanted = "\n".join(REQUIREMENTS)
    cached = not reinstall and python.exists() and _STAMP.exists()
    if cached and _STAMP.read_text(encoding="utf-8") == wanted:
        return python, f"cached venv {VENV_DIR.relative_to(REPO_ROOT)}"
    print(f"[aioxmpp] creating {VENV_DIR} and installing {' '.join(REQUIREMENTS)} ...")
    shutil.rmtree(VENV_DIR, ignore_errors=True)
    steps = (
        [sys.executable, "-m", "venv", str(VENV_DIR)],
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *REQUIREMENTS,
        ],
        [str(python), "-c", "import aioxmpp, aioxmpp.disco, aioxmpp.xml, lxml.etree"],
    )
    for cmd in steps:
        try:
            proc = _run(cmd, _INSTALL_TIMEOUT)
        except (OSError, subprocess.SubprocessError) as exc:
            return None, f"{' '.join(cmd[:4])}: {exc}"
        if proc.returncode != 0:
            return None, f"{' '.join(cmd[:4])} failed: {_tail(proc.stderr or proc.stdout)}"
    _STAMP.write_text(wanted, encoding="utf-8")
    return python, f"installed venv {VENV_DIR.relative_to(REPO_ROOT)}"


def run(
    payloads: dict[str, bytes], min_time: float, repeat: int, *, reinstall: bool = False
) -> AioxmppRun:
    """Set up the environment if needed and run the worker; never raises."""
    try:
        python, how = ensure_venv(reinstall=reinstall)
    except Exception as exc:  # a broken cache dir, a full disk, ...
        return AioxmppRun(error=f"venv setup: {type(exc).__name__}: {exc}")
    if python is None:
        return AioxmppRun(error=how)
    job = {
        "payloads": {name: data.decode("utf-8") for name, data in payloads.items()},
        "min_time": min_time,
        "repeat": repeat,
    }
    cmd = [str(python), "-m", "benchmarks._aioxmpp_worker"]
    try:
        proc = subprocess.run(
            cmd,
            input=json.dumps(job),
            capture_output=True,
            text=True,
            timeout=_WORKER_TIMEOUT,
            check=False,
            cwd=REPO_ROOT,
            env=_clean_env(),
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return AioxmppRun(setup=how, error=f"worker: {exc}")
    if proc.returncode != 0:
        return AioxmppRun(setup=how, error=f"worker failed: {_tail(proc.stderr)}")
    try:
        out = json.loads(proc.stdout)
    except ValueError as exc:
        return AioxmppRun(setup=how, error=f"worker output is not JSON: {exc}")
    return AioxmppRun(results=out["results"], versions=out["versions"], setup=how)
