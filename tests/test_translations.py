"""Every string the code shows has a Dutch translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from config import BASE_DIR

PO = BASE_DIR / "travel_app/translations/nl/LC_MESSAGES/messages.po"


def test_the_dutch_catalogue_is_complete_and_current(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=BASE_DIR,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    assert len(wanted) > 150 and "Head of %(unit)s" in wanted  # extraction really ran
    with PO.open("rb") as f:
        catalogue = read_po(f)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    missing = sorted(str(m) for m in wanted - translated)
    assert not missing, f"untranslated in {PO.name}: {missing}"
