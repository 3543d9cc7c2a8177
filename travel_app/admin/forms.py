"""Administrator forms. Every rule that can be checked before saving is checked here."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from travel_app.core.bounds import DateField
from travel_app.core.forms import SiteForm, choices
from travel_app.core.i18n import lazy_gettext as _l
from travel_app.core.widgets import QuickSelect
from travel_app.extensions import db
from travel_app.org.forms import PersonEmailField, person_by_email
from travel_app.org.models import (
    ALLOWED_PARENT,
    DeclaredRoleAssignment,
    Person,
    Role,
    Unit,
    UnitKind,
)
from travel_app.places import geography
from travel_app.places.forms import AdvisoryForm  # noqa: F401  (the page's form, shared)
from travel_app.places.models import CountryList
from travel_app.procedures.categories import category_choices
from workflows.model import NAME_PATTERN, DeclaredRole, Procedure

#: Advice may be entered ahead of time, but not further ahead than this.
MAX_FUTURE = timedelta(days=365)
#: Country list codes and advisory tags: the names procedure files refer to, checked by the
#: procedure loader with the same pattern so a file never names what nobody can enter.
CODE_RE = TAG_RE = re.compile(NAME_PATTERN)


LANGUAGES = (("nl", "Nederlands"), ("en", "English"))


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class UnitForm(SiteForm):
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    code = StringField(_l("Code"), filters=[_strip], validators=[DataRequired(), Length(max=32)])
    name_nl = StringField(
        _l("Name (Dutch)"), filters=[_strip], validators=[DataRequired(), Length(max=200)]
    )
    name_en = StringField(
        _l("Name (English)"), filters=[_strip], validators=[DataRequired(), Length(max=200)]
    )
    parent = SelectField(_l("Part of"), coerce=str, validate_choice=False)
    head = PersonEmailField(_l("Head (e-mail)"), filters=[_strip], validators=[Optional(), Email()])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._units = {str(u.id): u for u in units}
        self.kind.choices = choices((k.value, k.title) for k in UnitKind)
        self.parent.choices = choices(
            [("", "—")] + [(str(u.id), f"{u.code} – {u.name_en}") for u in units]
        )

    def validate_code(self, field: Any) -> None:
        if db.session.scalar(sa.select(Unit.id).where(Unit.code == field.data)):
            raise ValidationError(_l("A unit with this code exists."))

    def validate_parent(self, field: Any) -> None:
        kind = UnitKind(self.kind.data) if self.kind.data in {k.value for k in UnitKind} else None
        parent = self._units.get(field.data or "")
        if field.data and parent is None:
            raise ValidationError(_l("Unknown unit."))
        if kind is None:
            return
        wanted = ALLOWED_PARENT[kind]
        if wanted is None and parent is not None:
            raise ValidationError(_l("A university is not part of another unit."))
        if wanted is not None and (parent is None or parent.kind is not wanted):
            raise ValidationError(
                _("A %(kind)s must be part of a %(parent)s.", kind=kind.title, parent=wanted.title)
            )

    @property
    def parent_unit(self) -> Unit | None:
        return self._units.get(self.parent.data or "")


class UnitEditForm(SiteForm):
    name_nl = UnitForm.name_nl
    name_en = UnitForm.name_en
    head = PersonEmailField(_l("Head (e-mail)"), filters=[_strip], validators=[Optional(), Email()])
    submit = SubmitField(_l("Save"))


class PersonForm(SiteForm):
    email = EmailField(
        _l("E-mail"), filters=[_strip], validators=[DataRequired(), Email(), Length(max=254)]
    )
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=200)])
    #: The categories of the procedure in force, checked in ``validate_category``.
    category = SelectField(_l("Category"), validators=[DataRequired()], validate_choice=False)
    unit = SelectField(_l("Unit"), validate_choice=False)
    language = SelectField(
        _l("Language"),
        choices=choices(LANGUAGES),
        validators=[DataRequired()],
    )
    nationalities = SelectMultipleField(_l("Nationalities"), validate_choice=False)
    promoter = PersonEmailField(
        _l("PhD promoter (e-mail)"), filters=[_strip], validators=[Optional(), Email()]
    )
    is_active = BooleanField(_l("Active (may log in)"), default=True)
    password = PasswordField(
        _l("New password (leave empty to keep)"), validators=[Optional(), Length(min=10, max=200)]
    )
    submit = SubmitField(_l("Save"))

    def __init__(
        self,
        *args: Any,
        units: list[Unit],
        person: Person | None = None,
        acting: Person,
        procedure: Procedure,
        locale: str = "en",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._person = person
        self._acting = acting
        self._units = {str(u.id): u for u in units}
        # A stored code the procedure no longer declares stays selectable, so saving the
        # person's other fields does not change their category behind the administrator's back.
        current = person.category if person is not None else None
        pairs = category_choices(procedure, locale, keep=current)
        self._categories = {code for code, _title in pairs}
        self.category.choices = choices(pairs)
        self.unit.choices = choices(
            [("", "—")] + [(str(u.id), f"{u.code} – {u.name(locale)}") for u in units]
        )
        self.nationalities.choices = choices((p.code, p.name) for p in geography.countries(locale))

    def validate_email(self, field: Any) -> None:
        existing = person_by_email(field.data)
        if existing is not None and existing is not self._person:
            raise ValidationError(_l("Another person has this e-mail address."))

    def validate_category(self, field: Any) -> None:
        if field.data not in self._categories:
            raise ValidationError(_l("The procedure in force declares no such category."))

    def validate_unit(self, field: Any) -> None:
        if field.data and field.data not in self._units:
            raise ValidationError(_l("Unknown unit."))

    def validate_nationalities(self, field: Any) -> None:
        bad = [c for c in field.data or [] if not geography.is_country(c)]
        if bad:
            raise ValidationError(_("Unknown country code: %(codes)s", codes=", ".join(bad)))

    def validate_is_active(self, field: Any) -> None:
        # Administrators cannot lock themselves out; another administrator always remains.
        if not field.data and self._person is not None and self._person.id == self._acting.id:
            raise ValidationError(_l("You cannot deactivate your own account."))

    def validate_promoter(self, field: Any) -> None:
        if field.person is not None and field.person is self._person:
            raise ValidationError(_l("Nobody is their own promoter."))

    @property
    def unit_obj(self) -> Unit | None:
        return self._units.get(self.unit.data or "")


class RoleForm(SiteForm):
    role = SelectField(_l("Role"), validators=[DataRequired()])
    unit = SelectField(_l("Faculty (for a faculty authority)"), validate_choice=False)
    submit = SubmitField(_l("Grant"))

    def __init__(self, *args: Any, faculties: list[Unit], person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._person = person
        self._faculties = {str(u.id): u for u in faculties}
        self.role.choices = choices((r.value, r.title) for r in Role)
        self.unit.choices = choices([("", "—")] + [(str(u.id), u.code) for u in faculties])

    def validate_unit(self, field: Any) -> None:
        role = Role(self.role.data) if self.role.data in {r.value for r in Role} else None
        if role is None:
            return
        if role.needs_unit and field.data not in self._faculties:
            raise ValidationError(_l("Choose the faculty this authority acts for."))
        unit = self._faculties.get(field.data) if role.needs_unit else None
        if self._person.has_role(role, unit) and (unit is not None or not role.needs_unit):
            raise ValidationError(_l("This person already holds this role."))

    @property
    def unit_obj(self) -> Unit | None:
        role = Role(self.role.data)
        return self._faculties.get(self.unit.data or "") if role.needs_unit else None


class DeclaredRoleForm(SiteForm):
    """Grant a role the procedure in force declares (a body, or a role held per unit)."""

    role = SelectField(
        _l("Role of the procedure"),
        validators=[DataRequired(message=_l("Choose a role."))],
        validate_choice=False,
    )
    unit = SelectField(_l("Unit (for a role held per unit)"), validate_choice=False)
    submit = SubmitField(_l("Grant"))

    def __init__(
        self,
        *args: Any,
        procedure: Procedure,
        units: list[Unit],
        held: list[DeclaredRoleAssignment],
        locale: str = "en",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._locale = locale
        self._held = held
        self._roles = {c: r for c, r in procedure.roles.items() if not r.builtin}
        self._units = {str(u.id): u for u in units}
        kinds = {r.unit_kind for r in self._roles.values() if r.unit_kind is not None}
        titles = sorted(((c, r.name(locale)) for c, r in self._roles.items()), key=lambda c: c[1])
        self.role.choices = choices([("", "—"), *titles])
        self.unit.choices = choices(
            [
                ("", "—"),
                *(
                    (str(u.id), f"{u.code} – {u.name(locale)} ({u.kind.title})")
                    for u in units
                    if u.kind.value in kinds
                ),
            ]
        )

    @property
    def declared(self) -> DeclaredRole | None:
        return self._roles.get(self.role.data or "")

    @property
    def unit_obj(self) -> Unit | None:
        role = self.declared
        if role is None or role.unit_kind is None:
            return None
        return self._units.get(self.unit.data or "")

    def validate_role(self, field: Any) -> None:
        if self.declared is None:
            raise ValidationError(_l("The procedure in force declares no such role."))

    def validate_unit(self, field: Any) -> None:
        role = self.declared
        if role is None:
            return
        if role.unit_kind is None:
            unit_id = None
        else:
            unit = self._units.get(field.data or "")
            if unit is None or unit.kind.value != role.unit_kind:
                raise ValidationError(
                    _(
                        "%(role)s is held per %(kind)s: choose a %(kind)s.",
                        role=role.name(self._locale),
                        kind=UnitKind(role.unit_kind).title.lower(),
                    )
                )
            unit_id = unit.id
        if any(a.code == role.id and a.unit_id == unit_id for a in self._held):
            raise ValidationError(_l("This person already holds this role."))


class DeputyForm(SiteForm):
    person = PersonEmailField(
        _l("Absent person (e-mail)"), filters=[_strip], validators=[DataRequired(), Email()]
    )
    deputy = PersonEmailField(
        _l("Deputy (e-mail)"), filters=[_strip], validators=[DataRequired(), Email()]
    )
    starts_on = DateField(_l("From"), validators=[InputRequired()])
    ends_on = DateField(_l("Until (inclusive)"), validators=[InputRequired()])
    note = StringField(_l("Note"), filters=[_strip], validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Add deputy"))

    def validate_deputy(self, field: Any) -> None:
        if field.person is not None and field.person is self.person.person:
            raise ValidationError(_l("A person cannot be their own deputy."))

    def validate_ends_on(self, field: Any) -> None:
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date is before the start date."))


class CountryListForm(SiteForm):
    code = StringField(_l("Code"), filters=[_strip], validators=[DataRequired(), Length(max=40)])
    name_nl = StringField(
        _l("Name (Dutch)"), filters=[_strip], validators=[DataRequired(), Length(max=200)]
    )
    name_en = StringField(
        _l("Name (English)"), filters=[_strip], validators=[DataRequired(), Length(max=200)]
    )
    description = TextAreaField(
        _l("Description"), filters=[_strip], validators=[Optional(), Length(max=2000)]
    )
    submit = SubmitField(_l("Create list"))

    def validate_code(self, field: Any) -> None:
        if not CODE_RE.match(field.data):
            raise ValidationError(_l("Use lower-case letters, digits, - and _."))
        if db.session.scalar(sa.select(CountryList.id).where(CountryList.code == field.data)):
            raise ValidationError(_l("A list with this code exists."))


class CountryListEntryForm(SiteForm):
    country = SelectField(
        _l("Country"), validators=[DataRequired()], validate_choice=False, widget=QuickSelect()
    )
    note = StringField(_l("Note"), filters=[_strip], validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Add"))

    def __init__(
        self, *args: Any, country_list: CountryList, locale: str = "en", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._list = country_list
        self.country.choices = choices(
            [("", "—")] + [(p.code, p.name) for p in geography.countries(locale)]
        )

    def validate_country(self, field: Any) -> None:
        if not geography.is_country(field.data):
            raise ValidationError(_l("Unknown country code."))
        field.data = field.data.upper()
        if any(e.country_code == field.data for e in self._list.entries):
            raise ValidationError(_l("This country is already on the list."))
