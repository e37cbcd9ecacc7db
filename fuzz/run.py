"""Run one fuzz target under atheris (libFuzzer): ``python -m fuzz.run TARGET [CORPUS_DIR]
[libFuzzer options]``, from the repository's root.

A corpus folder that does not exist yet is made and filled with the seeds first (the
examples, stanzas built with the library, the specifications' examples when they are
beside the checkout).  Everything after TARGET goes to libFuzzer, so ``-runs=20000``,
``-max_total_time=60`` or a crash file to replay all work as libFuzzer documents.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import atheris

# Coverage is taken of xepcodec only.  Protocol modules load when their namespace is
# first met: load them all here, inside the instrumented import, so they are covered too.
with atheris.instrument_imports(include=["xepcodec"]):
    from fuzz.targets import TARGETS, join_cuts
    from xepcodec.protocols import load_all

    load_all()

from fuzz.seeds import seeds


def _fill(folder: Path, target: str) -> None:
    folder.mkdir(parents=True)
    for data in seeds():
        if target == "stream":  # the stream target reads its cut points from a trailer
            data = join_cuts(data, (len(data) // 3, len(data) // 2))
        (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: python -m fuzz.run {{{','.join(TARGETS)}}} [CORPUS_DIR] "
                 "[libFuzzer options]")
    target = sys.argv.pop(1)
    for argument in sys.argv[1:]:
        if not argument.startswith("-"):
            folder = Path(argument)
            if not folder.exists() and not folder.suffix:
                _fill(folder, target)
            break
    atheris.Setup(sys.argv, TARGETS[target])
    atheris.Fuzz()


if __name__ == "__main__":
    main()
