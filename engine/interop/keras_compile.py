"""Compile settings between the engine and a Keras 3 `compile_config`, both ways.

The engine's compile config names Keras's classes (`{"class_name": "Adam", "config":
{...}}`, `"sparse_categorical_crossentropy"`...), so only the wrapping differs: Keras adds a
`module` to each object and keeps a few keys of its own (`use_ema`, `jit_compile`...), which
are dropped coming in and set to their defaults going out. Objects are resolved only
against the engine's registries; a custom loss, metric or optimizer leaves the model
uncompiled, with a note.
"""

from .. import registry

_MODULES = {"optimizer": "keras.optimizers", "loss": "keras.losses", "metric": "keras.metrics",
            "schedule": "keras.optimizers.schedules"}
#: Keras optimizer keys the engine does not have, with the values that make them inactive
#: (the EMA's momentum and frequency matter only with `use_ema`).
_KERAS_OPTIMIZER_KEYS = {"use_ema": False, "loss_scale_factor": None,
                         "gradient_accumulation_steps": None}
_EMA_KEYS = ("ema_momentum", "ema_overwrite_frequency")


class _Unusable(Exception):
    """A compile setting the engine does not have (the message says which)."""


_KERAS_ONLY = {"weighted_metrics": None, "run_eagerly": False, "steps_per_execution": 1,
               "jit_compile": False, "auto_scale_loss": True}


# ----- LayerCraft -> Keras ---------------------------------------------------------------------
def to_keras(config: dict | None, notes: list) -> dict | None:
    """Keras's `compile_config` for an engine compile config (None stays None)."""
    if not config or config.get("optimizer") is None or config.get("loss") is None:
        return None
    optimizer = config["optimizer"]
    if isinstance(optimizer, dict):
        optimizer = _object_to_keras("optimizer", optimizer)
        learning_rate = optimizer["config"].get("learning_rate")
        if isinstance(learning_rate, dict):
            optimizer["config"]["learning_rate"] = _object_to_keras("schedule", learning_rate)
    return {"optimizer": optimizer, "loss": _map(config["loss"], "loss", notes),
            "loss_weights": config.get("loss_weights"),
            "metrics": _map(config.get("metrics"), "metric", notes),
            "weighted_metrics": None, "run_eagerly": False, "steps_per_execution": 1,
            "jit_compile": False}


def _object_to_keras(kind, value: dict) -> dict:
    return {"module": _MODULES[kind], "class_name": value.get("class_name"),
            "config": dict(value.get("config") or {}), "registered_name": None}


def _map(value, kind, notes):
    """Losses or metrics (a name, an object, or lists and dicts of them) in Keras's form."""
    if isinstance(value, list):
        mapped = [_map(v, kind, notes) for v in value]
        return [v for v in mapped if v is not _DROP]
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _map(v, kind, notes) for k, v in value.items()}
    if isinstance(value, dict):
        if value.get("class_name") == "function":  # the user's own function: code, not data
            notes.append(f"The {kind} function {value.get('config')!r} is your own code; the "
                         ".keras file cannot carry it, so it is left out of the compile "
                         "settings. Compile the model again in Keras with that function.")
            return _DROP
        if not _keras_has(kind, value["class_name"]):
            notes.append(f"The {kind} {value['class_name']} is LayerCraft's own; Keras has no "
                         "such class, so it is left out of the compile settings.")
            return _DROP
        return _object_to_keras(kind, value)
    return value


_DROP = object()


def _keras_has(kind, class_name) -> bool:
    return not (kind == "metric" and class_name == "ConfusionMatrix")


# ----- Keras -> LayerCraft ---------------------------------------------------------------------
def from_keras(config, notes: list) -> dict | None:
    """The engine's compile config for Keras's, or None (with a note) when it cannot be."""
    if not isinstance(config, dict) or not config:
        return None
    try:
        result = {"optimizer": _optimizer_from_keras(config.get("optimizer"), notes),
                  "loss": _unwrap(config.get("loss"), "loss"),
                  "metrics": _unwrap(config.get("metrics"), "metric") or [],
                  "loss_weights": config.get("loss_weights")}
    except _Unusable as exc:
        notes.append(f"The compile settings were not used: {exc} Compile the model yourself.")
        return None
    for key, default in _KERAS_ONLY.items():
        if config.get(key, default) not in (default, None):
            notes.append(f"The Keras compile setting `{key}={config[key]!r}` was dropped.")
    return result


def _optimizer_from_keras(value, notes):
    if not isinstance(value, dict):
        return _unwrap(value, "optimizer")
    optimizer = _unwrap(value, "optimizer")
    config = optimizer["config"]
    for key, default in _KERAS_OPTIMIZER_KEYS.items():
        if config.pop(key, default) not in (default, None):
            notes.append(f"The optimizer's `{key}` was dropped: LayerCraft has no such setting.")
    for key in _EMA_KEYS:
        config.pop(key, None)
    if isinstance(config.get("learning_rate"), dict):
        config["learning_rate"] = _unwrap(config["learning_rate"], "schedule")
    return optimizer


def _unwrap(value, kind):
    """A name, or `{"class_name", "config"}` checked against the engine's registry."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        return [_unwrap(v, kind) for v in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _unwrap(v, kind) for k, v in value.items()}
    if not isinstance(value, dict):
        raise _Unusable(f"the {kind} {value!r} is not a name or a Keras object.")
    class_name, module = value.get("class_name"), value.get("module")
    if class_name == "function":  # a function: its name, when it is Keras's own
        return _function_name(value, kind)
    if not (isinstance(module, str) and module.split(".")[0] == "keras") or \
            value.get("registered_name") not in (None, class_name) or \
            class_name not in registry.names(kind):
        raise _Unusable(f"the {kind} {value.get('registered_name') or class_name!r} (module "
                         f"{module!r}) is not one LayerCraft has.")
    config = value.get("config") or {}
    if not isinstance(config, dict):
        raise _Unusable(f"the {kind} {class_name} has no config object.")
    return {"class_name": class_name,
            "config": {k: v for k, v in config.items() if v is not None}}


def _function_name(value, kind) -> str:
    name, module = value.get("config"), value.get("module")
    if not isinstance(name, str) or not isinstance(module, str) or \
            module.split(".")[0] != "keras":
        raise _Unusable(f"the {kind} {name!r} is a custom function (module {module!r}), whose "
                        "code is not in the file.")
    return name
