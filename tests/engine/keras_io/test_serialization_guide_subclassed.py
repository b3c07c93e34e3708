"""The subclassed-model parts of the keras-io saving guides, run on the engine.

Sources:
- guides/serialization_and_saving.py (keras-io, the TF2-era guide), "How SavedModel handles
  custom objects": a `CustomModel(hidden_units)` with get_config/from_config, built by calling
  it, saved and loaded with `custom_objects`.
- guides/keras_core/serialization_and_saving.py (Keras 3), "Transfering weights from one
  model to another model with a compatible architecture, in memory".

Changes: the imports (`from tensorflow import keras` / `import keras` -> `import engine as
keras`), `tf.random.uniform((1, 5))` -> a NumPy array, and the file name. The TF2 guide's
"Option 2" (loading after `del CustomModel`) revives the model from the traced TensorFlow
graph in the SavedModel; LayerCraft stores no code, so that load is refused with an error
naming the class, as `.keras` files do in Keras 3.
"""

import numpy as np
import pytest

import engine as keras
from engine.errors import CheckpointError


def test_custom_model_saved_and_loaded_with_custom_objects(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    class CustomModel(keras.Model):
        def __init__(self, hidden_units):
            super(CustomModel, self).__init__()
            self.hidden_units = hidden_units
            self.dense_layers = [keras.layers.Dense(u) for u in hidden_units]

        def call(self, inputs):
            x = inputs
            for layer in self.dense_layers:
                x = layer(x)
            return x

        def get_config(self):
            return {"hidden_units": self.hidden_units}

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    model = CustomModel([16, 16, 10])
    # Build the model by calling it
    input_arr = np.random.uniform(size=(1, 5)).astype("float32")
    outputs = model(input_arr)
    model.save("my_model")

    # Option 1: Load with the custom_object argument.
    loaded_1 = keras.models.load_model(
        "my_model", custom_objects={"CustomModel": CustomModel})

    # Option 2: Load without the CustomModel class.

    # Delete the custom-defined model class to ensure that the loader does not have
    # access to it.
    del CustomModel

    with pytest.raises(CheckpointError, match="'custom_model' \\(CustomModel\\)"):
        keras.models.load_model("my_model")
    np.testing.assert_allclose(loaded_1(input_arr), outputs)


def test_weights_transferred_from_a_functional_to_a_subclassed_model():
    # Create a simple functional model
    inputs = keras.Input(shape=(784,), name="digits")
    x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = keras.layers.Dense(10, name="predictions")(x)
    functional_model = keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")

    # Define a subclassed model with the same architecture
    class SubclassedModel(keras.Model):
        def __init__(self, output_dim, name=None):
            super().__init__(name=name)
            self.output_dim = output_dim
            self.dense_1 = keras.layers.Dense(64, activation="relu", name="dense_1")
            self.dense_2 = keras.layers.Dense(64, activation="relu", name="dense_2")
            self.dense_3 = keras.layers.Dense(output_dim, name="predictions")

        def call(self, inputs):
            x = self.dense_1(inputs)
            x = self.dense_2(x)
            x = self.dense_3(x)
            return x

        def get_config(self):
            return {"output_dim": self.output_dim, "name": self.name}

    subclassed_model = SubclassedModel(10)
    # Call the subclassed model once to create the weights.
    subclassed_model(np.ones((1, 784)))

    # Copy weights from functional_model to subclassed_model.
    subclassed_model.set_weights(functional_model.get_weights())

    assert len(functional_model.weights) == len(subclassed_model.weights)
    for a, b in zip(functional_model.weights, subclassed_model.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy())
