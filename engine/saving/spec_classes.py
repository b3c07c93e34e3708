"""The layer classes a spec names: which do not resolve in this process, and the message
that tells a person how to make them resolve.

A spec names each layer's class by its registered name ("Dense", "Custom>Scale"); loading
builds a layer only from a class the running process registered or the caller passed.
"""

import contextlib

from .. import registry
from .object_registration import check_custom_objects
from .subclassed_models import is_subclassed_spec, unknown_model_class


@contextlib.contextmanager
def resolving(custom_objects=None):
    """Resolves names against `custom_objects` too while the block runs (added to any
    enclosing `custom_object_scope`, as Keras's `load_model(custom_objects=...)` does)."""
    outer = registry.scope_objects()
    registry.set_scope_objects({**outer, **check_custom_objects(custom_objects)})
    try:
        yield
    finally:
        registry.set_scope_objects(outer)


def unknown_layer_classes(spec) -> list[tuple[str, str]]:
    """(layer name, class name) of every spec entry whose class does not resolve; for a
    subclassed model's spec, (model name, class name) when its class does not resolve."""
    if is_subclassed_spec(spec):  # its layers are made by its class's code
        return unknown_model_class(spec)
    entries = spec.get("layers") if isinstance(spec, dict) else None
    if not isinstance(entries, list):
        return []  # a malformed spec: `ModelGraph.from_spec` says what is wrong with it
    return [(entry.get("name"), entry.get("class_name")) for entry in entries
            if isinstance(entry, dict) and registry.lookup("layer", entry.get("class_name"))
            is None]


def unknown_classes_message(unknown, call: str = "load_model(path, custom_objects=...)") -> str:
    """Names every unresolved class and says the two ways to make it load."""
    listed = ", ".join(f"'{name}' ({cls})" for name, cls in unknown)
    bare = sorted({str(cls).rpartition(">")[2] for _, cls in unknown})
    example = ", ".join(f'"{name}": {name}' for name in bare if name.isidentifier()) \
        or '"ClassName": ClassName'
    custom = [cls for _, cls in unknown if ">" in str(cls)]
    origin = (f"{', '.join(sorted(set(map(str, custom))))} "
              "is a class registered with register_keras_serializable in the process that "
              "saved it. " if custom else "")
    return (f"These layers or models have classes that are not registered in this process: "
            f"{listed}. {origin}LayerCraft builds layers and models only from registered "
            "classes and never imports code named in a file. Define or import the class "
            "decorated with "
            "@engine.saving.register_keras_serializable() before loading, or pass it: "
            f"{call.replace('...', '{' + example + '}')}.")


def misnamed_layers(layers) -> list[str]:
    """Problems with saving `layers`: a class saved under a name that resolves to another
    class would load as that other class, silently. One line per such layer."""
    problems = []
    for layer in layers:
        cls = type(layer)
        name = layer.class_name()
        found = registry.lookup("layer", name)
        if found is not None and found is not cls and not _is_adapter(layer):
            problems.append(
                f"layer '{layer.name}' is a {cls.__module__}.{cls.__qualname__}, but its class "
                f"name {name!r} is the registered name of {found.__module__}."
                f"{found.__qualname__}, so it would load as that class. Register your class "
                "under its own name with @engine.saving.register_keras_serializable("
                "package='MyPackage').")
    return problems


def _is_adapter(layer) -> bool:
    """Layers that stand for something else in a spec (a subclassed model's call node)."""
    return type(layer).__name__ == "SubclassedCall"
