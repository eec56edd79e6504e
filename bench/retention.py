"""Fact retention of compaction: how many planted facts the summary still states.

A compaction summary stands in for the entries it covers, so what it leaves out the agent
no longer knows. Each eval conversation is appended message by message to an engine over
the memory store, with automatic compaction on (budget 8,000 tokens, threshold 0.8,
keep_recent 10, summaries of at most 512 tokens, cl100k_base), so it is compacted again and
again as it grows, each summary merging the previous one with the entries since; a final
forced compaction covers all but the last 10 entries. For every planted fact the final
summary covers, the fact is *retained* when a summary line states its exact value ("8443",
"Greta", "40 GB") with what it is the value of (the qualifier, "disk quota", or the
subject, "Kestrel"), and *attributed* when the line names the subject (what an agent could
answer "what is Kestrel's disk quota?" from). A value alone is not enough: people's names
also occur in chatter ("Priya takes my reviews"), and would count by coincidence.

Facts come from two sources, each reported on its own:
- `kinds`: bench/_conversations.py (the window evals' conversations), by the kind of
  fact: port, passphrase, owner, date, budget, location, version;
- `forms`: bench/_facts.py's held-out split, by form: named, discourse (the fact says
  "this project"), paraphrase, tool_result, assistant (skipped if that module is absent).

Summarizers:
- `extractive`: the offline default (adapters/summaries.py);
- `scripted_model`: the LLM path end to end (KATA_SUMMARIZER=openai through
  entrypoints/summarizing.py: prompt, HTTP, cap check, fallback) against a scripted local
  model (bench/_scripted_model.py) that keeps sentences with digits or names. It is a
  deterministic stand-in, not a real model: its figure measures the path and a simple
  value-keeping rule, not what any LLM would retain.

The baseline is dropping the covered entries with no summary: retention 0 by construction
(`retention.drop.*`, printed without a ratio). Because a ratio to 0 is undefined, the
scripted model's lines name the extractive summarizer as their baseline instead.
`retention.scripted_model.fallbacks` counts its compactions that fell back (should be 0).
"""

from __future__ import annotations

import contextlib
import importlib.util
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping

import attrs

from adapters.memory.store import MemoryStore
from bench._common import emit, log, sized
from bench._conversations import conversation
from bench._scripted_model import scripted_model
from domain.errors import NothingToCompact
from domain.model import EntryKind, Message, Policy
from entrypoints.compose import build_engine
from entrypoints.engine import Engine

TENANT = "bench-retention"
POLICY = Policy(budget=8000, threshold=0.8, keep_recent=10, enabled=True)
KIND_SEEDS = tuple(51_000 + i for i in range(sized(12, 1)))
FORM_SEEDS = tuple(97_000 + i for i in range(sized(8, 1)))
SIZE = sized(1500, 300)
KIND_FACTS = sized(12, 4)
FORM_FACTS = sized(20, 5)

# The value each kind of bench/_conversations.py fact states (read from its statement),
# and the word that says what it is the value of.
_KIND_VALUES = {
    "port": (r"port (\d+)\.", "port"),
    "passphrase": (r"is (\w+-\d+),", "passphrase"),
    "owner": (r"Monday (\w+) is", "owner"),
    "date": (r"slips to (\w+ \d+)\.", "launch"),
    "budget": (r"approved (\d+ thousand euros)", "euros"),
    "location": (r"the (\w+) data centre", "backups"),
    "version": (r"Postgres (\d+\.\d+)", "Postgres"),
}


@attrs.frozen(kw_only=True)
class Planted:
    """A fact to look for: its group (kind or form), value, what it is the value of
    (`qualifier`) and of whom (`subject`), and the version of the entry that states it."""

    group: str
    value: str
    qualifier: str
    subject: str
    version: int


@attrs.frozen(kw_only=True)
class Case:
    """A conversation and the facts planted in it."""

    messages: tuple[Message, ...]
    facts: tuple[Planted, ...]


def kind_cases() -> Iterator[Case]:
    """bench/_conversations.py conversations, their facts grouped by kind."""
    for seed in KIND_SEEDS:
        conv = conversation(seed, size=SIZE, facts=KIND_FACTS)
        facts = []
        for index, fact in conv.facts:
            pattern, qualifier = _KIND_VALUES[fact.kind]
            match = re.search(pattern, fact.statement)
            assert match, fact.statement
            facts.append(Planted(group=fact.kind, value=match.group(1), qualifier=qualifier,
                                 subject=fact.project, version=index + 1))  # fmt: skip
        yield Case(messages=conv.messages, facts=tuple(facts))


