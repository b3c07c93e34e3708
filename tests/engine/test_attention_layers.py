"""Attention, AdditiveAttention and MultiHeadAttention: golden values from plain NumPy written
from the published formulas, gradient checks for every input and weight, configs, errors."""

import json

import numpy as np
import pytest

import engine
from engine import layers
from engine.errors import ShapeError, SpecError
from tests.engine.gradcheck import check_layer_gradients

RNG = np.random.default_rng(0)
Q, V, K = (RNG.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 4)))


def softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def reference_mha(q, v, k, w, heads, key_dim, causal=False):
    """Vaswani et al. with Keras's EinsumDense projections and 1/sqrt(key_dim) on the query."""
    qp = np.einsum("btd,dhk->bthk", q, w[0]) + w[1]
    kp = np.einsum("bsd,dhk->bshk", k, w[2]) + w[3]
    vp = np.einsum("bsd,dhk->bshk", v, w[4]) + w[5]
    scores = np.einsum("bshk,bthk->bhts", kp, qp / np.sqrt(key_dim))
    if causal:
        scores = np.where(np.tril(np.ones(scores.shape[-2:], bool)), scores, scores - 1e9)
    probs = softmax(scores)
    context = np.einsum("bhts,bshk->bthk", probs, vp)
    return np.einsum("bthk,hko->bto", context, w[6]) + w[7], probs


# ----- golden values ---------------------------------------------------------------------------
def test_that_dot_attention_is_softmax_of_query_key_products_times_value():
    out, probs = layers.Attention()([Q, V, K], return_attention_scores=True)
    expected_probs = softmax(Q @ K.transpose(0, 2, 1))
    np.testing.assert_allclose(probs, expected_probs, rtol=1e-6)
    np.testing.assert_allclose(out, expected_probs @ V, rtol=1e-6)


def test_that_concat_attention_sums_tanh_of_scaled_query_plus_key():
    layer = layers.Attention(use_scale=True, score_mode="concat")
    layer([Q, V])
    layer.set_weights([np.array(0.5), np.array(2.0)])  # scale, concat_score_weight
    scores = 2.0 * np.tanh(0.5 * (Q[:, :, None] + V[:, None])).sum(-1)
    np.testing.assert_allclose(layer([Q, V]), softmax(scores) @ V, rtol=1e-6)


def test_that_additive_attention_is_bahdanau_scores():
    layer = layers.AdditiveAttention()
    layer([Q, V, K])
    scale = RNG.standard_normal(4)
    layer.set_weights([scale])
    scores = (scale * np.tanh(Q[:, :, None] + K[:, None])).sum(-1)
    np.testing.assert_allclose(layer([Q, V, K]), softmax(scores) @ V, rtol=1e-6)


def test_that_the_causal_mask_hides_later_keys():
    x = RNG.standard_normal((2, 4, 3))
    _, probs = layers.Attention()([x, x], use_causal_mask=True, return_attention_scores=True)
    assert np.all(np.triu(probs[0], 1) < 1e-12)
    np.testing.assert_allclose(probs[:, 0, 0], 1.0)


def test_that_multi_head_attention_matches_the_einsum_reference():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=3, output_shape=6)
    out, probs = layer(Q, V, K, return_attention_scores=True)
    expected, expected_probs = reference_mha(Q, V, K, layer.get_weights(), 2, 3)
    assert out.shape == (2, 3, 6) and probs.shape == (2, 2, 3, 5)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(probs, expected_probs, rtol=1e-5, atol=1e-7)


def test_that_multi_head_attention_weights_have_keras_shapes_and_order():
    layer = layers.MultiHeadAttention(num_heads=4, key_dim=8, value_dim=5)
    layer(RNG.standard_normal((1, 3, 6)), RNG.standard_normal((1, 7, 2)))
    assert [w.shape for w in layer.get_weights()] == [
        (6, 4, 8), (4, 8), (2, 4, 8), (4, 8), (2, 4, 5), (4, 5), (4, 5, 6), (6,)]


def test_that_multi_head_attention_masks_causally_and_by_attention_mask():
    x = RNG.standard_normal((2, 4, 3))
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=2)
    out = layer(x, x, use_causal_mask=True)
    expected, _ = reference_mha(x, x, x, layer.get_weights(), 2, 2, causal=True)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    explicit = layer(x, x, attention_mask=np.tril(np.ones((2, 4, 4), bool)))
    np.testing.assert_allclose(explicit, out, rtol=1e-6)


