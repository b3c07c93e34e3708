"""More Keras metrics: the F-beta score (sharing F1Score's counting), and running means of
the hinge, probabilistic and regression losses' per-sample values."""

from .. import losses, registry
from ..params import FLOAT, INT, Param
from .classification import F1_EPSILON, F1Score
from .regression import LossMetric


@registry.register("metric", "f_beta_score")
class FBetaScore(F1Score):
    """Weighted harmonic mean of precision and recall,
    `(1 + beta**2) * precision * recall / (beta**2 * precision + recall)`, per class.

    Args:
        average: `None` (a NumPy array, one score per class), `"micro"`, `"macro"` or
            `"weighted"`, as for `F1Score`. Defaults to `None`.
        beta: How much more recall weighs than precision, > 0. Defaults to `1.0` (the F1
            score).
        threshold: Predictions above it are positive; `None` takes each row's arg-max.
            Defaults to `None`.
        name: Defaults to `"fbeta_score"`.

    The counting is `F1Score`'s (Keras's F1Score is this class with `beta=1`).
    """

    PARAMS = (F1Score.PARAMS[0],
              Param("beta", FLOAT, 1.0, minimum=0.0, exclusive_minimum=True,
                    help="Weight of recall relative to precision (1 = F1 score)."),
              F1Score.PARAMS[1])
    DEFAULT_NAME = "fbeta_score"
    DESCRIPTION = "F-beta score: precision and recall, recall weighted beta times."

    def __init__(self, average=None, beta=1.0, threshold=None, name=None, **kwargs):
        super().__init__(average=average, threshold=threshold, name=name, **kwargs)
        self._configure(beta=beta)

    def _combine(self, precision, recall):
        b2 = self.beta**2
        return (1.0 + b2) * precision * recall / (b2 * precision + recall + F1_EPSILON)


@registry.register("metric", "log_cosh_error")
class LogCoshError(LossMetric):
    """Running mean of `mean(log(cosh(y_pred - y_true)), axis=-1)`."""

    LOSS_CLASS = losses.LogCosh
    DEFAULT_NAME = "logcosh"
    DESCRIPTION = "Logarithm of the hyperbolic cosine of the error."


@registry.register("metric", "hinge")
class Hinge(LossMetric):
    """Running mean of `mean(max(1 - y_true * y_pred, 0), axis=-1)` (0/1 labels become
    -1/+1)."""

    LOSS_CLASS = losses.Hinge
    DEFAULT_NAME = "hinge"
    DESCRIPTION = "Hinge loss, for -1/+1 (or 0/1) labels."


@registry.register("metric", "squared_hinge")
class SquaredHinge(LossMetric):
    """Running mean of `mean(max(1 - y_true * y_pred, 0)**2, axis=-1)`."""

    LOSS_CLASS = losses.SquaredHinge
    DEFAULT_NAME = "squared_hinge"
    DESCRIPTION = "Squared hinge loss, for -1/+1 (or 0/1) labels."


@registry.register("metric", "categorical_hinge")
class CategoricalHinge(LossMetric):
    """Running mean of `max(max((1 - y) * p) - sum(y * p) + 1, 0)` (one-hot targets)."""

    LOSS_CLASS = losses.CategoricalHinge
    DEFAULT_NAME = "categorical_hinge"
    DESCRIPTION = "Categorical hinge loss, for one-hot targets."


@registry.register("metric", "kl_divergence")
class KLDivergence(LossMetric):
    """Running mean of `sum(y * log(y / p), axis=-1)` (both clipped to `[1e-7, 1]`)."""

    LOSS_CLASS = losses.KLDivergence
    DEFAULT_NAME = "kl_divergence"
    DESCRIPTION = "Kullback-Leibler divergence of the predictions from the targets."


@registry.register("metric", "poisson")
class Poisson(LossMetric):
    """Running mean of `mean(y_pred - y_true * log(y_pred + 1e-7), axis=-1)`."""

    LOSS_CLASS = losses.Poisson
    DEFAULT_NAME = "poisson"
    DESCRIPTION = "Poisson negative log-likelihood, for count targets."


@registry.register("metric", "cosine_similarity")
class CosineSimilarity(LossMetric):
    """Running mean of the cosine similarity `sum(l2_normalize(y_true) *
    l2_normalize(y_pred), axis)`: 1 when aligned (the loss of the same name is its negative).

    Args:
        name: Defaults to `"cosine_similarity"`.
        axis: The axis of the vectors. Defaults to `-1`.
    """

    PARAMS = (Param("axis", INT, -1, help="Axis of the vectors to compare."),)
    LOSS_CLASS = losses.CosineSimilarity
    DIRECTION = "up"
    DEFAULT_NAME = "cosine_similarity"
    DESCRIPTION = "Cosine of the angle between target and prediction."

    def __init__(self, name=None, axis=-1, **kwargs):
        super().__init__(name=name, **kwargs)
        self._configure(axis=axis)
        self._loss = losses.CosineSimilarity(axis=axis)

    def _values(self, y_true, y_pred):
        return -self._loss.call(y_true, y_pred)
