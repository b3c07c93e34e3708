"""Saved models, weights and training checkpoints: one verified zip file each.

A checkpoint (`.lcm`, kind "model") holds the model spec, every weight, the compile settings,
the optimizer state, the epoch count, the best monitored values and the history, so training
resumes exactly. A weights file (`.weights.lcw` by convention, kind "weights") holds the spec
and the weights only. Any file name works: the manifest says what a file holds.

Members (see `archive` for the container and its checks):
    manifest.json          format, version, engine version, kind, time, SHA-256 + size of
                           every other member
    model.json             the model spec (`Model.to_spec()`)
    weights.safetensors    float32 weights named "0000:dense/kernel" (position in Keras
                           order : layer name / weight name)
    optimizer.safetensors  the optimizer state (`optimizer.get_state()`), model kind only
    training.json          compile settings, optimizer class and config, epoch, best, extra
    history.json           `History.history`, `.epoch` and `.params`

Reading and checking a file's members is `checkpoint_reading`'s work. Loading never
executes anything from a file: no pickle, class names only through the engine
registry (`Model.from_spec`), no path or URL inside a file is followed.
"""

import os

import numpy as np

from .. import backend, registry
from ..errors import CheckpointError, LayerCraftError
from . import archive, safetensors_io
from .archive import json_bytes, write_bytes_atomically
from .checkpoint_reading import CheckpointContents, read_checkpoint, read_weights

MODEL_SUFFIX = ".lcm"
WEIGHTS_SUFFIX = ".weights.lcw"

__all__ = ["CheckpointContents", "MODEL_SUFFIX", "WEIGHTS_SUFFIX", "load_model",
           "load_weights", "read_checkpoint", "save_model", "save_weights",
           "write_bytes_atomically"]


# ----- saving --------------------------------------------------------------------------------
def save_model(model, path, include_optimizer: bool = True, extra: dict | None = None, *,
               epoch: int | None = None, history=None) -> None:
    """Saves a full checkpoint of `model` to `path`, atomically.

    Args:
        model: A built engine model (compiled or not).
        path: Target file; `.lcm` by convention. A name ending in `.keras` writes Keras 3's
            format instead (`engine.interop.keras_export`; needs h5py).
        include_optimizer: Whether to save the optimizer state (when the model has one).
        extra: More JSON data to keep in `training.json` (read back as `.extra`).
        epoch: Completed epochs to record; defaults to `model.training_state["epoch"]`.
        history: A `History` (or its dict form) to save instead of `model.history`.

    Raises:
        CheckpointError: if a part cannot be stored or the file cannot be written.
    """
    from .. import __version__  # noqa: PLC0415 - the package imports this module

    path = os.fspath(path)
    if path.lower().endswith(".keras") and _save_keras_file(model, path):
        return  # Keras's own format, as `keras.Model.save` writes it
    members = _spec_and_weights(model, path)
    state = getattr(model, "training_state", None) or {}
    optimizer = getattr(model, "optimizer", None)
    training = {
        "compile_config": getattr(model, "compile_config", None),
        "optimizer": _optimizer_entry(optimizer),
        "epoch": int(state.get("epoch", 0) if epoch is None else epoch),
        "best": {str(k): _plain(v) for k, v in state.get("best", {}).items()},
        "extra": dict(extra or {}),
    }
    members["training.json"] = _json_member(path, "training settings", training)
    if include_optimizer and optimizer is not None and hasattr(optimizer, "get_state"):
        members["optimizer.safetensors"] = _tensor_member(path, "optimizer state", {
            name: backend.to_numpy(value) for name, value in optimizer.get_state().items()})
    history = getattr(model, "history", None) if history is None else history
    if history is not None:
        members["history.json"] = _json_member(path, "history", _history_dict(history))
    write_bytes_atomically(path, archive.pack(members, "model", __version__))


