"""``/api/v1``: trips and decisions as JSON, through the same forms' rules and the same verbs as
the pages. The access table admits a personal token with the route's scope and makes its owner
the current user; each view then checks the object as the page does."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from spectree import Response as Answers
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from travel_app.api import lists, schemas
from travel_app.api.models import IdempotentRequest
from travel_app.api.problems import KINDS, ApiProblem, response
from travel_app.api.spec import IDEMPOTENCY_KEY, IF_MATCH, api, document, headers
from travel_app.core.db import utcnow
from travel_app.core.errors import Refused
from travel_app.extensions import db, limiter
from travel_app.org.models import Person
from travel_app.places import geography
from travel_app.procedures import active_procedure
from travel_app.tokens.guard import current_token
from travel_app.tokens.operations import TokenRefused
from travel_app.trips import access, queries
from travel_app.trips.forms import DecisionForm, TripForm
from travel_app.trips.models import Trip, TripState
from travel_app.trips.operations import (
    UNIT_MISSING,
    Incomplete,
    TripChanged,
    available_actions,
    conditions_in_force,
    decide_step,
    request_change,
    save_draft,
    submit_trip,
    withdraw_trip,
)
from workflows.engine import ChangeKind, Outcome

bp = Blueprint("api", __name__)

ERRORS = ("HTTP_400", "HTTP_401", "HTTP_403", "HTTP_429")
READ_ERRORS = (*ERRORS, "HTTP_404")
WRITE_ERRORS = (*READ_ERRORS, "HTTP_409", "HTTP_412", "HTTP_413", "HTTP_428")


def answers(ok: dict[str, Any], *errors: str) -> Answers:
    """The documented answers of a route: its successes and its problems (RFC 9457)."""
    return Answers(**ok, **{code: schemas.Problem for code in errors})


def _limit_key() -> str:
    """Rate limits count per token (its hash), else per address."""
    scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return "api-token:" + hashlib.sha256(value.strip().encode()).hexdigest()
    return "api-ip:" + (request.remote_addr or "-")


def _rate() -> str:
    return str(current_app.config.get("API_RATE_LIMIT", "600/minute"))


limiter.limit(_rate, key_func=_limit_key)(bp)


def _today() -> date:
    return date.today()


def _locale() -> str:
    return str(get_locale())


# --- errors ----------------------------------------------------------------------------------


@bp.errorhandler(ApiProblem)
def problem(error: ApiProblem) -> Response:
    db.session.rollback()
    return response(error, request.path)


@bp.errorhandler(TokenRefused)
def token_refused(error: TokenRefused) -> Response:
    db.session.rollback()
    slug = {401: "unauthenticated", 403: "insufficient-scope"}[error.status]
    if error.error == "personal_token_required":
        slug = "personal-token-required"
    challenge = f'Bearer realm="api", error="{error.error}"'
    return response(ApiProblem(slug, error.detail, {"WWW-Authenticate": challenge}), request.path)


@bp.errorhandler(Refused)
def refused(error: Refused) -> Response:
    db.session.rollback()
    slug = {403: "forbidden", 404: "not-found"}.get(error.status, "refused")
    return response(ApiProblem(slug, error.reason(_locale())), request.path)


@bp.errorhandler(TripChanged)
def changed(error: TripChanged) -> Response:
    db.session.rollback()
    return response(ApiProblem("stale", "The trip changed meanwhile; read it again."), request.path)


@bp.errorhandler(IntegrityError)
@bp.errorhandler(DataError)
def conflict(error: Exception) -> Response:
    db.session.rollback()
    current_app.logger.warning("api: database refused a write: %s", error)
    return response(ApiProblem("conflict"), request.path)


@bp.errorhandler(HTTPException)
@bp.errorhandler(400)
@bp.errorhandler(403)
@bp.errorhandler(404)
@bp.errorhandler(405)
@bp.errorhandler(413)
@bp.errorhandler(429)
def http_error(error: HTTPException) -> Response:
    """Every other refusal (404, 405, 413, 429, a 403 of the access table) as a problem."""
    db.session.rollback()
    return http_problem(error)


def http_problem(error: HTTPException) -> Response:
    """An HTTP error as a problem document (also for /api/v1 paths no route matched)."""
    code = error.code or 500
    if code == 405 and not allowed_methods():
        code = 404  # an id beyond any column matches no route: there is nothing there
    slug = next((k.slug for k in KINDS.values() if k.status == code), "bad-request")
    extra: dict[str, str] = {}
    if code == 429:
        limit = limiter.current_limit
        import time

        wait = max(1, limit.reset_at - int(time.time())) if limit is not None else 60
        extra["Retry-After"] = str(wait)
    if code == 405:
        extra["Allow"] = ", ".join(allowed_methods())
    detail = None if code in (403, 404, 405, 429) else error.description
    return response(ApiProblem(slug, detail, extra), request.path)


# --- the description -------------------------------------------------------------------------


@bp.route("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(document())


@bp.route("/docs")
def docs() -> str:
    """The description as a page: each operation with its parameters, answers and examples."""
    doc = document()
    return render_template(
        "api/docs.html", doc=doc, kinds=KINDS.values(), trip_example=schemas.example(schemas.TripIn)
    )


ANY_METHOD = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods() -> list[str]:
    """The methods the API serves on the request's path (the catch-all's do not count)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ANY_METHOD:
        try:
            endpoint, _args = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != "api.elsewhere":
            allowed.append(method)
    return allowed


