"""Evidence recall by fact form, on a held-out split: the honest measure of windows.

Conversations come from bench/_facts.py: 1,500 to 4,000 messages each (tool calls with
their results, chatter that reuses the facts' words), with facts planted between 2 % and
90 % of the way in five forms: `named`, `discourse` (the subject named 1-6 exchanges
before, the fact saying "this project", "it"...), `paraphrase` (the question words the
qualifier differently), `tool_result` and `assistant`. Every fact is asked as the final
user message, on a fork at the head, sometimes with filler ("quick question,") or a
possessive.

Two splits, each of several seeds (one conversation per seed):
- `tuning`: the conversations anyone may look at while changing the window;
- `heldout`: never tuned on. Its subjects, people, qualifiers and their paraphrase pairs,
  fillers and fact/question/intro frames share no content word with tuning's, its chatter
  no template and no word tuning owns (checked at start: `_facts.shared_words`), and its
  seeds are others. What
  helps on held-out therefore helps on conversations it was not built for; its figure is
  the headline.

For each budget (2k, 4k, 8k, 16k tokens) and split, recall (the share of questions whose
evidence message is in the window), per form and pooled, for five rules over one store:
- `recency`: the plain window (no query);
- `bm25_then_recency`: the baseline, a plain rule computed here from the history the
  engine returns: pins, the question, then the question's top Okapi BM25 matches (k1 1.2,
  b 0.75, Lucene's English stopwords, its own index, independent of the stores' ranking)
  until half the budget is spent, then the most recent entries that fit, each tool call
  travelling with all its results;
- `query_aware`: the engine's window with the question's text as query;
- `query_aware_vector_only`: with the question's vector only (every message and the
  question embedded client-side with the local model, adapters/embedders/local.py);
- `query_aware_vector`: with its text and its vector too: the fused ranking. Its
  `fusion_margin` line is its recall less the better of the two single rankings' (text
  only, vector only), which must never be negative.
Every window is checked (within budget, pins first then chronological, no tool result
without its call, no call without all its results); each rule's invalid count is printed
and must be 0.

Lines: `eval_forms.<split>.<rule>.<form|pooled>`, n the budget, value the recall; the
engine's rules name `eval_forms.<split>.bm25_then_recency.<same>` as their baseline,
bm25_then_recency names recency. The store is memory; with KATA_EVAL_FORMS_POSTGRES=1
(and always at smoke size) the held-out split runs again on PostgreSQL
(`eval_forms.postgres.heldout...`; some minutes more at full size, most of them
appending and embedding). Progress and a table per split go to stderr.
A full run on memory takes about 100 s on 2 cores; at smoke size, a few seconds.
"""

from __future__ import annotations

import copy
import math
import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Sequence

import attrs

from adapters.embedders.local import LOCAL_DIMENSION, LocalEmbedder
from adapters.memory.store import MemoryStore
from adapters.summaries import ExtractiveSummarizer
from adapters.system import SystemClock, UuidIds
from adapters.tokens import OfflineTokenCounter
from bench import _facts
from bench._common import emit, log, sized, smoke
from domain.model import Entry, Message, Role
from domain.tokens import message_text
from domain.window import Reason, Window
from entrypoints.engine import Engine
from entrypoints.engine import Store as ContextStore

# One conversation per seed; the held-out seeds are not the tuning ones.
SEEDS = {
    "tuning": tuple(71_000 + i for i in range(sized(8, 1))),
    "heldout": tuple(93_000 + i for i in range(sized(8, 1))),
}
# Sizes spread evenly over the range, one per seed (largest first).
SIZE_RANGE = sized((1500, 4000), (150, 150))
FACTS = sized(40, 5)  # per conversation: 8 of each form
BUDGETS = (2000, 4000, 8000, 16000)
RULES = ("recency", "bm25_then_recency", "query_aware", "query_aware_vector_only",
         "query_aware_vector")
# The engine's rules; the fused one's line also names the better of its two single
# rankings (text only, vector only) as a second yardstick: fusion must never lose to it.
ENGINE_RULES = ("query_aware", "query_aware_vector_only", "query_aware_vector")
TENANT = "bench-forms"
POSTGRES_ENV = "KATA_EVAL_FORMS_POSTGRES"

