"""Merge layers: join two or more branches of a functional model into one tensor.

`Add`, `Subtract`, `Multiply`, `Average`, `Maximum` and `Minimum` combine inputs element by
element and need inputs of exactly the same shape: Keras also broadcasts axes of size 1, which
these layers do not support yet. `Concatenate` joins inputs along one axis.

`forward` takes a list of arrays and `backward` returns a list of gradients, one per input in
the same order.
"""

from .. import backend, registry
from ..errors import ShapeError, SpecError
from ..params import INT, Param
from .base import Layer, format_shape

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"]


class _Merge(Layer):
    """Checks the list of inputs; subclasses implement `_merge` and `_merge_backward`."""

    CATEGORY = "Merge"
    MIN_INPUTS = 2
    MAX_INPUTS: int | None = None

    def _check_count(self, input_shape) -> list[tuple]:
        """The input shapes as a list of tuples, or a ShapeError when the count is wrong."""
        is_list = isinstance(input_shape, (list, tuple)) and all(
            isinstance(s, (list, tuple)) for s in input_shape)
        shapes = [tuple(s) for s in input_shape] if is_list else [input_shape]
        count = len(shapes) if is_list else 1
        too_many = self.MAX_INPUTS is not None and count > self.MAX_INPUTS
        if count < self.MIN_INPUTS or too_many:
            wanted = (f"exactly {self.MIN_INPUTS}" if self.MAX_INPUTS == self.MIN_INPUTS
                      else f"at least {self.MIN_INPUTS}")
            received = f"{count}: {format_shape(shapes)}" if count else "none"
            fix = ("Join the extra branches first (for example with an Add layer)." if too_many
                   else f"Connect {wanted} branches to it.")
            raise ShapeError(
                f"Layer '{self.name}' ({type(self).__name__}) needs {wanted} inputs, but received "
                f"{received}. {fix}"
            )
        return shapes

    def _check_arrays(self, xs) -> list:
        """The list of input arrays, checked against the layer (batch sizes included)."""
        if not isinstance(xs, (list, tuple)):
            xs = [xs]
        self.compute_output_shape([tuple(x.shape[1:]) for x in xs])
        batches = [x.shape[0] for x in xs]
        if len(set(batches)) > 1:
            raise ShapeError(
                f"Layer '{self.name}' ({type(self).__name__}) received inputs with different "
                f"batch sizes {batches}. Feed every input the same number of samples."
            )
        return list(xs)

    def forward(self, xs, training=False):
        xs = self._check_arrays(xs)
        return self._merge(xs)

    def backward(self, grad):
        return self._merge_backward(grad)


class _ElementwiseMerge(_Merge):
    """Element-wise merges: every input must have the same shape, which is the output's."""

    def compute_output_shape(self, input_shape):
        shapes = self._check_count(input_shape)
        if any(s != shapes[0] for s in shapes):
            raise ShapeError(
                f"Layer '{self.name}' ({type(self).__name__}) needs inputs of the same shape, but "
                f"received {format_shape(shapes)}. {_same_shape_fix(shapes)}"
            )
        return shapes[0]


def _same_shape_fix(shapes: list[tuple]) -> str:
    """How to make element-wise merge inputs agree."""
    if len({len(s) for s in shapes}) == 1 and len(shapes[0]) >= 1 and all(
            s[:-1] == shapes[0][:-1] for s in shapes):
        target = max(s[-1] for s in shapes)
        odd = [s for s in shapes if s[-1] != target]
        return (f"Add a Dense({target}) at the end of each branch that gives "
                f"{format_shape(odd)}, so every input has {target} features, or use a "
                "Concatenate layer to join inputs of different sizes.")
    return ("Reshape, pool or resize the branches so they all end in the same shape, or "
            "Flatten them and use a Concatenate layer to join inputs of different sizes.")


@registry.register("layer")
class Add(_ElementwiseMerge):
    """Sums its inputs element by element.

    Input shape:
        A list of 2 or more inputs of the same shape (no broadcasting).
    Output shape:
        The inputs' shape.
    """

    DESCRIPTION = "Adds its inputs element by element (residual connections)."

    def _merge(self, xs):
        y = xs[0] + xs[1]
        for x in xs[2:]:
            y += x
        self._count = len(xs)
        return y

    def _merge_backward(self, grad):
        # d(sum)/dx_i = 1: each input gets the gradient (its own copy, so no two alias).
        return [grad] + [grad.copy() for _ in range(self._count - 1)]


@registry.register("layer")
class Subtract(_ElementwiseMerge):
    """Subtracts its second input from its first, `y = x0 - x1`.

    Input shape:
        A list of exactly 2 inputs of the same shape (no broadcasting).
    Output shape:
        The inputs' shape.
    """

    DESCRIPTION = "Subtracts the second input from the first."
    MAX_INPUTS = 2

    def _merge(self, xs):
        return xs[0] - xs[1]

    def _merge_backward(self, grad):
        return [grad, -grad]


def _products_of_others(xs) -> list:
    """For each i, the product of every array but `xs[i]` (prefix x suffix: no division)."""
    before, running = [], None
    for x in xs:
        before.append(running)
        running = x if running is None else running * x
    others, running = [None] * len(xs), None
    for i in reversed(range(len(xs))):
        parts = [p for p in (before[i], running) if p is not None]
        others[i] = parts[0] * parts[1] if len(parts) == 2 else parts[0]
        running = xs[i] if running is None else running * xs[i]
    return others


