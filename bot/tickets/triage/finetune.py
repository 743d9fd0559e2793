"""A sentence encoder fine-tuned on the triage examples: a member of the triage classifier.

Frozen sentence vectors describe what a text is about in general; the labels of a service
desk are its own (one desk files a broken notebook under "Database"). Fine-tuning the shipped
English MiniLM for a few epochs learns them: on ../shared/eval/it_tickets_en it is the best
single member (macro-F1 0.737 against 0.728 for TF-IDF, 5-fold CV), and it lifts the
ensemble by about two points. It is English-only, so it votes on Latin-script texts only and
learns from those (a Korean text would reach it as unknown tokens).

Training costs about a minute per thousand examples per epoch on 2 CPU cores, so the trained
weights are kept on disk, keyed by the examples and the recipe: a restart does not train again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from retrieval.embedders import sentence_model_path

log = logging.getLogger(__name__)

# Fewer Latin-script examples than this, or fewer per category than _MIN_PER_CATEGORY: the
# member stays out (a handful of steps learns nothing but noise).
MIN_EXAMPLES = 20
_MIN_PER_CATEGORY = 2


@dataclass(frozen=True)
class FineTuneRecipe:
    """How the encoder is fine-tuned (measured on it_tickets_en; see the module docstring)."""

    model: str = "minilm"  # "minilm": the MiniLM shipped on PyPI; else a local path or name
    epochs: int = 3
    max_tokens: int = 64  # the subject and first lines carry the category
    learning_rate: float = 1e-4
    batch_size: int = 16
    label_smoothing: float = 0.1  # the labels of real desks are noisy
    seed: int = 0


def recipe_for(model: str) -> FineTuneRecipe | None:
    """The default recipe fine-tuning ``model`` (a setting's value); None when it is empty."""
    return FineTuneRecipe(model=model) if model else None


class FineTunedEncoder:
    """Mean-pooled transformer plus a linear layer, fine-tuned end to end; sklearn-like."""

    def __init__(self, recipe: FineTuneRecipe, cache_dir: Path | None = None) -> None:
        self.recipe = recipe
        self.cache_dir = cache_dir
        self.classes_: list[str] = []
        self._net = None
        self._tokenizer = None

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> FineTunedEncoder:
        """Fine-tune on ``texts`` (or load the weights trained before on the same ones)."""
        import torch

        self.classes_ = sorted(set(labels))
        self._build()
        cached = self._cache_file(texts, labels)
        if cached is not None and cached.is_file():
            try:
                self._net.load_state_dict(torch.load(cached, map_location="cpu", weights_only=True))
                self._net.eval()
                return self
            except Exception as err:  # damaged or foreign (unpickling fails many ways): retrain
                log.warning("fine-tuned triage weights at %s unusable: %s", cached, err)
        self._train(list(texts), [self.classes_.index(label) for label in labels])
        if cached is not None:
            self._save(cached)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities of ``classes_`` for each text."""
        import torch

        out = []
        with torch.inference_mode():
            for i in range(0, len(texts), 32):
                logits = self._net(self._encode(list(texts[i : i + 32])))
                out.append(torch.softmax(logits, dim=-1).numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.classes_)))

    def _build(self) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        torch.manual_seed(self.recipe.seed)
        path = sentence_model_path(self.recipe.model)
        self._tokenizer = AutoTokenizer.from_pretrained(path)
        encoder = AutoModel.from_pretrained(path)
        self._net = _classifier(encoder, len(self.classes_))

    def _encode(self, texts: list[str]):
        return self._tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.recipe.max_tokens,
            return_tensors="pt",
        )

    def _train(self, texts: list[str], targets: list[int]) -> None:
        import torch

        recipe = self.recipe
        net = self._net
        optimiser = torch.optim.AdamW(net.parameters(), lr=recipe.learning_rate, weight_decay=0.01)
        steps = recipe.epochs * -(-len(texts) // recipe.batch_size)
        warmup = max(1, steps // 10)
        # Linear warm-up then linear decay: the usual recipe for fine-tuning BERT-like encoders.
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / steps)
        )
        rng = np.random.default_rng(recipe.seed)
        y = np.asarray(targets)
        net.train()
        for _ in range(recipe.epochs):
            order = rng.permutation(len(texts))
            for start in range(0, len(texts), recipe.batch_size):
                idx = order[start : start + recipe.batch_size]
                logits = net(self._encode([texts[i] for i in idx]))
                loss = torch.nn.functional.cross_entropy(
                    logits, torch.as_tensor(y[idx]), label_smoothing=recipe.label_smoothing
                )
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                schedule.step()
        net.eval()

    def _cache_file(self, texts: Sequence[str], labels: Sequence[str]) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(
            json.dumps(
                [
                    asdict(self.recipe),
                    sentence_model_path(self.recipe.model),
                    list(texts),
                    list(labels),
                ],
                ensure_ascii=False,
            ).encode()
        ).hexdigest()[:16]
        return self.cache_dir / f"triage-finetuned-{digest}.pt"

    def _save(self, path: Path) -> None:
        import torch

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".part")
            torch.save(self._net.state_dict(), partial)
            partial.replace(path)
            # One set of weights is enough: older ones were for examples that changed.
            for old in path.parent.glob("triage-finetuned-*.pt"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError as err:  # a full or read-only disk only costs training at next start
            log.warning("fine-tuned triage weights not kept at %s: %s", path, err)


def _classifier(encoder, classes: int):
    """The encoder, mean pooling over real tokens, and a linear layer (torch imported late)."""
    import torch

    class Classifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.head = torch.nn.Linear(encoder.config.hidden_size, classes)

        def forward(self, batch):
            hidden = self.encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(pooled)

    return Classifier()


def trainable(labels: Sequence[str]) -> bool:
    """Whether Latin-script examples with these ``labels`` are enough to fine-tune on."""
    counts = Counter(labels)
    return (
        len(labels) >= MIN_EXAMPLES
        and len(counts) >= 2
        and min(counts.values()) >= _MIN_PER_CATEGORY
    )
