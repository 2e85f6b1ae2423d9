"""Small server-rendered SVG charts: no JavaScript library and no CDN, so the dashboards load over a poor
office link and print as they look.

Three kinds, each one function taking plain rows: `horizontal_bar` (one value per label),
`stacked_bar` (several series per label, stacked or side by side) and `weekly_columns` (one column per
week, series stacked). Every chart is an `<svg role="img">` named by its `<title>` and `<desc>`; the page
shows the same numbers in a table beside it for screen readers. Text is escaped; numbers are written the
Indonesian way (1.234,5).
"""

import re
from collections.abc import Sequence

from babel.numbers import format_decimal
from markupsafe import Markup, escape

# Distinguishable in colour and in greyscale print, in this order.
PALETTE = ("#1f5f8b", "#d9822b", "#3a8f5c", "#8b3a62", "#6c6f73", "#b59a1f", "#4b4bb3", "#2a9db5")
LABEL_WIDTH = 230
PLOT_WIDTH = 400
ROW_HEIGHT = 26
FONT = 'font-family="inherit" font-size="12"'


def number(value: float | int | None) -> str:
    """1.234 and 12,5 — as people in Indonesia write numbers."""
    if value is None:
        return "–"
    return format_decimal(value, format="#,##0.##", locale="id_ID")


def _id(chart_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", chart_id) or "grafik"


def _short(label: str, limit: int = 34) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _open(chart_id: str, title: str, description: str, width: int, height: int) -> list[str]:
    cid = _id(chart_id)
    return [f'<svg class="chart" role="img" aria-labelledby="{cid}-title {cid}-desc" viewBox="0 0 {width} {height}" '
            f'width="100%" style="max-width:{width * 1.25:.0f}px" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
            f'<title id="{cid}-title">{escape(title)}</title>', f'<desc id="{cid}-desc">{escape(description)}</desc>']


def _empty(chart_id: str, title: str, description: str) -> Markup:
    parts = _open(chart_id, title, description, LABEL_WIDTH + PLOT_WIDTH, 40)
    parts.append(f'<text x="8" y="24" {FONT} fill="#555">Belum ada data untuk periode ini.</text></svg>')
    return Markup("".join(parts))


def _scale_max(values: Sequence[float | None], max_value: float | None) -> float:
    top = max([v for v in values if v is not None] or [0])
    return float(max_value if max_value is not None else top) or 1.0


def _legend(series_names: Sequence[str], y: int) -> list[str]:
    parts, x = [], 8
    for i, name in enumerate(series_names):
        label = _short(name, 28)
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>'
                     f'<text x="{x + 16}" y="{y + 10}" {FONT}>{escape(label)}</text>')
        x += 16 + 7 * len(label) + 18
    return parts


def _label(x: int, y: float, text: str, anchor: str = "end") -> str:
    short = _short(text)
    full = f"<title>{escape(text)}</title>" if short != text else ""
    return f'<text x="{x}" y="{y:.1f}" text-anchor="{anchor}" {FONT}>{full}{escape(short)}</text>'


