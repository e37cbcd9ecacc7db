"""The worked examples in docs/ run as written.

Each ```python block of a page is executed, in order, in one namespace: a page whose
example stops working fails here rather than misleading its reader.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
#: The pages whose Python blocks form one complete program.
EXECUTED = ("archiving.md",)


@pytest.mark.parametrize("page", EXECUTED)
def test_the_worked_example_runs(page: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    blocks = _BLOCK.findall(text)
    assert blocks, f"{page} has no python block to run"
    namespace: dict[str, object] = {"__name__": f"docs.{page}"}
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"{page}, python block {number}", "exec"), namespace)
    assert "warn the user:" in capsys.readouterr().out
