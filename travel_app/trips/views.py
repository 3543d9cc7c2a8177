"""Trip pages: file, show, decide, change, withdraw, cancel; my trips, inbox, all trips."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from travel_app.dossier import operations as dossier_ops
from travel_app.dossier.forms import checklist
from travel_app.duty import checkins
from travel_app.duty.incidents import may_break_glass
from travel_app.extensions import db
from travel_app.org.models import Person, Unit, UnitKind
from travel_app.places import geography
from travel_app.procedures import active_procedure
from travel_app.trips import access, journey, queries, routing
from travel_app.trips.forms import (
    DecisionForm,
    FilterForm,
    OwnDetailsForm,
    ReasonForm,
    TripForm,
)
from travel_app.trips.models import Trip, TripState
from travel_app.trips.operations import (
    PRIVATE_FIELDS,
    UNIT_MISSING,
    ActionRefused,
    Incomplete,
    TripChanged,
    assess,
    available_actions,
    cancel_trip,
    classify,
    data_of,
    decide_step,
    request_change,
    resubmit_trip,
    save_draft,
    submit_trip,
    update_own_details,
    withdraw_trip,
)
from workflows.engine import ChangeKind
from workflows.model import Mode, Procedure

bp = Blueprint("trips", __name__)

MAX_PAGE = 2**31 - 1


@bp.before_request
@login_required
def require_login() -> None:
    """Every trip page is for logged-in people; each view checks the trip itself."""


def _locale() -> str:
    return str(get_locale())


def _page() -> int:
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


def _today() -> date:
    return date.today()


def _trip_or_404(trip_id: int, *options: Any) -> Trip:
    trip = db.session.get(Trip, trip_id, options=options)
    if trip is None:
        abort(404)
    return trip


def _visible(trip_id: int, *options: Any) -> tuple[Trip, list[Person]]:
    """Load a trip the current user may see (404 for others: no hint that it exists), with
    the loader ``options`` given."""
    trip = _trip_or_404(trip_id, *options)
    principals = access.identities(current_user, _today())
    if not access.can_view(trip, current_user, principals):
        abort(404)
    return trip, principals


def _problem(status: int, message: str, trip: Trip | None = None) -> tuple[str, int]:
    db.session.rollback()
    return render_template("trips/problem.html", code=status, message=message, trip=trip), status


def _changed(trip: Trip) -> tuple[str, int]:
    return _problem(409, _("This trip changed while you were looking; reload."), trip)


# --- lists -----------------------------------------------------------------------------------


@bp.route("/trips")
def mine() -> str:
    return render_template("trips/mine.html", pagination=queries.my_trips(current_user, _page()))


@bp.route("/inbox")
def inbox() -> str:
    today = _today()
    principals = access.identities(current_user, today)
    return render_template(
        "trips/inbox.html",
        pagination=queries.inbox(current_user, principals, _page()),
        updates=queries.updates_for(principals, today),
        today=today,
    )


@bp.route("/trips/all")
def all_trips() -> str | tuple[str, int]:
    if not access.sees_all_trips(current_user):
        abort(403)
    faculties = list(
        db.session.scalars(sa.select(Unit).where(Unit.kind == UnitKind.FACULTY).order_by(Unit.code))
    )
    form = FilterForm(request.args, faculties=faculties, locale=_locale())
    if not form.validate():
        return render_template("trips/all.html", form=form, pagination=None), 400
    filters = queries.TripFilter(
        state=TripState(form.state.data) if form.state.data else None,
        level=int(form.level.data) if form.level.data else None,
        country=form.country.data or None,
        faculty_id=int(form.faculty.data) if form.faculty.data else None,
        departs_from=form.departs_from.data,
        departs_until=form.departs_until.data,
        needs_attention=form.attention.data == "1",
    )
    # Only the filter's own fields travel to the pager's links (not "endpoint" or "_external").
    args = {f.name: request.args[f.name] for f in form if request.args.get(f.name)}
    return render_template(
        "trips/all.html", form=form, pagination=queries.all_trips(filters, _page()), args=args
    )


@bp.route("/places/<country>/regions")
def regions(country: str) -> Response:
    """The regions of a country, for the itinerary's region picker."""
    if not geography.is_country(country):
        abort(404)
    return jsonify(
        [{"code": p.code, "name": p.name} for p in geography.regions(country.upper(), _locale())]
    )


