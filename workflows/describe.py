"""Procedures and routes in words and pictures: text summaries, Mermaid and SVG diagrams."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from workflows import diagram
from workflows.engine import Destination, Route, TripFacts, dossier_items
from workflows.model import (
    CATEGORIES,
    LOCALES,
    ROLE_TITLES,
    Combine,
    Mode,
    Procedure,
    RaiseCombine,
    Regions,
    RiskPolicy,
    Step,
)

#: What a step's people do, per kind of step.
MODE_WORDS = {
    Mode.DECIDE: ("beslist", "decides"),
    Mode.ADVISE: ("adviseert", "advises"),
    Mode.RECOMMEND: ("beveelt aan (houdt niets op)", "recommends (holds nothing up)"),
    Mode.SUPPORT: ("steunt en stuurt door, of houdt tegen", "supports and forwards, or stops"),
    Mode.NOTIFY: ("wordt op de hoogte gebracht", "is told"),
}


def _step_line(step: Step, locale: str, procedure: Procedure | None = None) -> str:
    nl_mode, en_mode = MODE_WORDS[step.mode]
    mode = nl_mode if locale == "nl" else en_mode
    parts = [f"{step.who.describe(locale)} {mode}"]
    if step.mode is not Mode.NOTIFY:
        parts.append(("termijn " if locale == "nl" else "within ") + step.deadline.describe(locale))
    if step.reminder is not None:
        parts.append(
            ("herinnering na " if locale == "nl" else "reminder after ")
            + step.reminder.describe(locale)
        )
    if step.escalation:
        to = step.escalation.to
        if to == "deputy":
            title = "plaatsvervanger" if locale == "nl" else "deputy"
        elif procedure is not None:
            title = procedure.role_title(to, locale)
        else:
            nl_to, en_to = ROLE_TITLES.get(to, (to, to))
            title = nl_to if locale == "nl" else en_to
        parts.append(
            ("escalatie naar " if locale == "nl" else "escalation to ")
            + f"{title} "
            + ("na " if locale == "nl" else "after ")
            + step.escalation.after.describe(locale)
        )
        taker = step.escalation.reassign_to
        if taker is not None:
            if procedure is not None:
                title = procedure.role_title(taker, locale)
            else:
                nl_to, en_to = ROLE_TITLES.get(taker, (taker, taker))
                title = nl_to if locale == "nl" else en_to
            parts.append(
                (
                    "zonder plaatsvervanger overgedragen aan "
                    if locale == "nl"
                    else "without a deputy handed to "
                )
                + title
            )
    return f"{step.name(locale)}: " + ", ".join(parts)


def summary(
    procedure: Procedure, locale: str = "en", source_names: Mapping[str, str] | None = None
) -> str:
    """A readable outline of a procedure (advisory sources by ``source_names`` where given)."""
    nl = locale == "nl"
    lines = [
        f"{procedure.name(locale)} ({procedure.id} v{procedure.version})",
        procedure.description(locale),
        "",
    ]
    if procedure.raises:
        lines.append("Verhogingen van het niveau:" if nl else "Level raises:")
        for r in procedure.raises:
            lines.append(f"  {r.describe(locale)} {r.reason(locale)} — {r.when.describe(locale)}")
        if len(procedure.raises) > 1:
            highest = procedure.raise_combine is RaiseCombine.HIGHEST
            lines.append(
                (
                    "  meerdere verhogingen: de hoogste telt"
                    if highest
                    else "  meerdere verhogingen tellen op"
                )
                if nl
                else (
                    "  several raises: the highest wins" if highest else "  several raises add up"
                )
            )
        lines.append(f"  {'maximum' if nl else 'cap'}: {procedure.cap}")
    if procedure.exempt_lists:
        lines.append(
            (
                "Bestemmingen op deze lijsten tellen niet mee voor het niveau: "
                if nl
                else "Destinations on these lists do not count toward the level: "
            )
            + ", ".join(
                procedure.names.title("list", c, locale) for c in sorted(procedure.exempt_lists)
            )
        )
    lead = ", ".join(f"{lvl}: {days}" for lvl, days in sorted(procedure.lead_time_days.items()))
    lines.append(
        ("Termijn vóór vertrek (dagen per niveau): " if nl else "Lead time (days per level): ")
        + lead
    )
    for rule in procedure.lead_times:
        span = rule.duration.describe(locale) if rule.duration else f"{rule.days} days"
        lines.append(
            f"  {span} {'als' if nl else 'when'} "
            f"{rule.when.describe(locale)} ({rule.reason(locale)})"
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
            lines.append(f"   - {_step_line(step, locale, procedure)}")
    lines.append("")
    if set(procedure.categories) != CATEGORIES:
        lines.append(
            ("Soorten reizigers: " if nl else "Traveller categories: ")
            + ", ".join(title(locale) for title in procedure.categories.values())
        )
    if procedure.languages != LOCALES:
        lines.append(("Talen: " if nl else "Languages: ") + ", ".join(procedure.languages))
    declared = [role for role in procedure.roles.values() if not role.builtin]
    if declared:
        lines.append("Rollen van deze procedure:" if nl else "Roles of this procedure:")
        for role in declared:
            held = (
                (f" (per {role.unit_kind})" if nl else f" (one per {role.unit_kind})")
                if role.unit_kind
                else ""
            )
            lines.append(f"  - {role.name(locale)}{held}")
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
    lines.extend(_choice_lines(procedure, nl, source_names))
    return "\n".join(lines)


def _choice_lines(
    procedure: Procedure, nl: bool, source_names: Mapping[str, str] | None = None
) -> list[str]:
    """The university's choices beyond the route, and the advisory sources that count."""
    c = procedure.choices
    locale = "nl" if nl else "en"
    never = c.necessity_from_level > procedure.scale_max
    cancel = (" of " if nl else " or ").join(
        procedure.role_title(name, locale) for name in sorted(c.cancel_roles)
    )
    if nl:
        necessity = "nooit" if never else f"vanaf niveau {c.necessity_from_level}"
        return [
            f"Noodzaakmotivering: {necessity}; voorwaarden te vervullen "
            f"{c.condition_due.describe(locale)} voor vertrek; annuleren of intrekken: "
            f"{cancel}",
            *policy_lines(procedure.risk_policy, locale, source_names),
        ]
    necessity = "never" if never else f"from level {c.necessity_from_level}"
    return [
        f"Necessity motivation: {necessity}; conditions due {c.condition_due.describe(locale)} "
        f"before departure; cancel or revoke: {cancel}",
        *policy_lines(procedure.risk_policy, locale, source_names),
    ]


