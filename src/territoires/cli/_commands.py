"""Registration of every CLI command (one module per command)."""

from __future__ import annotations
