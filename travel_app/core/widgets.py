"""Form widgets shared by every feature's forms."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from wtforms import widgets

_OPTIONS: dict[tuple[Any, ...], Markup] = {}
_MAX_OPTIONS = 20_000


class QuickSelect(widgets.Select):
    """WTForms' select, each option's HTML made once and reused.

    A country list is 250 options, on the trip form, the advisories and who-is-where: WTForms
    builds every option's attributes anew on each page (3.5 ms for one list); the same option
    always renders the same way, so it is kept (by value, label and selected; at most
    ``_MAX_OPTIONS`` of them, options with extra attributes are not kept).
    """

    @classmethod
    def render_option(cls, choice: Any, **kwargs: Any) -> Markup:
        if kwargs or choice.render_kw or not isinstance(choice.value, str):
            return super().render_option(choice, **kwargs)
        key = (choice.value, str(choice.label), bool(choice.selected))
        html = _OPTIONS.get(key)
        if html is None:
            html = super().render_option(choice)
            if len(_OPTIONS) < _MAX_OPTIONS:
                _OPTIONS[key] = html
        return html
