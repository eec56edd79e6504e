"""Discourse scope: the subjects a conversation is about, carried from entry to entry.

A fact is often stated about "this project", "that one" or "it", a few turns after the
subject was named. Ranking each entry by its own words cannot find it, so each entry is
indexed together with the subjects in scope when it was written (Anthropic's "contextual
retrieval" does the same with a model; this is the offline rule):

- An entry *names* a subject with a proper noun or an identifier: a capitalised word
  that is not a common sentence opener, a word in capitals or CamelCase, or a word that
  mixes letters with digits or underscores (`Zephyr`, `INC`, `OrderService`, `db_main`,
  `v2`).
- The scope after an entry is what it names, newest first, followed by the subjects of
  the scope before it that it did not name again, at most MAX_SCOPE of them: a subject
  stays in scope until MAX_SCOPE others have been named after it.
- An entry is indexed with its own terms plus the subjects of the scope *before* it that
  it does not name itself (`scope_terms`).

Scopes are lower-cased terms (`domain.lexical.terms`), so they match queries as any
other term does. Summaries neither read nor change the scope.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from domain.lexical import CARRIED, STOPWORDS, terms

# How many subjects stay in scope: enough for a fact about one subject stated while a
# person and a place are named too, few enough that an old subject leaves soon.
MAX_SCOPE = 3
# How long a scope term may be: names and identifiers, not pasted blobs.
MAX_SUBJECT_CHARS = 40

# Capitalised words that open sentences and chat turns without naming anything.
_OPENER_TEXT = """also anyway btw ok okay sure yes yeah yep no nope thanks thank great cool
hey hi hello please note remember quick let lets so well oh ah alright right fine good done
today tomorrow yesterday monday tuesday wednesday thursday friday saturday sunday january
february march april may june july august september october november december"""
_OPENERS = frozenset(_OPENER_TEXT.split())


_SENTENCE_END = frozenset(".!?:;\n")
_BEFORE_SENTENCE = frozenset(" \t\"'([*#>-")
# What makes a word a candidate name: an upper-case letter (Latin, Greek, Cyrillic), a
# digit or an underscore; words run over letters, digits, `_`, `'` and `-`.
_MARK = re.compile(r"[\d_A-Z\u00c0-\u00de\u0391-\u03a9\u0410-\u042f]")
_IN_WORD = frozenset("_'-")


def _is_identifier(word: str) -> bool:
    """Letters mixed with digits or underscores: v2, INC-4417, db_main."""
    return any(c.isalpha() for c in word) and (
        any(c.isdigit() for c in word) or "_" in word
    )


def _is_name(word: str, *, opens_sentence: bool, known: Collection[str]) -> bool:
    if len(word) < 2 or len(word) > MAX_SUBJECT_CHARS:
        return False
    lower = word.lower()
    if lower in STOPWORDS or lower in _OPENERS:
        return False
    if _is_identifier(word):
        return True
    if not word[0].isupper():
        return False
    if word.isupper() or any(c.isupper() for c in word[1:]) or lower in known:
        return True  # an acronym, CamelCase, or a subject already in scope
    # Any sentence opens on a capital: there it takes another sign to be a name.
    return not opens_sentence




def named(text: str, *, known: Collection[str] = ()) -> list[str]:
    """The subjects a text names, as lower-cased terms, first named first, once each.

    A capitalised word opening a sentence is a name only when `known` (the scope it was
    written in) already holds it.
    """
    out: list[str] = []
    # Only words holding a capital, a digit or an underscore can name: one regex finds
    # those characters, so a message of plain words costs one scan.
    done = 0
    for hit in _MARK.finditer(text):
        if hit.start() < done:
            continue  # inside the word just read
        start, done = _word_around(text, hit.start())
        word = text[start:done].split("'", maxsplit=1)[0].strip("-'")
        if _is_name(word, opens_sentence=_opens_sentence(text, start), known=known):
            _add_terms(out, word)
    return out


def _word_around(text: str, at: int) -> tuple[int, int]:
    start, end = at, at + 1
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in _IN_WORD):
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] in _IN_WORD):
        end += 1
    return start, end


def _opens_sentence(text: str, start: int) -> bool:
    # Back over blanks and bullets on the same line: what stands there says.
    j = start - 1
    while j >= 0 and text[j] in _BEFORE_SENTENCE:
        j -= 1
    return j < 0 or text[j] in _SENTENCE_END


def _add_terms(out: list[str], word: str) -> None:
    identifier = _is_identifier(word)
    for term in terms(word):
        if term not in out and (identifier or not term.isdigit()):
            out.append(term)


def next_scope(scope: Sequence[str], text: str) -> tuple[str, ...]:
    """The scope after an entry with `text`, written while `scope` was in scope."""
    own = named(text, known=scope)
    # Newest first: the last subject the text names leads.
    ordered = list(reversed(own))
    ordered.extend(s for s in scope if s not in own)
    return tuple(ordered[:MAX_SCOPE])


def indexed_terms(text: str, context_terms: Sequence[str]) -> list[str]:
    """The terms an entry is indexed with: its own (`domain.lexical.terms`), then the
    subjects in scope it was drafted with (`EntryDraft.context_terms`), each marked as
    carried (`domain.lexical.CARRIED`)."""
    return [*terms(text), *(CARRIED + s for s in context_terms)]


def scope_terms(scope: Sequence[str], text: str) -> tuple[str, ...]:
    """What an entry with `text` is indexed with besides its own terms: the subjects in
    scope before it that are not among its terms (`domain.lexical.terms`)."""
    if not scope:
        return ()
    lower = text.lower()
    # A subject is a term: it is one of the text's when it stands as a whole word run.
    return tuple(s for s in scope if not re.search(rf"(?<!\w){re.escape(s)}(?!\w)", lower))
