"""Cold import of the Vercel entry (api/index.py) in a fresh interpreter, vs bare litestar.

Each figure is the fastest of fresh subprocesses timing the import (and, for the entry,
building the app: Vercel does both on a cold start). The baseline is `import litestar`
measured the same way in the same run, the two alternating subprocess by subprocess. The
fastest, as timeit reports: on 2 shared cores slower runs are other processes'
interference, and the median's ratio went from 1.27 to 1.62 for the same code in runs a
minute apart. The main line is CPU time (the work a cold start does), the other wall
clock. The slowest modules of one `-X importtime` run go to stderr, to say where the time
goes.

Where valgrind is installed, a third line counts the instructions each import executes
(cachegrind, without its cache simulation; the interpreter's own start, `python -c pass`,
taken off both): a count that does not move with the machine's load, to the tenth of a
percent from run to run, where the times above move by a quarter. A change to what the
entry imports shows there first.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench._common import emit, log, sized

ROOT = Path(__file__).resolve().parents[1]
RUNS = sized(15, 1)
# An address that refuses connections: the entry must not try it at import.
ENV = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
ENV.pop("PYTHONDONTWRITEBYTECODE", None)
# What the entry must not import at cold start (deferred to the pool's opening, to the
# first use, or never needed by the HTTP API).
DEFERRED = (
    "psycopg", "psycopg_pool", "pgvector", "pydantic", "numpy", "tiktoken", "quicktok",
    "onnxruntime", "adapters.postgres.store", "adapters.embedders.local",
    # PyYAML and pdb stay stand-ins until used (entrypoints.deferred.defer_unused_imports).
    "yaml.reader", "bdb",
    # Imported where first used (domain.versioning, entrypoints.logs, .summarizing).
    "json",
)  # fmt: skip


def _timed(statement: str) -> tuple[float, float]:
    """CPU and wall-clock milliseconds of `statement` in a fresh interpreter."""
    code = (
        "import time; c, t = time.process_time(), time.perf_counter(); "
        f"{statement}; print(time.process_time() - c, time.perf_counter() - t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=ENV, capture_output=True, text=True, check=True
    )
    cpu, wall = out.stdout.strip().splitlines()[-1].split()
    return float(cpu) * 1000, float(wall) * 1000


def _instructions(statement: str) -> float | None:
    """Millions of instructions a fresh interpreter executes running `statement`, counted
    by valgrind (None where it is not installed)."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    out = subprocess.run(
        [valgrind, "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         sys.executable, "-c", statement],
        cwd=ROOT, env=ENV, capture_output=True, text=True, check=True,
    )  # fmt: skip
    counted = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if counted is None:
        raise RuntimeError(f"valgrind printed no instruction count:\n{out.stderr[-2000:]}")
    return int(counted.group(1).replace(",", "")) / 1e6


def _deferred_loaded() -> list[str]:
    code = f"import sys, api.index; print(','.join(m for m in {DEFERRED!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=ENV, capture_output=True, text=True, check=True
    )
    return [m for m in out.stdout.strip().split(",") if m]


def _slowest(module: str, top: int = 8) -> list[tuple[int, str]]:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT, env=ENV, capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = []
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s*(\S+)", line)
        # Whole packages (no dot), cumulative: where the entry's import time goes.
        if m and "." not in m.group(2) and m.group(2) not in ("api", "site"):
            rows.append((int(m.group(1)), m.group(2)))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    """Print the cold import time of api.index with `import litestar` as the baseline."""
    with tempfile.TemporaryDirectory(prefix="kata-pyc-") as cache:
        ENV["PYTHONPYCACHEPREFIX"] = cache
        _timed("import litestar, api.index")  # fills the bytecode cache, untimed
        _measure()


def _measure() -> None:
    loaded = _deferred_loaded()
    if loaded:
        log(f"imported at cold start although deferred: {', '.join(loaded)}")
    litestar, entry = [], []
    for _ in range(RUNS):  # alternating, so a change in load reaches both alike
        litestar.append(_timed("import litestar"))
        entry.append(_timed("import api.index"))
    (litestar_ms, litestar_wall), (entry_ms, entry_wall) = (
        (min(c for c, _ in runs), min(w for _, w in runs)) for runs in (litestar, entry)
    )
    emit(
        "cold_import_vercel_entry",
        RUNS,
        entry_ms,
        "ms CPU",
        baseline="import litestar",
        baseline_value=litestar_ms,
    )
    emit(
        "cold_import_vercel_entry_wall",
        RUNS,
        entry_wall,
        "ms",
        baseline="import litestar",
        baseline_value=litestar_wall,
    )
    log(
        f"import litestar: {litestar_ms:.1f} ms CPU ({litestar_wall:.1f} wall); "
        f"import api.index: {entry_ms:.1f} ms CPU ({entry_wall:.1f} wall)"
    )
    for us, name in _slowest("api.index"):
        log(f"  {us / 1000:8.1f} ms  {name}")
    _count()


def _count() -> None:
    start = _instructions("pass")
    if start is None:
        log("valgrind not installed: no instruction counts")
        return
    litestar, entry = (_instructions(s) for s in ("import litestar", "import api.index"))
    assert litestar is not None and entry is not None
    emit(
        "cold_import_vercel_entry_instructions",
        1,
        entry - start,
        "M instructions",
        baseline="import litestar",
        baseline_value=litestar - start,
    )


if __name__ == "__main__":
    main()
