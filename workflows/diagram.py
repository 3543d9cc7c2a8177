"""Procedure diagrams that draw what the engine does: a Mermaid flowchart and an inline SVG.

Both show the same flow, in the reader's language, with the procedure's own names as labels
(ids are only node identifiers):

* the trip is submitted; a trip that needs no approval is only registered;
* each stage is entered when its condition holds (the condition labels the edge) and skipped
  when it does not; stages whose conditions can never hold together branch from one decision;
* a stage's steps: advice steps come first (drawn differently), and steps at the same level
  are taken side by side, in parallel; a committee decides with a quorum;
* every deciding step can reject (the rejected end) or request changes: the traveller changes
  the trip and resubmits it, and the stage that asked starts again;
* once the last stage is passed the trip is approved (possibly with conditions).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from workflows import conditions
from workflows.conditions import Condition, Vocabulary
from workflows.model import Mode, Procedure, Stage, Step, WhoKind

# --- words -------------------------------------------------------------------------------------

_WORDS: dict[str, tuple[str, str]] = {
    "submitted": ("Aanvraag ingediend", "Trip submitted"),
    "needed": ("Goedkeuring nodig?", "Approval needed?"),
    "registered": ("Geregistreerd, geen goedkeuring nodig", "Registered, no approval needed"),
    "no_when": ("nee, als", "no, when"),
    "yes_otherwise": ("ja, anders", "yes, otherwise"),
    "which": ("Welke fase?", "Which stage?"),
    "skipped": ("anders: overgeslagen", "otherwise: skipped"),
    "none_skipped": ("geen van deze: overgeslagen", "none of these: skipped"),
    "approved": ("Goedgekeurd (eventueel met voorwaarden)", "Approved (possibly with conditions)"),
    "rejected": ("Geweigerd", "Rejected"),
    "changes": ("Reiziger past de reis aan", "Traveller changes the trip"),
    "passed": ("akkoord", "approved"),
    "rejects": ("weigert", "rejects"),
    "asks_changes": ("vraagt wijzigingen", "requests changes"),
    "resubmits": ("dient opnieuw in", "resubmits"),
    "advice": ("advies eerst", "advice first"),
    "decide": ("beslist", "decides"),
    "advise": ("adviseert", "advises"),
    "recommend": ("beveelt aan", "recommends"),
    "support": ("steunt of houdt tegen", "supports or stops"),
    "notify": ("wordt ingelicht", "is told"),
    "no_wait": ("niemand wacht hierop", "nothing waits for this"),
    "recommendation": ("aanbeveling", "recommendation"),
    "goes_on": ("gaat meteen verder", "goes on at once"),
    "supervisor": ("leidinggevende", "supervisor"),
    "faculty_authority": ("facultaire overheid", "faculty authority"),
    "of": ("van", "of"),
    "not": ("niet", "not"),
    "and": (" en ", " and "),
    "or": (" of ", " or "),
}


def _w(key: str, locale: str) -> str:
    nl, en = _WORDS[key]
    return nl if locale == "nl" else en


def who_label(procedure: Procedure, step: Step, locale: str) -> str:
    """Who takes a step, by title: a role, the supervisor, or a committee with its quorum."""
    who = step.who
    if who.kind is WhoKind.SUPERVISOR:
        return _w("supervisor", locale)
    if who.kind is WhoKind.FACULTY_AUTHORITY:
        return _w("faculty_authority", locale)
    if who.kind is WhoKind.COMMITTEE:
        committee = procedure.committees.get(str(who.name))
        if committee is None:
            return f"quorum {who.quorum}"
        return f"{committee.name(locale)} (quorum {who.quorum} {_w('of', locale)} {committee.size})"
    return who.describe(locale)


def step_lines(procedure: Procedure, step: Step, locale: str) -> tuple[str, str, str]:
    """A step in words: its name, who decides or advises, and its deadline."""
    mode = _w(step.mode.value, locale)
    return (
        step.name(locale),
        f"{who_label(procedure, step, locale)} {mode}",
        step.deadline.describe(locale) if step.mode is not Mode.NOTIFY else _w("no_wait", locale),
    )


def condition_text(procedure: Procedure, condition: Condition, locale: str) -> str:
    """A condition in words, without the outer brackets, with flags by their names."""
    return _condition(procedure, condition, locale, top=True)


def _condition(procedure: Procedure, c: Condition, locale: str, top: bool) -> str:
    if isinstance(c, conditions.All | conditions.Any_):
        joiner = _w("and" if isinstance(c, conditions.All) else "or", locale)
        text = joiner.join(_condition(procedure, p, locale, top=False) for p in c.parts)
        return text if top or len(c.parts) == 1 else f"({text})"
    if isinstance(c, conditions.Not):
        return f"{_w('not', locale)} {_condition(procedure, c.part, locale, top=False)}"
    if isinstance(c, conditions.Flag) and c.name in procedure.flags:
        return procedure.flags[c.name].name(locale)
    if isinstance(c, conditions.Category):
        titles = [
            procedure.categories[v](locale).lower() if v in procedure.categories else v
            for v in sorted(c.values)
        ]
        return ("reiziger is " if locale == "nl" else "traveller is ") + _w("or", locale).join(
            titles
        )
    return c.describe(locale)


# --- the flow ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Branch:
    """Stages of which at most one applies, entered from one decision, and whether none can."""

    stages: tuple[Stage, ...]
    can_skip: bool


def _vocabulary(procedure: Procedure) -> Vocabulary:
    # Conditions see the level after raises, which never exceeds the cap.
    return Vocabulary(
        min(procedure.cap, procedure.scale_max),
        procedure.tags,
        procedure.lists,
        frozenset(procedure.flags),
        frozenset(procedure.categories),
        procedure.names,
    )


def branches(procedure: Procedure) -> tuple[Branch, ...]:
    """The stages in order, grouped where consecutive stages exclude each other.

    The engine takes every stage whose condition holds, in order. Stages that can never apply
    together (given that the trip needs approval at all) are one choice between branches;
    ``can_skip`` says whether a trip can need none of them.
    """
    vocab = _vocabulary(procedure)
    context: tuple[Condition, ...] = (
        (conditions.Not(procedure.no_approval),) if procedure.no_approval is not None else ()
    )

    def possible(*parts: Condition) -> bool:
        return conditions.can_hold(conditions.All((*context, *parts)), vocab)

    groups: list[list[Stage]] = []
    for stage in procedure.stages:
        last = groups[-1] if groups else None
        if last is not None and all(not possible(s.when, stage.when) for s in last):
            last.append(stage)
        else:
            groups.append([stage])
    return tuple(Branch(tuple(g), possible(*(conditions.Not(s.when) for s in g))) for g in groups)


# --- Mermaid -----------------------------------------------------------------------------------


def _mm(text: str) -> str:
    """Text inside Mermaid's quotes: one line, with its special characters as entity codes."""
    text = " ".join(text.split()).replace("#", "#35;")
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _stage_node(stage: Stage) -> str:
    return f"stage_{stage.id}"