# --- filing ----------------------------------------------------------------------------------


def _initial(trip: Trip) -> dict[str, Any]:
    people = queries.people_by_ids(list(trip.co_traveller_ids or ()))
    return {
        "purpose": trip.purpose,
        "why_not_remote": trip.why_not_remote,
        "why_not_later": trip.why_not_later,
        "impact_if_cancelled": trip.impact_if_cancelled,
        "flags": list(trip.flags or ()),
        "co_travellers": "\n".join(p.email for p in people),
        "emergency_name": trip.emergency_name,
        "emergency_phone": trip.emergency_phone,
        "cost_centre": trip.cost_centre,
        "mobile_phone": trip.mobile_phone,
        "medical_note": trip.medical_note or "",
        "version": trip.version,
        "legs": [
            {
                "country": leg.country_code,
                "region": leg.region_code or "",
                "city": leg.city,
                "arrives_on": leg.arrives_on,
                "leaves_on": leg.leaves_on,
                "accommodation": leg.accommodation,
            }
            for leg in trip.legs
        ],
    }


def _trip_form(trip: Trip | None) -> TripForm:
    kwargs: dict[str, Any] = {}
    if request.method == "GET" and trip is not None:
        kwargs["data"] = _initial(trip)
    form = TripForm(
        procedure=active_procedure(), traveller=current_user, locale=_locale(), **kwargs
    )
    if trip is not None and (trip.state is not TripState.DRAFT or trip.group_id is not None):
        form.co_travellers.render_kw = {"readonly": True}
        form.co_travellers.description = _("Co-travellers are fixed once the trip is submitted.")
    return form


def _render_form(
    template: str, form: TripForm, trip: Trip | None, status: int = 200, **context: Any
) -> tuple[str, int]:
    # A trip drafted for a co-traveller names who filed the group and asks for their own data.
    filer = queries.group_filer(trip) if trip is not None else None
    return render_template(template, form=form, trip=trip, filer=filer, **context), status


def _number(text: str | None) -> int | None:
    """A non-negative whole number typed in ASCII digits, or None ("²" and "-1" are not)."""
    if text and text.isascii() and text.isdigit():
        return int(text)
    return None


def _leg_buttons(form: TripForm, action: str) -> bool:
    """Handle "add a leg" and "remove leg n" (they work without JavaScript). True if handled."""
    if action == "add_leg":
        form.add_leg()
        return True
    if action.startswith("remove_leg:"):
        index = action.partition(":")[2]
        number = _number(index)
        if number is not None and len(form.legs.entries) > 1:
            form.remove_leg(number)
        return True
    return False


def _field_errors(form: TripForm, problems: dict[str, Any]) -> None:
    for name, text in problems.items():
        field = getattr(form, name, None)
        message = text(_locale())
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


