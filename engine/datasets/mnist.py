"""MNIST, as `keras.datasets.mnist`: `(x_train, y_train), (x_test, y_test) = load_data()`."""

from pathlib import Path

from ..data.npy_files import read_arrays
from ..errors import DataError
from . import download

SHAPES = {"x_train": (60000, 28, 28), "y_train": (60000,), "x_test": (10000, 28, 28),
          "y_test": (10000,)}


def load_data(progress=None, cancel=None):
    """Loads MNIST, downloading `mnist.npz` (11 MB) into the cache on first use.

    Args:
        progress: Optional `progress(bytes_done, bytes_total)` for the download.
        cancel: Optional `threading.Event` that stops the download.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(60000, 28, 28)` and
        `(10000, 28, 28)` with values 0-255, uint8 labels 0-9.

    Raises:
        DataError: when the file cannot be downloaded (the message says how to place it by
            hand) or does not hold the expected arrays.
    """
    path = download.fetch_dataset("mnist", progress=progress, cancel=cancel)[0]
    arrays = read_npz(path)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def read_npz(path) -> dict:
    """The four arrays of a Keras-style `mnist.npz`, checked for rank and matching sizes."""
    try:
        arrays = read_arrays(Path(path), SHAPES)
    except DataError as exc:
        raise DataError(f"{path} cannot be read: {exc} Delete it and load again.") from None
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise DataError(f"{path}: x_{split} has shape {x.shape} and y_{split} {y.shape}; "
                            "expected (n, 28, 28) images and n labels. Delete the file.")
    return arrays
