"""A fresh ``world`` (tests/support/rules_world.py) for every rules test."""

from __future__ import annotations

import pytest

from tests.support.rules_world import World


@pytest.fixture
def world() -> World:
    return World()
