"""Intersection-over-union metrics from a running confusion matrix (Keras `IoU`, `MeanIoU`,
`BinaryIoU`): `iou = tp / (tp + fp + fn)` per class, averaged over the target classes that
occur (in the targets or the predictions)."""

import numpy as np

from .. import registry
from ..backend import get_array_module
from ..errors import ShapeError, SpecError
from ..losses.base import EPSILON, as_array_like, shape_text
from ..params import BOOL, FLOAT, INT, INTS, Param
from .base import Metric
from .classification import broadcast_weights, scatter_sum

NUM_CLASSES = Param("num_classes", INT, 2, minimum=1,
                    help="Number of classes the labels and predictions can take.")
IGNORE_CLASS = Param("ignore_class", INT, None, optional=True,
                     help="A label to leave out (e.g. a void class such as 255), or None.")
SPARSE_Y_TRUE = Param("sparse_y_true", BOOL, True,
                      help="Targets are class indices; off = one-hot rows (arg-max taken).")
SPARSE_Y_PRED = Param("sparse_y_pred", BOOL, True,
                      help="Predictions are class indices; off = scores (arg-max taken).")
AXIS = Param("axis", INT, -1, help="The class axis of one-hot targets or scores.")


class _IoUBase(Metric):
    """The running `(num_classes, num_classes)` matrix: rows true class, columns predicted."""

    DEFAULT_NAME = "io_u"

    def _classes(self, values, sparse):
        """Integer class indices: cast (truncated, as Keras) or the arg-max along `axis`."""
        xp = get_array_module(values)
        return (values if sparse else values.argmax(axis=self.axis)).astype(xp.int64)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_pred = as_array_like(y_pred, y_pred)
        truth = self._classes(as_array_like(y_true, y_pred), self.sparse_y_true)
        predicted = self._classes(y_pred, self.sparse_y_pred).reshape(-1)
        if truth.size != predicted.size:
            raise ShapeError(
                f"Metric '{self.name}' ({type(self).__name__}) needs one predicted class per "
                f"target. Received {truth.size} targets (shape {shape_text(truth.shape)}) and "
                f"{predicted.size} predictions. Set sparse_y_true / sparse_y_pred to say "
                "which of them are one-hot rows or scores.")
        weights = broadcast_weights(self, sample_weight, truth).reshape(-1)
        truth = truth.reshape(-1)
        valid = (truth >= 0) & (truth < self.num_classes)
        valid &= (predicted >= 0) & (predicted < self.num_classes)
        if self.ignore_class is not None:
            valid &= truth != self.ignore_class
        xp = get_array_module(truth)
        cell = xp.where(valid, truth * self.num_classes + predicted, 0)
        self._accumulate(matrix=scatter_sum(cell, weights * valid, self.num_classes**2))

    def confusion_matrix(self) -> np.ndarray:
        """The weighted counts so far, a NumPy float64 matrix."""
        size = self.num_classes
        return self._host("matrix", np.zeros(size * size)).reshape(size, size)

    def result(self) -> float:
        matrix = self.confusion_matrix()
        true_positives = np.diag(matrix)
        # row sum + column sum = 2 tp + fp + fn
        denominator = matrix.sum(axis=0) + matrix.sum(axis=1) - true_positives
        ids = list(self._target_ids())
        true_positives, denominator = true_positives[ids], denominator[ids]
        present = denominator > 1e-9  # a class absent from targets and predictions is skipped
        iou = np.where(present, true_positives / (denominator + EPSILON), 0.0)
        return float(iou.sum() / (present.sum() + EPSILON))

    def _target_ids(self):
        raise NotImplementedError(f"{type(self).__name__} must implement _target_ids()")


