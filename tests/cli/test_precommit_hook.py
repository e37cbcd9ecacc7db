"""The pre-commit hook: the manifest, and a real pre-commit run in a temporary repository.

pre-commit installs a ``language: python`` hook by cloning the hook's repository and
pip-installing it, which needs the network.  The run here stays offline: the
repository's configuration declares the hook ``repo: local`` with ``language: system``,
taking every other setting (id, name, files, types, arguments) from this checkout's
``.pre-commit-hooks.yaml`` and running this checkout's code.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml", reason="pre-commit (a test dependency) brings PyYAML")
pytest.importorskip("pre_commit",
                    reason="pre-commit is a test dependency: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parents[2]
GOOD = b"<iq xmlns='jabber:client' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>"
BAD = b"<iq xmlns='jabber:client' type='get' id='p2'>\n<ping xmlns='urn:xmpp:ping'>x</ping></iq>"


def manifest() -> list[dict[str, Any]]:
    hooks: list[dict[str, Any]] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    return hooks


def test_the_manifest_declares_the_validate_hook() -> None:
    (hook,) = manifest()
    assert hook["id"] == "xepcodec-validate"
    assert shlex.split(hook["entry"])[:2] == ["xepcodec", "validate"]
    assert hook["language"] == "python"
    files = re.compile(hook["files"])
    assert files.search("tests/fixtures/ping.xml")
    for other in ("schemas/ping.xsd", "ping.xml.orig", "notes.txt"):
        assert not files.search(other)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is needed for a pre-commit run")
def test_pre_commit_runs_the_hook_on_staged_xml(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    def pre_commit() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--color", "never"],
                              cwd=repo, env=env, capture_output=True, text=True, check=False)

    git("init", "-q")
    (hook,) = manifest()
    command = shlex.split(hook["entry"])
    local = {**hook, "language": "system",
             "entry": shlex.join([sys.executable, "-m", "xepcodec", *command[1:]])}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(
        {"repos": [{"repo": "local", "hooks": [local]}]}))
    (repo / "stanzas").mkdir()
    (repo / "stanzas" / "good.xml").write_bytes(GOOD)
    (repo / "schema.xsd").write_text("<not-a-stanza/>")  # not the hook's business
    git("add", ".")
    done = pre_commit()
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"xepcodec validate\.+Passed", done.stdout), done.stdout

    (repo / "stanzas" / "bad.xml").write_bytes(BAD)
    git("add", ".")
    done = pre_commit()
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"xepcodec validate\.+Failed", done.stdout), done.stdout
    assert "stanzas/bad.xml:2:1: error: character data is not allowed" in done.stdout
    assert "1 invalid" in done.stdout
