"""Losses written Keras 3's way: a `Loss` subclass that implements `call(y_true, y_pred)`,
and any plain function `fn(y_true, y_pred)` (wrapped in a `LossFunctionWrapper`).

    class CustomMSE(Loss):
        def call(self, y_true, y_pred):
            return ops.mean(ops.square(y_true - y_pred), axis=-1)

Their per-sample values are written with `engine.ops`, so they are differentiable as they
are: `__call__` reduces them with ops too (Keras's `reduce_weighted_values`), and
`value_and_gradient` runs that under a private GradientTape that watches `y_pred`. The
built-in losses keep their analytic `_forward`/`_backward` pairs (the fast path).
"""

import inspect

from .. import backend, naming, ops
from ..errors import SpecError
from ..ops.core import Tensor, value_of
from ..ops.tape import GradientTape
from .base import Loss, _merge_mask, weights_like


def is_call_based(loss) -> bool:
    """Whether `loss` computes through its own `call` (or, having no `_forward`, its own
    `__call__`) rather than a built-in's analytic `_forward`/`_backward`."""
    cls = loss if isinstance(loss, type) else type(loss)
    if cls.call is not Loss.call:
        return True
    return cls._forward is Loss._forward and cls.__call__ is not Loss.__call__


# ----- Keras's Loss.__call__, with ops ---------------------------------------------------------
def call_loss(loss, y_true, y_pred, sample_weight=None):
    """`loss.call` on tensors in the loss's dtype, then masks, weights and the reduction.

    A Tensor (recorded when `y_pred` is tracked), as Keras's `Loss.__call__` returns.
    """
    in_mask = getattr(y_pred, "_keras_mask", None)  # an eager masked layer output
    y_pred = ops.convert_to_tensor(y_pred, dtype=loss.dtype)
    y_true = ops.convert_to_tensor(y_true, dtype=loss.dtype)
    values = loss.call(y_true, y_pred)
    out_mask = getattr(values, "_keras_mask", None)
    if in_mask is not None and out_mask is not None:
        mask = in_mask & out_mask
    else:
        mask = in_mask if in_mask is not None else out_mask
    return reduce_weighted(ops.convert_to_tensor(values), sample_weight, mask, loss.reduction)


def reduce_weighted(values, sample_weight=None, mask=None, reduction="sum_over_batch_size"):
    """Keras `reduce_weighted_values` on a Tensor, differentiable through `values`.

    Weights and masks are data (never differentiated); they are aligned to the values as
    the built-in losses align them (one weight per sample, or one per value).
    """
    raw = value_of(values)
    xp = backend.get_array_module(raw)
    weights = None
    if sample_weight is not None and raw.ndim == 0:
        # A loss that already averaged its batch: Keras broadcasts the scalar over the weights.
        weights = xp.asarray(value_of(sample_weight), dtype=raw.dtype)
    elif sample_weight is not None:
        weights = weights_like(raw, sample_weight)
    if mask is not None:
        weights = _merge_mask(weights, xp.asarray(mask), reduction, raw.dtype)
    if weights is not None:
        values = values * weights
    shape = tuple(value_of(values).shape)
    if reduction in (None, "none") or shape in ((), (0,)):
        return values
    total = ops.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weights is not None:
        divisor = float(weights.sum())
    else:
        divisor = float(value_of(values).size)
    return total / divisor if divisor else total * 0.0  # Keras's divide_no_nan


# ----- the gradient by the tape -------------------------------------------------------------------
def tape_value_and_gradient(loss, y_true, y_pred, sample_weight=None):
    """`(loss value, dloss/dy_pred)` as arrays, by backprop through `loss(...)`.

    For reduction `"none"` the gradient is that of the sum of the values, as the built-in
    losses' `value_and_gradient` gives it.
    """
    pred = value_of(y_pred)
    leaf = Tensor(pred if pred.dtype.kind == "f" else pred.astype(backend.FLOATX))
    with GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(leaf)
        value = loss(y_true, leaf, sample_weight)
    if not isinstance(value, Tensor) or value.node is None:
        grad = None
    else:
        grad = tape.gradient(value, leaf)
    xp = backend.get_array_module(leaf.value)
    grad = xp.zeros_like(leaf.value) if grad is None else value_of(grad)
    return _as_array(value, leaf.value), grad


def _as_array(value, like):
    xp = backend.get_array_module(like)
    value = value_of(value)
    return xp.asarray(value, dtype=value.dtype if hasattr(value, "dtype") else like.dtype)


