"""Keras's lower-case merge functions: `layers.add([x1, x2])` makes the merge layer and
calls it at once, on symbolic tensors (a functional model) or on arrays (eagerly).

    x = layers.concatenate([title_features, body_features, tags_input])
    block_2_output = layers.add([x, block_1_output])

Keyword arguments go to the layer (`name=...`).
"""

from .dot import Dot
from .merge import Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract

__all__ = ["add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract"]


def add(inputs, **kwargs):
    """The element-wise sum of `inputs` (a list of tensors of one shape), via `Add`."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """`inputs[0] - inputs[1]` (exactly two tensors of one shape), via `Subtract`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """The element-wise product of `inputs`, via `Multiply`."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """The element-wise mean of `inputs`, via `Average`."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """The element-wise maximum of `inputs`, via `Maximum`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """The element-wise minimum of `inputs`, via `Minimum`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """`inputs` joined along `axis` (default: the last), via `Concatenate`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """The per-sample dot product of two tensors along `axes`, via `Dot`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
