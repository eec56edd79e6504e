"""Evidence recall of the window: recency only (the baseline) against query-aware.

For 40 conversations of 1,500 messages (about 44k tokens each; bench/_conversations.py,
fixed seed, six projects per conversation), four questions each are asked as the final
user message (on a fork at the head). For budgets of 2k, 4k, 8k and 16k tokens a window is
taken without and with the question as query; recall is the share of questions whose
evidence (the message stating the fact) is in the window. Two ablations say what each
ranking brings alone: the question's text only (lexical) and its vector only (semantic).
Every window is also checked: within budget, pins first then chronological, no tool
result without its call, no call without its results. The count of invalid windows must
be 0.

Vectors are client-supplied, as in the default deployment: the bench computes them with
the offline local model (adapters/embedders/local.py, 384 dimensions), for every message
and for the question. The whole evaluation runs on the memory adapter (lexical: BM25)
and again on Postgres (lexical: BM25 in SQL over the 'simple' tsvector; semantic: pgvector
cosine), each with its own lines. Tokens are counted with cl100k_base. The default policy
applies (relevant share 0.5, no neighbours).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

import attrs

from adapters.embedders.local import LOCAL_DIMENSION, LocalEmbedder
from adapters.memory.store import MemoryStore
from adapters.summaries import ExtractiveSummarizer
from adapters.system import SystemClock, UuidIds
from adapters.tokens import OfflineTokenCounter
from bench._common import emit, log, sized
from bench._conversations import conversation
from bench._postgres import fresh_database, open_store
from domain.model import Entry, Message, Role
from domain.tokens import message_text
from domain.window import Reason, Window
from entrypoints.engine import Engine, Store
from ports.embedder import Embedder

SEED = 20_261_126
CONVERSATIONS = sized(40, 1)
MESSAGES = sized(1500, 200)
PROJECTS = 6
QUESTIONS = 4
BUDGETS = (2000, 4000, 8000, 16000)
TENANT = "bench-recall"


def engine_over(store: Store, *, dimension: int = LOCAL_DIMENSION) -> Engine:
    """The engine as a deployment wires it, over `store`, for vectors of `dimension`
    (the local model's by default)."""
    tokens = OfflineTokenCounter()
    return Engine(store=store, tokens=tokens, summarizer=ExtractiveSummarizer(tokens),
                  clock=SystemClock(), ids=UuidIds(), dimension=dimension)


def with_vectors(messages: Sequence[Message], embedder: Embedder) -> list[Message]:
    """The messages with client-side vectors of their text."""
    vectors = embedder.embed([message_text(m) for m in messages])
    return [attrs.evolve(m, embedding=tuple(v)) for m, v in zip(messages, vectors, strict=True)]


def invalid(window: Window, history: Sequence[Entry]) -> str | None:
    """Why a window is not a valid sequence for a model, or None when it is."""
    if window.tokens > window.available:
        return "over budget"
    rest = [w.entry.version for w in window.entries if w.reason is not Reason.PINNED]
    pins = [w for w in window.entries if w.reason is Reason.PINNED]
    if window.entries[: len(pins)] != tuple(pins) or rest != sorted(rest):
        return "not chronological"
    sent = {w.entry.version for w in window.entries}
    calls = {c.id: e.version for e in history for c in e.tool_calls}
    for e in history:
        if e.role is Role.TOOL:
            call = calls.get(e.tool_call_id or "")
            if e.version in sent and call not in sent:
                return f"orphan tool result v{e.version}"
            if call in sent and e.version not in sent:
                return f"call v{call} split from its result v{e.version}"
    return None


def main() -> None:
    """Recall per budget for each window on memory, then on Postgres, and invalid counts."""
    embedder = LocalEmbedder()
    evaluate("memory", engine_over(MemoryStore()), embedder)
    with fresh_database(LOCAL_DIMENSION) as url, open_store(url) as store:
        evaluate("postgres", engine_over(store), embedder)


def evaluate(adapter: str, engine: Engine, embedder: LocalEmbedder) -> None:
    """Ask every question of every conversation on one adapter; print its lines."""
    kinds = ("recency", "query", "lexical", "semantic")
    hits = {b: dict.fromkeys(kinds, 0) for b in BUDGETS}
    asked = windows = bad = 0
    t0 = time.perf_counter()
    for c in range(CONVERSATIONS):
        conv = conversation(SEED + c, size=MESSAGES, projects=PROJECTS)
        ctx = engine.create_context(TENANT)
        messages = with_vectors(conv.messages, embedder)
        for start in range(0, len(messages), 1000):
            engine.append(TENANT, ctx.id, messages[start : start + 1000])
        rnd = random.Random(SEED + c)
        for index, fact in rnd.sample(list(conv.facts), QUESTIONS):
            evidence = index + 1
            fork = engine.fork(TENANT, ctx.id)
            question = with_vectors([Message(role=Role.USER, content=fact.question)], embedder)[0]
            engine.append(TENANT, fork.id, [question])
            history = engine.state_at(TENANT, fork.id, len(messages) + 1)
            asked += 1
            for budget in BUDGETS:
                text, vector = fact.question, question.embedding
                asks = {
                    "recency": {},
                    "query": {"query": text, "query_embedding": vector},
                    "lexical": {"query": text},
                    "semantic": {"query_embedding": vector},
                }
                for kind, ask in asks.items():
                    window = engine.window(TENANT, fork.id, budget=budget, **ask)
                    windows += 1
                    why = invalid(window, history)
                    if why is not None:
                        bad += 1
                        log(f"eval_recall: invalid {kind} window at {budget}: {why}")
                    if any(w.entry.version == evidence for w in window.entries):
                        hits[budget][kind] += 1
        log(f"eval_recall: {adapter} conversation {c + 1}/{CONVERSATIONS} "
            f"({time.perf_counter() - t0:.1f}s)")
    name = f"eval_recall.{adapter}"
    for budget in BUDGETS:
        recency = hits[budget]["recency"] / asked
        emit(f"{name}.recency", budget, recency, "recall")
        for kind, label in (("query", "query_aware"), ("lexical", "lexical_only"),
                            ("semantic", "semantic_only")):
            emit(f"{name}.{label}", budget, hits[budget][kind] / asked, "recall",
                 baseline=f"{name}.recency", baseline_value=recency)
    emit(f"{name}.invalid_windows", windows, bad, "windows")