def horizontal_bar(items: Sequence[tuple[str, float | None]], *, chart_id: str, title: str, description: str,
                   max_value: float | None = None, unit: str = "") -> Markup:
    """One bar per label; `max_value` fixes the scale (100 for percentages, 4 for a 1–4 rating)."""
    if not items:
        return _empty(chart_id, title, description)
    top = _scale_max([v for _, v in items], max_value)
    height = len(items) * ROW_HEIGHT + 12
    parts = _open(chart_id, title, description, LABEL_WIDTH + PLOT_WIDTH + 70, height)
    for i, (label, value) in enumerate(items):
        y = 6 + i * ROW_HEIGHT
        width = 0 if value is None else max(value / top * PLOT_WIDTH, 1 if value else 0)
        parts.append(_label(LABEL_WIDTH - 8, y + 15, label))
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{width:.1f}" height="{ROW_HEIGHT - 8}" fill="{PALETTE[0]}"/>')
        parts.append(f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + 15}" {FONT}>{escape(number(value))}{escape(unit)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bar(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *, chart_id: str, title: str,
                description: str, stacked: bool = True, max_value: float | None = None, unit: str = "") -> Markup:
    """One row per category; each series a segment (stacked) or its own thin bar (grouped). A legend on top."""
    if not categories or not series:
        return _empty(chart_id, title, description)
    names = [name for name, _ in series]
    if stacked:
        totals = [sum(v or 0 for v in column) for column in zip(*(values for _, values in series), strict=True)]
        top = _scale_max(totals, max_value)
        band = ROW_HEIGHT
    else:
        top = _scale_max([v for _, values in series for v in values if v is not None], max_value)
        band = max(ROW_HEIGHT, 10 * len(series) + 8)
    legend_h = 24
    height = legend_h + len(categories) * band + 12
    parts = _open(chart_id, title, description, LABEL_WIDTH + PLOT_WIDTH + 70, height)
    parts += _legend(names, 4)
    for i, category in enumerate(categories):
        y = legend_h + 6 + i * band
        parts.append(_label(LABEL_WIDTH - 8, y + band / 2 + 4, category))
        if stacked:
            x = float(LABEL_WIDTH)
            for s, (name, values) in enumerate(series):
                value = values[i] or 0
                width = value / top * PLOT_WIDTH
                if width:
                    parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{width:.1f}" height="{band - 8}" fill="{PALETTE[s % len(PALETTE)]}">'
                                 f'<title>{escape(name)}: {escape(number(value))}{escape(unit)}</title></rect>')
                x += width
            parts.append(f'<text x="{x + 6:.1f}" y="{y + band / 2 + 4:.1f}" {FONT}>{escape(number(totals[i]))}{escape(unit)}</text>')
        else:
            for s, (name, values) in enumerate(series):
                given = values[i]
                width = 0 if given is None else given / top * PLOT_WIDTH
                by = y + 3 + s * 10
                parts.append(f'<rect x="{LABEL_WIDTH}" y="{by}" width="{width:.1f}" height="8" fill="{PALETTE[s % len(PALETTE)]}">'
                             f'<title>{escape(name)}: {escape(number(given))}{escape(unit)}</title></rect>')
                parts.append(f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{by + 8}" font-family="inherit" font-size="9">'
                             f'{escape(number(given))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def weekly_columns(weeks: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, chart_id: str, title: str,
                   description: str) -> Markup:
    """One column per week (labels under it), the series stacked, with a value axis on the left."""
    if not weeks or not series:
        return _empty(chart_id, title, description)
    totals = [sum(v or 0 for v in column) for column in zip(*(values for _, values in series), strict=True)]
    top = _scale_max(totals, None)
    if all(float(t).is_integer() for t in totals):  # counts: whole-number grid lines
        top = max(4, -(-int(top) // 4) * 4)
    left, plot_h, legend_h, bottom = 48, 180, 24, 40
    step = max(min(60, 560 // max(len(weeks), 1)), 14)
    width = left + step * len(weeks) + 20
    height = legend_h + plot_h + bottom
    parts = _open(chart_id, title, description, max(width, 400), height)
    parts += _legend([name for name, _ in series], 4)
    base = legend_h + plot_h
    for tick in range(5):  # a light grid with four steps
        value = top * tick / 4
        y = base - plot_h * tick / 4
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {FONT}>{escape(number(round(value, 1)))}</text>')
    every = max(1, len(weeks) // 12)  # label at most about twelve weeks so they stay readable
    for i, week in enumerate(weeks):
        x = left + i * step + 3
        y = float(base)
        for s, (name, values) in enumerate(series):
            value = values[i] or 0
            h = value / top * plot_h
            if h:
                y -= h
                parts.append(f'<rect x="{x}" y="{y:.1f}" width="{step - 6}" height="{h:.1f}" fill="{PALETTE[s % len(PALETTE)]}">'
                             f'<title>{escape(week)} · {escape(name)}: {escape(number(value))}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + (step - 6) / 2:.1f}" y="{base + 16}" text-anchor="middle" font-family="inherit" font-size="10">'
                         f'{escape(week)}</text>')
    parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{base}" y2="{base}" stroke="#555"/></svg>')
    return Markup("".join(parts))
