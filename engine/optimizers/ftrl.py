"""FTRL-proximal (McMahan et al., 2013) with Keras 3's online and shrinkage L2."""

from .. import kernels, registry
from ..params import FLOAT, Param
from .base import Optimizer, common_params, learning_rate_param


def _power(xp, x, exponent: float, out):
    """`x ** exponent` into `out`; the default exponent 0.5 is an exact square root."""
    if exponent == 0.5:
        return xp.sqrt(x, out=out)
    return xp.power(x, exponent, out=out)


@registry.register("optimizer", "ftrl")
class Ftrl(Optimizer):
    """Follow The Regularized Leader, proximal form.

    With `p = learning_rate_power`, `l2 = l2_regularization_strength + beta / (2 lr)`:
    `n' = n + g**2`; `linear += g + 2 l2_shrinkage w - (n'**(-p) - n**(-p)) / lr * w`;
    `w = (clip(linear, -l1, l1) - linear) / (n'**(-p) / lr + 2 l2)`; `n = n'`.

    Args:
        learning_rate: Defaults to `0.001`.
        learning_rate_power: <= 0; 0 keeps the learning rate fixed. Defaults to `-0.5`.
        initial_accumulator_value: Starting `n`, >= 0. Defaults to `0.1`.
        l1_regularization_strength: >= 0. Defaults to `0.0`.
        l2_regularization_strength: Stabilisation L2, >= 0. Defaults to `0.0`.
        l2_shrinkage_regularization_strength: Magnitude L2 on the gradient, >= 0.
            Defaults to `0.0`.
        beta: The paper's beta. Defaults to `0.0`.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: See `Optimizer`.
    """

    DESCRIPTION = "Follow the regularized leader: sparse, L1/L2-regularised linear models."
    WORK_BUFFERS = 2
    PARAMS = (
        learning_rate_param(0.001),
        Param("learning_rate_power", FLOAT, -0.5, maximum=0.0,
              help="How fast per-parameter rates fall (<= 0; 0 = fixed)."),
        Param("initial_accumulator_value", FLOAT, 0.1, minimum=0.0,
              help="Starting value of the squared-gradient sums."),
        Param("l1_regularization_strength", FLOAT, 0.0, minimum=0.0, help="L1 strength."),
        Param("l2_regularization_strength", FLOAT, 0.0, minimum=0.0,
              help="Stabilising L2 strength."),
        Param("l2_shrinkage_regularization_strength", FLOAT, 0.0, minimum=0.0,
              help="Magnitude L2 penalty added to the gradient."),
        Param("beta", FLOAT, 0.0, minimum=0.0, help="The paper's beta."),
        *common_params(),
    )

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name, **kwargs)
        self._configure(
            learning_rate_power=learning_rate_power,
            initial_accumulator_value=initial_accumulator_value,
            l1_regularization_strength=l1_regularization_strength,
            l2_regularization_strength=l2_regularization_strength,
            l2_shrinkage_regularization_strength=l2_shrinkage_regularization_strength,
            beta=beta,
        )

    def slot_names(self):
        return ("accumulator", "linear")

    def slot_initial_value(self, name):
        return self.initial_accumulator_value if name == "accumulator" else 0.0

    def _coefficients(self, lr):
        l2 = self.l2_regularization_strength
        if self.beta:
            l2 += self.beta / (2.0 * lr)
        return {"lr": lr, "l2": l2}

    def _fused_cpu_step(self, w, g, s, c, decay):
        if self.learning_rate_power != -0.5:
            # Another power's float32 rounding differs by an ulp between libraries, and
            # (n'**-p - n**-p) / lr magnifies that: the NumPy path keeps the reference result.
            return False
        return kernels.fused_step(
            "ftrl", (w, g, s["accumulator"], s["linear"]),
            (c["lr"], 2.0 * self.l2_shrinkage_regularization_strength, 2.0 * c["l2"],
             self.l1_regularization_strength, decay or 0.0))

    def _update(self, xp, w, g, s, c, work):
        t, u = work
        lr = c["lr"]
        exponent = -self.learning_rate_power
        acc, linear = s["accumulator"], s["linear"]
        _power(xp, acc, exponent, out=t)  # n**(-p)
        xp.multiply(g, g, out=u)
        acc += u  # n' = n + g**2 (kept: the accumulator's new value)
        _power(xp, acc, exponent, out=u)  # n'**(-p)
        xp.subtract(u, t, out=t)
        t /= lr  # sigma = (n'**(-p) - n**(-p)) / lr
        t -= 2.0 * self.l2_shrinkage_regularization_strength
        t *= w
        linear -= t
        linear += g  # linear += (g + 2 l2_shrinkage w) - sigma w
        u /= lr
        u += 2.0 * c["l2"]  # quadratic = n'**(-p) / lr + 2 l2
        l1 = self.l1_regularization_strength
        xp.clip(linear, -l1, l1, out=t)
        t -= linear
        xp.divide(t, u, out=w)  # w = (clip(linear, -l1, l1) - linear) / quadratic
