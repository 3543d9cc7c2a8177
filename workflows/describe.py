"""Procedures and routes in words and pictures: text summaries, Mermaid and SVG diagrams."""

from __future__ import annotations

import json
from datetime import date
from html import escape
from typing import Any

from workflows.engine import Destination, Route, TripFacts, dossier_items
from workflows.model import (
    ROLE_TITLES,
    Combine,
    Mode,
    Procedure,
    Regions,
    RiskPolicy,
    Step,
    Who,
    WhoKind,
)


def _step_line(step: Step, locale: str) -> str:
    mode = (
        ("beslist" if step.mode is Mode.DECIDE else "adviseert")
        if locale == "nl"
        else ("decides" if step.mode is Mode.DECIDE else "advises")
    )
    wd = "werkdagen" if locale == "nl" else "working days"
    parts = [f"{step.who.describe(locale)} {mode}", f"{step.deadline_days} {wd}"]
    if step.reminder_days is not None:
        parts.append(
            ("herinnering na " if locale == "nl" else "reminder after ") + str(step.reminder_days)
        )
    if step.escalation:
        to = step.escalation.to
        nl_to, en_to = ROLE_TITLES.get(to, ("plaatsvervanger", "deputy"))
        parts.append(
            ("escalatie naar " if locale == "nl" else "escalation to ")
            + f"{nl_to if locale == 'nl' else en_to} ({step.escalation.after_days})"
        )
    return f"{step.name(locale)}: " + ", ".join(parts)


def summary(procedure: Procedure, locale: str = "en") -> str:
    """A readable outline of a procedure."""
    nl = locale == "nl"
    lines = [
        f"{procedure.name(locale)} ({procedure.id} v{procedure.version})",
        procedure.description(locale),
        "",
    ]
    if procedure.raises:
        lines.append("Verhogingen van het niveau:" if nl else "Level raises:")
        for r in procedure.raises:
            lines.append(f"  +{r.by} {r.reason(locale)} — {r.when.describe(locale)}")
        lines.append(f"  {'maximum' if nl else 'cap'}: {procedure.cap}")
    lead = ", ".join(f"{lvl}: {days}" for lvl, days in sorted(procedure.lead_time_days.items()))
    lines.append(
        ("Termijn vóór vertrek (dagen per niveau): " if nl else "Lead time (days per level): ")
        + lead
    )
    if procedure.no_approval is not None:
        lines.append(
            ("Geen goedkeuring nodig als " if nl else "No approval needed when ")
            + procedure.no_approval.describe(locale)
        )
    lines.append("")
    for i, stage in enumerate(procedure.stages, 1):
        lines.append(
            f"{i}. {stage.name(locale)} — {'als' if nl else 'when'} {stage.when.describe(locale)}"
        )
        for step in stage.steps:
            lines.append(f"   - {_step_line(step, locale)}")
    lines.append("")
    lines.append(
        ("Zendingsdossier: " if nl else "Mission dossier: ")
        + f"{len(procedure.dossier)} "
        + ("regels" if nl else "rules")
    )
    f = procedure.followup
    days = ", ".join(f"T-{d}" for d in f.dossier_reminder_days) or "—"
    debrief = ", ".join(map(str, sorted(f.debrief_levels))) or "—"
    lines.append(
        (
            f"Herinneringen dossier: {days}; veilige terugkeer gevraagd vanaf niveau "
            f"{f.safe_return_min_level}, na {f.safe_return_escalate_hours} uur naar de "
            f"preventieadviseur; debriefing op niveau {debrief}"
        )
        if nl
        else (
            f"Dossier reminders: {days}; safe return asked from level "
            f"{f.safe_return_min_level}, after {f.safe_return_escalate_hours} hours to the "
            f"safety officer; debrief at level {debrief}"
        )
    )
    lines.extend(_choice_lines(procedure, nl))
    return "\n".join(lines)


def _choice_lines(procedure: Procedure, nl: bool) -> list[str]:
    """The university's choices beyond the route, and the advisory sources that count."""
    c = procedure.choices
    locale = "nl" if nl else "en"
    never = c.necessity_from_level > procedure.scale_max
    cancel = (" of " if nl else " or ").join(
        Who(WhoKind.ROLE, name).describe(locale) for name in sorted(c.cancel_roles)
    )
    if nl:
        necessity = "nooit" if never else f"vanaf niveau {c.necessity_from_level}"
        return [
            f"Noodzaakmotivering: {necessity}; voorwaarden te vervullen "
            f"{c.condition_due_days_before} werkdagen voor vertrek; annuleren of intrekken: "
            f"{cancel}",
            *policy_lines(procedure.risk_policy, locale),
        ]
    necessity = "never" if never else f"from level {c.necessity_from_level}"
    return [
        f"Necessity motivation: {necessity}; conditions due {c.condition_due_days_before} "
        f"working days before departure; cancel or revoke: {cancel}",
        *policy_lines(procedure.risk_policy, locale),
    ]


