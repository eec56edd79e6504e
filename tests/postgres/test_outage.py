"""An outage under load: the embedded PostgreSQL stopped and started while writers append.

Its own embedded server (not the session's), so stopping it breaks no other test. While it
is down: 503 problem+json with Retry-After within the pool timeout, never a 500; /api/ready
says 503 while /api/health stays 200. Once it is back the same process serves again, and the
history is gapless with every batch whole (writers retry under the same Idempotency-Key).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from adapters.postgres import embedded
from adapters.system import SystemClock
from entrypoints.compose import build_app, opened_postgres_adapters, postgres_adapters
from entrypoints.keys import issue_key
from entrypoints.settings import Settings
from migrations import migrate

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
PROBLEM = "application/problem+json"
WRITERS, BATCHES, BATCH = 4, 12, 3
POOL_TIMEOUT = 1.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Outage:
    """Stop and start one embedded server's postmaster, keeping its data."""

    def __init__(self, server: Any) -> None:
        self._server = server

    def stop(self) -> None:
        from pgserver._commands import pg_ctl

        server = self._server
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)

    def start(self) -> None:
        self._server.ensure_postgres_running()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, Outage]]:
    pg = embedded.start(tmp_path / "pg", delete_on_stop=True)
    try:
        migrate(pg.url, dimension=3)
        with opened_postgres_adapters(pg.url) as setup:
            _, key = issue_key(setup.keys, tenant_id="outage", clock=SystemClock())
        settings = Settings(dimension=3, pool_timeout=POOL_TIMEOUT, key_cache_seconds=0)
        adapters = postgres_adapters(pg.url, min_size=2, max_size=4, timeout=POOL_TIMEOUT)
        app = build_app(adapters, settings, env={})
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started
        try:
            yield base, key, Outage(pg._server)
        finally:
            server.should_exit = True
            thread.join(timeout=30)
    finally:
        Outage(pg._server).start()  # stop() below needs it up to shut it down cleanly
        pg.stop()


def _writer(base: str, key: str, cid: str, w: int, seen: list[int], stop_at: float) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for b in range(BATCHES):
            messages = [{"role": "user", "content": f"w{w} b{b} m{m}"} for m in range(BATCH)]
            body = {"messages": messages}
            while time.monotonic() < stop_at:
                try:
                    r = client.post(
                        f"/api/v1/contexts/{cid}/messages",
                        json=body,
                        headers={"Idempotency-Key": f"w{w}-b{b}"},
                    )
                except httpx.TransportError:
                    continue
                seen.append(r.status_code)
                if r.status_code in (200, 201):
                    break
                assert r.status_code == 503, r.text
                time.sleep(0.05)
            time.sleep(0.02)


def test_an_outage_answers_503_and_service_resumes_without_a_restart(
    served: tuple[str, str, Outage],
) -> None:
    base, key, outage = served
    headers = {"Authorization": f"Bearer {key}"}
    cid = httpx.post(f"{base}/api/v1/contexts", json={}, headers=headers).json()["id"]
    assert httpx.get(f"{base}/api/ready").status_code == 200
    seen: list[int] = []
    stop_at = time.monotonic() + 120
    writers = [
        threading.Thread(target=_writer, args=(base, key, cid, w, seen, stop_at))
        for w in range(WRITERS)
    ]
    for t in writers:
        t.start()
    time.sleep(0.3)
    outage.stop()
    try:
        started = time.monotonic()
        ready = httpx.get(f"{base}/api/ready", timeout=30)
        assert time.monotonic() - started < POOL_TIMEOUT + 3
        assert (ready.status_code, ready.headers["content-type"]) == (503, PROBLEM)
        assert ready.json()["type"] == "/api/problems/service-unavailable"
        assert int(ready.headers["retry-after"]) >= 1
        assert httpx.get(f"{base}/api/health").status_code == 200  # liveness, not the store
        down = httpx.get(f"{base}/api/v1/contexts/{cid}", headers=headers, timeout=30)
        assert (down.status_code, down.headers["content-type"]) == (503, PROBLEM)
        assert "retry-after" in down.headers
        time.sleep(1.0)
    finally:
        outage.start()
    deadline = time.monotonic() + 30
    while httpx.get(f"{base}/api/ready", timeout=30).status_code != 200:
        assert time.monotonic() < deadline, "the service did not recover"
        time.sleep(0.2)
    for t in writers:
        t.join(timeout=120)
    assert 503 in seen, "the outage was not seen by the writers"
    assert set(seen) <= {200, 201, 503}, sorted(set(seen))

    page = httpx.get(
        f"{base}/api/v1/contexts/{cid}/messages", params={"limit": 500}, headers=headers
    ).json()
    items = page["items"]
    assert [e["version"] for e in items] == list(range(1, WRITERS * BATCHES * BATCH + 1))
    contents = [e["content"] for e in items]
    for start in range(0, len(contents), BATCH):  # every batch whole, none twice
        batch = contents[start : start + BATCH]
        prefix = batch[0].rsplit(" ", 1)[0]
        assert batch == [f"{prefix} m{m}" for m in range(BATCH)], batch
    assert len({c.rsplit(" ", 1)[0] for c in contents}) == WRITERS * BATCHES
