import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _fresh_engine_session():
    """Each test starts with default names and a seeded engine generator."""
    from engine import backend, naming

    naming.clear_session()
    backend.set_seed(1234)
    yield


def pytest_collection_modifyitems(config, items):
    """GPU tests skip cleanly without CuPy or a CUDA device."""
    from engine import backend

    if backend.gpu_available():
        return
    skip = pytest.mark.skip(reason=f"no GPU: {backend.gpu_status()}")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
