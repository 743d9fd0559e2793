"""The fine-tuned MiniLM member of the triage classifier, with the real shipped model.

Fine-tuning costs tens of seconds on two cores, so each recipe trains once in this file: QUICK
where learning is under test, the default recipe once (shared by the tests on the real examples)
and a one-step TINY recipe where only keeping and replacing weights is.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.settings import BotSettings
from bot.tickets.triage.classifier import ClassifierTriage
from bot.tickets.triage.examples import Example, load_examples
from bot.tickets.triage.finetune import FineTunedEncoder, FineTuneRecipe
from bot.tickets.triage.triage import build_triage

pytestmark = pytest.mark.integration

# Enough steps to learn three plain topics from a dozen examples each.
QUICK = FineTuneRecipe(epochs=8, batch_size=8)
# One step over every example, on short inputs: trained weights, not good ones.
TINY = FineTuneRecipe(epochs=1, batch_size=64, max_tokens=16)
TOPICS = {
    "printer": ["the printer on floor {} is jammed", "printer {} prints blank pages",
                "toner of printer {} is empty", "cannot print to printer {}"],
    "password": ["forgot my password for system {}", "password expired on account {}",
                 "reset my password please, user {}", "locked out after wrong password {}"],
    "wifi": ["wifi drops every {} minutes", "cannot join the wifi in room {}",
             "wireless network slow on floor {}", "no wifi signal in meeting room {}"],
}  # fmt: skip


def _topic_examples() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for label, patterns in TOPICS.items():
        for n in (3, 7, 12):
            texts += [p.format(n) for p in patterns]
            labels += [label] * len(patterns)
    return texts, labels


@pytest.fixture(scope="module")
def weights_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("finetuned")


@pytest.fixture(scope="module")
def encoder(weights_dir) -> FineTunedEncoder:
    """The QUICK training of this file, started over damaged weights left where it keeps its own
    (they must be trained again, not loaded)."""
    texts, labels = _topic_examples()
    damaged = FineTunedEncoder(QUICK, weights_dir)._cache_file(texts, labels)
    damaged.write_bytes(b"not a torch file")
    return FineTunedEncoder(QUICK, weights_dir).fit(texts, labels)


@pytest.fixture(scope="module")
def default_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("finetuned-default")


@pytest.fixture(scope="module")
def built_by_default(default_dir):
    """Triage as the default settings build it: the one training with the default recipe here
    (the member below, on the same examples and recipe, loads the weights it keeps)."""
    assert not list(default_dir.glob("triage-finetuned-*.pt"))
    settings = BotSettings(triage_finetune="minilm")
    return build_triage(settings, None, default_dir, embedders=())


def test_fine_tuned_encoder_learns_the_desks_categories(encoder) -> None:
    unseen = ["the printer next to the kitchen is out of paper", "I need a new password",
              "the office wifi keeps disconnecting"]  # fmt: skip
    chances = encoder.predict_proba(unseen)
    assert [encoder.classes_[int(row.argmax())] for row in chances] == [
        "printer", "password", "wifi"
    ]  # fmt: skip
    assert chances.shape == (3, 3)
    assert chances.sum(axis=1) == pytest.approx([1.0, 1.0, 1.0], abs=1e-5)


def test_trained_weights_are_kept_and_reused_without_training(encoder, weights_dir) -> None:
    kept = list(weights_dir.glob("triage-finetuned-*.pt"))
    assert len(kept) == 1
    texts, labels = _topic_examples()
    started = time.perf_counter()
    again = FineTunedEncoder(QUICK, weights_dir).fit(texts, labels)
    assert time.perf_counter() - started < 10  # loaded, not trained (training takes longer)
    probe = ["printer jammed again", "wifi is gone"]
    assert again.predict_proba(probe) == pytest.approx(encoder.predict_proba(probe), abs=1e-5)


def test_damaged_weights_are_trained_again(encoder, weights_dir) -> None:
    # The encoder fixture found damaged weights under its own name and trained over them.
    (kept,) = weights_dir.glob("triage-finetuned-*.pt")
    retrained = encoder
    assert retrained.classes_[int(retrained.predict_proba(["printer jammed"])[0].argmax())] == (
        "printer"
    )
    assert kept.stat().st_size > 1_000_000  # written again in full


def test_new_examples_replace_the_old_weights(weights_dir) -> None:
    texts, labels = _topic_examples()
    before = set(weights_dir.glob("triage-finetuned-*.pt"))
    FineTunedEncoder(TINY, weights_dir).fit(texts[:-1], labels[:-1])
    after = set(weights_dir.glob("triage-finetuned-*.pt"))
    assert len(after) == 1 and after != before


def test_the_fine_tuned_member_votes_on_english_only(built_by_default, default_dir) -> None:
    examples = load_examples(BotSettings().triage_examples)
    plain = ClassifierTriage(examples, {})
    tuned = ClassifierTriage(examples, {}, cache_dir=default_dir, finetune=FineTuneRecipe())
    assert tuned.finetuned is not None
    assert set(tuned.finetuned.classes_) == set(tuned.categories)
    korean = "회의실 프로젝터가 노트북과 연결이 안 됩니다"
    english = "The projector in the meeting room does not connect to my laptop"
    # LinearSVC's solver is not bit-for-bit repeatable: equal within 1e-4.
    assert tuned.scores(korean) == pytest.approx(plain.scores(korean), abs=1e-4)
    assert tuned.scores(english) != pytest.approx(plain.scores(english), abs=0.01)
    assert sum(tuned.scores(english).values()) == pytest.approx(1.0)


def test_too_few_english_examples_leave_the_member_out(tmp_path) -> None:
    examples = [
        Example(text=f"{word} 문제가 있어요", category=cat)
        for word, cat in [("프린터", "hardware"), ("비밀번호", "account")] * 15
    ]
    examples += [Example(text="printer broken", category="hardware")]  # fmt: skip
    triage = ClassifierTriage(examples, {}, cache_dir=tmp_path, finetune=FineTuneRecipe())
    assert triage.finetuned is None
    assert triage.suggest("비밀번호 문제가 있어요").category == "account"


def test_a_missing_model_leaves_triage_working_on_the_other_members(tmp_path) -> None:
    examples = load_examples(BotSettings().triage_examples)
    broken = FineTuneRecipe(model=str(tmp_path / "no-such-model"))
    triage = ClassifierTriage(examples, {}, cache_dir=tmp_path, finetune=broken)
    assert triage.finetuned is None
    assert triage.suggest("I forgot my password and my account is locked").category == "account"


def test_the_default_settings_fine_tune_and_keep_the_weights(built_by_default, default_dir) -> None:
    triage = built_by_default
    assert isinstance(triage, ClassifierTriage) and triage.finetuned is not None
    assert list(default_dir.glob("triage-finetuned-*.pt"))
    assert triage.suggest("Outlook won't send any emails").category == "collaboration"
    assert triage.suggest("Please install Visio on my PC").category == "software"
