"""The static embedder (64-d weights from its wheel), kept for benches that need speed."""

from __future__ import annotations

import math

import pytest

from adapters.embedders.static import STATIC_DIMENSION, StaticEmbedder


@pytest.fixture(scope="module")
def static() -> StaticEmbedder:
    return StaticEmbedder()


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_unit_vectors_of_the_declared_dimension(static: StaticEmbedder) -> None:
    vectors = static.embed(["The staging database password is Falcon-7731.", "hello"])
    assert [len(v) for v in vectors] == [STATIC_DIMENSION] * 2
    assert all(math.isclose(cosine(v, v), 1.0, rel_tol=1e-4) for v in vectors)
    assert static.embed([]) == []


def test_deterministic(static: StaticEmbedder) -> None:
    text = "which port does the billing service listen on?"
    assert static.embed([text]) == static.embed([text])


def test_a_paraphrase_is_closer_than_an_unrelated_sentence(static: StaticEmbedder) -> None:
    fact, question, other = static.embed([
        "We moved the billing service to port 8443 last week.",
        "Which port is billing running on now?",
        "My sister adopted a grey kitten on Sunday.",
    ])
    assert cosine(fact, question) > cosine(other, question) + 0.1
