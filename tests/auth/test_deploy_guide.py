"""The deployment guide's commands, run through its ``safe-passage`` wrapper, exist as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from flask import Flask

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"
#: The wrapper the guide defines runs ``flask --app wsgi "$@"``: what follows it is the command,
#: at the start of a line of a shell block or of a code span.
WRAPPED = re.compile(r"(?:^|`)(?:sudo -u safe-passage )?safe-passage ([a-z][^`#\n]*)", re.M)


def test_every_wrapped_command_in_the_guide_is_one_flask_knows(app: Flask) -> None:
    guide = GUIDE.read_text()
    assert 'exec .venv/bin/flask --app wsgi "$@"' in guide
    commands = [shlex.split(found.strip()) for found in WRAPPED.findall(guide)]
    assert {"tokens", "users", "db"} <= {words[0] for words in commands}
    runner = app.test_cli_runner()

    for words in commands:
        group, name = words[0], words[1]
        result = runner.invoke(args=[group, name, "--help"], catch_exceptions=False)
        assert result.exit_code == 0, (words, result.output)
        for option in (w for w in words[2:] if w.startswith("--")):
            assert option in result.output, (words, option)
