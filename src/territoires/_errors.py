"""Errors and warnings raised by territoires."""

from __future__ import annotations

import warnings


class TerritoiresError(Exception):
    """Base class of every error raised by territoires."""


class InputError(ValueError, TerritoiresError):
    """An input file or table cannot be used as given.

    The message names the file, the column or row, what was expected and what was found.
    """


class ParameterError(ValueError, TerritoiresError):
    """A parameter value is out of its valid range or inconsistent with others."""


class DownloadError(OSError, TerritoiresError):
    """An official file could not be downloaded or failed its checks."""


class TerritoiresWarning(UserWarning):
    """A recoverable data issue: rows left out, codes not matched, geometries repaired."""


def warn(message: str, *, stacklevel: int = 3) -> None:
    """Emit a :class:`TerritoiresWarning` pointing at the caller's caller."""
    warnings.warn(message, TerritoiresWarning, stacklevel=stacklevel)
