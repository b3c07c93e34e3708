"""Ready-made data sets, loaded like `keras.datasets`.

    from engine import datasets
    (x_train, y_train), (x_test, y_test) = datasets.load("digits")      # bundled, offline
    (x_train, y_train), (x_test, y_test) = datasets.load("moons", noise=0.2, seed=1)
    (x_train, y_train), (x_test, y_test) = datasets.mnist.load_data()  # downloaded once

Three kinds (see `info(name).kind`): small real sets shipped in `resources/datasets`
(`BUNDLED`), 2-D toy sets made on the fly (`GENERATED`), and the classic image sets fetched
into the cache on first use (`DOWNLOADABLE`).
"""

from ..errors import SpecError, describe_choices
from . import bundled, cifar10, download, fashion_mnist, generated, mnist
from .catalog import CATALOG, DatasetInfo

BUNDLED = bundled.NAMES
GENERATED = generated.NAMES
DOWNLOADABLE = ("mnist", "fashion_mnist", "cifar10")
#: Every data set name, in the order the GUI lists them.
NAMES = BUNDLED + GENERATED + DOWNLOADABLE
_LOADERS = {"mnist": mnist.load_data, "fashion_mnist": fashion_mnist.load_data,
            "cifar10": cifar10.load_data}


def load(name: str, **kwargs):
    """Loads data set `name` as `(x_train, y_train), (x_test, y_test)` NumPy arrays.

    Args:
        name: One of `NAMES`.
        **kwargs: For generated sets: `n_samples` (500), `noise` (the set's default),
            `seed` (0), `test_split` (0.2) and the maker's options (`factor` for circles,
            `classes`/`turns` for spirals, `centers` for blobs). For downloadable sets:
            `progress(bytes_done, bytes_total)` and `cancel` (a `threading.Event`).
            Bundled sets take none.

    Returns:
        Two `(x, y)` pairs; `info(name)` gives their shapes and dtypes.

    Raises:
        SpecError: for an unknown name or argument.
        DataError: when a download fails (the message says how to place the file by hand).
    """
    _check_name(name)
    if name in GENERATED:
        return generated.load(name, **kwargs)
    if name in BUNDLED:
        if kwargs:
            raise SpecError(f"Data set {name!r} is a fixed file and takes no arguments. "
                            f"Received: {sorted(kwargs)}")
        return bundled.load(name)
    unknown = sorted(set(kwargs) - {"progress", "cancel"})
    if unknown:
        raise SpecError(f"Data set {name!r} takes only `progress` and `cancel`. Received: "
                        f"{unknown}")
    return _LOADERS[name](**kwargs)


def info(name: str) -> DatasetInfo:
    """Metadata of data set `name`: class names, input shape, task, description, source,
    licence, sizes (see `DatasetInfo`)."""
    _check_name(name)
    return CATALOG[name]


def is_available_offline(name: str) -> bool:
    """True for bundled and generated sets, and for downloadable sets already cached."""
    _check_name(name)
    return name not in DOWNLOADABLE or download.is_cached(name)


def _check_name(name):
    if name not in CATALOG:
        raise SpecError(f"Unknown data set {name!r}. Expected one of: {describe_choices(NAMES)}.")


__all__ = ["BUNDLED", "DOWNLOADABLE", "DatasetInfo", "GENERATED", "NAMES", "cifar10",
           "download", "fashion_mnist", "info", "is_available_offline", "load", "mnist"]
