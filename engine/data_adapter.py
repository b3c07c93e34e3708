"""Turns what `fit`/`evaluate` receive (arrays, lists, dicts, Datasets) into device batches.

The data moves to the training device once (when it is an array set); each epoch shuffles
an index permutation, never the data itself.
"""

import math

import numpy as np

from . import backend
from .errors import DataError


class ArrayData:
    """Inputs, targets and sample weights as lists of device arrays of equal length."""

    def __init__(self, xs, ys, weights=None):
        self.xs, self.ys, self.weights = xs, ys, weights
        self.count = int(xs[0].shape[0])

    def take(self, index):
        """The batch at `index` (a slice or an index array)."""
        xs = [x[index] for x in self.xs]
        ys = [y[index] for y in self.ys]
        w = None if self.weights is None else self.weights[index]
        return xs, ys, w

    def steps(self, batch_size: int) -> int:
        return max(1, math.ceil(self.count / batch_size))

    def batches(self, batch_size: int, shuffle=False, rng=None):
        """(xs, ys, weights) per batch; the last batch may be partial (as Keras)."""
        if shuffle:
            order = backend.to_device(rng.permutation(self.count), self.device)
        for start in range(0, self.count, batch_size):
            stop = min(start + batch_size, self.count)
            yield self.take(order[start:stop] if shuffle else slice(start, stop))

    @property
    def device(self):
        return backend.device_of(self.xs[0])


class DatasetData:
    """Adapter for `engine.data.Dataset` (or any re-iterable of (x, y) batches)."""

    def __init__(self, dataset, model):
        self.dataset, self.model = dataset, model

    def steps(self, batch_size: int) -> int | None:
        try:
            return len(self.dataset)
        except TypeError:
            return None

    def batches(self, batch_size, shuffle=False, rng=None):
        for item in self.dataset:
            if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
                raise DataError("A dataset for fit/evaluate must yield (x, y) or "
                                f"(x, y, sample_weight) batches. Received: {type(item).__name__}")
            x, y = item[0], item[1]
            w = item[2] if len(item) == 3 else None
            xs = self.model.standardize_inputs(x)
            ys = to_target_list(self.model, y)
            yield xs, ys, None if w is None else backend.to_device(w, self.model.device,
                                                                    backend.FLOATX)


def is_dataset(x) -> bool:
    """An `engine.data.Dataset` (or anything with its batching interface), not an array."""
    from .data import Dataset  # noqa: PLC0415

    return isinstance(x, Dataset) or (hasattr(x, "cardinality") and hasattr(x, "__iter__"))


def spread(value, names: list, what: str) -> list:
    """One entry per name from a single array, a list (several names) or a dict by name.

    Args:
        value: What the user passed for the model's inputs or targets.
        names: The model's input (or output) names, in order.
        what: "inputs" or "targets", for the message.

    Raises:
        DataError: naming the missing keys, or the expected and received counts.
    """
    if isinstance(value, dict):
        missing = [n for n in names if n not in value]
        if missing:
            raise DataError(f"The model needs {what} {names}; the dict has {sorted(value)} "
                            f"(missing {missing}).")
        return [value[n] for n in names]
    items = list(value) if isinstance(value, (list, tuple)) and len(names) > 1 else [value]
    if len(items) != len(names):
        raise DataError(f"The model has {len(names)} {what} ({', '.join(names)}) but "
                        f"{len(items)} arrays were given.")
    return items


def as_host_array(a):
    """NumPy for anything array-like; CuPy arrays stay on their device."""
    return a if backend.is_gpu_array(a) or isinstance(a, np.ndarray) else np.asarray(a)


def to_target_list(model, y) -> list:
    """Targets in output order as float32 device arrays."""
    ys = spread(y, model.output_names, "targets")
    return [backend.to_device(np.asarray(backend.to_numpy(t)) if not backend.is_gpu_array(t)
                              else t, model.device, backend.FLOATX) for t in ys]


def host_arrays(model, x, y, sample_weight):
    """NumPy (or device) arrays in input/output order, checked for length and finiteness."""
    xs = model._host_inputs(x)
    ys = None if y is None else [as_host_array(a) for a in spread(y, model.output_names,
                                                                  "targets")]
    arrays = xs + (ys or []) + ([np.asarray(sample_weight)] if sample_weight is not None else [])
    sizes = [int(a.shape[0]) if a.ndim else 0 for a in arrays]
    if len(set(sizes)) > 1:
        names = [f"'x' sizes: {', '.join(str(s) for s in sizes[:len(xs)])}"]
        if ys is not None:
            names.append(f"'y' sizes: {', '.join(str(s) for s in sizes[len(xs):len(xs) + len(ys)])}")
        if sample_weight is not None:
            names.append(f"'sample_weight' sizes: {sizes[-1]}")
        raise DataError("Data cardinality is ambiguous. Make sure all arrays contain the same "
                        "number of samples.\n" + "\n".join(names))
    if sizes and sizes[0] == 0:
        raise DataError("The data is empty (0 samples). Load a data set with samples.")
    for label, group in (("x", xs), ("y", ys or [])):
        for i, a in enumerate(group):
            check_finite(a, label if len(group) == 1 else f"{label}[{i}]")
    return xs, ys


