"""The same models built in LayerCraft's engine and in PyTorch, for side-by-side timing."""


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
    from torch import nn

    parts, width = [], inputs
    for h in hidden:
        parts += [nn.Linear(width, h), nn.ReLU()]
        width = h
    return nn.Sequential(*parts, nn.Linear(width, classes))  # logits; CrossEntropyLoss


def torch_convnet():
    from torch import nn

    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5),
                         nn.Linear(1600, 10))
