"""What every benchmark shares: one JSON object per line, with a baseline ratio."""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable


def emit(
    bench: str,
    n: int,
    value: float,
    unit: str,
    *,
    baseline: str | None = None,
    baseline_value: float | None = None,
) -> None:
    """Print one result: the ratio is value / baseline_value, both from the same run."""
    ratio = None
    if baseline is not None and baseline_value:
        ratio = round(value / baseline_value, 4)
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
    """1000 -> "1k", 1_000_000 -> "1M": the suffix of a bench name."""
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


def p50_ms(fn: Callable[[], object], *, repeat: int, warmup: int = 5) -> float:
    """Median wall time of `fn` in milliseconds."""
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
