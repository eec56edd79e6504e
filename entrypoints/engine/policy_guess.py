"""The policy and discourse scope last seen per context: a guess that saves a read.

An append drafts its entries under the guessed basis (the policy's encoding counts the
tokens, the scope at the head says what they are indexed with) and the store refuses the
batch in the same statement if the context's is another (BasisChanged); a window on the
policy's budget fetches the tail the guess asks for, and the policy read with the
candidates decides. A wrong guess costs one more round trip, never a wrong answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import attrs

from domain.model import AppendResult, Context, EntryDraft, Policy
from domain.records import Record
from domain.window import WindowCandidates
from domain.window_rules import tail_reach
from ports.contexts import Contexts
from ports.version_log import BasisChanged, DraftBasis, VersionLog
from ports.window_source import WindowSource

DEFAULT_POLICY = Policy()
MAX_SEEN = 10_000  # contexts remembered; past that the guesses start afresh
APPEND_TRIES = 3  # drafted under the guess, the basis the store reported, a fresh read

# Drafts for a basis, and the scope after them.
Drafting = Callable[[DraftBasis], tuple[Sequence[EntryDraft], tuple[str, ...]]]


@attrs.define(repr=False)
class PolicyGuess(Record):
    """Policies and scopes last seen, per (tenant, context)."""

    _policies: dict[tuple[str, str], Policy] = attrs.field(factory=dict)
    _scopes: dict[tuple[str, str], tuple[str, ...]] = attrs.field(factory=dict)

    def policy(self, tenant_id: str, context_id: str) -> Policy | None:
        """The policy last seen for the context, if any."""
        return self._policies.get((tenant_id, context_id))

    def basis(self, tenant_id: str, context_id: str) -> DraftBasis | None:
        """The basis last seen for the context, if both its parts are known."""
        key = (tenant_id, context_id)
        policy, scope = self._policies.get(key), self._scopes.get(key)
        return None if policy is None or scope is None else DraftBasis(policy=policy, scope=scope)

    def remember(
        self, tenant_id: str, context_id: str, policy: Policy, scope: tuple[str, ...] | None
    ) -> None:
        """Note the context's policy (and scope, when known) as just read or written."""
        if len(self._policies) >= MAX_SEEN:
            self._policies.clear()
            self._scopes.clear()
        key = (tenant_id, context_id)
        self._policies[key] = policy
        if scope is not None:
            self._scopes[key] = scope

    def saw(self, context: Context) -> None:
        """Note a context as just read or written."""
        self.remember(context.tenant_id, context.id, context.policy, context.scope)


def basis_of(context: Context) -> DraftBasis:
    """The basis a batch appended to `context` now would be drafted under."""
    return DraftBasis(policy=context.policy, scope=context.scope)


def append_counted(
    tenant_id: str,
    context_id: str,
    draft: Drafting,
    *,
    log: VersionLog,
    contexts: Contexts,
    guess: PolicyGuess,
    now: Callable[[], datetime],
    expected_version: int | None,
    idempotency_key: str | None,
    fingerprint: str | None,
) -> tuple[AppendResult, Policy]:
    """Append the batch `draft(basis)` makes, drafted under the context's basis.

    The last try reads the basis first and asks the store to check nothing, as without
    the guess (a policy stored by an older release may never compare equal).
    """
    basis = guess.basis(tenant_id, context_id)
    if basis is None:
        basis = basis_of(contexts.get_context(tenant_id, context_id))
    drafted: dict[DraftBasis, tuple[Sequence[EntryDraft], tuple[str, ...]]] = {}
    for attempt in range(APPEND_TRIES):
        last = attempt == APPEND_TRIES - 1
        if last:
            basis = basis_of(contexts.get_context(tenant_id, context_id))
        if basis not in drafted:
            drafted[basis] = draft(basis)
        drafts, scope = drafted[basis]
        try:
            result = log.append(
                tenant_id,
                context_id,
                drafts,
                now=now(),
                expected_version=expected_version,
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
                drafted_under=None if last else basis,
            )
        except BasisChanged as changed:
            basis = changed.basis
            continue
        # A replay wrote nothing: the scope it reports is no longer known.
        guess.remember(tenant_id, context_id, basis.policy, None if result.replayed else scope)
        return result, basis.policy
    raise AssertionError("unreachable: the last try checks no basis")


def candidates_on_policy(
    tenant_id: str,
    context_id: str,
    *,
    source: WindowSource,
    contexts: Contexts,
    guess: PolicyGuess,
    budget: int | None,
    reserve: int | None,
    at: int | None = None,
    summaries: bool = True,
) -> tuple[WindowCandidates, Policy]:
    """Candidates for a window on the policy's budget or reserve, with that policy.

    The tail is fetched for the budget and reserve last seen (the defaults at first); a
    guess that proves short costs one more read.
    """
    seen = guess.policy(tenant_id, context_id) or DEFAULT_POLICY
    fetched = _available(seen, budget, reserve)
    candidates = source.window_candidates(
        tenant_id, context_id, tail_tokens=fetched, at=at, summaries=summaries
    )
    policy = candidates.policy or contexts.get_context(tenant_id, context_id).policy
    guess.remember(tenant_id, context_id, policy, None)
    wanted = _available(policy, budget, reserve)
    if wanted > fetched:
        candidates = source.window_candidates(
            tenant_id, context_id, tail_tokens=wanted, at=at, summaries=summaries
        )
    return candidates, policy


def available_tokens(policy: Policy, budget: int | None, reserve: int | None) -> int:
    """The tokens a window under `policy` fills: the budget less the reserve, each the
    policy's where not given."""
    return (policy.budget if budget is None else budget) - (
        policy.reserve if reserve is None else reserve
    )


def _available(policy: Policy, budget: int | None, reserve: int | None) -> int:
    # The tail a window under `policy` reads (more than the budget when its rules ask).
    return tail_reach(policy, available_tokens(policy, budget, reserve))
