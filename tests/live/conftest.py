"""The Prosody server the live tests talk to: one for the whole session.

Without ``prosody`` on the PATH the live tests are skipped with the reason, unless
``XEPCODEC_REQUIRE_PROSODY`` is set (``.ci/run`` sets it after installing Prosody): then
they fail.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from .prosody import Prosody, prosody_installed

REQUIRED = bool(os.environ.get("XEPCODEC_REQUIRE_PROSODY"))


@pytest.fixture(scope="session")
def prosody(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prosody]:
    """A running Prosody on 127.0.0.1, its accounts registered; stopped at the end."""
    if not prosody_installed():
        if REQUIRED:
            pytest.fail("XEPCODEC_REQUIRE_PROSODY is set, but prosody is not installed")
        pytest.skip("prosody is not installed (Debian package prosody; set "
                    "XEPCODEC_REQUIRE_PROSODY to make this a failure)")
    server = Prosody(Path(tmp_path_factory.mktemp("prosody")))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
        item: pytest.Item, call: pytest.CallInfo[None],
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed live test shows the tail of the server's log beside its traceback."""
    report: pytest.TestReport = yield
    server = getattr(item, "funcargs", {}).get("prosody")
    if report.failed and isinstance(server, Prosody):
        report.sections.append(("prosody log", server.tail(60)))
    return report
