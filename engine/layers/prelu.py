"""PReLU: a leaky ReLU whose negative slope `alpha` is learned (Keras's `PReLU`)."""

from .. import backend, registry
from ..errors import ShapeError
from ..params import INTS, Param
from .activation_layers import _ActivationLayer, refuse_constraint
from .base import WeightSpec, format_shape
from .core import initializer_param, regularizer_param

__all__ = ["PReLU"]


@registry.register("layer")
class PReLU(_ActivationLayer):
    """Parametric ReLU: `f(x) = x` for `x > 0`, `alpha * x` otherwise, `alpha` learned.

    `alpha` has the shape of one sample, except along `shared_axes`, where one value is
    shared (size 1). Keras's `alpha_constraint` is accepted only as `None`: the engine has no
    weight constraints.

    Args:
        alpha_initializer: How `alpha` starts. Defaults to `"zeros"` (a plain ReLU at first).
        alpha_regularizer: Optional penalty on `alpha`. Defaults to `None`.
        alpha_constraint: Must be `None`.
        shared_axes: Axes (the batch axis counts as 0) along which one `alpha` is shared, e.g.
            `[1, 2]` for one slope per channel of an image. Defaults to `None` (no sharing).

    Input shape:
        Any.
    Output shape:
        Same as the input.
    """

    supports_masking = True  # a mask passes through unchanged, as in Keras

    DESCRIPTION = "Leaky ReLU whose negative slope (alpha) is learned."
    PARAMS = (
        initializer_param("alpha_initializer", "zeros", help="How the slopes (alpha) start."),
        regularizer_param("alpha_regularizer", help="Penalty on alpha added to the loss."),
        Param("shared_axes", INTS, None, minimum=1, optional=True,
              help="Axes sharing one alpha, e.g. 1, 2 for one slope per image channel."),
    )

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        refuse_constraint(self, "alpha_constraint", alpha_constraint)
        if isinstance(shared_axes, int) and not isinstance(shared_axes, bool):
            shared_axes = (shared_axes,)  # Keras wraps a single axis in a list
        self._configure(alpha_initializer=alpha_initializer,
                        alpha_regularizer=alpha_regularizer, shared_axes=shared_axes)

    def compute_output_shape(self, input_shape):
        rank = len(input_shape) if isinstance(input_shape, tuple) else 0
        for axis in self.shared_axes or ():
            if not 1 <= axis <= rank:
                raise ShapeError(
                    f"Layer '{self.name}' (PReLU) has shared_axes={list(self.shared_axes)}, but "
                    f"its input {format_shape(input_shape)} has axes 1..{rank} (0 is the "
                    "batch). Use axes of the input, e.g. 1, 2 for the rows and columns of an "
                    "image."
                )
        return tuple(input_shape)

    def weight_specs(self, input_shape):
        shape = list(input_shape)
        for axis in self.shared_axes or ():
            shape[axis - 1] = 1
        return [WeightSpec("alpha", tuple(shape), self.alpha_initializer,
                           regularizer=self.alpha_regularizer)]

    def forward(self, x, training=False):
        xp = backend.get_array_module(x)
        self._keep(_x=x)
        # y = x for x > 0, alpha * x otherwise (alpha broadcast over the batch and shared axes).
        return xp.where(x > 0, x, self.params["alpha"] * x)

    def backward(self, grad):
        xp = backend.get_array_module(grad)
        x, alpha = self._x, self.params["alpha"]
        if "alpha" in self.grads:
            # dL/dalpha = sum over the batch and shared axes of g * min(x, 0).
            reduced = (0,) + tuple(self.shared_axes or ())
            negative = grad * xp.minimum(x, 0.0)
            self.grads["alpha"][...] = negative.sum(axis=reduced, keepdims=True)[0]
        if not self.needs_input_gradient:
            return None
        # dL/dx = g for x > 0, alpha * g otherwise.
        return xp.where(x > 0, grad, alpha * grad)
