"""The "custom Dense" case's layer: Dense written as a user writes a Keras layer.

`build` creates the weights with `add_weight`, `call` composes `ops.matmul`, the bias add and
the activation from `engine.ops` (the `Linear` layer of Keras's guide "Making new layers and
models via subclassing", with an activation). Inside `fit()` the engine runs `call` under a
private tape and walks it back, where the built-in `Dense` runs its fused forward/backward:
the case measures what that generality costs.
"""

import functools


@functools.cache
def layer_class():
    """The layer class, defined on first use (the engine loads after `machine.setup`)."""
    import engine as keras
    from engine import ops

    activations = {None: lambda x: x, "relu": ops.relu, "softmax": ops.softmax}

    class KerasStyleDense(keras.layers.Layer):
        def __init__(self, units, activation=None, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.activation = activation

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="glorot_uniform", trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return activations[self.activation](ops.matmul(inputs, self.w) + self.b)

    return KerasStyleDense


def engine_custom_mlp(hidden=(128,), inputs=784, classes=10):
    """`models.engine_mlp` with every Dense replaced by `KerasStyleDense`."""
    from engine import Input, Sequential

    dense = layer_class()
    stack = [Input((inputs,))] + [dense(h, activation="relu") for h in hidden]
    return Sequential(stack + [dense(classes, activation="softmax")])
