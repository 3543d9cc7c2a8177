"""Import from HR: the dry run shows every difference and problem and writes nothing; the apply
writes exactly what was shown, in one transaction, or nothing at all."""

from __future__ import annotations

import hashlib
import html
import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests.conftest import login, outbox_rows
from tests.trips.conftest import make_trip, world  # noqa: F401 - fixtures the leaving test needs
from travel_app.core.audit import AuditEvent
from travel_app.extensions import db
from travel_app.org import hr_import
from travel_app.org.models import Category, Deputy, Person, Role, Unit, UnitKind
from travel_app.procedures import active_procedure
from travel_app.trips.models import Trip, TripTask

UNITS_HEADER = "code,kind,name_nl,name_en,parent_code,head_external_id\n"
PEOPLE_HEADER = "external_id,email,name,language,unit_code,category,promoter_external_id,active\n"


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN, name="Ada Admin", email="ada@uni.example")


@pytest.fixture
def science(make_unit):
    """A university with a faculty of science, in the service before any import."""
    university = make_unit(UnitKind.UNIVERSITY, code="UNI")
    return make_unit(UnitKind.FACULTY, parent=university, code="SCI")


def upload(client, units=None, people=None, *, complete=False):
    """Post the files to the dry run, as a browser does."""
    data = {}
    for name, content in (("units", units), ("people", people)):
        if content is not None:
            raw = content.encode() if isinstance(content, str) else content
            data[name] = (io.BytesIO(raw), f"{name}.csv")
    if complete:
        data["complete"] = "y"
    return client.post("/admin/hr-import", data=data, content_type="multipart/form-data")


def apply_form(page: str) -> dict[str, str]:
    """The apply form's hidden fields, read from the dry run's page."""
    fields = dict(re.findall(r'name="(apply-[a-z]+)" type="hidden" value="([^"]*)"', page))
    assert {"apply-digest", "apply-fingerprint"} <= set(fields), "no apply form on the page"
    return fields


def snapshot() -> dict[str, str]:
    """A digest of every table's rows (the audit trail included)."""
    digests = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    db.session.rollback()
    return digests


def text(response) -> str:
    """The page as a reader sees it: tags out, entities decoded, spaces collapsed."""
    body = response.get_data(as_text=True)
    body = body.split('<main id="main" tabindex="-1">', 1)[-1].split('<h2 id="columns">', 1)[0]
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(body))


def person(external_id: str) -> Person | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Person).where(Person.external_id == external_id))


def with_id(make_person, external_id: str, **kwargs) -> Person:
    someone = make_person(**kwargs)
    someone.external_id = external_id
    db.session.commit()
    return someone


@pytest.fixture
def scene(admin, science, make_person):
    """Two people the HR system knows, one of whom has left it."""
    stays = with_id(make_person, "u100", name="Jan Old", unit=science, email="jan@uni.example")
    leaves = with_id(make_person, "u900", name="Lea Leaving", email="lea@uni.example")
    files = {
        "units": UNITS_HEADER + "SCI-BIO,department,Biologie,Biology,SCI,u100\n",
        "people": PEOPLE_HEADER
        + "u100,jan@uni.example,Jan New,en,SCI-BIO,professor,,yes\n"
        + "u200,kim@uni.example,Kim Newcomer,nl,SCI-BIO,phd,u100,yes\n"
        + f"{admin.id}x,ada@uni.example,Ada Admin,en,SCI,atp,,yes\n",
    }
    return stays, leaves, files


def test_the_dry_run_writes_nothing_and_shows_new_changed_and_leaving_in_words(client, scene):
    *_, files = scene
    before = snapshot()
    response = upload(client, files["units"], files["people"], complete=True)
    assert response.status_code == 200
    page = text(response)
    assert "Nothing has been written yet." in page
    assert "Units: 1 new, 0 changed, 0 unchanged." in page
    assert "People: 1 new, 2 changed, 0 unchanged, 1 deactivated." in page
    assert "Name: Jan Old → Jan New" in page
    assert "Unit: Eenheid" not in page  # units by their name in the reader's language
    assert re.search(r"Unit: Unit \d+ \(SCI\) → Biology \(SCI-BIO\)", page), page
    assert "Kim Newcomer kim@uni.example Biology (SCI-BIO) PhD" in page
    # The administrator without an HR number is linked by e-mail, and the page says so.
    assert re.search(r"HR number: — → \d+x", page)
    assert "Lea Leaving lea@uni.example Not in the people file 0" in page
    assert 'id="apply-form"' in response.get_data(as_text=True)
    assert snapshot() == before


