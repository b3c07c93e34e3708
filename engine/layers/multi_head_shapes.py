"""Shape rules of MultiHeadAttention and the head split/merge it uses, kept apart so the
layer module holds only the computation."""

from ..errors import ShapeError, SpecError
from .attention_utils import sequence_shapes
from .base import format_shape


def check_shapes(layer, input_shape) -> list[tuple]:
    """[query, value(, key)] shapes, checked as Keras's `build` does; raises ShapeError."""
    shapes = sequence_shapes(layer, input_shape, 2, 3)
    query, value = shapes[0], shapes[1]
    key = shapes[2] if len(shapes) == 3 else value
    where = f"Layer '{layer.name}' (MultiHeadAttention)"
    if any(len(s) < 2 for s in shapes):
        raise ShapeError(
            f"{where} expects inputs with at least a sequence axis and a feature axis, "
            f"(timesteps, features), but received {format_shape(shapes)}. Add a Reshape "
            "(for example to (timesteps, 1)) before it.")
    if value[:-1] != key[:-1]:
        raise ShapeError(
            f"{where}: all dimensions of `value` and `key`, except the last one, must be "
            f"equal. Received: value {format_shape(value)} and key {format_shape(key)}. Give "
            "them the same timesteps.")
    _check_attention_axes(layer, len(query) + 1)
    return shapes


def _check_attention_axes(layer, rank: int) -> None:
    axes = layer.attention_axes
    default = tuple(range(1, rank - 1))
    if axes is None:
        return
    normalized = tuple(sorted(a % rank for a in axes))
    if normalized != default:
        raise SpecError(
            f"Layer '{layer.name}' (MultiHeadAttention): only the default `attention_axes` "
            f"(all axes but batch and features, {default} here) is supported. Received: "
            f"attention_axes={tuple(axes)}. Set it to None, or reshape so the axes to attend "
            "over come right after the batch axis and fold the others into the batch.")


def output_dim(layer, query_shape) -> int:
    """The output's last axis: `output_shape` (an int or a 1-tuple) or the query's."""
    if layer.output_shape is None:
        return query_shape[-1]
    return int(layer.output_shape[0])


def heads_first(y, num_heads: int):
    """(B, T, H*size) -> (B, H, T, size)."""
    batch, steps, width = y.shape
    return y.reshape(batch, steps, num_heads, width // num_heads).transpose(0, 2, 1, 3)


def heads_last(y):
    """(B, H, T, size) -> (B, T, H*size), contiguous."""
    batch, heads, steps, size = y.shape
    return y.transpose(0, 2, 1, 3).reshape(batch, steps, heads * size)
