"""keras-io guides/keras_core/making_new_layers_and_models_via_subclassing.py ("Making new
layers and models via subclassing"), run on the engine.

Changes from the guide: the imports (`import keras_core as keras` -> `import engine as
keras`, `from keras_core import ops, layers` -> `from engine import ops, layers`), `print`
turned into assertions, and the data shrunk (the VAE trains on 256 upscaled digits, not
60,000 MNIST images). Everything else is the guide's code.
"""

import numpy as np
import pytest

import engine as keras
from engine import layers, ops


class Linear(keras.layers.Layer):
    def __init__(self, units=32, input_dim=32):
        super().__init__()
        self.w = self.add_weight(
            shape=(input_dim, units),
            initializer="random_normal",
            trainable=True,
        )
        self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class LazyLinear(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=True,
        )
        self.b = self.add_weight(
            shape=(self.units,), initializer="random_normal", trainable=True
        )

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


class ActivityRegularizationLayer(keras.layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs


def test_a_layer_holds_weights_and_computes():
    x = ops.ones((2, 2))
    linear_layer = Linear(4, 2)
    y = linear_layer(x)
    assert y.shape == (2, 4)
    expected = np.ones((2, 2)) @ linear_layer.w.numpy() + linear_layer.b.numpy()
    np.testing.assert_allclose(np.asarray(y), expected, rtol=1e-6)
    assert linear_layer.weights == [linear_layer.w, linear_layer.b]


def test_layers_can_have_non_trainable_weights():
    class ComputeSum(keras.layers.Layer):
        def __init__(self, input_dim):
            super().__init__()
            self.total = self.add_weight(
                initializer="zeros", shape=(input_dim,), trainable=False
            )

        def call(self, inputs):
            self.total.assign_add(ops.sum(inputs, axis=0))
            return self.total

    x = ops.ones((2, 2))
    my_sum = ComputeSum(2)
    y = my_sum(x)
    np.testing.assert_allclose(y.numpy(), [2.0, 2.0])
    y = my_sum(x)
    np.testing.assert_allclose(y.numpy(), [4.0, 4.0])
    assert len(my_sum.weights) == 1
    assert len(my_sum.non_trainable_weights) == 1
    assert my_sum.trainable_weights == []


def test_weights_are_created_on_the_first_call_when_build_is_deferred():
    x = ops.ones((2, 2))
    linear_layer = LazyLinear(32)
    assert linear_layer.weights == []
    y = linear_layer(x)
    assert y.shape == (2, 32) and linear_layer.w.shape == (2, 32)


def test_layers_are_recursively_composable():
    class MLPBlock(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.linear_1 = LazyLinear(32)
            self.linear_2 = LazyLinear(32)
            self.linear_3 = LazyLinear(1)

        def call(self, inputs):
            x = self.linear_1(inputs)
            x = keras.activations.relu(x)
            x = self.linear_2(x)
            x = keras.activations.relu(x)
            return self.linear_3(x)

    mlp = MLPBlock()
    y = mlp(ops.ones(shape=(3, 64)))  # The first call to the `mlp` will create the weights
    assert y.shape == (3, 1)
    assert len(mlp.weights) == 6
    assert len(mlp.trainable_weights) == 6


def test_add_loss_keeps_the_losses_of_the_last_call():
    class OuterLayer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.activity_reg = ActivityRegularizationLayer(1e-2)

        def call(self, inputs):
            return self.activity_reg(inputs)

    layer = OuterLayer()
    assert len(layer.losses) == 0  # No losses yet since the layer has never been called
    _ = layer(ops.zeros((1, 1)))
    assert len(layer.losses) == 1  # We created one loss value
    _ = layer(ops.zeros((1, 1)))
    assert len(layer.losses) == 1  # This is the loss created during the call above


def test_losses_include_the_inner_layers_weight_regularization():
    class OuterLayerWithKernelRegularizer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(
                32, kernel_regularizer=keras.regularizers.l2(1e-3)
            )

        def call(self, inputs):
            return self.dense(inputs)

    layer = OuterLayerWithKernelRegularizer()
    _ = layer(ops.zeros((1, 1)))
    (penalty,) = layer.losses
    kernel = layer.dense.kernel.numpy() if hasattr(layer.dense, "kernel") else \
        layer.dense.params["kernel"]
    assert float(penalty) == pytest.approx(1e-3 * float(np.sum(kernel ** 2)), rel=1e-5)


def test_add_loss_terms_join_fit_with_and_without_a_compiled_loss():
    inputs = keras.Input(shape=(3,))
    outputs = ActivityRegularizationLayer()(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    x, y = np.random.random((2, 3)), np.random.random((2, 3))
    history = model.fit(x, y, verbose=0)
    mse = float(np.mean((x - y) ** 2))
    assert history.history["loss"][0] == pytest.approx(mse + 1e-2 * float(np.mean(x)),
                                                       rel=1e-4)
    model.compile(optimizer="adam")
    history = model.fit(x, y, verbose=0)
    assert history.history["loss"][0] == pytest.approx(1e-2 * float(np.mean(x)), rel=1e-4)


def test_layers_serialize_through_get_config():
    layer = LazyLinear(64)
    config = layer.get_config()
    assert config["units"] == 64
    new_layer = LazyLinear.from_config(config)
    assert new_layer.units == 64 and new_layer.name == layer.name


def test_the_training_argument_reaches_call():
    class CustomDropout(keras.layers.Layer):
        def __init__(self, rate, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate

        def call(self, inputs, training=None):
            if training:
                return keras.random.dropout(inputs, rate=self.rate)
            return inputs

    layer = CustomDropout(0.5)
    x = np.ones((4, 100), np.float32)
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    dropped = np.asarray(layer(x, training=True))
    assert 0 < (dropped == 0).mean() < 1 and set(np.unique(dropped)) <= {0.0, 2.0}


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim))
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class Encoder(layers.Layer):
    """Maps MNIST digits to a triplet (z_mean, z_log_var, z)."""

    def __init__(self, latent_dim=32, intermediate_dim=64, name="encoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_mean = layers.Dense(latent_dim)
        self.dense_log_var = layers.Dense(latent_dim)
        self.sampling = Sampling()

    def call(self, inputs):
        x = self.dense_proj(inputs)
        z_mean = self.dense_mean(x)
        z_log_var = self.dense_log_var(x)
        z = self.sampling((z_mean, z_log_var))
        return z_mean, z_log_var, z


class Decoder(layers.Layer):
    """Converts z, the encoded digit vector, back into a readable digit."""

    def __init__(self, original_dim, intermediate_dim=64, name="decoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_output = layers.Dense(original_dim, activation="sigmoid")

    def call(self, inputs):
        x = self.dense_proj(inputs)
        return self.dense_output(x)


class VariationalAutoEncoder(keras.Model):
    """Combines the encoder and decoder into an end-to-end model for training."""

    def __init__(
        self,
        original_dim,
        intermediate_dim=64,
        latent_dim=32,
        name="autoencoder",
        **kwargs
    ):
        super().__init__(name=name, **kwargs)
        self.original_dim = original_dim
        self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
        self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

    def call(self, inputs):
        z_mean, z_log_var, z = self.encoder(inputs)
        reconstructed = self.decoder(z)
        # Add KL divergence regularization loss.
        kl_loss = -0.5 * ops.mean(
            z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1
        )
        self.add_loss(kl_loss)
        return reconstructed


def _digits(n=256):
    from guide_data import mnist_load_data  # noqa: PLC0415 - tests/engine is on sys.path

    (x_train, _), _ = mnist_load_data(n, 16)
    return x_train.reshape(n, 784).astype("float32") / 255


def test_the_variational_autoencoder_trains_with_fit():
    x_train = _digits()
    vae = VariationalAutoEncoder(784, 64, 32)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    vae.compile(optimizer, loss=keras.losses.MeanSquaredError())
    history = vae.fit(x_train, x_train, epochs=4, batch_size=64, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert [layer.name for layer in vae.layers] == ["encoder", "decoder"]
    assert len(vae.trainable_weights) == 10
    assert vae.losses and float(vae.losses[0]) >= 0.0  # the KL term of the last call
