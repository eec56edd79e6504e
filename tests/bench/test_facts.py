"""The fact-form generator plants what each form promises, and its splits share no words."""

from __future__ import annotations

import pytest

from bench import _facts
from domain.model import Role

SPLITS = (_facts.TUNING, _facts.HELDOUT)


def test_the_splits_share_no_owned_word_and_no_paraphrase_leaks() -> None:
    assert _facts.shared_words(_facts.TUNING, _facts.HELDOUT) == set()
    assert _facts.paraphrase_leaks(_facts.TUNING) == []
    assert _facts.paraphrase_leaks(_facts.HELDOUT) == []
    names = {s.name for s in _facts.TUNING.subjects} & {s.name for s in _facts.HELDOUT.subjects}
    assert names == set()


@pytest.fixture(params=SPLITS, ids=lambda v: v.name)
def conversation(request: pytest.FixtureRequest) -> _facts.Conversation:
    return _facts.conversation(request.param, 7, size=800, facts=20)


def test_same_seed_same_conversation() -> None:
    one = _facts.conversation(_facts.HELDOUT, 3, size=300, facts=5)
    assert one == _facts.conversation(_facts.HELDOUT, 3, size=300, facts=5)
    assert one != _facts.conversation(_facts.HELDOUT, 4, size=300, facts=5)


def test_forms_are_even_and_facts_lie_deep(conversation: _facts.Conversation) -> None:
    forms = [f.form for f in conversation.facts]
    assert sorted(set(forms)) == sorted(_facts.FORMS)
    assert all(forms.count(f) == 4 for f in _facts.FORMS)
    n = len(conversation.messages)
    assert all(0.02 * n <= f.evidence <= 0.92 * n for f in conversation.facts)


def test_every_question_names_its_subject(conversation: _facts.Conversation) -> None:
    for fact in conversation.facts:
        assert fact.subject.name in fact.question


def test_discourse_facts_refer_back_to_a_subject_named_1_to_6_exchanges_before(
    conversation: _facts.Conversation,
) -> None:
    names = [s.name for s in _facts.SPLITS[conversation.split].subjects]
    for fact in (f for f in conversation.facts if f.form == "discourse"):
        text = conversation.messages[fact.evidence].content
        assert isinstance(text, str) and fact.attribute.phrase in text
        assert not any(name in text for name in names)
        before = conversation.messages[fact.evidence - 12 : fact.evidence]
        named = [i for i, m in enumerate(before) if fact.subject.name in str(m.content)]
        assert named, "the subject is named within 6 exchanges before"
        # Nothing between the intro and the fact names another subject.
        between = before[named[-1] + 1 :]
        assert not any(name in str(m.content) for m in between for name in names)


def test_paraphrased_questions_share_no_qualifier_word_with_the_fact(
    conversation: _facts.Conversation,
) -> None:
    for fact in (f for f in conversation.facts if f.form == "paraphrase"):
        text = str(conversation.messages[fact.evidence].content)
        assert fact.subject.name in text
        assert _facts.words(fact.question) & _facts.words(fact.attribute.phrase) == set()
        assert fact.attribute.paraphrase in fact.question


def test_tool_result_facts_follow_their_call(conversation: _facts.Conversation) -> None:
    messages = conversation.messages
    for fact in (f for f in conversation.facts if f.form == "tool_result"):
        result = messages[fact.evidence]
        assert result.role is Role.TOOL and fact.value in str(result.content)
        calls = [m for m in messages[: fact.evidence] if m.tool_calls][-1]
        assert result.tool_call_id in {c.id for c in calls.tool_calls}


def test_assistant_facts_are_said_by_the_assistant(conversation: _facts.Conversation) -> None:
    for fact in (f for f in conversation.facts if f.form == "assistant"):
        message = conversation.messages[fact.evidence]
        assert message.role is Role.ASSISTANT and fact.value in str(message.content)


def test_every_tool_result_answers_a_call_made_before_it(
    conversation: _facts.Conversation,
) -> None:
    made: set[str] = set()
    for message in conversation.messages:
        made.update(c.id for c in message.tool_calls)
        if message.role is Role.TOOL:
            assert message.tool_call_id in made
