"""The report's files as a reader opens them: CSV in a spreadsheet, the Excel workbook, the PDF.

Everything is read back with the real libraries (the csv module, openpyxl, WeasyPrint); the
PDF tests run wherever Pango is installed and may skip only outside CI.
"""

from __future__ import annotations

import csv
import io
import itertools
import logging
import os
import re
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator

import pypdf
import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook  # type: ignore[import-untyped]

from config import BASE_DIR
from tests.reports.test_privacy import officer, private_trip, query  # noqa: F401 - fixtures
from travel_app.reports.exports import (
    RUNNING_HEADINGS,
    csv_bytes,
    file_name,
    pdf_available,
    pdf_bytes,
    sheet_names,
    xlsx_bytes,
)
from travel_app.reports.tables import Column, Kind, Table

HOSTILE = '=HYPERLINK("http://x")'
DUTCH = "Faculteit Letteren – één reis naar Côte d’Ivoire"

TRIPS = Table(
    key="trips-by-level",
    title="Reizen per risiconiveau",
    columns=(
        Column("Faculteit", Kind.TEXT),
        Column("Reizen", Kind.COUNT),
        Column("Aandeel", Kind.SHARE),
        Column("Doorlooptijd (werkdagen)", Kind.DAYS),
        Column("Antwoordtijd (uur)", Kind.HOURS),
        Column("Verschil", Kind.CHANGE),
    ),
    rows=(
        (DUTCH, 3, 0.125, 2.5, 1.5, 2),
        (HOSTILE, 21, 0.875, None, 12.25, -4),
    ),
    note="Goedgekeurde reizen die in de periode begonnen.",
    total=("Totaal", 24, 1.0, 2.5, 6.875, -2),
)
SUBTITLE = ("Periode: 2026", "Faculteit: alle")


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


# --- CSV ----------------------------------------------------------------------------------


def test_csv_has_header_rows_and_total_with_raw_numbers() -> None:
    assert read_csv(csv_bytes(TRIPS)) == [
        [column.title for column in TRIPS.columns],
        [DUTCH, "3", "0.125", "2.5", "1.5", "2"],
        ["'" + HOSTILE, "21", "0.875", "", "12.25", "-4"],
        ["Totaal", "24", "1.0", "2.5", "6.875", "-2"],
    ]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_text_that_a_spreadsheet_would_run_gets_a_quote(start: str) -> None:
    table = Table("t", "T", (Column("Naam", Kind.TEXT), Column("Aantal")), ((start + "1+1", -3),))
    assert read_csv(csv_bytes(table))[1] == ["'" + start + "1+1", "-3"]


def test_csv_without_total_ends_with_the_last_row() -> None:
    table = Table("t", "T", (Column("Land", Kind.TEXT),), (("België",), ("Zuid-Afrika",)))
    assert read_csv(csv_bytes(table)) == [["Land"], ["België"], ["Zuid-Afrika"]]


# --- Excel --------------------------------------------------------------------------------


def test_xlsx_sheet_shows_title_subtitle_header_rows_and_bold_total() -> None:
    data = xlsx_bytes([TRIPS], title="Jaarverslag 2026", subtitle_lines=SUBTITLE)
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Reizen per risiconiveau"]
    assert workbook.properties.title == "Jaarverslag 2026"
    assert workbook.properties.creator == "Safe Passage"
    sheet = workbook.active

    assert [sheet.cell(row=r, column=1).value for r in range(1, 5)] == [
        "Reizen per risiconiveau",
        "Periode: 2026",
        "Faculteit: alle",
        "Goedgekeurde reizen die in de periode begonnen.",
    ]
    assert sheet["A1"].font.b
    header = [cell.value for cell in sheet[6]]
    assert header == [column.title for column in TRIPS.columns]
    assert all(cell.font.b for cell in sheet[6])
    assert sheet.freeze_panes == "A7"

    assert [cell.value for cell in sheet[7]] == [DUTCH, 3, 0.125, 2.5, 1.5, 2]
    assert [cell.value for cell in sheet[8]] == [HOSTILE, 21, 0.875, None, 12.25, -4]
    total = sheet[9]
    assert [cell.value for cell in total] == ["Totaal", 24, 1.0, 2.5, 6.875, -2]
    assert all(cell.font.b for cell in total)
    assert not sheet["B7"].font.b
    assert sheet.max_row == 9


def test_xlsx_numbers_are_numbers_with_formats_per_kind() -> None:
    sheet = load_workbook(
        io.BytesIO(xlsx_bytes([TRIPS], title="T", subtitle_lines=SUBTITLE))
    ).active
    for row in (7, 9):  # a row and the total
        cells = sheet[row]
        assert [cell.data_type for cell in cells[1:]] == ["n"] * 5
        assert [cell.number_format for cell in cells[1:]] == [
            "0",
            "0.0%",
            "0.0",
            "0.0",
            "+0;-0;0",
        ]
    assert isinstance(sheet["C7"].value, float)


