"""ONNX for the reshaping and merge layers: Flatten, Reshape, Permute, RepeatVector,
ZeroPadding1D/2D, Cropping1D/2D, UpSampling1D/2D, CenterCrop (when it only crops), the
element-wise merges, Concatenate and Dot.

Shapes keep the batch axis dynamic: a Reshape writes 0 ("copy the batch size") in front.
"""

import string

from ..errors import SpecError
from .onnx_graph import TO_END


def flatten(g, call):
    return g.op("Flatten", [call.x], axis=1)


def reshape(g, call):
    return g.reshape(call.x, [0, *call.layer.target_shape])


def permute(g, call):
    return g.transpose(call.x, (0, *call.layer.dims))


def repeat_vector(g, call):
    # (batch, features) -> (batch, n, features)
    return g.op("Tile", [g.unsqueeze(call.x, [1]), g.ints([1, call.layer.n, 1], "repeats")])


def _sides(value) -> tuple:
    """(top, bottom, left, right) from the 2- or 4-int setting of the 2-D layers."""
    return (value[0], value[0], value[1], value[1]) if len(value) == 2 else tuple(value)


def _pad(g, x, rank, befores, afters):
    """Zero padding of the spatial axes 1..k of a channels-last tensor."""
    zeros = [0] * (rank - 1 - len(befores))
    pads = [0, *befores, *zeros, 0, *afters, *zeros]
    return g.op("Pad", [x, g.ints(pads, "pads")], mode="constant")


def zero_padding_1d(g, call):
    start, end = call.layer.padding
    return _pad(g, call.x, call.rank, [start], [end])


def zero_padding_2d(g, call):
    top, bottom, left, right = _sides(call.layer.padding)
    return _pad(g, call.x, call.rank, [top, left], [bottom, right])


def _crop(g, x, befores, afters):
    ends = [-a if a else TO_END for a in afters]
    return g.slice(x, list(befores), ends, list(range(1, len(befores) + 1)))


def cropping_1d(g, call):
    return _crop(g, call.x, [call.layer.cropping[0]], [call.layer.cropping[1]])


def cropping_2d(g, call):
    top, bottom, left, right = _sides(call.layer.cropping)
    return _crop(g, call.x, [top, left], [bottom, right])


def _upsample(g, x, factors):
    # nearest neighbour with whole factors: out[i] = in[floor(i / factor)], exactly
    scales = g.floats([1.0, *factors, 1.0], "scales")
    return g.op("Resize", [x, "", scales], mode="nearest",
                coordinate_transformation_mode="asymmetric", nearest_mode="floor")


def upsampling_1d(g, call):
    return _upsample(g, call.x, [float(call.layer.size)])


def upsampling_2d(g, call):
    return _upsample(g, call.x, [float(s) for s in call.layer.size])


def center_crop(g, call):
    layer = call.layer
    h, w, _ = call.shape
    if h is None or w is None or h < layer.height or w < layer.width:
        _refuse_resize(call)
    top, left = (h - layer.height) // 2, (w - layer.width) // 2
    return g.slice(call.x, [top, left], [top + layer.height, left + layer.width], [1, 2])


def _refuse_resize(call):
    layer = call.layer
    raise SpecError(
        f"Layer '{layer.name}' (CenterCrop): ONNX export supports a pure crop, "
        f"from an input of known size at least {layer.height}x{layer.width}, but the input "
        f"is {call.shape}, which the layer would resize. Resize the images before the "
        "model, or use Cropping2D.")


# ----- merges -----------------------------------------------------------------------------
def _variadic(op_type):
    return lambda g, call: g.op(op_type, call.inputs)


def subtract(g, call):
    return g.op("Sub", call.inputs)


def multiply(g, call):
    y = call.inputs[0]
    for x in call.inputs[1:]:
        y = g.op("Mul", [y, x])
    return y


def concatenate(g, call):
    return g.op("Concat", call.inputs, axis=call.layer.axis)


def dot(g, call):
    """Keras's batch_dot as one Einsum: x's other axes, then y's; `(1,)` for flat inputs."""
    layer = call.layer
    ranks = [len(s) + 1 for s in call.in_shapes]
    a, b = (axis % rank for axis, rank in zip(layer.axes, ranks))
    x, y = call.inputs
    if layer.normalize:
        x, y = _l2_normalize(g, x, a), _l2_normalize(g, y, b)
    letters = iter(string.ascii_lowercase[2:])
    x_axes = ["b"] + [next(letters) for _ in range(ranks[0] - 1)]
    y_axes = ["b"] + [next(letters) for _ in range(ranks[1] - 1)]
    y_axes[b] = x_axes[a] = "a"
    kept = [c for c in x_axes[1:] + y_axes[1:] if c != "a"]
    equation = f"{''.join(x_axes)},{''.join(y_axes)}->b{''.join(kept)}"
    out = g.op("Einsum", [x, y], equation=equation)
    return out if kept else g.unsqueeze(out, [1])


def _l2_normalize(g, x, axis):
    # n = x / sqrt(max(sum x^2, 1e-12)), as the engine's Dot
    from ..layers.dot import _EPSILON  # noqa: PLC0415

    squares = g.reduce("ReduceSum", g.op("Mul", [x, x]), [axis], keepdims=True)
    return g.op("Div", [x, g.op("Sqrt", [g.op("Max", [squares, g.scalar(_EPSILON)])])])


CONVERTERS = {
    "Flatten": flatten,
    "Reshape": reshape,
    "Permute": permute,
    "RepeatVector": repeat_vector,
    "ZeroPadding1D": zero_padding_1d,
    "ZeroPadding2D": zero_padding_2d,
    "Cropping1D": cropping_1d,
    "Cropping2D": cropping_2d,
    "UpSampling1D": upsampling_1d,
    "UpSampling2D": upsampling_2d,
    "CenterCrop": center_crop,
    "Add": _variadic("Sum"),
    "Average": _variadic("Mean"),
    "Maximum": _variadic("Max"),
    "Minimum": _variadic("Min"),
    "Subtract": subtract,
    "Multiply": multiply,
    "Concatenate": concatenate,
    "Dot": dot,
}
