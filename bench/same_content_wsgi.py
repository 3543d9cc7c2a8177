"""The same-content baseline served by gunicorn: ``gunicorn bench.same_content_wsgi:app``.

DATABASE_URL names the filled benchmark database, as for bench/baseline.py.
"""

from __future__ import annotations

import os

from bench.same_content import create

app = create(os.environ["DATABASE_URL"])
