"""Metrics with Keras names, defaults and formulas: stateful running aggregates.

    metric = metrics.get("accuracy", y_true_shape=(32,), y_pred_shape=(32, 10))
    metric.update_state(y_true, y_pred)   # per batch, stays on the device
    metric.result()                       # Python float (NumPy array for a few)
    metric.reset_state()                  # per epoch

`"accuracy"`/`"acc"` (and `"crossentropy"`/`"ce"`) are resolved from the shapes of the
targets and predictions, as Keras's `compile` does; the metric keeps the user's string as
its name, so the logs say `accuracy` / `val_accuracy`.
"""

import difflib
import inspect

import numpy as np

from .. import registry
from ..errors import SpecError, describe_choices
from ..losses.custom import function_config, function_from_config, function_name
from ..losses.wrappers import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
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
)
from .accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    in_top_k,
)
from .auc import AUC
from .base import Mean, MeanMetricWrapper, Metric
from .classification import ConfusionMatrix, F1Score, Precision, Recall
from .confusion import (
    FalseNegatives,
    FalsePositives,
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)
from .extra import (
    CategoricalHinge,
    CosineSimilarity,
    FBetaScore,
    Hinge,
    KLDivergence,
    LogCoshError,
    Poisson,
    SquaredHinge,
)
from .functions import (
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from .iou import BinaryIoU, IoU, MeanIoU
from .regression import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
    SparseCategoricalCrossentropy,
)

__all__ = [
    "NAMES", "Metric", "Mean", "MeanMetricWrapper", "ResolvedByShape", "get", "serialize",
    "deserialize", "resolve_by_shape", "in_top_k",
    "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "Precision", "Recall",
    "F1Score", "AUC", "ConfusionMatrix", "MeanAbsoluteError", "MeanSquaredError",
    "RootMeanSquaredError", "R2Score", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "TruePositives", "FalsePositives", "TrueNegatives",
    "FalseNegatives", "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
    "SpecificityAtSensitivity", "IoU", "MeanIoU", "BinaryIoU", "FBetaScore", "LogCoshError",
    "Hinge", "SquaredHinge", "CategoricalHinge", "KLDivergence", "Poisson", "CosineSimilarity",
    # Keras's metric functions (per-sample values), for metrics=[fn] and users' own code
    "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "binary_crossentropy",
    "binary_focal_crossentropy", "categorical_crossentropy", "categorical_focal_crossentropy",
    "categorical_hinge", "hinge", "huber", "kl_divergence", "log_cosh", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error",
    "poisson", "sparse_categorical_crossentropy", "squared_hinge",
]

#: Metric names for the compile dialog (aliases such as "mse" and "acc" are accepted too).
NAMES = (
    "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "precision", "recall",
    "f1_score", "auc", "mean_absolute_error", "mean_squared_error", "root_mean_squared_error",
    "r2_score", "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "confusion_matrix", "true_positives", "false_positives", "true_negatives",
    "false_negatives", "log_cosh_error", "hinge", "squared_hinge", "categorical_hinge",
    "kl_divergence", "poisson", "cosine_similarity",
)
# Registered but not listed: metrics whose arguments must fit the data (the IoU family's
# classes, the level of PrecisionAtRecall and its siblings) and f_beta_score (F1 by default).
#: Strings whose metric depends on the data's shapes (Keras compile_utils.get_metric).
_BY_SHAPE = {"accuracy": "accuracy", "acc": "accuracy", "crossentropy": "crossentropy",
             "ce": "crossentropy"}
_CHOICES = {
    "accuracy": (BinaryAccuracy, SparseCategoricalAccuracy, CategoricalAccuracy),
    "crossentropy": (BinaryCrossentropy, SparseCategoricalCrossentropy,
                     CategoricalCrossentropy),
}


def resolve_by_shape(identifier: str, y_true_shape, y_pred_shape, name=None) -> Metric:
    """Keras's choice for `"accuracy"` / `"crossentropy"` from the two shapes.

    1. `y_pred.shape[-1] == 1` -> binary; 2. `rank(y_true) < rank(y_pred)`, or a trailing 1
    in `y_true` with more than one prediction column -> sparse categorical; 3. else
    categorical. Shapes may include the batch axis or not, but both the same way.
    """
    binary, sparse, categorical = _CHOICES[_BY_SHAPE[identifier]]
    y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
    y_pred_last = y_pred_shape[-1] if y_pred_shape else 1
    y_true_last = y_true_shape[-1] if y_true_shape else None
    if y_pred_last == 1:
        cls = binary
    elif len(y_true_shape) < len(y_pred_shape) or (y_true_last == 1 and y_pred_last > 1):
        cls = sparse
    else:
        cls = categorical
    return cls(name=name or identifier)


