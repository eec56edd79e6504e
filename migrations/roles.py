"""The role the service connects as: owns nothing, cannot bypass row-level security.

Migrations run as the tables' owner (DATABASE_URL_DIRECT, a superuser or BYPASSRLS role).
The service connects as another role, granted only SELECT, INSERT, UPDATE and DELETE on the
schema's tables (never on schema_migrations), so every query it runs passes through the
policies of 007_row_level_security.sql. `grant_app_role` makes that role when it is missing,
refuses one that could step around the policies, and grants it the tables that exist now:
run it again after each migration (`kata-context migrate --app-role NAME` does).
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from migrations.runner import LOCK_KEY, MigrationError, resolve_url

DEFAULT_APP_ROLE = "kata_app"

_ROLE = "SELECT oid, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s"
# Tables, sequences, views... of the current schema the role owns or may act as the owner of.
_OWNED = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND pg_has_role(%s::oid, c.relowner, 'USAGE')
ORDER BY c.relname
"""
_BYPASS_MEMBERSHIP = """
SELECT r.rolname FROM pg_roles r
WHERE (r.rolsuper OR r.rolbypassrls) AND r.oid <> %s::oid AND pg_has_role(%s::oid, r.oid, 'USAGE')
"""


def grant_app_role(
    url: str | None = None, *, role: str = DEFAULT_APP_ROLE, password: str | None = None
) -> None:
    """Make `role` (LOGIN, NOSUPERUSER, NOBYPASSRLS) if missing and grant it DML only.

    Raises MigrationError when an existing role could bypass the policies: a superuser, a
    BYPASSRLS role, or one that owns (or inherits the owner of) anything in the schema.
    """
    with psycopg.connect(resolve_url(url), autocommit=True) as conn, conn.transaction():
        # The same lock as the migrator's: grants see a finished schema.
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        ident = sql.Identifier(role)
        if conn.execute(_ROLE, (role,)).fetchone() is None:
            _create(conn, ident)
        if password is not None:
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(password))
            )
        _check(conn, role)
        schema = sql.Identifier(_current_schema(conn))
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, ident))
        conn.execute(
            sql.SQL(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}"
            ).format(schema, ident)
        )
        conn.execute(
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema, ident)
        )
        # Which migrations ran is the migrator's business alone.
        conn.execute(sql.SQL("REVOKE ALL ON schema_migrations FROM {}").format(ident))


def app_url(url: str, *, role: str = DEFAULT_APP_ROLE, password: str | None = None) -> str:
    """The same database as `url`, connecting as `role` (with `password`, or none)."""
    params: dict[str, Any] = conninfo_to_dict(url)
    params["user"] = role
    params.pop("password", None)
    if password is not None:
        params["password"] = password
    return make_conninfo("", **params)


def _create(conn: psycopg.Connection[Any], ident: sql.Identifier) -> None:
    # Roles belong to the whole server: another database's migrator may make it first.
    try:
        with conn.transaction():
            conn.execute(
                sql.SQL(
                    "CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
                ).format(ident)
            )
    except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
        pass


def _check(conn: psycopg.Connection[Any], role: str) -> None:
    row = conn.execute(_ROLE, (role,)).fetchone()
    if row is None:  # cannot happen: made above
        raise MigrationError(f"role {role!r} does not exist")
    oid, superuser, bypass = row
    if superuser or bypass:
        raise MigrationError(
            f"role {role!r} bypasses row-level security (superuser or BYPASSRLS): "
            "the service must connect as a role that cannot"
        )
    owned = [r[0] for r in conn.execute(_OWNED, (oid,)).fetchall()]
    if owned:
        raise MigrationError(
            f"role {role!r} owns (or acts as the owner of) {', '.join(owned[:5])}: "
            "the service must connect as a role that owns nothing"
        )
    above = [r[0] for r in conn.execute(_BYPASS_MEMBERSHIP, (oid, oid)).fetchall()]
    if above:
        raise MigrationError(
            f"role {role!r} inherits {', '.join(above)}, which bypasses row-level security"
        )


def _current_schema(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute("SELECT current_schema()").fetchone()
    if row is None or row[0] is None:
        raise MigrationError("no current schema to grant")
    return str(row[0])