# Lucene's English stop set (EnglishAnalyzer.ENGLISH_STOP_WORDS_SET), frozen here so that
# the baseline never moves when the engine's own word rules change.
_LUCENE_STOP_TEXT = """a an and are as at be but by for if in into is it no not of on or
such that the their then there these they this to was will with"""
_LUCENE_STOP = frozenset(_LUCENE_STOP_TEXT.split())
_WORD = re.compile(r"\w+")
_K1, _B = 1.2, 0.75


def engine_over(store: ContextStore) -> Engine:
    """The engine as a deployment wires it, over `store`, for the local model's vectors."""
    tokens = OfflineTokenCounter()
    return Engine(store=store, tokens=tokens, summarizer=ExtractiveSummarizer(tokens),
                  clock=SystemClock(), ids=UuidIds(), dimension=LOCAL_DIMENSION)


def conversation_sizes(count: int) -> list[int]:
    """`count` sizes spread evenly over SIZE_RANGE."""
    low, high = SIZE_RANGE
    if count == 1:
        return [high]
    return [round(high - (high - low) * i / (count - 1)) for i in range(count)]


@attrs.frozen(kw_only=True)
class Asked:
    """One question's outcome: evidence kept per (rule, budget), and invalid windows."""

    form: str
    kept: dict[tuple[str, int], bool]
    invalid: dict[str, int]
    bm25_rank: int | None  # the evidence's rank in the baseline's BM25 ranking


class History:
    """A conversation's stored entries and their tool groups."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = tuple(entries)
        self.by_version = {e.version: e for e in entries}
        call_at = {c.id: e.version for e in entries for c in e.tool_calls}
        self.call_of: dict[int, int] = {}
        self.results_of: dict[int, list[int]] = defaultdict(list)
        for e in entries:
            if e.role is Role.TOOL and e.tool_call_id in call_at:
                call = call_at[e.tool_call_id]
                self.call_of[e.version] = call
                self.results_of[call].append(e.version)

    def with_question(self, question: Entry) -> History:
        """This history and the question after it (a user message: no tool group)."""
        out = copy.copy(self)
        out.entries = (*self.entries, question)
        out.by_version = {**self.by_version, question.version: question}
        return out

    def group(self, version: int) -> list[int]:
        """The versions that must travel with `version`: a call and all its results."""
        call = self.call_of.get(version, version)
        if call in self.results_of:
            return [call, *self.results_of[call]]
        return [version]

    def problem(self, versions: Sequence[int], budget: int) -> str | None:
        """Why a window of these versions is not valid for a model, or None."""
        sent = set(versions)
        if sum(self.tokens(v) for v in versions) > budget:
            return "over budget"
        for v in versions:
            call = self.call_of.get(v)
            if call is not None and call not in sent:
                return f"tool result v{v} without its call"
            if any(r not in sent for r in self.results_of.get(v, ())):
                return f"call v{v} split from its results"
        return None

    def tokens(self, version: int) -> int:
        """An entry's token count."""
        return self.by_version[version].token_count