def test_without_the_complete_box_nobody_leaves_and_the_page_says_who_stays(client, scene):
    *_, files = scene
    page = text(upload(client, files["units"], files["people"]))
    assert "0 deactivated" in page
    assert "1 active person with an HR number is not in the people file and stays active" in page


def test_apply_writes_exactly_what_the_dry_run_showed_and_audits_it(client, scene, admin):
    stays, leaves, files = scene
    dry = upload(client, files["units"], files["people"], complete=True)
    response = client.post("/admin/hr-import/apply", data=apply_form(dry.get_data(as_text=True)))
    assert response.status_code == 303
    db.session.expire_all()
    biology = db.session.scalar(sa.select(Unit).where(Unit.code == "SCI-BIO"))
    assert biology.kind is UnitKind.DEPARTMENT and biology.parent.code == "SCI"
    assert biology.head_id == stays.id
    jan = person("u100")
    assert (jan.name, jan.language, jan.unit_id) == ("Jan New", "en", biology.id)
    kim = person("u200")
    assert (kim.email, kim.category, kim.unit_id) == ("kim@uni.example", "phd", biology.id)
    assert kim.promoter_id == jan.id and kim.is_active_account
    lea = person("u900")
    assert not lea.is_active_account and lea.deactivated_at is not None
    assert person(f"{admin.id}x").id == admin.id and admin.is_active_account
    assert db.session.scalar(sa.select(sa.func.count(Person.id))) == 4
    [event] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "org.import")
    ).all()
    assert event.actor_id == admin.id
    assert event.data["units_created"] == 1 and event.data["people_created"] == 1
    assert event.data["people_updated"] == 2 and event.data["deactivated"] == [leaves.id]
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.id < event.id))
    assert {"unit.create", "person.create", "person.update", "person.deactivate"} <= set(actions)
    summary = text(client.get(response.location))
    assert "People: 1 added, 2 changed, 0 unchanged, 1 deactivated." in summary
    assert "Lea Leaving (lea@uni.example)" in summary
    # The same files again: nothing left to do.
    again = text(upload(client, files["units"], files["people"], complete=True))
    assert "Units: 0 new, 0 changed, 1 unchanged." in again
    assert "The service already matches the files: there is nothing to apply." in again


def test_an_apply_is_refused_when_the_service_changed_since_the_dry_run(client, scene):
    stays, _, files = scene
    dry = upload(client, files["units"], files["people"], complete=True)
    fields = apply_form(dry.get_data(as_text=True))
    stays.name = "Jan Renamed Meanwhile"
    db.session.commit()
    before = snapshot()
    response = client.post("/admin/hr-import/apply", data=fields)
    assert response.status_code == 409
    page = text(response)
    assert "the files or the service changed since the dry run" in page
    assert "Name: Jan Renamed Meanwhile → Jan New" in page  # the differences as they stand now
    assert snapshot() == before
    # A forged key finds no upload; a made-up one is no upload at all.
    forged = {**fields, "apply-digest": "0" * 64}
    assert client.post("/admin/hr-import/apply", data=forged).status_code == 409
    assert client.post("/admin/hr-import/apply", data={"apply-digest": "../x"}).status_code == 400
    assert snapshot() == before


def test_bad_rows_write_nothing_and_each_error_names_its_line(client, admin, science, make_person):
    with_id(make_person, "u1", email="taken@uni.example", name="Tina Taken")
    people = (
        PEOPLE_HEADER
        + "u2,ok@uni.example,Otto Okay,nl,SCI,postdoc,,yes\n"
        + "u3,not-an-address,Nina,nl,SCI,postdoc,,yes\n"
        + "u4,nora@uni.example,Nora,nl,SCI,wizard,,yes\n"
        + "u2,otto2@uni.example,Otto Twice,nl,SCI,postdoc,,yes\n"
        + "u5,taken@uni.example,Tom,nl,SCI,postdoc,,yes\n"
        + "u6,ruth@uni.example,Ruth,xx,SCI,postdoc,,maybe\n"
    )
    units = (
        UNITS_HEADER
        + "A,faculty,A,A,B,\n"
        + "B,faculty,B,B,A,\n"
        + "C,galaxy,C,C,SCI,\n"
        + "D,department,D,D,UNI,\n"
    )
    before = snapshot()
    response = upload(client, units, people)
    assert response.status_code == 400
    page = text(response)
    assert "errors: nothing can be applied" in page
    assert "Units file, Line 2 : These units would be part of each other: A → B → A." in page
    assert "Units file, Line 3 : These units would be part of each other: B → A → B." in page
    assert 'Line 4 : Unknown kind "galaxy": give university, faculty or department.' in page
    assert "Line 5 : A Department must be part of a Faculty." in page
    assert "People file, Line 3 : not-an-address is not a valid e-mail address." in page
    assert (
        'Line 4 : Unknown category "wizard": give one of Professor, Postdoctoral researcher,'
        in page
    ), page
    assert "Line 5 : HR number u2 is on line 2 already." in page
    assert "Line 6 : The e-mail address taken@uni.example belongs to Tina Taken" in page
    assert 'Line 7 : Unknown language "xx": give nl or en.' in page
    assert 'Line 7 : Unknown value "maybe" for active: give yes or no.' in page
    assert 'id="apply-form"' not in response.get_data(as_text=True)
    # Even the apply of that very plan, posted by hand, writes nothing.
    stored = hr_import.Upload(units=units, people=people)
    with force_locale("en"):
        shown = hr_import.plan(stored, procedure=active_procedure(), locale="en", actor=admin)
    fields = {"apply-digest": stored.digest, "apply-fingerprint": shown.fingerprint}
    assert client.post("/admin/hr-import/apply", data=fields).status_code == 400
    assert snapshot() == before


