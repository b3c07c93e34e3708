"""The Metric base class and the running weighted `Mean` that most metrics build on.

Built-in metrics keep their running totals as arrays on the data's device (NumPy or CuPy),
created at the first `update_state`, so updating after each batch never waits for the GPU;
`result()` is where a number comes back to the host (as a Python float, or a NumPy array).
Totals are float64 so long runs do not lose counts.

A user's metric is written as in Keras 3: state in `self.add_variable(...)` (engine
Variables the metric owns), `update_state` with ops and `variable.assign_add(...)`, and a
`result()` that may return a Tensor or a Variable; `reset_state()` zeroes every variable.
"""

import inspect

import numpy as np

from .. import backend, registry
from ..backend import get_array_module
from ..errors import SpecError
from ..losses.base import (
    Configurable,
    as_float_array,
    default_name,
    float_dtype_name,
    squeeze_or_expand_to_same_rank,
)


class Metric(Configurable):
    """Base class of stateful metrics: `update_state`, `result`, `reset_state`.

    Args:
        name: Shown in logs (`val_<name>` for validation). Defaults to the Keras name (for a
            user's class without `DEFAULT_NAME`, its snake-case class name).
        dtype: The dtype of its variables and result (`"float32"` unless given).
    """

    PARAMS: tuple = ()
    #: "up" if larger is better, "down" if smaller is better (EarlyStopping mode="auto");
    #: None (a user's class that does not say) lets the monitor go by the metric's name.
    DIRECTION = "up"
    DEFAULT_NAME = "metric"
    DESCRIPTION = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # The built-ins' default "up" is a claim about them, not about a user's metric.
        if not cls.__module__.startswith("engine.") and "DIRECTION" not in vars(cls) and \
                _declares_direction(cls) is Metric:
            cls.DIRECTION = None

    def __init__(self, name=None, dtype=None, **kwargs):
        self._check_init(name, kwargs)
        self.name = name or default_name(self, Metric)
        self._dtype = float_dtype_name(dtype, self)
        self._state: dict = {}
        self._variables: list = []

    @property
    def direction(self):
        """`DIRECTION`, under the name the EarlyStopping/monitor callbacks look up."""
        return self.DIRECTION

    @property
    def dtype(self) -> str:
        return self._dtype

    def get_config(self) -> dict:
        """`name` (and the parameters), as Keras; `dtype` when it is not float32."""
        config = super().get_config()
        if self._dtype != np.dtype(backend.FLOATX).name:
            config["dtype"] = self._dtype
        return config

    # ----- Keras 3 state: variables the metric owns ----------------------------------------
    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """A non-trainable `engine.Variable` of this metric (Keras's `add_variable`)."""
        from ..variables import Variable  # noqa: PLC0415 - variables imports the ops

        if "_variables" not in vars(self):
            raise SpecError(f"{type(self).__name__}: call super().__init__() in __init__ "
                            "before add_variable()/add_weight() (Keras asks the same).")
        variable = Variable(initializer="zeros" if initializer is None else initializer,
                            shape=tuple(shape), dtype=dtype, trainable=False,
                            aggregation=aggregation, name=name)
        variable.path = f"{self.name}/{variable.name}"
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Keras's older name for `add_variable` (zeros by default)."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self) -> list:
        """This metric's variables, then those of the metrics it holds as attributes."""
        found = list(vars(self).get("_variables", ()))
        for metric in self._submetrics():
            found.extend(metric.variables)
        return found

    def _submetrics(self) -> list:
        return [v for k, v in vars(self).items() if isinstance(v, Metric) and v is not self]

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds one batch to the running state."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state()")

    def result(self):
        """The metric over everything seen since the last reset (a Python float)."""
        raise NotImplementedError(f"{type(self).__name__} must implement result()")

    def reset_state(self) -> None:
        """Forgets everything seen (called at the start of each epoch): clears the built-in
        totals and, as Keras's default, sets every variable to zeros."""
        self._state = {}
        for variable in vars(self).get("_variables", ()):
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
        for metric in self._submetrics():
            metric.reset_state()

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Updates with one batch and returns the running result, as Keras does."""
        self.update_state(y_true, y_pred, sample_weight=sample_weight)
        return self.result()

    # ----- state helpers ---------------------------------------------------------------
    def _accumulate(self, **totals) -> None:
        """Adds each array to the running total of that name (on the arrays' device)."""
        for key, value in totals.items():
            self._state[key] = value if key not in self._state else self._state[key] + value

    def _host(self, key, default=0.0):
        """A state total as a NumPy float64 array (or `default` before any update)."""
        if key not in self._state:
            return np.asarray(default, dtype=np.float64)
        return np.asarray(backend.to_numpy(self._state[key]), dtype=np.float64)


def _declares_direction(cls):
    """The class in `cls`'s MRO that sets DIRECTION."""
    return next(k for k in inspect.getmro(cls) if "DIRECTION" in vars(k))


def samplewise_values(values, sample_weight):
    """Keras `reduce_to_samplewise_values`: one value (and weight) per sample.

    Values with more axes than the weights are averaged down to the weights' rank; both are
    then averaged over every axis but the first.
    """
    xp = get_array_module(values)
    weights = None
    if sample_weight is not None:
        weights = xp.asarray(backend.to_numpy(sample_weight) if xp is np else sample_weight,
                             dtype=values.dtype)
        values, weights = squeeze_or_expand_to_same_rank(values, weights)
        if values.ndim > weights.ndim:
            values = values.mean(axis=tuple(range(weights.ndim, values.ndim)))
        weights = xp.broadcast_to(weights, values.shape)
        values = values * weights
        if weights.ndim > 1:
            weights = weights.mean(axis=tuple(range(1, weights.ndim)))
    if values.ndim > 1:
        values = values.mean(axis=tuple(range(1, values.ndim)))
    return values, weights


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


@registry.register("metric", "mean")
class Mean(Metric):
    """Running weighted mean: `sum(values * w) / sum(w)` (the trainer's loss average).

    `update_state(values, sample_weight=None)`: e.g. `update_state(batch_loss,
    sample_weight=batch_size)` for a per-sample average of batch losses.
    """

    DIRECTION = "down"
    DEFAULT_NAME = "mean"
    DESCRIPTION = "Running weighted mean of values."

    def update_state(self, values, sample_weight=None) -> None:
        values = as_float_array(values)
        xp = get_array_module(values)
        if _is_number(sample_weight):
            # One weight for the whole batch (e.g. the batch size): Keras averages the values
            # first. Kept a Python float so no host-to-device copy happens per batch.
            weight = float(sample_weight)
            self._accumulate(total=values.mean(dtype=xp.float64) * weight, count=weight)
            return
        values, weights = samplewise_values(values, sample_weight)
        if weights is not None:
            count = weights.sum(dtype=xp.float64)
        else:
            count = float(values.shape[0] if values.ndim else 1)
        self._accumulate(total=values.sum(dtype=xp.float64), count=count)

    def result(self) -> float:
        count = float(self._host("count"))
        return float(self._host("total")) / count if count else 0.0


class MeanMetricWrapper(Mean):
    """A running Mean of per-sample values: `fn(y_true, y_pred, **kwargs)` (Keras's
    `MeanMetricWrapper(fn, name=None, dtype=None, **kwargs)`, what `metrics=[fn]` makes), or
    a built-in subclass's `_values(y_true, y_pred)` (accuracy, MAE...).

    `fn` returns one value per sample (or per element), written with ops or on arrays.
    """

    _fn = None  # set by __init__; a subclass that skips it computes through _values

    def __init__(self, fn=None, name=None, dtype=None, **kwargs):
        if isinstance(fn, str) and name is None:
            # `SparseCategoricalAccuracy("acc")`: the built-ins take their name first.
            fn, name = None, fn
        if fn is not None and not callable(fn):
            raise SpecError(f"MeanMetricWrapper needs a function fn(y_true, y_pred). "
                            f"Received: fn={fn!r}")
        fn_kwargs = kwargs if fn is not None else {}
        super().__init__(name=name, dtype=dtype, **({} if fn is not None else kwargs))
        self._fn, self._fn_kwargs = fn, fn_kwargs

    @property
    def direction(self):
        """A wrapped loss function is minimized; another function says nothing (None)."""
        if self._fn is None:
            return self.DIRECTION
        from ..losses.wrappers import LOSS_CLASSES  # noqa: PLC0415 - losses import metrics.base

        return "down" if self._fn in LOSS_CLASSES else None

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        mask = getattr(y_pred, "_keras_mask", None)  # Keras: a mask weighs the values
        if mask is not None:
            mask = backend.get_array_module(mask).asarray(mask, dtype=np.float32)
            sample_weight = mask if sample_weight is None else mask * sample_weight
        super().update_state(self._values(y_true, y_pred), sample_weight=sample_weight)

    def _values(self, y_true, y_pred):
        """Per-sample (or per-element) values to average."""
        if self._fn is None:
            raise NotImplementedError(f"{type(self).__name__} must implement _values(), or "
                                      "wrap a function: MeanMetricWrapper(fn).")
        return self._fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        if self._fn is not None:
            from ..losses.custom import function_config  # noqa: PLC0415

            config["fn"] = function_config(self._fn, "metric")
            config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.pop("fn", None)
        if isinstance(fn, dict):
            from ..losses.custom import function_from_config  # noqa: PLC0415

            fn = function_from_config(fn, "metric")
        return cls(fn, **config) if fn is not None else cls(**config)
