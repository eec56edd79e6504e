"""Cache-stable windows and tool-result clearing: what they keep, what they cost.

Three measures, each against the plain window in the same run (turns alternate A B):

- `window_cache.prefix_shared.*`: over a simulated conversation of 500 turns
  (bench/_conversations.py: chatter, tool calls, facts), a window is asked after every
  turn, on the policy's budget (4000 tokens). Once the history has outgrown the budget,
  each window's shared-prefix fraction is the tokens of the longest common prefix with
  the previous turn's window (same entries, same order, same clearing) over the later
  window's tokens, computed here from the two windows. `cache_stable` (the option on)
  against `sliding` (the plain window); `budget_used.*` is the mean share of the
  available tokens a window fills, for the same windows.
- `window_cache.clearing.*`: a tool-heavy conversation (every turn a tool call whose
  result is some 300 tokens) with `clear_tool_results` (the newest 3 kept): the mean
  tokens a window saves, and the entries it holds against the plain window's.
- `window_cache.recall.*`: the held-out eval conversations of bench/eval_forms.py
  (bench/_facts.py), every planted fact asked as the final question on a fork: the share
  of questions whose evidence is in the window (and, with clearing, not cleared), for
  the recency and the query-aware window, with each option on against the plain window.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from adapters.memory.store import MemoryStore
from adapters.summaries import ExtractiveSummarizer
from adapters.system import SystemClock, UuidIds
from adapters.tokens import OfflineTokenCounter
from bench import _conversations, _facts
from bench._common import emit, log, sized
from domain.model import ContextChanges, Message, Policy, Role, ToolCall
from domain.window import Window
from entrypoints.engine import Engine

TENANT = "bench-cache"
TURNS = sized(500, 60)
BUDGET = sized(4000, 1000)
TOOL_TURNS = sized(200, 30)
RECALL_SEEDS = sized(2, 1)
RECALL_SIZE = sized(1500, 150)
RECALL_FACTS = sized(20, 5)
RECALL_BUDGETS = sized((4000, 8000), (2000,))

CACHE = {"cache_stable": True}
CLEARING = {"clear_tool_results": True, "clear_keep": 3}


def engine() -> Engine:
    """The engine over a fresh memory store, counting tokens offline."""
    tokens = OfflineTokenCounter()
    return Engine(store=MemoryStore(), tokens=tokens, summarizer=ExtractiveSummarizer(tokens),
                  clock=SystemClock(), ids=UuidIds(), dimension=8)


def turns(messages: Sequence[Message]) -> Iterator[list[Message]]:
    """The messages cut into turns, each starting at a user message."""
    turn: list[Message] = []
    for m in messages:
        if m.role is Role.USER and turn:
            yield turn
            turn = []
        turn.append(m)
    if turn:
        yield turn


def shared_prefix(earlier: Window, later: Window) -> int:
    """Tokens of the longest common prefix of two windows, counted in the later one."""
    shared = 0
    for a, b in zip(earlier.entries, later.entries, strict=False):
        if (a.entry.version, a.cleared) != (b.entry.version, b.cleared):
            break
        shared += b.entry.token_count
    return shared


def prefix_stability() -> None:
    """Consecutive windows of one conversation, cache-stable against sliding."""
    eng = engine()
    conv = _conversations.conversation(20_261_202, size=TURNS * 2 + 200, facts=12)
    rules = {"sliding": {}, "cache_stable": CACHE}
    ids = {r: eng.create_context(TENANT, policy=Policy(budget=BUDGET, **p)).id
           for r, p in rules.items()}
    fractions: dict[str, list[float]] = {r: [] for r in rules}
    used: dict[str, list[float]] = {r: [] for r in rules}
    previous: dict[str, Window | None] = dict.fromkeys(rules)
    count = 0
    for turn in turns(conv.messages):
        if count == TURNS:
            break
        count += 1
        for rule, cid in ids.items():  # A B, turn after turn
            eng.append(TENANT, cid, turn)
            window = eng.window(TENANT, cid)
            before = previous[rule]
            if before is not None and window.omitted_count:
                fractions[rule].append(shared_prefix(before, window) / window.tokens)
                used[rule].append(window.tokens / window.available)
            previous[rule] = window
    mean = {r: sum(v) / max(len(v), 1) for r, v in fractions.items()}
    fill = {r: sum(v) / max(len(v), 1) for r, v in used.items()}
    n = len(fractions["cache_stable"])
    emit("window_cache.prefix_shared.sliding", n, mean["sliding"], "fraction")
    emit("window_cache.prefix_shared.cache_stable", n, mean["cache_stable"], "fraction",
         baseline="window_cache.prefix_shared.sliding", baseline_value=mean["sliding"])
    emit("window_cache.budget_used.sliding", n, fill["sliding"], "fraction")
    emit("window_cache.budget_used.cache_stable", n, fill["cache_stable"], "fraction",
         baseline="window_cache.budget_used.sliding", baseline_value=fill["sliding"])
    log(f"window_cache: {count} turns, {n} windows past the budget; shared {mean}, used {fill}")


def tool_turn(i: int) -> list[Message]:
    """A question, a tool call, its long result and the answer."""
    rows = " ".join(f"row {i}.{k}: status ok, owner team-{k % 7}, size {k * 13}" for k in range(24))
    return [
        Message(role=Role.USER, content=f"Can you check the queue for batch {i}?"),
        Message(role=Role.ASSISTANT,
                tool_calls=(ToolCall(id=f"q{i}", name="read_queue",
                                     arguments=f'{{"batch": {i}}}'),)),
        Message(role=Role.TOOL, tool_call_id=f"q{i}", content=rows),
        Message(role=Role.ASSISTANT, content=f"Batch {i} is healthy: 24 rows, all ok."),
    ]


def clearing() -> None:
    """Tokens saved and entries held by clearing, on a tool-heavy conversation."""
    eng = engine()
    rules = {"plain": {}, "clear_tool_results": CLEARING}
    ids = {r: eng.create_context(TENANT, policy=Policy(budget=BUDGET, **p)).id
           for r, p in rules.items()}
    saved: list[int] = []
    held: dict[str, list[int]] = {r: [] for r in rules}
    for i in range(TOOL_TURNS):
        for rule, cid in ids.items():
            eng.append(TENANT, cid, tool_turn(i))
            window = eng.window(TENANT, cid)
            if not window.omitted_count:
                continue
            held[rule].append(len(window.entries))
            if rule == "clear_tool_results":
                saved.append(window.tokens_saved)
    n = len(saved)
    mean_held = {r: sum(v) / max(len(v), 1) for r, v in held.items()}
    emit("window_cache.clearing.tokens_saved", n, sum(saved) / max(n, 1), "tokens")
    emit("window_cache.clearing.entries_held.plain", n, mean_held["plain"], "entries")
    emit("window_cache.clearing.entries_held.clear_tool_results", n,
         mean_held["clear_tool_results"], "entries",
         baseline="window_cache.clearing.entries_held.plain", baseline_value=mean_held["plain"])


def recall() -> None:
    """Evidence recall on the held-out eval, each option against the plain window."""
    eng = engine()
    rules = {"plain": {}, "cache_stable": CACHE, "clear_tool_results": CLEARING}
    kept: dict[tuple[str, str, int], list[bool]] = {}
    for seed in _facts_seeds():
        conv = _facts.conversation(_facts.HELDOUT, seed, size=RECALL_SIZE, facts=RECALL_FACTS)
        ctx = eng.create_context(TENANT)
        for start in range(0, len(conv.messages), 1000):
            eng.append(TENANT, ctx.id, list(conv.messages[start : start + 1000]))
        for fact in conv.facts:
            evidence = fact.evidence + 1  # versions are message indexes + 1
            fork = eng.fork(TENANT, ctx.id)
            eng.append(TENANT, fork.id, [Message(role=Role.USER, content=fact.question)])
            for rule, fields in rules.items():
                policy = Policy(**fields)
                eng.update_context(TENANT, fork.id, ContextChanges(policy=policy))
                for budget in RECALL_BUDGETS:
                    for mode, query in (("recency", None), ("query_aware", fact.question)):
                        window = eng.window(TENANT, fork.id, budget=budget, query=query)
                        found = any(w.entry.version == evidence and not w.cleared
                                    for w in window.entries)
                        kept.setdefault((rule, mode, budget), []).append(found)
    for budget in RECALL_BUDGETS:
        for mode in ("recency", "query_aware"):
            share = {r: _mean(kept[r, mode, budget]) for r in rules}
            n = len(kept["plain", mode, budget])
            emit(f"window_cache.recall.{mode}.plain", budget, share["plain"], "recall")
            for rule in ("cache_stable", "clear_tool_results"):
                emit(f"window_cache.recall.{mode}.{rule}", budget, share[rule], "recall",
                     baseline=f"window_cache.recall.{mode}.plain",
                     baseline_value=share["plain"])
            log(f"window_cache: recall {mode} at {budget} over {n} questions: {share}")


def _facts_seeds() -> tuple[int, ...]:
    # Held-out seeds of their own (bench/eval_forms.py uses 93_000 onwards).
    return tuple(95_000 + i for i in range(RECALL_SEEDS))


def _mean(values: Sequence[bool]) -> float:
    return sum(values) / max(len(values), 1)


def main() -> None:
    """All three measures, on the memory store."""
    prefix_stability()
    clearing()
    recall()


if __name__ == "__main__":
    main()
