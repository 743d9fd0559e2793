"""The composition root: every settings class loaded and checked once (:class:`Config`), and every
component built from it (:class:`Services`).

Entry points (the commands in ``bot.cli``) call :func:`load_config` and :func:`build_services`
or one of the narrower builders below; tests pass fakes through ``build_services``' keyword
arguments. No library constructor reads the environment (only the alembic environment, an entry
point of its own, reads its database URL), and nothing connects at import time.
"""

from __future__ import annotations

import difflib
import fcntl
import logging
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dotenv import dotenv_values

from bot.desk.desk import Desk
from bot.insights.gaps import QuestionVectors, question_vectors
from bot.insights.incidents import IncidentMonitor, IncidentRules
from bot.library.library import Library
from bot.library.uploads import UploadLimits
from bot.observability import Metrics, Readiness
from bot.observability.observed import observed_desk, observed_escalation
from bot.observability.readiness import standard_readiness
from bot.settings import MIN_SECRET_BYTES, AppSettings, BotSettings, SlackSettings
from bot.store import SqlStore, open_store
from bot.tickets.casework import Casework
from bot.tickets.conversations import ConversationService
from bot.tickets.escalation import Escalation
from bot.tickets.notify import Notifiers
from bot.tickets.rate_limit import RateLimiter
from bot.tickets.records import TicketStore
from bot.tickets.throttle import SignInThrottle, sign_in_throttle
from bot.tickets.triage.suggestion import Triage
from bot.tickets.triage.triage import BackgroundTriage, build_triage
from evals.settings import EvalSettings
from ingest.sandbox import LoaderSandbox
from ingest.settings import IngestSettings
from llm_server.client import BoundedChatModel, ChatModel, OpenAIChatModel
from llm_server.settings import LLMSettings
from retrieval.embedding import TokenAwareEmbeddings
from retrieval.knowledge_base import KnowledgeBase
from retrieval.reranker import Reranker
from retrieval.retriever import HybridRetriever
from retrieval.settings import RetrievalSettings

PREFIX = "SERVICEDESK_"
log = logging.getLogger(__name__)
# Every settings class, by the name Config gives it. A SERVICEDESK_* variable none of them
# claims is refused: a misspelt name would otherwise be silently ignored.
SETTINGS = {
    "app": AppSettings,
    "bot": BotSettings,
    "retrieval": RetrievalSettings,
    "ingest": IngestSettings,
    "llm": LLMSettings,
    "slack": SlackSettings,
    "evals": EvalSettings,
}


class ConfigError(ValueError):
    """The configuration cannot be used; the message names what is wrong."""


@dataclass(frozen=True)
class Config:
    """Every settings class, loaded and validated once by :func:`load_config`."""

    app: AppSettings
    bot: BotSettings
    retrieval: RetrievalSettings
    ingest: IngestSettings
    llm: LLMSettings
    slack: SlackSettings
    evals: EvalSettings


def claimed_names() -> set[str]:
    """The environment variable names some settings class reads (upper case)."""
    names = set()
    for cls in SETTINGS.values():
        prefix = cls.model_config.get("env_prefix", "")
        names.update(f"{prefix}{field}".upper() for field in cls.model_fields)
    return names


def unclaimed(names: Iterable[str]) -> list[str]:
    """The ``SERVICEDESK_*`` names in ``names`` that no settings class reads, each with a close
    match when there is one ("SERVICEDESK_DECISON_THRESHOLD (did you mean ...?)")."""
    claimed = claimed_names()
    problems = []
    for name in sorted({n for n in names if n.upper().startswith(PREFIX)}):
        if name.upper() in claimed:
            continue
        close = difflib.get_close_matches(name.upper(), claimed, n=1, cutoff=0.8)
        problems.append(name + (f" (did you mean {close[0]}?)" if close else ""))
    return problems


def load_config(env_file: Path | None = Path(".env"), **overrides: dict) -> Config:
    """Load and validate every settings class once, from the environment and ``env_file``
    (None: no .env), with ``overrides`` per class (``bot={"answer_backend": "extractive"}``).

    Raises :class:`ConfigError` for an unknown ``SERVICEDESK_*`` variable or override, and
    pydantic's ``ValidationError`` for a bad value.
    """
    from_file = dotenv_values(env_file) if env_file and Path(env_file).is_file() else {}
    unknown = unclaimed([*os.environ, *from_file])
    if unknown:
        raise ConfigError(
            f"unknown setting {', '.join(unknown)}: no settings class reads it (a typo?)"
        )
    _check_overrides(overrides)
    loaded: dict = {}
    for key, cls in SETTINGS.items():  # "app" first: retrieval takes its data_dir
        values = dict(overrides.get(key, {}))
        if key == "retrieval":
            # Retrieval keeps a data_dir field of its own; the app's value is the one that counts.
            values["data_dir"] = loaded["app"].data_dir
        loaded[key] = cls(_env_file=env_file, **values)
    return Config(**loaded)


