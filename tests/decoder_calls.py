"""Counting the decoders' calls: each call of a compiled decoder, and each of the
careful one (``Codec.explain``), is one visit of one element.

Counted through a profile hook, which sees every call however it is made: the compiled
decoders hold the careful one bound in their own scope, where no patch would reach.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from xepcodec.model.codec import Codec


@dataclass
class Visits:
    fast: int = 0
    careful: int = 0

    @property
    def total(self) -> int:
        return self.fast + self.careful


@contextmanager
def counting() -> Iterator[Visits]:
    """Count calls of the compiled decoders and of the careful decoder."""
    visits = Visits()
    careful = Codec.explain.__code__

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        code = frame.f_code
        if code is careful:
            visits.careful += 1
        elif code.co_name == "decode" and code.co_filename.startswith("<decode of "):
            visits.fast += 1

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield visits
    finally:
        sys.setprofile(previous)
