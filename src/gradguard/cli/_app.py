"""The typer application: commands are registered from the sibling modules; :func:`run` maps errors to one line."""

from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..errors import GradGuardError

__all__ = ["CliError", "UnavailableError", "app", "console", "err_console", "existing_path", "run"]

app = typer.Typer(
    name="gradguard", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Keep PyTorch training stable: watch, detect, diagnose, mitigate, show. Start with: gradguard demo",
)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


class CliError(GradGuardError):
    """A command was given something it cannot use (a bad MODULE:FUNCTION, a wrong return value...)."""


class UnavailableError(GradGuardError):
    """A command's feature is not part of this installation (exit status 2)."""


def existing_path(path: Path, what: str) -> Path:
    """``path`` if it exists, else a :class:`CliError` naming it."""
    if not path.exists():
        raise CliError(f"{what} {str(path)!r} does not exist")
    return path


@app.callback()
def _root(debug: Annotated[bool, typer.Option("--debug", metavar="",
                                              help="Show the full traceback of an error.")] = False) -> None:
    """Keep PyTorch training stable: watch, detect, diagnose, mitigate, show."""


def _register() -> None:
    from . import _attribute, _demo, _runs, _tools  # noqa: F401  (each module adds its commands to ``app``)


def run(argv: list[str]) -> int:
    """Dispatch ``argv``; return the exit status. ``--debug`` anywhere re-raises errors with their traceback."""
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    _register()
    command = typer.main.get_command(app)
    _plain_help_flags(command)
    try:
        result = command.main(args=argv, prog_name="gradguard", standalone_mode=False)
    except typer.Exit as exc:
        return int(getattr(exc, "exit_code", 0))
    except typer.Abort:
        err_console.print("gradguard: aborted")
        return 1
    except _click_errors() as exc:
        exc.show()  # type: ignore[attr-defined]
        return int(getattr(exc, "exit_code", 2))
    except UnavailableError as exc:
        return _fail(exc, debug, 2)
    except (GradGuardError, OSError) as exc:
        return _fail(exc, debug, 1)
    except KeyboardInterrupt:
        err_console.print("gradguard: interrupted")
        return 130
    return int(result) if isinstance(result, int) else 0


def _plain_help_flags(command: object) -> None:
    """Show ``--help`` without typer's ``<bool>`` type column (the option is made once per command and cached)."""
    context_type = getattr(importlib.import_module("typer._click"), "Context", None) if _has_typer_click() else None
    if context_type is None:
        return
    commands = [command, *getattr(command, "commands", {}).values()]
    for cmd in commands:
        getter = getattr(cmd, "get_help_option", None)
        if getter is None:
            continue
        option = getter(context_type(cmd))
        if option is not None and getattr(option, "metavar", "") is None:
            option.metavar = ""


def _has_typer_click() -> bool:
    try:
        importlib.import_module("typer._click")
    except ImportError:
        return False
    return True


def _click_errors() -> tuple[type[BaseException], ...]:
    """Click's usage-error base class, from typer's bundled copy (typer >= 0.20) and/or click itself."""
    found: list[type[BaseException]] = []
    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            found.append(importlib.import_module(name).ClickException)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


def _fail(exc: BaseException, debug: bool, status: int) -> int:
    if debug:
        traceback.print_exception(exc)
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, OSError) and exc.filename is not None and str(exc.filename) not in message:
        message = f"{message}: {exc.filename}"
    print(f"gradguard: error: {message}", file=sys.stderr)
    return status
