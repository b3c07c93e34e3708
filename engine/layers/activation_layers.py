"""Activation layers with their own arguments: ReLU, LeakyReLU, ELU, Softmax and Identity.

Each is Keras's layer of the same name (`keras/src/layers/activations/`, `core/identity.py`):
the same constructor arguments, defaults and formula. The learned PReLU lives in `prelu.py`.
For the plain named functions (`"relu"`, `"tanh"`...) use `Activation` or a layer's
`activation` argument.

Each forward keeps what its backward needs, except when the model has promised that no
backward follows (`inference_only`, in predict and evaluate): then the state of the last
training forward is left untouched, so a persistent GradientTape can still use it.
"""

import warnings

from .. import backend, registry
from ..backend import zeros_operand
from ..errors import SpecError
from ..params import FLOAT, INT, Param
from .base import Layer
from .normalization import resolve_axis

__all__ = ["ELU", "Identity", "LeakyReLU", "ReLU", "Softmax", "refuse_constraint"]


def refuse_constraint(layer: Layer, argument: str, value) -> None:
    """Accepts Keras's `*_constraint=None`; any constraint is refused with a clear message."""
    if value is not None:
        raise SpecError(
            f"{layer.name}: `{argument}` is not supported: the engine has no weight constraints "
            f"yet. Expected None. Received: {argument}={value!r}"
        )


class _ActivationLayer(Layer):
    """Shared parts: the palette group, and saving backward's state outside inference."""

    CATEGORY = "Core"

    def _keep(self, **state) -> None:
        """Stores `state` as attributes for backward, unless no backward will follow."""
        if not self.inference_only:
            for key, value in state.items():
                setattr(self, key, value)


@registry.register("layer")
class ReLU(_ActivationLayer):
    """Rectified linear unit with an optional cap, leak and threshold (Keras's `ReLU`).

    `f(x) = min(x, max_value)` for `x > threshold`, and
    `f(x) = negative_slope * (x - threshold)` otherwise.

    Args:
        max_value: Largest output, `>= 0`; `None` means no cap. Defaults to `None`.
        negative_slope: Slope below the threshold, `>= 0`. Defaults to `0.0`.
        threshold: Inputs at or below it are damped (or zeroed), `>= 0`. Defaults to `0.0`.

    Input shape:
        Any.
    Output shape:
        Same as the input.
    """

    supports_masking = True  # a mask passes through unchanged, as in Keras

    DESCRIPTION = "Rectified linear unit with an optional cap, leak and threshold."
    PARAMS = (
        Param("max_value", FLOAT, None, minimum=0.0, optional=True,
              help="Largest output value (None = no cap)."),
        Param("negative_slope", FLOAT, 0.0, minimum=0.0,
              help="Slope for inputs below the threshold (0 = plain ReLU)."),
        Param("threshold", FLOAT, 0.0, minimum=0.0,
              help="Inputs at or below this value are damped or zeroed."),
    )

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, name=None,
                 trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(max_value=max_value, negative_slope=negative_slope, threshold=threshold)

    def forward(self, x, training=False):
        xp = backend.get_array_module(x)
        # y = min(x, max_value) above the threshold, negative_slope * (x - threshold) below.
        if self.threshold == 0.0:
            y = xp.maximum(x, zeros_operand(x))
        else:
            y = x * (x > self.threshold)
        if self.max_value is not None:
            y = xp.minimum(y, self.max_value, out=y)
        if self.negative_slope:
            below = x - self.threshold
            y += self.negative_slope * xp.minimum(below, zeros_operand(below), out=below)
        self._keep(_x=x)
        return y

    def backward(self, grad):
        x, threshold = self._x, self.threshold
        # dy/dx = 1 on (threshold, max_value), 0 above max_value, negative_slope below.
        passed = x > threshold
        if self.max_value is not None:
            passed &= x < self.max_value
        grad_x = grad * passed
        if self.negative_slope:
            grad_x += (grad * self.negative_slope) * (x <= threshold)
        return grad_x


