"""The reference the pages are measured against: a bare Flask + Flask-SQLAlchemy app.

    gunicorn -w 2 bench.baseline:app      (DATABASE_URL names the benchmark database)

``GET /row/<id>`` reads one trip's purpose by primary key; ``POST /bump/<id>`` adds one to its
version in a transaction. No login, no templates, no CSRF: what the machine can do at best,
served the same way as the app in the same run.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
db = SQLAlchemy(app)
trip = sa.table("trip", sa.column("id"), sa.column("purpose"), sa.column("version"))


@app.get("/row/<int:row_id>")
def row(row_id: int) -> str:
    return str(
        db.session.execute(sa.select(trip.c.purpose).where(trip.c.id == row_id)).scalar_one()
    )


@app.post("/bump/<int:row_id>")
def bump(row_id: int) -> str:
    db.session.execute(
        sa.update(trip).where(trip.c.id == row_id).values(version=trip.c.version + 1)
    )
    db.session.commit()
    return "ok"
