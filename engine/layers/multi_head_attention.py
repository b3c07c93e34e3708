"""MultiHeadAttention (Vaswani et al., 2017) with Keras 3's projections, weights and defaults.

With `H = num_heads`, `K = key_dim`, `V = value_dim` (Keras's EinsumDense shapes):

    Q = query @ Wq + bq      Wq (dim_q, H, K), bq (H, K)    "...d,dhk->...hk"
    Kp = key @ Wk + bk       Wk (dim_k, H, K), bk (H, K)
    Vp = value @ Wv + bv     Wv (dim_v, H, V), bv (H, V)
    P = softmax(Q Kp^T / sqrt(K), masked) per head, over the key positions
    C = dropout(P) @ Vp                                     (batch, H, Tq, V)
    out = C @ Wo + bo        Wo (H, V, out), bo (out,)      "...hv,hvo->...o"

Weights in Keras order: query kernel, query bias, key kernel, key bias, value kernel, value
bias, output kernel, output bias. Inputs of rank > 2 (without batch), such as images
`(H, W, C)`, attend over all their non-feature axes at once, which is Keras's default
`attention_axes=None`; other `attention_axes` are refused.
"""

import math

from .. import registry
from ..backend import get_array_module
from ..errors import SpecError
from ..params import BOOL, FLOAT, INT, INTS, Param
from .attention_utils import (AttentionDropout, QueryMaskPassing, apply_mask,
                              check_keyword_calls, combine_masks, is_symbolic, padding_masks,
                              set_causal_from_call, softmax_backward, softmax_forward)
from .base import Layer, WeightSpec
from .core import initializer_param, regularizer_param
from .multi_head_shapes import check_shapes, heads_first, heads_last, output_dim

__all__ = ["MultiHeadAttention"]

_PROJECTIONS = ("query", "key", "value")