@bp.after_request
def exact_allow(answer: Response) -> Response:
    """OPTIONS lists the methods of this resource only, not those of the catch-all."""
    if request.method == "OPTIONS" and "Allow" in answer.headers:
        methods = allowed_methods()
        extra = ["HEAD"] if "GET" in methods else []
        answer.headers["Allow"] = ", ".join([*methods, *extra, "OPTIONS"])
    return answer


@bp.route("/", methods=ANY_METHOD)
@bp.route("/<path:elsewhere>", methods=ANY_METHOD)
def elsewhere(elsewhere: str = "") -> Response:
    """Any other path or method under /api/v1: a problem (405 with Allow, or 404), not a page."""
    allowed = allowed_methods()
    if allowed:
        raise ApiProblem("method-not-allowed", headers={"Allow": ", ".join(allowed)})
    raise ApiProblem("not-found")


# --- helpers ---------------------------------------------------------------------------------


def _me() -> Person:
    person: Person = current_user._get_current_object()
    return person


def _visible(trip_id: int, *options: Any) -> tuple[Trip, list[Person]]:
    """A trip the token's owner may see, read with the loader ``options`` given; others are not
    found (no hint they exist)."""
    trip = db.session.get(Trip, trip_id, options=options)
    principals = access.identities(_me(), _today())
    if trip is None or not access.can_view(trip, _me(), principals):
        raise ApiProblem("not-found", "No trip with this id that you may see.")
    return trip, principals


def etag(trip: Trip) -> str:
    """A trip's entity tag: its version, which every change raises."""
    return f"v{trip.version}"


def _require_match(trip: Trip) -> None:
    """Writes name the version they saw: none is 428, another is 412."""
    sent = (request.headers.get("If-Match") or "").strip()
    if not sent:
        raise ApiProblem("precondition-required", "Send If-Match with the trip's ETag.")
    if len(sent) > 200:
        raise ApiProblem("bad-request", "If-Match takes at most 200 characters.")
    if request.if_match.star_tag:
        # "*" would match any version and lose the protection against lost updates.
        raise ApiProblem("precondition-required", "Send the trip's ETag itself, not *.")
    if not request.if_match.contains(etag(trip)):
        raise ApiProblem(
            "stale",
            f'The trip is at ETag "{etag(trip)}"; read it again before you change it.',
            {"ETag": f'"{etag(trip)}"'},
        )


def require_json(body: Any) -> None:
    """SpecTree hands a view no body for another content type (a form): refuse it, clearly."""
    if body is None:
        raise ApiProblem("bad-request", "Send a JSON object (Content-Type: application/json).")


def _require_body() -> None:
    """A route whose body is all optional still needs one: a JSON object, maybe empty."""
    if not isinstance(request.get_json(silent=True), dict):
        raise ApiProblem("invalid", "Send a JSON object as the body ({} is enough).")


def _leg_out(leg: Any, locale: str) -> schemas.LegOut:
    return schemas.LegOut(
        country_code=leg.country_code,
        country_name=geography.country_name(leg.country_code, locale),
        region_code=leg.region_code,
        city=leg.city,
        arrives_on=leg.arrives_on,
        leaves_on=leg.leaves_on,
    )


