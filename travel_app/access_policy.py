"""Who may reach each route: one table, enforced before every request, deny by default.

A route missing from :data:`POLICY`, or reached with a method the table does not list, is
refused even if its view forgot to check. Public routes are few and named here; the rest need a
logged-in user and, where roles are listed, one of them. Views still check the object itself
(whose trip, whose dossier item): this table only says who may knock.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, abort, current_app, request
from flask_login import current_user
from werkzeug.wrappers import Response

from travel_app.org.models import Role


@dataclass(frozen=True)
class Access:
    methods: frozenset[str]
    public: bool = False
    #: Empty: any logged-in user; otherwise one of these roles.
    roles: tuple[Role, ...] = ()
    #: Set: no login at all, but a service token with this scope (a machine; cookies ignored).
    scope: str | None = None
    #: With ``scope``: only a personal token, whose owner becomes the current user.
    personal: bool = False


def public(*methods: str) -> Access:
    return Access(frozenset(methods), public=True)


def logged_in(*methods: str) -> Access:
    return Access(frozenset(methods))


def roles(*held: Role, methods: tuple[str, ...] = ("GET",)) -> Access:
    return Access(frozenset(methods), roles=held)


def token(scope: str, *methods: str) -> Access:
    """A machine's door: a bearer service token with ``scope`` (travel_app.tokens)."""
    return Access(frozenset(methods), scope=scope)


def api(scope: str, *methods: str, held: tuple[Role, ...] = ()) -> Access:
    """The JSON API's door: a personal token with ``scope``; its owner acts (``held``: one of
    these roles too). Cookies never count, so a browser session cannot be ridden."""
    return Access(frozenset(methods), roles=held, scope=scope, personal=True)


GET, POST, BOTH = ("GET",), ("POST",), ("GET", "POST")
SCIM_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ADMIN = (Role.ADMIN,)
DUTY = (Role.SAFETY_OFFICER, Role.CRISIS_TEAM)
CRISIS = (Role.CRISIS_TEAM,)
REPORTS = (Role.SAFETY_OFFICER, Role.EXECUTIVE, Role.ADMIN, Role.FACULTY_AUTHORITY)

