"""timeit-style timing: calibrated loop counts, best of N repeats (standard library only).

Shared by the main harness and the aioxmpp worker, which runs in another virtual environment.
"""

from __future__ import annotations

import gc
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter


@dataclass(frozen=True)
class Budget:
    """How long one timed loop should last, and how many loops to take the best of."""

    min_time: float
    repeat: int


FULL = Budget(min_time=0.08, repeat=5)
QUICK = Budget(min_time=0.002, repeat=2)

_MAX_NUMBER = 10_000_000


def _loop(fn: Callable[[], object], number: int) -> float:
    """Call ``fn`` ``number`` times with the garbage collector off, like ``timeit``."""
    gc.collect()
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


def measure(fn: Callable[[], object], budget: Budget) -> float:
    """Seconds per call of ``fn``: the minimum over ``budget.repeat`` calibrated loops.

    ``fn`` is called once untimed first (warm-up); an exception there propagates, so
    callers can report the implementation as unavailable.
    """
    fn()
    number = 1
    while True:
        elapsed = _loop(fn, number)
        if elapsed >= budget.min_time or number >= _MAX_NUMBER:
            break
        if elapsed <= 0:
            number *= 10
        else:
            wanted = math.ceil(number * budget.min_time * 1.1 / elapsed)
            number = min(max(wanted, number + 1), number * 100, _MAX_NUMBER)
    best = elapsed / number
    for _ in range(budget.repeat - 1):
        best = min(best, _loop(fn, number) / number)
    return best
