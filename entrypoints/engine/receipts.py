"""Receipt use cases: record a window as it is chosen, read it back, list a context's."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from domain.errors import ReceiptNotFound
from domain.model import Page, Policy
from domain.receipts import (
    Receipt,
    RecordedWindow,
    WindowAsked,
    embedding_hash,
    missing_versions,
    query_hash,
    receipt_of,
    window_of,
)
from domain.records import Record
from domain.window import Window
from entrypoints.engine.limits import check_page
from ports.clock import Clock, IdGenerator
from ports.receipts import Receipts
from ports.version_log import VersionLog


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Recorder(Record):
    """Records windows as receipts: one insert after the window is chosen."""

    receipts: Receipts
    clock: Clock
    ids: IdGenerator


def recorded(
    recorder: Recorder | None,
    record: bool | None,
    tenant_id: str,
    context_id: str,
    window: Window,
    *,
    policy: Policy,
    query: str | None = None,
    embedding: Sequence[float] | None = None,
    relevant_share: float | None = None,
    neighbours: int | None = None,
) -> Window:
    """The window, with the id of its receipt when it is recorded: when `record` says so,
    else when the policy's `record_windows` does."""
    wanted = policy.record_windows if record is None else record
    if recorder is None or not wanted:
        return window
    asked = WindowAsked(
        budget=window.budget,
        reserve=window.reserve,
        query_hash=query_hash(query),
        query_embedding_hash=embedding_hash(embedding),
        relevant_share=relevant_share,
        neighbours=neighbours,
        policy=policy,
    )
    receipt = receipt_of(
        window,
        id=recorder.ids.new_id(),
        tenant_id=tenant_id,
        context_id=context_id,
        created_at=recorder.clock.now(),
        asked=asked,
    )
    recorder.receipts.record_receipt(receipt)
    return attrs.evolve(window, receipt_id=receipt.id)


def receipt(
    tenant_id: str, context_id: str, receipt_id: str, *, receipts: Receipts, log: VersionLog
) -> RecordedWindow:
    """A receipt and exactly the window it recorded, its entries read from the version log."""
    found = receipts.get_receipt(tenant_id, context_id, receipt_id)
    entries = {e.version: e for e in log.read_versions(tenant_id, context_id, found.versions)}
    if missing_versions(found, entries):
        # Only an erasure removes versions, and it removes their receipts with them.
        raise ReceiptNotFound(receipt_id)
    return RecordedWindow(receipt=found, window=window_of(found, entries))


def list_receipts(
    tenant_id: str, context_id: str, *, receipts: Receipts, limit: int, cursor: str | None
) -> Page[Receipt]:
    """A context's receipts, oldest first, a page at a time."""
    check_page(limit)
    return receipts.list_receipts(tenant_id, context_id, limit=limit, cursor=cursor)
