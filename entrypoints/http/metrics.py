"""Prometheus metrics in the text exposition format: requests and latency per route, the
pool, and counts of appends, windows and compactions.

Written here rather than with prometheus_client: a handful of counters and one histogram,
updated on the event loop only (so no locks), cost less on the hot path than a general
registry. Rendered on scrape.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping

# Litestar adds the charset.
CONTENT_TYPE = "text/plain; version=0.0.4"
# Seconds; most requests finish in the first few (sub-millisecond to a few ms).
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Successful requests of these operations count as one append, window or compaction.
EVENTS: dict[str, tuple[str, int]] = {
    "append_messages": ("appends", 201),
    "read_window": ("windows", 200),
    "query_window": ("windows", 200),
    "compact_context": ("compactions", 201),
}
EVENT_HELP = {
    "appends": "Append batches written (replays not counted).",
    "windows": "Windows answered.",
    "compactions": "Compactions made on request.",
}
PoolStats = Callable[[], Mapping[str, int]]


class _Latency:
    __slots__ = ("buckets", "count", "total")

    def __init__(self) -> None:
        self.buckets = [0] * len(BUCKETS)
        self.count = 0
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        index = bisect.bisect_left(BUCKETS, seconds)
        if index < len(BUCKETS):
            self.buckets[index] += 1
        self.count += 1
        self.total += seconds


class Metrics:
    """The process's counters; `pool` reads the connection pool's state on scrape."""

    def __init__(self, *, pool: PoolStats | None = None) -> None:
        self._pool = pool
        self._requests: dict[tuple[str, str, int], int] = {}
        self._latency: dict[tuple[str, str], _Latency] = {}
        self._events = dict.fromkeys(EVENT_HELP, 0)

    def observe(
        self, *, method: str, route: str, status: int, seconds: float, operation: str | None
    ) -> None:
        """Count one finished request (route is the template, never the raw path)."""
        key = (method, route, status)
        self._requests[key] = self._requests.get(key, 0) + 1
        latency = self._latency.get((method, route))
        if latency is None:
            latency = self._latency[(method, route)] = _Latency()
        latency.observe(seconds)
        event = EVENTS.get(operation or "")
        if event is not None and status == event[1]:
            self._events[event[0]] += 1

    def render(self) -> str:
        """The exposition text of every metric."""
        lines = [
            "# HELP kata_http_requests_total HTTP requests by method, route and status.",
            "# TYPE kata_http_requests_total counter",
        ]
        for (method, route, status), n in sorted(self._requests.items()):
            lines.append(
                f'kata_http_requests_total{{{_labels(method, route)},status="{status}"}} {n}'
            )
        lines += [
            "# HELP kata_http_request_duration_seconds HTTP request latency by method and route.",
            "# TYPE kata_http_request_duration_seconds histogram",
        ]
        for (method, route), lat in sorted(self._latency.items()):
            labels = _labels(method, route)
            running = 0
            for bound, n in zip(BUCKETS, lat.buckets, strict=True):
                running += n
                lines.append(
                    f'kata_http_request_duration_seconds_bucket{{{labels},le="{bound}"}} {running}'
                )
            lines.append(
                f'kata_http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {lat.count}'
            )
            lines.append(f"kata_http_request_duration_seconds_sum{{{labels}}} {lat.total!r}")
            lines.append(f"kata_http_request_duration_seconds_count{{{labels}}} {lat.count}")
        for name, n in self._events.items():
            lines += [
                f"# HELP kata_{name}_total {EVENT_HELP[name]}",
                f"# TYPE kata_{name}_total counter",
                f"kata_{name}_total {n}",
            ]
        lines += self._pool_lines()
        return "\n".join(lines) + "\n"

    def _pool_lines(self) -> list[str]:
        if self._pool is None:
            return []
        stats = self._pool()
        size, idle = stats.get("pool_size", 0), stats.get("pool_available", 0)
        return [
            "# HELP kata_pool_connections Database connections by state.",
            "# TYPE kata_pool_connections gauge",
            f'kata_pool_connections{{state="in_use"}} {max(size - idle, 0)}',
            f'kata_pool_connections{{state="idle"}} {idle}',
            "# HELP kata_pool_requests_waiting Requests waiting for a database connection.",
            "# TYPE kata_pool_requests_waiting gauge",
            f"kata_pool_requests_waiting {stats.get('requests_waiting', 0)}",
            "# HELP kata_pool_max Most connections the pool may open.",
            "# TYPE kata_pool_max gauge",
            f"kata_pool_max {stats.get('pool_max', 0)}",
        ]


def _labels(method: str, route: str) -> str:
    return f'method="{method}",route="{_escape(route)}"'


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
