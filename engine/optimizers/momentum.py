"""SGD (with plain or Nesterov momentum) and Lion: first-moment optimizers (Keras 3)."""

from .. import kernels, registry
from ..errors import SpecError
from ..params import BOOL, FLOAT, Param
from .base import Optimizer, common_params, learning_rate_param


@registry.register("optimizer", "sgd")
class SGD(Optimizer):
    """Gradient descent, optionally with momentum.

    `w -= lr * g`; with momentum `m = momentum * m - lr * g` then `w += m`, or with Nesterov
    `w += momentum * m - lr * g` (using the new `m`).

    Args:
        learning_rate: Defaults to `0.01`.
        momentum: A float in [0, 1]; `0.0` is vanilla gradient descent. An int such as `0` is
            rejected, as in Keras. Defaults to `0.0`.
        nesterov: Whether to apply Nesterov momentum. Defaults to `False`.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: See `Optimizer`.
    """

    DESCRIPTION = "Stochastic gradient descent, with optional (Nesterov) momentum."
    PARAMS = (
        learning_rate_param(0.01),
        Param("momentum", FLOAT, 0.0, minimum=0.0, maximum=1.0,
              help="Fraction of the previous step kept (0 = plain gradient descent)."),
        Param("nesterov", BOOL, False, help="Use Nesterov momentum."),
        *common_params(),
    )

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name, **kwargs)
        if not isinstance(momentum, float) or not 0.0 <= momentum <= 1.0:
            raise SpecError(f"SGD: `momentum` must be a float between [0, 1]. "
                            f"Received: momentum={momentum!r}")
        self._configure(momentum=momentum, nesterov=nesterov)
        self.WORK_BUFFERS = 2 if self.nesterov else 1

    def slot_names(self):
        return ("momentum",) if self.momentum != 0 else ()

    def _fused_cpu_step(self, w, g, s, c, decay):
        m = s.get("momentum", w)  # without momentum the kernel never touches it
        return kernels.fused_step("sgd", (w, g, m), (c["lr"], self.momentum),
                                  flags=(bool(self.nesterov),), last=(decay or 0.0,))

    def _update(self, xp, w, g, s, c, work):
        t = work[0]
        xp.multiply(g, -c["lr"], out=t)  # t = -lr * g
        if self.momentum == 0:
            w += t  # w -= lr * g
            return
        m = s["momentum"]
        m *= self.momentum
        m += t  # m = momentum * m - lr * g
        if self.nesterov:
            u = work[1]
            xp.multiply(m, self.momentum, out=u)
            u += t
            w += u  # w += momentum * m - lr * g
        else:
            w += m


@registry.register("optimizer", "lion")
class Lion(Optimizer):
    """Lion (Chen et al., 2023): the sign of an interpolated momentum.

    `w -= lr * sign(beta_1 * m + (1 - beta_1) * g)`, then `m = beta_2 * m + (1 - beta_2) * g`.

    Args:
        learning_rate: Defaults to `0.001` (Lion usually wants 3-10x less than AdamW).
        beta_1: Interpolation between momentum and gradient, in (0, 1]. Defaults to `0.9`.
        beta_2: Decay of the momentum. Defaults to `0.99`.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: See `Optimizer`.
    """

    DESCRIPTION = "Sign of an interpolated momentum; memory-light, wants a small learning rate."
    WORK_BUFFERS = 2
    PARAMS = (
        learning_rate_param(0.001),
        Param("beta_1", FLOAT, 0.9, minimum=0.0, maximum=1.0, exclusive_minimum=True,
              help="Weight of the momentum in the update direction (0 < beta_1 <= 1)."),
        Param("beta_2", FLOAT, 0.99, minimum=0.0, maximum=1.0,
              help="Decay rate of the momentum."),
        *common_params(),
    )

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name, **kwargs)
        self._configure(beta_1=beta_1, beta_2=beta_2)

    def slot_names(self):
        return ("momentum",)

    def _fused_cpu_step(self, w, g, s, c, decay):
        return kernels.fused_step(
            "lion", (w, g, s["momentum"]),
            (c["lr"], self.beta_1, 1.0 - self.beta_1, self.beta_2, 1.0 - self.beta_2,
             decay or 0.0))

    def _update(self, xp, w, g, s, c, work):
        t, u = work
        m = s["momentum"]
        xp.multiply(m, self.beta_1, out=t)
        xp.multiply(g, 1.0 - self.beta_1, out=u)
        t += u
        xp.sign(t, out=t)
        t *= c["lr"]
        w -= t  # w -= lr * sign(beta_1 * m + (1 - beta_1) * g)
        m *= self.beta_2
        xp.multiply(g, 1.0 - self.beta_2, out=u)
        m += u  # m = beta_2 * m + (1 - beta_2) * g
