"""Saving the safety office's notes and the embassy contact: each save is a new, audited
version; nothing is overwritten. The caller commits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from travel_app.core import audit
from travel_app.countries import queries
from travel_app.countries.models import NOTE_LANGUAGES, CountryNote, EmbassyContact
from travel_app.extensions import db
from travel_app.org.models import Person


def _tidy(text: str) -> str:
    """Browsers send CRLF: keep one kind of line end, and no trailing blanks."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def save_notes(country: str, texts: Mapping[str, str], actor: Person) -> list[CountryNote]:
    """Save each language's text that differs from the one in force as a new version."""
    latest = queries.latest_notes(country)
    saved = []
    for language in NOTE_LANGUAGES:
        if language not in texts:
            continue
        body = _tidy(texts[language])
        held = latest.get(language)
        if body == (held.body if held is not None else ""):
            continue
        note = CountryNote(
            country_code=country, language=language, body=body, created_by_id=actor.id
        )
        db.session.add(note)
        saved.append(note)
    for note in saved:
        audit.record(
            "country_note.save",
            note,
            actor,
            country=country,
            language=note.language,
            characters=len(note.body),
        )
    return saved


@dataclass(frozen=True)
class EmbassyData:
    name: str
    address: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    notes: str = ""


def save_embassy(country: str, data: EmbassyData, actor: Person) -> EmbassyContact | None:
    """Save the embassy contact as a new version; None when nothing changed."""
    fields = {k: _tidy(v) for k, v in asdict(data).items()}
    held = queries.latest_embassy(country)
    if held is not None and all(getattr(held, k) == v for k, v in fields.items()):
        return None
    contact = EmbassyContact(country_code=country, created_by_id=actor.id, **fields)
    db.session.add(contact)
    changed = sorted(k for k, v in fields.items() if held is None or getattr(held, k) != v)
    audit.record("embassy_contact.save", contact, actor, country=country, changed=changed)
    return contact
