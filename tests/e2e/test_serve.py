"""End to end: `kata-context serve` as a user runs it, driven over real HTTP with httpx."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
PROBLEM = "application/problem+json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """A running `kata-context serve` and what it printed."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_URL")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "--data-dir", str(data_dir), "serve",
             "--port", str(self.port), "--no-access-log"],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"serve exited {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                if httpx.get(self.base + "/api/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        pytest.fail(f"serve did not answer in time:\n{self.log.read_text()}")

    @property
    def printed_key(self) -> str:
        match = re.search(r"API key: (\S+)", self.log.read_text())
        assert match, self.log.read_text()
        return match.group(1)

    def stop(self, sig: signal.Signals = signal.SIGINT) -> None:
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"


def test_a_users_journey_over_http(data_dir: Path, tmp_path: Path) -> None:
    served = Served(data_dir, tmp_path / "serve-1.log")
    try:
        out = served.log.read_text()
        assert f"{served.base}/api/docs" in out
        key = served.printed_key
        assert (data_dir / "local-key").read_text().strip() == key
        assert (data_dir / "local-key").stat().st_mode & 0o777 == 0o600
        cid = _journey(served.base, key)
    finally:
        served.stop()
    assert not (data_dir / "postgres" / "postmaster.pid").exists(), "Ctrl-C left PostgreSQL up"

    # A second run keeps the data and prints the same key.
    again = Served(data_dir, tmp_path / "serve-2.log")
    try:
        assert again.printed_key == key
        h = {"Authorization": f"Bearer {key}"}
        ctx = httpx.get(f"{again.base}/api/v1/contexts/{cid}", headers=h).json()
        assert ctx["head_version"] == 5
    finally:
        again.stop(signal.SIGTERM)
    assert again.proc.returncode == 128 + signal.SIGTERM
    assert not (data_dir / "postgres" / "postmaster.pid").exists(), "SIGTERM left PostgreSQL up"


def _journey(base: str, key: str) -> str:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as c:
        docs = c.get("/api/docs")
        assert docs.status_code == 200
        assert "https://" not in docs.text
        spec = c.get("/api/openapi.json").json()
        assert "/api/v1/contexts/{context_id}/messages" in spec["paths"]

        cid = c.post("/api/v1/contexts", json={"name": "journey"}).json()["id"]
        first = c.post(
            f"/api/v1/contexts/{cid}/messages",
            json={
                "messages": [
                    {"role": "system", "content": "You are terse."},
                    {"role": "user", "content": "What is 2+2?"},
                    {"role": "assistant", "content": "4."},
                ],
                "expected_version": 0,
            },
            headers={"Idempotency-Key": "journey-1"},
        )
        assert first.status_code == 201
        retry = c.post(
            f"/api/v1/contexts/{cid}/messages",
            json={
                "messages": [
                    {"role": "system", "content": "You are terse."},
                    {"role": "user", "content": "What is 2+2?"},
                    {"role": "assistant", "content": "4."},
                ],
                "expected_version": 0,
            },
            headers={"Idempotency-Key": "journey-1"},
        )
        assert (retry.status_code, retry.json()["replayed"]) == (200, True)
        more = c.post(
            f"/api/v1/contexts/{cid}/messages",
            json={"messages": [{"role": "user", "content": "And 3+3?"},
                               {"role": "assistant", "content": "6."}]},
        )  # fmt: skip
        assert more.json()["head_version"] == 5

        got = c.get(f"/api/v1/contexts/{cid}/window", params={"budget": 30})
        assert got.status_code == 200, got.text
        window = got.json()
        assert window["entries"][0]["reason"] == "pinned"
        assert window["entries"][-1]["entry"]["content"] == "6."
        assert window["tokens"] <= 30

        past = c.get(f"/api/v1/contexts/{cid}/messages", params={"at": 3}).json()
        assert [e["content"] for e in past["items"]][-1] == "4."
        assert c.get(f"/api/v1/contexts/{cid}/versions/2").json()["entry"]["content"] == (
            "What is 2+2?"
        )

        fork = c.post(f"/api/v1/contexts/{cid}/fork", json={"version": 3}).json()
        assert (fork["parent_id"], fork["head_version"]) == (cid, 3)
        forks = c.get(f"/api/v1/contexts/{cid}/forks").json()["items"]
        assert [f["id"] for f in forks] == [fork["id"]]

        conflict = c.post(
            f"/api/v1/contexts/{cid}/messages",
            json={"messages": [{"role": "user", "content": "late"}], "expected_version": 3},
        )
        assert conflict.status_code == 409
        assert conflict.headers["content-type"] == PROBLEM
        assert conflict.json()["current_version"] == 5
        nul = c.post(
            f"/api/v1/contexts/{cid}/messages",
            json={"messages": [{"role": "user", "content": "a\u0000b"}]},
        )
        assert nul.status_code == 422
        stranger = c.get("/api/v1/contexts", headers={"Authorization": "Bearer kc_x"})
        assert stranger.status_code == 401

        assert c.delete(f"/api/v1/contexts/{fork['id']}").status_code == 204
        gone = c.get(f"/api/v1/contexts/{fork['id']}")
        assert (gone.status_code, gone.headers["content-type"]) == (404, PROBLEM)
        return str(cid)
