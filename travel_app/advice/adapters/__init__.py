"""Advice source adapters: one module per published format, all framework-free.

``ADAPTERS`` holds the sources with an API, by code; ``csv_adapter`` builds the CSV import
for a source without one (its code, name and level wordings come from the database).
"""

from __future__ import annotations

from travel_app.advice.adapters import ca_gac, de_aa, nl_bz, uk_fcdo, us_state
from travel_app.advice.adapters.base import (
    Adapter,
    Get,
    ParsedAdvice,
    ParseResult,
    SchemaError,
    Unmapped,
)
from travel_app.advice.adapters.csv_import import CsvAdapter, csv_adapter, parse_csv

ADAPTERS: dict[str, Adapter] = {
    adapter.code: adapter
    for adapter in (
        us_state.ADAPTER,
        de_aa.ADAPTER,
        nl_bz.ADAPTER,
        uk_fcdo.ADAPTER,
        ca_gac.ADAPTER,
    )
}

__all__ = [
    "ADAPTERS",
    "Adapter",
    "CsvAdapter",
    "Get",
    "ParseResult",
    "ParsedAdvice",
    "SchemaError",
    "Unmapped",
    "csv_adapter",
    "parse_csv",
]
