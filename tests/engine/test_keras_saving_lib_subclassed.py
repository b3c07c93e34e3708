"""Keras's own save/load tests of a subclassed model, run on the engine.

Source: keras/src/saving/saving_lib_test.py (Keras 3): `MyDense`, `CustomModelX`,
`my_mean_squared_error`, `_get_subclassed_model`, `_test_inference_after_instantiation`
and `_test_compile_preserved`, for the "subclassed" case.

Changes: the imports (`import keras` -> `import engine as keras`, `from keras.src import
ops` -> `from engine import ops`), `saving_lib.load_model` -> `keras.saving.load_model`,
the file name (`my_model.keras` -> `my_model.lcm`: a `.keras` name means a Keras 3 file),
unittest assertions -> plain asserts and `np.testing`, and the optimizer's state compared
through `optimizer.get_state()` (engine optimizers have no `variables` list yet). The
`_MEMORY_UPPER_BOUND` variants are left out: LayerCraft has one loading path.
"""

import os

import numpy as np
import pytest

import engine as keras
from engine import ops


pytestmark = pytest.mark.usefixtures("registrations_undone")  # see tests/conftest.py


def _get_subclassed_model(compile=True):

    @keras.saving.register_keras_serializable(package="my_custom_package")
    class MyDense(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.nested_layer = keras.layers.Dense(self.units, name="dense")

        def build(self, input_shape):
            self.additional_weights = [
                self.add_weight(shape=(), name="my_additional_weight", initializer="ones",
                                trainable=True),
                self.add_weight(shape=(), name="my_additional_weight_2", initializer="ones",
                                trainable=True),
            ]
            self.weights_in_dict = {
                "my_weight": self.add_weight(shape=(), name="my_dict_weight",
                                             initializer="ones", trainable=True),
            }
            self.nested_layer.build(input_shape)

        def call(self, inputs):
            return self.nested_layer(inputs)

        def two(self):
            return 2

    @keras.saving.register_keras_serializable(package="my_custom_package")
    class CustomModelX(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.dense1 = MyDense(1, name="my_dense_1")
            self.dense2 = MyDense(1, name="my_dense_2")

        def call(self, inputs):
            out = self.dense1(inputs)
            return self.dense2(out)

    @keras.saving.register_keras_serializable(package="my_custom_package")
    def my_mean_squared_error(y_true, y_pred):
        """Identical to built-in `mean_squared_error`, but as a custom fn."""
        return ops.mean(ops.square(y_pred - y_true), axis=-1)

    subclassed_model = CustomModelX(name="custom_model_x")
    if compile:
        subclassed_model.compile(
            optimizer="adam",
            loss=my_mean_squared_error,
            metrics=[keras.metrics.Hinge(), "mse"],
        )
    return subclassed_model


def test_inference_after_instantiation(tmp_path):
    model = _get_subclassed_model(compile=False)
    x_ref = np.random.random((2, 4))
    y_ref = model(x_ref)
    temp_filepath = os.path.join(tmp_path, "my_model.lcm")
    model.save(temp_filepath)

    loaded_model = keras.saving.load_model(temp_filepath)
    assert not model.compiled
    for w_ref, w in zip(model.variables, loaded_model.variables):
        np.testing.assert_allclose(w, w_ref)
    np.testing.assert_allclose(loaded_model(x_ref), y_ref)


def test_compile_preserved(tmp_path):
    model = _get_subclassed_model(compile=True)
    x_ref = np.random.random((2, 4))
    y_ref = np.random.random((2, 1))

    model.fit(x_ref, y_ref)
    out_ref = model(x_ref)
    ref_metrics = model.evaluate(x_ref, y_ref)
    temp_filepath = os.path.join(tmp_path, "my_model.lcm")
    model.save(temp_filepath)

    loaded_model = keras.saving.load_model(temp_filepath)
    assert model.compiled
    assert loaded_model.built
    for w_ref, w in zip(model.variables, loaded_model.variables):
        np.testing.assert_allclose(w, w_ref)
    np.testing.assert_allclose(loaded_model(x_ref), out_ref)

    assert model.optimizer.__class__ == loaded_model.optimizer.__class__
    assert model.optimizer.get_config() == loaded_model.optimizer.get_config()
    saved_state = model.optimizer.get_state()
    for name, w in loaded_model.optimizer.get_state().items():
        np.testing.assert_allclose(w, saved_state[name])

    new_metrics = loaded_model.evaluate(x_ref, y_ref)
    for ref_m, m in zip(ref_metrics, new_metrics):
        np.testing.assert_allclose(m, ref_m)
