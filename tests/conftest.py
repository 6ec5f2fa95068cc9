"""Shared fixtures and paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA_DIRECTORY = Path(__file__).resolve().parent / "data"
#: Real open data staged beside the checkout (../shared/data); tests using it skip where it is absent.
#: TERRITOIRES_SHARED_DATA overrides it (e.g. from a git worktree, where the folder is elsewhere).
SHARED_DATA = Path(os.environ.get("TERRITOIRES_SHARED_DATA", ROOT.parent / "shared" / "data"))

requires_shared = pytest.mark.skipif(
    not SHARED_DATA.is_dir(), reason=f"real data folder {SHARED_DATA} absent (../shared/data beside the checkout)"
)