def _file(trip: Trip | None) -> Response | tuple[str, int]:
    template = "trips/form.html"
    form = _trip_form(trip)
    today = _today()
    assessment = assess(current_user.id, data_of(trip), today) if trip and trip.legs else None
    if request.method == "GET":
        return _render_form(template, form, trip, assessment=assessment)
    action = request.form.get("action", "save")
    if _leg_buttons(form, action):
        return _render_form(template, form, trip, assessment=assessment)
    if not form.validate():
        flash(_("Nothing was saved: correct the marked fields."), "error")
        return _render_form(template, form, trip, 400, assessment=assessment)
    data = form.to_data()
    assessment = assess(current_user.id, data, today)
    if action == "check":
        return _render_form(template, form, trip, assessment=assessment)
    version = _number(form.version.data)
    original = trip
    try:
        trip = save_draft(
            trip, current_user, data, (-1 if version is None else version) if trip else None
        )
        if action == "submit" and current_user.unit_id is None:
            # Nobody to route to until the administrator gives a unit: keep the draft.
            db.session.commit()
            flash(UNIT_MISSING(_locale()), "error")
            return redirect(url_for("trips.edit", trip_id=trip.id))
        if action == "submit":
            submitted = submit_trip(trip, current_user, trip.version, today)
        elif action == "resubmit":
            resubmit_trip(trip, current_user, trip.version, today)
        db.session.commit()
    except Incomplete as problem:
        db.session.rollback()
        _field_errors(form, problem.problems)
        flash(_("Nothing was submitted: complete the marked fields."), "error")
        # A new trip was rolled back with the rest: the form files it anew.
        return _render_form(template, form, original, 400, assessment=assessment)
    except TripChanged:
        return _changed(trip)  # type: ignore[arg-type]
    except ActionRefused as refused:
        return _problem(403, refused.reason(_locale()), trip)
    if action == "submit":
        flash(_("Trip submitted."), "success")
        if len(submitted) > 1:
            flash(
                _(
                    "Each co-traveller has a draft trip of their own: they add their own"
                    " emergency contact and submit it."
                ),
                "info",
            )
        return redirect(url_for("trips.show", trip_id=trip.id))
    if action == "resubmit":
        flash(_("Trip resubmitted for review."), "success")
        return redirect(url_for("trips.show", trip_id=trip.id))
    flash(_("Draft saved."), "success")
    return redirect(url_for("trips.edit", trip_id=trip.id))


@bp.route("/trips/new", methods=["GET", "POST"])
def new() -> Response | tuple[str, int]:
    return _file(None)


@bp.route("/trips/<int:trip_id>/edit", methods=["GET", "POST"])
def edit(trip_id: int) -> Response | tuple[str, int]:
    trip, _principals = _visible(trip_id)
    if not access.can_edit(trip, current_user):
        abort(403)
    return _file(trip)


# --- the trip page and its actions -----------------------------------------------------------


def _decision_forms(trip: Trip, principals: list[Person]) -> tuple[list[dict[str, Any]], list[str]]:
    """A form per step the user may fill (as themself or as a deputy), and why not elsewhere."""
    forms, refusals = [], []
    locale = _locale()
    for principal in principals:
        for option in available_actions(trip, current_user, principal):
            if option.outcomes:
                form = DecisionForm(
                    formdata=None,
                    data={
                        "step_id": option.step_id,
                        "on_behalf_of": principal.id if principal.id != current_user.id else None,
                        "version": trip.version,
                    },
                )
                form.offer(_step_mode(trip, option.step_id), option.outcomes)
                _unique_ids(form, f"{option.step_id}-{principal.id}")
                forms.append({"form": form, "step_id": option.step_id, "principal": principal})
            elif option.refused is not None and not option.refused.en.startswith(
                "This step is for"
            ):
                refusals.append(option.refused(locale))
    return forms, list(dict.fromkeys(refusals))


def _step_mode(trip: Trip, step_id: str | None) -> Mode | None:
    """The kind of a step of the trip's procedure (None for a step it does not have)."""
    try:
        return routing.procedure_of(trip).step(step_id or "")[1].mode
    except KeyError:
        return None


def _unique_ids(form: Any, prefix: str) -> None:
    """Give a form's fields ids of their own, so several forms can share one page."""
    for field in form:
        field.id = f"{prefix}-{field.name}"
        field.label.field_id = field.id


