"""Same-content baselines (issue 22): the measured pages' content served by the shortest app.

    .venv/bin/python bench/same_content.py --database-url URL [--fill N] [--repeat 30]

``make bench`` compares the pages with ``bench/baseline.py``, which reads one row. The fair
limit is the same work done by the code a good engineer would write without the service's
framework: the same rows read and the same table rendered, with no login, CSRF, translations
or policy. :func:`create` builds that app (Flask, SQLAlchemy Core, compiled Jinja templates):

- ``GET /mine?user=ID&page=N``: the user's trips, 50 a page, with destinations and a count;
- ``GET /inbox?user=ID``: the user's open steps with their trips;
- ``GET /trip/ID``: a trip, its legs, its open steps and its whole timeline;
- ``GET /where?on=YYYY-MM-DD[&country=CC]``: who is where around a day, with the counts there,
  arriving and left, and the travellers abroad per country (the real page's chart);
- ``POST /decide/TASK_ID`` (form ``version``, ``outcome``): one transaction that moves the trip
  on, closes the step, and inserts the event, the audit record and the e-mail row.

:func:`measure` requests each route in process (Flask's test client) in turn with the real page
and the one-row baseline, checks that the real page and the route show the same trips, events
and counts, and returns a :class:`Row` per page and one for the decision (medians, statements
per request, the ratios); :func:`table` renders them, and ``make bench`` (bench/run.py) reports
them beside the same pages under load. :func:`main` prints the table; ``--production`` runs
the service with the production settings gunicorn has under load (in a process of its own,
since the settings are read from the environment), else it runs with TestingConfig. Under
gunicorn the app is ``bench.same_content_wsgi:app``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, abort, render_template, request
from jinja2 import DictLoader

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAGE_SIZE = 50
WINDOW_DAYS = 14
#: Trip states whose traveller may be on the way (as the who-is-where page counts them).
ACTIVE = (
    "in_review",
    "changes_requested",
    "approved",
    "approved_with_conditions",
    "registered",
    "suspended",
)

meta = sa.MetaData()
person = sa.Table(
    "person",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String),
    sa.Column("email", sa.String),
)
unit = sa.Table(
    "unit", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("code", sa.String)
)
trip = sa.Table(
    "trip",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("traveller_id", sa.Integer),
    sa.Column("faculty_id", sa.Integer),
    sa.Column("state", sa.String),
    sa.Column("phase", sa.String),
    sa.Column("version", sa.Integer),
    sa.Column("purpose", sa.String),
    sa.Column("departure_on", sa.Date),
    sa.Column("return_on", sa.Date),
    sa.Column("level", sa.Integer),
    sa.Column("round", sa.Integer),
    sa.Column("is_late", sa.Boolean),
    sa.Column("needs_attention", sa.Boolean),
    sa.Column("mobile_phone", sa.String),
    sa.Column("safe_return_at", sa.DateTime),
    sa.Column("last_checkin_at", sa.DateTime),
    sa.Column("updated_at", sa.DateTime),
)
leg = sa.Table(
    "trip_leg",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("trip_id", sa.Integer),
    sa.Column("position", sa.Integer),
    sa.Column("country_code", sa.String),
    sa.Column("region_code", sa.String),
    sa.Column("city", sa.String),
    sa.Column("arrives_on", sa.Date),
    sa.Column("leaves_on", sa.Date),
    sa.Column("accommodation", sa.String),
)
task = sa.Table(
    "trip_task",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("trip_id", sa.Integer),
    sa.Column("round", sa.Integer),
    sa.Column("step_id", sa.String),
    sa.Column("assignee_id", sa.Integer),
    sa.Column("role", sa.String),
    sa.Column("due_on", sa.Date),
    sa.Column("closed_at", sa.DateTime),
)
event = sa.Table(
    "trip_event",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("trip_id", sa.Integer),
    sa.Column("at", sa.DateTime),
    sa.Column("kind", sa.String),
    sa.Column("actor_id", sa.Integer),
    sa.Column("on_behalf_of_id", sa.Integer),
    sa.Column("round", sa.Integer),
    sa.Column("step_id", sa.String),
    sa.Column("outcome", sa.String),
    sa.Column("comment", sa.Text),
    sa.Column("conditions", sa.JSON),
    sa.Column("from_state", sa.String),
    sa.Column("to_state", sa.String),
    sa.Column("level", sa.Integer),
    sa.Column("data", sa.JSON),
)
decision = event.alias("decision")
audit = sa.Table(
    "audit_event",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime),
    sa.Column("actor_id", sa.Integer),
    sa.Column("action", sa.String),
    sa.Column("object_type", sa.String),
    sa.Column("object_id", sa.String),
    sa.Column("data", sa.JSON),
)
outbox = sa.Table(
    "outbox_message",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("recipient", sa.String),
    sa.Column("recipient_id", sa.Integer),
    sa.Column("kind", sa.String),
    sa.Column("about", sa.String),
    sa.Column("due_on", sa.Date),
    sa.Column("language", sa.String),
    sa.Column("subject", sa.String),
    sa.Column("text", sa.Text),
    sa.Column("attachments", sa.JSON),
    sa.Column("status", sa.String),
    sa.Column("attempts", sa.Integer),
    sa.Column("next_attempt_at", sa.DateTime),
    sa.Column("created_at", sa.DateTime),
)
crisis_recipient = sa.Table(
    "crisis_recipient",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("trip_id", sa.Integer),
    sa.Column("answer", sa.String),
)
checkin = sa.Table(
    "checkin_entry",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("trip_id", sa.Integer),
    sa.Column("answer", sa.String),
)

_PLACES = (
    "{% macro places(legs) %}{% for l in legs %}{{ l.country_code }}"
    "{% if l.region_code %} {{ l.region_code }}{% endif %}{% if not loop.last %}; {% endif %}"
    "{% endfor %}{% endmacro %}"
)
TEMPLATES = {
    "base.html": (
        "<!doctype html><html><head><meta charset=utf-8><title>{% block title %}{% endblock %}"
        "</title></head><body>{% block content %}{% endblock %}</body></html>"
    ),
    "mine.html": _PLACES
    + """{% extends "base.html" %}{% block title %}My trips{% endblock %}{% block content %}
