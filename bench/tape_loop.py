"""The "GradientTape loop" case: the engine model trained by a hand-written loop, as the
keras-io guide "Writing a training loop from scratch" writes it. It mirrors
`engine_side.trainer`: same optimizer, loss and batch size, the same fresh shuffle each
epoch, and the loss read back every batch as fit() logs it; so both reach the same weights.
"""

import numpy as np


def trainer(make_model, x, y, batch, device="cpu", seed=0):
    """A fresh model and `epoch(index) -> mean loss`, which trains it one epoch more."""
    from engine import backend, losses, optimizers

    backend.set_seed(seed)
    model = make_model()
    if device != "cpu":
        model.to_device(device)
    optimizer = optimizers.Adam(learning_rate=1e-3, epsilon=1e-7)
    loss_fn = losses.SparseCategoricalCrossentropy()
    x, y = backend.to_device(x, device), backend.to_device(y, device)

    def epoch(index):
        order = np.random.default_rng(seed * 1000 + index).permutation(len(x))
        return train_epoch(model, optimizer, loss_fn, x, y, backend.to_device(order, device),
                           batch)

    return epoch


def train_epoch(model, optimizer, loss_fn, x, y, order, batch):
    """One pass over `x` in the order `order`; returns the mean loss."""
    from engine import GradientTape

    total = 0.0
    for start in range(0, len(x), batch):
        index = order[start:start + batch]
        x_batch, y_batch = x[index], y[index]
        with GradientTape() as tape:
            probabilities = model(x_batch, training=True)
            loss_value = loss_fn(y_batch, probabilities)
        grads = tape.gradient(loss_value, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        total += float(loss_value) * len(index)
    return total / len(x)
