"""The operations a preprocessing `Pipeline` is made of.

Each op declares its arguments as `Param`s (so the GUI builds its form from data), acts on
the features (`TARGET = "x"`) or the labels (`"y"`), and keeps any statistics it learns in
`fit` as NumPy arrays that `get_state` writes out as JSON lists. Ops run on NumPy or CuPy
arrays alike.
"""

import abc

import numpy as np

from .. import backend
from ..errors import DataError, ShapeError, SpecError
from ..params import FLOAT, INT, INTS, Param, to_json_value
from .limits import check_size
from .loaded import check_real

EPSILON = 1e-7  # Keras's backend.epsilon(): the floor of a standard deviation or range


class Step(abc.ABC):
    """Base of the ops: stores validated arguments; stateless unless overridden."""

    OP = ""
    PARAMS: tuple[Param, ...] = ()
    TARGET = "x"
    DESCRIPTION = ""

    def __init__(self, owner="", **values):
        self.owner = owner or self.OP
        self._values = values
        for name, value in values.items():
            setattr(self, name, value)

    @property
    def fitted(self) -> bool:
        return True

    def fit(self, data) -> None:
        """Learns statistics from training data; stateless ops learn nothing."""

    @abc.abstractmethod
    def transform(self, data):
        """The transformed data (a new array; the input is left as it is)."""

    def compute_output_shape(self, shape: tuple) -> tuple:
        return shape

    def get_config(self) -> dict:
        return {"op": self.OP, **{k: to_json_value(v) for k, v in self._values.items()}}

    def get_state(self):
        return None

    def set_state(self, state) -> None:
        raise SpecError(f"{self.owner} has no statistics, but a saved state was given.")

    def _check_fitted(self):
        if not self.fitted:
            raise DataError(f"{self.owner} has no statistics yet. Fix: call "
                            "pipeline.fit(x_train) before transform().")


def _as_float(x, owner):
    """Float data in its own precision; integers (e.g. uint8 pixels) become float32."""
    check_real(x, owner)
    return x if x.dtype.kind == "f" else x.astype(backend.FLOATX)


class Scale(Step):
    OP = "scale"
    DESCRIPTION = "Multiply by a fixed factor and add an offset, e.g. 1/255 for pixels."
    PARAMS = (Param("factor", FLOAT, 1 / 255, help="x * factor + offset"),
              Param("offset", FLOAT, 0.0, help="Added after scaling."))

    def transform(self, x):
        return _as_float(x, self.owner) * self.factor + self.offset


