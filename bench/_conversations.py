"""Synthetic long conversations with facts planted deep in them, from a fixed seed.

A conversation is an engineering team's chat with an assistant: small talk, status
updates, tool calls (search, tickets) and, scattered over it, facts about a handful of
projects (a port, a passphrase, an owner, a date, a budget, a location, a version).
The final question asks for one fact in other words than it was stated in.

What keeps this honest (not solvable by construction):
- every project is named in many other messages (standups, reviews, tickets), and each
  project has several facts, so the project's name alone does not find the evidence;
- each fact's wording ("port", "passphrase", "backups"...) also appears in chatter and in
  the same fact type stated for other projects;
- questions paraphrase: they share the project's name and at most one content word
  with the fact, as an agent asking about it would.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import attrs

from domain.model import Message, Role, ToolCall

PROJECTS = (
    "Heliotrope", "Marigold", "Bluefin", "Kestrel", "Juniper", "Obsidian", "Tamarack",
    "Wren", "Saffron", "Quartz", "Nimbus", "Halcyon", "Vesper", "Larkspur", "Cobalt",
    "Fennel", "Garnet", "Ibex", "Lumen", "Sorrel", "Basalt", "Pippin", "Yarrow", "Zephyr",
)  # fmt: skip
PEOPLE = (
    "Amara", "Bogdan", "Chiara", "Dmitri", "Esme", "Farid", "Greta", "Hiroshi", "Ines",
    "Jonas", "Kalani", "Lucia", "Mateo", "Nadia", "Oskar", "Priya", "Rafael", "Sunniva",
)  # fmt: skip
CITIES = ("Lisbon", "Oslo", "Montreal", "Osaka", "Nairobi", "Valparaiso", "Tallinn", "Perth")
MONTHS = ("March", "April", "May", "June", "September", "October", "November")
WORDS = (
    "amber", "falcon", "pebble", "tundra", "violet", "walnut", "cinder", "harbor",
    "meadow", "raven", "summit", "thistle",
)  # fmt: skip


@attrs.frozen(kw_only=True)
class Fact:
    """A fact stated once, and a question that needs it."""

    project: str
    kind: str
    statement: str
    question: str


FactMaker = Callable[[random.Random, str], Fact]


def _port(r: random.Random, p: str) -> Fact:
    n = r.randint(2000, 9999)
    return Fact(project=p, kind="port",
                statement=f"Quick note for later: the {p} staging server listens on port {n}.",
                question=r.choice([f"Which port number does the {p} test box answer on?",
                                   f"What port should I use to reach {p} in staging?"]))


def _passphrase(r: random.Random, p: str) -> Fact:
    w = f"{r.choice(WORDS)}-{r.randint(1000, 9999)}"
    return Fact(project=p, kind="passphrase",
                statement=f"The wifi passphrase in the {p} war room is {w}, don't share it.",
                question=r.choice([f"What's the wireless password for the {p} room?",
                                   f"Remind me of the network key where the {p} team sits."]))


def _owner(r: random.Random, p: str) -> Fact:
    who = r.choice(PEOPLE)
    return Fact(project=p, kind="owner",
                statement=f"From Monday {who} is the on-call owner for {p} incidents.",
                question=r.choice([f"Who should I page when {p} breaks tonight?",
                                   f"Who is responsible when {p} has an outage?"]))


def _date(r: random.Random, p: str) -> Fact:
    when = f"{r.choice(MONTHS)} {r.randint(2, 28)}"
    return Fact(project=p, kind="date",
                statement=f"We agreed in the meeting that the {p} launch slips to {when}.",
                question=r.choice([f"When is {p} going live now?",
                                   f"What is the new release date for {p}?"]))


def _budget(r: random.Random, p: str) -> Fact:
    k = r.randint(12, 480)
    return Fact(project=p, kind="budget",
                statement=f"Finance approved {k} thousand euros for the {p} migration.",
                question=r.choice([f"How much money was signed off to move {p}?",
                                   f"What funding did {p}'s move get from finance?"]))


def _location(r: random.Random, p: str) -> Fact:
    city = r.choice(CITIES)
    return Fact(project=p, kind="location",
                statement=f"For the record, {p} backups are kept in the {city} data centre.",
                question=r.choice([f"Where do the {p} snapshots live?",
                                   f"In which city are {p}'s backup copies stored?"]))


def _version(r: random.Random, p: str) -> Fact:
    v = f"{r.randint(11, 17)}.{r.randint(1, 9)}"
    return Fact(project=p, kind="version",
                statement=f"{p} stays pinned to Postgres {v} until the security audit is done.",
                question=r.choice([f"Which database release is {p} locked to?",
                                   f"What Postgres version must {p} keep running?"]))


FACT_MAKERS: tuple[FactMaker, ...] = (_port, _passphrase, _owner, _date, _budget, _location,
                                      _version)

_CHATTER_USER = (
    "The {p} standup ran long again, mostly about flaky tests.",
    "Can you summarise what we decided about {p} logging yesterday?",
    "I reviewed the {p} pull request, only naming nits left.",
    "Remind me to rotate my personal password this week.",
    "Port forwarding on my laptop is acting up again.",
    "Coffee machine on the third floor is broken, again.",
    "Does anyone know if the {p} dashboard is still red?",
    "I'm off on Friday, {q} covers for me.",
    "The launch party for the other team was fun.",
    "Our backups job emailed a warning, probably noise.",
    "What's a good way to structure retries in Python?",
    "Budget season is coming, keep receipts.",
    "{q} asked whether {p} needs another code owner.",
    "Lunch options near the office are getting worse.",
    "The migration guide for {p} has a typo in step four.",
)  # fmt: skip
_CHATTER_ASSISTANT = (
    "Sure. In short: keep the change small, add a test, and ask {q} to review it.",
    "I'd retry with exponential backoff and jitter, and cap the total wait.",
    "Noted. I'll keep that in mind for the {p} follow-ups.",
    "The {p} dashboard showed two failing checks this morning; both were timeouts.",
    "That sounds like a transient network issue; if it repeats, open a ticket.",
    "Here is a summary: the team agreed to defer the refactor and ship the fix first.",
    "Understood, I have added it to the notes for this week.",
    "A passphrase manager would make rotating credentials less painful.",
    "You can check the data centre status page before escalating.",
)  # fmt: skip


@attrs.frozen(kw_only=True)
class Conversation:
    """Messages (the first is the system prompt) and the facts at their message indexes."""

    messages: tuple[Message, ...]
    facts: tuple[tuple[int, Fact], ...]


def conversation(
    seed: int, *, size: int = 1500, projects: int = 8, facts: int = 12
) -> Conversation:
    """About `size` messages: chatter, tool calls, and `facts` facts about `projects`
    projects planted between 2 % and 90 % of the way through."""
    r = random.Random(seed)
    names = r.sample(PROJECTS, projects)
    kinds = [(p, m) for p in names for m in FACT_MAKERS]
    planted = [m(r, p) for p, m in r.sample(kinds, facts)]
    slots = sorted(r.sample(range(int(size * 0.02), int(size * 0.9)), facts))
    at = dict(zip(slots, planted, strict=True))
    messages: list[Message] = [Message(
        role=Role.SYSTEM, content="You are the team's engineering assistant. Be brief.")]
    where: list[tuple[int, Fact]] = []
    while len(messages) < size:
        i = len(messages)
        fact = next((at.pop(s) for s in sorted(at) if s <= i), None)
        if fact is not None:
            where.append((len(messages), fact))
            messages.append(Message(role=Role.USER, content=fact.statement))
            messages.append(Message(role=Role.ASSISTANT, content=r.choice(_CHATTER_ASSISTANT)
                                    .format(p=fact.project, q=r.choice(PEOPLE))))
        elif r.random() < 0.06:
            messages.extend(_tool_turn(r, names, call_id=f"call_{i}"))
        else:
            messages.append(Message(role=Role.USER, content=_say(r, names, _CHATTER_USER, 2)))
            messages.append(Message(role=Role.ASSISTANT,
                                    content=_say(r, names, _CHATTER_ASSISTANT, 4)))
    return Conversation(messages=tuple(messages), facts=tuple(where))


def _say(r: random.Random, names: list[str], lines: Sequence[str], most: int) -> str:
    """One to `most` chatter sentences, about any of the projects and people."""
    picked = r.sample(lines, r.randint(1, most))
    return " ".join(t.format(p=r.choice(names), q=r.choice(PEOPLE)) for t in picked)


def _tool_turn(r: random.Random, names: list[str], *, call_id: str) -> list[Message]:
    p = r.choice(names)
    ticket = r.randint(100, 999)
    calls = (ToolCall(id=call_id, name="search_tickets", arguments=f'{{"project": "{p}"}}'),)
    return [
        Message(role=Role.USER, content=f"Any open tickets for {p}?"),
        Message(role=Role.ASSISTANT, tool_calls=calls),
        Message(role=Role.TOOL, tool_call_id=call_id,
                content=f"{p}-{ticket}: flaky integration test; {p}-{ticket + 1}: docs."),
        Message(role=Role.ASSISTANT, content=f"Two open tickets for {p}: a flaky test and docs."),
    ]
