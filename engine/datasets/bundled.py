"""The small real data sets shipped in `resources/datasets/` (see the README there)."""

from pathlib import Path

import numpy as np

from ..data.npy_files import read_arrays
from ..errors import DataError
from .catalog import CATALOG

NAMES = ("digits", "iris", "wine", "breast_cancer", "diabetes")


def resources_dir() -> Path:
    """The `resources/` folder, installed as the package `layercraft_resources`."""
    import layercraft_resources  # noqa: PLC0415 - data only; importing it runs nothing

    return layercraft_resources.folder()


def path_of(name: str) -> Path:
    return resources_dir() / "datasets" / f"{name}.npz"


def load(name: str):
    """Loads a bundled set as `(x_train, y_train), (x_test, y_test)`.

    `x` is float32 (digits: `(n, 8, 8)` with values 0-16; the others `(n, features)`);
    `y` is int64 class indices, or float32 targets for the regression set.
    """
    info = CATALOG[name]
    arrays = _read(path_of(name))
    y_dtype = np.dtype(info.y_dtype)
    return ((arrays["x_train"].astype(np.float32), arrays["y_train"].astype(y_dtype)),
            (arrays["x_test"].astype(np.float32), arrays["y_test"].astype(y_dtype)))


def feature_names(name: str) -> tuple[str, ...]:
    """Column names as stored in the file (the catalog repeats them for the GUI)."""
    return tuple(str(n) for n in _read(path_of(name))["feature_names"])


def _read(path: Path) -> dict:
    if not path.is_file():
        raise DataError(f"The bundled data file {path} is missing. LayerCraft's resources/ "
                        "folder was not installed with it. Fix: reinstall LayerCraft, or run "
                        "resources/datasets/make_bundled.py in a checkout.")
    try:
        return read_arrays(path)
    except DataError as exc:
        raise DataError(f"The bundled data file {path} is damaged: {exc} Fix: reinstall "
                        "LayerCraft.") from None
