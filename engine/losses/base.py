"""The Loss base class: Keras reductions and sample weights, plus the analytic gradient of
exactly what `__call__` returns.

A built-in loss implements `_forward(y_true, y_pred) -> (values, ctx)` (the per-sample
losses and what the derivative needs) and `_backward(ctx, g) -> dL/dy_pred`, where `g` is
dL/dvalues. The reduction and its derivative live here, once, so every gradient includes it.
A user's subclass implements `call(y_true, y_pred)` with engine.ops instead, as in Keras 3;
engine/losses/custom.py reduces and differentiates it through the tape.
"""

import numpy as np

from .. import backend
from ..backend import FLOATX, get_array_module
from ..errors import ShapeError, SpecError
from ..naming import snake_case
from ..ops.core import value_of
from ..params import STR, Param, to_json_value, validate_param

EPSILON = 1e-7  # keras.backend.epsilon(): probabilities are clipped to [EPSILON, 1 - EPSILON]
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none")
REDUCTION_PARAM = Param(
    "reduction", STR, "sum_over_batch_size", choices=REDUCTIONS,
    help="How per-sample losses become one number: sum_over_batch_size divides the weighted "
         "sum by the number of values; mean_with_sample_weight by the sum of the weights.")


def shape_text(shape) -> str:
    """`(32, 10)` / `(32,)`, for messages (CuPy and NumPy shapes print alike)."""
    return repr(tuple(int(d) for d in shape))


def as_float_array(x, xp=None):
    """`x` as an array of `xp` (default: its own module); non-float data becomes float32."""
    x = value_of(x)
    xp = xp or get_array_module(x)
    if xp is np:
        x = backend.to_numpy(x)
    x = xp.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(FLOATX)


def as_array_like(x, like, dtype=None):
    """`x` on the device of `like` (NumPy or CuPy), optionally cast to `dtype`."""
    x, like = value_of(x), value_of(like)
    xp = get_array_module(like)
    if xp is np:
        x = backend.to_numpy(x)
    return xp.asarray(x) if dtype is None else xp.asarray(x, dtype=dtype)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's rule for ranks that differ by a trailing axis of size 1.

    `(batch,)` next to `(batch, 1)` becomes `(batch, 1)` (with `expand_rank_1`); otherwise
    the trailing 1 of the longer one is squeezed.
    """
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2[..., None]
        else:
            x1 = x1[..., 0]
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1[..., None]
        else:
            x2 = x2[..., 0]
    return x1, x2


def weights_like(values, sample_weight):
    """`sample_weight` as an array that broadcasts onto `values`, batch axes aligned.

    Keras squeezes a trailing 1 or expands `(batch,)` weights to `(batch, 1)`; weights with
    fewer axes are aligned from the left (one weight per sample), not NumPy's right.
    """
    if sample_weight is None:
        return None
    w = as_array_like(sample_weight, values, dtype=values.dtype)
    given = w.shape
    while w.ndim > values.ndim and w.shape[-1] == 1:
        w = w[..., 0]
    if 0 < w.ndim < values.ndim:
        w = w.reshape(w.shape + (1,) * (values.ndim - w.ndim))
    try:
        fits = np.broadcast_shapes(w.shape, values.shape) == tuple(values.shape)
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(
            f"`sample_weight` of shape {shape_text(given)} cannot be applied to loss values of "
            f"shape {shape_text(values.shape)}. Pass one weight per sample, an array of shape "
            f"{shape_text(values.shape[:1])}, or a weight per value of shape "
            f"{shape_text(values.shape)}."
        )
    return w


def divide_no_nan(xp, a, divisor):
    """`a / divisor`, 0 where the divisor is 0 (Keras `divide_no_nan`)."""
    if divisor is None:
        return a
    if isinstance(divisor, float):
        return a / divisor if divisor else a * 0.0
    safe = xp.where(divisor == 0, 1.0, divisor)
    return xp.where(divisor == 0, 0.0, a / safe)


def _merge_mask(weights, mask, reduction, dtype):
    """Keras `apply_mask`: masked-out values get weight 0; averages count valid values only."""
    m = mask.astype(dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        # mean(loss * m * total / valid) = sum(loss * m) / valid
        m = m * (m.size / (m.sum() + EPSILON))
    return m if weights is None else weights * m


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size", with_grad=False):
    """Keras `reduce_weighted_values`, and dloss/dvalues when `with_grad`.

    Returns:
        `(loss, g)`: the reduced loss (a 0-d array of `values.dtype`, or the weighted values
        for reduction `"none"`) and `g`, the derivative of the loss (of its sum for `"none"`)
        with respect to each value, shaped like `values` (`None` unless `with_grad`).
    """
    xp = get_array_module(values)
    weights = weights_like(values, sample_weight)
    if mask is not None:
        weights = _merge_mask(weights, mask, reduction, values.dtype)
    weighted = values if weights is None else values * weights
    divisor = None
    if reduction == "none":
        loss = weighted
    else:
        if reduction == "mean_with_sample_weight" and weights is not None:
            divisor = weights.sum()
        elif reduction != "sum":
            divisor = float(values.size)
        loss = divide_no_nan(xp, weighted.sum(), divisor)
    loss = xp.asarray(loss, dtype=values.dtype)
    if not with_grad:
        return loss, None
    g = xp.ones_like(values) if weights is None else xp.broadcast_to(weights, values.shape)
    return loss, divide_no_nan(xp, g, divisor).astype(values.dtype, copy=False)


def default_name(obj, base) -> str:
    """`DEFAULT_NAME` of the class, or for a user's class that sets none (it inherits the
    base's), its snake-case class name, as Keras names objects (`CustomMSE` ->
    `custom_mse`)."""
    for klass in type(obj).__mro__:
        if "DEFAULT_NAME" in vars(klass):
            return snake_case(type(obj).__name__) if klass is base else klass.DEFAULT_NAME
    return snake_case(type(obj).__name__)


def float_dtype_name(dtype, owner) -> str:
    """Keras's `dtype` argument of losses and metrics: a float dtype (default float32)."""
    if dtype is None:
        return np.dtype(FLOATX).name
    try:
        resolved = np.dtype(getattr(dtype, "name", dtype))
    except TypeError:
        resolved = None
    if resolved is None or resolved.kind != "f":
        raise SpecError(f"{type(owner).__name__}: `dtype` must be a float dtype such as "
                        f"'float32'. Received: dtype={dtype!r}")
    return resolved.name


