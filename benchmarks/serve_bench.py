"""``/api/lookup`` under load: requests/s and p50/p95/p99 latency for 1, 4 and 16
concurrent clients, today's server (one waitress process, the code before issue 16) next
to ``gridmap serve --workers N`` (each worker loads the index, its arrays mapped from the
cache file) and with ``--preload`` (loaded once in the parent, the workers forked from
it), in the same run; the
memory each really costs (PSS: shared pages counted once); then a cold start of each
under 8 simultaneous first requests (how long from launch until the first and all are
answered, how many index builds, peak memory).  ``gridmap serve`` as it was before issue 26
(the lookup index of 8M cells per layer, built by the first worker) runs beside it: the
same store, the same load.

The load comes from wrk (Debian's ``wrk``, written in C: a generator in Python took a
third of the two cores from the server it measured), else from the asyncio generator
below (``--generator python``).  Traffic goes to 127.0.0.1 only, bounded in count and
time: each client holds one keep-alive connection and sends its next request when the
last answer is in (a closed loop: 16 clients are 16 requests in flight).

    .venv/bin/python benchmarks/serve_bench.py [--db gpkg:///path] [--requests 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
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

ISSUE_26 = "4eeee39"  # the last commit before issue 26 (a lookup index that builds in a second)

# wrk's script: the next of the benchmark's paths per request, a stop after the count,
# and the figures on one line at the end.
WRK_SCRIPT = """
local paths, i, n, limit = {}, 0, 0, tonumber(os.getenv("BENCH_LIMIT"))
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
response = function(status, headers, body)
  n = n + 1
  if n >= limit then wrk.thread:stop() end
end
done = function(s, lat, req)
  local e = s.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d\\n", s.requests, s.duration,
    lat:percentile(50), lat:percentile(95), lat:percentile(99), lat.max,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_wrk(port: int, clients: int, paths: list[str], seconds: float, count: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "paths").write_text("\n".join(paths) + "\n")
        (Path(tmp) / "bench.lua").write_text(WRK_SCRIPT)
        env = {**os.environ, "BENCH_PATHS": f"{tmp}/paths", "BENCH_LIMIT": str(count)}
        started = time.perf_counter()
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{clients}",
                f"-d{seconds:g}s",
                "--timeout",
                "30s",
                "-s",
                f"{tmp}/bench.lua",
                f"http://127.0.0.1:{port}/",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
        wall = time.perf_counter() - started
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    n, micros, p50, p95, p99, _, errors = (int(v) for v in line.split()[1:])
    if errors:
        raise RuntimeError(f"{errors} requests failed or answered other than 2xx:\n{out}")
    # wrk reports the whole -d as its duration when the count stopped it sooner: then
    # the wall time of the run is the better clock (it adds wrk's start, a millisecond).
    return {
        "rps": n / min(micros / 1e6, wall),
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "p99": p99 / 1000,
        "n": n,
    }


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


def load_python(port: int, clients: int, paths: list[str], seconds: float, count: int) -> dict:
    lat, wall = asyncio.run(_load(port, clients, paths[:count], seconds))
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
        self.started = time.perf_counter()
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

    def _pids(self) -> list[int]:
        out = subprocess.run(
            ["ps", "-o", "pid=", "-g", str(self.proc.pid)], capture_output=True, text=True
        ).stdout
        return [int(v) for v in out.split()]

    def memory_mb(self) -> tuple[float, float]:
        """Resident memory of the server and its workers now: RSS (shared pages counted in
        every process) and PSS (each shared page split among those sharing it)."""
        rss = pss = 0
        for pid in self._pids():
            try:
                text = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            fields = {line.split(":")[0]: line.split()[1] for line in text.splitlines()[1:]}
            rss += int(fields.get("Rss", 0))
            pss += int(fields.get("Pss", 0))
        return rss / 1024, pss / 1024

    def stop(self) -> str:
        """Stop the server; what it wrote to stderr."""
        if self.log.closed:
            return ""
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


async def _first_answers(port: int, paths: list[str], timeout: float = 300) -> list[float]:
    """Each path asked by its own client as soon as the port takes connections; when
    each was answered (perf_counter)."""
    answered: list[float] = []

    async def one(path: str) -> None:
        while True:
            try:
                await _client(port, [path], [], time.perf_counter() + timeout)
                answered.append(time.perf_counter())
                return
            except OSError:  # not listening yet
                await asyncio.sleep(0.01)

    await asyncio.wait_for(asyncio.gather(*(one(p) for p in paths)), timeout)
    return answered


