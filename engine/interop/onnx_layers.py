"""ONNX for the core layers: Dense, Embedding, the normalizations, Rescaling, Masking, and
the layers that change nothing at inference (dropout, noise, augmentation).

Every converter is `f(graph, call) -> output name(s)`; see `onnx_graph.Call`.
"""

import numpy as np

from .. import backend
from ..errors import SpecError
from . import onnx_activations as act
from .onnx_activations import identity_layer


def _param(call, key):
    return backend.to_numpy(call.layer.params[key]).astype(np.float64)


def _axis(call) -> int:
    """The layer's `axis` as a non-negative axis of the batched tensor."""
    return call.layer.axis % call.rank


def _feature_shape(call, axis: int) -> list:
    """`[1, ..., -1, ..., 1]` (batch axis included) to broadcast a per-feature vector."""
    shape = [1] * call.rank
    shape[axis] = -1
    return shape


# ----- core -------------------------------------------------------------------------------
def dense(g, call):
    # y = activation(x @ kernel + bias), on the last axis of any rank
    layer = call.layer
    y = g.op("MatMul", [call.x, g.weight(layer.params["kernel"], "kernel")])
    if layer.use_bias:
        y = g.op("Add", [y, g.weight(layer.params["bias"], "bias")])
    return act.apply(g, layer.activation, y)


def _ids(g, x):
    """int64 ids from `x`: the integer Input itself, or whole-number floats rounded."""
    ids = g.integer_sources.get(x)
    return ids if ids is not None else g.op("Cast", [g.op("Round", [x])], to=_int64())


def embedding(g, call):
    # y = embeddings[ids]
    return g.op("Gather", [g.weight(call.layer.params["embeddings"], "embeddings"),
                           _ids(g, call.x)], axis=0)


def category_encoding(g, call):
    # one-hot rows of the ids; multi_hot takes their maximum, count their sum
    layer, ids = call.layer, _ids(g, call.x)
    if call.shape == ():
        ids = g.unsqueeze(ids, [1])  # (batch,) -> (batch, 1)
    rows = g.op("OneHot", [ids, g.ints([layer.num_tokens], "depth"), g.floats([0.0, 1.0])],
                axis=-1)  # (batch, n, num_tokens)
    if layer.output_mode == "one_hot":
        return g.squeeze(rows, [1]) if call.shape in ((), (1,)) else rows
    reduce = "ReduceMax" if layer.output_mode == "multi_hot" else "ReduceSum"
    return g.reduce(reduce, rows, [1], keepdims=False)


def _int64():
    from onnx import TensorProto  # noqa: PLC0415 - optional package

    return TensorProto.INT64


def rescaling(g, call):
    # y = x * scale + offset
    layer = call.layer
    return g.affine(call.x, layer.scale, layer.offset or None)


def masking(g, call):
    # y = x where some feature of the step differs from mask_value, else 0
    differs = g.op("Not", [g.op("Equal", [call.x, g.scalar(call.layer.mask_value)])])
    keep = g.reduce("ReduceMax", g.op("Cast", [differs], to=1), [-1], keepdims=True)
    return g.op("Mul", [call.x, keep])


# ----- normalization ----------------------------------------------------------------------
def batch_normalization(g, call):
    """Inference form: the moving statistics folded into one scale and one shift.

    y = gamma * (x - mean) / sqrt(var + eps) + beta = x * scale + (beta - mean * scale)
    """
    layer, axis = call.layer, _axis(call)
    scale = 1.0 / np.sqrt(_param(call, "moving_variance") + layer.epsilon)
    if layer.scale:
        scale = scale * _param(call, "gamma")
    shift = -_param(call, "moving_mean") * scale
    if layer.center:
        shift = shift + _param(call, "beta")
    shape = _feature_shape(call, axis)
    return g.affine(call.x, scale.reshape(shape), shift.reshape(shape))