def policy_lines(
    policy: RiskPolicy, locale: str = "en", source_names: Mapping[str, str] | None = None
) -> list[str]:
    """The risk policy in words: which sources count, how they combine, regions, nationality;
    each source by its name where ``source_names`` knows it (the engine only has codes)."""
    nl = locale == "nl"
    names = source_names or {}
    sources = (
        ", ".join(names.get(code, code) for code in policy.sources)
        if policy.sources is not None
        else ("alle" if nl else "all")
    )
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
        pairs = ", ".join(
            f"{n} → {names.get(code, code)}" for n, code in policy.nationality_sources.items()
        )
        lines.append(
            f"Eigen overheid van de reiziger telt ook mee (als strengste advies): {pairs}"
            if nl
            else f"The traveller's own government also counts (as most severe): {pairs}"
        )
    return lines


def mermaid(procedure: Procedure, locale: str = "en") -> str:
    """The procedure as a Mermaid flowchart (drawn in workflows.diagram)."""
    return diagram.mermaid(procedure, locale)


def svg(procedure: Procedure, locale: str = "en") -> str:
    """The procedure as an inline SVG diagram (drawn in workflows.diagram)."""
    return diagram.svg(procedure, locale)


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
    if route_.no_approval and procedure.no_approval is not None:
        lines.append(
            (
                "Geen goedkeuring nodig (registratie), want "
                if nl
                else "No approval needed (registration only), because "
            )
            + procedure.no_approval.describe(locale)
            + "."
        )
    for i, routed in enumerate(route_.stages, 1):
        lines.append(
            f"{i}. {routed.stage.name(locale)} ({'want' if nl else 'because'} "
            f"{routed.stage.when.describe(locale)}: {routed.facts(locale)})"
        )
        lines += [f"   - {_step_line(step, locale, procedure)}" for step in routed.stage.steps]
    items = dossier_items(procedure, facts, route_.risk, route_)
    lines.append(("Zendingsdossier:" if nl else "Mission dossier:") + f" {len(items)}")
    overdue = " — VERSTREKEN" if nl else " — ALREADY PASSED"
    stage_names = {rs.stage.id: rs.stage.name(locale) for rs in route_.stages}
    for item in items:
        if item.stage_id is not None:
            when = ("vóór " if nl else "before ") + f"'{stage_names[item.stage_id]}'"
            if item.rule.blocking:
                when += " (houdt die stap tegen)" if nl else " (holds that stage up)"
        elif item.rule.with_request:
            when = "met de aanvraag" if nl else "with the request"
        else:
            when = item.due_on.isoformat()
            if item.due_on < facts.today:
                when += overdue
        lines.append(f"  - {item.rule.name(locale)} ({when})")
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
