"""Safe Passage: approval and follow-up of staff travel to risk areas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel import Locale
from flask import Flask, current_app, render_template, request, session
from flask_login import current_user

import config as settings
from travel_app.extensions import babel, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[settings.Config] | None = None, **overrides: Any) -> Flask:
    """Build the app from a settings class (default: from SAFE_PASSAGE_ENV) and overrides."""
    profile = config or settings.profile_from_env()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(settings.INSTANCE_DIR),
        instance_relative_config=False,
    )
    from travel_app.core.json_provider import SafeJSONProvider

    app.json = SafeJSONProvider(app)
    app.config.from_object(profile)
    app.config["CELERY"] = dict(profile.CELERY)
    app.config.update(overrides)
    if app.config.get("ENV_NAME") == "production":
        settings.check_production(app.config)
    from travel_app.auth import passwords

    passwords.configure(app.config["PASSWORD_HASH_PROFILE"])
    if not app.config.get("MEDICAL_NOTE_KEYS"):
        from travel_app.core.crypto import derive_key

        app.config["MEDICAL_NOTE_KEYS"] = derive_key(app.config["SECRET_KEY"])
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_context(app)
    register_commands(app)
    register_celery(app)
    return app


def register_extensions(app: Flask) -> None:
    import travel_app.models  # noqa: F401  (every table on the metadata)
    from travel_app.core.db import alembic_render_item, configure_sqlite

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(
        app,
        db,
        directory=str(ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=alembic_render_item,
    )
    csrf.init_app(app)
    from travel_app.auth.sessions import form_token

    app.jinja_env.globals["form_token"] = form_token  # base.html's forms (auth/sessions.py)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    from travel_app.core import i18n

    i18n.install(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page explains itself

    @login_manager.user_loader
    def load_user(user_id: str) -> Any:
        from travel_app.org.queries import signed_in_person

        if not user_id.isdigit():
            return None
        from travel_app.auth import sessions

        person = signed_in_person(int(user_id))
        if person is None or not person.is_active or not sessions.is_live(person):
            return None
        return person


#: Each language's Locale, parsed once: Flask-Babel parses the selector's answer every request.
_LOCALES: dict[str, Locale] = {}


def select_locale() -> Locale:
    """The user's stored language, else the session's, else the browser's, else the default."""
    config = current_app.config
    languages = config["LANGUAGES"]
    user = current_user._get_current_object()
    if user is not None and user.is_authenticated and user.language in languages:
        code = user.language
    elif session.get("language") in languages:
        code = session["language"]
    else:
        code = request.accept_languages.best_match(languages) or config["BABEL_DEFAULT_LOCALE"]
    locale = _LOCALES.get(code)
    if locale is None:
        locale = _LOCALES[code] = Locale.parse(code)
    return locale


#: Route arguments that carry a secret (signed single-use links): never logged or audited.
SECRET_ARGS = frozenset({"token", "signed"})


