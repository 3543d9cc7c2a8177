"""People and units through the API, for administrators and the safety office: the people
page's columns in words, never a phone, emergency contact or medical note."""

from __future__ import annotations

from tests.api.conftest import trip_json
from travel_app.org.models import Role


def test_an_administrator_finds_people_with_their_unit_category_and_roles_in_words(
    world, caller, as_person
):
    admin = caller(world.admin, scopes=("people:read",))
    found = admin.get("/api/v1/people?q=sam")
    assert found.status_code == 200, found.json
    [sam] = found.json["items"]
    assert sam["name"] == "Sam Student" and sam["email"] == world.student.email
    assert sam["unit"]["code"] == "GEO" and sam["active"] is True
    assert sam["category"] == "phd" and sam["category_title"] != "phd"
    assert sam["roles"] == ["Traveller"]
    page = as_person(world.admin).get("/admin/people?q=sam").get_data(as_text=True)
    assert sam["category_title"] in page
    officer = admin.get(f"/api/v1/people/{world.safety_officer.id}").json
    assert officer["roles"] == ["Safety officer"]
    head = admin.get(f"/api/v1/people/{world.head.id}").json
    assert head["roles"] == ["Head of GEO"]
    members = admin.get(f"/api/v1/people?unit={world.department.id}").json["items"]
    assert {p["name"] for p in members} == {"Paula Promoter", "Sam Student", "Cas Colleague"}
    assert admin.get("/api/v1/people/999999").status_code == 404


def test_no_private_detail_of_a_person_is_in_any_answer(world, caller):
    caller(world.student).post("/api/v1/trips", json=trip_json(mobile_phone="+32 499 11 22 33"))
    officer = caller(world.admin, scopes=("people:read",))
    text = officer.get("/api/v1/people?limit=100").get_data(as_text=True)
    text += officer.get(f"/api/v1/people/{world.student.id}").get_data(as_text=True)
    for secret in ("+32 470 00 00 00", "+32 499 11 22 33", "Mum", "phone", "emergency", "medical"):
        assert secret not in text


def test_people_and_units_page_with_a_cursor(world, caller):
    admin = caller(world.admin, scopes=("people:read",))
    first = admin.get("/api/v1/people?limit=2").json
    assert len(first["items"]) == 2 and first["next_cursor"] == first["items"][1]["id"]
    rest = admin.get(f"/api/v1/people?cursor={first['next_cursor']}&limit=100").json
    ids = [p["id"] for p in first["items"] + rest["items"]]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) and rest["next_cursor"] is None
    units = admin.get("/api/v1/units").json["items"]
    by_code = {u["code"]: u for u in units}
    assert by_code["SCI"]["kind"] == "faculty" and by_code["SCI"]["head"]["name"] == "Dora Dean"
    assert by_code["GEO"]["parent_id"] == by_code["SCI"]["id"]
    assert by_code["UNI"]["kind_title"] == "University"


def test_only_administrators_read_people_as_on_the_pages(world, caller, make_person):
    crisis_team = make_person(roles=(Role.CRISIS_TEAM,))
    for person in (
        world.student,
        world.promoter,
        world.executive,
        crisis_team,
        world.safety_officer,
    ):
        other = caller(person, scopes=("people:read",))
        for url in ("/api/v1/people", f"/api/v1/people/{world.student.id}", "/api/v1/units"):
            assert other.get(url).status_code == 403, (person.name, url)


def test_listing_people_and_units_takes_the_same_statements_for_few_and_many(
    world, caller, make_person, make_unit, count_queries
):
    admin = caller(world.admin, scopes=("people:read",))
    admin.get("/api/v1/people")
    with count_queries() as few_people:
        few = len(admin.get("/api/v1/people?limit=100").json["items"])
    with count_queries() as few_units:
        admin.get("/api/v1/units")
    for n in range(20):
        unit = make_unit(parent=world.faculty, head=world.dean)
        make_person(unit=unit, roles=(Role.SAFETY_OFFICER,) if n % 2 else ())
    with count_queries() as many_people:
        assert len(admin.get("/api/v1/people?limit=100").json["items"]) == few + 20
    with count_queries() as many_units:
        admin.get("/api/v1/units")
    assert len(many_people) == len(few_people)
    assert len(many_units) == len(few_units)
