"""Receipts: recorded windows of a context, listed by time and read back exactly."""

from litestar import get
from litestar.params import FromPath

from entrypoints.http import convert
from entrypoints.http import problem as p
from entrypoints.http.problem import documented
from entrypoints.http.responses import ReceiptPage, RecordedWindowOut
from entrypoints.http.routes.params import ON_CONTEXT, CallerDep, ContextId, Cursor, Limit

TAGS = ["receipts"]


@get(
    "/contexts/{context_id:str}/receipts",
    summary="List receipts",
    operation_id="list_receipts",
    sync_to_thread=True,
    tags=TAGS,
    responses=documented(*ON_CONTEXT, p.INVALID_INPUT),
)
def list_receipts(
    *, caller: CallerDep, context_id: ContextId, limit: Limit = 50, cursor: Cursor = None
) -> ReceiptPage:
    """The context's recorded windows, oldest first; follow `next_cursor` for the next page."""
    page = caller.engine.receipts(caller.tenant, context_id, limit=limit, cursor=cursor)
    return ReceiptPage(
        items=[convert.receipt_out(r) for r in page.items], next_cursor=page.next_cursor
    )


@get(
    "/contexts/{context_id:str}/receipts/{receipt_id:str}",
    summary="Read a receipt",
    operation_id="read_receipt",
    sync_to_thread=True,
    tags=TAGS,
    responses=documented(*ON_CONTEXT, p.RECEIPT_NOT_FOUND),
)
def read_receipt(
    *, caller: CallerDep, context_id: ContextId, receipt_id: FromPath[str]
) -> RecordedWindowOut:
    """A recorded window: its receipt, and exactly the entries that were sent, read from
    the immutable version log whatever was appended, compacted or reverted since."""
    recorded = caller.engine.receipt(caller.tenant, context_id, receipt_id)
    return convert.recorded_window_out(recorded)


HANDLERS = [list_receipts, read_receipt]
