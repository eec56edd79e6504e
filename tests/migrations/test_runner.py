"""The migration runner against a real PostgreSQL: once each, locked, checked, checksummed."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from migrations import MigrationError, migrate, status, verify
from migrations.runner import discover, resolve_url

ALL = [f.name for f in discover()]


def _recorded(url: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT name, checksum FROM schema_migrations ORDER BY name")
        return [(str(n), str(c)) for n, c in rows.fetchall()]


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {str(r[0]) for r in rows.fetchall()}


def test_applies_every_file_once_and_a_second_run_is_a_no_op(empty_db: str) -> None:
    assert migrate(empty_db) == ALL
    first = _recorded(empty_db)
    assert [name for name, _ in first] == ALL
    assert {"contexts", "context_versions", "idempotency_keys", "api_keys"} <= _tables(empty_db)
    assert migrate(empty_db) == []
    assert _recorded(empty_db) == first


def test_concurrent_migrators_apply_each_file_exactly_once(empty_db: str) -> None:
    results: list[list[str]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def run() -> None:
        barrier.wait()
        try:
            results.append(migrate(empty_db))
        except BaseException as err:  # collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results, key=len) == [[], [], ALL]
    assert [name for name, _ in _recorded(empty_db)] == ALL


def test_a_changed_file_is_refused_by_name(empty_db: str, migration_dir: Path) -> None:
    migrate(empty_db, directory=migration_dir)
    target = migration_dir / ALL[0]
    target.write_text(target.read_text() + "\n-- an innocent-looking edit\n")
    with pytest.raises(MigrationError, match=rf"{ALL[0]} was changed after it was applied"):
        migrate(empty_db, directory=migration_dir)
    with pytest.raises(MigrationError, match="changed after it was applied"):
        verify(empty_db, directory=migration_dir)


def test_an_unparseable_file_is_named_with_its_line_and_nothing_is_applied(
    empty_db: str, migration_dir: Path
) -> None:
    (migration_dir / "900_broken.sql").write_text(
        "-- a comment\nCREATE TABLE fine (a int);\n\nCREATE TABLE (\n  oops int\n);\n"
    )
    with pytest.raises(MigrationError, match=r"900_broken\.sql, line 4: cannot parse"):
        migrate(empty_db, directory=migration_dir)
    assert "schema_migrations" not in _tables(empty_db)


def test_statements_sqlglot_only_guesses_at_are_refused(empty_db: str, migration_dir: Path) -> None:
    (migration_dir / "900_guess.sql").write_text("SELECT 1;\nCHECKPOINT;\n")
    with pytest.raises(MigrationError, match=r"900_guess\.sql, line 2: sqlglot cannot parse"):
        migrate(empty_db, directory=migration_dir)
    (migration_dir / "900_guess.sql").write_text("REINDEX TABLE contexts;\n")
    with pytest.raises(MigrationError, match=r"900_guess\.sql, line 1: sqlglot cannot parse"):
        migrate(empty_db, directory=migration_dir)


def test_badly_named_files_are_refused(migration_dir: Path) -> None:
    (migration_dir / "later.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"later\.sql: migration files are named NNN_"):
        discover(migration_dir)


def test_status_and_verify_follow_the_database(empty_db: str, migration_dir: Path) -> None:
    assert [(s.name, s.applied) for s in status(empty_db, directory=migration_dir)] == [
        (n, False) for n in ALL
    ]
    with pytest.raises(MigrationError, match=f"{ALL[0]} is not applied"):
        verify(empty_db, directory=migration_dir)
    migrate(empty_db, directory=migration_dir)
    verify(empty_db, directory=migration_dir)
    assert all(s.applied and not s.changed for s in status(empty_db, directory=migration_dir))
    (migration_dir / ALL[-1]).unlink()
    gone = [s for s in status(empty_db, directory=migration_dir) if s.missing_file]
    assert [s.name for s in gone] == [ALL[-1]]
    with pytest.raises(MigrationError, match="its file is missing"):
        verify(empty_db, directory=migration_dir)


def test_the_embedding_dimension_is_set_at_migration_time(empty_db: str) -> None:
    migrate(empty_db, dimension=8)
    with psycopg.connect(empty_db) as conn:
        row = conn.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = 'context_versions'::regclass AND attname = 'embedding'"
        ).fetchone()
    assert row == ("vector(8)",)
    with pytest.raises(MigrationError, match="applied with embedding dimension 8, not 1536"):
        migrate(empty_db)


def test_the_url_prefers_the_direct_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://pooled/db")
    monkeypatch.setenv("DATABASE_URL_DIRECT", "postgresql://direct/db")
    assert resolve_url(None) == "postgresql://direct/db"
    assert resolve_url("postgresql://given/db") == "postgresql://given/db"
    monkeypatch.delenv("DATABASE_URL_DIRECT")
    assert resolve_url(None) == "postgresql://pooled/db"
    monkeypatch.delenv("DATABASE_URL")
    with pytest.raises(MigrationError, match="no database"):
        resolve_url(None)