# ----- functions ----------------------------------------------------------------------------------
class LossFunctionWrapper(Loss):
    """A `Loss` around a function `fn(y_true, y_pred, **kwargs)` of per-sample values.

    What `compile(loss=fn)` makes of a plain function (named after it). Targets and
    predictions of ranks that differ by a trailing 1 are aligned first, as in Keras.

    Args:
        fn: The function; written with `engine.ops` (or Tensor operators).
        reduction: See `Loss`.
        name: Defaults to `"loss_function_wrapper"`.
        **kwargs: Passed to `fn` on every call.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise SpecError(f"LossFunctionWrapper needs a function fn(y_true, y_pred). "
                            f"Received: fn={fn!r}")
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = ops_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config["fn"] = function_config(self.fn, "loss")
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.pop("fn", None)
        if isinstance(fn, dict):
            fn = function_from_config(fn, "loss")
        return cls(fn, **config)

    def __repr__(self):
        return f"<LossFunctionWrapper({self.fn!r}, kwargs={self._fn_kwargs})>"


def ops_same_rank(y_true, y_pred):
    """Keras `squeeze_or_expand_to_same_rank` on tensors (a trailing axis of 1)."""
    r1, r2 = len(y_true.shape), len(y_pred.shape)
    if r1 == r2 + 1 and y_true.shape[-1] == 1:
        if r2 == 1:
            return y_true, ops.expand_dims(y_pred, -1)
        return ops.squeeze(y_true, axis=-1), y_pred
    if r2 == r1 + 1 and y_pred.shape[-1] == 1:
        if r1 == 1:
            return ops.expand_dims(y_true, -1), y_pred
        return y_true, ops.squeeze(y_pred, axis=-1)
    return y_true, y_pred


def function_name(fn) -> str:
    """Keras's `get_object_name` for a function: its snake-case `__name__`."""
    name = getattr(fn, "__name__", None) or type(fn).__name__
    return naming.snake_case(name) if name[:1].isupper() else name


def wrap_function(fn) -> Loss:
    """What compile() makes of a plain loss function (Keras `get_loss`), named after it.

    One of the engine's own functions (`losses.mean_squared_error`) becomes its Loss class
    with the defaults: the same values, and the analytic (and fused) gradient.
    """
    from .wrappers import LOSS_CLASSES  # noqa: PLC0415 - wrappers imports this package

    cls = LOSS_CLASSES.get(fn)
    if cls is not None:
        return cls(name=fn.__name__)
    return LossFunctionWrapper(fn, name=function_name(fn))


# ----- functions as data: by name, never code ------------------------------------------------------
def function_config(fn, what: str) -> dict:
    """A function as Keras writes it: `{"module", "class_name": "function", "config": name,
    "registered_name"}`. Only the name is stored; loading finds the function again among the
    engine's functions, the registered ones or `custom_objects`."""
    registered = getattr(fn, "_registered_name", None) or _engine_function_name(fn, what)
    return {"module": getattr(fn, "__module__", None), "class_name": "function",
            "config": registered or function_name(fn), "registered_name": registered}


def engine_functions() -> dict:
    """The engine's own loss and metric functions, by name (Keras's public functions)."""
    from ..metrics import functions as metric_functions  # noqa: PLC0415 - imports this module
    from . import wrappers as loss_wrappers  # noqa: PLC0415 - imports this module

    return {**loss_wrappers.FUNCTIONS,
            **{fn.__name__: fn for fn in metric_functions.ACCURACY_FUNCTIONS}}


def _engine_function_name(fn, what):
    name = getattr(fn, "__name__", None)
    return name if engine_functions().get(name) is fn else None


def function_from_config(config: dict, what: str):
    """The function a `{"class_name": "function", "config": name}` names, or a SpecError
    that says how to make it known."""
    from .. import registry  # noqa: PLC0415

    name = config.get("config")
    fn = registry.scoped_object(name) if isinstance(name, str) else None
    if fn is None and isinstance(name, str):
        fn = engine_functions().get(name) or _registered_function(name)
    if fn is None or inspect.isclass(fn) or not callable(fn):
        raise SpecError(
            f"Unknown {what} function {name!r}. Functions are saved by name only: pass it "
            f"when loading, custom_objects={{{name!r}: {name}}}, or register it with "
            "engine.saving.register_keras_serializable().")
    return fn


def _registered_function(name):
    from .. import registry  # noqa: PLC0415

    for kind in ("function", "loss", "metric"):
        found = registry.lookup(kind, name)
        if found is not None and not inspect.isclass(found):
            return found
    return None
