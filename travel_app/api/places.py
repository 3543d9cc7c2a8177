"""``/api/v1/places`` and ``/api/v1/advisories``: travel advice and the level in force, read as
the country page and the risk overview read them, and set as the administrator's page sets it
(the same form, the same verb, the same re-examination of the trips it touches)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import url_for
from werkzeug.datastructures import MultiDict

from travel_app.api import schemas
from travel_app.api.problems import ApiProblem
from travel_app.api.spec import IDEMPOTENCY_KEY, api, headers
from travel_app.api.views import (
    ERRORS,
    READ_ERRORS,
    _locale,
    _me,
    _remember,
    _replay,
    _today,
    answers,
    bp,
    require_json,
)
from travel_app.countries import queries as country_queries
from travel_app.extensions import db
from travel_app.places import geography
from travel_app.places import operations as place_ops
from travel_app.places.current import judge
from travel_app.places.forms import AdvisoryForm
from travel_app.places.models import Advisory
from travel_app.places.queries import current_advisories, current_advisory
from travel_app.procedures import risk_policy
from travel_app.trips.rereview import react_to_advisory

#: The form's field names as the API names them.
FORM_FIELDS = {"country": "country_code", "region": "region_code", "source": "source_code"}


def advice_out(advisory: Advisory, locale: str) -> schemas.AdviceOut:
    """An advisory as the API shows it, its level and source named in ``locale``."""
    return schemas.AdviceOut(**_advice(advisory, locale))


def _advice(advisory: Advisory, locale: str) -> dict[str, Any]:
    return dict(
        id=advisory.id,
        country_code=advisory.country_code,
        region_code=advisory.region_code,
        level=advisory.level,
        level_name=advisory.risk_level.name(locale),
        source_code=advisory.source_code,
        source_name=advisory.source.title(locale),
        source_label=advisory.source_label,
        effective_on=advisory.effective_on,
        summary=advisory.summary,
        tags=list(advisory.tags or []),
        is_demo=advisory.is_demo,
        created_at=advisory.created_at,
    )


def _place(country: str, region: str | None) -> tuple[str, str | None]:
    """The country (and region) in capitals, or not found, as the country page answers."""
    code = country.upper()
    if len(code) != 2 or not geography.is_country(code):
        raise ApiProblem("not-found", "No country has this code.")
    if region is None:
        return code, None
    region = region.upper()
    if not geography.region_in_country(region, code):
        raise ApiProblem("not-found", "This region is not in the country.")
    return code, region


@bp.route("/places/<country>", methods=["GET"])
@api.validate(
    query=schemas.PlaceQuery,
    resp=answers({"HTTP_200": schemas.PlaceOut}, *READ_ERRORS),
    tags=["advisories"],
)
def show_place(country: str, query: schemas.PlaceQuery) -> Any:
    """A country's (or region's) level in force today and each source's advice for it."""
    code, region = _place(country, query.region)
    today, locale = _today(), _locale()
    rows = country_queries.advisories(code)
    judged = judge(rows, region, today, risk_policy())
    # The country page lists each source's latest advice for the whole country; for a region,
    # each source's advice as the risk policy reads it there (its own, else the country's).
    per_source = (
        country_queries.latest_per_source(rows, today) if region is None else list(judged.advice)
    )
    in_force = current_advisory(today, code, region)
    regions = [] if region is not None else current_advisories(today, code)
    return schemas.PlaceOut(
        country_code=code,
        country_name=geography.country_name(code, locale),
        region_code=region,
        region_name=geography.region_name(region, locale) if region else None,
        in_force=advice_out(in_force, locale) if in_force is not None else None,
        per_source=[
            schemas.SourceAdviceOut(**_advice(a, locale), counts=a.source_code in judged.counted)
            for a in sorted(per_source, key=lambda a: (-a.level, a.source.name))
        ],
        regions=[
            schemas.RegionAdviceOut(
                region_code=p.region_code,
                region_name=geography.region_name(p.region_code, locale),
                in_force=advice_out(p.advisory, locale),
            )
            for p in regions
            if p.region_code is not None
        ],
    )


