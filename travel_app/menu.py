"""The signed-in menu, rendered once per set of roles, language and root, then reused.

Every page shows it: seventeen links, each an ``url_for`` and a translation, cost a few tenths of
a millisecond per request (bench/fixed_cost.py), the same for everyone holding the same roles.
What the menu shows depends only on the roles held (not on their units), the language and the
application's root, so that is the key. The person's name and role titles stay outside it.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

#: Held menus, by key; a handful of role sets times two languages. Cleared when it grows past
#: this, which only a deployment with very many different role sets would reach.
LIMIT = 256


def signed_in_menu() -> Markup:
    """The menu for the current user's roles in the page's language (empty when logged out)."""
    if not current_user.is_authenticated:
        return Markup("")
    held = frozenset(a.role for a in current_user.roles)
    key = (str(get_locale()), request.script_root, held)
    menus: dict[object, Markup] = current_app.extensions["signed_in_menus"]
    menu = menus.get(key)
    if menu is None:
        from travel_app.duty.views import DUTY_ROLES
        from travel_app.reports.views import READERS
        from travel_app.trips.access import OVERSIGHT

        template = current_app.jinja_env.get_template("macros/menu.html")
        menu = Markup(  # nosec B704 - our own template, rendered with autoescaping
            template.render(
                current_user=current_user,
                locale=key[0],
                oversight_roles=OVERSIGHT,
                duty_roles=DUTY_ROLES,
                report_roles=READERS,
            )
        )
        if len(menus) >= LIMIT:
            menus.clear()
        menus[key] = menu
    return menu


def install(app: Flask) -> None:
    """Offer ``signed_in_menu()`` to the templates, with this application's own store."""
    app.extensions["signed_in_menus"] = {}
    app.jinja_env.globals["signed_in_menu"] = signed_in_menu
