"""A page of a list and its total are right at every edge, on SQLite (page and count apart,
or every id) and on PostgreSQL (the count beside each row): empty, one short of a page, a full
page, one over, the last page, a page past the end."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from travel_app.core.paging import page_of, page_of_ids, page_rows
from travel_app.extensions import db
from travel_app.org.models import Person

PER_PAGE = 5


@pytest.mark.parametrize("count", [0, 4, 5, 6, 12])
@pytest.mark.parametrize("reader", ["rows", "first", "ids"])
def test_every_page_and_the_total_at_the_edges(
    make_person: Callable[..., Person], count: int, reader: str
) -> None:
    made = sorted(make_person(email=f"p{i}@paging.example").id for i in range(count))
    db.session.commit()
    query = (
        sa.select(Person.id).where(Person.email.like(sa.bindparam("pattern"))).order_by(Person.id)
    )
    pages = max(1, -(-count // PER_PAGE))
    for number in range(1, pages + 3):  # and two past the end
        if reader == "rows":
            rows, total = page_rows(query, number, PER_PAGE, pattern="%@paging.example")
            shown = [row.id for row in rows]
        else:
            read = page_of if reader == "first" else page_of_ids
            page = read(query, number, PER_PAGE, pattern="%@paging.example")
            shown, total = list(page.items), page.total
            assert page.page == number and page.pages == pages
            assert page.has_next == (number < pages)
        assert total == count, (number, total)
        assert shown == made[(number - 1) * PER_PAGE : number * PER_PAGE]


def test_a_page_below_one_is_the_first(make_person: Callable[..., Person]) -> None:
    made = sorted(make_person(email=f"q{i}@paging.example").id for i in range(3))
    db.session.commit()
    query = sa.select(Person.id).where(Person.email.like("%@paging.example")).order_by(Person.id)
    for number in (0, -4):
        page = page_of_ids(query, number, PER_PAGE)
        assert page.page == 1 and list(page.items) == made and page.total == 3
