"""The streaming xlsx writer: what openpyxl and pandas read back, sheets continued past the row
limit (each with its header), characters XML cannot hold, and no formula anywhere."""

import io
import zipfile

import openpyxl
import pandas as pd

from annotator.datasets.selection import DatasetExport
from annotator.datasets.writers import write_xlsx
from annotator.datasets.xlsx import StreamingWorkbook, TextCells, cell_xml, row_xml


def test_cells_read_back_as_written():
    out = io.BytesIO()
    workbook = StreamingWorkbook(out)
    rows = [
        ["text", 1, 2.5, None, True, "a & b <c> \x07 bell"],
        ["'=1+1", -3, 0.0, "", False, "Zeile\nzwei"],
    ]
    workbook.write_sheet("sheet", ["s", "i", "f", "empty", "b", "special"], rows)
    workbook.close()
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue()))["sheet"]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values == [
        ["s", "i", "f", "empty", "b", "special"],
        ["text", 1, 2.5, None, True, "a & b <c> \ufffd bell"],
        ["'=1+1", -3, 0, None, False, "Zeile\nzwei"],
    ]
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_a_sheet_past_the_row_limit_continues_in_the_next_with_its_header():
    out = io.BytesIO()
    workbook = StreamingWorkbook(out, max_rows=4)  # a header and three rows per sheet
    assert workbook.write_sheet("annotations", ["n"], ([n] for n in range(8))) == 3
    assert workbook.write_sheet("sources", ["name"], [["KCNA"]]) == 1
    workbook.close()
    sheets = pd.read_excel(io.BytesIO(out.getvalue()), sheet_name=None)
    assert list(sheets) == ["annotations", "annotations (2)", "annotations (3)", "sources"]
    assert [sheet["n"].tolist() for sheet in list(sheets.values())[:3]] == [
        [0, 1, 2],
        [3, 4, 5],
        [6, 7],
    ]


def test_an_exactly_full_sheet_has_no_empty_continuation():
    out = io.BytesIO()
    workbook = StreamingWorkbook(out, max_rows=4)
    assert workbook.write_sheet("a", ["n"], ([n] for n in range(3))) == 1
    workbook.close()
    assert openpyxl.load_workbook(io.BytesIO(out.getvalue())).sheetnames == ["a"]


def test_the_export_splits_its_annotations_sheet(demo):
    out = io.BytesIO()
    write_xlsx(DatasetExport(project=demo), out, max_rows=30)
    sheets = pd.read_excel(io.BytesIO(out.getvalue()), sheet_name=None)
    assert list(sheets) == ["statements", "annotations", "annotations (2)", "annotations (3)",
                            "sources"]  # fmt: skip
    parts = [sheets[name] for name in ("annotations", "annotations (2)", "annotations (3)")]
    assert [len(part) for part in parts] == [29, 29, 5]  # the demo's 63 annotations
    assert all(list(part.columns) == list(parts[0].columns) for part in parts)


def test_asked_to_the_writer_neutralises_formulas_in_plain_and_escaped_rows():
    """The export's workbook quotes what a spreadsheet would evaluate (safety.py) in the
    header and in every row, also in a row whose texts need XML escapes; asked nothing, the
    writer keeps the texts as they are."""
    rows = [["=1+1", "@SUM(A1)", "'=quoted", "-", "plain", 7], ["+1 & <b>", "\x07", "ok", None]]
    read_back = {}
    for neutralised in (True, False):
        out = io.BytesIO()
        workbook = StreamingWorkbook(out, neutralised=neutralised)
        workbook.write_sheet("sheet", ["=header", "b", "c", "d", "e", "f"], rows)
        workbook.close()
        sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue()))["sheet"]
        read_back[neutralised] = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert read_back[True] == [
        ["'=header", "b", "c", "d", "e", "f"],
        ["'=1+1", "'@SUM(A1)", "''=quoted", "'-", "plain", 7],
        ["'+1 & <b>", "\ufffd", "ok", None, None, None],
    ]
    assert read_back[False][0][0] == "=header" and read_back[False][1][0] == "=1+1"


def test_a_spooled_sheet_is_copied_into_the_zip_compressed_with_its_crc():
    """A sheet whose rows came first (the export's annotations) is kept compressed and copied
    into the zip as it is: zipfile checks each member's CRC and size on reading it back."""
    out = io.BytesIO()
    workbook = StreamingWorkbook(out, max_rows=3, neutralised=True)
    spooled = workbook.spooled("annotations", ["n", "text"])
    for n in range(5):
        spooled.add(row_xml([n, f"=cell {n} & <b>"], neutralised=True))
    workbook.write_sheet("statements", ["id"], [[1]])
    assert workbook.write_spooled(spooled) == 3
    workbook.close()
    archive = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    assert archive.testzip() is None
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == ["statements", "annotations", "annotations (2)", "annotations (3)"]
    assert [list(row) for row in book["annotations (2)"].iter_rows(values_only=True)] == [
        ["n", "text"],
        [2, "'=cell 2 & <b>"],
        [3, "'=cell 3 & <b>"],
    ]


def test_the_export_workbook_reads_back_with_its_crcs(demo):
    out = io.BytesIO()
    write_xlsx(DatasetExport(project=demo), out)
    assert zipfile.ZipFile(io.BytesIO(out.getvalue())).testzip() is None


def test_a_cell_is_the_same_in_any_row():
    """The export builds annotation rows cell by cell (xlsx_export.py): each cell as row_xml
    writes it, in a row with or without characters to escape."""
    values = ["=1+1", "'@x", "plain", "", None, 3, 2.5, float("nan"), True, "a & b", "\x07"]
    for neutralised in (True, False):
        cells = TextCells(neutralised=neutralised)
        built = "<row>" + "".join(cells(value) for value in values) + "</row>"
        assert built == row_xml(values, neutralised=neutralised)
        plain = [value for value in values if value not in ("a & b", "\x07")]
        built = "<row>" + "".join(cell_xml(value, neutralised=neutralised) for value in plain)
        assert built + "</row>" == row_xml(plain, neutralised=neutralised)


def test_numbers_kept_from_row_to_row_keep_their_sign_and_value():
    """Number cells are kept once built (FLOAT_CELLS): 0.0 and -0.0, equal as keys, are each
    written as they are, and a NaN stays an empty cell."""
    row = [0.0, -0.0, 0.5, float("nan"), 1.0]
    assert row_xml(row) == row_xml(row)
    assert row_xml(row) == (
        "<row><c><v>0.0</v></c><c><v>-0.0</v></c><c><v>0.5</v></c><c/><c><v>1.0</v></c></row>"
    )
    assert row_xml([-0.0, 0.0]) == "<row><c><v>-0.0</v></c><c><v>0.0</v></c></row>"
