"""Places by name, in the reader's language: regions too, where the ISO data translates them."""

from __future__ import annotations

from travel_app.org.models import Role
from travel_app.places import geography


def test_region_names_are_dutch_where_iso_3166_2_translates_them():
    assert geography.region_name("BE-WHT", "nl") == "Henegouwen"
    assert geography.region_name("BE-WHT", "en") == "Hainaut"
    assert geography.place_name("DE", "DE-BY", "nl") == "Duitsland – Beieren"
    # No translation: the region's own name, never its code.
    assert geography.region_name("ML-7", "nl") == "Gao"
    assert geography.place_name("TR", "TR-63", "nl") == "Turkije – Şanlıurfa"


def test_the_region_picker_offers_the_dutch_names_sorted_by_them():
    names = [p.name for p in geography.regions("BE", "nl")]
    assert "Henegouwen" in names and "Hainaut" not in names
    assert names == sorted(names, key=str.casefold)


def test_the_region_picker_speaks_the_readers_language(client, login_as):
    login_as(Role.ADMIN, language="nl")
    rows = client.get("/admin/places/BE/regions").get_json()
    assert {"code": "BE-WHT", "name": "Henegouwen"} in rows