def trip_out(
    trip: Trip, detail: bool = True, principals: list[Person] | None = None
) -> schemas.TripOut:
    """A trip as the API shows it; ``detail`` adds the caller's steps (as themselves and for
    the ``principals`` they stand in for, read again unless given) and the conditions."""
    locale = _locale()
    steps = None
    conditions = None
    if detail:
        me = _me()
        steps = [
            schemas.StepOut(
                step_id=s.step_id,
                outcomes=[o.value for o in s.outcomes],
                refused=s.refused(locale) if s.refused is not None else None,
            )
            for principal in (
                principals if principals is not None else access.identities(me, _today())
            )
            for s in available_actions(trip, me, principal)
        ]
        conditions = list(conditions_in_force(trip))
    return schemas.TripOut(
        id=trip.id,
        version=trip.version,
        state=trip.state.value,
        state_title=trip.state.title,
        traveller=schemas.PersonRef(id=trip.traveller.id, name=trip.traveller.name),
        purpose=trip.purpose,
        level=trip.level,
        departure_on=trip.departure_on,
        return_on=trip.return_on,
        legs=[_leg_out(leg, locale) for leg in trip.legs],
        created_at=trip.created_at,
        submitted_at=trip.submitted_at,
        conditions=conditions,
        my_steps=steps,
    )


def _with_etag(
    trip: Trip, status: int = 200, principals: list[Person] | None = None, **extra: str
) -> tuple[Any, int, dict[str, str]]:
    return trip_out(trip, principals=principals), status, {"ETag": f'"{etag(trip)}"', **extra}


LEG_FIELDS = {"country": "country_code", "region": "region_code"}


def _form_errors(errors: dict[str, Any], prefix: str = "") -> list[dict[str, str]]:
    """A form's errors as the API's field list, named as the API names the fields."""
    found: list[dict[str, str]] = []
    for name, messages in errors.items():
        where = prefix + LEG_FIELDS.get(name, name)
        if name == "co_travellers":
            where = prefix + "co_travellers"
        entries = messages if isinstance(messages, list) else [messages]
        for index, message in enumerate(entries):
            if isinstance(message, dict):  # one leg's own errors
                found.extend(_form_errors(message, f"{where}.{index}."))
            elif isinstance(message, list):
                found.extend({"field": where, "message": str(m)} for m in message)
            else:
                found.append({"field": where, "message": str(message)})
    return found


#: Members that a PUT or change may leave out to keep what the trip holds: the API never shows
#: the private ones (emergency contact, phones, medical note), so a client that reads, changes
#: and writes back a trip must not erase them.
KEPT_WHEN_LEFT_OUT = (
    "why_not_remote",
    "why_not_later",
    "impact_if_cancelled",
    "emergency_name",
    "emergency_phone",
    "cost_centre",
    "mobile_phone",
    "medical_note",
)


def _trip_form(data: schemas.TripIn, trip: Trip | None = None) -> TripForm:
    """The filing form filled with ``data``: the pages' rules judge the API's trips too. For an
    existing ``trip``, members left out keep their stored values."""
    given = data.model_fields_set
    fields: MultiDict[str, Any] = MultiDict()
    fields["purpose"] = data.purpose
    for name in KEPT_WHEN_LEFT_OUT:
        keep = trip is not None and name not in given
        fields[name] = (getattr(trip, name) or "") if keep else getattr(data, name)
    stored_legs = list(trip.legs) if trip is not None else []
    for i, leg in enumerate(data.legs):
        fields[f"legs-{i}-country"] = leg.country_code
        fields[f"legs-{i}-region"] = leg.region_code or ""
        fields[f"legs-{i}-city"] = leg.city
        fields[f"legs-{i}-arrives_on"] = leg.arrives_on.isoformat()
        fields[f"legs-{i}-leaves_on"] = leg.leaves_on.isoformat()
        accommodation = leg.accommodation
        if "accommodation" not in leg.model_fields_set and i < len(stored_legs):
            accommodation = stored_legs[i].accommodation
        fields[f"legs-{i}-accommodation"] = accommodation
    flags = data.flags if trip is None or "flags" in given else list(trip.flags or ())
    for flag in flags:
        fields.add("flags", flag)
    if trip is None or "co_travellers" in given:
        fields["co_travellers"] = "\n".join(data.co_travellers)
    else:
        people = queries.people_by_ids(list(trip.co_traveller_ids or ()))
        fields["co_travellers"] = "\n".join(p.email for p in people)
    form = TripForm(
        formdata=fields,
        meta={"csrf": False},
        procedure=active_procedure(),
        traveller=_me(),
        locale=_locale(),
    )
    if not form.validate():
        errors = _form_errors(form.errors)
        raise ApiProblem("invalid", "The trip does not pass the filing rules.", errors=errors)
    return form


