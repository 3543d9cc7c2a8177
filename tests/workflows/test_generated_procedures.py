"""Properties over generated procedures: every valid file routes every trip to an end, and
``check`` never crashes on a mutated file (it names problems or accepts)."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import workflows
from tests.workflows.conftest import trip
from workflows.engine import Actor, Outcome, State, allowed_actions, decide, position, route
from workflows.loader import ProcedureError, loads

LISTS = ["heat_required", "forbidden", "exempt"]
TAGS = ["evacuation", "epidemic"]
FLAGS = ["lone_fieldwork", "armed_groups"]
CATEGORIES = ["professor", "postdoc", "phd", "student", "atp"]
#: Several people per way of being named (nobody fills two steps of one trip, and a generated
#: file may name the supervisor in several stages), none of them the traveller.
ACTORS = [
    Actor(10, supervises_traveller=True),
    *(
        Actor(100 + i, roles=frozenset({"faculty_authority"}), faculty_authority_of_traveller=True)
        for i in range(10)
    ),
    *(Actor(200 + i, roles=frozenset({"safety_officer"})) for i in range(10)),
    *(Actor(300 + i, roles=frozenset({"executive"})) for i in range(20)),
    *(Actor(400 + i, heads_of_traveller=frozenset({"faculty"})) for i in range(10)),
    *(Actor(500 + i, roles=frozenset({"risk_committee"})) for i in range(10)),
]

atoms = st.one_of(
    st.builds(lambda n: {"level": {"gte": n}}, st.integers(1, 3)),
    st.builds(lambda t: {"tag": t}, st.sampled_from(TAGS)),
    st.builds(lambda ts: {"tag": ts}, st.lists(st.sampled_from(TAGS), min_size=1, max_size=2)),
    st.builds(lambda c: {"in_list": c}, st.sampled_from(LISTS)),
    st.builds(lambda f: {"flag": f}, st.sampled_from(FLAGS)),
    st.builds(lambda c: {"category": c}, st.lists(st.sampled_from(CATEGORIES), min_size=1)),
    st.builds(
        lambda n, c: {"some_destination": {"level": {"gte": n}, "not_in_list": c}},
        st.integers(1, 3),
        st.sampled_from(LISTS),
    ),
    st.builds(lambda c: {"every_destination": {"in_list": c}}, st.sampled_from(LISTS)),
)
conditions = st.recursive(
    atoms,
    lambda inner: st.one_of(
        st.builds(lambda xs: {"any": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"all": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
    ),
    max_leaves=4,
)
#: Who a generated step names. The supervisor (one person) decides the catch-all stage only: a
#: file naming one person in two steps of one route would leave the second to nobody.
whos = st.sampled_from(
    [
        "faculty_authority",
        {"role": "safety_officer"},
        {"role": "executive"},
        {"committee": "board", "quorum": 2},
        {"head_of": "faculty"},
        {"role": "risk_committee"},
    ]
)
#: Durations as the second edition writes them, each with its unit.
durations = st.builds(
    lambda unit, n: {unit: n},
    st.sampled_from(["working_days", "days", "weeks"]),
    st.integers(1, 4),
)


def _text(word: str) -> dict[str, str]:
    return {"nl": f"{word} (nl)", "en": word}


@st.composite
def procedures(draw: st.DrawFn) -> dict:
    stages = []
    for i in range(draw(st.integers(0, 3))):
        steps = []
        # Every kind of step, including stages of only advice, recommendations or notices.
        modes = draw(
            st.lists(
                st.sampled_from(["decide", "advise", "recommend", "support", "notify"]),
                min_size=1,
                max_size=3,
            )
        )
        for j, mode in enumerate(modes):
            step = {
                "id": f"s{i}_{j}",
                "name": _text(f"Step {i}.{j}"),
                "who": draw(whos),
                "mode": mode,
            }
            if mode != "notify":
                step["deadline"] = {"weeks": 4}
                step["reminder"] = draw(durations)
            steps.append(step)
        stages.append(
            {"id": f"g{i}", "name": _text(f"Stage {i}"), "when": draw(conditions), "steps": steps}
        )
    # A catch-all stage keeps every generated file valid: no trip is left unreviewed.
    stages.append(
        {
            "id": "base",
            "name": _text("Base"),
            "when": {"level": {"gte": 1}},
            "steps": [
                {
                    "id": "base_step",
                    "name": _text("Base step"),
                    "who": "supervisor",
                    "mode": "decide",
                    "deadline": draw(durations),
                }
            ],
        }
    )
    raises = [
        {"id": f"r{k}", "when": draw(conditions), "reason": _text(f"Raise {k}"), **bump}
        for k, bump in enumerate(
            draw(
                st.lists(
                    st.one_of(
                        st.builds(lambda n: {"by": n}, st.integers(1, 2)),
                        st.builds(lambda n: {"at_least": n}, st.integers(0, 3)),
                    ),
                    max_size=2,
                )
            )
        )
    ]
    return {
        "id": "generated",
        "version": 1,
        "name": _text("Generated"),
        "description": _text("A generated procedure"),
        "flags": [{"id": f, "name": _text(f)} for f in FLAGS],
        "country_lists": LISTS,
        "advisory_tags": TAGS,
        "roles": [{"id": "risk_committee", "name": _text("Risk committee")}],
        "committees": [{"id": "board", "name": _text("Board"), "role": "executive", "size": 3}],
        "risk": {
            "raises": raises,
            "cap": 3,
            "combine": draw(st.sampled_from(["add", "highest"])),
            "exempt_lists": draw(st.lists(st.sampled_from(["exempt"]), max_size=1)),
        },
        "lead_time": {0: {"days": 0}, 1: draw(durations), 2: {"weeks": 4}, 3: {"weeks": 6}},
        "lead_times": [
            {"when": draw(conditions), "lead": draw(durations), "reason": _text("Lead")}
        ],
        "no_approval": {"when": {"level": 0}},
        "stages": stages,
    }


trips = st.builds(
    lambda levels, lists, tags, category, flags: trip(
        *levels, lists=tuple(lists), tags=tuple(tags), category=category, flags=tuple(flags)
    ),
    st.lists(st.integers(0, 3), min_size=1, max_size=3),
    st.sets(st.sampled_from(LISTS)),
    st.sets(st.sampled_from(TAGS)),
    st.sampled_from(CATEGORIES),
    st.sets(st.sampled_from(FLAGS)),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=procedures(), facts=trips)
def test_every_generated_procedure_routes_every_trip_to_an_end(data, facts):
    try:
        procedure = loads(yaml.safe_dump(data, sort_keys=False), "generated.yaml")
    except ProcedureError as e:
        # Refused by design, and nothing else may be: a stage whose condition no trip can
        # meet, or one person (the head of the traveller's faculty) named in two steps of one
        # route.
        assume(
            all("no trip can" in p.message or "wait for nobody" in p.message for p in e.problems)
        )
        return
    r = route(procedure, facts)
    events: tuple = ()
    for _ in range(40):
        pos = position(procedure, r, events)
        if pos.state.is_final:
            break
        options = [
            (actor, a.step_id)
            for actor in ACTORS
            for a in allowed_actions(procedure, r, events, actor)
            if Outcome.APPROVE in a.outcomes or Outcome.ADVISE in a.outcomes
        ]
        assert options, f"nobody may act on a trip in review: {pos}"
        actor, step_id = options[0]
        outcome = next(
            o
            for a in allowed_actions(procedure, r, events, actor)
            if a.step_id == step_id
            for o in (Outcome.APPROVE, Outcome.ADVISE)
            if o in a.outcomes
        )
        events, _ = decide(procedure, r, events, actor, step_id, outcome, comment="ok")
    assert (
        position(procedure, r, events).state
        in (
            State.APPROVED,
            State.APPROVED_WITH_CONDITIONS,
            State.REGISTERED,
        )
        or r.no_approval
    )


MUTATIONS = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, 10_000)),
    st.tuples(
        st.just("replace"),
        st.integers(0, 10_000),
        st.sampled_from([":", "-", "{", " ", "x", "\n", "'"]),
    ),
)


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(workflows.available()), mutation=MUTATIONS)
def test_check_never_crashes_on_a_mutated_file(name, mutation):
    text = (workflows.PROCEDURES_DIR / f"{name}.yaml").read_text()
    at = mutation[1] % len(text)
    if mutation[0] == "delete":
        text = text[:at] + text[at + 1 :]
    else:
        text = text[:at] + mutation[2] + text[at + 1 :]
    try:
        loads(text, f"{name}.yaml")
    except ProcedureError as e:
        assert str(e).strip()
