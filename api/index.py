"""Vercel's Python entry: the ASGI app every /api/* request is routed to.

Built once per process (cold start); its database pool opens in the app's lifespan.
"""

from entrypoints.vercel import production_app

app = production_app()
