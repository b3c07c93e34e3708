"""Reshaping layers for sequences `(steps, features)`: UpSampling1D, ZeroPadding1D and
Cropping1D, the 1-D twins of `reshaping`'s image layers. None has weights; each backward
undoes its forward's data movement (sum over copies, slice out padding, pad back).
"""

from .. import backend, registry
from ..errors import ShapeError
from ..params import INT, INTS, Param
from .base import Layer, check_rank, format_shape
from .data_format import channels_last, data_format_param

__all__ = ["Cropping1D", "UpSampling1D", "ZeroPadding1D"]

_SEQUENCE_HINT = ("It expects (steps, features) per sample; add a Reshape layer, e.g. to "
                  "(steps, 1), before it.")


class _SequenceLayer(Layer):
    """Shared: the Reshaping palette group and the rank check."""

    CATEGORY = "Reshaping"

    def _check(self, input_shape) -> None:
        check_rank(self, input_shape, 2, _SEQUENCE_HINT)


@registry.register("layer")
class UpSampling1D(_SequenceLayer):
    """Repeats each step `size` times along the steps axis.

    Args:
        size: Upsampling factor. Defaults to `2`.

    Input shape:
        `(batch, steps, features)`.
    Output shape:
        `(batch, steps * size, features)`.
    """

    DESCRIPTION = "Lengthens a sequence by repeating each step."
    PARAMS = (Param("size", INT, 2, minimum=1, help="How many times each step is repeated."),)

    def __init__(self, size=2, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(size=size)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        steps, features = input_shape
        return (steps * self.size, features)

    def forward(self, x, training=False):
        self.compute_output_shape(tuple(x.shape[1:]))
        return backend.get_array_module(x).repeat(x, self.size, axis=1)

    def backward(self, grad):
        # Each input step was copied into `size` output steps: sum their gradients.
        n, steps, features = grad.shape
        return grad.reshape(n, steps // self.size, self.size, features).sum(axis=2)


@registry.register("layer")
class ZeroPadding1D(_SequenceLayer):
    """Adds zero steps at the start and end of each sequence.

    Args:
        padding: An int (the same at both ends) or 2 ints `(start, end)`. Defaults to `1`,
            stored as `(1, 1)` as Keras does.
        data_format: `"channels_last"` only (`None` means the same).

    Input shape:
        `(batch, steps, features)`.
    Output shape:
        `(batch, start + steps + end, features)`.
    """

    DESCRIPTION = "Adds zero steps at the start and end of a sequence."
    PARAMS = (Param("padding", INTS, (1, 1), minimum=0, length=2,
                    help="Zero steps added at the start and at the end."),
              data_format_param())

    def __init__(self, padding=1, data_format=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(padding=padding, data_format=channels_last(self, data_format, 1))

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        steps, features = input_shape
        return (steps + sum(self.padding), features)

    def forward(self, x, training=False):
        self.compute_output_shape(tuple(x.shape[1:]))
        self._steps = x.shape[1]
        return backend.get_array_module(x).pad(x, ((0, 0), self.padding, (0, 0)))

    def backward(self, grad):
        start = self.padding[0]
        return grad[:, start:start + self._steps].copy()


@registry.register("layer")
class Cropping1D(_SequenceLayer):
    """Removes steps at the start and end of each sequence.

    Args:
        cropping: An int (the same at both ends) or 2 ints `(start, end)`. Defaults to
            `(1, 1)`.

    Input shape:
        `(batch, steps, features)`.
    Output shape:
        `(batch, steps - start - end, features)`.
    """

    DESCRIPTION = "Cuts steps off the start and end of a sequence."
    PARAMS = (Param("cropping", INTS, (1, 1), minimum=0, length=2,
                    help="Steps removed at the start and at the end."),)

    def __init__(self, cropping=(1, 1), name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(cropping=cropping)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        steps, features = input_shape
        if sum(self.cropping) >= steps:
            raise ShapeError(
                f"Layer '{self.name}' (Cropping1D) crops {sum(self.cropping)} steps "
                f"(cropping={self.cropping}), which leaves nothing of an input of shape "
                f"{format_shape(input_shape)}. Crop fewer than {steps} steps in all."
            )
        return (steps - sum(self.cropping), features)

    def forward(self, x, training=False):
        steps, _ = self.compute_output_shape(tuple(x.shape[1:]))
        self._shape = x.shape
        start = self.cropping[0]
        return x[:, start:start + steps]

    def backward(self, grad):
        # The cropped steps did not reach the output: their gradient is zero.
        dx = backend.get_array_module(grad).zeros(self._shape, dtype=grad.dtype)
        start = self.cropping[0]
        dx[:, start:start + grad.shape[1]] = grad
        return dx
