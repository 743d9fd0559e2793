"""`servicedesk eval report`: one self-contained HTML page from one or more run JSONs.

Plots are PNGs embedded as data: URIs and the style is inline, so the file can be mailed or
attached to a build. Every piece of dataset text is escaped: questions and articles are data.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from evals import plots
from evals.history import HEADLINES, HistoryError, configuration, headline_metrics

STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:4px 8px;
vertical-align:top;font-size:13px}th{background:#f3f3f3;text-align:left}td.num{text-align:right}
.fail td{max-width:360px;overflow-wrap:anywhere}img{max-width:100%}h2{border-top:2px solid #ddd;
padding-top:.6em}small{color:#666}"""


def load_runs(paths: list[Path]) -> list[tuple[str, dict]]:
    """``(label, payload)`` per run JSON; ``HistoryError`` names a file that is not a run."""
    runs = []
    for path in paths:
        try:
            payload = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise HistoryError(f"{path}: cannot read a run JSON ({err})") from err
        if not isinstance(payload, dict) or "dataset" not in payload:
            raise HistoryError(f"{path}: not an eval run (no 'dataset' key)")
        runs.append((Path(path).stem, payload))
    labels = [label for label, _ in runs]
    if len(set(labels)) < len(labels):  # same file names in different folders
        runs = [
            (f"{Path(p).parent.name}/{label}", r) for p, (label, r) in zip(paths, runs, strict=True)
        ]
    return runs


def _decided(record: dict, threshold: float) -> bool:
    if "decision" in record:
        return record["decision"] == "answered"
    return record.get("decision_at_0") == "answered" and record["confidence"] >= threshold


def _clip(text, n: int = 300) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def desk_failures(result: dict, records: list[dict], limit: int = 20) -> list[dict]:
    """The worst of an ``eval run``: confident wrong answers first, then declines."""
    threshold = result.get("threshold") or 0.0
    rows = []
    for r in records:
        answered = _decided(r, threshold)
        gold = ", ".join(r.get("gold") or [])
        expected = r.get("gold_answers") or []
        if r["should_escalate"] and answered:
            why = f"answered a question to escalate ({r.get('escalate_reason') or 'no article'})"
        elif not r["should_escalate"] and answered and not r.get("cites_gold"):
            why = f"answered citing {', '.join(r.get('cited') or []) or 'nothing'}, not {gold}"
        elif answered and r.get("judge") and not r["judge"].get("correct", True):
            why = "judged incorrect: " + str(r["judge"].get("reason") or "")
        elif not r["should_escalate"] and not answered:
            why = "declined: " + str(r.get("decline_reason") or r.get("reason") or "low confidence")
        else:
            continue
        rows.append(
            {
                "severity": 1 if not answered else 0,
                "confidence": r.get("confidence", 0.0),
                "qid": r["qid"],
                "lang": r.get("lang", ""),
                "question": r["question"],
                "expected": f"{gold or 'escalate'}\n{_clip(' | '.join(expected))}",
                "got": f"{'answered' if answered else 'declined'} at confidence "
                f"{r.get('confidence', 0.0):.2f}; retrieved "
                f"{', '.join((r.get('retrieved') or [])[:5])}\n{_clip(r.get('answer'), 400)}",
                "why": why,
            }
        )
    rows.sort(key=lambda row: (row["severity"], -row["confidence"]))
    return rows[:limit]


def retrieval_failures(records: list[dict], limit: int = 20) -> list[dict]:
    """Answerable questions whose gold article ranked lowest (or not in the top ten)."""
    rows = []
    for r in records:
        if r.get("should_escalate") or not r.get("gold") or "question" not in r:
            continue
        ranked = (r.get("ranked") or {}).get("hybrid") or [h["id"] for h in r.get("hits", [])]
        ranks = [ranked.index(g) + 1 for g in r["gold"] if g in ranked]
        best = min(ranks) if ranks else None
        if best == 1:
            continue
        rows.append(
            {
                "severity": 0 if best is None else 1,
                "confidence": -(best or 0),
                "qid": r["qid"],
                "lang": r.get("lang", ""),
                "question": r["question"],
                "expected": ", ".join(r["gold"]),
                "got": "retrieved " + ", ".join(ranked[:5]),
                "why": "gold not in the top 10" if best is None else f"gold at rank {best}",
            }
        )
    rows.sort(key=lambda row: (row["severity"], row["confidence"]))
    return rows[:limit]


def triage_failures(records: list[dict], limit: int = 20) -> list[dict]:
    """Tickets the triage put in the wrong category."""
    return [
        {"qid": str(i), "lang": "", "question": r["text"], "expected": r["category"],
         "got": r["predicted"], "why": "wrong category"}
        for i, r in enumerate(records) if r.get("predicted") != r.get("category")
    ][:limit]  # fmt: skip


