"""The procedure engine: each university's procedure as validated data, and a pure engine.

Nothing here imports Flask or SQLAlchemy. Procedures live in ``workflows/procedures/*.yaml``;
:func:`get` loads one by name (validated, cached), :mod:`workflows.engine` answers questions.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from workflows.loader import ProcedureError, load, loads
from workflows.model import Procedure

PROCEDURES_DIR = Path(__file__).resolve().parent / "procedures"
DEFAULT = "vlir-framework"

__all__ = [
    "DEFAULT",
    "PROCEDURES_DIR",
    "Procedure",
    "ProcedureError",
    "available",
    "get",
    "load",
    "loads",
]


def available() -> list[str]:
    """The names of the shipped procedures."""
    return sorted(p.stem for p in PROCEDURES_DIR.glob("*.yaml"))


@cache
def get(name: str = DEFAULT) -> Procedure:
    """Load a shipped procedure by name, or a file by path."""
    path = Path(name)
    if path.suffix not in (".yaml", ".yml"):
        path = PROCEDURES_DIR / f"{name}.yaml"
    return load(path)
