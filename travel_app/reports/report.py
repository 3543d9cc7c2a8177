"""The report in words: the figures of :mod:`travel_app.reports.queries` as titled tables.

Names (levels, faculties, countries, steps) come from the database and the procedure in the
reader's language; no code reaches a reader. Medians and 90th percentiles interpolate between
the two nearest values, as a spreadsheet's PERCENTILE and PostgreSQL's percentile_cont do.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import format_date, pgettext
from flask_babel import gettext as _

from travel_app.extensions import db
from travel_app.org.models import Unit, UnitKind
from travel_app.places import geography
from travel_app.places.models import AdvisorySource
from travel_app.places.queries import risk_levels
from travel_app.procedures.categories import category_title
from travel_app.reports import queries
from travel_app.reports.forms import MONTH_NAMES
from travel_app.reports.period import Period, PeriodKind
from travel_app.reports.queries import Selection
from travel_app.reports.tables import Cell, Column, Kind, Report, Section, Table
from travel_app.trips.models import TripState
from workflows.conditions import in_words
from workflows.model import Procedure

#: The outcomes a trip of the period has reached, in the order the table lists them; the
#: states still under review are one row.
OUTCOMES: tuple[tuple[str, tuple[TripState, ...]], ...] = (
    ("approved", (TripState.APPROVED,)),
    ("approved_with_conditions", (TripState.APPROVED_WITH_CONDITIONS,)),
    ("registered", (TripState.REGISTERED,)),
    ("rejected", (TripState.REJECTED,)),
    ("withdrawn", (TripState.WITHDRAWN,)),
    ("cancelled", (TripState.CANCELLED,)),
    ("revoked", (TripState.REVOKED,)),
    ("open", (TripState.IN_REVIEW, TripState.CHANGES_REQUESTED, TripState.SUSPENDED)),
)


def percentile(values: Counter[int] | Counter[float], p: float) -> float | None:
    """The ``p`` quantile (0..1) of values given with their counts, interpolated linearly."""
    total = sum(values.values())
    if total == 0:
        return None
    ordered = sorted(values.items())
    position = (total - 1) * p
    below, frac = math.floor(position), position - math.floor(position)

    def nth(k: int) -> float:
        seen = 0
        for value, n in ordered:
            seen += n
            if k < seen:
                return float(value)
        return float(ordered[-1][0])

    low = nth(below)
    return low if frac == 0 else low + frac * (nth(below + 1) - low)


@dataclass(frozen=True)
class Names:
    """What the reader calls the report's codes, in their language."""

    locale: str
    levels: dict[int, str]
    faculties: dict[int, str]
    sources: dict[str, str]
    procedure: Procedure

    def level(self, level: int | None) -> str:
        """A level's name ("Level 2: ..."), or "Not assessed"."""
        if level is None:
            return _("Not assessed")
        return self.levels.get(level, str(level))

    def faculty(self, faculty_id: int | None) -> str:
        if faculty_id is None:
            return _("No faculty")
        return self.faculties.get(faculty_id, _("Faculty no longer known"))

    def country(self, code: str) -> str:
        return geography.country_name(code, self.locale)

    def region(self, code: str) -> str:
        return geography.region_name(code, self.locale)

    def source(self, code: str) -> str:
        return self.sources.get(code, in_words(code))

    def step(self, step_id: str | None) -> str:
        if step_id is None:
            return _("Step no longer known")
        try:
            _stage, step = self.procedure.step(step_id)
        except KeyError:  # a step of an earlier version of the procedure
            return in_words(step_id)
        return step.name(self.locale)


def names(locale: str, procedure: Procedure) -> Names:
    """Every name the report needs, in three statements."""
    levels = {
        r.level: _("Level %(level)s: %(name)s", level=r.level, name=r.name(locale))
        for r in risk_levels()
    }
    faculties = {
        u.id: u.name(locale)
        for u in db.session.scalars(sa.select(Unit).where(Unit.kind == UnitKind.FACULTY))
    }
    sources = {s.code: s.title(locale) for s in db.session.scalars(sa.select(AdvisorySource))}
    return Names(locale, levels, faculties, sources, procedure)


