"""SimpleRNN, LSTM and GRU: Keras shapes, weights and equations, and BPTT gradients."""

import math

import numpy as np
import pytest

from engine import backend, registry
from engine.errors import ShapeError, SpecError
from engine.layers.recurrent import GRU, LSTM, SimpleRNN
from tests.engine.gradcheck import check_layer_gradients

BATCH, STEPS, FEATURES, UNITS = 2, 4, 3, 5


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def hard_sigmoid(v):
    return np.clip(v / 6.0 + 0.5, 0.0, 1.0)


def softsign(v):
    return v / (1.0 + np.abs(v))


# ----- references: one timestep at a time, straight from the published (Keras) equations ----
def _timesteps(x, go_backwards):
    steps = range(x.shape[1])
    return reversed(steps) if go_backwards else steps


def reference_simple_rnn(x, kernel, recurrent, bias, go_backwards=False, act=np.tanh):
    h = np.zeros((x.shape[0], recurrent.shape[0]))
    outputs = []
    for t in _timesteps(x, go_backwards):
        h = act(x[:, t] @ kernel + h @ recurrent + bias)
        outputs.append(h)
    return np.stack(outputs, axis=1)


def reference_lstm(x, kernel, recurrent, bias, go_backwards=False, act=np.tanh,
                   rec_act=sigmoid):
    w_i, w_f, w_c, w_o = np.split(kernel, 4, axis=1)
    u_i, u_f, u_c, u_o = np.split(recurrent, 4, axis=1)
    b_i, b_f, b_c, b_o = np.split(bias, 4)
    h = c = np.zeros((x.shape[0], recurrent.shape[0]))
    outputs = []
    for t in _timesteps(x, go_backwards):
        xt = x[:, t]
        i = rec_act(xt @ w_i + h @ u_i + b_i)
        f = rec_act(xt @ w_f + h @ u_f + b_f)
        c = f * c + i * act(xt @ w_c + h @ u_c + b_c)
        o = rec_act(xt @ w_o + h @ u_o + b_o)
        h = o * act(c)
        outputs.append(h)
    return np.stack(outputs, axis=1)


def reference_gru(x, kernel, recurrent, bias, reset_after=True, go_backwards=False,
                  act=np.tanh, rec_act=sigmoid):
    w_z, w_r, w_h = np.split(kernel, 3, axis=1)
    u_z, u_r, u_h = np.split(recurrent, 3, axis=1)
    if reset_after:
        (bi_z, bi_r, bi_h), (br_z, br_r, br_h) = (np.split(row, 3) for row in bias)
    else:
        bi_z, bi_r, bi_h = np.split(bias, 3)
        br_z = br_r = br_h = 0.0
    h = np.zeros((x.shape[0], recurrent.shape[0]))
    outputs = []
    for t in _timesteps(x, go_backwards):
        xt = x[:, t]
        z = rec_act(xt @ w_z + bi_z + h @ u_z + br_z)
        r = rec_act(xt @ w_r + bi_r + h @ u_r + br_r)
        if reset_after:
            h_tilde = act(xt @ w_h + bi_h + r * (h @ u_h + br_h))
        else:
            h_tilde = act(xt @ w_h + bi_h + (r * h) @ u_h)
        h = z * h + (1.0 - z) * h_tilde
        outputs.append(h)
    return np.stack(outputs, axis=1)


# ----- helpers -----------------------------------------------------------------------------
def built_with_random_weights(layer, rng, shape=(STEPS, FEATURES), scale=0.5):
    layer.build(shape)
    layer.set_weights([scale * rng.standard_normal(w.shape) for w in layer.get_weights()])
    return layer


LAYER_CASES = {
    "simple_rnn": lambda **kw: SimpleRNN(UNITS, **kw),
    "lstm": lambda **kw: LSTM(UNITS, **kw),
    "gru_reset_after": lambda **kw: GRU(UNITS, reset_after=True, **kw),
    "gru_reset_before": lambda **kw: GRU(UNITS, reset_after=False, **kw),
}


