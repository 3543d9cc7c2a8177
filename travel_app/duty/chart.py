"""A bar chart of travellers per country, coloured by level, as SVG made on the server.

No tiles, no script, no other origin: it prints, and it works behind any content policy.
"""

from __future__ import annotations

from markupsafe import Markup, escape

#: The risk scale's colours, green to red; grey for a level not yet assessed.
LEVEL_COLOURS = {0: "#2e7d32", 1: "#f9a825", 2: "#ef6c00", 3: "#c62828", None: "#9e9e9e"}
BAR = 18
GAP = 6
LABEL = 170
WIDTH = 640


def bars(
    rows: list[tuple[str, dict[int | None, int]]],
    name_of: dict[str, str],
    title: str,
    legend: dict[int | None, str],
    limit: int = 25,
) -> Markup:
    """Stacked horizontal bars, one per country (at most ``limit``), a legend below."""
    rows = rows[:limit]
    most = max((sum(levels.values()) for _, levels in rows), default=1)
    scale = (WIDTH - LABEL - 50) / most
    height = len(rows) * (BAR + GAP) + 52
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (country, levels) in enumerate(rows):
        y = i * (BAR + GAP)
        name = escape(name_of.get(country, country))
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + BAR - 5}" text-anchor="end" font-size="13">'
            f"{name}</text>"
        )
        x = float(LABEL)
        for level in sorted(levels, key=lambda lv: -1 if lv is None else lv):
            n = levels[level]
            w = n * scale
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR}" '
                f'fill="{LEVEL_COLOURS.get(level, "#9e9e9e")}">'
                f"<title>{name}: {n} · {escape(legend.get(level, '?'))}</title></rect>"
            )
            x += w
        parts.append(
            f'<text x="{x + 6:.1f}" y="{y + BAR - 5}" font-size="13">{sum(levels.values())}</text>'
        )
    top = len(rows) * (BAR + GAP) + 12
    for i, level in enumerate((0, 1, 2, 3)):  # the legend, two by two
        x, y = (i % 2) * 300, top + (i // 2) * 18
        parts.append(
            f'<rect x="{x}" y="{y}" width="12" height="12" fill="{LEVEL_COLOURS[level]}"/>'
            f'<text x="{x + 16}" y="{y + 11}" font-size="12">{escape(legend[level])}</text>'
        )
    parts.append("</svg>")
    # Every text in the drawing was escaped above.
    return Markup("".join(parts))  # nosec B704
