"""What every benchmark shares: one JSON object per line, with a baseline ratio.

A bench module reads its sizes through `sized(full, smoke)`: with KATA_BENCH_SMOKE=1 in
the environment (`python -m bench --smoke`) it runs at a tiny size, so the test suite can
run every bench end to end without timing anything; otherwise it runs at full size.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import TypeVar

SMOKE_ENV = "KATA_BENCH_SMOKE"

_Size = TypeVar("_Size")


def smoke() -> bool:
    """True for a smoke run: every bench at a tiny size, to check it runs, not to time it."""
    return os.environ.get(SMOKE_ENV) == "1"


def sized(full: _Size, smoke_size: _Size) -> _Size:
    """`full` for a real run, `smoke_size` for a smoke run."""
    return smoke_size if smoke() else full


def emit(
    bench: str,
    n: int,
    value: float,
    unit: str,
    *,
    baseline: str | None = None,
    baseline_value: float | None = None,
) -> None:
    """Print one result: the ratio is value / baseline_value, both from the same run.

    A line names a baseline only with its ratio: against a baseline of zero (recency's
    recall at a small budget) there is no ratio, so the line names none.
    """
    if baseline is not None and baseline_value is None:
        raise ValueError(f"{bench}: baseline {baseline!r} named without its value")
    ratio = None
    if baseline is not None and baseline_value:
        ratio = round(value / baseline_value, 4)
    else:
        baseline = None
    line = {
        "bench": bench,
        "n": n,
        "value": round(value, 6),
        "unit": unit,
        "baseline": baseline,
        "ratio": ratio,
    }
    print(json.dumps(line), flush=True)


def size_label(size: int) -> str:
    """1000 -> "1k", 1_000_000 -> "1M" (and 100 -> "100"): the suffix of a bench name."""
    if size >= 1_000_000:
        return f"{size // 1_000_000}M"
    return f"{size // 1000}k" if size >= 1000 else str(size)


def p50_ms(fn: Callable[[], object], *, repeat: int, warmup: int = 5) -> float:
    """Median wall time of `fn` in milliseconds (three calls, one warm-up, when smoking)."""
    repeat, warmup = sized(repeat, min(repeat, 3)), sized(warmup, min(warmup, 1))
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def log(message: str) -> None:
    """Progress for humans, on stderr so stdout stays JSON lines."""
    print(message, file=sys.stderr, flush=True)
