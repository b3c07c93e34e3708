"""Weight regularizers (`L1`, `L2`, `L1L2`) whose penalty joins the loss, as in Keras.

    layers.Dense(64, kernel_regularizer=regularizers.L2(1e-4))
    layers.Dense(64, kernel_regularizer=regularizers.l2(1e-4))   # Keras's lower-case alias
    layers.Dense(64, kernel_regularizer="l2")                    # L2(0.01)

A layer's spec stores a regularizer as `{"class_name", "config"}`.
"""

import math

from . import registry
from .backend import get_array_module
from .errors import SpecError

KIND = "regularizer"
NAMES = ("l1", "l2", "l1_l2")


def _factor(value, name: str) -> float:
    """Keras's `validate_float_arg`: a finite number >= 0."""
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value) or value < 0):
        raise SpecError(f"Invalid value for argument {name}: expected a non-negative float. "
                        f"Received: {name}={value!r}")
    return float(value)


class Regularizer:
    """Penalty `__call__(w)` added to the loss and its gradient `gradient(w)`."""

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Regularizer":
        return cls(**config)

    def to_config(self) -> dict:
        return {"class_name": type(self).__name__, "config": self.get_config()}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@registry.register(KIND, "l1_l2")
class L1L2(Regularizer):
    """`l1 * sum(|w|) + l2 * sum(w**2)`; both factors default to `0.0` (`None` means 0)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(0.0 if l1 is None else l1, "l1")
        self.l2 = _factor(0.0 if l2 is None else l2, "l2")

    def __call__(self, w):
        xp = get_array_module(w)
        total = 0.0
        if self.l1:
            total = total + self.l1 * xp.abs(w).sum()
        if self.l2:
            total = total + self.l2 * (w * w).sum()
        return total

    def gradient(self, w):
        xp = get_array_module(w)
        grad = xp.zeros_like(w)
        if self.l1:
            grad += self.l1 * xp.sign(w)
        if self.l2:
            grad += 2.0 * self.l2 * w
        return grad

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


@registry.register(KIND, "l1")
class L1(L1L2):
    """`l1 * sum(|w|)`; `l1` defaults to `0.01`."""

    def __init__(self, l1=0.01):
        super().__init__(l1=0.01 if l1 is None else l1)

    def get_config(self):
        return {"l1": self.l1}


@registry.register(KIND, "l2")
class L2(L1L2):
    """`l2 * sum(w**2)`; `l2` defaults to `0.01`."""

    def __init__(self, l2=0.01):
        super().__init__(l2=0.01 if l2 is None else l2)

    def get_config(self):
        return {"l2": self.l2}


# Keras 3 exports the classes under lower-case names too: `regularizers.l2(1e-4)`.
l1, l2, l1_l2 = L1, L2, L1L2

# A name alone means Keras's default strength; "l1_l2" gives both 0.01 here (Keras 3's
# L1L2() has zero factors, a penalty of nothing, which no one picks a name for).
_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": lambda: L1L2(l1=0.01, l2=0.01)}


def serialize(regularizer: Regularizer) -> dict:
    """`{"class_name", "config"}` for a regularizer (plain JSON data)."""
    return regularizer.to_config()


def deserialize(config: dict) -> Regularizer:
    """A regularizer from `{"class_name": "L2", "config": {"l2": 0.001}}`."""
    cls = registry.get_class(KIND, config.get("class_name"))
    try:
        return cls.from_config(dict(config.get("config") or {}))
    except TypeError as exc:
        raise SpecError(f"Bad regularizer config {config!r}: {exc}") from None


def get(identifier):
    """A regularizer from `None`, a name (`"l2"`), a config dict, a class or an instance."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise SpecError(
                f"Unknown regularizer {identifier!r}. Expected one of: 'l1', 'l2', 'l1_l2', "
                "or a config such as {'class_name': 'L2', 'config': {'l2': 0.001}}."
            )
        return _BY_NAME[identifier]()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Regularizer):
        return identifier()
    raise SpecError(f"Could not interpret regularizer identifier: {identifier!r}. Expected "
                    "None, 'l1', 'l2', 'l1_l2', a config such as {'class_name': 'L2', 'config': "
                    "{'l2': 0.001}}, or an instance such as regularizers.L2(0.001).")
