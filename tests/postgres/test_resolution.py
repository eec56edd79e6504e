"""Where the tests' PostgreSQL comes from: a silent Docker socket must cost nothing."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from tests.support.database import DOCKER_PING_TIMEOUT, database_url, docker_answers


def test_no_docker_socket_means_no_docker(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/absent.sock")
    assert docker_answers() is False
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:2375")
    assert docker_answers() is False


def test_a_socket_that_never_answers_gives_up_on_its_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The server reads the ping and never answers nor hangs up, so only the client's own
    # timeout (DOCKER_PING_TIMEOUT) can end the call: seeing it hang up proves it gave up.
    path = tmp_path / "docker.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    heard: list[bytes] = []

    def listen() -> None:
        conn, _ = server.accept()
        with conn:
            while chunk := conn.recv(256):  # b"" once the client hangs up
                heard.append(chunk)

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    assert docker_answers() is False
    thread.join(timeout=60)  # a guard against a hang, not a measure: it returns at once
    server.close()
    assert not thread.is_alive(), "the client never hung up"
    assert b"".join(heard).startswith(b"GET /_ping")
    # Quick enough for every test session to pay it when no Docker answers.
    assert DOCKER_PING_TIMEOUT <= 0.5


def test_a_database_url_keeps_the_server_and_changes_the_database() -> None:
    url = database_url("postgresql://postgres:@/postgres?host=/tmp/sock", "kata_test_x")
    assert "dbname=kata_test_x" in url and "host=/tmp/sock" in url and "user=postgres" in url
