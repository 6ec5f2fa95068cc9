"""The whole diagnosis on files: inputs and options, the run, and the writing of every output.

The top layer of the library (io → analysis → export → pipeline), under the command line. Names load on first use,
so that a command that only computes does not load the map and report libraries.
"""

from __future__ import annotations

from .._lazy import lazy_names

#: Public name → module of the package that defines it.
_LAZY = {
    "Diagnostic": "diagnostic",
    "Territory": "diagnostic",
    "catchments_summary": "diagnostic",
    "load_territory": "diagnostic",
    "run_catchments": "diagnostic",
    "run_diagnostic": "diagnostic",
    "INPUT_ROLES": "inputs",
    "DiagnosticInputs": "inputs",
    "DiagnosticOptions": "inputs",
    "save_catchments": "outputs",
    "save_diagnostic": "outputs",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
