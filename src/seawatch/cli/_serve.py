"""``seawatch serve``: the REST API and map page over a store."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from seawatch.cli._common import StoreOption, ZonesOption, store_path, zone_file

ORDER = 80

_EPILOG = """Examples:

  seawatch serve --store ./seawatch-data            # http://127.0.0.1:8000/

  python -c 'import secrets; print(secrets.token_urlsafe(32))' > token.txt

  SEAWATCH_TOKEN="$(cat token.txt)" seawatch serve --host 0.0.0.0 --allowed-host maps.lan

Bound to anything but this machine (127.0.0.1, ::1, localhost) the server needs an access
token (--token or $SEAWATCH_TOKEN, 16+ characters; the variable keeps it out of the process
list). Browsers open /?token=TOKEN once: the
server answers with a redirect that drops the token from the address and sets it as an
HttpOnly cookie for the map, the report page and their API calls; scripts send
'Authorization: Bearer TOKEN'. Loopback serving needs no token unless one is given. The
server speaks plain HTTP: beyond a network you trust, put it behind a TLS proxy.

Only requests that name this server in their Host header are answered (against DNS
rebinding): localhost, 127.0.0.1, [::1], the --host name, IP addresses, and each
--allowed-host (a name clients use to reach it; '*' turns the check off).

The API is read-only; its OpenAPI schema is at /openapi.json. Nothing is loaded from the
internet: the map draws the bundled land and zones with the bundled MapLibre GL JS.
"""
# prose paragraphs as one line each: the help wraps them to the terminal's width
_EPILOG = "\n\n".join(
    p if p.startswith("  ") else " ".join(p.split()) for p in _EPILOG.split("\n\n")
)


_ALLOWED_HOST = typer.Option(
    None,
    "--allowed-host",
    help="Another Host name the server answers to (repeatable; '*': any).",
    show_default=False,
)


def resolve_token(host: str, token: str | None) -> str | None:
    """The access token: ``token``, else ``$SEAWATCH_TOKEN``, checked; ParameterError when
    ``host`` is not a loopback address and there is none."""
    from seawatch._exceptions import ParameterError
    from seawatch.api import check_token, is_loopback

    if token is None:
        token = os.environ.get("SEAWATCH_TOKEN") or None
    if token is not None:
        return check_token(token)
    if not is_loopback(host):
        raise ParameterError(
            f"--host {host} exposes the API beyond this machine: give an access token "
            "(--token or $SEAWATCH_TOKEN)"
        )
    return None


def usage_exit(exc: Exception) -> typer.Exit:
    """A usage error: one red line, exit 2."""
    typer.secho(f"error: {exc}", err=True, fg="red")
    return typer.Exit(2)


def serve_store(
    root: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    token: str | None = None,
    allowed_hosts: tuple[str, ...] = (),
    zones: Path | None = None,
) -> None:
    """Serve the API and the map over the store at ``root`` until interrupted.

    ``token`` (else ``$SEAWATCH_TOKEN``) is required when ``host`` is not a loopback address
    (ParameterError otherwise: see :func:`resolve_token`).
    """
    import uvicorn

    from seawatch.api import create_app

    token = resolve_token(host, token)
    app_ = create_app(root, host=host, allowed_hosts=allowed_hosts, token=token, zones=zones)
    shown = f"[{host}]" if ":" in host else host
    typer.secho(f"seawatch: serving http://{shown}:{port}/ (Ctrl-C to stop)", err=True)
    if token is not None:
        typer.secho("seawatch: open /?token=<your token> once in the browser", err=True)
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
            help="Interface to bind (default: this machine only; 0.0.0.0 exposes it and "
            "needs --token).",
        ),
        token: str | None = typer.Option(
            None,
            "--token",
            help="Access token every request must carry (default: $SEAWATCH_TOKEN; needed "
            "for a non-loopback --host).",
            show_default=False,
        ),
        allowed_host: list[str] | None = _ALLOWED_HOST,
        zones: Path | None = ZonesOption,
    ) -> None:
        """Serve the read-only REST API and the map page (bound to 127.0.0.1 by default)."""
        from seawatch._exceptions import ParameterError

        try:
            token = resolve_token(host, token)
        except ParameterError as exc:
            raise usage_exit(exc) from exc
        serve_store(
            store_path(store),
            host=host,
            port=port,
            token=token,
            allowed_hosts=tuple(allowed_host or ()),
            zones=zone_file(zones),
        )
