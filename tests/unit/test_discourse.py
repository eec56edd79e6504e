"""Discourse scope: which subjects a text names, and how they are carried forward."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.discourse import MAX_SCOPE, named, next_scope, scope_terms
from domain.lexical import terms

NAMES = ["Zephyr", "Heliotrope", "OrderService", "db_main", "v2", "INC-4417"]
FILLER = ["the", "staging", "port", "is", "down", "it", "this", "project", "8080", "ok"]
texts = st.lists(st.sampled_from(NAMES + FILLER), max_size=8).map(" ".join)


def test_names_are_proper_nouns_and_identifiers() -> None:
    assert named("We moved Zephyr to db_main v2 after INC-4417.") == [
        "zephyr", "db_main", "v2", "inc", "4417",
    ]
    assert named("OrderService and the API crashed") == ["orderservice", "api"]


def test_ordinary_words_numbers_and_openers_name_nothing() -> None:
    assert named("the staging server for this project listens on port 8080") == []
    assert named("Sure. Thanks! Quick question: Monday works") == []


def test_a_capital_opening_a_sentence_names_only_what_is_in_scope() -> None:
    assert named("Zephyr is down.") == []
    assert named("Zephyr is down.", known=("zephyr",)) == ["zephyr"]
    assert named("Ask about Zephyr. Zephyr is down.") == ["zephyr"]


def test_a_fact_about_it_is_indexed_with_the_subject_named_before() -> None:
    scope: tuple[str, ...] = ()
    indexed = []
    for text in ["Can we talk about Zephyr?", "Sure, go ahead.", "Its staging port is 8080."]:
        indexed.append(scope_terms(scope, text))
        scope = next_scope(scope, text)
    assert indexed == [(), ("zephyr",), ("zephyr",)]


def test_a_subject_leaves_once_enough_others_were_named() -> None:
    scope = next_scope((), "about Zephyr")
    for other in ["Amara", "Lisbon", "Kestrel"][: MAX_SCOPE - 1]:
        scope = next_scope(scope, f"and {other}")
    assert "zephyr" in scope
    scope = next_scope(scope, "and Quartz")
    assert "zephyr" not in scope


@given(scope=st.lists(st.sampled_from(["a1", "b2", "c3", "d4"]), unique=True, max_size=MAX_SCOPE),
       text=texts)
def test_scope_is_bounded_and_unchanged_by_texts_that_name_nothing(
    scope: list[str], text: str
) -> None:
    after = next_scope(tuple(scope), text)
    assert len(after) <= MAX_SCOPE and len(set(after)) == len(after)
    if not named(text, known=scope):
        assert after == tuple(scope)
    else:
        assert after[0] in named(text, known=scope)


@given(scope=st.lists(st.sampled_from(["zephyr", "v2", "kestrel"]), unique=True), text=texts)
def test_scope_terms_are_the_scope_less_the_entrys_own_terms(scope: list[str], text: str) -> None:
    extra = scope_terms(scope, text)
    assert not set(extra) & set(terms(text))
    assert set(extra) <= set(scope)
    assert list(extra) == [s for s in scope if s not in terms(text)]
