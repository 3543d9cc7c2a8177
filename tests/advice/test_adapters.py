"""The advice adapters read each government's recorded feed into the right places and levels.

Every fixture under ``fixtures/<code>/`` is shaped like the source's published response. The
``get`` handed to the adapters reads those files (no HTTP here): what is checked is what a
person sees afterwards — which countries and regions got which wording and level, when the
source says it updated them, which places stayed unmapped, and that a feed whose shape drifted
is refused as a whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from travel_app.advice.adapters import (
    ADAPTERS,
    ca_gac,
    csv_adapter,
    de_aa,
    nl_bz,
    parse_csv,
    uk_fcdo,
    us_state,
)
from travel_app.advice.adapters.base import ParsedAdvice, ParseResult, SchemaError, Unmapped
from travel_app.advice.adapters.fips import FIPS_TO_ISO
from travel_app.advice.regions import RegionResolver, default_resolver

FIXTURES = Path(__file__).parent / "fixtures"
US_URL = "https://cadataapi.state.gov/api/TravelAdvisories"
AA_URL = "https://www.auswaertiges-amt.de/opendata/travelwarning"
NL_URL = nl_bz.ADAPTER.default_url
UK_URL = "https://www.gov.uk/api/content/foreign-travel-advice"
CA_URL = "https://data.international.gc.ca/travel-voyage/index-updated.json"


def fixture(*parts: str) -> bytes:
    return FIXTURES.joinpath(*parts).read_bytes()


def serve(routes: dict[str, bytes | None]) -> tuple[Callable[[str], bytes | None], list[str]]:
    """A ``get`` answering the given URLs (None = 304), recording what was asked."""
    asked: list[str] = []

    def get(url: str) -> bytes | None:
        asked.append(url)
        if url not in routes:
            raise AssertionError(f"unexpected request for {url}")
        return routes[url]

    return get, asked


def by_place(result: ParseResult) -> dict[tuple[str, str | None], ParsedAdvice]:
    places = {(a.country_code, a.region_code): a for a in result.advice}
    assert len(places) == len(result.advice), "one row per place"
    return places


def levels_of(result: ParseResult, levels: dict[str, int] | Any) -> dict[Any, int]:
    return {place: levels[a.label] for place, a in by_place(result).items()}


def assert_contract(result: ParseResult, levels: Any) -> None:
    """What every adapter promises: known labels, ISO codes, UTC times, short plain summaries."""
    resolver = default_resolver()
    for advice in result.advice:
        assert advice.label in levels
        assert advice.country_code == advice.country_code.upper()
        assert resolver.is_country(advice.country_code), advice.country_code
        if advice.region_code is not None:
            assert advice.region_code.startswith(advice.country_code + "-")
        assert len(advice.summary) <= 500
        assert "<" not in advice.summary and "&amp;" not in advice.summary
        if advice.updated_at is not None:
            assert advice.updated_at.utcoffset() is not None
            assert advice.updated_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    for place in result.unmapped:
        assert place.label in levels


def mutate(body: bytes, change: Callable[[Any], Any]) -> bytes:
    data = json.loads(body)
    result = change(data)
    return json.dumps(data if result is None else result).encode()


# -- the registry ---------------------------------------------------------------------------


def test_registry_holds_the_five_api_sources_each_with_levels_on_the_internal_scale() -> None:
    assert set(ADAPTERS) == {"us_state", "de_aa", "nl_bz", "uk_fcdo", "ca_gac"}
    for code, adapter in ADAPTERS.items():
        assert adapter.code == code and len(code) <= 16
        assert adapter.name and adapter.default_url.startswith("https://")
        assert adapter.terms_url.startswith("https://")
        assert set(adapter.levels.values()) == {0, 1, 2, 3}, code


def test_nl_bz_keeps_the_colour_labels_the_database_already_has() -> None:
    assert dict(nl_bz.ADAPTER.levels) == {"groen": 0, "geel": 1, "oranje": 2, "rood": 3}


@pytest.mark.parametrize("code", sorted(ADAPTERS))
def test_a_not_modified_answer_means_nothing_to_do(code: str) -> None:
    adapter = ADAPTERS[code]
    get, asked = serve({adapter.default_url: None})
    result = adapter.collect(get, adapter.default_url)
    assert result.not_modified and not result.advice and not result.unmapped
    assert asked == [adapter.default_url]


# -- United States --------------------------------------------------------------------------


def us_result() -> ParseResult:
    get, _ = serve({US_URL: fixture("us_state", "TravelAdvisories.json")})
    return us_state.ADAPTER.collect(get, US_URL)


def test_us_state_levels_per_country_with_fips_codes_read_as_fips() -> None:
    result = us_result()
    assert_contract(result, us_state.LEVELS)
    places = by_place(result)
    assert {c for c, _ in places} == {"AF", "IL", "DE", "SN", "MX", "MM", "JP", "HT"}
    # FIPS IS/GM/SG are Israel/Germany/Senegal, not ISO's Iceland/Gambia/Singapore.
    assert not {"IS", "GM", "SG"} & {c for c, _ in places}
    assert places[("AF", None)].label == "Level 4: Do Not Travel"
    assert levels_of(result, us_state.LEVELS) == {
        ("AF", None): 3,
        ("IL", None): 2,
        ("DE", None): 1,
        ("SN", None): 0,
        ("MX", None): 1,
        ("MM", None): 3,
        ("JP", None): 0,
        ("HT", None): 3,
    }
    assert all(region is None for _, region in places)
    assert result.unmapped == []


def test_us_state_keeps_the_newest_copy_of_a_duplicated_advisory() -> None:
    japan = by_place(us_result())[("JP", None)]
    assert japan.label == "Level 1: Exercise Normal Precautions"
    assert japan.updated_at == datetime(2025, 5, 15, 0, 0, tzinfo=UTC)


def test_us_state_summary_is_plain_text_cut_to_500_characters() -> None:
    afghanistan = by_place(us_result())[("AF", None)]
    assert afghanistan.summary.startswith("Reissued after periodic review with general updates.")
    assert "Do not travel to Afghanistan due to civil unrest" in afghanistan.summary
    assert len(afghanistan.summary) <= 500 and afghanistan.summary.endswith("…")
    assert afghanistan.link is not None and afghanistan.link.endswith("afghanistan-advisory.html")
    assert afghanistan.updated_at == datetime(2025, 6, 6, 0, 0, tzinfo=UTC)


def test_us_state_reports_a_code_without_iso_equivalent_as_unmapped() -> None:
    def add_spratly(items: list[dict[str, Any]]) -> None:
        items.append(
            dict(items[0], Title="Spratly Islands - Level 3: Reconsider Travel", Category=["PG"])
        )

    body = mutate(fixture("us_state", "TravelAdvisories.json"), add_spratly)
    result = us_state.parse(body)
    assert Unmapped(country="PG", name="Spratly Islands", label="Level 3: Reconsider Travel") in (
        result.unmapped
    )
    assert "PG" not in {a.country_code for a in result.advice}


def test_fips_table_is_data_with_valid_iso_codes() -> None:
    resolver = default_resolver()
    assert all(resolver.is_country(iso) for iso in FIPS_TO_ISO.values())
    assert FIPS_TO_ISO["IS"] == "IL" and FIPS_TO_ISO["SG"] == "SN" and FIPS_TO_ISO["UK"] == "GB"


@pytest.mark.parametrize(
    "drift",
    [
        lambda items: [dict(i, Name=i.pop("Title")) for i in items],  # renamed key
        lambda items: {"items": items},  # not a list
        lambda items: [dict(items[0], Category="AF")],  # Category no longer a list
        lambda items: [dict(items[0], Title="Afghanistan Travel Advisory")],  # level gone
        lambda items: [dict(items[0], Updated="June 5, 2025")],  # not ISO 8601
    ],
)
def test_us_state_schema_drift_is_refused(drift: Callable[[Any], Any]) -> None:
    with pytest.raises(SchemaError):
        us_state.parse(mutate(fixture("us_state", "TravelAdvisories.json"), drift))


def test_us_state_truncated_json_is_refused() -> None:
    body = fixture("us_state", "TravelAdvisories.json")
    with pytest.raises(SchemaError):
        us_state.parse(body[: len(body) // 2])


# -- Germany --------------------------------------------------------------------------------


def aa_result() -> ParseResult:
    get, _ = serve({AA_URL: fixture("de_aa", "travelwarning.json")})
    return de_aa.ADAPTER.collect(get, AA_URL)


def test_de_aa_flags_become_country_labels_and_partial_warnings_are_not_widened() -> None:
    result = aa_result()
    assert_contract(result, de_aa.LEVELS)
    places = by_place(result)
    assert {place: a.label for place, a in places.items()} == {
        ("AF", None): "Reisewarnung",
        ("UA", None): "Reisewarnung",
        ("JP", None): "Teilreisewarnung",
        ("ET", None): "Teilreisewarnung",
        ("TR", None): "keine Reisewarnung",
        ("FR", None): "keine Reisewarnung",
        ("IL", None): "Teilreisewarnung",
        ("LB", None): "Situationsbedingte Teilreisewarnung",
        ("XK", None): "keine Reisewarnung",
    }
    levels = levels_of(result, de_aa.LEVELS)
    assert levels[("AF", None)] == 3
    assert levels[("JP", None)] == 2  # parts warned against: not the whole country
    assert levels[("LB", None)] == 1
    assert levels[("FR", None)] == 0
    assert result.unmapped == []


def test_de_aa_summary_says_the_warned_parts_are_only_in_the_prose() -> None:
    places = by_place(aa_result())
    japan = places[("JP", None)]
    assert japan.summary.startswith("Japan: Reise- und Sicherheitshinweise.")
    assert "does not name them" in japan.summary
    assert "Natur und Klima" in japan.summary
    assert "does not name them" not in places[("AF", None)].summary


def test_de_aa_times_are_epoch_seconds_in_utc_and_links_point_at_the_entry() -> None:
    afghanistan = by_place(aa_result())[("AF", None)]
    assert afghanistan.updated_at == datetime(2026, 6, 29, 16, 0, tzinfo=UTC)
    assert afghanistan.link == f"{AA_URL}/199124"


def test_de_aa_reads_millisecond_times_as_in_the_openapi_examples() -> None:
    def to_millis(doc: dict[str, Any]) -> None:
        doc["response"]["199124"]["lastModified"] = 1782748800000

    result = de_aa.parse(mutate(fixture("de_aa", "travelwarning.json"), to_millis), AA_URL)
    assert by_place(result)[("AF", None)].updated_at == datetime(2026, 6, 29, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "drift",
    [
        lambda doc: {},  # the documented answer when switched off or failing
        lambda doc: {"response": {"contentList": "199124"}},  # not a list
        lambda doc: doc["response"]["199124"].pop("warning") and None,  # renamed/missing flag
        lambda doc: doc["response"]["199124"].update(warning="true"),  # flag no longer boolean
        lambda doc: doc["response"].pop("213032") and None,  # listed id without an entry
        lambda doc: doc["response"]["199124"].pop("countryCode") and None,
    ],
)
def test_de_aa_schema_drift_is_refused(drift: Callable[[Any], Any]) -> None:
    with pytest.raises(SchemaError):
        de_aa.parse(mutate(fixture("de_aa", "travelwarning.json"), drift), AA_URL)


def test_de_aa_truncated_json_is_refused() -> None:
    with pytest.raises(SchemaError):
        de_aa.parse(fixture("de_aa", "travelwarning.json")[:-40], AA_URL)


# -- The Netherlands ------------------------------------------------------------------------


def nl_get(rows_cap: int | None = None) -> tuple[Callable[[str], bytes | None], list[str]]:
    """Serves the recorded documents page by page, as the API does with rows and offset."""
    documents = json.loads(fixture("nl_bz", "traveladvice.json"))
    asked: list[str] = []

    def get(url: str) -> bytes | None:
        asked.append(url)
        query = dict(parse_qsl(urlsplit(url).query))
        rows = int(query.get("rows", 25))
        if rows_cap is not None:
            rows = min(rows, rows_cap)
        offset = int(query.get("offset", 0))
        return json.dumps(documents[offset : offset + rows]).encode()

    return get, asked


def nl_result() -> ParseResult:
    get, _ = nl_get()
    return nl_bz.ADAPTER.collect(get, NL_URL)


def test_nl_bz_countries_and_regions_get_their_colours() -> None:
    result = nl_result()
    assert_contract(result, nl_bz.LEVELS)
    assert {place: a.label for place, a in by_place(result).items()} == {
        ("DE", None): "groen",
        ("ET", None): "geel",
        ("ET", "ET-TI"): "rood",  # "de regio Tigray": a translation of ISO's "Tigrai"
        ("ET", "ET-AM"): "rood",  # "de regio Amhara" (ISO: Amara)
        ("ET", "ET-GA"): "oranje",  # "de regio Gambella": only the alias table knows it
        ("CD", None): "oranje",  # "Voor de rest van het land geldt kleurcode oranje"
        ("CD", "CD-NK"): "rood",  # "Noord-Kivu": pycountry's Dutch name
        ("CD", "CD-SK"): "rood",
        ("AF", None): "rood",
        ("JP", None): "groen",
        ("TR", None): "geel",
        ("TR", "TR-31"): "oranje",
        ("TR", "TR-79"): "oranje",
        ("TR", "TR-73"): "oranje",  # Sirnak, written with Turkish letters
        ("TR", "TR-30"): "oranje",  # "Hakkari" (ISO: Hakkâri)
    }


def test_nl_bz_reports_prose_places_as_unmapped_instead_of_widening_them() -> None:
    result = nl_result()
    assert Unmapped(country="CD", name="het Grensgebied met Nergensland", label="rood") in (
        result.unmapped
    )
    # Part of a prefecture is not the prefecture: Fukushima stays unmapped, Japan stays green.
    assert Unmapped(country="JP", name="het zuidoosten van Fukushima", label="rood") in (
        result.unmapped
    )
    assert ("JP", "JP-07") not in by_place(result)
    ethiopia = {u.name: u.label for u in result.unmapped if u.country == "ET"}
    assert ethiopia == {
        "grote delen van het noorden en westen van Ethiopië en de zone Guji in het zuiden": "rood",
        "alle grensgebieden van Ethiopië (behalve de grens met Djibouti)": "rood",
        "grote delen in het midden, zuiden en oosten van het land": "oranje",
    }


def test_nl_bz_rows_keep_the_source_name_link_and_utc_time() -> None:
    places = by_place(nl_result())
    tigray = places[("ET", "ET-TI")]
    assert tigray.region_name == "Tigray"
    assert tigray.summary.startswith("De kleurcode van het reisadvies is rood voor de regio Tigray")
    assert tigray.link == "https://www.nederlandwereldwijd.nl/reisadvies/ethiopie"
    assert tigray.updated_at == datetime(2026, 10, 5, 9, 12, 44, 120000, tzinfo=UTC)
    germany = places[("DE", None)]
    assert germany.summary.startswith("De kleurcode van het reisadvies voor Duitsland is groen.")
    assert "Informatieservice" not in germany.summary and "In het kort" not in germany.summary


def test_nl_bz_follows_the_pages() -> None:
    get, asked = nl_get()
    url = NL_URL.replace("rows=200", "rows=4")
    result = nl_bz.ADAPTER.collect(get, url)
    assert len(asked) == 2 and asked[0] == url and "offset=4" in asked[1]
    assert {c for c, _ in by_place(result)} == {"DE", "ET", "CD", "AF", "JP", "TR"}


@pytest.mark.parametrize(
    "drift",
    [
        lambda docs: {"documents": docs},  # not a list
        lambda docs: [dict(d, intro=d.pop("introduction")) for d in docs],  # renamed key
        lambda docs: [dict(docs[0], lastmodified="23-09-2026")],  # not ISO 8601
        lambda docs: ["DEU"],  # not documents
    ],
)
def test_nl_bz_schema_drift_is_refused(drift: Callable[[Any], Any]) -> None:
    with pytest.raises(SchemaError):
        nl_bz.parse(mutate(fixture("nl_bz", "traveladvice.json"), drift))


def test_nl_bz_truncated_json_is_refused() -> None:
    with pytest.raises(SchemaError):
        nl_bz.parse(fixture("nl_bz", "traveladvice.json")[:500])


# -- United Kingdom -------------------------------------------------------------------------


UK_SLUGS = ("afghanistan", "iran", "turkey", "egypt", "france", "kosovo")


def uk_routes(base: str = UK_URL) -> dict[str, bytes | None]:
    routes: dict[str, bytes | None] = {base: fixture("uk_fcdo", "index.json")}
    for slug in UK_SLUGS:
        routes[f"{base}/{slug}"] = fixture("uk_fcdo", "countries", f"{slug}.json")
    return routes


def test_uk_fcdo_reads_the_index_then_each_country() -> None:
    get, asked = serve(uk_routes())
    result = uk_fcdo.ADAPTER.collect(get, UK_URL)
    assert asked == [UK_URL] + [f"{UK_URL}/{slug}" for slug in UK_SLUGS]
    assert_contract(result, uk_fcdo.LEVELS)
    assert {place: a.label for place, a in by_place(result).items()} == {
        ("AF", None): "avoid all travel to whole country",
        ("IR", None): "avoid all but essential travel to whole country",
        ("TR", None): "avoid all travel to parts",  # "Turkey" through the alias table
        ("EG", None): "avoid all but essential travel to parts",
        ("FR", None): "see travel advice",
        ("XK", None): "see travel advice",
    }
    levels = levels_of(result, uk_fcdo.LEVELS)
    assert levels[("AF", None)] == 3
    assert levels[("TR", None)] == 2  # parts only: never "whole country"
    assert levels[("EG", None)] == 1
    assert levels[("FR", None)] == 0
    assert result.unmapped == []


def test_uk_fcdo_summary_link_and_time() -> None:
    get, _ = serve(uk_routes())
    turkey = by_place(uk_fcdo.ADAPTER.collect(get, UK_URL))[("TR", None)]
    assert turkey.summary.startswith("The FCDO advises against all travel to parts of the country")
    assert "all but essential travel to parts" in turkey.summary
    assert turkey.link == "https://www.gov.uk/foreign-travel-advice/turkey"
    assert turkey.updated_at == datetime(2026, 8, 20, 15, 40, 2, tzinfo=UTC)


def test_uk_fcdo_country_pages_come_from_the_index_urls_own_base() -> None:
    base = "http://127.0.0.1:8765/api/content/foreign-travel-advice"
    get, asked = serve(uk_routes(base))
    result = uk_fcdo.ADAPTER.collect(get, base)
    assert all(url.startswith(base) for url in asked) and len(result.advice) == 6


def test_uk_fcdo_reports_a_country_name_it_cannot_map() -> None:
    body = mutate(
        fixture("uk_fcdo", "countries", "france.json"),
        lambda item: item["details"]["country"].update(name="Atlantis"),
    )
    parsed = uk_fcdo.parse_country(body, "france")
    assert parsed == Unmapped(country="Atlantis", name="Atlantis", label="see travel advice")


@pytest.mark.parametrize(
    "drift",
    [
        lambda item: item["details"].update(alert_status="avoid_all_travel_to_parts"),
        lambda item: item["details"].update(alert_status=["avoid_all_travel_everywhere"]),
        lambda item: item["details"].update(alert=item["details"].pop("alert_status")),
        lambda item: item["details"].pop("country") and None,
    ],
)
def test_uk_fcdo_schema_drift_in_a_country_page_is_refused(drift: Callable[[Any], Any]) -> None:
    routes = uk_routes()
    routes[f"{UK_URL}/turkey"] = mutate(fixture("uk_fcdo", "countries", "turkey.json"), drift)
    get, _ = serve(routes)
    with pytest.raises(SchemaError):
        uk_fcdo.ADAPTER.collect(get, UK_URL)


@pytest.mark.parametrize(
    "drift",
    [
        lambda index: index["links"].update(children={"afghanistan": {}}),
        lambda index: index["links"].update(kids=index["links"].pop("children")),
        lambda index: index["links"].update(children=[]),
    ],
)
def test_uk_fcdo_schema_drift_in_the_index_is_refused(drift: Callable[[Any], Any]) -> None:
    routes = uk_routes()
    routes[UK_URL] = mutate(fixture("uk_fcdo", "index.json"), drift)
    get, _ = serve(routes)
    with pytest.raises(SchemaError):
        uk_fcdo.ADAPTER.collect(get, UK_URL)


def test_uk_fcdo_truncated_country_page_is_refused() -> None:
    routes = uk_routes()
    routes[f"{UK_URL}/iran"] = fixture("uk_fcdo", "countries", "iran.json")[:300]
    get, _ = serve(routes)
    with pytest.raises(SchemaError):
        uk_fcdo.ADAPTER.collect(get, UK_URL)


# -- Canada ---------------------------------------------------------------------------------


def ca_result() -> ParseResult:
    get, _ = serve({CA_URL: fixture("ca_gac", "index-updated.json")})
    return ca_gac.ADAPTER.collect(get, CA_URL)


def test_ca_gac_levels_and_wordings_per_country() -> None:
    result = ca_result()
    assert_contract(result, ca_gac.LEVELS)
    assert {place: a.label for place, a in by_place(result).items()} == {
        ("AF", None): "Avoid all travel",
        ("BE", None): "Take normal security precautions",
        ("TH", None): "Exercise a high degree of caution",
        ("NG", None): "Avoid non-essential travel",
        ("JP", None): "Take normal security precautions",
        ("UA", None): "Avoid all travel",
        ("MX", None): "Exercise a high degree of caution",
    }
    assert levels_of(result, ca_gac.LEVELS)[("NG", None)] == 2
    assert result.unmapped == []


def test_ca_gac_regional_advisories_are_mentioned_not_invented() -> None:
    places = by_place(ca_result())
    assert all(region is None for _, region in places)
    assert ca_gac.REGIONAL_NOTE in places[("TH", None)].summary
    assert "The risk level for the border with Cambodia has been raised." in (
        places[("TH", None)].summary
    )
    assert ca_gac.REGIONAL_NOTE not in places[("BE", None)].summary


def test_ca_gac_time_link_and_the_standard_wording_for_unknown_text() -> None:
    thailand = by_place(ca_result())[("TH", None)]
    assert thailand.updated_at == datetime(2026, 7, 16, 16, 53, 48, tzinfo=UTC)
    assert thailand.link == "https://travel.gc.ca/destinations/thailand"

    def reword(doc: dict[str, Any]) -> None:
        doc["data"]["TH"]["eng"]["advisory-text"] = "Be very careful"
        del doc["data"]["TH"]["date-published"]["timestamp"]

    result = ca_gac.parse(mutate(fixture("ca_gac", "index-updated.json"), reword))
    thailand = by_place(result)[("TH", None)]
    assert thailand.label == "Exercise a high degree of caution"
    assert thailand.updated_at == datetime(2026, 7, 16, 16, 53, 48, tzinfo=UTC)  # from "asp"


@pytest.mark.parametrize(
    "drift",
    [
        lambda doc: doc["data"],  # the envelope is gone
        lambda doc: {"data": list(doc["data"].values())},  # not keyed by country
        lambda doc: doc["data"]["AF"].update({"advisory-state": "3"}),  # not a number
        lambda doc: doc["data"]["AF"].update({"advisory-state": 4}),  # off the scale
        lambda doc: doc["data"]["AF"].update(
            {"advisoryState": doc["data"]["AF"].pop("advisory-state")}
        ),
        lambda doc: doc["data"]["BE"]["eng"].update({"advisory-text": "Avoid all travel"}),
    ],
)
def test_ca_gac_schema_drift_is_refused(drift: Callable[[Any], Any]) -> None:
    with pytest.raises(SchemaError):
        ca_gac.parse(mutate(fixture("ca_gac", "index-updated.json"), drift))


def test_ca_gac_truncated_json_is_refused() -> None:
    with pytest.raises(SchemaError):
        ca_gac.parse(fixture("ca_gac", "index-updated.json")[:-10])


# -- CSV ------------------------------------------------------------------------------------

BE_LEVELS = {
    "Geen bijzondere risico's": 0,
    "Waakzaamheid geboden": 1,
    "Niet-essentiële reizen afgeraden": 2,
    "Alle reizen afgeraden": 3,
}
UNI_LEVELS = {"Green": 0, "Yellow": 1, "Orange": 2, "Red": 3}


def test_csv_semicolons_dutch_names_codes_and_unmapped_regions() -> None:
    adapter = csv_adapter("be_fps", "Belgium: FPS Foreign Affairs", BE_LEVELS)
    get, _ = serve({"upload": fixture("csv", "be_fps.csv")})
    result = adapter.collect(get, "upload")
    assert_contract(result, BE_LEVELS)
    assert {place: a.label for place, a in by_place(result).items()} == {
        ("BE", None): "Geen bijzondere risico's",
        ("TR", None): "Waakzaamheid geboden",
        ("TR", "TR-63"): "Niet-essentiële reizen afgeraden",
        ("ET", None): "Niet-essentiële reizen afgeraden",
        ("ET", "ET-TI"): "Alle reizen afgeraden",
        ("CD", "CD-NK"): "Alle reizen afgeraden",
    }
    assert result.unmapped == [
        Unmapped(country="CD", name="Grensgebied met Nergensland", label="Alle reizen afgeraden")
    ]
    places = by_place(result)
    assert places[("TR", "TR-63")].updated_at == datetime(2026, 9, 20, 8, 30, tzinfo=UTC)
    assert places[("BE", None)].updated_at == datetime(2026, 9, 15, tzinfo=UTC)
    assert places[("CD", "CD-NK")].updated_at is None and places[("CD", "CD-NK")].link is None
    assert places[("ET", "ET-TI")].region_name == "Tigray"


def test_csv_commas_quotes_and_english_names() -> None:
    result = parse_csv(fixture("csv", "university.csv"), labels=UNI_LEVELS, resolver=None)
    places = by_place(result)
    assert set(places) == {("AF", None), ("JP", None), ("MX", "MX-GRO")}
    assert places[("AF", None)].summary == "No university travel, no exceptions."
    assert places[("AF", None)].updated_at == datetime(2026, 10, 2, 8, 0, tzinfo=UTC)
    assert places[("MX", "MX-GRO")].label == "Red"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ("country,region,level\nBE,,Green\n", "line 1: missing column 'summary'"),
        ("country,region,level,summary,colour\n", "line 1: unknown column 'colour'"),
        ("country,region,level,summary\nBE,,Green,ok\nNarnia,,Green,x\n", "line 3, column country"),
        ("country,region,level,summary\nBE,,Purple,x\n", "line 2, column level"),
        ("country,region,level,summary\nTR,ET-TI,Red,x\n", "line 2, column region"),
        ("country,region,level,summary,link\nBE,,Green,x,ftp://a\n", "line 2, column link"),
        ("country,region,level,summary,updated\nBE,,Green,x,15/09/2026\n", "column updated"),
        ("country,region,level,summary\nBE,,Green,x\nBelgium,,Red,y\n", "line 3, column country"),
        ("country,region,level,summary\nBE,,Green,x,extra\n", "line 2: more fields"),
        ("country,region,level,summary\nBE,,Green," + "x" * 501 + "\n", "line 2, column summary"),
    ],
)
def test_csv_bad_rows_name_the_line_and_column(body: str, where: str) -> None:
    with pytest.raises(SchemaError, match=where.replace("(", r"\(").replace(")", r"\)")):
        parse_csv(body.encode(), labels=UNI_LEVELS, resolver=default_resolver())


def test_csv_refuses_non_utf8_empty_and_oversized_files() -> None:
    with pytest.raises(SchemaError, match="not UTF-8"):
        parse_csv(
            "country;region;level;summary\nBE;;Green;café\n".encode("latin-1"),
            labels=UNI_LEVELS,
            resolver=None,
        )
    with pytest.raises(SchemaError, match="empty"):
        parse_csv(b"\n\n", labels=UNI_LEVELS, resolver=None)
    rows = "".join(f"BE,Gebied {i},Green,row {i}\n" for i in range(5001))
    with pytest.raises(SchemaError, match="more than 5000 rows"):
        parse_csv(
            f"country,region,level,summary\n{rows}".encode(), labels=UNI_LEVELS, resolver=None
        )


def test_csv_adapter_levels_are_the_target_sources() -> None:
    adapter = csv_adapter("uni", "KU Leuven", UNI_LEVELS)
    assert adapter.code == "uni" and dict(adapter.levels) == UNI_LEVELS
    with pytest.raises(ValueError):
        csv_adapter("a_code_that_is_too_long", "x", UNI_LEVELS)


# -- RegionResolver ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "name", "code"),
    [
        ("ET", "Afar", "ET-AF"),  # English / ISO name
        ("TR", "de provincie Hatay", "TR-31"),  # Dutch wording around the ISO name
        ("TR", "Sirnak", "TR-73"),  # without the Turkish letters
        ("CD", "Noord-Kivu", "CD-NK"),  # pycountry's Dutch translation
        ("DE", "Beieren", "DE-BY"),  # Dutch
        ("DE", "Bayern", "DE-BY"),  # German
        ("BE", "Flandre-Occidentale", "BE-VWV"),  # French
        ("NL", "Provincie Noord-Holland", "NL-NH"),
        ("ET", "Tigray", "ET-TI"),  # a translation (ISO spells it Tigrai)
        ("ET", "regio Gambella", "ET-GA"),  # the alias table plus a noise word
        ("CD", "South Kivu", "CD-SK"),  # the alias table: English names are not translations
        ("ET", "ET-TI", "ET-TI"),  # already a code
    ],
)
def test_resolver_maps_names_in_the_sources_languages(country: str, name: str, code: str) -> None:
    assert default_resolver().resolve(country, name) == code


@pytest.mark.parametrize(
    ("country", "name"),
    [
        ("ET", "Grensgebied met Nergensland"),
        ("ET", "het noorden van de regio Afar"),  # part of a region is not the region
        ("JP", "het zuidoosten van Fukushima"),
        ("TR", "ET-TI"),  # another country's code
        ("TR", ""),
        ("XX", "Hatay"),
    ],
)
def test_resolver_returns_none_when_not_certain(country: str, name: str) -> None:
    assert default_resolver().resolve(country, name) is None


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("Turkije", "TR"),
        ("Äthiopien", "ET"),
        ("Congo (DRC)", "CD"),
        ("Congo (Democratische Republiek)", "CD"),
        ("Burma", "MM"),
        ("Ivory Coast", "CI"),
        ("Cabo Verde", "CV"),
        ("Vatican City", "VA"),
        ("Kosovo", "XK"),
        ("be", "BE"),
        ("ETH", "ET"),
        ("Nergensland", None),
        ("", None),
    ],
)
def test_resolver_country_names(name: str, code: str | None) -> None:
    assert default_resolver().country_code(name) == code


def test_resolver_aliases_come_from_the_data_it_is_given() -> None:
    resolver = RegionResolver({"countries": {"Nergensland": "BE"}, "ET": {"Noordland": "ET-AF"}})
    assert resolver.country_code("Nergensland") == "BE"
    assert resolver.resolve("ET", "het Noordland") == "ET-AF"
    assert resolver.resolve("ET", "Gambella") is None  # the shipped aliases are not used


def test_resolver_is_fast_enough_for_every_country() -> None:
    resolver = RegionResolver()
    import pycountry

    started = datetime.now(UTC)
    for country in pycountry.countries:
        resolver.country_code(country.name)
        for sub in pycountry.subdivisions.get(country_code=country.alpha_2) or []:
            assert resolver.resolve(country.alpha_2, sub.name) in (sub.code, None)
    assert (datetime.now(UTC) - started).total_seconds() < 20
