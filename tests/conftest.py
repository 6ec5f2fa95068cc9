"""Shared fixtures and paths."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA_DIRECTORY = Path(__file__).resolve().parent / "data"
#: Real open data staged beside the checkout (../shared/data); tests using it skip where it is absent.
SHARED_DATA = ROOT.parent / "shared" / "data"
if not SHARED_DATA.is_dir() and (ROOT.parents[1] / "shared" / "data").is_dir():
    SHARED_DATA = ROOT.parents[1] / "shared" / "data"  # a git worktree one level deeper (wt/<name>)

requires_shared = pytest.mark.skipif(
    not SHARED_DATA.is_dir(), reason=f"real data folder {SHARED_DATA} absent (../shared/data beside the checkout)"
)
