"""Contexts: create, list, read, change, delete, purge."""

from litestar import delete, get, patch, post
from litestar.params import JSONBody

from entrypoints.http import convert
from entrypoints.http.problem import documented
from entrypoints.http.requests import ContextCreate, ContextPatch
from entrypoints.http.responses import ContextOut, ContextPage, ErasurePage, PurgeOut
from entrypoints.http.routes.params import (
    COMMON,
    ON_CONTEXT,
    WITH_BODY,
    CallerDep,
    ContextId,
    Cursor,
    Limit,
)

TAGS = ["contexts"]


@post(
    "/contexts",
    summary="Create a context",
    operation_id="create_context",
    sync_to_thread=True,
    tags=TAGS,
    responses=documented(*WITH_BODY),
)
def create_context(*, caller: CallerDep, data: JSONBody[ContextCreate]) -> ContextOut:
    """Create an empty context (version 0) with a name, metadata and policy."""
    fields = convert.context_create(data, caller.settings)
    return convert.context_out(caller.engine.create_context(caller.tenant, **fields))


@get(
    "/contexts",
    summary="List contexts",
    operation_id="list_contexts",
    sync_to_thread=True,
    tags=TAGS,
    responses=documented(*COMMON),
)
def list_contexts(*, caller: CallerDep, limit: Limit = 50, cursor: Cursor = None) -> ContextPage:
    """The tenant's contexts, oldest first; follow `next_cursor` for the next page."""
    page = caller.engine.list_contexts(caller.tenant, limit=limit, cursor=cursor)
    items = [convert.context_out(c) for c in page.items]
    return ContextPage(items=items, next_cursor=page.next_cursor)


@get(
    "/contexts/{context_id:str}",
    summary="Read a context",
    operation_id="read_context",
    sync_to_thread=True,
    tags=TAGS,
    responses=documented(*ON_CONTEXT),
)
def read_context(*, caller: CallerDep, context_id: ContextId) -> ContextOut:
    """A context with its head version and totals."""
    return convert.context_out(caller.engine.get_context(caller.tenant, context_id))


@patch(
    "/contexts/{context_id:str}",
    summary="Update a context",
    operation_id="update_context",
    sync_to_thread=True,
    tags=TAGS,
    responses=documented(*WITH_BODY, *ON_CONTEXT),
)
def update_context(
    *,
    caller: CallerDep,
    context_id: ContextId,
    data: JSONBody[ContextPatch],
) -> ContextOut:
    """Rename, replace metadata, or change policy fields (fields left out are unchanged)."""
    changes = convert.context_changes(data, caller.settings)
    return convert.context_out(caller.engine.update_context(caller.tenant, context_id, changes))


@delete(
    "/contexts/{context_id:str}",
    summary="Delete a context",
    operation_id="delete_context",
    sync_to_thread=True,
    tags=TAGS,
    responses=documented(*ON_CONTEXT),
)
def delete_context(*, caller: CallerDep, context_id: ContextId) -> None:
    """Soft delete: the context then answers 404 everywhere."""
    caller.engine.delete_context(caller.tenant, context_id)


@post(
    "/contexts/{context_id:str}/restore",
    summary="Restore a deleted context",
    operation_id="restore_context",
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
    responses=documented(*ON_CONTEXT),
)
def restore_context(*, caller: CallerDep, context_id: ContextId) -> ContextOut:
    """Undo a soft delete within the context's retention (a live context is returned as
    it is); past its retention the context is gone: 404, as if it had never been."""
    return convert.context_out(caller.engine.restore_context(caller.tenant, context_id))


@post(
    "/contexts/{context_id:str}/purge",
    summary="Purge a context for good",
    operation_id="purge_context",
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
    responses=documented(*ON_CONTEXT),
)
def purge_context(*, caller: CallerDep, context_id: ContextId) -> PurgeOut:
    """Hard delete (live or soft-deleted): entries and embeddings go and cannot come back,
    except those a fork still shares. Answers what was removed."""
    return convert.purge_out(caller.engine.purge(caller.tenant, context_id))


@get(
    "/erasures",
    summary="List erasures",
    operation_id="list_erasures",
    sync_to_thread=True,
    tags=TAGS,
    responses=documented(*COMMON),
)
def list_erasures(
    *, caller: CallerDep, limit: Limit = 50, cursor: Cursor = None
) -> ErasurePage:
    """The tenant's erasure audit, oldest first: one record per purge (asked for or by
    retention), with no content; follow `next_cursor` for the next page."""
    page = caller.engine.erasures(caller.tenant, limit=limit, cursor=cursor)
    items = [convert.erasure_out(e) for e in page.items]
    return ErasurePage(items=items, next_cursor=page.next_cursor)


HANDLERS = [
    create_context, list_contexts, read_context, update_context, delete_context,
    restore_context, purge_context, list_erasures,
]
