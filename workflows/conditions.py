"""Conditions as structured data: a small closed vocabulary, parsed and checked, never eval'd.

A condition is a mapping with one key::

    {all: [c, ...]}  {any: [c, ...]}  {not: c}  {always: true}
    {level: 2}  {level: {gte: 2}}             the trip's level (after raises)
    {tag: evacuation}                         any destination's advisory carries the tag
    {tag: [evacuation, kidnapping]}           ... any of these tags (flag and in_list alike)
    {some_destination: {level: {gte: 2}, not_in_list: exempt}}
                                              one destination meets every part given
    {every_destination: {in_list: exempt}}    every destination meets every part given
    {in_list: heat_required}                  any destination is on the country list
    {all_in_list: exempt}                     every destination is on the list
    {category: [phd, student]}                the traveller's category
    {flag: lone_fieldwork}                    an activity or traveller flag is set
    {duration_days: {gt: 30}}                 days from departure to return
    {days_until_departure: {lt: 14}}          days from today to departure
"""

from __future__ import annotations

import difflib
import itertools
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

OPERATORS: dict[str, Callable[[int, int], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
OPERATOR_TEXT = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
NUMBER_FACTS = ("duration_days", "days_until_departure")
#: Above this many yes/no facts in one condition, :func:`can_hold` stops searching.
MAX_SEARCH_ATOMS = 14
FACTS = (
    "all",
    "any",
    "not",
    "always",
    "level",
    "tag",
    "in_list",
    "all_in_list",
    "category",
    "flag",
    "some_destination",
    "every_destination",
    *NUMBER_FACTS,
)
#: What a per-destination condition may test of each destination.
DESTINATION_KEYS = ("level", "in_list", "not_in_list", "tag")


@dataclass(frozen=True)
class DestinationFacts:
    """One destination as per-destination conditions see it."""

    level: int
    lists: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ConditionFacts:
    """What conditions may look at, computed once per trip."""

    level: int
    category: str
    tags: frozenset[str] = frozenset()
    lists_any: frozenset[str] = frozenset()
    lists_all: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    numbers: dict[str, int] = field(default_factory=dict)
    destinations: tuple[DestinationFacts, ...] = ()


@dataclass(frozen=True)
class Names:
    """What a procedure calls its codes (a tag, list, flag or category) in each language, so a
    condition reads "a destination on list Forbidden destinations", never its code."""

    #: (kind, code) -> {locale: title}; kind is "tag", "list", "flag" or "category".
    titles: Mapping[tuple[str, str], Mapping[str, str]] = field(default_factory=dict)

    def title(self, kind: str, code: str, locale: str = "en") -> str:
        """The declared title in ``locale`` (else English), or the code in words."""
        known = self.titles.get((kind, code))
        if known:
            return known.get(locale) or known.get("en") or next(iter(known.values()))
        return in_words(code)


def in_words(code: str) -> str:
    """A code people can read when nobody gave it a title: "committee_only" → "committee only"."""
    return code.replace("_", " ").replace("-", " ")


#: Codes as words: for conditions built without a procedure's titles.
NO_NAMES = Names()


class ConditionError(ValueError):
    """A condition that does not parse; ``path`` says where."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


class Condition:
    def holds(self, facts: ConditionFacts) -> bool:
        raise NotImplementedError

    def describe(self, locale: str = "en") -> str:
        raise NotImplementedError

    def atoms(self) -> Iterator[Condition]:
        yield self


@dataclass(frozen=True)
class Always(Condition):
    value: bool

    def holds(self, facts: ConditionFacts) -> bool:
        return self.value

    def describe(self, locale: str = "en") -> str:
        if locale == "nl":
            return "altijd" if self.value else "nooit"
        return "always" if self.value else "never"


@dataclass(frozen=True)
class All(Condition):
    parts: tuple[Condition, ...]

    def holds(self, facts: ConditionFacts) -> bool:
        return all(p.holds(facts) for p in self.parts)

    def describe(self, locale: str = "en") -> str:
        joiner = " en " if locale == "nl" else " and "
        return "(" + joiner.join(p.describe(locale) for p in self.parts) + ")"

    def atoms(self) -> Iterator[Condition]:
        for p in self.parts:
            yield from p.atoms()


@dataclass(frozen=True)
class Any_(Condition):
    parts: tuple[Condition, ...]

    def holds(self, facts: ConditionFacts) -> bool:
        return any(p.holds(facts) for p in self.parts)

    def describe(self, locale: str = "en") -> str:
        joiner = " of " if locale == "nl" else " or "
        return "(" + joiner.join(p.describe(locale) for p in self.parts) + ")"

    def atoms(self) -> Iterator[Condition]:
        for p in self.parts:
            yield from p.atoms()


@dataclass(frozen=True)
class Not(Condition):
    part: Condition

    def holds(self, facts: ConditionFacts) -> bool:
        return not self.part.holds(facts)

    def describe(self, locale: str = "en") -> str:
        return f"{'niet' if locale == 'nl' else 'not'} {self.part.describe(locale)}"

    def atoms(self) -> Iterator[Condition]:
        yield from self.part.atoms()


@dataclass(frozen=True)
class Level(Condition):
    op: str
    value: int

    def holds(self, facts: ConditionFacts) -> bool:
        return OPERATORS[self.op](facts.level, self.value)

    def describe(self, locale: str = "en") -> str:
        return f"{'niveau' if locale == 'nl' else 'level'} {OPERATOR_TEXT[self.op]} {self.value}"


@dataclass(frozen=True)
class Number(Condition):
    fact: str
    op: str
    value: int

    def holds(self, facts: ConditionFacts) -> bool:
        return OPERATORS[self.op](facts.numbers.get(self.fact, 0), self.value)

    def describe(self, locale: str = "en") -> str:
        nl, en = NUMBER_NAMES[self.fact]
        return f"{nl if locale == 'nl' else en} {OPERATOR_TEXT[self.op]} {self.value}"


#: The numeric facts of a trip in words.
NUMBER_NAMES = {
    "duration_days": ("duur in dagen", "duration in days"),
    "days_until_departure": ("dagen tot vertrek", "days until departure"),
}


@dataclass(frozen=True)
class Tag(Condition):
    name: str
    names: Names = field(default=NO_NAMES, compare=False, repr=False)

    def holds(self, facts: ConditionFacts) -> bool:
        return self.name in facts.tags

    def describe(self, locale: str = "en") -> str:
        title = self.names.title("tag", self.name, locale)
        return f"{'reisadvies met label' if locale == 'nl' else 'advisory tag'} {title}"


@dataclass(frozen=True)
class InList(Condition):
    code: str
    every: bool
    names: Names = field(default=NO_NAMES, compare=False, repr=False)

    def holds(self, facts: ConditionFacts) -> bool:
        return self.code in (facts.lists_all if self.every else facts.lists_any)

    def describe(self, locale: str = "en") -> str:
        title = self.names.title("list", self.code, locale)
        if locale == "nl":
            return f"{'elke' if self.every else 'een'} bestemming op lijst {title}"
        return f"{'every' if self.every else 'a'} destination on list {title}"


@dataclass(frozen=True)
class Category(Condition):
    values: frozenset[str]
    names: Names = field(default=NO_NAMES, compare=False, repr=False)

    def holds(self, facts: ConditionFacts) -> bool:
        return facts.category in self.values

    def describe(self, locale: str = "en") -> str:
        titles = [self.names.title("category", v, locale) for v in sorted(self.values)]
        if locale == "nl":
            return "reiziger is " + " of ".join(titles)
        return "traveller is " + " or ".join(titles)


@dataclass(frozen=True)
class Flag(Condition):
    name: str
    names: Names = field(default=NO_NAMES, compare=False, repr=False)

    def holds(self, facts: ConditionFacts) -> bool:
        return self.name in facts.flags

    def describe(self, locale: str = "en") -> str:
        title = self.names.title("flag", self.name, locale)
        return f"{'kenmerk' if locale == 'nl' else 'flag'} {title}"


@dataclass(frozen=True)
class Destination(Condition):
    """Some (or every) destination meets every part: its own level, lists and tags."""

    every: bool
    level: tuple[str, int] | None = None
    in_list: str | None = None
    not_in_list: str | None = None
    tag: str | None = None
    names: Names = field(default=NO_NAMES, compare=False, repr=False)

    def _meets(self, d: DestinationFacts) -> bool:
        return (
            (self.level is None or OPERATORS[self.level[0]](d.level, self.level[1]))
            and (self.in_list is None or self.in_list in d.lists)
            and (self.not_in_list is None or self.not_in_list not in d.lists)
            and (self.tag is None or self.tag in d.tags)
        )

    def holds(self, facts: ConditionFacts) -> bool:
        test = all if self.every else any
        return bool(facts.destinations) and test(self._meets(d) for d in facts.destinations)

    def describe(self, locale: str = "en") -> str:
        nl = locale == "nl"
        parts = []
        if self.level is not None:
            op, value = self.level
            parts.append(f"{'niveau' if nl else 'level'} {OPERATOR_TEXT[op]} {value}")
        if self.in_list is not None:
            title = self.names.title("list", self.in_list, locale)
            parts.append(f"{'op lijst' if nl else 'on list'} {title}")
        if self.not_in_list is not None:
            title = self.names.title("list", self.not_in_list, locale)
            parts.append(f"{'niet op lijst' if nl else 'not on list'} {title}")
        if self.tag is not None:
            title = self.names.title("tag", self.tag, locale)
            parts.append(f"{'met label' if nl else 'with tag'} {title}")
        who = (
            ("elke bestemming" if self.every else "een bestemming")
            if nl
            else ("every destination" if self.every else "a destination")
        )
        return f"{who}: " + (" en " if nl else " and ").join(parts)


@dataclass(frozen=True)
class Vocabulary:
    """The names a procedure declares; a condition may use no others."""

    scale_max: int
    tags: frozenset[str]
    lists: frozenset[str]
    flags: frozenset[str]
    categories: frozenset[str]
    #: What the procedure calls these names, for describing conditions.
    names: Names = NO_NAMES


def parse(data: Any, path: str, vocab: Vocabulary) -> Condition:
    """Turn a condition's data into a :class:`Condition`, or raise :class:`ConditionError`."""
    if not isinstance(data, dict) or len(data) != 1:
        raise ConditionError(path, "a condition is a mapping with exactly one key, e.g. {level: 2}")
    [(key, value)] = data.items()
    here = f"{path}.{key}"
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            raise ConditionError(here, f"'{key}' takes a non-empty list of conditions")
        parts = tuple(parse(v, f"{here}[{i}]", vocab) for i, v in enumerate(value))
        return All(parts) if key == "all" else Any_(parts)
    if key == "not":
        return Not(parse(value, here, vocab))
    if key == "always":
        if not isinstance(value, bool):
            raise ConditionError(here, "'always' takes true or false")
        return Always(value)
    if key == "level":
        op, number = _comparison(value, here)
        if not 0 <= number <= vocab.scale_max:
            raise ConditionError(here, f"level {number} is outside the scale 0..{vocab.scale_max}")
        return Level(op, number)
    if key in NUMBER_FACTS:
        op, number = _comparison(value, here)
        return Number(key, op, number)
    if isinstance(value, list) and key in ("tag", "in_list", "all_in_list", "flag"):
        if not value:
            raise ConditionError(here, f"'{key}' takes a name or a non-empty list of names")
        parts = tuple(parse({key: v}, f"{here}[{i}]", vocab) for i, v in enumerate(value))
        # A list of lists for all_in_list: every destination on one of them is not "all on
        # each"; it means any of the conditions, like the other keys.
        return parts[0] if len(parts) == 1 else Any_(parts)
    if key == "tag":
        return Tag(_declared(value, vocab.tags, here, "advisory tag", "advisory_tags"), vocab.names)
    if key in ("in_list", "all_in_list"):
        return InList(
            _declared(value, vocab.lists, here, "country list", "country_lists"),
            every=key == "all_in_list",
            names=vocab.names,
        )
    if key == "flag":
        return Flag(_declared(value, vocab.flags, here, "flag", "flags"), vocab.names)
    if key in ("some_destination", "every_destination"):
        return _destination(value, here, vocab, every=key == "every_destination")
    if key == "category":
        values = value if isinstance(value, list) else [value]
        for v in values:
            _declared(v, vocab.categories, here, "traveller category", "categories")
        return Category(frozenset(values), vocab.names)
    raise ConditionError(here, f"unknown fact '{key}'; use one of: {', '.join(FACTS)}")


def _destination(value: Any, path: str, vocab: Vocabulary, every: bool) -> Destination:
    """``{some_destination: {level: ..., in_list: ..., not_in_list: ..., tag: ...}}``."""
    if not isinstance(value, dict) or not value:
        raise ConditionError(
            path, f"expected a mapping of one or more of: {', '.join(DESTINATION_KEYS)}"
        )
    unknown = sorted(set(value) - set(DESTINATION_KEYS))
    if unknown:
        raise ConditionError(
            f"{path}.{unknown[0]}",
            f"unknown key '{unknown[0]}'; a destination is tested on: "
            + ", ".join(DESTINATION_KEYS),
        )
    level = None
    if "level" in value:
        level = _comparison(value["level"], f"{path}.level")
        if not 0 <= level[1] <= vocab.scale_max:
            raise ConditionError(
                f"{path}.level", f"level {level[1]} is outside the scale 0..{vocab.scale_max}"
            )

    def listed(key: str) -> str | None:
        if key not in value:
            return None
        return _declared(value[key], vocab.lists, f"{path}.{key}", "country list", "country_lists")

    tag = None
    if "tag" in value:
        tag = _declared(value["tag"], vocab.tags, f"{path}.tag", "advisory tag", "advisory_tags")
    return Destination(every, level, listed("in_list"), listed("not_in_list"), tag, vocab.names)


def _comparison(value: Any, path: str) -> tuple[str, int]:
    if isinstance(value, bool):
        raise ConditionError(path, "expected a number or {op: number}")
    if isinstance(value, int):
        return "eq", value
    if isinstance(value, dict) and len(value) == 1:
        [(op, number)] = value.items()
        if op in OPERATORS and isinstance(number, int) and not isinstance(number, bool):
            return op, number
    raise ConditionError(
        path, f"expected a number or {{op: number}} with op one of {', '.join(OPERATORS)}"
    )


def _declared(value: Any, known: frozenset[str], path: str, what: str, section: str | None) -> str:
    if not isinstance(value, str):
        raise ConditionError(path, f"expected the name of a {what}")
    if value not in known:
        near = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.75)
        hint = f"; did you mean '{near[0]}'?" if near else ""
        hint += f"; declare it under '{section}'" if section else ""
        choices = ", ".join(sorted(known)) or "none declared"
        raise ConditionError(path, f"unknown {what} '{value}' (known: {choices}){hint}")
    return value


def can_hold(condition: Condition, vocab: Vocabulary) -> bool:
    """Whether some trip satisfies ``condition``: every relevant combination of facts is tried."""
    atoms = list(dict.fromkeys(condition.atoms()))
    places = [a for a in atoms if isinstance(a, Destination)]
    if places:
        return _can_hold_itineraries(condition, vocab, atoms, places)
    tags = sorted({a.name for a in atoms if isinstance(a, Tag)})
    lists = sorted({a.code for a in atoms if isinstance(a, InList)})
    flags = sorted({a.name for a in atoms if isinstance(a, Flag)})
    if len(tags) + 2 * len(lists) + len(flags) > MAX_SEARCH_ATOMS:
        return True  # too many combinations to try: assume it can hold rather than stall
    numbers = _numbers(atoms)
    number_names = sorted(numbers)
    for level in range(vocab.scale_max + 1):
        for category in sorted(vocab.categories) or ["?"]:
            for tag_set, any_set, all_set, flag_set, nums in itertools.product(
                _subsets(tags),
                _subsets(lists),
                _subsets(lists),
                _subsets(flags),
                itertools.product(*(sorted(numbers[n]) for n in number_names)),
            ):
                if not all_set <= any_set:
                    continue  # every destination on a list implies one is
                facts = ConditionFacts(
                    level=level,
                    category=category,
                    tags=tag_set,
                    lists_any=any_set,
                    lists_all=all_set,
                    flags=flag_set,
                    numbers=dict(zip(number_names, nums, strict=True)),
                )
                if condition.holds(facts):
                    return True
    return False


def _numbers(atoms: list[Condition]) -> dict[str, set[int]]:
    """For each number fact the conditions test: the values around each threshold."""
    numbers: dict[str, set[int]] = {}
    for a in atoms:
        if isinstance(a, Number):
            numbers.setdefault(a.fact, {0}).update({a.value - 1, a.value, a.value + 1})
    return numbers


def _subsets(names: list[str]) -> list[frozenset[str]]:
    return [
        frozenset(n for n, b in zip(names, bits, strict=True) if b)
        for bits in itertools.product((False, True), repeat=len(names))
    ]


#: Above this many combinations of concrete itineraries, :func:`can_hold` assumes it can hold.
MAX_ITINERARY_SEARCH = 200_000


def _can_hold_itineraries(
    condition: Condition, vocab: Vocabulary, atoms: list[Condition], places: list[Destination]
) -> bool:
    """:func:`can_hold` for conditions on single destinations: concrete itineraries of one or
    two destinations are tried, so the trip's tags and lists agree with its destinations
    (every destination on a list implies one is; a tagged destination tags the trip)."""
    tags = sorted({a.name for a in atoms if isinstance(a, Tag)} | {p.tag for p in places if p.tag})
    lists = sorted(
        {a.code for a in atoms if isinstance(a, InList)}
        | {c for p in places for c in (p.in_list, p.not_in_list) if c}
    )
    flags = sorted({a.name for a in atoms if isinstance(a, Flag)})
    levels = range(vocab.scale_max + 1)
    options = [
        DestinationFacts(level, ls, ts)
        for level in levels
        for ls in _subsets(lists)
        for ts in _subsets(tags)
    ]
    itineraries = [
        trip for n in (1, 2) for trip in itertools.combinations_with_replacement(options, n)
    ]
    categories = sorted(vocab.categories) or ["?"]
    numbers = _numbers(atoms)
    number_names = sorted(numbers)
    number_sets = list(itertools.product(*(sorted(numbers[n]) for n in number_names)))
    size = len(itineraries) * len(levels) * len(categories) * 2 ** len(flags) * len(number_sets)
    if size > MAX_ITINERARY_SEARCH:
        return True  # too many combinations to try: assume it can hold rather than stall
    for trip in itineraries:
        # The trip's level is its destinations' highest, raised (or, with exempt lists, lower):
        # every level is tried.
        for level, category, flag_set, nums in itertools.product(
            levels, categories, _subsets(flags), number_sets
        ):
            facts = ConditionFacts(
                level=level,
                category=category,
                tags=frozenset().union(*(d.tags for d in trip)),
                lists_any=frozenset().union(*(d.lists for d in trip)),
                lists_all=frozenset.intersection(*(d.lists for d in trip)),
                flags=flag_set,
                numbers=dict(zip(number_names, nums, strict=True)),
                destinations=trip,
            )
            if condition.holds(facts):
                return True
    return False
