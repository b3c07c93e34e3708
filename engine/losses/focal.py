"""Focal crossentropy losses (Lin et al., 2018; Keras formulas), each with its gradient.

The focal factor `(1 - p_t)**gamma` shrinks the loss of values that are already well
classified, so training concentrates on the hard ones; `gamma=0` gives back the plain
crossentropy. As in Keras, probabilities are clipped to `[1e-7, 1 - 1e-7]` inside the log and
the clipped region passes no gradient through it. Both losses fold into a sigmoid / softmax
output (`value_and_logits_gradient`), like the crossentropies.
"""

import warnings

from .. import activations, registry
from ..backend import get_array_module
from ..errors import ShapeError, SpecError
from ..params import BOOL, FLOAT, INT, Param, validate_param
from .base import EPSILON, REDUCTION_PARAM, FusedActivationMixin, Loss, shape_text
from .crossentropy import FROM_LOGITS, LABEL_SMOOTHING, _inside

GAMMA = Param("gamma", FLOAT, 2.0, minimum=0.0,
              help="Focusing parameter: larger values down-weight easy examples more (0 = none).")
AXIS = Param("axis", INT, -1, help="The class (features) axis.")
_SIGMOID = activations.get("sigmoid")


def power_and_slope(xp, base, gamma):
    """`base**gamma` and its derivative `gamma * base**(gamma - 1)`.

    At `base == 0` the slope is 1 for gamma 1 and 0 otherwise (the derivative is infinite for
    0 < gamma < 1; 0 keeps the gradient finite there).
    """
    value = base**gamma
    if gamma == 0:
        return value, xp.zeros_like(base)
    positive = base > 0
    safe = xp.where(positive, base, 1.0)
    return value, xp.where(positive, gamma * safe ** (gamma - 1.0), 1.0 if gamma == 1 else 0.0)


@registry.register("loss", "binary_focal_crossentropy")
class BinaryFocalCrossentropy(FusedActivationMixin, Loss):
    """`mean(w * (1 - p_t)**gamma * bce(y, p), axis)` with `p_t = y p + (1 - y)(1 - p)`.

    Args:
        apply_class_balancing: Weigh class 1 by `alpha` and class 0 by `1 - alpha`.
            Defaults to `False`.
        alpha: The class-1 weight when balancing. Defaults to `0.25`.
        gamma: The focusing parameter. Defaults to `2.0`.
        from_logits: Whether `y_pred` are logits. Defaults to `False`.
        label_smoothing: `y = y * (1 - ls) + 0.5 * ls`. Defaults to `0.0`.
        axis: The axis the mean runs over. Defaults to `-1`.
        reduction: See `Loss`. name: Defaults to `"binary_focal_crossentropy"`.
    """

    PARAMS = (Param("apply_class_balancing", BOOL, False,
                    help="Weigh class 1 by alpha and class 0 by 1 - alpha."),
              Param("alpha", FLOAT, 0.25, minimum=0.0, maximum=1.0,
                    help="Weight of class 1 when balancing (class 0 gets 1 - alpha)."),
              GAMMA, FROM_LOGITS, LABEL_SMOOTHING, AXIS, REDUCTION_PARAM)
    FUSED_ACTIVATION = "sigmoid"
    DEFAULT_NAME = "binary_focal_crossentropy"
    DESCRIPTION = "Crossentropy for 0/1 targets that focuses on hard examples."

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size", name=None,
                 **kwargs):
        super().__init__(reduction=reduction, name=name, **kwargs)
        self._configure(apply_class_balancing=apply_class_balancing, alpha=alpha,
                        gamma=gamma, from_logits=from_logits,
                        label_smoothing=label_smoothing, axis=axis)

    def _forward(self, y_true, y_pred):
        xp = get_array_module(y_pred)
        y = y_true
        if self.label_smoothing:
            y = y * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
        p = _SIGMOID.forward(y_pred) if self.from_logits else y_pred
        q = xp.clip(p, EPSILON, 1.0 - EPSILON)
        bce = -(y * xp.log(q) + (1.0 - y) * xp.log(1.0 - q))
        p_t = y * p + (1.0 - y) * (1.0 - p)
        focal, slope = power_and_slope(xp, 1.0 - p_t, self.gamma)
        weight = (y * self.alpha + (1.0 - y) * (1.0 - self.alpha)
                  if self.apply_class_balancing else 1.0)
        values = (weight * focal * bce).mean(axis=self.axis)
        return values, (y, p, q, bce, focal, slope, weight)

    def _backward(self, ctx, g):
        y, p, q, bce, focal, slope, weight = ctx
        # d/dp [w (1 - p_t)^g bce] = w [-g (1 - p_t)^(g-1) (2y - 1) bce + (1 - p_t)^g dbce/dp]
        dbce = ((1.0 - y) / (1.0 - q) - y / q) * _inside(p)
        d = weight * (-slope * (2.0 * y - 1.0) * bce + focal * dbce)
        if self.from_logits:
            d = d * p * (1.0 - p)  # sigmoid'(z) = p (1 - p)
        return self._spread(g, d)

    def _logits_backward(self, y_pred, ctx, g):
        y, p, _, bce, focal, slope, weight = ctx
        # Through the sigmoid, without the clip: dbce/dz = p - y, dp_t/dz = (2y - 1) p (1 - p).
        d = weight * (-slope * (2.0 * y - 1.0) * p * (1.0 - p) * bce + focal * (p - y))
        return self._spread(g, d)

    def _spread(self, g, d):
        """dL/dy_pred from dL/dvalues `g` and the elementwise derivative `d` (mean's 1/n)."""
        xp = get_array_module(d)
        return xp.expand_dims(g, self.axis) * d / d.shape[self.axis]


