"""Row-level security, the second wall: a query that forgets its tenant filter still sees
only the tenant its transaction named, and the service's role cannot step around it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from adapters.postgres import tenancy
from adapters.postgres.keys import PostgresKeyStore
from adapters.postgres.store import PostgresStore
from domain.keys import ApiKey
from domain.model import Context, EntryDraft, Policy, Role, TokenSource
from migrations import MigrationError
from migrations.roles import grant_app_role
from tests.postgres_fixtures import APP_ROLE

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TABLES = ("contexts", "context_versions", "idempotency_keys", "api_keys")


def _context(tenant: str, cid: str) -> Context:
    return Context(
        id=cid, tenant_id=tenant, name="n", policy=Policy(), created_at=NOW, updated_at=NOW
    )


def _draft(text: str) -> EntryDraft:
    return EntryDraft(role=Role.USER, content=text, token_count=3, token_source=TokenSource.CLIENT)


@pytest.fixture
def two_tenants(postgres_store: PostgresStore, tenant: str) -> tuple[str, str]:
    """Tenants A and B, each with a context of two entries appended under a key."""
    other = tenant + "-b"
    for t in (tenant, other):
        postgres_store.create_context(_context(t, f"{t}-ctx"))
        postgres_store.append(
            t, f"{t}-ctx", [_draft("one"), _draft("two")], now=NOW, idempotency_key="k"
        )
    return tenant, other


@pytest.fixture
def app_conn(postgres_app_url: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection as the service's role, outside the store."""
    with psycopg.connect(postgres_app_url, autocommit=True) as conn:
        yield conn


def _tenants_seen(conn: psycopg.Connection[Any], table: str) -> set[str]:
    rows = conn.execute(f"SELECT DISTINCT tenant_id FROM {table}").fetchall()  # no WHERE
    return {r[0] for r in rows}


def test_a_query_without_a_tenant_filter_sees_only_the_named_tenant(
    app_conn: psycopg.Connection[Any], two_tenants: tuple[str, str]
) -> None:
    a, _b = two_tenants
    for table in ("contexts", "context_versions", "idempotency_keys"):
        with app_conn.transaction():
            app_conn.execute("SELECT set_config(%s, %s, true)", (tenancy.TENANT_SETTING, a))
            seen = _tenants_seen(app_conn, table)
        assert seen == {a}, table
        # The setting ended with its transaction: the next one sees nothing.
        assert _tenants_seen(app_conn, table) == set(), table


def test_without_a_tenant_nothing_is_seen_and_nothing_written(
    app_conn: psycopg.Connection[Any], two_tenants: tuple[str, str]
) -> None:
    _a, b = two_tenants
    for table in TABLES:
        assert _tenants_seen(app_conn, table) == set(), table
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        app_conn.execute(
            "INSERT INTO contexts (tenant_id, id, policy, created_at, updated_at)"
            " VALUES (%s, 'x', '{}', now(), now())",
            (b,),
        )


def test_writing_or_changing_another_tenants_rows_fails(
    app_conn: psycopg.Connection[Any], two_tenants: tuple[str, str]
) -> None:
    a, b = two_tenants
    refused = pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security")
    with refused, app_conn.transaction():
        app_conn.execute("SELECT set_config(%s, %s, true)", (tenancy.TENANT_SETTING, a))
        app_conn.execute(
            "INSERT INTO contexts (tenant_id, id, policy, created_at, updated_at)"
            " VALUES (%s, 'planted', '{}', now(), now())",
            (b,),
        )
    with app_conn.transaction():
        app_conn.execute("SELECT set_config(%s, %s, true)", (tenancy.TENANT_SETTING, a))
        moved = app_conn.execute("UPDATE contexts SET name = 'mine' WHERE tenant_id = %s", (b,))
        deleted = app_conn.execute("DELETE FROM context_versions WHERE tenant_id = %s", (b,))
        assert (moved.rowcount, deleted.rowcount) == (0, 0)
        # Moving one's own row to another tenant is a write for that tenant: refused.
        with pytest.raises(psycopg.errors.InsufficientPrivilege), app_conn.transaction():
            app_conn.execute("UPDATE contexts SET tenant_id = %s WHERE tenant_id = %s", (b, a))


def test_the_store_answers_through_the_wall(
    postgres_store: PostgresStore, two_tenants: tuple[str, str]
) -> None:
    a, b = two_tenants
    assert postgres_store.get_context(a, f"{a}-ctx").head_version == 2
    page = postgres_store.read_entries(b, f"{b}-ctx")
    assert [e.version for e in page.items] == [1, 2]
    # The tenant setting never outlives a statement on the pool's connections.
    with postgres_store.pool.connection() as conn:
        row = conn.execute("SELECT current_setting(%s, true)", (tenancy.TENANT_SETTING,)).fetchone()
    assert row is not None and row[0] in (None, "")


def test_a_key_is_found_by_its_hash_and_no_other_key_is_visible(
    postgres_keys: PostgresKeyStore, app_conn: psycopg.Connection[Any], tenant: str
) -> None:
    for i, t in enumerate((tenant, tenant + "-b")):
        postgres_keys.add_key(
            ApiKey(id=f"{t}-k", tenant_id=t, key_hash=f"{t}-hash-{i}", prefix="kc_", created_at=NOW)
        )
    assert postgres_keys.tenant_for(f"{tenant}-hash-0") == tenant
    assert postgres_keys.tenant_for(f"{tenant}-b-hash-1") == tenant + "-b"
    assert postgres_keys.tenant_for("no-such-hash") is None
    with app_conn.transaction():
        named = (tenancy.KEY_HASH_SETTING, f"{tenant}-hash-0")
        app_conn.execute("SELECT set_config(%s, %s, true)", named)
        rows = app_conn.execute("SELECT tenant_id FROM api_keys").fetchall()  # no WHERE
        assert rows == [(tenant,)]
        # The hash opens reading only: the row cannot be changed through it.
        changed = app_conn.execute("UPDATE api_keys SET label = 'x'")
        assert changed.rowcount == 0
    assert [k.tenant_id for k in postgres_keys.list_keys(tenant)] == [tenant]


def test_every_table_with_a_tenant_column_has_row_level_security_forced(
    postgres_url: str,
) -> None:
    # Tables added later (receipts, fork lineage...) are caught here, at merge.
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
              AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                          AND a.attname = 'tenant_id' AND NOT a.attisdropped)
            ORDER BY c.relname
            """
        ).fetchall()
    assert {r[0] for r in rows} >= set(TABLES)
    unguarded = [r[0] for r in rows if not (r[1] and r[2] and r[3] >= 1)]
    assert unguarded == []


def test_the_service_role_owns_nothing_and_cannot_bypass(postgres_app_url: str) -> None:
    with psycopg.connect(postgres_app_url) as conn:
        row = conn.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        owned = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles"
            " WHERE rolname = current_user)"
        ).fetchone()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM schema_migrations")
    assert row == (False, False)
    assert owned == (0,)


def test_a_role_that_could_bypass_is_refused(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS kata_test_bypass")
        conn.execute("CREATE ROLE kata_test_bypass LOGIN BYPASSRLS")
    try:
        with pytest.raises(MigrationError, match="bypasses row-level security"):
            grant_app_role(postgres_url, role="kata_test_bypass")
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute("DROP ROLE kata_test_bypass")
    # The role the suite runs as passes the same checks (granting again is harmless).
    grant_app_role(postgres_url, role=APP_ROLE)
