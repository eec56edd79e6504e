"""The policy last seen per context: a guess that saves a read of the context.

An append counts its tokens under the guessed policy's encoding and the store refuses the
batch in the same statement if the policy is another (PolicyChanged); a window on the
policy's budget fetches the tail the guess asks for, and the policy read with the
candidates decides. A wrong guess costs one more round trip, never a wrong answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import attrs

from domain.model import AppendResult, EntryDraft, Policy
from domain.window import WindowCandidates
from ports.contexts import Contexts
from ports.version_log import PolicyChanged, VersionLog
from ports.window_source import WindowSource

DEFAULT_POLICY = Policy()
MAX_SEEN = 10_000  # contexts remembered; past that the guesses start afresh
APPEND_TRIES = 3  # counted under the guess, the policy the store reported, a fresh read


@attrs.define
class PolicyGuess:
    """Policies last seen, per (tenant, context)."""

    _seen: dict[tuple[str, str], Policy] = attrs.field(factory=dict)

    def get(self, tenant_id: str, context_id: str) -> Policy | None:
        """The policy last seen for the context, if any."""
        return self._seen.get((tenant_id, context_id))

    def remember(self, tenant_id: str, context_id: str, policy: Policy) -> None:
        """Note the context's policy as just read or written."""
        if len(self._seen) >= MAX_SEEN:
            self._seen.clear()
        self._seen[tenant_id, context_id] = policy


def append_counted(
    tenant_id: str,
    context_id: str,
    draft: Callable[[str], Sequence[EntryDraft]],
    *,
    log: VersionLog,
    contexts: Contexts,
    guess: PolicyGuess,
    now: Callable[[], datetime],
    expected_version: int | None,
    idempotency_key: str | None,
    fingerprint: str | None,
) -> tuple[AppendResult, Policy]:
    """Append the batch `draft(encoding)` makes, counted under the context's policy.

    The last try reads the policy first and asks the store to check nothing, as without
    the guess (a policy stored by an older release may never compare equal).
    """
    policy = guess.get(tenant_id, context_id) or contexts.get_context(tenant_id, context_id).policy
    drafted: dict[str, Sequence[EntryDraft]] = {}
    for attempt in range(APPEND_TRIES):
        last = attempt == APPEND_TRIES - 1
        if last:
            policy = contexts.get_context(tenant_id, context_id).policy
        drafts = drafted.get(policy.encoding)
        if drafts is None:
            drafts = drafted[policy.encoding] = draft(policy.encoding)
        try:
            result = log.append(
                tenant_id,
                context_id,
                drafts,
                now=now(),
                expected_version=expected_version,
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
                counted_under=None if last else policy,
            )
        except PolicyChanged as changed:
            policy = changed.policy
            continue
        guess.remember(tenant_id, context_id, policy)
        return result, policy
    raise AssertionError("unreachable: the last try checks no policy")


def candidates_on_policy(
    tenant_id: str,
    context_id: str,
    *,
    source: WindowSource,
    contexts: Contexts,
    guess: PolicyGuess,
    budget: int | None,
    reserve: int | None,
) -> tuple[WindowCandidates, Policy]:
    """Candidates for a window on the policy's budget or reserve, with that policy.

    The tail is fetched for the budget and reserve last seen (the defaults at first); a
    guess that proves short costs one more read.
    """
    seen = guess.get(tenant_id, context_id) or DEFAULT_POLICY
    fetched = _available(seen, budget, reserve)
    candidates = source.window_candidates(tenant_id, context_id, tail_tokens=fetched)
    policy = candidates.policy or contexts.get_context(tenant_id, context_id).policy
    guess.remember(tenant_id, context_id, policy)
    wanted = _available(policy, budget, reserve)
    if wanted > fetched:
        candidates = source.window_candidates(tenant_id, context_id, tail_tokens=wanted)
    return candidates, policy


def _available(policy: Policy, budget: int | None, reserve: int | None) -> int:
    return (policy.budget if budget is None else budget) - (
        policy.reserve if reserve is None else reserve
    )
