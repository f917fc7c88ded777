"""A streaming xlsx writer: the workbook's XML written row by row straight into the zip that an
xlsx file is, with inline strings (no shared-string table to keep in memory), so memory stays
flat at any size and a million rows take seconds, not minutes (openpyxl's write-only mode and
xlsxwriter's constant-memory mode build an object per cell).

A sheet longer than Excel's limit (1,048,576 rows, header included) continues in "NAME (2)",
"NAME (3)", ..., each with the header again. Text is written as text, never as a formula; the
writer neutralises it for spreadsheets (safety.py) when asked to (the export does). Characters
XML cannot hold become U+FFFD.
"""

from __future__ import annotations

import math
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from itertools import chain
from typing import IO

from .safety import SPREADSHEET_FIRST, neutralise, spreadsheet_row

XLSX_MAX_ROWS = 1_048_576  # Excel's limit, header included
SHEET_NAME_MAX = 31

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
XML_HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
STYLES = (
    f'{XML_HEADER}<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/>'
    '<name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/>'
    '</fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border>'
    '<left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def text_xml(value: str) -> str:
    if SPECIAL.search(value):
        value = ILLEGAL.sub("\N{REPLACEMENT CHARACTER}", value)
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


STRING_START = '<c t="inlineStr"><is><t xml:space="preserve">'
STRING_END = "</t></is></c>"
EMPTY = "<c/>"
SHEET_END = "</sheetData></worksheet>"


def row_xml(values: list, *, neutralised: bool = False) -> str:
    """One row; cells carry no reference (optional in SpreadsheetML): an empty one is "<c/>",
    so each keeps its column. A hot loop: a million rows of thirty cells. Text is written
    as it is when the row's texts, looked at together, have no character to escape (nearly
    every row: one expression per cell, no call); a row with one is escaped cell by cell.
    `neutralised`: texts a spreadsheet would evaluate get their quote (safety.py) on the way,
    as `spreadsheet_row` gives them, without a pass over the row of its own."""
    texts = "".join([value for value in values if value.__class__ is str])
    if SPECIAL.search(texts):
        return _escaped_row_xml(spreadsheet_row(values) if neutralised else values)
    first = SPREADSHEET_FIRST if neutralised else ()
    return (
        "<row>"
        + "".join(
            [
                (STRING_START + (neutralise(value) if value[0] in first else value) + STRING_END)
                if value.__class__ is str and value
                else EMPTY
                if value is None or value == ""
                else f"<c><v>{value}</v></c>"
                if value.__class__ is int
                else _cell_xml(value)
                for value in values
            ]
        )
        + "</row>"
    )


def cell_xml(value, *, neutralised: bool = False) -> str:
    """One cell, as row_xml writes it in any row (escaping a text without a character to
    escape leaves it as it is, so a cell's XML does not depend on its row)."""
    if value.__class__ is str and value and neutralised and value[0] in SPREADSHEET_FIRST:
        value = neutralise(value)
    return _cell_xml(value, escaped=True)


# Cells of numbers seen before (agreement shares: a few dozen values, each a slow repr), kept
# for the process; bounded, and never for 0.0, which equals -0.0 but is written otherwise.
FLOAT_CELLS: dict[float, str] = {}
FLOAT_CELLS_LIMIT = 10_000


def _float_cell(value: float) -> str:
    xml = FLOAT_CELLS.get(value)
    if xml is None:
        # NaN and infinities have no cell value: an empty cell.
        xml = f"<c><v>{value!r}</v></c>" if math.isfinite(value) else EMPTY
        if value and xml is not EMPTY and len(FLOAT_CELLS) < FLOAT_CELLS_LIMIT:
            FLOAT_CELLS[value] = xml
    return xml


class TextCells:
    """The cells of texts seen before, looked up instead of built again: the values a sheet
    repeats on row after row (pseudonyms, sources, grades, label keys). At most LIMIT texts
    are kept, so a column of distinct texts costs a lookup, not memory."""

    LIMIT = 5_000

    def __init__(self, *, neutralised: bool):
        self.neutralised = neutralised
        self.known: dict[str, str] = {}

    def __call__(self, value) -> str:
        if value.__class__ is not str:
            return cell_xml(value, neutralised=self.neutralised)
        xml = self.known.get(value)
        if xml is None:
            xml = cell_xml(value, neutralised=self.neutralised)
            if len(self.known) < self.LIMIT:
                self.known[value] = xml
        return xml


def _escaped_row_xml(values: list) -> str:
    return "<row>" + "".join([_cell_xml(value, escaped=True) for value in values]) + "</row>"


def _cell_xml(value, *, escaped: bool = False) -> str:
    kind = value.__class__
    if kind is str:
        return (
            STRING_START + (text_xml(value) if escaped else value) + STRING_END if value else EMPTY
        )
    if value is None:
        return EMPTY
    if kind is bool:
        return f'<c t="b"><v>{int(value)}</v></c>'
    if kind is int:
        return f"<c><v>{value}</v></c>"
    if kind is float:
        return _float_cell(value)
    return STRING_START + text_xml(str(value)) + STRING_END


COMPRESS_LEVEL = 1  # zlib's fastest: this XML compresses 30-fold even so
SPOOL_ROWS = 2000  # rows joined, encoded and compressed at a time


class DeflatedPart:
    """One sheet's XML compressed as the zip will hold it (raw deflate, with its CRC and size)
    into a temporary file: a sheet written while another goes into the zip, compressed once
    and copied into the zip as it is (StreamingWorkbook.write_spooled)."""

    def __init__(self, first: str):
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed when copied)
        self.deflate = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
        self.crc, self.size = 0, 0
        self.write(first)

    def write(self, text: str) -> None:
        data = text.encode()
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        self.file.write(self.deflate.compress(data))

    def finish(self, last: str) -> None:
        self.write(last)
        self.file.write(self.deflate.flush())
        self.file.seek(0)


