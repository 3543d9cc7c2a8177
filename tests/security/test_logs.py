"""No secret in any log line: passwords, emergency phones, medical notes and session cookies
stay out of the logs, whatever the log level and whatever goes wrong."""

from __future__ import annotations

import logging

from tests.conftest import login
from tests.trips.conftest import world  # noqa: F401 - the world fixture
from tests.trips.test_journey import form

PASSWORD = "canary-password-4f1e"
PHONE = "+32 470 55 44 33"


def test_secrets_never_reach_a_log_line(
    client,
    make_person,
    caplog,
    world,  # noqa: F811
):
    caplog.set_level(logging.DEBUG)
    person = make_person(password=PASSWORD, unit=world.department)
    login(client, person.email, PASSWORD + "-wrong")  # a failure is logged and audited
    assert login(client, person.email, PASSWORD).status_code == 302
    cookie = client.get_cookie("session").value
    # A trip with the phone, once refused (bad date) and once filed, then a page that fails.
    bad = form(emergency_phone=PHONE, **{"legs-0-arrives_on": "2027-02-30"})
    assert client.post("/trips/new", data=bad).status_code == 400
    assert client.post("/trips/new", data=form(emergency_phone=PHONE)).status_code == 302
    client.get("/trips/987654")
    client.get("/admin/")  # refused: logged
    client.post("/logout")
    logged = caplog.text
    assert "login failed" in logged and "access refused" in logged  # the check proves something
    for secret in (PASSWORD, PHONE, cookie):
        assert secret not in logged
