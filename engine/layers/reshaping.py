"""Reshaping layers (channels-last): Flatten, Reshape, Permute, RepeatVector, ZeroPadding2D,
UpSampling2D and Cropping2D. None has weights; each backward undoes its forward's data
movement (reshape back, inverse permutation, sum over copies, slice out padding).
"""

import math

from .. import backend, registry
from ..errors import ShapeError, SpecError
from ..params import INT, INTS, STR, Param
from .base import Layer, check_rank, format_shape

__all__ = ["Flatten", "Reshape", "Permute", "RepeatVector", "ZeroPadding2D", "UpSampling2D",
           "Cropping2D"]

_IMAGE_HINT = "It expects (height, width, channels) per sample; add a Reshape layer before it."


@registry.register("layer")
class Flatten(Layer):
    """Flattens each sample to one axis (channels-last order, as Keras).

    Input shape:
        `(batch, ...)`.
    Output shape:
        `(batch, product of the other axes)`.
    """

    CATEGORY = "Reshaping"
    DESCRIPTION = "Flattens each sample to a vector, e.g. (28, 28, 1) -> (784,)."

    def __init__(self, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)

    def compute_output_shape(self, input_shape):
        return (math.prod(input_shape),)

    def forward(self, x, training=False):
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad):
        return grad.reshape(self._shape)