<h1>My trips</h1>
<table class="trips"><thead><tr><th>Trip</th><th>Destinations</th><th>Dates</th><th>Level</th>
<th>State</th></tr></thead>
{% for t in trips %}<tr><td><a href="/trip/{{ t.id }}">{{ t.purpose }}</a>
{% if t.needs_attention %} <span>needs attention</span>{% endif %}
{% if t.is_late %} <span>late</span>{% endif %}</td>
<td>{{ places(legs.get(t.id, [])) }}</td>
<td>{{ t.departure_on or '—' }} – {{ t.return_on or '—' }}</td>
<td>{{ t.level if t.level is not none else '—' }}</td><td>{{ t.state }}</td></tr>
{% else %}<tr><td colspan="5">No trips.</td></tr>{% endfor %}
</table><p class="pager">page {{ page }} of {{ pages }} ({{ total }} trips)</p>
{% endblock %}""",
    "inbox.html": _PLACES
    + """{% extends "base.html" %}{% block title %}Inbox{% endblock %}{% block content %}
<h1>Inbox</h1>
<table id="inbox"><thead><tr><th>Trip</th><th>Traveller</th><th>Destinations</th><th>Level</th>
<th>Step</th><th>For</th><th>Due</th></tr></thead>
{% for t in tasks %}<tr class="{{ 'overdue' if t.due_on < today else '' }}">
<td><a href="/trip/{{ t.trip_id }}">{{ t.purpose }}</a>{% if t.is_late %} late{% endif %}</td>
<td>{{ t.traveller }}</td><td>{{ places(legs.get(t.trip_id, [])) }}</td>
<td>{{ t.level if t.level is not none else '—' }}</td><td>{{ t.step_id }}</td>
<td>{{ t.assignee or t.role or 'nobody' }}</td>
<td>{{ t.due_on }}{% if t.due_on < today %} overdue{% endif %}</td></tr>
{% else %}<tr><td colspan="7">Nothing waits for you.</td></tr>{% endfor %}
</table><p class="pager">{{ total }} steps</p>
{% if news %}<h2>News on trips you decided</h2><ul id="updates">{% for e in news %}
<li>{{ e.at.strftime('%Y-%m-%d') }} · <a href="/trip/{{ e.trip_id }}">{{ e.purpose }}</a>
({{ e.name }}): {{ e.kind }}</li>{% endfor %}</ul>{% endif %}
{% endblock %}""",
    "trip.html": """{% extends "base.html" %}{% block title %}{{ trip.purpose }}{% endblock %}
{% block content %}<h1>{{ trip.purpose }}</h1>
<p>{{ trip.traveller }} · {{ trip.state }} · level {{ trip.level }} · version {{ trip.version }}</p>
<table id="tasks">{% for t in tasks %}<tr><td>{{ t.step_id }}</td>
<td>{{ t.assignee or t.role or 'nobody' }}</td><td>{{ t.due_on }}</td></tr>{% endfor %}</table>
<table id="itinerary"><thead><tr><th>Place</th><th>City</th><th>Dates</th><th>Accommodation</th>
</tr></thead>{% for l in legs %}<tr><td>{{ l.country_code }} {{ l.region_code or '' }}</td>
<td>{{ l.city }}</td><td>{{ l.arrives_on }} – {{ l.leaves_on }}</td>
<td>{{ l.accommodation }}</td></tr>{% endfor %}</table>
<ol class="timeline">{% for e in events %}<li class="event event-{{ e.kind }}">
<div class="when">{{ e.at.strftime('%Y-%m-%d %H:%M') }} UTC</div>
<div><strong>{{ e.kind }}</strong>{% if e.step_id %} · {{ e.step_id }}{% endif %}
{% if e.outcome %}: <em>{{ e.outcome }}</em>{% endif %}</div>
<div>{{ e.actor or 'the system' }}{% if e.on_behalf_of %} on behalf of {{ e.on_behalf_of }}
{% endif %}{% if e.from_state and e.from_state != e.to_state %} · {{ e.from_state }} →
{{ e.to_state }}{% endif %}{% if e.level is not none %} · level {{ e.level }}{% endif %}</div>
{% if e.comment %}<blockquote>{{ e.comment }}</blockquote>{% endif %}
{% if e.conditions %}<ul>{% for c in e.conditions %}<li>{{ c }}</li>{% endfor %}</ul>{% endif %}
{% if e.data and e.data.advice %}<div>Advice then: {% for a in e.data.advice %}
{{ a.place }} {{ a.level }}{% if a.source %} ({{ a.source_name or a.source }}, {{ a.effective_on }})
{% endif %}{% if not loop.last %}; {% endif %}{% endfor %}</div>{% endif %}
</li>{% endfor %}</ol>{% endblock %}""",
    "where.html": """{% extends "base.html" %}{% block title %}Who is where{% endblock %}
{% block content %}<h1>Who is where</h1>
<section id="where-chart"><h2>{{ abroad }} travellers abroad on {{ on }}</h2>
<table>{% for country, levels in per_country %}<tr><td>{{ country }}</td>
<td>{% for level, n in levels.items() %}{{ level }}: {{ n }} {% endfor %}</td></tr>
{% endfor %}</table></section>
<p id="where-tally"><strong>{{ tally.there }}</strong> there ·
<strong>{{ tally.arriving }}</strong> arriving within {{ days }} days ·
<strong>{{ tally.left }}</strong> left within {{ days }} days</p>
<table id="where-table"><thead><tr><th>Where</th><th>Traveller</th><th>Phone</th><th>Dates</th>
<th>Trip</th><th>Level</th><th>State</th><th>Last news</th></tr></thead>
{% for r in rows %}<tr class="where-{{ r.grp }}"><td><strong>{{ r.grp }}</strong><br>{{ r.city }},
{{ r.country_code }} {{ r.region_code or '' }}<br>{{ r.accommodation }}</td>
<td>{{ r.traveller }}<br><a href="mailto:{{ r.email }}">{{ r.email }}</a><br>{{ r.faculty or '' }}
</td><td>{{ r.mobile_phone or '—' }}</td><td>{{ r.arrives_on }} – {{ r.leaves_on }}</td>
<td><a href="/trip/{{ r.trip_id }}">{{ r.purpose }}</a><br>{{ r.phase }}
{% if r.safe_return_at %} · back safely{% endif %}</td><td>{{ r.level }}</td><td>{{ r.state }}</td>
<td>{{ r.answer or '' }}{% if r.last_checkin_at %} check-in
{{ r.last_checkin_at.strftime('%Y-%m-%d %H:%M') }} {{ r.checkin or '' }}{% endif %}</td></tr>
{% endfor %}</table><p class="pager">page {{ page }}</p>{% endblock %}""",
}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _page() -> int:
    return max(request.args.get("page", 1, type=int), 1)


def _legs_of(conn: sa.Connection, trip_ids: list[int]) -> dict[int, list[sa.Row[Any]]]:
    """The legs of these trips in their order, by trip (one statement)."""
    by_trip: dict[int, list[sa.Row[Any]]] = {}
    if trip_ids:
        for row in conn.execute(
            sa.select(leg)
            .where(leg.c.trip_id.in_(trip_ids))
            .order_by(leg.c.trip_id, leg.c.position)
        ):
            by_trip.setdefault(row.trip_id, []).append(row)
    return by_trip


def create(database_url: str) -> Flask:
    """The same-content baseline app on the filled bench database at ``database_url``."""
    app = Flask(__name__)
    app.jinja_loader = DictLoader(TEMPLATES)
    engine = sa.create_engine(database_url)
    app.extensions["same_content_engine"] = engine

    @app.get("/mine")
    def mine() -> str:
        user, page = request.args.get("user", type=int), _page()
        with engine.connect() as conn:
            trips = conn.execute(
                sa.select(trip)
                .where(trip.c.traveller_id == user)
                .order_by(trip.c.departure_on.desc().nulls_last(), trip.c.id.desc())
                .limit(PAGE_SIZE)
                .offset((page - 1) * PAGE_SIZE)
            ).all()
            legs = _legs_of(conn, [t.id for t in trips])
            total = conn.execute(
                sa.select(sa.func.count()).select_from(trip).where(trip.c.traveller_id == user)
            ).scalar_one()
        pages = max(1, -(-total // PAGE_SIZE))
        return render_template(
            "mine.html", trips=trips, legs=legs, page=page, pages=pages, total=total
        )

    @app.get("/inbox")
    def inbox() -> str:
        user, page = request.args.get("user", type=int), _page()
        traveller, assignee = person.alias("traveller"), person.alias("assignee")
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    task.c.id,
                    task.c.trip_id,
                    task.c.step_id,
                    task.c.role,
                    task.c.due_on,
                    trip.c.purpose,
                    trip.c.is_late,
                    trip.c.level,
                    traveller.c.name.label("traveller"),
                    assignee.c.name.label("assignee"),
                    sa.func.count().over().label("total"),
                )
                .join(trip, trip.c.id == task.c.trip_id)
                .join(traveller, traveller.c.id == trip.c.traveller_id)
                .outerjoin(assignee, assignee.c.id == task.c.assignee_id)
                .where(
                    task.c.assignee_id == user,
                    task.c.closed_at.is_(None),
                    trip.c.traveller_id != user,
                )
                .order_by(task.c.due_on, task.c.trip_id, task.c.step_id)
                .limit(PAGE_SIZE)
                .offset((page - 1) * PAGE_SIZE)
            ).all()
            legs = _legs_of(conn, [r.trip_id for r in rows])
            # The page's news: the last month's minor changes and lowered levels on trips the
            # user decided (the real inbox shows them under its table).
            decided = (
                sa.select(decision.c.id)
                .where(
                    decision.c.trip_id == event.c.trip_id,
                    decision.c.kind == "decision",
                    decision.c.actor_id == user,
                )
                .exists()
            )
            news = conn.execute(
                sa.select(event.c.at, event.c.trip_id, event.c.kind, trip.c.purpose, person.c.name)
                .join(trip, trip.c.id == event.c.trip_id)
                .join(person, person.c.id == trip.c.traveller_id)
                .where(
                    event.c.kind.in_(("change_notified", "level_lowered")),
                    event.c.at >= _now() - timedelta(days=30),
                    decided,
                )
                .order_by(event.c.at.desc(), event.c.id.desc())
                .limit(20)
            ).all()
        total = rows[0].total if rows else 0
        return render_template(
            "inbox.html", tasks=rows, legs=legs, total=total, today=date.today(), news=news
        )

    @app.get("/trip/<int:trip_id>")
    def show(trip_id: int) -> str:
        actor, behalf = person.alias("actor"), person.alias("behalf")
        with engine.connect() as conn:
            found = conn.execute(
                sa.select(trip, person.c.name.label("traveller"))
                .join(person, person.c.id == trip.c.traveller_id)
                .where(trip.c.id == trip_id)
            ).first()
            if found is None:
                abort(404)
            legs = _legs_of(conn, [trip_id]).get(trip_id, [])
            tasks = conn.execute(
                sa.select(task, person.c.name.label("assignee"))
                .outerjoin(person, person.c.id == task.c.assignee_id)
                .where(task.c.trip_id == trip_id, task.c.closed_at.is_(None))
                .order_by(task.c.due_on, task.c.step_id)
            ).all()
            events = conn.execute(
                sa.select(event, actor.c.name.label("actor"), behalf.c.name.label("on_behalf_of"))
                .outerjoin(actor, actor.c.id == event.c.actor_id)
                .outerjoin(behalf, behalf.c.id == event.c.on_behalf_of_id)
                .where(event.c.trip_id == trip_id)
                .order_by(event.c.id)
            ).all()
        return render_template("trip.html", trip=found, legs=legs, tasks=tasks, events=events)

    @app.get("/where")
    def where() -> str:
        on = date.fromisoformat(request.args.get("on") or date.today().isoformat())
        country, page = request.args.get("country"), _page()
        group = sa.case(
            (sa.and_(leg.c.arrives_on <= on, leg.c.leaves_on >= on), "there"),
            (leg.c.arrives_on > on, "arriving"),
            else_="left",
        )
        window = [
            leg.c.arrives_on <= on + timedelta(days=WINDOW_DAYS),
            leg.c.leaves_on >= on - timedelta(days=WINDOW_DAYS),
            trip.c.state.in_(ACTIVE),
        ]
        if country:
            window.append(leg.c.country_code == country)
        last_answer = (
            sa.select(crisis_recipient.c.answer)
            .where(crisis_recipient.c.trip_id == trip.c.id)
            .order_by(crisis_recipient.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        last_checkin = (
            sa.select(checkin.c.answer)
            .where(checkin.c.trip_id == trip.c.id)
            .order_by(checkin.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        with engine.connect() as conn:
            tally = dict.fromkeys(("there", "arriving", "left"), 0)
            for name, n in conn.execute(
                sa.select(group, sa.func.count())
                .select_from(leg.join(trip, trip.c.id == leg.c.trip_id))
                .where(*window)
                .group_by(group)
            ):
                tally[name] = n
            rows = conn.execute(
                sa.select(
                    leg.c.id,
                    leg.c.country_code,
                    leg.c.region_code,
                    leg.c.city,
                    leg.c.accommodation,
                    leg.c.arrives_on,
                    leg.c.leaves_on,
                    trip.c.id.label("trip_id"),
                    trip.c.purpose,
                    trip.c.state,
                    trip.c.level,
                    trip.c.phase,
                    trip.c.mobile_phone,
                    trip.c.safe_return_at,
                    trip.c.last_checkin_at,
                    person.c.name.label("traveller"),
                    person.c.email,
                    unit.c.code.label("faculty"),
                    group.label("grp"),
                    last_answer.label("answer"),
                    last_checkin.label("checkin"),
                )
                .select_from(
                    leg.join(trip, trip.c.id == leg.c.trip_id)
                    .join(person, person.c.id == trip.c.traveller_id)
                    .outerjoin(unit, unit.c.id == trip.c.faculty_id)
                )
                .where(*window)
                .order_by(
                    sa.case((group == "there", 0), (group == "arriving", 1), else_=2),
                    leg.c.arrives_on,
                    person.c.name,
                    leg.c.id,
                )
                .limit(PAGE_SIZE)
                .offset((page - 1) * PAGE_SIZE)
            ).all()
            per_country: dict[str, dict[int | None, int]] = {}
            for code, level, n in conn.execute(
                sa.select(leg.c.country_code, trip.c.level, sa.func.count(sa.distinct(trip.c.id)))
                .join(trip, trip.c.id == leg.c.trip_id)
                .where(leg.c.arrives_on <= on, leg.c.leaves_on >= on, trip.c.state.in_(ACTIVE))
                .group_by(leg.c.country_code, trip.c.level)
            ):
                per_country.setdefault(code, {})[level] = n
        return render_template(
            "where.html",
            on=on,
            days=WINDOW_DAYS,
            tally=tally,
            rows=rows,
            page=page,
            per_country=sorted(per_country.items(), key=lambda i: (-sum(i[1].values()), i[0])),
            abroad=sum(sum(levels.values()) for levels in per_country.values()),
        )

    @app.post("/decide/<int:task_id>")
    def decide(task_id: int) -> tuple[str, int]:
        expected = request.form.get("version", type=int)
        outcome = request.form.get("outcome", "approve")
        now = _now()
        with engine.begin() as conn:
            found = conn.execute(
                sa.select(
                    task.c.trip_id,
                    task.c.round,
                    task.c.step_id,
                    task.c.assignee_id,
                    trip.c.state,
                    trip.c.level,
                    person.c.id.label("traveller_id"),
                    person.c.email,
                )
                .join(trip, trip.c.id == task.c.trip_id)
                .join(person, person.c.id == trip.c.traveller_id)
                .where(task.c.id == task_id, task.c.closed_at.is_(None))
            ).first()
            if found is None:
                return "no such open step", 404
            state = "approved" if outcome == "approve" else "changes_requested"
            moved = conn.execute(
                sa.update(trip)
                .where(trip.c.id == found.trip_id, trip.c.version == expected)
                .values(state=state, version=trip.c.version + 1, updated_at=now)
            )
            if moved.rowcount != 1:
                conn.rollback()
                return "the trip changed meanwhile", 409
            conn.execute(sa.update(task).where(task.c.id == task_id).values(closed_at=now))
            conn.execute(
                sa.insert(event).values(
                    trip_id=found.trip_id,
                    at=now,
                    kind="decision",
                    actor_id=found.assignee_id,
                    round=found.round,
                    step_id=found.step_id,
                    outcome=outcome,
                    comment=request.form.get("comment", ""),
                    conditions=[],
                    from_state=found.state,
                    to_state=state,
                    level=found.level,
                    data={},
                )
            )
            conn.execute(
                sa.insert(audit).values(
                    at=now,
                    actor_id=found.assignee_id,
                    action="trip.decided",
                    object_type="trip",
                    object_id=str(found.trip_id),
                    data={"step": found.step_id, "outcome": outcome},
                )
            )
            conn.execute(
                sa.insert(outbox).values(
                    recipient=found.email,
                    recipient_id=found.traveller_id,
                    kind="decision",
                    about=f"trip:{found.trip_id}/round:{found.round}/step:{found.step_id}",
                    due_on=now.date(),
                    language="en",
                    subject=f"Your trip is {state}",
                    text=f"Your trip is {state}.",
                    attachments=[],
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        return state, 200

    return app


# -- Measuring ---------------------------------------------------------------------------------

#: Real / same-content time at most: a page twice (half the throughput), a decision thrice.
PAGE_TARGET = 2.0
DECISION_TARGET = 3.0


@dataclass
class Row:
    """One page, or the decision, measured in process against both baselines (median ms)."""

    name: str
    real_ms: float
    same_ms: float
    one_row_ms: float
    statements: int
    same_statements: int
    shown: str
    target: float = PAGE_TARGET
    database: str = ""

    @property
    def to_same(self) -> float:
        """Real / same-content time (the target: at most ``target``)."""
        return self.real_ms / self.same_ms

    @property
    def to_one_row(self) -> float:
        """Real / one-row time (the machine's ceiling: no target)."""
        return self.real_ms / self.one_row_ms

    @property
    def meets(self) -> bool:
        """Whether the real page is within its target of the same-content baseline."""
        return self.to_same <= self.target


def table(rows: list[Row]) -> list[str]:
    """The rows as a markdown table (with a database column when they name one)."""
    with_db = any(r.database for r in rows)
    lines = [
        "| page |" + (" database |" if with_db else "") + " real ms | same-content ms"
        " | one-row ms | real ÷ same content (≤ 2; decision ≤ 3) | real ÷ one row"
        " | statements real / same content | same content shown |",
        "|---|" + ("---|" if with_db else "") + "---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.name} |"
            + (f" {r.database} |" if with_db else "")
            + f" {r.real_ms:.1f} | {r.same_ms:.1f} | {r.one_row_ms:.2f}"
            f" | {r.to_same:.2f} {'✓' if r.meets else '✗'} | {r.to_one_row:.0f}"
            f" | {r.statements} / {r.same_statements} | {r.shown} |"
        )
    return lines


def routes(filled: Any, on: date) -> list[tuple[str, str, str]]:
    """(name, real path, same-content path) of each measured page on the filled database."""
    from bench import data

    user = filled.bench_id
    return [
        ("trip list", "/trips", f"/mine?user={user}"),
        ("approver inbox", "/inbox", f"/inbox?user={user}"),
        (
            f"trip page ({data.TIMELINE_EVENTS} events)",
            f"/trips/{filled.long_trip_id}",
            f"/trip/{filled.long_trip_id}",
        ),
        (
            f"who is where ({filled.trips:,} trips)",
            "/duty/where?country=ML",
            f"/where?on={on.isoformat()}&country=ML",
        ),
    ]


def filled_of(url: str) -> Any:
    """The bench user, the trip with the longest timeline and the number of trips at ``url``."""
    from bench import data

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        bench_id = conn.execute(
            sa.select(person.c.id).where(person.c.email == data.EMAIL)
        ).scalar_one()
        long_trip = conn.execute(
            sa.select(event.c.trip_id)
            .group_by(event.c.trip_id)
            .order_by(sa.func.count().desc())
            .limit(1)
        ).scalar_one()
        trips = conn.execute(sa.select(sa.func.count()).select_from(trip)).scalar_one()
    engine.dispose()
    return data.Filled(bench_id=bench_id, long_trip_id=long_trip, trips=trips)


def _section(html: str, start: str) -> str:
    """The table that opens with ``start`` (the measured list, not the menus around it)."""
    at = html.index(start)
    return html[at : html.index("</table>", at)]


def _ids(html: str, start: str, href: str) -> list[int]:
    return [int(i) for i in re.findall(href + r"(\d+)\"", _section(html, start))]


def _tally(html: str) -> list[int]:
    at = html.index('id="where-tally"')
    return [int(n) for n in re.findall(r"<strong>(\d+)</strong>", html[at : at + 2000])[:3]]


def _abroad(html: str) -> int:
    at = html.index('id="where-chart"')
    found = re.search(r"<h2>(\d+) traveller", html[at : at + 500])
    assert found, "no count of travellers abroad"
    return int(found.group(1))


def _same_where(real: str, base: str) -> str:
    """Real and baseline who-is-where show the same trips, counts and travellers abroad."""
    assert _tally(real) == _tally(base), (_tally(real), _tally(base))
    assert _abroad(real) == _abroad(base), (_abroad(real), _abroad(base))
    rows = _ids(real, 'id="where-table"', 'href="/trips/')
    assert rows == _ids(base, 'id="where-table"', 'href="/trip/'), "other stays"
    return f"{len(rows)} stays, tally {_tally(real)}, {_abroad(real)} abroad"


def _same_list(start: str) -> Callable[[str, str], str]:
    def check(real: str, base: str) -> str:
        shown = _ids(real, start, 'href="/trips/')
        assert shown == _ids(base, start, 'href="/trip/'), "other trips or another order"
        assert shown, "an empty list measures nothing"
        return f"{len(shown)} trips, same ids in the same order"

    return check


def _same_timeline(real: str, base: str) -> str:
    count = real.count('<li class="event event-')
    assert count == base.count('<li class="event event-'), "another timeline"
    legs = _section(real, 'id="itinerary"').count("<tr>") - 1
    assert legs == _section(base, 'id="itinerary"').count("<tr>") - 1, "other legs"
    return f"{count} events, {legs} legs"


#: How each page's content is compared, in the order of :func:`routes`.
CHECKS: list[Callable[[str, str], str]] = [
    _same_list('class="trips"'),
    _same_list('id="inbox"'),
    _same_timeline,
    _same_where,
]


def _timed(
    *targets: tuple[Callable[[], Any], sa.Engine], repeat: int
) -> list[tuple[float, int, list[Any]]]:
    """For each (call, engine): median ms over ``repeat`` calls after one warm-up, the
    statements of its last call, and its responses. The targets take turns, so that a
    neighbour's load on this shared machine weighs on each alike."""
    for get, _ in targets:
        get()
    seen: list[int] = []

    def count(*_args: Any) -> None:
        seen.append(1)

    timings: list[list[float]] = [[] for _ in targets]
    statements = [0] * len(targets)
    responses: list[list[Any]] = [[] for _ in targets]
    for _ in range(repeat):
        for k, (get, engine) in enumerate(targets):
            seen.clear()
            sa.event.listen(engine, "before_cursor_execute", count)
            start = time.perf_counter()
            responses[k].append(get())
            timings[k].append((time.perf_counter() - start) * 1000)
            sa.event.remove(engine, "before_cursor_execute", count)
            statements[k] = len(seen)
    return [
        (statistics.median(timings[k]), statements[k], responses[k]) for k in range(len(targets))
    ]


def _get(client: Any, path: str) -> Any:
    return _ok(client.get(path))


def _post(client: Any, path: str) -> Any:
    return _ok(client.post(path))


def _ok(response: Any, *codes: int) -> Any:
    assert response.status_code in (codes or (200,)), (response.status_code, response.request)
    return response


def _one_row(url: str) -> tuple[Any, sa.Engine]:
    """The one-row reference, bench/baseline.py, on ``url``: its test client and engine."""
    import importlib

    # bench.baseline reads DATABASE_URL when imported: (re)load it for this database.
    saved = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    try:
        if "bench.baseline" in sys.modules:
            baseline = importlib.reload(sys.modules["bench.baseline"])
        else:
            from bench import baseline
    finally:
        if saved is None:
            del os.environ["DATABASE_URL"]
        else:
            os.environ["DATABASE_URL"] = saved
    with baseline.app.app_context():
        engine = baseline.db.engine
    return baseline.app.test_client(), engine


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _csrf(html: str) -> str:
    """The page's CSRF token, or "" where the settings turn CSRF off (TestingConfig)."""
    found = _CSRF.search(html)
    return found.group(1) if found else ""


def _real_app(url: str) -> Any:
    """The service: with the settings of the environment when SAFE_PASSAGE_ENV names
    production (as gunicorn runs it under load), else TestingConfig (CSRF off)."""
    from config import TestingConfig
    from travel_app import create_app

    if os.environ.get("SAFE_PASSAGE_ENV") == "production":
        if os.environ.get("DATABASE_URL") != url:
            raise SystemExit("with production settings, DATABASE_URL must be --database-url")
        return create_app()
    return create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, MAIL_FILE_DIR="/tmp")


