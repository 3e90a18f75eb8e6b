"""Every kind of bad coordinate, shared by the batch lookup's and the event import's tests."""

from __future__ import annotations

# Every kind of bad coordinate, as a spreadsheet or a GPS export writes them.
ROWS = [
    ("a", "125.10", "46.59", None),
    ("b", "nan", "46.59", "column 'lon' has 'nan'; expected a finite number"),
    ("c", "", "46.59", "column 'lon' is empty; expected a number"),
    ("d", "125.10", "inf", "column 'lat' has 'inf'; expected a finite number"),
    ("e", "-inf", "46.59", "column 'lon' has '-inf'; expected a finite number"),
    ("f", "181", "46.59", "column 'lon' has '181', out of range; expected longitude -180..180"),
    ("g", "125.10", "-91", "column 'lat' has '-91', out of range; expected latitude -90..90"),
    ("h", "north", "46.59", "column 'lon' has 'north'; expected a number"),
    (
        "i",
        "125,10",
        "46.59",
        "column 'lon' has '125,10', a decimal comma; expected a decimal point, as in 125.10",
    ),
    (
        "j",
        "46.59",
        "125.10",
        "column 'lon' has '46.59' and 'lat' has '125.10': they look swapped; "
        "expected longitude -180..180 first, latitude -90..90 second",
    ),
    ("k", "124.87", "46.65", None),
    ("l", "125.10", "", "column 'lat' is empty; expected a number"),
    ("m", "120.0", "46.0", None),  # good, outside the city
]
