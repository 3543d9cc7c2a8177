"""An independent SCIM compliance tester (scim2-tester) passes every check, over real HTTP."""

from __future__ import annotations

from tests.scim.compliance import failures, report, run_checks, serving


def test_scim2_tester_finds_no_error_on_users_and_groups(app, scim_token, capsys):
    with serving(app) as base_url:
        results = run_checks(base_url, scim_token)
    text = report(results)
    print(text)  # the report, for `pytest -s` and the closing note
    assert not failures(results), text
    checked = {(r.title, r.resource_type) for r in results if r.status.name == "SUCCESS"}
    # What the endpoint claims: discovery, and create/read/replace/delete/PATCH on both types.
    for title in ("object_creation", "object_query", "object_replacement", "object_deletion"):
        assert (title, "User") in checked and (title, "Group") in checked, title
    for title in ("check_add_attribute", "check_remove_attribute", "check_replace_attribute"):
        assert (title, "User") in checked and (title, "Group") in checked, title
    assert ("service_provider_config_endpoint", None) in checked
    assert len(results) > 80
