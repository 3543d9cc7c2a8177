"""`make bench`: a full import of every country (and, for the CSV source, their regions) from
five sources, on a database of N trips, with the level-rise fan-out.

Each source's feed is built in its published shape from the recorded test fixtures (one item
per country, levels spread over the scale) and served from memory, so the figure is the
service's own work: parsing, comparing with the source's advice on record, writing, reacting.
Each source is imported three times: a first import into a database without its advice
(informational: every trip it touches is re-examined), the next day's feed in which only
Greenland rises to the top level, where 1,000 approved trips go (the target: the whole feed read
and compared in under 5 s, and the first source to raise it suspends the 1,000 trips and tells
their people, as in the level-rise benchmark), and the same feed again (nothing changes).

    .venv/bin/python bench/advice.py [--trips 100000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pycountry
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import data  # noqa: E402
from bench.common import migrated_engine  # noqa: E402

FIXTURES = ROOT / "tests" / "advice" / "fixtures"
TOUCHED = 1000
#: The CSV source's regions: every ISO 3166-2 code of the countries, within the CSV row limit.
MAX_CSV_ROWS = 4900


def _countries() -> list[Any]:
    return sorted(pycountry.countries, key=lambda c: c.alpha_2)


#: Greenland's level in the feeds being built: 1 yesterday, 3 today.
GREENLAND = {"level": 1}


def _level(code: str) -> int:
    return GREENLAND["level"] if code == "GL" else sum(map(ord, code)) % 4


def us_state() -> dict[str, bytes]:
    """The State Department's JSON list, one advisory per country (FIPS codes)."""
    from travel_app.advice.adapters.fips import FIPS_TO_ISO

    template = json.loads((FIXTURES / "us_state" / "TravelAdvisories.json").read_text())[0]
    labels = [
        "Level 1: Exercise Normal Precautions",
        "Level 2: Exercise Increased Caution",
        "Level 3: Reconsider Travel",
        "Level 4: Do Not Travel",
    ]
    items = []
    for fips, iso in sorted(FIPS_TO_ISO.items()):
        country = pycountry.countries.get(alpha_2=iso)
        if country is None:
            continue
        item = copy.deepcopy(template)
        item["Title"] = f"{country.name} - {labels[_level(iso)]}"
        item["Category"] = [fips]
        item["id"] = f"bench-{fips}"
        items.append(item)
    return {"": json.dumps(items).encode()}


def de_aa() -> dict[str, bytes]:
    """The Auswärtiges Amt's response: one object per country, full or partial warning."""
    body = json.loads((FIXTURES / "de_aa" / "travelwarning.json").read_text())
    template = body["response"][body["response"]["contentList"][0]]
    response: dict[str, Any] = {"lastModified": template["lastModified"], "contentList": []}
    for i, country in enumerate(_countries()):
        level = _level(country.alpha_2)
        key = str(900000 + i)
        item = copy.deepcopy(template)
        item.update(
            countryCode=country.alpha_2,
            iso3CountryCode=country.alpha_3,
            countryName=country.name,
            title=f"{country.name}: Reise- und Sicherheitshinweise",
            warning=level == 3,
            partialWarning=level == 2,
            situationWarning=False,
            situationPartWarning=level == 1,
        )
        response["contentList"].append(key)
        response[key] = item
    return {"": json.dumps({"response": response}).encode()}


def ca_gac() -> dict[str, bytes]:
    """Canada's index: one entry per country keyed by its ISO code."""
    body = json.loads((FIXTURES / "ca_gac" / "index-updated.json").read_text())
    template = next(iter(body["data"].values()))
    texts = [
        "Take normal security precautions",
        "Exercise a high degree of caution",
        "Avoid non-essential travel",
        "Avoid all travel",
    ]
    out: dict[str, Any] = {}
    for country in _countries():
        item = copy.deepcopy(template)
        level = _level(country.alpha_2)
        item.update(
            {"country-iso": country.alpha_2, "country-eng": country.name, "advisory-state": level}
        )
        item["has-regional-advisory"] = 0
        item["eng"] = {**item["eng"], "name": country.name, "advisory-text": texts[level]}
        out[country.alpha_2] = item
    return {"": json.dumps({**body, "data": out}).encode()}


def uk_fcdo() -> dict[str, bytes]:
    """GOV.UK's index and one content item per country (alert statuses)."""
    index = json.loads((FIXTURES / "uk_fcdo" / "index.json").read_text())
    folder = FIXTURES / "uk_fcdo" / "countries"
    page = json.loads((folder / sorted(p.name for p in folder.iterdir())[0]).read_text())
    statuses = [
        [],
        ["avoid_all_but_essential_travel_to_parts"],
        ["avoid_all_but_essential_travel_to_whole_country"],
        ["avoid_all_travel_to_whole_country"],
    ]
    child = index["links"]["children"][0]
    children, pages = [], {}
    for country in _countries():
        name = "".join(ch for ch in country.name.lower() if ch.isalnum())
        slug = f"{country.alpha_2.lower()}-{name}"
        c = copy.deepcopy(child)
        c["details"] = {"country": {"name": country.name, "slug": slug}}
        c["base_path"] = f"/foreign-travel-advice/{slug}"
        children.append(c)
        p = copy.deepcopy(page)
        p["details"] = {
            **p["details"],
            "alert_status": statuses[_level(country.alpha_2)],
            "country": {"name": country.name, "slug": slug, "synonyms": []},
        }
        p["base_path"] = f"/foreign-travel-advice/{slug}"
        pages[f"/{slug}"] = json.dumps(p).encode()
    index["links"] = {**index["links"], "children": children}
    return {"": json.dumps(index).encode(), **pages}


