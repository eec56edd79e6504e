"""The floor: append and window with nothing else, on Kata's stack, to measure Kata against.

A Litestar app over an async psycopg pool (psycopg_pool.AsyncConnectionPool, min 2, max 8,
autocommit, prepared after psycopg's default 5 runs, as `serve` prepares over its embedded
server), served by uvicorn (httptools, uvloop, one worker) like `kata-context serve`. It
writes and reads Kata's own tables in a database Kata's migrations made, with one
statement per request: no auth, no tenant setting (it connects as the admin role, which
row-level security does not apply to), no validation beyond msgspec decoding the batch, no
idempotency, no quotas, no lexical terms (an empty tsvector satisfies NOT NULL), no
summaries or forks. What Kata does beyond this is what its ratio to the floor prices.

    uvicorn --factory bench._floor_app:create_app   (FLOOR_DATABASE_URL in the environment)

Routes, on Kata's paths so one request plan drives both: GET /api/health, POST
/api/v1/contexts/{id}/messages ({"messages": [{role, content, token_count}]}: 201 with
first_version, last_version, head_version) and GET /api/v1/contexts/{id}/window?budget=N
(pins, then the newest entries that start inside the budget). Contexts are made by the
bench, straight into the table; every one is in the tenant TENANT.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from litestar import Litestar, Request, Response, get, post
from psycopg_pool import AsyncConnectionPool

TENANT = "bench-tenant"
URL_ENV = "FLOOR_DATABASE_URL"

# Kata's append in its essentials: the head bump under the context's row lock (versions
# stay gapless under concurrent appenders) and the batch with its versions and running
# eligible sums, in one autocommitted statement.
APPEND = """
WITH ctx AS (
    UPDATE contexts
    SET head_version = head_version + %(n)s, token_total = token_total + %(tokens)s,
        eligible_total = eligible_total + %(tokens)s, updated_at = now()
    WHERE tenant_id = %(tenant)s AND id = %(id)s
    RETURNING head_version - %(n)s AS base, eligible_total - %(tokens)s AS ebase,
              head_version
),
ins AS (
    INSERT INTO context_versions (tenant_id, context_id, version, kind, role, content,
        token_count, token_source, is_pin, eligible_before, created_at)
    SELECT %(tenant)s, %(id)s, ctx.base + r.ord, 'message', r.role, to_json(r.content),
           r.tokens, 'client', false, ctx.ebase + r.before, now()
    FROM ctx, unnest(%(roles)s::text[], %(contents)s::text[], %(counts)s::integer[],
                     %(befores)s::bigint[]) WITH ORDINALITY AS r(role, content, tokens,
                                                                 before, ord)
)
SELECT base + 1, head_version FROM ctx
"""

# Kata's head window in its essentials: the pins by their partial index, then the tail as
# a backward scan of context_versions_tail from the running sum, with a LIMIT (every entry
# holds a token), so the cost follows the budget and not the history.
WINDOW = """
WITH pins AS MATERIALIZED (
    SELECT v.version, v.role, v.content, v.token_count FROM context_versions v
    WHERE v.tenant_id = %(tenant)s AND v.context_id = %(id)s AND v.is_pin
),
c AS MATERIALIZED (
    SELECT eligible_total - (%(budget)s - COALESCE((SELECT sum(token_count) FROM pins), 0))
           AS lowest
    FROM contexts WHERE tenant_id = %(tenant)s AND id = %(id)s
)
SELECT version, role, content::text, token_count FROM pins
UNION ALL
(SELECT v.version, v.role, v.content::text, v.token_count FROM context_versions v
 WHERE v.tenant_id = %(tenant)s AND v.context_id = %(id)s AND v.kind = 'message'
   AND NOT v.is_pin AND v.eligible_before >= (SELECT lowest FROM c)
 ORDER BY v.eligible_before DESC
 LIMIT %(budget)s)
"""


class _Message(msgspec.Struct):
    role: str
    content: str
    token_count: int


class _Batch(msgspec.Struct):
    messages: list[_Message]


class _Entry(msgspec.Struct):
    version: int
    role: str
    content: msgspec.Raw
    token_count: int


_decode = msgspec.json.Decoder(_Batch).decode
_encode = msgspec.json.Encoder().encode


def _pool(app: Litestar) -> AsyncConnectionPool[Any]:
    pool: AsyncConnectionPool[Any] = app.state.pool
    return pool


@get("/api/health", sync_to_thread=False)
def health() -> Response[bytes]:
    """What the server and Litestar cost alone."""
    return Response(b'{"status":"ok"}', media_type="application/json")


@post("/api/v1/contexts/{cid:str}/messages")
async def append(request: Request[Any, Any, Any], cid: str) -> Response[bytes]:
    """Append a batch: one statement."""
    batch = _decode(await request.body()).messages
    counts = [m.token_count for m in batch]
    befores, total = [], 0
    for c in counts:
        befores.append(total)
        total += c
    params = {
        "tenant": TENANT,
        "id": cid,
        "n": len(batch),
        "tokens": total,
        "roles": [m.role for m in batch],
        "contents": [m.content for m in batch],
        "counts": counts,
        "befores": befores,
    }
    async with _pool(request.app).connection() as conn:
        row = await (await conn.execute(APPEND, params)).fetchone()
    if row is None:
        return Response(b'{"status":404}', status_code=404, media_type="application/json")
    body = b'{"first_version":%d,"last_version":%d,"head_version":%d}' % (row[0], row[1], row[1])
    return Response(body, status_code=201, media_type="application/json")


@get("/api/v1/contexts/{cid:str}/window")
async def window(request: Request[Any, Any, Any], cid: str, budget: int) -> Response[bytes]:
    """The window for `budget`: one statement; stored JSON passes through as raw text."""
    async with _pool(request.app).connection() as conn:
        cur = await conn.execute(WINDOW, {"tenant": TENANT, "id": cid, "budget": budget})
        rows = await cur.fetchall()
    # The tail came newest first; a window is chronological.
    entries = sorted(rows, key=lambda r: r[0])
    out = [_Entry(v, role, msgspec.Raw(content.encode()), t) for v, role, content, t in entries]
    return Response(_encode({"entries": out}), media_type="application/json")


def create_app() -> Litestar:
    """The floor over the database in FLOOR_DATABASE_URL; the pool opens in the lifespan."""
    url = os.environ[URL_ENV]

    @asynccontextmanager
    async def pool_lifespan(app: Litestar) -> AsyncIterator[None]:
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            url, min_size=2, max_size=8, kwargs={"autocommit": True}, open=False
        )
        await pool.open(wait=True)
        app.state.pool = pool
        try:
            yield
        finally:
            await pool.close()

    return Litestar(
        route_handlers=[health, append, window],
        lifespan=[pool_lifespan],
        openapi_config=None,
    )
