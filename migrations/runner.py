"""Apply the numbered SQL files in order, once each, checked by sqlglot and by checksum.

Every file is split into statements by sqlglot's PostgreSQL tokenizer and each statement
must parse; nothing is applied unless every pending file parses. Applied files are recorded
in `schema_migrations` with the SHA-256 of the file as written, so an edited file is refused
instead of silently diverging. A transaction-scoped advisory lock serialises migrators: the
second waits, then finds nothing left to do. All pending files apply in one transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import psycopg
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokenizer_core import Token, TokenType

MIGRATIONS_DIR = Path(__file__).parent
DEFAULT_DIMENSION = 1536
DIMENSION_PLACEHOLDER = "${dimension}"
# Any constant will do, as long as every migrator uses the same one.
LOCK_KEY = 0x6B617461_6D696772  # "katamigr"
_FILE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
# sqlglot has no grammar for these and falls back to a raw Command; statements of these
# shapes are accepted (row-level security: 007_row_level_security.sql; a column's storage:
# 014_vectors_in_row.sql).
_COMMANDS_ALLOWED = (
    re.compile(r"CREATE EXTENSION\b", re.I),
    re.compile(r"ALTER TABLE \w+ (ENABLE|FORCE) ROW LEVEL SECURITY$", re.I),
    re.compile(r"ALTER TABLE \w+ ALTER COLUMN \w+ SET STORAGE (PLAIN|MAIN|EXTERNAL|EXTENDED)$",
               re.I),
    re.compile(r"CREATE POLICY \w+ ON \w+ (FOR (ALL|SELECT|INSERT|UPDATE|DELETE) )?USING \(", re.I),
)
_STATEMENTS = (
    exp.DDL,
    exp.DML,
    exp.Query,
    exp.Drop,
    exp.Alter,
    exp.Comment,
    exp.TruncateTable,
    exp.Set,
    exp.Grant,
    exp.Analyze,
)

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY,
    checksum text NOT NULL,
    dimension integer,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationError(Exception):
    """A migration file is unparseable, was changed after being applied, or is missing."""


@attrs.frozen(kw_only=True)
class MigrationFile:
    """One numbered SQL file as written on disk."""

    name: str
    path: Path
    text: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the file as written (before the dimension is substituted)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def uses_dimension(self) -> bool:
        """Whether the file holds the embedding dimension placeholder."""
        return DIMENSION_PLACEHOLDER in self.text


@attrs.frozen(kw_only=True)
class MigrationStatus:
    """Where one migration stands in a database."""

    name: str
    applied: bool
    changed: bool = False
    missing_file: bool = False
    applied_at: datetime | None = None
    dimension: int | None = None


def resolve_url(url: str | None) -> str:
    """The url given, else DATABASE_URL_DIRECT (unpooled), else DATABASE_URL."""
    found = url or os.environ.get("DATABASE_URL_DIRECT") or os.environ.get("DATABASE_URL")
    if not found:
        raise MigrationError("no database: pass a url or set DATABASE_URL_DIRECT / DATABASE_URL")
    return found


def discover(directory: Path = MIGRATIONS_DIR) -> list[MigrationFile]:
    """The NNN_name.sql files of `directory`, in order; numbers must be unique."""
    files = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNN_name.sql")
        number = match.group(1)
        if number in seen:
            raise MigrationError(f"{path.name}: number {number} is also used by {seen[number]}")
        seen[number] = path.name
        files.append(MigrationFile(name=path.name, path=path, text=path.read_text("utf-8")))
    return files


def statements(file: MigrationFile, *, dimension: int) -> list[str]:
    """The file's statements, dimension substituted; raises MigrationError naming the line."""
    sql = file.text.replace(DIMENSION_PLACEHOLDER, str(dimension))
    dialect = Dialect.get_or_raise("postgres")
    try:
        tokens = dialect.tokenize(sql)
    except TokenError as err:
        raise MigrationError(f"{file.name}: cannot tokenize: {err}") from None
    out = []
    for start_line, text in _split(sql, tokens):
        try:
            with _quiet_sqlglot():
                parsed = dialect.parse(text)
        except ParseError as err:
            line = start_line + (err.errors[0].get("line") or 1) - 1 if err.errors else start_line
            reason = err.errors[0].get("description") if err.errors else str(err)
            raise MigrationError(f"{file.name}, line {line}: cannot parse: {reason}") from None
        for expression in parsed:
            if not _is_statement(expression, text):
                raise MigrationError(
                    f"{file.name}, line {start_line}: sqlglot cannot parse this statement"
                )
        out.append(text)
    return out


