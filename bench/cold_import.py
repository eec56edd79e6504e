"""Cold import of the Vercel entry (api/index.py) in a fresh interpreter, vs bare litestar.

Each figure is the median over fresh subprocesses of the time to import (and, for the
entry, build the app: Vercel does both on a cold start). The baseline is `import litestar`
measured the same way in the same run. The slowest modules of one `-X importtime` run go
to stderr, to say where the time goes.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench._common import emit, log, sized

ROOT = Path(__file__).resolve().parents[1]
RUNS = sized(7, 1)
# An address that refuses connections: the entry must not try it at import.
ENV = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
ENV.pop("PYTHONDONTWRITEBYTECODE", None)
# What the entry must not import at cold start (deferred to the pool's opening, to the
# first use, or never needed by the HTTP API).
DEFERRED = (
    "psycopg", "psycopg_pool", "pgvector", "pydantic", "numpy", "tiktoken", "quicktok",
    "onnxruntime", "adapters.postgres.store", "adapters.embedders.local",
)  # fmt: skip


def _timed(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=ENV, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1]) * 1000


def _median(statement: str) -> float:
    return statistics.median(_timed(statement) for _ in range(RUNS))


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
    litestar_ms = _median("import litestar")
    entry_ms = _median("import api.index")
    emit(
        "cold_import_vercel_entry",
        RUNS,
        entry_ms,
        "ms",
        baseline="import litestar",
        baseline_value=litestar_ms,
    )
    log(f"import litestar: {litestar_ms:.1f} ms; import api.index: {entry_ms:.1f} ms")
    for us, name in _slowest("api.index"):
        log(f"  {us / 1000:8.1f} ms  {name}")


if __name__ == "__main__":
    main()
