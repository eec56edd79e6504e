"""Where the tests' PostgreSQL comes from: a silent Docker socket must cost nothing."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from tests.support.database import DOCKER_PING_TIMEOUT, database_url, docker_answers


def test_no_docker_socket_means_no_docker(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/absent.sock")
    assert docker_answers() is False
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:2375")
    assert docker_answers() is False


def test_a_socket_that_never_answers_gives_up_quickly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "docker.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True)
    thread.start()
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    t0 = time.monotonic()
    assert docker_answers() is False
    assert time.monotonic() - t0 < DOCKER_PING_TIMEOUT + 1
    server.close()
    for conn in accepted:
        conn.close()


def test_a_database_url_keeps_the_server_and_changes_the_database() -> None:
    url = database_url("postgresql://postgres:@/postgres?host=/tmp/sock", "kata_test_x")
    assert "dbname=kata_test_x" in url and "host=/tmp/sock" in url and "user=postgres" in url
