"""The local deployment: an embedded PostgreSQL under a data folder, and a kept local key."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from domain.keys import hash_key
from entrypoints.keys import issue_key
from ports.clock import Clock
from ports.keys import ApiKeyStore

DEFAULT_DATA_DIR = Path(".data")
LOCAL_TENANT = "local"
KEY_FILE = "local-key"


@contextmanager
def embedded_database(data_dir: Path) -> Iterator[str]:
    """Start the embedded server whose files live in data_dir/postgres; yield its URL."""
    from adapters.postgres.embedded import start

    server = start(data_dir / "postgres")
    try:
        yield server.url
    finally:
        server.stop()


def local_key(keys: ApiKeyStore, data_dir: Path, *, clock: Clock) -> str:
    """The local tenant's key: made on first run, then read back so it never changes.

    The plain key is kept only in data_dir/local-key (mode 0600); the store holds its hash.
    A store that lost it (memory, or a new database) is given the same key again.
    """
    path = data_dir / KEY_FILE
    secret = path.read_text(encoding="utf-8").strip() if path.exists() else ""
    if secret and keys.tenant_for(hash_key(secret)) is not None:
        return secret
    if secret and _revoked(keys, secret):
        secret = ""
    _, secret = issue_key(
        keys, tenant_id=LOCAL_TENANT, label="local", clock=clock, secret=secret or None
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secret + "\n")
    os.chmod(path, 0o600)
    return secret


def _revoked(keys: ApiKeyStore, secret: str) -> bool:
    # A revoked local key stays revoked: the next run makes a new one.
    digest = hash_key(secret)
    return any(k.key_hash == digest for k in keys.list_keys(LOCAL_TENANT))
