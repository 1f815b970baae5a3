"""Shared fixtures: small, seeded environments."""

from __future__ import annotations

import numpy as np
import pytest

from neurospatial import Environment


@pytest.fixture
def env2d() -> Environment:
    rng = np.random.default_rng(0)
    return Environment.from_samples(rng.uniform(0, 100, size=(5000, 2)), bin_size=10.0)


@pytest.fixture
def env1d() -> Environment:
    rng = np.random.default_rng(1)
    return Environment.from_samples(rng.uniform(0, 100, size=(2000, 1)), bin_size=5.0)