def _normalized(g, x, axes, epsilon):
    # x_hat = (x - mean) / sqrt(var + eps), mean and (biased) var over `axes`
    centered = g.op("Sub", [x, g.reduce("ReduceMean", x, axes, keepdims=True)])
    var = g.reduce("ReduceMean", g.op("Mul", [centered, centered]), axes, keepdims=True)
    return g.op("Div", [centered, g.op("Sqrt", [g.op("Add", [var, g.scalar(epsilon)])])])


def _gamma_beta(g, call, x, axis):
    layer, shape = call.layer, _feature_shape(call, axis)
    scale = _param(call, "gamma").reshape(shape) if layer.scale else None
    shift = _param(call, "beta").reshape(shape) if layer.center else None
    return g.affine(x, scale, shift)


def layer_normalization(g, call):
    layer, axis = call.layer, _axis(call)
    if axis != call.rank - 1:
        return _gamma_beta(g, call, _normalized(g, call.x, [axis], layer.epsilon), axis)
    features = call.shape[-1]
    scale = _param(call, "gamma") if layer.scale else np.ones(features)
    inputs = [call.x, g.floats(scale, "gamma")]
    if layer.center:
        inputs.append(g.floats(_param(call, "beta"), "beta"))
    return g.op("LayerNormalization", inputs, axis=-1, epsilon=layer.epsilon)


def group_normalization(g, call):
    layer, axis = call.layer, _axis(call)
    shape = list(call.shape)
    channels = shape[axis - 1]
    groups = channels if layer.groups == -1 else layer.groups
    after = shape[axis:]
    if after.count(None) > 1:
        raise SpecError(f"Layer '{layer.name}' (GroupNormalization): ONNX export needs the "
                        f"axes after the channel axis known, but the input is {tuple(shape)}. "
                        "Give the Input fixed sizes there.")
    # [batch, leading axes (0 = copy), groups, channels per group, trailing axes]
    grouped_shape = [0] * axis + [groups, channels // groups] + [
        -1 if d is None else d for d in after]
    grouped = g.reshape(call.x, grouped_shape)
    reduced = [i for i in range(1, call.rank + 1) if i != axis]
    xhat = g.op("Reshape", [_normalized(g, grouped, reduced, layer.epsilon),
                            g.op("Shape", [call.x])])
    return _gamma_beta(g, call, xhat, axis)


def unit_normalization(g, call):
    # y = x / sqrt(max(sum(x^2), eps^2)) along the axis
    from ..layers.normalization_extra import UNIT_NORM_EPSILON  # noqa: PLC0415

    squares = g.reduce("ReduceSum", g.op("Mul", [call.x, call.x]), [_axis(call)], True)
    norm = g.op("Sqrt", [g.op("Max", [squares, g.scalar(UNIT_NORM_EPSILON ** 2)])])
    return g.op("Div", [call.x, norm])


def normalization(g, call):
    # y = (x - mean) / std, or mean + x * std when inverted (the adapted statistics)
    layer = call.layer
    sample = np.zeros((1, *[1 if d is None else d for d in call.shape]), dtype=np.float32)
    mean, std = (backend.to_numpy(a).astype(np.float64) for a in layer._statistics(sample))
    if layer.invert:
        return g.affine(call.x, std, mean)
    return g.affine(call.x, 1.0 / std, -mean / std)


IDENTITY_AT_INFERENCE = ("Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout",
                         "SpatialDropout1D", "SpatialDropout2D", "ActivityRegularization",
                         "RandomFlip", "RandomContrast", "RandomRotation", "RandomZoom",
                         "RandomTranslation")

CONVERTERS = {
    "Dense": dense,
    "Embedding": embedding,
    "CategoryEncoding": category_encoding,
    "Rescaling": rescaling,
    "Masking": masking,
    "BatchNormalization": batch_normalization,
    "LayerNormalization": layer_normalization,
    "GroupNormalization": group_normalization,
    "UnitNormalization": unit_normalization,
    "Normalization": normalization,
    **{name: identity_layer for name in IDENTITY_AT_INFERENCE},
}
