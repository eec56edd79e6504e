"""Similarity search over the tenant's entries, and who the caller is."""

from litestar import get, post
from litestar.params import JSONBody

from entrypoints.http import convert
from entrypoints.http import problem as p
from entrypoints.http.problem import documented
from entrypoints.http.requests import SearchRequest
from entrypoints.http.responses import SearchHitOut, SearchOut, TenantOut
from entrypoints.http.routes.params import COMMON, WITH_BODY, CallerDep


@post(
    "/search",
    summary="Similarity search",
    operation_id="search",
    sync_to_thread=True,
    tags=["search"],
    status_code=200,
    responses=documented(*WITH_BODY, p.CONTEXT_NOT_FOUND, p.DIMENSION_MISMATCH),
)
def search(*, caller: CallerDep, data: JSONBody[SearchRequest]) -> SearchOut:
    """The k entries closest by cosine similarity, within the tenant or one context."""
    hits = caller.engine.search(caller.tenant, data.embedding, k=data.k, context_id=data.context_id)
    return SearchOut(
        items=[
            SearchHitOut(context_id=h.context_id, score=h.score, entry=convert.entry_out(h.entry))
            for h in hits
        ]
    )


@get(
    "/tenant",
    summary="Who am I",
    operation_id="whoami",
    sync_to_thread=False,
    tags=["tenant"],
    responses=documented(*COMMON),
)
def whoami(
    *,
    caller: CallerDep,
) -> TenantOut:
    """The tenant the presented API key belongs to."""
    return TenantOut(tenant_id=caller.tenant)


HANDLERS = [search, whoami]
