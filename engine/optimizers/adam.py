"""The Adam family: Adam (with AMSGrad), AdamW, Adamax and Nadam, with Keras 3's formulas.

Keras folds Adam's bias correction into the step size and adds epsilon to `sqrt(v)` of the
*uncorrected* second moment: `w -= alpha_t * m / (sqrt(v) + eps)` with
`alpha_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)` (PyTorch adds eps to `sqrt(v_hat)`).
"""

import math

from .. import kernels, registry
from ..errors import SpecError
from ..params import BOOL, FLOAT, Param
from . import fused
from .base import Optimizer, common_params, learning_rate_param


def beta_param(name: str, default: float, help: str) -> Param:
    return Param(name, FLOAT, default, minimum=0.0, maximum=1.0, exclusive_maximum=True,
                 help=help)


def epsilon_param() -> Param:
    return Param("epsilon", FLOAT, 1e-7, minimum=0.0, help="Small constant for stability.")


_BETA_1 = "Decay rate of the first-moment (mean) estimate."
_BETA_2 = "Decay rate of the second-moment estimate."


def _update_moments(xp, g, m, v, t, beta_1: float, beta_2: float) -> None:
    """`m += (g - m)(1 - beta_1)`; `v += (g**2 - v)(1 - beta_2)` (Keras's form), in place."""
    xp.subtract(g, m, out=t)
    t *= 1.0 - beta_1
    m += t
    xp.multiply(g, g, out=t)
    t -= v
    t *= 1.0 - beta_2
    v += t


@registry.register("optimizer", "adam")
class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014), optionally AMSGrad (Reddi et al., 2018).

    Args:
        learning_rate: Defaults to `0.001`.
        beta_1: Decay of the first moment. Defaults to `0.9`.
        beta_2: Decay of the second moment. Defaults to `0.999`.
        epsilon: Added to `sqrt(v)` (uncorrected). Defaults to `1e-7`.
        amsgrad: Use the running maximum of `v`. Defaults to `False`.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: See `Optimizer`.
    """

    DESCRIPTION = "Adaptive moments: a good default for most networks."
    PARAMS = (
        learning_rate_param(0.001),
        beta_param("beta_1", 0.9, _BETA_1),
        beta_param("beta_2", 0.999, _BETA_2),
        epsilon_param(),
        Param("amsgrad", BOOL, False, help="Use the running maximum of the second moment."),
        *common_params(),
    )

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name, **kwargs)
        self._configure(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=amsgrad)

    def slot_names(self):
        return ("momentum", "velocity") + (("velocity_hat",) if self.amsgrad else ())

    def _coefficients(self, lr):
        t = self.iterations + 1
        alpha = lr * math.sqrt(1.0 - self.beta_2 ** t) / (1.0 - self.beta_1 ** t)
        return {"lr": lr, "alpha": alpha}

    def _step(self, xp, w, g, s, c, work, decay):
        if fused.available(xp, w):  # one CUDA kernel for decay + moments + update
            fused.adam(w, g, s, c["alpha"], decay, self)
            return
        super()._step(xp, w, g, s, c, work, decay)

    def _fused_cpu_step(self, w, g, s, c, decay):
        v_hat = s["velocity_hat"] if self.amsgrad else s["velocity"]  # read with amsgrad only
        return kernels.fused_step(
            "adam", (w, g, s["momentum"], s["velocity"], v_hat),
            (1.0 - self.beta_1, 1.0 - self.beta_2, c["alpha"], self.epsilon, decay or 0.0),
            flags=(bool(self.amsgrad),))

    def _update(self, xp, w, g, s, c, work):
        t = work[0]
        m, v = s["momentum"], s["velocity"]
        _update_moments(xp, g, m, v, t, self.beta_1, self.beta_2)
        if self.amsgrad:
            v = xp.maximum(s["velocity_hat"], v, out=s["velocity_hat"])  # v_hat = max(v_hat, v)
        xp.sqrt(v, out=t)
        t += self.epsilon
        xp.divide(m, t, out=t)
        t *= c["alpha"]
        w -= t  # w -= alpha_t * m / (sqrt(v) + eps)


@registry.register("optimizer", "adamw")
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019); decay defaults to 0.004.

    The decay is the base class's `w -= w * weight_decay * lr`, applied before the Adam step.

    Args:
        learning_rate: Defaults to `0.001`.
        weight_decay: Required (not `None`). Defaults to `0.004`.
        beta_1, beta_2, epsilon, amsgrad: As `Adam`.
        clipnorm, clipvalue, global_clipnorm, name: See `Optimizer`.
    """

    DESCRIPTION = "Adam with decoupled weight decay."
    PARAMS = (*Adam.PARAMS[:5], *common_params(weight_decay=0.004))

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        if weight_decay is None:
            raise SpecError("AdamW: argument `weight_decay` must be a float. "
                            "Received: weight_decay=None")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay,
                         clipnorm, clipvalue, global_clipnorm, name, **kwargs)


