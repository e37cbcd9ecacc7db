"""timeit-style timing: calibrated loop counts, best of N repeats (standard library only).

Shared by the main harness and the aioxmpp worker, which runs in another virtual environment.

The clock is the calling thread's CPU time (``time.thread_time``): on a machine shared with
other work, time spent waiting for a core is not the code's cost, and wall time would charge
it.  Reading that clock is a system call (about a microsecond), so loops read it only
around a whole calibrated loop, except where a setup step must run untimed before each call
(``measure_group(..., setup=...)``): there every call is timed on its own, and the cost of
reading the clock, measured the same way around an empty call, is subtracted.
"""

from __future__ import annotations

import gc
import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: Seconds of CPU time used by this thread so far.
clock: Callable[[], float] = time.thread_time


@dataclass(frozen=True)
class Budget:
    """How long one timed loop should last, and how many loops to take the best of."""

    min_time: float
    repeat: int


FULL = Budget(min_time=0.05, repeat=7)
QUICK = Budget(min_time=0.002, repeat=2)

_MAX_NUMBER = 10_000_000

#: Times ``number`` calls of a function; returns the seconds they took in all.
_Loop = Callable[[Callable[[], object], int], float]


def _nothing() -> None:
    """The empty call: what timing each call on its own costs when there is no work."""


def _loop(fn: Callable[[], object], number: int) -> float:
    """Call ``fn`` ``number`` times with the garbage collector off, like ``timeit``."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = clock()
        for _ in itertools.repeat(None, number):
            fn()
        return clock() - start
    finally:
        if was_enabled:
            gc.enable()


def _loop_after(setup: Callable[[], object]) -> _Loop:
    """A loop running ``setup`` untimed before each call, and timing each call alone."""

    def loop(fn: Callable[[], object], number: int) -> float:
        was_enabled = gc.isenabled()
        gc.disable()
        total = 0.0
        try:
            for _ in itertools.repeat(None, number):
                setup()
                start = clock()
                fn()
                total += clock() - start
            return total
        finally:
            if was_enabled:
                gc.enable()

    return loop


def _calibrate(
    fn: Callable[[], object], budget: Budget, loop: _Loop = _loop
) -> tuple[int, float]:
    """Warm up, then find a loop count lasting at least ``budget.min_time``.

    Returns (loop count, seconds per call of that last loop). An exception from ``fn``
    propagates, so callers can report the implementation as unavailable.
    """
    fn()
    number = 1
    while True:
        elapsed = loop(fn, number)
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
    fns: Sequence[Callable[[], object]],
    budget: Budget,
    *,
    setup: Callable[[], object] | None = None,
) -> list[float | BaseException]:
    """Like ``measure`` for each of ``fns``, with their repeats interleaved round-robin.

    Implementations compared with each other (a floor and its candidates) then share the
    same moments of machine load, so their ratios hold up on a busy machine. Each entry
    is seconds per call, or the exception that implementation raised.

    With ``setup``, it runs before every call of every function (the floor's too, so all
    are timed alike) and is not timed: each call is timed on its own, and the per-call
    cost of doing so (the best of the same loop around an empty call) is subtracted.
    """
    loop = _loop if setup is None else _loop_after(setup)
    gc.collect()
    overhead = 0.0
    if setup is not None:
        number, overhead = _calibrate(_nothing, budget, loop)
        for _ in range(budget.repeat - 1):
            overhead = min(overhead, loop(_nothing, number) / number)
    numbers: list[int] = []
    results: list[float | BaseException] = []
    for fn in fns:
        try:
            number, per_call = _calibrate(fn, budget, loop)
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
                results[i] = min(best, loop(fn, numbers[i]) / numbers[i])
            except Exception as exc:
                results[i] = exc
    return [r if isinstance(r, BaseException) else max(r - overhead, 0.0) for r in results]
