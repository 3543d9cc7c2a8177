"""The HR import: units and people from the HR export's CSV files, shown first, then applied.

:func:`read` decodes the uploaded files; :func:`plan` compares them with the service and says
what would change (new, changed, leaving, unchanged) and what is wrong, by file and line, and
writes nothing; :func:`apply` carries a plan out through the organisation's writers in the
caller's one transaction (the caller commits; any error leaves nothing written). Between the
dry run and the apply the uploaded text waits on disk under its sha256 (:func:`stash`,
:func:`unstash`); the plan's fingerprint says whether the files or the service changed since.

People are matched by their external id (the HR number), never by e-mail alone: a person the
service has without an external id is linked by e-mail once, and the dry run says so.
"""

from __future__ import annotations

import csv
import enum
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from travel_app.core import audit
from travel_app.core import stash as kept
from travel_app.core.errors import Refused
from travel_app.core.i18n import gettext as _
from travel_app.extensions import db
from travel_app.org import operations as org_ops
from travel_app.org.models import ALLOWED_PARENT, Person, Unit, UnitKind, normalise_email
from travel_app.trips.models import TripTask
from workflows.model import Procedure, Text

#: The columns of each file, in the documented order (docs/hr-import.md).
UNIT_COLUMNS = ("code", "kind", "name_nl", "name_en", "parent_code", "head_external_id")
PERSON_COLUMNS = (
    "external_id",
    "email",
    "name",
    "language",
    "unit_code",
    "category",
    "promoter_external_id",
    "active",
)
#: Columns a file may leave out: what they hold is then left as it is (the default for someone
#: new). A column that is there but empty means "none" (no head, no promoter, active: yes).
OPTIONAL_COLUMNS = frozenset({"head_external_id", "language", "promoter_external_id", "active"})

#: Words the HR systems write for a unit's kind (the file's values, and the Dutch names).
KIND_WORDS = {
    "university": UnitKind.UNIVERSITY,
    "universiteit": UnitKind.UNIVERSITY,
    "faculty": UnitKind.FACULTY,
    "faculteit": UnitKind.FACULTY,
    "department": UnitKind.DEPARTMENT,
    "departement": UnitKind.DEPARTMENT,
}
YES = frozenset({"", "yes", "y", "true", "1", "ja", "j", "active", "actief"})
NO = frozenset({"no", "n", "false", "0", "nee", "inactive", "inactief"})
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}

MAX_CODE = 32
MAX_NAME = 200
MAX_EMAIL = 254
MAX_EXTERNAL_ID = 255
#: A dry run waits this long for its apply; older stashed uploads are removed.
NONE = "—"
#: Where the audit trail and the deactivation verb say the change came from.
SOURCE = "import"


class ImportRefused(Refused):
    """An import that cannot be applied as it stands (errors in the files)."""


class Sheet(enum.Enum):
    """Which of the two files a row comes from."""

    UNITS = "units"
    PEOPLE = "people"

    @property
    def title(self) -> str:
        return _("Units file") if self is Sheet.UNITS else _("People file")

    @property
    def columns(self) -> tuple[str, ...]:
        return UNIT_COLUMNS if self is Sheet.UNITS else PERSON_COLUMNS


@dataclass(frozen=True)
class Problem:
    """Something wrong (``is_error``: nothing can be applied) or worth knowing, by file and line
    (``line`` None: the whole file)."""

    sheet: Sheet
    line: int | None
    message: str
    is_error: bool = True


@dataclass(frozen=True)
class Upload:
    """The decoded text of the files given (None: that file was not given)."""

    units: str | None = None
    people: str | None = None

    @property
    def digest(self) -> str:
        """The sha256 of both texts: the key the upload waits under between dry run and apply."""
        return hashlib.sha256(self.serialise()).hexdigest()

    def serialise(self) -> bytes:
        """The upload as stored: JSON of both texts."""
        return json.dumps(
            {"units": self.units, "people": self.people}, sort_keys=True, ensure_ascii=False
        ).encode()


@dataclass(frozen=True)
class Change:
    """One field that changes, in words: "Unit: Biology (BIO) → Chemistry (CHEM)"."""

    field: str
    old: str
    new: str


@dataclass
class UnitEntry:
    """A unit row of the file and what it does to the service."""

    line: int
    code: str
    kind: UnitKind
    name_nl: str
    name_en: str
    #: None: no parent (a university).
    parent_code: str | None
    #: Whether the file has the head column; ``head_key`` is the head's external id, or None.
    head_given: bool
    head_key: str | None
    unit: Unit | None = None
    changes: list[Change] = field(default_factory=list)
    #: Shown beside the row: its parent and head, in words.
    parent_title: str = NONE
    head_title: str = NONE

    def name(self, locale: str) -> str:
        return self.name_nl if locale == "nl" else self.name_en


