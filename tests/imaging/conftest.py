"""Shared images for the imaging tests (small, generated, or skimage's retina)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data as skdata


@pytest.fixture(scope="session")
def retina() -> np.ndarray:
    """skimage's 1411x1411 normal fundus photo (RGB uint8)."""
    img = skdata.retina()
    img.setflags(write=False)
    return img


@pytest.fixture(scope="session")
def small_retina(retina: np.ndarray) -> np.ndarray:
    """The retina at 600 px, enough for most behaviour tests."""
    img = cv2.resize(retina, (600, 600), interpolation=cv2.INTER_AREA)
    img.setflags(write=False)
    return img
