"""The lexical rule: how text becomes terms, and BM25 as domain.lexical defines it."""

from __future__ import annotations

import math

import pytest

from domain import lexical
from domain.lexical import (
    CARRIED,
    MAX_TERM_CHARS,
    MAX_TERM_FREQUENCY,
    average_length,
    best_first,
    idf,
    query_terms,
    term_frequencies,
    term_score,
    terms,
)
from domain.relevance import lexical_query


def test_terms_are_lowercased_word_runs() -> None:
    assert terms("Hello, WORLD! it's 42_x") == ["hello", "world", "it", "s", "42_x"]


def test_terms_keep_letters_of_every_script_and_split_on_the_rest() -> None:
    assert terms("Café-NAÏVE ĳssel straße: Ωμέγα/東京 x-1.5") == [
        "café", "naïve", "ĳssel", "straße", "ωμέγα", "東京", "x", "1", "5",
    ]  # fmt: skip


def test_a_long_run_is_cut_so_a_query_for_it_still_finds_it() -> None:
    blob = "A" * (MAX_TERM_CHARS + 40)
    assert terms(f"x {blob} y") == ["x", "a" * MAX_TERM_CHARS, "y"]
    assert query_terms(blob) == [CARRIED + "a" * MAX_TERM_CHARS, "a" * MAX_TERM_CHARS]
    # Any character is at most 4 bytes in UTF-8: a cut term fits a tsvector lexeme.
    assert len(terms("\U0001d538" * 1000)[0].encode()) == 4 * MAX_TERM_CHARS <= 2047


def test_term_frequency_stops_at_the_cap_but_the_length_counts_every_word() -> None:
    words = terms("spam " * (MAX_TERM_FREQUENCY + 10) + "eggs")
    assert term_frequencies(words) == {"spam": MAX_TERM_FREQUENCY, "eggs": 1}
    assert len(words) == MAX_TERM_FREQUENCY + 11


def test_query_terms_are_distinct_in_code_point_order() -> None:
    own = ["alpha", "beta", "zeta", "éclair"]
    got = query_terms("zeta Alpha alpha éclair beta zeta")
    assert got == sorted(own + [CARRIED + t for t in own])
    assert got[:4] == [CARRIED + t for t in own]  # the mark sorts before every word
    assert query_terms("  ...  ") == []


def test_stopwords_leave_the_query_and_the_index_but_not_the_length() -> None:
    assert lexical_query("What is the Kestrel port?") == "kestrel port"
    assert query_terms("the s Kestrel 7") == ["7", "@7", "@kestrel", "kestrel"]
    words = terms("the Kestrel's port, by the way")
    assert "the" in words and len(words) == 7  # dl counts every word
    assert lexical.postings(words) == {"kestrel": 1, "port": 1}
    assert {"the", "is", "what"} <= lexical.STOPWORDS
    assert not lexical.searchable("@the") and lexical.searchable("@kestrel")


def test_average_length_is_the_mean_and_never_zero() -> None:
    assert average_length(terms_total=9, n=4) == 2.25
    assert average_length(terms_total=0, n=3) == 1.0
    assert average_length(terms_total=0, n=0) == 1.0


def test_bm25_by_hand() -> None:
    # Corpus: "apple pie" (dl 2), "apple apple tart" (dl 3), "plum" (dl 1).
    n, avgdl, df = 3, 2.0, 2
    weight = math.log((3 - 2 + 0.5) / (2 + 0.5) + 1)
    assert idf(n=n, df=df) == pytest.approx(weight)
    k1, b = lexical.K1, lexical.B
    for tf, dl in ((1, 2), (2, 3)):
        want = weight * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))
        assert term_score(idf=weight, tf=tf, dl=dl, avgdl=avgdl) == pytest.approx(want)
    assert term_score(idf=weight, tf=2, dl=3, avgdl=avgdl) > term_score(
        idf=weight, tf=1, dl=2, avgdl=avgdl
    )


def test_a_rarer_term_weighs_more_and_idf_stays_positive() -> None:
    assert idf(n=100, df=1) > idf(n=100, df=10) > idf(n=100, df=100) > 0


def test_a_longer_entry_scores_less_for_the_same_tf() -> None:
    weight = idf(n=10, df=2)
    short = term_score(idf=weight, tf=1, dl=2, avgdl=5.0)
    long = term_score(idf=weight, tf=1, dl=20, avgdl=5.0)
    assert short > long


def test_best_first_breaks_ties_to_the_newer_version() -> None:
    assert best_first({1: 0.5, 2: 0.9, 3: 0.5, 4: 0.1}, 3) == [(2, 0.9), (3, 0.5), (1, 0.5)]
    assert best_first({}, 3) == []


def test_a_query_keeps_what_tells_entries_apart() -> None:
    from domain.relevance import lexical_query

    assert lexical_query("Quick question: what's Zephyr's port, by the way?") == "zephyr port"
    assert lexical_query("Remind me, is it ticket 7?") == "ticket 7"
    assert lexical_query("ok thanks!") is None