def _check_overrides(overrides: dict[str, dict]) -> None:
    """Raise :class:`ConfigError` for an override no settings class has."""
    for key, values in overrides.items():
        if key not in SETTINGS:
            raise ConfigError(f"no settings class is called {key!r}")
        wrong = sorted(set(values) - set(SETTINGS[key].model_fields))
        if wrong:
            raise ConfigError(f"the {key} settings have no {', '.join(wrong)}")


@dataclass(frozen=True)
class Services:
    """The desk's components, built once by :func:`build_services`; what every front end uses."""

    config: Config
    kb: KnowledgeBase
    retriever: HybridRetriever  # what search pages use (a Desk given to build_services may differ)
    desk: Desk
    store: TicketStore
    conversations: ConversationService
    casework: Casework
    escalation: Escalation
    incidents: IncidentMonitor | None  # None when the knowledge base has no embedder
    notifiers: Notifiers
    library: Library
    questions: QuestionVectors  # the knowledge gaps' question vectors, remembered between loads
    session_secret: str  # signs the web app's session cookies
    throttle: SignInThrottle  # failed sign-ins, per process or shared (limits_storage_url)
    limiter: RateLimiter  # asks and API calls per account or client address, counted likewise
    metrics: Metrics  # what /metrics serves: answers, LLM calls, tickets, requests (per app)
    readiness: Readiness  # what /readyz checks; the task queue adds its check here

    def close(self) -> None:
        """Close the store and the knowledge base; stop the library's reader process."""
        self.library.close()
        self.store.close()
        self.kb.close()


