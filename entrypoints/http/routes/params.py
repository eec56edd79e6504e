"""Parameters and error lists shared by the route modules."""

from typing import Annotated

from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, HeaderParameter, QueryParameter

from entrypoints.engine import MAX_PAGE
from entrypoints.http import problem as p
from entrypoints.http.auth import Caller

At = Annotated[
    int | None, QueryParameter(ge=0, description="Time travel: read as of this version (0..head).")
]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description=f"Page size, 1..{MAX_PAGE}.")]
After = Annotated[
    int, QueryParameter(ge=0, description="Version cursor: entries after this version.")
]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=255,
        # A structured-field string, as the IETF draft has it: printable ASCII.
        pattern=r"^[\x20-\x7e]+$",
        required=False,
        description="Retrying an append with the same key returns the first result.",
    ),
]

# Every /api/v1 route can answer these.
COMMON = (p.UNAUTHORIZED, p.VALIDATION, p.BAD_REQUEST, p.INTERNAL)
WITH_BODY = (*COMMON, p.PAYLOAD_TOO_LARGE, p.UNSUPPORTED_MEDIA_TYPE, p.INVALID_INPUT)
ON_CONTEXT = (*COMMON, p.CONTEXT_NOT_FOUND)

# Explicit markers: Litestar 3 stops inferring dependencies, path parameters and bodies.
CallerDep = NamedDependency[Caller]
ContextId = FromPath[str]
Cursor = FromQuery[str | None]
