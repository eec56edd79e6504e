"""Bearer API keys: each request's key names its tenant, looked up by the key's hash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request

from domain.errors import Unauthorized
from domain.keys import hash_key
from ports.keys import ApiKeyStore

BEARER = "bearer "


def bearer_token(request: Request[Any, Any, Any]) -> str:
    """The token of an `Authorization: Bearer <key>` header. Raises Unauthorized."""
    header = request.headers.get("authorization", "")
    if not header[: len(BEARER)].lower() == BEARER or not header[len(BEARER) :].strip():
        raise Unauthorized("send the API key as `Authorization: Bearer <key>`")
    return header[len(BEARER) :].strip()


def tenant_provider(keys: ApiKeyStore) -> Callable[[Request[Any, Any, Any]], str]:
    """A Litestar dependency that answers the caller's tenant (runs in a worker thread)."""

    def provide_tenant(request: Request[Any, Any, Any]) -> str:
        tenant = keys.tenant_for(hash_key(bearer_token(request)))
        if tenant is None:
            raise Unauthorized("unknown or revoked API key")
        return tenant

    return provide_tenant