def test_excel_files_with_semicolons_a_byte_order_mark_and_quotes_are_read(client, admin, science):
    units = (
        "\ufeffcode;kind;name_nl;name_en;parent_code\r\n"
        "SCI-GEO;departement;Geografie;Geography;SCI\r\n"
    )
    people = (
        "\ufeffexternal_id;email;name;unit_code;category\r\n"
        '"u7";"Ann.Smith@Uni.Example";"Smith; Ann ""Annie""";"SCI-GEO";"Professor"\r\n'
        "\r\n"
    )
    dry = upload(client, units.encode("utf-8"), people.encode("utf-8"))
    assert dry.status_code == 200, text(dry)
    response = client.post("/admin/hr-import/apply", data=apply_form(dry.get_data(as_text=True)))
    assert response.status_code == 303
    ann = person("u7")
    assert (ann.name, ann.email, ann.category) == (
        'Smith; Ann "Annie"',
        "ann.smith@uni.example",
        "professor",
    )
    assert ann.unit.code == "SCI-GEO" and ann.language == "nl"


def test_a_file_in_another_encoding_is_refused_with_the_way_to_save_it(client, admin):
    people = (PEOPLE_HEADER + "u8,jose@uni.example,José,nl,,phd,,yes\n").encode("cp1252")
    response = upload(client, people=people)
    assert response.status_code == 400
    assert 'save it as "CSV UTF-8 (comma delimited)"' in text(response)


def test_a_person_whose_unit_is_not_known_lands_with_unit_missing(client, admin):
    people = PEOPLE_HEADER + "u9,ivo@uni.example,Ivo,en,NOPE,phd,,yes\n"
    dry = upload(client, people=people)
    assert dry.status_code == 200
    page = text(dry)
    assert 'People file, Line 2 : Unit NOPE is not known: Ivo will have "unit missing"' in page
    assert "Ivo ivo@uni.example unit missing PhD" in page
    client.post("/admin/hr-import/apply", data=apply_form(dry.get_data(as_text=True)))
    ivo = person("u9")
    assert ivo is not None and ivo.unit_id is None


def test_leaving_people_keep_their_trips_and_their_open_tasks_go_to_their_deputy(
    client,
    world,  # noqa: F811
    make_trip,  # noqa: F811
):
    promoter = world.promoter
    promoter.external_id = "p1"
    deputy = world.colleague
    db.session.add(
        Deputy(
            person=promoter,
            deputy=deputy,
            starts_on=date.today(),
            ends_on=date.today() + timedelta(days=9),
        )
    )
    db.session.commit()
    trip = make_trip()
    [task] = db.session.scalars(sa.select(TripTask).where(TripTask.trip_id == trip.id)).all()
    assert task.assignee_id == promoter.id
    assert login(client, world.admin.email).status_code == 302
    people = PEOPLE_HEADER + "p2,someone@uni.example,Someone Else,nl,GEO,phd,,yes\n"
    dry = upload(client, people=people, complete=True)
    page = text(dry)
    assert "Paula Promoter" in page and "Not in the people file 1" in page
    response = client.post("/admin/hr-import/apply", data=apply_form(dry.get_data(as_text=True)))
    assert response.status_code == 303
    db.session.expire_all()
    assert not db.session.get(Person, promoter.id).is_active_account
    assert db.session.get(TripTask, task.id).assignee_id == deputy.id
    assert db.session.get(Trip, trip.id) is not None
    assert outbox_rows("task_reassigned")  # the new holder is told
    assert "1 open task was handed on" in text(client.get(response.location))


