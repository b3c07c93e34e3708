"""The preprocessing and augmentation layers on a GPU give the CPU's results (skipped
without CuPy and a CUDA device)."""

import numpy as np
import pytest

from engine import backend, layers

pytestmark = pytest.mark.gpu

LAYERS = [
    lambda: layers.Resizing(7, 5), lambda: layers.Resizing(3, 3, antialias=True),
    lambda: layers.CenterCrop(4, 4), lambda: layers.RandomFlip(),
    lambda: layers.RandomRotation(0.2, fill_mode="constant", fill_value=0.5),
    lambda: layers.RandomZoom(0.3, fill_mode="wrap"),
    lambda: layers.RandomTranslation(0.2, 0.2, interpolation="nearest"),
    lambda: layers.RandomContrast(0.4), lambda: layers.RandomCrop(4, 5),
]


@pytest.mark.parametrize("make", LAYERS)
def test_that_forward_and_backward_on_the_gpu_follow_the_cpu(rng, make):
    images = rng.uniform(0, 255, (3, 6, 8, 2)).astype("float32")
    results = []
    for device in ("cpu", "gpu"):
        layer = make()
        backend.set_seed(5)
        out = layer(backend.to_device(images, device), training=True)
        grad = layer.backward(backend.xp(device).ones_like(out))
        results.append((backend.to_numpy(out), backend.to_numpy(grad)))
    for cpu, gpu in zip(*results):
        np.testing.assert_allclose(gpu, cpu, rtol=1e-4, atol=1e-3)


def test_that_normalization_and_category_encoding_run_on_the_gpu(rng):
    data = rng.standard_normal((20, 3)).astype("float32") * 4 + 2
    norm = layers.Normalization()
    norm.adapt(backend.to_device(data, "gpu"))
    out = norm(backend.to_device(data, "gpu"))
    assert backend.is_gpu_array(out)
    np.testing.assert_allclose(backend.to_numpy(out).mean(axis=0), 0.0, atol=1e-5)
    ids = backend.to_device(np.array([[0, 2], [1, 1]], dtype="float32"), "gpu")
    for mode, expected in (("multi_hot", [[1, 0, 1], [0, 1, 0]]),
                           ("count", [[1, 0, 1], [0, 2, 0]])):
        encoded = layers.CategoryEncoding(3, mode)(ids)
        np.testing.assert_array_equal(backend.to_numpy(encoded), expected)
