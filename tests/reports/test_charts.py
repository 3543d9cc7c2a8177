"""Report charts: well-formed SVG that scales, escapes every word, draws numbers to scale, keeps
to the content policy (no style attributes) and to WCAG contrast, and draws nothing for no data."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from itertools import pairwise

import pytest
from markupsafe import Markup

from travel_app.duty.chart import LEVEL_COLOURS
from travel_app.reports.charts import BAR_COLOUR, MUTED, TEXT, bars, line, nice_ceiling

NS = "{http://www.w3.org/2000/svg}"
NASTY = '<script>&"'
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def svg(markup: Markup) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == f"{NS}svg"
    return root


def all_of(root: ET.Element, tag: str) -> list[ET.Element]:
    return list(root.iter(f"{NS}{tag}"))


def texts(root: ET.Element) -> list[str]:
    """The words drawn, leaving out tooltips (a <title> inside a <text> is not drawn)."""
    return [(t.text or "") + "".join(c.tail or "" for c in t) for t in all_of(root, "text")]


def tip(element: ET.Element) -> str:
    """The tooltip (or the chart's title or description) of an element."""
    found = element.find(f"{NS}title")
    return (found.text or "") if found is not None else ""


def desc(root: ET.Element) -> str:
    found = root.find(f"{NS}desc")
    assert found is not None
    return found.text or ""


def num(element: ET.Element, name: str) -> float:
    return float(element.get(name, "nan"))


def contrast(colour: str | None) -> float:
    """The WCAG 2.1 contrast ratio of a #rrggbb colour against white."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    assert colour and colour.startswith("#"), colour
    r, g, b = (linear(int(colour[i : i + 2], 16) / 255) for i in (1, 3, 5))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def charts() -> list[Markup]:
    return [
        bars("Trips by level", [("Low", 3), ("High", 1)], previous=[2, 4], previous_label="2025"),
        line("Trips per month", list(zip(MONTHS, range(12), strict=True)), previous=[1] * 12),
    ]


# --- every chart -----------------------------------------------------------------------------


@pytest.mark.parametrize("chart", charts(), ids=["bars", "line"])
def test_a_chart_is_one_scalable_accessible_svg_without_inline_styles(chart: Markup) -> None:
    root = svg(chart)
    assert isinstance(chart, Markup)
    assert root.get("width") == "100%" and root.get("viewBox", "").startswith("0 0 ")
    assert root.get("role") == "img" and root.get("aria-label") in {
        "Trips by level",
        "Trips per month",
    }
    assert tip(root) == root.get("aria-label")
    assert desc(root)
    assert "style=" not in str(chart)
    assert all("style" not in element.attrib for element in root.iter())
    assert "<script" not in str(chart) and "href" not in str(chart)


def test_the_default_colours_meet_wcag_contrast_on_white() -> None:
    for text_colour in (TEXT, MUTED):
        assert contrast(text_colour) >= 4.5, text_colour
    assert contrast(BAR_COLOUR) >= 3
    # Every fill and stroke drawn by default, bar or line, and every text colour used.
    for chart in charts():
        root = svg(chart)
        for element in all_of(root, "text"):
            assert contrast(element.get("fill")) >= 4.5
        for element in all_of(root, "rect") + all_of(root, "polyline") + all_of(root, "circle"):
            shown = [element.get("stroke"), element.get("fill")]
            assert max(contrast(c) for c in shown if c and c.startswith("#")) >= 3


@pytest.mark.parametrize(
    "chart",
    [bars(NASTY, [(NASTY, 1)], previous=[2], previous_label=NASTY), line(NASTY, [(NASTY, 1)])],
    ids=["bars", "line"],
)
def test_every_word_is_escaped_and_the_chart_still_parses(chart: Markup) -> None:
    root = svg(chart)
    assert "<script>" not in str(chart)
    assert "&lt;script&gt;&amp;&#34;" in str(chart)
    assert root.get("aria-label") == NASTY
    assert NASTY in texts(root)
    assert all(NASTY in (t.text or "") for t in all_of(root, "title"))


@pytest.mark.parametrize("draw", [bars, line])
def test_no_data_draws_nothing_so_the_page_can_say_so(draw: Callable[..., Markup]) -> None:
    assert draw("Trips", []) == Markup("")


# --- bars --------------------------------------------------------------------------------------


def test_bar_widths_are_proportional_to_the_values() -> None:
    root = svg(bars("Trips by faculty", [("Sciences", 10), ("Arts", 5), ("Law", 0)]))
    ten, five, zero = (num(r, "width") for r in all_of(root, "rect"))
    assert ten == pytest.approx(2 * five)
    assert zero == 0
    assert {"Sciences", "10", "Arts", "5", "Law", "0"} <= set(texts(root))
    assert desc(root) == "Sciences: 10; Arts: 5; Law: 0"


def test_the_limit_keeps_only_the_first_rows() -> None:
    rows = [(f"Country {i}", 100 - i) for i in range(40)]
    root = svg(bars("Most visited countries", rows, limit=15))
    assert len(all_of(root, "rect")) == 15
    assert "Country 14" in texts(root) and "Country 15" not in str(desc(root))


def test_colours_passed_are_used_and_pale_ones_get_a_visible_outline() -> None:
    colours = [LEVEL_COLOURS[level] for level in (0, 1, 2, 3, None)]
    root = svg(bars("Trips by level", [(str(i), i + 1) for i in range(5)], colours=colours))
    rects = all_of(root, "rect")
    assert [r.get("fill") for r in rects] == colours
    for rect in rects:
        if contrast(rect.get("fill")) < 3:  # the yellow and the grey of the risk scale
            assert contrast(rect.get("stroke")) >= 3
    assert [r.get("fill") for r in all_of(svg(bars("T", [("a", 1)])), "rect")] == [BAR_COLOUR]


def test_a_long_label_is_shortened_in_the_drawing_but_kept_whole_in_the_tooltip() -> None:
    name = "Faculty of Bioscience Engineering & Agriculture"
    root = svg(bars("Trips by faculty", [(name, 7)]))
    shown = texts(root)[0]
    assert shown.endswith("…") and len(shown) < len(name) and name.startswith(shown[:-1])
    assert tip(all_of(root, "text")[0]) == name
    assert tip(all_of(root, "rect")[0]) == f"{name}: 7"


def test_previous_values_are_drawn_as_ticks_with_a_legend_naming_the_period() -> None:
    root = svg(
        bars("Trips", [("A", 10), ("B", 4), ("C", 2)], previous=[5, None, 8], previous_label="2025")
    )
    rect_a = all_of(root, "rect")[0]
    scale = num(rect_a, "width") / 10
    ticks = [t for t in all_of(root, "line") if tip(t)]
    assert len(ticks) == 2  # none for B, which had no previous value
    x0 = num(rect_a, "x")
    assert [num(t, "x1") - x0 for t in ticks] == pytest.approx([5 * scale, 8 * scale])
    assert "2025" in texts(root)
    assert tip(ticks[0]) == "A: 10 (2025: 5)"
    assert "C: 2 (2025: 8)" in desc(root)
    # Without previous values there are no ticks and no legend.
    plain = svg(bars("Trips", [("A", 10)]))
    assert all_of(plain, "line") == [] and "2025" not in texts(plain)


# --- line --------------------------------------------------------------------------------------


def y_labels(root: ET.Element) -> list[float]:
    return [float(t.text or "nan") for t in all_of(root, "text") if t.get("class") == "tick"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 1),
        (-3, 1),
        (0.3, 0.5),
        (1, 1),
        (1.01, 2),
        (3, 5),
        (5, 5),
        (7, 10),
        (37, 50),
        (120, 200),
        (5.000000000000001, 5),
    ],
)
def test_nice_ceiling_rounds_up_to_one_two_or_five_times_a_power_of_ten(
    value: float, expected: float
) -> None:
    assert nice_ceiling(value) == pytest.approx(expected)


@pytest.mark.parametrize("top_value", [1, 3, 7, 18, 22, 37, 50, 120, 990, 2.5])
def test_the_y_gridlines_are_round_numbers_from_zero_covering_the_largest_value(
    top_value: float,
) -> None:
    root = svg(line("Trips per month", [("Jan", 0), ("Feb", top_value)]))
    labels = y_labels(root)
    assert labels[0] == 0 and labels[-1] >= top_value > labels[-2]  # no empty band on top
    assert 2 <= len(labels) <= 5
    steps = {round(b - a, 9) for a, b in pairwise(labels)}
    assert len(steps) == 1  # evenly spaced
    (step,) = steps
    mantissa = step / 10 ** int(f"{step:e}".split("e")[1])
    assert round(mantissa, 9) in {1, 2, 5}
    if isinstance(top_value, int):
        assert all(label == int(label) for label in labels)  # no "0.4 trips"


def test_each_point_has_a_dot_with_its_label_and_value() -> None:
    root = svg(line("Trips per month", [("Jan", 4), ("Feb", 9), ("Mar", 0)]))
    assert [tip(c) for c in all_of(root, "circle")] == [
        "Jan: 4",
        "Feb: 9",
        "Mar: 0",
    ]
    assert {"Jan", "Feb", "Mar"} <= set(texts(root))
    ys = [num(c, "cy") for c in all_of(root, "circle")]
    assert ys[1] < ys[0] < ys[2]  # higher values are drawn higher


def test_a_single_point_still_draws_a_dot() -> None:
    root = svg(line("Trips per month", [("Jan", 3)]))
    assert len(all_of(root, "circle")) == 1


def test_all_zero_draws_a_flat_line_at_zero_under_a_gridline_of_one() -> None:
    root = svg(line("Trips per month", [(m, 0) for m in MONTHS[:3]]))
    assert max(y_labels(root)) == 1
    assert len({c.get("cy") for c in all_of(root, "circle")}) == 1


def test_the_previous_period_is_a_dashed_line_with_a_legend() -> None:
    points = list(zip(MONTHS[:3], [4, 6, 8], strict=True))
    root = svg(
        line("Trips", points, previous=[2, 3, 12], previous_label="2025", current_label="2026")
    )
    dashed = [p for p in all_of(root, "polyline") if p.get("stroke-dasharray")]
    solid = [p for p in all_of(root, "polyline") if not p.get("stroke-dasharray")]
    assert len(dashed) == 1 and len(solid) == 1
    assert {"2025", "2026"} <= set(texts(root))
    assert max(y_labels(root)) >= 12  # the axis covers the previous period too
    assert "Mar: 12 (2025)" in [tip(c) for c in all_of(root, "circle")]
    plain = svg(line("Trips", points))
    assert not any(p.get("stroke-dasharray") for p in all_of(plain, "polyline"))
    assert "2025" not in texts(plain)
