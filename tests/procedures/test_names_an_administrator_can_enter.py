"""A procedure names advisory tags and country lists exactly as an administrator can enter them
on the advice and country list forms: a name nobody can enter is refused when the file loads."""

from __future__ import annotations

import json

import pytest
from werkzeug.datastructures import MultiDict
from wtforms.validators import ValidationError

from tests.workflows.test_validation import GOOD
from travel_app.admin.forms import AdvisoryForm, CountryListForm
from workflows.loader import ProcedureError, loads

NAMES = [
    "evacuation",
    "heat_required",
    "no-go",
    "2026",
    "h" * 40,
    "h" * 41,
    "Evacuation",
    "heat required",
    "_heat",
    "-heat",
    "évacuation",
]


def loader_accepts(key: str, name: str) -> bool:
    quoted = json.dumps(name)
    text = GOOD.replace(
        "[heat_required]" if key == "country_lists" else "[evacuation]", f"[{quoted}]"
    )
    try:
        loads(text)
    except ProcedureError:
        return False
    return True


@pytest.mark.parametrize("name", NAMES)
def test_an_advisory_tag_loads_only_if_the_advice_form_stores_it_as_written(app, db, name):
    with app.test_request_context():
        form = AdvisoryForm(formdata=MultiDict({"tags": name}), locale="en")
        try:
            form.validate_tags(form.tags)
            stored = form.tag_list()
        except ValidationError:
            stored = []
    assert loader_accepts("advisory_tags", name) == (stored == [name])


@pytest.mark.parametrize("name", NAMES)
def test_a_country_list_loads_only_if_an_administrator_can_create_it(app, db, name):
    data = {"code": name, "name_nl": "Lijst", "name_en": "List"}
    with app.test_request_context():
        form = CountryListForm(formdata=MultiDict(data))
        form.validate()
        # The standard lists exist already; what counts is whether such a code can be entered.
        refused = [e for e in form.errors.get("code", []) if "exists" not in str(e)]
        creatable = not refused and form.code.data == name
    assert loader_accepts("country_lists", name) == creatable