POLICY: dict[str, Access] = {
    "static": public(*GET),
    # Login, logout and the language switch work without an account.
    "auth.login": public(*BOTH),
    # Sign-in with SAML: the IdP's answer is signed, and the metadata is for the federation.
    "sso.saml_start": public(*GET),
    "sso.saml_acs": public(*POST),
    "sso.saml_metadata": public(*GET),
    # Sign-in with OpenID Connect: the provider's answer must match the state this browser
    # started with, and its ID token is checked against the provider's keys.
    "sso.oidc_start": public(*GET),
    "sso.oidc_callback": public(*GET),
    "auth.logout": public(*POST),
    "auth.set_language": public(*POST),
    "auth.profile": logged_in(*GET),
    # Local accounts: the code step after a right password (the session holds the proof), a
    # forgotten password asked for by address, and the e-mailed signed link.
    "auth.login_code": public(*BOTH),
    "auth.forgot_password": public(*BOTH),
    "auth.reset_password": public(*BOTH),
    # One's own password and two-step verification: the view acts on the logged-in person only.
    "auth.change_password": logged_in(*POST),
    "auth.two_step_setup": logged_in(*BOTH),
    "auth.two_step_off": logged_in(*POST),
    "auth.recovery_codes": logged_in(*POST),
    # Their own absence and deputy: the view refuses people no work waits for, and a link
    # that is not their own.
    "auth.name_deputy": logged_in(*POST),
    "auth.end_own_deputy": logged_in(*POST),
    # Reached from an e-mail without logging in: the signed link is the proof.
    "duty.answer": public(*BOTH),
    "duty.checkin_link": public(*BOTH),
    "home.index": logged_in(*GET),
    "home.risk_overview": logged_in(*GET),
    # Country pages.
    "countries.index": logged_in(*GET),
    "countries.show": logged_in(*GET),
    "countries.history": roles(*DUTY, *ADMIN),
    "countries.edit_notes": roles(Role.SAFETY_OFFICER, *ADMIN, methods=BOTH),
    "countries.edit_embassy": roles(Role.SAFETY_OFFICER, *ADMIN, methods=BOTH),
    # Trips and dossiers: every view checks the trip against the user's part in it.
    "trips.mine": logged_in(*GET),
    "trips.inbox": logged_in(*GET),
    "trips.all_trips": logged_in(*GET),
    "trips.regions": logged_in(*GET),
    "trips.new": logged_in(*BOTH),
    "trips.show": logged_in(*GET),
    "trips.edit": logged_in(*BOTH),
    "trips.change": logged_in(*BOTH),
    "trips.own_details": logged_in(*BOTH),
    "trips.decide": logged_in(*POST),
    "trips.withdraw": logged_in(*POST),
    "trips.cancel": logged_in(*POST),
    "trips.safe_return": logged_in(*POST),
    "trips.let_go": logged_in(*POST),
    "dossier.complete": logged_in(*POST),
    "dossier.verify": logged_in(*POST),
    "dossier.reject": logged_in(*POST),
    "dossier.download": logged_in(*GET),
    "dossier.sheet": logged_in(*GET),
    "duty.checkin_in_app": logged_in(*POST),
    # Duty of care.
    # Reports (travel_app/reports): the safety office, the executive and administrators; a
    # faculty authority reads their own faculty's figures (the view narrows them).
    "reports.index": roles(*REPORTS),
    "reports.table_csv": roles(*REPORTS),
    "reports.table_xlsx": roles(*REPORTS),
    "reports.workbook": roles(*REPORTS),
    "reports.printable": roles(*REPORTS),
    "reports.pdf": roles(*REPORTS),
    "duty.where": roles(*DUTY),
    "duty.where_csv": roles(*DUTY),
    "duty.crisis_list": roles(*DUTY),
    "duty.crisis_new": roles(*DUTY, methods=BOTH),
    "duty.crisis_show": roles(*DUTY),
    "duty.crisis_remind": roles(*DUTY, methods=POST),
    "duty.incident_list": roles(*DUTY),
    "duty.incident_show": roles(*DUTY),
    "duty.incident_new": roles(*CRISIS, methods=BOTH),
    "duty.incident_entry": roles(*CRISIS, methods=POST),
    "duty.incident_close": roles(*CRISIS, methods=POST),
    "duty.break_glass": roles(*CRISIS, methods=BOTH),
    "duty.break_glass_log": roles(Role.SAFETY_OFFICER),
    # Administration.
    "admin.dashboard": roles(*ADMIN),
    "admin.units": roles(*ADMIN, methods=BOTH),
    "admin.unit": roles(*ADMIN, methods=BOTH),
    "admin.people": roles(*ADMIN),
    "admin.person_new": roles(*ADMIN, methods=BOTH),
    "admin.person": roles(*ADMIN, methods=BOTH),
    "admin.person_export": roles(*ADMIN),
    "admin.role_grant": roles(*ADMIN, methods=POST),
    "admin.role_revoke": roles(*ADMIN, methods=POST),
    "admin.declared_role_grant": roles(*ADMIN, methods=POST),
    "admin.declared_role_revoke": roles(*ADMIN, methods=POST),
    # Import from HR: the dry run (POST) writes nothing; the apply writes what it showed.
    "admin.hr_import": roles(*ADMIN, methods=BOTH),
    "admin.hr_import_apply": roles(*ADMIN, methods=POST),
    "admin.hr_import_done": roles(*ADMIN),
    "admin.deputies": roles(*ADMIN, methods=BOTH),
    "admin.deputy_end": roles(*ADMIN, methods=POST),
    "admin.advisories": roles(*ADMIN, methods=BOTH),
    "admin.advisory_history": roles(*ADMIN),
    "admin.regions": roles(*ADMIN),
    "admin.country_lists_view": roles(*ADMIN, methods=BOTH),
    "admin.country_list": roles(*ADMIN, methods=BOTH),
    "admin.country_list_remove": roles(*ADMIN, methods=POST),
    # Advice feeds: the safety office imports and confirms; administrators also configure.
    "advice.index": roles(*ADMIN, Role.SAFETY_OFFICER),
    "advice.settings": roles(*ADMIN, methods=POST),
    "advice.fetch": roles(*ADMIN, Role.SAFETY_OFFICER, methods=POST),
    "advice.upload": roles(*ADMIN, Role.SAFETY_OFFICER, methods=POST),
    "advice.pending": roles(*ADMIN, Role.SAFETY_OFFICER),
    "advice.confirm": roles(*ADMIN, Role.SAFETY_OFFICER, methods=POST),
    "advice.dismiss": roles(*ADMIN, Role.SAFETY_OFFICER, methods=POST),
    "outbox.index": roles(*ADMIN),
    "outbox.retry": roles(*ADMIN, methods=POST),
    "procedures.show": roles(*ADMIN),
    # Procedure uploads.
    "procedures.uploads": roles(*ADMIN),
    "procedures.upload": roles(*ADMIN, methods=POST),
    "procedures.preview": roles(*ADMIN),
    "procedures.activate": roles(*ADMIN, methods=POST),
    "procedures.withdraw": roles(*ADMIN, methods=POST),
    # SCIM 2.0 provisioning by the identity provider: a token with the scope "scim". Every
    # route takes every method, so a method it does not serve gets a SCIM 405, not a page.
    **{
        f"scim.{name}": token("scim", *SCIM_METHODS)
        for name in (
            "service_provider_config",
            "resource_types",
            "resource_type",
            "schemas",
            "schema",
            "users",
            "users_search",
            "user",
            "groups",
            "groups_search",
            "group",
            "search_all",
            "root",
            "elsewhere",
        )
    },
    # Access tokens in the browser (travel_app/tokens/views.py).
    # One's own personal tokens: the view lists, makes and revokes the logged-in person's only.
    "tokens.personal": logged_in(*BOTH),
    "tokens.personal_revoke": logged_in(*BOTH),
    # Service tokens, and anyone's personal tokens to revoke (a leaver's).
    "tokens.service": roles(*ADMIN, methods=BOTH),
    "tokens.person_tokens": roles(*ADMIN),
    "tokens.admin_revoke": roles(*ADMIN, methods=BOTH),
    # Webhooks (travel_app/webhooks).
    "webhooks.index": roles(*ADMIN, methods=BOTH),
    "webhooks.edit": roles(*ADMIN, methods=BOTH),
    "webhooks.delete": roles(*ADMIN, methods=BOTH),
    "webhooks.deliveries": roles(*ADMIN),
    "webhooks.resend": roles(*ADMIN, methods=POST),
    # Booking import (travel_app/bookings).
    # Administrators and safety officers file an agency's bookings as drafts (dry run first).
    "bookings.upload": roles(Role.ADMIN, Role.SAFETY_OFFICER, methods=BOTH),
    "bookings.apply": roles(Role.ADMIN, Role.SAFETY_OFFICER, methods=POST),
    "bookings.applied": roles(Role.ADMIN, Role.SAFETY_OFFICER),
    # The JSON API (travel_app/api): its description is public; every other route takes a
    # personal token with the route's scope, and the view checks the object for its owner.
    "api.openapi": public(*GET),
    "api.docs": public(*GET),
    "api.elsewhere": public(*SCIM_METHODS),
    "api.list_trips": api("trips:read", *GET),
    "api.show_trip": api("trips:read", *GET),
    "api.create_trip": api("trips:write", *POST),
    "api.update_trip": api("trips:write", "PUT"),
    "api.submit": api("trips:write", *POST),
    "api.withdraw": api("trips:write", *POST),
    "api.change": api("trips:write", *POST),
    "api.tasks": api("decide", *GET),
    "api.decide": api("decide", *POST),
    # API: dossier items (travel_app/api/dossier.py).
    "api.list_dossier": api("trips:read", *GET),
    "api.complete_item": api("trips:write", *POST),
    "api.verify_item": api("decide", *POST),
    "api.reject_item": api("decide", *POST),
    "api.evidence": api("trips:read", *GET),
    # API: advisories and risk levels (travel_app/api/places.py).
    "api.show_place": api("advisories", *GET),
    "api.list_advisories": api("advisories", *GET),
    "api.set_advisory": api("advisories", *POST, held=ADMIN),
    # API: who is where and crisis messages (travel_app/api/duty.py).
    "api.duty_where": api("duty", *GET, held=DUTY),
    "api.create_crisis": api("duty", *POST, held=DUTY),
    "api.show_crisis": api("duty", *GET, held=DUTY),
    # API: people and units (travel_app/api/people.py).
    "api.list_people": api("people:read", *GET, held=ADMIN),
    "api.show_person": api("people:read", *GET, held=ADMIN),
    "api.list_units": api("people:read", *GET, held=ADMIN),
}

