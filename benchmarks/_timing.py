"""timeit-style timing: calibrated loop counts, best of N repeats (standard library only).

Shared by the main harness and the aioxmpp worker, which runs in another virtual environment.
"""

from __future__ import annotations

import gc
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from time import perf_counter


@dataclass(frozen=True)
class Budget:
    """How long one timed loop should last, and how many loops to take the best of."""

    min_time: float
    repeat: int


FULL = Budget(min_time=0.05, repeat=7)
QUICK = Budget(min_time=0.002, repeat=2)

_MAX_NUMBER = 10_000_000


def _loop(fn: Callable[[], object], number: int) -> float:
    """Call ``fn`` ``number`` times with the garbage collector off, like ``timeit``."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = perf_counter()
        for _ in itertools.repeat(None, number):
            fn()
        return perf_counter() - start
    finally:
        if was_enabled:
            gc.enable()


def _calibrate(fn: Callable[[], object], budget: Budget) -> tuple[int, float]:
    """Warm up, then find a loop count lasting at least ``budget.min_time``.

    Returns (loop count, seconds per call of that last loop). An exception from ``fn``
    propagates, so callers can report the implementation as unavailable.
    """
    fn()
    number = 1
    while True:
        elapsed = _loop(fn, number)
        if elapsed >= budget.min_time or number >= _MAX_NUMBER:
            return number, elapsed / number
        if elapsed <= 0:
            number *= 10
        else:
            wanted = math.ceil(number * budget.min_time * 1.1 / elapsed)
            number = min(max(wanted, number + 1), number * 100, _MAX_NUMBER)


def measure(fn: Callable[[], object], budget: Budget) -> float:
    """Seconds per call of ``fn``: the minimum over ``budget.repeat`` calibrated loops."""
    gc.collect()
    number, best = _calibrate(fn, budget)
    for _ in range(budget.repeat - 1):
        best = min(best, _loop(fn, number) / number)
    return best


def measure_group(
    fns: Sequence[Callable[[], object]], budget: Budget
) -> list[float | BaseException]:
    """Like ``measure`` for each of ``fns``, with their repeats interleaved round-robin.

    Implementations compared with each other (a floor and its candidates) then share the
    same moments of machine load, so their ratios hold up on a busy machine. Each entry
    is seconds per call, or the exception that implementation raised.
    """
    gc.collect()
    numbers: list[int] = []
    results: list[float | BaseException] = []
    for fn in fns:
        try:
            number, per_call = _calibrate(fn, budget)
        except Exception as exc:
            numbers.append(0)
            results.append(exc)
            continue
        numbers.append(number)
        results.append(per_call)
    for _ in range(budget.repeat - 1):
        for i, fn in enumerate(fns):
            best = results[i]
            if isinstance(best, BaseException):
                continue
            try:
                results[i] = min(best, _loop(fn, numbers[i]) / numbers[i])
            except Exception as exc:
                results[i] = exc
    return results
