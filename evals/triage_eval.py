"""`servicedesk eval triage`: stratified k-fold cross-validation of the triage classifier.

Each fold trains on the other k-1 folds and predicts the held-out one, so every example is
predicted exactly once by a model that never saw it. The majority class of each training fold
is the baseline the classifier has to beat.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.settings import TRIAGE_EXAMPLES, BotSettings
from bot.tickets.triage.classifier import ClassifierTriage, MemoEmbeddings
from bot.tickets.triage.examples import Example, ExamplesError, load_examples
from bot.tickets.triage.finetune import FineTuneRecipe, recipe_for
from bot.tickets.triage.suggestion import Triage
from bot.tickets.triage.triage import LLMTriage, load_embedders
from evals.datasets import search_dirs
from llm_server.client import ChatModel
from retrieval.embedders import TokenAwareEmbeddings

# Builds the triage under test from a training fold (the LLM backend wraps the classifier).
TriageFactory = Callable[[Sequence[Example]], Triage]


@dataclass
class TriageRun:
    """Everything measured in one ``eval triage``."""

    result: dict
    per_question: list[dict]


def resolve_triage_dataset(name_or_path: str, extra: Sequence[Path] = ()) -> tuple[str, Path]:
    """``(name, file)``: a JSONL path, a folder holding ``tickets.jsonl``, ``sample`` (the
    project's own examples) or a dataset name under the eval search folders (``extra``: more of
    them)."""
    if name_or_path == "sample":
        return "sample", TRIAGE_EXAMPLES
    path = Path(name_or_path)
    if path.is_file():
        same = path.resolve() == TRIAGE_EXAMPLES.resolve()
        return (
            "sample" if same else path.parent.name if path.stem == "tickets" else path.stem
        ), path
    for folder in [path, *(d / name_or_path for d in search_dirs(extra))]:
        if (folder / "tickets.jsonl").is_file():
            return folder.name, folder / "tickets.jsonl"
    raise ExamplesError(f"triage dataset {name_or_path!r} not found (a JSONL file or a name)")


def classifier_factory(
    examples: Sequence[Example],
    embedders: Sequence[TokenAwareEmbeddings] = (),
    cache: Path | None = None,
    finetune: FineTuneRecipe | None = None,
) -> TriageFactory:
    """Train a ``ClassifierTriage`` per fold; every text is embedded once for all folds (the
    fine-tuned member, if any, is trained per fold and never cached: folds differ)."""
    memos = [MemoEmbeddings(e) for e in embedders]
    for memo in memos:
        memo.warm([e.text for e in examples], cache)
    return lambda train: ClassifierTriage(train, groups={}, embedders=memos, finetune=finetune)


def _folds(labels: list[str], k: int, seed: int = 0) -> list[list[int]]:
    from sklearn.model_selection import StratifiedKFold

    smallest = min(Counter(labels).values())
    if k < 2 or k > smallest:
        raise ExamplesError(
            f"--folds {k} needs 2..{smallest} (the rarest category has {smallest} examples)"
        )
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return [list(test) for _, test in splitter.split(labels, labels)]


def run_triage_eval(
    examples: Sequence[Example],
    name: str,
    folds: int = 5,
    factory: TriageFactory | None = None,
    backend: str = "classifier",
    seed: int = 0,
) -> TriageRun:
    """Cross-validate triage on ``examples``: accuracy, macro-F1, per category, vs majority."""
    factory = factory or classifier_factory(examples)
    labels = [e.category for e in examples]
    predicted: list[str] = [""] * len(examples)
    priorities: list[str | None] = [None] * len(examples)
    baseline: list[str] = [""] * len(examples)
    train_s = predict_s = 0.0
    for test in _folds(labels, folds, seed):
        held = set(test)
        train = [e for i, e in enumerate(examples) if i not in held]
        started = time.perf_counter()
        triage = factory(train)
        train_s += time.perf_counter() - started
        started = time.perf_counter()
        suggestions = _suggest_all(triage, [examples[i].text for i in test])
        predict_s += time.perf_counter() - started
        majority = Counter(e.category for e in train).most_common(1)[0][0]
        for i, s in zip(test, suggestions, strict=True):
            predicted[i], priorities[i], baseline[i] = s.category, s.priority, majority
    result = {
        "kind": "triage",
        "dataset": name,
        "backend": backend,
        "examples": len(examples),
        "folds": folds,
        **scores(labels, predicted),
        "baseline": {"label": Counter(baseline).most_common(1)[0][0], **scores(labels, baseline)},
        "priority": _priority_scores(examples, priorities),
        "train_seconds_per_fold": round(train_s / folds, 3),
        "predict_ms_per_text": round(1000 * predict_s / len(examples), 2),
    }
    per = [
        {"text": e.text[:200], "category": e.category, "predicted": p, "priority": e.priority,
         "predicted_priority": q}
        for e, p, q in zip(examples, predicted, priorities, strict=True)
    ]  # fmt: skip
    return TriageRun(result, per)


def _suggest_all(triage: Triage, texts: list[str]):
    many = getattr(triage, "suggest_many", None)
    return many(texts) if callable(many) else [triage.suggest(t) for t in texts]


def scores(gold: list[str], predicted: list[str]) -> dict:
    """Accuracy, macro-F1 and per-category precision/recall/F1 over the gold categories."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    categories = sorted(set(gold))
    p, r, f, n = precision_recall_fscore_support(
        gold, predicted, labels=categories, zero_division=0
    )
    macro = f1_score(gold, predicted, labels=categories, average="macro", zero_division=0)
    per_category = {
        c: {"precision": round(float(p[i]), 3), "recall": round(float(r[i]), 3),
            "f1": round(float(f[i]), 3), "support": int(n[i])}
        for i, c in enumerate(categories)
    }  # fmt: skip
    return {
        "accuracy": round(float(accuracy_score(gold, predicted)), 4),
        "macro_f1": round(float(macro), 4),
        "per_category": per_category,
    }


