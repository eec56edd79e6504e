"""The CLI's key and migration commands against a real PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from adapters.postgres.keys import PostgresKeyStore
from domain.keys import hash_key
from entrypoints.cli import main

pytestmark = pytest.mark.postgres


def test_keys_create_list_revoke(
    postgres_url: str, postgres_keys: PostgresKeyStore, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = f"cli-{uuid.uuid4()}"
    db = ["--database-url", postgres_url]
    assert main([*db, "keys", "create", "--tenant", tenant, "--label", "ci"]) == 0
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    assert secret.startswith("kc_")
    assert postgres_keys.tenant_for(hash_key(secret)) == tenant

    assert main([*db, "keys", "list", "--tenant", tenant]) == 0
    listing = capsys.readouterr().out
    assert secret not in listing
    assert secret[:11] in listing
    assert "active" in listing

    # Options are taken after the command too.
    assert main(["keys", "revoke", secret[:11], *db]) == 0
    assert postgres_keys.tenant_for(hash_key(secret)) is None
    assert main([*db, "keys", "revoke", secret[:11]]) == 1


def test_migration_commands(postgres_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--database-url", postgres_url]
    assert main([*db, "migrate"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main([*db, "status"]) == 0
    assert "pending" not in capsys.readouterr().out
    assert main([*db, "verify"]) == 0
    assert main(["--database-url", "postgresql://nobody@127.0.0.1:1/none", "verify"]) == 1
    assert "kata-context:" in capsys.readouterr().err
