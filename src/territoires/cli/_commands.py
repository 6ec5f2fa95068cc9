"""Registration of every CLI command (one module per command)."""

from __future__ import annotations

from . import cli as _root
from .apl import apl
from .cpts import cpts
from .diagnose import demo, diagnose
from .facility_access import facility_access
from .fetch import fetch
from .map import map_command
from .report import report
from .scenario import scenario
from .siting import implantation, siting

for _command in (
    demo,
    diagnose,
    apl,
    cpts,
    map_command,
    report,
    fetch,
    facility_access,
    scenario,
    siting,
    implantation,
):
    _root.add_command(_command)