def measure(url: str, repeat: int) -> list[Row]:
    """Each page and a decision against both baselines on the filled database at ``url``:
    real page, same-content route and one-row read in turn, ``repeat`` times each."""
    from bench import data
    from travel_app.extensions import db

    filled = filled_of(url)
    base_app = create(url)
    base_engine: sa.Engine = base_app.extensions["same_content_engine"]
    base = base_app.test_client()
    one, one_engine = _one_row(url)
    real_app = _real_app(url)
    with real_app.app_context():
        real_engine = db.engine
    # Each request outside that context pushes its own and ends its session, as in production:
    # a context held around the requests would keep one session and its identity map.
    client = real_app.test_client()
    # As a browser's: production's requests are https (PREFERRED_URL_SCHEME), whose CSRF check
    # wants a referrer from the same host.
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    login = client.post(
        "/login",
        data={
            "email": data.EMAIL,
            "password": data.PASSWORD,
            "csrf_token": _csrf(_get(client, "/login").get_data(as_text=True)),
        },
    )
    assert login.status_code == 302, (login.status_code, login.get_data(as_text=True)[:2000])
    token = _csrf(_get(client, "/").get_data(as_text=True))
    rows = []
    read = partial(_get, one, f"/row/{filled.long_trip_id}")
    for (name, real_path, base_path), same in zip(
        routes(filled, date.today()), CHECKS, strict=True
    ):
        (real_ms, real_n, real_r), (base_ms, base_n, base_r), (one_ms, _, _) = _timed(
            (partial(_get, client, real_path), real_engine),
            (partial(_get, base, base_path), base_engine),
            (read, one_engine),
            repeat=repeat,
        )
        shown = same(real_r[-1].get_data(as_text=True), base_r[-1].get_data(as_text=True))
        rows.append(Row(name, real_ms, base_ms, one_ms, real_n, base_n, shown))
    rows.append(
        _decisions(
            url,
            filled,
            (client, real_engine, token),
            (base, base_engine),
            (partial(_post, one, f"/bump/{filled.long_trip_id}"), one_engine),
            repeat,
        )
    )
    for engine in (real_engine, base_engine, one_engine):
        engine.dispose()
    return rows


