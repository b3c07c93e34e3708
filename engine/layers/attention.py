"""Attention (Luong dot-product) and AdditiveAttention (Bahdanau), Keras 3 semantics.

Both take `[query, value]` or `[query, value, key]` (key defaults to value) of shapes
`(Tq, dim)`, `(Tv, dim_v)`, `(Tv, dim)` and return `(Tq, dim_v)`:

    scores = score(query, key)                     (batch, Tq, Tv)
    probs = softmax(scores masked with -1e9)       over Tv
    output = dropout(probs) @ value

`use_causal_mask` is a call argument in Keras; a symbolic call with it sets the layer's
`use_causal_mask` config entry (a LayerCraft addition), because a spec keeps configs only.
"""

from .. import registry
from ..backend import get_array_module
from ..errors import ShapeError, SpecError
from ..params import BOOL, FLOAT, STR, Param
from .attention_utils import (AttentionDropout, QueryMaskPassing, apply_mask,
                              check_keyword_calls, combine_masks, is_symbolic, padding_masks,
                              sequence_shapes, set_causal_from_call, softmax_backward,
                              softmax_forward)
from .base import Layer, WeightSpec, format_shape

__all__ = ["Attention", "AdditiveAttention"]

_DROPOUT = Param("dropout", FLOAT, 0.0, minimum=0.0, maximum=1.0, exclusive_maximum=True,
                 help="Fraction of the attention probabilities dropped while training.")
_CAUSAL = Param("use_causal_mask", BOOL, False,
                help="Query i attends only to keys j <= i (decoder self-attention).")


class _BaseAttention(QueryMaskPassing, Layer):
    """Shapes, masks, softmax and the value product; subclasses give the score function."""

    CATEGORY = "Merge"
    MIN_INPUTS = 2
    MAX_INPUTS = 3
    TRAINING_DEPENDENT = True

    def __call__(self, inputs, mask=None, training=None, return_attention_scores=False,
                 use_causal_mask=False):
        items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        symbolic = is_symbolic(items)
        check_keyword_calls(self, symbolic, None, return_attention_scores)
        set_causal_from_call(self, use_causal_mask, symbolic)
        if symbolic:
            return super().__call__(items)
        if not self.built:
            self.build([tuple(int(d) for d in x.shape[1:]) for x in items])
        out = self.forward(items, training=bool(training), mask=mask,
                           use_causal_mask=use_causal_mask or self.use_causal_mask)
        return (out, self._probs) if return_attention_scores else out

    def compute_output_shape(self, input_shape):
        shapes = sequence_shapes(self, input_shape, 2, 3)
        query, value = shapes[0], shapes[1]
        key = shapes[2] if len(shapes) == 3 else value
        if any(len(s) != 2 for s in shapes):
            raise ShapeError(
                f"Layer '{self.name}' ({type(self).__name__}) expects sequences "
                f"(timesteps, features), but received {format_shape(shapes)}. Add a Reshape "
                "to (timesteps, features) before it.")
        if key[0] != value[0] or query[1] != key[1]:
            raise ShapeError(
                f"Layer '{self.name}' ({type(self).__name__}) needs key and value with the "
                f"same timesteps and query and key with the same features, but received query "
                f"{format_shape(query)}, value {format_shape(value)}, key {format_shape(key)}. "
                "Project them to one size with Dense layers.")
        return (query[0], value[1])

    def forward(self, xs, training=False, mask=None, use_causal_mask=None):
        q, v = xs[0], xs[1]
        k = xs[2] if len(xs) > 2 else v
        self._q, self._v, self._k, self._n = q, v, k, len(xs)
        xp = get_array_module(q)
        causal = self.use_causal_mask if use_causal_mask is None else use_causal_mask
        query_mask, value_mask = padding_masks(mask)
        scores = self._scores(q, k)
        masks = combine_masks(xp, scores.shape, use_causal_mask=causal, value_mask=value_mask)
        self._mask = masks
        self._probs = softmax_forward(apply_mask(scores, masks))
        dropped = self._dropout.forward(self._probs, training)
        self._dropped = dropped
        out = dropped @ v  # (B, Tq, Tv) @ (B, Tv, dv)
        # Keras zeroes the output where the query is padding.
        self._qmask = None if query_mask is None else xp.asarray(query_mask)[:, :, None]
        return out if self._qmask is None else out * self._qmask

    def backward(self, grad):
        if self._qmask is not None:
            grad = grad * self._qmask
        # out = P_d @ v: dP_d = g @ v^T, dv = P_d^T @ g
        d_dropped = grad @ self._v.transpose(0, 2, 1)
        dv = self._dropped.transpose(0, 2, 1) @ grad
        d_scores = softmax_backward(self._probs, self._dropout.backward(d_dropped))
        if self._mask is not None:  # masked scores are constants: no gradient reaches them
            d_scores = d_scores * self._mask
        dq, dk = self._scores_backward(d_scores)
        if self._n == 2:
            return [dq, dv + dk]
        return [dq, dv, dk]


