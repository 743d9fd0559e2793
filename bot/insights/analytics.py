"""The admin dashboard's figures, computed from the store's records (DESIGN.md §5).

Pure functions over lists of :class:`~bot.tickets.records.Conversation`,
:class:`~bot.tickets.records.Feedback` and :class:`~bot.tickets.records.Ticket`; nothing here
reads a database. Each conversation's live-FCR outcome (confirmed, potential, escalated,
returned, undetermined) comes from
:mod:`bot.insights.outcomes`, which documents the rules and what "same topic" means.

Deflection = conversations without a ticket / all conversations. FCR confirmed and potential =
their outcome's count / all conversations; not resolved = escalated + returned. CSAT = helpful /
(helpful + not_helpful) votes. SLA breaches count tickets whose response or resolution came (or
is still missing) after its due time, split by open and closed tickets. Escalated rate = escalated
conversations / all conversations; returned rate = conversations the employee came back on within
72 hours / all conversations (DESIGN.md's "reopened" conversation). Reopened rate = tickets
reopened at least once (``Ticket.reopened`` ≥ 1) / tickets. SLA compliance = targets met /
targets counted, for the first response, the resolution, and ``both`` (a ticket that met both);
:mod:`bot.tickets.sla` says when a target counts (open tickets only once due). Top declined
questions group assistant turns with decision ``declined`` by the normalised question before
them. Every figure is also given per channel (web, slack) and per ISO week (``2025-W07``):
conversations, declined questions and tickets by their ``created_at``, votes by theirs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from bot.insights.outcomes import OUTCOMES, classify, normalise_question
from bot.tickets.records import (
    OPEN_STATUSES,
    PRIORITIES,
    STATUSES,
    Conversation,
    Feedback,
    Ticket,
    utcnow,
)
from bot.tickets.sla import count_outcome, finish, no_compliance, sla_outcome

CHANNELS = ("web", "slack")


def iso_week(moment: datetime) -> str:
    """Return the ISO week of ``moment`` as ``YYYY-Www`` (weeks start on Monday)."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# -- facts: one small record per thing counted, so every subset is a filter ---------------------


@dataclass
class _Fact:
    channel: str
    week: str


@dataclass
class _ConvFact(_Fact):
    outcome: str


@dataclass
class _Declined(_Fact):
    key: str
    text: str
    at: datetime


@dataclass
class _Vote(_Fact):
    helpful: bool


@dataclass
class _TicketFact(_Fact):
    status: str
    priority: str
    is_open: bool
    response_breached: bool
    resolution_breached: bool
    reopened: bool
    response_met: bool | None = None  # None: not decided yet (missing and not due)
    resolution_met: bool | None = None
    both_met: bool | None = None


def _conversation_facts(
    conversations: list[Conversation], feedback: list[Feedback], tickets: list[Ticket], now
) -> list[_ConvFact]:
    outcomes = classify(conversations, feedback, tickets, now)
    return [
        _ConvFact(conv.channel, iso_week(conv.created_at), outcome)
        for conv, outcome in zip(conversations, outcomes, strict=True)
    ]


def _declined_facts(conversations: list[Conversation]) -> list[_Declined]:
    facts = []
    for conv in conversations:
        question = ""
        for turn in conv.turns:
            if turn.role == "user":
                question = turn.text
            elif turn.answer and turn.answer.get("decision") == "declined":
                text = question or str(turn.answer.get("query") or "")
                key = normalise_question(text)
                if key:
                    week = iso_week(turn.created_at)
                    facts.append(_Declined(conv.channel, week, key, text, turn.created_at))
    return facts


def _ticket_fact(ticket: Ticket, now: datetime) -> _TicketFact:
    return _TicketFact(
        ticket.channel,
        iso_week(ticket.created_at),
        ticket.status,
        ticket.priority,
        ticket.status in OPEN_STATUSES,
        ticket.response_breached(now),
        ticket.resolution_breached(now),
        ticket.reopened > 0,
        *sla_outcome(ticket, now),
    )


# -- figures -------------------------------------------------------------------------------------


@dataclass
class Figures:
    """Every dashboard figure over one slice (all, one channel or one week)."""

    conversations: int = 0
    deflected: int = 0
    deflection: float | None = None
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    fcr_confirmed: float | None = None
    fcr_potential: float | None = None
    not_resolved: int = 0
    not_resolved_rate: float | None = None
    votes_helpful: int = 0
    votes_not_helpful: int = 0
    csat: float | None = None
    tickets: int = 0
    tickets_by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    tickets_by_priority: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(PRIORITIES, 0)
    )
    tickets_reopened: int = 0
    sla_breaches: dict[str, dict[str, int]] = field(
        default_factory=lambda: {
            "open": {"response": 0, "resolution": 0},
            "closed": {"response": 0, "resolution": 0},
        }
    )
    top_declined: list[dict] = field(default_factory=list)
    escalated_rate: float | None = None
    returned_rate: float | None = None
    reopened_rate: float | None = None
    sla_compliance: dict[str, dict] = field(default_factory=no_compliance)