class _Statistics(Step):
    """Shared by ops that learn per-axis statistics: `axis` is kept, the others reduced."""

    PARAMS = (Param("axis", INT, -1, optional=True,
                    help="Axis with its own statistics (-1: per feature or channel); "
                         "None: one value for everything."),)

    def __init__(self, owner="", **values):
        super().__init__(owner, **values)
        if self.axis == 0:
            raise SpecError(f"{owner}: `axis` 0 is the sample axis and cannot keep its own "
                            "statistics. Use -1 (per feature/channel) or None.")
        self.stats = None
        self.ndim = None

    @property
    def fitted(self) -> bool:
        return self.stats is not None

    def _kept_axis(self, ndim):
        return None if self.axis is None or ndim < 2 else self.axis % ndim

    def fit(self, x):
        check_real(x, self.owner)
        xp = backend.get_array_module(x)
        if self.axis is not None and x.ndim > 1 and (
                not -x.ndim <= self.axis < x.ndim or self.axis % x.ndim == 0):
            raise DataError(f"{self.owner}: `axis`={self.axis} does not fit data of shape "
                            f"{tuple(x.shape)}; it must name an axis other than the sample "
                            "axis 0. Fix: use axis=-1 or None.")
        keep = self._kept_axis(x.ndim)
        axes = tuple(a for a in range(x.ndim) if a != keep)
        stats = self._compute(xp, x, axes)
        self.stats = {k: backend.to_numpy(v).astype(np.float64).reshape(-1)
                      for k, v in stats.items()}
        self.ndim = x.ndim

    def _broadcast(self, x, name):
        self._check_fitted()
        keep = self._kept_axis(x.ndim)
        value = self.stats[name]
        shape = [1] * x.ndim
        if keep is not None:
            if x.ndim != self.ndim or x.shape[keep] != value.size:
                raise DataError(f"{self.owner} was fitted on data with {value.size} values "
                                f"along axis {self.axis}, but received shape {tuple(x.shape)}.")
            shape[keep] = value.size
        dtype = _as_float(x[:0], self.owner).dtype
        return backend.to_device(value.reshape(shape), backend.device_of(x), dtype=dtype)

    def get_state(self):
        if self.stats is None:
            return None
        return {"ndim": self.ndim, **{k: v.tolist() for k, v in self.stats.items()}}

    def set_state(self, state):
        try:
            ndim = state["ndim"]
            stats = {k: np.asarray(state[k], dtype=np.float64).reshape(-1)
                     for k in self.STATE_KEYS}
        except (KeyError, TypeError, ValueError, IndexError, OverflowError) as exc:
            raise SpecError(f"{self.owner}: the saved statistics are incomplete ({exc}). "
                            f"Expected a dict with 'ndim' and lists {list(self.STATE_KEYS)}.") \
                from None
        sizes = {v.size for v in stats.values()}
        if (isinstance(ndim, bool) or not isinstance(ndim, int) or not 1 <= ndim <= 32
                or len(sizes) != 1 or 0 in sizes
                or not all(np.isfinite(v).all() for v in stats.values())):
            raise SpecError(f"{self.owner}: the saved statistics are damaged: expected 'ndim' "
                            "from 1 to 32 and finite lists of one length for "
                            f"{list(self.STATE_KEYS)}. Received: {str(state)[:120]}")
        self.ndim, self.stats = ndim, stats


class Standardize(_Statistics):
    OP = "standardize"
    DESCRIPTION = "Subtract the training mean and divide by the training standard deviation."
    STATE_KEYS = ("mean", "std")

    def _compute(self, xp, x, axes):
        mean = x.mean(axis=axes, dtype=xp.float64)
        std = xp.sqrt(x.var(axis=axes, dtype=xp.float64))
        return {"mean": mean, "std": std}

    def transform(self, x):
        # (x - mean) / max(std, epsilon), as Keras's Normalization layer
        mean, std = self._broadcast(x, "mean"), self._broadcast(x, "std")
        xp = backend.get_array_module(x)
        return (_as_float(x, self.owner) - mean) / xp.maximum(std, EPSILON)


class MinMax(_Statistics):
    OP = "min_max"
    DESCRIPTION = "Map the training range of each feature to [0, 1]."
    STATE_KEYS = ("min", "max")

    def _compute(self, xp, x, axes):
        return {"min": x.min(axis=axes), "max": x.max(axis=axes)}

    def transform(self, x):
        low, high = self._broadcast(x, "min"), self._broadcast(x, "max")
        xp = backend.get_array_module(x)
        return (_as_float(x, self.owner) - low) / xp.maximum(high - low, EPSILON)