def register_blueprints(app: Flask) -> None:
    from travel_app import access_policy
    from travel_app.core import bounds, hosts
    from travel_app.core.audit import record_refusal

    hosts.install(app)  # first: a request for another host name is refused before anything
    bounds.install(app)  # before the rules: every <int:...> id is bounded
    access_policy.install(app)

    @app.after_request
    def audit_refusals(response: Any) -> Any:
        """Every refused access (403, or 429 when throttled) is audited, whatever refused it."""
        if response.status_code in (403, 429):
            db.session.rollback()
            actor = current_user if current_user.is_authenticated else None
            # A signed link's secret (a reset token, a check-in signature) still works: it
            # goes to neither the log nor the audit trail, only the route's pattern does.
            args = dict(request.view_args or {})
            path = request.path
            if SECRET_ARGS & set(args):
                args = {k: ("[secret]" if k in SECRET_ARGS else v) for k, v in args.items()}
                path = request.url_rule.rule if request.url_rule is not None else "-"
            app.logger.warning(
                "access refused (%s): %s %s for person %s",
                response.status_code,
                request.method,
                path,
                actor.id if actor is not None else "anonymous",
            )
            record_refusal(actor, request.endpoint, request.method, path, args)
            db.session.commit()
        return response

    import travel_app.admin.import_views
    import travel_app.duty.checkin_views
    import travel_app.duty.crisis_views
    import travel_app.duty.incident_views  # noqa: F401
    from travel_app.admin.views import bp as admin_bp
    from travel_app.advice.views import bp as advice_bp
    from travel_app.auth.views import bp as auth_bp
    from travel_app.countries.views import bp as countries_bp
    from travel_app.dossier.views import bp as dossier_bp
    from travel_app.duty.views import bp as duty_bp
    from travel_app.home.views import bp as home_bp
    from travel_app.outbox.views import bp as outbox_bp
    from travel_app.procedures.views import bp as procedures_bp
    from travel_app.sso.oidc import settings_of as oidc_settings
    from travel_app.sso.settings import parse as parse_sso_providers
    from travel_app.sso.views import bp as sso_bp
    from travel_app.trips.views import bp as trips_bp

    # A wrong provider setting stops the start, naming the provider and the key.
    for provider in parse_sso_providers(app.config.get("SSO_PROVIDERS")):
        if provider.kind == "oidc":
            oidc_settings(provider)

    app.register_blueprint(auth_bp)
    app.register_blueprint(sso_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(countries_bp)
    app.register_blueprint(trips_bp)
    app.register_blueprint(dossier_bp)
    app.register_blueprint(duty_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(procedures_bp, url_prefix="/admin")
    app.register_blueprint(outbox_bp, url_prefix="/admin")
    app.register_blueprint(advice_bp, url_prefix="/admin/advice")
    from travel_app.scim.views import bp as scim_bp

    app.register_blueprint(scim_bp, url_prefix="/scim/v2")
    # Access tokens in the browser (travel_app/tokens/views.py).
    from travel_app.tokens.views import bp as tokens_bp

    app.register_blueprint(tokens_bp)
    # Webhooks (travel_app/webhooks).
    from travel_app.webhooks.views import bp as webhooks_bp

    app.register_blueprint(webhooks_bp, url_prefix="/admin")
    # Booking import (travel_app/bookings).
    from travel_app.bookings.views import bp as bookings_bp

    app.register_blueprint(bookings_bp, url_prefix="/bookings")
    # Reports for the safety office and the board (travel_app/reports).
    from travel_app.reports.views import bp as reports_bp

    app.register_blueprint(reports_bp)
    # The JSON API (travel_app/api).
    from travel_app.api.views import bp as api_bp

    app.register_blueprint(api_bp, url_prefix="/api/v1")
    # Token routes read no cookie, so a CSRF token would protect nothing (access_policy).
    for endpoint in access_policy.CSRF_EXEMPT:
        csrf.exempt(app.view_functions[endpoint])


def register_errorhandlers(app: Flask) -> None:
    def render_error(error: Any) -> Any:
        if request.path == "/api/v1" or request.path.startswith("/api/v1/"):
            # A path the routes could not even match (an id beyond any column): the API's
            # problem document, as for every other API error.
            from travel_app.api.views import http_problem

            return http_problem(error)
        code = getattr(error, "code", 500)
        return render_template("errors/error.html", code=code, error=error), code

    for code in (400, 403, 404, 405):
        app.register_error_handler(code, render_error)

    from collections.abc import Callable
    from io import BytesIO

    from werkzeug.datastructures import ImmutableMultiDict
    from werkzeug.exceptions import HTTPException

    from travel_app.admin.import_views import upload_too_large as hr_import_too_large
    from travel_app.advice.views import upload_too_large as advice_too_large
    from travel_app.core.hosts import trusted_host
    from travel_app.dossier.views import complete_too_large
    from travel_app.procedures.views import upload_too_large as procedure_too_large

    #: The pages that answer a too large upload themselves, by endpoint (given its URL values).
    upload_pages: dict[str, Callable[..., Any]] = {
        "dossier.complete": complete_too_large,
        "advice.upload": advice_too_large,
        "procedures.upload": procedure_too_large,
        "admin.hr_import": hr_import_too_large,
    }

    @app.errorhandler(413)
    def upload_too_large_page(error: Any) -> Any:
        """A body over MAX_CONTENT_LENGTH: the upload's own page says so, with the limit.

        Werkzeug refuses it when the first hook reads the form (the CSRF check), before the
        view. The body is never read: the form is taken as empty, so the page's forms do not
        trip over it again; the token was not checked, so the page saves nothing.
        """
        db.session.rollback()
        refused = request._get_current_object()  # type: ignore[attr-defined]
        refused.__dict__.update(
            stream=BytesIO(), form=ImmutableMultiDict(), files=ImmutableMultiDict()
        )
        # Only a body over the whole limit is a file too large; Werkzeug's other 413s (a form
        # field over its memory limit, too many parts) get the plain page. The host check, a
        # hook that had not run yet, decides too.
        limit = app.config.get("MAX_CONTENT_LENGTH")
        over = limit is not None and (request.content_length or 0) > int(limit)
        page = upload_pages.get(request.endpoint or "") if over and trusted_host() else None
        if page is not None:
            from travel_app.access_policy import enforce

            try:
                # The access table had not been consulted yet: it decides first, as always.
                answer = None if enforce() is not None else page(**(request.view_args or {}))
            except HTTPException:  # not theirs to see or use: the plain page
                answer = None
            if answer is not None:
                return answer
        return render_error(error)

    @app.errorhandler(429)
    def throttled(error: Any) -> tuple[str, int, dict[str, str]]:
        """Too many failed logins: the page says so, Retry-After says for how long."""
        import time

        limit = limiter.current_limit
        wait = max(1, limit.reset_at - int(time.time())) if limit is not None else 60
        return render_error(error)[0], 429, {"Retry-After": str(wait)}

    from flask_wtf.csrf import CSRFError

    from travel_app.core.headers import add_security_headers

    app.after_request(add_security_headers)

    from travel_app.core.errors import Refused

    @app.errorhandler(Refused)
    def refused(error: Refused) -> tuple[str, int]:
        """A refusal no view caught: nothing is saved, the reason is given in words."""
        db.session.rollback()
        from flask_babel import get_locale

        reason = error.reason(str(get_locale()))
        return render_template(
            "errors/error.html", code=error.status, error=error, reason=reason
        ), error.status

    @app.errorhandler(CSRFError)
    def csrf_refused(error: CSRFError) -> tuple[str, int]:
        """A form without this site's token: nothing is saved, the page says why."""
        db.session.rollback()
        return render_template("errors/error.html", code=400, error=error, csrf=True), 400

    from sqlalchemy.exc import DataError, IntegrityError, OperationalError

    @app.before_request
    def refuse_nul_bytes() -> None:
        """No text field holds NUL; PostgreSQL would refuse it with a 500."""
        from flask import abort

        if any("\x00" in value for value in request.values.values()):
            abort(400)

    @app.errorhandler(DataError)
    def bad_data(error: DataError) -> tuple[str, int]:
        """A value the database cannot hold that validation let through."""
        db.session.rollback()
        app.logger.warning("data error: %s", error.orig)
        return render_template("errors/error.html", code=400, error=error), 400

    @app.errorhandler(IntegrityError)
    def conflict(error: IntegrityError) -> tuple[str, int]:
        """A constraint caught what validation could not (two people saving at once)."""
        db.session.rollback()
        app.logger.warning("integrity error: %s", error.orig)
        return render_template("errors/error.html", code=409, error=error), 409

    @app.errorhandler(OperationalError)
    def busy(error: OperationalError) -> tuple[str, int]:
        """SQLite refuses a write whose snapshot another writer overtook: the same conflict."""
        db.session.rollback()
        if "locked" not in str(error.orig):
            raise error
        app.logger.warning("write conflict: %s", error.orig)
        return render_template("errors/error.html", code=409, error=error), 409


def register_template_context(app: Flask) -> None:
    from flask_babel import get_locale

    from travel_app import menu
    from travel_app.core import links
    from travel_app.places.geography import country_name, place_name, region_name
    from travel_app.procedures import active_procedure
    from travel_app.procedures.categories import category_title
    from travel_app.sso.settings import providers as sso_providers

    menu.install(app)
    links.install(app)

    def person_category(code: str) -> str:
        """A person's category by the procedure's title; administrators see a stray code marked."""
        is_admin = bool(getattr(current_user, "is_admin", False))
        return category_title(code, str(get_locale()), annotate=is_admin)

    @app.context_processor
    def inject() -> dict[str, Any]:
        # The language of this rendering, read once: a list of 50 trips names 50 places or
        # more, and e-mails are rendered inside force_locale, which this context follows.
        locale = str(get_locale())
        return {
            "locale": locale,
            "country_name": lambda code: country_name(code, locale),
            "region_name": lambda code: region_name(code, locale),
            "place_name": lambda c, r: place_name(c, r, locale),
            # A trip's destinations in a list's cell, joined in Python: a loop in the template
            # per row of 50 cost more than the names.
            "places_of": lambda legs: "; ".join(
                place_name(leg.country_code, leg.region_code, locale) for leg in legs
            ),
            "category_title": person_category,
            "tag_title": lambda code: active_procedure().names.title("tag", code, locale),
            "sso_login_providers": sso_providers,
        }


def register_commands(app: Flask) -> None:
    from travel_app.advice.commands import advisories_cli
    from travel_app.api.commands import api_cli
    from travel_app.auth.commands import users_cli
    from travel_app.bookings.commands import bookings_cli
    from travel_app.core.audit_commands import audit_cli
    from travel_app.demo.commands import demo_cli
    from travel_app.org.commands import org_cli
    from travel_app.procedures.commands import procedures_cli
    from travel_app.tokens.commands import tokens_cli

    app.cli.add_command(advisories_cli)
    app.cli.add_command(api_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(bookings_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(org_cli)
    app.cli.add_command(procedures_cli)
    app.cli.add_command(tokens_cli)


def register_celery(app: Flask) -> None:
    from travel_app.celery import celery_init_app

    celery_init_app(app)
