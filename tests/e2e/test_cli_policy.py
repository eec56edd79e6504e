"""`kata-context contexts policy`: show a context's policy, change some of its fields."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from adapters.postgres.store import PostgresStore
from domain.model import Context, Policy
from entrypoints.cli import main

pytestmark = pytest.mark.postgres


def _context(store: PostgresStore, tenant: str, policy: Policy) -> str:
    now = datetime.now(UTC)
    cid = str(uuid.uuid4())
    store.create_context(
        Context(id=cid, tenant_id=tenant, name="cli", policy=policy, created_at=now, updated_at=now)
    )
    return cid


def test_set_changes_the_fields_named_and_keeps_the_others(
    postgres_url: str, postgres_store: PostgresStore, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = f"cli-{uuid.uuid4()}"
    cid = _context(postgres_store, tenant, Policy(budget=4000, keep_recent=3))
    db = ["--database-url", postgres_url]
    args = ["contexts", "policy", cid, "--tenant", tenant]
    changed = ["--set", "budget=9000", "--set", "threshold=0.7", "--set", "enabled=true"]
    assert main([*db, *args, *changed, "--set", "encoding=o200k_base"]) == 0
    out = capsys.readouterr().out
    assert f"policy of context {cid} (tenant {tenant}):" in out
    assert "  budget=9000\n" in out and "  encoding=o200k_base\n" in out
    assert postgres_store.get_context(tenant, cid).policy == Policy(
        budget=9000, threshold=0.7, enabled=True, keep_recent=3, encoding="o200k_base"
    )

    assert main([*db, *args]) == 0  # no --set: shows the policy
    assert "  keep_recent=3\n  encoding=o200k_base\n  enabled=true\n" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("setting", "error"),
    [
        ("reserve=9000", "reserve must be at least 0 and below the budget"),
        ("budgett=10", "not policy fields: budgett"),
        ("budget=lots", "--set budget: Expected `int`"),
        ("budget", "--set takes FIELD=VALUE"),
    ],
)
def test_a_refused_change_changes_nothing(
    postgres_url: str,
    postgres_store: PostgresStore,
    capsys: pytest.CaptureFixture[str],
    setting: str,
    error: str,
) -> None:
    tenant = f"cli-{uuid.uuid4()}"
    cid = _context(postgres_store, tenant, Policy(budget=4000))
    argv = ["--database-url", postgres_url, "contexts", "policy", cid, "--tenant", tenant]
    assert main([*argv, "--set", "keep_recent=1", "--set", setting]) == 1
    assert error in capsys.readouterr().err
    assert postgres_store.get_context(tenant, cid).policy == Policy(budget=4000)


def test_another_tenants_context_is_not_found(
    postgres_url: str, postgres_store: PostgresStore, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = _context(postgres_store, f"cli-{uuid.uuid4()}", Policy())
    argv = ["--database-url", postgres_url, "contexts", "policy", cid, "--set", "budget=10"]
    assert main(argv) == 1
    assert "ContextNotFound" in capsys.readouterr().err
