"""SLA compliance: whether a ticket's first response and resolution met their due times.

A target is *decided* once it is met (the response or resolution came by its due time) or missed
(it came late, or is still missing after the due time); a target still missing before its due
time is not decided and not counted, so open tickets count only once due. A breach is final: a
late response never turns into a met one. As with
:meth:`bot.tickets.records.Ticket.response_breached`, a ticket resolved without any agent reply
misses its response target once that is due.
``both`` is met when both targets were met and missed when either was missed.
"""

from __future__ import annotations

from datetime import datetime

from bot.tickets.records import Ticket

TARGETS = ("response", "resolution", "both")

Outcome = tuple[bool | None, bool | None, bool | None]


def sla_outcome(ticket: Ticket, now: datetime) -> Outcome:
    """Return whether the response, the resolution and both met their targets (None: undecided)."""
    response = resolution = None
    if ticket.response_breached(now):
        response = False
    elif ticket.first_response_at is not None:
        response = True
    if ticket.resolution_breached(now):
        resolution = False
    elif ticket.resolved_at is not None or ticket.closed_at is not None:
        resolution = True
    both = None
    if response is False or resolution is False:
        both = False
    elif response and resolution:
        both = True
    return response, resolution, both


def no_compliance() -> dict[str, dict]:
    """Compliance counters of an empty slice: ``{target: {counted, met, rate}}``."""
    return {key: {"counted": 0, "met": 0, "rate": None} for key in TARGETS}


def count_outcome(compliance: dict[str, dict], outcome: Outcome) -> None:
    """Add one ticket's decided targets to ``compliance`` (rates are set by :func:`finish`)."""
    for key, met in zip(TARGETS, outcome, strict=True):
        if met is not None:
            compliance[key]["counted"] += 1
            compliance[key]["met"] += met


def finish(compliance: dict[str, dict]) -> None:
    """Set each target's rate: met / counted (None when nothing was counted)."""
    for target in compliance.values():
        counted = target["counted"]
        target["rate"] = round(target["met"] / counted, 4) if counted else None