def _step_node(stage: Stage, step: Step) -> str:
    return f"stage_{stage.id}_{step.id}"


def mermaid(procedure: Procedure, locale: str = "en") -> str:
    """A Mermaid flowchart of the procedure as the engine runs it."""

    def w(key: str) -> str:
        return _w(key, locale)

    groups = branches(procedure)
    entries = [
        _stage_node(g.stages[0]) if _is_direct(g) else f"choose_{g.stages[0].id}" for g in groups
    ]
    entries.append("approved")
    out = ["flowchart TD", f'  submitted(["{_mm(w("submitted"))}"])']
    if procedure.no_approval is not None:
        when = condition_text(procedure, procedure.no_approval, locale)
        out += [
            f'  no_approval{{"{_mm(w("needed"))}"}}',
            f'  registered(["{_mm(w("registered"))}"])',
            "  submitted --> no_approval",
            f'  no_approval -->|"{_mm(w("no_when") + " " + when)}"| registered',
            f'  no_approval -->|"{_mm(w("yes_otherwise"))}"| {entries[0]}',
        ]
    else:
        out.append(f"  submitted --> {entries[0]}")
    deciders: list[str] = []
    advisers: list[str] = []
    for index, group in enumerate(groups):
        after = entries[index + 1]
        if not _is_direct(group):
            choice = entries[index]
            single = len(group.stages) == 1
            question = f"{group.stages[0].name(locale)}?" if single else w("which")
            out.append(f'  {choice}{{"{_mm(question)}"}}')
            for stage in group.stages:
                when = condition_text(procedure, stage.when, locale)
                out.append(f'  {choice} -->|"{_mm(when)}"| {_stage_node(stage)}')
            if group.can_skip:
                skip = w("skipped") if single else w("none_skipped")
                out.append(f'  {choice} -->|"{_mm(skip)}"| {after}')
        for stage in group.stages:
            sid = _stage_node(stage)
            out.append(f'  subgraph {sid} ["{_mm(stage.name(locale))}"]')
            for step in _ordered(stage):
                label = "<br/>".join(_mm(line) for line in step_lines(procedure, step, locale))
                node = _step_node(stage, step)
                if step.mode in (Mode.ADVISE, Mode.RECOMMEND):
                    out.append(f'    {node}[/"{label}"/]')
                    advisers.append(node)
                elif step.mode is Mode.NOTIFY:
                    out.append(f'    {node}(["{label}"])')
                    advisers.append(node)
                else:
                    out.append(f'    {node}["{label}"]')
                    deciders.append(node)
            for adviser in stage.steps:
                if adviser.mode not in (Mode.ADVISE, Mode.RECOMMEND):
                    continue
                word = w("advice") if adviser.mode is Mode.ADVISE else w("recommendation")
                for decider in stage.decide_steps:
                    out.append(
                        f'    {_step_node(stage, adviser)} -.->|"{_mm(word)}"| '
                        f"{_step_node(stage, decider)}"
                    )
            out.append("  end")
            changes = f"changes_{stage.id}"
            asks = [d for d in stage.decide_steps if d.mode is Mode.DECIDE]
            if asks:
                out.append(f'  {changes}[["{_mm(w("changes"))}"]]')
            for decider in stage.decide_steps:
                node = _step_node(stage, decider)
                out.append(f'  {node} -->|"{_mm(w("rejects"))}"| rejected')
                if decider in asks:
                    out.append(f'  {node} -.->|"{_mm(w("asks_changes"))}"| {changes}')
            if asks:
                out.append(f'  {changes} -.->|"{_mm(w("resubmits"))}"| {sid}')
            passed = w("passed") if stage.holds_up else w("goes_on")
            out.append(f'  {sid} -->|"{_mm(passed)}"| {after}')
    out += [
        f'  approved(["{_mm(w("approved"))}"])',
        f'  rejected(["{_mm(w("rejected"))}"])',
        "  classDef advice stroke-dasharray: 5 5",
        "  classDef good fill:#e6f4ea,stroke:#1e7b34",
        "  classDef bad fill:#fbe9e7,stroke:#b3261e",
        "  class approved,registered good",
        "  class rejected bad",
    ]
    if advisers:
        out.append(f"  class {','.join(advisers)} advice")
    return "\n".join(out)