#: Routes that take a POST without a CSRF token: only an identity provider's signed answer. Even
#: the signed one-click links show a button whose form carries a token, so a link alone never
#: changes anything.
CSRF_EXEMPT: frozenset[str] = frozenset(
    {
        # The IdP posts the signed SAML answer from its own site; the assertion is the proof,
        # and it must answer a request this browser started (InResponseTo).
        "sso.saml_acs",
        # Any other path under /api/v1 answers a 404 or 405 problem: it changes nothing.
        "api.elsewhere",
    }
)


#: A token route reads no cookie, so a forged cross-site request carries nothing it accepts.
CSRF_EXEMPT = CSRF_EXEMPT | {e for e, rule in POLICY.items() if rule.scope}


def install(app: Flask) -> None:
    """Enforce the table on ``app``; a copy, so a test may list a route it adds."""
    app.extensions["access_policy"] = dict(POLICY)
    app.before_request(enforce)


def allowed_method(rule: Access, method: str) -> bool:
    """HEAD follows GET; OPTIONS is answered by Flask for any route a user may reach."""
    if method == "HEAD":
        method = "GET"
    return method == "OPTIONS" or method in rule.methods


def enforce() -> Response | None:
    """Before every view: refuse what the table does not allow (the 413 handler asks it too, as
    a body over the limit stops the request in the CSRF check, before this hook runs)."""
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: routing answers 404 or 405
        return None
    rule = current_app.extensions["access_policy"].get(endpoint)
    if rule is None or not allowed_method(rule, request.method):
        abort(403)
    if rule.public:
        return None
    if rule.scope is not None:
        from travel_app.tokens.guard import act_as_owner, require_token

        token = require_token(rule.scope)  # raises TokenRefused, which the blueprint answers
        if rule.personal:
            owner = act_as_owner(token)
            if rule.roles and not owner.has_any_role(*rule.roles):
                abort(403)
        return None
    if not current_user.is_authenticated:
        from travel_app.extensions import login_manager

        return login_manager.unauthorized()
    if rule.roles and not current_user.has_any_role(*rule.roles):
        abort(403)
    return None
