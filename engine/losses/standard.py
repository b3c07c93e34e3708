"""Regression, probabilistic, hinge and cosine losses (Keras formulas).

Most are `mean(f(y_true, y_pred), axis=-1)`: each class gives `f` and its derivative
`df/dy_pred` side by side.
"""

import math

from .. import registry
from ..backend import get_array_module
from ..params import FLOAT, INT, Param
from .base import EPSILON, REDUCTION_PARAM, Loss

_LOG2 = math.log(2.0)


class ElementwiseLoss(Loss):
    """`mean(f(y, p), axis=-1)` (or the sum when `SUM_OVER_LAST_AXIS`)."""

    SUM_OVER_LAST_AXIS = False

    def _forward(self, y_true, y_pred):
        xp = get_array_module(y_pred)
        elementwise = self._value(xp, y_true, y_pred)
        if self.SUM_OVER_LAST_AXIS:
            return elementwise.sum(axis=-1), (y_true, y_pred)
        return elementwise.mean(axis=-1), (y_true, y_pred)

    def _backward(self, ctx, g):
        y_true, y_pred = ctx
        d = self._derivative(get_array_module(y_pred), y_true, y_pred)
        scale = 1.0 if self.SUM_OVER_LAST_AXIS else 1.0 / y_pred.shape[-1]
        return g[..., None] * d * scale

    def _value(self, xp, y, p):
        """f(y, p), elementwise."""
        raise NotImplementedError(f"{type(self).__name__} must implement _value()")

    def _derivative(self, xp, y, p):
        """df/dp, elementwise."""
        raise NotImplementedError(f"{type(self).__name__} must implement _derivative()")


@registry.register("loss", "mean_squared_error", "mse", "MSE")
class MeanSquaredError(ElementwiseLoss):
    """`mean((y_true - y_pred)**2, axis=-1)`."""

    DEFAULT_NAME = "mean_squared_error"
    DESCRIPTION = "Mean of squared errors (regression)."

    def _value(self, xp, y, p):
        return (y - p) ** 2

    def _derivative(self, xp, y, p):
        return 2.0 * (p - y)


@registry.register("loss", "mean_absolute_error", "mae", "MAE")
class MeanAbsoluteError(ElementwiseLoss):
    """`mean(|y_true - y_pred|, axis=-1)`."""

    DEFAULT_NAME = "mean_absolute_error"
    DESCRIPTION = "Mean of absolute errors (regression, robust to outliers)."

    def _value(self, xp, y, p):
        return xp.abs(y - p)

    def _derivative(self, xp, y, p):
        return xp.sign(p - y)


@registry.register("loss", "mean_absolute_percentage_error", "mape", "MAPE")
class MeanAbsolutePercentageError(ElementwiseLoss):
    """`100 * mean(|y_true - y_pred| / max(|y_true|, eps), axis=-1)`."""

    DEFAULT_NAME = "mean_absolute_percentage_error"
    DESCRIPTION = "Mean absolute error in percent of the target."

    def _value(self, xp, y, p):
        return 100.0 * xp.abs(y - p) / xp.maximum(xp.abs(y), EPSILON)

    def _derivative(self, xp, y, p):
        return 100.0 * xp.sign(p - y) / xp.maximum(xp.abs(y), EPSILON)


@registry.register("loss", "mean_squared_logarithmic_error", "msle", "MSLE")
class MeanSquaredLogarithmicError(ElementwiseLoss):
    """`mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))**2, axis=-1)`."""

    DEFAULT_NAME = "mean_squared_logarithmic_error"
    DESCRIPTION = "Mean squared error of log(1 + value): relative errors."

    def _value(self, xp, y, p):
        return (xp.log1p(xp.maximum(p, EPSILON)) - xp.log1p(xp.maximum(y, EPSILON))) ** 2

    def _derivative(self, xp, y, p):
        p_safe = xp.maximum(p, EPSILON)
        diff = xp.log1p(p_safe) - xp.log1p(xp.maximum(y, EPSILON))
        return 2.0 * diff / (p_safe + 1.0) * (p >= EPSILON)  # max() passes no gradient below eps


@registry.register("loss", "huber", "huber_loss")
class Huber(ElementwiseLoss):
    """`0.5 x**2` if `|x| <= delta` else `delta |x| - 0.5 delta**2`, x = y_pred - y_true.

    Args:
        delta: Where the loss turns from quadratic to linear. Defaults to `1.0`.
        reduction: See `Loss`. name: Defaults to `"huber_loss"`.
    """

    PARAMS = (Param("delta", FLOAT, 1.0, minimum=0.0, exclusive_minimum=True,
                    help="Error size where the loss turns from quadratic to linear."),
              REDUCTION_PARAM)
    DEFAULT_NAME = "huber_loss"
    DESCRIPTION = "Quadratic for small errors, linear for large ones."

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(reduction=reduction, name=name, **kwargs)
        self._configure(delta=delta)

    def _value(self, xp, y, p):
        error = p - y
        small = xp.abs(error) <= self.delta
        return xp.where(small, 0.5 * error**2, self.delta * xp.abs(error)
                        - 0.5 * self.delta**2)

    def _derivative(self, xp, y, p):
        error = p - y
        return xp.where(xp.abs(error) <= self.delta, error, self.delta * xp.sign(error))


