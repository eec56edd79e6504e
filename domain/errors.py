"""The typed errors of Kata Context: one hierarchy, mapped to HTTP once, at the edge."""

from __future__ import annotations


class KataError(Exception):
    """Base class of every error the domain raises."""

    title = "Kata Context error"


class InvalidInput(KataError):
    """A value breaks a domain rule (bad role, negative tokens, bad policy...)."""

    title = "Invalid input"


class ContextNotFound(KataError):
    """No such context for this tenant (or it was deleted)."""

    title = "Context not found"

    def __init__(self, context_id: str) -> None:
        super().__init__(f"context {context_id!r} not found")
        self.context_id = context_id


class ReceiptNotFound(KataError):
    """No such receipt of this context for this tenant (or it has expired)."""

    title = "Receipt not found"

    def __init__(self, receipt_id: str) -> None:
        super().__init__(f"receipt {receipt_id!r} not found")
        self.receipt_id = receipt_id


class EmptyBatch(InvalidInput):
    """An append carried no entries."""

    title = "Empty batch"

    def __init__(self) -> None:
        super().__init__("an append needs at least one entry")


class VersionConflict(KataError):
    """expected_version does not match the context's head."""

    title = "Version conflict"

    def __init__(self, *, expected: int, current: int) -> None:
        super().__init__(f"expected version {expected}, but the head is {current}")
        self.expected = expected
        self.current = current


class IdempotencyKeyReused(KataError):
    """An idempotency key was sent again with a different payload."""

    title = "Idempotency key reused"

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was already used with a different payload")
        self.key = key


class VersionOutOfRange(KataError):
    """A version outside 0..head was asked for (time travel or fork)."""

    title = "Version out of range"

    def __init__(self, *, version: int, head: int) -> None:
        super().__init__(f"version {version} is outside 0..{head}")
        self.version = version
        self.head = head


class BudgetTooSmall(KataError):
    """The pinned entries (and summary) alone do not fit the budget."""

    title = "Budget too small"

    def __init__(self, *, needed: int, available: int) -> None:
        super().__init__(
            f"pinned entries need {needed} tokens but only {available} are available"
        )
        self.needed = needed
        self.available = available


class DimensionMismatch(InvalidInput):
    """An embedding's dimension differs from the deployment's."""

    title = "Embedding dimension mismatch"

    def __init__(self, *, expected: int, got: int) -> None:
        super().__init__(f"embedding has {got} dimensions, this deployment uses {expected}")
        self.expected = expected
        self.got = got


class NothingToCompact(KataError):
    """Compaction was asked for but the active history is too short to summarize."""

    title = "Nothing to compact"


class SummaryNotShorter(KataError):
    """The summary written would not be shorter than what it stands in for: refused."""

    title = "Summary not shorter"

    def __init__(self, *, summary_tokens: int, covered_tokens: int) -> None:
        super().__init__(
            f"the summary would take {summary_tokens} tokens, not fewer than the "
            f"{covered_tokens} it stands in for; nothing was written"
        )
        self.summary_tokens = summary_tokens
        self.covered_tokens = covered_tokens


class NotRevertible(KataError):
    """A revert named a version that is not the compaction in force."""

    title = "Not revertible"


class Unauthorized(KataError):
    """Missing, unknown or revoked API key."""

    title = "Unauthorized"


class EmbedderUnavailable(KataError):
    """The configured embedder failed to answer (network, status or malformed reply)."""

    title = "Embedder unavailable"


class StoreUnavailable(KataError):
    """The store cannot be reached now (no connection in time, or the database went away).

    Nothing was written, or a retry with the same Idempotency-Key settles what was.
    """

    title = "Store unavailable"


class WindowTooLarge(KataError):
    """A window would take more tokens or entries than the deployment lets one request
    materialise (its budget is refused before anything is read)."""

    title = "Window too large"

    def __init__(self, *, resource: str, limit: int, requested: int) -> None:
        super().__init__(
            f"a window may take at most {limit} {resource}; this one takes {requested}: "
            f"ask for a smaller budget"
        )
        self.resource = resource
        self.limit = limit
        self.requested = requested


class QuotaExceeded(KataError):
    """An append would take the tenant past its quota of stored entries or bytes."""

    title = "Quota exceeded"

    def __init__(self, *, resource: str, limit: int, used: int, requested: int) -> None:
        super().__init__(
            f"the tenant's quota of {limit} stored {resource} would be exceeded: "
            f"{used} stored, this append adds {requested}"
        )
        self.resource = resource
        self.limit = limit
        self.used = used
        self.requested = requested
