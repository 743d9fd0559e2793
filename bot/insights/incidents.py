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
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
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
from bot.tickets.records import AuditEvent, TicketStore, utcnow

log = logging.getLogger(__name__)
ALERT_ACTION = "incident.alert"
ACTOR = "incident-monitor"
EXAMPLES = 3
EXAMPLE_CHARS = 200  # an example question as the dashboard shows it


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

    @classmethod
    def from_settings(cls, settings) -> IncidentRules:
        """The rules configured in ``BotSettings`` (``SERVICEDESK_INCIDENT_*``)."""
        return cls(
            settings.incident_window_min,
            settings.incident_threshold,
            settings.incident_similarity,
            settings.incident_min_users,
        )

    @property
    def window(self) -> timedelta:
        """The sliding window as a duration."""
        return timedelta(minutes=self.window_min)


@dataclass
class Asked:
    """One question seen by the monitor."""

    turn_id: int
    text: str
    user: str
    at: datetime
    article: str = ""  # the top retrieved article of its answer, when known


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


def recent_questions(store: TicketStore, since: datetime) -> list[Asked]:
    """Every employee question asked at/after ``since``, oldest first."""
    # A question may come late in a conversation started earlier: look back a day further.
    conversations = store.conversations(since=since - timedelta(days=1), limit=100_000)
    asked = []
    for conv in conversations:
        turns = conv.turns
        for i, turn in enumerate(turns):
            if turn.role != "user" or turn.created_at < since or not normalise_question(turn.text):
                continue
            reply = turns[i + 1].answer if i + 1 < len(turns) else None
            top = (reply or {}).get("retrieved") or [""]
            asked.append(Asked(turn.id, turn.text.strip(), conv.user, turn.created_at, str(top[0])))
    return sorted(asked, key=lambda a: (a.at, a.turn_id))


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

    def detect(self, now: datetime | None = None) -> list[Incident]:
        """The spikes in the window ending ``now`` (nothing is alerted)."""
        now = now or self.clock()
        asked = [a for a in recent_questions(self.store, now - self.rules.window) if a.at <= now]
        if len(asked) < self.rules.threshold:
            return []
        return detect(asked, self._embed([a.text for a in asked]), self.rules)

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
        """Check after a new question; never lets a failure reach the employee's answer."""
        try:
            self.check()
        except Exception:  # the answer matters more than the signal
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
