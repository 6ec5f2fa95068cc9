"""Registration of every CLI command (one module per command)."""

from __future__ import annotations

from . import cli as _root
from .apl import apl
from .cpts import cpts
from .diagnose import demo, diagnose
from .fetch import fetch

for _command in (demo, diagnose, apl, cpts, fetch):
    _root.add_command(_command)
from .report import report  # noqa: E402

_root.add_command(report)
