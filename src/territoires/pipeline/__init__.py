"""The whole diagnosis on files: inputs and options, the run, and the writing of every output.

The top layer of the library (io → analysis → export → pipeline), under the command line. Names load on first use,
so that a command that only computes does not load the map and report libraries.
"""

from __future__ import annotations

import importlib

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


def __getattr__(name: str):
    """Import a public name's module on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'territoires.pipeline' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