def policy_lines(policy: RiskPolicy, locale: str = "en") -> list[str]:
    """The risk policy in words: which sources count, how they combine, regions, nationality."""
    nl = locale == "nl"
    sources = ", ".join(policy.sources) if policy.sources is not None else ("alle" if nl else "all")
    if policy.combine is Combine.PRIMARY:
        how = (
            "de eerste bron in de lijst met advies voor de plaats beslist, anders de volgende; "
            "de andere zijn enkel ter informatie"
            if nl
            else "the first listed source with advice for the place decides, else the next; "
            "the others are information only"
        )
    elif nl:
        how = "het strengste geldende advies telt"
    else:
        how = "the most severe current advice counts"
    if policy.regions is Regions.HIGHER:
        regions = (
            "het hoogste van het advies van een bron voor de regio en voor het hele land"
            if nl
            else "the higher of a source's advice for the region and for the whole country"
        )
    else:
        regions = (
            "het advies van een bron voor een regio vervangt haar advies voor het hele land"
            if nl
            else "a source's advice for a region replaces its advice for the whole country"
        )
    lines = [
        f"Bronnen van reisadvies: {sources} ({how})"
        if nl
        else f"Advisory sources: {sources} ({how})",
        ("Regio's: " if nl else "Regions: ") + regions,
    ]
    if policy.nationality_sources:
        pairs = ", ".join(f"{n} → {code}" for n, code in policy.nationality_sources.items())
        lines.append(
            f"Eigen overheid van de reiziger telt ook mee (als strengste advies): {pairs}"
            if nl
            else f"The traveller's own government also counts (as most severe): {pairs}"
        )
    return lines


def _mm(text: str) -> str:
    """A label inside Mermaid's quotes: one line (a line break ends the statement), no quote."""
    return " ".join(text.split()).replace('"', "#quot;")


def mermaid(procedure: Procedure, locale: str = "en") -> str:
    """A Mermaid flowchart: the stages in order, each with its condition and its steps."""
    nl = locale == "nl"
    out = ["flowchart TD", f'  submitted(["{"Aanvraag ingediend" if nl else "Trip submitted"}"])']
    previous = "submitted"
    if procedure.no_approval is not None:
        out.append(f'  no_approval{{"{_mm(procedure.no_approval.describe(locale))}"}}')
        out.append(f'  registered(["{"Geregistreerd" if nl else "Registered, no approval"}"])')
        out.append("  submitted --> no_approval")
        out.append(f"  no_approval -- {'ja' if nl else 'yes'} --> registered")
        previous = "no_approval"
    for stage in procedure.stages:
        sid = f"stage_{stage.id}"
        label = f"{stage.name(locale)} — {'als' if nl else 'when'} {stage.when.describe(locale)}"
        out.append(f'  subgraph {sid} ["{_mm(label)}"]')
        for step in stage.steps:
            shape = ("[/", "/]") if step.mode is Mode.ADVISE else ("[", "]")
            out.append(f'    {sid}_{step.id}{shape[0]}"{_mm(_step_line(step, locale))}"{shape[1]}')
        out.append("  end")
        label_no = f" -- {'nee' if nl else 'no'}" if previous == "no_approval" else ""
        out.append(f"  {previous}{label_no} --> {sid}")
        previous = sid
    out.append(f'  approved(["{"Goedgekeurd" if nl else "Approved"}"])')
    out.append(f"  {previous} --> approved")
    return "\n".join(out)


