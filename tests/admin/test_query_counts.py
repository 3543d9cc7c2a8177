"""Admin pages run a fixed number of SQL statements, however many rows they list (no N+1)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from travel_app.core import audit
from travel_app.org import operations
from travel_app.org.models import Role, UnitKind
from travel_app.places import operations as place_ops

PAGES = [
    "/",
    "/risk-levels",
    "/admin/",
    "/admin/units",
    "/admin/people",
    "/admin/deputies",
    "/admin/advisories",
    "/admin/advisories/ML",
    "/admin/country-lists",
    "/admin/country-lists/1",
    "/profile",
]


def grow(db, make_unit, make_person, make_advisory, n: int, admin) -> None:
    faculty = make_unit(UnitKind.FACULTY)
    for i in range(n):
        head = make_person(password="")
        unit = make_unit(UnitKind.DEPARTMENT, parent=faculty, head=head)
        person = make_person(unit=unit, password="", roles=(Role.CRISIS_TEAM,))
        operations.add_deputy(
            person=head,
            deputy=person,
            starts_on=date.today(),
            ends_on=date.today() + timedelta(days=5),
            note="",
            actor=None,
        )
        make_advisory(["ML", "AF", "SY", "KE", "CO", "NG", "IN", "TR"][i % 8], level=i % 4)
        # Each of Mali's advisories entered by someone else: the history names them all.
        place_ops.set_advisory(
            country_code="ML",
            region_code=None,
            level=i % 4,
            source_code="nl_bz",
            effective_on=date(2026, 1, 1),
            summary=f"by {head.name}",
            actor=head,
        )
    # The overview lists recent changes with their actor: make one the administrator's.
    audit.record("test.touch", admin, admin)
    db.session.commit()


@pytest.mark.parametrize("url", PAGES)
def test_statements_per_page_do_not_grow_with_the_data(
    client, login_as, db, make_unit, make_person, make_advisory, count_queries, url
):
    admin = login_as(Role.ADMIN)
    grow(db, make_unit, make_person, make_advisory, 1, admin)
    client.get(url)  # warm caches that are not per request
    with count_queries() as few:
        assert client.get(url).status_code == 200
    grow(db, make_unit, make_person, make_advisory, 12, admin)
    with count_queries() as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), (url, len(few), len(many))
