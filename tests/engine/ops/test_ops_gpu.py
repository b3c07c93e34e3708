"""engine.ops on CuPy: the same values and gradients as on NumPy, results staying on the GPU.

Marked `gpu`: skipped without CuPy and a CUDA device (`make gpu-check` runs them).
"""

import numpy as np
import pytest

from engine import backend, ops
from engine.ops.tape import GradientTape

pytestmark = pytest.mark.gpu

CASES = {
    "matmul_relu_sum": lambda a, b: ops.sum(ops.relu(ops.matmul(a, b))),
    "softmax_log": lambda a, b: ops.mean(ops.log_softmax(a, axis=-1)) + ops.sum(b * b),
    "broadcast_div": lambda a, b: ops.sum(a / (ops.abs(ops.mean(b, axis=0)) + 1.0)),
    "slice_concat": lambda a, b: ops.sum(ops.concatenate([a[:, :2], b[:2].T], axis=0) ** 2),
    "take_max": lambda a, b: ops.sum(ops.max(ops.take(a, [0, 2], axis=0), axis=-1)) + ops.sum(b),
    "einsum_tanh": lambda a, b: ops.sum(ops.tanh(ops.einsum("ij,jk->ik", a, b))),
    "sigmoid_ce": lambda a, b: ops.mean(ops.binary_crossentropy(
        ops.sigmoid(a), ops.sigmoid(a[:, ::-1]))) + ops.sum(b),
}


def _gradients(fn, arrays):
    tensors = [ops.convert_to_tensor(a) for a in arrays]
    with GradientTape() as tape:
        for t in tensors:
            tape.watch(t)
        out = fn(*tensors)
    return out, tape.gradient(out, tensors)


@pytest.mark.parametrize("name", sorted(CASES))
def test_ops_on_the_gpu_match_the_cpu(name):
    import cupy  # noqa: PLC0415 - only with a GPU

    rng = np.random.default_rng(0)
    host = [rng.standard_normal((4, 3)).astype(np.float32),
            rng.standard_normal((3, 5)).astype(np.float32)]
    device = [cupy.asarray(a) for a in host]
    cpu_out, cpu_grads = _gradients(CASES[name], host)
    gpu_out, gpu_grads = _gradients(CASES[name], device)
    assert backend.is_gpu_array(gpu_out.value)
    np.testing.assert_allclose(gpu_out.numpy(), cpu_out.numpy(), rtol=1e-5, atol=1e-6)
    for gpu, cpu in zip(gpu_grads, cpu_grads):
        assert backend.is_gpu_array(gpu.value)
        np.testing.assert_allclose(gpu.numpy(), cpu.numpy(), rtol=1e-5, atol=1e-6)


def test_a_custom_layer_trains_on_the_gpu():
    import engine as keras  # noqa: PLC0415

    class Linear(keras.layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units))
            self.b = self.add_weight(shape=(self.units,), initializer="zeros")

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 8)).astype(np.float32)
    y = x @ rng.standard_normal((8, 1)).astype(np.float32)
    model = keras.Sequential([keras.Input((8,)), Linear(1)])
    model.compile(optimizer="adam", loss="mse", device="gpu")
    history = model.fit(x, y, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
