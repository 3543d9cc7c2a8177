"""A report's tables as files: CSV per table, one Excel workbook, and the printable page as PDF.

Pure functions from :mod:`travel_app.reports.tables` objects (titles already translated) to
bytes; the views choose the file name and the response. Numbers stay numbers in every format
(a share is the fraction 0.125, which Excel shows as 12.5%), so a reader can compute with them.
Text that a spreadsheet would run as a formula is neutralised in both CSV and Excel.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell.cell import Cell as XlsxCell  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from travel_app.reports.tables import Cell, Kind, Table

#: Who the workbook says wrote it.
CREATOR = "Safe Passage"
#: What every file name starts with, so a download folder groups them.
FILE_PREFIX = "safe-passage"

#: A text cell starting with one of these is a formula (or DDE) to Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: Excel number formats per column kind; TEXT cells keep the default (General).
NUMBER_FORMATS: dict[Kind, str] = {
    Kind.COUNT: "0",
    Kind.SHARE: "0.0%",
    Kind.DAYS: "0.0",
    Kind.HOURS: "0.0",
    Kind.CHANGE: "+0;-0;0",
}

#: Excel's limit on a sheet name, and the characters it refuses in one.
SHEET_NAME_MAX = 31
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
#: Control characters an XLSX file cannot hold (tab, line feed and carriage return it can).
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Column widths in characters: wide enough for a header, never wider than a screen's third.
_MIN_WIDTH, _MAX_WIDTH = 8, 60


class PdfUnavailableError(RuntimeError):
    """WeasyPrint or the Pango library it needs is not installed on this machine."""


# --- CSV ----------------------------------------------------------------------------------


def _csv_cell(value: Cell) -> str | int | float:
    """A cell as the csv module should write it: numbers raw, None empty, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return value


def csv_bytes(table: Table) -> bytes:
    """The table as UTF-8 CSV with a BOM (so Excel reads accents right): header, rows, total.

    Numbers are written raw (a share as its fraction, ``0.125``) and empty cells empty; a text
    cell that a spreadsheet would run as a formula gets a leading ``'`` (CSV injection).
    """
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    lines: list[Sequence[Cell]] = [[column.title for column in table.columns], *table.rows]
    if table.total is not None:
        lines.append(table.total)
    writer.writerows([_csv_cell(value) for value in line] for line in lines)
    return out.getvalue().encode("utf-8-sig")


# --- Excel --------------------------------------------------------------------------------


def sheet_names(titles: Iterable[str]) -> list[str]:
    """Excel-safe sheet names for these titles, in order: at most 31 characters, none of
    ``[]:*?/\\``, no leading or trailing apostrophe, and unique ignoring case (as Excel
    compares them) by a `` (2)``-style suffix."""
    names: list[str] = []
    taken: set[str] = set()
    for number, title in enumerate(titles, start=1):
        base = _SHEET_NAME_FORBIDDEN.sub(" ", _XML_ILLEGAL.sub("", title))
        base = " ".join(base.split()).strip("'").strip() or f"{number}"
        if base.casefold() == "history":  # Excel keeps that name for itself
            base = f"{base} {number}"
        name = base[:SHEET_NAME_MAX].rstrip("' ")
        suffix = 1
        while name.casefold() in taken:
            suffix += 1
            tail = f" ({suffix})"
            name = base[: SHEET_NAME_MAX - len(tail)].rstrip("' ") + tail
        taken.add(name.casefold())
        names.append(name)
    return names


def _xlsx_text(value: str) -> str:
    """Text an XLSX file can hold (control characters other than tab and newlines dropped)."""
    return value if value.isprintable() else _XML_ILLEGAL.sub("", value)


def _shown_width(values: Sequence[Cell], kind: Kind) -> int:
    """Roughly how many characters Excel shows for the widest of these cells."""
    texts = [value for value in values if isinstance(value, str)]
    numbers = [value for value in values if isinstance(value, int | float)]
    width = max((len(line) for text in texts for line in text.splitlines()), default=0)
    if numbers:  # the widest number is the largest or the most negative
        pattern = {Kind.SHARE: "{:.1%}", Kind.DAYS: "{:.1f}", Kind.HOURS: "{:.1f}"}.get(
            kind, "{:+.0f}" if kind is Kind.CHANGE else "{:.0f}"
        )
        width = max(width, *(len(pattern.format(value)) for value in (min(numbers), max(numbers))))
    return width


class _SheetWriter:
    """Appends rows to one worksheet, each cell made with its column's prepared style.

    Styling cell by cell looks the font and number format up again for every cell, which at
    100,000 rows cost more than writing the file; a style prepared once per column and kind of
    row (plain or bold) is copied into each new cell instead.
    """

    def __init__(self, sheet: Any) -> None:
        self.sheet = sheet
        self._styles: dict[tuple[str | None, bool], Any] = {}

    def style(self, number_format: str | None, bold: bool) -> Any:
        """The style array for cells with this number format and weight, made once."""
        key = (number_format, bold)
        if key not in self._styles:
            model = XlsxCell(self.sheet)  # never added to the sheet: a model for its style
            if number_format:
                model.number_format = number_format
            if bold:
                model.font = Font(bold=True)
            self._styles[key] = model._style
        return self._styles[key]

    def append(self, values: Sequence[Cell], styles: Sequence[Any]) -> int:
        """Add a row and return its number; text that looks like a formula stays a string."""
        row = []
        for value, style in zip(values, styles, strict=False):
            if isinstance(value, str):
                cell = XlsxCell(self.sheet, value=_xlsx_text(value), style_array=style)
                if value.startswith(FORMULA_STARTS):
                    cell.data_type = "s"  # a string, never a formula
            else:
                cell = XlsxCell(self.sheet, value=value, style_array=style)
            row.append(cell)
        self.sheet.append(row)
        return int(row[0].row) if row else int(self.sheet.max_row)  # max_row scans every cell


