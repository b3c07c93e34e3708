"""CIFAR-10, as `keras.datasets.cifar10`, read from the binary archive (never pickle).

The archive `cifar-10-binary.tar.gz` holds `data_batch_1.bin` ... `data_batch_5.bin` and
`test_batch.bin`; each record is 3,073 bytes: one label byte, then 1,024 red, 1,024 green
and 1,024 blue pixel values of a 32x32 image, row by row. The archive is read as a stream:
members are matched by name and read into memory, nothing is written to disk.
"""

import tarfile
import zlib

import numpy as np

from ..errors import DataError
from . import download

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
               "ship", "truck")
TRAIN_MEMBERS = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_MEMBER = "test_batch.bin"
RECORD_BYTES = 1 + 3 * 32 * 32


def load_data(progress=None, cancel=None):
    """Loads CIFAR-10, downloading the 170 MB archive on first use.

    Args:
        progress: Optional `progress(bytes_done, bytes_total)` for the download.
        cancel: Optional `threading.Event` that stops the download.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(50000, 32, 32, 3)` and
        `(10000, 32, 32, 3)`; uint8 labels of shape `(50000, 1)` and `(10000, 1)`, as Keras.

    Raises:
        DataError: when the archive cannot be downloaded or lacks a batch.
    """
    path = download.fetch_dataset("cifar10", progress=progress, cancel=cancel)[0]
    batches = read_archive(path)
    x_train, y_train = _join([batches[name] for name in TRAIN_MEMBERS])
    x_test, y_test = batches[TEST_MEMBER]
    return (x_train, y_train), (x_test, y_test)


def read_archive(path) -> dict:
    """`{member name: (x, y)}` for the six batches of the binary archive at `path`."""
    wanted = set(TRAIN_MEMBERS) | {TEST_MEMBER}
    found = {}
    try:
        with tarfile.open(path, mode="r|gz") as archive:  # a stream: no seeking, no paths
            for member in archive:
                name = member.name.rsplit("/", 1)[-1]
                if member.isfile() and name in wanted and name not in found:
                    found[name] = parse_batch(archive.extractfile(member).read(), name)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path} is not a readable CIFAR-10 archive ({exc}). Delete it and "
                        "load again.") from None
    missing = sorted(wanted - set(found))
    if missing:
        raise DataError(f"{path} lacks {', '.join(missing)}; it is not the CIFAR-10 binary "
                        "archive. Delete it and load again.")
    return found


def parse_batch(content: bytes, name: str):
    """Images `(n, 32, 32, 3)` and labels `(n, 1)`, both uint8, from one batch file."""
    if not content or len(content) % RECORD_BYTES:
        raise DataError(f"{name} holds {len(content)} bytes, not a whole number of "
                        f"{RECORD_BYTES}-byte records. The archive is damaged.")
    records = np.frombuffer(content, dtype=np.uint8).reshape(-1, RECORD_BYTES)
    labels = records[:, :1].copy()
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()
    return images, labels


def _join(parts):
    return np.concatenate([x for x, _ in parts]), np.concatenate([y for _, y in parts])
