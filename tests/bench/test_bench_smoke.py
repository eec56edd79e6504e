"""Every bench runs end to end at a tiny size and prints well-formed result lines.

`make bench` is not part of `make test`, so a bench that no longer imports or runs would
otherwise land unnoticed. Each module found in bench/ runs once in its own interpreter as
`python -m bench --smoke NAME`; nothing is timed. Its temporary folders (embedded servers,
`serve` data) go under a folder of its own, which lets the test see that nothing it
started is still running afterwards.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import bench
from bench._common import SMOKE_ENV

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"bench", "n", "value", "unit", "baseline", "ratio"}
# Far above what any smoke run takes (seconds): only a hung bench reaches it.
TIMEOUT_S = 300


def _marks(name: str) -> list[pytest.MarkDecorator]:
    source = (ROOT / "bench" / f"{name}.py").read_text()
    needs_postgres = "bench._postgres" in source
    return [pytest.mark.slow, *([pytest.mark.postgres] if needs_postgres else [])]


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A short-named temporary folder for one bench's own temporary folders."""
    folder = Path(tempfile.mkdtemp(prefix="kata-smoke-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _still_running(folder: Path) -> list[str]:
    """Processes working in or started on `folder` (a PostgreSQL server's processes run
    in its data folder; `serve` names its data folder on its command line)."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: nothing to look at
        return []
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, UnicodeDecodeError):
            continue  # gone, or not ours to read
        if cwd.startswith(str(folder)) or str(folder) in cmdline:
            found.append(f"{entry.name}: {cmdline.strip()}")
    return found


def _run(name: str, folder: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, SMOKE_ENV: "1", "TMPDIR": str(folder)}
    # Its own session, so a hung bench is killed with everything it started.
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench", "--smoke", name],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"bench {name} ran past {TIMEOUT_S}s:\n{err[-4000:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _check_line(line: str) -> None:
    result = json.loads(line)
    assert isinstance(result, dict) and set(result) == KEYS, line
    assert isinstance(result["bench"], str) and result["bench"], line
    assert isinstance(result["n"], int) and not isinstance(result["n"], bool), line
    assert result["n"] >= 0, line
    value = result["value"]
    assert isinstance(value, int | float) and not isinstance(value, bool), line
    assert math.isfinite(value), line
    assert isinstance(result["unit"], str) and result["unit"], line
    baseline, ratio = result["baseline"], result["ratio"]
    if baseline is None:
        assert ratio is None, line
    else:
        assert isinstance(baseline, str) and baseline, line
        assert isinstance(ratio, int | float) and not isinstance(ratio, bool), line
        assert math.isfinite(ratio), line


@pytest.mark.parametrize("name", [pytest.param(n, marks=_marks(n)) for n in bench.modules()])
def test_bench_runs_at_smoke_size(name: str, scratch: Path) -> None:
    done = _run(name, scratch)
    assert done.returncode == 0, f"bench {name} failed:\n{done.stderr[-4000:]}"
    lines = done.stdout.splitlines()
    assert lines, f"bench {name} printed no result:\n{done.stderr[-4000:]}"
    for line in lines:
        _check_line(line)
    assert _still_running(scratch) == [], f"bench {name} left processes running"
    left = [p.name for p in scratch.iterdir() if p.name.startswith("kata-")]
    assert left == [], f"bench {name} left temporary folders: {left}"


def test_every_bench_module_is_found() -> None:
    # Discovery is what covers a new bench: it must see the modules that exist.
    on_disk = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if not p.stem.startswith("_"))
    assert on_disk and bench.modules() == on_disk