def reference_for(case, weights, x, go_backwards, act=np.tanh, rec_act=sigmoid):
    kernel, recurrent, bias = (w.astype(np.float64) for w in weights)
    if case == "simple_rnn":
        return reference_simple_rnn(x, kernel, recurrent, bias, go_backwards, act)
    if case == "lstm":
        return reference_lstm(x, kernel, recurrent, bias, go_backwards, act, rec_act)
    return reference_gru(x, kernel, recurrent, bias, case == "gru_reset_after", go_backwards,
                         act, rec_act)


# ----- gradients ---------------------------------------------------------------------------
@pytest.mark.parametrize("case", list(LAYER_CASES))
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_backward_matches_numerical_gradients(case, return_sequences, go_backwards, rng):
    layer = LAYER_CASES[case](return_sequences=return_sequences, go_backwards=go_backwards)
    built_with_random_weights(layer, rng)
    check_layer_gradients(layer, rng.standard_normal((BATCH, STEPS, FEATURES)))


@pytest.mark.parametrize("case", list(LAYER_CASES))
def test_gradients_without_bias(case, rng):
    layer = LAYER_CASES[case](use_bias=False, return_sequences=True)
    built_with_random_weights(layer, rng)
    assert "bias" not in layer.params
    check_layer_gradients(layer, rng.standard_normal((BATCH, STEPS, FEATURES)))


@pytest.mark.parametrize("case", ["lstm", "gru_reset_after", "gru_reset_before"])
def test_gradients_with_other_activations(case, rng):
    layer = LAYER_CASES[case](activation="softsign", recurrent_activation="softmax",
                              return_sequences=True)
    built_with_random_weights(layer, rng)
    check_layer_gradients(layer, rng.standard_normal((BATCH, STEPS, FEATURES)))


def test_simple_rnn_gradients_with_another_activation(rng):
    layer = built_with_random_weights(SimpleRNN(UNITS, activation="sigmoid"), rng)
    check_layer_gradients(layer, rng.standard_normal((BATCH, STEPS, FEATURES)))


def test_that_backward_writes_gradients_into_the_same_arrays(rng):
    layer = built_with_random_weights(GRU(UNITS), rng)
    before = dict(layer.grads)
    out = layer.forward(rng.standard_normal((BATCH, STEPS, FEATURES)).astype(np.float32))
    layer.backward(np.ones_like(out))
    assert all(layer.grads[k] is before[k] for k in before)
    assert all(np.abs(g).sum() > 0 for g in layer.grads.values())


