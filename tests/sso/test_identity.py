"""Who signs in: matched by subject and issuer (or provisioned external id), never by e-mail alone;
attributes mapped through the settings; what changed recorded; refusals before anything is written.

These drive ``identity.sign_in`` directly; the protocols' own tests (test_oidc, test_saml) sign in
through real providers and end in the same function.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from travel_app.core.audit import AuditEvent
from travel_app.org.models import Person, Role, UnitKind
from travel_app.sso import identity
from travel_app.sso.identity import RefusalReason, Refused
from travel_app.sso.models import ExternalIdentity
from travel_app.sso.settings import SettingsError, parse

TODAY = date(2026, 12, 1)
ISSUER = "https://idp.uni.example"

PROVIDER = parse(
    [
        {
            "id": "uni",
            "kind": "saml",
            "title": {"nl": "Universiteitsaccount", "en": "University account"},
            "attributes": {
                "subject": "eduPersonPrincipalName",
                "external_id": "eduPersonPrincipalName",
                "email": "mail",
                "name": "displayName",
                "language": "preferredLanguage",
                "unit": "ou",
                "units": {"Geography": "GEO"},
                "category": "eduPersonAffiliation",
                "categories": {"student": "student", "faculty": "professor", "staff": "atp"},
                "default_category": "atp",
                "groups": "isMemberOf",
                "roles": {"safety-office": "safety_officer"},
            },
        }
    ]
)[0]


def attrs(**overrides):
    base = {
        "eduPersonPrincipalName": ["jan@uni.example"],
        "mail": ["Jan.Peeters@uni.example"],
        "displayName": ["Jan Peeters"],
        "preferredLanguage": ["en-GB"],
        "ou": ["Geography"],
        "eduPersonAffiliation": ["member", "staff", "faculty"],
        "isMemberOf": [],
    }
    base.update(overrides)
    return base


def sign_in(attributes, *, self_registration=True, subject="ignored"):
    return identity.sign_in(
        PROVIDER,
        issuer=ISSUER,
        subject=subject,
        attributes=attributes,
        self_registration=self_registration,
        today=TODAY,
    )


def audit(action):
    return list(
        identity.db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def geography(make_unit):
    return make_unit(UnitKind.DEPARTMENT, code="GEO")


def test_first_sign_in_creates_the_person_with_the_mapped_attributes(db, geography):
    person = sign_in(attrs())
    db.session.commit()
    assert (person.email, person.name, person.language) == (
        "jan.peeters@uni.example",
        "Jan Peeters",
        "en",
    )
    assert person.unit == geography
    # The mapping's order decides among eduPersonAffiliation's values.
    assert person.category == "professor"
    assert person.external_id == "jan@uni.example"
    link = db.session.scalars(sa.select(ExternalIdentity)).one()
    assert (link.issuer, link.subject, link.person_id) == (ISSUER, "jan@uni.example", person.id)
    assert [e.data["provider"] for e in audit("person.self_registered")] == ["uni"]


def test_an_unknown_unit_lands_as_unit_missing(db, geography):
    person = sign_in(attrs(ou=["Astrology"]))
    db.session.commit()
    assert person.unit is None
    event = audit("person.self_registered")[0]
    assert event.data["unit_missing"] is True and event.data["unit_value"] == "Astrology"


def test_signing_in_again_updates_the_attributes_and_records_what_changed(db, geography, make_unit):
    person = sign_in(attrs())
    db.session.commit()
    history = make_unit(UnitKind.DEPARTMENT, code="HIS")
    again = sign_in(attrs(displayName=["Jan Peeters-Claes"], ou=["HIS"], preferredLanguage=["nl"]))
    db.session.commit()
    assert again.id == person.id
    assert (again.name, again.unit, again.language) == ("Jan Peeters-Claes", history, "nl")
    changes = audit("person.synced")[-1].data["changes"]
    assert changes["name"] == ["Jan Peeters", "Jan Peeters-Claes"]
    assert changes["unit"] == ["GEO", "HIS"]
    assert changes["language"] == ["en", "nl"]
    # Nothing changed: nothing recorded.
    sign_in(attrs(displayName=["Jan Peeters-Claes"], ou=["HIS"], preferredLanguage=["nl"]))
    db.session.commit()
    assert len(audit("person.synced")) == 1


def test_a_unit_the_administrator_settled_is_not_undone_by_an_unknown_value(db, geography):
    person = sign_in(attrs(ou=["Astrology"]))
    db.session.commit()
    person.unit = geography  # the administrator settles "unit missing"
    db.session.commit()
    sign_in(attrs(ou=["Astrology"]))
    db.session.commit()
    assert person.unit == geography


def test_an_existing_account_with_the_same_e_mail_is_not_taken_over(db, make_person):
    make_person(email="jan.peeters@uni.example", name="Someone Else")
    with pytest.raises(Refused) as refused:
        sign_in(attrs())
    assert refused.value.reason is RefusalReason.EMAIL_TAKEN
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExternalIdentity)) == 0


def test_a_provisioned_person_is_found_by_external_id_not_by_e_mail(db, make_person):
    provisioned = make_person(email="j.peeters@uni.example", name="J. Peeters")
    provisioned.external_id = "jan@uni.example"
    db.session.commit()
    person = sign_in(attrs())
    db.session.commit()
    assert person.id == provisioned.id
    # The provider's newer address replaces the provisioned one, recorded as a change.
    assert person.email == "jan.peeters@uni.example"


def test_self_registration_off_refuses_the_unknown_and_writes_nothing(db):
    with pytest.raises(Refused) as refused:
        sign_in(attrs(), self_registration=False)
    assert refused.value.reason is RefusalReason.UNKNOWN_PERSON
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


def test_a_deactivated_person_is_refused(db, geography):
    person = sign_in(attrs())
    person.is_active_account = False
    db.session.commit()
    with pytest.raises(Refused) as refused:
        sign_in(attrs())
    assert refused.value.reason is RefusalReason.DEACTIVATED


def test_a_missing_subject_is_refused(db):
    with pytest.raises(Refused) as refused:
        sign_in(attrs(eduPersonPrincipalName=[]))
    assert refused.value.reason is RefusalReason.MISSING_ATTRIBUTE


def test_groups_grant_and_take_back_only_the_roles_the_mapping_manages(db, geography):
    person = sign_in(attrs(isMemberOf=["safety-office", "choir"]))
    db.session.commit()
    assert person.has_role(Role.SAFETY_OFFICER)
    person.roles  # noqa: B018 - loaded
    from travel_app.org import operations as org_ops

    org_ops.grant_role(person, Role.CRISIS_TEAM, None, None)  # assigned in the service
    db.session.commit()
    sign_in(attrs(isMemberOf=["choir"]))
    db.session.commit()
    db.session.refresh(person)
    assert not person.has_role(Role.SAFETY_OFFICER)
    assert person.has_role(Role.CRISIS_TEAM)
    assert audit("person.synced")[-1].data["changes"]["roles"] == [["-", "safety_officer"]]


def test_an_assertion_id_is_accepted_once(db):
    from datetime import UTC, datetime, timedelta

    until = datetime.now(UTC) + timedelta(minutes=5)
    assert identity.claim_assertion("_abc", until) is True
    db.session.commit()
    assert identity.claim_assertion("_abc", until) is False


@pytest.mark.parametrize(
    "raw, message",
    [
        ([{"id": "Bad Id", "kind": "oidc", "title": "x"}], "lower-case"),
        ([{"id": "a", "kind": "ldap", "title": "x"}], "kind"),
        ([{"id": "a", "kind": "oidc"}], "title"),
        ([{"id": "a", "kind": "oidc", "title": "x"}] * 2, "used twice"),
        ([{"id": "a", "kind": "oidc", "title": "x", "attributes": {"colour": "x"}}], "colour"),
        (
            [{"id": "a", "kind": "oidc", "title": "x", "attributes": {"roles": {"g": "boss"}}}],
            "unknown role",
        ),
    ],
)
def test_wrong_provider_settings_stop_the_start_with_a_clear_message(raw, message):
    with pytest.raises(SettingsError, match=message):
        parse(raw)
