"""``flask procedures`` commands and the administrators' procedure page."""

from __future__ import annotations

import json

import workflows
from tests.workflows.conftest import SHIPPED
from tests.workflows.test_validation import GOOD
from travel_app.org.models import Role


def test_check_passes_the_shipped_procedures(app):
    result = app.test_cli_runner().invoke(args=["procedures", "check"])
    assert result.exit_code == 0, result.output
    for name in SHIPPED:
        assert f"{name}.yaml: OK ({name} v" in result.output
    assert result.output.count(": OK (") == len(workflows.available())
    assert "country lists not created yet: exempt" in result.output


def test_check_fails_with_the_errors_of_a_broken_file(app, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(GOOD.replace("who: supervisor", "who: {role: dean}"))
    result = app.test_cli_runner().invoke(args=["procedures", "check", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}: line 24, stages[0].steps[0].who.role: unknown role 'dean'" in result.output


def test_show_prints_a_summary_and_a_mermaid_flowchart(app):
    runner = app.test_cli_runner()
    text = runner.invoke(args=["procedures", "show", "vlir-framework"]).output
    assert (
        "4. Executive authority — when (level = 3 or a destination on list Forbidden destinations)"
        in text
    )
    mermaid = runner.invoke(args=["procedures", "show", "vlir-framework", "--format", "mermaid"])
    assert mermaid.output.startswith("flowchart TD")
    assert "stage_executive_safety_advice[/" in mermaid.output  # advice drawn as its own shape
    dutch = runner.invoke(args=["procedures", "show", "vlir-framework", "--locale", "nl"]).output
    assert (
        "Uitvoerend bestuur — als (niveau = 3 of een bestemming op lijst Verboden bestemmingen)"
        in dutch
    )


def test_explain_gives_the_route_with_reasons(app, tmp_path):
    facts = tmp_path / "facts.json"
    facts.write_text(
        json.dumps(
            {
                "destinations": [
                    {"country": "ML", "region": "ML-7", "level": 2, "source": "BE FPS"}
                ],
                "category": "phd",
                "departure": "2026-04-01",
                "return": "2026-04-20",
                "today": "2026-03-02",
                "flags": ["lone_fieldwork"],
            }
        )
    )
    result = app.test_cli_runner().invoke(
        args=["procedures", "explain", "vlir-framework", "--facts", str(facts)]
    )
    assert result.exit_code == 0, result.output
    assert "Highest level 2: ML/ML-7 (BE FPS)." in result.output
    assert "The activity raises the risk (+1)" in result.output
    assert "— LATE" in result.output
    assert (
        "3. Executive authority (because (level = 3 or a destination on list Forbidden "
        "destinations): level 3; on Forbidden destinations: none)"
    ) in result.output

    facts.write_text("{}")
    bad = app.test_cli_runner().invoke(args=["procedures", "explain", "--facts", str(facts)])
    assert bad.exit_code != 0 and "bad facts file" in bad.output


def test_administrators_see_the_active_procedure_with_a_diagram(client, login_as):
    login_as(Role.ADMIN)
    page = client.get("/admin/procedure").get_data(as_text=True)
    assert "VLIR framework for travel to risk areas" in page
    diagram = page.split('id="diagram"')[1].split("</div>")[0]
    assert diagram.lstrip(">").strip().startswith("<svg") and "Executive authority" in diagram
    assert "<script" not in page.split("<main ")[1] and "http" not in diagram.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )


def test_the_procedure_page_is_for_administrators_only(client, login_as):
    login_as(Role.SAFETY_OFFICER)
    assert client.get("/admin/procedure").status_code == 403


def test_the_readme_example_is_a_valid_procedure(tmp_path):
    import re

    from config import BASE_DIR
    from workflows import load

    readme = (BASE_DIR / "README.md").read_text()
    section = readme.split("### The format (second edition), in one complete example", 1)[1]
    example = re.search(r"```yaml\n(.*?)\n```", section, re.S).group(1)
    path = tmp_path / "example.yaml"
    path.write_text(example)
    procedure = load(path)
    assert procedure.id == "example-university" and [s.id for s in procedure.stages] == [
        "line",
        "committee",
        "provost",
    ]
    # Written in the second edition throughout: nothing to migrate.
    assert procedure.notes == ()
    assert procedure.role_title("executive", "en") == "Provost"


def test_the_readme_shows_the_current_mermaid_chart(app):
    from config import BASE_DIR

    chart = (
        app.test_cli_runner()
        .invoke(args=["procedures", "show", "vlir-framework", "--format", "mermaid"])
        .output.strip()
    )
    assert f"```mermaid\n{chart}\n```" in (BASE_DIR / "README.md").read_text()


def test_check_names_advice_sources_the_service_does_not_have(app, tmp_path):
    path = tmp_path / "university.yaml"
    path.write_text(
        (workflows.PROCEDURES_DIR / "vlir-framework.yaml")
        .read_text()
        .replace("sources: [university, be_fps,", "sources: [university, be_fps, xx_ministry,")
    )
    result = app.test_cli_runner().invoke(args=["procedures", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "advice sources this service does not have: xx_ministry" in result.output
    # The feeds it has an adapter for count as known, set up or not.
    assert "de_aa" not in result.output.split("does not have:")[1]


def test_the_readme_draws_each_procedure_written_from_a_university(app):
    from config import BASE_DIR

    readme = (BASE_DIR / "README.md").read_text()
    for name in ("ugent-students", "leiden-staff", "oxford", "york-environment-geography"):
        chart = (
            app.test_cli_runner()
            .invoke(args=["procedures", "show", name, "--format", "mermaid"])
            .output.strip()
        )
        assert f"<summary>{name}</summary>\n\n```mermaid\n{chart}\n```" in readme, name


def test_the_procedure_page_names_advisory_sources_not_their_codes(client, login_as):
    login_as(Role.ADMIN)
    page = client.get("/admin/procedure").get_data(as_text=True)
    summary = page.split('id="summary"')[1].split("</pre>")[0]
    assert "Advisory sources:" in summary
    assert "be_fps" not in summary and "uk_fcdo" not in summary
    assert "FPS Foreign Affairs" in summary
