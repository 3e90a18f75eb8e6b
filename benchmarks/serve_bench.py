"""``/api/lookup`` under load: requests/s and p50/p95/p99 latency for 1, 4 and 16
concurrent clients, today's server (one waitress process, the code before issue 16) next
to ``gridmap serve --workers N`` in the same run; then a cold start of each under 8
simultaneous first requests (how long they wait, how many index builds, peak memory).

Traffic goes to 127.0.0.1 only, bounded in count and time: each client holds one
keep-alive connection and sends its next request when the last answer is in.

    .venv/bin/python benchmarks/serve_bench.py [--db gpkg:///path] [--requests 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.baseline import baseline_env, baseline_tree, cli  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _client(port: int, paths: list[str], latencies: list[float], deadline: float):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for path in paths:
            if time.perf_counter() > deadline:
                break
            t = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(
                next(
                    line.split(b":", 1)[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
            )
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - t)
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"{path}: {head[:60]!r} {body[:200]!r}")
    finally:
        writer.close()


async def _load(port: int, clients: int, paths: list[str], seconds: float):
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    per = [paths[i::clients] for i in range(clients)]
    t = time.perf_counter()
    await asyncio.gather(*(_client(port, p, latencies, deadline) for p in per))
    return np.array(latencies), time.perf_counter() - t


def load(port: int, clients: int, paths: list[str], seconds: float) -> dict:
    lat, wall = asyncio.run(_load(port, clients, paths, seconds))
    ms = lat * 1000
    return {
        "rps": len(lat) / wall,
        "p50": np.percentile(ms, 50),
        "p95": np.percentile(ms, 95),
        "p99": np.percentile(ms, 99),
        "n": len(lat),
    }


class Server:
    """A ``gridmap serve`` subprocess on a free port, stopped (its group) on exit."""

    def __init__(self, db: str, args: list[str], root: Path | None):
        self.port = free_port()
        env = baseline_env(root) if root is not None else None
        cmd = [*cli(root), "--db", db, "serve", "--port", str(self.port), *args]
        # A file, not a pipe: waitress logs its queue depth under load, and a full pipe
        # would stop the server.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            start_new_session=True,
            cwd=tempfile.gettempdir(),
        )

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self.proc.poll() is not None:
                raise RuntimeError(self.stop())
            time.sleep(0.02)
        raise TimeoutError("server did not start")

    def rss_mb(self) -> float:
        """Resident memory of the server and its workers, now."""
        out = subprocess.run(
            ["ps", "-o", "rss=", "--ppid", str(self.proc.pid), "-p", str(self.proc.pid)],
            capture_output=True,
            text=True,
        ).stdout
        return sum(int(v) for v in out.split()) / 1024

    def stop(self) -> str:
        """Stop the server; what it wrote to stderr."""
        import os
        import signal

        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.seek(0)
        text = self.log.read().decode(errors="replace")
        self.log.close()
        return text


def city_points(db_path: Path, n: int, seed: int = 5) -> np.ndarray:
    """Points inside the city (rejection sampling over its box)."""
    import shapely

    from gridmap.stores.gpkg import GeoPackageStore

    with GeoPackageStore(db_path) as store:
        districts = store.areas("district")
    city = shapely.union_all(districts.geometry.values)
    shapely.prepare(city)
    x0, y0, x1, y1 = city.bounds
    rng = np.random.default_rng(seed)
    out = np.empty((0, 2))
    while len(out) < n:
        xy = rng.uniform([x0, y0], [x1, y1], (n, 2))
        out = np.vstack([out, xy[shapely.contains_xy(city, xy[:, 0], xy[:, 1])]])
    return out[:n]


def cold_start(db: str, db_path: Path, args, root, paths) -> dict:
    """8 simultaneous first requests against a server started with no index anywhere."""
    shutil.rmtree(db_path.with_name(db_path.name + ".cache"), ignore_errors=True)
    server = Server(db, args, root)
    try:
        server.wait_ready()
        t = time.perf_counter()
        peak = 0.0

        async def burst():
            lat: list[float] = []
            task = asyncio.gather(
                *(_client(server.port, [p], lat, time.perf_counter() + 300) for p in paths[:8])
            )
            nonlocal peak
            while not task.done():
                peak = max(peak, server.rss_mb())
                await asyncio.sleep(0.05)
            await task
            return lat

        lat = asyncio.run(burst())
        out = {
            "first_s": time.perf_counter() - t,
            "max_s": max(lat),
            "peak_mb": max(peak, server.rss_mb()),
        }
    finally:
        log = server.stop()
    # Today's server logs nothing about its builds; the new one a line per build.
    out["builds"] = log.count("built the lookup index") if root is None else None
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=None, help="gpkg:///path of a built city [default: build]")
    ap.add_argument("--requests", type=int, default=3000, help="per concurrency level")
    ap.add_argument("--seconds", type=float, default=20, help="at most, per level")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp, baseline_tree() as root:
        db_path = Path(tmp) / "city.gpkg"
        if args.db:
            shutil.copy(args.db.removeprefix("gpkg://"), db_path)
        else:
            from etl import sample_city
            from gridmap.stores.gpkg import GeoPackageStore

            with GeoPackageStore(db_path) as store:
                sample_city.build(store, as_of=date(2026, 11, 1), progress=lambda m: None)
        db = f"gpkg://{db_path}"
        xy = city_points(db_path, args.requests)
        paths = [f"/api/lookup?lon={x:.6f}&lat={y:.6f}" for x, y in xy]
        configs = [
            ("today: 1 waitress process, 8 threads", [], root),
            (f"gridmap serve --workers {args.workers}", ["--workers", str(args.workers)], None),
        ]
        results = {}
        for name, extra, where in configs:
            server = Server(db, extra, where)
            try:
                server.wait_ready()
                load(server.port, 2, paths[:50], 60)  # warm: the index is built or loaded
                results[name] = {c: load(server.port, c, paths, args.seconds) for c in (1, 4, 16)}
                results[name]["rss"] = server.rss_mb()
            finally:
                server.stop()
        colds = {
            name: cold_start(db, db_path, extra, where, paths) for name, extra, where in configs
        }

    today = results[configs[0][0]]
    print(f"/api/lookup on 127.0.0.1, points inside the city, {args.requests:,} requests a level")
    for name, res in results.items():
        print(f"  {name}   (memory {res['rss']:.0f} MB)")
        for c in (1, 4, 16):
            r, base = res[c], today[c]
            print(
                f"    {c:>2} clients  {r['rps']:7,.0f} req/s ({r['rps'] / base['rps']:4.1f}x)  "
                f"p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms  p99 {r['p99']:6.1f} ms "
                f"({base['p99'] / r['p99']:4.1f}x lower than today's)   [{r['n']:,} requests]"
            )
    print("  cold start, 8 simultaneous first requests (no index cache file)")
    for name, c in colds.items():
        builds = "" if c["builds"] is None else f", index builds: {c['builds']}"
        print(
            f"    {name:<42} all answered in {c['first_s']:5.2f} s (slowest {c['max_s']:5.2f} s)"
            f", peak memory {c['peak_mb']:5.0f} MB{builds}"
        )


if __name__ == "__main__":
    main()
