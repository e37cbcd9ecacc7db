"""The benchmark harness measures what it says it measures (the measurements themselves are
``python -m benchmarks`` and ``python -m benchmarks.cli_throughput``, not tests).

Nothing here is timed: the timing loops run on a clock the test drives.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

import benchmarks._timing as timing
import benchmarks.cli_throughput as cli_bench
import xepcodec
from benchmarks import _slixmpp as slix
from benchmarks import compare, python_floor, run
from xepcodec.datatypes.jid import JID
from xepcodec.validation.checking import Checker
from xepcodec.validation.inputs import Source


def test_the_six_payloads_parse_typed_and_validate() -> None:
    payloads = run.load_payloads()
    assert list(payloads) == list(run.PAYLOADS)
    assert len(payloads) == 6
    assert run.check_payloads(payloads) == []


def test_the_payloads_have_the_sizes_issue_17_names() -> None:
    payloads = run.load_payloads()
    items = xepcodec.parse(payloads["disco_items_rsm"]).payload
    assert len(items.items) == 50 and items.rsm is not None
    chat = xepcodec.parse(payloads["archive_page"]).payload
    assert len(chat.entries) == 200 and chat.rsm is not None
    command = xepcodec.parse(payloads["command_form"]).payload
    assert len(command.payload[0].fields) == 10


def test_xepcodec_and_slixmpp_read_the_same_facts() -> None:
    for name, data in run.load_payloads().items():
        ours = xepcodec.parse(data)
        facts = run.XEPCODEC_ACCESSORS[name](ours)  # reads everything without failing
        assert isinstance(facts, tuple)
        if name in slix.UNSUPPORTED:
            continue
        theirs = slix.decode(data)
        assert str(run.XEPCODEC_ONE_FIELD[name](ours)) == str(slix.ONE_FIELD[name](theirs))
        their_facts = slix.ACCESSORS[name](theirs)
        assert isinstance(their_facts, tuple)
        # from, to and id, the head of every all-fields reading
        assert [str(value) for value in facts[0][:3]] == [
            str(value) for value in their_facts[0][:3]]


def test_clearing_the_jid_caches_makes_the_next_parse_a_miss() -> None:
    clearers = run.jid_cache_clearers()
    caches = [cast(Any, clear).__self__ for clear in clearers]  # the lru_cache wrappers
    JID.parse("nurse@capulet.example/kitchen")
    assert any(cache.cache_info().currsize for cache in caches)
    run.clear_jid_caches(clearers)()
    assert all(cache.cache_info().currsize == 0 for cache in caches)
    misses = sum(cache.cache_info().misses for cache in caches)
    JID.parse("nurse@capulet.example/kitchen")
    assert sum(cache.cache_info().misses for cache in caches) > misses


class _Clock:
    """A clock that moves only when told to, plus one tick per reading (as a real one does)."""

    TICK = 1e-6

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += self.TICK
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Clock]:
    fake = _Clock()
    monkeypatch.setattr(timing, "clock", fake)
    yield fake


def test_the_setup_before_each_call_is_not_timed(clock: _Clock) -> None:
    def setup() -> None:
        clock.now += 1.0  # far more than the call itself

    def call() -> None:
        clock.now += 0.001

    budget = timing.Budget(min_time=0.002, repeat=3)
    [seconds] = timing.measure_group([call], budget, setup=setup)
    # The reading of the clock around each call is subtracted too.
    assert seconds == pytest.approx(0.001)


def test_without_setup_a_call_costs_what_it_moves_the_clock(clock: _Clock) -> None:
    def call() -> None:
        clock.now += 0.001

    [seconds] = timing.measure_group([call], timing.Budget(min_time=0.002, repeat=2))
    assert seconds == pytest.approx(0.001, rel=0.01)


def _rows(op: str, ratios: dict[str, float], impl: str = "xepcodec.parse") -> list[run.Row]:
    rows = []
    for payload, value in ratios.items():
        rows.append(run.Row(payload, op, run.FLOOR_IMPL[run.FLOOR_OP[op]], 1.0))
        rows.append(run.Row(payload, op, impl, value))
    return rows


def _target(results: list[dict[str, object]], key: str) -> dict[str, object]:
    return next(t for t in results if t["key"] == key)


@pytest.mark.parametrize(
    ("ratios", "median", "worst"),
    [
        ({"a": 2.0, "b": 3.5, "c": 5.0}, "FAIL", "FAIL"),
        ({"a": 2.0, "b": 2.5, "c": 3.9}, "PASS", "PASS"),
        ({"a": 2.0, "b": 2.9, "c": 4.1}, "PASS", "FAIL"),
    ],
)
def test_decode_targets_hold_on_the_median_and_the_worst_payload(
    ratios: dict[str, float], median: str, worst: str
) -> None:
    results = run.evaluate(_rows("decode", ratios), list(ratios))
    assert _target(results, "decode_median")["status"] == median
    assert _target(results, "decode_median")["value"] == sorted(ratios.values())[1]
    assert _target(results, "decode_worst")["status"] == worst
    assert _target(results, "decode_worst")["value"] == max(ratios.values())
    assert _target(results, "decode_cold_median")["status"] == "n/a"


def test_access_targets_need_xepcodec_faster_on_every_payload_slixmpp_reads() -> None:
    rows = [
        run.Row("a", "access_one", "slixmpp", 3.0),
        run.Row("a", "access_one", "xepcodec lazy", 1.0),
        run.Row("b", "access_one", "slixmpp", 1.0),
        run.Row("b", "access_one", "xepcodec lazy", 1.0),  # as fast is not faster
        run.Row("c", "access_one", "slixmpp", None, note="no plugin"),
        run.Row("c", "access_one", "xepcodec lazy", 1.0),
    ]
    target = _target(run.evaluate(rows, ["a", "b", "c"]), "access_one_slixmpp")
    assert target["value"] == 1.0
    assert target["status"] == "FAIL (2/3 payloads)"


def test_the_generated_stream_holds_exactly_the_planted_errors(tmp_path: Path) -> None:
    path = tmp_path / "stream.xml"
    stanzas, invalid = cli_bench.write_stream(path, 100_000)
    assert stanzas > 100 and invalid == len(cli_bench.INVALID)
    again = tmp_path / "again.xml"
    assert cli_bench.write_stream(again, 100_000) == (stanzas, invalid)
    assert again.read_bytes() == path.read_bytes()  # the seed makes it reproducible
    check, events = Checker().run(Source(str(path), path))
    assert len(list(events)) == stanzas
    summary = check.summary
    assert summary.kind == "capture"
    assert summary.stanzas == stanzas
    assert summary.invalid == invalid
    assert summary.problems == 0  # (warnings: hints have no schema)


def test_repeated_cli_runs_keep_the_fastest_and_never_hide_a_disagreement() -> None:
    def ran(wall: float | None, peak: float, errors: int = 2) -> cli_bench.Run:
        return cli_bench.Run("xepcodec", "xepcodec validate STREAM", 10, wall, wall, peak, 1,
                             errors)

    kept = cli_bench.best(cli_bench.best(None, ran(9.0, 50.0)), ran(7.0, 40.0))
    assert (kept.wall_seconds, kept.peak_mb, kept.note) == (7.0, 50.0, "")
    assert cli_bench.best(kept, ran(8.0, 45.0)).wall_seconds == 7.0
    odd = cli_bench.best(kept, ran(8.0, 45.0, errors=3))
    assert odd.errors_reported == 3 and "disagree" in odd.note
    assert cli_bench.best(kept, ran(None, 0.0)).wall_seconds is None


def test_compare_puts_each_target_before_and_after_per_payload() -> None:
    def results(values: dict[str, float | None], value: float | None) -> dict[str, Any]:
        return {"payload_bytes": {"a": 10, "b": 20},
                "targets": [{"key": "encode", "target": "encode <= 3x", "payloads": values,
                             "value": value}]}

    before = results({"a": 6.0, "b": 4.0}, 6.0)
    after = results({"a": 3.0, "b": None}, 3.0)
    lines = compare.table(before, after).splitlines()
    assert lines[0] == "| target | a | b | median/worst |"
    assert lines[2] == "| encode <= 3x | 6.00x -> 3.00x | 4.00x -> n/a | 6.00x -> 3.00x |"
    # A target the earlier run did not know is n/a before.
    assert compare.table({"targets": []}, after).splitlines()[2].startswith("| encode <= 3x | n/a")


def test_the_python_floor_reads_and_builds_every_element() -> None:
    data = (b"<a xmlns='urn:x' k='v'>t<b/><c><d>u</d></c></a>")
    assert python_floor.read_every_node(data) == 4
    root = python_floor.build_untyped(data)
    assert (root.tag, root.attributes, root.text) == ("{urn:x}a", (("k", "v"),), "t")
    assert [child.tag for child in root.children] == ["{urn:x}b", "{urn:x}c"]
    assert root.children[1].children[0].text == "u"
    with pytest.raises(dataclasses.FrozenInstanceError):
        root.tag = "changed"  # type: ignore[misc]
    with pytest.raises(ValueError, match="text between elements"):
        python_floor.build_untyped(b"<a><b/>loose<c/></a>")