@bp.route("/advisories", methods=["GET"])
@api.validate(
    query=schemas.AdvisoryListQuery,
    resp=answers({"HTTP_200": schemas.AdvisoryList}, *ERRORS),
    tags=["advisories"],
)
def list_advisories(query: schemas.AdvisoryListQuery) -> Any:
    """Every advisory ever set (the history), newest first; filter by country and source."""
    statement = sa.select(Advisory)
    if query.country is not None:
        code = query.country.upper()
        if not geography.is_country(code):
            raise ApiProblem(
                "invalid",
                "Unknown country code.",
                errors=[{"field": "country", "message": "an ISO 3166-1 alpha-2 code"}],
            )
        statement = statement.where(Advisory.country_code == code)
    if query.source is not None:
        statement = statement.where(Advisory.source_code == query.source)
    if query.cursor is not None:
        statement = statement.where(Advisory.id < query.cursor)
    rows = list(db.session.scalars(statement.order_by(Advisory.id.desc()).limit(query.limit + 1)))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    locale = _locale()
    return schemas.AdvisoryList(
        items=[advice_out(a, locale) for a in rows],
        next_cursor=rows[-1].id if more and rows else None,
    )


def _advisory_form(data: schemas.AdvisoryIn) -> AdvisoryForm:
    """The administrator's advisory form filled with ``data``: its rules judge the API's too."""
    if any("," in tag for tag in data.tags):
        raise ApiProblem(
            "invalid",
            "The advice does not pass the rules.",
            errors=[{"field": "tags", "message": "A tag has no comma."}],
        )
    fields: MultiDict[str, str] = MultiDict(
        {
            "country": data.country_code,
            "region": data.region_code or "",
            "level": str(data.level),
            "source": data.source_code,
            "source_label": data.source_label,
            "effective_on": data.effective_on.isoformat(),
            "summary": data.summary,
            "tags": ",".join(data.tags),
        }
    )
    form = AdvisoryForm(formdata=fields, meta={"csrf": False}, locale=_locale())
    if not form.validate():
        errors = [
            {"field": FORM_FIELDS.get(name, name), "message": str(message)}
            for name, messages in form.errors.items()
            for message in messages
        ]
        raise ApiProblem("invalid", "The advice does not pass the rules.", errors=errors)
    return form


@bp.route("/advisories", methods=["POST"])
@api.validate(
    json=schemas.AdvisoryIn,
    resp=answers({"HTTP_201": schemas.AdvisorySet}, *ERRORS, "HTTP_409", "HTTP_413"),
    tags=["advisories"],
)
def set_advisory(json: schemas.AdvisoryIn) -> Any:
    """Set advice for a place (administrators): the trips it touches are examined again."""
    require_json(json)
    replay = _replay()
    if replay is not None:
        return replay
    form = _advisory_form(json)
    me, today = _me(), _today()
    advisory = place_ops.set_advisory(
        country_code=form.country.data,
        region_code=form.region.data,
        level=form.level.data,
        source_code=form.source.data,
        source_label=form.source_label.data,
        effective_on=form.effective_on.data,
        summary=form.summary.data,
        tags=form.tag_list(),
        actor=me,
    )
    reaction = react_to_advisory(advisory, me, today)
    db.session.flush()
    locale = _locale()
    in_force = current_advisory(today, advisory.country_code, advisory.region_code)
    out = schemas.AdvisorySet(
        advisory=advice_out(advisory, locale),
        in_force=advice_out(in_force, locale) if in_force is not None else None,
        suspended=len(reaction.suspended),
        rerouted=len(reaction.rerouted),
        flagged=len(reaction.flagged),
        lowered=len(reaction.lowered),
        waiting=len(reaction.waiting),
    )
    extra = {
        "Location": url_for(
            "api.show_place", country=advisory.country_code, region=advisory.region_code
        )
    }
    _remember(201, out, extra)
    db.session.commit()
    return out, 201, extra


headers("api.set_advisory", IDEMPOTENCY_KEY)