@dataclass
class PersonEntry:
    """A person row of the file and what it does to the service."""

    line: int
    external_id: str
    email: str
    name: str
    #: None: the file says nothing (kept; Dutch for someone new).
    language: str | None
    #: The unit as the file names it; ``unit_code`` is the one they get (None: unit missing).
    unit_given: str
    unit_code: str | None
    category: str
    promoter_given: bool
    promoter_key: str | None
    active: bool
    person: Person | None = None
    #: A person the service had without an external id, linked by this row's e-mail.
    adopted: bool = False
    changes: list[Change] = field(default_factory=list)
    unit_title: str = NONE
    category_title: str = ""


@dataclass(frozen=True)
class Leaving:
    """An active person who will be deactivated, and why."""

    person: Person
    #: The row that marks them inactive; None: they are not in the file at all.
    line: int | None
    open_tasks: int


@dataclass
class Plan:
    """What an upload would change, and what is wrong with it. Built without writing."""

    digest: str
    complete: bool
    has_units: bool
    has_people: bool
    new_units: list[UnitEntry] = field(default_factory=list)
    changed_units: list[UnitEntry] = field(default_factory=list)
    unchanged_units: int = 0
    new_people: list[PersonEntry] = field(default_factory=list)
    changed_people: list[PersonEntry] = field(default_factory=list)
    unchanged_people: int = 0
    leaving: list[Leaving] = field(default_factory=list)
    #: Active people with an external id who are not in a file not declared complete: kept.
    not_in_file: int = 0
    #: Rows of inactive people the service does not know: nobody is created for them.
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)
    fingerprint: str = ""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def has_changes(self) -> bool:
        return any(
            (self.new_units, self.changed_units, self.new_people, self.changed_people, self.leaving)
        )


@dataclass(frozen=True)
class Applied:
    """What an applied import did; ``event_id`` is its ``org.import`` audit row."""

    event_id: int
    units_created: int
    units_updated: int
    people_created: int
    people_updated: int
    people_deactivated: int


@dataclass(frozen=True)
class HrImport:
    """The subject of the ``org.import`` audit row: the upload, by its sha256."""

    id: str


# --- reading ---------------------------------------------------------------------------------