def _decisions(
    url: str,
    filled: Any,
    real_side: tuple[Any, sa.Engine, str],
    base_side: tuple[Any, sa.Engine],
    bump: tuple[Callable[[], Any], sa.Engine],
    repeat: int,
) -> Row:
    """``repeat`` + 1 decisions through the real page (on trips routed by the operations),
    as many through the baseline (on the bulk-filled open steps) and bumps of one row; each
    decision must add its event, audit record and e-mail row."""
    from bench.flows import _routed_trips

    client, real_engine, token = real_side
    base, base_engine = base_side
    routed = _routed_trips(url, filled, repeat + 1)
    with base_engine.connect() as conn:
        real_trips = iter(
            conn.execute(
                sa.select(trip.c.id, trip.c.version)
                .where(trip.c.id.in_(routed))
                .order_by(trip.c.id)
            ).all()
        )
        open_steps = iter(
            conn.execute(open_steps_query(filled.bench_id, routed).limit(repeat + 1)).all()
        )

    # A browser follows the decision's redirect and is shown its message there, which leaves
    # the session as it was; the test client follows nothing, so each decision starts from the
    # signed-in session (as the load tool's do), not with every earlier message still in it.
    signed_in = client.get_cookie("session")
    assert signed_in is not None, "the bench user is not signed in"

    def real() -> Any:
        client.set_cookie("session", signed_in.value)
        chosen = next(real_trips)
        form = {
            "step_id": "supervisor",
            "outcome": "approve",
            "version": chosen.version,
            "csrf_token": token,
        }
        return _ok(client.post(f"/trips/{chosen.id}/decide", data=form), 302)

    def baseline() -> Any:
        step = next(open_steps)
        form = {"outcome": "approve", "version": step.version}
        return _ok(base.post(f"/decide/{step.id}", data=form))

    def counts() -> list[int]:
        """Rows of each table in all, then the baseline's own: its decisions' events, audit
        records and e-mails (the service names its audit action and mail kind otherwise)."""
        marked = [
            sa.select(sa.func.count())
            .select_from(event)
            .where(event.c.kind == "decision", event.c.trip_id.not_in(routed)),
            sa.select(sa.func.count()).select_from(audit).where(audit.c.action == "trip.decided"),
            sa.select(sa.func.count()).select_from(outbox).where(outbox.c.kind == "decision"),
        ]
        with base_engine.connect() as conn:
            return [
                conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in (event, audit, outbox)
            ] + [conn.execute(q).scalar_one() for q in marked]

    before = counts()
    (real_ms, real_n, _), (base_ms, base_n, _), (bump_ms, _, _) = _timed(
        (real, real_engine), (baseline, base_engine), bump, repeat=repeat
    )
    added = [a - b for b, a in zip(before, counts(), strict=True)]
    done = repeat + 1
    assert added[3:] == [done] * 3, f"the baseline's decisions added {added[3:]}"
    service = [total - own for total, own in zip(added[:3], added[3:], strict=True)]
    assert all(n >= done for n in service), f"the service's decisions added {service}"
    return Row(
        "decision (one transaction)",
        real_ms,
        base_ms,
        bump_ms,
        real_n,
        base_n,
        "same content: 1 event, audit record and e-mail row each; service: ≥ 1 each",
        target=DECISION_TARGET,
    )


