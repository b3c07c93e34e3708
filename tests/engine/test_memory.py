"""Memory stays flat: no growth per epoch after the first, and predict is bounded."""

import tracemalloc

import numpy as np

from engine import Input, Sequential, callbacks, layers


def test_that_training_memory_is_steady_after_the_first_epoch():
    rng = np.random.default_rng(0)
    x = rng.random((2000, 64), dtype=np.float32)
    y = rng.integers(0, 10, 2000)
    model = Sequential([Input((64,)), layers.Dense(64, activation="relu"), layers.Dropout(0.2),
                        layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    readings = []
    probe = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: readings.append(tracemalloc.get_traced_memory()[0]))
    tracemalloc.start()
    try:
        model.fit(x, y, epochs=6, batch_size=64, validation_split=0.1, verbose=0,
                  callbacks=[probe])
    finally:
        tracemalloc.stop()
    growth = max(readings[1:]) - readings[1]
    assert growth < 64 * 1024, f"memory grew by {growth} bytes after the first epoch"


def test_that_predict_on_many_samples_needs_only_batch_sized_memory():
    model = Sequential([Input((256,)), layers.Dense(512, activation="relu"),
                        layers.Dense(10, activation="softmax")])
    x = np.random.default_rng(0).random((20000, 256), dtype=np.float32)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        out = model.predict(x, batch_size=256)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    result_bytes = out.nbytes
    per_batch_activations = 256 * 512 * 4 * 4  # a few (batch, 512) float32 buffers
    assert peak < result_bytes + per_batch_activations + 4 * 1024 * 1024
    assert peak < x.nbytes / 4  # far less than holding all activations at once
