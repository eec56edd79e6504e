"""The append use case: a batch of messages becomes the next versions, all or nothing."""

from __future__ import annotations

from collections.abc import Sequence

from domain import versioning
from domain.errors import InvalidInput
from domain.model import AppendResult, Message, Policy
from entrypoints.engine.drafting import Drafter
from entrypoints.engine.limits import check_batch
from entrypoints.engine.policy_guess import PolicyGuess, append_counted
from ports.clock import Clock
from ports.contexts import Contexts
from ports.version_log import VersionLog


def append(
    tenant_id: str,
    context_id: str,
    messages: Sequence[Message],
    *,
    log: VersionLog,
    contexts: Contexts,
    guess: PolicyGuess,
    drafter: Drafter,
    clock: Clock,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> tuple[AppendResult, Policy]:
    """Append the batch as versions head+1..head+n; returns the result and the policy
    it was counted under."""
    for i, m in enumerate(messages):
        if not isinstance(m, Message):
            # Agents hold chat dicts and SDK objects: say so, rather than fail deep inside.
            raise InvalidInput(
                f"messages[{i}] is a {type(m).__name__}, not a Message "
                "(convert agent shapes with kata_context.shapes first)"
            )
    versioning.check_batch_size(len(messages))
    check_batch(len(messages))
    # Digest what the client sent, so a retry stays a retry however the server counts.
    fingerprint = versioning.batch_fingerprint(messages) if idempotency_key else None
    return append_counted(
        tenant_id,
        context_id,
        lambda basis: drafter.drafts(messages, encoding=basis.policy.encoding, scope=basis.scope),
        log=log,
        contexts=contexts,
        guess=guess,
        now=clock.now,
        expected_version=expected_version,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
    )