def svg(procedure: Procedure, locale: str = "en") -> str:
    """The same flow as an inline SVG, drawn here so the page needs no script or network."""
    width, box_h, gap, pad = 760, 30, 26, 12
    y = pad
    parts: list[str] = []

    def text(x: float, y_: float, s: str, size: int = 13, weight: str = "normal") -> None:
        parts.append(
            f'<text x="{x}" y="{y_}" font-size="{size}" font-weight="{weight}" '
            f'font-family="system-ui, sans-serif">{escape(s)}</text>'
        )

    def arrow(y1: float, y2: float) -> None:
        x = width / 2
        parts.append(
            f'<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2 - 4}" stroke="#555" '
            f'marker-end="url(#arrow)"/>'
        )

    def pill(label: str) -> None:
        nonlocal y
        parts.append(
            f'<rect x="{width / 2 - 150}" y="{y}" width="300" height="{box_h}" rx="15" '
            f'fill="#e3ecf6" stroke="#12324f"/>'
        )
        text(width / 2 - 140, y + 20, label, weight="bold")
        y += box_h

    pill("Aanvraag ingediend" if locale == "nl" else "Trip submitted")
    if procedure.no_approval is not None:
        y += gap
        arrow(y - gap, y)
        note = "Geen goedkeuring als " if locale == "nl" else "No approval when "
        text(pad, y - 6, note + procedure.no_approval.describe(locale), size=12)
    for stage in procedure.stages:
        y += gap
        arrow(y - gap, y)
        height = 28 + len(stage.steps) * (box_h + 6)
        parts.append(
            f'<rect x="{pad}" y="{y}" width="{width - 2 * pad}" height="{height}" '
            f'rx="6" fill="#fafbfc" stroke="#9aa5b1"/>'
        )
        when = "als" if locale == "nl" else "when"
        text(
            pad + 10,
            y + 19,
            f"{stage.name(locale)} — {when} {stage.when.describe(locale)}",
            weight="bold",
        )
        sy = y + 28
        for step in stage.steps:
            dash = ' stroke-dasharray="5 3"' if step.mode is Mode.ADVISE else ""
            parts.append(
                f'<rect x="{pad + 20}" y="{sy}" width="{width - 2 * pad - 40}" '
                f'height="{box_h}" rx="4" fill="#fff" stroke="#0b5cad"{dash}/>'
            )
            text(pad + 30, sy + 20, _step_line(step, locale), size=12)
            sy += box_h + 6
        y += height
    y += gap
    arrow(y - gap, y)
    pill("Goedgekeurd" if locale == "nl" else "Approved")
    y += pad
    defs = (
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker>'
        "</defs>"
    )
    title = escape(procedure.name(locale))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{title}" '
        f'viewBox="0 0 {width} {y}" width="100%">{defs}{"".join(parts)}</svg>'
    )


def facts_from_json(data: dict[str, Any]) -> TripFacts:
    """Trip facts from the JSON that ``flask procedures explain`` reads."""
    destinations = tuple(
        Destination(
            country=d["country"],
            region=d.get("region"),
            level=int(d["level"]),
            source=d.get("source", ""),
            tags=frozenset(d.get("tags", [])),
            lists=frozenset(d.get("lists", [])),
        )
        for d in data["destinations"]
    )
    return TripFacts(
        destinations=destinations,
        category=data["category"],
        departure=date.fromisoformat(data["departure"]),
        return_date=date.fromisoformat(data["return"]),
        today=date.fromisoformat(data["today"]),
        flags=frozenset(data.get("flags", [])),
    )


def explain(procedure: Procedure, facts: TripFacts, route_: Route, locale: str = "en") -> str:
    """The route of one trip with the reason for every part of it."""
    nl = locale == "nl"
    lines = [
        f"{procedure.id} v{procedure.version}",
        ("Niveau " if nl else "Level ") + str(route_.risk.level),
    ]
    lines += [f"  - {reason(locale)}" for reason in route_.risk.reasons]
    lines += [f"  {line}" for line in policy_lines(procedure.risk_policy, locale)]
    late = (" — LAAT" if nl else " — LATE") if route_.is_late else ""
    lines.append(
        (
            f"Termijn: {route_.lead_time_days} dagen; vertrek over "
            f"{route_.days_before_departure} dagen"
            if nl
            else f"Lead time: {route_.lead_time_days} days; departure in "
            f"{route_.days_before_departure} days"
        )
        + late
    )
    if route_.no_approval:
        lines.append(
            "Geen goedkeuring nodig (registratie)."
            if nl
            else "No approval needed (registration only)."
        )
    for i, routed in enumerate(route_.stages, 1):
        lines.append(
            f"{i}. {routed.stage.name(locale)} ({'want' if nl else 'because'} "
            f"{routed.stage.when.describe(locale)}: {routed.facts})"
        )
        lines += [f"   - {_step_line(step, locale)}" for step in routed.stage.steps]
    items = dossier_items(procedure, facts, route_.risk)
    lines.append(("Zendingsdossier:" if nl else "Mission dossier:") + f" {len(items)}")
    lines += [f"  - {i.rule.name(locale)} ({i.due_on.isoformat()})" for i in items]
    return "\n".join(lines)


def facts_to_json(facts: TripFacts) -> str:
    return json.dumps(
        {
            "destinations": [
                {
                    "country": d.country,
                    "region": d.region,
                    "level": d.level,
                    "source": d.source,
                    "tags": sorted(d.tags),
                    "lists": sorted(d.lists),
                }
                for d in facts.destinations
            ],
            "category": facts.category,
            "departure": facts.departure.isoformat(),
            "return": facts.return_date.isoformat(),
            "today": facts.today.isoformat(),
            "flags": sorted(facts.flags),
        },
        indent=2,
    )