class SpooledSheet:
    """A sheet's rows as XML (`add`), kept compressed until the workbook writes the sheet:
    in as many parts as the row limit needs, each beginning with the header."""

    def __init__(self, title: str, header: list[str], *, max_rows: int, neutralised: bool):
        self.title, self.max_rows = title, max_rows
        self.start = f'{XML_HEADER}<worksheet xmlns="{MAIN}"><sheetData>' + row_xml(
            header, neutralised=neutralised
        )
        self.parts = [DeflatedPart(self.start)]
        self.rows = 1  # in the current part, its header included
        self.pending: list[str] = []

    def add(self, row: str) -> None:
        if self.rows >= self.max_rows:
            self._write_pending()
            self.parts[-1].finish(SHEET_END)
            self.parts.append(DeflatedPart(self.start))
            self.rows = 1
        self.pending.append(row)
        self.rows += 1
        if len(self.pending) >= SPOOL_ROWS:
            self._write_pending()

    def _write_pending(self) -> None:
        if self.pending:
            self.parts[-1].write("".join(self.pending))
            self.pending.clear()

    def finished(self) -> list[DeflatedPart]:
        self._write_pending()
        self.parts[-1].finish(SHEET_END)
        return self.parts


class _Deflated:
    """A zip member's "compressor" for data compressed already (DeflatedPart)."""

    @staticmethod
    def compress(data: bytes) -> bytes:
        return data

    @staticmethod
    def flush() -> bytes:
        return b""


