"""The whole diagnosis on files: inputs and options, the run, and the writing of every output.

The top layer of the library (io → analysis → export → pipeline), under the command line.
"""

from __future__ import annotations

from .diagnostic import (
    Diagnostic,
    Territory,
    catchments_summary,
    load_territory,
    run_catchments,
    run_diagnostic,
    save_catchments,
    save_diagnostic,
)
from .inputs import INPUT_ROLES, DiagnosticInputs, DiagnosticOptions

__all__ = [
    "INPUT_ROLES",
    "Diagnostic",
    "DiagnosticInputs",
    "DiagnosticOptions",
    "Territory",
    "catchments_summary",
    "load_territory",
    "run_catchments",
    "run_diagnostic",
    "save_catchments",
    "save_diagnostic",
]