def test_xlsx_formula_like_text_is_a_string_never_a_formula() -> None:
    data = xlsx_bytes([TRIPS], title="T", subtitle_lines=SUBTITLE)
    cell = load_workbook(io.BytesIO(data)).active["A8"]
    assert cell.value == HOSTILE
    assert cell.data_type == "s"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


def test_xlsx_columns_are_wide_enough_for_their_content() -> None:
    sheet = load_workbook(io.BytesIO(xlsx_bytes([TRIPS], title="T", subtitle_lines=[]))).active
    assert sheet.column_dimensions["A"].width >= len(DUTCH)
    assert sheet.column_dimensions["D"].width >= len("Doorlooptijd (werkdagen)")
    assert sheet.column_dimensions["B"].width < 20


def test_xlsx_has_one_sheet_per_table_with_names_excel_accepts() -> None:
    long_title = "Reizen per faculteit en per risiconiveau in het hele jaar"
    tables = [
        Table("a", long_title, (Column("n"),), ((1,),)),
        Table("b", long_title, (Column("n"),), ((2,),)),
        Table("c", "Landen: top 10 [rood/oranje]?*\\", (Column("n"),), ((3,),)),
        Table("d", "landen: TOP 10 [rood/oranje]?*\\", (Column("n"),), ((4,),)),
        Table("e", "History", (Column("n"),), ((5,),)),
    ]
    workbook = load_workbook(io.BytesIO(xlsx_bytes(tables, title="T", subtitle_lines=[])))
    names = workbook.sheetnames
    assert len(names) == 5
    assert all(len(name) <= 31 for name in names)
    assert not any(set(name) & set("[]:*?/\\") for name in names)
    assert len({name.casefold() for name in names}) == 5
    assert names[0] == long_title[:31].rstrip()
    assert names[1].endswith(" (2)") and names[1].startswith("Reizen per faculteit")
    assert names[2] == "Landen top 10 rood oranje"
    assert names[4] != "History"  # Excel keeps that name for itself
    # title, a blank line, the header and the table's own row
    assert [workbook[name]["A4"].value for name in names] == [1, 2, 3, 4, 5]
    assert [workbook[name].freeze_panes for name in names] == ["A4"] * 5


@given(st.lists(st.text(max_size=40), min_size=1, max_size=8))
def test_sheet_names_are_always_valid_and_unique(titles: list[str]) -> None:
    names = sheet_names(titles)
    assert len(names) == len(titles)
    for name in names:
        assert 0 < len(name) <= 31
        assert not set(name) & set("[]:*?/\\")
        assert not name.startswith("'") and not name.endswith("'")
    assert len({name.casefold() for name in names}) == len(names)


def test_xlsx_without_tables_still_opens_with_its_title() -> None:
    sheet = load_workbook(io.BytesIO(xlsx_bytes([], title="Jaarverslag", subtitle_lines=SUBTITLE)))
    assert [row[0] for row in sheet.active.values] == ["Jaarverslag", *SUBTITLE]


# --- File names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stem", "period", "extension", "expected"),
    [
        ("trips-by-level", "2026", "csv", "safe-passage-trips-by-level-2026.csv"),
        ("Reizen / België", "Q3 2026", ".XLSX", "safe-passage-reizen-belgie-q3-2026.xlsx"),
        (
            "../../etc/passwd",
            "2026-03 – 2026-05",
            "pdf",
            "safe-passage-etc-passwd-2026-03-2026-05.pdf",
        ),
        ("safe-passage-report", "", "pdf", "safe-passage-report.pdf"),
    ],
)
def test_file_names_are_safe_ascii(stem: str, period: str, extension: str, expected: str) -> None:
    assert file_name(stem, period, extension) == expected


@given(st.text(), st.text())
def test_file_names_only_ever_hold_lowercase_ascii_digits_dashes_and_one_dot(
    stem: str, period: str
) -> None:
    assert re.fullmatch(r"safe-passage(-[a-z0-9]+)*\.csv", file_name(stem, period, "csv"))


def test_file_name_refuses_an_empty_extension() -> None:
    with pytest.raises(ValueError, match="extension"):
        file_name("trips", "2026", "./")


# --- PDF ----------------------------------------------------------------------------------


@pytest.fixture
def pdf() -> None:
    """Skip where Pango is missing, except in CI, which installs it and allows no skip."""
    if pdf_available():
        return
    message = (
        "WeasyPrint cannot load Pango (Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{message}; .ci/run installs it, so CI must render PDFs")
    pytest.skip(message)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A port on this machine that records any connection made to it."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        yield server


@pytest.mark.usefixtures("pdf")
def test_pdf_of_an_html_page() -> None:
    data = pdf_bytes(
        "<h1>Jaarverslag</h1><p>Reizen naar België en Côte d’Ivoire – één overzicht.</p>"
    )
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")