@registry.register("layer")
class LeakyReLU(_ActivationLayer):
    """Leaky rectified linear unit: `f(x) = x` for `x >= 0`, `negative_slope * x` below.

    As in Keras 3, the old argument name `alpha` is still accepted, with a deprecation
    warning.

    Args:
        negative_slope: Slope for negative inputs, `>= 0`. Defaults to `0.3` (the
            `leaky_relu` activation function's default is `0.2`).

    Input shape:
        Any.
    Output shape:
        Same as the input.
    """

    supports_masking = True  # a mask passes through unchanged, as in Keras

    DESCRIPTION = "ReLU that lets a small slope through for negative inputs."
    PARAMS = (Param("negative_slope", FLOAT, 0.3, minimum=0.0,
                    help="Slope for negative inputs."),)

    def __init__(self, negative_slope=0.3, name=None, trainable=True, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.",
                          DeprecationWarning, stacklevel=2)
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(negative_slope=negative_slope)

    def forward(self, x, training=False):
        xp = backend.get_array_module(x)
        self._keep(_x=x)
        # y = x for x >= 0, negative_slope * x below.
        return xp.where(x >= 0, x, self.negative_slope * x)

    def backward(self, grad):
        xp = backend.get_array_module(grad)
        # dy/dx = 1 for x >= 0, negative_slope below.
        return xp.where(self._x >= 0, grad, self.negative_slope * grad)


@registry.register("layer")
class ELU(_ActivationLayer):
    """Exponential linear unit: `f(x) = x` for `x >= 0`, `alpha * (exp(x) - 1)` below.

    Keras's `ELU.get_config` leaves `alpha` out (a Keras bug); here it is in the config, so
    a saved model keeps it.

    Args:
        alpha: Scale of the negative part (it saturates at `-alpha`). Defaults to `1.0`.

    Input shape:
        Any.
    Output shape:
        Same as the input.
    """

    supports_masking = True  # a mask passes through unchanged, as in Keras

    DESCRIPTION = "Exponential linear unit: smooth, saturating to -alpha for negative inputs."
    PARAMS = (Param("alpha", FLOAT, 1.0, help="Scale of the negative part."),)

    def __init__(self, alpha=1.0, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(alpha=alpha)

    def forward(self, x, training=False):
        xp = backend.get_array_module(x)
        # y = x for x >= 0, alpha * (exp(x) - 1) below (the minimum keeps exp from overflowing).
        y = xp.where(x >= 0, x, self.alpha * xp.expm1(xp.minimum(x, 0.0)))
        self._keep(_x=x, _y=y)
        return y

    def backward(self, grad):
        xp = backend.get_array_module(grad)
        # dy/dx = 1 for x >= 0, alpha * exp(x) = y + alpha below.
        return xp.where(self._x >= 0, grad, grad * (self._y + self.alpha))


@registry.register("layer")
class Softmax(_ActivationLayer):
    """Softmax along one axis: `f(x) = exp(x - max(x)) / sum(exp(x - max(x)))`.

    Keras's call argument `mask` is not supported, nor an `axis` list; the axis cannot be the
    batch axis (that would mix the samples of a batch).

    Args:
        axis: The axis to normalize along (the batch axis counts as 0). Defaults to `-1`.

    Input shape:
        Any, with the axis `axis`.
    Output shape:
        Same as the input.
    """

    supports_masking = True  # a mask passes through unchanged, as in Keras

    DESCRIPTION = "Turns scores into probabilities that sum to 1 along an axis."
    PARAMS = (Param("axis", INT, -1, help="Axis the probabilities sum to 1 along (-1 = last)."),)

    def __init__(self, axis=-1, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        if isinstance(axis, (list, tuple)) and len(axis) == 1:
            axis = axis[0]
        self._configure(axis=axis)
        if self.axis == 0:
            raise SpecError(
                f"{self.name}: `axis` counts the batch axis as 0, and a softmax over the batch "
                "would mix the samples. Received: axis=0. Use axis=-1 for the last axis."
            )

    def compute_output_shape(self, input_shape):
        resolve_axis(self, input_shape)
        return tuple(input_shape)

    def forward(self, x, training=False):
        xp = backend.get_array_module(x)
        axis = self.axis % x.ndim
        # y = exp(x - max(x)) / sum(exp(x - max(x))), in one new array.
        y = x - x.max(axis=axis, keepdims=True)
        xp.exp(y, out=y)
        y /= y.sum(axis=axis, keepdims=True)
        self._keep(_y=y)
        return y

    def backward(self, grad):
        y = self._y
        # dL/dx = y * (g - sum(g * y)) along the axis.
        return y * (grad - (grad * y).sum(axis=self.axis % y.ndim, keepdims=True))


@registry.register("layer")
class Identity(_ActivationLayer):
    """Returns its input unchanged: a placeholder where no operation is wanted.

    Input shape:
        Any.
    Output shape:
        Same as the input.
    """

    supports_masking = True  # a mask passes through unchanged, as in Keras

    DESCRIPTION = "Passes its input through unchanged (a placeholder)."

    def forward(self, x, training=False):
        return x

    def backward(self, grad):
        # y = x, so dL/dx = dL/dy.
        return grad
