"""`engine.saving`, shaped like `keras.saving`: registering custom classes so that saved
models load again, and the save/load entry points.

    @engine.saving.register_keras_serializable(package="MyLayers")
    class Scale(engine.layers.Layer):
        ...

    model.save("model.lcm")
    model = engine.saving.load_model("model.lcm")           # Scale is registered here too
    model = engine.saving.load_model("model.lcm", custom_objects={"Scale": Scale})

Nothing in a spec or a checkpoint is code: a class is found only if the running process
registered it or the caller passes it.
"""

from .checkpoint import load_model, load_weights, save_model, save_weights
from .object_registration import (CustomObjectScope, custom_object_scope, get_custom_objects,
                                  get_registered_name, get_registered_object,
                                  register_keras_serializable)
from .serialization import deserialize_keras_object, serialize_keras_object
from .spec_classes import resolving

__all__ = ["CustomObjectScope", "custom_object_scope", "deserialize_keras_object",
           "get_custom_objects", "get_registered_name", "get_registered_object", "load_model",
           "load_weights", "register_keras_serializable", "resolving", "save_model",
           "save_weights", "serialize_keras_object"]