def test_a_person_marked_inactive_leaves_without_the_complete_box(client, admin, make_person):
    with_id(make_person, "u11", name="Max Marked")
    people = PEOPLE_HEADER + "u11,max@uni.example,Max Marked,nl,,phd,,no\n"
    dry = upload(client, people=people)
    assert "Marked inactive on line 2" in text(dry)
    client.post("/admin/hr-import/apply", data=apply_form(dry.get_data(as_text=True)))
    assert not person("u11").is_active_account


@pytest.mark.parametrize("role", [None, Role.SAFETY_OFFICER, Role.CRISIS_TEAM])
def test_every_import_route_refuses_people_who_are_not_administrators(client, login_as, role):
    login_as(role)
    assert client.get("/admin/hr-import").status_code == 403
    people = PEOPLE_HEADER + "u1,x@uni.example,X,nl,,phd,,yes\n"
    assert upload(client, people=people).status_code == 403
    assert client.post("/admin/hr-import/apply", data={"apply-digest": "0" * 64}).status_code == 403
    assert client.get("/admin/hr-import/applied").status_code == 403
    assert person("u1") is None


def test_a_file_over_the_limit_is_refused_with_the_limit_in_words(app, client, admin, monkeypatch):
    page = client.get("/admin/hr-import").get_data(as_text=True)
    assert "of at most 5 MB." in page and 'data-max-bytes="5242880"' in page
    monkeypatch.setitem(app.config, "HR_IMPORT_MAX_BYTES", 2048)
    huge = PEOPLE_HEADER + "u1,x@uni.example,X,nl,,phd,,yes\n" * 200
    before = snapshot()
    response = upload(client, people=huge)
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "The file is larger than the limit of 2 KB." in body.split('id="file-errors"')[1]
    assert 'id="people-error" tabindex="-1" autofocus>The file is larger' in body
    assert snapshot() == before


