"""The ``seawatch`` command line.

Each command group lives in its own private module in this package and exposes
``register(app: typer.Typer) -> None``; modules are discovered here, so adding a
command never means editing this file. Command bodies import the heavy layers
(decoder, store, detectors) lazily so that ``seawatch --help`` stays fast.

Conventions (STYLE.md §10): data on stdout, messages and progress on stderr;
a :class:`seawatch.SeawatchError` becomes one red line on stderr and exit code 1; Ctrl-C
becomes one line and exit code 130.

Exit codes: 0 success; 1 a seawatch error (bad input, missing store ...) or an
operating-system error (disk full, permission denied); 2 usage error (unknown option,
bad value, a filter value that does not exist: the message lists the valid ones);
130 interrupted (Ctrl-C); 141 stdout closed by its reader (`| head`).
"""

from __future__ import annotations

import gc
import importlib
import inspect
import io
import os
import pkgutil
import re
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from seawatch._exceptions import FilterError, SeawatchError
from seawatch._version import __version__


class _Group(TyperGroup):
    """Turns a :class:`SeawatchError` into one clear line and exit code 1, and Ctrl-C into
    one line and exit code 130, never a traceback; a :class:`FilterError` (an unknown
    region, flag ...: a usage error) exits 2."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, optional_wait_value(args))

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except FilterError as exc:
            typer.secho(f"error: {exc}", err=True, fg="red")
            raise typer.Exit(2) from exc
        except SeawatchError as exc:
            typer.secho(f"error: {_printable(str(exc))}", err=True, fg="red")
            raise typer.Exit(1) from exc
        except BrokenPipeError as exc:
            # the reader of stdout went away (``seawatch query ... | head``): stop quietly
            _silence_stdout()
            raise typer.Exit(141) from exc
        except KeyboardInterrupt as exc:
            typer.secho("error: interrupted (Ctrl-C)", err=True, fg="red")
            raise typer.Exit(130) from exc
        except OSError as exc:
            # the last resort for the operating system's refusals (disk full, permissions)
            where = f" ({exc.filename})" if exc.filename else ""
            typer.secho(f"error: {exc.strerror or exc}{where}", err=True, fg="red")
            raise typer.Exit(1) from exc


def _printable(text: str) -> str:
    """An error message with control characters escaped (input text may be quoted in it:
    it must not drive the terminal)."""
    return "".join(c if c.isprintable() or c == "\n" else ascii(c)[1:-1] for c in text)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that flushing it at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


def optional_wait_value(args: list[str]) -> list[str]:
    """``--wait`` without a number means ``--wait inf`` (wait as long as it takes): the
    option's value is optional (``--wait [SECONDS]``), which the parser cannot express."""
    out: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--":
            return out + args[i:]
        out.append(arg)
        if arg == "--wait":
            nxt = args[i + 1] if i + 1 < len(args) else None
            try:
                float(nxt if nxt is not None else "")
            except ValueError:
                out.append("inf")
    return out


app = typer.Typer(
    cls=_Group,
    name="seawatch",
    help="Turn raw AIS vessel traffic into evidence of what happened at sea.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"seawatch {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_version_callback,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """Turn raw AIS vessel traffic into evidence of what happened at sea."""


def _register_all() -> None:
    modules: list[Any] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") and not info.name.startswith("__"):
            modules.append(importlib.import_module(f"{__name__}.{info.name}"))
    modules.sort(key=lambda m: getattr(m, "ORDER", 100))
    for module in modules:
        module.register(app)


_LAID_OUT = re.compile(r"[-*] |\d+[.)] |\s|\x08|\$ ")
"""A line that makes its paragraph keep its breaks: a list item ("- ", "* ", "1. "), an
indented line (examples), ``\\b`` or a shell prompt. An option name (``--since ...``) or
a date at a line's start is running text."""


def _reflow(doc: str) -> str:
    """A command's docstring as help text: each plain paragraph on one line, so that the
    terminal wraps it (this typer keeps the source's line breaks, which gives ragged text
    on narrow terminals); lists, indented or ``\\b`` paragraphs stay as written."""
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    out = []
    for par in paragraphs:
        lines = par.split("\n")
        keep = any(_LAID_OUT.match(ln) for ln in lines)
        out.append(par if keep else " ".join(ln.strip() for ln in lines))
    return "\n\n".join(out)


def _reflow_help(group: typer.Typer) -> None:
    for cmd in group.registered_commands:
        doc = cmd.help or (cmd.callback.__doc__ if cmd.callback is not None else None)
        if doc:
            cmd.help = _reflow(doc)
        if cmd.epilog:
            cmd.epilog = _reflow(cmd.epilog)
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _reflow_help(sub.typer_instance)


_register_all()
_reflow_help(app)


def main() -> None:
    """Console-script entry point.

    The process ends when this returns, so whatever it built is frozen for the collector
    first (:func:`gc.freeze`): the interpreter's last collection at shutdown then skips
    the hundreds of thousands of objects the imports made (numba's types above all),
    which took 0.15-0.25 s of every ``seawatch detect`` on a small store. Files and
    stores are closed and committed by the command itself; ``atexit`` handlers and
    ``weakref.finalize`` callbacks (temporary directories) still run."""
    try:
        app(prog_name="seawatch")
    finally:
        gc.freeze()
