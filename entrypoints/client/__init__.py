"""A typed Python client for Kata Context's HTTP API, sync (`KataClient`) and async
(`AsyncKataClient`): the engine's method names and return types, the domain's errors."""

from entrypoints.client.aio import AsyncKataClient
from entrypoints.client.problems import ApiError
from entrypoints.client.sync import KataClient

__all__ = ["ApiError", "AsyncKataClient", "KataClient"]