def test_a_body_over_the_request_limit_gets_the_import_page_with_the_limit(
    app, client, admin, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    response = upload(client, people="x" * 8192)
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "The file is larger than the limit of 2 KB." in body.split('id="file-errors"')[1]


def test_hostile_content_is_stored_as_text_and_shown_escaped(client, admin):
    formula = "=cmd|' /C calc'!A0"
    script = "<script>alert(1)</script>"
    people = (
        PEOPLE_HEADER
        + f'u1,f@uni.example,"{formula}",nl,,phd,,yes\nu2,s@uni.example,{script},nl,,phd,,yes\n'
    )
    dry = upload(client, people=people)
    body = dry.get_data(as_text=True)
    assert script not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    client.post("/admin/hr-import/apply", data=apply_form(body))
    assert person("u1").name == formula and person("u2").name == script
    listing = client.get("/admin/people").get_data(as_text=True)
    assert script not in listing and "&lt;script&gt;" in listing


def test_the_import_page_documents_the_columns_and_is_in_the_admin_menu(client, admin):
    response = client.get("/admin/hr-import")
    page = html.unescape(response.get_data(as_text=True))
    assert "external_id" in page and "promoter_external_id" in page and "head_external_id" in page
    assert 'href="/admin/hr-import"' in client.get("/admin/").get_data(as_text=True)
    body = response.get_data(as_text=True)
    # Each file field is labelled and tied to its hint.
    assert re.search(r'<label for="people">', body)
    assert re.search(
        r'<input[^>]*aria-describedby="people-hint"[^>]*id="people"', body
    ) or re.search(r'<input[^>]*id="people"[^>]*aria-describedby="people-hint"', body)


def test_no_file_at_all_is_a_400_that_says_what_to_choose(client, admin):
    response = upload(client)
    assert response.status_code == 400
    assert "Choose a units file, a people file or both." in text(response)


def test_a_stored_upload_that_was_altered_is_not_applied(app, tmp_path):
    stored = hr_import.Upload(people=PEOPLE_HEADER)
    key = hr_import.stash(stored, tmp_path)
    assert hr_import.unstash(key, tmp_path) == stored
    (tmp_path / f"{key}.json").write_text('{"people": "tampered", "units": null}')
    assert hr_import.unstash(key, tmp_path) is None
    assert hr_import.unstash("../../etc/passwd", tmp_path) is None


def test_the_command_prints_the_differences_and_applies_only_when_asked(app, tmp_path, science):
    units = tmp_path / "units.csv"
    units.write_text(UNITS_HEADER + "SCI-CHEM,department,Chemie,Chemistry,SCI,\n")
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE_HEADER + "u1,cli@uni.example,Cleo,en,SCI-CHEM,postdoc,,yes\n")
    runner = app.test_cli_runner()
    args = ["org", "import", "--units", str(units), "--people", str(people)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "Units: 1 new, 0 changed, 0 unchanged." in result.output
    assert "+ Cleo <cli@uni.example> Chemistry (SCI-CHEM), Postdoctoral researcher" in result.output
    assert "Dry run: nothing was written." in result.output
    assert person("u1") is None
    result = runner.invoke(args=[*args, "--apply", "--deactivate-missing"])
    assert result.exit_code == 0, result.output
    assert person("u1").unit.code == "SCI-CHEM"
    people.write_text(PEOPLE_HEADER + "u1,bad,Cleo,en,SCI-CHEM,postdoc,,yes\n")
    result = runner.invoke(args=[*args, "--apply"])
    assert result.exit_code == 1
    assert "People file, Line 2: bad is not a valid e-mail address." in result.output
    assert person("u1").email == "cli@uni.example"


def test_a_unit_changing_kind_may_not_strand_the_units_under_it(client, admin, science, make_unit):
    make_unit(UnitKind.DEPARTMENT, parent=science, code="SCI-MATH")
    units = UNITS_HEADER + "SCI,university,Wetenschappen,Science,,\n"
    response = upload(client, units)
    assert response.status_code == 400
    assert "Unit SCI-MATH is part of this unit and would no longer fit" in text(response)


def test_category_by_its_dutch_title_and_no_category_is_an_error(client, admin):
    titles = active_procedure().categories
    dutch = titles["phd"].nl
    people = PEOPLE_HEADER + f"u1,a@uni.example,A,nl,,{dutch},,yes\nu2,b@uni.example,B,nl,,,,yes\n"
    page = text(upload(client, people=people))
    assert "Line 3 : The column category is empty: give one of" in page
    assert "A a@uni.example unit missing PhD" in page  # the Dutch title was understood
    assert Category.PHD.value == "phd"


def test_a_new_unit_head_and_a_new_promoter_may_arrive_in_the_same_import(client, admin, science):
    units = UNITS_HEADER + "SCI-PHY,department,Fysica,Physics,SCI,u31\n"
    people = (
        PEOPLE_HEADER
        + "u32,student@uni.example,Stu Dent,en,SCI-PHY,phd,u31,yes\n"
        + "u31,prof@uni.example,Pro Fessor,en,SCI-PHY,professor,,yes\n"
    )
    dry = upload(client, units, people)
    page = text(dry)
    assert "SCI-PHY Fysica Physics Department Unit" in page and "Pro Fessor" in page
    response = client.post("/admin/hr-import/apply", data=apply_form(dry.get_data(as_text=True)))
    assert response.status_code == 303
    prof, student = person("u31"), person("u32")
    physics = db.session.scalar(sa.select(Unit).where(Unit.code == "SCI-PHY"))
    assert physics.head_id == prof.id and student.promoter_id == prof.id


def test_two_people_may_trade_e_mail_addresses_in_one_import(client, admin, make_person):
    with_id(make_person, "u41", email="first@uni.example", name="First")
    with_id(make_person, "u42", email="second@uni.example", name="Second")
    people = (
        PEOPLE_HEADER
        + "u41,second@uni.example,First,nl,,phd,,yes\n"
        + "u42,first@uni.example,Second,nl,,phd,,yes\n"
    )
    dry = upload(client, people=people)
    assert "E-mail: first@uni.example → second@uni.example" in text(dry)
    response = client.post("/admin/hr-import/apply", data=apply_form(dry.get_data(as_text=True)))
    assert response.status_code == 303
    assert person("u41").email == "second@uni.example"
    assert person("u42").email == "first@uni.example"


def test_the_summary_page_without_an_import_says_so(client, admin):
    assert "No import has been applied yet." in text(client.get("/admin/hr-import/applied"))
    assert client.get("/admin/hr-import/applied?event=99999999999").status_code == 404


def test_a_file_with_wrong_columns_or_broken_quotes_names_the_problem(client, admin, make_person):
    with_id(make_person, "u51", name="Stays Put")
    page = text(
        upload(client, people="external_id;mail;name\nu51;a@uni.example;A\n", complete=True)
    )
    assert "People file, Line 1 : The first line must name the columns; missing: email," in page
    assert "0 deactivated" in page  # a file that cannot be read lists nobody as leaving
    broken = PEOPLE_HEADER + 'u51,"a@uni.example"junk,A,nl,,phd,,yes\n'
    page = text(upload(client, people=broken))
    assert "People file, Line 2 : The file cannot be read as CSV from here on" in page
    assert person("u51").is_active_account
