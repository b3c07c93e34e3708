"""Unique default names, Keras style: `dense`, `dense_1`, `dense_2`..."""

import re
import threading

_counters: dict[str, int] = {}
_lock = threading.Lock()


def snake_case(class_name: str) -> str:
    """`Conv2D` -> `conv2d`, `BatchNormalization` -> `batch_normalization`."""
    # Keras's rule: split before a capitalised word, then between a lower-case letter and a
    # capital, so digits stay with their word (Conv2D -> conv2d, MaxPooling2D -> max_pooling2d).
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


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