def _save_keras_file(model, path: str) -> bool:
    """`model.save("name.keras")` writes a file Keras 3 opens (and `load_model` reads back);
    what Keras cannot hold is left out with a warning. When Keras's format cannot hold the
    model at all (its own classes, a subclassed model, op nodes) or h5py (an optional extra)
    is missing, nothing is lost either: it says why and returns False, and the caller writes
    a LayerCraft checkpoint under that name, which `load_model` recognises by its contents."""
    import warnings  # noqa: PLC0415

    from ..interop import keras_export  # noqa: PLC0415 - optional format, h5py inside

    try:
        notes = keras_export.export(model, path)
    except LayerCraftError as exc:  # SpecError (what Keras cannot hold) or no h5py
        warnings.warn(f"Saving '{path}' as a LayerCraft checkpoint, which Keras cannot open: "
                      f"{exc}", stacklevel=3)
        return False
    for note in notes:
        warnings.warn(f"Saving '{path}': {note}", stacklevel=3)
    return True


def save_weights(model, path) -> None:
    """Saves the spec and the weights of `model` to `path` (`.weights.lcw` by convention)."""
    from .. import __version__  # noqa: PLC0415
    from .subclassed_models import is_built  # noqa: PLC0415 - saving imports this
    from ..subclassed import is_subclassed  # noqa: PLC0415 - subclassed imports model

    path = os.fspath(path)
    if is_subclassed(model) and not is_built(model):  # Keras refuses the same
        raise CheckpointError(f"You are saving a model that has not yet been built: model "
                              f"'{model.name}' has no weights yet. Call it on data, fit it or "
                              "call model.build(input_shape) before save_weights().")
    members = _spec_and_weights(model, path)
    write_bytes_atomically(path, archive.pack(members, "weights", __version__))


def _spec_and_weights(model, path: str) -> dict:
    spec = _saved_spec(model, path)
    layout = weight_layout(model)
    arrays = model.get_weights()
    tensors = {f"{i:04d}:{layer}/{key}": np.asarray(array, dtype=np.float32)
               for i, ((layer, key, _), array) in enumerate(zip(layout, arrays))}
    return {"model.json": _json_member(path, "model spec", spec),
            "weights.safetensors": _tensor_member(path, "weights", tensors)}


def _saved_spec(model, path: str) -> dict:
    """`model.to_spec()`; a subclassed model's (its class and config) refused with what to
    fix when it cannot load again."""
    from ..subclassed import is_subclassed  # noqa: PLC0415 - subclassed imports model

    if not is_subclassed(model):
        _check_class_names(model, path)  # a subclassed model's layers are made by its code
        return model.to_spec()
    try:
        return model.to_spec()
    except (LayerCraftError, NotImplementedError) as exc:
        raise CheckpointError(f"Could not save model '{model.name}' to '{path}': "
                              f"{exc}") from None


def weight_layout(model) -> list[tuple]:
    """`(layer name, weight name, shape)` of each of `model.get_weights()`, in that order.

    A weight of a custom layer's tracked sublayer is named by its attribute path
    (`inner/kernel` for `self.inner = Dense(...)`), which does not change between processes.
    """
    from .weight_paths import sublayer_paths  # noqa: PLC0415 - saving imports this

    layout = []
    for layer in model.layers:
        if not hasattr(layer, "_weight_entries"):  # a model held by a subclassed model
            layout.extend(_nested_layout(layer))
            continue
        entries = layer._weight_entries()
        paths = sublayer_paths(layer) if any(o is not layer for o, _ in entries) else {}
        layout.extend((layer.name, key if owner is layer else
                       f"{paths.get(id(owner), owner.name)}/{key}",
                       tuple(int(d) for d in owner.params[key].shape))
                      for owner, key in entries)
    return layout


def _nested_layout(model) -> list[tuple]:
    """A nested model's weights, named by layer position ("layers.2/kernel"): its layers'
    own names depend on what the process made before."""
    positions = {id(layer): i for i, layer in enumerate(model.layers)}
    return [(model.name, f"layers.{positions[id(model.get_layer(name))]}/{key}", shape)
            for name, key, shape in weight_layout(model)]


def _check_class_names(model, path: str) -> None:
    """Refuses to save a layer whose class name would load as another class."""
    from .spec_classes import misnamed_layers  # noqa: PLC0415 - saving imports this

    problems = misnamed_layers(model.layers)
    if problems:
        raise CheckpointError(f"Could not save '{path}': " + "; ".join(problems))