def decode(raw: bytes, sheet: Sheet) -> tuple[str | None, Problem | None]:
    """The file's text (UTF-8, with or without a byte order mark), or why it cannot be read."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, Problem(
            sheet,
            line,
            _(
                'The file is not UTF-8 text: in Excel, save it as "CSV UTF-8 (comma delimited)"'
                " and upload it again."
            ),
        )
    if "\x00" in text:
        return None, Problem(sheet, None, _("The file holds binary data: upload a CSV text file."))
    if not text.strip():
        return None, Problem(sheet, None, _("The file is empty."))
    return text, None


def read(units: bytes | None, people: bytes | None) -> tuple[Upload, list[Problem]]:
    """Decode the files given; a file that cannot be read is left out, with its problem."""
    problems: list[Problem] = []
    texts: dict[Sheet, str | None] = {}
    for sheet, raw in ((Sheet.UNITS, units), (Sheet.PEOPLE, people)):
        texts[sheet] = None
        if raw is not None:
            texts[sheet], problem = decode(raw, sheet)
            if problem is not None:
                problems.append(problem)
    return Upload(units=texts[Sheet.UNITS], people=texts[Sheet.PEOPLE]), problems


@dataclass(frozen=True)
class Row:
    line: int
    cells: dict[str, str]


def _header_name(cell: str) -> str:
    return re.sub(r"[\s\-]+", "_", cell.strip().lower())


def rows(text: str, sheet: Sheet) -> tuple[list[Row], set[str], list[Problem]]:
    """The file's rows by column name, the columns its first line names, and its problems.

    The delimiter is a semicolon when the first line has more of them than commas (Excel in
    Flanders writes semicolons), else a comma; fields may be quoted. Empty lines are skipped.
    """
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    problems: list[Problem] = []
    found: list[Row] = []
    header: list[str] = []
    try:
        header = [_header_name(c) for c in next(reader, [])]
        known = [c for c in header if c in sheet.columns]
        doubled = sorted({c for c in known if known.count(c) > 1})
        if doubled:
            problems.append(
                Problem(
                    sheet, 1, _("Columns named twice: %(columns)s.", columns=", ".join(doubled))
                )
            )
        missing = [c for c in sheet.columns if c not in header and c not in OPTIONAL_COLUMNS]
        if missing:
            problems.append(
                Problem(
                    sheet,
                    1,
                    _(
                        "The first line must name the columns; missing: %(missing)s. The columns"
                        " are: %(columns)s.",
                        missing=", ".join(missing),
                        columns=", ".join(sheet.columns),
                    ),
                )
            )
        unknown = [c for c in header if c and c not in sheet.columns]
        if unknown:
            problems.append(
                Problem(
                    sheet,
                    1,
                    _("Columns ignored: %(columns)s.", columns=", ".join(unknown)),
                    is_error=False,
                )
            )
        if doubled or missing:
            return [], set(header), problems
        last = reader.line_num
        for record in reader:
            line, last = last + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            extra = record[len(header) :]
            if any(cell.strip() for cell in extra):
                problems.append(
                    Problem(
                        sheet,
                        line,
                        _(
                            "This line has %(found)s values; the first line names %(named)s"
                            " columns.",
                            found=len(record),
                            named=len(header),
                        ),
                    )
                )
                continue
            cells = {
                name: value.strip()
                for name, value in zip(header, record, strict=False)
                if name in sheet.columns
            }
            found.append(Row(line, cells))
    except csv.Error as exc:
        problems.append(
            Problem(
                sheet,
                reader.line_num,
                _("The file cannot be read as CSV from here on (%(error)s).", error=str(exc)),
            )
        )
    return found, set(header), problems


# --- planning --------------------------------------------------------------------------------


def plan(
    upload: Upload,
    *,
    procedure: Procedure,
    locale: str,
    complete: bool = False,
    actor: Person | None = None,
) -> Plan:
    """Compare ``upload`` with the service: what would be new, changed, leaving, and what is
    wrong, in ``locale``. Writes nothing. ``complete``: the people file lists everyone, so the
    active people with an external id who are not in it leave."""
    return _Planner(upload, procedure, locale, complete, actor).run()


class _Planner:
    def __init__(
        self,
        upload: Upload,
        procedure: Procedure,
        locale: str,
        complete: bool,
        actor: Person | None,
    ) -> None:
        self.upload = upload
        self.procedure = procedure
        self.locale = locale
        self.actor = actor
        self.result = Plan(
            digest=upload.digest,
            complete=complete and upload.people is not None,
            has_units=upload.units is not None,
            has_people=upload.people is not None,
        )
        self.units = {u.code: u for u in db.session.scalars(sa.select(Unit))}
        self.units_by_id = {u.id: u for u in self.units.values()}
        self.people = list(db.session.scalars(sa.select(Person)))
        self.people_by_id = {p.id: p for p in self.people}
        self.by_external = {p.external_id: p for p in self.people if p.external_id}
        self.by_email = {p.email: p for p in self.people}
        self.file_units: dict[str, UnitEntry] = {}
        self.file_people: dict[str, PersonEntry] = {}
        self.file_emails: dict[str, PersonEntry] = {}
        self.facts: list[object] = []
        self.people_readable = True
        #: Each matched person's external id, the one a row links them by included.
        self.known_as = {p.id: p.external_id for p in self.people if p.external_id}

    def problem(self, sheet: Sheet, line: int | None, message: str, *, error: bool = True) -> None:
        self.result.problems.append(Problem(sheet, line, message, is_error=error))

    def run(self) -> Plan:
        unit_header: set[str] = set()
        person_header: set[str] = set()
        if self.upload.units is not None:
            found, unit_header, problems = rows(self.upload.units, Sheet.UNITS)
            self.result.problems += problems
            for row in found:
                self.read_unit(row, "head_external_id" in unit_header)
        if self.upload.people is not None:
            found, person_header, problems = rows(self.upload.people, Sheet.PEOPLE)
            self.result.problems += problems
            # A file whose columns are wrong lists nobody: nobody is taken to have left.
            self.people_readable = not any(p.is_error and p.line == 1 for p in problems)
            for row in found:
                self.read_person(row, person_header)
        self.match_people()
        for unit_entry in self.file_units.values():
            self.resolve_unit(unit_entry)
        for person_entry in self.file_people.values():
            self.resolve_person(person_entry)
        if self.upload.people is not None and self.people_readable:
            self.find_absent()
        self.count_tasks()
        self.result.problems.sort(
            key=lambda p: (p.sheet is Sheet.PEOPLE, p.line or 0, not p.is_error)
        )
        self.facts += [
            ("leaving", sorted(leaving.person.id for leaving in self.result.leaving)),
            ("complete", self.result.complete, self.result.not_in_file),
            ("upload", self.result.digest),
        ]
        self.result.fingerprint = hashlib.sha256(
            json.dumps(self.facts, default=str, sort_keys=True).encode()
        ).hexdigest()
        return self.result

    # -- rows, one by one

    def required(self, sheet: Sheet, row: Row, name: str, label: str, limit: int) -> str | None:
        value = row.cells.get(name, "")
        if not value:
            self.problem(sheet, row.line, _("The column %(column)s is empty.", column=label))
            return None
        if len(value) > limit:
            self.problem(
                sheet,
                row.line,
                _(
                    "The column %(column)s is longer than %(limit)s characters.",
                    column=label,
                    limit=limit,
                ),
            )
            return None
        return value

    def read_unit(self, row: Row, head_given: bool) -> None:
        sheet = Sheet.UNITS
        ok = True
        code = self.required(sheet, row, "code", "code", MAX_CODE)
        name_nl = self.required(sheet, row, "name_nl", "name_nl", MAX_NAME)
        name_en = self.required(sheet, row, "name_en", "name_en", MAX_NAME)
        word = row.cells.get("kind", "").lower()
        kind = KIND_WORDS.get(word)
        if kind is None:
            ok = False
            self.problem(
                sheet,
                row.line,
                _(
                    'Unknown kind "%(kind)s": give university, faculty or department.',
                    kind=row.cells.get("kind", ""),
                ),
            )
        parent = row.cells.get("parent_code", "")
        head = row.cells.get("head_external_id", "")
        if code is None or name_nl is None or name_en is None or kind is None or not ok:
            return
        first = self.file_units.get(code)
        if first is not None:
            self.problem(
                sheet,
                row.line,
                _("Unit %(code)s is on line %(line)s already.", code=code, line=first.line),
            )
            return
        self.file_units[code] = UnitEntry(
            line=row.line,
            code=code,
            kind=kind,
            name_nl=name_nl,
            name_en=name_en,
            parent_code=parent or None,
            head_given=head_given,
            head_key=head or None,
            unit=self.units.get(code),
        )

    def read_person(self, row: Row, header: set[str]) -> None:
        sheet = Sheet.PEOPLE
        ok = True
        external_id = self.required(sheet, row, "external_id", "external_id", MAX_EXTERNAL_ID)
        name = self.required(sheet, row, "name", "name", MAX_NAME)
        email = self.required(sheet, row, "email", "email", MAX_EMAIL)
        if email is not None:
            try:
                email = normalise_email(
                    validate_email(email, check_deliverability=False).normalized
                )
            except EmailNotValidError:
                ok = False
                self.problem(
                    sheet, row.line, _("%(email)s is not a valid e-mail address.", email=email)
                )
        language: str | None = row.cells.get("language", "").lower() or None
        if language is not None and language not in LANGUAGE_NAMES:
            ok = False
            self.problem(
                sheet,
                row.line,
                _('Unknown language "%(language)s": give nl or en.', language=language),
            )
        category = self.category(row)
        ok = ok and category is not None
        active_word = row.cells.get("active", "").lower()
        if active_word not in YES | NO:
            ok = False
            self.problem(
                sheet,
                row.line,
                _('Unknown value "%(value)s" for active: give yes or no.', value=active_word),
            )
        unit = row.cells.get("unit_code", "")
        promoter = row.cells.get("promoter_external_id", "")
        if external_id is None or name is None or email is None or not ok:
            return
        assert category is not None
        first = self.file_people.get(external_id)
        if first is not None:
            self.problem(
                sheet,
                row.line,
                _(
                    "HR number %(id)s is on line %(line)s already.",
                    id=external_id,
                    line=first.line,
                ),
            )
            return
        twin = self.file_emails.get(email)
        if twin is not None:
            self.problem(
                sheet,
                row.line,
                _(
                    "E-mail address %(email)s is on line %(line)s already, for another person.",
                    email=email,
                    line=twin.line,
                ),
            )
            return
        self.file_people[external_id] = self.file_emails[email] = PersonEntry(
            line=row.line,
            external_id=external_id,
            email=email,
            name=name,
            language=language,
            unit_given=unit,
            unit_code=unit or None,
            category=category,
            promoter_given="promoter_external_id" in header,
            promoter_key=promoter or None,
            active=active_word not in NO,
        )

    def category(self, row: Row) -> str | None:
        """The category code a row names by its code or its title (either language)."""
        given = row.cells.get("category", "")
        wanted = given.casefold()
        for code, title in self.procedure.categories.items():
            if wanted in {code.casefold(), title.nl.casefold(), title.en.casefold()}:
                return code
        titles = ", ".join(title(self.locale) for title in self.procedure.categories.values())
        if not given:
            message = _(
                "The column %(column)s is empty: give one of %(titles)s.",
                column="category",
                titles=titles,
            )
        else:
            message = _(
                'Unknown category "%(category)s": give one of %(titles)s.',
                category=given,
                titles=titles,
            )
        self.problem(Sheet.PEOPLE, row.line, message)
        return None

    # -- what the rows do to the service

    def unit_kind(self, code: str) -> UnitKind:
        entry = self.file_units.get(code)
        return entry.kind if entry is not None else self.units[code].kind

    def unit_parent(self, code: str) -> str | None:
        entry = self.file_units.get(code)
        if entry is not None:
            return entry.parent_code
        parent_id = self.units[code].parent_id
        parent = self.units_by_id.get(parent_id) if parent_id is not None else None
        return parent.code if parent is not None else None

    def unit_known(self, code: str) -> bool:
        return code in self.file_units or code in self.units

    def unit_title(self, code: str | None) -> str:
        if code is None:
            return _("unit missing")
        entry = self.file_units.get(code)
        name = entry.name(self.locale) if entry is not None else self.units[code].name(self.locale)
        return f"{name} ({code})"

    def key_of(self, person: Person | None) -> str | None:
        """The external id ``person`` has after the import ("" for someone without one, which
        no row names)."""
        if person is None:
            return None
        return self.known_as.get(person.id, "")

    def person_known(self, external_id: str) -> bool:
        entry = self.file_people.get(external_id)
        return external_id in self.by_external or (entry is not None and entry.active)

    def person_title(self, external_id: str | None) -> str:
        if external_id is None:
            return NONE
        entry = self.file_people.get(external_id)
        return entry.name if entry is not None else self.by_external[external_id].name

    def cycle(self, code: str) -> list[str] | None:
        """The units from ``code`` back to itself when its parents lead there, else None."""
        chain = [code]
        current = self.unit_parent(code)
        while current is not None and self.unit_known(current):
            if current == code:
                return [*chain, code]
            if current in chain:  # a cycle further up, reported on its own units
                return None
            chain.append(current)
            current = self.unit_parent(current)
        return None

    def resolve_unit(self, entry: UnitEntry) -> None:
        sheet = Sheet.UNITS
        ok = True
        if entry.parent_code is not None and not self.unit_known(entry.parent_code):
            ok = False
            self.problem(
                sheet,
                entry.line,
                _(
                    "Unit %(code)s, named as the parent, is neither in this file nor in the"
                    " service.",
                    code=entry.parent_code,
                ),
            )
        loop = self.cycle(entry.code) if ok else None
        if loop is not None:
            ok = False
            self.problem(
                sheet,
                entry.line,
                _(
                    "These units would be part of each other: %(chain)s.",
                    chain=" → ".join(loop),
                ),
            )
        if ok:
            ok = self.check_fit(entry)
        if entry.head_key is not None and not self.person_known(entry.head_key):
            self.problem(
                sheet,
                entry.line,
                _(
                    "Nobody with HR number %(id)s is known: unit %(code)s gets no head.",
                    id=entry.head_key,
                    code=entry.code,
                ),
                error=False,
            )
            entry.head_key = None
        entry.parent_title = self.unit_title(entry.parent_code) if entry.parent_code else NONE
        entry.head_title = self.person_title(entry.head_key)
        unit = entry.unit
        self.facts.append(
            (
                "unit",
                entry.code,
                entry.kind.value,
                entry.name_nl,
                entry.name_en,
                entry.parent_code,
                entry.head_given,
                entry.head_key,
                None
                if unit is None
                else (
                    unit.id,
                    unit.kind.value,
                    unit.name_nl,
                    unit.name_en,
                    unit.parent_id,
                    unit.head_id,
                ),
            )
        )
        if not ok:
            return
        if unit is None:
            self.result.new_units.append(entry)
            return
        self.diff_unit(entry, unit)

    def check_fit(self, entry: UnitEntry) -> bool:
        """A faculty under a university, a department under a faculty; also for the units
        already under this one when its kind changes."""
        wanted = ALLOWED_PARENT[entry.kind]
        parent_kind = self.unit_kind(entry.parent_code) if entry.parent_code else None
        if wanted is None and entry.parent_code is not None:
            self.problem(Sheet.UNITS, entry.line, _("A university is not part of another unit."))
            return False
        if wanted is not None and parent_kind is not wanted:
            self.problem(
                Sheet.UNITS,
                entry.line,
                _(
                    "A %(kind)s must be part of a %(parent)s.",
                    kind=entry.kind.title,
                    parent=wanted.title,
                ),
            )
            return False
        unit = entry.unit
        if unit is None or unit.kind is entry.kind:
            return True
        for child in self.units.values():
            wanted = ALLOWED_PARENT[child.kind]
            if (
                child.parent_id == unit.id
                and child.code not in self.file_units
                and wanted is not None
                and wanted is not entry.kind
            ):
                self.problem(
                    Sheet.UNITS,
                    entry.line,
                    _(
                        "Unit %(child)s is part of this unit and would no longer fit: a"
                        " %(kind)s must be part of a %(parent)s.",
                        child=child.code,
                        kind=child.kind.title,
                        parent=wanted.title,
                    ),
                )
                return False
        return True

    def diff_unit(self, entry: UnitEntry, unit: Unit) -> None:
        changes = entry.changes
        if unit.kind is not entry.kind:
            changes.append(Change(_("Kind"), unit.kind.title, entry.kind.title))
        if unit.name_nl != entry.name_nl:
            changes.append(Change(_("Name (Dutch)"), unit.name_nl, entry.name_nl))
        if unit.name_en != entry.name_en:
            changes.append(Change(_("Name (English)"), unit.name_en, entry.name_en))
        parent = self.units_by_id.get(unit.parent_id) if unit.parent_id is not None else None
        parent_code = parent.code if parent is not None else None
        if parent_code != entry.parent_code:
            changes.append(
                Change(
                    _("Part of"),
                    self.unit_title(parent_code) if parent_code else NONE,
                    entry.parent_title,
                )
            )
        if entry.head_given:
            head = self.people_by_id.get(unit.head_id) if unit.head_id is not None else None
            if self.key_of(head) != entry.head_key:
                changes.append(
                    Change(_("Head"), head.name if head is not None else NONE, entry.head_title)
                )
        if changes:
            self.result.changed_units.append(entry)
        else:
            self.result.unchanged_units += 1

    def match_people(self) -> None:
        """Find each row's person by external id; someone the service has without one, by the
        row's e-mail (linked once, and the dry run says so)."""
        for entry in self.file_people.values():
            person = self.by_external.get(entry.external_id)
            holder = self.by_email.get(entry.email)
            if person is None and holder is not None and holder.external_id is None:
                person, entry.adopted = holder, True
                self.known_as[holder.id] = entry.external_id
                self.by_external[entry.external_id] = holder
            entry.person = person

    def resolve_person(self, entry: PersonEntry) -> None:
        sheet = Sheet.PEOPLE
        person = entry.person
        holder = self.by_email.get(entry.email)
        ok = True
        if holder is not None and holder is not person:
            moves_away = (
                holder.external_id is not None
                and holder.external_id in self.file_people
                and self.file_people[holder.external_id].email != entry.email
            )
            if not moves_away:
                ok = False
                self.problem(
                    sheet,
                    entry.line,
                    _(
                        "The e-mail address %(email)s belongs to %(name)s, another person in the"
                        " service.",
                        email=entry.email,
                        name=holder.name,
                    ),
                )
        if entry.unit_code is None:
            self.problem(
                sheet,
                entry.line,
                _(
                    'No unit given: %(name)s will have "unit missing" until an administrator'
                    " chooses one.",
                    name=entry.name,
                ),
                error=False,
            )
        elif not self.unit_known(entry.unit_code):
            self.problem(
                sheet,
                entry.line,
                _(
                    'Unit %(code)s is not known: %(name)s will have "unit missing" until an'
                    " administrator chooses one.",
                    code=entry.unit_code,
                    name=entry.name,
                ),
                error=False,
            )
            entry.unit_code = None
        if entry.promoter_key is not None:
            if entry.promoter_key == entry.external_id:
                ok = False
                self.problem(sheet, entry.line, _("A person cannot be their own promoter."))
            elif not self.person_known(entry.promoter_key):
                self.problem(
                    sheet,
                    entry.line,
                    _(
                        "Nobody with HR number %(id)s is known: %(name)s gets no promoter.",
                        id=entry.promoter_key,
                        name=entry.name,
                    ),
                    error=False,
                )
                entry.promoter_key = None
        entry.unit_title = self.unit_title(entry.unit_code)
        entry.category_title = self.category_title(entry.category)
        self.facts.append(
            (
                "person",
                entry.external_id,
                entry.email,
                entry.name,
                entry.language,
                entry.unit_code,
                entry.category,
                entry.promoter_given,
                entry.promoter_key,
                entry.active,
                None if person is None else self.person_facts(person),
            )
        )
        if not ok:
            return
        if person is None:
            if entry.active:
                self.result.new_people.append(entry)
            else:
                self.result.skipped += 1
            return
        self.diff_person(entry, person)

    def person_facts(self, person: Person) -> tuple[object, ...]:
        return (
            person.id,
            person.external_id,
            person.email,
            person.name,
            person.language,
            person.unit_id,
            person.category,
            person.promoter_id,
            person.is_active_account,
        )

    def category_title(self, code: str) -> str:
        title = self.procedure.categories.get(code)
        return title(self.locale) if title is not None else code

    def diff_person(self, entry: PersonEntry, person: Person) -> None:
        changes = entry.changes
        if entry.adopted:
            changes.append(Change(_("HR number"), NONE, entry.external_id))
        if person.email != entry.email:
            changes.append(Change(_("E-mail"), person.email, entry.email))
        if person.name != entry.name:
            changes.append(Change(_("Name"), person.name, entry.name))
        if entry.language is not None and person.language != entry.language:
            changes.append(
                Change(
                    _("Language"),
                    LANGUAGE_NAMES.get(person.language, person.language),
                    LANGUAGE_NAMES[entry.language],
                )
            )
        unit = self.units_by_id.get(person.unit_id) if person.unit_id is not None else None
        unit_code = unit.code if unit is not None else None
        if unit_code != entry.unit_code:
            changes.append(Change(_("Unit"), self.unit_title(unit_code), entry.unit_title))
        if person.category != entry.category:
            changes.append(
                Change(
                    _("Category"),
                    self.category_title(person.category),
                    entry.category_title,
                )
            )
        if entry.promoter_given:
            promoter = (
                self.people_by_id.get(person.promoter_id)
                if person.promoter_id is not None
                else None
            )
            if self.key_of(promoter) != entry.promoter_key:
                changes.append(
                    Change(
                        _("PhD promoter"),
                        promoter.name if promoter is not None else NONE,
                        self.person_title(entry.promoter_key),
                    )
                )
        if entry.active and not person.is_active_account:
            changes.append(Change(_("Active"), _("no"), _("yes")))
        if changes:
            self.result.changed_people.append(entry)
        if not entry.active and person.is_active_account:
            self.leave(person, entry.line)
        elif not changes:
            self.result.unchanged_people += 1

    def leave(self, person: Person, line: int | None) -> None:
        if self.actor is not None and person.id == self.actor.id:
            self.problem(
                Sheet.PEOPLE,
                line,
                _(
                    "You are not deactivated by your own import: %(name)s stays active.",
                    name=person.name,
                ),
                error=False,
            )
            return
        self.result.leaving.append(Leaving(person=person, line=line, open_tasks=0))

    def find_absent(self) -> None:
        """Active people with an external id the people file does not list."""
        absent = [
            p
            for p in self.people
            if p.external_id is not None
            and p.external_id not in self.file_people
            and p.is_active_account
        ]
        absent.sort(key=lambda p: (p.name.casefold(), p.id))
        if not self.result.complete:
            self.result.not_in_file = len(absent)
            return
        for person in absent:
            self.leave(person, None)
        with_id = sum(1 for p in self.people if p.external_id is not None and p.is_active_account)
        if len(absent) > 10 and len(absent) * 2 > with_id:
            self.problem(
                Sheet.PEOPLE,
                None,
                _(
                    "%(leaving)s of the %(known)s active people with an HR number are not in the"
                    " file and would be deactivated: check that the file is complete.",
                    leaving=len(absent),
                    known=with_id,
                ),
                error=False,
            )

    def count_tasks(self) -> None:
        """How many open review tasks each leaving person holds (one statement)."""
        ids = [leaving.person.id for leaving in self.result.leaving]
        if not ids:
            return
        counts: dict[int | None, int] = {
            assignee: n
            for assignee, n in db.session.execute(
                sa.select(TripTask.assignee_id, sa.func.count())
                .where(TripTask.assignee_id.in_(ids), TripTask.closed_at.is_(None))
                .group_by(TripTask.assignee_id)
            )
        }
        self.result.leaving = [
            Leaving(person=x.person, line=x.line, open_tasks=counts.get(x.person.id, 0))
            for x in self.result.leaving
        ]


