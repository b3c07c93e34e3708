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


@pytest.fixture
def registrations_undone():
    """A test's class registrations disappear with it (the registry is process-wide). Use
    it module-wide: `pytestmark = pytest.mark.usefixtures("registrations_undone")`."""
    from engine import registry
    from engine.saving import object_registration

    tables = {kind: dict(table) for kind, table in registry._REGISTRIES.items()}
    objects = dict(object_registration.GLOBAL_CUSTOM_OBJECTS)
    names = dict(object_registration.GLOBAL_CUSTOM_NAMES)
    yield
    registry._REGISTRIES.clear()
    registry._REGISTRIES.update(tables)
    for live, saved in ((object_registration.GLOBAL_CUSTOM_OBJECTS, objects),
                        (object_registration.GLOBAL_CUSTOM_NAMES, names)):
        live.clear()
        live.update(saved)


def pytest_collection_modifyitems(config, items):
    """GPU tests skip cleanly without CuPy or a CUDA device."""
    from engine import backend

    if backend.gpu_available():
        return
    skip = pytest.mark.skip(reason=f"no GPU: {backend.gpu_status()}")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
