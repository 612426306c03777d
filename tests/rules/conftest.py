"""Puts the rules test helpers (``rules_world``) on the import path and provides a fresh ``world``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from rules_world import World


@pytest.fixture
def world() -> World:
    return World()