# --- applying --------------------------------------------------------------------------------

_KIND_ORDER = {UnitKind.UNIVERSITY: 0, UnitKind.FACULTY: 1, UnitKind.DEPARTMENT: 2}


def apply(plan: Plan, *, actor: Person | None, today: date) -> Applied:
    """Carry ``plan`` out through the organisation's writers; the caller commits (one
    transaction: an error anywhere leaves nothing written). Refused when the plan has errors."""
    if plan.errors:
        raise ImportRefused(
            Text(
                "Er is niets ingelezen: verbeter eerst de fouten in de bestanden.",
                "Nothing was imported: correct the errors in the files first.",
            )
        )
    units = {u.code: u for u in db.session.scalars(sa.select(Unit))}
    people = {
        p.external_id: p
        for p in db.session.scalars(sa.select(Person).where(Person.external_id.is_not(None)))
        if p.external_id is not None
    }
    for adopted in plan.changed_people:
        if adopted.adopted and adopted.person is not None:
            people[adopted.external_id] = adopted.person
    later: list[Callable[[], None]] = []

    def person(key: str | None) -> Person | None:
        return people.get(key) if key is not None else None

    # Units first, parents before their children (a kind's parent is of the kind before it).
    for unit_row in sorted(plan.new_units, key=lambda e: _KIND_ORDER[e.kind]):
        head = person(unit_row.head_key)
        unit = org_ops.create_unit(
            kind=unit_row.kind,
            code=unit_row.code,
            name_nl=unit_row.name_nl,
            name_en=unit_row.name_en,
            parent=units[unit_row.parent_code] if unit_row.parent_code else None,
            head=head,
            actor=actor,
        )
        units[unit_row.code] = unit
        if unit_row.head_key is not None and head is None:  # someone new: once they exist
            later.append(_set_head(unit, unit_row.head_key, people, actor))
    for unit_row in plan.changed_units:
        current = unit_row.unit
        assert current is not None
        _move_unit(current, unit_row, units, actor)
        if (
            unit_row.head_given
            and unit_row.head_key is not None
            and unit_row.head_key not in people
        ):
            later.append(_set_head(current, unit_row.head_key, people, actor))
            head = current.head
        else:
            head = person(unit_row.head_key) if unit_row.head_given else current.head
        if (current.name_nl, current.name_en, current.head) != (
            unit_row.name_nl,
            unit_row.name_en,
            head,
        ):
            org_ops.update_unit(
                current, name_nl=unit_row.name_nl, name_en=unit_row.name_en, head=head, actor=actor
            )

    # Addresses that change move aside first, so two people may trade theirs in one import.
    moving = [e for e in plan.changed_people if e.person is not None and e.person.email != e.email]
    for entry in moving:
        assert entry.person is not None
        entry.person.email = f"hr-import-{entry.person.id}@moving.invalid"
    if moving:
        db.session.flush()

    for entry in plan.new_people:
        promoter = person(entry.promoter_key)
        created = org_ops.create_person(
            email=entry.email,
            name=entry.name,
            category=entry.category,
            unit=units[entry.unit_code] if entry.unit_code else None,
            language=entry.language or "nl",
            promoter=promoter,
            actor=actor,
        )
        created.external_id = entry.external_id
        people[entry.external_id] = created
        if entry.promoter_key is not None and promoter is None:
            later.append(_set_promoter(created, entry.promoter_key, people, actor))
    for entry in plan.changed_people:
        existing = entry.person
        assert existing is not None
        fields: dict[str, object] = {
            "email": entry.email,
            "name": entry.name,
            "category": entry.category,
            "unit": units[entry.unit_code] if entry.unit_code else None,
        }
        if entry.language is not None:
            fields["language"] = entry.language
        if entry.adopted:
            fields["external_id"] = entry.external_id
        if entry.promoter_given:
            if entry.promoter_key is not None and entry.promoter_key not in people:
                later.append(_set_promoter(existing, entry.promoter_key, people, actor))
            else:
                fields["promoter"] = person(entry.promoter_key)
        org_ops.update_person(existing, actor=actor, **fields)
        if entry.active and not existing.is_active_account:
            org_ops.reactivate_person(existing, actor=actor, source=SOURCE)
    for step in later:
        step()
    moved = 0
    for leaving in plan.leaving:
        moved += len(
            org_ops.deactivate_person(leaving.person, actor=actor, today=today, source=SOURCE)
        )

    applied = dict(
        units_created=len(plan.new_units),
        units_updated=len(plan.changed_units),
        people_created=len(plan.new_people),
        people_updated=len(plan.changed_people),
        people_deactivated=len(plan.leaving),
    )
    event = audit.record(
        "org.import",
        HrImport(plan.digest),
        actor,
        **applied,
        complete=plan.complete,
        deactivated=[leaving.person.id for leaving in plan.leaving],
        tasks_moved=moved,
        units_unchanged=plan.unchanged_units,
        people_unchanged=plan.unchanged_people,
    )
    db.session.flush()
    return Applied(event_id=event.id, **applied)


