"""The embedded server `serve` uses: data kept in its folder across restarts."""

from __future__ import annotations

from pathlib import Path

import psycopg

from adapters.postgres.embedded import start


def test_data_survives_a_restart_and_pgvector_is_there(tmp_path: Path) -> None:
    folder = tmp_path / "nested" / "pgdata"
    server = start(folder)
    try:
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            conn.execute("CREATE TABLE kept (v vector(2))")
            conn.execute("INSERT INTO kept VALUES ('[1,2]')")
    finally:
        server.stop()
    again = start(folder, delete_on_stop=True)
    try:
        with psycopg.connect(again.url) as conn:
            row = conn.execute("SELECT v::text FROM kept").fetchone()
        assert row == ("[1,2]",)
    finally:
        again.stop()
    assert not folder.exists()
