"""A max pooling right after a relu that only it reads takes the relu's backward along
(`engine.relu_pool`): same gradients as taking them one after the other, one pass less."""

import numpy as np
import pytest

from engine import Input, Model, Sequential, backend, kernels, layers
from engine.relu_pool import relu_pool_pairs


def _convnet(activation="relu", pool=None, conv_input=(9, 9, 1)):
    backend.set_seed(0)
    return Sequential([
        Input(conv_input), layers.Conv2D(4, 3, activation=activation),
        pool or layers.MaxPooling2D(2),
        layers.Conv2D(6, 2, activation=activation),
        layers.MaxPooling2D(2, strides=1, padding="same"),  # overlapping windows, padded
        layers.Flatten(), layers.Dense(3)])


def _gradients(model, take_pairs=True, seed=0, only_what_is_read=True):
    """All weight gradients after one forward and backward on random data (float32)."""
    if not take_pairs:
        model._relu_pools = {}
    if not only_what_is_read:  # every conv output computed (no `forward_read_by`)
        model._pooled_below = {}
    shape = (5, *model.input_shapes[0])
    x = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    out = model.forward([x], training=True)
    model.backward([np.random.default_rng(seed + 1).normal(size=out[0].shape)
                    .astype(np.float32)])
    return [g.copy() for layer in model.layers for g in layer.grads.values()]


def test_a_relu_layer_read_only_by_a_max_pooling_is_paired_with_it():
    model = _convnet()
    conv_1, pool_1, conv_2, pool_2 = (layer.name for layer in model.layers[:4])
    assert model._relu_pools == {pool_1: conv_1, pool_2: conv_2}


@pytest.mark.parametrize("activation", ["tanh", "linear", "sigmoid"])
def test_other_activations_are_not_paired(activation):
    assert _convnet(activation)._relu_pools == {}


def test_a_relu_output_that_something_else_also_reads_is_not_paired():
    inputs = Input((8, 8, 2))
    relu = layers.Conv2D(3, 3, activation="relu", padding="same")(inputs)
    pooled = layers.MaxPooling2D(2)(relu)
    model = Model(inputs, [layers.Flatten()(pooled), layers.Flatten()(relu)])
    assert model._relu_pools == {}


def test_an_activation_layer_and_a_dense_relu_are_paired_too():
    model = Sequential([Input((6, 4)), layers.Dense(5, activation="relu"),
                        layers.MaxPooling1D(2), layers.Activation("relu"),
                        layers.MaxPooling1D(3)])
    dense, pool_1, activation, pool_2 = (layer.name for layer in model.layers)
    assert model._relu_pools == {pool_1: dense, pool_2: activation}


def test_average_pooling_is_not_paired():
    model = _convnet(pool=layers.AveragePooling2D(2))
    assert model.layers[0].name not in model._relu_pools.values()
    assert list(model._relu_pools.values()) == [model.layers[2].name]  # the later pair


@pytest.mark.parametrize("with_kernels", [False, True])
@pytest.mark.parametrize("conv_input", [(9, 9, 1), (8, 11, 2)])
def test_gradients_equal_those_of_the_layers_taken_one_by_one(with_kernels, conv_input):
    """Tiled 2x2 windows (the kernel, or NumPy's stages), overlapping padded windows, odd
    sizes; the pairs skip the relu backward and give the same numbers bit for bit."""
    kernels.set_cpu_kernels(with_kernels)
    try:
        if with_kernels:
            pytest.importorskip("numba")
            _gradients(_convnet(conv_input=conv_input))
            assert kernels.wait_until_ready(timeout=120)
        paired = _gradients(_convnet(conv_input=conv_input))
        one_by_one = _gradients(_convnet(conv_input=conv_input), take_pairs=False)
    finally:
        kernels.set_cpu_kernels(True)
    for a, b in zip(paired, one_by_one):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("conv_input", [(9, 9, 1), (8, 11, 2), (13, 13, 32)])