def _move_unit(unit: Unit, entry: UnitEntry, units: dict[str, Unit], actor: Person | None) -> None:
    """Set a unit's kind and parent as the file says (no writer of the organisation does)."""
    parent = units[entry.parent_code] if entry.parent_code else None
    moved = []
    if unit.kind is not entry.kind:
        unit.kind = entry.kind
        moved.append("kind")
    if unit.parent is not parent:
        unit.parent = parent
        moved.append("parent")
    if moved:
        audit.record(
            "unit.update",
            unit,
            actor,
            fields=moved,
            kind=entry.kind,
            parent=entry.parent_code,
            source=SOURCE,
        )


def _set_head(
    unit: Unit, key: str, people: dict[str, Person], actor: Person | None
) -> Callable[[], None]:
    def step() -> None:
        org_ops.update_unit(
            unit, name_nl=unit.name_nl, name_en=unit.name_en, head=people[key], actor=actor
        )

    return step


def _set_promoter(
    person: Person, key: str, people: dict[str, Person], actor: Person | None
) -> Callable[[], None]:
    def step() -> None:
        org_ops.update_person(person, actor=actor, promoter=people[key])

    return step


# --- between the dry run and the apply -------------------------------------------------------


def stash(upload: Upload, directory: Path, now: float | None = None) -> str:
    """Keep ``upload`` on disk under its sha256 until it is applied; return the key."""
    return kept.keep(upload.digest, upload.serialise(), directory, now)


