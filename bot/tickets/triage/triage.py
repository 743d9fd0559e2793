"""Triage: which category, priority and assignment group a request belongs to.

Two backends behind one Protocol (``bot.tickets.triage.suggestion``): ``ClassifierTriage``
(``bot.tickets.triage.classifier``), trained at start-up on labelled examples, and
``LLMTriage``, which falls back to the classifier whenever the LLM is down or answers with
anything but the JSON it was asked for. Settings and folders are passed in, never read here.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from bot.settings import BotSettings
from bot.text.pii import mask_pii
from bot.tickets.records import PRIORITIES, Priority
from bot.tickets.triage.classifier import ClassifierTriage
from bot.tickets.triage.examples import ExamplesError, load_examples
from bot.tickets.triage.finetune import recipe_for
from bot.tickets.triage.suggestion import Triage, TriageSuggestion, group_for, rule_priority
from llm_server.client import ChatModel, LLMUnavailable
from prompts import PromptLibrary
from retrieval.embedders import TokenAwareEmbeddings, make_embedder

log = logging.getLogger(__name__)


class LLMTriage:
    """Triage by the LLM (``prompts/templates/triage.j2``); the fallback answers on any doubt."""

    def __init__(
        self,
        chat: ChatModel,
        prompts: PromptLibrary | None,
        categories: Sequence[str],
        fallback: Triage,
        groups: Mapping[str, str],
    ):
        self.chat = chat
        self.prompts = prompts or PromptLibrary()
        self.categories = list(categories)
        self.fallback = fallback
        self.groups = dict(groups)

    def suggest(self, text: str) -> TriageSuggestion:
        """The LLM's category and priority, or the fallback's when the LLM fails or strays."""
        try:
            if not self.chat.available():
                raise LLMUnavailable("not available")
            prompt = self.prompts.get("triage").render(
                text=mask_pii(text).text, categories=self.categories
            )
            reply = self.chat.complete([("user", prompt)], max_tokens=60)
            category, priority = parse_triage_reply(reply, self.categories)
        except (LLMUnavailable, ValueError) as err:
            log.info("LLM triage fell back to the classifier: %s", err)
            return self.fallback.suggest(text)
        scores = getattr(self.fallback, "scores", None)
        confidence = scores(text).get(category, 0.0) if callable(scores) else 0.0
        return TriageSuggestion(
            category=category,
            priority=rule_priority(text) or priority,
            group=group_for(category, self.groups),
            confidence=round(confidence, 3),
            source="llm",
        )


_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def parse_triage_reply(reply: str, categories: Sequence[str]) -> tuple[str, Priority]:
    """``(category, priority)`` from the model's JSON reply; ``ValueError`` on anything else.

    Only a code fence around the object is forgiven; prose, unknown categories or priorities
    are errors, so a confused model never routes a ticket.
    """
    text = reply.strip()
    fenced = _FENCE.match(text)
    data = json.loads(fenced.group(1) if fenced else text)  # JSONDecodeError is a ValueError
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    category = str(data.get("category", "")).strip().lower()
    known = {c.lower(): c for c in categories}
    if category not in known:
        raise ValueError(f"unknown category {data.get('category')!r}")
    priority = str(data.get("priority", "")).strip().upper()
    if priority not in PRIORITIES:
        raise ValueError(f"unknown priority {data.get('priority')!r}")
    return known[category], priority  # type: ignore[return-value]


def build_triage(
    settings: BotSettings,
    chat: ChatModel | None,
    cache_dir: Path | None,
    embedders: Sequence[TokenAwareEmbeddings] | None = None,
) -> Triage:
    """Build the configured triage: the LLM (classifier fallback) when a chat model is given and
    ``triage_backend`` allows it, else the classifier trained on ``triage_examples``.

    ``embedders`` default to ``settings.triage_embedders``; their vectors of the examples are
    cached under ``cache_dir`` (the retrieval data folder; None: not cached).
    """
    if settings.triage_backend == "llm" and chat is None:
        raise ValueError("triage_backend 'llm' needs an LLM (answer_backend is not llm)")
    if embedders is None:
        embedders = load_embedders(settings.triage_embedders)
    classifier = trained_classifier(
        settings.triage_examples,
        settings.assignment_groups,
        tuple(embedders),
        cache_dir,
        settings.triage_finetune,
    )
    if settings.triage_backend == "classifier" or chat is None:
        return classifier
    categories = list(settings.assignment_groups) or classifier.categories
    return LLMTriage(chat, PromptLibrary(), categories, classifier, settings.assignment_groups)


class BackgroundTriage:
    """A triage trained on a worker thread, so that start-up never waits for it; the first
    suggestion waits until training is done (seconds), later ones do not."""

    def __init__(self, build: Callable[[], Triage]) -> None:
        self._ready = threading.Event()
        self._triage: Triage | None = None
        self._error: BaseException | None = None
        threading.Thread(target=self._train, args=(build,), name="triage", daemon=True).start()

    def _train(self, build: Callable[[], Triage]) -> None:
        try:
            self._triage = build()
        except BaseException as err:  # reported on use: a ticket draft then falls back
            self._error = err
        finally:
            self._ready.set()

    def suggest(self, text: str) -> TriageSuggestion:
        """Suggest once training is done (raises what training raised)."""
        self._ready.wait()
        if self._triage is None:
            raise RuntimeError(f"triage could not be trained: {self._error}")
        return self._triage.suggest(text)


@lru_cache(maxsize=4)
def load_embedders(specs: str) -> tuple[TokenAwareEmbeddings, ...]:
    """The embedders named in a comma-separated list (loaded once); one that fails is left out."""
    loaded = []
    for spec in (s.strip() for s in specs.split(",")):
        if not spec:
            continue
        try:
            loaded.append(make_embedder(spec))
        except Exception as err:  # triage still works on TF-IDF alone; tickets never wait
            log.warning("triage embedder %s not loaded: %s", spec, err)
    return tuple(loaded)


def trained_classifier(
    path: Path,
    groups: Mapping[str, str],
    embedders: tuple[TokenAwareEmbeddings, ...] = (),
    cache_dir: Path | None = None,
    finetune: str = "",
) -> ClassifierTriage:
    """The classifier trained on the JSONL at ``path`` (trained once per file version);
    ``finetune`` names the encoder fine-tuned as one more member (empty: none)."""
    path = Path(path).resolve()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as err:
        raise ExamplesError(f"cannot read {path}: {err}") from err
    return _trained(path, mtime, tuple(sorted(groups.items())), embedders, cache_dir, finetune)


@lru_cache(maxsize=4)
def _trained(
    path: Path,
    mtime: int,
    groups: tuple[tuple[str, str], ...],
    embedders: tuple[TokenAwareEmbeddings, ...],
    cache_dir: Path | None,
    finetune: str,
) -> ClassifierTriage:
    del mtime  # part of the cache key only: an edited file is trained again
    return ClassifierTriage(
        load_examples(path), dict(groups), embedders, cache_dir, recipe_for(finetune)
    )