def form_cases() -> Iterator[Case]:
    """bench/_facts.py held-out conversations, their facts grouped by form."""
    from bench import _facts

    for seed in FORM_SEEDS:
        conv = _facts.conversation(_facts.HELDOUT, seed, size=SIZE, facts=FORM_FACTS)
        yield Case(messages=conv.messages, facts=tuple(
            Planted(group=f.form, value=f.value, qualifier=f.attribute.phrase,
                    subject=f.subject.name, version=f.evidence + 1)
            for f in conv.facts
        ))  # fmt: skip


def final_summary(engine: Engine, case: Case) -> tuple[str, int, list[dict[str, object]]]:
    """Append the case, compact what is left; the last summary's text, the last version it
    covers, and every compaction's record."""
    cid = engine.create_context(TENANT, policy=POLICY).id
    for message in case.messages:
        engine.append(TENANT, cid, [message])
    with contextlib.suppress(NothingToCompact):  # the last append may have compacted
        engine.compact(TENANT, cid, force=True)
    entries = [e for page in _pages(engine, cid) for e in page if e.kind is EntryKind.SUMMARY]
    last = entries[-1]
    assert last.covers is not None
    records = [dict(e.metadata["compaction"]) for e in entries]
    return last.text, last.covers.last, records


def _pages(engine: Engine, cid: str) -> Iterator[Iterable[object]]:
    after = 0
    while True:
        page = engine.entries(TENANT, cid, after=after, limit=1000)
        if not page.items:
            return
        yield page.items  # type: ignore[misc]
        after = page.items[-1].version


def stated(value: str, text: str) -> bool:
    """The exact value, not as part of a longer word or number."""
    return re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-]|\.\d)", text) is not None


def score(summary: str, covered: int, facts: Iterable[Planted]) -> list[tuple[str, bool, bool]]:
    """(group, retained, attributed) for each fact the summary covers."""
    lines = summary.splitlines()
    out = []
    for f in facts:
        if f.version > covered:
            continue
        values = [ln for ln in lines if stated(f.value, ln)]
        retained = any(f.qualifier in ln or f.subject in ln for ln in values)
        out.append((f.group, retained, any(f.subject in ln for ln in values)))
    return out


def run(engine: Engine, cases: Iterable[Case]) -> tuple[list[tuple[str, bool, bool]], int]:
    """Every covered fact's outcome over `cases`, and the compactions that fell back."""
    results, fallbacks = [], 0
    for case in cases:
        text, covered, records = final_summary(engine, case)
        results += score(text, covered, case.facts)
        fallbacks += sum(1 for r in records if "fallback" in r)
    return results, fallbacks


def shares(results: list[tuple[str, bool, bool]], *, measure: int) -> dict[str, tuple[int, float]]:
    """Per group and for `all`: (facts, share retained (measure 1) or attributed (2))."""
    groups: dict[str, list[bool]] = defaultdict(list)
    for row in results:
        groups[row[0]].append(row[measure])
        groups["all"].append(row[measure])
    return {g: (len(v), sum(v) / len(v)) for g, v in sorted(groups.items())}


def report(source: str, by: Mapping[str, list[tuple[str, bool, bool]]]) -> None:
    """The lines of one source: drop, extractive, scripted model, then attribution."""
    extractive = shares(by["extractive"], measure=1)
    emit(f"retention.drop.{source}.all", extractive["all"][0], 0.0, "fraction retained")
    for name in ("extractive", "scripted_model"):
        for group, (n, value) in shares(by[name], measure=1).items():
            base = extractive[group][1] if name != "extractive" else 0.0
            emit(f"retention.{name}.{source}.{group}", n, value, "fraction retained",
                 baseline=f"retention.{'extractive' if name != 'extractive' else 'drop'}."
                          f"{source}.{group}", baseline_value=base)  # fmt: skip
    attributed = {name: shares(by[name], measure=2)["all"] for name in by}
    for name, (n, value) in attributed.items():
        base = attributed["extractive"][1] if name != "extractive" else 0.0
        emit(f"retention.attributed.{name}.{source}.all", n, value, "fraction attributed",
             baseline=f"retention.attributed.extractive.{source}.all", baseline_value=base)


def main() -> None:
    """Print retention per kind and per form, for each summarizer."""
    sources = {"kinds": kind_cases}
    if importlib.util.find_spec("bench._facts") is not None:
        sources["forms"] = form_cases
    with scripted_model() as url:
        model_env = {"KATA_SUMMARIZER": "openai", "KATA_SUMMARIZER_URL": f"{url}/v1",
                     "KATA_SUMMARIZER_MODEL": "scripted"}  # fmt: skip
        for source, cases in sources.items():
            by, fell = {}, 0
            for name, env in (("extractive", {}), ("scripted_model", model_env)):
                log(f"retention: {source}, {name}")
                by[name], count = run(build_engine(MemoryStore(), env=env), cases())
                fell += count if name == "scripted_model" else 0
            report(source, by)
            emit(f"retention.scripted_model.fallbacks.{source}", len(by["scripted_model"]),
                 fell, "compactions fallen back")


if __name__ == "__main__":
    main()
