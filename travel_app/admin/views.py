"""Administrator pages. Each view loads, checks, validates, calls one operation and commits."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from travel_app.admin.forms import (
    AdvisoryForm,
    CountryListEntryForm,
    CountryListForm,
    DeclaredRoleForm,
    DeputyForm,
    PersonForm,
    RoleForm,
    UnitEditForm,
    UnitForm,
)
from travel_app.core import audit, heartbeat
from travel_app.core.audit import AuditEvent
from travel_app.core.forms import ConfirmForm
from travel_app.core.paging import PAGE_SIZE
from travel_app.core.permissions import require_admin
from travel_app.extensions import db
from travel_app.org import operations as org_ops
from travel_app.org.models import (
    PERSON_ROLES,
    DeclaredRoleAssignment,
    Deputy,
    Person,
    Role,
    RoleAssignment,
    Unit,
    UnitKind,
)
from travel_app.places import geography
from travel_app.places import operations as place_ops
from travel_app.places.models import AdvisorySource, CountryList, CountryListEntry
from travel_app.places.queries import (
    country_lists,
    current_advisories,
    current_advisory,
    history,
    risk_levels,
)
from travel_app.procedures import active_procedure
from travel_app.procedures.categories import undeclared_categories
from travel_app.trips.rereview import react_to_advisory
from workflows.engine import lists_named
from workflows.model import Procedure

bp = Blueprint("admin", __name__)

MAX_PAGE = 1_000_000


bp.before_request(require_admin)


def _locale() -> str:
    return str(get_locale())


def _units() -> list[Unit]:
    return list(db.session.scalars(sa.select(Unit).order_by(Unit.code)))


def _get_or_404(model: type, ident: object) -> object:
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def _page() -> int:
    """The requested page number, kept within what a database integer holds."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


def _invalid(template: str, **context: object) -> tuple[str, int]:
    """Re-render a form with its field errors and a 400: nothing was saved."""
    flash(_("Nothing was saved: correct the marked fields."), "error")
    return render_template(template, **context), 400


@bp.route("/")
def dashboard() -> str:
    row, stale = heartbeat.status(
        timedelta(seconds=current_app.config["HEARTBEAT_STALE_AFTER_SECONDS"])
    )
    counts = {
        "people": db.session.scalar(sa.select(sa.func.count(Person.id))),
        "units": db.session.scalar(sa.select(sa.func.count(Unit.id))),
        "advisories": len(current_advisories(date.today())),
    }
    events = db.session.scalars(
        sa.select(AuditEvent)
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "admin/dashboard.html",
        beat_row=row,
        beat_stale=stale,
        stale_after=current_app.config["HEARTBEAT_STALE_AFTER_SECONDS"],
        counts=counts,
        events=events,
    )


# --- units -------------------------------------------------------------------------------------


@bp.route("/units", methods=["GET", "POST"])
def units() -> Response | str | tuple[str, int]:
    page = _page()
    pagination = db.paginate(
        sa.select(Unit)
        .options(selectinload(Unit.head), selectinload(Unit.parent))
        .order_by(Unit.code),
        page=page,
        per_page=PAGE_SIZE,
        error_out=False,
    )
    # Only universities and faculties can contain other units.
    parents = db.session.scalars(
        sa.select(Unit).where(Unit.kind != UnitKind.DEPARTMENT).order_by(Unit.code)
    ).all()
    form = UnitForm(units=list(parents))
    if request.method == "POST":
        if not form.validate():
            return _invalid("admin/units.html", pagination=pagination, form=form)
        unit = org_ops.create_unit(
            kind=UnitKind(form.kind.data),
            code=form.code.data,
            name_nl=form.name_nl.data,
            name_en=form.name_en.data,
            parent=form.parent_unit,
            head=form.head.person,
            actor=current_user,
        )
        db.session.commit()
        flash(_("Unit %(code)s created.", code=unit.code), "success")
        return redirect(url_for("admin.units"))
    return render_template("admin/units.html", pagination=pagination, form=form)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def unit(unit_id: int) -> Response | str | tuple[str, int]:
    unit = _get_or_404(Unit, unit_id)
    assert isinstance(unit, Unit)
    form = UnitEditForm(
        data={
            "name_nl": unit.name_nl,
            "name_en": unit.name_en,
            "head": unit.head.email if unit.head else "",
        }
    )
    members = db.session.scalars(
        sa.select(Person).where(Person.unit_id == unit.id).order_by(Person.name)
    ).all()
    if request.method == "POST":
        if not form.validate():
            return _invalid("admin/unit.html", unit=unit, form=form, members=members)
        org_ops.update_unit(
            unit,
            name_nl=form.name_nl.data,
            name_en=form.name_en.data,
            head=form.head.person,
            actor=current_user,
        )
        db.session.commit()
        flash(_("Unit %(code)s saved.", code=unit.code), "success")
        return redirect(url_for("admin.unit", unit_id=unit.id))
    return render_template("admin/unit.html", unit=unit, form=form, members=members)


