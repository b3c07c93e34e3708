"""The engine's half of each case: a timed fit (one time mark per epoch) and a timed predict."""

import itertools
import time

NAME = "engine"

LOSS = "sparse_categorical_crossentropy"


def epoch_clock():
    """A callback that records `time.perf_counter()` and the loss at every epoch end."""
    from engine.callbacks import Callback

    class EpochClock(Callback):
        def __init__(self):
            super().__init__()
            self.marks, self.losses = [], []

        def on_epoch_end(self, epoch, logs=None):
            self.marks.append(time.perf_counter())
            self.losses.append(float((logs or {}).get("loss", float("nan"))))

    return EpochClock()


def fit(make_model, x, y, batch, epochs, device="cpu", seed=0):
    """Trains a fresh model; returns (epoch times in seconds, last epoch's loss)."""
    from engine import backend, optimizers

    backend.set_seed(seed)
    model = make_model()
    model.compile(optimizer=optimizers.Adam(learning_rate=1e-3, epsilon=1e-7), loss=LOSS,
                  device=device)
    clock = epoch_clock()
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, shuffle=True, seed=seed,
              callbacks=[clock])
    marks = [start] + clock.marks
    return [b - a for a, b in itertools.pairwise(marks)], clock.losses[-1]


def predictor(make_model, x, batch, device="cpu"):
    """A function that predicts all of `x` once (softmax outputs back on the host)."""
    model = make_model()
    if device != "cpu":
        model.to_device(device)
    return lambda: model.predict(x, batch_size=batch)


def trainer(make_model, x, y, batch, device="cpu", seed=0):
    """A fresh compiled model and `epoch(index) -> loss`, which fits it one epoch more.

    For the engine-against-engine pairs (`pairs.py`), whose two sides alternate epoch by
    epoch; epoch `index` shuffles with seed `seed * 1000 + index` (as `tape_loop.trainer`).
    """
    from engine import backend, optimizers

    backend.set_seed(seed)
    model = make_model()
    model.compile(optimizer=optimizers.Adam(learning_rate=1e-3, epsilon=1e-7), loss=LOSS,
                  device=device)
    x, y = backend.to_device(x, device), backend.to_device(y, device)

    def epoch(index):
        history = model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=True,
                            seed=seed * 1000 + index)
        return float(history.history["loss"][-1])

    return epoch
