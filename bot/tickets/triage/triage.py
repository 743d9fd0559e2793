"""Triage: which category, priority and assignment group a request belongs to.

Two backends behind one Protocol: ``ClassifierTriage`` (``bot.tickets.triage.classifier``), trained at
start-up on labelled examples, and ``LLMTriage``, which falls back to the classifier whenever the
LLM is down or answers with anything but the JSON it was asked for.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot.text.pii import mask_pii
from bot.settings import BotSettings
from bot.tickets.records import PRIORITIES, Priority
from llm_server.client import ChatModel, LLMUnavailable
from prompts import PromptLibrary

if TYPE_CHECKING:
    from bot.tickets.triage.classifier import ClassifierTriage
    from retrieval.embedders import TokenAwareEmbeddings

log = logging.getLogger(__name__)

DEFAULT_PRIORITY: Priority = "P3"
# Broad impact together with a failure means an outage: P1 whatever the classifier says.
# Scope words need a place or people with them: 전체 화면 (full screen) and "the whole screen"
# are one person's problem.
_PLACES = "office|company|floor|team|building|site|department|branch|plant|campus"
_WIDE = re.compile(
    r"전사|(?<![가-힣])(전|전체|모든)\s?(직원|사람|사용자|인원|임직원|PC|부서|팀원)|"
    r"(층|사무실|본사|지사|회사|건물|부서|팀|공장)\s?(전체|전부)|여러\s?(명|직원|사람|PC|대|부서)|"
    r"\b(everyone|everybody|nobody|no one|company[- ]wide)\b|"
    rf"\b(whole|entire)\s+(\w+\s+)?({_PLACES})\b|"
    r"\ball (staff|users|employees|pcs|printers|computers)\b|"
    r"\b(several|many|multiple) (pcs|people|users|machines|staff|colleagues)\b",
    re.IGNORECASE,
)
_FAILING = re.compile(
    r"안\s?[되돼됩]|불가|끊|멈|다운|장애|오프라인|반송|"
    r"\bdown\b|\boutage\b|\boffline\b|\bunavailable\b|\bcan'?t\b|\bcannot\b|\bfail|"
    r"\bbounc|\blost\b|\bencrypted\b",
    re.IGNORECASE,
)


class ExamplesError(ValueError):
    """The labelled examples could not be read or are not usable for training."""


@dataclass(frozen=True)
class Example:
    """One labelled request."""

    text: str
    category: str
    priority: Priority | None = None


@dataclass(frozen=True)
class TriageSuggestion:
    """Where a request should go, and how sure the suggestion is."""

    category: str
    priority: Priority
    group: str
    confidence: float  # the classifier's probability of the category (0 when unknown)
    source: str  # "llm" | "classifier" | "default"


class Triage(Protocol):
    """Suggests a category, priority and group for a request (the classifier or the LLM)."""

    def suggest(self, text: str) -> TriageSuggestion:
        """The suggestion for ``text``."""
        ...


def load_examples(path: Path) -> list[Example]:
    """Read a JSONL of ``{text, category[, priority]}``; raise ``ExamplesError`` on bad lines."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise ExamplesError(f"cannot read {path}: {err}") from err
    examples = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise ExamplesError(f"{path}:{number}: not JSON ({err.msg})") from err
        examples.append(_example(row, f"{path}:{number}"))
    if not examples:
        raise ExamplesError(f"{path}: no examples")
    return examples


def _example(row: object, where: str) -> Example:
    if not isinstance(row, dict):
        raise ExamplesError(f"{where}: expected an object with text and category")
    text, category, priority = row.get("text"), row.get("category"), row.get("priority")
    if not isinstance(text, str) or not text.strip():
        raise ExamplesError(f"{where}: 'text' must be a non-empty string")
    if not isinstance(category, str) or not category.strip():
        raise ExamplesError(f"{where}: 'category' must be a non-empty string")
    if priority is not None and priority not in PRIORITIES:
        raise ExamplesError(f"{where}: 'priority' must be one of {', '.join(PRIORITIES)}")
    return Example(text.strip(), category.strip(), priority)


def group_for(category: str, groups: Mapping[str, str]) -> str:
    """The assignment group of ``category`` (the ``other`` group when it has none)."""
    return groups.get(category) or groups.get("other", "")


def rule_priority(text: str) -> Priority | None:
    """P1 when the text reports a failure that hits many people; otherwise no opinion."""
    if _WIDE.search(text) and _FAILING.search(text):
        return "P1"
    return None


class LLMTriage:
    """Triage by the LLM (``prompts/templates/triage.j2``); the fallback answers on any doubt."""

    def __init__(
        self,
        chat: ChatModel,
        prompts: PromptLibrary | None,
        categories: Sequence[str],
        fallback: Triage,
        groups: Mapping[str, str] | None = None,
    ):
        self.chat = chat
        self.prompts = prompts or PromptLibrary()
        self.categories = list(categories)
        self.fallback = fallback
        self.groups = dict(groups if groups is not None else BotSettings().assignment_groups)

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
    chat: ChatModel | None = None,
    cache_dir: Path | None = None,
    embedders: Sequence[TokenAwareEmbeddings] | None = None,
) -> Triage:
    """The configured triage: the LLM (classifier fallback) when a chat model is given and
    ``triage_backend`` allows it, else the classifier trained on ``triage_examples``.

    ``embedders`` default to ``settings.triage_embedders``; their vectors of the examples are
    cached under ``cache_dir`` (default: the retrieval data folder).
    """
    if settings.triage_backend == "llm" and chat is None:
        raise ValueError("triage_backend 'llm' needs an LLM (answer_backend is not llm)")
    if cache_dir is None:
        from retrieval.settings import RetrievalSettings

        cache_dir = RetrievalSettings().data_dir
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
    from retrieval.embedders import make_embedder

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
    from bot.tickets.triage.classifier import ClassifierTriage
    from bot.tickets.triage.finetune import recipe_for

    del mtime  # part of the cache key only: an edited file is trained again
    return ClassifierTriage(
        load_examples(path), dict(groups), embedders, cache_dir, recipe_for(finetune)
    )


def __getattr__(name: str):
    # ``from bot.tickets.triage.triage import ClassifierTriage`` without a circular import at load time.
    if name == "ClassifierTriage":
        from bot.tickets.triage.classifier import ClassifierTriage

        return ClassifierTriage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
