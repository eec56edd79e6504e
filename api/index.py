"""Vercel's Python entry: the ASGI app every /api/* request is routed to.

Built once per process (cold start); its database pool opens in the app's lifespan.
"""

import sys
from pathlib import Path

# The project's packages (domain, ports, adapters, entrypoints, migrations) sit beside
# api/; make them importable whatever directory the runtime starts in.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from entrypoints.deferred import defer_unused_imports  # noqa: E402

defer_unused_imports()  # before Litestar imports them: PyYAML, pdb

from entrypoints.vercel import production_app  # noqa: E402

app = production_app()
