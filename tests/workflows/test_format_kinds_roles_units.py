"""The format's second edition, continued: durations with their units, roles the file declares,
recommend / support / notify steps and stages that hold nothing up, dossier items due with the
request or before a stage (optionally blocking it), and facts in both languages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import workflows
from tests.workflows.conftest import TODAY, trip
from workflows import describe, diagram
from workflows.engine import (
    Actor,
    DecisionRefused,
    Outcome,
    State,
    allowed_actions,
    decide,
    dossier_items,
    position,
    route,
    step_dates,
)
from workflows.loader import ProcedureError, loads
from workflows.model import Duration, Mode, TimeUnit

HEAD = """\
id: kinds
version: 1
name: {nl: Soorten, en: Kinds}
description: {nl: Een test, en: A test}
country_lists: [forbidden]
lead_time: {0: {days: 7}, 1: {weeks: 2}, 2: {working_days: 30}, 3: {weeks: 8}}
no_approval: {when: {level: 0}}
roles:
  - id: risk_committee
    name: {nl: Risicocomité, en: Risk committee}
  - id: school_officer
    name: {nl: Veiligheidsverantwoordelijke van de school, en: School safety lead}
    unit_kind: faculty
  - id: executive
    name: {nl: Rector, en: Provost}
"""

STAGES = """\
stages:
  - id: school
    name: {nl: School, en: School}
    when: {level: {gte: 1}}
    steps:
      - id: dean_view
        name: {nl: Aanbeveling decaan, en: Dean's recommendation}
        who: {head_of: faculty}
        mode: recommend
        deadline: {working_days: 5}
      - id: inform_lead
        name: {nl: Verantwoordelijke ingelicht, en: Safety lead informed}
        who: {role: school_officer}
        mode: notify
      - id: head
        name: {nl: Steun hoofd, en: Head's support}
        who: supervisor
        mode: support
        deadline: {days: 7}
        reminder: {days: 3}
        escalate: {after: {weeks: 1}, to: risk_committee}
  - id: committee
    name: {nl: Comité, en: Committee}
    when: {level: {gte: 2}}
    steps:
      - id: committee
        name: {nl: Beslissing comité, en: Committee's decision}
        who: {role: risk_committee}
        mode: decide
        deadline: {working_days: 10}
  - id: provost
    name: {nl: Rector ingelicht, en: Provost informed}
    when: {level: 3}
    steps:
      - id: tell_provost
        name: {nl: Rector ingelicht, en: Provost informed}
        who: {role: executive}
        mode: notify
dossier:
  - id: plan
    name: {nl: Veiligheidsplan, en: Security plan}
    when: {level: {gte: 2}}
    due: {before_stage: committee, working_days: 10}
    blocking: true
    evidence: file
  - id: analysis
    name: {nl: Risicoanalyse, en: Risk analysis}
    when: {level: {gte: 1}}
    due: with_request
    evidence: text
  - id: passport
    name: {nl: Paspoort, en: Passport}
    due: {weeks: 2}
    evidence: text
"""

SUPERVISOR = Actor(10, supervises_traveller=True)
DEAN = Actor(11, heads_of_traveller=frozenset({"faculty"}))
COMMITTEE = Actor(12, roles=frozenset({"risk_committee"}))


@pytest.fixture
def kinds():
    return loads(HEAD + STAGES, "kinds.yaml")


def test_durations_keep_their_unit_and_count_by_it(kinds):
    _, head = kinds.step("head")
    assert head.deadline == Duration(7, TimeUnit.DAYS)
    assert head.escalation is not None and head.escalation.after == Duration(1, TimeUnit.WEEKS)
    monday = date(2026, 3, 2)
    dates = step_dates(kinds, head, monday)
    assert dates.due_on == monday + timedelta(days=7)
    assert dates.reminder_on == monday + timedelta(days=3)
    assert dates.escalate_on == monday + timedelta(days=7)
    _, committee = kinds.step("committee")
    # Ten working days from a Monday: two weeks later.
    assert step_dates(kinds, committee, monday).due_on == monday + timedelta(days=14)
    # Lead times per level in their own unit: 2 weeks at level 1, 30 working days at level 2.
    assert route(kinds, trip(1)).lead_time_days == 14
    assert route(kinds, trip(2)).lead_time_days == 42
    assert route(kinds, trip(3)).lead_time_days == 56


def test_show_and_explain_print_the_units(kinds):
    text = describe.summary(kinds, "en")
    assert "within 7 days, reminder after 3 days, escalation to Risk committee after 1 week" in (
        text
    )
    assert "within 10 working days" in text
    assert "binnen" not in text
    nl = describe.summary(kinds, "nl")
    assert "termijn 10 werkdagen" in nl and "na 1 week" in nl


def test_a_first_edition_file_still_loads_and_each_old_key_gets_its_new_spelling():
    first = workflows.get("vlir-framework").text
    for old, new in (
        ("deadline: {working_days: 10}", "deadline_days: 10"),
        ("reminder: {working_days: 3}", "reminder_days: 3"),
        ("after: {working_days: 7}", "after_days: 7"),
        ("due: {working_days: 7}", "due_days_before: 7"),
    ):
        first = first.replace(old, new)
    first = first.replace(
        "lead_time: {0: {days: 7}, 1: {days: 14}, 2: {days: 42}, 3: {days: 56}}",
        "lead_time_days: {0: 7, 1: 14, 2: 42, 3: 56}",
    )
    assert "deadline_days" in first and "lead_time_days" in first
    old = loads(first, "first.yaml")
    new = workflows.get("vlir-framework")
    for level in range(4):
        assert route(old, trip(level)).step_ids == route(new, trip(level)).step_ids
        assert route(old, trip(level)).lead_time_days == route(new, trip(level)).lead_time_days
    assert [s.deadline for st in old.stages for s in st.steps] == [
        s.deadline for st in new.stages for s in st.steps
    ]
    assert any(
        "deadline_days: first-edition spelling; write 'deadline: {working_days: 10}'" in n
        for n in old.notes
    )
    assert any("write 'due: {working_days: 7}'" in n for n in old.notes)
    assert not new.notes


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        (
            "deadline: {working_days: 10}",
            "deadline: 10",
            "stages[1].steps[0].deadline",
            "say the unit: write {working_days: 10}",
        ),
        (
            "deadline: {working_days: 10}",
            "deadline: {workdays: 10}",
            "stages[1].steps[0].deadline.workdays",
            "did you mean 'working_days'?",
        ),
        (
            "deadline: {working_days: 10}",
            "deadline: {working_days: 10, days: 3}",
            "stages[1].steps[0].deadline",
            "one unit and its amount",
        ),
        (
            "who: {role: risk_committee}",
            "who: {role: risk_comittee}",
            "stages[1].steps[0].who.role",
            "did you mean 'risk_committee'?",
        ),
        (
            "due: {before_stage: committee, working_days: 10}",
            "due: {before_stage: comittee}",
            "dossier[0].due.before_stage",
            "did you mean 'committee'?",
        ),
        (
            "due: {weeks: 2}\n    evidence: text",
            "due: {weeks: 2}\n    blocking: true\n    evidence: text",
            "dossier[2].blocking",
            "only an item due with the request or before a stage can hold a stage up",
        ),
        (
            "        who: {role: executive}\n        mode: notify",
            "        who: {role: executive}\n        mode: notify\n"
            "        deadline: {working_days: 3}",
            "stages[2].steps[0].deadline",
            "a notify step only tells the people it names",
        ),
        (
            "mode: recommend",
            "mode: recomend",
            "stages[0].steps[0].mode",
            "did you mean 'recommend'?",
        ),
        (
            "escalate: {after: {weeks: 1}, to: risk_committee}",
            "escalate: {after: {weeks: 1}, to: school_officer}",
            "stages[0].steps[2].escalate.to",
            "role 'school_officer' is held per faculty",
        ),
        (
            "due: {before_stage: committee, working_days: 10}",
            "due: {before_stage: committee, wekes: 1}",
            "dossier[0].due.wekes",
            "unknown key 'wekes'",
        ),
        (
            "roles:\n",
            "roles:\n  - id: deputy\n    name: {nl: Vervanger, en: Stand-in}\n",
            "roles[0].id",
            "'deputy' already means something",
        ),
    ],
)
def test_each_mistake_is_named_once_with_its_fix(old, new, path, message):
    text = HEAD + STAGES
    assert old in text
    with pytest.raises(ProcedureError) as caught:
        loads(text.replace(old, new, 1), "kinds.yaml")
    [problem] = caught.value.problems
    assert problem.path == path
    assert message in problem.message


def test_a_role_tied_to_a_kind_of_unit_is_refused_for_a_builtin_role():
    bad = HEAD.replace(
        "  - id: executive\n    name: {nl: Rector, en: Provost}\n",
        "  - id: executive\n    name: {nl: Rector, en: Provost}\n    unit_kind: faculty\n",
    )
    with pytest.raises(ProcedureError, match="declare a new role instead"):
        loads(bad + STAGES, "kinds.yaml")


def test_declared_titles_are_used_in_words_and_in_the_diagram(kinds):
    _, committee = kinds.step("committee")
    assert committee.who.describe("en") == "Risk committee"
    assert committee.who.describe("nl") == "Risicocomité"
    _, lead = kinds.step("inform_lead")
    assert lead.who.describe("en") == "School safety lead of the traveller's faculty"
    # The file re-titles a built-in role: the executive is the Provost here.
    assert kinds.role_title("executive", "en") == "Provost"
    chart = diagram.mermaid(kinds, "en")
    assert "Risk committee decides" in chart and "Provost is told" in chart
    assert "Dean's recommendation" in chart and "recommendation" in chart
    summary = describe.summary(kinds, "en")
    assert "School safety lead (one per faculty)" in summary


def test_only_the_role_named_may_decide_and_the_refusal_uses_titles(kinds):
    facts = trip(2)
    r = route(kinds, facts)
    events, _ = decide(kinds, r, (), SUPERVISOR, "head", Outcome.APPROVE)
    outsider = Actor(20, roles=frozenset({"safety_officer"}))
    [committee] = [
        a
        for a in allowed_actions(kinds, r, events, outsider, frozenset())
        if a.step_id == "committee"
    ]
    assert committee.refused is not None
    assert committee.refused.en == "This step is for: Risk committee."


def test_a_support_step_forwards_or_stops_and_nothing_else(kinds):
    r = route(kinds, trip(1))
    [head] = [a for a in allowed_actions(kinds, r, (), SUPERVISOR) if a.step_id == "head"]
    assert head.outcomes == (Outcome.APPROVE, Outcome.REJECT)
    with pytest.raises(DecisionRefused):
        decide(kinds, r, (), SUPERVISOR, "head", Outcome.REQUEST_CHANGES, "fix it")
    _, stopped = decide(kinds, r, (), SUPERVISOR, "head", Outcome.REJECT, "not now")
    assert stopped.state is State.REJECTED


def test_a_recommendation_holds_nothing_up_and_may_follow_later(kinds):
    facts = trip(2)
    r = route(kinds, facts)
    # The head's support passes the school stage without the dean's recommendation.
    events, pos = decide(kinds, r, (), SUPERVISOR, "head", Outcome.APPROVE)
    assert pos.state is State.IN_REVIEW and r.stages[pos.stage_index].stage.id == "committee"
    # The dean may still recommend while the committee reviews.
    [dean] = [a for a in allowed_actions(kinds, r, events, DEAN) if not a.refused]
    assert dean.step_id == "dean_view"
    assert dean.outcomes == (Outcome.FAVOURABLE, Outcome.UNFAVOURABLE)
    with pytest.raises(DecisionRefused, match="Say why you recommend against it"):
        decide(kinds, r, events, DEAN, "dean_view", Outcome.UNFAVOURABLE)
    events, pos = decide(kinds, r, events, DEAN, "dean_view", Outcome.UNFAVOURABLE, "too risky")
    assert r.stages[pos.stage_index].stage.id == "committee"
    # Once given, the recommendation is not offered again.
    assert all(a.step_id != "dean_view" for a in allowed_actions(kinds, r, events, DEAN))
    # The committee decides; the trip is approved (the provost's notice stage is not routed at 2).
    events, pos = decide(
        kinds, r, events, COMMITTEE, "committee", Outcome.APPROVE, open_items=frozenset()
    )
    assert pos.state is State.APPROVED


def test_a_stage_of_notices_only_passes_at_once(kinds):
    r = route(kinds, trip(3))
    assert [rs.stage.id for rs in r.stages] == ["school", "committee", "provost"]
    events, _ = decide(kinds, r, (), SUPERVISOR, "head", Outcome.APPROVE)
    _, pos = decide(kinds, r, events, COMMITTEE, "committee", Outcome.APPROVE)
    assert pos.state is State.APPROVED
    # Nobody is asked anything on a notify step.
    executive = Actor(30, roles=frozenset({"executive"}))
    assert all(a.step_id != "tell_provost" for a in allowed_actions(kinds, r, events, executive))


def test_a_route_of_stages_that_wait_for_nobody_is_approved_at_once():
    text = (HEAD + STAGES).replace(
        "        who: supervisor\n        mode: support\n        deadline: {days: 7}\n"
        "        reminder: {days: 3}\n"
        "        escalate: {after: {weeks: 1}, to: risk_committee}\n",
        "        who: supervisor\n        mode: notify\n",
    )
    p = loads(text, "kinds.yaml")
    r = route(p, trip(1))
    assert [rs.stage.id for rs in r.stages] == ["school"]
    assert position(p, r, ()).state is State.APPROVED


def test_an_advice_only_stage_passes_when_the_advice_is_in():
    text = (
        (HEAD + STAGES)
        .replace(
            "        who: {role: risk_committee}\n        mode: decide\n",
            "        who: {role: risk_committee}\n        mode: advise\n",
        )
        .replace(
            "    due: {before_stage: committee, working_days: 10}\n    blocking: true\n",
            "    due: {before_stage: committee, working_days: 10}\n",
        )
    )
    p = loads(text, "kinds.yaml")
    r = route(p, trip(2))
    events, _ = decide(p, r, (), SUPERVISOR, "head", Outcome.APPROVE)
    _, pos = decide(p, r, events, COMMITTEE, "committee", Outcome.ADVISE, "go, with care")
    assert pos.state is State.APPROVED


def test_a_blocking_item_holds_its_stage_until_it_is_done(kinds):
    facts = trip(2)
    r = route(kinds, facts)
    items = {i.rule.id: i for i in dossier_items(kinds, facts, r.risk, r)}
    assert items["plan"].stage_id == "committee" and items["plan"].due_on == TODAY
    assert items["analysis"].stage_id == "school" and items["analysis"].due_on == TODAY
    assert items["passport"].stage_id is None
    assert items["passport"].due_on == facts.departure - timedelta(weeks=2)
    events, _ = decide(kinds, r, (), SUPERVISOR, "head", Outcome.APPROVE)
    open_items = frozenset({"plan"})
    [refused] = [
        a
        for a in allowed_actions(kinds, r, events, COMMITTEE, open_items)
        if a.step_id == "committee"
    ]
    assert refused.refused is not None
    assert refused.refused.en == "Waiting for the mission dossier: 'Security plan'."
    assert refused.refused.nl == "Wacht eerst op het zendingsdossier: 'Veiligheidsplan'."
    with pytest.raises(DecisionRefused):
        decide(kinds, r, events, COMMITTEE, "committee", Outcome.APPROVE, open_items=open_items)
    # The analysis is due with the request but does not block: the head's support went ahead.
    _, pos = decide(kinds, r, events, COMMITTEE, "committee", Outcome.APPROVE)
    assert pos.state is State.APPROVED


def test_an_item_due_before_a_stage_the_route_lacks_is_due_by_its_departure_offset():
    text = (HEAD + STAGES).replace(
        "    when: {level: {gte: 2}}\n    due: {before_stage",
        "    when: {level: {gte: 1}}\n    due: {before_stage",
    )
    p = loads(text, "kinds.yaml")
    facts = trip(1, days_ahead=91)
    r = route(p, facts)
    assert "committee" not in [rs.stage.id for rs in r.stages]
    items = {i.rule.id: i for i in dossier_items(p, facts, r.risk, r)}
    assert items["plan"].stage_id is None
    # Ten working days before a Monday departure: two weeks before.
    assert facts.departure.weekday() == 0
    assert items["plan"].due_on == facts.departure - timedelta(days=14)


def test_explain_says_when_each_item_is_due_and_which_stage_it_holds_up(kinds):
    facts = trip(2)
    text = describe.explain(kinds, facts, route(kinds, facts), "en")
    assert "Security plan (before 'Committee' (holds that stage up))" in text
    assert "Risk analysis (before 'School')" in text
    nl = describe.explain(kinds, facts, route(kinds, facts), "nl")
    assert "Veiligheidsplan (vóór 'Comité' (houdt die stap tegen))" in nl


def test_the_facts_a_stage_looked_at_are_in_the_chosen_language(kinds):
    r = route(kinds, trip(2))
    committee = r.stages[1]
    assert committee.facts.en == "level 2" and committee.facts.nl == "niveau 2"
    assert "niveau" in describe.explain(kinds, trip(2), r, "nl")


def test_the_modes_are_named_in_words_everywhere(kinds):
    summary = describe.summary(kinds, "en")
    assert "recommends (holds nothing up)" in summary
    assert "supports and forwards, or stops" in summary
    assert "is told" in summary
    assert {s.mode for st in kinds.stages for s in st.steps} == {
        Mode.RECOMMEND,
        Mode.NOTIFY,
        Mode.SUPPORT,
        Mode.DECIDE,
    }
    svg = diagram.svg(kinds, "en")
    assert "Dean&#x27;s recommendation" in svg or "Dean's recommendation" in svg


FRENCH = """\
id: trilingual
version: 1
languages: [nl, en, fr]
name: {nl: Drietalig, en: Trilingual, fr: Trilingue}
description: {nl: Een test, en: A test, fr: Un essai}
lead_time: {0: {days: 0}, 1: {days: 0}, 2: {days: 0}, 3: {days: 0}}
no_approval: {when: {level: 0}}
stages:
  - id: boss
    name: {nl: Baas, en: Boss, fr: Chef}
    when: {level: {gte: 1}}
    steps:
      - id: boss
        name: {nl: Akkoord baas, en: Boss's approval, fr: Accord du chef}
        who: supervisor
        mode: decide
        deadline: {working_days: 10}
"""


def test_a_file_may_declare_more_languages_and_each_text_is_then_needed_in_each():
    p = loads(FRENCH, "fr.yaml")
    assert p.languages == ("nl", "en", "fr")
    assert p.name("fr") == "Trilingue" and p.name("nl") == "Drietalig"
    _, boss = p.step("boss")
    assert boss.name("fr") == "Accord du chef"
    assert boss.name("de") == "Boss's approval"  # a language the file lacks: English
    with pytest.raises(ProcedureError) as caught:
        loads(FRENCH.replace(", fr: Chef}", "}"), "fr.yaml")
    [problem] = caught.value.problems
    assert problem.path == "stages[0].name" and problem.message == "missing translation: fr"


@pytest.mark.parametrize(
    ("languages", "message"),
    [
        ("[en, fr]", "the service's pages and e-mails are in Dutch and English"),
        ("[nl, en, french]", "'french' is not an ISO 639-1 language code"),
        ("[nl, en, nl, fr]", "'nl' is listed twice"),
        ("fr", "expected a list of language codes"),
    ],
)
def test_the_languages_must_hold_the_services_own(languages, message):
    with pytest.raises(ProcedureError) as caught:
        loads(FRENCH.replace("languages: [nl, en, fr]", f"languages: {languages}"), "fr.yaml")
    assert any(message in p.message for p in caught.value.problems), caught.value


def test_one_person_named_in_two_steps_of_one_route_is_refused():
    """The supervisor supports in the school stage; naming them again where both stages apply
    would leave that step to nobody (one person never fills two steps of one trip)."""
    twice = (HEAD + STAGES).replace(
        "        who: {role: risk_committee}\n        mode: decide\n",
        "        who: supervisor\n        mode: decide\n",
    )
    with pytest.raises(ProcedureError) as caught:
        loads(twice, "kinds.yaml")
    [problem] = caught.value.problems
    assert problem.path == "stages[1].steps[0].who"
    assert "who already fills step 'head' on the same route" in problem.message
    # Stages that exclude each other may each name the supervisor.
    apart = (
        (HEAD + STAGES)
        .replace(
            "    when: {level: {gte: 1}}\n    steps:\n      - id: dean_view",
            "    when: {level: 1}\n    steps:\n      - id: dean_view",
        )
        .replace(
            "        who: {role: risk_committee}\n        mode: decide\n",
            "        who: supervisor\n        mode: decide\n",
        )
    )
    assert loads(apart, "kinds.yaml").step("committee")[1].who.describe("en") == "supervisor"


def test_a_file_declares_its_own_kinds_of_traveller():
    text = (
        FRENCH.replace(
            "lead_time:",
            "categories:\n"
            "  - {id: staff, name: {nl: Personeel, en: Staff, fr: Personnel}}\n"
            "  - {id: student, name: {nl: Student, en: Student, fr: Étudiant}}\n"
            "lead_time:",
        )
        .replace(
            "no_approval: {when: {level: 0}}",
            "no_approval: {when: {all: [{level: 0}, {not: {category: student}}]}}",
        )
        .replace(
            "    when: {level: {gte: 1}}",
            "    when: {any: [{level: {gte: 1}}, {category: student}]}",
        )
    )
    p = loads(text, "fr.yaml")
    assert list(p.categories) == ["staff", "student"]
    assert p.categories["student"]("fr") == "Étudiant"
    summary = describe.summary(p, "nl")
    assert "Soorten reizigers: Personeel, Student" in summary
    assert "Talen: nl, en, fr" in summary
    assert route(p, trip(0, category="student")).step_ids == ("boss",)
    assert route(p, trip(0, category="staff")).no_approval
    r = route(p, trip(0, category="student"))
    assert r.stages[0].facts.nl == "niveau 0; categorie Student"
    # A category the file does not declare is refused, with where to declare it.
    with pytest.raises(ProcedureError) as caught:
        loads(text.replace("{category: student}]}\n", "{category: phd}]}\n"), "fr.yaml")
    [problem] = caught.value.problems
    assert "unknown traveller category 'phd' (known: staff, student)" in problem.message
    assert "declare it under 'categories'" in problem.message
    # Left out, the framework's five apply.
    assert set(workflows.get("vlir-framework").categories) == {
        "professor",
        "postdoc",
        "phd",
        "student",
        "atp",
    }


def test_an_item_cannot_block_a_stage_where_nobody_decides():
    """Advice only: nothing there could wait for the item, so the file is refused."""
    text = (HEAD + STAGES).replace(
        "        who: {role: risk_committee}\n        mode: decide\n",
        "        who: {role: risk_committee}\n        mode: advise\n",
    )
    with pytest.raises(ProcedureError) as caught:
        loads(text, "kinds.yaml")
    [problem] = caught.value.problems
    assert problem.path == "dossier[0].blocking"
    assert "stage 'committee' has no decide or support step" in problem.message


def test_an_item_due_with_the_request_waits_before_the_first_stage_that_decides():
    """A first stage of notices passes at once: the item binds to the next one, whose deciders
    then wait for it."""
    text = (HEAD + STAGES).replace(
        "    due: with_request\n", "    due: with_request\n    blocking: true\n"
    )
    p = loads(text, "kinds.yaml")
    r = route(p, trip(2))
    assert ("analysis", "school") in r.waits_for
    notices_first = text.replace(
        "stages:\n",
        "stages:\n"
        "  - id: told\n"
        "    name: {nl: Ingelicht, en: Told}\n"
        "    steps:\n"
        "      - {id: told, name: {nl: Ingelicht, en: Told}, who: {role: crisis_team}, "
        "mode: notify}\n",
    )
    p = loads(notices_first, "kinds.yaml")
    r = route(p, trip(2))
    assert ("analysis", "school") in r.waits_for
    [head] = [
        a
        for a in allowed_actions(p, r, (), SUPERVISOR, frozenset({"analysis"}))
        if a.step_id == "head"
    ]
    assert head.refused is not None and "Risk analysis" in head.refused.en


def test_a_blocking_item_the_trip_is_not_asked_holds_nothing_up(kinds):
    """The route lists what it waits for, judged on the trip's facts: at level 1 the security
    plan (level 2 and up) is not asked, so an old open item of that name blocks nothing."""
    r = route(kinds, trip(1))
    assert all(rule != "plan" for rule, _ in r.waits_for)
    [head] = [
        a
        for a in allowed_actions(kinds, r, (), SUPERVISOR, frozenset({"plan"}))
        if a.step_id == "head"
    ]
    assert head.refused is None