@registry.register("layer")
class Multiply(_ElementwiseMerge):
    """Multiplies its inputs element by element (gating).

    Input shape:
        A list of 2 or more inputs of the same shape (no broadcasting).
    Output shape:
        The inputs' shape.
    """

    DESCRIPTION = "Multiplies its inputs element by element (gating)."

    def _merge(self, xs):
        self._xs = xs
        y = xs[0] * xs[1]
        for x in xs[2:]:
            y *= x
        return y

    def _merge_backward(self, grad):
        # d(prod)/dx_i = product of the other inputs.
        return [grad * others for others in _products_of_others(self._xs)]


@registry.register("layer")
class Average(_ElementwiseMerge):
    """Averages its inputs element by element.

    Input shape:
        A list of 2 or more inputs of the same shape (no broadcasting).
    Output shape:
        The inputs' shape.
    """

    DESCRIPTION = "Averages its inputs element by element (ensembles)."

    def _merge(self, xs):
        self._count = len(xs)
        y = xs[0] + xs[1]
        for x in xs[2:]:
            y += x
        return y / self._count

    def _merge_backward(self, grad):
        share = grad / self._count  # d(mean)/dx_i = 1/n
        return [share] + [share.copy() for _ in range(self._count - 1)]


class _ExtremumMerge(_ElementwiseMerge):
    """Maximum / Minimum: the gradient goes to the winning input (ties: the first one)."""

    #: "argmax" or "argmin": both return the first index on ties.
    PICK = "argmax"

    def _merge(self, xs):
        xp = backend.get_array_module(*xs)
        stacked = xp.stack(xs)
        self._winner = getattr(xp, self.PICK)(stacked, axis=0)
        self._count = len(xs)
        return xp.take_along_axis(stacked, self._winner[None], axis=0)[0]

    def _merge_backward(self, grad):
        return [grad * (self._winner == i) for i in range(self._count)]


@registry.register("layer")
class Maximum(_ExtremumMerge):
    """Element-wise maximum of its inputs.

    Input shape:
        A list of 2 or more inputs of the same shape (no broadcasting).
    Output shape:
        The inputs' shape.
    """

    DESCRIPTION = "Element-wise maximum of its inputs."
    PICK = "argmax"


@registry.register("layer")
class Minimum(_ExtremumMerge):
    """Element-wise minimum of its inputs.

    Input shape:
        A list of 2 or more inputs of the same shape (no broadcasting).
    Output shape:
        The inputs' shape.
    """

    DESCRIPTION = "Element-wise minimum of its inputs."
    PICK = "argmin"


@registry.register("layer")
class Concatenate(_Merge):
    """Joins its inputs along `axis`.

    Args:
        axis: The axis to join along; the batch axis counts as 0, so `-1` (the default) is the
            last axis (features or channels).

    Input shape:
        A list of 2 or more inputs of the same rank whose shapes agree on every axis but
        `axis`.
    Output shape:
        The common shape, with the sizes along `axis` added up.
    """

    DESCRIPTION = "Joins its inputs along one axis (features or channels by default)."
    PARAMS = (Param("axis", INT, -1, help="Axis to join along (-1 = the last axis)."),)

    def __init__(self, axis=-1, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(axis=axis)
        if self.axis == 0:
            raise SpecError(
                f"{self.name}: `axis` counts the batch axis as 0, and Concatenate cannot join "
                "samples of the batch. Received: axis=0. Use axis=-1 to join features."
            )

    def compute_output_shape(self, input_shape):
        shapes = self._check_count(input_shape)
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise ShapeError(
                f"Layer '{self.name}' (Concatenate) needs inputs of the same rank, but received "
                f"{format_shape(shapes)}. Flatten or Reshape the branches first."
            )
        axis = self._batchless_axis(rank, shapes)
        others = {s[:axis] + s[axis + 1:] for s in shapes}
        if len(others) > 1:
            raise ShapeError(
                f"Layer '{self.name}' (Concatenate) joins inputs along axis {self.axis}, so every "
                f"other axis must match, but received {format_shape(shapes)}. Pool or resize the "
                "branches so they agree on those axes, or Flatten each branch first."
            )
        joined = sum(s[axis] for s in shapes)
        return shapes[0][:axis] + (joined,) + shapes[0][axis + 1:]

    def _batchless_axis(self, rank: int, shapes) -> int:
        """Index of `self.axis` in a batch-less shape of `rank`, or a ShapeError."""
        full = rank + 1
        if not -full <= self.axis < full or self.axis % full == 0:
            raise ShapeError(
                f"Layer '{self.name}' (Concatenate) has axis={self.axis}, but its inputs "
                f"{format_shape(shapes)} have axes 1..{rank} (or -{rank}..-1) besides the batch "
                "axis 0. Use axis=-1 to join along the last axis."
            )
        return self.axis % full - 1

    def _merge(self, xs):
        xp = backend.get_array_module(*xs)
        self._axis = self.axis % xs[0].ndim
        self._sizes = [x.shape[self._axis] for x in xs]
        return xp.concatenate(xs, axis=self._axis)

    def _merge_backward(self, grad):
        xp = backend.get_array_module(grad)
        offsets, total = [], 0
        for size in self._sizes[:-1]:
            total += size
            offsets.append(total)
        return xp.split(grad, offsets, axis=self._axis)
