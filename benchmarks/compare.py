"""Two runs of ``python -m benchmarks`` side by side: the targets, payload by payload.

Usage (from the repository root)::

    python -m benchmarks.compare BEFORE.json AFTER.json   # Markdown table on stdout

Each cell is the target's measure on one payload (a ratio to the floor, or a speed-up over
slixmpp for the access targets), before -> after, then the median or worst over the
payloads, as ``python -m benchmarks`` holds it.  A target one run did not measure is n/a.
Both files should come from runs on the same machine at the same time: the ratios are taken
within a run, but a busy machine still moves them.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def table(before: dict[str, Any], after: dict[str, Any]) -> str:
    """The Markdown table of the targets of ``after``, each cell "before -> after"."""
    old = {target["key"]: target for target in before["targets"]}
    payloads = list(after["payload_bytes"])
    lines = [
        "| target | " + " | ".join(payloads) + " | median/worst |",
        "|---|" + "---|" * (len(payloads) + 1),
    ]
    for target in after["targets"]:
        was = old.get(target["key"], {"payloads": {}, "value": None})
        cells = [f"{_cell(was['payloads'].get(p))} -> {_cell(target['payloads'].get(p))}"
                 for p in payloads]
        overall = f"{_cell(was['value'])} -> {_cell(target['value'])}"
        lines.append(f"| {target['target']} | " + " | ".join(cells) + f" | {overall} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="results of the earlier run (JSON)")
    parser.add_argument("after", type=Path, help="results of the later run (JSON)")
    args = parser.parse_args(argv)
    before = json.loads(args.before.read_text(encoding="utf-8"))
    after = json.loads(args.after.read_text(encoding="utf-8"))
    print(table(before, after))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