@pytest.mark.usefixtures("pdf")
def test_pdf_fetches_nothing_over_the_network_or_from_disk(
    listener: socket.socket, caplog: pytest.LogCaptureFixture
) -> None:
    port = listener.getsockname()[1]
    html = (
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/print.css">'
        "<h1>Jaarverslag</h1>"
        f'<img src="http://127.0.0.1:{port}/x.png"><img src="http://127.0.0.1:9/x.png">'
        '<img src="file:///etc/hostname">'
    )
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        data = pdf_bytes(html, base_url=f"http://127.0.0.1:{port}/reports/")
    assert data.startswith(b"%PDF-")
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody knocked
    refused = [record.getMessage() for record in caplog.records]
    for url in (f"127.0.0.1:{port}/print.css", f"127.0.0.1:{port}/x.png", "file:///etc/hostname"):
        assert any(url in message and "fetches nothing" in message for message in refused), url


@pytest.mark.usefixtures("pdf")
def test_pdf_uses_inlined_data_urls() -> None:
    pixel = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwA"
        "EhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    without = pdf_bytes("<p>Logo</p>")
    with_image = pdf_bytes(f'<p>Logo</p><img src="{pixel}" style="width:2cm">')
    assert with_image.startswith(b"%PDF-")
    assert len(with_image) > len(without)  # the image is in the file


#: The report's sections, in order, as the printed report numbers them (English).
SECTIONS = (
    "1. Trips",
    "2. Decisions",
    "3. Late requests and changes",
    "4. Preparation",
    "5. Duty of care",
    "6. Advisories",
)


def first_lines(pdf: bytes) -> list[str]:
    """Each page's first line as a reader sees it, from the top of the page (pypdf's layout
    mode: a heading printed in the page's top margin comes first)."""
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    texts = [(page.extract_text(extraction_mode="layout") or "").strip() for page in pages]
    return [text.splitlines()[0].strip() if text else "" for text in texts]


def section_of(line: str) -> tuple[int, bool]:
    """The section a page's first line heads (0 for none), and whether it says "continued"."""
    for number, heading in enumerate(SECTIONS, start=1):
        if line == heading:
            return number, False
        if line == f"{heading} (continued)":
            return number, True
    return 0, False


@pytest.mark.usefixtures("pdf")
def test_each_pdf_page_after_the_cover_starts_with_its_section_heading(
    officer: FlaskClient,  # noqa: F811
    private_trip: dict[str, str],  # noqa: F811
) -> None:
    response = officer.get(f"/reports/report.pdf?{query(private_trip)}")
    assert response.status_code == 200
    lines = first_lines(response.data)
    assert lines[0] == "Travel to risk areas: report"  # the cover
    sections = [section_of(line) for line in lines[1:]]
    assert all(number for number, _continued in sections), lines
    # Every section in order, each from a new page headed by its title; a page more of the
    # same section repeats the title, "continued".
    assert sorted(sections) == sections
    assert [number for number, continued in sections if not continued] == [1, 2, 3, 4, 5, 6]
    for (before, _c), (number, continued) in itertools.pairwise(sections):
        assert continued == (number == before)


@pytest.mark.usefixtures("pdf")
def test_a_section_longer_than_a_page_repeats_its_heading_on_each_page() -> None:
    rows = "".join(f"<p>Row {n}</p>" for n in range(150))
    html = (
        '<section><h1>Jaarverslag</h1></section><section style="page-break-before: always">'
        '<h2 class="report-section-heading" data-continued="vervolg">1. Reizen</h2>'
        f'{rows}</section><section style="page-break-before: always">'
        '<h2 class="report-section-heading" data-continued="vervolg">2. Beslissingen</h2>'
        "<p>Kort.</p></section>"
    )
    lines = first_lines(pdf_bytes(html, stylesheets=[RUNNING_HEADINGS]))
    assert len(lines) > 4  # the first section takes three pages or more
    assert lines[0] == "Jaarverslag"
    assert lines[1] == "1. Reizen"
    assert set(lines[2:-1]) == {"1. Reizen (vervolg)"}
    assert lines[-1] == "2. Beslissingen"  # a section's own first page: its heading, once


@pytest.mark.parametrize("error", ["ImportError", "OSError"])
def test_pdf_is_reported_unavailable_where_weasyprint_or_pango_is_missing(error: str) -> None:
    # A separate interpreter where importing weasyprint fails as it does without the package
    # (ImportError) or without Pango (OSError from cffi's dlopen).
    code = f"""
import sys
class Missing:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "weasyprint":
            raise {error}("cannot load library 'libpango-1.0-0'")
sys.meta_path.insert(0, Missing())
from travel_app.reports.exports import PdfUnavailableError, pdf_available, pdf_bytes
assert pdf_available() is False
try:
    pdf_bytes("<p>x</p>")
except PdfUnavailableError:
    print("no PDF here")
"""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "no PDF here"
