"""Read a procedure file and validate all of it; a broken procedure never half-loads.

YAML because universities edit these files by hand: comments explain local choices, the Dutch
and English texts sit side by side, and nesting (stages holding steps) reads naturally. PyYAML's
safe composer gives every value its line, so each error names the file, the line and the key.
"""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import pycountry
import yaml

from workflows import conditions
from workflows.conditions import Condition, ConditionError, Names, Vocabulary
from workflows.model import (
    CATEGORY_TITLES,
    ID_PATTERN,
    KNOWN_ROLES,
    LOCALES,
    NAME_PATTERN,
    ROLE_TITLES,
    UNIT_KINDS,
    Choices,
    ClearanceGate,
    Combine,
    Committee,
    DeclaredRole,
    DossierRule,
    Duration,
    Escalation,
    EvidenceKind,
    Flag,
    FollowUp,
    LeadTime,
    Mode,
    Procedure,
    RaiseCombine,
    Regions,
    ReReview,
    RiskPolicy,
    RiskRaise,
    Stage,
    Step,
    Text,
    TimeUnit,
    Who,
    WhoKind,
)

E = TypeVar("E", bound=enum.Enum)


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line else ""
        return f"{where}{self.path}: {self.message}"


class ProcedureError(ValueError):
    """Every problem found in one procedure file."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {source}: {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{lines}")


class _Stop(Exception):
    """Raised inside the reader when a value is too broken to read further."""


class _BadNode(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


#: More values than any procedure needs: a file past it is refused, not expanded.
MAX_NODES = 50_000


def _plain(node: yaml.Node, path: str, lines: dict[str, int]) -> Any:
    """Turn a composed YAML node into plain Python, remembering each path's line."""
    lines[path] = node.start_mark.line + 1
    if len(lines) > MAX_NODES:  # e.g. anchors and aliases nested to expand a billion times
        raise _BadNode(
            Problem(
                path or "(file)", lines[path], f"the file expands to more than {MAX_NODES} values"
            )
        )
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise _BadNode(Problem(path or "(file)", line, "a key must be a plain name"))
            key = _scalar(key_node)
            if key in result:
                where = f"{path}.{key}" if path else str(key)
                raise _BadNode(Problem(where, line, f"'{key}' is given twice"))
            result[key] = _plain(value_node, f"{path}.{key}" if path else str(key), lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v, f"{path}[{i}]", lines) for i, v in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    """A scalar with YAML's safe types (int, bool, date, ...); no Python tags are honoured."""
    return yaml.constructor.SafeConstructor().construct_object(node, deep=True)


