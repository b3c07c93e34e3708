"""Dot: the dot product of two inputs along one axis each, per sample (Keras's batch_dot).

With `x` and `y` moved so the summed axes meet, `out[b, i, j] = sum_d x[b, i, d] y[b, d, j]`
(`i` runs over x's other axes, `j` over y's). Two flat inputs `(d,)` give `(1,)`. With
`normalize=True` each input is first L2-normalized along its axis, so the result is the
cosine similarity.
"""

from .. import registry
from ..backend import get_array_module
from ..errors import ShapeError
from ..params import BOOL, INTS, Param
from .base import Layer, format_shape

__all__ = ["Dot"]

_EPSILON = 1e-12  # Keras's l2 normalize: x / sqrt(max(sum x^2, 1e-12))


@registry.register("layer")
class Dot(Layer):
    """Dot product between samples of two inputs.

    Args:
        axes: The axis of each input to sum over (counting the batch axis as 0, as Keras
            does), an int for both or two ints. Defaults to `-1` (Keras requires it).
        normalize: L2-normalize both inputs along `axes` first (cosine similarity).

    Input shape:
        A list of 2 inputs whose `axes` have the same size.
    Output shape:
        x's other axes followed by y's other axes; `(1,)` for two flat inputs.
    """

    CATEGORY = "Merge"
    DESCRIPTION = "Dot product of two inputs along an axis (cosine similarity if normalized)."
    MIN_INPUTS = 2
    MAX_INPUTS = 2
    PARAMS = (
        Param("axes", INTS, (-1, -1), length=2,
              help="Axis of each input to sum over (batch axis = 0; -1 = last)."),
        Param("normalize", BOOL, False,
              help="L2-normalize the inputs first, giving the cosine similarity."),
    )

    def __init__(self, axes=-1, normalize=False, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(axes=axes, normalize=normalize)

    def _axes_for(self, shapes) -> tuple[int, int]:
        """The two axes as positive indices into the batch-including tensors."""
        axes = []
        for axis, shape in zip(self.axes, shapes):
            rank = len(shape) + 1
            positive = axis % rank if -rank <= axis < rank else None
            if positive in (None, 0):
                raise ShapeError(
                    f"Layer '{self.name}' (Dot): axis {axis} is not a feature axis of an input "
                    f"of shape {format_shape(shape)}. Expected an axis from 1 to {rank - 1} "
                    "(or a negative one); axis 0 is the batch.")
            axes.append(positive)
        return tuple(axes)

    def compute_output_shape(self, input_shape):
        if not (isinstance(input_shape, list) and len(input_shape) == 2):
            count = len(input_shape) if isinstance(input_shape, list) else 1
            raise ShapeError(f"Layer '{self.name}' (Dot) needs exactly 2 inputs, but received "
                             f"{count}. Connect two branches to it.")
        x, y = (tuple(s) for s in input_shape)
        a, b = self._axes_for([x, y])
        if x[a - 1] != y[b - 1]:
            raise ShapeError(
                f"Layer '{self.name}' (Dot): the summed axes must have one size, but input 0 "
                f"{format_shape(x)} has {x[a - 1]} on axis {a} and input 1 {format_shape(y)} "
                f"has {y[b - 1]} on axis {b}. Change `axes` or project one input with Dense.")
        rest = x[:a - 1] + x[a:] + y[:b - 1] + y[b:]
        return rest if rest else (1,)

    def forward(self, xs, training=False):
        x, y = xs
        self.compute_output_shape([tuple(x.shape[1:]), tuple(y.shape[1:])])
        a, b = self._axes_for([x.shape[1:], y.shape[1:]])
        self._ab, self._shapes = (a, b), (x.shape, y.shape)
        if self.normalize:
            x, self._x_norm = _l2_normalize(x, a)
            y, self._y_norm = _l2_normalize(y, b)
        xm = get_array_module(x).moveaxis(x, a, -1)  # (B, ..., d)
        ym = get_array_module(y).moveaxis(y, b, 1)  # (B, d, ...)
        self._moved_shapes = (xm.shape, ym.shape)
        self._x2 = xm.reshape(x.shape[0], -1, xm.shape[-1])  # (B, M, d)
        self._y2 = ym.reshape(y.shape[0], ym.shape[1], -1)  # (B, d, N)
        out = self._x2 @ self._y2  # out[b, i, j] = sum_d x[b, i, d] y[b, d, j]
        return out.reshape((x.shape[0],) + self.compute_output_shape(
            [tuple(s[1:]) for s in self._shapes]))

    def backward(self, grad):
        xp = get_array_module(grad)
        g = grad.reshape(grad.shape[0], self._x2.shape[1], self._y2.shape[2])
        # out = X Y: dX = g Y^T, dY = X^T g
        dx = (g @ self._y2.transpose(0, 2, 1)).reshape(self._moved_shapes[0])
        dy = (self._x2.transpose(0, 2, 1) @ g).reshape(self._moved_shapes[1])
        a, b = self._ab
        dx, dy = xp.moveaxis(dx, -1, a), xp.moveaxis(dy, 1, b)
        if self.normalize:
            dx = _l2_normalize_backward(dx, *self._x_norm, a)
            dy = _l2_normalize_backward(dy, *self._y_norm, b)
        return [dx, dy]


def _l2_normalize(x, axis):
    """n = x / sqrt(max(sum x^2, eps)); returns n and what backward needs."""
    xp = get_array_module(x)
    squares = (x * x).sum(axis=axis, keepdims=True)
    norm = xp.sqrt(xp.maximum(squares, _EPSILON))
    n = x / norm
    return n, (n, norm, squares > _EPSILON)


def _l2_normalize_backward(grad, n, norm, above, axis):
    """dx = (g - n sum(g n)) / norm where the norm is above eps; g / norm where clamped."""
    projected = grad - n * (grad * n).sum(axis=axis, keepdims=True)
    return get_array_module(grad).where(above, projected, grad) / norm
