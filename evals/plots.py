"""The eval report's figures, drawn with matplotlib's Agg backend and returned as data: URIs."""

from __future__ import annotations

import base64
import io


def _pyplot():
    # Agg draws without a display; selected here so importing this module changes nothing.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _data_uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    _pyplot().close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def threshold_plot(runs: list[tuple[str, dict]]) -> str | None:
    """FCR (solid) and escalation recall (dashed) against the decision threshold, per run."""
    swept = [(label, r) for label, r in runs if r.get("sweep")]
    if not swept:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, (label, result) in enumerate(swept):
        color = f"C{i % 10}"
        xs = [row["threshold"] for row in result["sweep"]]
        for key, style, name in (("fcr", "-", "FCR"), ("escalation_recall", "--", "esc. recall")):
            ys = [row[key] if row[key] is not None else float("nan") for row in result["sweep"]]
            ax.plot(xs, ys, style, color=color, label=f"{name} · {label}")
        if result.get("threshold") is not None:
            ax.axvline(result["threshold"], color=color, alpha=0.3, linestyle=":")
    ax.set_xlabel("decision threshold")
    ax.set_ylabel("share")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return _data_uri(fig)


def recall_plot(runs: list[tuple[str, dict]]) -> str | None:
    """Recall@k for k = 1..10: every pipeline of one run, or the hybrid pipeline of each run."""
    curves = []
    for label, result in runs:
        by_mode = result.get("recall_at_k") or {}
        modes = list(by_mode) if len(runs) == 1 else [m for m in by_mode if m == "hybrid"]
        curves += [(f"{mode} · {label}", by_mode[mode]) for mode in modes]
    if not curves:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, ys in curves:
        ax.plot(range(1, len(ys) + 1), ys, marker="o", markersize=3, label=name)
    ax.set_xlabel("k")
    ax.set_ylabel("recall@k")
    ax.set_ylim(0, 1.02)
    ax.set_xticks(range(1, 11))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return _data_uri(fig)


def latency_plot(runs: list[tuple[str, list[float]]]) -> str | None:
    """Overlaid histograms of per-question latency (ms), one colour per run."""
    runs = [(label, values) for label, values in runs if values]
    if not runs:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    top = max(max(values) for _, values in runs)
    bins = [top * i / 30 for i in range(31)] if top > 0 else 10
    for label, values in runs:
        ax.hist(values, bins=bins, alpha=0.5, label=f"{label} (n={len(values)})")
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("questions")
    ax.legend(fontsize=7)
    return _data_uri(fig)