class Bm25:
    """Okapi BM25 over the history's eligible entries (not pins): the baseline's ranking."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.length: dict[int, int] = {}
        for e in entries:
            if e.is_pin:
                continue
            words = _WORD.findall(message_text(e).lower())
            self.length[e.version] = len(words)
            for term, tf in Counter(words).items():
                self.postings[term].append((e.version, tf))
        self.avgdl = (sum(self.length.values()) / len(self.length)) if self.length else 1.0

    def rank(self, question: str) -> list[int]:
        """Versions matching the question's terms (less stopwords), best first, ties to
        the newer."""
        n = len(self.length)
        scores: dict[int, float] = defaultdict(float)
        for term in set(_WORD.findall(question.lower())) - _LUCENE_STOP:
            postings = self.postings.get(term, ())
            idf = math.log(1 + (n - len(postings) + 0.5) / (len(postings) + 0.5))
            for version, tf in postings:
                norm = _K1 * (1 - _B + _B * self.length[version] / self.avgdl)
                scores[version] += idf * tf * (_K1 + 1) / (tf + norm)
        return sorted(scores, key=lambda v: (-scores[v], -v))


def bm25_then_recency(history: History, ranked: Sequence[int], question: Entry,
                      budget: int) -> list[int]:
    """The baseline window: pins, the question, BM25 matches for half the budget, then
    the most recent entries that fit; tool groups whole. Versions, chronological."""
    pins = [e.version for e in history.entries if e.is_pin]
    sent = set(pins)
    used = sum(history.tokens(v) for v in pins)
    if used + question.token_count > budget:
        return sorted(sent)
    sent.add(question.version)
    used += question.token_count
    room = min(budget // 2, budget - used)
    for v in ranked:
        new = [g for g in history.group(v) if g not in sent]
        cost = sum(history.tokens(g) for g in new)
        if new and cost <= room:
            sent.update(new)
            room -= cost
            used += cost
        if room <= 0:
            break
    for e in reversed(history.entries):
        if e.version in sent or e.is_pin:
            continue
        new = [g for g in history.group(e.version) if g not in sent]
        cost = sum(history.tokens(g) for g in new)
        if used + cost > budget:
            break
        sent.update(new)
        used += cost
    return sorted(sent)


def engine_problem(window: Window, history: History) -> str | None:
    """Why an engine window is invalid (order, then what `History.problem` checks)."""
    if window.tokens > window.available:
        return "over budget"
    pins = [w for w in window.entries if w.reason is Reason.PINNED]
    rest = [w.entry.version for w in window.entries if w.reason is not Reason.PINNED]
    if window.entries[: len(pins)] != tuple(pins) or rest != sorted(rest):
        return "not chronological"
    return history.problem([w.entry.version for w in window.entries], window.available)


def with_vectors(messages: Sequence[Message], embedder: LocalEmbedder) -> list[Message]:
    """The messages with client-side vectors of their text."""
    vectors = embedder.embed([message_text(m) for m in messages])
    return [attrs.evolve(m, embedding=tuple(v)) for m, v in zip(messages, vectors, strict=True)]


def ask_all(engine: Engine, conv: _facts.Conversation, embedder: LocalEmbedder,
            label: str) -> list[Asked]:
    """Store one conversation, ask each of its facts on a fork at the head."""
    ctx = engine.create_context(TENANT)
    messages = with_vectors(conv.messages, embedder)
    for start in range(0, len(messages), 1000):
        engine.append(TENANT, ctx.id, messages[start : start + 1000])
    head = len(messages)
    # Entry versions are message indexes + 1 (version 1 is the system prompt).
    stored = History(engine.state_at(TENANT, ctx.id, head))
    bm25 = Bm25(stored.entries)
    out = []
    for fact in conv.facts:
        evidence = fact.evidence + 1
        fork = engine.fork(TENANT, ctx.id)
        question = with_vectors([Message(role=Role.USER, content=fact.question)], embedder)[0]
        appended = engine.append(TENANT, fork.id, [question])
        entry = Entry(version=appended.last_version, role=Role.USER, content=fact.question,
                      token_count=appended.token_count, created_at=ctx.created_at)
        history = stored.with_question(entry)
        ranked = bm25.rank(fact.question)
        kept: dict[tuple[str, int], bool] = {}
        invalid = dict.fromkeys(RULES, 0)
        for budget in BUDGETS:
            asks = {
                "recency": {},
                "query_aware": {"query": fact.question},
                "query_aware_vector_only": {"query_embedding": question.embedding},
                "query_aware_vector": {"query": fact.question,
                                       "query_embedding": question.embedding},
            }
            for rule, ask in asks.items():
                window = engine.window(TENANT, fork.id, budget=budget, **ask)  # type: ignore[arg-type]
                why = engine_problem(window, history)
                versions = [w.entry.version for w in window.entries]
                kept[rule, budget] = evidence in versions
                if why is not None:
                    invalid[rule] += 1
                    log(f"eval_forms: {label} invalid {rule} window at {budget}: {why}")
            versions = bm25_then_recency(stored, ranked, entry, budget)
            why = history.problem(versions, budget)
            kept["bm25_then_recency", budget] = evidence in versions
            if why is not None:
                invalid["bm25_then_recency"] += 1
                log(f"eval_forms: {label} invalid bm25_then_recency window at {budget}: {why}")
        rank = ranked.index(evidence) + 1 if evidence in ranked else None
        out.append(Asked(form=fact.form, kept=kept, invalid=invalid, bm25_rank=rank))
    return out


def evaluate(engine: Engine, embedder: LocalEmbedder, split: str, prefix: str) -> None:
    """Every question of every seed of one split on one engine; its lines and table."""
    vocabulary = _facts.SPLITS[split]
    seeds = SEEDS[split]
    asked: list[Asked] = []
    t0 = time.perf_counter()
    for seed, size in zip(seeds, conversation_sizes(len(seeds)), strict=True):
        conv = _facts.conversation(vocabulary, seed, size=size, facts=FACTS)
        asked.extend(ask_all(engine, conv, embedder, f"{prefix}{split} seed {seed}"))
        log(f"eval_forms: {prefix}{split} seed {seed}: {len(conv.messages)} messages, "
            f"{len(conv.facts)} questions ({time.perf_counter() - t0:.1f}s)")
    name = f"eval_forms.{prefix}{split}"
    groups = {form: [a for a in asked if a.form == form] for form in _facts.FORMS}
    groups["pooled"] = asked
    table: dict[tuple[str, str, int], float] = {}
    for group, members in groups.items():
        for budget in BUDGETS:
            recall = {r: sum(a.kept[r, budget] for a in members) / len(members) for r in RULES}
            table.update(((r, group, budget), recall[r]) for r in RULES)
            emit(f"{name}.recency.{group}", budget, recall["recency"], "recall")
            emit(f"{name}.bm25_then_recency.{group}", budget, recall["bm25_then_recency"],
                 "recall", baseline=f"{name}.recency.{group}",
                 baseline_value=recall["recency"])
            for rule in ENGINE_RULES:
                emit(f"{name}.{rule}.{group}", budget, recall[rule], "recall",
                     baseline=f"{name}.bm25_then_recency.{group}",
                     baseline_value=recall["bm25_then_recency"])
            single = max(recall["query_aware"], recall["query_aware_vector_only"])
            emit(f"{name}.fusion_margin.{group}", budget,
                 round(recall["query_aware_vector"] - single, 6), "recall")
    windows = len(asked) * len(BUDGETS)
    for rule in RULES:
        emit(f"{name}.{rule}.invalid_windows", windows,
             sum(a.invalid[rule] for a in asked), "windows")
    _log_table(name, groups, table)


def _log_table(name: str, groups: dict[str, list[Asked]],
               table: dict[tuple[str, str, int], float]) -> None:
    """Recall per rule, form and budget, and where BM25 ranks the evidence, on stderr."""
    short = {"recency": "rec", "bm25_then_recency": "bm25", "query_aware": "qa",
             "query_aware_vector_only": "v", "query_aware_vector": "qa+v"}
    log(f"{name}: recall per form (questions), rules {'/'.join(short.values())}")
    log(f"  {'form':<12} {'n':>4} " + " ".join(f"{b // 1000:>2}k:{'':<18}" for b in BUDGETS))
    for group, members in groups.items():
        cells = " ".join(
            "/".join(f"{table[r, group, b]:.2f}" for r in RULES) + " " for b in BUDGETS)
        ranks = sorted(a.bm25_rank for a in members if a.bm25_rank is not None)
        median = ranks[len(ranks) // 2] if ranks else None
        log(f"  {group:<12} {len(members):>4} {cells} bm25 rank median {median}, "
            f"unmatched {sum(a.bm25_rank is None for a in members)}")


def main() -> None:
    """Both splits on the memory store; held-out on PostgreSQL too when asked."""
    shared = _facts.shared_words(_facts.TUNING, _facts.HELDOUT)
    leaks = [*_facts.paraphrase_leaks(_facts.TUNING), *_facts.paraphrase_leaks(_facts.HELDOUT)]
    if shared or leaks:
        raise RuntimeError(f"eval_forms: splits not disjoint: {sorted(shared)} {leaks}")
    embedder = LocalEmbedder()
    for split in SEEDS:
        evaluate(engine_over(MemoryStore()), embedder, split, "")
    # The held-out split again on PostgreSQL doubles the appends: the full run leaves it to
    # those who ask; a smoke run always takes that path too.
    if smoke() or os.environ.get(POSTGRES_ENV) == "1":
        from bench._postgres import fresh_database, open_store

        with fresh_database(LOCAL_DIMENSION) as url, open_store(url) as store:
            evaluate(engine_over(store), embedder, "heldout", "postgres.")
