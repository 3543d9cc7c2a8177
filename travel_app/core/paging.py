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


def page_of(query: sa.Select[Any], page: int, per_page: int = PAGE_SIZE) -> Page:
    """The first column of one page of ``query`` and the total, in one statement.

    The total rides along each row (``count(*) over ()``) instead of a second statement that
    would filter everything again; only a page past the end counts separately.
    """
    page = max(page, 1)
    rows = db.session.execute(
        query.add_columns(sa.func.count().over().label("page_total"))
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    if rows:
        total = int(rows[0][-1])
    elif page > 1:
        total = db.session.scalar(  # type: ignore[assignment]
            sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
        )
    else:
        total = 0
    return Page([row[0] for row in rows], page, total or 0, per_page)
