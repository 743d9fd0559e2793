"""The dashboard page's figures and charts, from :class:`bot.insights.analytics.Dashboard`."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from bot.insights.analytics import CHANNELS, Dashboard, Figures
from bot.insights.outcomes import OUTCOMES
from bot.tickets.records import PRIORITIES, STATUSES
from bot.web.admin.charts import bar_chart, line_chart, percent


@dataclass
class Kpi:
    """One headline figure: its test id, label and shown value."""

    key: str
    label: str
    value: str


def shown_ratio(value: float | None) -> str:
    """A ratio as a percentage, or a dash when there is nothing to divide."""
    return "–" if value is None else percent(value)


def kpis(f: Figures, t: dict[str, str]) -> list[Kpi]:
    """The headline cards."""
    breaches = sum(sum(kind.values()) for kind in f.sla_breaches.values())
    return [
        Kpi("conversations", t["adm_conversations"], str(f.conversations)),
        Kpi("deflection", t["adm_deflection"], shown_ratio(f.deflection)),
        Kpi("fcr-confirmed", t["adm_fcr_confirmed"], shown_ratio(f.fcr_confirmed)),
        Kpi("fcr-potential", t["adm_fcr_potential"], shown_ratio(f.fcr_potential)),
        Kpi("not-resolved", t["adm_not_resolved"], shown_ratio(f.not_resolved_rate)),
        Kpi("csat", t["adm_csat"], shown_ratio(f.csat)),
        Kpi("tickets", t["adm_tickets"], str(f.tickets)),
        Kpi("sla-breaches", t["adm_sla_breaches"], str(breaches)),
        Kpi("escalated", t["ana_escalated"], shown_ratio(f.escalated_rate)),
        Kpi(
            "sla-compliance", t["ana_sla_compliance"], shown_ratio(f.sla_compliance["both"]["rate"])
        ),
    ]


def charts(dash: Dashboard, t: dict[str, str]) -> dict[str, Markup]:
    """Every chart of the dashboard page, keyed by its id."""
    f = dash.overall
    weeks = list(dash.by_week)
    per_week = list(dash.by_week.values())
    sla = f.sla_breaches
    return {
        "chart-weekly-volume": line_chart(
            weeks,
            [
                (t["adm_conversations"], [w.conversations for w in per_week]),
                (t["adm_tickets"], [w.tickets for w in per_week]),
            ],
            "chart-weekly-volume",
            t["adm_chart_volume"],
        ),
        "chart-weekly-rates": line_chart(
            weeks,
            [
                (t["adm_deflection"], [w.deflection for w in per_week]),
                (t["adm_fcr_confirmed"], [w.fcr_confirmed for w in per_week]),
                (t["adm_fcr_potential"], [w.fcr_potential for w in per_week]),
                (t["adm_csat"], [w.csat for w in per_week]),
            ],
            "chart-weekly-rates",
            t["adm_chart_rates"],
            fmt=percent,
            ratio=True,
        ),
        "chart-outcomes": bar_chart(
            [(t[f"adm_outcome_{o}"], f.outcomes[o]) for o in OUTCOMES],
            "chart-outcomes",
            t["adm_chart_outcomes"],
        ),
        "chart-tickets-status": bar_chart(
            [(t[f"adm_status_{s}"], f.tickets_by_status.get(s, 0)) for s in STATUSES],
            "chart-tickets-status",
            t["adm_chart_status"],
        ),
        "chart-tickets-priority": bar_chart(
            [(p, f.tickets_by_priority.get(p, 0)) for p in PRIORITIES],
            "chart-tickets-priority",
            t["adm_chart_priority"],
        ),
        "chart-sla": bar_chart(
            [
                (t["adm_sla_response_open"], sla["open"]["response"]),
                (t["adm_sla_resolution_open"], sla["open"]["resolution"]),
                (t["adm_sla_response_closed"], sla["closed"]["response"]),
                (t["adm_sla_resolution_closed"], sla["closed"]["resolution"]),
            ],
            "chart-sla",
            t["adm_chart_sla"],
            colour="#b3261e",
        ),
        "chart-channels": bar_chart(
            [(c, dash.by_channel[c].conversations) for c in CHANNELS],
            "chart-channels",
            t["adm_chart_channels"],
        ),
    }
