"""Registries of the engine's own classes, by kind and name.

Configs and files are resolved only against these registries: nothing is ever imported by a
module path found in a file. A user's class enters a table only when the running process
registers it (`engine.saving.register_keras_serializable`, or `register` below), or while a
`custom_object_scope` / a `custom_objects=` argument names it, for this thread only.
"""

import threading

from .errors import SpecError, describe_choices

_REGISTRIES: dict[str, dict[str, type]] = {}
# `custom_object_scope`'s {name: object}; per thread, as Keras keeps it (global_state).
_SCOPE = threading.local()


def register(kind: str, *aliases: str):
    """Class decorator: registers `cls` under its class name (and aliases) for `kind`."""

    def decorator(cls):
        for name in (getattr(cls, "CLASS_NAME", None) or cls.__name__, *aliases):
            add(kind, name, cls)
        return cls

    return decorator


def add(kind: str, name: str, cls) -> None:
    """Registers `cls` under `name` for `kind` (a later registration of a name replaces it,
    as re-running a notebook cell that defines a class must)."""
    _REGISTRIES.setdefault(kind, {})[name] = cls


def get_class(kind: str, name: str) -> type:
    """The class called `name` (scope first, then the tables), or a `SpecError` listing the
    valid names."""
    cls = lookup(kind, name)
    if cls is None:
        raise SpecError(
            f"Unknown {kind} {name!r}. Expected one of: {describe_choices(names(kind))}."
        )
    return cls


def lookup(kind: str, name) -> type | None:
    """The class `name` resolves to for `kind`, or None: an object of that kind in the active
    custom object scope comes first (Keras's order), then the registered table."""
    if not isinstance(name, str):
        return None
    scoped = scoped_object(name)
    if scoped is not None and _kind_of(scoped) == kind:
        return scoped
    return _REGISTRIES.get(kind, {}).get(name)


def scoped_object(name: str):
    """The object the active scope gives `name`: by the exact name, or for a registered
    name "package>Name" by its bare "Name" (a class saved in a process that registered it,
    loaded with `custom_objects={"Name": Name}`)."""
    objects = scope_objects()
    if name in objects:
        return objects[name]
    bare = name.rpartition(">")[2]
    return objects.get(bare) if bare != name else None


def scope_objects() -> dict:
    """This thread's custom object scope (empty outside any scope)."""
    return getattr(_SCOPE, "objects", None) or {}


def set_scope_objects(objects: dict) -> None:
    _SCOPE.objects = dict(objects)


def names(kind: str) -> list[str]:
    """Every name registered for `kind` (aliases included), in registration order."""
    return list(_REGISTRIES.get(kind, {}))


def classes(kind: str) -> list[type]:
    """Registered classes of `kind`, each once, in registration order."""
    seen: list[type] = []
    for cls in _REGISTRIES.get(kind, {}).values():
        if cls not in seen:
            seen.append(cls)
    return seen


def class_name_of(cls) -> str:
    return getattr(cls, "CLASS_NAME", None) or cls.__name__


def _kind_of(obj):
    from .saving.kinds import kind_of  # noqa: PLC0415 - saving imports this module

    return kind_of(obj)
