"""A person's category is a code of the procedure in force: its title, the choices, the strays.

The procedure file declares the traveller categories (the framework's five when it declares
none) and ``Person.category`` holds one of their codes. The procedure in force can change under
the people, so a stored code may be one it no longer declares: it is shown by its code (to
administrators with a note saying so), no condition on a category matches it, and the
administrator's person form keeps it until another is chosen.
"""

from __future__ import annotations

import sqlalchemy as sa

from travel_app.core.i18n import gettext as _
from travel_app.extensions import db
from travel_app.org.models import Person
from travel_app.procedures import active_procedure
from workflows.model import Procedure


def category_title(
    code: str, locale: str, *, annotate: bool = False, procedure: Procedure | None = None
) -> str:
    """The title the procedure in force (or ``procedure``) gives category ``code`` in ``locale``;
    a code it does not declare by the code itself, with a note when ``annotate`` (for
    administrators, who can choose another)."""
    title = (procedure or active_procedure()).categories.get(code)
    if title is not None:
        return title(locale)
    if annotate:
        return _("%(code)s (not a category of the procedure in force)", code=code)
    return code


def category_choices(
    procedure: Procedure, locale: str, keep: str | None = None
) -> list[tuple[str, str]]:
    """The categories ``procedure`` declares as (code, title), in the file's order; and ``keep``
    (a person's current code) last, named as undeclared, when the file does not declare it."""
    pairs = [(code, title(locale)) for code, title in procedure.categories.items()]
    if keep and keep not in procedure.categories:
        pairs.append((keep, category_title(keep, locale, annotate=True, procedure=procedure)))
    return pairs


def undeclared_categories(procedure: Procedure) -> dict[str, int]:
    """The category codes people carry that ``procedure`` does not declare, each with how many
    people carry it, by code (one statement)."""
    rows = db.session.execute(
        sa.select(Person.category, sa.func.count())
        .where(Person.category.not_in(list(procedure.categories)))
        .group_by(Person.category)
        .order_by(Person.category)
    )
    return {code: count for code, count in rows}
