"""The docs cannot silently fall behind the code: every route, command and setting is named.

Routes come from the app's own OpenAPI document, commands from the CLI's argparse parser,
problem types from their catalogue and environment variables from the entrypoints' source.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from adapters.memory.keys import MemoryKeyStore
from adapters.memory.store import MemoryStore
from entrypoints.cli import _parser
from entrypoints.compose import build_engine
from entrypoints.http import problem
from entrypoints.http.app import create_app

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
METHODS = ("get", "post", "put", "patch", "delete")


def _read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _operations() -> list[str]:
    app = create_app(engine=build_engine(MemoryStore()), keys=MemoryKeyStore())
    paths = app.openapi_schema.to_schema()["paths"]
    return sorted(
        f"{method.upper()} {path}"
        for path, item in paths.items()
        for method in METHODS
        if method in item
    )


def _subcommands(
    parser: argparse.ArgumentParser, prefix: str = ""
) -> dict[str, argparse.ArgumentParser]:
    """Every command path ('serve', 'keys create', ...) and its parser, nested ones too."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                path = f"{prefix}{name}"
                found[path] = sub
                found.update(_subcommands(sub, prefix=f"{path} "))
    return found


def test_the_app_has_routes_to_document() -> None:
    # Guards the test below against passing vacuously on an empty document.
    assert "POST /api/v1/contexts/{context_id}/messages" in _operations()


@pytest.mark.parametrize("operation", _operations())
def test_every_route_is_documented_in_http_md(operation: str) -> None:
    assert f"`{operation}`" in _read("http.md"), f"docs/http.md does not document {operation}"


@pytest.mark.parametrize("slug", [k.slug for k in problem.ALL])
def test_every_problem_type_is_documented_in_http_md(slug: str) -> None:
    assert f"/api/problems/{slug}`" in _read("http.md")


def test_every_cli_command_and_option_is_documented_in_cli_md() -> None:
    text = _read("cli.md")
    commands = _subcommands(_parser())
    assert {"serve", "migrate", "status", "verify", "keys", "keys create"} <= set(commands)
    missing = [f"`{name}`" for name in commands if f"`{name}`" not in text]
    for parser in [_parser(), *commands.values()]:
        for action in parser._actions:
            missing += [o for o in action.option_strings if o.startswith("--") and o not in text]
    assert not missing, f"docs/cli.md does not mention {sorted(set(missing))}"


def test_every_environment_variable_is_documented_in_configuration_md() -> None:
    source = "\n".join(
        p.read_text(encoding="utf-8")
        for folder in ("entrypoints", "migrations", "adapters")
        for p in (ROOT / folder).rglob("*.py")
    )
    names = set(re.findall(r"\b(KATA_[A-Z0-9_]+|DATABASE_URL(?:_DIRECT)?)\b", source))
    assert "KATA_EMBEDDER" in names
    text = _read("configuration.md")
    missing = sorted(n for n in names if f"`{n}`" not in text)
    assert not missing, f"docs/configuration.md does not mention {missing}"
