"""``/api/v1``: a trip's dossier items, completed with evidence, verified or rejected, through the
same predicates, forms, upload checks and verbs as the checklist on the trip page."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Response, current_app, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage, MultiDict

from travel_app.api import schemas
from travel_app.api.problems import ApiProblem
from travel_app.api.spec import IF_MATCH, api, headers
from travel_app.api.views import (
    READ_ERRORS,
    WRITE_ERRORS,
    _form_errors,
    _locale,
    _me,
    _require_body,
    _require_match,
    _today,
    _visible,
    answers,
    bp,
    etag,
    require_json,
)
from travel_app.core import audit
from travel_app.core.upload_limits import too_large
from travel_app.dossier import operations as ops
from travel_app.dossier import uploads
from travel_app.dossier.forms import EvidenceForm, RejectForm, evidence_limit
from travel_app.dossier.models import DossierItem
from travel_app.extensions import db
from travel_app.org.models import Person, Role
from travel_app.trips import routing
from travel_app.trips.models import Trip
from travel_app.trips.operations import claim
from workflows.conditions import in_words
from workflows.model import Procedure

#: The download's extension per type read from the content (as the page's download names it).
EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


def _item(item_id: int) -> tuple[DossierItem, Trip]:
    """An item of a trip the caller may see; others are not found (no hint they exist)."""
    item = db.session.get(DossierItem, item_id)
    if item is None:
        raise ApiProblem("not-found", "No dossier item with this id that you may see.")
    try:
        trip, _principals = _visible(item.trip_id)
    except ApiProblem:
        raise ApiProblem("not-found", "No dossier item with this id that you may see.") from None
    return item, trip


def _download_name(item: DossierItem) -> str:
    """The name the evidence downloads under: the rule and the item, never the sender's name."""
    ext = EXTENSIONS.get(item.file_type or "", "bin")
    return f"{item.rule_id.split(':')[0]}-{item.id}.{ext}"


def _people(items: list[DossierItem]) -> dict[int, Person]:
    """Who completed and who verified the items, read in one statement."""
    ids = {i for item in items for i in (item.done_by_id, item.verified_by_id) if i is not None}
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(sa.select(Person).where(Person.id.in_(ids)))}


def _ref(people: dict[int, Person], person_id: int | None) -> schemas.PersonRef | None:
    person = people.get(person_id) if person_id is not None else None
    return schemas.PersonRef(id=person.id, name=person.name) if person is not None else None


def item_out(
    item: DossierItem,
    trip: Trip,
    people: dict[int, Person] | None = None,
    procedure: Procedure | None = None,
) -> schemas.DossierItemOut:
    """An item as the trip page's checklist shows it to the caller."""
    locale = _locale()
    me = _me()
    procedure = procedure or routing.procedure_of(trip)
    people = people if people is not None else _people([item])
    with_request = item.before_stage is not None and any(
        rule.id == item.rule_id and rule.with_request for rule in procedure.dossier
    )
    stage_title = None
    if item.before_stage is not None:
        stage = next((s for s in procedure.stages if s.id == item.before_stage), None)
        stage_title = stage.name(locale) if stage is not None else in_words(item.before_stage)
    file = None
    if item.file_name and item.file_type:
        file = schemas.EvidenceFileOut(
            name=_download_name(item),
            size=item.file_size or 0,
            content_type=item.file_type,
            url=url_for("api.evidence", item_id=item.id),
        )
    return schemas.DossierItemOut(
        id=item.id,
        trip_id=item.trip_id,
        title=item.name(locale),
        kind=item.evidence_kind,
        owner=item.owner,
        owner_title=None
        if item.owner == "traveller"
        else str(procedure.role_title(item.owner, locale)),
        state=item.status.value,
        state_title=item.status.title,
        rejected_reason=item.rejected_reason or None,
        due_on=item.due_on,
        overdue=item.due_on < _today() and not item.is_settled,
        with_request=with_request,
        before_stage=item.before_stage,
        before_stage_title=stage_title,
        blocks=item.before_stage is not None and item.blocking,
        needs_verification=item.needs_verification,
        evidence=schemas.EvidenceOut(
            text=item.evidence_text,
            date=item.evidence_date,
            date_label=item.date_label,
            file=file,
        ),
        done_at=item.done_at,
        done_by=_ref(people, item.done_by_id),
        verified_at=item.verified_at,
        verified_by=_ref(people, item.verified_by_id),
        can_complete=ops.can_complete(item, trip, me),
        can_verify=ops.can_verify(item, trip, me),
    )