@registry.register("layer")
class MultiHeadAttention(QueryMaskPassing, Layer):
    """Multi-head scaled dot-product attention, `mha(query, value, key=None, ...)`.

    Args:
        num_heads: Number of attention heads. Defaults to `2` (Keras requires it).
        key_dim: Size of each head for query and key. Defaults to `16` (Keras requires it).
        value_dim: Size of each head for value; None means `key_dim`.
        dropout: Fraction of attention probabilities dropped while training.
        use_bias: Whether the projections add biases.
        output_shape: Output features (an int or a 1-tuple); None means the query's.
        attention_axes: Only None (attend over every non-feature axis) is supported.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer: as Keras.
        use_causal_mask: Keep the causal mask in the config (LayerCraft; Keras passes it
            only at call time, which works here too).

    Input shape:
        query `(Tq, dim_q)`, value `(Tv, dim_v)`, key `(Tv, dim_k)`; or higher rank with the
        same leading axes for key and value.
    Output shape:
        The query's shape with the last axis `output_shape` (or `dim_q`).
    """

    CATEGORY = "Merge"
    DESCRIPTION = "Multi-head attention of a query sequence over a value (and key) sequence."
    MIN_INPUTS = 2
    MAX_INPUTS = 3
    TRAINING_DEPENDENT = True
    PARAMS = (
        Param("num_heads", INT, 2, minimum=1, help="Number of attention heads."),
        Param("key_dim", INT, 16, minimum=1, help="Size of each head for query and key."),
        Param("value_dim", INT, None, minimum=1, optional=True,
              help="Size of each head for value (None = key_dim)."),
        Param("dropout", FLOAT, 0.0, minimum=0.0, maximum=1.0, exclusive_maximum=True,
              help="Fraction of the attention probabilities dropped while training."),
        Param("use_bias", BOOL, True, help="Whether the projections add learned biases."),
        Param("output_shape", INTS, None, minimum=1, optional=True, length=1,
              help="Output features (None = the query's features)."),
        Param("attention_axes", INTS, None, optional=True,
              help="Axes attention is applied over; only None (all but features) works."),
        initializer_param("kernel_initializer", "glorot_uniform", "How the kernels start."),
        initializer_param("bias_initializer", "zeros", "How the biases start."),
        regularizer_param("kernel_regularizer"),
        regularizer_param("bias_regularizer"),
        Param("use_causal_mask", BOOL, False,
              help="Query i attends only to keys j <= i (decoder self-attention)."),
    )

    def __init__(self, num_heads=2, key_dim=16, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 use_causal_mask=False, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(
            num_heads=num_heads, key_dim=key_dim, value_dim=value_dim, dropout=dropout,
            use_bias=use_bias, output_shape=output_shape, attention_axes=attention_axes,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            use_causal_mask=use_causal_mask)
        self._dropout = AttentionDropout(self.dropout)

    # ----- calls -------------------------------------------------------------------------------
    def __call__(self, query, value=None, key=None, attention_mask=None,
                 return_attention_scores=False, training=None, use_causal_mask=False):
        if value is None:
            raise SpecError(f"Layer '{self.name}' (MultiHeadAttention) needs `query` and "
                            "`value` (and optionally `key`). Received only the query. For "
                            "self-attention call it as mha(x, x).")
        items = [query, value] + ([] if key is None else [key])
        symbolic = is_symbolic(items)
        check_keyword_calls(self, symbolic, attention_mask, return_attention_scores)
        set_causal_from_call(self, use_causal_mask, symbolic)
        if symbolic:
            return super().__call__(items)
        if not self.built:
            self.build([tuple(int(d) for d in x.shape[1:]) for x in items])
        out = self.forward(items, training=bool(training), attention_mask=attention_mask,
                           use_causal_mask=use_causal_mask or self.use_causal_mask)
        return (out, self._probs) if return_attention_scores else out

    # ----- shapes and weights ------------------------------------------------------------------
    @property
    def head_value_dim(self) -> int:
        return self.value_dim or self.key_dim

    def compute_output_shape(self, input_shape):
        query = check_shapes(self, input_shape)[0]
        return query[:-1] + (output_dim(self, query),)

    def weight_specs(self, input_shape):
        shapes = check_shapes(self, input_shape)
        key = shapes[2] if len(shapes) == 3 else shapes[1]
        dims = {"query": (shapes[0][-1], self.key_dim), "key": (key[-1], self.key_dim),
                "value": (shapes[1][-1], self.head_value_dim)}
        specs = []
        for part in _PROJECTIONS:
            feature, size = dims[part]
            specs += self._dense_specs(part, (feature, self.num_heads, size),
                                       (self.num_heads, size))
        out = output_dim(self, shapes[0])
        return specs + self._dense_specs("attention_output",
                                         (self.num_heads, self.head_value_dim, out), (out,))

    def _dense_specs(self, part, kernel_shape, bias_shape):
        specs = [WeightSpec(f"{part}_kernel", kernel_shape, self.kernel_initializer,
                            regularizer=self.kernel_regularizer)]
        if self.use_bias:
            specs.append(WeightSpec(f"{part}_bias", bias_shape, self.bias_initializer,
                                    regularizer=self.bias_regularizer))
        return specs

    # ----- computation -------------------------------------------------------------------------
    def forward(self, xs, training=False, attention_mask=None, use_causal_mask=None,
                query_mask=None, value_mask=None, mask=None):
        if mask is not None:  # the inputs' sequence masks, from the model (query, value[, key])
            query_mask, value_mask = padding_masks(mask)
        q, v = xs[0], xs[1]
        k = xs[2] if len(xs) > 2 else v
        self._n, self._query_shape = len(xs), q.shape
        self._shapes = {"query": q.shape, "key": k.shape, "value": v.shape}
        # Flatten the attended axes: (B, ..., d) -> (B, T, d)
        flat = [x.reshape(x.shape[0], -1, x.shape[-1]) for x in (q, k, v)]
        self._inputs = dict(zip(_PROJECTIONS, flat))
        qh, kh, vh = (self._project(part) for part in _PROJECTIONS)  # (B, H, T, size)
        self._qh = qh / math.sqrt(self.key_dim)  # Keras scales the query by 1/sqrt(K)
        self._kh, self._vh = kh, vh
        scores = self._qh @ kh.transpose(0, 1, 3, 2)  # (B, H, Tq, Tv)
        xp = get_array_module(q)
        causal = self.use_causal_mask if use_causal_mask is None else use_causal_mask
        mask = combine_masks(xp, scores.shape, attention_mask, causal, query_mask, value_mask)
        self._mask = mask
        self._probs = softmax_forward(apply_mask(scores, mask))
        self._dropped = self._dropout.forward(self._probs, training)
        self._context = heads_last(self._dropped @ vh)  # (B, Tq, H*V)
        out = self._context @ self._output_kernel()
        if self.use_bias:
            out = out + self.params["attention_output_bias"]
        return out.reshape(self._query_shape[:-1] + (out.shape[-1],))

    def backward(self, grad):
        grad = grad.reshape(grad.shape[0], -1, grad.shape[-1])  # (B, Tq, out)
        # out = C Wo + bo: dWo = C^T g, dbo = sum g, dC = g Wo^T
        self._write("attention_output_kernel",
                    _batch_tensordot(self._context, grad).reshape(
                        self.params["attention_output_kernel"].shape))
        self._write("attention_output_bias", grad.sum(axis=(0, 1)))
        d_context = heads_first(grad @ self._output_kernel().T, self.num_heads)
        # C = P_d Vp: dP_d = dC Vp^T, dVp = P_d^T dC
        d_vh = self._dropped.transpose(0, 1, 3, 2) @ d_context
        d_probs = self._dropout.backward(d_context @ self._vh.transpose(0, 1, 3, 2))
        d_scores = softmax_backward(self._probs, d_probs)
        if self._mask is not None:  # masked scores are constants: no gradient reaches them
            d_scores = d_scores * self._mask
        # S = Qs Kp^T, Qs = Q / sqrt(K): dQ = dS Kp / sqrt(K), dKp = dS^T Qs
        d_qh = (d_scores @ self._kh) / math.sqrt(self.key_dim)
        d_kh = d_scores.transpose(0, 1, 3, 2) @ self._qh
        dq, dk, dv = (self._project_backward(part, d) for part, d in
                      zip(_PROJECTIONS, (d_qh, d_kh, d_vh)))
        dq, dv, dk = (dq.reshape(self._shapes["query"]), dv.reshape(self._shapes["value"]),
                      dk.reshape(self._shapes["key"]))
        return [dq, dv + dk] if self._n == 2 else [dq, dv, dk]

    def _project(self, part):
        """x @ W + b with W (d, H, size) as (d, H*size); returned as (B, H, T, size)."""
        kernel = self.params[f"{part}_kernel"]
        y = self._inputs[part] @ kernel.reshape(kernel.shape[0], -1)
        if self.use_bias:
            y = y + self.params[f"{part}_bias"].reshape(-1)
        return heads_first(y, self.num_heads)

    def _project_backward(self, part, d_heads):
        """dW = x^T dy, db = sum dy, dx = dy W^T, with dy (B, T, H*size)."""
        kernel = self.params[f"{part}_kernel"]
        dy = heads_last(d_heads)
        x = self._inputs[part]
        self._write(f"{part}_kernel", _batch_tensordot(x, dy).reshape(kernel.shape))
        self._write(f"{part}_bias", dy.sum(axis=(0, 1)).reshape(self.num_heads, -1))
        return dy @ kernel.reshape(kernel.shape[0], -1).T

    def _output_kernel(self):
        kernel = self.params["attention_output_kernel"]
        return kernel.reshape(-1, kernel.shape[-1])  # (H*V, out)

    def _write(self, key, value):
        if key in self.grads:
            self.grads[key][...] = value


def _batch_tensordot(a, b):
    """sum over batch and time of a[b, t]^T b[b, t]: (B, T, m), (B, T, n) -> (m, n)."""
    return get_array_module(a).tensordot(a, b, axes=([0, 1], [0, 1]))
