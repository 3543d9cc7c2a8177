"""Forms for dossier items, and the rows of the checklist the trip page shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from travel_app.core.bounds import DateField
from travel_app.core.forms import SiteForm
from travel_app.core.i18n import gettext as _
from travel_app.core.i18n import lazy_gettext as _l
from travel_app.core.upload_limits import file_limit, human_size, limit_attributes
from travel_app.dossier import operations as ops
from travel_app.dossier.models import DossierItem
from travel_app.org.models import Person
from travel_app.trips import routing
from travel_app.trips.models import Trip
from workflows.model import Stage


def evidence_limit() -> int:
    """The largest evidence file accepted (``UPLOAD_MAX_BYTES``)."""
    return file_limit(int(current_app.config["UPLOAD_MAX_BYTES"]))


class EvidenceForm(SiteForm):
    text = TextAreaField(_l("Evidence"), validators=[Optional(), Length(max=ops.MAX_TEXT)])
    day = DateField(_l("Date"), validators=[Optional()])
    upload = FileField(_l("File (PDF, JPEG or PNG)"))


class RejectForm(SiteForm):
    reason = StringField(
        _l("Why is it rejected?"), validators=[DataRequired(), Length(max=ops.MAX_TEXT)]
    )


@dataclass
class Row:
    item: DossierItem
    evidence: EvidenceForm | None
    reject: RejectForm | None
    can_verify: bool
    error: str | None = None
    #: Due with the request (before the route's first stage), not by a date before departure.
    with_request: bool = False


def checklist(
    trip: Trip, person: Person, items: list[DossierItem], errors: dict[int, Any] | None = None
) -> list[Row]:
    """One row per item, with the forms this person may use on it (ids unique per item)."""
    errors = errors or {}
    with_request = {rule.id for rule in routing.procedure_of(trip).dossier if rule.with_request}
    rows = []
    for item in items:
        evidence = reject = None
        if ops.can_complete(item, trip, person):
            evidence = EvidenceForm(
                formdata=None,
                prefix=f"item{item.id}",
                data={"text": item.evidence_text, "day": item.evidence_date},
            )
            # A document and its date are asked together, both required, the date named.
            evidence.day.label.text = item.date_label
            evidence.day.render_kw = {"required": True} if item.asks_date else None
            if item.asks_file:
                # The limit beside the field before choosing, and the browser's own check of it.
                limit = evidence_limit()
                evidence.upload.description = _(
                    "PDF, JPEG or PNG, at most %(size)s", size=human_size(limit)
                )
                evidence.upload.render_kw = {"required": True, **limit_attributes(limit)}
        verify = ops.can_verify(item, trip, person)
        if verify:
            reject = RejectForm(formdata=None, prefix=f"reject{item.id}")
        rows.append(
            Row(
                item,
                evidence,
                reject,
                verify,
                errors.get(item.id),
                item.before_stage is not None and item.rule_id in with_request,
            )
        )
    return rows


@dataclass(frozen=True)
class StageRow:
    item: DossierItem
    #: The stage's decision waits until it is done.
    blocks: bool


@dataclass(frozen=True)
class StageItems:
    """What the trip page shows its deciders of the stage under review (and the traveller)."""

    stage: Stage
    rows: list[StageRow]
    #: The viewer may read the evidence and open the files (the dossier's own rule).
    shows_evidence: bool

    @property
    def blocked(self) -> bool:
        return any(row.blocks for row in self.rows)


def stage_items(due: ops.StageDue, shows_evidence: bool) -> StageItems:
    """The rows for the items due before the stage under review, blocking ones first."""
    rows = [StageRow(item, item.rule_id in due.holding) for item in due.items]
    rows.sort(key=lambda row: not row.blocks)
    return StageItems(due.stage, rows, shows_evidence)
