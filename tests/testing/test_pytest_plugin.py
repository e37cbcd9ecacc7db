"""The pytest plugin, run in real pytest sessions in temporary projects.

The sessions load the plugin with ``-p`` and plugin autoloading off, so they behave
the same whether or not xepcodec is installed (installed, the ``pytest11`` entry point
would load it a second time under another name).
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = b"<iq xmlns='jabber:client' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>"
BAD = b"<iq xmlns='jabber:client' type='get' id='p2'>\n<ping xmlns='urn:xmpp:ping'>x</ping></iq>"


def pytest_in(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "xepcodec.testing.pytest_plugin",
                           "-p", "no:cacheprovider", "-q", *args], cwd=project, env=env,
                          capture_output=True, text=True, check=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "stanzas" / "deeper").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    (tmp_path / "stanzas" / "good.xml").write_bytes(GOOD)
    (tmp_path / "stanzas" / "deeper" / "bad.xml").write_bytes(BAD)
    (tmp_path / "stanzas" / "notes.txt").write_text("not a fixture")
    (tmp_path / "other" / "outside.xml").write_bytes(BAD)
    return tmp_path


def test_fixture_files_become_test_items(project: Path) -> None:
    (project / "pytest.ini").write_text("[pytest]\nxepcodec_fixture_dirs = stanzas\n")
    done = pytest_in(project, "--collect-only")
    assert done.returncode == 0, done.stdout + done.stderr
    items = [line for line in done.stdout.splitlines() if "::" in line]
    assert items == ["stanzas/deeper/bad.xml::xepcodec", "stanzas/good.xml::xepcodec"]


def test_an_invalid_fixture_fails_with_its_errors_in_context(project: Path) -> None:
    (project / "pytest.ini").write_text("[pytest]\nxepcodec_fixture_dirs = stanzas\n")
    done = pytest_in(project)
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert "1 failed, 1 passed" in out
    assert "bad.xml is not valid: 1 error" in out
    assert "    2 | <ping xmlns='urn:xmpp:ping'>x</ping></iq>" in out
    assert "      | ^ error: character data is not allowed because content is empty" in out
    assert "Traceback" not in out and "runtest" not in out  # no stack: the stanza is the story


def test_the_fixture_include_option_and_unreadable_fixtures(project: Path) -> None:
    (project / "stanzas" / "log.stanzas").write_bytes(GOOD + GOOD)
    (project / "stanzas" / "empty.stanzas").write_bytes(b"")
    (project / "pytest.ini").write_text("[pytest]\nxepcodec_fixture_dirs = stanzas\n"
                                        "xepcodec_fixture_include = *.stanzas\n")
    done = pytest_in(project, "-rf")
    assert "1 failed, 1 passed" in done.stdout, done.stdout
    assert "empty.stanzas: is empty" in done.stdout


def test_without_fixture_folders_no_xml_is_collected(project: Path) -> None:
    (project / "pytest.ini").write_text("[pytest]\n")
    done = pytest_in(project)
    assert done.returncode == 5  # no tests
    assert "no tests ran" in done.stdout


def test_the_assert_valid_stanza_fixture_and_the_strict_option(project: Path) -> None:
    (project / "test_mine.py").write_text(f'''
import pytest

GOOD = {GOOD!r}
OWN = b"<message><x xmlns='urn:example:own'/></message>"

def test_valid(assert_valid_stanza):
    assert assert_valid_stanza(GOOD).ok

def test_invalid_fails(assert_valid_stanza):
    with pytest.raises(AssertionError, match="is not valid"):
        assert_valid_stanza({BAD!r})

def test_unknown_namespace(assert_valid_stanza):
    assert_valid_stanza(OWN)

def test_overridden(assert_valid_stanza):
    assert_valid_stanza(OWN, strict=False)
''')
    (project / "pytest.ini").write_text("[pytest]\n")
    done = pytest_in(project, "test_mine.py")
    assert "4 passed" in done.stdout, done.stdout
    (project / "pytest.ini").write_text("[pytest]\nxepcodec_strict = true\n")
    done = pytest_in(project, "test_mine.py", "-rf")
    assert "1 failed, 3 passed" in done.stdout, done.stdout
    assert "FAILED test_mine.py::test_unknown_namespace" in done.stdout
    assert "no schema is known for the namespace 'urn:example:own'" in done.stdout


def test_the_entry_point_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["pytest11"] == {
        "xepcodec": "xepcodec.testing.pytest_plugin"}


def test_the_installed_entry_point_loads_the_plugin() -> None:
    try:
        distribution = importlib.metadata.distribution("xepcodec")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("xepcodec is not installed here (pip install -e . declares the entry point)")
    points = [p for p in distribution.entry_points if p.group == "pytest11"]
    if not points:
        pytest.skip("the installed xepcodec predates the pytest11 entry point: reinstall it")
    (point,) = points
    assert point.name == "xepcodec"
    assert point.load().__name__ == "xepcodec.testing.pytest_plugin"


def test_the_plugin_loads_without_hypothesis() -> None:
    code = ("import sys; sys.modules['hypothesis'] = None; "
            "import xepcodec.testing.pytest_plugin")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