def _incomplete(error: Incomplete) -> ApiProblem:
    errors = [{"field": k, "message": v(_locale())} for k, v in error.problems.items()]
    return ApiProblem("invalid", "The trip is not complete enough to submit.", errors=errors)


#: How long a creating POST's answer is kept for its retries.
KEEP_ANSWERS = timedelta(hours=24)


def _fingerprint() -> str:
    return hashlib.sha256(
        b"\n".join([request.method.encode(), request.path.encode(), request.get_data()])
    ).hexdigest()


def _replay() -> Response | None:
    """A creating POST seen before under its Idempotency-Key: the first answer again."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 0 < len(key) <= 255:
        raise ApiProblem("bad-request", "Idempotency-Key takes 1 to 255 characters.")
    seen = db.session.scalar(
        sa.select(IdempotentRequest).where(
            IdempotentRequest.token_id == current_token().id, IdempotentRequest.key == key
        )
    )
    if seen is not None and seen.created_at < utcnow() - KEEP_ANSWERS:
        db.session.delete(seen)  # too old to be a retry: a new request
        db.session.flush()
        seen = None
    if seen is None:
        return None
    if seen.fingerprint != _fingerprint():
        raise ApiProblem("idempotency-key-reused")
    answer = Response(seen.body, status=seen.status, mimetype="application/json")
    answer.headers.update(seen.headers)
    answer.headers["Idempotent-Replayed"] = "true"
    return answer


def _remember(status: int, payload: Any, answer_headers: dict[str, str]) -> None:
    """Keep a creating POST's answer under its Idempotency-Key, in the same transaction."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return
    # Answers are kept a day (the description says so), then forgotten, with what they held.
    db.session.execute(
        sa.delete(IdempotentRequest).where(IdempotentRequest.created_at < utcnow() - KEEP_ANSWERS)
    )
    db.session.add(
        IdempotentRequest(
            token_id=current_token().id,
            key=key,
            fingerprint=_fingerprint(),
            status=status,
            body=payload.model_dump_json(),
            headers=answer_headers,
        )
    )


# --- trips -----------------------------------------------------------------------------------


@bp.route("/trips", methods=["GET"])
@api.validate(
    query=schemas.TripListQuery,
    resp=answers({"HTTP_200": schemas.TripList}, *ERRORS),
    tags=["trips"],
)
def list_trips(query: schemas.TripListQuery) -> Any:
    """List trips: your own, or (safety office, administrators) all, newest first.

    Filters combine; `cursor` pages through them 1 to 100 at a time.
    """
    me = _me()
    if query.view == "all" and not access.sees_all_trips(me):
        raise ApiProblem("forbidden", "Only the safety office and administrators see all.")
    state = None
    if query.state is not None:
        try:
            state = TripState(query.state)
        except ValueError:
            states = ", ".join(s.value for s in TripState)
            raise ApiProblem(
                "invalid",
                "Unknown state.",
                errors=[{"field": "state", "message": f"one of {states}"}],
            ) from None
    listing = lists.TripListing(
        traveller_id=None if query.view == "all" else me.id,
        state=state,
        level=query.level,
        country=query.country.upper() if query.country is not None else None,
        departs_from=query.departs_from,
        departs_until=query.departs_until,
        before_id=query.cursor,
    )
    rows, legs, more = lists.listed_trips(listing, query.limit)
    # Validated in one call from plain values: 50 trips built as models one by one, each with
    # its stays and traveller, took half as long again for the same answer.
    return schemas.TripList.model_validate(
        {
            "items": _listed_out(rows, legs),
            "next_cursor": rows[-1].id if more and rows else None,
        }
    )


def _listed_out(
    rows: list[sa.Row[Any]], legs: dict[int, list[sa.Row[Any]]]
) -> list[dict[str, Any]]:
    """Listed trips as the API shows them (:func:`trip_out` without the detail), as plain
    values; each state's title and each country's name looked up once per list."""
    locale = _locale()
    titles: dict[TripState, str] = {}
    countries: dict[str, str] = {}
    items = []
    for row in rows:
        title = titles.get(row.state)
        if title is None:
            title = titles[row.state] = row.state.title
        stays = []
        for leg in legs[row.id]:
            name = countries.get(leg.country_code)
            if name is None:
                name = countries[leg.country_code] = geography.country_name(
                    leg.country_code, locale
                )
            stays.append(
                {
                    "country_code": leg.country_code,
                    "country_name": name,
                    "region_code": leg.region_code,
                    "city": leg.city,
                    "arrives_on": leg.arrives_on,
                    "leaves_on": leg.leaves_on,
                }
            )
        items.append(
            {
                "id": row.id,
                "version": row.version,
                "state": row.state.value,
                "state_title": title,
                "traveller": {"id": row.traveller_id, "name": row.traveller_name},
                "purpose": row.purpose,
                "level": row.level,
                "departure_on": row.departure_on,
                "return_on": row.return_on,
                "legs": stays,
                "created_at": row.created_at,
                "submitted_at": row.submitted_at,
                "conditions": None,
                "my_steps": None,
            }
        )
    return items