class _Reader:
    def __init__(self, source: str, lines: dict[str, int], stored: bool = False) -> None:
        self.source = source
        self.lines = lines
        self.problems: list[Problem] = []
        #: Reading back a text a trip was routed under: checks added to the format since it
        #: was written (see :func:`loads`) are not applied to it.
        self.stored = stored
        #: First-edition spellings that still load, each with what to write instead.
        self.notes: list[str] = []
        #: Every role a step may name (built-in and declared), filled before the stages.
        self.roles: dict[str, DeclaredRole] = {}
        #: The languages every text must be given in (``languages``; Dutch and English).
        self.languages: tuple[str, ...] = LOCALES

    def note(self, path: str, message: str) -> None:
        """Record a first-edition spelling that still loads, and what to write instead."""
        line = self.lines.get(path)
        self.notes.append(f"{'line ' + str(line) + ', ' if line else ''}{path}: {message}")

    def duration(
        self, data: dict[str, Any], key: str, path: str, old: str | None = None, minimum: int = 0
    ) -> Duration | None:
        """A duration with its unit (``key: {working_days: 10}``), or the first edition's
        ``old: 10`` in working days (noted); None when neither is given."""
        here = f"{path}.{key}" if path else key
        if old is not None and old in data:
            if key in data:
                self.problem(
                    f"{path}.{old}" if path else old,
                    f"give '{key}' or the first edition's '{old}', not both",
                )
                raise _Stop
            amount = self.count(data, old, path, minimum)
            self.note(
                f"{path}.{old}" if path else old,
                f"first-edition spelling; write '{key}: {{working_days: {amount}}}'",
            )
            return Duration(amount, TimeUnit.WORKING_DAYS)
        if key not in data:
            return None
        return self.span(data[key], here, minimum)

    def missing(self, data: dict[str, Any], keys: set[str], path: str, message: str) -> NoReturn:
        """Report a missing key, unless a misspelling of it was reported already; stop."""
        if not any(isinstance(k, str) and _nearest(k, keys) is not None for k in data):
            self.problem(path, message)
        raise _Stop

    def span(self, value: Any, here: str, minimum: int = 0) -> Duration:
        """``{working_days: N}``, ``{days: N}`` or ``{weeks: N}``: an amount with its unit."""
        units = [u.value for u in TimeUnit]
        if isinstance(value, int) and not isinstance(value, bool):
            self.problem(
                here,
                f"say the unit: write {{working_days: {value}}}, {{days: {value}}} or "
                f"{{weeks: {value}}}",
            )
            raise _Stop
        if not isinstance(value, dict) or len(value) != 1:
            self.problem(
                here, "a duration is one unit and its amount, e.g. {working_days: 10} or {weeks: 2}"
            )
            raise _Stop
        ((unit, amount),) = value.items()
        if unit not in units:
            near = _nearest(str(unit), units)
            hint = f"; did you mean '{near}'?" if near else ""
            self.problem(f"{here}.{unit}", f"unknown unit '{unit}' (use: {', '.join(units)}){hint}")
            raise _Stop
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < minimum:
            self.problem(f"{here}.{unit}", f"expected a whole number of {minimum} or more")
            raise _Stop
        if amount > 3650:
            self.problem(f"{here}.{unit}", "at most 3650")
            raise _Stop
        return Duration(amount, TimeUnit(unit))

    def problem(self, path: str, message: str) -> None:
        line = self.lines.get(path)
        parent = path
        while line is None and ("." in parent or "[" in parent):
            parent = parent.rsplit(".", 1)[0] if "." in parent else parent.rsplit("[", 1)[0]
            line = self.lines.get(parent)
        self.problems.append(Problem(path, line, message))

    def need(self, data: dict[str, Any], key: str, path: str, kind: type | tuple[type, ...]) -> Any:
        here = f"{path}.{key}" if path else key
        if not isinstance(data, dict):
            self.problem(path, f"expected a mapping, got {data!r}")
            raise _Stop
        if key not in data:
            # A misspelt key was reported already ("did you mean ..."): not a second problem.
            if not any(isinstance(k, str) and _nearest(k, {key}) == key for k in data):
                self.problem(path or key, f"missing '{key}'")
            raise _Stop
        value = data[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            names = (
                kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            )
            self.problem(here, f"expected {_kind_word(names)}, got {value!r}")
            raise _Stop
        return value

    def count(self, data: dict[str, Any], key: str, path: str, minimum: int = 0) -> int:
        """A whole number of at least ``minimum`` (days, sizes, versions)."""
        value: int = self.need(data, key, path, int)
        if value < minimum:
            self.problem(f"{path}.{key}" if path else key, f"must be {minimum} or more")
            raise _Stop
        return value

    def mapping(self, data: Any, path: str, allowed: set[str]) -> bool:
        """Whether ``data`` is a mapping (reporting it if not), its unknown keys reported."""
        if not isinstance(data, dict):
            self.problem(path, f"expected a mapping, got {data!r}")
            return False
        self.keys(data, path, allowed)
        return True

    def optional(self, data: dict[str, Any], key: str, path: str, kind: type, default: Any) -> Any:
        if key not in data:
            return default
        return self.need(data, key, path, kind)

    def text(self, data: dict[str, Any], key: str, path: str) -> Text:
        here = f"{path}.{key}" if path else key
        value = self.need(data, key, path, dict)
        self.keys(value, here, set(self.languages))
        missing = [
            loc
            for loc in self.languages
            if not isinstance(value.get(loc), str) or not value[loc].strip()
        ]
        if missing:
            self.problem(here, f"missing translation: {', '.join(missing)}")
            raise _Stop
        more = tuple((loc, str(value[loc])) for loc in self.languages if loc not in LOCALES)
        return Text(nl=value["nl"], en=value["en"], more=more)

    def keys(self, data: dict[str, Any], path: str, allowed: set[str]) -> None:
        """Report keys the format does not know: usually a typo, or a comma in flow style."""
        for key, value in data.items():
            if not isinstance(key, str) or key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                message = f"unknown key '{key}' (expected: {', '.join(sorted(allowed))})"
                near = _nearest(str(key), allowed)
                if near is not None:
                    message += f"; did you mean '{near}'?"
                elif value is None:
                    # `{nl: Ja, graag, en: Yes}` reads "graag" as a key without a value.
                    message += "; if this is part of a text, quote the text: it contains a comma"
                self.problem(where, message)

    def condition(self, data: Any, path: str, vocab: Vocabulary) -> Condition:
        try:
            return conditions.parse(data, path, vocab)
        except ConditionError as exc:
            self.problem(exc.path, exc.message)
            raise _Stop from None


def _kind_word(name: str) -> str:
    return {
        "dict": "a mapping",
        "list": "a list",
        "int": "a whole number",
        "str": "text",
        "bool": "true or false",
    }.get(name, name)


def load(path: str | Path) -> Procedure:
    """Load and validate one procedure file, or raise :class:`ProcedureError` with every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProcedureError(str(path), [Problem("(file)", None, str(exc))]) from None
    return loads(text, str(path))


def loads(text: str, source: str = "<text>", *, stored: bool = False) -> Procedure:
    """Load a procedure from its text, e.g. the snapshot a trip stored when it was routed.

    Trips keep the text they were routed under, so a later edit of the file never rewrites
    the route of a trip already under way. ``stored`` reads such a snapshot: the checks of
    ids, names and dossier dates, added after texts were stored, only refuse new files, so
    a trip routed before them still finishes under its own rules.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise ProcedureError(
            source, [Problem("(file)", None, "the file nests too deeply")]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ProcedureError(source, [Problem("(file)", line, f"not valid YAML: {exc}")]) from None
    lines: dict[str, int] = {}
    try:
        data = _plain(node, "", lines) if node is not None else None
    except _BadNode as exc:
        raise ProcedureError(source, [exc.problem]) from None
    except RecursionError:
        raise ProcedureError(
            source, [Problem("(file)", None, "the file nests too deeply")]
        ) from None
    except yaml.YAMLError as exc:  # e.g. a !!python tag: never constructed
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ProcedureError(source, [Problem("(file)", line, f"not allowed: {exc}")]) from None
    reader = _Reader(source, lines, stored)
    if not isinstance(data, dict):
        raise ProcedureError(source, [Problem("(file)", 1, "a procedure is a mapping of keys")])
    try:
        procedure = _build(reader, data, source)
    except _Stop:  # a section too broken to read on; its problem is already recorded
        procedure = None
    if reader.problems or procedure is None:
        raise ProcedureError(source, reader.problems)
    return replace(procedure, text=text, notes=tuple(reader.notes))


TOP_KEYS = {
    "id",
    "version",
    "name",
    "description",
    "scale_max",
    "flags",
    "advisory_tags",
    "country_lists",
    "committees",
    "risk",
    "lead_time_days",
    "lead_time",
    "lead_times",
    "roles",
    "languages",
    "categories",
    "no_approval",
    "stages",
    "dossier",
    "rereview",
    "followup",
    "holidays",
    "advisory_sources",
    "risk_policy",
    "choices",
}
CHOICE_KEYS = {
    "necessity_from_level",
    "condition_due_days_before",
    "condition_due",
    "cancel_roles",
    "fallback_role",
}
#: A role held per faculty cannot cancel trips university-wide.
UNIVERSITY_ROLES = KNOWN_ROLES - {"faculty_authority"}
#: A week: a traveller not heard of for longer is not a follow-up matter any more.
MAX_ESCALATE_HOURS = 168
FOLLOWUP_KEYS = {
    "clearance_gate",
    "dossier_reminder_days",
    "safe_return_min_level",
    "safe_return_escalate_hours",
    "debrief_levels",
    "expiry_warning_days",
    "checkin_levels",
    "checkin_every_hours",
    "checkin_grace_hours",
    "checkin_crisis_hours",
}
STAGE_KEYS = {"id", "name", "when", "steps"}
STEP_KEYS = {
    "id",
    "name",
    "who",
    "mode",
    "deadline",
    "deadline_days",
    "reminder",
    "reminder_days",
    "escalate",
}
DOSSIER_KEYS = {
    "id",
    "name",
    "when",
    "owner",
    "due",
    "due_days_before",
    "blocking",
    "evidence",
    "verified",
    "max_age_years",
    "valid_months_after_return",
}


def _languages(r: _Reader, data: dict[str, Any]) -> tuple[str, ...]:
    """The languages of the file's texts: the service's Dutch and English, and any others."""
    if "languages" not in data:
        return LOCALES
    raw = data["languages"]
    if not isinstance(raw, list) or not all(isinstance(code, str) for code in raw):
        r.problem("languages", "expected a list of language codes, e.g. [nl, en, fr]")
        return LOCALES
    missing = [code for code in LOCALES if code not in raw]
    if missing:
        r.problem(
            "languages",
            f"the service's pages and e-mails are in Dutch and English, so the file's texts must "
            f"be too: add {', '.join(missing)}",
        )
    found: list[str] = list(LOCALES)
    for i, code in enumerate(raw):
        if code in raw[:i]:
            r.problem(f"languages[{i}]", f"'{code}' is listed twice")
            continue
        if code in found:
            continue
        if not (len(code) == 2 and code.islower() and pycountry.languages.get(alpha_2=code)):
            r.problem(
                f"languages[{i}]",
                f"'{code}' is not an ISO 639-1 language code (two lower-case letters, e.g. fr)",
            )
            continue
        found.append(code)
    return tuple(found)


def _build(r: _Reader, data: dict[str, Any], source: str) -> Procedure | None:
    r.keys(data, "", TOP_KEYS)
    r.languages = _languages(r, data)
    try:
        pid = r.need(data, "id", "", str)
        version = r.count(data, "version", "", minimum=1)
        name = r.text(data, "name", "")
        description = r.text(data, "description", "")
        scale_max = r.optional(data, "scale_max", "", int, 3)
    except _Stop:
        return None

    flags: dict[str, Flag] = {}
    for i, item in enumerate(r.optional(data, "flags", "", list, [])):
        here = f"flags[{i}]"
        try:
            if not r.mapping(item, here, {"id", "name"}):
                continue
            fid = r.need(item, "id", here, str)
            _check_id(r, fid, f"{here}.id", "flag")
            if fid in flags:
                r.problem(f"{here}.id", f"duplicate flag id '{fid}'")
            flags[fid] = Flag(fid, r.text(item, "name", here))
        except _Stop:
            continue

    tag_titles = _names(r, data, "advisory_tags")
    list_titles = _names(r, data, "country_lists")
    tags, lists = frozenset(tag_titles), frozenset(list_titles)
    categories = _categories(r, data)
    names = Names(
        {
            **{("tag", code): _titles(t) for code, t in tag_titles.items() if t is not None},
            **{("list", code): _titles(t) for code, t in list_titles.items() if t is not None},
            **{("flag", code): _titles(f.name) for code, f in flags.items()},
            **{("category", code): _titles(t) for code, t in categories.items()},
        }
    )
    vocab = Vocabulary(scale_max, tags, lists, frozenset(flags), frozenset(categories), names)
    r.roles = _roles(r, data)

    committees: dict[str, Committee] = {}
    for i, item in enumerate(r.optional(data, "committees", "", list, [])):
        here = f"committees[{i}]"
        if not r.mapping(item, here, {"id", "name", "role", "size"}):
            continue
        try:
            cid = r.need(item, "id", here, str)
            _check_id(r, cid, f"{here}.id", "committee")
            role = r.need(item, "role", here, str)
            if role not in r.roles:
                r.problem(f"{here}.role", _unknown_role(role, r.roles))
            elif r.roles[role].unit_kind is not None:
                r.problem(
                    f"{here}.role",
                    f"role '{role}' is held per {r.roles[role].unit_kind}; a committee's members "
                    "hold a role for the whole university",
                )
            size = r.count(item, "size", here, minimum=1)
            if cid in committees:
                r.problem(f"{here}.id", f"duplicate committee id '{cid}'")
            committees[cid] = Committee(cid, r.text(item, "name", here), role, size)
        except _Stop:
            continue

    raises: list[RiskRaise] = []
    risk = r.optional(data, "risk", "", dict, {})
    r.keys(risk, "risk", {"raises", "cap", "combine", "exempt_lists"})
    raw_raises = risk.get("raises", []) if isinstance(risk, dict) else []
    if not isinstance(raw_raises, list):
        r.problem("risk.raises", "expected a list of raises")
        raw_raises = []
    for i, item in enumerate(raw_raises):
        here = f"risk.raises[{i}]"
        if not r.mapping(item, here, {"id", "when", "by", "at_least", "reason"}):
            continue
        try:
            _check_id(r, r.need(item, "id", here, str), f"{here}.id", "raise")
            if "by" not in item and "at_least" not in item:
                r.problem(here, "a raise needs 'by: N' (levels added) or 'at_least: N' (a floor)")
                continue
            floor = None
            if "at_least" in item:
                floor = r.count(item, "at_least", here, minimum=0)
                if floor > scale_max:
                    r.problem(
                        f"{here}.at_least", f"level {floor} is outside the scale 0..{scale_max}"
                    )
            raises.append(
                RiskRaise(
                    id=r.need(item, "id", here, str),
                    when=r.condition(r.need(item, "when", here, dict), f"{here}.when", vocab),
                    by=r.count(item, "by", here, minimum=1) if "by" in item else 0,
                    reason=r.text(item, "reason", here),
                    at_least=floor,
                )
            )
        except _Stop:
            continue
    raise_combine = RaiseCombine.ADD
    if isinstance(risk, dict) and "combine" in risk:
        try:
            raise_combine = RaiseCombine(risk["combine"])
        except ValueError:
            r.problem(
                "risk.combine", "expected 'add' (raises add up) or 'highest' (the highest wins)"
            )
    exempt_lists: set[str] = set()
    raw_exempt = risk.get("exempt_lists", []) if isinstance(risk, dict) else []
    if not isinstance(raw_exempt, list):
        r.problem("risk.exempt_lists", "expected a list of country list codes")
        raw_exempt = []
    for i, code in enumerate(raw_exempt):
        if not isinstance(code, str) or code not in lists:
            r.problem(
                f"risk.exempt_lists[{i}]",
                f"unknown country list {code!r}; declare it under 'country_lists'",
            )
        else:
            exempt_lists.add(code)
    cap = risk.get("cap", scale_max) if isinstance(risk, dict) else scale_max
    if not isinstance(cap, int) or isinstance(cap, bool) or not 0 <= cap <= scale_max:
        r.problem("risk.cap", f"the cap must be a level 0..{scale_max}")
        cap = scale_max

    lead_time = _lead_time(r, data, scale_max)

    lead_times: list[LeadTime] = []
    for i, item in enumerate(r.optional(data, "lead_times", "", list, [])):
        here = f"lead_times[{i}]"
        if not r.mapping(item, here, {"when", "lead", "days", "reason"}):
            continue
        try:
            if "lead" in item and "days" in item:
                r.problem(f"{here}.days", "give 'lead' or 'days', not both")
                continue
            if "lead" in item:
                span = r.span(item["lead"], f"{here}.lead")
            else:
                span = Duration(r.count(item, "days", here, minimum=0), TimeUnit.DAYS)
            lead_times.append(
                LeadTime(
                    when=r.condition(r.need(item, "when", here, dict), f"{here}.when", vocab),
                    days=span.calendar_days,
                    reason=r.text(item, "reason", here),
                    duration=span,
                )
            )
        except _Stop:
            continue

    no_approval = None
    if "no_approval" in data:
        try:
            block = r.need(data, "no_approval", "", dict)
            r.keys(block, "no_approval", {"when"})
            no_approval = r.condition(
                r.need(block, "when", "no_approval", dict), "no_approval.when", vocab
            )
        except _Stop:
            pass

    stages = _stages(r, data, vocab, committees, no_approval, cap)
    # Every stage the file names, also one dropped for a problem of its own (no follow-up).
    raw_stages = data.get("stages")
    named_stages = {
        item["id"]
        for item in (raw_stages if isinstance(raw_stages, list) else [])
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    }
    raw_steps = {
        item["id"]: len(item["steps"])
        for item in (raw_stages if isinstance(raw_stages, list) else [])
        if isinstance(item, dict)
        and isinstance(item.get("id"), str)
        and isinstance(item.get("steps"), list)
    }
    dossier = _dossier(
        r,
        data,
        vocab,
        named_stages,
        # Stages where nobody decides (not those whose deciding step was dropped for a
        # problem of its own: no follow-up).
        frozenset(
            stage.id
            for stage in stages
            if not stage.decide_steps and len(stage.steps) == raw_steps.get(stage.id, -1)
        ),
    )
    rereview = _rereview(r, data)
    followup = _followup(r, data, scale_max)

    holidays: set[date] = set()
    for i, day in enumerate(r.optional(data, "holidays", "", list, [])):
        if isinstance(day, date):
            holidays.add(day)
        else:
            r.problem(f"holidays[{i}]", f"expected a date like 2026-12-25, got {day!r}")

    risk_policy = _risk_policy(r, data)
    choices = _choices(r, data, scale_max)
    _check_ids(r, stages, dossier)
    _check_coverage(r, stages, no_approval, vocab, cap)
    _check_one_person_once(r, stages, no_approval, vocab, cap)
    if r.problems:
        return None
    return Procedure(
        id=pid,
        version=version,
        name=name,
        description=description,
        scale_max=scale_max,
        flags=flags,
        tags=tags,
        lists=lists,
        committees=committees,
        raises=tuple(raises),
        raise_combine=raise_combine,
        exempt_lists=frozenset(exempt_lists),
        lead_times=tuple(lead_times),
        cap=cap,
        lead_time_days=lead_time,
        no_approval=no_approval,
        stages=tuple(stages),
        dossier=tuple(dossier),
        rereview=rereview,
        followup=followup,
        holidays=frozenset(holidays),
        risk_policy=risk_policy,
        choices=choices,
        roles=dict(r.roles),
        categories=categories,
        languages=r.languages,
        names=vocab.names,
        source=source,
    )


def _lead_time(r: _Reader, data: dict[str, Any], scale_max: int) -> dict[int, int]:
    """Calendar days of lead time per level: ``lead_time: {2: {weeks: 6}}`` or the first
    edition's ``lead_time_days: {2: 42}``."""
    if "lead_time" in data and "lead_time_days" in data:
        r.problem("lead_time_days", "give 'lead_time' or the older 'lead_time_days', not both")
        return {}
    key = "lead_time" if "lead_time" in data else "lead_time_days"
    lead_time: dict[int, int] = {}
    try:
        raw_lead = r.need(data, key, "", dict)
    except _Stop:
        return lead_time
    for level, value in raw_lead.items():
        here = f"{key}.{level}"
        if not isinstance(level, int) or isinstance(level, bool) or not 0 <= level <= scale_max:
            r.problem(here, f"level {level!r} is outside the scale 0..{scale_max}")
        elif key == "lead_time":
            try:
                lead_time[level] = r.span(value, here).calendar_days
            except _Stop:
                continue
        elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
            r.problem(here, "expected a number of days (0 or more)")
        else:
            lead_time[level] = value
    missing_levels = [lvl for lvl in range(scale_max + 1) if lvl not in raw_lead]
    if missing_levels:
        r.problem(key, f"missing levels: {', '.join(map(str, missing_levels))}")
    return lead_time


def _categories(r: _Reader, data: dict[str, Any]) -> dict[str, Text]:
    """The kinds of traveller the file's conditions and the filing form know, with titles
    (``categories``); left out, the framework's five."""
    if "categories" not in data:
        return {code: Text(nl, en) for code, (nl, en) in CATEGORY_TITLES.items()}
    found: dict[str, Text] = {}
    raw = data["categories"]
    if not isinstance(raw, list) or not raw:
        r.problem("categories", "expected a non-empty list of categories ({id, name})")
        return {code: Text(nl, en) for code, (nl, en) in CATEGORY_TITLES.items()}
    for i, item in enumerate(raw):
        here = f"categories[{i}]"
        if not r.mapping(item, here, {"id", "name"}):
            continue
        try:
            cid = r.need(item, "id", here, str)
            _check_id(r, cid, f"{here}.id", "category")
            if cid in found:
                r.problem(f"{here}.id", f"duplicate category id '{cid}'")
                continue
            found[cid] = r.text(item, "name", here)
        except _Stop:
            continue
    return found


#: Words a step, an escalation or a dossier owner already uses for someone else.
RESERVED_ROLE_IDS = frozenset({"supervisor", "deputy", "traveller"})


def _roles(r: _Reader, data: dict[str, Any]) -> dict[str, DeclaredRole]:
    """The application's five roles, and the roles and bodies the file declares (``roles``)."""
    roles = {
        code: DeclaredRole(code, Text(nl, en), builtin=True)
        for code, (nl, en) in ROLE_TITLES.items()
    }
    declared: set[str] = set()
    for i, item in enumerate(r.optional(data, "roles", "", list, [])):
        here = f"roles[{i}]"
        if not r.mapping(item, here, {"id", "name", "unit_kind"}):
            continue
        try:
            rid = r.need(item, "id", here, str)
            _check_id(r, rid, f"{here}.id", "role")
            if rid in RESERVED_ROLE_IDS:
                r.problem(
                    f"{here}.id",
                    f"'{rid}' already means something in a procedure (who: supervisor, "
                    "escalate: {to: deputy}, owner: traveller): choose another id",
                )
                continue
            if rid in declared:
                r.problem(f"{here}.id", f"duplicate role id '{rid}'")
                continue
            declared.add(rid)
            name = r.text(item, "name", here)
            kind = item.get("unit_kind")
            if kind is not None and (not isinstance(kind, str) or kind not in UNIT_KINDS):
                r.problem(
                    f"{here}.unit_kind",
                    f"unknown kind of unit {kind!r} (known: {', '.join(UNIT_KINDS)})",
                )
                continue
            builtin = rid in ROLE_TITLES
            if builtin and kind is not None:
                r.problem(
                    f"{here}.unit_kind",
                    f"'{rid}' is one of the application's roles: the file may give it its own "
                    "title, not tie it to a kind of unit; declare a new role instead",
                )
                continue
            roles[rid] = DeclaredRole(rid, name, kind, builtin)
        except _Stop:
            continue
    return roles


def _choices(r: _Reader, data: dict[str, Any], scale_max: int) -> Choices:
    """University choices beyond the route; each left out keeps the framework's value."""
    raw = r.optional(data, "choices", "", dict, {})
    r.keys(raw, "choices", CHOICE_KEYS)
    base = Choices()
    try:
        necessity = r.optional(
            raw, "necessity_from_level", "choices", int, base.necessity_from_level
        )
        if not 0 <= necessity <= scale_max + 1:
            r.problem(
                "choices.necessity_from_level",
                f"a level 0..{scale_max}, or {scale_max + 1} for never",
            )
        old_due = raw.get("condition_due_days_before")
        if isinstance(old_due, int) and not isinstance(old_due, bool) and old_due < 0:
            r.problem("choices.condition_due_days_before", "must be 0 to 365 working days")
            raise _Stop
        span = r.duration(raw, "condition_due", "choices", old="condition_due_days_before")
        if span is None:
            span = base.condition_due
        due = span.amount
        # At most 365 working days (as the first edition allowed), or as long in other units.
        if (
            not r.stored
            and (
                span.amount if span.unit is TimeUnit.WORKING_DAYS else (span.calendar_days * 5 // 7)
            )
            > 365
        ):
            r.problem(
                "choices.condition_due"
                if "condition_due" in raw
                else "choices.condition_due_days_before",
                "must be 0 to 365 working days",
            )
        roles = r.optional(raw, "cancel_roles", "choices", list, sorted(base.cancel_roles))
        if not roles:
            r.problem("choices.cancel_roles", "name at least one role, or nobody could cancel")
        for i, role in enumerate(roles):
            if not isinstance(role, str) or role not in UNIVERSITY_ROLES:
                r.problem(
                    f"choices.cancel_roles[{i}]",
                    f"unknown or faculty-bound role {role!r} "
                    f"(use: {', '.join(sorted(UNIVERSITY_ROLES))})",
                )
        fallback = r.optional(raw, "fallback_role", "choices", str, base.fallback_role)
        wide = {
            code
            for code, role in r.roles.items()
            if role.unit_kind is None and code != "faculty_authority"
        }
        if fallback not in wide:
            r.problem(
                "choices.fallback_role",
                f"a role held for the whole university takes what nobody else can; "
                f"{_unknown_role(fallback, wide)}",
            )
        return Choices(
            fallback_role=fallback,
            necessity_from_level=necessity,
            condition_due_days_before=due,
            condition_due=span,
            cancel_roles=frozenset(str(role) for role in roles),
        )
    except _Stop:
        return base


RISK_POLICY_KEYS = {"sources", "combine", "regions", "nationality_sources"}


def _risk_policy(r: _Reader, data: dict[str, Any]) -> RiskPolicy:
    """Which sources count and how (``risk_policy``, or the older ``advisory_sources`` list)."""
    old = _advisory_sources(r, data)
    if "risk_policy" not in data:
        return RiskPolicy() if old is None else RiskPolicy(sources=old)
    if "advisory_sources" in data:
        r.problem(
            "advisory_sources",
            "give either 'risk_policy' or the older 'advisory_sources', not both: move the "
            "list to 'risk_policy.sources' and delete 'advisory_sources'",
        )
    raw = data["risk_policy"]
    if not r.mapping(raw, "risk_policy", RISK_POLICY_KEYS):
        return RiskPolicy()
    combine = _choice(r, raw, "combine", Combine, Combine.MOST_SEVERE)
    regions = _choice(r, raw, "regions", Regions, Regions.OWN)
    sources = None
    if combine is Combine.PRIMARY and raw.get("sources") in (None, []):
        r.problem(
            "risk_policy.sources" if "sources" in raw else "risk_policy.combine",
            "'combine: primary' lets the first listed source decide, so it needs the sources "
            "in order: list them under 'risk_policy.sources' (e.g. [be_fps, nl_bz]), or write "
            "'combine: most_severe'",
        )
    elif "sources" in raw:
        sources = _source_list(r, raw["sources"], "risk_policy.sources")
    return RiskPolicy(
        sources=sources,
        combine=combine,
        regions=regions,
        nationality_sources=_nationality_sources(r, raw),
    )


def _choice(r: _Reader, raw: dict[str, Any], key: str, kind: type[E], default: E) -> E:
    """One of an enumeration's values by its name in the file, or the default when left out."""
    if key not in raw:
        return default
    value = raw[key]
    allowed = [str(member.value) for member in kind]
    for member in kind:
        if value == member.value:
            return member
    r.problem(
        f"risk_policy.{key}",
        f"unknown value {value!r}; write {' or '.join(repr(a) for a in allowed)}",
    )
    return default


def _source_list(r: _Reader, values: Any, path: str) -> tuple[str, ...] | None:
    """A non-empty list of distinct source codes, in the order given."""
    if not isinstance(values, list):
        r.problem(
            path,
            "expected a list of advisory source codes (e.g. [be_fps, nl_bz]); "
            "leave the key out to count every source",
        )
        return None
    if not values:
        r.problem(
            path,
            "expected a non-empty list of advisory source codes (e.g. [be_fps, nl_bz]); "
            "leave the key out to count every source",
        )
        return None
    codes: list[str] = []
    for i, code in enumerate(values):
        if not isinstance(code, str) or not code.strip():
            r.problem(f"{path}[{i}]", f"expected a source code, got {code!r}")
        elif code in codes:
            r.problem(f"{path}[{i}]", f"'{code}' is listed twice; list each source once")
        else:
            codes.append(code)
    return tuple(codes)


def _nationality_sources(r: _Reader, raw: dict[str, Any]) -> dict[str, str]:
    """Each nationality's government source, keyed by an ISO 3166-1 alpha-2 country code."""
    path = "risk_policy.nationality_sources"
    values = raw.get("nationality_sources", {})
    if not isinstance(values, dict):
        r.problem(path, "expected a mapping of country codes to source codes (e.g. BE: be_fps)")
        return {}
    found: dict[str, str] = {}
    for key, code in values.items():
        here = f"{path}.{key}"
        if isinstance(key, bool):
            # YAML 1.1 reads a bare NO (Norway) as false.
            r.problem(here, "this key was read as true or false: quote it, e.g. 'NO': ...")
            continue
        if not _is_country(key):
            fixed = str(key).strip().upper()
            hint = f"; write '{fixed}'" if fixed != key and _is_country(fixed) else ""
            r.problem(
                here,
                f"{key!r} is not an ISO 3166-1 alpha-2 country code "
                f"(two capital letters, e.g. BE, NL, GB){hint}",
            )
            continue
        if not isinstance(code, str) or not code.strip():
            r.problem(here, f"expected the source code of {key}'s government, got {code!r}")
            continue
        found[key] = code
    return found


def _is_country(code: Any) -> bool:
    """Whether ``code`` is an ISO 3166-1 alpha-2 country code as written (upper case)."""
    return (
        isinstance(code, str)
        and len(code) == 2
        and code.isupper()
        and pycountry.countries.get(alpha_2=code) is not None
    )


def _advisory_sources(r: _Reader, data: dict[str, Any]) -> tuple[str, ...] | None:
    """The older spelling: the sources whose advice counts, the most severe deciding."""
    if "advisory_sources" not in data:
        return None
    return _source_list(r, data["advisory_sources"], "advisory_sources")


def _names(r: _Reader, data: dict[str, Any], key: str) -> dict[str, Text | None]:
    """The tags or country lists the file declares, each a name or ``{id, name: {nl, en}}``;
    the title (None when only the name is given) is what people read instead of the code."""
    values = r.optional(data, key, "", list, []) if key in data else []
    good: dict[str, Text | None] = {}
    for i, v in enumerate(values):
        here = f"{key}[{i}]"
        title: Text | None = None
        if isinstance(v, dict):
            if not r.mapping(v, here, {"id", "name"}):
                continue
            try:
                v = r.need(v, "id", here, str)
                title = r.text(values[i], "name", here)
            except _Stop:
                continue
        if isinstance(v, str) and v:
            good[v] = title
            if not _NAME.match(v) and not r.stored:
                r.problem(here, _bad_name(v))
        else:
            r.problem(here, "expected a name, or {id, name: {nl, en}}")
    return good


def _titles(text: Text) -> dict[str, str]:
    """A text's wording per language, as :class:`Names` keeps it."""
    return {"nl": text.nl, "en": text.en, **dict(text.more)}


_NAME = re.compile(NAME_PATTERN)
_ID = re.compile(ID_PATTERN)


def _bad_name(name: str) -> str:
    """Why an administrator could never enter this tag or list code, and what to write."""
    fixed = re.sub(r"[^a-z0-9_-]+", "_", name.strip().lower()).strip("_-")[:40]
    hint = f"; write '{fixed}'" if fixed and _NAME.match(fixed) else ""
    return (
        f"'{name}' is not a name an administrator can enter (lower-case letters, digits, "
        f"- and _, starting with a letter or digit, at most 40){hint}"
    )


def _check_id(r: _Reader, value: str, path: str, what: str) -> None:
    """Report an id that would break the Mermaid chart, an HTML id or a file name."""
    if not _ID.match(value) and not r.stored:
        fixed = re.sub(r"[^a-z0-9_]+", "_", value.strip().lower()).strip("_")[:40]
        hint = f"; write '{fixed}'" if fixed and _ID.match(fixed) else ""
        r.problem(
            path,
            f"{what} id '{value}' may use lower-case letters, digits and _ only, starting with "
            f"a letter, at most 40 (it names a node of the flowchart){hint}",
        )


def _nearest(word: str, known: Iterable[str]) -> str | None:
    """The known name closest to a typo, if one is close enough to suggest."""
    found = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.75)
    return found[0] if found else None


def _unknown_role(role: str, roles: Iterable[str] = KNOWN_ROLES) -> str:
    known = sorted(set(roles))
    near = _nearest(role, known)
    hint = f"; did you mean '{near}'?" if near else ""
    return (
        f"unknown role '{role}' (known: {', '.join(known)}){hint}; "
        "a body of your own is declared under 'roles'"
    )


def _who(r: _Reader, data: Any, path: str, committees: dict[str, Committee]) -> Who:
    if isinstance(data, str) and data in ("supervisor", "faculty_authority"):
        declared = r.roles.get(data)
        return Who(WhoKind(data), title=declared.name if declared is not None else None)
    if isinstance(data, dict) and len(data) in (1, 2):
        if "head_of" in data:
            r.keys(data, path, {"head_of"})
            kind = data["head_of"]
            if not isinstance(kind, str) or kind not in UNIT_KINDS:
                r.problem(
                    f"{path}.head_of",
                    f"unknown kind of unit {kind!r} (known: {', '.join(UNIT_KINDS)})",
                )
                raise _Stop
            return Who(WhoKind.UNIT_HEAD, str(kind))
        if "role" in data:
            r.keys(data, path, {"role"})
            role = data["role"]
            if not isinstance(role, str):
                r.problem(f"{path}.role", "expected the name of a role")
                raise _Stop
            declared = r.roles.get(role) if r.roles else None
            if declared is None:
                r.problem(f"{path}.role", _unknown_role(str(role), r.roles or KNOWN_ROLES))
                raise _Stop
            return Who(WhoKind.ROLE, role, title=declared.name, unit_kind=declared.unit_kind)
        if "committee" in data:
            r.keys(data, path, {"committee", "quorum"})
            cid = data["committee"]
            if not isinstance(cid, str):
                r.problem(f"{path}.committee", "expected a committee id")
                raise _Stop
            committee = committees.get(cid)
            if committee is None:
                r.problem(
                    f"{path}.committee", f"unknown committee '{cid}'; declare it under 'committees'"
                )
                raise _Stop
            quorum = data.get("quorum", 1)
            if not isinstance(quorum, int) or isinstance(quorum, bool) or quorum < 1:
                r.problem(f"{path}.quorum", "the quorum is a whole number of 1 or more")
                raise _Stop
            if quorum > committee.size:
                r.problem(
                    f"{path}.quorum",
                    f"quorum {quorum} is larger than committee '{cid}' ({committee.size} members)",
                )
                raise _Stop
            return Who(WhoKind.COMMITTEE, cid, quorum, title=committee.name)
    r.problem(
        path,
        "who is 'supervisor', 'faculty_authority', {head_of: KIND}, {role: NAME} (a role of"
        " the application or one declared under 'roles') or {committee: ID, quorum: K}",
    )
    raise _Stop


def _stages(
    r: _Reader,
    data: dict[str, Any],
    vocab: Vocabulary,
    committees: dict[str, Committee],
    no_approval: Condition | None,
    cap: int,
) -> list[Stage]:
    stages: list[Stage] = []
    try:
        raw = r.need(data, "stages", "", list)
    except _Stop:
        return stages
    for i, item in enumerate(raw):
        here = f"stages[{i}]"
        try:
            if not isinstance(item, dict):
                r.problem(here, "a stage is a mapping")
                continue
            r.keys(item, here, STAGE_KEYS)
            sid = r.need(item, "id", here, str)
            _check_id(r, sid, f"{here}.id", "stage")
            when = r.condition(
                r.optional(item, "when", here, dict, {"always": True}), f"{here}.when", vocab
            )
            # A stage applies only to trips that need approval, at levels up to the cap.
            reachable = conditions.All(
                (when, conditions.Not(no_approval)) if no_approval is not None else (when,)
            )
            capped = Vocabulary(cap, vocab.tags, vocab.lists, vocab.flags, vocab.categories)
            if not conditions.can_hold(reachable, capped):
                r.problem(
                    f"{here}.when",
                    f"stage '{sid}' can never apply: no trip satisfies {when.describe()}",
                )
            steps: list[Step] = []
            dropped = 0
            for j, raw_step in enumerate(r.need(item, "steps", here, list)):
                step_path = f"{here}.steps[{j}]"
                try:
                    steps.append(_step(r, raw_step, step_path, committees))
                except _Stop:
                    dropped += 1  # its problem is reported; no follow-up about the stage
                    continue
            if not steps and not dropped:
                r.problem(f"{here}.steps", "a stage needs at least one step")
            stages.append(Stage(sid, r.text(item, "name", here), when, tuple(steps)))
        except _Stop:
            continue
    return stages


def _step(r: _Reader, item: Any, path: str, committees: dict[str, Committee]) -> Step:
    if not isinstance(item, dict):
        r.problem(path, "a step is a mapping")
        raise _Stop
    r.keys(item, path, STEP_KEYS)
    sid = r.need(item, "id", path, str)
    _check_id(r, sid, f"{path}.id", "step")
    mode_value = r.need(item, "mode", path, str)
    modes = [m.value for m in Mode]
    if mode_value not in modes:
        near = _nearest(mode_value, modes)
        hint = f"; did you mean '{near}'?" if near else ""
        r.problem(f"{path}.mode", f"mode is one of: {', '.join(modes)}{hint}")
        raise _Stop
    mode = Mode(mode_value)
    if mode is Mode.NOTIFY:
        for key in ("deadline", "deadline_days", "reminder", "reminder_days", "escalate"):
            if key in item:
                r.problem(
                    f"{path}.{key}",
                    "a notify step only tells the people it names: it has no deadline, "
                    "reminder or escalation",
                )
                raise _Stop
        deadline = Duration(0)
    else:
        span = r.duration(item, "deadline", path, old="deadline_days", minimum=1)
        if span is None:
            r.missing(
                item,
                {"deadline", "deadline_days"},
                path,
                "missing 'deadline' (e.g. deadline: {working_days: 10})",
            )
        deadline = span
    reminder = r.duration(item, "reminder", path, old="reminder_days")
    escalation = None
    if "escalate" in item:
        here = f"{path}.escalate"
        esc = r.need(item, "escalate", path, dict)
        r.keys(esc, here, {"after", "after_days", "to", "reassign_to"})
        after = r.duration(esc, "after", here, old="after_days")
        if after is None:
            r.missing(
                esc,
                {"after", "after_days"},
                here,
                "missing 'after' (e.g. after: {working_days: 7})",
            )
        to = r.need(esc, "to", here, str)
        wide = {code for code, role in r.roles.items() if role.unit_kind is None}
        if to in r.roles and to not in wide:
            r.problem(
                f"{here}.to",
                f"role '{to}' is held per {r.roles[to].unit_kind}: an escalation goes to "
                "'deputy' or to a role held for the whole university",
            )
        elif to != "deputy" and to not in wide:
            r.problem(f"{here}.to", f"escalate to 'deputy' or a role; {_unknown_role(to, wide)}")
        taker = esc.get("reassign_to")
        if taker is not None and not isinstance(taker, str):
            r.problem(f"{here}.reassign_to", "name one role, e.g. reassign_to: safety_officer")
            taker = None
        elif taker == "faculty_authority" or (taker in r.roles and taker not in wide):
            r.problem(
                f"{here}.reassign_to",
                f"role '{taker}' is held per faculty or unit: an overdue step is handed to a "
                "role held for the whole university (e.g. safety_officer)",
            )
        elif taker is not None and taker not in wide:
            r.problem(
                f"{here}.reassign_to",
                "an overdue step is handed to a role held for the whole university; "
                + _unknown_role(taker, wide - {"faculty_authority"}),
            )
        escalation = Escalation(after, to, taker)
        if after.calendar_days > deadline.calendar_days:
            r.problem(
                f"{here}.after" if "after" in esc else f"{here}.after_days",
                "escalation comes after the deadline",
            )
    if reminder is not None and reminder.calendar_days > deadline.calendar_days:
        r.problem(
            f"{path}.reminder" if "reminder" in item else f"{path}.reminder_days",
            "the reminder comes after the deadline",
        )
    who = _who(r, item.get("who"), f"{path}.who", committees)
    if not mode.decides and who.quorum > 1:
        r.problem(
            f"{path}.who.quorum",
            f"a quorum applies to deciding; a {mode.value} step is answered once",
        )
    return Step(sid, r.text(item, "name", path), who, mode, deadline, reminder, escalation)


def _due(
    r: _Reader, item: dict[str, Any], here: str, stage_ids: set[str]
) -> tuple[Duration, str | None, bool]:
    """When a dossier item is due: its lead before departure, the stage it must be done
    before, and whether it is due with the request."""
    if "due" in item and "due_days_before" in item:
        r.problem(f"{here}.due_days_before", "give 'due' or the older 'due_days_before', not both")
        raise _Stop
    if "due_days_before" in item:
        return r.duration(item, "due", here, old="due_days_before") or Duration(0), None, False
    if "due" not in item:
        r.missing(
            item,
            {"due", "due_days_before"},
            here,
            "missing 'due': {working_days: N} before departure, with_request, or "
            "{before_stage: STAGE}",
        )
    value = item["due"]
    path = f"{here}.due"
    if value == "with_request":
        return Duration(0), None, True
    units = {u.value for u in TimeUnit}
    if isinstance(value, dict) and "before_stage" in value:
        r.keys(value, path, {"before_stage"} | units)
        stage = value["before_stage"]
        if not isinstance(stage, str) or stage not in stage_ids:
            near = _nearest(str(stage), stage_ids)
            hint = f"; did you mean '{near}'?" if near else ""
            r.problem(
                f"{path}.before_stage",
                f"unknown stage {stage!r} (stages: {', '.join(sorted(stage_ids))}){hint}",
            )
            raise _Stop
        if any(k not in units and k != "before_stage" for k in value):
            raise _Stop  # the unknown key is reported already
        rest = {k: v for k, v in value.items() if k != "before_stage"}
        lead = r.span(rest, path) if rest else Duration(0)
        return lead, stage, False
    return r.span(value, path), None, False


def _dossier(
    r: _Reader,
    data: dict[str, Any],
    vocab: Vocabulary,
    stage_ids: set[str],
    nobody_decides: frozenset[str] = frozenset(),
) -> list[DossierRule]:
    rules: list[DossierRule] = []
    for i, item in enumerate(r.optional(data, "dossier", "", list, [])):
        here = f"dossier[{i}]"
        if not r.mapping(item, here, DOSSIER_KEYS):
            continue
        try:
            owner = r.optional(item, "owner", here, str, "traveller")
            if owner in r.roles and owner not in KNOWN_ROLES:
                r.problem(
                    f"{here}.owner",
                    f"'{owner}' is a role of this file; a dossier item is kept by the traveller "
                    f"or one of the application's roles ({', '.join(sorted(KNOWN_ROLES))})",
                )
            elif owner != "traveller" and owner not in KNOWN_ROLES:
                r.problem(
                    f"{here}.owner", f"owner is 'traveller' or a role; {_unknown_role(owner)}"
                )
            rule_id = r.need(item, "id", here, str)
            _check_id(r, rule_id, f"{here}.id", "dossier item")
            evidence = _evidence(r, item, here)
            if evidence is None:
                continue
            _check_date_rules(r, item, here, rule_id, evidence)
            due_before, before_stage, with_request = _due(r, item, here, stage_ids)
            blocking = r.optional(item, "blocking", here, bool, False)
            if blocking and before_stage is None and not with_request:
                r.problem(
                    f"{here}.blocking",
                    "only an item due with the request or before a stage can hold a stage up: "
                    "write 'due: with_request' or 'due: {before_stage: STAGE}'",
                )
            elif blocking and before_stage in nobody_decides:
                r.problem(
                    f"{here}.blocking",
                    f"stage '{before_stage}' has no decide or support step, so nothing there "
                    "could wait for the item: name a stage where someone decides, or drop "
                    "'blocking'",
                )
            rules.append(
                DossierRule(
                    id=rule_id,
                    name=r.text(item, "name", here),
                    when=r.condition(
                        r.optional(item, "when", here, dict, {"always": True}),
                        f"{here}.when",
                        vocab,
                    ),
                    owner=owner,
                    due_before=due_before,
                    before_stage=before_stage,
                    with_request=with_request,
                    blocking=blocking,
                    evidence=evidence,
                    verified=r.optional(item, "verified", here, bool, False),
                    max_age_years=r.optional(item, "max_age_years", here, int, None),
                    valid_months_after_return=r.optional(
                        item, "valid_months_after_return", here, int, None
                    ),
                )
            )
        except _Stop:
            continue
    return rules


def _evidence(r: _Reader, item: dict[str, Any], here: str) -> EvidenceKind | None:
    """``text``, ``date``, ``file``, or ``[file, date]`` for a document and its date."""
    value = r.need(item, "evidence", here, object)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        if sorted(value) == ["date", "file"]:
            return EvidenceKind.FILE_AND_DATE
    elif isinstance(value, str) and value in ("text", "date", "file"):
        return EvidenceKind(value)
    r.problem(
        f"{here}.evidence",
        "evidence is 'text', 'date', 'file', or [file, date] for a document and its date",
    )
    return None


def _check_date_rules(
    r: _Reader, item: dict[str, Any], here: str, rule_id: str, evidence: EvidenceKind
) -> None:
    """An age or validity rule needs a date to check, and one date means one of the two."""
    if r.stored:
        return
    given = [k for k in ("max_age_years", "valid_months_after_return") if k in item]
    for key in given:
        r.count(item, key, here, minimum=1)
        if not evidence.asks_date:
            what = "date of issue" if key == "max_age_years" else "expiry date"
            r.problem(
                f"{here}.{key}",
                f"item '{rule_id}' asks no date, so {key} cannot be checked: write "
                f"'evidence: [file, date]' to ask the document with its {what} "
                "(or 'evidence: date' for the date alone)",
            )
    if len(given) == 2:
        r.problem(
            f"{here}.valid_months_after_return",
            f"item '{rule_id}' asks one date: either its date of issue (max_age_years) or its "
            "expiry date (valid_months_after_return), not both; make two items",
        )


def _rereview(r: _Reader, data: dict[str, Any]) -> ReReview:
    raw = r.optional(data, "rereview", "", dict, {})
    r.keys(
        raw,
        "rereview",
        {"reopen_on_level_rise", "reopen_on_new_destination", "notify_date_shift_days"},
    )
    try:
        return ReReview(
            reopen_on_level_rise=r.optional(raw, "reopen_on_level_rise", "rereview", bool, True),
            reopen_on_new_destination=r.optional(
                raw, "reopen_on_new_destination", "rereview", bool, True
            ),
            notify_date_shift_days=r.optional(raw, "notify_date_shift_days", "rereview", int, 14),
        )
    except _Stop:
        return ReReview()


def _days(r: _Reader, raw: dict[str, Any], key: str, default: Any, low: int, high: int) -> Any:
    """A list of distinct whole numbers in ``low..high`` (days or levels), or the default."""
    here = f"followup.{key}"
    values = raw.get(key, default)
    if not isinstance(values, list | tuple | frozenset) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in values
    ):
        r.problem(here, f"expected a list of whole numbers, got {values!r}")
        return default
    wrong = [v for v in values if not low <= v <= high]
    if wrong:
        r.problem(here, f"{', '.join(map(str, wrong))} outside {low}..{high}")
        return default
    if len(set(values)) != len(values):
        r.problem(here, "a value is listed twice")
        return default
    return values


def _followup(r: _Reader, data: dict[str, Any], scale_max: int) -> FollowUp:
    raw = r.optional(data, "followup", "", dict, {})
    r.keys(raw, "followup", FOLLOWUP_KEYS)
    base = FollowUp()
    try:
        # T-1 is the departure brief's day, not a reminder's.
        reminders = _days(r, raw, "dossier_reminder_days", list(base.dossier_reminder_days), 2, 365)
        debrief = _days(r, raw, "debrief_levels", sorted(base.debrief_levels), 0, scale_max)
        min_level = r.optional(
            raw, "safe_return_min_level", "followup", int, base.safe_return_min_level
        )
        if not 0 <= min_level <= scale_max + 1:
            r.problem(
                "followup.safe_return_min_level",
                f"a level 0..{scale_max}, or {scale_max + 1} for never",
            )
        hours = r.optional(
            raw, "safe_return_escalate_hours", "followup", int, base.safe_return_escalate_hours
        )
        if not 1 <= hours <= MAX_ESCALATE_HOURS:
            r.problem(
                "followup.safe_return_escalate_hours", f"must be 1 to {MAX_ESCALATE_HOURS} hours"
            )
        warning = r.optional(raw, "expiry_warning_days", "followup", int, base.expiry_warning_days)
        if warning < 0:
            r.problem("followup.expiry_warning_days", "must be 0 or more")
        checkin_levels = _days(r, raw, "checkin_levels", sorted(base.checkin_levels), 0, scale_max)
        hours_of = {}
        for key in ("checkin_every_hours", "checkin_grace_hours", "checkin_crisis_hours"):
            value = r.optional(raw, key, "followup", int, getattr(base, key))
            if not 1 <= value <= MAX_ESCALATE_HOURS:
                r.problem(f"followup.{key}", f"must be 1 to {MAX_ESCALATE_HOURS} hours")
            hours_of[key] = value
        gate = r.optional(raw, "clearance_gate", "followup", str, base.clearance_gate.value)
        gates = {g.value: g for g in ClearanceGate}
        if gate not in gates:
            r.problem("followup.clearance_gate", f"must be one of: {', '.join(sorted(gates))}")
            gate = base.clearance_gate.value
        return FollowUp(
            clearance_gate=gates[gate],
            checkin_levels=frozenset(checkin_levels),
            **hours_of,
            dossier_reminder_days=tuple(sorted(reminders, reverse=True)),
            safe_return_min_level=min_level,
            safe_return_escalate_hours=hours,
            debrief_levels=frozenset(debrief),
            expiry_warning_days=warning,
        )
    except _Stop:
        return base


def _check_coverage(
    r: _Reader, stages: list[Stage], no_approval: Condition | None, vocab: Vocabulary, cap: int
) -> None:
    """Fail closed: every trip either needs no approval or meets at least one stage."""
    if r.problems:
        return
    uncovered = (
        conditions.All(
            tuple([conditions.Not(no_approval)] if no_approval is not None else [])
            + tuple(conditions.Not(s.when) for s in stages)
        )
        if stages or no_approval is not None
        else conditions.Always(True)
    )
    capped = Vocabulary(
        min(cap, vocab.scale_max), vocab.tags, vocab.lists, vocab.flags, vocab.categories
    )
    if conditions.can_hold(uncovered, capped):
        r.problem(
            "stages",
            "some trips would match no stage and not 'no_approval' either, so "
            "nobody would review them: add a stage or widen 'no_approval' "
            f"(uncovered: {uncovered.describe()})",
        )


def _check_one_person_once(
    r: _Reader, stages: list[Stage], no_approval: Condition | None, vocab: Vocabulary, cap: int
) -> None:
    """One person never fills two steps of one trip, so a file may not name the same single
    person (the supervisor, the head of the traveller's unit of a kind) in two steps that can
    be on one route: the second would wait for nobody."""
    if r.problems or r.stored:
        return
    capped = Vocabulary(
        min(cap, vocab.scale_max), vocab.tags, vocab.lists, vocab.flags, vocab.categories
    )
    seen: list[tuple[int, int, Stage, Step]] = []
    for i, stage in enumerate(stages):
        for j, step in enumerate(stage.steps):
            if step.mode is Mode.NOTIFY or step.who.kind not in (
                WhoKind.SUPERVISOR,
                WhoKind.UNIT_HEAD,
            ):
                continue
            for _, _, other_stage, other in seen:
                if (other.who.kind, other.who.name) != (step.who.kind, step.who.name):
                    continue
                together = [stage.when] if other_stage is stage else [stage.when, other_stage.when]
                if no_approval is not None:
                    together.append(conditions.Not(no_approval))
                if conditions.can_hold(conditions.All(tuple(together)), capped):
                    r.problem(
                        f"stages[{i}].steps[{j}].who",
                        f"step '{step.id}' names {step.who.describe('en')}, who already fills "
                        f"step '{other.id}' on the same route; one person never fills two steps "
                        "of one trip, so this step would wait for nobody: name someone else "
                        "(a role, a committee, the head of another kind of unit)",
                    )
            seen.append((i, j, stage, step))


def _check_ids(r: _Reader, stages: list[Stage], dossier: list[DossierRule]) -> None:
    stage_ids: set[str] = set()
    step_ids: set[str] = set()
    for i, stage in enumerate(stages):
        if stage.id in stage_ids:
            r.problem(f"stages[{i}].id", f"duplicate stage id '{stage.id}'")
        stage_ids.add(stage.id)
        for j, step in enumerate(stage.steps):
            if step.id in step_ids:
                r.problem(f"stages[{i}].steps[{j}].id", f"duplicate step id '{step.id}'")
            step_ids.add(step.id)
    items: set[str] = set()
    for i, rule in enumerate(dossier):
        if rule.id in items:
            r.problem(f"dossier[{i}].id", f"duplicate dossier item id '{rule.id}'")
        items.add(rule.id)
