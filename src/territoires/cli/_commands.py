"""Registration of every CLI command (one module per command)."""

from __future__ import annotations

from . import cli as _root
from .diagnose import demo, diagnose

_root.add_command(demo)
_root.add_command(diagnose)
from .fetch import fetch  # noqa: E402

_root.add_command(fetch)