def be_fps() -> dict[str, bytes]:
    """A CSV file for Belgium's FPS: every country, then regions up to the row limit."""
    wordings = [
        "geen bijzonder advies",
        "waakzaamheid",
        "afgeraden tenzij noodzakelijk",
        "formeel afgeraden",
    ]
    rows = ["country,region,level,summary,link,updated"]
    for country in _countries():
        rows.append(f"{country.alpha_2},,{wordings[_level(country.alpha_2)]},Bench advice.,,")
    for sub in sorted(pycountry.subdivisions, key=lambda s: s.code):
        if len(rows) > MAX_CSV_ROWS:
            break
        if sub.parent_code is None:
            rows.append(f"{sub.country_code},{sub.code},{wordings[_level(sub.code)]},Bench.,,")
    return {"": ("\n".join(rows) + "\n").encode()}


FEEDS: dict[str, Callable[[], dict[str, bytes]]] = {
    "be_fps": be_fps,
    "us_state": us_state,
    "de_aa": de_aa,
    "uk_fcdo": uk_fcdo,
    "ca_gac": ca_gac,
}


def _greenland_trips(engine: sa.Engine, bench_id: int) -> None:
    """1,000 approved trips to Greenland, which every feed raises to the top level."""
    from travel_app.models import Leg, Trip

    today = date.today()
    with engine.begin() as conn:
        ids = (
            conn.execute(
                sa.insert(Trip).returning(Trip.id),
                [
                    {
                        "traveller_id": bench_id,
                        "state": "approved",
                        "purpose": f"To Greenland {i}",
                        "departure_on": today + timedelta(days=30),
                        "return_on": today + timedelta(days=40),
                        "phase": "planned",
                        "level": 1,
                        "round": 1,
                        "flags": [],
                        "co_traveller_ids": [],
                        "created_at": data._now(),
                        "updated_at": data._now(),
                    }
                    for i in range(TOUCHED)
                ],
            )
            .scalars()
            .all()
        )
        conn.execute(
            sa.insert(Leg),
            [
                {
                    "trip_id": t,
                    "position": 0,
                    "country_code": "GL",
                    "city": "Nuuk",
                    "arrives_on": today + timedelta(days=30),
                    "leaves_on": today + timedelta(days=40),
                    "accommodation": "",
                }
                for t in ids
            ],
        )


class _Memory:
    """A fetcher that serves a built feed from memory (the service's own work, no network)."""

    def __init__(self, served: dict[str, bytes], base: str) -> None:
        self.served, self.base = served, base
        self.requests_made = 0
        self.conditional_url = None

    def get(self, url: str) -> bytes | None:
        """The body built for ``url``."""
        self.requests_made += 1
        return self.served[url.removeprefix(self.base)]

    def close(self) -> None:
        """Nothing to release."""


def measure(url: str, trips: int) -> list[str]:
    """Import every source twice (the second run finds nothing new): time and statements."""
    from config import TestingConfig
    from travel_app import create_app
    from travel_app.advice import runner
    from travel_app.extensions import db

    engine = migrated_engine(url)
    filled = data.fill(engine, trips, progress=False)
    _greenland_trips(engine, filled.bench_id)
    engine.dispose()
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, MAIL_FILE_DIR="/tmp")
    lines = [
        "| source | places | first import ms (statements) | trips re-examined and moved |"
        " next day, Greenland raised: ms (statements) | trips suspended | again, unchanged:"
        " ms (statements) | next day under 5 s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    with app.app_context():
        for code, build in FEEDS.items():
            figures = []
            for greenland in (1, 3, 3):
                GREENLAND["level"] = greenland
                memory = _Memory(build(), "memory://" + code)
                runner._fetcher = lambda *_a, memory=memory, **_k: memory  # type: ignore[assignment]
                statements: list[str] = []

                def count(*_args: Any, into: list[str] = statements) -> None:
                    into.append("x")

                sa.event.listen(db.engine, "before_cursor_execute", count)
                started = time.perf_counter()
                outcome = runner.run_source(code, trigger="cli", url="memory://" + code)
                took = (time.perf_counter() - started) * 1000
                sa.event.remove(db.engine, "before_cursor_execute", count)
                assert outcome.error == "", outcome.error
                summary = outcome.applied.summary() if outcome.applied else {}
                figures.append((took, len(statements), summary))
            (t1, s1, first), (t2, s2, second), (t3, s3, third) = figures
            places = first.get("created", 0) + len(first.get("pending", []))
            moved = first.get("suspended", 0) + first.get("rerouted", 0) + first.get("flagged", 0)
            assert third.get("created", 0) == 0, third
            lines.append(
                f"| {code} | {places:,} | {t1:,.0f} ({s1}) | {moved:,} | {t2:,.0f} ({s2}) |"
                f" {second.get('suspended', 0):,} | {t3:,.0f} ({s3}) |"
                f" {'✓' if t2 < 5000 else '✗'} |"
            )
        db.engine.dispose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trips", type=int, default=100_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/advice.db"
        print("\n".join(measure(url, args.trips)))


if __name__ == "__main__":
    main()
