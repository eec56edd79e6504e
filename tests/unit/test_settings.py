"""Settings read from the environment: the prepared-statements switch."""

from __future__ import annotations

import pytest

from entrypoints.settings import Settings


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, None), ("", None), ("1", True), ("on", True), ("0", False), ("false", False)],
)
def test_prepared_statements_is_on_off_or_left_to_the_entrypoint(
    raw: str | None, expected: bool | None
) -> None:
    env = {} if raw is None else {"KATA_PREPARED_STATEMENTS": raw}
    assert Settings.from_env(env).prepare_statements is expected


def test_a_malformed_switch_names_the_variable() -> None:
    with pytest.raises(ValueError, match="KATA_PREPARED_STATEMENTS"):
        Settings.from_env({"KATA_PREPARED_STATEMENTS": "maybe"})


def test_retention_days_and_the_cron_secret_come_from_the_environment() -> None:
    from domain.errors import InvalidInput
    from domain.retention import RetentionDays

    default = Settings.from_env({})
    assert default.retention == RetentionDays(deleted_contexts=30, receipts=30)
    assert default.cron_secret is None
    env = {"KATA_RETENTION_DAYS": "7", "KATA_RECEIPT_RETENTION_DAYS": "0", "CRON_SECRET": "x"}
    chosen = Settings.from_env(env)
    assert chosen.retention == RetentionDays(deleted_contexts=7, receipts=0)
    assert chosen.cron_secret == "x"
    with pytest.raises(InvalidInput):
        _ = Settings.from_env({"KATA_RETENTION_DAYS": "-1"}).retention