def _is_direct(group: Branch) -> bool:
    """A single stage that always applies needs no decision before it."""
    return len(group.stages) == 1 and not group.can_skip


# --- SVG ---------------------------------------------------------------------------------------

_CHAR = 6.6  # average width of a 12px system-ui character, in px
_STEP_W = 230
_LINE = 15
_GAP = 16
_COLUMN_MIN = 440
_LANE = 24  # x of the line a skipped stage takes
_LEFT = 56  # where the columns start


def _wrap(text: str, width_px: float) -> list[str]:
    return textwrap.wrap(text, max(12, int(width_px / _CHAR))) or [""]


class _Canvas:
    """SVG parts drawn with presentation attributes and classes only (no style attributes)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def text(
        self, x: float, y: float, s: str, cls: str = "d-text", anchor: str = "start", size: int = 12
    ) -> None:
        weight = ' font-weight="600"' if cls in ("d-title", "d-name") else ""
        italic = ' font-style="italic"' if cls == "d-label" else ""
        self.parts.append(
            f'<text class="{cls}" x="{x:.0f}" y="{y:.0f}" font-size="{size}" '
            f'text-anchor="{anchor}"{weight}{italic}>{escape(s)}</text>'
        )

    def lines(
        self, x: float, y: float, lines: Sequence[str], cls: str = "d-label", anchor: str = "start"
    ) -> None:
        for i, line in enumerate(lines):
            self.text(x, y + i * 13, line, cls, anchor, size=11)

    def box(
        self, x: float, y: float, w: float, h: float, cls: str, rx: float = 4, dashed: bool = False
    ) -> None:
        fill, stroke = _COLOURS[cls]
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        self.parts.append(
            f'<rect class="{cls}" x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" '
            f'rx="{rx}" fill="{fill}" stroke="{stroke}"{dash}/>'
        )

    def diamond(self, cx: float, y: float, w: float, h: float, label: str) -> None:
        points = f"{cx:.0f},{y:.0f} {cx + w / 2:.0f},{y + h / 2:.0f} {cx:.0f},{y + h:.0f} "
        points += f"{cx - w / 2:.0f},{y + h / 2:.0f}"
        fill, stroke = _COLOURS["d-choice"]
        self.parts.append(
            f'<polygon class="d-choice" points="{points}" fill="{fill}" stroke="{stroke}"/>'
        )
        self.text(cx, y + h / 2 + 4, label, "d-name", "middle")

    def path(self, points: Sequence[tuple[float, float]], cls: str = "d-edge") -> None:
        d = " ".join(f"{'M' if i == 0 else 'L'}{x:.0f},{y:.0f}" for i, (x, y) in enumerate(points))
        colour = {"d-edge": "#555", "d-edge-no": "#b3261e", "d-edge-loop": "#8a5a00"}[cls]
        dash = ' stroke-dasharray="4 3"' if cls == "d-edge-loop" else ""
        self.parts.append(
            f'<path class="{cls}" d="{d}" fill="none" stroke="{colour}"{dash} '
            f'marker-end="url(#d-arrow)"/>'
        )

    def pill(self, cx: float, y: float, label: str, cls: str) -> None:
        w = _pill_width(label)
        self.box(cx - w / 2, y, w, 30, cls, rx=15)
        self.text(cx, y + 20, label, "d-name", "middle", size=13)


def _pill_width(label: str) -> float:
    return max(150.0, len(label) * 8.0 + 30)


_COLOURS = {
    "d-start": ("#e3ecf6", "#12324f"),
    "d-good": ("#e6f4ea", "#1e7b34"),
    "d-bad": ("#fbe9e7", "#b3261e"),
    "d-stage": ("#fafbfc", "#9aa5b1"),
    "d-step": ("#ffffff", "#0b5cad"),
    "d-advice": ("#f5f8fc", "#0b5cad"),
    "d-loop": ("#fff8e6", "#8a5a00"),
    "d-choice": ("#fffdf5", "#6b6b6b"),
}


@dataclass(frozen=True)
class _StepBox:
    step: Step
    lines: tuple[tuple[str, str], ...]  # (class, text)

    @property
    def height(self) -> float:
        return 10 + _LINE * len(self.lines)


def _step_box(procedure: Procedure, step: Step, locale: str) -> _StepBox:
    name, who, deadline = step_lines(procedure, step, locale)
    inner = _STEP_W - 16
    lines = [("d-name", s) for s in _wrap(name, inner * 0.9)]  # bold is wider
    lines += [("d-text", s) for s in _wrap(who, inner)] + [("d-muted", deadline)]
    return _StepBox(step, tuple(lines))


def _row_width(boxes: Sequence[_StepBox]) -> float:
    return len(boxes) * _STEP_W + (len(boxes) - 1) * _GAP if boxes else 0


def _stage_size(procedure: Procedure, stage: Stage, locale: str) -> tuple[float, float]:
    rows = _stage_rows(procedure, stage, locale)
    width = max([_row_width(r) for r in rows] + [len(stage.name(locale)) * 7.5])
    height = 34 + sum(max(b.height for b in r) for r in rows) + 34 * (len(rows) - 1) + 14
    return max(width + 2 * _GAP, _COLUMN_MIN), height


def _ordered(stage: Stage) -> tuple[Step, ...]:
    """A stage's steps as drawn: advice, recommendations and notices above the deciders."""
    return (
        *(s for s in stage.steps if not s.mode.decides),
        *stage.decide_steps,
    )


