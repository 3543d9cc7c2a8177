"""Countries and regions come from ISO 3166 via pycountry; current advice is one query."""

from __future__ import annotations

from datetime import date

from travel_app.places import geography
from travel_app.places.queries import current_advisories, current_advisory
from travel_app.procedures import active_procedure


def test_countries_and_regions_come_from_iso_3166():
    assert len(geography.countries()) >= 249
    assert geography.country_name("BE", "nl") == "België"
    assert geography.country_name("BE", "en") == "Belgium"
    assert geography.region_in_country("ML-7", "ML")
    assert not geography.region_in_country("ML-7", "BF")
    assert not geography.region_in_country("XX-1", "ML")
    assert {r.code for r in geography.regions("BE")} >= {"BE-VAN", "BE-BRU"}


def test_current_advice_takes_the_latest_in_force(make_advisory):
    make_advisory("ML", level=2, effective_on=date(2026, 1, 1), summary="old")
    make_advisory("ML", level=3, effective_on=date(2026, 6, 1), summary="new")
    make_advisory("ML", level=1, effective_on=date(2026, 12, 1), summary="future")
    assert current_advisory(date(2026, 3, 1), "ML").summary == "old"
    assert current_advisory(date(2026, 7, 1), "ML").summary == "new"
    assert current_advisory(date(2026, 12, 1), "ML").summary == "future"
    assert current_advisory(date(2025, 12, 31), "ML") is None


def test_a_regions_own_advice_governs_it_otherwise_the_countrys(make_advisory):
    make_advisory("KE", level=1)
    make_advisory("KE", "KE-24", level=3)
    assert current_advisory(date(2026, 7, 1), "KE", "KE-24").level == 3
    assert current_advisory(date(2026, 7, 1), "KE", "KE-30").level == 1
    assert current_advisory(date(2026, 7, 1), "KE").level == 1


def test_all_current_advice_comes_in_one_statement(make_advisory, count_queries):
    for country in ["ML", "AF", "SY", "KE"]:
        make_advisory(country, level=2, effective_on=date(2026, 1, 1))
        make_advisory(country, level=3, effective_on=date(2026, 2, 1))
    make_advisory("KE", "KE-24", level=3)
    active_procedure()  # read once per request, before any page's own statements
    with count_queries() as statements:
        rows = current_advisories(date(2026, 7, 1))
        assert [(a.country_code, a.region_code, a.level) for a in rows] == [
            ("AF", None, 3),
            ("KE", None, 3),
            ("KE", "KE-24", 3),
            ("ML", None, 3),
            ("SY", None, 3),
        ]
        [a.source.name for a in rows]
        [a.risk_level.name_en for a in rows]
    assert len(statements) == 1