@registry.register("loss", "categorical_focal_crossentropy")
class CategoricalFocalCrossentropy(FusedActivationMixin, Loss):
    """`sum(alpha * (1 - p)**gamma * -y log(p), axis)` for one-hot (or soft) targets.

    Args:
        alpha: A weight for every class, or a list with one weight per class.
            Defaults to `0.25`.
        gamma: The focusing parameter. Defaults to `2.0`.
        from_logits: Whether `y_pred` are logits. Defaults to `False` (probabilities,
            renormalised to sum to 1 and clipped to `[1e-7, 1 - 1e-7]`).
        label_smoothing: `y = y * (1 - ls) + ls / num_classes`. Defaults to `0.0`.
        axis: The class axis. Defaults to `-1`.
        reduction: See `Loss`. name: Defaults to `"categorical_focal_crossentropy"`.
    """

    ALPHA = Param("alpha", FLOAT, 0.25, minimum=0.0,
                  help="Weight of every class (a list gives one weight per class).")
    PARAMS = (ALPHA, GAMMA, FROM_LOGITS, LABEL_SMOOTHING, AXIS, REDUCTION_PARAM)
    FUSED_ACTIVATION = "softmax"
    DEFAULT_NAME = "categorical_focal_crossentropy"
    DESCRIPTION = "Crossentropy for one-hot targets that focuses on hard examples."

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(reduction=reduction, name=name, **kwargs)
        self._configure(gamma=gamma, from_logits=from_logits,
                        label_smoothing=label_smoothing, axis=axis)
        self.alpha = self._checked_alpha(alpha)
        if self.axis != -1:
            self.FUSED_ACTIVATION = None  # a softmax layer normalises the last axis only

    def _checked_alpha(self, alpha):
        owner = f"{type(self).__name__} '{self.name}'"
        if isinstance(alpha, (list, tuple)):
            if not alpha:
                raise SpecError(f"{owner}: `alpha` must be a number or one weight per class. "
                                "Received: alpha=[]")
            return [validate_param(self.ALPHA, a, owner=owner) for a in alpha]
        return validate_param(self.ALPHA, alpha, owner=owner)

    def _alpha_like(self, xp, y_pred):
        """`alpha` shaped to broadcast along the class axis."""
        if not isinstance(self.alpha, list):
            return self.alpha
        classes = y_pred.shape[self.axis]
        if len(self.alpha) != classes:
            raise ShapeError(
                f"Loss '{self.name}' has {len(self.alpha)} class weights in `alpha` but the "
                f"predictions have {classes} classes (y_pred.shape={shape_text(y_pred.shape)}, "
                f"axis={self.axis}). Give one weight per class.")
        shape = [1] * y_pred.ndim
        shape[self.axis] = classes
        return xp.asarray(self.alpha, dtype=y_pred.dtype).reshape(shape)

    def _prepare(self, y_true, y_pred):
        y_true, y_pred, shape = super()._prepare(y_true, y_pred)
        if y_pred.ndim and y_pred.shape[self.axis] == 1:
            warnings.warn(
                f"In loss {self.name}, expected y_pred.shape to be (batch_size, num_classes) "
                f"with num_classes > 1. Received: y_pred.shape={shape_text(shape)}. Consider "
                "using 'binary_crossentropy' if you only have 2 classes.", stacklevel=3)
        return y_true, y_pred, shape

    def _forward(self, y_true, y_pred):
        xp = get_array_module(y_pred)
        y = y_true
        if self.label_smoothing:
            y = y * (1.0 - self.label_smoothing) + self.label_smoothing / y.shape[self.axis]
        p = activations.softmax(y_pred, axis=self.axis) if self.from_logits else y_pred
        total = p.sum(axis=self.axis, keepdims=True)
        r = p / total  # Keras renormalises the probabilities along the class axis
        o = xp.clip(r, EPSILON, 1.0 - EPSILON)
        focal, slope = power_and_slope(xp, 1.0 - o, self.gamma)
        alpha = self._alpha_like(xp, y_pred)
        values = (alpha * focal * -(y * xp.log(o))).sum(axis=self.axis)
        return values, (y, p, r, o, total, focal, slope, alpha)

    def _backward(self, ctx, g):
        y, p, r, o, total, focal, slope, alpha = ctx
        xp = get_array_module(p)
        axis = self.axis
        # d/do_k = alpha_k y_k [g (1 - o_k)^(g-1) log o_k - (1 - o_k)^g / o_k]
        d_r = alpha * y * (slope * xp.log(o) - focal / o) * _inside(r)
        # through r = p / sum(p): dL/dp_j = (d_j - sum_k d_k r_k) / sum(p)
        d = (d_r - (d_r * r).sum(axis=axis, keepdims=True)) / total
        if self.from_logits:  # softmax backward: p * (d - sum(d p))
            d = p * (d - (d * p).sum(axis=axis, keepdims=True))
        return xp.expand_dims(g, axis) * d

    def _logits_backward(self, y_pred, ctx, g):
        y, p, _, o, _, _, _, alpha = ctx
        xp = get_array_module(p)
        # Softmax then focal loss, without the clip: with e_k = p_k dL/dp_k =
        # alpha_k y_k [g (1 - p_k)^(g-1) p_k log p_k - (1 - p_k)^g], dL/dz_j = e_j - p_j sum(e).
        focal, slope = power_and_slope(xp, 1.0 - p, self.gamma)
        e = alpha * y * (slope * p * xp.log(o) - focal)
        return xp.expand_dims(g, self.axis) * (e - p * e.sum(axis=self.axis, keepdims=True))
