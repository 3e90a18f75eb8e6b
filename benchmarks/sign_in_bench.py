"""Sign-in time for a name that exists (wrong password) and one that does not, through
the web app's ``POST /login`` on a throw-away GeoPackage store, taken in turns (known,
unknown, unknown, known, ...) so that a change of the machine's load falls on both
alike; the medians, their ratio, and the baseline measured in the same run: one argon2
verification of a real hash, what each sign-in should cost.  Before issue 25 an unknown
name answered in 0.005-0.014 s against 0.43-0.75 s for a known one (SECURITY.md, round 2).

    .venv/bin/python benchmarks/sign_in_bench.py [--n 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def measure(app, known: str, n: int) -> tuple[list[float], list[float]]:
    """``n`` failed sign-ins for the name ``known`` and ``n`` for names that do not exist,
    in turns; their times in seconds.  The app's limits must allow 2n failures."""
    client = app.test_client()
    times: dict[bool, list[float]] = {True: [], False: []}
    for i in range(2 * n):
        is_known = (i % 4) in (0, 3)  # known, unknown, unknown, known: each goes first
        name = known if is_known else f"nobody-{i}"
        start = time.perf_counter()
        r = client.post("/login", data={"name": name, "password": "not the password"})
        times[is_known].append(time.perf_counter() - start)
        assert r.status_code == 401, r.status_code
    return times[True], times[False]


def relative_difference(known: list[float], unknown: list[float]) -> float:
    """|median(unknown) - median(known)| / median(known)."""
    a, b = statistics.median(known), statistics.median(unknown)
    return abs(b - a) / a


def sign_in_app(path: Path, name: str, password: str, n: int):
    """A web app on a new GeoPackage at ``path`` with one user, limits that allow ``2n``
    failures."""
    from gridmap import accounts
    from gridmap.services.sessions import Limits
    from gridmap.stores.gpkg import GeoPackageStore
    from web import create_app

    with GeoPackageStore(path) as store:
        store.add_user(name, accounts.hash_password(password), ["viewer"])
    limits = Limits(per_name=4 * n, per_address=4 * n)
    return create_app({"DATABASE_URL": f"gpkg://{path}", "TESTING": True, "SIGN_IN_LIMITS": limits})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="sign-ins of each kind")
    args = parser.parse_args()
    from gridmap import accounts

    with tempfile.TemporaryDirectory() as tmp:
        app = sign_in_app(Path(tmp) / "bench.gpkg", "li", "a long enough password", args.n)
        hashed = accounts.hash_password("a long enough password")
        base = []
        for _ in range(5):
            start = time.perf_counter()
            accounts.verify_password(hashed, "not the password")
            base.append(time.perf_counter() - start)
        known, unknown = measure(app, "li", args.n)
    mk, mu, mb = statistics.median(known), statistics.median(unknown), statistics.median(base)
    print(f"baseline: one argon2 verification  median {mb * 1000:8.1f} ms (5 runs)")
    print(f"known name, wrong password        median {mk * 1000:8.1f} ms ({args.n} runs)")
    print(f"unknown name                      median {mu * 1000:8.1f} ms ({args.n} runs)")
    print(f"unknown / known {mu / mk:.3f}; difference {relative_difference(known, unknown):.1%}")
    print(f"known / baseline {mk / mb:.3f}; unknown / baseline {mu / mb:.3f}")


if __name__ == "__main__":
    main()
