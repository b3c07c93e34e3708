import numpy as np
import pytest

from engine import layers
from engine.errors import ShapeError

from gradcheck import check_layer_gradients


@pytest.mark.parametrize("activation", [None, "relu", "tanh", "softmax", "gelu", "sigmoid"])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)])
def test_dense_gradients(activation, shape, rng):
    layer = layers.Dense(5, activation=activation)
    check_layer_gradients(layer, rng.standard_normal(shape))


def test_dense_forward_is_x_kernel_plus_bias(rng):
    layer = layers.Dense(3, activation="relu")
    x = rng.standard_normal((4, 2)).astype(np.float32)
    layer.build((2,))
    kernel = np.array([[1, -2, 0.5], [3, 1, -1]], np.float32)
    layer.set_weights([kernel, np.array([0.1, 0.2, 0.3], np.float32)])
    np.testing.assert_allclose(layer(x), np.maximum(x @ kernel + [0.1, 0.2, 0.3], 0), rtol=1e-5, atol=1e-6)


def test_dense_weights_follow_keras_layout():
    layer = layers.Dense(128)
    layer.build((784,))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (784, 128) and bias.shape == (128,)
    assert kernel.dtype == np.float32
    assert layer.count_params() == 100480


def test_dense_regularizer_penalty_and_gradient(rng):
    layer = layers.Dense(2, kernel_regularizer={"class_name": "L2", "config": {"l2": 0.5}})
    layer.build((3,))
    kernel = layer.params["kernel"]
    assert layer.regularization_loss() == pytest.approx(0.5 * float((kernel ** 2).sum()), rel=1e-6)
    layer.grads["kernel"][...] = 0
    layer.add_regularization_gradients()
    np.testing.assert_allclose(layer.grads["kernel"], kernel, rtol=1e-6)


def test_activation_layer_gradients(rng):
    check_layer_gradients(layers.Activation("softplus"), rng.standard_normal((3, 4)))


def test_input_layer_passes_data_through():
    layer = layers.InputLayer(shape=(28, 28))
    assert layer.compute_output_shape() == (28, 28)
    assert layer.get_config()["shape"] == [28, 28]


def test_set_weights_refuses_the_wrong_shape():
    layer = layers.Dense(3)
    layer.build((2,))
    with pytest.raises(ShapeError, match="'kernel' has shape \\(2, 3\\); received .*\\(3, 3\\)"):
        layer.set_weights([np.zeros((3, 3)), np.zeros(3)])
