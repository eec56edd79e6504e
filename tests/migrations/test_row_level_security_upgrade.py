"""A database at migration 006, with data, upgrades to row-level security and quotas."""

from __future__ import annotations

from pathlib import Path

import psycopg

from migrations import migrate
from migrations.roles import app_url, grant_app_role

_CONTEXT = """
INSERT INTO contexts (tenant_id, id, name, policy, created_at, updated_at)
VALUES (%s, %s, 'old', '{}', now(), now())
"""


def test_an_existing_database_at_006_upgrades(empty_db: str, migration_dir: Path) -> None:
    later = sorted(p for p in migration_dir.glob("*.sql") if p.name > "007")
    held = migration_dir.parent / "held"
    held.mkdir()
    for p in later:
        p.rename(held / p.name)
    applied = migrate(empty_db, directory=migration_dir)
    assert applied[-1] == "006_discourse_scope.sql"
    with psycopg.connect(empty_db, autocommit=True) as conn:
        for tenant in ("a", "b"):
            conn.execute(_CONTEXT, (tenant, f"{tenant}-old"))
    for p in later:
        (held / p.name).rename(p)
    upgraded = migrate(empty_db, directory=migration_dir)
    assert upgraded[0] == "007_row_level_security.sql"
    grant_app_role(empty_db, role="kata_test_upgrade", password="x")
    with psycopg.connect(
        app_url(empty_db, role="kata_test_upgrade", password="x"), autocommit=True
    ) as conn:
        assert conn.execute("SELECT id FROM contexts").fetchall() == []
        with conn.transaction():
            conn.execute("SELECT set_config('kata.tenant_id', 'b', true)")
            assert conn.execute("SELECT id FROM contexts").fetchall() == [("b-old",)]
    # The owner (a superuser here) still sees every row, as migrations need.
    with psycopg.connect(empty_db) as conn:
        count = conn.execute("SELECT count(*) FROM contexts").fetchone()
    assert count == (2,)
