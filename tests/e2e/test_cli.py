"""The CLI's key, migration and retention commands against a real PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from adapters.postgres.keys import PostgresKeyStore
from adapters.postgres.store import PostgresStore
from adapters.summaries import ExtractiveSummarizer
from adapters.system import SystemClock, UuidIds
from adapters.tokens import OfflineTokenCounter
from domain.errors import ReceiptNotFound
from domain.keys import hash_key
from domain.model import Message, Policy, Role
from entrypoints.cli import main
from entrypoints.engine import Engine

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


def test_retention_run_deletes_expired_receipts_and_prints_counts(
    postgres_url: str, postgres_store: PostgresStore, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tokens = OfflineTokenCounter()
    engine = Engine(store=postgres_store, tokens=tokens, summarizer=ExtractiveSummarizer(tokens),
                    clock=SystemClock(), ids=UuidIds())
    tenant = f"cli-{uuid.uuid4()}"
    ctx = engine.create_context(tenant, policy=Policy(receipt_retention_days=0))
    engine.append(tenant, ctx.id, [Message(role=Role.USER, content="hello", token_count=3)])
    gone = engine.window(tenant, ctx.id, record=True).receipt_id
    kept_ctx = engine.create_context(tenant)
    engine.append(tenant, kept_ctx.id, [Message(role=Role.USER, content="hi", token_count=2)])
    kept = engine.window(tenant, kept_ctx.id, record=True).receipt_id
    assert gone and kept
    monkeypatch.setenv("KATA_RECEIPT_RETENTION_DAYS", "30")
    assert main(["--database-url", postgres_url, "retention", "run"]) == 0
    out = capsys.readouterr().out
    count = int(out.split("receipts:")[1].split()[0])
    assert count >= 1  # this test's expired receipt, and any that other tests left to expire
    with pytest.raises(ReceiptNotFound):
        engine.receipt(tenant, ctx.id, gone)
    assert engine.receipt(tenant, kept_ctx.id, kept).receipt.id == kept
    assert main(["--database-url", postgres_url, "retention"]) == 2