# --- people and roles --------------------------------------------------------------------------


@bp.route("/people")
def people() -> str:
    q = request.args.get("q", "").strip()
    page = _page()
    query = (
        sa.select(Person).options(selectinload(Person.unit), *PERSON_ROLES).order_by(Person.name)
    )
    if q:
        like = f"%{q.lower()}%"
        query = query.where(sa.or_(sa.func.lower(Person.name).like(like), Person.email.like(like)))
    missing = "unit" if request.args.get("missing") == "unit" else ""
    without_unit = sa.and_(Person.unit_id.is_(None), Person.is_active_account.is_(True))
    if missing:
        query = query.where(without_unit)
    pagination = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    held = _declared_roles([p.id for p in pagination.items])
    procedure = active_procedure()
    titles = {
        person_id: [_declared_title(a, procedure) for a in rows] for person_id, rows in held.items()
    }
    return render_template(
        "admin/people.html",
        pagination=pagination,
        q=q,
        declared=titles,
        strays=undeclared_categories(procedure),
        missing=missing,
        unit_missing=db.session.scalar(sa.select(sa.func.count()).where(without_unit)),
    )


def _declared_roles(person_ids: list[int]) -> dict[int, list[DeclaredRoleAssignment]]:
    """The declared roles these people hold, by person (one statement)."""
    held: dict[int, list[DeclaredRoleAssignment]] = {i: [] for i in person_ids}
    if person_ids:
        for row in db.session.scalars(
            sa.select(DeclaredRoleAssignment)
            .where(DeclaredRoleAssignment.person_id.in_(person_ids))
            .order_by(DeclaredRoleAssignment.code, DeclaredRoleAssignment.id)
        ):
            held[row.person_id].append(row)
    return held


def _declared_title(assignment: DeclaredRoleAssignment, procedure: Procedure) -> str:
    """The role's title in the procedure in force, with its unit; a code the procedure no
    longer declares is named as such (the row names nobody until it is declared again)."""
    role = procedure.roles.get(assignment.code)
    if role is None or role.builtin:
        title = _("%(code)s (not declared by the procedure in force)", code=assignment.code)
    else:
        title = role.name(_locale())
    if assignment.unit is not None:
        title = f"{title} ({assignment.unit.code})"
    return title


def _person_data(person: Person) -> dict[str, object]:
    """The person's current values, as the edit form shows them."""
    return {
        "email": person.email,
        "name": person.name,
        "category": person.category,
        "unit": str(person.unit_id or ""),
        "language": person.language,
        "nationalities": list(person.nationalities),
        "promoter": person.promoter.email if person.promoter else "",
        "is_active": person.is_active_account,
    }


def _person_form(person: Person, units: list[Unit], *, submitted: bool) -> PersonForm:
    """The edit form: from the request when it was submitted, else from the stored person."""
    data = None if submitted else _person_data(person)
    options = dict(
        units=units,
        person=person,
        acting=current_user,
        procedure=active_procedure(),
        locale=_locale(),
        data=data,
    )
    return PersonForm(**options) if submitted else PersonForm(formdata=None, **options)


def _apply_person_form(form: PersonForm, person: Person | None) -> Person:
    fields = dict(
        email=form.email.data,
        name=form.name.data,
        category=form.category.data,
        unit=form.unit_obj,
        language=form.language.data,
        nationalities=sorted({c.upper() for c in form.nationalities.data or []}),
        promoter=form.promoter.person,
    )
    if person is None:
        person = org_ops.create_person(
            **fields, password=form.password.data or None, actor=current_user
        )
        person.is_active_account = form.is_active.data
        return person
    org_ops.update_person(person, actor=current_user, **fields)
    # One writer for (de)activation: it hands open steps on and ends the sessions.
    if person.is_active_account and not form.is_active.data:
        org_ops.deactivate_person(person, actor=current_user, today=date.today(), source="admin")
    elif form.is_active.data and not person.is_active_account:
        org_ops.reactivate_person(person, actor=current_user, source="admin")
    if form.password.data:
        org_ops.set_password(person, form.password.data, actor=current_user)
    return person


