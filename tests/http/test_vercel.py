"""The Vercel entry: built from the environment, no network at import, pool opened in lifespan."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.postgres.keys import PostgresKeyStore
from adapters.system import SystemClock
from entrypoints.keys import issue_key
from entrypoints.vercel import production_app

ROOT = Path(__file__).resolve().parents[2]


def test_building_the_app_touches_no_database() -> None:
    # Port 1 on loopback refuses connections: building must not try.
    app = production_app({"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    paths = {route.path for route in app.routes}
    assert {"/api/health", "/api/v1/contexts/{context_id:str}/window"} <= paths


def test_a_missing_database_url_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        production_app({})


def test_api_index_exposes_an_asgi_app_without_connecting() -> None:
    code = "import api.index as m; assert callable(m.app); print(type(m.app).__name__)"
    env = {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "_Litestar"  # Litestar without its pydantic plugins


def test_api_index_imports_none_of_what_a_cold_start_defers() -> None:
    # The PostgreSQL adapters (and psycopg) are made when the lifespan opens the pool;
    # pydantic, numpy, tokenizers and embedders are never needed to build the app.
    deferred = (
        "psycopg", "psycopg_pool", "pgvector", "pydantic", "numpy", "tiktoken", "quicktok",
        "onnxruntime", "adapters.postgres.store", "adapters.postgres.keys",
        "adapters.embedders.local", "adapters.embedders.static",
        # PyYAML and pdb are stand-ins until used (entrypoints.deferred): no yaml.reader, bdb.
        "yaml.reader", "bdb",
        # Imported where first used (an idempotent append, a JSON log line, a summarizer's
        # extra body; psycopg brings it with the pool).
        "json",
    )  # fmt: skip
    code = (
        "import sys, api.index\n"
        f"print(','.join(m for m in {deferred!r} if m in sys.modules))"
    )
    out = _cold_start(code)
    assert out.stdout.strip() == ""


def _cold_start(code: str) -> subprocess.CompletedProcess[str]:
    """`code` run in a fresh interpreter as the Vercel entry would start, its database
    unreachable; it must succeed."""
    env = {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], check=False, cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return out


def test_what_a_cold_start_defers_still_works_when_used() -> None:
    code = (
        "import sys, api.index, yaml, pdb\n"
        "assert 'yaml.reader' not in sys.modules and 'bdb' not in sys.modules\n"
        "from yaml import safe_load\n"
        "print(safe_load('a: [1, 2]'), yaml.dump({'b': 3}).strip(), 'yaml.reader' in sys.modules,"
        " callable(pdb.post_mortem), 'bdb' in sys.modules)"
    )
    out = _cold_start(code)
    assert out.stdout.strip() == "{'a': [1, 2]} b: 3 True True True"


def test_defer_import_leaves_missing_and_imported_modules_alone() -> None:
    import json

    from entrypoints.deferred import defer_import

    defer_import("kata_no_such_module")
    assert "kata_no_such_module" not in sys.modules
    defer_import("json")
    assert sys.modules["json"] is json


def test_the_deferred_stores_are_made_once_on_first_use() -> None:
    from entrypoints.deferred import Deferred, Later

    made: list[object] = []

    class Thing:
        size = 3

        def ping(self) -> str:
            return "pong"

    def make() -> Thing:
        made.append(Thing())
        return made[-1]  # type: ignore[return-value]

    stand_in: Any = Deferred(Later(make))
    assert made == [] and "not made yet" in repr(stand_in)
    assert stand_in.ping() == "pong" and stand_in.size == 3
    assert stand_in.ping() == "pong"
    assert len(made) == 1
    # The bound method is kept on the stand-in: later calls skip the lookup.
    assert stand_in.__dict__["ping"].__self__ is made[0]
    with pytest.raises(AttributeError):
        stand_in.missing  # noqa: B018


@pytest.mark.postgres
def test_the_app_serves_from_the_database_once_its_lifespan_opened_the_pool(
    postgres_url: str, postgres_keys: PostgresKeyStore
) -> None:
    _, secret = issue_key(postgres_keys, tenant_id="vercel-tenant", clock=SystemClock())
    app = production_app({"DATABASE_URL": postgres_url, "KATA_MIGRATE_ON_START": "1"})
    headers = {"Authorization": f"Bearer {secret}"}
    with TestClient(app) as client:
        made = client.post("/api/v1/contexts", json={"name": "v"}, headers=headers)
        assert made.status_code == 201
        cid = made.json()["id"]
        r = client.post(
            f"/api/v1/contexts/{cid}/messages",
            json={"messages": [{"role": "user", "content": "hi"}]},
            headers=headers,
        )
        assert r.json()["head_version"] == 1


def test_requirements_txt_matches_the_runtime_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    listed = [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]
    assert listed == project["dependencies"]
    assert not any("pgserver" in d for d in listed)


def test_vercel_json_routes_the_api_to_the_entry() -> None:
    import json

    config = json.loads((ROOT / "vercel.json").read_text())
    assert {"source": "/api/(.*)", "destination": "/api/index"} in config["rewrites"]
    assert (ROOT / "api" / "index.py").exists()