@bp.route("/trips", methods=["POST"])
@api.validate(
    json=schemas.TripIn,
    resp=answers({"HTTP_201": schemas.TripOut}, *ERRORS, "HTTP_409", "HTTP_413"),
    tags=["trips"],
)
def create_trip(json: schemas.TripIn) -> Any:
    """File a draft trip for yourself (submit it with /submit)."""
    require_json(json)
    replay = _replay()
    if replay is not None:
        return replay
    form = _trip_form(json)
    trip = save_draft(None, _me(), form.to_data(), None)
    db.session.flush()
    location = url_for("api.show_trip", trip_id=trip.id)
    out, status, extra = _with_etag(trip, 201, Location=location)
    _remember(status, out, extra)
    db.session.commit()
    return out, status, extra


@bp.route("/trips/<int:trip_id>", methods=["GET"])
@api.validate(resp=answers({"HTTP_200": schemas.TripOut}, *READ_ERRORS), tags=["trips"])
def show_trip(trip_id: int) -> Any:
    """One trip, with its ETag, the steps you may decide and the conditions in force."""
    trip, _principals = _visible(trip_id)
    return _with_etag(trip)


@bp.route("/trips/<int:trip_id>", methods=["PUT"])
@api.validate(
    json=schemas.TripIn,
    resp=answers({"HTTP_200": schemas.TripOut}, *WRITE_ERRORS),
    tags=["trips"],
)
def update_trip(trip_id: int, json: schemas.TripIn) -> Any:
    """Replace a draft (or a trip sent back for changes) with this version; members left out
    keep their stored values, the legs are replaced as sent."""
    require_json(json)
    trip, _principals = _visible(trip_id)
    _require_match(trip)
    if not access.can_edit(trip, _me()):
        raise ApiProblem("forbidden", "Only the traveller edits a draft or a returned trip.")
    form = _trip_form(json, trip)
    save_draft(trip, _me(), form.to_data(), trip.version)
    db.session.commit()
    return _with_etag(trip)


headers("api.update_trip", IF_MATCH)
headers("api.create_trip", IDEMPOTENCY_KEY)


@bp.route("/trips/<int:trip_id>/submit", methods=["POST"])
@api.validate(resp=answers({"HTTP_200": schemas.TripOut}, *WRITE_ERRORS), tags=["trips"])
def submit(trip_id: int) -> Any:
    """Submit a draft for approval (or send a returned trip back into review)."""
    trip, _principals = _visible(trip_id)
    _require_match(trip)
    if not access.can_edit(trip, _me()):
        raise ApiProblem("forbidden", "Only the traveller submits their trip.")
    if _me().unit_id is None:
        raise ApiProblem("refused", UNIT_MISSING(_locale()))
    try:
        if trip.state is TripState.CHANGES_REQUESTED:
            from travel_app.trips.operations import resubmit_trip

            resubmit_trip(trip, _me(), trip.version, _today())
        else:
            submit_trip(trip, _me(), trip.version, _today())
    except Incomplete as error:
        raise _incomplete(error) from None
    db.session.commit()
    return _with_etag(trip)


headers("api.submit", IF_MATCH)


@bp.route("/trips/<int:trip_id>/withdraw", methods=["POST"])
@api.validate(
    json=schemas.Reason,
    resp=answers({"HTTP_200": schemas.TripOut}, *WRITE_ERRORS),
    tags=["trips"],
)
def withdraw(trip_id: int, json: schemas.Reason) -> Any:
    """Call your trip off before departure, with a reason."""
    require_json(json)
    trip, _principals = _visible(trip_id)
    _require_body()
    _require_match(trip)
    if not access.can_withdraw(trip, _me(), _today()):
        raise ApiProblem("refused", "This trip cannot be withdrawn (any more).")
    try:
        withdraw_trip(trip, _me(), json.reason.strip(), trip.version, _today())
    except Incomplete as error:
        raise _incomplete(error) from None
    db.session.commit()
    return _with_etag(trip)


