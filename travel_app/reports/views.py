"""Reports for the safety office, the executive and the board: figures for a period, charts
with their tables, exports (CSV, Excel), and a printable yearly report (and its PDF)."""

from __future__ import annotations

import base64
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import format_decimal, format_number, format_percent, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from travel_app.core import audit
from travel_app.core.permissions import role_required
from travel_app.duty.chart import LEVEL_COLOURS
from travel_app.extensions import db
from travel_app.org.models import Role, Unit, UnitKind
from travel_app.places.queries import risk_levels
from travel_app.procedures import active_procedure
from travel_app.procedures.categories import category_choices
from travel_app.reports import charts, exports
from travel_app.reports.forms import ReportForm
from travel_app.reports.queries import Selection
from travel_app.reports.report import build
from travel_app.reports.tables import Cell, Kind, Report, Table

bp = Blueprint("reports", __name__)
#: Who reads reports: the safety office, the executive and administrators for the whole
#: university; a faculty authority for their own faculty.
WIDE = (Role.SAFETY_OFFICER, Role.EXECUTIVE, Role.ADMIN)
READERS = (*WIDE, Role.FACULTY_AUTHORITY)
#: The charts drawn beside their tables: the table's key, and how its rows are drawn.
CHARTED = ("trips-by-level", "trips-by-faculty", "trips-by-month", "trips-by-country")
#: The bars a ranking draws (its table lists them all).
RANKED = 15


@bp.app_context_processor
def report_readers() -> dict[str, Any]:
    """The menu shows "Reports" to these roles."""
    return {"report_roles": READERS}


def _locale() -> str:
    return str(get_locale())


def own_faculties() -> frozenset[int] | None:
    """The faculties the current reader may see: None for the whole university."""
    if current_user.has_any_role(*WIDE):
        return None
    return frozenset(
        a.unit_id
        for a in current_user.roles
        if a.role is Role.FACULTY_AUTHORITY and a.unit_id is not None
    )


def _faculty_choices(scope: frozenset[int] | None) -> list[tuple[int, str]]:
    query = sa.select(Unit).where(Unit.kind == UnitKind.FACULTY).order_by(Unit.code)
    if scope is not None:
        query = query.where(Unit.id.in_(sorted(scope) or [-1]))
    return [(u.id, u.name(_locale())) for u in db.session.scalars(query)]


def _form(scope: frozenset[int] | None) -> ReportForm:
    levels = [(r.level, f"{r.level}: {r.name(_locale())}") for r in risk_levels()]
    return ReportForm(
        request.args,
        faculties=_faculty_choices(scope),
        categories=category_choices(active_procedure(), _locale()),
        levels=levels,
        locale=_locale(),
    )


def _selection(form: ReportForm, scope: frozenset[int] | None, today: date) -> Selection:
    return Selection(
        period=form.chosen_period(today),
        faculties=scope,
        faculty_id=int(form.faculty.data) if form.faculty.data else None,
        level=int(form.level.data) if form.level.data else None,
        country=form.country.data or None,
        category=form.category.data or None,
    )


def _args(form: ReportForm) -> dict[str, str]:
    """Only the form's own fields travel to the export links."""
    return {f.name: request.args[f.name] for f in form if request.args.get(f.name)}


def _report() -> tuple[ReportForm, Report | None, Selection | None]:
    scope = own_faculties()
    form = _form(scope)
    if not form.validate():
        return form, None, None
    today = date.today()
    sel = _selection(form, scope, today)
    return form, build(sel, today, _locale(), active_procedure()), sel


@bp.app_template_filter("report_cell")
def report_cell(value: Cell, kind: Kind) -> str:
    """A cell as the reader's language writes it; a dash where there is no figure."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if kind is Kind.SHARE:
        return str(format_percent(value, "#,##0.0%"))
    if kind in (Kind.DAYS, Kind.HOURS):
        return str(format_decimal(value, "#,##0.#"))
    if kind is Kind.CHANGE:
        return ("+" if value > 0 else "−" if value < 0 else "") + str(format_number(abs(value)))
    return str(format_number(value))


def _charts(report: Report) -> dict[str, Markup]:
    """The four charts, each drawn from its table's own numbers."""
    drawn: dict[str, Markup] = {}
    previous = _("Previous period (%(period)s)", period=report.previous_label)
    by_level = report.table("trips-by-level")
    if by_level is not None:
        levels = sorted(LEVEL_COLOURS.items(), key=lambda kv: -1 if kv[0] is None else kv[0])
        colours = [c for lv, c in levels if lv is not None]
        rows = [(str(r[0]), int(r[1] or 0)) for r in by_level.rows]
        drawn["trips-by-level"] = charts.bars(
            by_level.title,
            rows,
            colours=(colours + ["#616161"] * len(rows))[: len(rows)]
            if len(rows) == len(colours)
            else None,
            previous=[int(r[2] or 0) for r in by_level.rows],
            previous_label=previous,
        )
    for key in ("trips-by-faculty", "trips-by-country"):
        table = report.table(key)
        if table is not None:
            title = table.title
            if len(table.rows) > RANKED:
                title = _("%(title)s: the first %(n)s", title=title, n=RANKED)
            drawn[key] = charts.bars(
                title,
                [(str(r[0]), int(r[1] or 0)) for r in table.rows],
                previous=[int(r[2] or 0) for r in table.rows],
                previous_label=previous,
                limit=RANKED,
            )
    by_month = report.table("trips-by-month")
    if by_month is not None:
        # "Jan" within one year; "Jan 26" when the period spans more than one.
        years = {str(r[0]).rsplit(" ", 1)[-1] for r in by_month.rows}
        drawn["trips-by-month"] = charts.line(
            by_month.title,
            [
                (
                    str(r[0])[:3] + ("" if len(years) == 1 else " " + str(r[0])[-2:]),
                    int(r[1] or 0),
                )
                for r in by_month.rows
            ],
            previous=[int(r[2] or 0) for r in by_month.rows]
            if all(r[2] is not None for r in by_month.rows)
            else None,
            previous_label=previous,
            current_label=report.period_label,
        )
    return {k: v for k, v in drawn.items() if v}


