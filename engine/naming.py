"""Unique default names, Keras style: `dense`, `dense_1`, `dense_2`..."""

import re
import threading

_counters: dict[str, int] = {}
_lock = threading.Lock()


def snake_case(class_name: str) -> str:
    """`Conv2D` -> `conv2d`, `BatchNormalization` -> `batch_normalization`."""
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", class_name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return name.lower()


def unique_name(base: str) -> str:
    """Returns `base` the first time, then `base_1`, `base_2`..."""
    base = snake_case(base) if base[:1].isupper() else base
    with _lock:
        count = _counters.get(base, 0)
        _counters[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def clear_session() -> None:
    """Restarts default naming, as `keras.backend.clear_session()` does."""
    with _lock:
        _counters.clear()
