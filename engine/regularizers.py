"""Weight regularizers (l1, l2, l1_l2) whose penalty joins the loss, as in Keras."""

from . import registry
from .backend import get_array_module
from .errors import SpecError

NAMES = ("l1", "l2", "l1_l2")


class Regularizer:
    """Penalty `__call__(w)` added to the loss and its gradient `gradient(w)`."""

    def get_config(self) -> dict:
        return {}

    def to_config(self) -> dict:
        return {"class_name": type(self).__name__, "config": self.get_config()}


@registry.register("regularizer")
class L1L2(Regularizer):
    """`l1 * sum(|w|) + l2 * sum(w**2)`."""

    def __init__(self, l1=0.0, l2=0.0):
        for arg, value in (("l1", l1), ("l2", l2)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise SpecError(f"Regularizer `{arg}` must be a number >= 0. Received: {value!r}")
        self.l1, self.l2 = float(l1), float(l2)

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


@registry.register("regularizer")
class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


@registry.register("regularizer")
class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": lambda: L1L2(l1=0.01, l2=0.01)}


def get(identifier):
    """A regularizer from `None`, a name (`"l2"`), a config dict or an instance."""
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
        cls = registry.get_class("regularizer", identifier.get("class_name"))
        try:
            return cls(**identifier.get("config", {}))
        except TypeError as exc:
            raise SpecError(f"Bad regularizer config {identifier!r}: {exc}") from None
    raise SpecError(f"Cannot interpret regularizer {identifier!r}.")
