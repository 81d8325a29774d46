"""Small fundus photos for the curation tests (skimage's real retina, transformed)."""

from __future__ import annotations

import numpy as np
import pytest
from curation_helpers import rotated_retina


@pytest.fixture(scope="session")
def photos() -> dict[str, np.ndarray]:
    """Three distinct photos (rotations of the retina) by name."""
    return {name: rotated_retina(angle) for name, angle in (("a", 0), ("b", 70), ("c", 200))}
