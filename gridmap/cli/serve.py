"""``gridmap serve``: the map and the API."""

from __future__ import annotations

import click

# Threads per server worker: one Python thread runs at a time, so more only help pages
# that wait on the database; measured in benchmarks/serve_bench.py.
THREADS = 2


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(min=1),
    help="Worker processes [default: one per CPU].",
)
@click.option(
    "--threads",
    default=THREADS,
    show_default=True,
    type=click.IntRange(min=1),
    help="Threads per worker (more let slow pages wait beside quick ones).",
)
@click.option(
    "--preload/--no-preload",
    default=False,
    show_default=True,
    help="Load the app and its lookup index once, before the workers fork, instead of "
    "in each worker (the index's arrays are shared either way: they are mapped from its "
    "cache file).",
)
@click.pass_context
def serve(
    ctx: click.Context, host: str, port: int, workers: int | None, threads: int, preload: bool
) -> None:
    """Serve the map and the API (granian, several worker processes)."""
    from web.serving import default_workers
    from web.serving import serve as run

    from .common import settings

    workers = workers or default_workers()

    def building() -> None:
        click.echo("gridmap: 正在建立查询索引… / building the lookup index…")

    def ready() -> None:
        click.echo(
            f"gridmap: 服务已启动 http://{host}:{port}/（{workers} 个工作进程，Ctrl+C 停止）"
            f" / serving {ctx.obj['db']} on http://{host}:{port}/ with {workers} "
            f"worker process{'es' if workers > 1 else ''}  (Ctrl+C stops)"
        )

    run(
        ctx.obj["db"],
        host,
        port,
        workers,
        threads,
        preload,
        cells=settings(ctx).index_cells,
        building=building,
        ready=ready,
    )
