"""`Dataset`: in-memory arrays served in (shuffled) batches, in the style of `tf.data`.

    ds = Dataset.from_tensor_slices((x, y)).shuffle(10_000, seed=0).batch(32)
    for x_batch, y_batch in ds: ...

Shuffling permutes indices; the arrays are never copied as a whole. A batch is a view when
the order is sequential, else one gather (`x[indices]`). `to_device("gpu")` moves the
arrays once, so the batches of a training run are cut on the GPU without per-batch copies
from the host.
"""

import numpy as np

from .. import backend
from ..errors import DataError, SpecError


class Dataset:
    """An immutable description of how to serve in-memory arrays; each method returns a new
    `Dataset`. Build one with `Dataset.from_tensor_slices`."""

    def __init__(self, arrays: tuple, structured: bool, ops: tuple = ()):
        self._arrays = arrays
        self._structured = structured  # True: elements are tuples; False: bare arrays
        # ("shuffle", generator or None, reshuffle, [kept order]) or ("batch", size, drop)
        self._ops = ops

    @classmethod
    def from_tensor_slices(cls, tensors) -> "Dataset":
        """Slices `tensors` (an array, or a tuple of arrays such as `(x, y)`) along axis 0.

        Raises:
            DataError: when the arrays differ in length or are scalars.
        """
        structured = isinstance(tensors, tuple)
        items = tensors if structured else (tensors,)
        if not items:
            raise DataError("from_tensor_slices needs at least one array; received ().")
        arrays = tuple(a if hasattr(a, "shape") and hasattr(a, "dtype") else np.asarray(a)
                       for a in items)
        if any(a.ndim == 0 for a in arrays):
            raise DataError("from_tensor_slices needs arrays with a sample axis; received a "
                            "scalar. Fix: pass arrays of shape (samples, ...).")
        lengths = [int(a.shape[0]) for a in arrays]
        if len(set(lengths)) > 1:
            shapes = ", ".join(str(tuple(a.shape)) for a in arrays)
            raise DataError(f"from_tensor_slices: the arrays have different numbers of samples "
                            f"({shapes}). Fix: give x and y the same length along axis 0.")
        return cls(arrays, structured)

    # -- transformations --------------------------------------------------------------------

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True) -> "Dataset":
        """Serves elements in a random order.

        The whole dataset is permuted by index (a uniform shuffle, which is what a
        `tf.data` buffer at least as large as the dataset gives); `buffer_size` is checked
        for compatibility but does not limit the shuffle. After `batch`, the batches are
        shuffled instead of the elements.

        Args:
            buffer_size: Positive int (kept for `tf.data` compatibility).
            seed: Seed of the order; `None` draws from the engine's generator
                (`backend.set_seed` makes it repeatable).
            reshuffle_each_iteration: A new order every pass (every epoch). Defaults to
                `True`.
        """
        _positive_int(buffer_size, "buffer_size")
        generator = None if seed is None else np.random.default_rng(seed)
        return self._with(("shuffle", generator, bool(reshuffle_each_iteration), []))

    def batch(self, batch_size, drop_remainder=False) -> "Dataset":
        """Groups consecutive elements into batches of `batch_size` (the last may be
        smaller unless `drop_remainder`)."""
        _positive_int(batch_size, "batch_size")
        if self.batched:
            raise SpecError("This dataset is already batched; batch() can be applied once.")
        return self._with(("batch", int(batch_size), bool(drop_remainder)))

    def prefetch(self, buffer_size=None) -> "Dataset":
        """Returns the dataset itself: batches are cut from arrays already in memory (or on
        the device), so there is nothing to load ahead. Kept so `tf.data` code runs."""
        return self

    def to_device(self, device: str) -> "Dataset":
        """The same dataset with its arrays moved once to `"cpu"` or `"gpu"`."""
        arrays = tuple(backend.to_device(a, backend.resolve_device(device)) for a in self._arrays)
        return Dataset(arrays, self._structured, self._ops)

    def _with(self, op) -> "Dataset":
        return Dataset(self._arrays, self._structured, self._ops + (op,))

    # -- reading -----------------------------------------------------------------------------

    @property
    def batched(self) -> bool:
        return any(op[0] == "batch" for op in self._ops)

    @property
    def num_samples(self) -> int:
        return int(self._arrays[0].shape[0])

    @property
    def arrays(self) -> tuple:
        """The underlying arrays (not shuffled or batched)."""
        return self._arrays

    def cardinality(self) -> int:
        """Number of elements one pass yields: batches when batched, else samples."""
        n = self.num_samples
        for op in self._ops:
            if op[0] == "batch":
                n = n // op[1] if op[2] else -(-n // op[1])
        return n

    def __len__(self) -> int:
        return self.cardinality()

    def __iter__(self):
        for index in self._plan():
            parts = tuple(_take(a, index) for a in self._arrays)
            yield parts if self._structured else parts[0]

    def _plan(self) -> list:
        """Per element: an int, a slice (sequential batch) or an index array."""
        order = None  # None: 0..n-1 in order
        batches = None
        for op in self._ops:
            if op[0] == "shuffle":
                if batches is None:
                    order = _permute(op, np.arange(self.num_samples) if order is None else order)
                else:
                    batches = [batches[i] for i in _permute(op, np.arange(len(batches)))]
            else:
                batches = _cut(order, self.num_samples, op[1], op[2])
        if batches is not None:
            return batches
        return range(self.num_samples) if order is None else order.tolist()

    def __repr__(self) -> str:
        shapes = ", ".join(f"{tuple(a.shape[1:])} {a.dtype}" for a in self._arrays)
        return f"<Dataset samples={self.num_samples} elements={self.cardinality()} of ({shapes})>"


def _permute(op, items):
    _, generator, reshuffle, fixed = op
    if not reshuffle and fixed:
        return items[fixed[0]]
    rng = generator if generator is not None else backend.rng()
    permutation = rng.permutation(len(items))
    if not reshuffle:
        fixed.append(permutation)  # the first pass's order is kept for every later pass
    return items[permutation]


def _cut(order, n, size, drop):
    stops = range(size, n + (1 if drop else size), size)
    starts = range(0, n, size)
    if order is None:
        return [slice(a, min(b, n)) for a, b in zip(starts, stops)]
    return [order[a:min(b, n)] for a, b in zip(starts, stops)]


def _take(array, index):
    if isinstance(index, (int, slice)):
        return array[index]
    if backend.is_gpu_array(array):
        index = backend.to_device(index, "gpu")
    return array[index]


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise SpecError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
