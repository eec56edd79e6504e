"""The build backend: setuptools, with wheels that hold one import package, kata_context.

The design card keeps the layers (domain, ports, adapters, entrypoints, migrations)
top-level in the repository, and an editable install (`make install`) keeps them so.
A wheel instead nests them in `kata_context` and rewrites their absolute imports
(`from domain.model import ...` becomes `from kata_context.domain.model import ...`),
so installing Kata next to anything else occupies one name: `entrypoints`, `adapters`
and the rest are other projects' names on PyPI.

Every other hook is setuptools' own.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403  (the hooks not redefined here)

PACKAGE = "kata_context"
LAYERS = ("domain", "ports", "adapters", "entrypoints", "migrations")
_COPY = ("pyproject.toml", "README.md", PACKAGE, *LAYERS)
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def rewrite_imports(source: str, *, where: str = "<source>") -> str:
    """`source` with each absolute import of a layer moved under kata_context."""
    tree = ast.parse(source, filename=where)
    lines = source.splitlines(keepends=True)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in LAYERS:
                    raise ValueError(f"{where}:{node.lineno}: use `from {alias.name} import`")
        if (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and node.module
            and node.module.split(".")[0] in LAYERS
        ):
            i = node.lineno - 1
            head, tail = lines[i][: node.col_offset], lines[i][node.col_offset :]
            new, n = re.subn(r"^from\s+", f"from {PACKAGE}.", tail, count=1)
            if not n:
                raise ValueError(f"{where}:{node.lineno}: cannot rewrite this import")
            lines[i] = head + new
    return "".join(lines)


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def nest_layers(wheel: Path) -> None:
    """Rewrite a setuptools wheel in place: layers under kata_context, imports rewritten,
    top_level.txt and RECORD made to match."""
    with zipfile.ZipFile(wheel) as src:
        files = {i.filename: src.read(i) for i in src.infolist() if not i.is_dir()}
    out: dict[str, bytes] = {}
    record = ""
    for original, content in files.items():
        if original.endswith(".dist-info/RECORD"):
            record = original
            continue
        name = original
        if name.split("/", 1)[0] in LAYERS:
            name = f"{PACKAGE}/{name}"
        data = content
        if name.startswith(f"{PACKAGE}/") and name.endswith(".py"):
            data = rewrite_imports(content.decode("utf-8"), where=name).encode("utf-8")
        if name.endswith(".dist-info/top_level.txt"):
            data = f"{PACKAGE}\n".encode()
        out[name] = data
    lines = [_record_line(n, d) for n, d in out.items()] + [f"{record},,"]
    out[record] = ("\n".join(lines) + "\n").encode()
    tmp = wheel.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in out.items():
            dst.writestr(name, data)
    tmp.replace(wheel)


def build_wheel(
    wheel_directory: str,
    config_settings: dict[str, object] | None = None,
    metadata_directory: str | None = None,
) -> str:
    """setuptools' wheel, built from a copy of the sources (the working tree gets no
    build/ or egg-info), then nested under kata_context."""
    root = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="kata-wheel-") as tmp:
        copy = Path(tmp) / "src"
        copy.mkdir()
        for name in _COPY:
            path = root / name
            if path.is_dir():
                shutil.copytree(path, copy / name, ignore=_IGNORE)
            elif path.exists():
                shutil.copy2(path, copy / name)
        here = os.getcwd()
        os.chdir(copy)
        try:
            name = _setuptools.build_wheel(str(Path(tmp) / "dist"), config_settings, None)
        finally:
            os.chdir(here)
        built = Path(tmp) / "dist" / name
        nest_layers(built)
        shutil.copy2(built, Path(wheel_directory) / name)
    return name
