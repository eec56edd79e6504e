"""The version log: append a batch, page through entries, read the state at a version."""

from litestar import Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from entrypoints.http import convert
from entrypoints.http import problem as p
from entrypoints.http.problem import documented
from entrypoints.http.requests import AppendRequest
from entrypoints.http.responses import AppendOut, EntryPage, VersionState
from entrypoints.http.routes.params import (
    ON_CONTEXT,
    WITH_BODY,
    After,
    At,
    CallerDep,
    ContextId,
    IdempotencyKey,
    Limit,
)

TAGS = ["messages"]


@post(
    "/contexts/{context_id:str}/messages",
    summary="Append messages",
    operation_id="append_messages",
    sync_to_thread=True,
    tags=TAGS,
    status_code=201,
    responses=documented(
        *WITH_BODY,
        *ON_CONTEXT,
        p.VERSION_CONFLICT,
        p.EMPTY_BATCH,
        p.DIMENSION_MISMATCH,
        p.IDEMPOTENCY_KEY_REUSED,
        p.QUOTA_EXCEEDED,
    ),
)
def append_messages(
    *,
    caller: CallerDep,
    context_id: ContextId,
    data: JSONBody[AppendRequest],
    idempotency_key: IdempotencyKey = None,
) -> Response[AppendOut]:
    """Append a batch all-or-nothing as versions head+1..head+n.

    201 when written; 200 with `replayed: true` when an Idempotency-Key repeats a
    completed append (nothing is written again). 409 carries `current_version`.
    """
    result = caller.engine.append(
        caller.tenant,
        context_id,
        convert.messages_in(data.messages, caller.settings),
        expected_version=data.expected_version,
        idempotency_key=idempotency_key,
    )
    return Response(convert.append_out(result), status_code=200 if result.replayed else 201)


@get(
    "/contexts/{context_id:str}/messages",
    summary="Read messages (time travel with ?at)",
    operation_id="list_messages",
    sync_to_thread=True,
    tags=TAGS,
    responses=documented(*ON_CONTEXT, p.VERSION_OUT_OF_RANGE),
)
def list_messages(
    *,
    caller: CallerDep,
    context_id: ContextId,
    after: After = 0,
    limit: Limit = 100,
    at: At = None,
    include_embeddings: FromQuery[bool] = False,
) -> EntryPage:
    """Entries in version order after the `after` cursor, as of version `at` (default head)."""
    page = caller.engine.entries(caller.tenant, context_id, after=after, limit=limit, at=at)
    return EntryPage(
        items=[convert.entry_out(e, with_embedding=include_embeddings) for e in page.items],
        next_cursor=page.next_cursor,
    )


@get(
    "/contexts/{context_id:str}/versions/{version:int}",
    summary="State at a version",
    operation_id="read_version",
    sync_to_thread=True,
    tags=TAGS,
    responses=documented(*ON_CONTEXT, p.VERSION_OUT_OF_RANGE),
)
def read_version(
    *,
    caller: CallerDep,
    context_id: ContextId,
    version: FromPath[int],
    after: After = 0,
    limit: Limit = 100,
) -> VersionState:
    """The state at `version`: the entry it added and entries 1..version, a page at a time."""
    state = caller.engine.version_state(
        caller.tenant, context_id, version, after=after, limit=limit
    )
    return VersionState(
        version=version,
        entry=convert.entry_out(state.entry) if state.entry is not None else None,
        entries=[convert.entry_out(e) for e in state.page.items],
        next_cursor=state.page.next_cursor,
    )


HANDLERS = [append_messages, list_messages, read_version]
