"""Export to a Keras 3 `.keras` file that `keras.models.load_model` opens and that predicts
what the engine predicts.

    notes = export(model, "model.keras", compile_config=model.compile_config)

The file is what Keras 3's `model.save()` writes: `config.json` (a Sequential config for an
engine Sequential, a Functional config otherwise, with the compile settings when Keras has
them), `metadata.json`, and `model.weights.h5` with every weight at the path Keras reads it
from (see `keras_weights`). Only the weights are written, not the optimizer state: Keras
starts a fresh optimizer from the compile settings.
"""

import os

from ..atomic_write import write_bytes_atomically
from ..saving.archive import json_bytes
from ..errors import SpecError
from ..sequential import Sequential
from . import keras_compile
from .keras_archive import CONFIG, METADATA, SUFFIX, WEIGHTS, has_suffix, metadata_bytes, pack
from .keras_config import to_keras
from .keras_graph import functional_config, keras_layer_order, reachable_nodes, sequential_config
from .keras_weights import h5py_module, weights_bytes

#: The Keras release whose `model.save()` output this layout was checked against.
KERAS_FORMAT_VERSION = "3.15.1"


def export(model, path, compile_config=None) -> list[str]:
    """Writes `model` to the `.keras` file `path`; returns notes for the user.

    Args:
        model: A built engine model (Sequential or functional).
        path: Target file; must end in `.keras`, as Keras requires.
        compile_config: Compile settings to include; defaults to the model's own.

    Raises:
        SpecError: for a path without `.keras`, an unbuilt model or a layer Keras does not
            have (a user-registered layer).
        LayerCraftError: when h5py is not installed.
    """
    from .. import __version__  # noqa: PLC0415 - the package imports the engine first

    path = os.fspath(path)
    if not has_suffix(path):
        raise SpecError(f"Keras files must end in {SUFFIX}. Received: '{path}'. Fix: name "
                        f"it '{os.path.splitext(path)[0]}{SUFFIX}'.")
    h5py_module()  # fail before any work when the optional package is missing
    notes = []
    config, order = model_config(model, notes)
    compile_settings = compile_config or getattr(model, "compile_config", None)
    keras_compile_config = keras_compile.to_keras(compile_settings, notes)
    if keras_compile_config is not None:
        config["compile_config"] = keras_compile_config
    members = {CONFIG: json_bytes(config), WEIGHTS: weights_bytes(model, order),
               METADATA: metadata_bytes(KERAS_FORMAT_VERSION, __version__)}
    write_bytes_atomically(path, pack(members), what="Keras file")
    return notes


def model_config(model, notes: list) -> tuple[dict, list]:
    """Keras's config of `model` and `(layer name, Keras class)` in `model.layers` order."""
    from ..subclassed import is_subclassed  # noqa: PLC0415 - subclassed imports the model

    if is_subclassed(model):
        raise SpecError(f"Model '{model.name}' is a subclassed model ({type(model).__name__}): "
                        "its architecture is Python code, which the .keras export does not "
                        "write yet. Save it as a LayerCraft checkpoint (.lcm) after registering "
                        "the class with @engine.saving.register_keras_serializable().")
    if getattr(model, "graph", None) is None:
        raise SpecError(f"Model '{model.name}' is not built yet, so it has no weights to "
                        "export. Call it on data or build it first.")
    keras_layers = _keras_layers(model, notes)
    if isinstance(model, Sequential):
        names = [model.input_names[0]] + [layer.name for layer in model.layers]
        input_layer = keras_layers[names[0]].config
        config = sequential_config(model, [keras_layers[n].entry() for n in names],
                                   input_layer["batch_shape"])
        order = names[1:]
    else:
        order = keras_layer_order(model.graph, model.input_names)
        config = functional_config(model, keras_layers, order)
    return config, [(name, keras_layers[name].class_name) for name in order]


def _keras_layers(model, notes) -> dict:
    """Owner name -> `KerasLayer` for every layer the model runs (shared layers once)."""
    result = {}
    for name in reachable_nodes(model.graph):
        node = model.graph.nodes[name]
        if not node.shares:
            keras = to_keras(node.class_name, name, _engine_config(model, node))
            notes.extend(keras.notes)
            result[name] = keras
    return result


def _engine_config(model, node) -> dict:
    if node.class_name != "Input":
        return model.get_layer(node.name).get_config()
    layer = next((la for la in model.layers if la.name == node.name), None)
    if layer is None:  # a Sequential lists no Input layer; its node has the shape
        return dict(node.config)
    return {"shape": list(layer.shape), "batch_size": layer.batch_size, "dtype": layer.dtype}