def test_training_computes_only_the_conv_outputs_a_pooling_reads(conv_input, monkeypatch):
    """An odd-sized conv output's last row and column get no gradient: the convolution's
    GEMMs leave them out, and the gradients agree to float32 rounding (sums over fewer
    positions). (9, 9, 1) takes this way where the one-channel kernel does not run."""
    from engine.layers import conv_utils

    rows = []
    im2col = conv_utils.im2col
    monkeypatch.setattr(conv_utils, "im2col", lambda x, geom, out=None: (
        rows.append(geom.out_size) or im2col(x, geom, out)))
    model = _convnet(conv_input=conv_input)
    full = model.layers[0].compute_output_shape(conv_input)[:2]
    read = _gradients(model)
    if full[1] % 2 and not model.layers[0]._is_one_channel_3x3(
            np.zeros((1, *conv_input), np.float32)):
        assert (full[0] // 2 * 2, full[1] // 2 * 2) in rows and tuple(full) not in rows
    everything = _gradients(_convnet(conv_input=conv_input), only_what_is_read=False)
    for a, b in zip(read, everything):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_gradients_of_1d_and_dense_pairs_equal_those_taken_one_by_one():
    def model():
        backend.set_seed(0)
        return Sequential([Input((7, 3)), layers.Conv1D(4, 2, activation="relu"),
                           layers.MaxPooling1D(2), layers.Dense(4, activation="relu"),
                           layers.MaxPooling1D(3, strides=1), layers.Flatten(),
                           layers.Dense(2)])

    for a, b in zip(_gradients(model()), _gradients(model(), take_pairs=False)):
        np.testing.assert_array_equal(a, b)


def test_the_paired_relu_layer_skips_its_relu_backward(monkeypatch):
    model = _convnet()
    conv = model.layers[0]
    monkeypatch.setattr(conv._activation, "backward", _fail)
    _gradients(model)  # would raise had the conv taken its relu backward itself
    assert np.abs(conv.grads["kernel"]).sum() > 0


def _fail(*args, **kwargs):
    raise AssertionError("the relu's backward ran although the pooling took it")


def _predictions(model, x, pooled_in_one_pass=True):
    if not pooled_in_one_pass:
        model._pooled_below = {}
    return model.predict(x, batch_size=4, verbose=0)


@pytest.mark.parametrize("size", [(9, 9, 1), (12, 11, 1), (10, 10, 3)])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_predictions_with_the_pooling_in_the_conv_pass_equal_those_without(size, padding,
                                                                          monkeypatch):
    """Inference may run a one-channel 3x3 conv and its 2x2 pooling as one kernel pass
    (`Conv2D.forward_pooled`); other convs take the usual way. Same numbers bit for bit."""
    pytest.importorskip("numba")
    passes = []
    one_pass = kernels.conv3x3_one_channel_pooled
    monkeypatch.setattr(kernels, "conv3x3_one_channel_pooled",
                        lambda *args: passes.append(1) or one_pass(*args))

    def model():
        backend.set_seed(0)
        return Sequential([Input(size), layers.Conv2D(4, 3, activation="relu", padding=padding),
                           layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(3)])

    x = np.random.default_rng(0).normal(size=(6, *size)).astype(np.float32)
    _predictions(model(), x)
    assert kernels.wait_until_ready(timeout=120)
    fused = model()
    assert fused._pooled_below == {fused.layers[0].name: fused.layers[1].name}
    passes.clear()
    np.testing.assert_array_equal(_predictions(fused, x),
                                  _predictions(model(), x, pooled_in_one_pass=False))
    assert len(passes) == (2 if size[-1] == 1 else 0)  # one per batch of 4 for grayscale


@pytest.mark.parametrize(("size", "conv", "pool"), [
    ((13, 13, 32), {}, 2),  # the Keras MNIST convnet's second conv: 11x11 -> 10x10
    ((12, 9, 3), {"strides": 2, "padding": "same"}, 2),
    ((11, 12, 2), {"use_bias": False, "dilation_rate": 2}, 3),
])
def test_inference_computes_only_the_conv_outputs_that_a_pooling_window_reads(
        size, conv, pool, monkeypatch):
    """An odd-sized conv output's last row and column fall outside every window: inference
    leaves them out of the GEMM, with the same predictions bit for bit (NumPy or kernels)."""
    from engine.layers import conv_utils

    computed = []
    blocked = conv_utils.blocked_conv
    monkeypatch.setattr(conv_utils, "blocked_conv", lambda x, kernel, geom, finish: (
        computed.append(geom.out_size) or blocked(x, kernel, geom, finish)))

    def model():
        backend.set_seed(0)
        return Sequential([Input(size), layers.Conv2D(5, 3, activation="relu", **conv),
                           layers.MaxPooling2D(pool), layers.Flatten(), layers.Dense(3)])

    x = np.random.default_rng(0).normal(size=(6, *size)).astype(np.float32)
    full = model().layers[0].compute_output_shape(size)[:2]
    read = tuple(n // pool * pool for n in full)
    assert read != tuple(full)
    expected = _predictions(model(), x, pooled_in_one_pass=False)
    computed.clear()
    np.testing.assert_array_equal(_predictions(model(), x), expected)
    assert computed and set(computed) == {read}


def test_a_transposed_conv_below_a_pooling_keeps_its_own_computation():
    """Conv2DTranspose shares Conv2D's base class, not its arithmetic: a one-channel 3x3
    transposed conv with an odd output (11x11 from 9x9) before a 2x2 pooling predicts and
    trains as the layers taken one by one."""
    def model():
        backend.set_seed(0)
        return Sequential([Input((9, 9, 1)), layers.Conv2DTranspose(4, 3, activation="relu"),
                           layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(3)])

    x = np.random.default_rng(0).normal(size=(6, 9, 9, 1)).astype(np.float32)
    _predictions(model(), x)
    kernels.wait_until_ready(timeout=120)
    np.testing.assert_array_equal(_predictions(model(), x),
                                  _predictions(model(), x, pooled_in_one_pass=False))
    for a, b in zip(_gradients(model()), _gradients(model(), only_what_is_read=False)):
        np.testing.assert_array_equal(a, b)


def test_a_training_forward_never_takes_the_pooling_into_the_conv():
    model = _convnet()
    pool = model.layers[1]
    pool._cache = None
    _gradients(model)
    assert pool._cache is not None  # the pooling ran itself and kept what backward needs


class _DoubledConv(layers.Conv2D):
    """A user's subclass whose forward differs from Conv2D's."""

    def forward(self, x, training=False):
        return super().forward(x, training) * 2.0


def test_a_users_subclass_is_never_paired():
    """The pair would pass its own forward and backward by."""
    def plan(conv):
        return [("in", None, []), ("conv", conv, ["in"]),
                ("pool", layers.MaxPooling2D(2), ["conv"])]

    assert relu_pool_pairs(plan(layers.Conv2D(2, 3, activation="relu")), ["pool"]) == {
        "pool": "conv"}
    assert relu_pool_pairs(plan(_DoubledConv(2, 3, activation="relu")), ["pool"]) == {}