def _reason_forms(
    trip: Trip, failed: ReasonForm | None, verb: str | None, offered: dict[str, bool]
) -> dict[str, ReasonForm]:
    """The forms of the actions that ask a reason, for those the page offers (``offered``)."""
    forms = {}
    for name, label in (
        ("withdraw", _("Why do you withdraw the trip? (optional)")),
        ("cancel", _("Reason for cancelling or revoking (required; the traveller sees it)")),
        ("safe_return", _("Note (required when you record it for the traveller)")),
        ("let_go", _("Why may the trip leave with its dossier incomplete? (required)")),
    ):
        if not offered[name]:  # not on the page: a form costs a tenth of a millisecond or more
            continue
        form = failed if failed is not None and verb == name else None
        form = form or ReasonForm(formdata=None, data={"version": trip.version})
        form.reason.label.text = label
        _unique_ids(form, name)
        forms[name] = form
    return forms


class _Words(dict[Any, Any]):
    """One kind of word on a page (a step's name, an outcome's, a level), each found once."""

    def __init__(self, word: Callable[[Any], Any]) -> None:
        super().__init__()
        self.word = word

    def __missing__(self, key: Any) -> Any:
        self[key] = found = self.word(key)
        return found


@dataclass(frozen=True)
class _TimelineWords:
    """The timeline's words by event kind, step, (outcome, step), state and level."""

    kind: _Words
    step: _Words
    outcome: _Words
    state: _Words
    level: _Words


def _timeline_words(procedure: Procedure) -> _TimelineWords:
    """The words of the timeline's events, each looked up once per page.

    The events name a few kinds, steps, outcomes and levels over and over: looked up per event,
    the translations took a third of the time of a trip page with 300 events.
    """
    helpers = trip_helpers()
    step_name, outcome_title = helpers["step_name"], helpers["outcome_title"]
    # As the template's ``_('level %(n)s', n=...)``: the translation is markup (our own
    # catalogue, as the template trusts it), the number is escaped.
    level = Markup(_("level %(n)s"))  # nosec B704
    return _TimelineWords(
        kind=_Words(lambda kind: kind.title),
        step=_Words(lambda step_id: step_name(step_id, procedure)),
        outcome=_Words(lambda key: outcome_title(key[0], key[1], procedure)),
        state=_Words(helpers["state_title"]),
        level=_Words(lambda n: level % {"n": n}),
    )


def _show(
    trip: Trip, principals: list[Person], status: int = 200, **override: Any
) -> tuple[str, int]:
    today = _today()
    forms, refusals = _decision_forms(trip, principals)
    if "failed" in override:
        failed = override.pop("failed")
        forms = [f if (f["step_id"], f["principal"].id) != failed["key"] else failed for f in forms]
    procedure = routing.procedure_of(trip)
    items = dossier_ops.items_of(trip)
    settled, total = dossier_ops.progress(items)
    sees_phone = trip.traveller_id == current_user.id or access.sees_all_trips(current_user)
    offered = {
        "withdraw": access.can_withdraw(trip, current_user, today),
        "cancel": access.can_cancel(trip, current_user),
        "safe_return": journey.can_confirm_return(trip, current_user, today),
        "let_go": journey.can_let_go(trip, current_user, today),
    }
    timeline = queries.timeline(trip)
    return (
        render_template(
            "trips/show.html",
            dossier=checklist(trip, current_user, items, override.pop("item_errors", None)),
            dossier_progress=(settled, total),
            cleared=dossier_ops.cleared_to_travel(trip, items),
            trip=trip,
            procedure=procedure,
            tasks=queries.open_tasks(trip),
            timeline=timeline,
            timeline_words=_timeline_words(procedure),
            # The recommendations given in this round (the stage's advice before the decision).
            recommendations=[
                e
                for e in timeline
                if e.round == trip.round and e.outcome in ("favourable", "unfavourable")
            ],
            group=queries.group_members(trip),
            co_travellers=queries.people_by_ids(list(trip.co_traveller_ids or ())),
            decision_forms=forms,
            refusals=refusals,
            reason_forms=_reason_forms(
                trip, override.pop("reason_form", None), override.pop("verb", None), offered
            ),
            can_edit=access.can_edit(trip, current_user),
            can_change=access.can_change(trip, current_user, today),
            can_update_details=access.can_update_own_details(trip, current_user),
            can_withdraw=offered["withdraw"],
            can_cancel=offered["cancel"],
            can_confirm_return=offered["safe_return"],
            can_let_go=offered["let_go"],
            can_break_glass=may_break_glass(trip, current_user),
            sees_phone=sees_phone,
            checkins=checkins.history(trip.id) if sees_phone and trip.checkin_due_at else [],
            today=today,
            **override,
        ),
        status,
    )


