"""Command-line interface: ``territoires`` (also ``python -m territoires``).

A thin layer of click commands over the Python API: each command parses options, calls the API and turns its
errors into one clear French line and exit code 2. Nothing in the library depends on this package. The library
is imported when a command runs: ``territoires --help`` answers at once.
"""

from __future__ import annotations

import gc
import logging
import sys
import warnings

import click

from .._errors import TerritoiresError, TerritoiresWarning
from .._version import __version__
from ._french import install as _install_french

_install_french()

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
_state = {"quiet": False, "own_process": False}


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING - 10 * verbosity
    logging.basicConfig(level=max(level, logging.DEBUG), format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("territoires").setLevel(max(level, logging.DEBUG))


def _show_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
    if issubclass(category, TerritoiresWarning):
        click.echo(f"Attention : {message}", err=True)
    else:
        logging.getLogger("py.warnings").debug("%s:%s: %s", filename, lineno, message)


def _set_verbosity(verbose: int, quiet: bool) -> None:
    """Apply ``-v`` / ``-q`` (given before or after the command name; the last one given wins)."""
    if quiet:
        _state["quiet"] = True
    _configure_logging(-1 if _state["quiet"] else verbose)
    warnings.showwarning = _show_warning
    # Data warnings are the run summary's, shown on stderr (whatever filter the caller set), or hidden with -q.
    warnings.simplefilter("ignore" if _state["quiet"] else "always", TerritoiresWarning)


def progress(step: int, steps: int, text: str) -> None:
    """Print a step of a long command on stderr (nothing with ``-q``)."""
    if not _state["quiet"]:
        click.echo(f"[{step}/{steps}] {text}…", err=True)


def info(text: str) -> None:
    """Print an informative line on stderr (nothing with ``-q``)."""
    if not _state["quiet"]:
        click.echo(text, err=True)


def say(text: str) -> None:
    """Print a command's summary on stdout (nothing with ``-q``: only errors then)."""
    if not _state["quiet"]:
        click.echo(text)


class Command(click.Command):
    """A subcommand that also accepts ``-v`` and ``-q`` after its name, and French help."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("context_settings", CONTEXT_SETTINGS)
        super().__init__(*args, **kwargs)
        self.params += [
            click.Option(["-v", "--verbose"], count=True, help="Plus de détails (-v, -vv)."),
            click.Option(["-q", "--quiet"], is_flag=True, help="N'affiche que les erreurs."),
        ]

    def invoke(self, ctx: click.Context):  # noqa: D102
        verbose = ctx.params.pop("verbose", 0)
        quiet = ctx.params.pop("quiet", False)
        if verbose or quiet:
            _set_verbosity(verbose, quiet)
        return super().invoke(ctx)


class _Group(click.Group):
    """Root group that turns library errors into one French line on stderr and exit code 2."""

    command_class = Command

    def invoke(self, ctx: click.Context):  # noqa: D102
        try:
            return super().invoke(ctx)
        except TerritoiresError as exc:
            click.echo(f"Erreur : {exc}", err=True)
            sys.exit(2)
        except OSError as exc:  # read-only folder, full disk, name too long…: one line, no traceback
            from ..export.output_set import describe_os_error

            where = f"{exc.filename} : " if exc.filename else ""
            click.echo(f"Erreur : {where}{describe_os_error(exc)}.", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="territoires", message="%(prog)s %(version)s")
@click.option("-v", "--verbose", count=True, help="Plus de détails (-v, -vv).")
@click.option("-q", "--quiet", is_flag=True, help="N'affiche que les erreurs.")
def cli(verbose: int, quiet: bool) -> None:
    """Diagnostic territorial des déserts médicaux : accessibilité aux soins (APL), zones, CPTS, cartes."""
    _state["quiet"] = quiet
    _set_verbosity(verbose, quiet)


def main() -> None:
    """Entry point of the ``territoires`` command."""
    _state["own_process"] = True
    cli(prog_name="territoires")


def settle_imports() -> None:
    """Tell the garbage collector that what a command has loaded so far lives until the process ends.

    Called once a command has imported its libraries: the objects of pandas, geopandas, scipy... (modules, classes,
    functions) are moved out of the collector's generations (:func:`gc.freeze`), so that the full collections the
    run triggers do not go through them each time (0.1 s of a national ``territoires apl``). Only in a process of
    the command's own (``main``): a host process (tests, a notebook calling ``cli``) keeps its collector as it is.
    """
    if _state["own_process"]:
        gc.freeze()


# Commands are registered here, one module each.
from . import _commands  # noqa: E402,F401
