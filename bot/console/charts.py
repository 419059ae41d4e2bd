"""Charts drawn on the server as SVG: no script, no chart library, readable in any browser.
Every label goes through `markupsafe.escape`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

COLORS = ("#c0392b", "#e67e22", "#2980b9", "#27ae60", "#8e44ad", "#7f8c8d", "#16a085",
          "#d35400")


def stacked_bars(title: str, days: Sequence[str], series: Mapping[str, Sequence[int]],
                 width: int = 720, height: int = 220) -> Markup:
    """A bar per day, stacked by series (e.g. scam / suspicious), with a legend."""
    left, bottom, top = 40, 40, 24
    plot_w, plot_h = width - left - 10, height - bottom - top
    totals = [sum(values[i] for values in series.values()) for i in range(len(days))]
    peak = max(totals, default=0) or 1
    step = plot_w / max(len(days), 1)
    bar = max(step * 0.7, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#999"/>',
        f'<text x="4" y="{top + 4}" font-size="11">{peak}</text>',
        f'<text x="4" y="{top + plot_h}" font-size="11">0</text>',
    ]
    for i, day in enumerate(days):
        x = left + i * step + (step - bar) / 2
        y: float = top + plot_h
        for n, (name, values) in enumerate(series.items()):
            value = values[i]
            if not value:
                continue
            h = plot_h * value / peak
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{COLORS[n % len(COLORS)]}"><title>{escape(day)} '
                f"{escape(name)}: {value}</title></rect>"
            )
    label_every = max(1, len(days) // 8)
    for i, day in enumerate(days):
        if i % label_every == 0:
            x = left + i * step + step / 2
            parts.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" font-size="10" '
                         f'text-anchor="middle">{escape(day[5:])}</text>')
    x = left
    for n, name in enumerate(series):
        parts.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" '
                     f'fill="{COLORS[n % len(COLORS)]}"/>')
        parts.append(f'<text x="{x + 14}" y="{height - 5}" font-size="11">'
                     f"{escape(name)}</text>")
        x += 24 + 7 * len(name)
    parts.append("</svg>")
    return Markup("".join(parts))


def hbars(title: str, items: Sequence[tuple[str, int]], width: int = 720) -> Markup:
    """Horizontal bars, one per (label, count), largest first."""
    items = sorted(items, key=lambda kv: (-kv[1], kv[0]))[:30]
    row, left = 20, 200
    height = row * len(items) + 10
    peak = max((v for _, v in items), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (name, value) in enumerate(items):
        y = 5 + i * row
        w = (width - left - 60) * value / peak
        parts.append(f'<text x="{left - 6}" y="{y + 13}" font-size="12" '
                     f'text-anchor="end">{escape(name[:32])}</text>')
        parts.append(f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="{row - 6}" '
                     f'fill="{COLORS[2]}"><title>{escape(name)}: {value}</title></rect>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 13}" font-size="12">'
                     f"{value}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))
