"""Routing reads nothing from the application beyond the trip's facts: every shipped procedure
routes, decides and explains trips in a fresh interpreter where the app, Flask and SQLAlchemy
cannot even be imported, and the answers equal those given inside the test run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import workflows
from tests.workflows.conftest import trip
from workflows import describe
from workflows.engine import dossier_items, route

ROOT = Path(__file__).resolve().parents[2]

#: Run in a fresh interpreter: block the app and the frameworks, then route the given facts.
SCRIPT = r"""
import importlib.abc, json, sys

BLOCKED = ("travel_app", "flask", "sqlalchemy", "celery", "wtforms", "werkzeug", "jinja2")

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"the engine imported {name}")
        return None

sys.meta_path.insert(0, Refuse())
import workflows
from workflows import describe
from workflows.engine import dossier_items, route

given = json.load(sys.stdin)
workflows.PROCEDURES_DIR = __import__("pathlib").Path(given["folder"])
cases = given["cases"]
out = {}
for name in given["names"]:
    procedure = workflows.get(name)
    for i, text in enumerate(cases):
        facts = describe.facts_from_json(json.loads(text))
        r = route(procedure, facts)
        out[f"{name}/{i}"] = {
            "level": r.risk.level,
            "steps": list(r.step_ids),
            "no_approval": r.no_approval,
            "lead": r.lead_time_days,
            "dossier": [[d.rule.id, d.due_on.isoformat(), d.stage_id]
                        for d in dossier_items(procedure, facts, r.risk, r)],
            "explain": describe.explain(procedure, facts, r, "nl"),
        }
print(json.dumps(out))
print("blocked:", sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED), file=sys.stderr)
"""


def cases() -> list[str]:
    """Trips at every level, on every list, with every tag and flag a shipped file names."""
    lists = sorted({code for name in workflows.available() for code in workflows.get(name).lists})
    tags = sorted({t for name in workflows.available() for t in workflows.get(name).tags})
    flags = sorted({f for name in workflows.available() for f in workflows.get(name).flags})
    facts = [trip(level) for level in range(4)]
    facts += [trip(1, lists=(code,)) for code in lists]
    facts += [trip(0, 2, tags=(tag,)) for tag in tags]
    facts += [trip(1, flags=(flag,), category="student") for flag in flags]
    facts += [trip(3, 0, days_ahead=5), trip(2, days=120, category="atp")]
    return [describe.facts_to_json(f) for f in facts]


def test_every_shipped_procedure_routes_without_the_app():
    texts = cases()
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        input=json.dumps(
            {
                "folder": str(workflows.PROCEDURES_DIR),
                "names": list(workflows.available()),
                "cases": texts,
            }
        ),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "blocked: []" in result.stderr
    alone = json.loads(result.stdout)
    assert len(alone) == len(workflows.available()) * len(texts)
    for name in workflows.available():
        procedure = workflows.get(name)
        for i, text in enumerate(texts):
            facts = describe.facts_from_json(json.loads(text))
            r = route(procedure, facts)
            here = alone[f"{name}/{i}"]
            assert here["level"] == r.risk.level, (name, i)
            assert here["steps"] == list(r.step_ids), (name, i)
            assert here["no_approval"] == r.no_approval, (name, i)
            assert here["lead"] == r.lead_time_days, (name, i)
            assert here["dossier"] == [
                [d.rule.id, d.due_on.isoformat(), d.stage_id]
                for d in dossier_items(procedure, facts, r.risk, r)
            ]
            assert here["explain"] == describe.explain(procedure, facts, r, "nl")
    # The cases are not all alike: the files route them differently.
    assert len({json.dumps(v["steps"]) for v in alone.values()}) > 5
