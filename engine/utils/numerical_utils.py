"""`to_categorical` and `normalize`, with Keras's semantics on NumPy arrays."""

import numpy as np

from ..errors import DataError


def to_categorical(x, num_classes=None):
    """Converts a class vector (integers) to a binary class matrix (one-hot rows).

    A trailing axis of size 1 is dropped first, so labels shaped `(n, 1)` give `(n, classes)`,
    as in Keras; the class axis is placed last.

    Args:
        x: Array-like of class values, integers from 0 to `num_classes - 1`.
        num_classes: Total number of classes. If `None`, it is inferred as `max(x) + 1`.
            Defaults to `None`.

    Returns:
        A float64 NumPy array (Keras's dtype for NumPy input) of shape
        `x.shape + (num_classes,)`.

    Raises:
        DataError: for values that are not whole numbers, negative classes, or a class
            `>= num_classes`.
    """
    labels = _class_indices(x)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:  # (n, 1) labels: the class axis replaces the 1
        shape = shape[:-1]
    labels = labels.reshape(-1)
    if num_classes is None or num_classes == 0:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    _check_range(labels, num_classes)
    categorical = np.zeros((labels.size, num_classes))
    categorical[np.arange(labels.size), labels] = 1
    return categorical.reshape(shape + (num_classes,))


def _class_indices(x) -> np.ndarray:
    values = np.asarray(x)
    if values.dtype.kind == "f":
        if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
            bad = values[~np.isfinite(values) | (values != np.round(values))].reshape(-1)[0]
            raise DataError(f"to_categorical needs whole-number class indices. Received a "
                            f"value {bad!r}. Fix: pass integer labels (0 to num_classes - 1).")
    elif values.dtype.kind not in "iub":
        raise DataError(f"to_categorical needs integer class indices. Received an array of "
                        f"dtype {values.dtype}. Fix: map the labels to 0..num_classes-1 first.")
    return values.astype(np.int64)


def _check_range(labels, num_classes) -> None:
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise DataError(f"`num_classes` must be a positive integer or None. Received: "
                        f"num_classes={num_classes!r}")
    if labels.size and labels.min() < 0:
        raise DataError(f"to_categorical got the negative class {int(labels.min())}. Classes "
                        "are indices 0 to num_classes - 1.")
    if labels.size and labels.max() >= num_classes:
        raise DataError(f"to_categorical got class {int(labels.max())}, but num_classes="
                        f"{num_classes} allows 0 to {num_classes - 1}. Fix: pass num_classes="
                        f"{int(labels.max()) + 1} or more, or check the labels.")


def normalize(x, axis=-1, order=2):
    """`x` divided by its `order`-norm along `axis` (a zero norm leaves zeros as they are).

    Args:
        x: Array to normalize.
        axis: Axis along which to normalize. Defaults to `-1`.
        order: Normalization order (`2` for the L2 norm). Defaults to `2`.

    Returns:
        A normalized copy of the array.
    """
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, -1 if axis is None else axis)
