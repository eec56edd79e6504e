"""Forks and compaction: new branches of a history, and summaries of its older part."""

from litestar import get, post
from litestar.params import FromPath, JSONBody

from entrypoints.http import convert
from entrypoints.http import problem as p
from entrypoints.http.problem import documented
from entrypoints.http.requests import CompactRequest, ForkRequest
from entrypoints.http.responses import CompactOut, ContextList, ContextOut, RevertOut
from entrypoints.http.routes.params import ON_CONTEXT, WITH_BODY, CallerDep, ContextId


@post(
    "/contexts/{context_id:str}/fork",
    summary="Fork a context",
    operation_id="fork_context",
    sync_to_thread=True,
    tags=["forks"],
    status_code=201,
    responses=documented(*WITH_BODY, *ON_CONTEXT, p.VERSION_OUT_OF_RANGE),
)
def fork_context(
    *,
    caller: CallerDep,
    context_id: ContextId,
    data: JSONBody[ForkRequest | None] = None,
) -> ContextOut:
    """A new context holding this one's entries 1..version (default: the head)."""
    body = data or ForkRequest()
    child = caller.engine.fork(caller.tenant, context_id, **convert.fork_in(body))
    return convert.context_out(child)


@get(
    "/contexts/{context_id:str}/forks",
    summary="List forks",
    operation_id="list_forks",
    sync_to_thread=True,
    tags=["forks"],
    responses=documented(*ON_CONTEXT),
)
def list_forks(*, caller: CallerDep, context_id: ContextId) -> ContextList:
    """The live direct forks of a context, oldest first."""
    return ContextList(
        items=[convert.context_out(c) for c in caller.engine.forks(caller.tenant, context_id)]
    )


@post(
    "/contexts/{context_id:str}/compact",
    summary="Compact now",
    operation_id="compact_context",
    sync_to_thread=True,
    tags=["compaction"],
    status_code=201,
    responses=documented(
        *WITH_BODY, *ON_CONTEXT, p.NOTHING_TO_COMPACT, p.SUMMARY_NOT_SHORTER, p.VERSION_CONFLICT
    ),
)
def compact_context(
    *,
    caller: CallerDep,
    context_id: ContextId,
    data: JSONBody[CompactRequest | None] = None,
) -> CompactOut:
    """Summarize older active entries now; `force` compacts even below the threshold."""
    body = data or CompactRequest()
    return convert.compact_out(caller.engine.compact(caller.tenant, context_id, force=body.force))


@post(
    "/contexts/{context_id:str}/compactions/{version:int}/revert",
    summary="Revert a compaction",
    operation_id="revert_compaction",
    sync_to_thread=True,
    tags=["compaction"],
    status_code=201,
    responses=documented(*ON_CONTEXT, p.NOT_REVERTIBLE, p.VERSION_CONFLICT),
)
def revert_compaction(
    *, caller: CallerDep, context_id: ContextId, version: FromPath[int]
) -> RevertOut:
    """Revert the compaction in force (the summary at `version`): a marker version records
    it, windows stop using the summary, and the one before it is in force again."""
    reverted = caller.engine.revert_compaction(caller.tenant, context_id, version)
    return convert.revert_out(reverted)


HANDLERS = [fork_context, list_forks, compact_context, revert_compaction]
