"""Registration of every CLI command (one module per command)."""

from __future__ import annotations

from . import cli as _root
from .apl import apl
from .diagnose import demo, diagnose
from .fetch import fetch

for _command in (demo, diagnose, apl, fetch):
    _root.add_command(_command)
from .map import map_command  # noqa: E402

_root.add_command(map_command)