class ResolvedByShape(Metric):
    """`"accuracy"` (or `"crossentropy"`) before the shapes are known: chooses the Keras
    metric at the first `update_state`, then delegates to it."""

    def __init__(self, identifier="accuracy", name=None):
        if identifier not in _BY_SHAPE:
            raise SpecError(f"ResolvedByShape handles {describe_choices(_BY_SHAPE)}. "
                            f"Received: {identifier!r}")
        super().__init__(name=name or identifier)
        self.identifier = identifier
        self.DIRECTION = "up" if _BY_SHAPE[identifier] == "accuracy" else "down"
        self.resolved = None

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        if self.resolved is None:
            self.resolved = resolve_by_shape(self.identifier, np.shape(y_true),
                                             np.shape(y_pred), name=self.name)
        self.resolved.update_state(y_true, y_pred, sample_weight=sample_weight)

    def result(self):
        return 0.0 if self.resolved is None else self.resolved.result()

    def reset_state(self) -> None:
        if self.resolved is not None:
            self.resolved.reset_state()

    def get_config(self) -> dict:
        return {"name": self.name, "identifier": self.identifier}


def _unknown(identifier) -> SpecError:
    known = registry.names("metric") + list(_BY_SHAPE)
    close = difflib.get_close_matches(str(identifier), known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return SpecError(
        f"Unknown metric {identifier!r}.{hint} Expected one of: {describe_choices(NAMES)} "
        "(or a Metric class name, a {'class_name', 'config'} dict, or a Metric instance)."
    )


def get(identifier, y_true_shape=None, y_pred_shape=None):
    """A Metric from a name, a `{"class_name", "config"}` dict, a class or an instance.

    A name such as `"mse"` gives a metric named `"mse"` (logs use the user's string); a class
    name such as `"Precision"` gives the default name. `None` gives `None`.

    Raises:
        SpecError: for an unknown name (listing the valid ones) or a bad config.
    """
    if identifier is None or isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        return _from_string(identifier, y_true_shape, y_pred_shape)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier) and not inspect.isclass(identifier):
        # Keras's compile: a function of per-sample values, averaged, named after it.
        return MeanMetricWrapper(identifier, name=function_name(identifier))
    raise SpecError(f"Could not interpret metric identifier: {identifier!r}. Pass a name "
                    "such as 'accuracy', a {'class_name', 'config'} dict, a Metric or a "
                    "function fn(y_true, y_pred).")


def _from_string(identifier, y_true_shape, y_pred_shape):
    if identifier in _BY_SHAPE:
        if y_true_shape is None or y_pred_shape is None:
            return ResolvedByShape(identifier)
        return resolve_by_shape(identifier, y_true_shape, y_pred_shape)
    if identifier not in registry.names("metric"):
        raise _unknown(identifier)
    cls = registry.get_class("metric", identifier)
    return cls() if identifier == cls.__name__ else cls(name=identifier)


def serialize(metric) -> dict:
    """`{"class_name": ..., "config": ...}` (plain JSON data); a function by its name only."""
    if isinstance(metric, Metric):
        return metric.to_config()
    return function_config(metric, "metric")


def deserialize(config: dict) -> Metric:
    """The inverse of `serialize`; classes resolve only through the engine's registry."""
    class_name = config.get("class_name")
    options = config.get("config") or {}
    if not isinstance(options, dict) and class_name != "function":
        raise SpecError(f"Metric config for {class_name!r} must be a dict. Received: "
                        f"{options!r}")
    if class_name == "ResolvedByShape":
        return ResolvedByShape(**options)
    if class_name == "function":
        fn = function_from_config(config, "metric")
        return MeanMetricWrapper(fn, name=function_name(fn))
    if class_name == "MeanMetricWrapper":
        return MeanMetricWrapper.from_config(options)
    if not isinstance(class_name, str) or class_name not in registry.names("metric"):
        raise _unknown(class_name)
    try:
        return registry.get_class("metric", class_name).from_config(options)
    except TypeError as exc:
        raise SpecError(f"Bad config for metric {class_name!r}: {exc}") from None
