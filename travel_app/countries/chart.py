"""A country's advice history as a step chart: one line per source, levels 0..3 over time.

SVG made on the server, like the who-is-where bars: no script, no inline style, no other origin.
Each line has its own colour and dash pattern, so it reads in grey print and for colour-blind
readers too; the page shows the same data as a table beside it.
"""

from __future__ import annotations

from datetime import date, timedelta

from markupsafe import Markup, escape

from travel_app.countries.queries import Series
from travel_app.places.models import MAX_LEVEL, MIN_LEVEL

WIDTH = 640
LEFT = 190
RIGHT = 16
TOP = 12
ROW = 36
#: Lines of one level drawn a few pixels apart, so two sources that agree both show.
NUDGE = 3
STROKES = ("#0b5cad", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037")
DASHES = ("", "8 4", "2 3", "10 3 2 3", "4 4", "1 2", "12 2")


def _y(level: int) -> float:
    return TOP + (MAX_LEVEL - level) * ROW


def span(rows: list[Series], today: date) -> tuple[date, date]:
    """From the first advice to today (or the last advice, if set ahead), at least 30 days."""
    days = [d for s in rows for d, _ in s.points]
    start = min(days, default=today)
    end = max([*days, today])
    return min(start, end - timedelta(days=30)), end


def steps(
    rows: list[Series], start: date, end: date, title: str, level_names: dict[int, str]
) -> Markup:
    """The step chart of ``rows`` from ``start`` to ``end``, a legend below."""
    plot = WIDTH - LEFT - RIGHT
    days = max((end - start).days, 1)

    def x(day: date) -> float:
        return LEFT + (day - start).days * plot / days

    bottom = _y(MIN_LEVEL)
    height = bottom + 36 + len(rows) * 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    for level in range(MIN_LEVEL, MAX_LEVEL + 1):
        y = _y(level)
        parts.append(
            f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="#d8dde3"/>'
            f'<text x="{LEFT - 8}" y="{y + 4}" text-anchor="end" font-size="12">'
            f"{level} · {escape(level_names.get(level, ''))}</text>"
        )
    for anchor, day in (("start", start), ("end", end)):
        parts.append(
            f'<text x="{x(day):.1f}" y="{bottom + 18}" text-anchor="{anchor}" font-size="12">'
            f"{day.isoformat()}</text>"
        )
    for i, line in enumerate(rows):
        stroke, dash = STROKES[i % len(STROKES)], DASHES[i % len(DASHES)]
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        nudge = (i % 3 - 1) * NUDGE
        path, marks = [], []
        for n, (day, level) in enumerate(line.points):
            y = _y(level) + nudge
            path.append(f"M{x(day):.1f} {y:.1f}" if n == 0 else f"V{y:.1f}")
            following = line.points[n + 1][0] if n + 1 < len(line.points) else end
            path.append(f"H{x(following):.1f}")
            marks.append(
                f'<circle cx="{x(day):.1f}" cy="{y:.1f}" r="3.5" fill="{stroke}">'
                f"<title>{escape(line.name)}: {level} · "
                f"{escape(level_names.get(level, ''))} · {day.isoformat()}</title></circle>"
            )
        parts.append(
            f'<path d="{" ".join(path)}" fill="none" stroke="{stroke}" stroke-width="2.5"{dashed}/>'
        )
        parts.extend(marks)
        y = bottom + 40 + i * 20
        parts.append(
            f'<line x1="{LEFT}" y1="{y - 4}" x2="{LEFT + 36}" y2="{y - 4}" stroke="{stroke}" '
            f'stroke-width="2.5"{dashed}/>'
            f'<text x="{LEFT + 44}" y="{y}" font-size="12">{escape(line.name)}</text>'
        )
    parts.append("</svg>")
    # Every text in the drawing was escaped above.
    return Markup("".join(parts))  # nosec B704