def period_label(period: Period, locale: str) -> str:
    """The period in words: "2026", "Q3 2026", "March 2026", or its first and last day."""
    if period.kind is PeriodKind.YEAR:
        return str(period.start.year)
    if period.kind is PeriodKind.QUARTER:
        return _("Q%(q)s %(year)s", q=(period.start.month - 1) // 3 + 1, year=period.start.year)
    if period.kind is PeriodKind.MONTH:
        return f"{MONTH_NAMES[period.start.month - 1]} {period.start.year}"
    return _(
        "%(first)s to %(last)s",
        first=format_date(period.start, "long"),
        last=format_date(period.end, "long"),
    )


def _change(now: int, before: int) -> int:
    return now - before


def _compare(
    key: str,
    title: str,
    what: str | tuple[str, ...],
    rows: Iterable[tuple[str | tuple[str, ...], int, int]],
    note: str = "",
    total: bool = True,
) -> Table:
    """A table of counts for this period and the previous one, with the change; ``what``
    names the first column, or the first columns when each row is named by several (a
    country and its region)."""
    named = (what,) if isinstance(what, str) else what
    listed: list[tuple[tuple[str, ...], int, int]] = [
        ((name,) if isinstance(name, str) else name, now, before) for name, now, before in rows
    ]
    columns = (
        *(Column(heading, Kind.TEXT) for heading in named),
        Column(_("Trips"), Kind.COUNT),
        Column(_("Previous period"), Kind.COUNT),
        Column(pgettext("report column", "Change"), Kind.CHANGE),
    )
    cells: tuple[tuple[Cell, ...], ...] = tuple(
        (*names, now, before, _change(now, before)) for names, now, before in listed
    )
    sums = (sum(r[1] for r in listed), sum(r[2] for r in listed))
    blanks = ("",) * (len(named) - 1)
    return Table(
        key,
        title,
        columns,
        cells,
        note=note,
        total=(_("Total"), *blanks, sums[0], sums[1], _change(*sums)) if total else None,
    )


def _figures(key: str, title: str, rows: Iterable[tuple[str, Cell]], note: str = "") -> Table:
    """A two-column table of named figures."""
    return Table(
        key,
        title,
        (Column(_("Figure"), Kind.TEXT), Column(_("Number"), Kind.COUNT)),
        tuple(rows),
        note=note,
    )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def build(sel: Selection, today: date, locale: str, procedure: Procedure) -> Report:
    """Every section of the report for one selection, from about twenty statements."""
    named = names(locale, procedure)
    previous = sel.period.previous()
    groups = queries.trip_groups(sel, previous)
    sent = queries.mails(sel)
    sections = (
        _trips_section(sel, previous, groups, named),
        _decisions_section(sel, today, named, sent),
        _late_section(sel, groups, named),
        _preparation_section(sel, today, groups, sent),
        _duty_section(sel, named),
        _advisories_section(sel, named),
    )
    return Report(
        title=_("Travel to risk areas: report"),
        period_label=period_label(sel.period, locale),
        previous_label=period_label(previous, locale),
        filters=filters_in_words(sel, named),
        generated_on=today,
        sections=sections,
    )


def filters_in_words(sel: Selection, named: Names) -> tuple[str, ...]:
    """The selection's filters as the reader would say them."""
    out = []
    if sel.faculties is not None:
        shown = ", ".join(sorted(named.faculty(f) for f in sel.faculties))
        out.append(_("Your faculties: %(names)s", names=shown or _("none")))
    if sel.faculty_id is not None:
        out.append(_("Faculty: %(name)s", name=named.faculty(sel.faculty_id)))
    if sel.level is not None:
        out.append(_("Level: %(name)s", name=named.level(sel.level)))
    if sel.country is not None:
        out.append(_("Country: %(name)s", name=named.country(sel.country)))
    if sel.category is not None:
        title = category_title(sel.category, named.locale, procedure=named.procedure)
        out.append(_("Traveller category: %(name)s", name=title))
    return tuple(out)


def _trips_section(
    sel: Selection, previous: Period, groups: list[queries.TripGroup], named: Names
) -> Section:
    by_level: dict[bool, Counter[int | None]] = defaultdict(Counter)
    by_faculty: dict[bool, Counter[int | None]] = defaultdict(Counter)
    by_state: dict[bool, Counter[TripState]] = defaultdict(Counter)
    by_month: dict[bool, Counter[tuple[int, int]]] = defaultdict(Counter)
    for g in groups:
        by_level[g.current][g.level] += g.trips
        by_faculty[g.current][g.faculty_id] += g.trips
        by_state[g.current][g.state] += g.trips
        by_month[g.current][(g.year, g.month)] += g.trips
    levels = sorted(
        set(by_level[True]) | set(by_level[False]) | set(named.levels),
        key=lambda lv: -1 if lv is None else lv,
    )
    level_table = _compare(
        "trips-by-level",
        _("Trips by level"),
        _("Level"),
        ((named.level(lv), by_level[True][lv], by_level[False][lv]) for lv in levels),
        note=_("Trips filed (not drafts) that depart in the period, by their level."),
    )
    faculties = sorted(
        set(by_faculty[True]) | set(by_faculty[False]), key=lambda f: named.faculty(f)
    )
    faculty_table = _compare(
        "trips-by-faculty",
        _("Trips by faculty"),
        _("Faculty"),
        ((named.faculty(f), by_faculty[True][f], by_faculty[False][f]) for f in faculties),
    )
    # A year, a quarter or a month lines up month by month with the one before. A from-to
    # period's months may be cut: its trips of the period before are grouped under the month
    # their day lines up with, as many days later (queries.trip_groups), so each month is
    # compared with the same days of the period before.
    ranged = sel.period.kind is PeriodKind.RANGE
    earlier = sel.period.months() if ranged else previous.months()
    month_rows = []
    for i, (y, m) in enumerate(sel.period.months()):
        now = by_month[True][(y, m)]
        before = by_month[False][earlier[i]] if i < len(earlier) else 0
        month_rows.append((f"{MONTH_NAMES[m - 1]} {y}", now, before, _change(now, before)))
    month_sums = (sum(r[1] for r in month_rows), sum(r[2] for r in month_rows))
    month_table = Table(
        "trips-by-month",
        _("Trips by month of departure"),
        (
            Column(_("Month"), Kind.TEXT),
            Column(_("Trips"), Kind.COUNT),
            Column(
                _("Same days of the previous period")
                if ranged
                else _("Same month of the previous period"),
                Kind.COUNT,
            ),
            Column(pgettext("report column", "Change"), Kind.CHANGE),
        ),
        tuple(month_rows),
        note=_(
            "Each month is compared with the same days of the previous period, %(days)s days"
            " earlier.",
            days=sel.period.days,
        )
        if ranged
        else "",
        total=(_("Total"), *month_sums, _change(*month_sums)),
    )
    outcome_titles = {
        "approved": _("Approved"),
        "approved_with_conditions": _("Approved with conditions"),
        "registered": _("Registered (no approval needed)"),
        "rejected": _("Rejected"),
        "withdrawn": _("Withdrawn"),
        "cancelled": _("Cancelled"),
        "revoked": _("Approval revoked"),
        "open": _("Still in review"),
    }
    outcome_table = _compare(
        "trips-by-outcome",
        _("Trips by outcome"),
        _("Outcome"),
        (
            (
                outcome_titles[key],
                sum(by_state[True][s] for s in states),
                sum(by_state[False][s] for s in states),
            )
            for key, states in OUTCOMES
        ),
        note=_("Where each trip stands today."),
    )
    countries = queries.trips_per_country(sel, previous)
    ranked = sorted(
        set(countries[True]) | set(countries[False]),
        key=lambda c: (-countries[True][c], -countries[False][c], named.country(c)),
    )
    country_table = _compare(
        "trips-by-country",
        _("Trips by country"),
        _("Country"),
        ((named.country(c), countries[True][c], countries[False][c]) for c in ranked),
        note=_("A trip to two countries counts in both, so the rows add up to more trips."),
        total=False,
    )
    regions = queries.trips_per_region(sel, previous)
    ranked_regions = sorted(
        set(regions[True]) | set(regions[False]),
        key=lambda cr: (
            named.country(cr[0]),
            -regions[True][cr],
            -regions[False][cr],
            named.region(cr[1]),
        ),
    )
    region_table = _compare(
        "trips-by-region",
        _("Trips by region"),
        (_("Country"), _("Region")),
        (
            ((named.country(c), named.region(r)), regions[True][(c, r)], regions[False][(c, r)])
            for c, r in ranked_regions
        ),
        note=_(
            "Only destinations given with a region; a trip to two regions counts in both, so"
            " the rows add up to more trips."
        ),
        total=False,
    )
    return Section(
        "trips",
        _("Trips"),
        (level_table, faculty_table, month_table, outcome_table, country_table, region_table),
        intro=_(
            "Changes are measured against %(previous)s.",
            previous=period_label(previous, named.locale),
        ),
    )


def _decisions_section(sel: Selection, today: date, named: Names, sent: queries.Mails) -> Section:
    columns = (
        Column(_("From submission or the step's start to the decision"), Kind.TEXT),
        Column(_("Decisions"), Kind.COUNT),
        Column(_("Median (working days)"), Kind.DAYS),
        Column(_("90th percentile (working days)"), Kind.DAYS),
    )
    taken = queries.decisions(sel)
    final = taken.requests
    rows: list[tuple[Cell, ...]] = [
        (
            _("Whole review (submission to final decision)"),
            sum(final.values()),
            percentile(final, 0.5),
            percentile(final, 0.9),
        )
    ]
    for step_id in sorted(taken.steps, key=lambda s: named.step(s)):
        counted = taken.steps[step_id]
        rows.append(
            (
                named.step(step_id),
                sum(counted.values()),
                percentile(counted, 0.5),
                percentile(counted, 0.9),
            )
        )
    times = Table(
        "decision-times",
        _("Time to decide"),
        columns,
        tuple(rows),
        note=_(
            "Working days by the procedure's calendar (weekends and its holidays do not count),"
            " for decisions taken in the period."
        ),
    )
    workload = _figures(
        "decision-workload",
        _("Workload"),
        (
            (_("Decisions taken"), taken.taken),
            (_("Decided by a deputy"), taken.by_deputy),
            (_("Steps overdue (due in the period)"), queries.overdue_steps(sel, today)),
            (_("Reminder e-mails sent"), sent.reminders),
            (_("Escalation e-mails sent"), sent.escalations),
        ),
    )
    return Section("decisions", _("Decisions"), (times, workload))


def _late_shares(key: str, title: str, what: str, rows: Iterable[tuple[str, int, int]]) -> Table:
    listed = list(rows)
    trips, late = sum(r[1] for r in listed), sum(r[2] for r in listed)
    return Table(
        key,
        title,
        (
            Column(what, Kind.TEXT),
            Column(_("Trips"), Kind.COUNT),
            Column(_("Late requests"), Kind.COUNT),
            Column(_("Share late"), Kind.SHARE),
        ),
        tuple((name, n, k, _share(k, n)) for name, n, k in listed),
        total=(_("Total"), trips, late, _share(late, trips)),
    )


def _late_section(sel: Selection, groups: list[queries.TripGroup], named: Names) -> Section:
    level_n: Counter[int | None] = Counter()
    level_late: Counter[int | None] = Counter()
    faculty_n: Counter[int | None] = Counter()
    faculty_late: Counter[int | None] = Counter()
    for g in groups:
        if not g.current:
            continue
        level_n[g.level] += g.trips
        faculty_n[g.faculty_id] += g.trips
        level_late[g.level] += g.late
        faculty_late[g.faculty_id] += g.late
    by_level = _late_shares(
        "late-by-level",
        _("Late requests by level"),
        _("Level"),
        (
            (named.level(lv), level_n[lv], level_late[lv])
            for lv in sorted(level_n, key=lambda lv: -1 if lv is None else lv)
        ),
    )
    by_faculty = _late_shares(
        "late-by-faculty",
        _("Late requests by faculty"),
        _("Faculty"),
        (
            (named.faculty(f), faculty_n[f], faculty_late[f])
            for f in sorted(faculty_n, key=lambda f: named.faculty(f))
        ),
    )
    notified, reopened = queries.changes_after_approval(sel)
    changes = _figures(
        "changes-after-approval",
        _("Changes after approval"),
        (
            (_("Changes after approval"), notified + reopened),
            (_("Approvers told, approval kept"), notified),
            (_("Review reopened"), reopened),
        ),
    )
    return Section(
        "late",
        _("Late requests and changes"),
        (by_level, by_faculty, changes),
        intro=_("A request is late when it was filed after the procedure's deadline."),
    )


def _preparation_section(
    sel: Selection, today: date, groups: list[queries.TripGroup], sent: queries.Mails
) -> Section:
    items, trips = queries.open_at_departure(sel, today)
    uncleared = sum(g.uncleared for g in groups if g.current)
    table = _figures(
        "preparation",
        _("Preparation"),
        (
            (_("Dossier items not settled on the departure day"), items),
            (_("Trips that left with an item not settled"), trips),
            (_("Trips that left without clearance (flagged on the departure day)"), uncleared),
            (_("Expired or too old documents caught before departure"), sent.expired_items),
            (_("Warning e-mails sent to travellers about them"), sent.expiry_warnings),
        ),
        note=_("Approved and registered trips that departed in the period, up to today."),
    )
    return Section("preparation", _("Preparation"), (table,))


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 3600


def _median(values: list[float]) -> float | None:
    counted: Counter[float] = Counter(values)
    return percentile(counted, 0.5)


def _duty_section(sel: Selection, named: Names) -> Section:
    days = queries.traveller_days(sel)
    levels = sorted(set(days) | set(named.levels), key=lambda lv: -1 if lv is None else lv)
    day_rows = tuple((named.level(lv), days.get(lv, 0)) for lv in levels)
    traveller_days = Table(
        "traveller-days",
        _("Traveller-days abroad by level"),
        (Column(_("Level"), Kind.TEXT), Column(_("Traveller-days"), Kind.COUNT)),
        day_rows,
        note=_(
            "Days of approved and registered trips that fall in the period, the first and"
            " last day included; a trip across the period's edge counts only its days inside."
        ),
        total=(_("Total"), sum(n for _name, n in day_rows)),
    )
    messages = queries.crisis_messages(sel)
    rows: list[tuple[Cell, ...]] = []
    firsts: list[float] = []
    alls: list[float] = []
    for m in messages:
        first = _hours(m.sent_at, m.first_answer_at)
        everyone = _hours(m.sent_at, m.all_answered_at)
        if first is not None:
            firsts.append(first)
        if everyone is not None:
            alls.append(everyone)
        rows.append(
            (
                m.sent_at.strftime("%Y-%m-%d %H:%M UTC"),
                m.recipients,
                m.answered,
                first,
                everyone,
            )
        )
    crisis = Table(
        "crisis-messages",
        _("Crisis messages"),
        (
            Column(_("Sent on"), Kind.TEXT),
            Column(_("Travellers reached"), Kind.COUNT),
            Column(_("Answered"), Kind.COUNT),
            Column(_("Hours to the first answer"), Kind.HOURS),
            Column(_("Hours until all had answered"), Kind.HOURS),
        ),
        tuple(rows),
        note=_("The last row gives the sums and, for the hours, the medians over the messages."),
        total=(
            _("All messages (%(n)s)", n=len(messages)),
            sum(m.recipients for m in messages),
            sum(m.answered for m in messages),
            _median(firsts),
            _median(alls),
        )
        if messages
        else None,
    )
    crisis_help, checkin_help = queries.help_requests(sel)
    incidents, glass = queries.incidents_and_break_glass(sel)
    events = _figures(
        "help-and-incidents",
        _("Help requests, incidents and private data opened"),
        (
            (_("\u201cI need help\u201d answers to crisis messages"), crisis_help),
            (_("\u201cI need help\u201d at check-ins"), checkin_help),
            (_("Incidents opened"), incidents),
            (_("Break-glass openings of a traveller's private data"), glass),
        ),
        note=_(
            "Counts only: what was written or read is not part of any report. Every answer"
            " counts, so a traveller who asks for help twice counts twice."
        ),
    )
    return Section("duty", _("Duty of care"), (traveller_days, crisis, events))


def _advisories_section(sel: Selection, named: Names) -> Section:
    changes = sorted(
        queries.level_changes(sel),
        key=lambda c: (
            named.country(c.country),
            "" if c.region is None else named.region(c.region),
            named.source(c.source),
            c.effective_on,
            c.advisory_id,
        ),
    )
    change_table = Table(
        "level-changes",
        _("Changes of level"),
        (
            Column(_("Country"), Kind.TEXT),
            Column(_("Region"), Kind.TEXT),
            Column(_("Source"), Kind.TEXT),
            Column(_("In force from"), Kind.TEXT),
            Column(_("Level before"), Kind.COUNT),
            Column(_("Level after"), Kind.COUNT),
            Column(_("Trips suspended"), Kind.COUNT),
        ),
        tuple(
            (
                named.country(c.country),
                _("Whole country") if c.region is None else named.region(c.region),
                named.source(c.source),
                c.effective_on.isoformat(),
                c.before,
                c.level,
                c.suspended,
            )
            for c in changes
        ),
        note=_(
            "One row per advice of the period that changed the level its source gives the"
            " place, or that suspended trips (a source's first advice has no level before)."
            " Trips suspended: approved trips put back in review because this advice raised"
            " their level; a trip to two places that rose at once counts for both."
        ),
    )
    return Section("advisories", _("Advisories"), (change_table,))
