"""Route handlers, one module per resource: each is a thin call into the engine.

Route modules do not postpone annotations (no `from __future__ import annotations`):
Litestar evaluates every handler's annotations when the app is built, and each postponed
one is a string it compiles and evaluates (about 100 of them, ~4 ms of a cold start).
"""
