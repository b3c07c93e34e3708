"""The same models on CuPy give the CPU's numbers (skipped without CuPy and a CUDA device)."""

import numpy as np
import pytest

from engine import Input, Sequential, backend, layers

pytestmark = pytest.mark.gpu


def cnn():
    return Sequential([Input((8, 8, 1)), layers.Conv2D(8, 3, activation="relu", padding="same"),
                       layers.MaxPooling2D(), layers.BatchNormalization(), layers.Flatten(),
                       layers.Dense(16, activation="relu"), layers.Dense(10, activation="softmax")])


def digits():
    from engine import datasets

    (x, y), _ = datasets.load("digits")
    return (x / 16.0).reshape(-1, 8, 8, 1).astype(np.float32)[:256], y[:256]


def test_that_training_on_the_gpu_follows_the_cpu():
    x, y = digits()
    runs = {}
    for device in ("cpu", "gpu"):
        backend.set_seed(0)
        model = cnn()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], device=device)
        history = model.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
        runs[device] = (history.history["loss"], model.predict(x[:16]), model)
    np.testing.assert_allclose(runs["gpu"][0], runs["cpu"][0], rtol=2e-3)
    np.testing.assert_allclose(runs["gpu"][1], runs["cpu"][1], atol=2e-3)
    assert isinstance(runs["gpu"][1], np.ndarray)


def test_that_a_gpu_model_saves_and_loads_on_the_cpu(tmp_path):
    from engine import load_model

    x, y = digits()
    model = cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", device="gpu")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "gpu.lcm")
    again = load_model(tmp_path / "gpu.lcm")
    np.testing.assert_allclose(again.predict(x[:8]), model.predict(x[:8]), atol=1e-5)
