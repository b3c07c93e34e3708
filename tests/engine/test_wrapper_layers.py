"""Bidirectional, TimeDistributed and Dot: golden values from plain NumPy, gradient checks for
inputs and weights, Keras weight shapes, configs and errors."""

import json

import numpy as np
import pytest

import engine
from engine import layers
from engine.errors import ShapeError, SpecError
from tests.engine.gradcheck import check_layer_gradients

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 4, 3))


def simple_rnn(x, kernel, recurrent, bias):
    """h_t = tanh(x_t W + h_{t-1} U + b), every step in input order."""
    h, out = np.zeros((x.shape[0], kernel.shape[1])), []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
        out.append(h)
    return np.stack(out, axis=1)


# ----- Bidirectional -----------------------------------------------------------------------------
@pytest.mark.parametrize("mode,merge", [
    ("concat", lambda f, b: np.concatenate([f, b], -1)), ("sum", lambda f, b: f + b),
    ("mul", lambda f, b: f * b), ("ave", lambda f, b: (f + b) / 2)])
def test_that_bidirectional_merges_a_forward_and_a_reversed_pass(mode, merge):
    layer = layers.Bidirectional(layers.SimpleRNN(5, return_sequences=True), merge_mode=mode)
    layer(X)
    wf, wb = layer.get_weights()[:3], layer.get_weights()[3:]
    forward = simple_rnn(X, *wf)
    backward = simple_rnn(X[:, ::-1], *wb)[:, ::-1]  # Keras reverses it back to input order
    np.testing.assert_allclose(layer(X), merge(forward, backward), rtol=1e-5, atol=1e-6)


def test_that_bidirectional_last_state_concatenates_both_final_states():
    layer = layers.Bidirectional(layers.SimpleRNN(5))
    out = layer(X)
    wf, wb = layer.get_weights()[:3], layer.get_weights()[3:]
    expected = np.concatenate([simple_rnn(X, *wf)[:, -1], simple_rnn(X[:, ::-1], *wb)[:, -1]], -1)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_that_merge_mode_none_gives_both_outputs_eagerly_and_symbolically():
    forward, backward = layers.Bidirectional(layers.GRU(3), merge_mode=None)(X)
    assert forward.shape == backward.shape == (2, 3)
    tensors = layers.Bidirectional(layers.GRU(3), merge_mode=None)(engine.Input((4, 3)))
    assert [t.shape for t in tensors] == [(None, 3), (None, 3)]


@pytest.mark.parametrize("rnn", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("mode", ["concat", "sum", "mul", "ave"])
@pytest.mark.parametrize("sequences", [False, True])
def test_that_bidirectional_gradients_match_numerical_ones(rnn, mode, sequences):
    inner = getattr(layers, rnn)(3, return_sequences=sequences)
    check_layer_gradients(layers.Bidirectional(inner, merge_mode=mode), X.copy())


def test_that_bidirectional_lstm_has_keras_weights():
    layer = layers.Bidirectional(layers.LSTM(4))
    layer(X)
    assert [w.shape for w in layer.get_weights()] == [(3, 16), (4, 16), (16,)] * 2
    assert layer.compute_output_shape((4, 3)) == (8,)
    np.testing.assert_array_equal(layer.get_weights()[2][4:8], 1.0)  # unit_forget_bias


def test_that_bidirectional_config_is_flat_editable_and_accepts_keras_forms():
    layer = layers.Bidirectional(layers.GRU(7, reset_after=False, return_sequences=True),
                                 merge_mode="sum")
    config = json.loads(json.dumps(layer.get_config()))
    assert (config["layer_class"], config["units"], config["reset_after"]) == ("GRU", 7, False)
    assert layers.Bidirectional.from_config(config).get_config() == layer.get_config()
    keras_form = layers.Bidirectional(layer={"class_name": "GRU", "config": {"units": 7}})
    assert keras_form.units == 7 and keras_form.layer_class == "GRU"


def test_that_bidirectional_refuses_what_it_cannot_do_with_a_fix():
    with pytest.raises(SpecError, match="backward_layer.*copy"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2, go_backwards=True))
    with pytest.raises(SpecError, match="LSTM, GRU, SimpleRNN.*Dense"):
        layers.Bidirectional(layers.Dense(2))
    with pytest.raises(SpecError, match="go_backwards=False"):
        layers.Bidirectional(layers.LSTM(2, go_backwards=True))


