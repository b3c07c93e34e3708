"""Overlap losses for segmentation (Keras formulas): Dice and Tversky, with their gradients.

Both compare soft masks through sums over `axis`. With `axis=None` (the Keras default) the
sums run over every axis, batch included, so a call gives one value for the whole batch; with
`axis=(1, 2, 3)` on `(batch, H, W, C)` masks it gives one value per sample.
"""

from .. import registry
from ..errors import ShapeError, SpecError
from ..params import FLOAT, INT, INTS, Param, validate_param
from .base import EPSILON, REDUCTION_PARAM, Loss

AXIS = Param("axis", INTS, None, optional=True,
             help="Axes the sums run over (None = all, one value per batch).")
_ONE_AXIS = Param("axis", INT, None)


class OverlapLoss(Loss):
    """`1 - overlap(y_true, y_pred)` with the overlap built from sums over `axis`."""

    def __init__(self, axis=None, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(reduction=reduction, name=name, **kwargs)
        owner = f"{type(self).__name__} '{self.name}'"
        if isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = validate_param(_ONE_AXIS, axis, owner=owner)  # kept an int, as given
        else:
            self.axis = validate_param(AXIS, axis, owner=owner)

    def _axes(self, ndim):
        """The summed axes as a tuple (None for all), checked against the rank."""
        if self.axis is None:
            return None
        axes = (self.axis,) if isinstance(self.axis, int) else tuple(self.axis)
        if any(not -ndim <= a < ndim for a in axes):
            raise ShapeError(
                f"Loss '{self.name}' sums over axis={self.axis!r} but the predictions have "
                f"{ndim} axes. Use axes in [{-ndim}, {ndim - 1}], e.g. axis=None for all.")
        return tuple(a % ndim for a in axes)

    def __call__(self, y_true, y_pred, sample_weight=None):
        self._check_weights(sample_weight)
        return super().__call__(y_true, y_pred, sample_weight=sample_weight)

    def value_and_gradient(self, y_true, y_pred, sample_weight=None):
        self._check_weights(sample_weight)
        return super().value_and_gradient(y_true, y_pred, sample_weight=sample_weight)

    def _check_weights(self, sample_weight):
        if sample_weight is not None and self.axis is None:
            raise SpecError(
                f"Loss '{self.name}' ({type(self).__name__}) with axis=None gives one value for "
                "the whole batch, so per-sample weights (sample_weight or class_weight) have "
                "nothing to weigh. Pass the axes of one sample, e.g. axis=(1, 2, 3) for "
                "(batch, H, W, C) masks, or train without sample weights.")

    def _forward(self, y_true, y_pred):
        axes = self._axes(y_pred.ndim)
        sums = self._sums(y_true, y_pred, axes)
        ratio, numerator, denominator = self._ratio(*sums)
        values = 1.0 - ratio
        shape = () if axes is None else tuple(
            d for i, d in enumerate(values.shape) if i not in axes)
        return values.reshape(shape), (y_true, numerator, denominator)

    def _backward(self, ctx, g):
        y, numerator, denominator = ctx
        # L = 1 - n / d  ->  dL/dp = -(dn/dp d - n dd/dp) / d**2 (n, d broadcast from the sums)
        dn, dd = self._sum_derivatives(y)
        return -g.reshape(numerator.shape) * (dn * denominator - numerator * dd) / denominator**2

    def _sums(self, y, p, axes):
        raise NotImplementedError(f"{type(self).__name__} must implement _sums()")

    def _ratio(self, *sums):
        """`(overlap, numerator, denominator)` from the sums (kept with their axes)."""
        raise NotImplementedError(f"{type(self).__name__} must implement _ratio()")

    def _sum_derivatives(self, y):
        """d numerator / dp and d denominator / dp, elementwise."""
        raise NotImplementedError(f"{type(self).__name__} must implement _sum_derivatives()")


def _sum(x, axes):
    return x.sum(axis=axes, keepdims=True)


@registry.register("loss", "dice")
class Dice(OverlapLoss):
    """`1 - 2 sum(y p) / (sum(y) + sum(p) + eps)` over `axis`.

    Args:
        reduction: See `Loss`.
        name: Defaults to `"dice"`.
        axis: An int or tuple of axes to sum over; `None` sums over all of them (one value per
            batch). Defaults to `None`.
    """

    PARAMS = (REDUCTION_PARAM, AXIS)
    DEFAULT_NAME = "dice"
    DESCRIPTION = "1 - Dice coefficient of soft masks (segmentation)."

    def __init__(self, reduction="sum_over_batch_size", name=None, axis=None, **kwargs):
        super().__init__(axis=axis, reduction=reduction, name=name, **kwargs)

    def _sums(self, y, p, axes):
        return _sum(y * p, axes), _sum(y, axes), _sum(p, axes)

    def _ratio(self, intersection, true_sum, pred_sum):
        numerator, denominator = 2.0 * intersection, true_sum + pred_sum + EPSILON
        return numerator / denominator, numerator, denominator

    def _sum_derivatives(self, y):
        return 2.0 * y, 1.0  # d(2 sum(y p))/dp = 2y; d(sum(y) + sum(p))/dp = 1


@registry.register("loss", "tversky")
class Tversky(OverlapLoss):
    """`1 - tp / (tp + alpha fp + beta fn + eps)` over `axis`, with soft counts
    `tp = sum(y p)`, `fp = sum((1 - y) p)`, `fn = sum(y (1 - p))`.

    Args:
        alpha: The weight of false positives. Defaults to `0.5`.
        beta: The weight of false negatives. Defaults to `0.5` (with `alpha`, the Dice loss).
        reduction: See `Loss`.
        name: Defaults to `"tversky"`.
        axis: As for `Dice`. Defaults to `None`.
    """

    PARAMS = (Param("alpha", FLOAT, 0.5, minimum=0.0, help="Weight of false positives."),
              Param("beta", FLOAT, 0.5, minimum=0.0, help="Weight of false negatives."),
              REDUCTION_PARAM, AXIS)
    DEFAULT_NAME = "tversky"
    DESCRIPTION = "1 - Tversky index: Dice with separate weights for FP and FN."

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name=None,
                 axis=None, **kwargs):
        super().__init__(axis=axis, reduction=reduction, name=name, **kwargs)
        self._configure(alpha=alpha, beta=beta)

    def _sums(self, y, p, axes):
        return _sum(y * p, axes), _sum((1.0 - y) * p, axes), _sum(y * (1.0 - p), axes)

    def _ratio(self, tp, fp, fn):
        denominator = tp + self.alpha * fp + self.beta * fn + EPSILON
        return tp / denominator, tp, denominator

    def _sum_derivatives(self, y):
        # d tp/dp = y, d fp/dp = 1 - y, d fn/dp = -y
        return y, y + self.alpha * (1.0 - y) - self.beta * y
