"""The offline engines: over memory or a PostgreSQL URL, set up as the server is."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from domain.errors import DimensionMismatch
from domain.model import Message, Role
from entrypoints.offline import memory_engine, postgres_engine

ROOT = Path(__file__).resolve().parents[2]


def test_memory_engine_takes_the_servers_embedder_settings() -> None:
    engine = memory_engine(env={"KATA_EMBEDDER": "static", "KATA_EMBEDDING_DIMENSION": "64"})
    assert engine.embedder is not None and engine.dimension == 64
    ctx = engine.create_context("t")
    engine.append("t", ctx.id, [Message(role=Role.USER, content="the deploy key is in the safe")])
    window = engine.window("t", ctx.id, budget=100, query="where is the deploy key?")
    assert [w.entry.version for w in window.entries] == [1]
    assert memory_engine().embedder is None and memory_engine(dimension=8).dimension == 8


@pytest.mark.postgres
def test_postgres_engine_migrates_and_fixes_the_dimension(postgres_server: object) -> None:
    url = postgres_server.create_database()  # type: ignore[attr-defined]
    try:
        with postgres_engine(url, dimension=4) as engine:
            ctx = engine.create_context("t")
            vec = (1.0, 0.0, 0.0, 0.0)
            engine.append("t", ctx.id, [Message(role=Role.USER, content="a", embedding=vec)])
            assert engine.search("t", vec, k=1)[0].entry.version == 1
            with pytest.raises(DimensionMismatch):
                engine.search("t", (1.0, 0.0), k=1)
        with postgres_engine(url, dimension=4) as again:  # migrating twice changes nothing
            assert again.get_context("t", ctx.id).head_version == 1
    finally:
        postgres_server.drop_database(url)  # type: ignore[attr-defined]


def test_a_memory_engine_loads_no_tokenizer_or_numpy_it_does_not_use() -> None:
    # Messages with their own token counts and no embeddings need neither the tokenizer's
    # ranks (~47 MiB for cl100k_base) nor numpy (~15 MiB); an embedding then loads numpy.
    script = textwrap.dedent(
        """
        import sys
        from domain.model import Message
        from entrypoints.offline import memory_engine
        engine = memory_engine(dimension=2)
        ctx = engine.create_context("t")
        engine.append("t", ctx.id, [Message(role="user", content="hi", token_count=3)] * 3)
        engine.window("t", ctx.id, budget=100)
        print(sorted(m for m in ("numpy", "tiktoken", "quicktok") if m in sys.modules))
        engine.append("t", ctx.id, [Message(role="user", content="v", token_count=1,
                                            embedding=(1.0, 0.0))])
        print(engine.search("t", (1.0, 0.0), k=1)[0].entry.version, "numpy" in sys.modules)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[:2] == ["[]", "4 True"]
