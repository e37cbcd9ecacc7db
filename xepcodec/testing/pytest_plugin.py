"""The xepcodec pytest plugin, loaded through the ``pytest11`` entry point ``xepcodec``
(or with ``-p xepcodec.testing.pytest_plugin`` where plugin autoloading is off).

It gives:

* the ``assert_valid_stanza`` fixture: :func:`xepcodec.testing.assertions.
  assert_valid_stanza` with the ini options below applied;
* fixture files as test items: every XML file under the folders listed in the ini
  option ``xepcodec_fixture_dirs`` becomes a test item that validates it (all its
  stanzas, whether it holds one, a log or a stream capture).  The folders must be
  among what pytest collects (under ``testpaths`` or the paths given), as for any
  test file.

ini options (``[tool.pytest.ini_options]`` in pyproject.toml, or pytest.ini)::

    xepcodec_fixture_dirs = tests/stanzas      # folders, relative to the ini file
    xepcodec_fixture_include = *.xml           # which files in them (globs)
    xepcodec_strict = true                     # unknown namespaces are errors
    xepcodec_schema_dirs = schemas/own         # your own XSDs
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# pytest loads this module in every session of every project where xepcodec is
# installed: the library itself is imported only by the fixture and the fixture items,
# when a session uses them.
if TYPE_CHECKING:
    from xepcodec.validation.checking import Checker, CheckOptions, CheckResult

__all__ = ["XmlFixtureFile", "XmlFixtureItem", "assert_valid_stanza_fixture"]

_DIRS = "xepcodec_fixture_dirs"
_INCLUDE = "xepcodec_fixture_include"
_STRICT = "xepcodec_strict"
_SCHEMAS = "xepcodec_schema_dirs"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(_DIRS, type="paths", default=[],
                  help="xepcodec: folders whose XML files are each validated as a test item")
    parser.addini(_INCLUDE, type="args", default=["*.xml"],
                  help="xepcodec: file name globs picked up in the fixture folders")
    parser.addini(_STRICT, type="bool", default=False,
                  help="xepcodec: namespaces without a schema are errors")
    parser.addini(_SCHEMAS, type="paths", default=[],
                  help="xepcodec: folders of your own XSDs, merged into the catalog")


def _options(config: pytest.Config) -> CheckOptions:
    from xepcodec.validation.checking import CheckOptions

    schema_dirs = tuple(str(path) for path in config.getini(_SCHEMAS))
    return CheckOptions(strict=bool(config.getini(_STRICT)), schema_dirs=schema_dirs)


@functools.cache
def _checker(options: CheckOptions) -> Checker:
    from xepcodec.validation.checking import Checker

    return Checker(options)


@pytest.fixture(name="assert_valid_stanza")
def assert_valid_stanza_fixture(pytestconfig: pytest.Config) -> Callable[..., CheckResult]:
    """:func:`~xepcodec.testing.assertions.assert_valid_stanza` with the ini options
    (``xepcodec_strict``, ``xepcodec_schema_dirs``) as defaults."""
    from xepcodec.testing.assertions import assert_valid_stanza

    options = _options(pytestconfig)

    def check(stanza: Any, **overrides: Any) -> CheckResult:
        settings: dict[str, Any] = {"strict": options.strict,
                                    "schema_dirs": options.schema_dirs, **overrides}
        return assert_valid_stanza(stanza, **settings)

    return check


def _fixture_dirs(config: pytest.Config) -> list[Path]:
    return [Path(path).resolve() for path in config.getini(_DIRS)]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    config = parent.config
    folders = _fixture_dirs(config)
    if not folders:
        return None
    patterns: list[str] = config.getini(_INCLUDE)
    if not any(file_path.match(pattern) for pattern in patterns):
        return None
    resolved = file_path.resolve()
    if not any(resolved.is_relative_to(folder) for folder in folders):
        return None
    collected: pytest.Collector = XmlFixtureFile.from_parent(parent, path=file_path)
    return collected


class XmlFixtureFile(pytest.File):
    """An XML fixture file: one test item that validates it."""

    def collect(self) -> Iterator[pytest.Item]:
        yield XmlFixtureItem.from_parent(self, name="xepcodec")


class XmlFixtureItem(pytest.Item):
    """Validates one fixture file; fails with its errors shown in context."""

    def runtest(self) -> None:
        from xepcodec.testing.assertions import StanzaAssertionError, format_failure
        from xepcodec.validation.checking import CheckResult, StanzaOutcome
        from xepcodec.validation.inputs import Source

        checker = _checker(_options(self.config))
        source = Source(str(self.path), self.path)
        check, events = checker.run(source)
        result = CheckResult(check.summary)
        for event in events:  # InputError propagates: the file cannot be read
            if isinstance(event, StanzaOutcome):
                result.stanzas.append(event)
            else:
                result.findings.append(event)
        if not result.ok:
            with open(self.path, encoding="utf-8", errors="replace") as lines:
                message = format_failure(result, lines, what=self.path.name)
            raise StanzaAssertionError(message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> Any:
        from xepcodec.testing.assertions import StanzaAssertionError
        from xepcodec.validation.inputs import InputError

        if isinstance(excinfo.value, StanzaAssertionError | InputError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"xepcodec validate {self.path.name}"