@registry.register("layer")
class Attention(_BaseAttention):
    """Dot-product (Luong-style) attention.

    `score_mode="dot"`: `scores = scale * query @ key^T`. `score_mode="concat"`:
    `scores = concat_score_weight * sum(tanh(scale * (query_i + key_j)))`. `scale` is a
    learned scalar (starting at 1) when `use_scale`, else 1.

    Args:
        use_scale: Learn a scalar that scales the scores. Defaults to `False`.
        score_mode: `"dot"` or `"concat"`. Defaults to `"dot"`.
        dropout: Fraction of attention probabilities dropped while training.
        use_causal_mask: Keep the causal mask in the config (LayerCraft; Keras passes it
            only at call time, which works here too).

    Input shape:
        `[query (Tq, dim), value (Tv, dim_v)]`, optionally `key (Tv, dim)` third.
    Output shape:
        `(Tq, dim_v)`.
    """

    DESCRIPTION = "Dot-product attention of a query sequence over a value sequence."
    PARAMS = (Param("use_scale", BOOL, False, help="Learn a scalar that scales the scores."),
              Param("score_mode", STR, "dot", choices=("dot", "concat"),
                    help="How query and key make a score: dot product or tanh of the sum."),
              _DROPOUT, _CAUSAL)

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, use_causal_mask=False,
                 name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(use_scale=use_scale, score_mode=score_mode, dropout=dropout,
                        use_causal_mask=use_causal_mask)
        self._dropout = AttentionDropout(self.dropout)

    def weight_specs(self, input_shape):
        specs = [WeightSpec("scale", (), "ones")] if self.use_scale else []
        if self.score_mode == "concat":
            specs.append(WeightSpec("concat_score_weight", (), "ones"))
        return specs

    def _scale(self):
        return self.params["scale"] if self.use_scale else 1.0

    def _scores(self, q, k):
        if self.score_mode == "dot":
            self._raw = q @ k.transpose(0, 2, 1)  # q k^T: (B, Tq, Tv)
            return self._raw * self._scale()
        xp = get_array_module(q)
        self._sum = q[:, :, None, :] + k[:, None, :, :]  # (B, Tq, Tv, dim)
        self._tanh = xp.tanh(self._scale() * self._sum)
        self._tanh_total = self._tanh.sum(axis=-1)
        return self.params["concat_score_weight"] * self._tanh_total

    def _scores_backward(self, d_scores):
        scale = self._scale()
        if self.score_mode == "dot":
            # s = a q k^T: dq = a dS k, dk = a dS^T q, da = sum(dS * q k^T)
            if "scale" in self.grads:
                self.grads["scale"][...] = (d_scores * self._raw).sum()
            dq = scale * (d_scores @ self._k)
            dk = scale * (d_scores.transpose(0, 2, 1) @ self._q)
            return dq, dk
        # s = w sum_d tanh(a z): dz = w dS (1 - tanh^2) a, dw = sum(dS * sum tanh)
        if "concat_score_weight" in self.grads:
            self.grads["concat_score_weight"][...] = (d_scores * self._tanh_total).sum()
        d_pre = self.params["concat_score_weight"] * d_scores[..., None] * (1 - self._tanh ** 2)
        if "scale" in self.grads:
            self.grads["scale"][...] = (d_pre * self._sum).sum()
        d_sum = scale * d_pre
        return d_sum.sum(axis=2), d_sum.sum(axis=1)


@registry.register("layer")
class AdditiveAttention(_BaseAttention):
    """Additive (Bahdanau-style) attention: `scores = sum(scale * tanh(query_i + key_j))`.

    `scale` is a learned vector of size `dim` (Glorot uniform) when `use_scale`, else 1.

    Args:
        use_scale: Learn a per-feature scale of the tanh terms. Defaults to `True`.
        dropout: Fraction of attention probabilities dropped while training.
        use_causal_mask: Keep the causal mask in the config (see `Attention`).

    Input shape:
        `[query (Tq, dim), value (Tv, dim_v)]`, optionally `key (Tv, dim)` third.
    Output shape:
        `(Tq, dim_v)`.
    """

    DESCRIPTION = "Additive (Bahdanau) attention of a query sequence over a value sequence."
    PARAMS = (Param("use_scale", BOOL, True, help="Learn a per-feature scale of the scores."),
              _DROPOUT, _CAUSAL)

    def __init__(self, use_scale=True, dropout=0.0, use_causal_mask=False, name=None,
                 trainable=True, **kwargs):
        if "score_mode" in kwargs:
            raise SpecError(f"AdditiveAttention has no `score_mode` (its score is always "
                            f"additive). Received: score_mode={kwargs['score_mode']!r}.")
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(use_scale=use_scale, dropout=dropout, use_causal_mask=use_causal_mask)
        self._dropout = AttentionDropout(self.dropout)

    def weight_specs(self, input_shape):
        dim = sequence_shapes(self, input_shape, 2, 3)[0][-1]
        return [WeightSpec("scale", (dim,), "glorot_uniform")] if self.use_scale else []

    def _scores(self, q, k):
        xp = get_array_module(q)
        self._tanh = xp.tanh(q[:, :, None, :] + k[:, None, :, :])  # (B, Tq, Tv, dim)
        if self.use_scale:
            return (self._tanh * self.params["scale"]).sum(axis=-1)
        return self._tanh.sum(axis=-1)

    def _scores_backward(self, d_scores):
        # s = sum_d c_d tanh(q_id + k_jd): dz = dS c (1 - tanh^2), dc = sum dS tanh
        d_tanh = d_scores[..., None]
        if self.use_scale:
            if "scale" in self.grads:
                self.grads["scale"][...] = (d_tanh * self._tanh).sum(axis=(0, 1, 2))
            d_tanh = d_tanh * self.params["scale"]
        d_sum = d_tanh * (1 - self._tanh ** 2)
        return d_sum.sum(axis=2), d_sum.sum(axis=1)
