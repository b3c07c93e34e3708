"""Train / validation / test splits with a seed and, for class labels, stratification."""

import numpy as np

from ..errors import DataError, SpecError


def train_val_test_split(x, y, val=0.1, test=0.0, seed=0, stratify=True):
    """Splits samples into training, validation and test parts.

    With `stratify=True` and class labels (integers, text, or one-hot rows), every class
    keeps its share in each part, the way `sklearn.model_selection.train_test_split` does;
    regression targets (non-integer floats) are split at random. Each part comes out in a
    random order fixed by `seed`.

    Args:
        x: Samples along axis 0.
        y: Labels along axis 0, or `None`.
        val: Share (a float in [0, 1)) or number (an int) of samples for validation.
            Defaults to `0.1`.
        test: Share or number of samples for testing. Defaults to `0.0`.
        seed: Seed of the shuffle; the same seed gives the same split. Defaults to `0`.
        stratify: Keep class proportions. Defaults to `True`.

    Returns:
        `(x_train, y_train), (x_val, y_val), (x_test, y_test)`; a part asked to be empty has
        zero rows.

    Raises:
        SpecError: for sizes that leave no training data.
        DataError: when `x` and `y` differ in length.
    """
    n = len(x)
    if y is not None and len(y) != n:
        raise DataError(f"x has {n} samples but y has {len(y)} labels; they must match.")
    n_val, n_test = _count(val, n, "val"), _count(test, n, "test")
    if n_val + n_test >= n:
        raise SpecError(f"val={val!r} and test={test!r} take {n_val + n_test} of {n} samples, "
                        "which leaves none for training. Fix: make them smaller.")
    rng = np.random.default_rng(seed)
    groups = _class_ids(y) if stratify and y is not None else None
    if groups is None:
        order = rng.permutation(n)
        parts = (order[n_val + n_test:], order[:n_val], order[n_val:n_val + n_test])
    else:
        parts = _stratified(groups, n_val, n_test, rng)
    return tuple((x[idx], None if y is None else y[idx]) for idx in parts)


def _count(size, n, name):
    if isinstance(size, bool) or not isinstance(size, (int, float, np.integer, np.floating)):
        raise SpecError(f"`{name}` must be a share in [0, 1) or a whole number of samples. "
                        f"Received: {name}={size!r}")
    if isinstance(size, (int, np.integer)):
        if not 0 <= size < n:
            raise SpecError(f"`{name}` must be from 0 to {n - 1} samples. Received: {size}")
        return int(size)
    if not 0.0 <= size < 1.0:
        raise SpecError(f"`{name}` must be a share in [0, 1). Received: {name}={size!r}")
    return round(size * n)


def _class_ids(y):
    """Class index per sample, or `None` when `y` is a regression target."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:  # one-hot rows
        return np.argmax(y, axis=1)
    flat = y.reshape(len(y), -1)
    if flat.shape[1] != 1:
        return None
    flat = flat[:, 0]
    if flat.dtype.kind == "f" and not np.array_equal(flat, np.round(flat)):
        return None
    return np.unique(flat, return_inverse=True)[1].reshape(-1)


def _stratified(groups, n_val, n_test, rng):
    """Index arrays (train, val, test) keeping each class's share in every part."""
    counts = np.bincount(groups)
    val_per = _apportion(counts, n_val)
    test_per = _apportion(counts - val_per, n_test)
    train, val, test = [], [], []
    for c in np.flatnonzero(counts):
        members = rng.permutation(np.flatnonzero(groups == c))
        a, b = val_per[c], val_per[c] + test_per[c]
        val.append(members[:a])
        test.append(members[a:b])
        train.append(members[b:])
    return tuple(rng.permutation(np.concatenate(part)) for part in (train, val, test))


def _apportion(counts, total):
    """Splits `total` over classes in proportion to `counts` (largest remainders)."""
    if total == 0 or counts.sum() == 0:
        return np.zeros_like(counts)
    exact = counts * (total / counts.sum())
    share = np.minimum(np.floor(exact).astype(np.int64), counts)
    left = total - share.sum()
    order = np.argsort(-(exact - share), kind="stable")
    for c in order:
        if left == 0:
            break
        if share[c] < counts[c]:
            share[c] += 1
            left -= 1
    return share
