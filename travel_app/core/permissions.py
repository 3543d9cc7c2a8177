"""Access checks shared by views: who may open which page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user
from werkzeug.wrappers import Response

F = TypeVar("F", bound=Callable[..., Any])


def role_required(*roles: Any) -> Callable[[F], F]:
    """Refuse (403) a logged-in user who holds none of ``roles``; send anonymous users to login."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from travel_app.extensions import login_manager

                return login_manager.unauthorized()
            if not current_user.has_any_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def require_admin() -> Response | None:
    """A blueprint's ``before_request`` for administrator-only pages: login first, else 403."""
    if not current_user.is_authenticated:
        from travel_app.extensions import login_manager

        return login_manager.unauthorized()  # type: ignore[no-any-return]
    if not current_user.is_admin:
        abort(403)
    return None
