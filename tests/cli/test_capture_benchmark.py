"""The capture the memory benchmark writes is what it claims to be (the measurement
itself is benchmarks/capture_memory.py, not a test)."""

from __future__ import annotations

from pathlib import Path

import pytest

import benchmarks.capture_memory as bench
from xepcodec.validation.checking import Checker
from xepcodec.validation.inputs import Source


def test_the_generated_capture_holds_exactly_the_planted_errors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "INVALID_EVERY", 97)  # more of them in a small capture
    path = tmp_path / "capture.xml"
    stanzas, invalid = bench.write_capture(path, 256 * 1024)
    assert invalid == stanzas // 97 >= len(bench.INVALID)
    check, events = Checker().run(Source(str(path), path))
    found = list(events)
    summary = check.summary
    assert summary.kind == "capture"
    assert summary.stanzas == stanzas
    assert summary.invalid == invalid
    assert summary.problems == 0 and summary.warnings == 0
    assert len(found) == stanzas