@bp.route("/people/new", methods=["GET", "POST"])
def person_new() -> Response | str | tuple[str, int]:
    form = PersonForm(
        units=_units(), acting=current_user, procedure=active_procedure(), locale=_locale()
    )
    if request.method == "POST":
        if not form.validate():
            return _invalid("admin/person_form.html", form=form, person=None)
        person = _apply_person_form(form, None)
        db.session.commit()
        flash(_("%(name)s added.", name=person.name), "success")
        return redirect(url_for("admin.person", person_id=person.id))
    return render_template("admin/person_form.html", form=form, person=None)


@bp.route("/people/<int:person_id>", methods=["GET", "POST"])
def person(person_id: int) -> Response | str | tuple[str, int]:
    person = _get_or_404(Person, person_id)
    assert isinstance(person, Person)
    units = _units()
    form = _person_form(person, units, submitted=request.method == "POST")
    faculties = [u for u in units if u.kind is UnitKind.FACULTY]
    role_form = RoleForm(faculties=faculties, person=person, prefix="role")
    context = dict(
        person=person,
        form=form,
        role_form=role_form,
        confirm=ConfirmForm(),
        **_declared_context(person, units),
    )
    if request.method == "POST":
        if not form.validate():
            return _invalid("admin/person_form.html", **context)
        _apply_person_form(form, person)
        db.session.commit()
        flash(_("%(name)s saved.", name=person.name), "success")
        return redirect(url_for("admin.person", person_id=person.id))
    return render_template("admin/person_form.html", **context)


@bp.route("/people/<int:person_id>/export")
def person_export(person_id: int) -> Response:
    """A data-subject export: what the service holds about this person, as JSON; audited."""
    from travel_app.admin.privacy import person_data

    person = _get_or_404(Person, person_id)
    assert isinstance(person, Person)
    # Built whole before it is audited: an export that fails logs no export.
    body = json.dumps(person_data(person), indent=2, ensure_ascii=False, sort_keys=True)
    audit.record("person.export", person, current_user)
    db.session.commit()
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="person-{person.id}.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/people/<int:person_id>/roles", methods=["POST"])
def role_grant(person_id: int) -> Response | tuple[str, int]:
    person = _get_or_404(Person, person_id)
    assert isinstance(person, Person)
    units = _units()
    faculties = [u for u in units if u.kind is UnitKind.FACULTY]
    role_form = RoleForm(faculties=faculties, person=person, prefix="role")
    if not role_form.validate():
        form = _person_form(person, units, submitted=False)
        return _invalid(
            "admin/person_form.html",
            person=person,
            form=form,
            role_form=role_form,
            confirm=ConfirmForm(),
            **_declared_context(person, units),
        )
    role = Role(role_form.role.data)
    org_ops.grant_role(person, role, role_form.unit_obj, actor=current_user)
    db.session.commit()
    flash(_("%(role)s granted to %(name)s.", role=role.title, name=person.name), "success")
    return redirect(url_for("admin.person", person_id=person.id))


@bp.route("/people/<int:person_id>/roles/<int:assignment_id>/revoke", methods=["POST"])
def role_revoke(person_id: int, assignment_id: int) -> Response:
    assignment = db.session.get(RoleAssignment, assignment_id)
    if assignment is None or assignment.person_id != person_id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if assignment.role is Role.ADMIN and assignment.person_id == current_user.id:
        flash(_("You cannot revoke your own administrator role."), "error")
        return redirect(url_for("admin.person", person_id=person_id))
    org_ops.revoke_role(assignment, actor=current_user)
    db.session.commit()
    flash(_("Role revoked."), "success")
    return redirect(url_for("admin.person", person_id=person_id))


def _declared_context(
    person: Person, units: list[Unit], submitted: bool = False
) -> dict[str, object]:
    """The person's declared roles with their titles, and the form granting another."""
    procedure = active_procedure()
    held = _declared_roles([person.id])[person.id]
    form = DeclaredRoleForm(
        **({} if submitted else {"formdata": None}),
        prefix="declared",
        procedure=procedure,
        units=units,
        held=held,
        locale=_locale(),
    )
    return {
        "declared_roles": [(a, _declared_title(a, procedure)) for a in held],
        "declared_form": form,
        "declares_roles": any(not r.builtin for r in procedure.roles.values()),
    }


