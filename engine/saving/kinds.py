"""Which registry table a user's class belongs in, from the engine class it derives from."""

import inspect


def _bases() -> list[tuple[str, type]]:
    """(kind, base class), most specific first: a Model is checked before a Layer, a Metric
    before a Loss's shared `Configurable`."""
    # Imported here (noqa PLC0415): these modules import the registry, which imports
    # this module lazily.
    from ..callbacks.base import Callback
    from ..initializers.constant_initializers import Initializer
    from ..layers.base import Layer
    from ..losses.base import Loss
    from ..metrics.base import Metric
    from ..model import Model
    from ..optimizers.base import Optimizer
    from ..regularizers import Regularizer
    from ..schedules import LearningRateSchedule

    return [("model", Model), ("layer", Layer), ("metric", Metric), ("loss", Loss),
            ("optimizer", Optimizer), ("schedule", LearningRateSchedule),
            ("regularizer", Regularizer), ("initializer", Initializer),
            ("callback", Callback)]


def kind_of(obj) -> str | None:
    """The registry kind of a class ("layer", "loss", ...), "function" for a plain function,
    or None for anything else (such an object resolves for no kind)."""
    if inspect.isclass(obj):
        for kind, base in _bases():
            if issubclass(obj, base):
                return kind
        return None
    return "function" if callable(obj) else None


def kind_names() -> list[str]:
    return [kind for kind, _ in _bases()]
