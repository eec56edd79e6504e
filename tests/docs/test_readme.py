"""The README's in-process example runs as written, offline, and says what it claims."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_opens_with_the_two_commands() -> None:
    head = README.read_text(encoding="utf-8").split("\n## ")[0]
    assert head.index("make run") < head.index("make test")


def test_readme_example_runs_offline() -> None:
    blocks = _python_blocks()
    assert blocks, "the README lost its in-process example"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(blocks[0], "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    # The system prompt is pinned first; the latest turn is in the window as recent.
    assert lines[0].startswith("pinned 1 system")
    assert any(line.startswith("recent 3 assistant") for line in lines)
    assert re.search(r"^\d+ of 60 tokens; left out: \d+$", lines[-2], re.M)
    assert lines[-1] == "['You are a helpful support agent.', 'My order 4417 has not arrived.']"
