"""Numbered SQL migrations and their runner (sqlglot-checked, checksummed, advisory-locked)."""

from migrations.runner import (
    DEFAULT_DIMENSION,
    MigrationError,
    MigrationStatus,
    migrate,
    status,
    verify,
)

__all__ = ["DEFAULT_DIMENSION", "MigrationError", "MigrationStatus", "migrate", "status", "verify"]
