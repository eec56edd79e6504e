"""Lexical relevance: the one word rule and the one BM25 formula both stores compute.

A ranking's corpus is a context's eligible active entries: messages that are not pins
(neither pinned nor from the system) at versions after compacted_through. Over it:

- n is their count;
- dl is an entry's term count: every word of its text (`message_text`), repeats included;
- avgdl is the mean dl over them (1.0 when they hold no term at all, so never 0);
- tf is how often a term occurs in the entry, at most MAX_TERM_FREQUENCY;
- df is how many of them hold the term.

An entry's score is the sum of `term_score` over the query's distinct terms that it holds
among the term's POSTINGS_PER_TERM newest holders in the corpus, added in code point order
of the terms (`query_terms`), so that every store adds the same floats in the same order;
entries that score for no term are left out. The cut bounds a ranking's work by the query,
never by the history: a term held by at most POSTINGS_PER_TERM entries (every name, code
and rare word a question is about) counts everywhere, exactly; a commoner one still weighs
through its idf (its df is the whole corpus's) but only as evidence for the newest of its
holders, as recency would rank them. Both stores keep each term's holders in version order
with their running count, so df and the newest holders are index reads, not scans. The ranking is by
score, higher first, ties to the newer version (`best_first`). Only `searchable` terms are
asked for and indexed: stopwords, conversational filler and one-letter words are in no
query, so no store keeps their holders (an entry's dl still counts every word).
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from operator import itemgetter

# Robertson's usual constants: k1 saturates the term frequency, b normalises by length.
K1 = 1.2
B = 0.75

# A term is cut to this many characters: 4 bytes each at most in UTF-8, it stays within a
# PostgreSQL tsvector lexeme (2047 bytes). Longer runs are blobs (hashes, base64), which
# their first 500 characters still find.
MAX_TERM_CHARS = 500
# A PostgreSQL tsvector keeps at most 256 positions per lexeme and the Postgres store reads
# tf as their count, so both stores count a term at most this often in one entry.
MAX_TERM_FREQUENCY = 256

# How many of a term's holders, newest first, a term scores for (see the module's doc).
# On bench/eval_forms.py's tuning split (1.5k-4k entries), pooled recall at 2k/4k tokens:
# text only 0.73/0.79 at 512 against 0.75/0.80 uncut (1024 is as uncut), text+vector the
# same at 512 as uncut; 256 lost 0.04 and 128 0.07 with vectors. Work grows with it.
POSTINGS_PER_TERM = 512

# Function words a query shares with most entries. Ranked lexically, they add noise (a
# ranker with weak or no idf puts "the ... the ... on" above the entry that names the
# thing asked about) and cost (each matches most of the history).
_STOPWORD_TEXT = """a about above after again all am an and any are as at be been before being below
between both but by can could did do does doing down during each few for from further
had has have having he her here hers him his how i if in into is it its itself just me
more most my no nor not now of off on once only or other our ours out over own please
same she should so some such than that the their theirs them then there these they this
those through to too under until up us very was we were what when where which while who
whom why will with would you your yours"""
# Conversational filler a question carries ("quick question", "by the way", "remind me"):
# general English chat words, not taken from any evaluation's questions.
_FILLER_TEXT = """actually also anyway btw curious curiosity got hey hi hello just kind know
let like mind ok okay please question quick quickly real really remind remember sorry sort
tell thanks thank way wondering wonder"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
QUERY_FILLER = frozenset(_FILLER_TEXT.split())

# A run of word characters; only its first MAX_TERM_CHARS are kept (the group).
_WORD = re.compile(rf"(\w{{1,{MAX_TERM_CHARS}}})\w*")


def terms(text: str) -> list[str]:
    """The text's terms, in order: runs of word characters (Unicode letters, digits and
    underscore, as Python's `\\w`) of the lower-cased text, each cut to MAX_TERM_CHARS."""
    return _WORD.findall(text.lower())


def term_frequencies(words: Sequence[str]) -> dict[str, int]:
    """How often each term occurs among `words`, at most MAX_TERM_FREQUENCY."""
    counts = Counter(words)
    if len(words) > MAX_TERM_FREQUENCY:  # else no term can reach the cap
        for term, tf in counts.items():
            if tf > MAX_TERM_FREQUENCY:
                counts[term] = MAX_TERM_FREQUENCY
    return counts


# A subject an entry is indexed with because it was in scope (domain.discourse), not
# because the entry names it, is the term behind this mark: a term of its own, with its
# own document frequency, so a subject carried by many entries weighs less than one named.
# No term holds it (terms are runs of word characters).
CARRIED = "@"


def searchable(term: str) -> bool:
    """Whether a query may ask for the term (bare, or carried): a word that can tell
    entries apart. Stopwords, conversational filler and one-letter terms (a possessive's
    "s") cannot, so no query holds them and no index keeps their holders."""
    bare = term[1:] if term.startswith(CARRIED) else term
    return (
        (len(bare) > 1 or bare.isdigit()) and bare not in STOPWORDS and bare not in QUERY_FILLER
    )


def query_terms(text: str) -> list[str]:
    """The query's distinct searchable terms, each also as a carried subject (CARRIED +
    term), in code point order: the order scores are added in."""
    own = {t for t in terms(text) if searchable(t)}
    return sorted(own | {CARRIED + t for t in own})


def postings(words: Sequence[str]) -> dict[str, int]:
    """The entry's searchable terms with their frequencies: what an index keeps of it."""
    return {t: tf for t, tf in term_frequencies(words).items() if searchable(t)}


def average_length(*, terms_total: int, n: int) -> float:
    """avgdl: the corpus's mean term count, 1.0 when it holds no term."""
    return terms_total / n if terms_total > 0 else 1.0


def idf(*, n: int, df: int) -> float:
    """Inverse document frequency of a term held by df of the corpus's n entries."""
    return math.log((n - df + 0.5) / (df + 0.5) + 1)


def term_score(*, idf: float, tf: int, dl: int, avgdl: float) -> float:
    """One term's share of an entry's score; the Postgres store writes this in SQL, with
    the same operations in the same order, so both stores get the same floats."""
    norm = tf + K1 * (1 - B + B * dl / avgdl)
    return idf * tf * (K1 + 1) / norm


def best_first(scores: Mapping[int, float], k: int) -> list[tuple[int, float]]:
    """The k best (version, score), higher score first, ties to the newer version."""
    # (score, version) largest first is exactly that order (versions are distinct keys);
    # a k-heap with a C key costs a third of sorting every match with a Python key.
    return heapq.nlargest(k, scores.items(), key=_SCORE_THEN_VERSION)


_SCORE_THEN_VERSION = itemgetter(1, 0)
