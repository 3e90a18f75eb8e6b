"""The ``gridmap`` command: the one place that reads the settings and wires the packages
together.  One module per command group; each is imported only when its command runs, so
``gridmap --help`` and a command that fails on its arguments stay quick."""

from __future__ import annotations

import importlib

import click

from gridmap.errors import GridmapError
from gridmap.settings import Settings

# command name -> (module under gridmap.cli, attribute)
COMMANDS: dict[str, tuple[str, str]] = {
    "sample": ("city", "sample"),
    "layers": ("city", "layers"),
    "layer": ("city", "layer_group"),
    "copy": ("city", "copy"),
    "db": ("city", "db"),
    "lookup": ("lookup", "lookup"),
    "import-layer": ("data", "import_layer"),
    "import-incidents": ("data", "import_incidents"),
    "import-hazards": ("data", "import_hazards"),
    "export": ("data", "export_cmd"),
    "serve": ("serve", "serve"),
    "plan": ("plan", "plan"),
    "user": ("accounts", "user"),
    "audit": ("accounts", "audit"),
    "open311": ("open311", "open311"),
    "route": ("cases", "route"),
    "department": ("cases", "department"),
    "calendar": ("cases", "calendar"),
    "category": ("cases", "category"),
    "case": ("cases", "case"),
    "worker": ("worker", "worker"),
    "notify": ("worker", "notify"),
    "evaluate": ("evaluation", "evaluate"),
    "hotspots": ("evaluation", "hotspots_cmd"),
}


class _Group(click.Group):
    """Loads each command from its module when asked for, and turns domain errors into one
    clear line and exit status 1, never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str):
        found = COMMANDS.get(name)
        if found is None:
            return None
        module = importlib.import_module(f"gridmap.cli.{found[0]}")
        return getattr(module, found[1])

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GridmapError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group)
@click.version_option(package_name="gridmap", prog_name="gridmap", message="%(prog)s %(version)s")
@click.option(
    "--db",
    envvar="GRIDMAP_DATABASE_URL",
    default=None,
    metavar="URL",
    help="Store URL: gpkg:///path/file.gpkg or postgresql://... "
    "[env GRIDMAP_DATABASE_URL; default var/gridmap.gpkg]",
)
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """gridmap: grid management for Chinese cities."""
    try:
        settings = Settings.from_env()
    except GridmapError as exc:
        raise click.ClickException(str(exc)) from exc
    ctx.obj = {"settings": settings, "db": db or settings.database_url}


if __name__ == "__main__":
    main()
