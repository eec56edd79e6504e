"""Migration tests get an empty database each, on the session's PostgreSQL server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from migrations.runner import MIGRATIONS_DIR
from tests.support.database import Server


@pytest.fixture
def empty_db(postgres_server: Server) -> Iterator[str]:
    """A fresh, empty database (dropped afterwards)."""
    url = postgres_server.create_database("kata_mig")
    yield url
    postgres_server.drop_database(url)


@pytest.fixture
def migration_dir(tmp_path: Path) -> Path:
    """A copy of the real migrations, free to edit."""
    target = tmp_path / "migrations"
    target.mkdir()
    for sql in MIGRATIONS_DIR.glob("*.sql"):
        shutil.copy(sql, target / sql.name)
    return target