headers("api.withdraw", IF_MATCH)


@bp.route("/trips/<int:trip_id>/change", methods=["POST"])
@api.validate(
    json=schemas.TripIn,
    resp=answers({"HTTP_200": schemas.ChangeOut}, *WRITE_ERRORS),
    tags=["trips"],
)
def change(trip_id: int, json: schemas.TripIn) -> Any:
    """Change an approved trip before departure: a material change sends it back into review."""
    require_json(json)
    trip, _principals = _visible(trip_id)
    _require_match(trip)
    if not access.can_change(trip, _me(), _today()):
        raise ApiProblem("refused", "Only an approved trip that has not started can be changed.")
    form = _trip_form(json, trip)
    try:
        result = request_change(trip, _me(), form.to_data(), trip.version, _today())
    except Incomplete as error:
        raise _incomplete(error) from None
    db.session.commit()
    kind = "material" if result.kind is ChangeKind.REOPEN else "minor"
    out = schemas.ChangeOut(change=kind, trip=trip_out(trip))
    return out, 200, {"ETag": f'"{etag(trip)}"'}


headers("api.change", IF_MATCH)


# --- tasks and decisions ---------------------------------------------------------------------


@bp.route("/tasks", methods=["GET"])
@api.validate(
    query=schemas.PageQuery,
    resp=answers({"HTTP_200": schemas.TaskList}, *ERRORS),
    tags=["decisions"],
)
def tasks(query: schemas.PageQuery) -> Any:
    """Your inbox: the open steps waiting for you (or for whom you stand in), 50 a page."""
    me = _me()
    page = queries.inbox(me, access.identities(me, _today()), query.page)
    items: list[queries.InboxTask] = list(page.items)
    return schemas.TaskList(
        items=[
            schemas.TaskOut(
                id=task.id,
                trip_id=task.trip_id,
                step_id=task.step_id,
                due_on=task.due_on,
                trip_state=task.trip.state.value,
                traveller=schemas.PersonRef(
                    id=task.trip.traveller.id, name=task.trip.traveller.name
                ),
                purpose=task.trip.purpose,
            )
            for task in items
        ],
        page=page.page,
        pages=page.pages,
        total=page.total,
    )


#: The traveller and the legs a decision's mails, timeline and answer need, read with the trip
#: (the options built once: building them cost more than a statement).
_DECIDE_LOADS = (joinedload(Trip.traveller), joinedload(Trip.legs))


@bp.route("/trips/<int:trip_id>/decisions", methods=["POST"])
@api.validate(
    json=schemas.DecisionIn,
    resp=answers({"HTTP_200": schemas.TripOut}, *WRITE_ERRORS),
    tags=["decisions"],
)
def decide(trip_id: int, json: schemas.DecisionIn) -> Any:
    """Decide (or advise on) a step of the trip, as yourself or for whom you stand in."""
    require_json(json)
    trip, principals = _visible(trip_id, *_DECIDE_LOADS)
    _require_match(trip)
    principal = _me()
    if json.on_behalf_of is not None:
        found = next((p for p in principals if p.id == json.on_behalf_of), None)
        if found is None:
            raise ApiProblem("forbidden", "You do not stand in for this person today.")
        principal = found
    fields: MultiDict[str, Any] = MultiDict(
        {
            "step_id": json.step_id,
            "version": str(trip.version),
            "outcome": json.outcome,
            "comment": json.comment,
            "conditions": "\n".join(json.conditions),
        }
    )
    form = DecisionForm(formdata=fields, meta={"csrf": False})
    form.offer(None)
    if not form.validate():
        errors = _form_errors(form.errors)
        raise ApiProblem("invalid", "The decision does not pass the rules.", errors=errors)
    decide_step(
        trip,
        _me(),
        principal,
        json.step_id,
        Outcome(json.outcome),
        form.comment.data or "",
        form.condition_list(),
        trip.version,
    )
    # The answer is the trip as this transaction leaves it, written before the commit: after it
    # every object would be read again (the trip, its traveller and legs, the caller, whom
    # they stand in for: six statements). A commit that fails answers with its error instead.
    answer = _with_etag(trip, principals=principals)
    db.session.commit()
    return answer


headers("api.decide", IF_MATCH)


# The other resources, each in its own module on the same blueprint (imported for their routes).
from travel_app.api import dossier, duty, people, places  # noqa: E402,F401