def _answer(item: DossierItem, trip: Trip) -> tuple[Any, int, dict[str, str]]:
    """The changed item, with the trip's new ETag."""
    return item_out(item, trip), 200, {"ETag": f'"{etag(trip)}"'}


@bp.route("/trips/<int:trip_id>/dossier", methods=["GET"])
@api.validate(resp=answers({"HTTP_200": schemas.DossierOut}, *READ_ERRORS), tags=["dossier"])
def list_dossier(trip_id: int) -> Any:
    """The trip's mission dossier as its page shows it to you, with the trip's ETag.

    Each item says what it asks (`kind`), its state, when it is due, whether a decision waits
    for it, its evidence (a file's name, size and type; the file itself through its `url`),
    and whether you may complete or verify it now.
    """
    trip, _principals = _visible(trip_id)
    items = ops.items_of(trip)
    people = _people(items)
    procedure = routing.procedure_of(trip)
    settled, total = ops.progress(items)
    out = schemas.DossierOut(
        trip_id=trip.id,
        done=settled,
        total=total,
        cleared=ops.cleared_to_travel(trip, items),
        items=[item_out(item, trip, people, procedure) for item in items],
    )
    return out, 200, {"ETag": f'"{etag(trip)}"'}


def _refused(error: ops.ItemRefused | ops.BadEvidence, field: str) -> ApiProblem:
    """Evidence the item's rule refuses: ``invalid``, naming the field."""
    message = error.reason(_locale())
    return ApiProblem("invalid", message, errors=[{"field": field, "message": message}])


def _field_of(item: DossierItem, text: str, upload: ops.Upload | None) -> str:
    """The field a refusal of ``check_evidence`` is about, in the order it checks them."""
    if item.asks_file and upload is None:
        return "file"
    if len(text) > ops.MAX_TEXT or (item.evidence_kind == "text" and not text.strip()):
        return "text"
    return "day"


def _read_file(sent: FileStorage | None) -> ops.Upload | None:
    """Store the sent file after the page's checks of its size and content (413, 422)."""
    if sent is None or not sent.filename:
        return None
    limit = evidence_limit()
    content = sent.stream.read(limit + 1)
    if len(content) > limit:
        raise ApiProblem("payload-too-large", too_large(limit))
    kind = uploads.detect(content[:16])
    if kind is None:
        message = _("Only PDF, JPEG or PNG files are accepted (judged by their content).")
        raise ApiProblem("invalid", message, errors=[{"field": "file", "message": message}])
    name = uploads.store(content, Path(current_app.config["UPLOAD_DIR"]))
    return ops.Upload(name, kind[0], len(content))


@bp.route("/dossier/<int:item_id>/complete", methods=["POST"])
@api.validate(
    json=schemas.EvidenceIn,
    form=schemas.EvidenceUpload,
    resp=answers({"HTTP_200": schemas.DossierItemOut}, *WRITE_ERRORS, "HTTP_422"),
    tags=["dossier"],
)
def complete_item(item_id: int) -> Any:
    """Complete an item of your dossier (or one your role completes) with its evidence.

    Send `multipart/form-data` with the file (PDF, JPEG or PNG, judged by its content; over the
    limit is 413) for an item whose `kind` takes one, or JSON for one that takes text or a date
    only. The date is the one the item's `date_label` names. Completing moves the trip's ETag.
    """
    # One of two bodies: SpecTree checked the one the Content-Type names (the other is None).
    checked = request.context  # type: ignore[attr-defined]
    json: schemas.EvidenceIn | None = checked.json
    form: schemas.EvidenceUpload | None = checked.form
    item, trip = _item(item_id)
    if form is None:
        _require_body()
    _require_match(trip)
    me = _me()
    if not ops.can_complete(item, trip, me):
        raise ApiProblem("forbidden", _("This item is not yours to complete."))
    given = form if form is not None else json
    fields: MultiDict[str, Any] = MultiDict({"text": given.text if given is not None else ""})
    if given is not None and given.day is not None:
        fields["day"] = given.day.isoformat()
    evidence = EvidenceForm(formdata=fields, meta={"csrf": False})
    if not evidence.validate():
        errors = _form_errors(evidence.errors)
        raise ApiProblem("invalid", "The evidence does not pass the rules.", errors=errors)
    claim(trip, trip.version)
    upload = _read_file(request.files.get("file") if form is not None else None)
    try:
        ops.complete(item, trip, me, evidence.text.data or "", evidence.day.data, _today(), upload)
    except ops.BadEvidence as bad:
        if upload is not None:
            uploads.path_of(Path(current_app.config["UPLOAD_DIR"]), upload.name).unlink()
        raise _refused(bad, _field_of(item, evidence.text.data or "", upload)) from None
    db.session.commit()
    return _answer(item, trip)


