"""The window: the best entries to send to the model for a token budget."""

from typing import Annotated

from litestar import Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.params import JSONBody, QueryParameter

from domain.model import MAX_BUDGET, MAX_NEIGHBOURS
from entrypoints.engine import MAX_QUERY_CHARS
from entrypoints.http import convert
from entrypoints.http import problem as p
from entrypoints.http.auth import Caller
from entrypoints.http.problem import documented
from entrypoints.http.requests import WindowRequest
from entrypoints.http.responses import WindowOut
from entrypoints.http.routes.params import ON_CONTEXT, WITH_BODY, At, CallerDep, ContextId

TAGS = ["window"]
ERRORS = (*ON_CONTEXT, p.INVALID_INPUT, p.BUDGET_TOO_SMALL, p.VERSION_OUT_OF_RANGE)
BudgetParam = Annotated[
    int | None,
    QueryParameter(ge=1, le=MAX_BUDGET, description="Token budget (default: the policy's)."),
]
ReserveParam = Annotated[
    int | None, QueryParameter(ge=0, description="Tokens kept free for the reply (below budget).")
]
QueryParam = Annotated[
    str | None,
    QueryParameter(
        name="query",  # `query` is a name Litestar reserves for the handler's kwargs
        max_length=MAX_QUERY_CHARS,
        description="What the agent is about to ask: relevant older entries join the window.",
    ),
]


ShareParam = Annotated[
    float | None,
    QueryParameter(
        ge=0, le=1, description="Share of the budget for relevant entries (default: the policy's)."
    ),
]
NeighboursParam = Annotated[
    int | None,
    QueryParameter(
        ge=0,
        le=MAX_NEIGHBOURS,
        description="Entries either side of each relevant one (default: the policy's).",
    ),
]


IncludeSummaryParam = Annotated[
    bool,
    QueryParameter(
        description="false: no compaction summary; the entries it covers compete as others.",
    ),
]
RecordParam = Annotated[
    bool | None,
    QueryParameter(
        description="Record the window as a receipt (default: the policy's record_windows)."
    ),
]
RECEIPT_HEADER = "Kata-Receipt"
# Documented only: the header is set on recorded windows alone.
HEADERS = [
    ResponseHeader(
        name=RECEIPT_HEADER,
        description="The id of the receipt that recorded this window (recorded windows only).",
        documentation_only=True,
    )
]


def _window(caller: Caller, context_id: str, request: WindowRequest) -> Response[WindowOut]:
    # GET and POST meet here: new window parameters are fields of WindowRequest.
    window = caller.engine.window(caller.tenant, context_id, **request.engine_kwargs())
    headers = {RECEIPT_HEADER: window.receipt_id} if window.receipt_id else None
    return Response(convert.window_out(window), headers=headers)


@get(
    "/contexts/{context_id:str}/window",
    summary="Window for a budget",
    operation_id="read_window",
    sync_to_thread=True,
    tags=TAGS,
    responses=documented(*ERRORS),
    response_headers=HEADERS,
)
def read_window(
    *,
    caller: CallerDep,
    context_id: ContextId,
    budget: BudgetParam = None,
    reserve: ReserveParam = None,
    query_text: QueryParam = None,
    relevant_share: ShareParam = None,
    neighbours: NeighboursParam = None,
    at: At = None,
    record: RecordParam = None,
    include_summary: IncludeSummaryParam = True,
) -> Response[WindowOut]:
    """Pins, then the summary, then the most recent entries that fit budget - reserve;
    with a `query`, older entries relevant to it share the budget."""
    request = WindowRequest(
        budget=budget,
        reserve=reserve,
        query=query_text,
        relevant_share=relevant_share,
        neighbours=neighbours,
        at=at,
        record=record,
        include_summary=include_summary,
    )
    return _window(caller, context_id, request)


@post(
    "/contexts/{context_id:str}/window",
    summary="Window for a budget (JSON body)",
    operation_id="query_window",
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
    responses=documented(*ERRORS, *WITH_BODY),
    response_headers=HEADERS,
)
def query_window(
    *, caller: CallerDep, context_id: ContextId, data: JSONBody[WindowRequest]
) -> Response[WindowOut]:
    """The same window, with its parameters in a JSON body: a long query, a query vector."""
    return _window(caller, context_id, data)


HANDLERS = [read_window, query_window]
