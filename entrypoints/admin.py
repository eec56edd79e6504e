"""The CLI's administration commands: API keys, context policies and retention, on the
served database."""

from __future__ import annotations

import argparse
import json
import sys
import typing
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import attrs

from entrypoints.compose import Adapters
from entrypoints.settings import Settings

# The command's stores, migrated and open for a block (cli._opened).
Opened = Callable[[argparse.Namespace], AbstractContextManager[Adapters]]


def keys_command(args: argparse.Namespace, *, opened: Opened) -> int:
    """`kata-context keys create|list|revoke`."""
    from adapters.system import SystemClock
    from entrypoints.keys import issue_key

    with opened(args) as adapters:
        keys = adapters.keys
        if args.keys_command == "create":
            key, secret = issue_key(
                keys, tenant_id=args.tenant, label=args.label, clock=SystemClock()
            )
            print(f"created key {key.id} for tenant {key.tenant_id} (shown once, keep it):")
            print(secret)
            return 0
        if args.keys_command == "list":
            for k in keys.list_keys(args.tenant):
                state = "active" if k.active else f"revoked {k.revoked_at:%Y-%m-%d %H:%M}"
                print(f"{k.id}  {k.prefix}...  tenant={k.tenant_id}  {state}  {k.label}")
            return 0
        if args.keys_command == "revoke":
            if keys.revoke_key(args.key, now=SystemClock().now()):
                print(f"revoked {args.key}")
                return 0
            print(f"no active key matches {args.key!r}", file=sys.stderr)
            return 1
    print("usage: kata-context keys {create,list,revoke}", file=sys.stderr)
    return 2


def contexts_command(args: argparse.Namespace, *, opened: Opened) -> int:
    """`kata-context contexts policy ID [--set FIELD=VALUE ...]`."""
    from domain.model import ContextChanges
    from entrypoints.compose import build_engine

    if args.contexts_command != "policy":
        print("usage: kata-context contexts policy CONTEXT_ID [--set FIELD=VALUE]", file=sys.stderr)
        return 2
    fields = dict(_policy_field(raw) for raw in args.changes)
    settings = Settings.from_env()
    with opened(args) as adapters:
        engine = build_engine(adapters.store, settings)
        if fields:
            changes = ContextChanges(policy_fields=fields)
            context = engine.update_context(args.tenant, args.context_id, changes)
        else:
            context = engine.get_context(args.tenant, args.context_id)
    print(f"policy of context {context.id} (tenant {context.tenant_id}):")
    for name, value in attrs.asdict(context.policy).items():
        print(f"  {name}={_shown(value)}")
    return 0


def retention_command(args: argparse.Namespace, *, opened: Opened) -> int:
    """`kata-context retention run`: one run of every retention step, with its counts."""
    from entrypoints.compose import build_engine

    if args.retention_command != "run":
        print("usage: kata-context retention run", file=sys.stderr)
        return 2
    with opened(args) as adapters:
        report = build_engine(adapters.store, Settings.from_env()).retention_run()
    print(f"retention run at {report.now.isoformat()}:")
    for kind, count in report.deleted.items():
        print(f"  {kind}: {count} deleted")
    return 0


def _policy_field(raw: str) -> tuple[str, Any]:
    # FIELD=VALUE, the value read as the field's type, spelled as in JSON (true, 0.7, null).
    import msgspec

    from domain.model import Policy

    name, sep, value = (part.strip() for part in raw.partition("="))
    if not sep:
        raise ValueError(f"--set takes FIELD=VALUE, got {raw!r}")
    kind = typing.get_type_hints(Policy).get(name)
    if kind is None or kind is str:
        return name, value  # an unknown field is the domain's to refuse
    try:
        if typing.get_origin(kind) is tuple:  # a list of names, as JSON: ["read_file"]
            return name, msgspec.convert(msgspec.json.decode(value), kind)
        return name, msgspec.convert(value, kind, strict=False)
    except (msgspec.ValidationError, msgspec.DecodeError) as err:
        raise ValueError(f"--set {name}: {err}, got {value!r}") from None


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
