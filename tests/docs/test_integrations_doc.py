"""Every python block of docs/integrations.md runs, each on its own, offline."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def test_the_page_has_an_example_per_framework() -> None:
    text = "\n".join(BLOCKS)
    for needle in ("KataSession", "KataChatMessageHistory", "KataGraphMemory",
                   "AsyncKataClient", "from_responses"):
        assert needle in text, needle


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_python_block_runs(block: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        exec(compile(block, str(DOC), "exec"), {"__name__": "__docs__"})
