"""Vercel's Python entry: the ASGI app every /api/* request is routed to."""

from entrypoints.vercel import app

__all__ = ["app"]
