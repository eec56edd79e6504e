"""The wheel occupies one name, kata_context, and works beside `entrypoints==0.4`.

It builds the wheel as pip does, installs it into a fresh virtualenv together with the
real entrypoints 0.4 (from the wheelhouse `make install` fills), and runs both there:
entrypoints' API, Kata's engine in process, the server layers over ASGI, the drop-ins and
the `kata-context` script. The fresh venv reaches its third-party dependencies through a
plain path entry to this venv's site-packages: a path entry is not a site dir, so its
.pth files (this checkout's editable install) are never read, and none of the card's
top-level names can leak in; the script checks that too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE = Path(sys.prefix) / "wheelhouse"

CHECK = r'''
import importlib.util, json, subprocess, sys
import entrypoints
assert entrypoints.__version__ == "0.4", entrypoints.__file__
assert entrypoints.__file__.startswith(sys.prefix), entrypoints.__file__
assert isinstance(entrypoints.get_group_all("console_scripts"), list)
for name in ("domain", "ports", "adapters", "migrations"):
    assert importlib.util.find_spec(name) is None, name

import kata_context
from kata_context import InProcessKata, memory_engine
from kata_context.shapes import from_openai_chat, to_openai_chat
assert kata_context.__file__.startswith(sys.prefix)
kata = InProcessKata(memory_engine())
cid = kata.create_context(name="pairing").id
chat = [{"role": "user", "content": "hi"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"}]
kata.append(cid, from_openai_chat(chat))
assert to_openai_chat(kata.window(cid)) == chat

import asyncio, httpx
from kata_context.adapters.memory.keys import MemoryKeyStore
from kata_context.entrypoints.http.app import create_app
from kata_context.entrypoints.keys import issue_key
from kata_context.entrypoints.settings import Settings
from kata_context.adapters.system import SystemClock
keys = MemoryKeyStore()
_, secret = issue_key(keys, tenant_id="t", clock=SystemClock())
app = create_app(engine=memory_engine(), keys=keys, settings=Settings())

async def over_http():
    async with kata_context.AsyncKataClient(
        "http://kata.test", secret, transport=httpx.ASGITransport(app=app)
    ) as client:
        made = await client.create_context(name="http")
        await client.append(made.id, from_openai_chat(chat[:1]))
        return (await client.get_context(made.id)).head_version

assert asyncio.run(over_http()) == 1
import kata_context.openai_agents, kata_context.langchain, kata_context.langgraph
print("both work")
'''


def _entrypoints_wheel() -> Path:
    found = sorted(WHEELHOUSE.glob("entrypoints-0.4-*.whl"))
    if not found:
        pytest.fail(f"no entrypoints 0.4 wheel in {WHEELHOUSE}: run `make install`")
    return found[0]


def test_the_wheel_installs_beside_entrypoints_0_4(tmp_path: Path) -> None:
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    dist = tmp_path / "dist"
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist),
                    str(ROOT)], check=True, cwd=tmp_path)
    (wheel,) = dist.glob("kata_context-*.whl")
    with zipfile.ZipFile(wheel) as z:
        tops = {n.split("/", 1)[0] for n in z.namelist()}
    assert tops == {"kata_context", f"{wheel.name.split('-py3')[0]}.dist-info"}

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([*pip, "--python", str(python), "install", "--no-index", "--no-deps",
                    str(_entrypoints_wheel()), str(wheel)], check=True, cwd=tmp_path)
    ask = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = subprocess.run([str(python), "-c", ask], check=True, capture_output=True,
                          text=True).stdout.strip()
    # Dependencies only: this venv's site-packages as a plain path entry, after the fresh one.
    Path(site, "zz_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")

    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    done = subprocess.run([str(python), "-c", CHECK], check=False, cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "both work" in done.stdout
    script = subprocess.run([str(venv / "bin" / "kata-context"), "--help"], check=False,
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert script.returncode == 0 and "serve" in script.stdout, script.stderr
