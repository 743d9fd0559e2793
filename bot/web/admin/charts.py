"""Charts as inline SVG, rendered on the server: no JavaScript library, no build step.

Every chart carries ``data-testid``; every bar and point carries ``data-label`` and
``data-value`` so a browser test can read the figures a chart shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

PALETTE = ("#1f3b73", "#2e8b57", "#d2691e", "#8a2be2", "#c0392b")
_ROW = 24
_LABEL_W = 180


def _fmt_number(value: float) -> str:
    return f"{value:g}"


def percent(value: float) -> str:
    """Format a 0..1 ratio as a whole percentage."""
    return f"{value * 100:.0f}%"


def bar_chart(
    items: Sequence[tuple[str, float]],
    testid: str,
    title: str,
    fmt: Callable[[float], str] = _fmt_number,
    width: int = 460,
    colour: str = PALETTE[0],
) -> Markup:
    """Horizontal bars, one row per (label, value), scaled to the largest value."""
    top = max((v for _, v in items), default=0) or 1
    bar_w = width - _LABEL_W - 60
    height = _ROW * len(items) + 8
    rows = []
    for i, (label, value) in enumerate(items):
        y = 4 + i * _ROW
        w = max(bar_w * value / top, 0)
        rows.append(
            f'<g data-label="{escape(label)}" data-value="{value:g}">'
            f'<text x="{_LABEL_W - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{_LABEL_W}" y="{y + 3}" width="{w:.1f}" height="{_ROW - 8}" '
            f'fill="{colour}" rx="2"><title>{escape(label)}: {escape(fmt(value))}</title></rect>'
            f'<text x="{_LABEL_W + w + 6:.1f}" y="{y + 15}">{escape(fmt(value))}</text></g>'
        )
    return Markup(
        f'<svg class="chart" data-testid="{escape(testid)}" id="{escape(testid)}" role="img" '
        f'aria-label="{escape(title)}" width="{width}" '
        f'viewBox="0 0 {width} {height}" font-size="12">'
        f"<title>{escape(title)}</title>{''.join(rows)}</svg>"
    )


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    testid: str,
    title: str,
    fmt: Callable[[float], str] = _fmt_number,
    ratio: bool = False,
    width: int = 880,
    height: int = 240,
) -> Markup:
    """Lines over ``labels`` (e.g. ISO weeks); ``None`` leaves a gap; ``ratio`` fixes 0..1."""
    left, right, top_pad, bottom = 44, 36, 12, 40
    values = [v for _, vs in series for v in vs if v is not None]
    top = 1.0 if ratio else (max(values, default=0) or 1)
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    step = plot_w / max(len(labels) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step, top_pad + plot_h * (1 - v / top)

    parts = [_axes(labels, left, top_pad, plot_w, plot_h, step, top, fmt)]
    for n, (name, points) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        parts.append(f'<g class="series" data-series="{escape(name)}" stroke="{colour}">')
        for segment in _segments(points):
            coords = " ".join("{:.1f},{:.1f}".format(*xy(i, v)) for i, v in segment)
            parts.append(f'<polyline fill="none" stroke-width="2" points="{coords}"/>')
        for i, v in enumerate(points):
            if v is None:
                continue
            x, y = xy(i, v)
            label = escape(labels[i])
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}" data-label="{label}" '
                f'data-value="{v:g}"><title>{escape(name)} {label}: {escape(fmt(v))}</title>'
                "</circle>"
            )
        parts.append("</g>")
    parts.append(_legend(series, left, height - 6))
    return Markup(
        f'<svg class="chart" data-testid="{escape(testid)}" id="{escape(testid)}" role="img" '
        f'aria-label="{escape(title)}" width="{width}" '
        f'viewBox="0 0 {width} {height}" font-size="11">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )


def _segments(points: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """Runs of consecutive known values (a line never bridges a week without data)."""
    runs: list[list[tuple[int, float]]] = [[]]
    for i, v in enumerate(points):
        if v is None:
            runs.append([])
        else:
            runs[-1].append((i, v))
    return [run for run in runs if run]


def _axes(labels, left, top_pad, plot_w, plot_h, step, top, fmt) -> str:
    bottom = top_pad + plot_h
    out = [
        f'<line x1="{left}" y1="{bottom}" x2="{left + plot_w}" y2="{bottom}" stroke="#999"/>',
        f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{bottom}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top_pad + 4}" text-anchor="end">{escape(fmt(top))}</text>',
        f'<text x="{left - 4}" y="{bottom}" text-anchor="end">{escape(fmt(0))}</text>',
    ]
    every = max(1, len(labels) // 8)  # at most ~8 labels fit under the axis
    for i, label in enumerate(labels):
        if i % every == 0:
            x = left + i * step
            out.append(
                f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle">{escape(label)}</text>'
            )
    return "".join(out)


def _legend(series, left: int, y: int) -> str:
    out = []
    x = left
    for n, (name, _) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        out.append(
            f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{y}">{escape(name)}</text>'
        )
        x += 14 + 8 * len(name) + 16
    return "".join(out)
