"""The documents say what is true: their worked examples run as written, and every file
they point to exists.

Each ```python block of an executed page is run, in order, in one namespace, from the
repository's root: a page whose example stops working fails here rather than misleading
its reader.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
_SHELL = re.compile(r"^```sh\n(.*?)^```", re.DOTALL | re.MULTILINE)
#: The pages whose Python blocks form one complete program, and something each prints
#: only when it ran to its end.
EXECUTED = {
    "docs/admin.md": "refused: Account already exists",
    "docs/archiving.md": "warn the user:",
    "docs/binary-xmpp.md": "stanza Presence(",
    "docs/compliance.md": "refused: info[0] is not a disco#info result",
    "docs/cookies.md": "refused to run a script from bakery@town.example",
    "docs/evil.md": "refused: only a message or presence carries the evil flag",
    "docs/forms.md": "throttle: 30",
    "docs/guide.md": "not cached: mismatch",
    "docs/hf-radio.md": "the ship closed the link",
    "docs/json.md": "urn:example:score /level bad-request",
    "docs/machines.md": "event TimedOut",
    "docs/muc.md": "rejoin lounge@rooms.example.org",
    "docs/pubsub.md": "is listening to",
    "docs/rtt.md": "(the real-time text agreed: True)",
    "docs/security-xep0419.md": "refused: the namespace 'urn:xmpps:ping' is already",
    "docs/server-buddies.md": "buddies: {'capulet.lit': 'both'}",
    "docs/sessions.md": "refused: not-authorized",
    "README.md": "answer <iq",
}
#: Every page whose links and paths are checked.
PAGES = ["README.md", *sorted(f"docs/{page.name}" for page in DOCS.glob("*.md")),
         "fuzz/README.md"]
#: Paths the pages name that are not in the repository, and why that is right.
NOT_IN_THE_REPOSITORY = {
    "benchmarks/.venv-aioxmpp": "made by the first benchmark run",
    "benchmarks/results/latest.json": "written by each benchmark run",
    "benchmarks/results/binary_zlib.json": "written by each run of its benchmark",
    "fuzz/corpus/": "made by python -m fuzz.run",
    "tests/stanzas/ping.xml": "a test in the reader's project, as the pytest plugin names it",
}


@pytest.mark.parametrize("page", sorted(EXECUTED))
def test_the_worked_example_runs(page: str, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the examples open files by their path in the repository
    blocks = _BLOCK.findall((ROOT / page).read_text(encoding="utf-8"))
    assert blocks, f"{page} has no python block to run"
    namespace: dict[str, object] = {"__name__": f"docs.{page}"}
    for number, block in enumerate(blocks, 1):
        # dont_inherit: the blocks run as a reader's own file would, without this
        # module's ``from __future__ import annotations``.
        exec(compile(block, f"{page}, python block {number}", "exec", dont_inherit=True),
             namespace)
    assert EXECUTED[page] in capsys.readouterr().out


def test_the_readme_commands_are_the_ones_ci_runs() -> None:
    """.ci/run runs the README's first commands word for word; they must not drift."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    commands = [line for line in _SHELL.findall(readme)[0].splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    assert len(commands) == 2
    for command in commands:
        assert command in ci, command


# -- links and paths -------------------------------------------------------------------------

_LINK = re.compile(r"\]\(([^)\s]+)\)")
_CODE = re.compile(r"`([^`\n]+)`")
_TOP = frozenset(path.name for path in ROOT.iterdir() if path.name != ".git")


def _repository_path(code: str) -> str | None:
    """The repository path a backticked span names, or None when it names none: a
    word starting with a top-level entry of the repository (``docs/guide.md``,
    ``examples/``, ``pyproject.toml``), up to a ``::`` test id or a trailing mark."""
    words = shlex.split(code, posix=True) if code.count("'") % 2 == 0 else code.split()
    if len(words) != 1:
        return None
    word = words[0].split("::")[0].rstrip(".,:;)")
    first = word.split("/")[0]
    if first not in _TOP or (word == first and "." not in word):
        return None  # a bare word like `tests` or `docs` is prose, not a path
    if any(mark in word for mark in "*?[{<…"):
        return None  # a pattern, not a path
    return word


def _cited(page: str) -> list[str]:
    text = (ROOT / page).read_text(encoding="utf-8")
    # Code blocks hold commands and programs, not citations.
    prose = re.sub(r"^```.*?^```", "", text, flags=re.DOTALL | re.MULTILINE)
    cited = []
    for target in _LINK.findall(prose):
        if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a URL or an anchor on the same page
        resolved = ((ROOT / page).parent / target.split("#")[0]).resolve()
        cited.append(resolved.relative_to(ROOT).as_posix() + ("/" if target.endswith("/")
                                                              else ""))
    cited += [path for code in _CODE.findall(prose)
              if (path := _repository_path(code)) is not None]
    return cited


@pytest.mark.parametrize("page", PAGES)
def test_every_file_a_page_cites_exists(page: str) -> None:
    missing = [path for path in _cited(page)
               if path not in NOT_IN_THE_REPOSITORY and not (ROOT / path).exists()]
    assert not missing, f"{page} cites {missing}, which the repository lacks"


def test_the_path_check_sees_what_it_must() -> None:
    assert _repository_path("docs/guide.md") == "docs/guide.md"
    assert _repository_path("tests/stanzas/ping.xml::xepcodec") == "tests/stanzas/ping.xml"
    assert _repository_path("pyproject.toml") == "pyproject.toml"
    assert _repository_path("examples/") == "examples/"
    assert _repository_path("docs") is None
    assert _repository_path("xepcodec validate examples/") is None
    assert _repository_path("schemas/*.xsd") is None
    assert "docs/guide.md" in _cited("README.md")
    assert all(path in _cited(page) for page, path in [
        ("README.md", "docs/validate.md"), ("README.md", "fuzz/README.md")])


def test_no_allowance_is_stale() -> None:
    cited = {path for page in PAGES for path in _cited(page)}
    assert set(NOT_IN_THE_REPOSITORY) <= cited
