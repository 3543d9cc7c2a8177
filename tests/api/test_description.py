"""The OpenAPI description: committed as docs/openapi.json, served as it is, and on a page."""

from __future__ import annotations

import json
from pathlib import Path

from openapi_spec_validator import validate

SNAPSHOT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_served_description_is_the_committed_snapshot(client):
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.json == json.loads(SNAPSHOT.read_text()), (
        "the API changed: regenerate the snapshot with "
        "`.venv/bin/flask --app wsgi api openapi > docs/openapi.json` and review the diff"
    )


def test_the_description_is_valid_openapi_3_1_with_problems_and_examples(client):
    doc = client.get("/api/v1/openapi.json").json
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    operations = [op for ops in doc["paths"].values() for op in ops.values()]
    for op in operations:
        for status, answer in op["responses"].items():
            if status.startswith(("4", "5")):
                assert list(answer["content"]) == ["application/problem+json"], op["operationId"]
    schemas = doc["components"]["schemas"]
    assert schemas["TripIn"]["examples"] and schemas["TripOut"]["examples"]
    assert schemas["Problem"]["examples"]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_documentation_page_is_served_by_the_app_without_scripts(client):
    page = client.get("/api/v1/docs")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<script" not in text.split("<main", 1)[-1]
    assert 'id="problem-stale"' in text and "POST /api/v1/trips" in text
    assert "Authorization: Bearer" in text


def test_a_token_over_its_rate_gets_429_with_retry_after(app, world, caller, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3/minute")
    student = caller(world.student)
    answers = [student.get("/api/v1/trips") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].headers["Content-Type"] == "application/problem+json"
    assert int(answers[-1].headers["Retry-After"]) >= 1
    # Another person's token has its own count.
    assert caller(world.promoter).get("/api/v1/trips").status_code == 200
