"""The `Initializer` base class and the initializers that draw nothing: `Zeros`, `Ones`,
`Constant` and `Identity`."""

import numpy as np

from .. import registry
from ..errors import SpecError

KIND = "initializer"


class Initializer:
    """Base class: `initializer(shape, dtype=None)` returns a NumPy array of `shape`.

    Subclasses implement `draw(shape, rng)` (float64 values; `rng` is a NumPy generator that
    only random initializers use) and write their constructor arguments back in
    `get_config`, so `from_config(get_config())` rebuilds them, as in Keras.
    """

    def __call__(self, shape, dtype=None):
        values = self.draw(tuple(int(d) for d in shape), self._generator())
        return np.asarray(values, dtype=dtype or "float32")

    def draw(self, shape: tuple, rng):
        raise NotImplementedError(f"{type(self).__name__} must implement draw(shape, rng)")

    def _generator(self):
        return None  # constant initializers draw nothing

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Initializer":
        return cls(**config)

    def to_config(self) -> dict:
        """`{"class_name", "config"}`: how a layer's spec stores this initializer."""
        return {"class_name": registry.class_name_of(type(self)), "config": self.get_config()}

    def clone(self) -> "Initializer":
        return type(self).from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@registry.register(KIND, "zeros", "zero")
class Zeros(Initializer):
    """All zeros."""

    def draw(self, shape, rng):
        return np.zeros(shape)


@registry.register(KIND, "ones", "one")
class Ones(Initializer):
    """All ones."""

    def draw(self, shape, rng):
        return np.ones(shape)


def _number(value, name, owner):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise SpecError(f"{owner}: `{name}` must be a number. Received: {name}={value!r}")
    return float(value)


@registry.register(KIND, "constant")
class Constant(Initializer):
    """Every entry equals `value` (a number). Defaults to `0.0`."""

    def __init__(self, value=0.0):
        self.value = _number(value, "value", "Constant")

    def draw(self, shape, rng):
        return np.full(shape, self.value)

    def get_config(self):
        return {"value": self.value}


@registry.register(KIND, "identity", "IdentityInitializer")
class Identity(Initializer):
    """`gain` times the identity matrix; only for 2-D weights. `gain` defaults to `1.0`."""

    def __init__(self, gain=1.0):
        self.gain = _number(gain, "gain", "Identity")

    def draw(self, shape, rng):
        if len(shape) != 2:
            raise SpecError(
                "Identity matrix initializer can only be used for 2D matrices. Received: "
                f"shape={shape}. Fix: use it for Dense kernels or recurrent kernels only."
            )
        return self.gain * np.eye(*shape)

    def get_config(self):
        return {"gain": self.gain}