@bp.route("/people/<int:person_id>/declared-roles", methods=["POST"])
def declared_role_grant(person_id: int) -> Response | tuple[str, int]:
    """Grant a role the procedure in force declares; a unit of the wrong kind is a 400."""
    person = _get_or_404(Person, person_id)
    assert isinstance(person, Person)
    units = _units()
    declared = _declared_context(person, units, submitted=True)
    form = declared["declared_form"]
    assert isinstance(form, DeclaredRoleForm)
    if not form.validate():
        faculties = [u for u in units if u.kind is UnitKind.FACULTY]
        return _invalid(
            "admin/person_form.html",
            person=person,
            form=_person_form(person, units, submitted=False),
            role_form=RoleForm(faculties=faculties, person=person, prefix="role"),
            confirm=ConfirmForm(),
            **declared,
        )
    role = form.declared
    assert role is not None
    org_ops.grant_declared_role(person, role, form.unit_obj, actor=current_user)
    db.session.commit()
    flash(
        _("%(role)s granted to %(name)s.", role=role.name(_locale()), name=person.name),
        "success",
    )
    return redirect(url_for("admin.person", person_id=person.id))


@bp.route("/people/<int:person_id>/declared-roles/<int:assignment_id>/revoke", methods=["POST"])
def declared_role_revoke(person_id: int, assignment_id: int) -> Response:
    assignment = db.session.get(DeclaredRoleAssignment, assignment_id)
    if assignment is None or assignment.person_id != person_id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    org_ops.revoke_declared_role(assignment, actor=current_user)
    db.session.commit()
    flash(_("Role revoked."), "success")
    return redirect(url_for("admin.person", person_id=person_id))


# --- deputies ----------------------------------------------------------------------------------


@bp.route("/deputies", methods=["GET", "POST"])
def deputies() -> Response | str | tuple[str, int]:
    today = date.today()
    page = _page()
    pagination = db.paginate(
        sa.select(Deputy)
        .options(selectinload(Deputy.person), selectinload(Deputy.deputy))
        .where(Deputy.ends_on >= today - timedelta(days=90))
        .order_by(Deputy.starts_on.desc(), Deputy.id.desc()),
        page=page,
        per_page=PAGE_SIZE,
        error_out=False,
    )
    form = DeputyForm()
    context = dict(pagination=pagination, form=form, today=today, confirm=ConfirmForm())
    if request.method == "POST":
        if not form.validate():
            return _invalid("admin/deputies.html", **context)
        assert form.person.person is not None and form.deputy.person is not None
        org_ops.add_deputy(
            person=form.person.person,
            deputy=form.deputy.person,
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
            note=form.note.data or "",
            actor=current_user,
        )
        db.session.commit()
        flash(_("Deputy added."), "success")
        return redirect(url_for("admin.deputies"))
    return render_template("admin/deputies.html", **context)


@bp.route("/deputies/<int:link_id>/end", methods=["POST"])
def deputy_end(link_id: int) -> Response:
    link = _get_or_404(Deputy, link_id)
    assert isinstance(link, Deputy)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    org_ops.end_deputy(link, date.today(), actor=current_user)
    db.session.commit()
    flash(_("Deputyship ended."), "success")
    return redirect(url_for("admin.deputies"))


# --- advisories --------------------------------------------------------------------------------


@bp.route("/advisories", methods=["GET", "POST"])
def advisories() -> Response | str | tuple[str, int]:
    form = AdvisoryForm(locale=_locale())
    sources = db.session.scalars(
        sa.select(AdvisorySource)
        .options(selectinload(AdvisorySource.levels))
        .order_by(AdvisorySource.name)
    ).all()
    context = dict(
        form=form,
        advisories=current_advisories(date.today()),
        levels=risk_levels(),
        sources=sources,
    )
    if request.method == "POST":
        if not form.validate():
            return _invalid("admin/advisories.html", **context)
        before = current_advisory(date.today(), form.country.data, form.region.data or None)
        advisory = place_ops.set_advisory(
            country_code=form.country.data,
            region_code=form.region.data,
            level=form.level.data,
            source_code=form.source.data,
            source_label=form.source_label.data,
            effective_on=form.effective_on.data,
            summary=form.summary.data,
            tags=form.tag_list(),
            actor=current_user,
        )
        reaction = react_to_advisory(advisory, current_user, date.today())
        db.session.commit()
        flash(
            _(
                "Advice for %(place)s set.",
                place=geography.place_name(advisory.country_code, advisory.region_code, _locale()),
            ),
            "success",
        )
        if reaction.suspended or reaction.rerouted or reaction.flagged:
            flash(
                _(
                    "%(s)s approved trips suspended for review, %(r)s trips in review routed"
                    " again, %(f)s trips under way flagged for the safety officer.",
                    s=len(reaction.suspended),
                    r=len(reaction.rerouted),
                    f=len(reaction.flagged),
                ),
                "warning",
            )
        _offer_crisis_message(advisory, before.level if before else None)
        if reaction.waiting:
            flash(
                _(
                    "%(n)s trips waiting for the traveller's changes are routed anew when"
                    " resubmitted.",
                    n=len(reaction.waiting),
                ),
                "warning",
            )
        if reaction.lowered:
            flash(
                _(
                    "%(n)s trips now face a lower level; they were notified.",
                    n=len(reaction.lowered),
                ),
                "info",
            )
        return redirect(
            url_for(
                "admin.advisory_history",
                country=advisory.country_code,
                region=advisory.region_code or None,
            )
        )
    return render_template("admin/advisories.html", **context)


