"""The server's memory under windows: peak RSS under a window load, and what 8 concurrent
maximal windows (the largest KATA_WINDOW_MAX_TOKENS / KATA_WINDOW_MAX_ENTRIES allow) add.

`kata-context serve --store memory` runs on a loopback port; its RSS is read from
/proc/<pid>/status (VmRSS, VmHWM; the peak is reset through clear_refs before each
phase where the kernel allows it). The baseline of the peak is a bare Litestar app under
uvicorn answering the same number of requests with a small JSON body, run the same way.
Lines: peak RSS under the window load (MiB), the RSS growth of 8 concurrent maximal
windows over the RSS before them (MiB), and the RSS left a second after them (MiB above
the RSS before them). Linux only (/proc).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench._common import emit, log, sized
from bench.http_api import ROOT, _free_port, _served

MIB = 1024 * 1024
# The load: windows of an 8000-token budget over a context of this many entries.
ENTRIES = sized(20_000, 300)
WINDOWS = sized(400, 10)
# The caps (smoke: tiny, so a smoke run stays tiny); each entry takes TOKENS tokens,
# so a maximal window is max_entries entries exactly.
MAX_ENTRIES = sized(10_000, 100)
TOKENS = 100
MAX_TOKENS = MAX_ENTRIES * TOKENS
CONCURRENT = 8
TEXT = "word " * 80  # ~400 bytes, about what 100 tokens of English take


def _status(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(rest.split()[0]) * 1024
    return fields


def _reset_peak(pid: int) -> None:
    # "5" resets VmHWM to the current RSS (Linux 4.0+); without it the peak is lifelong.
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def _serve_pid(base: str) -> int:
    # `serve` is one process (workers=1): the one started with the bench's port.
    port = base.rsplit(":", 1)[1]
    wanted = ["entrypoints.cli", "--port", port]
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            args = (proc / "cmdline").read_bytes().decode().split("\0")
            if all(w in args for w in wanted):
                return int(proc.name)
    raise RuntimeError(f"cannot find the server on port {port}")


_BARE = textwrap.dedent(
    """
    import sys
    import uvicorn
    from litestar import Litestar, get

    @get("/api/v1/window")
    async def window() -> dict:
        return {"entries": [{"version": i, "content": "word " * 8} for i in range(40)]}

    uvicorn.run(Litestar([window]), host="127.0.0.1", port=int(sys.argv[1]),
                log_level="warning", access_log=False)
    """
)


@contextlib.contextmanager
def _bare() -> Iterator[tuple[str, int]]:
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="kata-mem-bench-") as folder:
        logfile = Path(folder) / "bare.log"
        proc = subprocess.Popen(
            [sys.executable, "-c", _BARE, str(port)], cwd=ROOT,
            stdout=logfile.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(base + "/api/v1/window", timeout=1).status_code == 200:
                        break
                time.sleep(0.2)
            yield base, proc.pid
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _bare_peak() -> int:
    with _bare() as (base, pid), httpx.Client(base_url=base) as client:
        _reset_peak(pid)
        for _ in range(WINDOWS):
            client.get("/api/v1/window").raise_for_status()
        return _status(pid)["VmHWM"]


def _load(client: httpx.Client, auth: dict[str, str]) -> str:
    cid = client.post("/api/v1/contexts", json={"policy": {"budget": 8000}}, headers=auth)
    cid.raise_for_status()
    context = str(cid.json()["id"])
    for start in range(0, ENTRIES, 1000):
        batch = [
            {"role": "user", "content": f"{i} {TEXT}", "token_count": TOKENS}
            for i in range(start, min(start + 1000, ENTRIES))
        ]
        client.post(
            f"/api/v1/contexts/{context}/messages", json={"messages": batch}, headers=auth
        ).raise_for_status()
    return context


def _maximal(base: str, auth: dict[str, str], context: str) -> list[int]:
    sizes: list[int] = []
    lock = threading.Lock()

    def one() -> None:
        with httpx.Client(base_url=base, timeout=120) as client:
            r = client.get(
                f"/api/v1/contexts/{context}/window",
                params={"budget": MAX_TOKENS, "reserve": 0},
                headers=auth,
            )
            r.raise_for_status()
            with lock:
                sizes.append(len(r.content))

    threads = [threading.Thread(target=one) for _ in range(CONCURRENT)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sizes


def main() -> None:
    """Peak RSS of `serve` under a window load (baseline: a bare Litestar app), and the
    RSS growth of 8 concurrent maximal windows and what stays after them."""
    os.environ["KATA_WINDOW_MAX_TOKENS"] = str(MAX_TOKENS)
    os.environ["KATA_WINDOW_MAX_ENTRIES"] = str(MAX_ENTRIES)
    bare = _bare_peak()
    with _served("memory", None) as (base, key):
        auth = {"Authorization": f"Bearer {key}"}
        pid = _serve_pid(base)
        with httpx.Client(base_url=base, timeout=120) as client:
            context = _load(client, auth)
            _reset_peak(pid)
            for _ in range(WINDOWS):
                client.get(f"/api/v1/contexts/{context}/window", headers=auth).raise_for_status()
            peak = _status(pid)["VmHWM"]
            before = _status(pid)["VmRSS"]
            _reset_peak(pid)
            sizes = _maximal(base, auth, context)
            grown = _status(pid)["VmHWM"] - before
            time.sleep(1.0)
            after = _status(pid)["VmRSS"] - before
    emit("http_peak_rss_window_load", WINDOWS, peak / MIB, "MiB",
         baseline="bare litestar app, same requests", baseline_value=bare / MIB)  # fmt: skip
    emit("http_rss_growth_8_maximal_windows", CONCURRENT, grown / MIB, "MiB")
    emit("http_rss_kept_after_maximal_windows", CONCURRENT, after / MIB, "MiB")
    log(
        f"maximal window: {MAX_ENTRIES} entries, {MAX_TOKENS} tokens, "
        f"{max(sizes) / MIB:.1f} MiB each; context of {ENTRIES} entries"
    )


if __name__ == "__main__":
    main()
