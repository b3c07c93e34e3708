"""Fashion-MNIST, as `keras.datasets.fashion_mnist`."""

from pathlib import Path

from ..data.idx import from_idx
from ..errors import DataError
from . import download

CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")


def load_data(progress=None, cancel=None):
    """Loads Fashion-MNIST, downloading its four IDX files (31 MB) on first use.

    Args:
        progress: Optional `progress(bytes_done, bytes_total)` over all four files.
        cancel: Optional `threading.Event` that stops the download.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(60000, 28, 28)` and
        `(10000, 28, 28)`, uint8 labels 0-9 (names in `CLASS_NAMES`).

    Raises:
        DataError: when a file cannot be downloaded or read.
    """
    paths = {Path(p).name: p for p in
             download.fetch_dataset("fashion_mnist", progress=progress, cancel=cancel)}
    train = _pair(paths["train-images-idx3-ubyte.gz"], paths["train-labels-idx1-ubyte.gz"])
    test = _pair(paths["t10k-images-idx3-ubyte.gz"], paths["t10k-labels-idx1-ubyte.gz"])
    return train, test


def _pair(images_path, labels_path):
    x, y = from_idx(images_path), from_idx(labels_path)
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
        raise DataError(f"{images_path.name} holds shape {x.shape} and {labels_path.name} "
                        f"{y.shape}; expected (n, 28, 28) images and n labels. Delete both "
                        "files from the cache and load again.")
    return x, y