def cold_start(db_path: Path, args, root, paths) -> dict:
    """8 simultaneous first requests against a server just launched, with no index cache
    file anywhere: from the launch until all 8 are answered (so a server that loads
    before it listens is timed the same as one that loads on the first request)."""
    shutil.rmtree(db_path.with_name(db_path.name + ".cache"), ignore_errors=True)
    server = Server(f"gpkg://{db_path}", args, root)
    peak = [0.0, 0.0]
    try:

        async def burst():
            task = asyncio.ensure_future(_first_answers(server.port, paths[:8]))
            while not task.done():
                rss, pss = server.memory_mb()
                peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
                await asyncio.sleep(0.05)
            return await task

        answered = asyncio.run(burst())
        out = {
            "first_s": min(answered) - server.started,
            "all_s": max(answered) - server.started,
            "peak": tuple(peak),
        }
    finally:
        log = server.stop()
    # Today's server logs nothing about its builds; the new one a line per build.
    out["builds"] = log.count("built the lookup index") if "--workers" in args else None
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=None, help="gpkg:///path of a built city [default: build]")
    ap.add_argument("--requests", type=int, default=20000, help="at most, per level")
    ap.add_argument("--seconds", type=float, default=10, help="at most, per level")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--generator",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="the load generator [default: wrk when installed]",
    )
    args = ap.parse_args()
    load = load_wrk if args.generator == "wrk" else load_python

    with (
        tempfile.TemporaryDirectory() as tmp,
        baseline_tree() as root,
        baseline_tree(ISSUE_26) as before,
    ):
        db_path = Path(tmp) / "city.gpkg"
        if args.db:
            shutil.copy(args.db.removeprefix("gpkg://"), db_path)
        else:
            from etl import sample_city
            from gridmap.stores.gpkg import GeoPackageStore

            with GeoPackageStore(db_path) as store:
                sample_city.build(store, as_of=date(2026, 11, 1), progress=lambda m: None)
        xy = city_points(db_path, args.requests)
        paths = [f"/api/lookup?lon={x:.6f}&lat={y:.6f}" for x, y in xy]
        # The code before cannot open a store of today's schema: each gets the same sample
        # city built by its own code.
        base_path, before_path = Path(tmp) / "baseline.gpkg", Path(tmp) / "before26.gpkg"
        for tree, path in ((root, base_path), (before, before_path)):
            subprocess.run(
                [*cli(tree), "--db", f"gpkg://{path}", "sample"],
                env=baseline_env(tree),
                check=True,
                capture_output=True,
            )
        workers = ["--workers", str(args.workers)]
        configs = [
            ("today: 1 waitress process, 8 threads", [], root, base_path),
            (f"before issue 26: serve --workers {args.workers}", workers, before, before_path),
            (f"gridmap serve --workers {args.workers}", workers, None, db_path),
            (
                f"gridmap serve --workers {args.workers} --threads 1",
                [*workers, "--threads", "1"],
                None,
                db_path,
            ),
            (
                f"gridmap serve --workers {args.workers} --preload",
                [*workers, "--preload"],
                None,
                db_path,
            ),
        ]
        results = {}
        for name, extra, where, path in configs:
            server = Server(f"gpkg://{path}", extra, where)
            try:
                server.wait_ready()
                load_python(server.port, 2, paths[:200], 60, 200)  # warm: index built or loaded
                results[name] = {
                    c: load(server.port, c, paths, args.seconds, args.requests) for c in (1, 4, 16)
                }
                results[name]["memory"] = server.memory_mb()
            except Exception:
                print(f"{name}:\n{server.stop()}", file=sys.stderr)  # the server's own words
                raise
            finally:
                server.stop()
        colds = {  # (threads change nothing here)
            name: cold_start(path, extra, where, paths)
            for name, extra, where, path in configs
            if "--threads" not in extra
        }

    today = results[configs[0][0]]
    print(
        f"/api/lookup on 127.0.0.1, points inside the city, load from {args.generator}, "
        f"at most {args.requests:,} requests or {args.seconds:g} s a level"
    )
    for name, res in results.items():
        rss, pss = res["memory"]
        print(f"  {name}   (memory: RSS {rss:.0f} MB, PSS {pss:.0f} MB)")
        for c in (1, 4, 16):
            r, base = res[c], today[c]
            print(
                f"    {c:>2} clients  {r['rps']:7,.0f} req/s ({r['rps'] / base['rps']:4.1f}x)  "
                f"p50 {r['p50']:6.2f} ms  p95 {r['p95']:6.2f} ms  p99 {r['p99']:6.2f} ms "
                f"({base['p99'] / r['p99']:4.1f}x lower than today's)   [{r['n']:,} requests]"
            )
    print(
        f"  cold start, 8 simultaneous first requests (no index cache file), from launch "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    for name, c in colds.items():
        builds = "" if c["builds"] is None else f", index builds: {c['builds']}"
        print(
            f"    {name:<46} first answered {c['first_s']:5.2f} s, all {c['all_s']:5.2f} s "
            f"after launch, peak memory RSS {c['peak'][0]:5.0f} MB, PSS {c['peak'][1]:5.0f} MB"
            f"{builds}"
        )


if __name__ == "__main__":
    main()