def open_steps_query(user: int, routed: list[int]) -> sa.Select[Any]:
    """The user's open steps on bulk-filled trips in review, newest first: the ones the
    same-content decision takes (the routed trips are the real page's to decide)."""
    return (
        sa.select(task.c.id, trip.c.version)
        .join(trip, trip.c.id == task.c.trip_id)
        .where(
            task.c.assignee_id == user,
            task.c.closed_at.is_(None),
            trip.c.state == "in_review",
            trip.c.id.not_in(routed),
        )
        .order_by(task.c.id.desc())
    )


def measure_apart(url: str, repeat: int, env: dict[str, str]) -> list[Row]:
    """:func:`measure` in a fresh process with the environment ``env`` (the settings are read
    from the environment when ``config`` is first imported, so production needs its own)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.json"
        cmd = [sys.executable, __file__, "--database-url", url, "--repeat", str(repeat)]
        done = subprocess.run(
            [*cmd, "--json", str(out)], env=env, capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-4000:]}")
        return [Row(**row) for row in json.loads(out.read_text())]


def main() -> None:
    """Fill a database if asked, then print the same-content table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--fill", type=int, help="first empty the database and fill N trips")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--production",
        action="store_true",
        help="run the service with the production settings gunicorn has under load (needs"
        " Redis at --redis) rather than TestingConfig",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--json", help="write the rows there as JSON instead of printing")
    args = parser.parse_args()
    if args.fill:
        from bench import data
        from bench.common import migrated_engine

        engine = migrated_engine(args.database_url)
        data.fill(engine, args.fill, progress=False)
        engine.dispose()
    if args.production:
        from bench.load import production_env

        env = production_env(args.database_url, args.redis)
        rows = measure_apart(args.database_url, args.repeat, env)
    else:
        rows = measure(args.database_url, args.repeat)
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in rows]))
        return
    settings = "production" if args.production else os.environ.get("SAFE_PASSAGE_ENV", "testing")
    print(f"The service with {settings} settings; medians of {args.repeat} requests each.\n")
    print("\n".join(table(rows)))


if __name__ == "__main__":
    main()
