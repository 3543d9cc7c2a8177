"""Report charts drawn on the server as inline SVG: bars per row and a line per month.

No script, no other origin and no ``style`` attribute (the content policy forbids inline
styles), so a chart prints and works behind any policy. The page shows a table of the same
numbers beside each chart: the drawing serves sighted readers, its ``<desc>`` a screen reader.
Callers pass translated titles and labels; nothing here translates, queries or reads a clock.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

Number = int | float

#: Colours with their contrast against white: text ≥ 4.5:1, bars and lines ≥ 3:1 (WCAG 2.1 AA).
TEXT = "#212121"  # 16.1:1
MUTED = "#616161"  # 6.2:1: axis labels, the previous period, outlines of pale bars
BAR_COLOUR = "#1565c0"  # 5.8:1
GRID = "#e0e0e0"  # decoration only: every gridline is labelled in MUTED
WIDTH = 640
BAR = 18
GAP = 10
LABEL = 170
#: Labels longer than this are shortened in the drawing; the full label stays in the tooltip.
LABEL_CHARS = 24


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times 10^k at or above ``value`` (1 for nothing): an axis top."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power * (1 + 1e-9):  # float noise: 5.000000000000001 stays 5
            return float(step * power)
    return 10 * power  # pragma: no cover - the loop always returns


def _fmt(value: Number) -> str:
    """A number as printed in a chart: whole numbers without decimals, others to two places."""
    if abs(value - round(value)) < 1e-9:
        return str(round(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def _luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _pale(colour: str) -> bool:
    """Whether a fill has less than 3:1 against white, so the bar needs an outline to be seen."""
    try:
        return 1.05 / (_luminance(colour) + 0.05) < 3
    except ValueError:  # a named colour or another notation: trust the caller
        return False


def _open(title: str, width: int, height: int, desc: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>"
    )


def bars(
    title: str,
    rows: Sequence[tuple[str, Number]],
    *,
    colours: Sequence[str] | None = None,
    previous: Sequence[Number | None] | None = None,
    previous_label: str = "",
    limit: int = 25,
) -> Markup:
    """Horizontal bars, one per row (at most ``limit``), each with a tick for its previous value.

    ``colours`` and ``previous`` go with ``rows`` by position; no rows give an empty Markup so
    the page can say there is nothing in this period.
    """
    rows = list(rows[:limit])
    if not rows:
        return Markup("")
    before = [previous[i] if previous and i < len(previous) else None for i in range(len(rows))]
    most = max([v for _, v in rows] + [v for v in before if v is not None])
    scale = (WIDTH - LABEL - 60) / (most if most > 0 else 1)
    legend = bool(previous_label) and any(v is not None for v in before)
    top = 22 if legend else 4
    height = top + len(rows) * (BAR + GAP)

    tips = [
        f"{label}: {_fmt(value)}"
        + ("" if old is None else f" ({previous_label}{': ' if previous_label else ''}{_fmt(old)})")
        for (label, value), old in zip(rows, before, strict=True)
    ]
    parts = [_open(title, WIDTH, height, "; ".join(tips))]
    if legend:
        parts.append(
            f'<line x1="{LABEL + 1}" y1="3" x2="{LABEL + 1}" y2="15" stroke="{TEXT}" '
            f'stroke-width="2"/><text x="{LABEL + 8}" y="13" font-size="12" fill="{TEXT}">'
            f"{escape(previous_label)}</text>"
        )
    for i, ((label, value), old, tip) in enumerate(zip(rows, before, tips, strict=True)):
        y = top + i * (BAR + GAP)
        fill = colours[i] if colours and i < len(colours) else BAR_COLOUR
        outline = f' stroke="{MUTED}" stroke-width="1"' if _pale(fill) else ""
        width = max(value, 0) * scale
        short = _short(label)
        label_tip = f"<title>{escape(label)}</title>" if short != label else ""
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + BAR - 5}" text-anchor="end" font-size="13" '
            f'fill="{TEXT}">{label_tip}{escape(short)}</text>'
            f'<rect x="{LABEL}" y="{y}" width="{width:.1f}" height="{BAR}" fill="{escape(fill)}"'
            f"{outline}><title>{escape(tip)}</title></rect>"
        )
        end = LABEL + width
        if old is not None:
            x = LABEL + max(old, 0) * scale
            parts.append(
                f'<line x1="{x:.1f}" y1="{y - 3}" x2="{x:.1f}" y2="{y + BAR + 3}" '
                f'stroke="{TEXT}" stroke-width="2"><title>{escape(tip)}</title></line>'
            )
            end = max(end, x)
        parts.append(
            f'<text x="{end + 6:.1f}" y="{y + BAR - 5}" font-size="13" fill="{TEXT}">'
            f"{escape(_fmt(value))}</text>"
        )
    parts.append("</svg>")
    # Every text in the drawing was escaped above.
    return Markup("".join(parts))  # nosec B704


def _ticks(most: float, whole: bool) -> list[float]:
    """At most five gridlines from 0 in a 1, 2 or 5 step, the last at or above ``most``.

    The top is a multiple of the step rather than itself 1, 2 or 5 (22 gets 30, not 50), so the
    line fills the height; whole numbers get whole steps (no "0.5 trips").
    """
    step = nice_ceiling(most / 4)
    if whole and step < 1:
        step = 1.0
    return [i * step for i in range(max(1, math.ceil(most / step - 1e-9)) + 1)]


def line(
    title: str,
    points: Sequence[tuple[str, Number]],
    *,
    previous: Sequence[Number] | None = None,
    previous_label: str = "",
    current_label: str = "",
) -> Markup:
    """A line over the months with a dot per point, and the previous period dashed behind it.

    ``previous`` goes with ``points`` by position; no points give an empty Markup.
    """
    if not points:
        return Markup("")
    old = list(previous or [])[: len(points)]
    values = [v for _, v in points] + old
    ticks = _ticks(max(values), all(float(v).is_integer() for v in values))
    top = ticks[-1]
    legend = bool(old)
    left, right, upper, height = 48, 12, 30 if legend else 12, 240
    bottom = height - 26
    step_x = (WIDTH - left - right) / len(points)

    def xy(i: int, v: Number) -> tuple[float, float]:
        return left + (i + 0.5) * step_x, bottom - max(v, 0) / top * (bottom - upper)

    summary = "; ".join(f"{label}: {_fmt(v)}" for label, v in points)
    if old:
        pairs = zip(points, old, strict=False)
        summary += f". {previous_label}: " + "; ".join(f"{p[0]}: {_fmt(v)}" for p, v in pairs)
    parts = [_open(title, WIDTH, height, summary)]
    for tick in ticks:
        y = xy(0, tick)[1]
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" '
            f'stroke="{MUTED if tick == 0 else GRID}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="{MUTED}" class="tick">{escape(_fmt(tick))}</text>'
        )
    every = math.ceil(len(points) / 12)  # at most twelve month names fit along the axis
    for i, (label, _) in enumerate(points):
        if i % every == 0:
            parts.append(
                f'<text x="{xy(i, 0)[0]:.1f}" y="{height - 8}" text-anchor="middle" '
                f'font-size="12" fill="{TEXT}">{escape(label)}</text>'
            )
    series = [(old, MUTED, ' stroke-dasharray="6 4"', previous_label)] if old else []
    series.append(([v for _, v in points], BAR_COLOUR, "", ""))
    for series_values, colour, dash, name in series:
        coords = [xy(i, v) for i, v in enumerate(series_values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
        )
        for (x, y), (label, _), v in zip(coords, points, series_values, strict=False):
            tip = f"{label}: {_fmt(v)}" + (f" ({name})" if name else "")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{"#ffffff" if dash else colour}"'
                f' stroke="{colour}" stroke-width="2"><title>{escape(tip)}</title></circle>'
            )
    if legend:
        for j, (colour, dash, name) in enumerate(
            (
                (BAR_COLOUR, "", current_label or title),
                (MUTED, ' stroke-dasharray="6 4"', previous_label),
            )
        ):
            x = left + j * 200
            parts.append(
                f'<line x1="{x}" y1="10" x2="{x + 24}" y2="10" stroke="{colour}" '
                f'stroke-width="2"{dash}/><text x="{x + 30}" y="14" font-size="12" '
                f'fill="{TEXT}">{escape(name)}</text>'
            )
    parts.append("</svg>")
    # Every text in the drawing was escaped above.
    return Markup("".join(parts))  # nosec B704