def _table(header: list[str], rows: list[list], cls: str = "") -> str:
    def cell(v) -> str:
        if isinstance(v, float):
            return f'<td class="num">{v:.3f}</td>'
        if v is None:
            return '<td class="num">n/a</td>'
        return "<td>" + escape(str(v)).replace("\n", "<br>") + "</td>"

    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><tr>{head}</tr>{body}</table>'


def _summary(runs: list[tuple[str, dict]]) -> str:
    labels = [label for label, _ in runs]
    metrics = [headline_metrics(r) for _, r in runs]
    configs = [configuration(r) for _, r in runs]
    rows = [["dataset", *[r.get("dataset") for _, r in runs]]]
    rows.append(["command", *[r.get("kind", "?") for _, r in runs]])
    rows += [
        [m, *[ms.get(m) for ms in metrics]] for m in HEADLINES if any(m in ms for ms in metrics)
    ]
    keys = sorted({k for c in configs for k in c})
    rows += [[f"config {k}", *[str(c.get(k, "")) for c in configs]] for k in keys]
    return _table(["", *labels], rows)


def _per_language(result: dict) -> str:
    out = ""
    if result.get("per_language"):
        rows = [
            [lang, row.get("questions"), row.get("hybrid"), row.get("bm25_only"),
             row.get("dense_only"), row.get("escalation_auroc")]
            for lang, row in result["per_language"].items()
        ]  # fmt: skip
        out += _table(["language", "questions", "nDCG@10 hybrid", "BM25", "dense", "AUROC"], rows)
    if result.get("per_language_answers"):
        rows = [
            [lang, row.get("fcr"), row.get("escalation_recall"), row.get("escalation_precision"),
             row.get("answer_citation_accuracy"), row.get("answer_token_f1")]
            for lang, row in result["per_language_answers"].items()
        ]  # fmt: skip
        header = ["language", "FCR", "esc. recall", "esc. precision", "citation acc.", "token F1"]
        out += _table(header, rows)
    if result.get("per_category"):
        rows = [[c, v["precision"], v["recall"], v["f1"], v["support"]]
                for c, v in result["per_category"].items()]  # fmt: skip
        out += _table(["category", "precision", "recall", "F1", "support"], rows)
    return out


def _failures(result: dict, limit: int) -> list[dict]:
    records = result.get("per_question") or []
    kind = result.get("kind")
    if kind is None:  # a run JSON from before runs named their kind
        kind = "run" if "sweep" in result else "triage" if "per_category" in result else "retrieval"
    pick = {"run": desk_failures, "retrieval": retrieval_failures, "triage": triage_failures}
    if kind not in pick:
        return []
    return desk_failures(result, records, limit) if kind == "run" else pick[kind](records, limit)


def _run_section(label: str, result: dict, limit: int) -> str:
    rows = [
        [f"{f['qid']} [{f['lang']}]", f["question"], f["expected"], f["got"], f["why"]]
        for f in _failures(result, limit)
    ]
    fails = _table(["question id", "question", "expected", "got", "why"], rows, "fail")
    return (
        f"<h2>{escape(label)} <small>{escape(str(result.get('dataset')))}, "
        f"{escape(str(result.get('kind', '')))}</small></h2>"
        f"<h3>Per language</h3>{_per_language(result) or '<p>none</p>'}"
        f"<h3>Worst failures</h3>{fails if rows else '<p>none</p>'}"
    )


def _latencies(result: dict) -> list[float]:
    """Per-question latency (the whole Desk for ``eval run``, the search for ``retrieval``)."""
    records = result.get("per_question") or []
    return [r["latency_ms"] for r in records if isinstance(r.get("latency_ms"), int | float)]


def render_report(runs: list[tuple[str, dict]], limit: int = 20, title: str = "Eval report") -> str:
    """The whole HTML page: summary, plots, then one section per run."""
    figures = [
        ("FCR and escalation recall against the decision threshold", plots.threshold_plot(runs)),
        ("Recall@k", plots.recall_plot(runs)),
        ("Latency per question", plots.latency_plot([(n, _latencies(r)) for n, r in runs])),
    ]
    imgs = "".join(
        f'<h3>{escape(name)}</h3><img alt="{escape(name)}" src="{uri}">'
        for name, uri in figures
        if uri
    )
    sections = "".join(_run_section(label, r, limit) for label, r in runs)
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>"
        f"<h2>Summary</h2>{_summary(runs)}{imgs}{sections}</body></html>"
    )


def write_report(paths: list[Path], out: Path, limit: int = 20) -> Path:
    """Render the runs in ``paths`` into ``out``; return ``out``."""
    html = render_report(load_runs(paths), limit)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
