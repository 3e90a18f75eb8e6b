"""Sign-in takes as long for a name that does not exist as for one that does (issue 25:
the medians of 20 of each differ by less than 10%).

Slow (about 20 s on an idle machine, 40 s on a loaded one: 40 argon2 verifications at
the production parameters, which the comparison needs).  What is compared is a ratio of
two medians taken in turns, never a time against a fixed number.  A burst of load from
another process can still skew one round's medians, so up to three rounds are taken and
one within 10% passes; the leak this guards against (before: 0.01 s against 0.5 s, a
factor of 50) fails every round by far, which the second assertion also checks."""

from __future__ import annotations

import pytest

from benchmarks.sign_in_bench import measure, relative_difference, sign_in_app

pytestmark = pytest.mark.slow
N = 20


def test_sign_in_times_for_known_and_unknown_names_differ_by_under_ten_percent(tmp_path):
    app = sign_in_app(tmp_path / "timing.gpkg", "li", "a long enough password", 3 * N)
    differences = []
    for _ in range(3):
        differences.append(relative_difference(*measure(app, "li", N)))
        if differences[-1] < 0.10:
            break
    assert min(differences) < 0.10, differences
    assert max(differences) < 0.5, differences  # no round shows the leak's factor
