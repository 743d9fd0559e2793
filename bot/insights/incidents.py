"""Incident signal: many similar questions in a short time usually mean something broke.

Within a sliding window (``incident_window_min``, default 15 minutes) the questions employees
asked are grouped by meaning exactly like knowledge gaps (:func:`bot.insights.gaps.cluster_vectors`:
average cosine similarity at least ``incident_similarity``). A group of at least
``incident_threshold`` questions (default 8) from at least ``incident_min_users`` distinct
employees (default 3) is an :class:`Incident`.

Alerts are deduplicated and persisted: each is an audit event ``incident.alert`` (the dashboard
shows those of the last window as a banner), and a group is not alerted again while it shares a
question with an alert of the last window, so a burst that goes on, or a second burst on the
same topic inside the window, raises one alert only. ``claim_event`` keeps two workers from
alerting the same burst twice. Alerters (the Slack operations channel) are called after that.

The title and examples (shown to admins on the dashboard, autoescaped) are masked again and
shortened: turns stored before masking covered secrets must not reach the audit log. Alerters
post counts and a link to the dashboard, never the questions (:mod:`bot.slack.incidents`).

The check runs on the worker's schedule (``bot.worker``, every ``incident_check_s``), never inside
an answer. It is incremental and bounded: :class:`QuestionWindow` reads only the questions stored
since its last read (with a short overlap for late commits) and keeps at most
``incident_max_questions`` of the window (the newest), and the clustering (quadratic in the
questions) is skipped when the window holds the same questions as at the last check.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np

from bot.insights.gaps import (
    DocumentEmbedder,
    by_centrality,
    cluster_vectors,
    question_vectors,
    suggest_title,
)
from bot.insights.outcomes import normalise_question
from bot.text.pii import mask_pii
from bot.tickets.records import AuditEvent, QuestionAsked, TicketStore, utcnow

log = logging.getLogger(__name__)
ALERT_ACTION = "incident.alert"
ACTOR = "incident-monitor"
EXAMPLES = 3
EXAMPLE_CHARS = 200  # an example question as the dashboard shows it
# Re-read this far back at each check: a question whose transaction committed late still counts.
OVERLAP = timedelta(minutes=2)
MAX_QUESTIONS = 2000


def _shown(question: str) -> str:
    """A question as the dashboard may show it: masked, on one line, shortened."""
    text = " ".join(mask_pii(question[: EXAMPLE_CHARS * 4]).text.split())
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"


@dataclass
class IncidentRules:
    """When similar questions count as an incident."""

    window_min: float = 15.0
    threshold: int = 8
    similarity: float = 0.86
    min_users: int = 3
    max_questions: int = MAX_QUESTIONS  # the newest of the window clustered, at most

    @classmethod
    def from_settings(cls, settings) -> IncidentRules:
        """The rules configured in ``BotSettings`` (``SERVICEDESK_INCIDENT_*``)."""
        return cls(
            settings.incident_window_min,
            settings.incident_threshold,
            settings.incident_similarity,
            settings.incident_min_users,
            settings.incident_max_questions,
        )

    @property
    def window(self) -> timedelta:
        """The sliding window as a duration."""
        return timedelta(minutes=self.window_min)


Asked = QuestionAsked  # one question seen by the monitor


@dataclass
class Incident:
    """A spike of similar questions."""

    title: str
    count: int
    users: int
    first_seen: datetime
    last_seen: datetime
    examples: list[str]
    turn_ids: list[int] = field(default_factory=list)
    article: str = ""
    alerted_at: datetime | None = None

    def to_dict(self) -> dict:
        """JSON-ready form."""
        data = asdict(self)
        for key in ("first_seen", "last_seen", "alerted_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_event(cls, event: AuditEvent) -> Incident:
        """The incident an ``incident.alert`` audit event records."""
        d = event.detail
        return cls(
            title=event.target,
            count=int(d.get("count", 0)),
            users=int(d.get("users", 0)),
            first_seen=datetime.fromisoformat(d["first_seen"]),
            last_seen=datetime.fromisoformat(d["last_seen"]),
            examples=list(d.get("examples", [])),
            turn_ids=[int(i) for i in d.get("turn_ids", [])],
            article=str(d.get("article", "")),
            alerted_at=event.created_at,
        )


Alerter = Callable[[Incident], None]


class QuestionWindow:
    """The questions of a sliding window, read from the store incrementally and bounded.

    Each read fetches only what was stored since the previous one (``OVERLAP`` earlier, for
    transactions that committed late), forgets what left the window, and keeps the newest
    ``limit`` questions. A window that starts before what is kept is read again whole.
    """

    def __init__(self, store: TicketStore, limit: int = MAX_QUESTIONS):
        self.store = store
        self.limit = limit
        self._asked: dict[int, Asked] = {}
        self._since: datetime | None = None  # what is kept covers [since, read_to]
        self._read_to: datetime | None = None

    def read(self, since: datetime, until: datetime) -> list[Asked]:
        """The questions asked in [``since``, ``until``], oldest first (at most ``limit``)."""
        if self._since is None or self._read_to is None or since < self._since:
            self._asked, start = {}, since
        else:
            start = max(since, min(until, self._read_to) - OVERLAP)
        for asked in self.store.questions_since(start, self.limit):
            if normalise_question(asked.text):
                self._asked[asked.turn_id] = asked
        kept = sorted((a for a in self._asked.values() if a.at >= since), key=_order)
        self._asked = {a.turn_id: a for a in kept[-self.limit :]}
        self._since, self._read_to = since, max(until, self._read_to or until)
        return [a for a in self._asked.values() if a.at <= until]


def _order(asked: Asked) -> tuple[datetime, int]:
    return asked.at, asked.turn_id


def detect(asked: list[Asked], vectors: np.ndarray, rules: IncidentRules) -> list[Incident]:
    """Return the groups of ``asked`` (one vector each) large and widespread enough."""
    found = []
    for members in cluster_vectors(vectors, rules.similarity):
        group = [asked[i] for i in members]
        users = {a.user for a in group}
        if len(group) < rules.threshold or len(users) < rules.min_users:
            continue
        ranked = [asked[i] for i in by_centrality(vectors, members)]
        articles = [a.article for a in group if a.article]
        found.append(
            Incident(
                title=suggest_title(_shown(ranked[0].text)),
                count=len(group),
                users=len(users),
                first_seen=min(a.at for a in group),
                last_seen=max(a.at for a in group),
                examples=list(dict.fromkeys(_shown(a.text) for a in ranked))[:EXAMPLES],
                turn_ids=sorted(a.turn_id for a in group),
                article=max(set(articles), key=articles.count) if articles else "",
            )
        )
    return found


class IncidentMonitor:
    """Watches the questions for spikes and raises each alert once (see the module docstring)."""

    def __init__(
        self,
        store: TicketStore,
        embedder: DocumentEmbedder,
        rules: IncidentRules | None = None,
        alerters: list[Alerter] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.store = store
        self.embedder = embedder
        self.rules = rules or IncidentRules()
        self.alerters: list[Alerter] = list(alerters or [])
        self.clock = clock
        self._vectors = question_vectors(embedder)  # remembers the questions of the window
        self._window = QuestionWindow(store, self.rules.max_questions)
        self._lock = threading.Lock()  # the worker and the dashboard may check at once
        self._last: tuple[tuple, list[Incident]] = ((), [])  # the last clustering and its input

    def detect(self, now: datetime | None = None) -> list[Incident]:
        """The spikes in the window ending ``now`` (nothing is alerted)."""
        now = now or self.clock()
        with self._lock:
            asked = self._window.read(now - self.rules.window, now)
            if len(asked) < self.rules.threshold:
                return []
            seen = tuple((a.turn_id, a.article) for a in asked)
            if seen != self._last[0]:  # new questions (or answers): cluster again
                found = detect(asked, self._embed([a.text for a in asked]), self.rules)
                self._last = (seen, found)
            return [replace(incident) for incident in self._last[1]]

    def check(self, now: datetime | None = None) -> list[Incident]:
        """Detect spikes and alert the new ones; return the incidents alerted now."""
        now = now or self.clock()
        found = self.detect(now)
        if not found:
            return []  # the common case: no audit read on every question
        alerted = self.active(now)
        raised = []
        for incident in found:
            if any(set(incident.turn_ids) & set(a.turn_ids) for a in alerted):
                continue  # the same burst (or its topic again) within the window
            if not self.store.claim_event(f"{ALERT_ACTION}:{incident.turn_ids[0]}"):
                continue  # another worker alerted it
            incident.alerted_at = now
            self._record(incident)
            alerted.append(incident)
            raised.append(incident)
            self._send(incident)
        return raised

    def observe(self) -> None:
        """Check now (the worker's periodic job, the dashboard); a failure is logged, never
        raised."""
        try:
            self.check()
        except Exception:  # a signal that fails must not fail its caller
            log.exception("incident check failed")

    def active(self, now: datetime | None = None) -> list[Incident]:
        """The incidents alerted within the last window, newest first."""
        now = now or self.clock()
        since = now - self.rules.window
        events = [
            e
            for e in self.store.audit_events(1000)
            if e.action == ALERT_ACTION and since <= e.created_at <= now + timedelta(seconds=1)
        ]
        return [Incident.from_event(e) for e in sorted(events, key=lambda e: -e.id)]

    def _record(self, incident: Incident) -> None:
        detail = incident.to_dict()
        detail.pop("title")
        detail.pop("alerted_at")
        self.store.audit(
            AuditEvent(ACTOR, ALERT_ACTION, incident.title, detail, created_at=incident.alerted_at)
        )

    def _send(self, incident: Incident) -> None:
        for alerter in self.alerters:
            try:
                alerter(incident)
            except Exception:  # one failing channel must not silence the others
                log.exception("incident alert to %r failed", alerter)

    def _embed(self, texts: list[str]) -> np.ndarray:
        return self._vectors(texts)