class Configurable:
    """Declared `PARAMS`, validated and stored as attributes; `get_config` writes them back."""

    PARAMS: tuple = ()

    def _configure(self, **values) -> None:
        declared = {p.name: p for p in self.PARAMS}
        for key, value in values.items():
            owner = f"{type(self).__name__} '{self.name}'"
            setattr(self, key, validate_param(declared[key], value, owner=owner))

    def _check_init(self, name, kwargs) -> None:
        if kwargs:
            valid = ", ".join([p.name for p in self.PARAMS] + ["name"])
            raise SpecError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}. "
                f"Valid arguments: {valid}."
            )
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise SpecError(
                f"{type(self).__name__}: `name` must be a non-empty string. Received: "
                f"name={name!r}"
            )

    def get_config(self) -> dict:
        """Constructor arguments as plain JSON data (`from_config(get_config())` rebuilds)."""
        config = {"name": self.name}
        for param in self.PARAMS:
            config[param.name] = to_json_value(getattr(self, param.name))
        return config

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def to_config(self) -> dict:
        """`{"class_name", "config"}`, the form `get()` and checkpoints accept."""
        return {"class_name": type(self).__name__, "config": self.get_config()}

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


class Loss(Configurable):
    """Base class of losses: `loss(y_true, y_pred, sample_weight=None)` -> scalar.

    Args:
        reduction: `"sum_over_batch_size"` (weighted sum / number of values; alias
            `"mean"`), `"sum"`, `"mean_with_sample_weight"` (weighted sum / sum of weights)
            or `"none"` (per-sample values). Defaults to `"sum_over_batch_size"`.
        name: Defaults to the Keras snake-case name of the loss.
    """

    PARAMS = (REDUCTION_PARAM,)
    #: Activation whose backward `value_and_logits_gradient` folds in (softmax / sigmoid).
    FUSED_ACTIVATION = None
    DEFAULT_NAME = "loss"
    DESCRIPTION = ""

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        self._check_init(name, kwargs)
        self.name = name or default_name(self, Loss)
        self._dtype = float_dtype_name(dtype, self)
        self._configure(reduction="none" if reduction is None else reduction)

    @property
    def dtype(self) -> str:
        """The dtype a Keras-style `call` computes in (`"float32"` unless given)."""
        return self._dtype

    def get_config(self) -> dict:
        """Keras's: `name` and `reduction` (and the parameters); `dtype` when not float32."""
        config = super().get_config()
        if self._dtype != np.dtype(FLOATX).name:
            config["dtype"] = self._dtype
        return config

    # ----- public interface --------------------------------------------------------------
    def __call__(self, y_true, y_pred, sample_weight=None):
        """The reduced loss, a 0-d array of `y_pred`'s array module and float dtype.

        Given Tensors (or inside a `GradientTape`), the result is a Tensor whose VJP is the
        loss's analytic gradient. A subclass that implements `call` (Keras 3's way) gets
        Keras's `__call__`: `call`, then weights and reduction, all with ops (a Tensor).
        """
        from ..ops.core import Tensor, node_of, record  # noqa: PLC0415 - ops imports losses

        if type(self).call is not Loss.call:
            from .custom import call_loss  # noqa: PLC0415 - it imports engine.ops

            return call_loss(self, y_true, y_pred, sample_weight)
        tracked_pred = y_pred
        tracked = node_of(y_pred) is not None
        wrap = tracked or isinstance(y_pred, Tensor)
        y_true, y_pred = value_of(y_true), value_of(y_pred)
        sample_weight = value_of(sample_weight)
        if tracked:
            value, vjp = self._value_and_vjp(y_true, y_pred, sample_weight)
            return record(value, (None, tracked_pred), vjp)
        y_true_p, y_pred_p, _ = self._prepare(y_true, y_pred)
        values, ctx = self._forward(y_true_p, y_pred_p)
        value = reduce_weighted_values(values, sample_weight, self._mask(ctx), self.reduction)[0]
        return Tensor(value) if wrap else value

    def _value_and_vjp(self, y_true, y_pred, sample_weight):
        """(value, vjp) for recording: the VJP scales the analytic gradient
        (for reduction "none", the upstream weights each value like a sample weight)."""
        value, grad = self.value_and_gradient(y_true, y_pred, sample_weight)

        def vjp(g):
            if self.reduction != "none":
                return None, g * grad
            weights = g if sample_weight is None else g * sample_weight
            return None, self.value_and_gradient(y_true, y_pred, weights)[1]

        return value, vjp

    def call(self, y_true, y_pred):
        """Per-sample losses, shape `y_pred.shape[:-1]` (before weights and reduction)."""
        y_true, y_pred, _ = self._prepare(y_true, y_pred)
        return self._forward(y_true, y_pred)[0]

    def value_and_gradient(self, y_true, y_pred, sample_weight=None):
        """`(loss, dloss/dy_pred)`: `__call__`'s value and its analytic gradient (arrays).

        For reduction `"none"` the gradient is that of the sum of the returned values. A
        Keras-style loss (its own `call`) is differentiated by backprop through its ops.
        """
        from .custom import is_call_based, tape_value_and_gradient  # noqa: PLC0415

        if is_call_based(self):
            return tape_value_and_gradient(self, y_true, y_pred, sample_weight)
        y_true, y_pred, shape = self._prepare(y_true, y_pred)
        values, ctx = self._forward(y_true, y_pred)
        loss, g = reduce_weighted_values(values, sample_weight, self._mask(ctx),
                                         self.reduction, with_grad=True)
        return loss, self._backward(ctx, g).reshape(shape)

    # ----- subclass hooks ----------------------------------------------------------------
    def _prepare(self, y_true, y_pred):
        """Arrays on one device, `y_true` in `y_pred`'s dtype, ranks matched, shapes checked."""
        y_pred = as_float_array(y_pred)
        shape = y_pred.shape
        y_true = as_array_like(y_true, y_pred, dtype=y_pred.dtype)
        target, output = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if target.shape != output.shape:
            raise ShapeError(
                "Arguments `target` and `output` must have the same shape. Received: "
                f"target.shape={shape_text(y_true.shape)}, output.shape={shape_text(shape)}. "
                + self._shape_fix(tuple(y_true.shape), tuple(shape))
            )
        return target, output, shape

    def _shape_fix(self, target_shape, output_shape) -> str:
        want = shape_text(target_shape[1:]) if len(target_shape) > 1 else "(1,)"
        return (
            f"Make the model's last layer output one value per target, shape {want} per "
            f"sample, or reshape the targets to {shape_text(output_shape)} (loss "
            f"'{self.name}')."
        )

    def _forward(self, y_true, y_pred):
        """`(values, ctx)`: per-sample losses and what `_backward` needs."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement call(self, y_true, y_pred), returning the "
            "per-sample losses written with engine.ops (as in Keras 3); the built-in losses "
            "implement _forward/_backward instead.")

    def _backward(self, ctx, g):
        """dL/dy_pred given `g` = dL/dvalues (shaped like the values)."""
        raise NotImplementedError(f"{type(self).__name__} must implement _backward()")

    def _mask(self, ctx):
        """Boolean array of values that count (None = all); SparseCategoricalCrossentropy."""
        return None


class FusedActivationMixin:
    """`value_and_logits_gradient` for losses that pair with softmax / sigmoid outputs.

    The subclass implements `_logits_backward(y_pred, ctx, g)`: dL/dlogits given the
    probabilities `y_pred` that the activation produced.
    """

    def value_and_logits_gradient(self, y_true, y_pred, sample_weight=None):
        """`(loss, dloss/dlogits)` where `y_pred = FUSED_ACTIVATION(logits)`.

        Skips the activation's own backward: e.g. softmax + crossentropy gives
        `(p - y) * w / N`. Only for `from_logits=False`; with `from_logits=True`,
        `value_and_gradient` already differentiates with respect to the logits.
        """
        if self.from_logits:
            raise SpecError(
                f"{type(self).__name__} '{self.name}' has from_logits=True: its y_pred are "
                "already logits, so use `value_and_gradient`, which differentiates with "
                "respect to them. `value_and_logits_gradient` is for probabilities produced "
                f"by a {self.FUSED_ACTIVATION} output."
            )
        y_true, y_pred, shape = self._prepare(y_true, y_pred)
        values, ctx = self._forward(y_true, y_pred)
        loss, g = reduce_weighted_values(values, sample_weight, self._mask(ctx),
                                         self.reduction, with_grad=True)
        return loss, self._logits_backward(y_pred, ctx, g).reshape(shape)
