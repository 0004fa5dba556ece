"""``seawatch roles add|list``: the lists of naval, coast-guard and government vessels."""

from __future__ import annotations

from pathlib import Path

import typer

from seawatch.cli._common import StoreOption, store_path

ORDER = 46

_FORMATS = ("table", "csv", "json", "jsonl")

_ADD_EPILOG = """
The CSV needs a column role (military, law_enforcement or government) and at least one of
mmsi, imo, name; country (ISO 3166 alpha-2: a row with only a name needs it, and then
matches only vessels of that flag), note and source are optional. The list is kept in the
store as roles/NAME.csv (NAME: --name, default the file name) and replaces a list of the
same name. A vessel on a list gets that role with role_source "list", before any name,
call-sign or ship-type evidence (docs/ROLES.md).

Example:

  seawatch roles add caribbean_navies.csv --store /tmp/demo
"""

roles_app = typer.Typer(
    help="Vessel roles: the bundled list of naval and coast-guard vessels and your own lists.",
    epilog=(
        "Examples:\n\n"
        "  seawatch roles list\n\n"
        "  seawatch roles add caribbean_navies.csv --name caribbean"
    ),
    no_args_is_help=True,
)


def _check_format(fmt: str) -> str:
    if fmt not in _FORMATS:
        raise typer.BadParameter(f"choose from {', '.join(_FORMATS)}", param_hint="--format")
    return fmt


_FILE_ARG = typer.Argument(
    ..., help="CSV file with role and mmsi / imo / name.", exists=True, dir_okay=False
)


@roles_app.command("add", epilog=_ADD_EPILOG)
def add_command(
    file: Path = _FILE_ARG,
    name: str | None = typer.Option(
        None, "--name", help="Name of the list (letters, digits, _ and -; default the file's)."
    ),
    store: Path | None = StoreOption,
) -> None:
    """Add (or replace) a role list in the store."""
    from seawatch.store import add_role_list

    rl = add_role_list(store_path(store), file, name=name)
    typer.echo(f"role list {rl.name}: {len(rl):,} entries", err=True)


@roles_app.command("list")
def list_command(
    store: Path | None = StoreOption,
    fmt: str = typer.Option(
        "table", "--format", help="table, csv, json (one array) or jsonl.", callback=_check_format
    ),
) -> None:
    """Show the role lists (bundled and the store's) with their sizes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from seawatch.ais.roles import NAVAL_ROLES
    from seawatch.cli._store import write_table
    from seawatch.store import role_lists

    lists = role_lists(store_path(store))
    cols: dict[str, pa.Array | list[object]] = {
        "name": [r.name for r in lists],
        "entries": pa.array([len(r) for r in lists], pa.int64()),
    }
    for role in NAVAL_ROLES:
        cols[role] = pa.array(
            [pc.sum(pc.equal(r.entries.column("role"), role)).as_py() or 0 for r in lists],
            pa.int64(),
        )
    cols["bundled"] = pa.array([r.bundled for r in lists], pa.bool_())
    cols["source"] = [r.source for r in lists]
    write_table(pa.table(cols), fmt)


def register(app: typer.Typer) -> None:
    """Add ``roles`` (add, list)."""
    app.add_typer(roles_app, name="roles")