@bp.route("/trips/<int:trip_id>")
def show(trip_id: int) -> tuple[str, int]:
    # What the page shows of the trip, read with it: one statement instead of three.
    trip, principals = _visible(
        trip_id, joinedload(Trip.traveller), joinedload(Trip.faculty), joinedload(Trip.legs)
    )
    return _show(trip, principals)


#: The traveller and the legs a decision's mails and timeline need, read with the trip (the
#: options built once: building them cost more than a statement).
_DECIDE_LOADS = (joinedload(Trip.traveller), joinedload(Trip.legs))


@bp.route("/trips/<int:trip_id>/decide", methods=["POST"])
def decide(trip_id: int) -> Response | tuple[str, int]:
    trip, principals = _visible(trip_id, *_DECIDE_LOADS)
    form = DecisionForm()
    form.offer(_step_mode(trip, form.step_id.data))
    on_behalf = form.on_behalf_of.data
    principal = (
        next((p for p in principals if p.id == on_behalf), None) if on_behalf else current_user
    )
    if principal is None:
        return _problem(403, _("You do not stand in for this person today."), trip)
    if not form.validate():
        flash(_("Nothing was saved: correct the marked fields."), "error")
        _unique_ids(form, f"{form.step_id.data}-{principal.id}")
        failed = {
            "form": form,
            "step_id": form.step_id.data,
            "principal": principal,
            "key": (form.step_id.data, principal.id),
        }
        return _show(trip, principals, 400, failed=failed)
    try:
        state = decide_step(
            trip,
            current_user,
            principal,
            form.step_id.data,
            form.outcome.outcome,
            form.comment.data or "",
            form.condition_list(),
            form.version.data,
        )
        db.session.commit()
    except TripChanged:
        return _changed(trip)
    except ActionRefused as refused:
        return _problem(403, refused.reason(_locale()), trip)
    flash(_("Decision recorded. The trip is now: %(state)s.", state=state.title), "success")
    # ``trip_id``, not ``trip.id``: the commit expired the trip, and reading it reloads the row.
    return redirect(url_for("trips.show", trip_id=trip_id))


def _reason_action(trip_id: int, verb: str) -> Response | tuple[str, int]:
    trip, principals = _visible(trip_id)
    form = ReasonForm()
    if not form.validate():
        flash(_("Nothing was saved: correct the marked fields."), "error")
        return _show(trip, principals, 400, reason_form=form, verb=verb)
    try:
        if verb == "withdraw":
            withdraw_trip(trip, current_user, form.reason.data or "", form.version.data, _today())
        else:
            cancel_trip(trip, current_user, form.reason.data or "", form.version.data)
        db.session.commit()
    except TripChanged:
        return _changed(trip)
    except ActionRefused as refused:
        return _problem(403, refused.reason(_locale()), trip)
    except Incomplete as problem:
        db.session.rollback()
        _field_errors(form, problem.problems)  # type: ignore[arg-type]
        flash(_("Nothing was saved: correct the marked fields."), "error")
        return _show(trip, principals, 400, reason_form=form, verb=verb)
    flash(_("The trip is now: %(state)s.", state=trip.state.title), "success")
    return redirect(url_for("trips.show", trip_id=trip.id))