def _optimizer_entry(optimizer):
    if optimizer is None or not hasattr(optimizer, "get_config"):
        return None
    return {"class_name": registry.class_name_of(type(optimizer)),
            "config": optimizer.get_config()}


def _history_dict(history) -> dict:
    if isinstance(history, dict):
        data = history
    else:
        data = {"history": history.history, "epoch": getattr(history, "epoch", []),
                "params": getattr(history, "params", {}) or {}}
    return {"history": {str(k): [_plain(v) for v in values]
                        for k, values in data.get("history", {}).items()},
            "epoch": [int(e) for e in data.get("epoch", [])],
            "params": {str(k): v for k, v in (data.get("params") or {}).items()
                       if v is None or isinstance(v, (bool, int, float, str))}}


def _plain(value):
    """A log value as JSON data (NumPy scalars and arrays become numbers and lists)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    return value


def _json_member(path: str, what: str, value) -> bytes:
    try:
        return json_bytes(value)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"Could not save the checkpoint '{path}': the {what} are not "
                              f"plain JSON data ({exc}).") from None


def _tensor_member(path: str, what: str, tensors: dict) -> bytes:
    try:
        return safetensors_io.encode(tensors)
    except safetensors_io.SafetensorsFormatError as exc:
        raise CheckpointError(f"Could not save the {what} to '{path}': {exc}") from None


# ----- loading ---------------------------------------------------------------------------------
def load_model(path, custom_objects=None, compile: bool = True, safe_mode: bool = True,
               device: str = "cpu"):
    """Rebuilds the model saved at `path` with its weights and, for a checkpoint, its
    compile settings, optimizer state, history (`model.history`) and `model.training_state`.

    Args:
        path: A checkpoint (`.lcm`), a weights file (gives an uncompiled model), or a Keras 3
            `.keras` file (read by `engine.interop.keras_import`; needs h5py).
        custom_objects: Optional `{name: class}` for custom classes the file names that this
            process has not registered (`{"Scale": Scale}`); registered classes
            (`engine.saving.register_keras_serializable`) need no entry.
        compile: Whether to compile with the saved settings and restore the optimizer.
        safe_mode: Accepted for Keras compatibility; loading never runs code from the file
            (Keras's unsafe lambdas do not exist here), so it changes nothing.
        device: `"cpu"`, `"gpu"` or `"auto"`.

    Raises:
        CheckpointError: when the file cannot be read or its model cannot be rebuilt, naming
            any layer class that is neither registered nor in `custom_objects`.
    """
    from .spec_classes import resolving  # noqa: PLC0415 - saving imports this module

    with resolving(custom_objects):
        if os.fspath(path).lower().endswith(".keras") and not archive.is_layercraft(path):
            from ..interop import keras_import  # noqa: PLC0415 - optional format, h5py inside

            return keras_import.load(path, compile=compile, device=device)
        contents = read_checkpoint(path)
        model = _build_saved_model(contents, device)
        if compile and contents.compile_config is not None:
            _restore_compile(model, contents)  # a registered custom loss resolves here
    return model


def _build_saved_model(contents, device):
    """The saved model with its weights, history and training state, not compiled."""
    from ..model import Model  # noqa: PLC0415 - the model module may import this one
    from .spec_classes import (  # noqa: PLC0415 - saving imports this module
        unknown_classes_message, unknown_layer_classes)

    unknown = unknown_layer_classes(contents.spec)
    if unknown:
        raise CheckpointError(f"The checkpoint '{contents.path}' cannot be loaded: "
                              f"{unknown_classes_message(unknown)}")
    try:
        model = Model.from_spec(contents.spec, device=device)
    except LayerCraftError as exc:
        raise CheckpointError(f"The checkpoint '{contents.path}' holds a model this LayerCraft "
                              f"cannot build:\n{exc}") from None
    assign_weights(model, contents)
    model.training_state = {"epoch": contents.epoch, "best": dict(contents.best)}
    model.history = None if contents.history is None else _history_object(model, contents)
    return model


def load_weights(model, path) -> None:
    """Loads the weights saved at `path` into `model`: a weights file, a checkpoint, or a
    `.safetensors` file of weights named as LayerCraft names them ("0000:dense/kernel"), such
    as the one an exported PyTorch package's train.py writes.

    Raises:
        CheckpointError: naming the first weight whose name or shape does not match.
    """
    if os.fspath(path).lower().endswith(".safetensors"):
        assign_weights(model, read_safetensors_weights(path))
        return
    assign_weights(model, read_checkpoint(path))


def read_safetensors_weights(path) -> CheckpointContents:
    """The weights of a bare `.safetensors` file, checked as a checkpoint's are (float32,
    LayerCraft's names, numbered 0..n-1); it holds no spec, so `spec` is empty."""
    path = os.fspath(path)
    try:
        if os.path.getsize(path) > archive.MAX_MEMBER_BYTES:
            raise CheckpointError(f"The weights file '{path}' is larger than LayerCraft reads "
                                  f"({archive.MAX_MEMBER_BYTES} bytes).")
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise CheckpointError(f"Cannot read the weights file '{path}': {exc.strerror}.") from None
    return CheckpointContents(path=path, kind="weights", format_version=1, engine_version="",
                              created="", spec={}, weights=read_weights(path, data))


def assign_weights(model, contents: CheckpointContents) -> None:
    """Copies the saved weights into `model` after checking their names and shapes.

    Layer names may differ (a model rebuilt in a new session); the order of the weights,
    each weight's name (`kernel`, `bias`...) and its shape must match.
    """
    layout = weight_layout(model)
    saved = list(contents.weights.items())
    if saved and not layout and _unbuilt_subclassed(model):
        raise CheckpointError(
            f"You are loading weights into a model that has not yet been built: model "
            f"'{model.name}' has no weights yet. Call it on data or call "
            "model.build(input_shape) first, then load the weights.")
    if len(saved) != len(layout):
        raise CheckpointError(
            f"The checkpoint '{contents.path}' holds {len(saved)} weight arrays, but model "
            f"'{model.name}' has {len(layout)}. Load it into a model with the same layers, or "
            "use load_model() to rebuild the saved model.")
    for (name, array), (layer, key, shape) in zip(saved, layout):
        if not _same_weight_name(name, key) or tuple(array.shape) != shape:
            raise CheckpointError(
                f"The checkpoint '{contents.path}' does not fit model '{model.name}': its "
                f"weight {name!r} has shape {tuple(array.shape)}, but the model's weight "
                f"'{layer}/{key}' at that position has shape {shape}. Load it into a model "
                "with the same layers, or use load_model() to rebuild the saved model.")
    model.set_weights([array for _, array in saved])


def _unbuilt_subclassed(model) -> bool:
    from .subclassed_models import is_built  # noqa: PLC0415 - saving imports this
    from ..subclassed import is_subclassed  # noqa: PLC0415 - subclassed imports model

    return is_subclassed(model) and not is_built(model)


def _same_weight_name(saved: str, key: str) -> bool:
    """Whether a saved name ("0001:scale/inner/kernel") ends with the model's weight `key`
    ("inner/kernel"); the layer name before it may differ."""
    return saved.split("/")[-(key.count("/") + 1):] == key.split("/")


def _history_object(model, contents):
    from ..callbacks.history import History  # noqa: PLC0415 - callbacks import this module

    history = History.from_dict(contents.history)
    history.set_model(model)
    return history


def _restore_compile(model, contents) -> None:
    config = dict(contents.compile_config)
    if contents.training.get("optimizer"):
        config["optimizer"] = contents.training["optimizer"]  # its current learning rate
    try:
        model.compile(**config)
        if contents.optimizer_state is not None:
            model.optimizer.set_state(contents.optimizer_state)
    except (LayerCraftError, TypeError, ValueError, KeyError) as exc:
        raise CheckpointError(
            f"The checkpoint '{contents.path}' has compile settings or an optimizer state this "
            f"LayerCraft cannot use ({exc}). Load it with compile=False and compile the model "
            "yourself.") from None

