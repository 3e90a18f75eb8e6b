"""Cells of the CSV files gridmap writes, made safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken
for a formula by Excel, LibreOffice and Google Sheets: ``=HYPERLINK(...)`` planted
through the public page would fire when a dispatcher opens an export (CSV or formula
injection).  Such a text cell is written with a leading single quote (OWASP's advice),
which the spreadsheet shows as text.  A cell that is a plain number (``-77.05``,
``+3``, ``1e-5``, ``-inf``) is left as it is: it is no formula, and a coordinate stays a number.

:func:`safe_cell` is the one rule; every CSV writer applies it (through
:func:`safe_frame` for a pandas table, and ``etl.pointfiles`` for Arrow tables, which
vectorises the same two patterns and applies :func:`safe_cell` to the matches).

Every CSV file gridmap writes starts with a UTF-8 byte order mark (:data:`BOM`): Excel
and WPS read a CSV without one in the system's code page (GBK on a Chinese Windows), so
every Chinese name shows as mojibake.  The writers take it from here (:func:`csv_text`,
:func:`write_frame`, :data:`BOM_BYTES` for Arrow's byte streams); every CSV reader of
gridmap reads ``utf-8-sig``, with or without one.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Both patterns are plain enough for Python's re and Arrow's RE2 alike.
FORMULA = re.compile(r"^[=+\-@\t\r]")
# A plain number, as CSV readers (pandas, Arrow) read one: ``-inf`` and ``nan`` included,
# which a spreadsheet reads as an unknown name, not a call.
NUMBER = re.compile(
    r"^[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|(?i:inf|infinity|nan))$"
)
QUOTE = "'"
BOM = "\ufeff"
BOM_BYTES = BOM.encode("utf-8")
ENCODING = "utf-8-sig"  # UTF-8, written with a BOM, read with or without one


def safe_cell(value):
    """``value`` as a spreadsheet shows it without running it: a text cell that a
    spreadsheet would take for a formula gets a leading ``'``; anything else (numbers,
    text that is a plain number, empty cells) is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.match(value):
        return QUOTE + value
    return value


def safe_row(row) -> list:
    return [safe_cell(v) for v in row]


def safe_frame(frame):
    """A copy of a pandas table whose text columns are safe (numeric columns as they are)."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype == object or str(column.dtype) in ("string", "str"):
            out[name] = column.map(safe_cell, na_action="ignore")
    return out


def csv_text(header, rows) -> str:
    """A CSV file's text (BOM first) of ``header`` and ``rows``, every cell made safe."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(safe_row(header))
    writer.writerows(safe_row(r) for r in rows)
    return out.getvalue()


def write_frame(frame, path: str | Path) -> None:
    """A pandas table to a CSV file (BOM first), without its index, every cell made safe."""
    safe_frame(frame).to_csv(path, index=False, encoding=ENCODING)


def plain_cell(value):
    """The inverse of :func:`safe_cell`, for a CSV gridmap wrote and reads back (a plan
    file): ``'=x`` is ``=x`` again; any other value is returned unchanged."""
    if isinstance(value, str) and value.startswith(QUOTE):
        rest = value[len(QUOTE) :]
        if safe_cell(rest) == value:
            return rest
    return value