@bp.route("/trips/<int:trip_id>/withdraw", methods=["POST"])
def withdraw(trip_id: int) -> Response | tuple[str, int]:
    return _reason_action(trip_id, "withdraw")


@bp.route("/trips/<int:trip_id>/cancel", methods=["POST"])
def cancel(trip_id: int) -> Response | tuple[str, int]:
    return _reason_action(trip_id, "cancel")


@bp.route("/trips/<int:trip_id>/safe-return", methods=["POST"])
def safe_return(trip_id: int) -> Response | tuple[str, int]:
    """The traveller confirms they are back (or a safety officer records it after a call)."""
    trip, principals = _visible(trip_id)
    form = ReasonForm()
    if not form.validate():
        flash(_("Nothing was saved: correct the marked fields."), "error")
        return _show(trip, principals, 400, reason_form=form, verb="safe_return")
    try:
        journey.confirm_return(
            trip, current_user, form.reason.data or "", form.version.data, _today()
        )
        db.session.commit()
    except TripChanged:
        return _changed(trip)
    except journey.NoteNeeded as missing:
        db.session.rollback()
        form.reason.errors = [missing.reason(_locale())]
        flash(_("Nothing was saved: correct the marked fields."), "error")
        return _show(trip, principals, 400, reason_form=form, verb="safe_return")
    except journey.NotYours as refused:
        return _problem(403, refused.reason(_locale()), trip)
    flash(_("Safe return recorded. Welcome back."), "success")
    return redirect(url_for("trips.show", trip_id=trip.id))


@bp.route("/trips/<int:trip_id>/details", methods=["GET", "POST"])
def own_details(trip_id: int) -> Response | tuple[str, int]:
    """The traveller's own emergency contact, phone and medical note on a submitted trip."""
    trip, _principals = _visible(trip_id)
    if not access.can_update_own_details(trip, current_user):
        abort(403)
    if request.method == "GET":
        form = OwnDetailsForm(formdata=None, data={**_initial(trip), "version": trip.version})
        return render_template("trips/details.html", form=form, trip=trip), 200
    form = OwnDetailsForm()
    if not form.validate():
        flash(_("Nothing was saved: correct the marked fields."), "error")
        return render_template("trips/details.html", form=form, trip=trip), 400
    details = {name: getattr(form, name).data or "" for name in PRIVATE_FIELDS}
    try:
        update_own_details(trip, current_user, details, form.version.data)
        db.session.commit()
    except TripChanged:
        return _changed(trip)
    except ActionRefused as refused:
        return _problem(403, refused.reason(_locale()), trip)
    flash(_("Your emergency details are saved."), "success")
    return redirect(url_for("trips.show", trip_id=trip.id))


@bp.route("/trips/<int:trip_id>/let-go", methods=["POST"])
def let_go(trip_id: int) -> Response | tuple[str, int]:
    """A safety officer lets a trip held on departure day travel all the same."""
    trip, principals = _visible(trip_id)
    form = ReasonForm()
    if not form.validate():
        flash(_("Nothing was saved: correct the marked fields."), "error")
        return _show(trip, principals, 400, reason_form=form, verb="let_go")
    try:
        journey.let_go(
            trip,
            current_user,
            form.reason.data or "",
            form.version.data,
            _today(),
            active_procedure(),
        )
        db.session.commit()
    except TripChanged:
        return _changed(trip)
    except journey.NoteNeeded as missing:
        db.session.rollback()
        form.reason.errors = [missing.reason(_locale())]
        flash(_("Nothing was saved: correct the marked fields."), "error")
        return _show(trip, principals, 400, reason_form=form, verb="let_go")
    except journey.NotYours as refused:
        return _problem(403, refused.reason(_locale()), trip)
    flash(_("The trip may leave: it is travelling."), "success")
    return redirect(url_for("trips.show", trip_id=trip.id))


