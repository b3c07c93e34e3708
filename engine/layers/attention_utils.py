"""Pieces shared by the attention layers: masked softmax, attention dropout, the causal mask,
and Keras-style calls that carry keyword arguments (`use_causal_mask`, masks, scores).

Masks are boolean arrays, True where attention is allowed. `combine_masks` is the one seam
where masks meet: an explicit `attention_mask`, the causal mask, and (later, once sequence
masks flow through the graph) the query and value padding masks.
"""

import numpy as np

from .. import backend
from ..backend import get_array_module
from ..errors import ShapeError, SpecError
from .base import format_shape

#: Added to masked scores before the softmax, as Keras's Softmax does for float32.
LARGE_NEGATIVE = -1e9


def softmax_forward(scores):
    """p = exp(s - max s) / sum(exp(s - max s)) over the last axis."""
    xp = get_array_module(scores)
    shifted = scores - scores.max(axis=-1, keepdims=True)
    e = xp.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_backward(probs, grad):
    """dL/ds = p * (dL/dp - sum_j dL/dp_j p_j), over the last axis."""
    return probs * (grad - (grad * probs).sum(axis=-1, keepdims=True))


def apply_mask(scores, mask):
    """s where the mask allows attention, -1e9 elsewhere. Keras adds -1e9 instead; for a row
    with any allowed position both give the same softmax (exp(-1e9) is 0), but a row masked
    whole (a padded query) would keep its scores rounded to float32's step at 1e9 (64): here
    it becomes uniform, and its scores get no gradient."""
    if mask is None:
        return scores
    xp = get_array_module(scores)
    return xp.where(mask, scores, xp.asarray(LARGE_NEGATIVE, dtype=scores.dtype))


def causal_mask(xp, tq: int, tv: int):
    """(Tq, Tv) lower triangle: query i may see keys j <= i (Keras: row >= column)."""
    return xp.tril(xp.ones((tq, tv), dtype=bool))


def combine_masks(xp, score_shape, attention_mask=None, use_causal_mask=False,
                  query_mask=None, value_mask=None):
    """One boolean mask broadcastable to `score_shape` (..., Tq, Tv), or None.

    Args:
        attention_mask: (batch, Tq, Tv) booleans (1 = attend), as Keras's argument.
        use_causal_mask: AND in the lower-triangular causal mask.
        query_mask, value_mask: (batch, Tq) / (batch, Tv) padding masks (the seam for
            sequence masks; Keras's `query._keras_mask` and `value._keras_mask`).
    """
    mask = None
    if attention_mask is not None:
        mask = xp.asarray(attention_mask).astype(bool)
    if value_mask is not None:
        v = xp.asarray(value_mask).astype(bool)[:, None, :]
        mask = v if mask is None else mask & v
    if query_mask is not None:
        q = xp.asarray(query_mask).astype(bool)[:, :, None]
        mask = q if mask is None else mask & q
    if use_causal_mask:
        c = causal_mask(xp, score_shape[-2], score_shape[-1])
        mask = c if mask is None else mask & c
    if mask is not None and len(score_shape) == 4 and mask.ndim == 3:
        mask = mask[:, None]  # broadcast over the heads axis
    return mask


class AttentionDropout:
    """Inverted dropout on attention probabilities: keeps what backward needs."""

    def __init__(self, rate: float):
        self.rate = rate
        self._scale = None

    def forward(self, probs, training):
        """p_d = p * keep / (1 - rate) while training; p otherwise."""
        if not training or self.rate <= 0.0:
            self._scale = None
            return probs
        xp = get_array_module(probs)
        if backend.is_gpu_array(probs):
            draws = xp.random.random(probs.shape, dtype=probs.dtype)
        else:
            draws = backend.rng().random(probs.shape, dtype=np.float64).astype(probs.dtype)
        self._scale = (draws >= self.rate).astype(probs.dtype) / (1.0 - self.rate)
        return probs * self._scale

    def backward(self, grad):
        """dL/dp = dL/dp_d * keep / (1 - rate)."""
        return grad if self._scale is None else grad * self._scale


def check_keyword_calls(layer, symbolic: bool, attention_mask, return_attention_scores):
    """Refuses call arguments a graph node cannot hold (one output, inputs are tensors)."""
    if not symbolic:
        return
    if attention_mask is not None:
        raise SpecError(
            f"Layer '{layer.name}' ({type(layer).__name__}): an `attention_mask` tensor in a "
            "functional model is not supported yet (a graph node takes its inputs as query, "
            "value and key). Received: attention_mask=<tensor>. Use `use_causal_mask=True`, or "
            "call the layer eagerly on arrays with the mask.")
    if return_attention_scores:
        raise SpecError(
            f"Layer '{layer.name}' ({type(layer).__name__}): `return_attention_scores=True` "
            "gives two outputs, and a graph node has one. Expected: False in a functional "
            "model. Fix: call the layer eagerly on arrays to get the scores.")


def sequence_shapes(layer, input_shape, min_count: int, max_count: int) -> list[tuple]:
    """The list of (T, dim) input shapes, or a ShapeError naming the layer."""
    is_list = isinstance(input_shape, list) and all(isinstance(s, (list, tuple))
                                                    for s in input_shape)
    shapes = [tuple(s) for s in input_shape] if is_list else [tuple(input_shape)]
    if not min_count <= len(shapes) <= max_count:
        raise ShapeError(
            f"Layer '{layer.name}' ({type(layer).__name__}) expects a list of "
            f"{min_count} to {max_count} inputs ([query, value] or [query, value, key]), but "
            f"received {len(shapes)}: {format_shape(shapes)}. Connect query and value "
            "(and optionally key).")
    return shapes


def set_causal_from_call(layer, use_causal_mask: bool, symbolic: bool) -> None:
    """A causal call on symbolic tensors is kept in the layer's config (the spec holds no
    call arguments), so a rebuilt model masks the same way."""
    if use_causal_mask and symbolic:
        layer.use_causal_mask = True


def is_symbolic(items) -> bool:
    from ..symbolic import SymbolicTensor  # noqa: PLC0415 - cycle

    return any(isinstance(t, SymbolicTensor) for t in items)


class QueryMaskPassing:
    """Mixin for attention layers: the output carries the query's sequence mask, as Keras
    (`compute_mask` returns the query input's mask), so a mask from `Embedding(mask_zero=True)`
    goes on through self-attention to pooling or an RNN."""

    supports_masking = True

    def compute_mask(self, inputs, previous_mask=None):
        if isinstance(previous_mask, (list, tuple)):
            return previous_mask[0] if previous_mask else None
        return previous_mask


def padding_masks(mask):
    """(query mask, value mask) from the per-input masks the model passes (query, value[, key]);
    a key's mask, when given, also limits the attended positions (Keras's key_mask)."""
    masks = list(mask or []) + [None, None, None]
    query_mask, value_mask, key_mask = masks[:3]
    if key_mask is not None:
        value_mask = key_mask if value_mask is None else value_mask & key_mask
    return query_mask, value_mask