headers("api.complete_item", IF_MATCH)


def _state_or_role(me: Person, trip: Trip, reason: str) -> ApiProblem:
    """The safety officer refused for the item's state (409); anyone else for who they are."""
    if me.has_any_role(Role.SAFETY_OFFICER) and me.id != trip.traveller_id:
        return ApiProblem("refused", reason)
    return ApiProblem("forbidden", reason)


@bp.route("/dossier/<int:item_id>/verify", methods=["POST"])
@api.validate(resp=answers({"HTTP_200": schemas.DossierItemOut}, *WRITE_ERRORS), tags=["dossier"])
def verify_item(item_id: int) -> Any:
    """Verify a completed item (the safety officer, not on their own trip).

    If-Match names the trip as you last read it, so you verify the evidence you saw.
    """
    item, trip = _item(item_id)
    _require_match(trip)
    me = _me()
    try:
        ops.verify(item, trip, me)
    except ops.ItemRefused as refused:
        raise _state_or_role(me, trip, refused.reason(_locale())) from None
    claim(trip, trip.version)
    db.session.commit()
    return _answer(item, trip)


headers("api.verify_item", IF_MATCH)


@bp.route("/dossier/<int:item_id>/reject", methods=["POST"])
@api.validate(
    json=schemas.Reason,
    resp=answers({"HTTP_200": schemas.DossierItemOut}, *WRITE_ERRORS, "HTTP_422"),
    tags=["dossier"],
)
def reject_item(item_id: int, json: schemas.Reason) -> Any:
    """Reject an item with the reason its owner will read (the safety officer)."""
    require_json(json)
    item, trip = _item(item_id)
    _require_body()
    _require_match(trip)
    me = _me()
    if not ops.can_verify(item, trip, me):
        raise _state_or_role(me, trip, _("Only the safety officer can reject an item."))
    form = RejectForm(formdata=MultiDict({"reason": json.reason}), meta={"csrf": False})
    if not form.validate():
        message = _("Give a reason.")
        raise ApiProblem("invalid", message, errors=[{"field": "reason", "message": message}])
    try:
        ops.reject(item, trip, me, form.reason.data or "")
    except ops.BadEvidence as bad:
        raise _refused(bad, "reason") from None
    except ops.ItemRefused as refused:
        raise _state_or_role(me, trip, refused.reason(_locale())) from None
    claim(trip, trip.version)
    db.session.commit()
    return _answer(item, trip)


headers("api.reject_item", IF_MATCH)


@bp.route("/dossier/<int:item_id>/evidence", methods=["GET"])
@api.validate(resp=answers({"HTTP_200": None}, *READ_ERRORS), tags=["dossier"])
def evidence(item_id: int) -> Any:
    """Download an item's evidence file (PDF, JPEG or PNG), if you may see the trip.

    Evidence may be a passport scan: who opened it is on the audit trail.
    """
    item, trip = _item(item_id)
    me = _me()
    if not item.file_name or not item.file_type:
        raise ApiProblem("not-found", "This item has no evidence file.")
    path = uploads.path_of(Path(current_app.config["UPLOAD_DIR"]), item.file_name)
    if not path.is_file():
        raise ApiProblem("not-found", "This item has no evidence file.")
    audit.record("dossier.download", item, me, trip=trip.id, rule=item.rule_id)
    db.session.commit()
    answer: Response = send_file(
        io.BytesIO(path.read_bytes()),
        mimetype=item.file_type,
        as_attachment=True,
        download_name=_download_name(item),
        max_age=0,
    )
    answer.direct_passthrough = False  # SpecTree reads the answer back (at most the limit)
    answer.headers["X-Content-Type-Options"] = "nosniff"
    answer.headers["Cache-Control"] = "no-store"
    return answer