def _stage_rows(procedure: Procedure, stage: Stage, locale: str) -> list[list[_StepBox]]:
    rows = [tuple(s for s in stage.steps if not s.mode.decides), stage.decide_steps]
    return [[_step_box(procedure, s, locale) for s in row] for row in rows if row]


def _draw_stage(
    c: _Canvas, procedure: Procedure, stage: Stage, locale: str, x: float, y: float, w: float
) -> float:
    """A stage with its steps, its changes loop and its rejected end; returns the bottom."""
    _, height = _stage_size(procedure, stage, locale)
    c.box(x, y, w, height, "d-stage", rx=6)
    c.text(x + 12, y + 21, stage.name(locale), "d-title", size=13)
    row_y = y + 34
    previous: list[tuple[float, float]] = []  # bottom centres of the row above
    for row in _stage_rows(procedure, stage, locale):
        row_h = max(b.height for b in row)
        bx = x + (w - _row_width(row)) / 2
        tops: list[tuple[float, float]] = []
        for box in row:
            advice = not box.step.mode.decides
            c.box(bx, row_y, _STEP_W, box.height, "d-advice" if advice else "d-step", dashed=advice)
            for i, (cls, line) in enumerate(box.lines):
                c.text(bx + 8, row_y + 18 + i * _LINE, line, cls)
            tops.append((bx + _STEP_W / 2, row_y))
            bx += _STEP_W + _GAP
        for px, py in previous:
            for tx, ty in tops:
                c.path([(px, py), (tx, ty - 2)], "d-edge-loop")
        if previous:
            c.lines(x + 12, row_y - 14, [_w("advice", locale)])
        previous = [(tx, row_y + row_h) for tx, _ in tops]
        row_y += row_h + 34
    bottom = y + height
    # Requests changes: down to the traveller, and back up into this stage.
    loop_y = bottom + 44
    c.path([(x + 24, bottom), (x + 24, loop_y - 2)], "d-edge-loop")
    c.path([(x + 176, loop_y), (x + 176, bottom + 2)], "d-edge-loop")
    c.text(x + 30, bottom + 15, _w("asks_changes", locale), "d-label", size=11)
    c.text(x + 170, bottom + 32, _w("resubmits", locale), "d-label", "end", size=11)
    c.box(x, loop_y, 200, 30, "d-loop", rx=4)
    c.text(x + 100, loop_y + 20, _w("changes", locale), "d-text", "middle")
    # Rejects: any deciding step of the stage can end the trip here.
    c.path([(x + w - 60, bottom), (x + w - 60, loop_y - 2)], "d-edge-no")
    c.text(x + w - 66, bottom + 15, _w("rejects", locale), "d-label", "end", size=11)
    c.pill(x + w - 60, loop_y, _w("rejected", locale), "d-bad")
    c.text(x + w / 2 + 6, bottom + 15, _w("passed", locale), "d-label", size=11)
    return bottom