@bp.route("/reports")
@login_required
@role_required(*READERS)
def index() -> str | tuple[str, int]:
    """The reports page: the period's figures by section, each chart beside its table."""
    form, report, _sel = _report()
    if report is None:
        return render_template("reports/index.html", form=form, report=None), 400
    return render_template(
        "reports/index.html",
        form=form,
        report=report,
        charts=_charts(report),
        args=_args(form),
        pdf=exports.pdf_available(),
    )


class _Export:
    """The audit trail's object for one export: the period it covers."""

    def __init__(self, slug: str) -> None:
        self.id = slug


def _audited(sel: Selection, report: Report, what: str, table: str | None) -> None:
    audit.record(
        "report.export",
        _Export(sel.period.slug),
        current_user,
        format=what,
        table=table or "all",
        filters=list(report.filters),
    )
    db.session.commit()


def _download(body: bytes, mimetype: str, name: str) -> Response:
    response = Response(body, content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _table(report: Report, key: str) -> Table:
    table = report.table(key)
    if table is None:
        abort(404)
    return table


@bp.route("/reports/<string(maxlength=40):key>.csv")
@login_required
@role_required(*READERS)
def table_csv(key: str) -> Response | tuple[str, int]:
    """One table as CSV (the figures only, never a person's data); the export is audited."""
    form, report, sel = _report()
    if report is None or sel is None:
        return render_template("reports/index.html", form=form, report=None), 400
    table = _table(report, key)
    body = exports.csv_bytes(table)
    _audited(sel, report, "csv", key)
    return _download(
        body, "text/csv; charset=utf-8", exports.file_name(key, sel.period.slug, "csv")
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _subtitle(report: Report) -> list[str]:
    return [
        _("Period: %(period)s", period=report.period_label),
        *report.filters,
        _("Made on %(day)s", day=report.generated_on.isoformat()),
    ]


@bp.route("/reports/<string(maxlength=40):key>.xlsx")
@login_required
@role_required(*READERS)
def table_xlsx(key: str) -> Response | tuple[str, int]:
    """One table as an Excel workbook; the export is audited."""
    form, report, sel = _report()
    if report is None or sel is None:
        return render_template("reports/index.html", form=form, report=None), 400
    table = _table(report, key)
    body = exports.xlsx_bytes([table], title=report.title, subtitle_lines=_subtitle(report))
    _audited(sel, report, "xlsx", key)
    return _download(body, XLSX, exports.file_name(key, sel.period.slug, "xlsx"))


@bp.route("/reports/report.xlsx")
@login_required
@role_required(*READERS)
def workbook() -> Response | tuple[str, int]:
    """Every table of the report in one Excel workbook, a sheet each; the export is audited."""
    form, report, sel = _report()
    if report is None or sel is None:
        return render_template("reports/index.html", form=form, report=None), 400
    tables = [t for section in report.sections for t in section.tables]
    body = exports.xlsx_bytes(tables, title=report.title, subtitle_lines=_subtitle(report))
    _audited(sel, report, "xlsx", None)
    return _download(body, XLSX, exports.file_name("report", sel.period.slug, "xlsx"))


def _printable(report: Report, stylesheet: str | None = None) -> str:
    return render_template(
        "reports/print.html", report=report, charts=_charts(report), stylesheet=stylesheet
    )


@bp.route("/reports/print")
@login_required
@role_required(*READERS)
def printable() -> str | tuple[str, int]:
    """The yearly report to print: a cover, then each section from a new page."""
    form, report, sel = _report()
    if report is None or sel is None:
        return render_template("reports/index.html", form=form, report=None), 400
    _audited(sel, report, "print", None)
    return _printable(report)


@bp.route("/reports/report.pdf")
@login_required
@role_required(*READERS)
def pdf() -> Response | tuple[str, int]:
    """The printable report as a PDF, made on the server; the export is audited."""
    form, report, sel = _report()
    if report is None or sel is None:
        return render_template("reports/index.html", form=form, report=None), 400
    if not exports.pdf_available():
        reason = _(
            "This server cannot make PDF files. Open the printable report and print it to PDF"
            " from the browser."
        )
        # Not a server fault: this server makes no PDF (the page offers no link to one).
        return render_template("errors/error.html", code=404, error=None, reason=reason), 404
    static = Path(current_app.static_folder or "static")
    # WeasyPrint fetches nothing from the network: the stylesheet travels as a data: URL.
    css = (static / "report-print.css").read_bytes()
    stylesheet = "data:text/css;base64," + base64.b64encode(css).decode("ascii")
    body = exports.pdf_bytes(
        _printable(report, stylesheet=stylesheet), stylesheets=[exports.RUNNING_HEADINGS]
    )
    _audited(sel, report, "pdf", None)
    return _download(body, "application/pdf", exports.file_name("report", sel.period.slug, "pdf"))
