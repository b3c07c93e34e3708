"""The inference-only fast paths give exactly what the training path gives.

predict/evaluate promise that no backward pass follows, so convolutions build their output in
cache-sized blocks without keeping patches, and relu compares against a zero-page array
instead of a scalar. Both are speed changes only: every value must stay the same.
"""

import os

import numpy as np
import pytest

from engine import Input, Sequential, activations, backend, layers
from engine.layers import conv_utils as cu

CONVS = [
    (layers.Conv2D, dict(filters=5, kernel_size=3, activation="relu"), (7, 9, 9, 3)),
    (layers.Conv2D, dict(filters=4, kernel_size=3, padding="same", strides=2,
                         activation="tanh"), (6, 10, 11, 1)),
    (layers.Conv2D, dict(filters=3, kernel_size=(2, 3), dilation_rate=2, use_bias=False,
                         activation="softmax"), (5, 9, 8, 2)),
    (layers.Conv1D, dict(filters=6, kernel_size=3, padding="causal", activation="relu"),
     (9, 12, 2)),
]


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of a few samples, so a batch is split with a shorter last block."""
    monkeypatch.setattr(cu, "BLOCK_BYTES", 4096)


@pytest.mark.parametrize("cls, kwargs, shape", CONVS)
def test_blocked_inference_conv_equals_the_training_forward(cls, kwargs, shape, rng,
                                                            small_blocks):
    layer = cls(**kwargs)
    layer.build(shape[1:])
    layer.set_weights([rng.standard_normal(w.shape).astype(np.float32)
                       for w in layer.get_weights()])
    x = rng.standard_normal(shape).astype(np.float32)
    expected = layer.forward(x, training=False)
    layer.inference_only = True
    got = layer.forward(x, training=False)
    assert got.shape == expected.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layer", [layers.Conv2D(3, 3, activation="relu"),
                                   layers.MaxPooling2D(2)])
def test_an_inference_forward_leaves_the_last_training_forward_ready_for_backward(layer, rng):
    # A persistent GradientTape may call predict between the forward pass and the gradient.
    x = rng.standard_normal((4, 8, 9, 2)).astype(np.float32)
    layer.build(x.shape[1:])
    y = layer.forward(x, training=True)
    grad = rng.standard_normal(y.shape).astype(np.float32)
    expected = layer.backward(grad)
    layer.forward(x, training=True)
    layer.inference_only = True
    layer.forward(rng.standard_normal((6, 8, 9, 2)).astype(np.float32))  # another batch
    layer.inference_only = False
    np.testing.assert_array_equal(layer.backward(grad), expected)


def test_that_blocked_conv_splits_a_batch_into_cache_sized_blocks(rng, small_blocks):
    x = rng.standard_normal((10, 6, 6, 2)).astype(np.float32)
    kernel = rng.standard_normal((3 * 3 * 2, 4)).astype(np.float32)
    geom = cu.conv_geometry((6, 6), (3, 3), (1, 1), (1, 1), "valid")
    seen = []
    out = cu.blocked_conv(x, kernel, geom, lambda block: seen.append(block.shape[0]))
    assert sum(seen) == 10 and len(seen) > 2  # every sample once, several blocks
    expected = cu.im2col(x, geom).reshape(-1, 18) @ kernel
    np.testing.assert_allclose(out.reshape(-1, 4), expected, rtol=1e-5, atol=1e-6)


def test_predict_uses_the_inference_path_and_training_still_gets_its_gradients(rng):
    model = Sequential([Input((8, 8, 1)), layers.Conv2D(4, 3, activation="relu"),
                        layers.Flatten(), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = rng.random((20, 8, 8, 1)).astype(np.float32)
    y = rng.integers(0, 3, 20)
    eager = backend.to_numpy(model(x))  # plain forward, patches kept
    np.testing.assert_allclose(model.predict(x, batch_size=7), eager, rtol=1e-5, atol=1e-6)
    conv = model.layers[0]
    assert conv.inference_only
    before = conv.get_weights()[0].copy()
    model.fit(x, y, epochs=1, batch_size=10, verbose=0)  # backward needs the patches again
    assert not conv.inference_only
    assert not np.allclose(conv.get_weights()[0], before)


def test_that_evaluate_is_inference_only_too(rng):
    model = Sequential([Input((6, 6, 2)), layers.Conv2D(2, 3), layers.Flatten(),
                        layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.evaluate(rng.random((4, 6, 6, 2)), rng.random((4, 1)), verbose=0)
    assert model.layers[0].inference_only


def test_relu_on_the_zero_page_keeps_values_nans_and_dtypes():
    x = np.array([[-1.5, 0.0, 2.0], [np.nan, -0.0, np.inf]], dtype=np.float32)
    for value in (activations.get("relu").forward(x),
                  activations.get("relu").forward_in_place(x.copy())):
        np.testing.assert_array_equal(value, np.maximum(x, 0))
        assert value.dtype == np.float32
    assert activations.relu([-1.0, 3.0]).tolist() == [0.0, 3.0]  # lists still work
    strided = np.arange(-6, 6, dtype=np.float64).reshape(3, 4)[:, ::2]
    np.testing.assert_array_equal(activations.relu(strided), np.maximum(strided, 0))


def test_that_the_zero_operand_is_read_only_and_grows_on_demand():
    small = backend.zeros_operand(np.ones((2, 3), np.float32))
    assert small.shape == (2, 3) and not small.flags.writeable and not small.any()
    big = backend.zeros_operand(np.ones((1 << 17, 3), np.float32))
    assert big.shape == (1 << 17, 3) and not big.any()
    with pytest.raises(ValueError):
        big[0, 0] = 1.0
    assert backend.zeros_operand(np.ones(3, bool)) == 0  # only float32 gets the array
    assert backend.zeros_operand(np.ones(3)) == 0  # float64 is faster against the scalar


def resident_kb(field):
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="Linux memory accounting")
def test_that_the_zero_operand_costs_no_memory():
    before = resident_kb("RssShmem"), resident_kb("RssAnon")
    zeros = backend.zeros_operand(np.empty(16 << 20, np.float32))  # 64 MB of zeros
    assert not zeros.any()  # every page read
    after = resident_kb("RssShmem"), resident_kb("RssAnon")
    assert after[0] - before[0] < 1024 and after[1] - before[1] < 8 * 1024  # kB


@pytest.mark.gpu
@pytest.mark.parametrize("cls, kwargs, shape", CONVS)
def test_blocked_inference_conv_on_cupy_matches_numpy(cls, kwargs, shape, rng):
    cpu, gpu = cls(**kwargs), cls(**kwargs)
    cpu.build(shape[1:])
    gpu.device = "gpu"
    gpu.build(shape[1:])
    gpu.set_weights(cpu.get_weights())
    x = rng.standard_normal(shape).astype(np.float32)
    gpu.inference_only = True
    got = gpu.forward(backend.to_device(x, "gpu"))
    np.testing.assert_allclose(backend.to_numpy(got), cpu.forward(x), rtol=1e-4, atol=1e-4)