def test_that_multi_head_attention_attends_over_all_axes_of_images():
    x = RNG.standard_normal((2, 2, 3, 4))
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    out = layer(x, x)
    flat = x.reshape(2, 6, 4)
    expected, _ = reference_mha(flat, flat, flat, layer.get_weights(), 2, 3)
    np.testing.assert_allclose(out, expected.reshape(2, 2, 3, 4), rtol=1e-5, atol=1e-6)


# ----- gradients -------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: layers.Attention(), lambda: layers.Attention(use_scale=True),
    lambda: layers.Attention(use_scale=True, score_mode="concat"),
    lambda: layers.Attention(score_mode="concat", use_causal_mask=True),
    lambda: layers.AdditiveAttention(), lambda: layers.AdditiveAttention(use_scale=False),
], ids=["dot", "dot-scale", "concat-scale", "concat-causal", "additive", "additive-noscale"])
@pytest.mark.parametrize("inputs", [[Q, V], [Q, V, K]], ids=["qv", "qvk"])
def test_that_attention_gradients_match_numerical_ones(make, inputs):
    check_layer_gradients(make(), [x.copy() for x in inputs])


@pytest.mark.parametrize("kwargs", [{}, {"value_dim": 3, "output_shape": 5},
                                    {"use_bias": False}, {"use_causal_mask": True}])
@pytest.mark.parametrize("inputs", [[Q, V], [Q, V, K]], ids=["qv", "qvk"])
def test_that_multi_head_attention_gradients_match_numerical_ones(kwargs, inputs):
    check_layer_gradients(layers.MultiHeadAttention(2, 3, **kwargs), [x.copy() for x in inputs])


def test_that_attention_dropout_gradients_match_with_a_fixed_mask():
    check_layer_gradients(layers.MultiHeadAttention(2, 3, dropout=0.3), [Q.copy(), V.copy()],
                          training=True, reseed=5)
    check_layer_gradients(layers.Attention(dropout=0.3), [Q.copy(), V.copy()], training=True,
                          reseed=5)


# ----- configs, models and errors --------------------------------------------------------------
@pytest.mark.parametrize("layer", [
    layers.MultiHeadAttention(4, 8, value_dim=2, dropout=0.1, output_shape=3,
                              kernel_initializer="he_normal", use_causal_mask=True),
    layers.Attention(use_scale=True, score_mode="concat"), layers.AdditiveAttention(False)])
def test_that_attention_configs_round_trip_through_json(layer):
    config = json.loads(json.dumps(layer.get_config()))
    assert type(layer).from_config(config).get_config() == layer.get_config()


def test_that_a_causal_symbolic_call_is_kept_in_the_spec():
    x = engine.Input((4, 3))
    y = layers.MultiHeadAttention(2, 2)(x, x, use_causal_mask=True)
    spec = engine.Model(x, y).to_spec()
    assert spec["layers"][1]["config"]["use_causal_mask"] is True
    assert spec["layers"][1]["inputs"] == [spec["layers"][0]["name"]] * 2


def test_that_self_attention_in_a_model_trains():
    x = engine.Input((4, 3))
    y = layers.Attention(use_scale=True)([x, x])
    model = engine.Model(x, layers.GlobalAveragePooling1D()(y))
    model.compile(optimizer="sgd", loss="mse")
    data = RNG.standard_normal((8, 4, 3)).astype("float32")
    history = model.fit(data, RNG.standard_normal((8, 3)), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_that_mismatched_key_and_value_lengths_are_refused_with_a_fix():
    with pytest.raises(ShapeError, match="MultiHeadAttention.*value.*key.*same timesteps"):
        layers.MultiHeadAttention(2, 2).compute_output_shape([(3, 4), (5, 4), (6, 4)])
    with pytest.raises(ShapeError, match="Attention.*same features.*Dense"):
        layers.Attention().compute_output_shape([(3, 4), (5, 2)])


def test_that_unsupported_call_forms_say_what_to_do():
    x = engine.Input((4, 3))
    with pytest.raises(SpecError, match="return_attention_scores.*eagerly"):
        layers.MultiHeadAttention(2, 2)(x, x, return_attention_scores=True)
    with pytest.raises(SpecError, match="attention_mask.*use_causal_mask"):
        layers.MultiHeadAttention(2, 2)(x, x, attention_mask=x)
    with pytest.raises(SpecError, match="attention_axes.*None"):
        layers.MultiHeadAttention(2, 2, attention_axes=(2,))(x, x)
    with pytest.raises(SpecError, match="`num_heads`"):
        layers.MultiHeadAttention(0, 2)
