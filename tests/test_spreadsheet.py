"""The one rule for CSV cells (gridmap.spreadsheet): formulas as text, numbers as numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from gridmap.spreadsheet import BOM, csv_text, plain_cell, safe_cell, safe_frame, write_frame


@pytest.mark.parametrize(
    "cell", ["=1+2", "+A1", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1", "\r=1", "-", "=-1"]
)
def test_formula_text_gets_a_quote_and_reads_back(cell):
    assert safe_cell(cell) == "'" + cell
    assert plain_cell(safe_cell(cell)) == cell


@pytest.mark.parametrize("cell", ["-77.05", "+3", "1e-5", "-.5", "-inf", "NaN", "abc", "", "'x"])
def test_numbers_and_plain_text_stay(cell):
    assert safe_cell(cell) == cell and plain_cell(cell) == cell


def test_a_frame_keeps_its_numeric_columns():
    frame = pd.DataFrame({"lon": [-77.05, 125.1], "name": ["=cmd", "-12"], "n": [-1, 2]})
    safe = safe_frame(frame)
    assert safe["lon"].tolist() == [-77.05, 125.1] and safe["n"].tolist() == [-1, 2]
    assert safe["name"].tolist() == ["'=cmd", "-12"]
    assert frame["name"].tolist() == ["=cmd", "-12"]  # the caller's frame unchanged


def test_csv_text_and_files_start_with_a_bom_and_keep_cells_safe(tmp_path):
    text = csv_text(["名称", "=h"], [["一区", "=1+2"], ["二区", -3]])
    assert text.startswith(BOM)
    assert text[len(BOM) :].splitlines() == ["名称,'=h", "一区,'=1+2", "二区,-3"]
    path = tmp_path / "t.csv"
    write_frame(pd.DataFrame({"名称": ["一区"], "v": ["@x"]}), path)
    assert path.read_bytes().startswith(BOM.encode("utf-8"))
    assert path.read_text(encoding="utf-8-sig").splitlines() == ["名称,v", "一区,'@x"]
