"""Registries of the engine's own classes, by kind and name.

Configs and files are resolved only against these registries: nothing is ever imported by a
module path found in a file.
"""

from .errors import SpecError, describe_choices

_REGISTRIES: dict[str, dict[str, type]] = {}


def register(kind: str, *aliases: str):
    """Class decorator: registers `cls` under its class name (and aliases) for `kind`."""

    def decorator(cls):
        table = _REGISTRIES.setdefault(kind, {})
        for name in (getattr(cls, "CLASS_NAME", None) or cls.__name__, *aliases):
            table[name] = cls
        return cls

    return decorator


def get_class(kind: str, name: str) -> type:
    """The registered class called `name`, or a `SpecError` listing the valid names."""
    table = _REGISTRIES.get(kind, {})
    if not isinstance(name, str) or name not in table:
        raise SpecError(
            f"Unknown {kind} {name!r}. Expected one of: {describe_choices(names(kind))}."
        )
    return table[name]


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