class OneHot(Step):
    OP = "one_hot"
    TARGET = "y"
    DESCRIPTION = "Turn class indices into one-hot rows (for categorical_crossentropy)."
    PARAMS = (Param("num_classes", INT, None, minimum=2, optional=True,
                    help="Number of classes; None learns it from the training labels."),)

    def __init__(self, owner="", **values):
        super().__init__(owner, **values)
        self.learned = None

    @property
    def fitted(self) -> bool:
        return self.num_classes is not None or self.learned is not None

    def fit(self, y):
        if self.num_classes is None:
            self.learned = int(backend.to_numpy(self._indices(y)).max()) + 1

    def transform(self, y):
        self._check_fitted()
        k = self.num_classes or self.learned
        labels = self._indices(y)
        xp = backend.get_array_module(labels)
        bad = (labels < 0) | (labels >= k)
        if bool(bad.any()):
            i = int(xp.argmax(bad))
            raise DataError(f"{self.owner}: label {int(labels[i])} (sample {i}) is not a class "
                            f"index from 0 to {k - 1}. Fix: set num_classes to at least "
                            f"{int(labels.max()) + 1}, or map the labels to 0..{k - 1}.")
        check_size(len(labels) * k * np.dtype(backend.FLOATX).itemsize,
                   f"{self.owner}: {len(labels)} one-hot rows of {k} classes",
                   "lower num_classes")
        out = xp.zeros((len(labels), k), dtype=backend.FLOATX)
        out[xp.arange(len(labels)), labels] = 1
        return out

    def _indices(self, y):
        check_real(y, self.owner)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise DataError(f"{self.owner} expects one class index per sample, shape (n,), but "
                            f"received labels of shape {tuple(y.shape)}; they may be one-hot "
                            "already. Fix: remove this step.")
        xp = backend.get_array_module(y)
        if y.dtype.kind == "f":
            if not bool(xp.all(y == xp.round(y))):
                raise DataError(f"{self.owner} expects whole-number class indices, but the "
                                "labels have fractions (a regression target?).")
            y = y.astype(xp.int64)
        return y

    def get_state(self):
        return None if self.learned is None else {"num_classes": self.learned}

    def set_state(self, state):
        learned = state.get("num_classes") if isinstance(state, dict) else None
        if isinstance(learned, bool) or not isinstance(learned, int) or learned < 2:
            raise SpecError(f"{self.owner}: the saved state must be {{'num_classes': n}} with "
                            f"an integer n >= 2. Received: {str(state)[:80]}")
        self.learned = learned


class Reshape(Step):
    OP = "reshape"
    DESCRIPTION = "Give each sample a new shape, e.g. 784 -> (28, 28, 1); one entry may be -1."
    PARAMS = (Param("shape", INTS, (-1,), minimum=1, allow_negative_one=True,
                    help="Shape of one sample, without the batch axis."),)

    def transform(self, x):
        shape = self.compute_output_shape(tuple(x.shape[1:]))
        return x.reshape((x.shape[0], *shape))

    def compute_output_shape(self, shape):
        size = int(np.prod(shape, dtype=np.int64))
        target = list(self.shape)
        if target.count(-1) > 1:
            raise ShapeError(f"{self.owner}: only one entry of `shape` may be -1. Received "
                             f"{tuple(target)}.")
        known = int(np.prod([d for d in target if d != -1], dtype=np.int64))
        if -1 in target and known and size % known == 0:
            target[target.index(-1)] = size // known
        if int(np.prod(target, dtype=np.int64)) != size:
            raise ShapeError(f"{self.owner} cannot reshape samples of shape {tuple(shape)} "
                             f"({size} values) to {tuple(self.shape)}. Fix: choose a shape "
                             f"with {size} values in all.")
        return tuple(target)


class AddChannelAxis(Step):
    OP = "add_channel_axis"
    DESCRIPTION = "Add a last axis of size 1: (28, 28) grayscale images become (28, 28, 1)."

    def transform(self, x):
        return x[..., None]

    def compute_output_shape(self, shape):
        return (*shape, 1)


class Flatten(Step):
    OP = "flatten"
    DESCRIPTION = "Flatten each sample to one vector of features."

    def transform(self, x):
        return x.reshape(x.shape[0], -1)

    def compute_output_shape(self, shape):
        return (int(np.prod(shape, dtype=np.int64)),)


#: Every op by name, in the order the GUI lists them.
OPS = {cls.OP: cls for cls in (Scale, MinMax, Standardize, OneHot, Reshape, AddChannelAxis,
                                Flatten)}