def svg(procedure: Procedure, locale: str = "en") -> str:
    """The same flow as an inline SVG, drawn here so the page needs no script or network."""
    groups = branches(procedure)
    sizes = {s.id: _stage_size(procedure, s, locale) for g in groups for s in g.stages}
    group_w = [sum(sizes[s.id][0] for s in g.stages) + 40 * (len(g.stages) - 1) for g in groups]
    content_w = max([*group_w, 600.0])
    cx = _LEFT + content_w / 2
    c = _Canvas()
    y = 12.0
    c.pill(cx, y, _w("submitted", locale), "d-start")
    y += 30
    right = _LEFT + content_w
    if procedure.no_approval is not None:
        label = (
            _w("no_when", locale) + " " + condition_text(procedure, procedure.no_approval, locale)
        )
        wrapped = _wrap(label, 260)
        drop = max(24.0, 13 * len(wrapped) - 8)  # room for the condition above the branch
        c.path([(cx, y), (cx, y + drop)])
        y += drop + 2
        c.diamond(cx, y, 200, 44, _w("needed", locale))
        c.lines(cx + 112, y + 18 - 13 * len(wrapped), wrapped)
        registered = _w("registered", locale)
        half = _pill_width(registered) / 2
        c.path([(cx + 100, y + 22), (cx + 380, y + 22)])
        c.pill(cx + 382 + half, y + 7, registered, "d-good")
        right = max(right, cx + 382 + 2 * half)
        c.lines(cx + 6, y + 60, [_w("yes_otherwise", locale)])
        y += 44
    for group in groups:
        c.path([(cx, y), (cx, y + 28)])
        y += 30
        widths = [sizes[s.id][0] for s in group.stages]
        xs: list[float] = []
        x = cx - group_w[groups.index(group)] / 2
        for w in widths:
            xs.append(x)
            x += w + 40
        if _is_direct(group):
            top = y
        else:
            single = len(group.stages) == 1
            question = f"{group.stages[0].name(locale)}?" if single else _w("which", locale)
            dw = max(200.0, len(question) * 7.5 + 60)
            c.diamond(cx, y, dw, 44, question)
            fork = y + 44
            labels = [
                _wrap(condition_text(procedure, s.when, locale), w / 2 + 60)
                for s, w in zip(group.stages, widths, strict=True)
            ]
            drop = 24 + 13 * max(len(lab) for lab in labels)
            top = fork + drop
            if group.can_skip:
                skip = _w("skipped" if single else "none_skipped", locale)
                c.parts.append(
                    f'<path class="d-edge" d="M{cx - dw / 2:.0f},{fork - 22:.0f} '
                    f'L{_LANE},{fork - 22:.0f} L{_LANE},{top:.0f}" fill="none" stroke="#555"/>'
                )
                c.lines(_LANE + 6, fork - 28, [skip])
            if not single:
                centres = [xi + wi / 2 for xi, wi in zip(xs, widths, strict=True)]
                c.parts.append(
                    f'<path class="d-edge" d="M{cx:.0f},{fork:.0f} L{cx:.0f},{fork + 8:.0f} '
                    f'M{centres[0]:.0f},{fork + 8:.0f} L{centres[-1]:.0f},{fork + 8:.0f}" '
                    f'fill="none" stroke="#555"/>'
                )
            for xi, wi, lab in zip(xs, widths, labels, strict=True):
                mid = xi + wi / 2
                start = fork if single else fork + 8
                c.path([(mid, start), (mid, top - 2)])
                c.lines(mid + 8, start + 18, lab)
        bottoms = [
            _draw_stage(c, procedure, stage, locale, xi, top, wi)
            for stage, xi, wi in zip(group.stages, xs, widths, strict=True)
        ]
        join = max(bottoms) + 96
        for xi, wi, bottom in zip(xs, widths, bottoms, strict=True):
            mid = xi + wi / 2
            if len(group.stages) == 1:
                c.parts.append(
                    f'<path class="d-edge" d="M{mid:.0f},{bottom:.0f} L{mid:.0f},{join:.0f}" '
                    f'fill="none" stroke="#555"/>'
                )
            else:
                c.parts.append(
                    f'<path class="d-edge" d="M{mid:.0f},{bottom:.0f} L{mid:.0f},{join:.0f} '
                    f'L{cx:.0f},{join:.0f}" fill="none" stroke="#555"/>'
                )
        if group.can_skip and not _is_direct(group):
            c.parts.append(
                f'<path class="d-edge" d="M{_LANE},{top:.0f} L{_LANE},{join:.0f} '
                f'L{cx:.0f},{join:.0f}" fill="none" stroke="#555"/>'
            )
        y = join
    c.path([(cx, y), (cx, y + 28)])
    y += 30
    c.pill(cx, y, _w("approved", locale), "d-good")
    y += 42
    width = max(right, _LEFT + content_w) + 16
    title = escape(procedure.name(locale))
    defs = (
        '<defs><marker id="d-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#555"/></marker></defs>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="procedure-diagram" '
        f'aria-labelledby="procedure-diagram-title" viewBox="0 0 {width:.0f} {y:.0f}" '
        f'width="{width:.0f}" height="{y:.0f}" font-family="system-ui, sans-serif">'
        f'<title id="procedure-diagram-title">{title}</title>{defs}{"".join(c.parts)}</svg>'
    )
