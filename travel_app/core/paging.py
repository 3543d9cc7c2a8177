"""One page of a list, for the pager macro, when the list is not read through Flask-SQLAlchemy."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any

import sqlalchemy as sa

from travel_app.extensions import db

#: Rows per page of every list.
PAGE_SIZE = 50


@dataclass
class Page:
    """One page of rows, shaped like Flask-SQLAlchemy's pagination for the pager macro."""

    items: list[Any]
    page: int
    total: int
    per_page: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def page_rows(
    query: sa.Select[Any], page: int, per_page: int = PAGE_SIZE, **params: Any
) -> tuple[list[sa.Row[Any]], int]:
    """The rows of one page of ``query`` (a column more on PostgreSQL) and the total of all.

    On PostgreSQL the total rides along each row (``count(*) over ()``): the database filters
    and sorts every row for the page anyway. SQLite materialises every row with all its columns
    for the window, which cost four times the page itself (1.75 ms against 0.44 for a page of
    50 trips of 2,000 and their count, bench/same_content.py); there the page is read alone
    and counted apart (always: a page's statements do not change with the list's length).
    ``params`` are the values of the query's bound parameters (a query built once takes them).
    """
    page = max(page, 1)
    skip = (page - 1) * per_page
    if db.session.get_bind().dialect.name == "postgresql":
        rows = db.session.execute(
            query.add_columns(sa.func.count().over().label("page_total"))
            .limit(per_page)
            .offset(skip),
            params,
        ).all()
        if rows:  # each row ends with the total
            return list(rows), int(rows[0][-1])
    else:
        rows = db.session.execute(query.limit(per_page).offset(skip), params).all()
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery()), params
    )
    return list(rows), int(total or 0)


def page_of(query: sa.Select[Any], page: int, per_page: int = PAGE_SIZE, **params: Any) -> Page:
    """The first column of one page of ``query`` and the total (``page_rows``)."""
    rows, total = page_rows(query, page, per_page, **params)
    return Page([row[0] for row in rows], max(page, 1), total, per_page)


def page_of_ids(query: sa.Select[Any], page: int, per_page: int = PAGE_SIZE, **params: Any) -> Page:
    """One page of the ids ``query`` selects (its one column) and their total, in one pass.

    For a query whose filter costs more than its rows (the inbox asks two subqueries per open
    step): counting apart would filter every row twice. PostgreSQL counts beside the page
    (``page_rows``); SQLite reads every id, a few thousand integers, and cuts the page from
    them (the page and its count took 5.8 ms for 2,000 open steps, all the ids 3.2 ms).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return page_of(query, page, per_page, **params)
    page = max(page, 1)
    # On the session's connection, as Core: the ORM's row handling took half a millisecond
    # more for the inbox's 2,000 integers.
    ids = list(db.session.connection().execute(query, params).scalars())
    skip = (page - 1) * per_page
    return Page(ids[skip : skip + per_page], page, len(ids), per_page)