@registry.register("layer")
class Reshape(Layer):
    """Gives each sample a new shape with the same number of values.

    Keras requires `target_shape`; here it defaults to `(-1,)` (flatten) so the GUI palette
    can create the layer without arguments.

    Args:
        target_shape: The new shape without the batch axis; one entry may be `-1`, inferred
            from the others. Defaults to `(-1,)`.

    Input shape:
        `(batch, ...)`.
    Output shape:
        `(batch, *target_shape)` with the `-1` filled in.
    """

    CATEGORY = "Reshaping"
    DESCRIPTION = "Gives each sample a new shape with the same number of values."
    PARAMS = (Param("target_shape", INTS, (-1,), minimum=1, allow_negative_one=True,
                    help="New shape without the batch axis; one entry may be -1 (inferred)."),)

    def __init__(self, target_shape=(-1,), name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        if isinstance(target_shape, int) and not isinstance(target_shape, bool):
            target_shape = (target_shape,)
        self._configure(target_shape=target_shape)
        if not self.target_shape:
            raise SpecError(f"{self.name}: `target_shape` must have at least one entry. "
                            "Received: target_shape=()")
        if self.target_shape.count(-1) > 1:
            raise SpecError(
                f"{self.name}: `target_shape` may contain at most one -1 (the inferred axis). "
                f"Received: target_shape={self.target_shape}"
            )

    def compute_output_shape(self, input_shape):
        size = math.prod(input_shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        inferred = -1 in self.target_shape
        if (inferred and size % known) or (not inferred and size != known):
            needed = f"a multiple of {known}" if inferred else str(known)
            raise ShapeError(
                f"Layer '{self.name}' (Reshape) cannot reshape an input of shape "
                f"{format_shape(input_shape)} ({size} values) to target_shape "
                f"{self.target_shape} ({needed} values). Choose a target_shape whose sizes "
                f"multiply to {size}."
            )
        return tuple(size // known if d == -1 else d for d in self.target_shape)

    def forward(self, x, training=False):
        self._shape = x.shape
        return x.reshape((x.shape[0],) + self.compute_output_shape(tuple(x.shape[1:])))

    def backward(self, grad):
        return grad.reshape(self._shape)


@registry.register("layer")
class Permute(Layer):
    """Reorders the non-batch axes; `dims` is 1-based as in Keras (`(2, 1)` swaps two axes).

    Args:
        dims: A permutation of `1..rank`. Defaults to `(2, 1)` (required in Keras).

    Input shape:
        `(batch, d1, ..., dk)` with `k == len(dims)`.
    Output shape:
        `(batch, d[dims[0]], ..., d[dims[k-1]])`.
    """

    CATEGORY = "Reshaping"
    DESCRIPTION = "Reorders the axes of each sample, e.g. (2, 1) swaps two axes."
    PARAMS = (Param("dims", INTS, (2, 1), minimum=1,
                    help="New order of the axes, counting from 1 (the batch axis is 0)."),)

    def __init__(self, dims=(2, 1), name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(dims=dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise SpecError(
                f"{self.name}: `dims` must be a permutation of 1..{len(self.dims)} (axes count "
                f"from 1; the batch axis cannot move). Received: dims={self.dims}"
            )

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, len(self.dims),
                   "Give `dims` one entry per input axis (batch axis excluded).")
        return tuple(input_shape[d - 1] for d in self.dims)

    def forward(self, x, training=False):
        self.compute_output_shape(tuple(x.shape[1:]))
        return x.transpose((0,) + self.dims)

    def backward(self, grad):
        inverse = [0] * (len(self.dims) + 1)
        for position, axis in enumerate((0,) + self.dims):
            inverse[axis] = position
        return grad.transpose(inverse)


@registry.register("layer")
class RepeatVector(Layer):
    """Repeats each input vector `n` times along a new axis.

    Args:
        n: Number of repeats. Defaults to `2` (required in Keras).

    Input shape:
        `(batch, features)`.
    Output shape:
        `(batch, n, features)`.
    """

    CATEGORY = "Reshaping"
    DESCRIPTION = "Repeats a vector n times: (features,) -> (n, features)."
    PARAMS = (Param("n", INT, 2, minimum=1, help="Number of repeats."),)

    def __init__(self, n=2, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(n=n)

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, 1, "It expects a vector (features,); add a Flatten first.")
        return (self.n,) + tuple(input_shape)

    def forward(self, x, training=False):
        xp = backend.get_array_module(x)
        self.compute_output_shape(tuple(x.shape[1:]))
        return xp.repeat(x[:, None, :], self.n, axis=1)

    def backward(self, grad):
        # Each input feeds n outputs: dL/dx = sum over the repeats.
        return grad.sum(axis=1)


def _sides(value):
    """Int, pair or `((top, bottom), (left, right))` -> a flat tuple of 2 or 4 ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(
            isinstance(v, (list, tuple)) for v in value):
        return tuple(value[0]) + tuple(value[1])
    return value


def _check_sides(layer, key):
    value = getattr(layer, key)
    if len(value) not in (2, 4):
        raise SpecError(
            f"{layer.name}: `{key}` must be 2 ints (symmetric height, width) or 4 ints "
            f"(top, bottom, left, right). Received: {key}={value}"
        )


def _as_four(value):
    """(top, bottom, left, right) from a 2- or 4-int setting."""
    if len(value) == 2:
        return (value[0], value[0], value[1], value[1])
    return tuple(value)


@registry.register("layer")
class ZeroPadding2D(Layer):
    """Adds rows and columns of zeros around each image.

    Args:
        padding: An int (same on every side), 2 ints `(height, width)` padded symmetrically,
            or 4 ints `(top, bottom, left, right)`. Keras's `((top, bottom), (left, right))`
            is accepted and stored as 4 ints. Defaults to `(1, 1)`.

    Input shape:
        `(batch, height, width, channels)`.
    Output shape:
        `(batch, height + top + bottom, width + left + right, channels)`.
    """

    CATEGORY = "Reshaping"
    DESCRIPTION = "Adds zeros around each image (height and width)."
    PARAMS = (Param("padding", INTS, (1, 1), minimum=0,
                    help="2 ints (height, width) or 4 ints (top, bottom, left, right)."),)

    def __init__(self, padding=(1, 1), name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(padding=_sides(padding))
        _check_sides(self, "padding")

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, 3, _IMAGE_HINT)
        top, bottom, left, right = _as_four(self.padding)
        h, w, c = input_shape
        return (h + top + bottom, w + left + right, c)

    def forward(self, x, training=False):
        xp = backend.get_array_module(x)
        self.compute_output_shape(tuple(x.shape[1:]))
        top, bottom, left, right = _as_four(self.padding)
        self._size = x.shape[1:3]
        return xp.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))

    def backward(self, grad):
        top, _, left, _ = _as_four(self.padding)
        h, w = self._size
        return grad[:, top:top + h, left:left + w, :].copy()


@registry.register("layer")
class UpSampling2D(Layer):
    """Repeats rows and columns of each image (nearest-neighbour upsampling).

    Args:
        size: Upsampling factors `(rows, columns)`; an int means both. Defaults to `(2, 2)`.
        interpolation: Only `"nearest"` is supported. Defaults to `"nearest"`.

    Input shape:
        `(batch, height, width, channels)`.
    Output shape:
        `(batch, height * size[0], width * size[1], channels)`.
    """

    CATEGORY = "Reshaping"
    DESCRIPTION = "Enlarges each image by repeating rows and columns."
    PARAMS = (
        Param("size", INTS, (2, 2), minimum=1, length=2, help="Factors for rows and columns."),
        Param("interpolation", STR, "nearest", choices=("nearest",),
              help="How new pixels are filled (nearest neighbour)."),
    )

    def __init__(self, size=(2, 2), interpolation="nearest", name=None, trainable=True,
                 **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(size=size, interpolation=interpolation)

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, 3, _IMAGE_HINT)
        h, w, c = input_shape
        return (h * self.size[0], w * self.size[1], c)

    def forward(self, x, training=False):
        xp = backend.get_array_module(x)
        n, h, w, c = x.shape
        self.compute_output_shape((h, w, c))
        sh, sw = self.size
        tiles = xp.broadcast_to(x[:, :, None, :, None, :], (n, h, sh, w, sw, c))
        return tiles.reshape(n, h * sh, w * sw, c)

    def backward(self, grad):
        # Each input pixel was copied into an sh x sw block: sum the block's gradients.
        n, hh, ww, c = grad.shape
        sh, sw = self.size
        return grad.reshape(n, hh // sh, sh, ww // sw, sw, c).sum(axis=(2, 4))


@registry.register("layer")
class Cropping2D(Layer):
    """Removes rows and columns at the edges of each image.

    Args:
        cropping: An int (same on every side), 2 ints `(height, width)` cropped
            symmetrically, or 4 ints `(top, bottom, left, right)`. Keras's
            `((top, bottom), (left, right))` is accepted and stored as 4 ints.
            Defaults to `(0, 0, 0, 0)`, Keras's `((0, 0), (0, 0))`.

    Input shape:
        `(batch, height, width, channels)`.
    Output shape:
        `(batch, height - top - bottom, width - left - right, channels)`.
    """

    CATEGORY = "Reshaping"
    DESCRIPTION = "Cuts rows and columns off the edges of each image."
    PARAMS = (Param("cropping", INTS, (0, 0, 0, 0), minimum=0,
                    help="2 ints (height, width) or 4 ints (top, bottom, left, right)."),)

    def __init__(self, cropping=((0, 0), (0, 0)), name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(cropping=_sides(cropping))
        _check_sides(self, "cropping")

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, 3, _IMAGE_HINT)
        top, bottom, left, right = _as_four(self.cropping)
        h, w, c = input_shape
        if top + bottom >= h or left + right >= w:
            raise ShapeError(
                f"Layer '{self.name}' (Cropping2D) crops {top + bottom} rows and "
                f"{left + right} columns, which leaves nothing of an input of shape "
                f"{format_shape(input_shape)}. Crop less than the height and width."
            )
        return (h - top - bottom, w - left - right, c)

    def forward(self, x, training=False):
        out_h, out_w, _ = self.compute_output_shape(tuple(x.shape[1:]))
        top, _, left, _ = _as_four(self.cropping)
        self._shape = x.shape
        return x[:, top:top + out_h, left:left + out_w, :]

    def backward(self, grad):
        xp = backend.get_array_module(grad)
        top, _, left, _ = _as_four(self.cropping)
        dx = xp.zeros(self._shape, dtype=grad.dtype)
        dx[:, top:top + grad.shape[1], left:left + grad.shape[2], :] = grad
        return dx
