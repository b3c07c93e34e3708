"""ONNX for the attention layers: MultiHeadAttention, Attention (dot and concat scores) and
AdditiveAttention, with the causal mask when the layer keeps `use_causal_mask`.

The formulas are the engine's: `probs = softmax(scores)` over the key positions, masked
scores set to -1e9 (not offset); dropout does nothing at inference. Masks that sequences
carry (Embedding `mask_zero`) are refused before conversion, as everywhere in ONNX export.
"""

import math

from .. import backend
from ..layers.attention_utils import LARGE_NEGATIVE
from .onnx_graph import TO_END


def _query_value_key(call):
    q, v = call.inputs[0], call.inputs[1]
    return q, v, call.inputs[2] if len(call.inputs) > 2 else v


def _masked_softmax(g, scores, causal: bool) -> str:
    """softmax over the last axis; with `causal`, query i sees keys j <= i only."""
    if causal:
        size = g.slice(g.op("Shape", [scores]), [-2], [TO_END], [0])  # (Tq, Tv)
        allowed = g.op("Cast", [g.op("Trilu", [g.fill(size, 1.0)], upper=0)], to=9)  # bool
        scores = g.op("Where", [allowed, scores, g.scalar(LARGE_NEGATIVE)])
    return g.op("Softmax", [scores], axis=-1)


def _pairwise_sum(g, q, k):
    """q_i + k_j for every pair: (B, Tq, 1, d) + (B, 1, Tv, d) -> (B, Tq, Tv, d)."""
    return g.op("Add", [g.unsqueeze(q, [2]), g.unsqueeze(k, [1])])


def _weight(g, layer, key):
    return g.weight(layer.params[key], key)


# ----- Attention and AdditiveAttention ----------------------------------------------------
def attention(g, call):
    layer = call.layer
    q, v, k = _query_value_key(call)
    if layer.score_mode == "dot":
        # scores = scale * q k^T
        scores = g.op("MatMul", [q, g.transpose(k, (0, 2, 1))])
        if layer.use_scale:
            scores = g.op("Mul", [scores, _weight(g, layer, "scale")])
    else:
        # scores = w * sum_d tanh(scale * (q_i + k_j))
        total = _pairwise_sum(g, q, k)
        if layer.use_scale:
            total = g.op("Mul", [total, _weight(g, layer, "scale")])
        scores = g.reduce("ReduceSum", g.op("Tanh", [total]), [-1], keepdims=False)
        scores = g.op("Mul", [scores, _weight(g, layer, "concat_score_weight")])
    return g.op("MatMul", [_masked_softmax(g, scores, layer.use_causal_mask), v])


def additive_attention(g, call):
    # scores = sum_d scale_d * tanh(q_id + k_jd)
    layer = call.layer
    q, v, k = _query_value_key(call)
    terms = g.op("Tanh", [_pairwise_sum(g, q, k)])
    if layer.use_scale:
        terms = g.op("Mul", [terms, _weight(g, layer, "scale")])
    scores = g.reduce("ReduceSum", terms, [-1], keepdims=False)
    return g.op("MatMul", [_masked_softmax(g, scores, layer.use_causal_mask), v])


# ----- MultiHeadAttention -----------------------------------------------------------------
def _project(g, layer, part, x):
    """x @ W + b with W (d, H, size) as (d, H*size), split into heads: (B, H, T, size)."""
    kernel = backend.to_numpy(layer.params[f"{part}_kernel"])
    y = g.op("MatMul", [x, g.floats(kernel.reshape(kernel.shape[0], -1), f"{part}_kernel")])
    if layer.use_bias:
        bias = backend.to_numpy(layer.params[f"{part}_bias"]).reshape(-1)
        y = g.op("Add", [y, g.floats(bias, f"{part}_bias")])
    heads = g.reshape(y, [0, 0, layer.num_heads, kernel.shape[-1]])
    return g.transpose(heads, (0, 2, 1, 3))


def multi_head_attention(g, call):
    layer = call.layer
    q, v, k = (g.reshape(x, [0, -1, shape[-1]])  # attend over every non-feature axis
               for x, shape in zip(_query_value_key(call), _qvk_shapes(call)))
    qh = g.op("Mul", [_project(g, layer, "query", q), g.scalar(1.0 / math.sqrt(layer.key_dim))])
    kh, vh = _project(g, layer, "key", k), _project(g, layer, "value", v)
    scores = g.op("MatMul", [qh, g.transpose(kh, (0, 1, 3, 2))])  # (B, H, Tq, Tv)
    context = g.op("MatMul", [_masked_softmax(g, scores, layer.use_causal_mask), vh])
    context = g.reshape(g.transpose(context, (0, 2, 1, 3)), [0, 0, -1])  # (B, Tq, H*V)
    out_kernel = backend.to_numpy(layer.params["attention_output_kernel"])
    out = g.op("MatMul", [context, g.floats(out_kernel.reshape(-1, out_kernel.shape[-1]),
                                            "attention_output_kernel")])
    if layer.use_bias:
        out = g.op("Add", [out, _weight(g, layer, "attention_output_bias")])
    # back to the query's own axes: (B, ..., out)
    lead = g.slice(g.op("Shape", [call.inputs[0]]), [0], [-1], [0])
    shape = g.op("Concat", [lead, g.ints([out_kernel.shape[-1]], "features")], axis=0)
    return g.op("Reshape", [out, shape])


def _qvk_shapes(call):
    shapes = list(call.in_shapes)
    return [shapes[0], shapes[1], shapes[2] if len(shapes) > 2 else shapes[1]]


CONVERTERS = {"Attention": attention, "AdditiveAttention": additive_attention,
              "MultiHeadAttention": multi_head_attention}