# ----- golden forward values ---------------------------------------------------------------
@pytest.mark.parametrize("case", list(LAYER_CASES))
@pytest.mark.parametrize("go_backwards", [False, True])
def test_forward_matches_the_per_timestep_reference(case, go_backwards, rng):
    x = rng.standard_normal((BATCH, STEPS, FEATURES))
    sequences = built_with_random_weights(
        LAYER_CASES[case](return_sequences=True, go_backwards=go_backwards), rng)
    last = LAYER_CASES[case](go_backwards=go_backwards)
    last.build((STEPS, FEATURES))
    last.set_weights(sequences.get_weights())

    expected = reference_for(case, sequences.get_weights(), x, go_backwards)
    np.testing.assert_allclose(sequences.forward(x), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(last.forward(x), expected[:, -1], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", ["lstm", "gru_reset_after", "gru_reset_before"])
def test_forward_uses_activation_and_recurrent_activation_where_keras_does(case, rng):
    x = rng.standard_normal((BATCH, STEPS, FEATURES))
    layer = built_with_random_weights(
        LAYER_CASES[case](activation="softsign", recurrent_activation="hard_sigmoid",
                          return_sequences=True), rng, scale=1.5)
    expected = reference_for(case, layer.get_weights(), x, False, softsign, hard_sigmoid)
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-6, atol=1e-7)


def test_simple_rnn_by_hand():
    # h_t = h_{t-1} * 0.5 + x_t * 2 + 1, linear: x = 1, 2, 3 -> 3, 6.5, 10.25
    layer = SimpleRNN(1, activation="linear", return_sequences=True)
    layer.build((3, 1))
    layer.set_weights([np.array([[2.0]]), np.array([[0.5]]), np.array([1.0])])
    x = np.array([[[1.0], [2.0], [3.0]]])
    np.testing.assert_allclose(layer.forward(x)[0, :, 0], [3.0, 6.5, 10.25])

    # Backwards reads 3, 2, 1: 7, 5 + 3.5 = 8.5, 3 + 4.25 = 7.25 (outputs in reading order).
    layer.go_backwards = True
    np.testing.assert_allclose(layer.forward(x)[0, :, 0], [7.0, 8.5, 7.25])

    tanh_layer = SimpleRNN(1)
    tanh_layer.build((2, 1))
    tanh_layer.set_weights([np.array([[2.0]]), np.array([[0.5]]), np.array([1.0])])
    h1 = math.tanh(2.0 * 1.0 + 1.0)
    h2 = math.tanh(2.0 * 2.0 + 1.0 + 0.5 * h1)
    np.testing.assert_allclose(tanh_layer.forward(np.array([[[1.0], [2.0]]]))[0, 0], h2)


def test_that_float32_inputs_and_weights_stay_float32(rng):
    layer = LSTM(UNITS, return_sequences=True)
    out = layer(rng.standard_normal((BATCH, STEPS, FEATURES)).astype(np.float32))
    assert out.dtype == np.float32
    assert layer.backward(np.ones_like(out)).dtype == np.float32


# ----- shapes, weights and parameter counts ------------------------------------------------
@pytest.mark.parametrize("case", list(LAYER_CASES))
@pytest.mark.parametrize("return_sequences, expected", [(False, (UNITS,)),
                                                        (True, (STEPS, UNITS))])
def test_output_shapes(case, return_sequences, expected, rng):
    layer = LAYER_CASES[case](return_sequences=return_sequences)
    assert layer.compute_output_shape((STEPS, FEATURES)) == expected
    out = layer(rng.standard_normal((BATCH, STEPS, FEATURES)).astype(np.float32))
    assert out.shape == (BATCH,) + expected


@pytest.mark.parametrize("layer, expected", [
    (LSTM(64), 4 * (32 * 64 + 64 * 64 + 64)),
    (GRU(64), 3 * (32 * 64 + 64 * 64 + 2 * 64)),
    (GRU(64, reset_after=False), 3 * (32 * 64 + 64 * 64 + 64)),
    (SimpleRNN(64), 32 * 64 + 64 * 64 + 64),
])
def test_param_counts_match_keras(layer, expected):
    assert expected in (24832, 18816, 18624, 6208)
    assert layer.count_params_for((10, 32)) == (expected, 0)
    layer.build((10, 32))
    assert layer.count_params() == expected


@pytest.mark.parametrize("layer, shapes", [
    (SimpleRNN(5), {"kernel": (3, 5), "recurrent_kernel": (5, 5), "bias": (5,)}),
    (LSTM(5), {"kernel": (3, 20), "recurrent_kernel": (5, 20), "bias": (20,)}),
    (GRU(5), {"kernel": (3, 15), "recurrent_kernel": (5, 15), "bias": (2, 15)}),
    (GRU(5, reset_after=False), {"kernel": (3, 15), "recurrent_kernel": (5, 15),
                                 "bias": (15,)}),
])
def test_weights_have_keras_names_order_and_shapes(layer, shapes):
    layer.build((4, 3))
    assert {k: tuple(w.shape) for k, w in layer.params.items()} == shapes
    assert list(layer.params) == ["kernel", "recurrent_kernel", "bias"]


def test_lstm_unit_forget_bias_starts_the_forget_gate_bias_at_one():
    layer = LSTM(UNITS)
    layer.build((STEPS, FEATURES))
    expected = np.concatenate([np.zeros(UNITS), np.ones(UNITS), np.zeros(2 * UNITS)])
    np.testing.assert_array_equal(layer.params["bias"], expected)

    plain = LSTM(UNITS, unit_forget_bias=False)
    plain.build((STEPS, FEATURES))
    np.testing.assert_array_equal(plain.params["bias"], np.zeros(4 * UNITS))


def test_recurrent_kernel_starts_orthogonal():
    layer = SimpleRNN(UNITS)
    layer.build((STEPS, FEATURES))
    u = layer.params["recurrent_kernel"]
    np.testing.assert_allclose(u.T @ u, np.eye(UNITS), atol=1e-5)


def test_regularizers_attach_to_their_weights():
    layer = GRU(UNITS, kernel_regularizer="l2", recurrent_regularizer="l1",
                bias_regularizer="l1_l2")
    layer.build((STEPS, FEATURES))
    assert set(layer.regularizers) == {"kernel", "recurrent_kernel", "bias"}


# ----- configuration and errors ------------------------------------------------------------
@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_config_keys_are_the_params_and_round_trip(cls):
    layer = cls(7, return_sequences=True, go_backwards=True, kernel_regularizer="l2")
    config = layer.get_config()
    assert set(config) - {"name", "trainable"} == {p.name for p in cls.PARAMS}
    assert cls.from_config(config).get_config() == config
    assert registry.get_class("layer", cls.__name__) is cls
    assert cls.CATEGORY == "Recurrent"


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_keras_defaults(cls):
    config = cls(4).get_config()
    assert config["activation"] == "tanh"
    assert config["kernel_initializer"] == "glorot_uniform"
    assert config["recurrent_initializer"] == "orthogonal"
    assert config["bias_initializer"] == "zeros"
    assert config["use_bias"] is True
    assert config["return_sequences"] is False and config["go_backwards"] is False
    if cls is not SimpleRNN:
        assert config["recurrent_activation"] == "sigmoid"


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_units_must_be_positive(cls):
    with pytest.raises(SpecError, match="`units`"):
        cls(0)


@pytest.mark.parametrize("kwargs, word", [
    ({"activation": "nope"}, "activation"),
    ({"recurrent_activation": "nope"}, "recurrent_activation"),
    ({"reset_after": "yes"}, "reset_after"),
    ({"dropout": 0.2}, "dropout"),
])
def test_bad_arguments_name_the_argument(kwargs, word):
    with pytest.raises(SpecError, match=word):
        GRU(4, **kwargs)


def test_image_input_gets_a_reshape_hint():
    layer = LSTM(8)
    with pytest.raises(ShapeError, match=r"rank 2.*Reshape\(\(28, 28\)\)"):
        layer.compute_output_shape((28, 28, 1))
    with pytest.raises(ShapeError, match=r"Reshape\(\(784, 1\)\)"):
        layer.compute_output_shape((784,))


def test_forward_refuses_a_flat_batch(rng):
    layer = SimpleRNN(UNITS)
    layer.build((STEPS, FEATURES))
    with pytest.raises(ShapeError, match="timesteps, features"):
        layer.forward(rng.standard_normal((BATCH, 12)))


# ----- GPU ---------------------------------------------------------------------------------
@pytest.mark.gpu
def test_lstm_on_cupy_matches_numpy(rng):
    x = rng.standard_normal((BATCH, STEPS, FEATURES)).astype(np.float32)
    cpu = built_with_random_weights(LSTM(UNITS, return_sequences=True, go_backwards=True), rng)
    gpu = LSTM(UNITS, return_sequences=True, go_backwards=True)
    gpu.device = "gpu"
    gpu.build((STEPS, FEATURES))
    gpu.set_weights(cpu.get_weights())

    out_gpu = gpu.forward(backend.to_device(x, "gpu"))
    out_cpu = cpu.forward(x)
    assert backend.is_gpu_array(out_gpu)
    np.testing.assert_allclose(backend.to_numpy(out_gpu), out_cpu, rtol=1e-5, atol=1e-6)

    grad = np.ones_like(out_cpu)
    dx_gpu = gpu.backward(backend.to_device(grad, "gpu"))
    np.testing.assert_allclose(backend.to_numpy(dx_gpu), cpu.backward(grad), rtol=1e-4,
                               atol=1e-5)
    for key in cpu.grads:
        np.testing.assert_allclose(backend.to_numpy(gpu.grads[key]), cpu.grads[key],
                                   rtol=1e-4, atol=1e-5)
