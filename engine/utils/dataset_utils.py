"""`split_dataset`: a left and a right part of arrays or of an engine `Dataset`."""

import random

import numpy as np

from .. import backend
from ..data import Dataset
from ..errors import DataError, SpecError


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Splits a dataset into a left half and a right half (e.g. train / test).

    The left part takes samples from the start, the right part from the end (samples in
    between, when the sizes do not add up to the whole, are left out), as in Keras.

    Args:
        dataset: An array, a tuple or list of arrays of the same length, or an
            `engine.data.Dataset` (read in the order it serves; a batched one gives batched
            parts with the same batch size).
        left_size: A float in `(0, 1)`, the fraction of samples for the left part, or an int,
            their number. `None` means the rest after `right_size`.
        right_size: Likewise for the right part; `None` means the rest after `left_size`.
        shuffle: Whether to shuffle the samples before splitting them.
        seed: A random seed for shuffling (with one, the split is Keras's own: the same
            `random.shuffle` of the sample order).

    Returns:
        A tuple of two `engine.data.Dataset`s, the left and right parts.

    Raises:
        SpecError: for sizes that are missing, of the wrong type, out of range or too big.
        DataError: for arrays of different lengths or an empty dataset.
    """
    arrays, structured, batch_size = _as_arrays(dataset)
    total = len(arrays[0])
    left, right = _split_sizes(left_size, right_size, total)
    order = list(range(total))
    if shuffle:
        # Keras: random.seed(seed); random.shuffle(samples). A private Random gives the same
        # order without touching the global generator.
        random.Random(int(backend.rng().integers(1_000_000)) if seed is None else seed).shuffle(
            order)
    parts = (np.asarray(order[:left]), np.asarray(order[total - right:]))
    return tuple(_dataset([a[index] for a in arrays], structured, batch_size)
                 for index in parts)


def _as_arrays(dataset) -> tuple[list, bool, int | None]:
    """The samples as arrays, whether elements are tuples, and the batch size (or None)."""
    if isinstance(dataset, Dataset):
        return _dataset_arrays(dataset)
    if isinstance(dataset, (list, tuple)):
        if not dataset:
            raise DataError("Received an empty list dataset. Please provide a non-empty list "
                            "of arrays.")
        arrays = [np.asarray(a) for a in dataset]
        lengths = [len(a) if a.ndim else 0 for a in arrays]
        if len(set(lengths)) > 1 or 0 in lengths:
            raise DataError(f"split_dataset needs arrays of the same, non-zero length. "
                            f"Received lengths {lengths}. Fix: give x and y one entry per "
                            "sample.")
        return arrays, True, None
    if hasattr(dataset, "shape") and hasattr(dataset, "dtype"):
        if not dataset.ndim or not len(dataset):
            raise DataError("split_dataset needs an array with at least one sample. Received "
                            f"an array of shape {tuple(dataset.shape)}.")
        return [backend.to_numpy(dataset)], False, None
    raise SpecError(f"The `dataset` argument must be an array, a tuple or list of arrays, or "
                    f"an engine.data.Dataset. Received: dataset of type "
                    f"{type(dataset).__name__}")


def _dataset_arrays(dataset) -> tuple[list, bool, int | None]:
    elements = list(dataset)
    if not elements:
        raise DataError("split_dataset received an empty Dataset.")
    structured = isinstance(elements[0], tuple)
    columns = list(zip(*elements)) if structured else [elements]
    join = np.concatenate if dataset.batched else np.stack
    arrays = [join([backend.to_numpy(part) for part in column]) for column in columns]
    batch_size = len(columns[0][0]) if dataset.batched else None
    return arrays, structured, batch_size


def _dataset(arrays, structured, batch_size) -> Dataset:
    dataset = Dataset.from_tensor_slices(tuple(arrays) if structured else arrays[0])
    return dataset if batch_size is None else dataset.batch(batch_size)


def _size(value, name, total):
    """Keras's rule for one size: an int in `(0, total)` or a float in `(0, 1)`."""
    if value is None:
        return None
    is_int = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not is_int and not isinstance(value, (float, np.floating)):
        raise SpecError(f"Invalid `{name}` type. Expected: int or float or None. Received: "
                        f"{name}={value!r} of type {type(value).__name__}.")
    if (is_int and not 0 < value < total) or (not is_int and not 0 < value < 1):
        raise SpecError(f"`{name}` should be either a positive integer smaller than {total}, "
                        f"or a float within the range `[0, 1]`. Received: {name}={value}")
    return int(value) if is_int else round(float(value) * total)


def _split_sizes(left_size, right_size, total) -> tuple[int, int]:
    if left_size is None and right_size is None:
        raise SpecError("At least one of the `left_size` or `right_size` must be specified. "
                        "Received: left_size=None and right_size=None")
    floats = [isinstance(v, (float, np.floating)) for v in (left_size, right_size)]
    if all(floats) and left_size + right_size > 1:
        raise SpecError("The sum of `left_size` and `right_size` is greater than 1. It must "
                        "be less than or equal to 1.")
    left, right = _size(left_size, "left_size", total), _size(right_size, "right_size", total)
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise SpecError(f"The sum of `left_size` and `right_size` should be smaller than the "
                        f"{total} samples. Received: left_size + right_size = {left + right}")
    for size, side in ((left, "left"), (right, "right")):
        if size == 0:
            raise SpecError(f"With `dataset` of length={total}, `left_size`={left_size} and "
                            f"`right_size`={right_size}, the {side} side dataset split would "
                            "be empty. Adjust any of the aforementioned parameters.")
    return left, right