#: Larger magnitudes are refused: their squares (in a loss, a variance) overflow float32.
MAX_ABS_VALUE = 1e18


def check_finite(array, label: str) -> None:
    """Refuses non-numeric, complex, NaN, infinite and float32-overflowing values."""
    if np.issubdtype(array.dtype, np.complexfloating):
        raise DataError(f"'{label}' holds complex numbers ({array.dtype}); the engine trains "
                        "on real numbers. Pass the real part, the magnitude (np.abs) or both "
                        "as separate features.")
    if not np.issubdtype(array.dtype, np.number) and array.dtype != np.bool_:
        raise DataError(f"'{label}' holds {array.dtype} values; numbers are needed. Convert "
                        "text columns to numbers (e.g. class indices) first.")
    if not array.size or not np.issubdtype(array.dtype, np.number):
        return
    largest = _abs_max(array)  # NaN or inf when any value is (only floats hold them)
    if not math.isfinite(largest):
        bad = ~backend.get_array_module(array).isfinite(array)
        first = np.argwhere(backend.to_numpy(bad))[0]
        raise DataError(f"'{label}' contains NaN or infinite values (first at sample "
                        f"{int(first[0])}, position {tuple(int(i) for i in first[1:])}). "
                        "Remove those samples or fill the missing values before training.")
    if largest > MAX_ABS_VALUE:
        raise DataError(f"'{label}' holds values as large as {largest:.3g}; float32 "
                        f"training overflows beyond about {MAX_ABS_VALUE:.0e}. Scale the "
                        "data first (e.g. a Standardize or MinMax step, or divide by a "
                        "constant).")


def _abs_max(array) -> float:
    """max |array| without a temporary of the array's size (NaN when the array holds one)."""
    return max(abs(float(array.max())), abs(float(array.min())))


def split_validation(xs, ys, weights, fraction: float):
    """Keras's validation_split: the last `fraction` of the samples, taken before shuffling."""
    count = int(xs[0].shape[0])
    split_at = int(math.floor(count * (1.0 - fraction)))
    if split_at == 0 or split_at == count:
        raise DataError(
            f"Training data contains {count} samples, which is not sufficient to split it into "
            f"a validation and training set as specified by `validation_split={fraction}`. "
            "Either provide more data, or a different value for the `validation_split` argument.")
    head = ([x[:split_at] for x in xs], [y[:split_at] for y in ys],
            None if weights is None else weights[:split_at])
    tail = ([x[split_at:] for x in xs], [y[split_at:] for y in ys],
            None if weights is None else weights[split_at:])
    return head, tail


def class_weights_to_sample_weights(y, class_weight: dict):
    """Per-sample weights from a {class: weight} dict (sparse or one-hot targets).

    Raises:
        DataError: for a weight that is negative or not a finite number, or a class that is
            not among the labels (Keras refuses those too; ignoring them would hide a typo).
    """
    y = backend.to_numpy(y)
    one_hot = y.ndim > 1 and y.shape[-1] > 1
    labels = y.argmax(axis=-1) if one_hot else y.reshape(len(y), -1)[:, 0]
    labels = labels.astype(np.int64)
    known = range(y.shape[-1]) if one_hot else sorted(set(labels.tolist()))
    weights = np.ones(len(labels), dtype=np.float32)
    for cls, w in class_weight.items():
        weights[labels == _class_key(cls, known)] = _class_weight_value(cls, w)
    return weights


def _class_key(cls, known) -> int:
    if isinstance(cls, (bool, np.bool_)) or not isinstance(cls, (int, np.integer)) or \
            int(cls) not in known:
        shown = list(known) if len(known) <= 20 else f"{list(known)[:20]}..."
        raise DataError(f"`class_weight` has the key {cls!r}, which is not a class in the "
                        f"labels. Expected integer class indices from {shown}. Remove it, or "
                        "check the labels.")
    return int(cls)


def _class_weight_value(cls, w) -> float:
    try:
        value = float(w)
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(w, bool) or not math.isfinite(value) or value < 0:
        why = (" A negative weight would reward the model for getting that class wrong."
               if value < 0 else "")
        raise DataError(f"`class_weight` for class {cls!r} must be a finite number >= 0. "
                        f"Received: {w!r}.{why}")
    return value
