"""Trip forms. Every rule that needs no routing is checked here, before anything is saved."""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from travel_app.core.bounds import DateField, IdField
from travel_app.core.forms import SiteForm, choices
from travel_app.core.i18n import lazy_gettext as _l
from travel_app.core.i18n import ngettext
from travel_app.core.widgets import QuickSelect
from travel_app.extensions import db
from travel_app.org.models import Person, normalise_email
from travel_app.places import geography
from travel_app.trips.models import TripState
from travel_app.trips.operations import LegData, TripData
from workflows.engine import OUTCOMES_OF, Outcome
from workflows.model import Mode, Procedure

MAX_LEGS = 20
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,40}$")


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later (28 February for a 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class LegForm(Form):
    """One stay; a sub-form without its own CSRF token (the trip form carries it)."""

    country = SelectField(
        _l("Country"), validators=[DataRequired()], validate_choice=False, widget=QuickSelect()
    )
    region = SelectField(
        _l("Region (optional)"),
        validators=[Optional()],
        validate_choice=False,
        widget=QuickSelect(),
    )
    city = StringField(_l("City"), filters=[_strip], validators=[Optional(), Length(max=200)])
    arrives_on = DateField(_l("Arrival"), validators=[InputRequired()])
    leaves_on = DateField(_l("Departure"), validators=[InputRequired()])
    accommodation = StringField(
        _l("Accommodation (address, phone)"),
        filters=[_strip],
        validators=[Optional(), Length(max=500)],
    )

    def validate_country(self, field: Any) -> None:
        if not geography.is_country(field.data):
            raise ValidationError(_l("Unknown country code."))
        field.data = field.data.upper()

    def validate_region(self, field: Any) -> None:
        if not field.data:
            field.data = None
            return
        field.data = field.data.upper()
        country = (self.country.data or "").upper()
        if not geography.region_in_country(field.data, country):
            raise ValidationError(_l("This region is not in the chosen country."))

    def validate_leaves_on(self, field: Any) -> None:
        if self.arrives_on.data and field.data and field.data < self.arrives_on.data:
            raise ValidationError(_l("The departure from a place cannot come before the arrival."))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TripForm(SiteForm):
    purpose = StringField(
        _l("Purpose of the trip"), filters=[_strip], validators=[DataRequired(), Length(max=500)]
    )
    why_not_remote = TextAreaField(
        _l("Why can this not be done remotely?"),
        filters=[_strip],
        validators=[Optional(), Length(max=5000)],
    )
    why_not_later = TextAreaField(
        _l("Why can it not wait until the risk is lower?"),
        filters=[_strip],
        validators=[Optional(), Length(max=5000)],
    )
    impact_if_cancelled = TextAreaField(
        _l("What is the impact if the trip is cancelled?"),
        filters=[_strip],
        validators=[Optional(), Length(max=5000)],
    )
    legs = FieldList(FormField(LegForm), min_entries=1)
    flags = MultiCheckboxField(_l("Activity and traveller"), validate_choice=False)
    co_travellers = TextAreaField(
        _l("Co-travellers (e-mail addresses, one per line; each gets their own approval)"),
        filters=[_strip],
        validators=[Optional(), Length(max=5000)],
    )
    emergency_name = StringField(
        _l("Emergency contact at home: name"),
        filters=[_strip],
        validators=[Optional(), Length(max=200)],
    )
    emergency_phone = StringField(
        _l("Emergency contact at home: phone"),
        filters=[_strip],
        validators=[Optional(), Length(max=40)],
    )
    cost_centre = StringField(
        _l("Cost centre"), filters=[_strip], validators=[Optional(), Length(max=40)]
    )
    mobile_phone = StringField(
        _l("Your phone while travelling (for the crisis team)"),
        filters=[_strip],
        validators=[Optional(), Length(max=40)],
    )
    medical_note = TextAreaField(
        _l("Medical information for emergencies (optional)"),
        description=_l(
            "Allergies, conditions, medication. Stored encrypted; only you see it, and the"
            " crisis team in an emergency, after stating why (each opening is logged)."
        ),
        filters=[_strip],
        validators=[Optional(), Length(max=2000)],
    )
    version = HiddenField()

    def __init__(
        self, *args: Any, procedure: Procedure, traveller: Person, locale: str = "en", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.traveller = traveller
        self.today = date.today()
        self.flags.choices = choices((f.id, f.name(locale)) for f in procedure.flags.values())
        self._procedure = procedure
        self._countries = choices(
            [("", "—")] + [(p.code, p.name) for p in geography.countries(locale)]
        )
        for entry in self.legs:
            self._leg_choices(entry.form)
        self.co_traveller_people: list[Person] = []

    def _leg_choices(self, leg: LegForm) -> None:
        """Countries for every leg; regions only of the leg's chosen country."""
        leg.country.choices = self._countries
        code = (leg.country.data or "").upper()
        regions = geography.regions(code, str(get_locale())) if geography.is_country(code) else ()
        leg.region.choices = choices(
            [("", _l("Whole country"))] + [(r.code, r.name) for r in regions]
        )

    def add_leg(self) -> None:
        self._leg_choices(self.legs.append_entry().form)

    def remove_leg(self, index: int) -> None:
        if 0 <= index < len(self.legs.entries):
            self.legs.entries.pop(index)

    def validate_flags(self, field: Any) -> None:
        unknown = set(field.data or ()) - set(self._procedure.flags)
        if unknown:
            raise ValidationError(_l("Unknown activity flag."))

    def validate_legs(self, field: Any) -> None:
        if len(field.entries) > MAX_LEGS:
            raise ValidationError(_("A trip has at most %(n)s legs.", n=MAX_LEGS))
        legs = [e.form for e in field.entries]
        for leg in legs:
            if leg.arrives_on.data and leg.arrives_on.data < self.today:
                leg.arrives_on.errors = [*leg.arrives_on.errors, _l("This date lies in the past.")]
                raise ValidationError(_l("Dates in the past are not accepted."))
        years = current_app.config["TRIP_MAX_YEARS_AHEAD"]
        latest = years_after(self.today, years)
        for leg in legs:
            for day in (leg.arrives_on, leg.leaves_on):
                if day.data and day.data > latest:
                    message = ngettext(
                        "A trip may end at most %(years)s year ahead: on %(day)s at the latest.",
                        "A trip may end at most %(years)s years ahead: on %(day)s at the latest.",
                        years,
                        years=years,
                        day=latest.isoformat(),
                    )
                    day.errors = [*day.errors, message]
                    raise ValidationError(message)
        dated = sorted(
            (leg for leg in legs if leg.arrives_on.data and leg.leaves_on.data),
            key=lambda leg: leg.arrives_on.data,
        )
        for before, after in itertools.pairwise(dated):
            if after.arrives_on.data < before.leaves_on.data:
                after.arrives_on.errors = [
                    *after.arrives_on.errors,
                    _l("This stay overlaps the previous one."),
                ]
                raise ValidationError(
                    _l("Two legs overlap: each stay must end before the next begins.")
                )

    def validate_co_travellers(self, field: Any) -> None:
        emails = [normalise_email(e) for e in re.split(r"[\s,;]+", field.data or "") if e.strip()]
        if not emails:
            return
        found = {
            p.email: p
            for p in db.session.scalars(
                sa.select(Person).where(
                    Person.email.in_(emails), Person.is_active_account.is_(True)
                )
            )
        }
        missing = [e for e in emails if e not in found]
        if missing:
            raise ValidationError(
                _(
                    "Nobody with this e-mail address is known: %(emails)s",
                    emails=", ".join(missing),
                )
            )
        if self.traveller.email in found:
            raise ValidationError(_l("You are the traveller; list only the others."))
        self.co_traveller_people = list(dict.fromkeys(found[e] for e in emails))

    def validate_emergency_phone(self, field: Any) -> None:
        if field.data and not PHONE_RE.match(field.data):
            raise ValidationError(_l("Give a phone number with digits, spaces and an optional +."))

    validate_mobile_phone = validate_emergency_phone

    def to_data(self) -> TripData:
        return TripData(
            purpose=self.purpose.data,
            legs=tuple(
                LegData(
                    country_code=e.form.country.data,
                    region_code=e.form.region.data or None,
                    city=e.form.city.data or "",
                    arrives_on=e.form.arrives_on.data,
                    leaves_on=e.form.leaves_on.data,
                    accommodation=e.form.accommodation.data or "",
                )
                for e in self.legs.entries
            ),
            why_not_remote=self.why_not_remote.data or "",
            why_not_later=self.why_not_later.data or "",
            impact_if_cancelled=self.impact_if_cancelled.data or "",
            flags=tuple(self.flags.data or ()),
            co_traveller_ids=tuple(p.id for p in self.co_traveller_people),
            emergency_name=self.emergency_name.data or "",
            emergency_phone=self.emergency_phone.data or "",
            cost_centre=self.cost_centre.data or "",
            mobile_phone=self.mobile_phone.data or "",
            medical_note=self.medical_note.data or "",
        )


OUTCOME_TITLES = {
    Outcome.APPROVE: _l("Approve"),
    Outcome.APPROVE_WITH_CONDITIONS: _l("Approve with conditions"),
    Outcome.REQUEST_CHANGES: _l("Request changes"),
    Outcome.REJECT: _l("Reject"),
    Outcome.ADVISE: _l("Give advice"),
    Outcome.FAVOURABLE: _l("Recommend"),
    Outcome.UNFAVOURABLE: _l("Recommend against"),
}
#: A support step forwards the request or stops it: its two answers in its own words.
SUPPORT_TITLES = {
    Outcome.APPROVE: _l("Support and forward"),
    Outcome.REJECT: _l("Stop the request"),
}
#: The comment box's label per kind of step: it says when a comment is needed.
COMMENT_LABELS = {
    Mode.DECIDE: _l("Comment (required to reject, to request changes and for advice)"),
    Mode.ADVISE: _l("Comment (required to reject, to request changes and for advice)"),
    Mode.RECOMMEND: _l("Comment (required to recommend against)"),
    Mode.SUPPORT: _l("Comment (required to stop the request)"),
}
#: The outcomes that need a comment, each with what the comment box then says.
COMMENT_NEEDED = {
    Outcome.REJECT: _l("This decision needs a comment."),
    Outcome.REQUEST_CHANGES: _l("This decision needs a comment."),
    Outcome.ADVISE: _l("This decision needs a comment."),
    Outcome.UNFAVOURABLE: _l("Say why you recommend against it."),
}


def outcome_title(outcome: Outcome, mode: Mode | None = None) -> str:
    """An outcome in words, as the kind of step words it (a support step forwards or stops)."""
    if mode is Mode.SUPPORT and outcome in SUPPORT_TITLES:
        return str(SUPPORT_TITLES[outcome])
    return str(OUTCOME_TITLES[outcome])


class DecisionForm(SiteForm):
    step_id = HiddenField(validators=[DataRequired()])
    on_behalf_of = IdField(validators=[Optional()])
    version = IdField(validators=[InputRequired()])
    outcome = SelectField(_l("Decision"), validators=[DataRequired()], validate_choice=False)
    # Not ``Optional()``: it would end the check of an empty box before the outcome's needs.
    comment = TextAreaField(
        COMMENT_LABELS[Mode.DECIDE], filters=[_strip], validators=[Length(max=5000)]
    )
    conditions = TextAreaField(
        _l("Conditions (one per line; they become items of the mission dossier)"),
        filters=[_strip],
        validators=[Length(max=5000)],
    )
    #: The answers offered (:meth:`offer`); None: any answer, for the engine to judge.
    offered: tuple[Outcome, ...] | None = None
    #: Whether the step may approve with conditions (else the conditions box is not shown).
    asks_conditions = True

    def offer(self, mode: Mode | None, outcomes: tuple[Outcome, ...] | None = None) -> None:
        """Offer the answers of a step of this kind (``outcomes``: the engine's for it; by
        default every answer of the kind, or every answer when the step is unknown, for the
        engine to refuse), worded and labelled for it."""
        if outcomes is None:
            outcomes = OUTCOMES_OF[mode] if mode is not None else tuple(OUTCOME_TITLES)
        self.offered = outcomes
        self.outcome.choices = choices((o.value, outcome_title(o, mode)) for o in outcomes)
        if mode is not None and mode in COMMENT_LABELS:
            self.comment.label.text = COMMENT_LABELS[mode]
        self.asks_conditions = Outcome.APPROVE_WITH_CONDITIONS in outcomes

    def validate_outcome(self, field: Any) -> None:
        try:
            outcome = Outcome(field.data)
        except ValueError:
            raise ValidationError(_l("Unknown decision.")) from None
        if self.offered is not None and outcome not in self.offered:
            raise ValidationError(_l("This outcome does not fit this step."))
        field.outcome = outcome

    # The boxes an outcome needs say so under themselves: a field's errors are reset when its
    # own validation starts, so the message is raised there, not set from ``validate_outcome``.

    def validate_comment(self, field: Any) -> None:
        outcome = self._outcome()
        needed = COMMENT_NEEDED.get(outcome) if outcome is not None else None
        if needed is not None and not field.data:
            raise ValidationError(needed)

    def validate_conditions(self, field: Any) -> None:
        if self._outcome() is Outcome.APPROVE_WITH_CONDITIONS and not self.condition_list():
            raise ValidationError(_l("Give at least one condition."))

    def _outcome(self) -> Outcome | None:
        """The outcome chosen, if it is one at all."""
        try:
            return Outcome(self.outcome.data)
        except ValueError:
            return None

    def condition_list(self) -> tuple[str, ...]:
        lines = (self.conditions.data or "").splitlines()
        return tuple(line.strip() for line in lines if line.strip())


class OwnDetailsForm(SiteForm):
    """The traveller's own emergency contact, phone and medical note, on a submitted trip."""

    version = IdField(validators=[InputRequired()])
    emergency_name = TripForm.emergency_name
    emergency_phone = TripForm.emergency_phone
    mobile_phone = TripForm.mobile_phone
    medical_note = TripForm.medical_note

    validate_emergency_phone = TripForm.validate_emergency_phone
    validate_mobile_phone = TripForm.validate_emergency_phone


class ReasonForm(SiteForm):
    version = IdField(validators=[InputRequired()])
    reason = TextAreaField(
        _l("Reason"), filters=[_strip], validators=[Optional(), Length(max=5000)]
    )


class FilterForm(SiteForm):
    """The all-trips filter (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    state = SelectField(_l("State"), validators=[Optional()], validate_choice=False)
    level = SelectField(_l("Level"), validators=[Optional()], validate_choice=False)
    country = SelectField(
        _l("Country"), validators=[Optional()], validate_choice=False, widget=QuickSelect()
    )
    faculty = SelectField(_l("Faculty"), validators=[Optional()], validate_choice=False)
    departs_from = DateField(_l("Departing from"), validators=[Optional()])
    departs_until = DateField(_l("Departing until"), validators=[Optional()])
    attention = SelectField(_l("Flagged"), validators=[Optional()], validate_choice=False)

    def __init__(self, *args: Any, faculties: list[Any], locale: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.state.choices = choices(
            [("", _l("Any"))] + [(s.value, s.title) for s in TripState if s is not TripState.DRAFT]
        )
        self.level.choices = choices([("", _l("Any"))] + [(str(n), str(n)) for n in range(4)])
        self.country.choices = choices(
            [("", _l("Any"))] + [(p.code, p.name) for p in geography.countries(locale)]
        )
        self.faculty.choices = choices(
            [("", _l("Any"))] + [(str(f.id), f.name(locale)) for f in faculties]
        )
        self.attention.choices = choices([("", _l("Any")), ("1", _l("Needs attention"))])
        self._faculties = {str(f.id) for f in faculties}

    def validate_state(self, field: Any) -> None:
        if field.data and field.data not in {s.value for s in TripState}:
            raise ValidationError(_l("Unknown state."))

    def validate_level(self, field: Any) -> None:
        if field.data and field.data not in {"0", "1", "2", "3"}:
            raise ValidationError(_l("Unknown level."))

    def validate_country(self, field: Any) -> None:
        if field.data and not geography.is_country(field.data):
            raise ValidationError(_l("Unknown country code."))

    def validate_faculty(self, field: Any) -> None:
        if field.data and field.data not in self._faculties:
            raise ValidationError(_l("Unknown faculty."))
