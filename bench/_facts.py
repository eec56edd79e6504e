"""Long synthetic agent conversations with planted facts in five forms, in two splits.

A conversation is a team's chat with its assistant: standups, reviews, small talk, tool
calls with their results and, scattered over it, facts about a handful of subjects
(codenames, services, customers). Each fact states one attribute of one subject (its
"qualifier": "rollback approver", "disk quota") and is asked for at the end by a question
that names the subject. A fact takes one of these FORMS:

- `named`: a user message names the subject and states the fact ("Heads up: the disk
  quota for Kestrel is 40 GB.");
- `discourse`: the subject is named 1 to 6 exchanges earlier ("Let's switch to Kestrel for
  a bit."); the fact refers to it only as "this project", "the service", "that customer",
  "that one" or "it", and the talk sometimes wanders (subject-free small talk) in between;
- `paraphrase`: named, but the question words the qualifier differently, from a table of
  paraphrase pairs ("storage allowance" for "disk quota"): no content word of the
  qualifier is shared;
- `tool_result`: the fact is a field of a tool result, after the assistant's tool call
  (sometimes one of two parallel calls);
- `assistant`: the assistant states it, answering a vaguer request.

Questions carry conversational filler some of the time: an opener ("quick question,"), a
possessive ("What's Kestrel's disk quota?").

What keeps it honest (not solvable by construction):
- every subject is named in many other messages and has several facts, and every
  qualifier is stated for several subjects and talked about without its value, sometimes
  together with the subject it is later asked about: neither name finds the evidence;
- chatter reuses the split's fillers, paraphrases, possessives and the qualifiers' words
  in other senses ("the fire alarm test"), so filler and the possessive "s" of a question
  match hundreds of unrelated messages; now and then a wiki search returns a long list of
  pages naming many subjects and qualifiers (the kind of tool output that floods a
  lexical ranking);
- the two SPLITS (`TUNING`, `HELDOUT`) share no content word in their subject names,
  people, qualifiers and paraphrases, fillers, fact, question and intro frames; neither
  split's chatter uses a word the other owns, and they share no chatter template
  (`shared_words` checks it all): a rule or a stopword list tuned on one cannot carry
  over to the other by vocabulary. The reference phrases of the discourse
  form ("this project", "it") are common to both: they are the class being measured. The
  tool names and the shape of tool turns are common too (they are the protocol), and so
  are the subject-free exchanges of a discourse episode (`_WANDER`, `_ABOUT`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable

import attrs

from domain.model import Message, Role, ToolCall

FORMS = ("named", "discourse", "paraphrase", "tool_result", "assistant")

# Reference phrases by kind of subject, for the discourse form; "it" and "that one" fit all.
REFERENCES = {
    "project": ("this project", "the project"),
    "service": ("the service", "that service"),
    "customer": ("that customer", "the client"),
}
ANY_REFERENCE = ("it", "that one")

# Words no split owns: the function words of English frames, and the reference phrases.
_FUNCTION_TEXT = """
a about after again all am an and any are as at be been before but by can could did do does
for from had has have how i if in into is it its just let me my no not now of on one or our
out s so that the their them then there this to up us was we what when where which who will
with would you your project service customer client"""
FUNCTION_WORDS = frozenset(_FUNCTION_TEXT.split())


@attrs.frozen(kw_only=True)
class Subject:
    """What facts are about: a codename, a service or a customer."""

    name: str
    kind: str  # a key of REFERENCES


@attrs.frozen(kw_only=True)
class Attribute:
    """One thing a fact states about a subject: its wording in facts and chatter, the
    paraphrase a `paraphrase` question uses instead, and the kind of its values."""

    phrase: str
    paraphrase: str
    value: str  # a key of _VALUES


@attrs.frozen(kw_only=True)
class Vocabulary:
    """Everything one split's conversations and questions are worded from.

    Frames hold `{s}` (the subject, or a reference to it), `{q}` (a qualifier), `{v}` (a
    value), `{who}` (a person), `{p}` (a paraphrase) and `{f}` (a filler opener).
    """

    name: str
    subjects: tuple[Subject, ...]
    attributes: tuple[Attribute, ...]
    people: tuple[str, ...]
    fillers: tuple[str, ...]  # question and chatter openers
    statements: tuple[str, ...]  # a fact: "{s}" "{q}" "{v}"; "{s}" may be a reference
    questions: tuple[str, ...]  # "{s}" "{q}"
    possessive_questions: tuple[str, ...]  # "{s}'s {q}"
    intros: tuple[str, ...]  # names the subject a discourse fact refers back to
    requests: tuple[str, ...]  # a user's vague ask that an assistant fact answers
    answers: tuple[str, ...]  # an assistant fact: "{s}" "{q}" "{v}"
    chatter_user: tuple[str, ...]
    chatter_assistant: tuple[str, ...]


TUNING = Vocabulary(
    name="tuning",
    subjects=(
        Subject(name="Heliotrope", kind="project"), Subject(name="Marigold", kind="project"),
        Subject(name="Bluefin", kind="project"), Subject(name="Kestrel", kind="project"),
        Subject(name="Zephyr", kind="project"), Subject(name="Obsidian", kind="project"),
        Subject(name="ledger-sync", kind="service"), Subject(name="authgate", kind="service"),
        Subject(name="payroll-bridge", kind="service"),
        Subject(name="Acme Logistics", kind="customer"),
        Subject(name="Borealis Bank", kind="customer"),
        Subject(name="Cantor Foods", kind="customer"),
    ),
    attributes=(
        Attribute(phrase="latency alarm threshold", paraphrase="slow response warning level",
                  value="ms"),
        Attribute(phrase="rollback approver", paraphrase="revert sign-off person", value="person"),
        Attribute(phrase="invoice contact", paraphrase="bill recipient", value="person"),
        Attribute(phrase="deploy freeze", paraphrase="release lockdown", value="date"),
        Attribute(phrase="disk quota", paraphrase="storage allowance", value="gb"),
        Attribute(phrase="error budget", paraphrase="failure tolerance", value="percent"),
        Attribute(phrase="staging port", paraphrase="preprod socket", value="port"),
        Attribute(phrase="archive passphrase", paraphrase="snapshot secret", value="secret"),
    ),
    people=("Amara", "Bogdan", "Chiara", "Dmitri", "Esme", "Farid", "Greta", "Hiroshi", "Ines"),
    fillers=("Quick question,", "By the way,", "Hey,", "Before I forget,"),
    statements=(
        "Heads up: the {q} for {s} is {v}.",
        "We agreed today that the {q} for {s} is {v}.",
        "Note for later, the {q} for {s} is {v} from now on.",
    ),
    questions=(
        "What is the {q} for {s}?",
        "Do you remember the {q} for {s}?",
        "Remind me of the {q} for {s}.",
    ),
    possessive_questions=("What's {s}'s {q}?", "Do you know {s}'s {q}?"),
    intros=(
        "Let's switch to {s} for a bit.",
        "Next on my list is {s}.",
        "Can we talk about {s}?",
    ),
    requests=(
        "Can you pull together where {s} stands?",
        "Give me a rundown of {s}.",
    ),
    answers=(
        "Here's what I have for {s}: the {q} is {v}, and the rest is unchanged.",
        "From my notes on {s}: the {q} is {v}.",
    ),
    chatter_user=(
        "The {s} standup ran long again, mostly about flaky tests.",
        "Did anyone update the {q} page for {s}?",
        "Let's double-check the {q} for {s} before the release.",
        "{f} the coffee machine is broken again.",
        "I'm off on Friday, {who} covers for me.",
        "{who} asked about the {q} in the retro.",
        "Is {s}'s dashboard still red?",
        "{who}'s review of {s} is done, only naming nits left.",
        "Someone on the other team complained about {p} problems.",
        "What's a good way to structure retries in Python?",
        "{f} is this project still on track?",
        "Remind me to rotate my laptop's password this week.",
        "{f} do you remember who booked the big meeting room?",
        "The fire alarm test is at noon, ignore it.",
        "My disk is full again, clearing old downloads.",
        "Budget season is coming, keep your receipts.",
        "Got an error from the VPN client this morning.",
        "Who is the contact for the office move?",
        "The restaurant bill last night was huge.",
        "Apologies for the slow response, back-to-back meetings.",
    ),
    chatter_assistant=(
        "Sure. Keep the change small, add a test, and ask {who} to review it.",
        "Noted, I'll keep that in mind for {s}.",
        "The {s} dashboard showed two failing checks this morning; both were timeouts.",
        "I'd retry with exponential backoff and jitter, and cap the overall wait.",
        "I'd keep an eye on the {q} for {s} this week.",
        "That one is mostly on track, from what I can make out.",
        "It's probably a transient issue; if it repeats, open a ticket.",
        "{who}'s notes mention the {q} but no decision yet.",
        "Agreed, the {p} topic deserves its own meeting.",
        "Port forwarding issues are usually the VPN; restart it first.",
        "You can archive the old channel; nobody has posted there in months.",
        "Latency on video calls improves a lot on a wired connection.",
        "Release notes are drafted; they want a sign-off before Friday.",
    ),
)  # fmt: skip

HELDOUT = Vocabulary(
    name="heldout",
    subjects=(
        Subject(name="Andromeda", kind="project"), Subject(name="Cassowary", kind="project"),
        Subject(name="Driftwood", kind="project"), Subject(name="Foxglove", kind="project"),
        Subject(name="Gossamer", kind="project"), Subject(name="Tiramisu", kind="project"),
        Subject(name="tariff-broker", kind="service"), Subject(name="mail-relay", kind="service"),
        Subject(name="geo-indexer", kind="service"),
        Subject(name="Dunmore Insurance", kind="customer"),
        Subject(name="Evergreen Clinics", kind="customer"),
        Subject(name="Fairhaven Transit", kind="customer"),
    ),
    attributes=(
        Attribute(phrase="incident postmortem author", paraphrase="outage writeup owner",
                  value="person"),
        Attribute(phrase="contract renewal date", paraphrase="subscription extension deadline",
                  value="date"),
        Attribute(phrase="cache size", paraphrase="memory buffer capacity", value="mb"),
        Attribute(phrase="pager rotation lead", paraphrase="on-call captain", value="person"),
        Attribute(phrase="launch window", paraphrase="go-live slot", value="date"),
        Attribute(phrase="request rate limit", paraphrase="traffic ceiling", value="count"),
        Attribute(phrase="backup region", paraphrase="disaster recovery zone", value="region"),
        Attribute(phrase="license count", paraphrase="seat total", value="count"),
    ),
    people=("Jonas", "Kalani", "Lucia", "Mateo", "Nadia", "Oskar", "Priya", "Rafael", "Sunniva"),
    fillers=("Sorry to bug you,", "One more thing:", "Just wondering,", "Out of curiosity,"),
    statements=(
        "Just confirmed that the {q} of {s} is now {v}.",
        "FYI the {q} for {s} was set to {v}.",
        "Writing this down so we have it: {s} has a {q} of {v}.",
    ),
    questions=(
        "What did we settle as the {q} of {s}?",
        "Can you tell me the {q} for {s} again?",
        "I need the {q} of {s}.",
    ),
    possessive_questions=("I forgot {s}'s {q}, what was it?", "Which is {s}'s {q}?"),
    intros=(
        "Moving on to {s} now.",
        "I have a few remarks on {s}.",
        "Turning our attention to {s}.",
    ),
    requests=(
        "What's the latest summary on {s}?",
        "Could you recap {s} for me?",
    ),
    answers=(
        "Recap for {s}: its {q} is {v}; the remaining items hold.",
        "Looking at {s}, I see the {q} is {v}.",
    ),
    chatter_user=(
        "Sprint planning for {s} overran, we argued about estimates.",
        "Has anybody touched the {q} doc for {s} lately?",
        "Let's revisit the {q} for {s} at the planning session.",
        "{f} the elevator on our floor is out of service.",
        "I'll be travelling Tuesday, {who} takes my reviews.",
        "{who} brought up the {q} during the demo.",
        "Is {s}'s build green again?",
        "{who}'s design doc for {s} got approved with minor comments.",
        "A partner mentioned {p} trouble in their own setup.",
        "How should I paginate a large SQL query?",
        "{f} are we behind on this project?",
        "The dentist appointment tomorrow is at nine, don't let me miss it.",
        "{f} who ordered the pizza for the offsite?",
        "The window in the big meeting room won't close.",
        "What size should the offsite t-shirts be?",
        "I'll request a second monitor, mine flickers.",
        "Apparently there's a limit of two coffees each now.",
        "Can you count how many of us want lunch on Thursday?",
        "Traffic on the ring road was terrible this morning.",
        "The ceiling in the kitchen is leaking again.",
    ),
    chatter_assistant=(
        "Happy to help. Split the change, write the migration first, and ping {who}.",
        "Got it, I'll factor that into the {s} planning.",
        "The {s} build had one red job overnight; a runner ran out of memory.",
        "I'd use keyset pagination on an indexed column instead of offsets.",
        "The {q} for {s} came up again in the channel.",
        "That one looks fine, no alarms overnight.",
        "It might be a caching artefact; try again in an hour.",
        "{who}'s summary touches on the {q} without a conclusion.",
        "Good point, {p} deserves a writeup of its own.",
        "Lead times for new laptops are about six weeks at the moment.",
        "Passport renewal takes a while; book the appointment early.",
        "Your phone's memory is probably full of chat media.",
        "A shared calendar owner helps; someone has to clean it up.",
    ),
)  # fmt: skip

SPLITS = {v.name: v for v in (TUNING, HELDOUT)}

# Subject-free small talk, common to both splits (it holds no subject, qualifier or
# filler): the wandering between a subject's intro and a discourse fact.
_WANDER = (
    ("Did you watch the match last night?", "I don't watch sports, but I hear it was close."),
    ("It's raining again, of course.", "Good weather for staying in and fixing tests."),
    ("Hang on, I must grab a coffee.", "Sure, take your time."),
    ("Oops, my cat walked over the keyboard.", "No problem, happens to everyone."),
    ("Our train was late this morning.", "Commutes are rough this week."),
)
# Follow-ups about the subject in scope that do not name it (discourse form).
_ABOUT = (
    ("How is {r} doing overall?", "Mostly on track; two reviews are still pending."),
    ("Anything blocking {r}?", "Nothing serious, one flaky check."),
    ("Who is involved with {r} besides us?", "A couple of people from platform, part time."),
    ("Is {r} on the roadmap for the coming quarter?", "Yes, tentatively."),
)

_ACKS = ("Noted.", "Got it, thanks.", "Thanks, noted.")
_GO_ON = ("Sure, I'm all ears.", "Okay, I'm listening.")
_LOOKUPS = ("{f} can you look up {s} for me?", "Check the records for {s}, please.")
_LOOKED_UP = "Done: {s} is active; nothing unusual in the record."
_ROUTINE_NOTE = "discussed in review"
_TICKETS = "flaky integration test"
_SEARCH = "Search the wiki for anything on {s}."
_SEARCHED = "Found several pages; the newest ones look most useful."
_PAGE_NOTES = ("draft", "stale", "reviewed", "empty stub", "moved")
# Every text both splits' conversations use: it must hold no word either split owns.
SHARED_TEXTS = (*(t for pair in (*_WANDER, *_ABOUT) for t in pair), *_ACKS, *_GO_ON,
                *_LOOKUPS, _LOOKED_UP, _ROUTINE_NOTE, _TICKETS, _SEARCH, _SEARCHED,
                *_PAGE_NOTES)

_VALUES: dict[str, Callable[[random.Random, Vocabulary], str]] = {
    "ms": lambda r, _: f"{r.randint(120, 2400)} ms",
    "person": lambda r, v: r.choice(v.people),
    "date": lambda r, _: f"{r.choice(('March', 'May', 'July', 'October'))} {r.randint(2, 28)}",
    "gb": lambda r, _: f"{r.randint(20, 900)} GB",
    "mb": lambda r, _: f"{r.randint(64, 4096)} MB",
    "percent": lambda r, _: f"{r.randint(1, 9)}.{r.randint(0, 9)} percent",
    "port": lambda r, _: str(r.randint(2000, 9999)),
    "secret": lambda r, _: f"{r.choice(('amber', 'tundra', 'walnut'))}-{r.randint(1000, 9999)}",
    "count": lambda r, _: str(r.randint(20, 5000)),
    "region": lambda r, _: r.choice(("eu-north", "us-east", "ap-south", "sa-east")),
}  # fmt: skip


@attrs.frozen(kw_only=True)
class Fact:
    """A planted fact: its form, what it states, the message stating it, the question."""

    form: str
    subject: Subject
    attribute: Attribute
    value: str
    evidence: int  # index in Conversation.messages of the message stating the fact
    question: str


@attrs.frozen(kw_only=True)
class Conversation:
    """Messages (the first is the system prompt) and the facts planted in them."""

    split: str
    messages: tuple[Message, ...]
    facts: tuple[Fact, ...]


def conversation(
    vocabulary: Vocabulary, seed: int, *, size: int, facts: int, subjects: int = 8
) -> Conversation:
    """About `size` messages with `facts` facts (forms in turn, so as even as `facts`
    allows) about `subjects` subjects, planted between 2 % and 90 % of the way."""
    r = random.Random(seed)
    chosen = r.sample(vocabulary.subjects, subjects)
    pairs = r.sample([(s, a) for s in chosen for a in vocabulary.attributes], facts)
    forms = [FORMS[i % len(FORMS)] for i in range(facts)]
    r.shuffle(forms)
    # One slot per equal stretch of the planted range, so facts never crowd each other.
    low, high = int(size * 0.02), int(size * 0.9)
    stretch = (high - low) / facts
    slots = [int(low + stretch * (i + r.random() * 0.5)) for i in range(facts)]
    writer = _Writer(r=r, vocabulary=vocabulary, subjects=chosen)
    planted: list[Fact] = []
    todo = list(zip(slots, forms, pairs, strict=True))
    while len(writer.messages) < size or todo:
        if todo and todo[0][0] <= len(writer.messages):
            _, form, (subject, attribute) = todo.pop(0)
            planted.append(writer.fact(form, subject, attribute))
        else:
            writer.chatter()
    return Conversation(split=vocabulary.name, messages=tuple(writer.messages),
                        facts=tuple(planted))


@attrs.define(kw_only=True)
class _Writer:
    r: random.Random
    vocabulary: Vocabulary
    subjects: list[Subject]
    messages: list[Message] = attrs.field(factory=lambda: [Message(
        role=Role.SYSTEM, content="You are the team's engineering assistant. Be brief.")])

    def say(self, role: Role, text: str) -> int:
        self.messages.append(Message(role=role, content=text))
        return len(self.messages) - 1

    def fill(self, frame: str, subject: str | None = None) -> str:
        """A chatter frame with random slots: any subject, qualifier, person, filler."""
        v, r = self.vocabulary, self.r
        text = frame.format(
            s=subject if subject is not None else r.choice(self.subjects).name,
            q=r.choice(v.attributes).phrase, p=r.choice(v.attributes).paraphrase,
            who=r.choice(v.people), f=r.choice(v.fillers),
        )
        return _capital(text)

    def chatter(self) -> None:
        """An exchange of one to three sentences each way, or a tool turn."""
        r, v = self.r, self.vocabulary
        if r.random() < 0.08:
            self.tool_turn()
            return
        if r.random() < 0.03:
            self.search_turn()
            return
        for role, lines, most in ((Role.USER, v.chatter_user, 2),
                                  (Role.ASSISTANT, v.chatter_assistant, 3)):
            self.say(role, " ".join(self.fill(t) for t in r.sample(lines, r.randint(1, most))))

    def tool_turn(self, fact: tuple[Subject, Attribute, str] | None = None) -> int | None:
        """A request, the assistant's call (sometimes two in parallel), the results and a
        reply; with `fact`, one result states it and its index is returned."""
        r, v = self.r, self.vocabulary
        subject = fact[0] if fact else r.choice(self.subjects)
        n = len(self.messages)
        calls = [ToolCall(id=f"call_{n}_0", name="lookup_record",
                          arguments=f'{{"name": "{subject.name}"}}')]
        if r.random() < 0.3:
            calls.append(ToolCall(id=f"call_{n}_1", name="search_tickets",
                                  arguments=f'{{"query": "{subject.name}"}}'))
        self.say(Role.USER, self.fill(r.choice(_LOOKUPS), subject.name))
        self.messages.append(Message(role=Role.ASSISTANT, tool_calls=calls))
        found = None
        for call in calls:
            if call.name == "lookup_record":
                # A routine lookup mentions a qualifier without stating a value for it.
                field = (f"{fact[1].phrase}: {fact[2]}" if fact else
                         f"notes: {r.choice(v.attributes).phrase} {_ROUTINE_NOTE}")
                content = (f"record: {subject.name}\nstatus: active\n{field}\n"
                           f"updated by: {r.choice(v.people)}")
            else:
                ticket = r.randint(100, 999)
                content = (f"{ticket}: {_TICKETS} ({subject.name}); "
                           f"{ticket + 1}: {r.choice(v.attributes).phrase} docs outdated")
            self.messages.append(Message(role=Role.TOOL, tool_call_id=call.id, content=content))
            if call.name == "lookup_record" and fact:
                found = len(self.messages) - 1
        self.say(Role.ASSISTANT, _LOOKED_UP.format(s=subject.name))
        return found

    def search_turn(self) -> None:
        """A wiki search whose long result lists pages about many subjects and qualifiers
        (and states no fact): the kind of tool output that floods a lexical ranking."""
        r, v = self.r, self.vocabulary
        subject = r.choice(self.subjects).name
        call = ToolCall(id=f"call_{len(self.messages)}_0", name="search_docs",
                        arguments=f'{{"query": "{subject}"}}')
        self.say(Role.USER, _SEARCH.format(s=subject))
        self.messages.append(Message(role=Role.ASSISTANT, tool_calls=(call,)))
        pages = [f"wiki/{r.randint(1000, 9999)} {r.choice(self.subjects).name}: "
                 f"{r.choice(v.attributes).phrase} ({r.choice(_PAGE_NOTES)}, {r.choice(v.people)})"
                 for _ in range(r.randint(6, 12))]
        self.messages.append(Message(role=Role.TOOL, tool_call_id=call.id,
                                     content="\n".join(pages)))
        self.say(Role.ASSISTANT, _SEARCHED)

    def fact(self, form: str, subject: Subject, attribute: Attribute) -> Fact:
        r, v = self.r, self.vocabulary
        value = _VALUES[attribute.value](r, v)
        name = subject.name
        if form in ("named", "paraphrase"):
            frame = r.choice(v.statements)
            at = self.say(Role.USER, _capital(frame.format(s=name, q=attribute.phrase, v=value)))
            self.say(Role.ASSISTANT, r.choice(_ACKS))
        elif form == "assistant":
            self.say(Role.USER, r.choice(v.requests).format(s=name))
            at = self.say(Role.ASSISTANT, r.choice(v.answers).format(
                s=name, q=attribute.phrase, v=value))
        elif form == "tool_result":
            found = self.tool_turn((subject, attribute, value))
            assert found is not None
            at = found
        else:
            at = self._discourse(subject, attribute, value)
        question = self._question(subject, attribute, paraphrased=form == "paraphrase")
        return Fact(form=form, subject=subject, attribute=attribute, value=value, evidence=at,
                    question=question)

    def _discourse(self, subject: Subject, attribute: Attribute, value: str) -> int:
        """The subject named, 0 to 5 exchanges about it or wandering, then the fact that
        refers to it without its name: 1 to 6 exchanges after the intro."""
        r, v = self.r, self.vocabulary
        references = (*REFERENCES[subject.kind], *ANY_REFERENCE)
        self.say(Role.USER, r.choice(v.intros).format(s=subject.name))
        self.say(Role.ASSISTANT, r.choice(_GO_ON))
        for _ in range(r.randint(0, 5)):
            if r.random() < 0.5:
                asked, answer = r.choice(_WANDER)
            else:
                asked, answer = r.choice(_ABOUT)
                asked = asked.format(r=r.choice(references))
            self.say(Role.USER, asked)
            self.say(Role.ASSISTANT, answer)
        frame = r.choice(v.statements)
        at = self.say(Role.USER, _capital(frame.format(
            s=r.choice(references), q=attribute.phrase, v=value)))
        self.say(Role.ASSISTANT, r.choice(_ACKS))
        return at

    def _question(self, subject: Subject, attribute: Attribute, *, paraphrased: bool) -> str:
        """The question: its frame, sometimes possessive, sometimes with a filler opener."""
        r, v = self.r, self.vocabulary
        q = attribute.paraphrase if paraphrased else attribute.phrase
        frames = v.possessive_questions if r.random() < 0.3 else v.questions
        text = r.choice(frames).format(s=subject.name, q=q)
        if r.random() < 0.4:
            first = text if text.startswith("I ") else text[0].lower() + text[1:]
            text = f"{r.choice(v.fillers)} {first}"
        return text


def _capital(text: str) -> str:
    return text[0].upper() + text[1:]


def words(text: str) -> set[str]:
    """The content words of a text: lower-cased word runs, less function words and slots."""
    out = set()
    for word in "".join(c.lower() if c.isalnum() else " " for c in text).split():
        if word not in FUNCTION_WORDS and word not in {"s", "q", "v", "p", "f", "who"}:
            out.add(word)
    return out


def vocabulary_words(v: Vocabulary) -> set[str]:
    """Every content word a split owns."""
    texts: Iterable[str] = (
        *(s.name for s in v.subjects), *v.people, *v.fillers, *v.statements, *v.questions,
        *v.possessive_questions, *v.intros, *v.requests, *v.answers,
        *(a.phrase for a in v.attributes), *(a.paraphrase for a in v.attributes),
    )
    return set().union(*(words(t) for t in texts))


def shared_words(a: Vocabulary, b: Vocabulary) -> set[str]:
    """What the splits share and must not (all empty): content words the two own, a
    split's chatter words that the other owns, owned words in the texts both use
    (`SHARED_TEXTS`), and chatter templates."""
    owned_a, owned_b = vocabulary_words(a), vocabulary_words(b)
    chatter_a = set(a.chatter_user + a.chatter_assistant)
    chatter_b = set(b.chatter_user + b.chatter_assistant)
    crossed = (_words_of(chatter_a) & owned_b) | (_words_of(chatter_b) & owned_a)
    common = _words_of(SHARED_TEXTS) & (owned_a | owned_b)
    return (owned_a & owned_b) | crossed | common | (chatter_a & chatter_b)


def _words_of(texts: Iterable[str]) -> set[str]:
    return set().union(*(words(t) for t in texts))


def paraphrase_leaks(v: Vocabulary) -> list[tuple[str, set[str]]]:
    """Paraphrases that share a content word with their own qualifier or with a fact
    frame (must be none: a paraphrase question would then match the fact by it)."""
    frames = set().union(*(words(t) for t in v.statements))
    leaks = []
    for a in v.attributes:
        common = words(a.paraphrase) & (words(a.phrase) | frames)
        if common:
            leaks.append((a.paraphrase, common))
    return leaks

