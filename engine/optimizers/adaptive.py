"""Per-parameter adaptive step sizes: RMSprop, Adagrad and Adadelta (Keras 3 formulas)."""

from .. import kernels, registry
from ..params import BOOL, FLOAT, Param
from .adam import epsilon_param
from .base import Optimizer, common_params, learning_rate_param


def _rho_param(default: float) -> Param:
    return Param("rho", FLOAT, default, minimum=0.0, maximum=1.0,
                 help="Discount factor for the history of squared gradients.")


@registry.register("optimizer", "rmsprop")
class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012), optionally centered and with plain momentum.

    `v = rho v + (1 - rho) g**2`; centered: `mg = rho mg + (1 - rho) g` and the denominator is
    `v - mg**2 + eps`, else `v + eps` (epsilon *inside* the square root);
    `inc = lr g / sqrt(denominator)`; with momentum `mom = momentum * mom + inc; w -= mom`,
    else `w -= inc`.

    Args:
        learning_rate: Defaults to `0.001`.
        rho: Discount of the squared-gradient average. Defaults to `0.9`.
        momentum: Defaults to `0.0` (no momentum slot).
        epsilon: Defaults to `1e-7`.
        centered: Normalise by the estimated variance. Defaults to `False`.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: See `Optimizer`.
    """

    DESCRIPTION = "Divides each step by a running RMS of the gradients; Keras's compile default."
    PARAMS = (
        learning_rate_param(0.001),
        _rho_param(0.9),
        Param("momentum", FLOAT, 0.0, minimum=0.0, maximum=1.0,
              help="Momentum on the scaled steps (0 = none)."),
        epsilon_param(),
        Param("centered", BOOL, False, help="Normalise by the estimated gradient variance."),
        *common_params(),
    )

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name, **kwargs)
        self._configure(rho=rho, momentum=momentum, epsilon=epsilon, centered=centered)

    def slot_names(self):
        names = ("velocity",)
        if self.momentum > 0:
            names += ("momentum",)
        if self.centered:
            names += ("average_gradient",)
        return names

    def _fused_cpu_step(self, w, g, s, c, decay):
        v = s["velocity"]
        mg, mom = s.get("average_gradient", v), s.get("momentum", v)  # unused ones: ignored
        return kernels.fused_step(
            "rmsprop", (w, g, v, mg, mom),
            (c["lr"], self.rho, 1.0 - self.rho, self.epsilon, self.momentum),
            flags=(bool(self.centered),), last=(decay or 0.0,))

    def _update(self, xp, w, g, s, c, work):
        t = work[0]
        rho = self.rho
        v = s["velocity"]
        v *= rho
        xp.multiply(g, g, out=t)
        t *= 1.0 - rho
        v += t  # v = rho v + (1 - rho) g**2
        if self.centered:
            mg = s["average_gradient"]
            mg *= rho
            xp.multiply(g, 1.0 - rho, out=t)
            mg += t  # mg = rho mg + (1 - rho) g
            xp.multiply(mg, mg, out=t)
            xp.subtract(v, t, out=t)
            t += self.epsilon  # v - mg**2 + eps
        else:
            xp.add(v, self.epsilon, out=t)  # v + eps
        xp.sqrt(t, out=t)
        xp.divide(g, t, out=t)
        t *= c["lr"]  # inc = lr g / sqrt(denominator)
        if self.momentum > 0:
            mom = s["momentum"]
            mom *= self.momentum
            mom += t
            w -= mom
        else:
            w -= t


@registry.register("optimizer", "adagrad")
class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): `acc += g**2`; `w -= lr g / sqrt(acc + eps)`.

    Args:
        learning_rate: Defaults to `0.001` (the paper's form uses 1.0).
        initial_accumulator_value: Starting value of `acc`, >= 0. Defaults to `0.1`.
        epsilon: Defaults to `1e-7`.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: See `Optimizer`.
    """

    DESCRIPTION = "Step sizes shrink with the sum of each parameter's squared gradients."
    PARAMS = (
        learning_rate_param(0.001),
        Param("initial_accumulator_value", FLOAT, 0.1, minimum=0.0,
              help="Starting value of the squared-gradient sums."),
        epsilon_param(),
        *common_params(),
    )

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name, **kwargs)
        self._configure(initial_accumulator_value=initial_accumulator_value, epsilon=epsilon)

    def slot_names(self):
        return ("accumulator",)

    def slot_initial_value(self, name):
        return self.initial_accumulator_value

    def _fused_cpu_step(self, w, g, s, c, decay):
        return kernels.fused_step("adagrad", (w, g, s["accumulator"]),
                                  (c["lr"], self.epsilon, decay or 0.0))

    def _update(self, xp, w, g, s, c, work):
        t = work[0]
        acc = s["accumulator"]
        xp.multiply(g, g, out=t)
        acc += t  # acc += g**2
        xp.add(acc, self.epsilon, out=t)
        xp.sqrt(t, out=t)
        xp.divide(g, t, out=t)
        t *= c["lr"]
        w -= t  # w -= lr g / sqrt(acc + eps)


@registry.register("optimizer", "adadelta")
class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012) with Keras's learning rate on the step.

    `Eg = rho Eg + (1 - rho) g**2`; `delta = -sqrt(Edx + eps) / sqrt(Eg + eps) * g`;
    `Edx = rho Edx + (1 - rho) delta**2`; `w += lr * delta`.

    Args:
        learning_rate: Defaults to `0.001` (the paper's form uses 1.0).
        rho: Decay rate. Defaults to `0.95`.
        epsilon: Defaults to `1e-7`.
        weight_decay, clipnorm, clipvalue, global_clipnorm, name: See `Optimizer`.
    """

    DESCRIPTION = "Adagrad variant with decaying averages of gradients and of steps."
    WORK_BUFFERS = 2
    PARAMS = (
        learning_rate_param(0.001),
        _rho_param(0.95),
        epsilon_param(),
        *common_params(),
    )

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         name, **kwargs)
        self._configure(rho=rho, epsilon=epsilon)

    def slot_names(self):
        return ("accumulated_grad", "accumulated_delta_var")

    def _fused_cpu_step(self, w, g, s, c, decay):
        return kernels.fused_step(
            "adadelta", (w, g, s["accumulated_grad"], s["accumulated_delta_var"]),
            (c["lr"], self.rho, 1.0 - self.rho, self.epsilon, decay or 0.0))

    def _update(self, xp, w, g, s, c, work):
        t, u = work
        rho, eps = self.rho, self.epsilon
        eg, edx = s["accumulated_grad"], s["accumulated_delta_var"]
        eg *= rho
        xp.multiply(g, g, out=t)
        t *= 1.0 - rho
        eg += t  # Eg = rho Eg + (1 - rho) g**2
        xp.add(edx, eps, out=t)
        xp.sqrt(t, out=t)
        t *= g
        xp.add(eg, eps, out=u)
        xp.sqrt(u, out=u)
        t /= u  # t = -delta = sqrt(Edx + eps) g / sqrt(Eg + eps)
        edx *= rho
        xp.multiply(t, t, out=u)
        u *= 1.0 - rho
        edx += u  # Edx = rho Edx + (1 - rho) delta**2
        t *= c["lr"]
        w -= t  # w += lr * delta
