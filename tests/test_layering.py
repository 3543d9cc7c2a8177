"""Data flows one way: the engine knows no app, shared helpers know no feature, and no feature
reaches into the administrator's pages. Read from the source, so a new import breaks the build."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FEATURES = {
    "advice",
    "admin",
    "auth",
    "countries",
    "demo",
    "dossier",
    "duty",
    "home",
    "org",
    "outbox",
    "places",
    "procedures",
    "trips",
}
FRAMEWORKS = ("flask", "flask_", "sqlalchemy", "celery", "wtforms", "travel_app", "werkzeug")


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(path: Path, *, with_type_only: bool) -> list[tuple[int, str]]:
    """Every module ``path`` imports, anywhere in the file (functions included), with its line.

    Imports under ``if TYPE_CHECKING:`` only name types for annotations and create no runtime
    dependency; they are left out unless ``with_type_only``.
    """
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node) and not with_type_only:
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(), filename=str(path)))
    return found


def _sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _feature(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "travel_app" and parts[1] in FEATURES:
        return parts[1]
    return None


def test_the_engine_imports_no_framework_and_nothing_of_the_app():
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in _sources("workflows")
        for line, module in imports(path, with_type_only=True)
        if module.split(".")[0] in FRAMEWORKS or module.startswith("flask_")
    ]
    assert bad == []


def test_shared_helpers_import_no_feature_package():
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in _sources("travel_app/core")
        for line, module in imports(path, with_type_only=False)
        if _feature(module)
    ]
    assert bad == []


def test_no_feature_imports_the_administrator_package():
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in _sources("travel_app")
        if path.parent.name != "admin" and path != ROOT / "travel_app" / "__init__.py"
        for line, module in imports(path, with_type_only=True)
        if _feature(module) == "admin"
    ]
    assert bad == []


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("import flask\n", test_the_engine_imports_no_framework_and_nothing_of_the_app),
        (
            "def f():\n    from travel_app.trips import models\n",
            test_shared_helpers_import_no_feature_package,
        ),
        (
            "from travel_app.admin.forms import choices\n",
            test_no_feature_imports_the_administrator_package,
        ),
    ],
)
def test_each_rule_catches_a_bad_import(tmp_path, monkeypatch, source, rule):
    """The checks fail when a forbidden import appears (run against a copy of the tree)."""
    for folder in ("workflows", "travel_app/core", "travel_app/trips"):
        (tmp_path / folder).mkdir(parents=True)
    target = {
        test_the_engine_imports_no_framework_and_nothing_of_the_app: "workflows/bad.py",
        test_shared_helpers_import_no_feature_package: "travel_app/core/bad.py",
        test_no_feature_imports_the_administrator_package: "travel_app/trips/bad.py",
    }[rule]
    (tmp_path / target).write_text(source)
    (tmp_path / "travel_app" / "__init__.py").write_text("")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    with pytest.raises(AssertionError):
        rule()
