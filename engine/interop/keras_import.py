"""Opening a Keras 3 `.keras` file as an engine model, without running anything from it.

    model, notes = import_model("colleague.keras")   # notes: what was dropped or adapted
    model = engine.load_model("colleague.keras")      # the same, through the usual entry

Sequential and Functional models are rebuilt from `config.json` layer by layer
(`keras_config`, `keras_graph`), the weights are read from `model.weights.h5` at Keras's
paths (`keras_weights`), and the compile settings are applied when the engine has them
(`keras_compile`). Loading never executes code: classes come only from the engine's
registry; Lambda layers, custom and unknown classes are refused by name, all of them in one
message and before any model is built (no partial model); no path or URL in the file is
followed; sizes, shapes and dtypes are checked before arrays are read.
"""

import os

from ..errors import CheckpointError, LayerCraftError
from ..model import Model
from . import keras_compile
from .keras_archive import CONFIG, METADATA, WEIGHTS, read_json, unpack
from .keras_spec import spec_from_keras
from .keras_weights import assign_weights


def load(path, compile: bool = True, device: str = "cpu") -> Model:
    """The model in the Keras file `path` (see `import_model`; the notes are dropped)."""
    return import_model(path, compile=compile, device=device)[0]


def import_model(path, compile: bool = True, device: str = "cpu") -> tuple[Model, list[str]]:
    """Rebuilds the model saved by Keras 3 at `path`, with its weights.

    Args:
        path: A `.keras` file written by Keras 3's `model.save()` (or by `keras_export`).
        compile: Whether to apply the file's compile settings; settings the engine does not
            have leave the model uncompiled, with a note.
        device: `"cpu"`, `"gpu"` or `"auto"`.

    Returns:
        `(model, notes)`: notes say what was dropped or adapted (training-only settings,
        compile settings that could not be used).

    Raises:
        CheckpointError: for a damaged or foreign file, and for a model with layers the
            engine cannot rebuild (each named, with its class).
        LayerCraftError: when h5py is not installed (checked once the model is rebuilt, so
            a foreign or refused model says so first).
    """
    path = os.fspath(path)
    members = unpack(path)
    config = read_json(path, members, CONFIG)
    if METADATA in members and not isinstance(read_json(path, members, METADATA), dict):
        raise CheckpointError(f"'{path}' is a Keras archive, but its {METADATA} is not a JSON "
                              "object. Use an original copy of the file.")
    notes = []
    model, order = _build(path, config, notes, device)
    assign_weights(path, members[WEIGHTS], model, order)
    if compile and isinstance(config, dict):
        _compile(model, config.get("compile_config"), notes)
    return model, notes


def _build(path, config, notes, device):
    try:
        if not isinstance(config, dict):
            raise LayerCraftError(f"{CONFIG} holds a {type(config).__name__}, not a model "
                                  "config object.")
        spec, order = spec_from_keras(config, notes)
        return Model.from_spec(spec, device=device), order
    except LayerCraftError as exc:
        raise CheckpointError(f"'{path}' is a Keras archive, but LayerCraft cannot open the "
                              f"model in it:\n{exc}") from None
    except RecursionError:
        raise CheckpointError(f"'{path}' is a Keras archive whose layers are nested too deeply "
                              "(wrappers inside wrappers) to rebuild. Use an original copy of "
                              "the file.") from None


def _compile(model, keras_config, notes) -> None:
    config = keras_compile.from_keras(keras_config, notes)
    if config is None:
        return
    try:
        model.compile(**config)
    except (LayerCraftError, TypeError, ValueError, KeyError) as exc:
        notes.append(f"The compile settings were not used ({exc}). Compile the model "
                     "yourself.")
