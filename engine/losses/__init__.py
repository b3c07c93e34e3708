"""Losses with Keras names, defaults and formulas, each with an analytic gradient.

    loss = losses.get("sparse_categorical_crossentropy")
    value = loss(y_true, y_pred)                          # 0-d array
    value, grad = loss.value_and_gradient(y_true, y_pred)  # grad: dL/dy_pred
    values = losses.mean_squared_error(y_true, y_pred)    # per-sample Tensor (Keras's functions)

The trainer uses `value_and_logits_gradient` when the model ends in the loss's
`FUSED_ACTIVATION` (softmax / sigmoid) and `from_logits=False`. A plain function
`fn(y_true, y_pred)` and a `Loss` subclass that implements `call` (Keras 3's ways) are
differentiated through the tape (engine/losses/custom.py).
"""

import difflib
import inspect

from .. import registry
from ..errors import SpecError, describe_choices
from .base import EPSILON, REDUCTIONS, Loss, reduce_weighted_values, squeeze_or_expand_to_same_rank
from .crossentropy import BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy
from .custom import LossFunctionWrapper, function_config, function_from_config, wrap_function
from .focal import BinaryFocalCrossentropy, CategoricalFocalCrossentropy
from .overlap import Dice, Tversky
from .standard import (
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SquaredHinge,
)
from .wrappers import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    cosine_similarity,
    dice,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
    tversky,
)

__all__ = [
    "EPSILON", "REDUCTIONS", "NAMES", "Loss", "get", "serialize", "deserialize",
    "reduce_weighted_values", "squeeze_or_expand_to_same_rank",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "BinaryCrossentropy",
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "Huber", "LogCosh", "KLDivergence", "Poisson", "Hinge",
    "SquaredHinge", "CategoricalHinge", "CosineSimilarity", "BinaryFocalCrossentropy",
    "CategoricalFocalCrossentropy", "Dice", "Tversky", "LossFunctionWrapper",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "cosine_similarity", "huber", "log_cosh",
    "kl_divergence", "poisson", "hinge", "squared_hinge", "categorical_hinge",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy",
    "binary_focal_crossentropy", "categorical_focal_crossentropy", "dice", "tversky",
]

#: One name per loss, for the compile dialog (aliases such as "mse" are accepted too).
NAMES = (
    "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "huber", "log_cosh", "kl_divergence", "poisson",
    "hinge", "squared_hinge", "categorical_hinge", "cosine_similarity",
    "binary_focal_crossentropy", "categorical_focal_crossentropy",
)
# "dice" and "tversky" are registered too but not listed: with their default axis=None they
# give one value per batch, not one per sample, which the compile dialog's checks expect.


def _unknown(identifier) -> SpecError:
    close = difflib.get_close_matches(str(identifier), registry.names("loss"), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return SpecError(
        f"Unknown loss {identifier!r}.{hint} Expected one of: {describe_choices(NAMES)} "
        "(or a Loss class name, a {'class_name', 'config'} dict, or a Loss instance)."
    )


def get(identifier):
    """A Loss from a name (`"mse"`, `"categorical_crossentropy"`, `"Huber"`), a
    `{"class_name", "config"}` dict, a Loss class or instance, or a function
    `fn(y_true, y_pred)` of per-sample values (wrapped in a `LossFunctionWrapper` named
    after it, as Keras's compile does). `None` gives `None`.

    Raises:
        SpecError: for an unknown name, listing the valid ones, or a bad config.
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, str):
        if identifier not in registry.names("loss"):
            raise _unknown(identifier)
        return registry.get_class("loss", identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier) and not inspect.isclass(identifier):
        return wrap_function(identifier)
    raise SpecError(
        f"Could not interpret loss identifier: {identifier!r}. Pass a name such as "
        "'mse', a {'class_name', 'config'} dict, a Loss instance or a function "
        "fn(y_true, y_pred)."
    )


def serialize(loss) -> dict:
    """`{"class_name": ..., "config": ...}` (plain JSON data); a function by its name only."""
    if isinstance(loss, Loss):
        return loss.to_config()
    return function_config(loss, "loss")


def deserialize(config: dict) -> Loss:
    """The inverse of `serialize`; classes resolve only through the engine's registry, and
    functions by name (the engine's, registered ones, or `custom_objects`)."""
    class_name = config.get("class_name")
    if class_name == "function":
        return wrap_function(function_from_config(config, "loss"))
    if class_name == "LossFunctionWrapper":
        return LossFunctionWrapper.from_config(config.get("config") or {})
    if not isinstance(class_name, str) or class_name not in registry.names("loss"):
        raise _unknown(class_name)
    cls = registry.get_class("loss", class_name)
    options = config.get("config") or {}
    if not isinstance(options, dict):
        raise SpecError(f"Loss config for {class_name!r} must be a dict. Received: {options!r}")
    try:
        return cls.from_config(options)
    except TypeError as exc:
        raise SpecError(f"Bad config for loss {class_name!r}: {exc}") from None
