"""Command-line interface: ``territoires`` (also ``python -m territoires``).

A thin layer of click commands over the Python API: each command parses options, calls the API and turns its
errors into one clear line and exit code 2. Nothing in the library depends on this package.
"""

from __future__ import annotations

import logging
import sys
import warnings

import click

from .._errors import TerritoiresError, TerritoiresWarning
from .._version import __version__

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Group(click.Group):
    """Root group that turns library errors into one line on stderr and exit code 2."""

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


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING - 10 * verbosity
    logging.basicConfig(level=max(level, logging.DEBUG), format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("territoires").setLevel(max(level, logging.DEBUG))


def _show_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
    if issubclass(category, TerritoiresWarning):
        click.echo(f"Attention : {message}", err=True)
    else:
        logging.getLogger("py.warnings").debug("%s:%s: %s", filename, lineno, message)


@click.group(cls=_Group, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="territoires")
@click.option("-v", "--verbose", count=True, help="Plus de détails (-v, -vv).")
@click.option("-q", "--quiet", is_flag=True, help="N'affiche que les erreurs.")
def cli(verbose: int, quiet: bool) -> None:
    """Diagnostic territorial des déserts médicaux : accessibilité aux soins (APL), zones, CPTS, cartes."""
    _configure_logging(-1 if quiet else verbose)
    warnings.showwarning = _show_warning
    if quiet:
        warnings.simplefilter("ignore", TerritoiresWarning)


def main() -> None:
    """Entry point of the ``territoires`` command."""
    cli(prog_name="territoires")


# Commands are registered here, one module each.
from . import _commands  # noqa: E402,F401
