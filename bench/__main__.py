"""Run every benchmark module in bench/ (or those named on the command line).

`--smoke` runs them at a tiny size (KATA_BENCH_SMOKE=1): a check that each one runs
and prints its lines, as the test suite does; the figures mean nothing.
"""

from __future__ import annotations

import importlib
import os
import sys

import bench
from bench._common import SMOKE_ENV


def main(argv: list[str]) -> int:
    """Import each bench module and call its `main()`; results are JSON lines on stdout."""
    if "--smoke" in argv:
        argv = [a for a in argv if a != "--smoke"]
        # Set before any bench module is imported: their sizes are read at import.
        os.environ[SMOKE_ENV] = "1"
    for name in argv or bench.modules():
        module = importlib.import_module(f"bench.{name}")
        module.main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