# ----- TimeDistributed ---------------------------------------------------------------------------
def test_that_time_distributed_dense_applies_the_same_weights_at_every_step():
    layer = layers.TimeDistributed(layers.Dense(5))
    out = layer(X)
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(out, np.einsum("btd,du->btu", X, kernel) + bias, rtol=1e-6)
    assert kernel.shape == (3, 5) and layer.compute_output_shape((4, 3)) == (4, 5)


@pytest.mark.parametrize("inner,shape", [
    (lambda: layers.Dense(4, activation="tanh"), (2, 3, 5)),
    (lambda: layers.Conv2D(2, 3), (2, 3, 5, 5, 2)),
    (lambda: layers.Conv1D(2, 2), (2, 3, 5, 2)),
], ids=["dense", "conv2d", "conv1d"])
def test_that_time_distributed_gradients_match_numerical_ones(inner, shape):
    check_layer_gradients(layers.TimeDistributed(inner()), RNG.standard_normal(shape))


def test_that_time_distributed_config_holds_the_inner_layer_as_json():
    layer = layers.TimeDistributed(layers.Conv2D(4, 3, padding="same"))
    config = json.loads(json.dumps(layer.get_config()))
    inner = json.loads(config["layer"])
    assert inner["class_name"] == "Conv2D" and inner["config"]["filters"] == 4
    assert layers.TimeDistributed.from_config(config).get_config() == layer.get_config()
    assert layer.compute_output_shape((3, 8, 8, 1)) == (3, 8, 8, 4)


def test_that_time_distributed_errors_name_the_layer_and_the_fix():
    with pytest.raises(ShapeError, match="TimeDistributed.*rank 2 or more.*Reshape"):
        layers.TimeDistributed(layers.Dense(2)).compute_output_shape((3,))
    with pytest.raises(SpecError, match="invalid JSON"):
        layers.TimeDistributed("{not json")
    with pytest.raises(SpecError, match="one input.*Add"):
        layers.TimeDistributed(layers.Add())


# ----- Dot ---------------------------------------------------------------------------------------
def test_that_dot_of_flat_vectors_is_their_inner_product():
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    np.testing.assert_allclose(layers.Dot(axes=1)([a, b]), (a * b).sum(1, keepdims=True))
    cosine = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(layers.dot([a, b], axes=1, normalize=True)[:, 0], cosine,
                               rtol=1e-6)


def test_that_dot_of_sequences_is_a_batched_matrix_product():
    a, b = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 5, 4))
    np.testing.assert_allclose(layers.Dot(axes=(2, 2))([a, b]),
                               np.einsum("bid,bjd->bij", a, b), rtol=1e-6)
    c = RNG.standard_normal((2, 3, 6))
    np.testing.assert_allclose(layers.Dot(axes=1)([a, c]), np.einsum("bti,btj->bij", a, c),
                               rtol=1e-6)


@pytest.mark.parametrize("axes,a,b", [(1, (2, 4), (2, 4)), ((2, 2), (2, 3, 4), (2, 5, 4)),
                                      ((1, 1), (2, 3, 4), (2, 3, 2)), (-1, (2, 3, 4), (2, 4))])
@pytest.mark.parametrize("normalize", [False, True])
def test_that_dot_gradients_match_numerical_ones_for_both_inputs(axes, a, b, normalize):
    check_layer_gradients(layers.Dot(axes, normalize=normalize),
                          [RNG.standard_normal(a), RNG.standard_normal(b)])


def test_that_dot_refuses_mismatched_or_batch_axes():
    with pytest.raises(ShapeError, match="Dot.*must have one size.*Change `axes`"):
        layers.Dot(axes=-1).compute_output_shape([(3, 4), (3, 5)])
    with pytest.raises(ShapeError, match="axis 0 is the batch"):
        layers.Dot(axes=0).compute_output_shape([(4,), (4,)])
    x = engine.Input((3, 4))
    assert layers.dot([x, x], axes=(2, 2)).shape == (None, 3, 3)
