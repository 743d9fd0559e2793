"""Quality gate: the sample's scripted conversations, played through the real Desk."""

from __future__ import annotations

import pytest

from bot.settings import BotSettings
from evals.conversations_eval import format_conversations, run_conversations_eval
from evals.datasets import load_dataset
from evals.thresholds import check
from tests.conftest import QUIET

pytestmark = pytest.mark.eval


@pytest.fixture(scope="module")
def conversations_run(sample_kb):
    # The harness indexes the dataset itself, like `eval conversations`; the session KB's data
    # folder only lends it the embedding cache.
    bot = BotSettings(answer_backend="extractive")
    return run_conversations_eval(load_dataset("sample"), sample_kb.settings, bot, None, QUIET)


def test_sample_conversations_meet_their_thresholds(conversations_run) -> None:
    print(format_conversations(conversations_run))
    problems = check(conversations_run.result, section="sample:conversations")
    assert not problems, "conversation quality regression:\n" + "\n".join(problems)


def test_every_kind_of_conversation_is_covered(conversations_run) -> None:
    records = conversations_run.per_question
    assert {r["lang"] for r in records} == {"ko", "en"}
    assert {r["expect_outcome"] for r in records} == {"resolved", "escalated"}
    assert sum(r["turns_scripted"] > 1 for r in records) >= 6


def test_saying_it_did_not_work_after_an_answer_always_reaches_a_person(conversations_run) -> None:
    failed = [r for r in conversations_run.per_question if r["id"].endswith("-failed")]
    assert failed and all(r["outcome"] == "escalated" for r in failed)