class StreamingWorkbook:
    """Sheets written one after the other (each exactly once), then `close()`."""

    def __init__(self, out: IO[bytes], *, max_rows: int = XLSX_MAX_ROWS, neutralised: bool = False):
        self.neutralised = neutralised  # texts a spreadsheet would evaluate quoted (safety.py)
        self.archive = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self.max_rows = max_rows
        self.titles: list[str] = []

    def write_sheet(self, title: str, header: list[str], rows: Iterable[list]) -> int:
        """Write the rows under the header (in as many sheets as the row limit needs); returns
        the number of sheets used."""
        rows = iter(rows)
        part = 1
        while True:
            name = title if part == 1 else f"{title[: SHEET_NAME_MAX - 6]} ({part})"
            next_row = self._one_sheet(name, header, rows)
            if next_row is None:
                return part
            rows = chain([next_row], rows)
            part += 1

    def _one_sheet(self, name: str, header: list[str], rows) -> list | None:
        """Write one sheet; returns the first row of the next one (None: all written)."""
        self.titles.append(name)
        path = f"xl/worksheets/sheet{len(self.titles)}.xml"
        buffer: list[str] = [f'{XML_HEADER}<worksheet xmlns="{MAIN}"><sheetData>']
        neutralised = self.neutralised
        buffer.append(row_xml(header, neutralised=neutralised))
        number = 1
        next_row = None
        with self.archive.open(path, "w", force_zip64=True) as member:
            for row in rows:
                number += 1
                buffer.append(row_xml(row, neutralised=neutralised))
                if len(buffer) >= 2000:
                    member.write("".join(buffer).encode())
                    buffer.clear()
                if number >= self.max_rows:
                    next_row = next(rows, None)
                    break
            buffer.append(SHEET_END)
            member.write("".join(buffer).encode())
        return next_row

    def spooled(self, title: str, header: list[str]) -> SpooledSheet:
        """A sheet whose rows come before the workbook can write it (write_spooled)."""
        return SpooledSheet(title, header, max_rows=self.max_rows, neutralised=self.neutralised)

    def write_spooled(self, sheet: SpooledSheet) -> int:
        """The spooled sheet's parts, copied into the zip as compressed; returns their number.
        zipfile has no public way to add data compressed already: the member's compressor is
        one that passes the bytes on, and its CRC and size are the uncompressed data's
        (tests read the workbook back, with its CRCs checked)."""
        parts = sheet.finished()
        for number, part in enumerate(parts, 1):
            name = sheet.title if number == 1 else f"{sheet.title[: SHEET_NAME_MAX - 6]} ({number})"
            self.titles.append(name)
            path = f"xl/worksheets/sheet{len(self.titles)}.xml"
            with part.file, self.archive.open(path, "w", force_zip64=True) as member:
                member._compressor = _Deflated()
                while chunk := part.file.read(1 << 20):
                    member.write(chunk)
                member._crc, member._file_size = part.crc, part.size
        return len(parts)

    def close(self) -> None:
        sheets = "".join(
            f'<sheet name="{text_xml(title)}" sheetId="{n}" r:id="rId{n}"/>'
            for n, title in enumerate(self.titles, 1)
        )
        self.archive.writestr(
            "xl/workbook.xml",
            f'{XML_HEADER}<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
            f"<sheets>{sheets}</sheets></workbook>",
        )
        relations = "".join(
            f'<Relationship Id="rId{n}" Type="{RELATIONSHIPS}/worksheet" '
            f'Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(self.titles) + 1)
        )
        styles_id = len(self.titles) + 1
        self.archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'{XML_HEADER}<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">{relations}'
            f'<Relationship Id="rId{styles_id}" Type="{RELATIONSHIPS}/styles" '
            'Target="styles.xml"/></Relationships>',
        )
        self.archive.writestr("xl/styles.xml", STYLES)
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{SHEET_TYPE}"/>'
            for n in range(1, len(self.titles) + 1)
        )
        self.archive.writestr(
            "[Content_Types].xml",
            f"{XML_HEADER}<Types "
            'xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>",
        )
        self.archive.writestr(
            "_rels/.rels",
            f'{XML_HEADER}<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
            f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        self.archive.close()
