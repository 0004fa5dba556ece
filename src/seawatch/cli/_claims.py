"""``seawatch claims add|list|extract|check|evaluate-asam``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from seawatch.cli._common import StoreOption, WaitOption, store_path

ORDER = 50

_FORMATS = ("table", "json")

claims_app = typer.Typer(
    help="Claims: what reports and statements say, checked against the AIS evidence.",
    epilog=(
        "Examples:\n\n"
        "  seawatch claims extract article.txt --published 2025-09-14\n\n"
        "  seawatch claims extract article.txt --published 2025-09-14 --add\n\n"
        "  seawatch claims add claims.yaml\n\n"
        "  seawatch claims list\n\n"
        "  seawatch claims check\n\n"
        "  seawatch claims evaluate-asam ../shared/data/nga-asam/asam-2022-06-21.csv"
    ),
    no_args_is_help=True,
)

_FORMAT = typer.Option("table", "--format", help="table or json.")
_CLAIMS_FILE = typer.Argument(
    ..., help="JSON or YAML file of claims (docs/claims.schema.json).", dir_okay=False
)
_ASAM_FILE = typer.Argument(
    ...,
    help="ASAM CSV export (NGA Anti-Shipping Activity Messages).",
    exists=True,
    dir_okay=False,
)


def _fmt(fmt: str) -> str:
    if fmt not in _FORMATS:
        raise typer.BadParameter(f"choose from {', '.join(_FORMATS)}", param_hint="--format")
    return fmt


def _published(value: str | None) -> Any:
    if value is None:
        return None
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter("not a date (YYYY-MM-DD)", param_hint="--published") from exc


def _claim_row(c: Any) -> dict[str, str]:
    d = c.to_dict()
    count = "" if c.count is None else f"{(c.qualifier or '').replace('_', ' ')} {c.count}".strip()
    return {
        "id": c.claim_id,
        "kind": c.kind + (" (not)" if c.negated else ""),
        "count": count,
        "vessels": "; ".join(" ".join(x for x in (v.flag, v.type, v.name) if x) for v in c.vessels),
        "places": "; ".join(f"{p.name} [{p.ref or p.kind}]" for p in c.places),
        "period": f"{(d['period_start'] or '')[:10]}..{(d['period_end'] or '')[:10]}"
        if c.period_start
        else "",
        "understood": ",".join(c.understood),
    }


def _print_claims(claims: list[Any], fmt: str, *, title: str) -> None:
    if fmt == "json":
        typer.echo(json.dumps([c.to_dict() for c in claims], indent=1))
        return
    from rich.console import Console

    from seawatch.cli._render import styled

    console = Console()
    console.print(styled((title, "bold"), f": {len(claims) or 'none'}"))
    for c in claims:
        r = _claim_row(c)
        head = " | ".join(
            x for x in (r["kind"], r["count"], r["vessels"], r["places"], r["period"]) if x
        )
        console.print(styled((r["id"], "bold"), "  ", head))
        console.print(styled("    ", (c.sentence, "dim")))
        console.print(styled(f"    understood: {r['understood']}"))


@claims_app.command("add")
def add_command(
    file: Path = _CLAIMS_FILE,
    store: Path | None = StoreOption,
    wait: float = WaitOption,
) -> None:
    """Keep the claims of a JSON/YAML file in the store (same claim, same id)."""
    from seawatch.claims import add_claims, read_claims_file
    from seawatch.store import open_store

    claims = read_claims_file(file)
    ids = add_claims(open_store(store_path(store), create=True), claims, wait_s=wait)
    typer.secho(f"kept {len(ids)} claim(s): {', '.join(ids)}", err=True)


@claims_app.command("list")
def list_command(store: Path | None = StoreOption, fmt: str = _FORMAT) -> None:
    """The claims kept in the store."""
    from seawatch.claims import list_claims
    from seawatch.store import open_store

    _print_claims(list_claims(open_store(store_path(store))), _fmt(fmt), title="claims")


@claims_app.command("extract")
def extract_command(
    file: str = typer.Argument(..., help="English text file, or - for standard input."),
    published: str | None = typer.Option(
        None, "--published", help="The text's date (YYYY-MM-DD): relative dates resolve to it."
    ),
    title: str = typer.Option("", "--title", help="Source title."),
    publisher: str = typer.Option("", "--publisher", help="Source publisher."),
    url: str = typer.Option("", "--url", help="Source URL."),
    add: bool = typer.Option(False, "--add", help="Keep the claims in the store."),
    store: Path | None = StoreOption,
    fmt: str = _FORMAT,
    wait: float = WaitOption,
) -> None:
    """Turn English text into claims, each with its sentence and the parts understood."""
    from seawatch.claims import Source, add_claims, extract_claims, read_text, store_gazetteer
    from seawatch.store import open_store

    fmt = _fmt(fmt)
    day = _published(published)
    text, where = read_text(file)
    root = store_path(store)
    source = Source(
        title=title, publisher=publisher, url=url, published=day.isoformat() if day else ""
    )
    ex = extract_claims(text, published=day, source=source, gaz=store_gazetteer(root))
    if fmt == "json":
        typer.echo(json.dumps(ex.to_dict(), indent=1))
    else:
        _print_claims(list(ex.claims), fmt, title=f"claims in {where}")
    typer.secho(
        f"{len(ex.claims)} claim(s) from {ex.sentences} sentence(s); {ex.skipped} sentence(s) "
        "named no incident"
        + (
            ""
            if day
            else "; no --published date: dates without a year and relative dates were not resolved"
        ),
        err=True,
    )
    if add and ex.claims:
        ids = add_claims(open_store(root, create=True), list(ex.claims), wait_s=wait)
        typer.secho(f"kept {len(ids)} claim(s) in {root}", err=True)


def print_checks(console: Any, checks: list[dict[str, Any]], claims: dict[str, Any]) -> None:
    """Each check: the verdict, the claim's sentence, why, and the evidence (data never
    read as markup)."""
    from seawatch.cli._render import styled

    colour = {
        "supported": "green",
        "partly_supported": "yellow",
        "contradicted": "red",
        "unobservable": "blue",
    }
    for ch in checks:
        claim = claims.get(ch["claim_id"])
        v = ch["verdict"]
        console.print(
            styled(
                (v.replace("_", " "), f"bold {colour[v]}"),
                "  ",
                (ch["claim_id"], "dim"),
                "  ",
                claim.sentence if claim else "",
            )
        )
        console.print(styled("    ", ch["explanation"]))
        ev = ch["evidence"]
        if ev["event_ids"]:
            more = f" (+{len(ev['event_ids']) - 5} more)" if len(ev["event_ids"]) > 5 else ""
            console.print(styled(f"    evidence: {', '.join(ev['event_ids'][:5])}{more}"))


def check_news(target: Any, console: Any, path: Any, *, published: str) -> None:
    """Extract the claims of a news text, keep them in ``target`` and print their checks
    (the demo's closing part)."""
    from seawatch.claims import (
        Source,
        add_claims,
        check_claims,
        check_text,
        extract_claims,
        save_checks,
        store_gazetteer,
    )

    text = check_text(path.read_bytes(), where=str(path))
    day = _published(published)
    source = Source(
        title=text.splitlines()[0], publisher="Seawatch Wire (fictional)", published=published
    )
    claims = list(
        extract_claims(text, published=day, source=source, gaz=store_gazetteer(target.root)).claims
    )
    from seawatch.cli._render import styled

    add_claims(target, claims)
    checks = check_claims(claims, target)
    save_checks(target, checks)
    console.rule("[bold]Claims of a (fictional) news text, checked against the data[/bold]")
    console.print(styled(text.strip()))
    console.print()
    print_checks(console, checks, {c.claim_id: c for c in claims})


@claims_app.command("check")
def check_command(
    target: str | None = typer.Argument(
        None,
        help="A claim id, or an English text file (.txt) to extract and check; "
        "default: every claim in the store.",
    ),
    published: str | None = typer.Option(
        None, "--published", help="Date of the text file (YYYY-MM-DD)."
    ),
    store: Path | None = StoreOption,
    fmt: str = _FORMAT,
    wait: float = WaitOption,
) -> None:
    """Check claims against the store: supported, partly supported, contradicted or
    unobservable, with the evidence. Checks of stored claims are kept (claims/checks/)."""
    from seawatch.claims import (
        check_claims,
        extract_claims,
        get_claim,
        list_claims,
        read_text,
        save_checks,
        store_gazetteer,
    )
    from seawatch.store import open_store

    fmt = _fmt(fmt)
    root = store_path(store)
    st = open_store(root)
    stored = True
    if target is None:
        claims = list_claims(st)
    elif target == "-" or target.endswith(".txt") or Path(target).is_file():
        text, _ = read_text(target)
        claims = list(
            extract_claims(text, published=_published(published), gaz=store_gazetteer(root)).claims
        )
        stored = False
    else:
        claims = [get_claim(st, target)]
    checks = check_claims(claims, st)
    if stored and checks:
        save_checks(st, checks, wait_s=wait)
    if fmt == "json":
        by_id = {c.claim_id: c.to_dict() for c in claims}
        typer.echo(json.dumps([{**ch, "claim": by_id[ch["claim_id"]]} for ch in checks], indent=1))
        return
    if not checks:
        typer.secho("no claims to check (see `seawatch claims add` and `extract`)", err=True)
        return
    from rich.console import Console

    print_checks(Console(), checks, {c.claim_id: c for c in claims})


@claims_app.command("evaluate-asam")
def evaluate_asam_command(
    path: Path = _ASAM_FILE,
    fmt: str = typer.Option("markdown", "--format", help="markdown or json."),
) -> None:
    """Extraction accuracy on the NGA ASAM corpus (date, position, kind, victim type)."""
    from seawatch.claims import asam_markdown, evaluate_asam

    if fmt not in ("markdown", "json"):
        raise typer.BadParameter("choose from markdown, json", param_hint="--format")
    result = evaluate_asam(path)
    typer.echo(json.dumps(result, indent=1) if fmt == "json" else asam_markdown(result))


def register(app: typer.Typer) -> None:
    app.add_typer(claims_app, name="claims")
