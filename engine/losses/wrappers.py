"""Keras's lower-case loss functions (`keras.losses.mean_squared_error` ...): per-sample
values, as Tensors, differentiable under a GradientTape.

    values = losses.mean_squared_error(y_true, y_pred)       # shape y_pred.shape[:-1]
    model.compile(loss=losses.sparse_categorical_crossentropy)

Each runs the built-in Loss class with reduction "none"; that class records its analytic
gradient when `y_pred` is tracked (losses.base.Loss.__call__), so no formula is written twice.
"""

from ..errors import SpecError
from ..ops.core import Tensor, value_of
from .crossentropy import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
)
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


def per_sample(cls, y_true, y_pred, **options):
    """`cls(reduction="none", **options)(y_true, y_pred)` as a Tensor."""
    values = cls(reduction="none", **options)(y_true, y_pred)
    return values if isinstance(values, Tensor) else Tensor(values)


def _last_axis_only(name, axis, y_pred):
    """The engine's crossentropies reduce the last axis; Keras's `axis` may name it."""
    ndim = len(value_of(y_pred).shape) if hasattr(value_of(y_pred), "shape") else 1
    if axis not in (-1, ndim - 1):
        raise SpecError(f"losses.{name}: only the last axis (axis=-1) holds the classes in this "
                        f"engine. Received: axis={axis!r}. Move the class axis last (e.g. "
                        "ops.moveaxis) before calling it.")


def mean_squared_error(y_true, y_pred):
    """`mean(square(y_true - y_pred), axis=-1)`."""
    return per_sample(MeanSquaredError, y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    """`mean(abs(y_true - y_pred), axis=-1)`."""
    return per_sample(MeanAbsoluteError, y_true, y_pred)


def mean_absolute_percentage_error(y_true, y_pred):
    """`100 * mean(abs((y_true - y_pred) / y_true), axis=-1)` (denominator clipped)."""
    return per_sample(MeanAbsolutePercentageError, y_true, y_pred)


def mean_squared_logarithmic_error(y_true, y_pred):
    """`mean(square(log(y_true + 1) - log(y_pred + 1)), axis=-1)`."""
    return per_sample(MeanSquaredLogarithmicError, y_true, y_pred)


def cosine_similarity(y_true, y_pred, axis=-1):
    """`-sum(l2_norm(y_true) * l2_norm(y_pred), axis)`."""
    return per_sample(CosineSimilarity, y_true, y_pred, axis=axis)


def huber(y_true, y_pred, delta=1.0):
    """Quadratic within `delta` of the target, linear beyond; mean over the last axis."""
    return per_sample(Huber, y_true, y_pred, delta=delta)


def log_cosh(y_true, y_pred):
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`."""
    return per_sample(LogCosh, y_true, y_pred)


def kl_divergence(y_true, y_pred):
    """`sum(y_true * log(y_true / y_pred), axis=-1)` (both clipped to [eps, 1])."""
    return per_sample(KLDivergence, y_true, y_pred)


def poisson(y_true, y_pred):
    """`mean(y_pred - y_true * log(y_pred + eps), axis=-1)`."""
    return per_sample(Poisson, y_true, y_pred)


def hinge(y_true, y_pred):
    """`mean(maximum(1 - y_true * y_pred, 0), axis=-1)` (0/1 labels become -1/1)."""
    return per_sample(Hinge, y_true, y_pred)


def squared_hinge(y_true, y_pred):
    """`mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)`."""
    return per_sample(SquaredHinge, y_true, y_pred)


def categorical_hinge(y_true, y_pred):
    """`maximum(neg - pos + 1, 0)` with `pos`/`neg` the scores of the true/best false class."""
    return per_sample(CategoricalHinge, y_true, y_pred)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Crossentropy of one-hot (or soft) targets, one value per sample."""
    _last_axis_only("categorical_crossentropy", axis, y_pred)
    return per_sample(CategoricalCrossentropy, y_true, y_pred, from_logits=from_logits,
                      label_smoothing=label_smoothing)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """Crossentropy of integer class labels, one value per sample (0 where ignored)."""
    _last_axis_only("sparse_categorical_crossentropy", axis, y_pred)
    return per_sample(SparseCategoricalCrossentropy, y_true, y_pred, from_logits=from_logits,
                      ignore_class=ignore_class)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy averaged over the last axis, one value per sample."""
    _last_axis_only("binary_crossentropy", axis, y_pred)
    return per_sample(BinaryCrossentropy, y_true, y_pred, from_logits=from_logits,
                      label_smoothing=label_smoothing)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Focal binary crossentropy averaged over `axis`, one value per sample."""
    return per_sample(BinaryFocalCrossentropy, y_true, y_pred,
                      apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                      from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Focal crossentropy of one-hot targets, one value per sample."""
    return per_sample(CategoricalFocalCrossentropy, y_true, y_pred, alpha=alpha, gamma=gamma,
                      from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


def dice(y_true, y_pred, axis=None):
    """`1 - 2 sum(y p) / (sum(y) + sum(p))` over `axis` (None: the whole batch)."""
    return per_sample(Dice, y_true, y_pred, axis=axis)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss over `axis` (None: the whole batch)."""
    return per_sample(Tversky, y_true, y_pred, alpha=alpha, beta=beta, axis=axis)


#: Each function's Loss class: compile()'s target checks treat `loss=fn` as that class.
LOSS_CLASSES = {
    mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
    cosine_similarity: CosineSimilarity, huber: Huber, log_cosh: LogCosh,
    kl_divergence: KLDivergence, poisson: Poisson, hinge: Hinge, squared_hinge: SquaredHinge,
    categorical_hinge: CategoricalHinge, categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    binary_crossentropy: BinaryCrossentropy, binary_focal_crossentropy: BinaryFocalCrossentropy,
    categorical_focal_crossentropy: CategoricalFocalCrossentropy, dice: Dice, tversky: Tversky,
}
#: By name, for configs that store a function by its name.
FUNCTIONS = {fn.__name__: fn for fn in LOSS_CLASSES}