@registry.register("optimizer", "adamax")
class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm (Kingma & Ba, 2014, section 7.1).

    `m += (g - m)(1 - beta_1)`; `u = max(beta_2 * u, |g|)`;
    `w -= lr * m / ((1 - beta_1**t) * (u + eps))`.

    Args:
        learning_rate: Defaults to `0.001`.
        beta_1: Decay of the first moment. Defaults to `0.9`.
        beta_2: Decay of the infinity norm. Defaults to `0.999`.
        epsilon: Defaults to `1e-7`.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: See `Optimizer`.
    """

    DESCRIPTION = "Adam variant scaled by the infinity norm of past gradients."
    PARAMS = (
        learning_rate_param(0.001),
        beta_param("beta_1", 0.9, _BETA_1),
        beta_param("beta_2", 0.999, "Decay rate of the infinity norm."),
        epsilon_param(),
        *common_params(),
    )

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name, **kwargs)
        self._configure(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)

    def slot_names(self):
        return ("momentum", "norm")

    def _coefficients(self, lr):
        return {"lr": lr, "correction": 1.0 - self.beta_1 ** (self.iterations + 1)}

    def _fused_cpu_step(self, w, g, s, c, decay):
        return kernels.fused_step(
            "adamax", (w, g, s["momentum"], s["norm"]),
            (1.0 - self.beta_1, self.beta_2, self.epsilon, c["correction"], c["lr"], decay or 0.0))

    def _update(self, xp, w, g, s, c, work):
        t = work[0]
        m, u = s["momentum"], s["norm"]
        xp.subtract(g, m, out=t)
        t *= 1.0 - self.beta_1
        m += t  # m += (g - m)(1 - beta_1)
        u *= self.beta_2
        xp.abs(g, out=t)
        xp.maximum(u, t, out=u)  # u = max(beta_2 * u, |g|)
        xp.add(u, self.epsilon, out=t)
        t *= c["correction"]
        xp.divide(m, t, out=t)
        t *= c["lr"]
        w -= t  # w -= lr * m / ((1 - beta_1**t) * (u + eps))


@registry.register("optimizer", "nadam")
class Nadam(Optimizer):
    """Nadam: Adam with Nesterov momentum (Dozat, 2015), Keras's momentum schedule.

    `mu_t = beta_1 * (1 - 0.5 * 0.96**t)`; the running product `prod = mu_1 ... mu_t` is
    updated once per step, before the variables. With `m, v` as in Adam:
    `m_hat = mu_{t+1} m / (1 - prod * mu_{t+1}) + (1 - mu_t) g / (1 - prod)`,
    `v_hat = v / (1 - beta_2**t)`, `w -= lr * m_hat / (sqrt(v_hat) + eps)`.

    Args:
        learning_rate: Defaults to `0.001`.
        beta_1: Defaults to `0.9`. beta_2: Defaults to `0.999`. epsilon: Defaults to `1e-7`.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: See `Optimizer`.
    """

    DESCRIPTION = "Adam with Nesterov momentum."
    WORK_BUFFERS = 2
    PARAMS = (
        learning_rate_param(0.001),
        beta_param("beta_1", 0.9, _BETA_1),
        beta_param("beta_2", 0.999, _BETA_2),
        epsilon_param(),
        *common_params(),
    )

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name, **kwargs)
        self._configure(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
        self._u_product = 1.0

    def slot_names(self):
        return ("momentum", "velocity")

    def scalar_state(self):
        return {"u_product": self._u_product}

    def set_scalar_state(self, values):
        self._u_product = float(values["u_product"])

    def _coefficients(self, lr):
        t = self.iterations + 1
        u_t = self.beta_1 * (1.0 - 0.5 * 0.96 ** t)
        u_next = self.beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        self._u_product *= u_t  # once per step, before the per-variable updates (Keras)
        product = self._u_product
        return {"lr": lr,
                "m_coef": u_next / (1.0 - product * u_next),
                "g_coef": (1.0 - u_t) / (1.0 - product),
                "v_correction": 1.0 - self.beta_2 ** t}

    def _fused_cpu_step(self, w, g, s, c, decay):
        return kernels.fused_step(
            "nadam", (w, g, s["momentum"], s["velocity"]),
            (1.0 - self.beta_1, 1.0 - self.beta_2, c["m_coef"], c["g_coef"], c["v_correction"],
             self.epsilon, c["lr"], decay or 0.0))

    def _update(self, xp, w, g, s, c, work):
        t, u = work
        m, v = s["momentum"], s["velocity"]
        _update_moments(xp, g, m, v, t, self.beta_1, self.beta_2)
        xp.multiply(m, c["m_coef"], out=t)
        xp.multiply(g, c["g_coef"], out=u)
        t += u  # m_hat
        xp.divide(v, c["v_correction"], out=u)
        xp.sqrt(u, out=u)
        u += self.epsilon  # sqrt(v_hat) + eps
        t *= c["lr"]
        t /= u
        w -= t  # w -= lr * m_hat / (sqrt(v_hat) + eps)