@contextlib.contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    # sqlglot logs a warning when it falls back to a Command; we report those ourselves.
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _is_statement(expression: object, text: str) -> bool:
    # sqlglot reads words it does not know as a bare column or alias, and statements it has
    # no grammar for as a raw Command: both mean it did not really parse the statement.
    if isinstance(expression, exp.Command):
        words = " ".join(text.split())
        return any(shape.match(words) for shape in _COMMANDS_ALLOWED)
    return isinstance(expression, _STATEMENTS)


def _split(sql: str, tokens: list[Token]) -> Iterator[tuple[int, str]]:
    """(first line, text) of each statement, cut at the tokenizer's semicolons."""
    first: Token | None = None
    for token in tokens:
        if token.token_type is TokenType.SEMICOLON:
            if first is not None:
                yield first.line, sql[first.start : token.start].strip()
            first = None
        elif first is None:
            first = token
    if first is not None:
        yield first.line, sql[first.start :].strip()


def migrate(
    url: str | None = None,
    *,
    dimension: int = DEFAULT_DIMENSION,
    directory: Path = MIGRATIONS_DIR,
) -> list[str]:
    """Apply pending migrations; returns the names applied (empty when up to date)."""
    if dimension < 1:
        raise MigrationError(f"the embedding dimension must be at least 1, got {dimension}")
    files = discover(directory)
    parsed = {f.name: statements(f, dimension=dimension) for f in files}
    with psycopg.connect(resolve_url(url), autocommit=True) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        # A data migration run by a role that row-level security applies to would see no
        # rows and change none, silently; with row_security off it fails loudly instead.
        # Superusers and BYPASSRLS roles (what migrations are meant to run as) are exempt.
        conn.execute("SET LOCAL row_security = off")
        conn.execute(_CREATE_TABLE)
        applied = _applied(conn)
        _check_applied(files, applied, dimension=dimension)
        done = []
        for file in files:
            if file.name in applied:
                continue
            for statement in parsed[file.name]:
                conn.execute(statement.encode("utf-8"))
            conn.execute(
                "INSERT INTO schema_migrations (name, checksum, dimension) VALUES (%s, %s, %s)",
                (file.name, file.checksum, dimension if file.uses_dimension else None),
            )
            done.append(file.name)
        return done


def status(url: str | None = None, *, directory: Path = MIGRATIONS_DIR) -> list[MigrationStatus]:
    """Each migration file (and each applied one whose file is gone) and where it stands."""
    files = discover(directory)
    with psycopg.connect(resolve_url(url), autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
        applied = _applied(conn) if exists and exists[0] else {}
    out = []
    for file in files:
        row = applied.get(file.name)
        out.append(
            MigrationStatus(
                name=file.name,
                applied=row is not None,
                changed=row is not None and row[0] != file.checksum,
                applied_at=row[1] if row else None,
                dimension=row[2] if row else None,
            )
        )
    names = {f.name for f in files}
    for name, (_sum, at, dim) in sorted(applied.items()):
        if name not in names:
            out.append(
                MigrationStatus(
                    name=name, applied=True, missing_file=True, applied_at=at, dimension=dim
                )
            )
    return out


def verify(url: str | None = None, *, directory: Path = MIGRATIONS_DIR) -> None:
    """Raise MigrationError unless every file is applied, unchanged, and none is missing."""
    problems = []
    for s in status(url, directory=directory):
        if s.missing_file:
            problems.append(f"{s.name} was applied but its file is missing")
        elif s.changed:
            problems.append(f"{s.name} changed after it was applied")
        elif not s.applied:
            problems.append(f"{s.name} is not applied")
    if problems:
        raise MigrationError("; ".join(problems))


def _applied(conn: psycopg.Connection[Any]) -> dict[str, tuple[str, datetime, int | None]]:
    rows = conn.execute(
        "SELECT name, checksum, applied_at, dimension FROM schema_migrations"
    ).fetchall()
    return {name: (checksum, at, dim) for name, checksum, at, dim in rows}


def _check_applied(
    files: list[MigrationFile],
    applied: dict[str, tuple[str, datetime, int | None]],
    *,
    dimension: int,
) -> None:
    for file in files:
        row = applied.get(file.name)
        if row is None:
            continue
        if row[0] != file.checksum:
            raise MigrationError(
                f"{file.name} was changed after it was applied (checksum {row[0][:12]} in the "
                f"database, {file.checksum[:12]} on disk): add a new migration instead"
            )
        if row[2] is not None and row[2] != dimension:
            raise MigrationError(
                f"{file.name} was applied with embedding dimension {row[2]}, not {dimension}"
            )