def unstash(digest: str, directory: Path) -> Upload | None:
    """The upload kept under ``digest``; None when there is none, or its content no longer
    has that sha256."""
    data = kept.read(digest, directory)
    if data is None:
        return None
    texts = {k: data.get(k) for k in ("units", "people")}
    if not all(v is None or isinstance(v, str) for v in texts.values()):
        return None
    upload = Upload(units=texts["units"], people=texts["people"])
    return upload if upload.digest == digest else None


discard = kept.discard


def describe(plan: Plan) -> Iterable[str]:
    """The plan as lines of text, for the command line."""
    yield _(
        "Units: %(new)s new, %(changed)s changed, %(same)s unchanged.",
        new=len(plan.new_units),
        changed=len(plan.changed_units),
        same=plan.unchanged_units,
    )
    for entry in plan.new_units:
        yield f"  + {entry.code} {entry.name_nl} / {entry.name_en} ({entry.kind.title})"
    for entry in plan.changed_units:
        yield f"  ~ {entry.code}: " + "; ".join(
            f"{c.field}: {c.old} → {c.new}" for c in entry.changes
        )
    yield _(
        "People: %(new)s new, %(changed)s changed, %(same)s unchanged, %(leaving)s leaving.",
        new=len(plan.new_people),
        changed=len(plan.changed_people),
        same=plan.unchanged_people,
        leaving=len(plan.leaving),
    )
    for person in plan.new_people:
        yield f"  + {person.name} <{person.email}> {person.unit_title}, {person.category_title}"
    for person in plan.changed_people:
        yield f"  ~ {person.name} <{person.email}>: " + "; ".join(
            f"{c.field}: {c.old} → {c.new}" for c in person.changes
        )
    for leaving in plan.leaving:
        yield f"  - {leaving.person.name} <{leaving.person.email}>"
    if plan.not_in_file:
        yield _(
            "%(num)s active people with an HR number are not in the file; they stay active"
            " unless the file is declared complete.",
            num=plan.not_in_file,
        )
    for problem in plan.problems:
        where = problem.sheet.title
        if problem.line is not None:
            where += ", " + _("Line %(line)s", line=problem.line)
        label = _("Error") if problem.is_error else _("Warning")
        yield f"{label}: {where}: {problem.message}"