@registry.register("metric", "io_u")
class IoU(_IoUBase):
    """IoU of chosen classes, `tp / (tp + fp + fn)`, averaged over `target_class_ids`.

    Args:
        num_classes: Number of classes. Defaults to `2` (Keras requires it).
        target_class_ids: The classes whose IoU is averaged; `None` means all of them. Keras
            requires it; `[c]` gives the IoU of class `c`. Defaults to `None`.
        name: Defaults to `"io_u"`.
        ignore_class: A target label left out of the counts. Defaults to `None`.
        sparse_y_true: Whether targets are class indices (else one-hot, arg-max over `axis`).
            Defaults to `True`.
        sparse_y_pred: Whether predictions are class indices (else scores, arg-max over
            `axis`). Defaults to `True`; set `False` for softmax outputs.
        axis: The class axis for the arg-max. Defaults to `-1`.

    Labels or predictions outside `[0, num_classes)` are left out, as Keras does. Weights are
    used as given (Keras casts them to integers).
    """

    PARAMS = (NUM_CLASSES,
              Param("target_class_ids", INTS, None, minimum=0, optional=True,
                    help="Classes whose IoU is averaged (None = every class)."),
              IGNORE_CLASS, SPARSE_Y_TRUE, SPARSE_Y_PRED, AXIS)
    DESCRIPTION = "Intersection over union of chosen classes (segmentation)."

    def __init__(self, num_classes=2, target_class_ids=None, name=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1, **kwargs):
        super().__init__(name=name, **kwargs)
        self._configure(num_classes=num_classes, target_class_ids=target_class_ids,
                        ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                        sparse_y_pred=sparse_y_pred, axis=axis)
        if self.target_class_ids is not None and max(self.target_class_ids) >= num_classes:
            raise SpecError(
                f"{type(self).__name__} '{self.name}': target class id "
                f"{max(self.target_class_ids)} is out of range, which is [0, {num_classes}). "
                f"Received: target_class_ids={list(self.target_class_ids)}")

    def _target_ids(self):
        return self.target_class_ids or range(self.num_classes)


@registry.register("metric", "mean_io_u")
class MeanIoU(_IoUBase):
    """The mean IoU over every class (arguments as `IoU`, without `target_class_ids`).

    Args:
        num_classes: Number of classes. Defaults to `2` (Keras requires it).
        name: Defaults to `"mean_io_u"`.
        ignore_class, sparse_y_true, sparse_y_pred, axis: As for `IoU`.
    """

    PARAMS = (NUM_CLASSES, IGNORE_CLASS, SPARSE_Y_TRUE, SPARSE_Y_PRED, AXIS)
    DEFAULT_NAME = "mean_io_u"
    DESCRIPTION = "Mean intersection over union of all classes (segmentation)."

    def __init__(self, num_classes=2, name=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1, **kwargs):
        super().__init__(name=name, **kwargs)
        self._configure(num_classes=num_classes, ignore_class=ignore_class,
                        sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)

    def _target_ids(self):
        return range(self.num_classes)


@registry.register("metric", "binary_io_u")
class BinaryIoU(_IoUBase):
    """IoU of a two-class problem from scores: a prediction `>= threshold` is class 1.

    Args:
        target_class_ids: `[0]`, `[1]` or `[0, 1]` (their mean). Defaults to `(0, 1)`.
        threshold: Scores at or above it are class 1. Defaults to `0.5`.
        name: Defaults to `"binary_io_u"`.
    """

    PARAMS = (Param("target_class_ids", INTS, (0, 1), minimum=0, maximum=1,
                    help="Classes whose IoU is averaged: [0], [1] or [0, 1]."),
              Param("threshold", FLOAT, 0.5, help="Scores at or above it are class 1."))
    DEFAULT_NAME = "binary_io_u"
    DESCRIPTION = "Intersection over union of 0/1 masks from scores."
    num_classes, ignore_class, sparse_y_true, sparse_y_pred = 2, None, True, True

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._configure(target_class_ids=target_class_ids, threshold=threshold)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        scores = as_array_like(y_pred, y_pred)
        xp = get_array_module(scores)
        super().update_state(y_true, (scores >= self.threshold).astype(xp.int64), sample_weight)

    def _target_ids(self):
        return self.target_class_ids