def _write_heading(sheet: Any, title: str, lines: Sequence[str]) -> None:
    """The first rows of a sheet: a bold title, then one line of text per row."""
    sheet.append([_xlsx_text(title)])
    sheet.cell(row=1, column=1).font = Font(bold=True, size=13)
    for line in lines:
        sheet.append([_xlsx_text(line)])


def _write_sheet(sheet: Any, table: Table, subtitle_lines: Sequence[str]) -> None:
    """Fill one worksheet: title, subtitle lines and note above a frozen header, rows, total."""
    _write_heading(sheet, table.title, [*subtitle_lines, *([table.note] if table.note else [])])
    sheet.append([])

    writer = _SheetWriter(sheet)
    formats = [NUMBER_FORMATS.get(column.kind) for column in table.columns]
    header_row = writer.append(
        [column.title for column in table.columns], [writer.style(None, True) for _ in formats]
    )
    plain = [writer.style(number_format, False) for number_format in formats]
    for row in table.rows:
        writer.append(row, plain)
    if table.total is not None:
        writer.append(table.total, [writer.style(number_format, True) for number_format in formats])

    lines = [*table.rows, *([table.total] if table.total is not None else [])]
    for index, column in enumerate(table.columns):
        values = [line[index] for line in lines if index < len(line)]
        width = max(len(column.title), _shown_width(values, column.kind))
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(
            max(width + 2, _MIN_WIDTH), _MAX_WIDTH
        )
    sheet.freeze_panes = f"A{header_row + 1}"


def xlsx_bytes(tables: Sequence[Table], *, title: str, subtitle_lines: Sequence[str]) -> bytes:
    """An Excel workbook with one worksheet per table, numbers as numbers with formats.

    Each sheet opens with the table's title (bold), the ``subtitle_lines`` (period, filters)
    and the table's note, then the bold header frozen in place, the rows and a bold total.
    """
    workbook = Workbook()
    workbook.properties.title = title
    workbook.properties.creator = CREATOR
    workbook.properties.lastModifiedBy = CREATOR
    first = workbook.active
    if not tables:  # a workbook needs a sheet: say what it is and that it holds no table
        first.title = sheet_names([title])[0]
        _write_heading(first, title, subtitle_lines)
    names = sheet_names(table.title for table in tables)
    for index, (table, name) in enumerate(zip(tables, names, strict=True)):
        sheet = first if index == 0 else workbook.create_sheet()
        sheet.title = name
        _write_sheet(sheet, table, subtitle_lines)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- PDF ----------------------------------------------------------------------------------


@functools.cache
def pdf_available() -> bool:
    """Whether PDF can be made here: WeasyPrint imports and finds Pango (checked once)."""
    try:
        import weasyprint  # type: ignore[import-untyped]  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


@functools.cache
def _data_only_fetcher_class() -> Any:
    """A WeasyPrint URL fetcher class that serves ``data:`` URLs and refuses every other one."""
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    class DataOnlyFetcher(URLFetcher):  # type: ignore[misc]
        """No network and no files: the printable page arrives with its CSS inlined."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            """Serve a ``data:`` URL; raise ValueError for anything else (WeasyPrint logs it
            and renders without the resource)."""
            if url[:5].lower() != "data:":
                raise ValueError(f"Safe Passage fetches nothing for a PDF: {url[:80]}")
            return super().fetch(url, headers)

    return DataOnlyFetcher


#: The printed report's running heading: a section longer than a page repeats its heading,
#: "(continued)", at the top of each further page, so every page after the cover starts with
#: the heading of its section. WeasyPrint draws it; a browser prints without it.
RUNNING_HEADINGS = """
@page { @top-left { content: string(section, first-except); font-weight: 700; font-size: 11pt; } }
.report-section-heading { string-set: section content() " (" attr(data-continued) ")"; }
"""


def pdf_bytes(html: str, base_url: str | None = None, stylesheets: Sequence[str] = ()) -> bytes:
    """The HTML page rendered as PDF by WeasyPrint, which loads nothing but ``data:`` URLs;
    ``stylesheets`` are CSS texts applied after the page's own.

    Raises :class:`PdfUnavailableError` where :func:`pdf_available` is False.
    """
    if not pdf_available():
        raise PdfUnavailableError("WeasyPrint or Pango is not installed")
    import weasyprint

    # A fetcher per document: it keeps a little state while it fetches.
    fetcher = _data_only_fetcher_class()(allowed_protocols=("data",), allow_redirects=False)
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    extra = [weasyprint.CSS(string=css, url_fetcher=fetcher) for css in stylesheets]
    pdf: bytes = document.write_pdf(stylesheets=extra)
    return pdf


# --- File names ---------------------------------------------------------------------------


def _slug(text: str) -> str:
    """Lower-case ASCII words joined by dashes (accents dropped, everything else a dash)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def file_name(stem: str, period_slug: str, extension: str) -> str:
    """A safe download name like ``safe-passage-trips-by-level-2026.csv`` (only ``[a-z0-9-.]``).

    Raises ValueError for an extension with no letter or digit.
    """
    ext = re.sub(r"[^a-z0-9]", "", extension.lower())
    if not ext:
        raise ValueError(f"not a file extension: {extension!r}")
    words = [FILE_PREFIX, _slug(stem).removeprefix(FILE_PREFIX).strip("-"), _slug(period_slug)]
    return "-".join(word for word in words if word) + "." + ext