@bp.route("/trips/<int:trip_id>/change", methods=["GET", "POST"])
def change(trip_id: int) -> Response | tuple[str, int]:
    trip, _principals = _visible(trip_id)
    today = _today()
    if not access.can_change(trip, current_user, today):
        abort(403)
    form = _trip_form(trip)
    template = "trips/change.html"
    if request.method == "GET":
        return _render_form(template, form, trip, change=None)
    action = request.form.get("action", "check")
    if _leg_buttons(form, action):
        return _render_form(template, form, trip, change=None)
    if not form.validate():
        flash(_("Nothing was saved: correct the marked fields."), "error")
        return _render_form(template, form, trip, 400, change=None)
    data = form.to_data()
    if action != "request":
        return _render_form(template, form, trip, change=classify(trip, data, today))
    version = _number(form.version.data)
    try:
        result = request_change(trip, current_user, data, -1 if version is None else version, today)
        db.session.commit()
    except TripChanged:
        return _changed(trip)
    except ActionRefused as refused:
        return _problem(403, refused.reason(_locale()), trip)
    except Incomplete as problem:
        db.session.rollback()
        _field_errors(form, problem.problems)
        return _render_form(template, form, trip, 400, change=None)
    if result.kind is ChangeKind.REOPEN:
        flash(_("The change reopens the review."), "warning")
    else:
        flash(_("Change saved; your approvers are notified."), "success")
    return redirect(url_for("trips.show", trip_id=trip.id))


@bp.app_context_processor
def trip_helpers() -> dict[str, Any]:
    """Names for steps, stages, roles, outcomes and states in the user's language."""
    from jinja2 import pass_context

    from travel_app.trips.forms import outcome_title as worded
    from travel_app.trips.operations import conditions_in_force
    from workflows.conditions import in_words
    from workflows.engine import Outcome
    from workflows.model import Procedure

    # This rendering's language, read once: a list names a step or a role per row.
    locale = _locale()

    def step_name(step_id: str, procedure: Any = None) -> str:
        try:
            _stage, step = (procedure or active_procedure()).step(step_id)
        except KeyError:  # a step of an older procedure: its id in words, never the bare code
            return in_words(step_id)
        return step.name(locale)

    def stage_name(stage_id: str, procedure: Any = None) -> str:
        for stage in (procedure or active_procedure()).stages:
            if stage.id == stage_id:
                return stage.name(locale)
        return in_words(stage_id)

    @pass_context
    def role_title(context: Any, role: str, procedure: Any = None) -> str:
        """The role as the procedure names it: the one given, the page's (a trip's own),
        else the procedure in force."""
        shown = context.get("procedure")
        if procedure is None and isinstance(shown, Procedure):
            procedure = shown
        return str((procedure or active_procedure()).role_title(role, locale))

    def outcome_title(value: str, step_id: str | None = None, procedure: Any = None) -> str:
        """The outcome in words, as the kind of step words it (a support step forwards or
        stops) when the step is given."""
        try:
            outcome = Outcome(value)
        except ValueError:
            return value
        try:
            mode = (procedure or active_procedure()).step(step_id)[1].mode if step_id else None
        except KeyError:
            mode = None
        return worded(outcome, mode)

    def necessity_from_level() -> int | None:
        """From which level the procedure asks a motivation of necessity (None: never)."""
        procedure = active_procedure()
        level = procedure.choices.necessity_from_level
        return level if level <= procedure.scale_max else None

    def state_title(value: str) -> str:
        try:
            return TripState(value).title
        except ValueError:
            return value

    return {
        "oversight_roles": access.OVERSIGHT,
        "step_name": step_name,
        "stage_name": stage_name,
        "role_title": role_title,
        "outcome_title": outcome_title,
        "state_title": state_title,
        "trip_conditions": conditions_in_force,
        "necessity_from_level": necessity_from_level,
    }


# Public names for the features that add to the trip page (the dossier).
visible_trip = _visible
trip_page = _show
problem_page = _problem