@bp.route("/advisories/<country>")
def advisory_history(country: str) -> str:
    country = country.upper()
    region = (request.args.get("region") or "").upper() or None
    if not geography.is_country(country) or (
        region and not geography.region_in_country(region, country)
    ):
        abort(404)
    rows = history(country, region)
    form = AdvisoryForm(locale=_locale(), country=country, region=region or "")
    return render_template(
        "admin/advisory_history.html",
        country=country,
        region=region,
        rows=rows,
        form=form,
        regions=geography.regions(country, _locale()),
    )


@bp.route("/places/<country>/regions")
def regions(country: str) -> Response:
    """The regions of a country, for the advisory form's region picker."""
    if not geography.is_country(country):
        abort(404)
    return jsonify(
        [{"code": p.code, "name": p.name} for p in geography.regions(country.upper(), _locale())]
    )


# --- country lists -----------------------------------------------------------------------------


@bp.route("/country-lists", methods=["GET", "POST"])
def country_lists_view() -> Response | str | tuple[str, int]:
    form = CountryListForm()
    context = dict(lists=country_lists(), form=form, named=lists_named(active_procedure()))
    if request.method == "POST":
        if not form.validate():
            return _invalid("admin/country_lists.html", **context)
        created = place_ops.create_country_list(
            code=form.code.data,
            name_nl=form.name_nl.data,
            name_en=form.name_en.data,
            description=form.description.data or "",
            actor=current_user,
        )
        db.session.commit()
        flash(_("List %(code)s created.", code=created.code), "success")
        return redirect(url_for("admin.country_list", list_id=created.id))
    return render_template("admin/country_lists.html", **context)


@bp.route("/country-lists/<int:list_id>", methods=["GET", "POST"])
def country_list(list_id: int) -> Response | str | tuple[str, int]:
    clist = _get_or_404(CountryList, list_id)
    assert isinstance(clist, CountryList)
    form = CountryListEntryForm(country_list=clist, locale=_locale())
    context = dict(
        clist=clist,
        form=form,
        confirm=ConfirmForm(),
        unused=clist.code not in lists_named(active_procedure()),
    )
    if request.method == "POST":
        if not form.validate():
            return _invalid("admin/country_list.html", **context)
        place_ops.add_to_list(clist, form.country.data, form.note.data or "", actor=current_user)
        db.session.commit()
        flash(
            _("%(country)s added.", country=geography.country_name(form.country.data, _locale())),
            "success",
        )
        return redirect(url_for("admin.country_list", list_id=clist.id))
    return render_template("admin/country_list.html", **context)


@bp.route("/country-lists/<int:list_id>/entries/<country>/remove", methods=["POST"])
def country_list_remove(list_id: int, country: str) -> Response:
    entry = db.session.get(CountryListEntry, (list_id, country.upper()))
    if entry is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    place_ops.remove_from_list(entry.country_list, entry, actor=current_user)
    db.session.commit()
    flash(_("Removed from the list."), "success")
    return redirect(url_for("admin.country_list", list_id=list_id))


def _offer_crisis_message(advisory: Any, before: int | None) -> None:
    """A rise for a place with travellers there or on their way offers a crisis message,
    pre-filled: "leave the area" at the top level, "please answer" below it."""
    from travel_app.duty.crisis import audience
    from travel_app.duty.queries import Where, bounded

    if advisory.effective_on > date.today() or (before is not None and advisory.level <= before):
        return
    where = bounded(
        Where(
            on=date.today(),
            country=advisory.country_code,
            region=advisory.region_code,
            group="present",
        )
    )
    n = audience(where)
    if not n:
        return
    instruction = "leave_advised" if advisory.level >= 3 else "acknowledge"
    link = url_for(
        "duty.crisis_new",
        country=advisory.country_code,
        region=advisory.region_code or None,
        group="present",
        instruction=instruction,
    )
    # The count is a number and the link is escaped: nothing a user typed is marked safe.
    flash(
        Markup(  # nosec B704
            _(
                '%(n)s travellers are there or on their way. <a href="%(link)s" id="offer-crisis">'
                "Write them a crisis message</a>.",
                n=n,
                link=escape(link),
            )
        ),
        "warning",
    )