def figures(
    convs: Iterable[_ConvFact],
    votes: Iterable[_Vote],
    tickets: Iterable[_TicketFact],
    declined: Iterable[_Declined],
    top: int = 10,
) -> Figures:
    """Aggregate facts of one slice into its figures."""
    out = Figures()
    for conv in convs:
        out.conversations += 1
        out.outcomes[conv.outcome] += 1
    n = out.conversations
    out.deflected = n - out.outcomes["escalated"]
    out.deflection = _ratio(out.deflected, n)
    out.fcr_confirmed = _ratio(out.outcomes["confirmed"], n)
    out.fcr_potential = _ratio(out.outcomes["potential"], n)
    out.not_resolved = out.outcomes["escalated"] + out.outcomes["returned"]
    out.not_resolved_rate = _ratio(out.not_resolved, n)
    out.escalated_rate = _ratio(out.outcomes["escalated"], n)
    out.returned_rate = _ratio(out.outcomes["returned"], n)
    for vote in votes:
        if vote.helpful:
            out.votes_helpful += 1
        else:
            out.votes_not_helpful += 1
    out.csat = _ratio(out.votes_helpful, out.votes_helpful + out.votes_not_helpful)
    for t in tickets:
        out.tickets += 1
        out.tickets_by_status[t.status] = out.tickets_by_status.get(t.status, 0) + 1
        out.tickets_by_priority[t.priority] = out.tickets_by_priority.get(t.priority, 0) + 1
        out.tickets_reopened += t.reopened
        state = out.sla_breaches["open" if t.is_open else "closed"]
        state["response"] += t.response_breached
        state["resolution"] += t.resolution_breached
        count_outcome(out.sla_compliance, (t.response_met, t.resolution_met, t.both_met))
    out.reopened_rate = _ratio(out.tickets_reopened, out.tickets)
    finish(out.sla_compliance)
    out.top_declined = top_declined(declined, top)
    return out


def top_declined(declined: Iterable[_Declined], top: int = 10) -> list[dict]:
    """Group declined questions by normalised text: ``{question, count}``, most asked first."""
    counts: Counter[str] = Counter()
    latest: dict[str, _Declined] = {}
    for item in declined:
        counts[item.key] += 1
        if item.key not in latest or item.at >= latest[item.key].at:
            latest[item.key] = item  # the latest wording is the one shown
    example = {key: item.text.strip() for key, item in latest.items()}
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [{"question": example[key], "key": key, "count": count} for key, count in ranked]


@dataclass
class Dashboard:
    """All figures, overall, per channel and per ISO week (oldest week first)."""

    generated_at: datetime
    since: datetime | None
    overall: Figures
    by_channel: dict[str, Figures]
    by_week: dict[str, Figures]

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "generated_at": self.generated_at.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "overall": asdict(self.overall),
            "by_channel": {k: asdict(v) for k, v in self.by_channel.items()},
            "by_week": {k: asdict(v) for k, v in self.by_week.items()},
        }


def build_dashboard(
    conversations: list[Conversation],
    feedback: list[Feedback],
    tickets: list[Ticket],
    now: datetime | None = None,
    since: datetime | None = None,
    top: int = 10,
    channel: str | None = None,
) -> Dashboard:
    """Compute the dashboard over records created at or after ``since`` (all when None).

    With ``channel``, only that channel's records count (``by_channel`` holds it alone); an
    employee's come-back is still seen on either channel.
    """
    now = now or utcnow()

    def recent(moment: datetime) -> bool:
        return since is None or moment >= since

    # Come-backs are looked for among all conversations given, even ones before ``since``.
    conv_facts = _conversation_facts(conversations, feedback, tickets, now)
    conv_facts = [f for f, c in zip(conv_facts, conversations, strict=True) if recent(c.created_at)]
    in_range = [c for c in conversations if recent(c.created_at)]
    declined = _declined_facts(in_range)
    votes = [
        _Vote(f.channel, iso_week(f.created_at), f.kind == "helpful")
        for f in feedback
        if f.kind in ("helpful", "not_helpful") and recent(f.created_at)
    ]
    ticket_facts = [_ticket_fact(t, now) for t in tickets if recent(t.created_at)]

    if channel is not None:
        conv_facts, votes, ticket_facts, declined = (
            [f for f in facts if f.channel == channel]
            for facts in (conv_facts, votes, ticket_facts, declined)
        )

    def slice_of(keep: Callable[[_Fact], bool]) -> Figures:
        return figures(
            filter(keep, conv_facts),
            filter(keep, votes),
            filter(keep, ticket_facts),
            filter(keep, declined),
            top,
        )

    weeks = sorted({f.week for f in [*conv_facts, *votes, *ticket_facts, *declined]})
    return Dashboard(
        generated_at=now,
        since=since,
        overall=slice_of(lambda f: True),
        by_channel={
            ch: slice_of(lambda f, ch=ch: f.channel == ch)
            for ch in CHANNELS
            if channel in (None, ch)
        },
        by_week={wk: slice_of(lambda f, wk=wk: f.week == wk) for wk in weeks},
    )
