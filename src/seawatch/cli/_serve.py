"""``seawatch serve``: the REST API and map page over a store."""

from __future__ import annotations

from pathlib import Path

import typer

from seawatch.cli._common import StoreOption, store_path

ORDER = 80

_EPILOG = """Examples:

  seawatch serve --store ./seawatch-data            # http://127.0.0.1:8000/

  seawatch serve --port 9000 --host 0.0.0.0         # reachable from other machines

The API is read-only; its OpenAPI schema is at /openapi.json. Nothing is loaded from the
internet: the map draws the bundled land and zones with the bundled MapLibre GL JS.
"""


def serve_store(root: Path, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the API and the map over the store at ``root`` until interrupted."""
    import uvicorn

    from seawatch.api import create_app

    app_ = create_app(root)
    typer.secho(f"seawatch: serving http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    uvicorn.run(app_, host=host, port=port, log_level="warning", access_log=False)


def register(app: typer.Typer) -> None:
    """Add ``seawatch serve``."""

    @app.command("serve", epilog=_EPILOG)
    def serve(
        store: Path | None = StoreOption,
        port: int = typer.Option(8000, "--port", min=0, max=65535, help="TCP port."),
        host: str = typer.Option(
            "127.0.0.1",
            "--host",
            help="Interface to bind (default: this machine only; 0.0.0.0 exposes it).",
        ),
    ) -> None:
        """Serve the read-only REST API and the map page (bound to 127.0.0.1 by default)."""
        serve_store(store_path(store), host=host, port=port)
