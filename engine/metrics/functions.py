"""Keras's lower-case metric functions (`keras.metrics.sparse_categorical_accuracy` ...):
per-sample values as Tensors, for `metrics=[fn]` or a user's own metric code.

The accuracies reuse the built-in metrics' `_values` (no second formula); the loss-valued
ones are the loss functions (engine/losses/wrappers.py), which Keras exports here too.
"""

from ..ops.core import Tensor, value_of
from .accuracy import (
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
)


def _per_sample(metric, y_true, y_pred):
    return Tensor(metric._values(value_of(y_true), value_of(y_pred)))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1 where `(y_pred > threshold)` equals the 0/1 target, per element (as Keras)."""
    return _per_sample(BinaryAccuracy(threshold=threshold), y_true, y_pred)


def categorical_accuracy(y_true, y_pred):
    """1 where `argmax(y_pred)` equals `argmax(y_true)` (one-hot targets)."""
    return _per_sample(CategoricalAccuracy(), y_true, y_pred)


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where `argmax(y_pred)` equals the integer label."""
    return _per_sample(SparseCategoricalAccuracy(), y_true, y_pred)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the one-hot target's class is among the `k` highest predictions."""
    return _per_sample(TopKCategoricalAccuracy(k=k), y_true, y_pred)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the integer label is among the `k` highest predictions."""
    return _per_sample(SparseTopKCategoricalAccuracy(k=k), y_true, y_pred)


ACCURACY_FUNCTIONS = (binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
                      top_k_categorical_accuracy, sparse_top_k_categorical_accuracy)
