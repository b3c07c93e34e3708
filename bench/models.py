"""The same models built in LayerCraft's engine and in PyTorch, for side-by-side timing."""

import numpy as np


def engine_mlp(hidden=(128,), inputs=784, classes=10):
    from engine import Input, Sequential, layers

    stack = [Input((inputs,))] + [layers.Dense(h, activation="relu") for h in hidden]
    return Sequential(stack + [layers.Dense(classes, activation="softmax")])


def engine_convnet():
    """The Keras MNIST convnet example (conv32-pool-conv64-pool-dropout-dense10)."""
    from engine import Input, Sequential, layers

    return Sequential([Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
                       layers.MaxPooling2D(2), layers.Conv2D(64, 3, activation="relu"),
                       layers.MaxPooling2D(2), layers.Flatten(), layers.Dropout(0.5),
                       layers.Dense(10, activation="softmax")])


def torch_mlp(hidden=(128,), inputs=784, classes=10):
    import torch.nn as nn

    parts, width = [], inputs
    for h in hidden:
        parts += [nn.Linear(width, h), nn.ReLU()]
        width = h
    return nn.Sequential(*parts, nn.Linear(width, classes))  # logits; CrossEntropyLoss


def torch_convnet():
    import torch.nn as nn

    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5),
                         nn.Linear(1600, 10))


def mnist_like(count, shape=(784,), seed=0):
    """Random data shaped like MNIST: values in [0, 1], labels 0..9."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(count, *shape)).astype(np.float32) / 255.0
    return x, rng.integers(0, 10, size=count)