def _priority_scores(examples: Sequence[Example], predicted: list[str | None]) -> dict | None:
    """Priority accuracy where the examples carry one (None when none do)."""
    pairs = [(e.priority, p) for e, p in zip(examples, predicted, strict=True) if e.priority]
    if not pairs:
        return None
    gold = [g for g, _ in pairs]
    majority = Counter(gold).most_common(1)[0][0]
    near = sum(abs(int(g[1]) - int((p or "P9")[1])) <= 1 for g, p in pairs)
    return {
        "accuracy": round(sum(g == p for g, p in pairs) / len(pairs), 4),
        "within_one": round(near / len(pairs), 4),
        "baseline_accuracy": round(gold.count(majority) / len(gold), 4),
    }


def load_triage_dataset(name_or_path: str, extra: Sequence[Path] = ()) -> tuple[str, list[Example]]:
    """The dataset's name and examples; ``ExamplesError`` with the reason when unusable."""
    name, path = resolve_triage_dataset(name_or_path, extra)
    return name, load_examples(path)


def format_triage(result: dict) -> str:
    """A readable report: headline, baseline, priority, then one line per category."""
    base = result["baseline"]
    lines = [
        f"dataset {result['dataset']}: {result['examples']} examples, "
        f"{len(result['per_category'])} categories, {result['folds']}-fold CV, "
        f"backend {result['backend']}",
        f"accuracy {result['accuracy']:.3f}  macro-F1 {result['macro_f1']:.3f}",
        f"majority baseline ({base['label']}): accuracy {base['accuracy']:.3f}  "
        f"macro-F1 {base['macro_f1']:.3f}",
    ]
    if result["priority"]:
        pr = result["priority"]
        lines.append(
            f"priority accuracy {pr['accuracy']:.3f} (within one level {pr['within_one']:.3f}; "
            f"majority {pr['baseline_accuracy']:.3f})"
        )
    embedded = f", embeddings {result['embed_seconds']} s" if "embed_seconds" in result else ""
    lines.append(
        f"train {result['train_seconds_per_fold']:.2f} s per fold, "
        f"predict {result['predict_ms_per_text']:.2f} ms per text{embedded}"
    )
    lines.append("category                 precision  recall    F1  support")
    for category, row in result["per_category"].items():
        lines.append(
            f"  {category:<22} {row['precision']:>8.3f} {row['recall']:>7.3f} "
            f"{row['f1']:>5.3f} {row['support']:>8}"
        )
    return "\n".join(lines)


def run_cli_eval(
    name: str,
    examples: Sequence[Example],
    folds: int,
    backend: str,
    settings: BotSettings,
    cache: Path,
    chat: ChatModel | None = None,
    embedder_specs: str | None = None,
    finetune: str | None = None,
) -> TriageRun:
    """``eval triage`` as configured: the classifier (or ``chat`` over it) with ``settings``'
    embedders and fine-tuned encoder unless ``embedder_specs`` / ``finetune`` name others
    (empty: none), the example vectors cached in ``cache``; ``ExamplesError`` for a bad
    option."""
    if backend not in ("classifier", "llm"):
        raise ExamplesError(f"unknown backend {backend!r}: use classifier or llm")
    specs = settings.triage_embedders if embedder_specs is None else embedder_specs
    embedders = load_embedders(specs)
    model = settings.triage_finetune if finetune is None else finetune
    recipe = recipe_for(model)
    started = time.perf_counter()
    factory = classifier_factory(examples, embedders, cache, recipe)
    embed_s = time.perf_counter() - started
    tuned = [f"{model} fine-tuned"] if model else []
    label = "+".join(["tfidf", *(e.name for e in embedders), *tuned])
    if backend == "llm":
        factory = _llm_factory(factory, sorted({e.category for e in examples}), chat)
        label = f"llm over {label}"
    run = run_triage_eval(examples, name, folds, factory, backend=label)
    run.result["embed_seconds"] = round(embed_s, 1)  # every text once (cached on disk)
    return run


def _llm_factory(
    classifier: TriageFactory, categories: list[str], chat: ChatModel | None
) -> TriageFactory:
    if chat is None or not chat.available():
        raise ExamplesError("no LLM answers: start it with `servicedesk llm serve`")
    return lambda train: LLMTriage(chat, None, categories, classifier(train), groups={})