@registry.register("loss", "log_cosh", "logcosh")
class LogCosh(ElementwiseLoss):
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`, computed as `x + softplus(-2x) - log 2`."""

    DEFAULT_NAME = "log_cosh"
    DESCRIPTION = "log(cosh(error)): like MSE for small errors, like MAE for large."

    def _value(self, xp, y, p):
        t = -2.0 * (p - y)
        softplus = xp.log1p(xp.exp(-xp.abs(t))) + xp.maximum(t, 0.0)
        return (p - y) + softplus - _LOG2

    def _derivative(self, xp, y, p):
        return xp.tanh(p - y)  # d/dx log(cosh(x)) = tanh(x)


@registry.register("loss", "kl_divergence", "kld", "KLD", "kullback_leibler_divergence")
class KLDivergence(ElementwiseLoss):
    """`sum(y * log(y / p), axis=-1)` with both clipped to `[eps, 1]`."""

    SUM_OVER_LAST_AXIS = True
    DEFAULT_NAME = "kl_divergence"
    DESCRIPTION = "Kullback-Leibler divergence between target and predicted distributions."

    def _value(self, xp, y, p):
        y = xp.clip(y, EPSILON, 1.0)
        return y * xp.log(y / xp.clip(p, EPSILON, 1.0))

    def _derivative(self, xp, y, p):
        inside = (p >= EPSILON) & (p <= 1.0)
        return -xp.clip(y, EPSILON, 1.0) / xp.clip(p, EPSILON, 1.0) * inside


@registry.register("loss", "poisson")
class Poisson(ElementwiseLoss):
    """`mean(y_pred - y_true * log(y_pred + eps), axis=-1)` (counts)."""

    DEFAULT_NAME = "poisson"
    DESCRIPTION = "Poisson negative log-likelihood, for count targets."

    def _value(self, xp, y, p):
        return p - y * xp.log(p + EPSILON)

    def _derivative(self, xp, y, p):
        return 1.0 - y / (p + EPSILON)


def _hinge_labels(xp, y):
    # Keras: when every label of the batch is 0 or 1 they become -1 / +1 (no host sync here).
    is_binary = ((y == 0) | (y == 1)).all()
    return xp.where(is_binary, 2.0 * y - 1.0, y)


@registry.register("loss", "hinge")
class Hinge(ElementwiseLoss):
    """`mean(max(1 - y_true * y_pred, 0), axis=-1)`; 0/1 labels become -1/+1."""

    DEFAULT_NAME = "hinge"
    DESCRIPTION = "Maximum-margin loss for -1/+1 (or 0/1) labels."

    def _value(self, xp, y, p):
        return xp.maximum(1.0 - _hinge_labels(xp, y) * p, 0.0)

    def _derivative(self, xp, y, p):
        y = _hinge_labels(xp, y)
        return -y * (1.0 - y * p > 0)


@registry.register("loss", "squared_hinge")
class SquaredHinge(ElementwiseLoss):
    """`mean(max(1 - y_true * y_pred, 0)**2, axis=-1)`; 0/1 labels become -1/+1."""

    DEFAULT_NAME = "squared_hinge"
    DESCRIPTION = "Squared maximum-margin loss for -1/+1 (or 0/1) labels."

    def _value(self, xp, y, p):
        return xp.maximum(1.0 - _hinge_labels(xp, y) * p, 0.0) ** 2

    def _derivative(self, xp, y, p):
        y = _hinge_labels(xp, y)
        return -2.0 * y * xp.maximum(1.0 - y * p, 0.0)


@registry.register("loss", "categorical_hinge")
class CategoricalHinge(Loss):
    """`max(max((1 - y) * p) - sum(y * p) + 1, 0)` for one-hot targets."""

    DEFAULT_NAME = "categorical_hinge"
    DESCRIPTION = "Maximum-margin loss for one-hot targets."

    def _forward(self, y_true, y_pred):
        xp = get_array_module(y_pred)
        positive = (y_true * y_pred).sum(axis=-1)
        negatives = (1.0 - y_true) * y_pred
        values = xp.maximum(negatives.max(axis=-1) - positive + 1.0, 0.0)
        return values, (y_true, negatives, values)

    def _backward(self, ctx, g):
        y, negatives, values = ctx
        xp = get_array_module(y)
        # d/dp of max_k((1 - y_k) p_k) picks the arg-max class; d/dp of -sum(y p) is -y.
        top = (xp.arange(y.shape[-1]) == negatives.argmax(axis=-1)[..., None]).astype(y.dtype)
        return (g * (values > 0))[..., None] * (top * (1.0 - y) - y)


@registry.register("loss", "cosine_similarity")
class CosineSimilarity(Loss):
    """`-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`: -1 when aligned.

    Args:
        axis: The axis along which the similarity is computed. Defaults to `-1`.
        reduction: See `Loss`. name: Defaults to `"cosine_similarity"`.
    """

    PARAMS = (Param("axis", INT, -1, help="Axis of the vectors to compare."), REDUCTION_PARAM)
    DEFAULT_NAME = "cosine_similarity"
    DESCRIPTION = "Negative cosine of the angle between target and prediction."

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(reduction=reduction, name=name, **kwargs)
        self._configure(axis=axis)

    def _normalize(self, xp, x):
        # Keras: x * min(rsqrt(sum(x**2)), 1/eps), i.e. x / max(|x|, eps)
        norm = xp.sqrt((x * x).sum(axis=self.axis, keepdims=True))
        return x / xp.maximum(norm, EPSILON), norm

    def _forward(self, y_true, y_pred):
        xp = get_array_module(y_pred)
        u, _ = self._normalize(xp, y_true)
        v, norm = self._normalize(xp, y_pred)
        return -(u * v).sum(axis=self.axis), (u, v, norm)

    def _backward(self, ctx, g):
        u, v, norm = ctx
        xp = get_array_module(u)
        g = xp.expand_dims(g, self.axis)
        dot = (u * v).sum(axis=self.axis, keepdims=True)
        # v = p / |p| has Jacobian (I - v v^T) / |p|; below eps it is p / eps (constant scale).
        tangent = xp.where(norm > EPSILON, u - dot * v, u)
        return -g * tangent / xp.maximum(norm, EPSILON)