def build_services(
    config: Config,
    *,
    kb: KnowledgeBase | None = None,
    embedder: TokenAwareEmbeddings | None = None,
    chat: ChatModel | None = None,
    desk: Desk | None = None,
    store: TicketStore | None = None,
    triage: Triage | None = None,
    escalation: Escalation | None = None,
    notifiers: Notifiers | None = None,
    throttle: SignInThrottle | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Services:
    """Build every component from ``config``; a component given as an argument is used as it is
    (``embedder`` and ``chat`` replace the configured model inside the parts built here;
    ``clock`` stamps what the store and the incident monitor built here decide)."""
    # `is None` throughout: a component given may be falsy (an empty throttle has len() 0).
    if kb is None:
        kb = open_knowledge_base(config.retrieval, embedder)
    retriever = build_retriever(kb)
    metrics = Metrics(index_size=kb.catalog.counts)
    if desk is None:
        desk = observed_desk(_desk(retriever, config, chat), metrics)
    if store is None:
        store = _store(config, clock)
    if notifiers is None:
        notifiers = Notifiers()
    incidents = build_incident_monitor(store, kb, config.bot, clock)
    if escalation is None:
        escalation = observed_escalation(build_escalation(store, desk, config, triage), metrics)
    ingest = config.ingest.model_copy(update={"progress": False})
    return Services(
        config=config,
        kb=kb,
        retriever=retriever,
        desk=desk,
        store=store,
        conversations=ConversationService(desk, store),
        casework=Casework(store, notifiers),
        escalation=escalation,
        incidents=incidents,
        notifiers=notifiers,
        library=Library(
            kb,
            UploadLimits.from_mb(config.bot.max_upload_mb),
            ingest,
            sandbox=LoaderSandbox.from_settings(ingest),  # one reader process for the app's life
        ),
        questions=question_vectors(kb.embedder),
        session_secret=load_session_secret(config.bot, config.app.data_dir),
        throttle=sign_in_throttle(config.bot) if throttle is None else throttle,
        limiter=RateLimiter.from_settings(config.bot),
        metrics=metrics,
        readiness=build_readiness(config, store, desk, kb),
    )


def build_readiness(config: Config, store: TicketStore, desk: Desk, kb: KnowledgeBase) -> Readiness:
    """The checks /readyz runs: the store's database, Chroma, and the LLM when answers use it."""
    engine = getattr(store, "engine", None)  # SqlStore's; a store without one is not checked
    chat = desk.chat if config.bot.answer_backend == "llm" else None
    return standard_readiness(engine, kb.settings, chat, config.bot.readiness_timeout_s)


def _desk(retriever: HybridRetriever, config: Config, chat: ChatModel | None) -> Desk:
    """The Desk on ``retriever``; when answers use the LLM, ``chat`` or the configured model."""
    if config.bot.answer_backend != "llm":
        return Desk(retriever, config.bot)
    if chat is None:
        chat = build_chat_model(config.llm, config.bot)
    bounded = BoundedChatModel(chat, config.bot.max_concurrent_llm) if chat else None
    return Desk(retriever, config.bot, bounded)


def _store(config: Config, clock: Callable[[], datetime] | None) -> SqlStore:
    """The configured store, migrated to the newest schema, on ``clock`` when given."""
    store = open_store(config.bot, config.app.data_dir)
    if clock is not None:
        store.clock = clock
    return store


# -- the narrower builders (commands that need one part) ---------------------------------------


def open_knowledge_base(
    settings: RetrievalSettings, embedder: TokenAwareEmbeddings | None = None
) -> KnowledgeBase:
    """Open (creating if needed) the configured knowledge base."""
    return KnowledgeBase(settings, embedder=embedder)


def build_retriever(kb: KnowledgeBase) -> HybridRetriever:
    """Hybrid retriever over ``kb``, with the reranker if one is configured."""
    model = kb.settings.rerank_model
    return HybridRetriever(kb, reranker=Reranker(model) if model else None)


def build_chat_model(llm: LLMSettings, bot: BotSettings) -> OpenAIChatModel | None:
    """The LLM client, or ``None`` when answers are extractive by configuration."""
    if bot.answer_backend != "llm":
        return None
    # One HTTP request never outlives the answer deadline: the Desk falls back instead.
    timeout = min(llm.timeout_s, bot.answer_deadline_s)
    return OpenAIChatModel(llm.model_copy(update={"timeout_s": timeout}))


def build_desk(kb: KnowledgeBase, bot: BotSettings, llm: LLMSettings) -> Desk:
    """The Desk over ``kb`` with the configured answer backend."""
    return Desk(build_retriever(kb), bot, build_chat_model(llm, bot))


def build_escalation(
    store: TicketStore, desk: Desk, config: Config, triage: Triage | None = None
) -> Escalation:
    """Escalation with ``triage``, or the configured one trained in the background (its example
    vectors cached in the data folder); the Desk's LLM summarises when answers use it."""
    chat = desk.chat if config.bot.answer_backend == "llm" else None
    if triage is None:
        bot, data_dir = config.bot, config.app.data_dir
        triage = BackgroundTriage(lambda: build_triage(bot, chat, data_dir))
    return Escalation(store, triage, config.bot, chat=chat)


def build_incident_monitor(
    store: TicketStore,
    kb: KnowledgeBase,
    bot: BotSettings,
    clock: Callable[[], datetime] | None = None,
) -> IncidentMonitor | None:
    """Spikes of similar questions, grouped by the knowledge base's embedder (None without
    one); front ends add their alerters."""
    embedder = getattr(kb, "embedder", None)
    if embedder is None:
        return None
    rules = IncidentRules.from_settings(bot)
    if clock is None:
        return IncidentMonitor(store, embedder, rules)
    return IncidentMonitor(store, embedder, rules, clock=clock)


def load_session_secret(settings: BotSettings, data_dir: Path) -> str:
    """Return the configured secret, or the one kept in ``data_dir/session_secret`` (made once).

    A kept file that is empty or shorter than :data:`MIN_SECRET_BYTES` (a crash between create
    and write, a full disk, ``touch``) is never used as the key: it is replaced by a new one.
    """
    if settings.session_secret:
        return settings.session_secret
    path = Path(data_dir) / "session_secret"
    kept = _kept_secret(path)
    if kept is not None:
        return kept
    path.parent.mkdir(parents=True, exist_ok=True)
    # `serve` and `slack` may start together: one at a time decides, the other reads its secret.
    with open(path.with_name(".session_secret.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        kept = _kept_secret(path, warn=False)
        if kept is None:
            _write_secret(path, secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()


def _write_secret(path: Path, secret: str) -> None:
    """Put ``secret`` at ``path`` whole or not at all: a private temp file, fsync, rename."""
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    # Created with 0600 from the start: the secret is never readable by others, not even briefly.
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(secret)
            out.flush()
            os.fsync(out.fileno())  # on disk before it has the name: a crash leaves no empty key
        os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _kept_secret(path: Path, warn: bool = True) -> str | None:
    """The secret kept at ``path``, or None when there is none or it is too short to sign with."""
    if not path.exists():
        return None
    kept = path.read_text(encoding="utf-8").strip()
    if len(kept.encode()) >= MIN_SECRET_BYTES:
        return kept
    if warn:
        log.warning(
            "%s holds %d bytes, fewer than %d: replacing it with a new secret "
            "(everyone signs in again)",
            path,
            len(kept.encode()),
            MIN_SECRET_BYTES,
        )
    return None


def _fsync_dir(directory: Path) -> None:
    """Make a rename or link in ``directory`` durable (where the platform allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
